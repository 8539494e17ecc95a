//! `subunit-filter`: python-subunit's filter, as a drop-in replacement.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Arg, ArgAction, ArgMatches, Command};
use subunit_emitter::StreamWriter;
use subunit_sinks::filter::{self, FilterConfig};
use subunit_tools::cli::{self, ToolError};

const ABOUT: &str = "Filter a subunit stream to include/exclude tests.

The default is to strip successful tests.

Tests can be filtered by regular expressions with --with and --without, which match both the \
test name and the error text (if any). The result contains tests which match any of the --with \
expressions and none of the --without expressions. For case-insensitive matching prepend '(?i)'. \
Remember to quote shell metacharacters.";

const AFTER: &str = "Exit status: 0 when the stream was filtered (whatever the tests did); \
2 when the tool could not work (a missing or unreadable file, a bad option or pattern).";

fn flag(id: &'static str, long: &'static str, help: &'static str) -> Arg {
    Arg::new(id).long(long).help(help).action(ArgAction::Count)
}

fn command() -> Command {
    Command::new("subunit-filter")
        .about(ABOUT)
        .after_help(AFTER)
        .infer_long_args(true)
        .arg(flag("error", "error", "include errors"))
        .arg(flag("no-error", "no-error", "exclude errors").short('e'))
        .arg(flag("failure", "failure", "include failures"))
        .arg(flag("no-failure", "no-failure", "exclude failures").short('f'))
        .arg(flag(
            "passthrough",
            "passthrough",
            "Forward non-subunit input as 'stdout'.",
        ))
        .arg(flag(
            "no-passthrough",
            "no-passthrough",
            "Discard all non subunit input.",
        ))
        .arg(flag("success", "success", "include successes").short('s'))
        .arg(flag("no-success", "no-success", "exclude successes"))
        .arg(flag("no-skip", "no-skip", "exclude skips"))
        .arg(flag("xfail", "xfail", "include expected failures"))
        .arg(flag("no-xfail", "no-xfail", "exclude expected failures"))
        .arg(
            Arg::new("with-tag")
                .long("with-tag")
                .value_name("WITH_TAGS")
                .action(ArgAction::Append)
                .help("include tests with these tags"),
        )
        .arg(
            Arg::new("without-tag")
                .long("without-tag")
                .value_name("WITHOUT_TAGS")
                .action(ArgAction::Append)
                .help("exclude tests with these tags"),
        )
        .arg(
            Arg::new("with")
                .short('m')
                .long("with")
                .value_name("WITH_REGEXPS")
                .action(ArgAction::Append)
                .allow_hyphen_values(true)
                .help("regexp to include (case-sensitive by default)"),
        )
        .arg(
            Arg::new("fixup-expected-failures")
                .long("fixup-expected-failures")
                .value_name("FILE")
                .value_parser(clap::value_parser!(PathBuf))
                .action(ArgAction::Append)
                .help(
                    "File with list of test ids that are expected to fail; on failure their \
                     result will be changed to xfail; on success they will be changed to \
                     uxsuccess.",
                ),
        )
        .arg(
            Arg::new("without")
                .long("without")
                .value_name("WITHOUT_REGEXPS")
                .action(ArgAction::Append)
                .allow_hyphen_values(true)
                .help("regexp to exclude (case-sensitive by default)"),
        )
        .arg(
            flag(
                "only-genuine-failures",
                "only-genuine-failures",
                "Only pass through failures and exceptions.",
            )
            .short('F'),
        )
        .arg(
            Arg::new("rename")
                .long("rename")
                .value_names(["FROM", "TO"])
                .num_args(2)
                .action(ArgAction::Append)
                .allow_hyphen_values(true)
                .help("Apply specified regex substitutions to test names."),
        )
        .arg(
            Arg::new("files")
                .value_name("FILE")
                .value_parser(clap::value_parser!(PathBuf))
                .action(ArgAction::Append)
                .help("Streams to read, one after another (default: standard input)"),
        )
}

/// The value of a switch that several flags set, python's way: the last flag given wins
/// (`-F` sets its four switches where it stands), else the default.
fn last_wins(m: &ArgMatches, setters: &[(&str, bool)], default: bool) -> bool {
    setters
        .iter()
        .filter_map(|&(id, value)| {
            let last = m.indices_of(id)?.max()?;
            (m.get_count(id) > 0).then_some((last, value))
        })
        .max_by_key(|&(i, _)| i)
        .map_or(default, |(_, v)| v)
}

fn strings(m: &ArgMatches, id: &str) -> Vec<String> {
    m.get_many::<String>(id)
        .map(|v| v.cloned().collect())
        .unwrap_or_default()
}

fn config(m: &ArgMatches) -> Result<FilterConfig, ToolError> {
    let genuine = ("only-genuine-failures", true);
    let mut fixups = std::collections::HashSet::new();
    for path in m
        .get_many::<PathBuf>("fixup-expected-failures")
        .into_iter()
        .flatten()
    {
        fixups.extend(filter::read_test_list(path)?);
    }
    let renames: Vec<String> = strings(m, "rename");
    Ok(FilterConfig {
        exclude_error: last_wins(m, &[("error", false), ("no-error", true)], false),
        exclude_failure: last_wins(m, &[("failure", false), ("no-failure", true)], false),
        exclude_success: last_wins(
            m,
            &[("success", false), ("no-success", true), genuine],
            true,
        ),
        exclude_skip: last_wins(m, &[("no-skip", true), genuine], false),
        exclude_xfail: last_wins(m, &[("xfail", false), ("no-xfail", true), genuine], true),
        passthrough: !last_wins(
            m,
            &[("passthrough", false), ("no-passthrough", true), genuine],
            false,
        ),
        with_regexps: strings(m, "with"),
        without_regexps: strings(m, "without"),
        with_tags: strings(m, "with-tag"),
        without_tags: strings(m, "without-tag"),
        fixup_expected_failures: fixups,
        renames: renames
            .chunks_exact(2)
            .map(|p| (p[0].clone(), p[1].clone()))
            .collect(),
    })
}

fn main() -> ExitCode {
    let matches = command().get_matches();
    cli::run("subunit-filter", || {
        let config = config(&matches)?;
        let files: Vec<PathBuf> = matches
            .get_many::<PathBuf>("files")
            .map(|v| v.cloned().collect())
            .unwrap_or_default();
        let input = cli::open_inputs(&files)?;
        let out = StreamWriter::stdout()?;
        Ok(filter::run(input, out, config)?)
    })
}
