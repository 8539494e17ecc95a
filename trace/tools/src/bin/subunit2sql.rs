//! `subunit2sql`: subunit v2 streams (files, or stdin) into a subunit2sql database, one run
//! per stream, each in one transaction.

use std::fs::File;
use std::io::{BufReader, Read};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use regex::Regex;
use subunit_sql::{
    DEFAULT_ATTR_REGEX, Database, DbTime, LoadError, LoadOptions, LoadSink, RunStored,
};

use subunit_tools::cli::{self, ToolError};
use subunit_tools::sql::DbArgs;

/// Store subunit v2 streams in a subunit2sql database (SQLite or PostgreSQL), one run per
/// stream.
///
/// Exit codes: 0 stored; 1 a stream subunit2sql refuses too (non-subunit content without
/// --non_subunit_name); 2 the tool could not work (bad arguments, an unreadable file, an
/// unreachable database, refused credentials, no schema or a schema at another revision).
#[derive(Parser, Debug)]
#[command(name = "subunit2sql", version)]
struct Args {
    /// Subunit v2 files to store, each as a run; stdin when none
    subunit_files: Vec<PathBuf>,
    #[command(flatten)]
    db: DbArgs,
    /// Metadata of the run(s): key:value,key:value
    #[arg(short = 'r', long = "run_meta", value_name = "KEY:VALUE,...")]
    run_meta: Option<String>,
    /// Location of the run's artifacts
    #[arg(short = 'a', long = "artifacts")]
    artifacts: Option<String>,
    /// Store the tests' attachments in the database
    #[arg(short = 's', long = "store_attachments")]
    store_attachments: bool,
    /// The run id (uuid) to store the stream under; only with a single stream
    #[arg(short = 'i', long = "run_id")]
    run_id: Option<String>,
    /// The regex whose group 1 holds the test attributes in a test id
    #[arg(long = "attr_regex", default_value = DEFAULT_ATTR_REGEX)]
    attr_regex: String,
    /// The prefix of attributes stored as test metadata
    #[arg(short = 'p', long = "test_attr_prefix")]
    test_attr_prefix: Option<String>,
    /// Remove --test_attr_prefix from the stored test metadata
    #[arg(short = 'x', long = "remove_test_attr_prefix")]
    remove_test_attr_prefix: bool,
    /// When the run happened (YYYY-MM-DD[ HH:MM:SS[.ffffff]]); default now (UTC)
    #[arg(long = "run_at")]
    run_at: Option<String>,
    /// Use the run's wall time as its run_time, not the sum of the tests' times
    #[arg(short = 'w', long = "use_run_wall_time")]
    use_run_wall_time: bool,
    /// Accept non-subunit content in the stream (stored nowhere, as subunit2sql)
    #[arg(long = "non_subunit_name")]
    non_subunit_name: Option<String>,
    /// Accepted for compatibility; does nothing
    #[arg(long = "verbose", hide = true)]
    verbose: bool,
}

fn options(args: &Args) -> Result<LoadOptions, ToolError> {
    let attr_regex = Regex::new(&args.attr_regex)
        .map_err(|e| ToolError::Usage(format!("bad --attr_regex: {e}")))?;
    let run_at = match &args.run_at {
        Some(s) => Some(DbTime::parse(s).ok_or_else(|| {
            ToolError::Usage(format!(
                "bad --run_at {s:?}: expected YYYY-MM-DD[ HH:MM[:SS[.ffffff]]]"
            ))
        })?),
        None => None,
    };
    let mut run_meta: Vec<(String, String)> = Vec::new();
    if let Some(meta) = &args.run_meta {
        for pair in meta.split(',').filter(|p| !p.is_empty()) {
            let (k, v) = pair.split_once(':').ok_or_else(|| {
                ToolError::Usage(format!("bad --run_meta {pair:?}: expected key:value"))
            })?;
            let (k, v) = (k.trim().to_owned(), v.trim().to_owned());
            // A dict: a repeated key keeps its place and takes the last value.
            match run_meta.iter_mut().find(|(key, _)| *key == k) {
                Some(slot) => slot.1 = v,
                None => run_meta.push((k, v)),
            }
        }
    }
    Ok(LoadOptions {
        run_id: args.run_id.clone(),
        run_at,
        artifacts: args.artifacts.clone(),
        run_meta,
        attr_regex,
        test_attr_prefix: args.test_attr_prefix.clone(),
        remove_test_attr_prefix: args.remove_test_attr_prefix,
        use_run_wall_time: args.use_run_wall_time,
        store_attachments: args.store_attachments,
    })
}

/// Reads one stream into one run, through the toolkit's pipeline.
fn load_stream(
    db: &mut Database,
    opts: LoadOptions,
    input: impl Read,
    what: &str,
    accept_stray: bool,
) -> Result<RunStored, ToolError> {
    LoadSink::new(db.begin_run(opts)?, accept_stray)
        .load(input)
        .map_err(|e| match e {
            LoadError::Sql(e) => ToolError::Sql(e),
            LoadError::Read(e) => std::io::Error::other(format!("cannot read {what}: {e}")).into(),
            e => ToolError::Refused(format!("{what}: {e}")),
        })
}

fn run(args: Args) -> Result<(), ToolError> {
    if args.subunit_files.len() > 1 && args.run_id.is_some() {
        return Err(ToolError::Usage(
            "You can not specify a run id for adding more than 1 stream".to_owned(),
        ));
    }
    let opts = options(&args)?;
    let url = args.db.url()?;
    let mut db = Database::open(&url)?;
    let accept_stray = args.non_subunit_name.is_some();
    if args.subunit_files.is_empty() {
        let stdin = std::io::stdin().lock();
        load_stream(&mut db, opts, stdin, "stdin", accept_stray)?;
        return Ok(());
    }
    for path in &args.subunit_files {
        let file = File::open(path).map_err(|source| ToolError::Input {
            path: path.clone(),
            source,
        })?;
        let what = path.display().to_string();
        load_stream(
            &mut db,
            opts.clone(),
            BufReader::with_capacity(1 << 16, file),
            &what,
            accept_stray,
        )?;
    }
    Ok(())
}

fn main() -> ExitCode {
    let args = Args::parse();
    cli::run("subunit2sql", || run(args))
}
