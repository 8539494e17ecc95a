//! Where a run to compare comes from: a stream file, standard input, or a stored run.

use std::fs::File;
use std::io;
use std::path::{Path, PathBuf};

use subunit_emitter::PacketRef;
use subunit_parser::error::ReadError;

use crate::store::{Store, StoreError};
use subunit_parser::events::python_events;

/// Why runs could not be compared.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CompareError {
    /// A stream file could not be opened or read.
    #[error("{}: {source}", path.display())]
    Input {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        source: io::Error,
    },
    /// A stream could not be parsed.
    #[error("{}: {source}", path.display())]
    Read {
        /// The stream (`-` for stdin).
        path: PathBuf,
        /// What went wrong.
        source: ReadError,
    },
    /// The argument is neither a file nor a stored run.
    #[error("{arg}: no such file, and {why}")]
    NoSuchRun {
        /// The argument.
        arg: String,
        /// Why it is not a stored run either.
        why: String,
    },
    /// The store could not be read.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Writing the report failed.
    #[error("{0}")]
    Output(#[from] io::Error),
}

impl CompareError {
    /// Whether this is the reader of the output going away.
    pub fn is_broken_pipe(&self) -> bool {
        match self {
            CompareError::Output(e) => e.kind() == io::ErrorKind::BrokenPipe,
            CompareError::Store(e) => e.is_broken_pipe(),
            _ => false,
        }
    }
}

impl From<ReadError> for CompareError {
    fn from(source: ReadError) -> Self {
        CompareError::Read {
            path: PathBuf::from("-"),
            source,
        }
    }
}

/// A run to compare.
#[derive(Clone, Debug)]
pub enum Source {
    /// A subunit v2 stream file.
    File(PathBuf),
    /// Standard input (`-`).
    Stdin,
    /// A run in a store.
    Run {
        /// The store.
        store: Store,
        /// The run id.
        id: u64,
    },
}

impl Source {
    /// What a command-line argument names: `-` is stdin, an existing file is a stream file,
    /// anything else a run id in the store at `store_dir` ([`Store::open`]).
    pub fn resolve(arg: &str, store_dir: &Path) -> Result<Source, CompareError> {
        if arg == "-" {
            return Ok(Source::Stdin);
        }
        let path = Path::new(arg);
        if path.is_file() {
            return Ok(Source::File(path.to_path_buf()));
        }
        if path.is_dir() {
            return Err(CompareError::Input {
                path: path.to_path_buf(),
                source: io::Error::new(io::ErrorKind::InvalidInput, "is a directory"),
            });
        }
        let no_run = |why: String| CompareError::NoSuchRun {
            arg: arg.to_owned(),
            why,
        };
        if arg.parse::<u64>().is_err() {
            return Err(no_run("not a run id".into()));
        }
        let store = match Store::open(store_dir) {
            Ok(s) => s,
            Err(StoreError::NotFound(_)) => {
                return Err(no_run(format!("no repository at {}", store_dir.display())));
            }
            Err(e) => return Err(e.into()),
        };
        match store.parse_id(arg) {
            Ok(id) => Ok(Source::Run { store, id }),
            Err(StoreError::NoSuchRun(_)) => Err(no_run(format!(
                "no run {arg} in {}",
                store.base().display()
            ))),
            Err(e) => Err(e.into()),
        }
    }

    /// A name for the report: the file's path, `-`, or `run N`.
    pub fn label(&self) -> String {
        match self {
            Source::File(p) => p.display().to_string(),
            Source::Stdin => "-".into(),
            Source::Run { id, .. } => format!("run {id}"),
        }
    }

    /// The stored run's id, if this is one.
    pub fn run_id(&self) -> Option<u64> {
        match self {
            Source::Run { id, .. } => Some(*id),
            _ => None,
        }
    }

    /// Feeds `f` the run's events (python-subunit's view of the stream).
    pub fn read(
        &self,
        mut f: impl FnMut(&PacketRef<'_>) -> io::Result<()>,
    ) -> Result<(), CompareError> {
        let with_path = |path: &Path| {
            let path = path.to_path_buf();
            move |e: CompareError| match e {
                CompareError::Read { source, .. } => CompareError::Read { path, source },
                e => e,
            }
        };
        match self {
            Source::Run { store, id } => Ok(store.read_run(*id, f)?),
            Source::Stdin => python_events(io::stdin().lock(), |ev| -> Result<(), CompareError> {
                Ok(f(ev)?)
            })
            .map_err(with_path(Path::new("-"))),
            Source::File(path) => {
                let file = File::open(path).map_err(|source| CompareError::Input {
                    path: path.clone(),
                    source,
                })?;
                let file = io::BufReader::with_capacity(256 * 1024, file);
                python_events(file, |ev| -> Result<(), CompareError> { Ok(f(ev)?) })
                    .map_err(with_path(path))
            }
        }
    }
}
