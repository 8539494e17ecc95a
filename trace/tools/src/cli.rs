//! What every tool binary shares: opening its inputs, and mapping its errors to exit codes in
//! one place.
//!
//! Exit codes, the same for every tool:
//!
//! | code | meaning |
//! | --- | --- |
//! | 0 | success; also when the reader downstream went away (`tool | head`) |
//! | 1 | the stream says the run failed (the tool's own rule, as the Python tool has it) |
//! | 2 | the tool could not do its work: a missing or unreadable file, bad arguments, a write error (a full disk included) |
//!
//! The results-database tools (`subunit2sql`, `sql2subunit`, ...) exit 1 where subunit2sql
//! fails on the same input ([`ToolError::Refused`], a run id the database does not hold) and
//! 2 for every other [`SqlError`].
//!
//! An output file named on the command line (`-o`, `--html`, `report --output`, subunit2html's
//! second argument) is written through [`OutputFile`]: whole or not at all.

use std::fs::File;
use std::io::{self, BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use subunit_emitter::WriteError;
use subunit_parser::error::ReadError;
use subunit_runs::compare::CompareError;
use subunit_runs::explore::ExploreError;
use subunit_runs::replay::ReplayError;
use subunit_runs::store::StoreError;
use subunit_sinks::filter::FilterError;
use subunit_sinks::script::FilterOptions;
use subunit_sinks::trace::{ColorWhen, SuccessAttachments, Trace, TraceOptions, stdout_trace};
use subunit_sinks::{Error, Verdict};
use subunit_sql::SqlError;

use subunit_progress::Progress;

/// Exit status: success.
pub const EXIT_SUCCESS: u8 = 0;
/// Exit status: the run the stream describes failed.
pub const EXIT_TESTS_FAILED: u8 = 1;
/// Exit status: the tool could not do its work.
pub const EXIT_ERROR: u8 = 2;

/// Why a tool could not do its work.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ToolError {
    /// An input file could not be opened or read.
    #[error("{}: {source}", path.display())]
    Input {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        source: io::Error,
    },
    /// Reading or writing a stream failed (the sinks' [`Error`]).
    #[error(transparent)]
    Stream(#[from] Error),
    /// The arguments make no sense together.
    #[error("{0}")]
    Usage(String),
    /// The input is refused as the Python tool refuses it (exit 1): a stream subunit2sql
    /// cannot store, `sql2subunit` with neither or both of a run id and `--average`.
    #[error("{0}")]
    Refused(String),
    /// The results database could not do the work.
    #[error(transparent)]
    Sql(#[from] SqlError),
    /// An output file could not be created, written or put in place.
    #[error("{}: {source}", path.display())]
    Output {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        source: io::Error,
    },
}

impl ToolError {
    /// Whether the error is the reader downstream going away, which ends a tool quietly.
    pub fn is_broken_pipe(&self) -> bool {
        match self {
            ToolError::Stream(e) => e.is_broken_pipe(),
            ToolError::Sql(SqlError::Write(e)) => e.kind() == io::ErrorKind::BrokenPipe,
            _ => false,
        }
    }

    /// The exit status this error means: [`EXIT_TESTS_FAILED`] where the Python tool fails
    /// on the same input, else [`EXIT_ERROR`].
    pub fn exit_code(&self) -> u8 {
        match self {
            ToolError::Refused(_) | ToolError::Sql(SqlError::NoSuchRun(_)) => EXIT_TESTS_FAILED,
            _ => EXIT_ERROR,
        }
    }
}

impl From<io::Error> for ToolError {
    fn from(e: io::Error) -> Self {
        ToolError::Stream(Error::Io(e))
    }
}

impl From<ReadError> for ToolError {
    fn from(e: ReadError) -> Self {
        ToolError::Stream(Error::Read(e))
    }
}

impl From<WriteError> for ToolError {
    fn from(e: WriteError) -> Self {
        ToolError::Stream(Error::Write(e))
    }
}

impl From<FilterError> for ToolError {
    fn from(e: FilterError) -> Self {
        match e {
            FilterError::Read(e) => e.into(),
            FilterError::Write(e) => e.into(),
            FilterError::List { path, source } => ToolError::Input { path, source },
            other => ToolError::Usage(other.to_string()),
        }
    }
}

/// A library error whose only meaning for the exit status is its message, or a quiet end
/// when it is the reader downstream going away.
fn message_or_quiet(e: &impl std::fmt::Display, broken_pipe: bool) -> ToolError {
    if broken_pipe {
        io::Error::from(io::ErrorKind::BrokenPipe).into()
    } else {
        io::Error::other(e.to_string()).into()
    }
}

impl From<StoreError> for ToolError {
    fn from(e: StoreError) -> Self {
        message_or_quiet(&e, e.is_broken_pipe())
    }
}

impl From<CompareError> for ToolError {
    fn from(e: CompareError) -> Self {
        message_or_quiet(&e, e.is_broken_pipe())
    }
}

impl From<ExploreError> for ToolError {
    fn from(e: ExploreError) -> Self {
        message_or_quiet(&e, e.is_broken_pipe())
    }
}

impl From<ReplayError> for ToolError {
    fn from(e: ReplayError) -> Self {
        match e {
            e if e.is_broken_pipe() => io::Error::from(io::ErrorKind::BrokenPipe).into(),
            ReplayError::Read(e) => e.into(),
            ReplayError::Write(e) => e.into(),
            ReplayError::Input { path, source } => ToolError::Input { path, source },
            e => io::Error::other(e.to_string()).into(),
        }
    }
}

/// What a tool's body ends with when it could do its work: a fact the library reported, which
/// is turned into the exit status here and nowhere else.
pub trait Fact {
    /// The exit status this fact means.
    fn exit_code(self) -> u8;
}

/// The tool did its work and has nothing to say of the run (the converters, the filter).
impl Fact for () {
    fn exit_code(self) -> u8 {
        EXIT_SUCCESS
    }
}

/// The run passed or failed, by the tool's own rule.
impl Fact for Verdict {
    fn exit_code(self) -> u8 {
        match self {
            Verdict::Passed => EXIT_SUCCESS,
            Verdict::Failed => EXIT_TESTS_FAILED,
        }
    }
}

/// Runs a tool's body and turns its outcome into the process exit code: the fact's code on
/// success, 0 on a broken pipe, and otherwise `NAME: message` on stderr and the error's
/// [`ToolError::exit_code`].
pub fn run<F: Fact>(name: &str, body: impl FnOnce() -> Result<F, ToolError>) -> ExitCode {
    match body() {
        Ok(fact) => ExitCode::from(fact.exit_code()),
        Err(e) if e.is_broken_pipe() => ExitCode::from(EXIT_SUCCESS),
        Err(e) => {
            let _ = writeln!(io::stderr(), "{name}: {e}");
            ExitCode::from(e.exit_code())
        }
    }
}

/// An output file written whole or not at all. A regular file (or a new one) is written to a
/// temporary file beside it and renamed over it by [`OutputFile::commit`]; dropped without
/// it (an error on the way, a full disk), the temporary file is removed and whatever was at
/// the path before is left as it was. Anything else that is not a directory (`/dev/stdout`,
/// `/dev/full`, a pipe) is written in place, since it cannot be renamed over.
#[derive(Debug)]
pub struct OutputFile {
    path: PathBuf,
    out: BufWriter<File>,
    temp: Option<tempfile::TempPath>,
}

impl OutputFile {
    /// Starts the file at `path`, buffered when `buffered`.
    pub fn create(path: &Path, buffered: bool) -> io::Result<OutputFile> {
        use std::os::unix::fs::PermissionsExt;
        let existing = std::fs::metadata(path).ok();
        let capacity = if buffered { 64 * 1024 } else { 0 };
        if let Some(m) = existing.as_ref().filter(|m| !m.is_file()) {
            if m.is_dir() {
                return Err(io::Error::new(
                    io::ErrorKind::IsADirectory,
                    "is a directory",
                ));
            }
            return Ok(OutputFile {
                path: path.to_path_buf(),
                out: BufWriter::with_capacity(capacity, File::create(path)?),
                temp: None,
            });
        }
        let dir = match path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p,
            _ => Path::new("."),
        };
        let mut prefix = std::ffi::OsString::from(".");
        prefix.push(path.file_name().unwrap_or_default());
        prefix.push(".");
        let temp = tempfile::Builder::new()
            .prefix(&prefix)
            .suffix(".tmp")
            .tempfile_in(dir)?;
        // The permissions a plain create would give: the old file's, or rw-r--r--.
        let mode = existing.map_or(0o644, |m| m.permissions().mode());
        temp.as_file()
            .set_permissions(std::fs::Permissions::from_mode(mode))?;
        let (file, temp) = temp.into_parts();
        Ok(OutputFile {
            path: path.to_path_buf(),
            out: BufWriter::with_capacity(capacity, file),
            temp: Some(temp),
        })
    }

    /// The path the output goes to.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Writes out what is buffered, syncs, and puts the file in place.
    pub fn commit(self) -> io::Result<()> {
        let file = self
            .out
            .into_inner()
            .map_err(io::IntoInnerError::into_error)?;
        match self.temp {
            Some(temp) => {
                file.sync_all()?;
                temp.persist(&self.path).map_err(|e| e.error)
            }
            None => Ok(()),
        }
    }
}

impl Write for OutputFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.out.write(buf)
    }

    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        self.out.write_all(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}

