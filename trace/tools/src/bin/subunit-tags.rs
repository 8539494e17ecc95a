//! `subunit-tags TAG -TAG ...`: python-subunit's tag changer, as a drop-in replacement.

use std::process::ExitCode;

use clap::{Arg, ArgAction, Command};
use subunit_emitter::StreamWriter;
use subunit_sinks::tags::{self, TagChange};
use subunit_tools::cli;

fn command() -> Command {
    Command::new("subunit-tags")
        .about(
            "A filter to change tags on a subunit stream read from standard input.\n\n\
             subunit-tags foo -> adds foo\n\
             subunit-tags foo -bar -> adds foo and removes bar",
        )
        .after_help(
            "Exit status: 0 when the stream was rewritten; 2 when the tool could not work \
             (unreadable input, an empty tag).",
        )
        .disable_help_flag(true)
        .arg(
            Arg::new("help")
                .long("help")
                .action(ArgAction::Help)
                .help("Print help"),
        )
        .arg(
            Arg::new("tags")
                .value_name("TAG|-TAG")
                .action(ArgAction::Append)
                .allow_hyphen_values(true)
                .trailing_var_arg(true)
                .num_args(0..),
        )
}

fn main() -> ExitCode {
    let matches = command().get_matches();
    cli::run("subunit-tags", || {
        let args: Vec<String> = matches
            .get_many::<String>("tags")
            .map(|v| v.cloned().collect())
            .unwrap_or_default();
        let change = TagChange::from_args(&args)?;
        let out = StreamWriter::stdout()?;
        Ok(tags::run(std::io::stdin(), out, &change)?)
    })
}
