//! Snapshots of every human format of `subunit-trace`: plain, colour, abbreviated, failonly,
//! the `-f` failure section, a crashed worker, `-d` percentages and the attachment flags.

use crate::common;

use common::trace::*;
use subunit_parser::events::EventReader;
use subunit_sinks::trace::{SuccessAttachments, TimesDb, Trace, TraceOptions};
use subunit_tools::cli::Fact;

/// Runs the trace library over `stream`: (exit code, stdout, stderr).
fn render(stream: &[u8], opts: TraceOptions, times: Option<TimesDb>) -> (u8, String, String) {
    let mut trace = Trace::new(Vec::new(), opts).with_times(times);
    let mut reader = EventReader::new(stream);
    while let Some(event) = reader.next_event().unwrap() {
        trace.event(&event).unwrap();
    }
    let mut err = Vec::new();
    let (code, out) = trace.finish(&mut err).unwrap();
    (
        code.exit_code(),
        String::from_utf8(out).unwrap(),
        String::from_utf8(err).unwrap(),
    )
}

fn snapshot(name: &str, stream: &[u8], opts: TraceOptions) {
    let (code, out, err) = render(stream, opts, None);
    insta::assert_snapshot!(
        name,
        format!("exit: {code}\n--- stdout\n{out}\n--- stderr\n{err}")
    );
}

#[test]
fn plain() {
    snapshot("plain", &reference_run(), TraceOptions::default());
}

#[test]
fn colour() {
    let opts = TraceOptions {
        color: true,
        ..TraceOptions::default()
    };
    snapshot("colour", &reference_run(), opts);
}

#[test]
fn abbreviated() {
    let opts = TraceOptions {
        abbreviate: true,
        ..TraceOptions::default()
    };
    snapshot("abbreviated", &reference_run(), opts);
}

#[test]
fn abbreviated_colour_without_summary() {
    let opts = TraceOptions {
        abbreviate: true,
        color: true,
        no_summary: true,
        ..TraceOptions::default()
    };
    snapshot("abbreviated_colour_no_summary", &reference_run(), opts);
}

#[test]
fn failonly() {
    let opts = TraceOptions {
        failonly: true,
        ..TraceOptions::default()
    };
    snapshot("failonly", &reference_run(), opts);
}

#[test]
fn fails_section() {
    let opts = TraceOptions {
        failonly: true,
        post_fails: true,
        no_failure_debug: true,
        ..TraceOptions::default()
    };
    snapshot("fails_section", &reference_run(), opts);
}

#[test]
fn crashed_worker() {
    snapshot(
        "crashed_worker",
        &crashed_worker_run(),
        TraceOptions::default(),
    );
}

#[test]
fn attachment_flags() {
    let all = TraceOptions {
        success_attachments: SuccessAttachments::All,
        show_binary_attachments: true,
        no_summary: true,
        ..TraceOptions::default()
    };
    snapshot("all_and_binary_attachments", &reference_run(), all);
    let none = TraceOptions {
        success_attachments: SuccessAttachments::Suppress,
        no_summary: true,
        ..TraceOptions::default()
    };
    snapshot("suppressed_attachments", &reference_run(), none);
}

#[test]
fn perc_diff_with_threshold() {
    let times = TimesDb::from_entries([
        ("pkg.tests.test_api.TestApi.test_create", 1.0),
        ("pkg.tests.test_api.TestApi.test_delete", 0.49),
        ("pkg.tests.test_api.TestApi.test_binary", 0.2995),
    ]);
    let opts = |threshold| TraceOptions {
        perc_diff: true,
        threshold,
        no_summary: true,
        success_attachments: SuccessAttachments::Suppress,
        ..TraceOptions::default()
    };
    let (_, all, _) = render(&reference_run(), opts(0.0), Some(times.clone()));
    let (_, big, _) = render(&reference_run(), opts(5.0), Some(times));
    insta::assert_snapshot!("perc_diff_threshold", format!("-t 0\n{all}\n-t 5\n{big}"));
    // The threshold really applies: +2.04% and +0.17% go, +25.00% stays.
    assert!(
        all.contains("[0.500000s +2.04%]") && !big.contains("+2.04%"),
        "{big}"
    );
    assert!(all.contains("+0.17%") && !big.contains("+0.17%"));
    assert!(big.contains("[1.250000s +25.00%]"));
}