/// [`OutputFile::create`] as a [`ToolError`].
pub fn create_output(path: &Path, buffered: bool) -> Result<OutputFile, ToolError> {
    OutputFile::create(path, buffered).map_err(|source| ToolError::Output {
        path: path.to_path_buf(),
        source,
    })
}

/// [`OutputFile::commit`] as a [`ToolError`].
pub fn commit_output(file: OutputFile) -> Result<(), ToolError> {
    let path = file.path().to_path_buf();
    file.commit()
        .map_err(|source| ToolError::Output { path, source })
}

/// The tool's input: the named files read one after another as one stream (`-` is stdin), or
/// stdin when none are named. Every file is opened before anything is read, so a missing file
/// is reported before any output.
pub fn open_inputs(paths: &[PathBuf]) -> Result<Box<dyn Read + Send>, ToolError> {
    if paths.is_empty() {
        return Ok(Box::new(io::stdin()));
    }
    let mut chain: Box<dyn Read + Send> = Box::new(io::empty());
    for path in paths {
        let next: Box<dyn Read + Send> = if path == Path::new("-") {
            Box::new(io::stdin())
        } else {
            let file = File::open(path).map_err(|source| ToolError::Input {
                path: path.clone(),
                source,
            })?;
            if file.metadata().is_ok_and(|m| m.is_dir()) {
                return Err(ToolError::Input {
                    path: path.clone(),
                    source: io::Error::new(io::ErrorKind::InvalidInput, "is a directory"),
                });
            }
            Box::new(file)
        };
        chain = Box::new(chain.chain(next));
    }
    Ok(chain)
}

