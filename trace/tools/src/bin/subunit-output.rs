//! `subunit-output`: python-subunit's emitter CLI, as a drop-in replacement.

use std::io::Read;
use std::process::ExitCode;

use clap::{Arg, ArgAction, ArgGroup, Command};
use subunit_emitter::{Status, StreamWriter, Timestamp};
use subunit_sinks::output::{self, OutputSpec};
use subunit_tools::cli::{self, ToolError};

const STATUSES: [(&str, Status); 7] = [
    ("exists", Status::Exists),
    ("inprogress", Status::InProgress),
    ("success", Status::Success),
    ("fail", Status::Fail),
    ("skip", Status::Skip),
    ("xfail", Status::XFail),
    ("uxsuccess", Status::UxSuccess),
];

fn command() -> Command {
    let mut cmd = Command::new("subunit-output")
        .about("A tool to generate a subunit v2 result byte-stream")
        .override_usage("subunit-output [-h] [status TEST_ID] [options]")
        .after_help(
            "Exit status: 0 when the event was written; 2 when the tool could not work (bad \
             options, an unreadable file).",
        )
        .infer_long_args(true);
    for (name, _) in STATUSES {
        cmd = cmd.arg(
            Arg::new(name)
                .long(name)
                .value_name("TEST_ID")
                .allow_hyphen_values(true)
                .help_heading("Status Commands")
                .help("Report a test status."),
        );
    }
    cmd.group(ArgGroup::new("status").args(STATUSES.map(|(n, _)| n)).multiple(false))
        .arg(
            Arg::new("attach-file")
                .long("attach-file")
                .value_name("ATTACH_FILE")
                .allow_hyphen_values(true)
                .help_heading("File Options")
                .help(
                    "Attach a file to the result stream for this test. If '-' is specified, \
                     stdin will be read instead. In this case, the file name will be set to \
                     'stdin' (but can still be overridden with the --file-name option).",
                ),
        )
        .arg(
            Arg::new("file-name")
                .long("file-name")
                .value_name("FILE_NAME")
                .requires("attach-file")
                .help_heading("File Options")
                .help(
                    "The name to give this file attachment. If not specified, the name of the \
                     file on disk will be used, or 'stdin' in the case where '-' was passed to \
                     the '--attach-file' argument.",
                ),
        )
        .arg(
            Arg::new("mimetype")
                .long("mimetype")
                .value_name("MIMETYPE")
                .requires("attach-file")
                .help_heading("File Options")
                .help("The mime type to send with this file. If not specified, the file is sent without one."),
        )
        .arg(
            Arg::new("tag")
                .long("tag")
                .value_name("TAGS")
                .action(ArgAction::Append)
                .help("Specifies a tag. May be used multiple times"),
        )
        .arg(
            Arg::new("route-code")
                .long("route-code")
                .value_name("ROUTE_CODE")
                .help("The route code to put on every packet (python's tool has no such option)"),
        )
        .arg(
            Arg::new("ignored")
                .action(ArgAction::Append)
                .hide(true)
                .help("Extra arguments, ignored as python ignores them"),
        )
}

fn main() -> ExitCode {
    let m = command().get_matches();
    cli::run("subunit-output", || {
        let status = STATUSES
            .iter()
            .find_map(|&(name, s)| m.get_one::<String>(name).map(|id| (s, id.clone())));
        let attach = m.get_one::<String>("attach-file").cloned();
        let mut spec = OutputSpec {
            status,
            file_name: m.get_one::<String>("file-name").cloned(),
            mime_type: m.get_one::<String>("mimetype").cloned(),
            tags: m
                .get_many::<String>("tag")
                .map(|v| v.cloned().collect())
                .unwrap_or_default(),
            route_code: m.get_one::<String>("route-code").cloned(),
        };
        let file: Option<Box<dyn Read>> = match attach.as_deref() {
            None => None,
            Some("-") => Some(Box::new(std::io::stdin().lock())),
            Some(path) => {
                let f = std::fs::File::open(path).map_err(|source| ToolError::Input {
                    path: path.into(),
                    source,
                })?;
                spec.file_name.get_or_insert_with(|| path.to_owned());
                Some(Box::new(f))
            }
        };
        let out = StreamWriter::stdout()?;
        output::write(&spec, file, &out, Timestamp::now())?;
        out.finish()?;
        Ok(())
    })
}
