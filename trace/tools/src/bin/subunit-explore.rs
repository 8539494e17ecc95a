//! `subunit-explore`: open a subunit stream or a stestr repository and ask about the run, at
//! an interactive prompt (history, completion of commands and test ids) or from a script of
//! commands on stdin.

use std::io::{self, BufRead, IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use rustyline::error::ReadlineError;
use rustyline::history::DefaultHistory;
use rustyline::{CompletionType, Config, Editor};
use subunit_runs::explore::complete::ExploreHelper;
use subunit_runs::explore::{COMMANDS, Explorer, Flow, Origin};
use subunit_tools::cli::{self, EXIT_ERROR, EXIT_SUCCESS, Fact, ToolError};

const AFTER_HELP: &str = "\
Commands (type `help` at the prompt):
  summary, failing, show TEST, grep PATTERN, slowest [N], workers, tags,
  diff A [B], runs, use ID (a store), help, quit

When stdin is not a terminal the commands are read from it one per line, with no prompt:
  printf 'summary\\nfailing\\n' | subunit-explore run.subunit

History is kept in DIR/.stestr/explore-history for a store, else in
$XDG_STATE_HOME/subunit-explore/history (default ~/.local/state).

Exit status:
  0  every command worked (also when the reader of the output goes away)
  2  the run could not be opened, or a scripted command failed";

/// Explore a subunit v2 stream or a stestr repository's runs.
#[derive(Debug, Parser)]
#[command(name = "subunit-explore", version, after_help = AFTER_HELP)]
struct Args {
    /// Open the stestr repository DIR (`.stestr`, or the directory holding it) instead of a stream file
    #[arg(long, value_name = "DIR", conflicts_with = "file")]
    store: Option<PathBuf>,
    /// With --store: the run to open first (default: the latest)
    #[arg(long, value_name = "ID", requires = "store")]
    run: Option<u64>,
    /// A subunit v2 stream file
    #[arg(required_unless_present = "store")]
    file: Option<PathBuf>,
}

fn main() -> ExitCode {
    let args = Args::parse();
    cli::run("subunit-explore", || body(args))
}

/// How a session went: a script whose commands all worked, or one where some failed (each
/// reported on stderr as it failed).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Session {
    Clean,
    CommandsFailed,
}

impl Fact for Session {
    fn exit_code(self) -> u8 {
        match self {
            Session::Clean => EXIT_SUCCESS,
            Session::CommandsFailed => EXIT_ERROR,
        }
    }
}

fn body(args: Args) -> Result<Session, ToolError> {
    let explorer = match (&args.store, &args.file) {
        (Some(dir), _) => Explorer::open_store(dir, args.run),
        (None, Some(file)) => Explorer::open_file(file),
        (None, None) => return Err(ToolError::Usage("give a FILE or --store DIR".into())),
    }?;
    if io::stdin().is_terminal() {
        interactive(explorer)
    } else {
        scripted(explorer)
    }
}

/// Commands from stdin, one per line, no prompt.
fn scripted(mut explorer: Explorer) -> Result<Session, ToolError> {
    let stdout = io::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    let mut session = Session::Clean;
    for line in io::stdin().lock().lines() {
        let line = line?;
        match explorer.execute(&line, &mut out) {
            Ok(Flow::Continue) => {}
            Ok(Flow::Quit) => break,
            Err(e) if e.is_broken_pipe() => return Err(e.into()),
            Err(e) => {
                out.flush()?;
                eprintln!("subunit-explore: {e}");
                session = Session::CommandsFailed;
            }
        }
    }
    out.flush()?;
    Ok(session)
}

/// Where the history is kept.
fn history_path(explorer: &Explorer) -> Option<PathBuf> {
    match explorer.origin() {
        Origin::Store { store, .. } => Some(store.base().join("explore-history")),
        _ => {
            let state = std::env::var_os("XDG_STATE_HOME")
                .filter(|d| !d.is_empty())
                .map(PathBuf::from)
                .or_else(|| {
                    std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/state"))
                })?;
            Some(state.join("subunit-explore").join("history"))
        }
    }
}

/// The prompt, with history and completion.
fn interactive(explorer: Explorer) -> Result<Session, ToolError> {
    let readline_error = |e: ReadlineError| match e {
        ReadlineError::Io(e) => ToolError::from(e),
        e => ToolError::from(io::Error::other(e.to_string())),
    };
    let config = Config::builder()
        .completion_type(CompletionType::List)
        .history_ignore_dups(true)
        .map_err(readline_error)?
        .auto_add_history(false)
        .build();
    let history = history_path(&explorer);
    let mut rl: Editor<ExploreHelper, DefaultHistory> =
        Editor::with_config(config).map_err(readline_error)?;
    rl.set_helper(Some(ExploreHelper { explorer }));
    if let Some(path) = &history {
        // A first session has no history yet.
        let _ = rl.load_history(path);
    }
    let names: Vec<&str> = COMMANDS.iter().map(|c| c.0).collect();
    println!(
        "{} tests. Commands: {}. TAB completes.",
        rl.helper().map_or(0, |h| h.explorer.index().len()),
        names.join(", ")
    );
    loop {
        let prompt = rl.helper().map(|h| h.explorer.prompt()).unwrap_or_default();
        let line = match rl.readline(&prompt) {
            Ok(line) => line,
            Err(ReadlineError::Interrupted) => continue,
            Err(ReadlineError::Eof) => break,
            Err(e) => return Err(readline_error(e)),
        };
        if !line.trim().is_empty() {
            rl.add_history_entry(line.trim()).map_err(readline_error)?;
            if let Some(path) = &history {
                if let Some(dir) = path.parent() {
                    let _ = std::fs::create_dir_all(dir);
                }
                if let Err(e) = rl.save_history(path) {
                    eprintln!(
                        "subunit-explore: cannot save history to {}: {e}",
                        path.display()
                    );
                }
            }
        }
        let Some(helper) = rl.helper_mut() else {
            break;
        };
        let stdout = io::stdout();
        let mut out = stdout.lock();
        match helper.explorer.execute(&line, &mut out) {
            Ok(Flow::Continue) => {}
            Ok(Flow::Quit) => break,
            Err(e) if e.is_broken_pipe() => return Err(e.into()),
            Err(e) => {
                out.flush()?;
                eprintln!("subunit-explore: {e}");
            }
        }
        out.flush()?;
    }
    Ok(Session::Clean)
}