/// The flags of python-subunit's `run_filter_script` tools (`subunit-stats`, `subunit2csv`,
/// `subunit2junitxml`), defined once and flattened into each binary's arguments.
#[derive(clap::Args, Debug)]
pub struct FilterArgs {
    /// Hide all non subunit input.
    #[arg(long = "no-passthrough")]
    pub no_passthrough: bool,
    /// Send the output to this path rather than stdout.
    #[arg(short = 'o', long = "output-to", value_name = "OUTPUT_TO")]
    pub output_to: Option<PathBuf>,
    /// Forward subunit stream on stdout. When set, received non-subunit output will be
    /// encapsulated in subunit.
    #[arg(short = 'f', long = "forward")]
    pub forward: bool,
    /// The stream to read (stdin when none; several are read as one stream).
    pub files: Vec<PathBuf>,
}

/// The body of a filter tool: the input, standard output, the `-o` file when one was given,
/// and the options; returns the exit code.
pub type FilterBody = fn(
    Box<dyn Read + Send>,
    &mut dyn Write,
    Option<&mut dyn Write>,
    FilterOptions,
) -> Result<Verdict, Error>;

impl FilterArgs {
    /// The options the flags select.
    pub fn options(&self) -> FilterOptions {
        FilterOptions {
            passthrough: !self.no_passthrough,
            forward: self.forward,
        }
    }

    /// Runs the filter tool `name` through [`run`]: opens the inputs, then the `-o` file
    /// (buffered when `buffered`), and hands them to `body` with a buffered standard output.
    pub fn run(&self, name: &str, buffered: bool, body: FilterBody) -> ExitCode {
        run(name, || {
            let input = open_inputs(&self.files)?;
            let mut file = self
                .output_to
                .as_deref()
                .map(|path| create_output(path, buffered))
                .transpose()?;
            let stdout = io::stdout();
            let mut out = BufWriter::new(stdout.lock());
            let to_file = file.as_mut().map(|f| f as &mut dyn Write);
            let verdict = body(input, &mut out, to_file, self.options())?;
            out.flush()?;
            if let Some(f) = file {
                commit_output(f)?;
            }
            Ok(verdict)
        })
    }
}

/// `--color` values (`auto`, `always`, `never`), read straight into a [`ColorWhen`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ColorArg(pub ColorWhen);

impl clap::ValueEnum for ColorArg {
    fn value_variants<'a>() -> &'a [Self] {
        &[
            ColorArg(ColorWhen::Auto),
            ColorArg(ColorWhen::Always),
            ColorArg(ColorWhen::Never),
        ]
    }

    fn to_possible_value(&self) -> Option<clap::builder::PossibleValue> {
        Some(clap::builder::PossibleValue::new(match self.0 {
            ColorWhen::Auto => "auto",
            ColorWhen::Always => "always",
            ColorWhen::Never => "never",
        }))
    }
}

/// The attachments of successful tests that `--suppress-attachments` / `--all-attachments`
/// select (stdout and stderr only when neither is given).
pub fn success_attachments(suppress: bool, all: bool) -> SuccessAttachments {
    if suppress {
        SuccessAttachments::Suppress
    } else if all {
        SuccessAttachments::All
    } else {
        SuccessAttachments::Output
    }
}

/// The live trace on stdout ([`stdout_trace`]) with the progress bar on stderr when stderr is
/// a terminal.
///
/// # Errors
///
/// Duplicating the stdout descriptor failed.
pub fn stdout_trace_with_progress(opts: TraceOptions) -> io::Result<Trace<BufWriter<File>>> {
    Ok(stdout_trace(opts)?.with_progress(Box::new(Progress::stderr_if_terminal())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_are_read_in_order_and_a_missing_one_fails_first() {
        let dir = tempfile::tempdir().unwrap();
        let a = dir.path().join("a");
        let b = dir.path().join("b");
        std::fs::write(&a, b"one ").unwrap();
        std::fs::write(&b, b"two").unwrap();
        let mut s = String::new();
        open_inputs(&[a.clone(), b.clone()])
            .unwrap()
            .read_to_string(&mut s)
            .unwrap();
        assert_eq!(s, "one two");
        let missing = dir.path().join("missing");
        let err = open_inputs(&[a, missing.clone()]).err().unwrap();
        assert!(
            err.to_string().starts_with(&missing.display().to_string()),
            "{err}"
        );
        assert!(!err.is_broken_pipe());
        let err = open_inputs(&[dir.path().to_path_buf()]).err().unwrap();
        assert!(err.to_string().contains("is a directory"), "{err}");
    }

    #[test]
    fn broken_pipe_is_quiet() {
        let e = ToolError::from(io::Error::from(io::ErrorKind::BrokenPipe));
        assert!(e.is_broken_pipe());
        assert_eq!(run::<()>("t", || Err(e)), ExitCode::from(0));
        assert_eq!(run("t", || Ok(Verdict::Failed)), ExitCode::from(1));
        assert_eq!(
            run::<()>("t", || Err(ToolError::Usage("bad".into()))),
            ExitCode::from(2)
        );
        assert_eq!(
            run::<()>("t", || Err(ToolError::Refused("bad".into()))),
            ExitCode::from(1)
        );
        assert_eq!(
            run::<()>("t", || Err(SqlError::NoSuchRun("r".into()).into())),
            ExitCode::from(1)
        );
        assert_eq!(
            run::<()>("t", || Err(SqlError::Database("x".into()).into())),
            ExitCode::from(2)
        );
        let pipe = SqlError::Write(io::Error::from(io::ErrorKind::BrokenPipe));
        assert_eq!(run::<()>("t", || Err(pipe.into())), ExitCode::from(0));
    }
}
