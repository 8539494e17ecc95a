//! `subunit2junitxml` against python-subunit 1.4.6's (with `junitxml` 0.7), byte for byte, on
//! every sample and on generated runs with many workers; the XML read back by a real JUnit
//! consumer (`junitparser` 5.0.3) and checked against the records our fold found; a snapshot,
//! `-o`, missing files and a closed pipe.

use crate::common;

use std::path::Path;
use std::process::Output;

use common::{Feed, assert_missing_file, generated, has_tags, output_to};
use serde_json::{Value, json};
use subunit_samples::synthetic::{RunSpec, write_run};
use subunit_samples::{python, v2};
use subunit_sinks::junit::{self, Outcome};
use subunit_sinks::script::{FilterOptions, Passthrough, run_filter};
use subunit_tools::cli::Fact;

fn ours(args: &[&str], stdin: &[u8]) -> Output {
    common::ours("subunit2junitxml", args, stdin)
}

/// python's tool on a file holding `stream` (see [`Feed::File`]).
fn python_junit(args: &[&str], stream: &[u8]) -> Output {
    common::python_tool("subunit2junitxml", args, stream, Feed::File, None)
}

/// `out` with the times that come from the wall clock replaced by `<wall>`: every time when the
/// stream has no timestamp (python's run takes longer than ours), the time of a test none of
/// whose events has a timestamp (the `subunit.parser` failure: python times it by two readings
/// of the clock, 0.000 on a quiet machine and 0.020 on a loaded one) and then the suite's time
/// too, and any time of a million seconds or more (a test before the stream's first timestamp
/// starts at the wall clock). Both tools compute them the same way; two processes cannot agree
/// on the clock.
fn mask_wall_clock(out: &[u8], stream: &[u8]) -> String {
    let mut reader = subunit_parser::events::EventReader::new(stream);
    let mut timed = false;
    let mut timed_tests = std::collections::HashSet::new();
    while let Some(e) = reader.next_event().unwrap() {
        if e.timestamp.is_some() {
            timed = true;
            if let Some(id) = e.test_id {
                timed_tests.insert(id.to_owned());
            }
        }
    }
    let text = String::from_utf8_lossy(out);
    let case = regex::Regex::new(
        r#"(<testcase classname="([^"]*)" name="([^"]*)" time=")(-?\d+\.\d{3})""#,
    )
    .unwrap();
    let mut untimed_case = false;
    let text = case.replace_all(&text, |c: &regex::Captures<'_>| {
        let id = if c[2].is_empty() {
            c[3].to_owned()
        } else {
            format!("{}.{}", &c[2], &c[3])
        };
        if timed && !timed_tests.contains(&id) {
            untimed_case = true;
            format!(r#"{}<wall>""#, &c[1])
        } else {
            c[0].to_owned()
        }
    });
    let suite = regex::Regex::new(r#"(<testsuite [^>]* time=")(-?\d+\.\d{3})""#).unwrap();
    let text = if timed && !untimed_case {
        text.into_owned()
    } else {
        suite.replace(&text, r#"${1}<wall>""#).into_owned()
    };
    let any = regex::Regex::new(r#" time="(-?\d+\.\d{3})""#).unwrap();
    any.replace_all(&text, |c: &regex::Captures<'_>| {
        let v: f64 = c[1].parse().unwrap();
        // With no timestamp in the stream every time is a difference of two wall-clock
        // readings, which a loaded machine can make 0.001 in one process and 0.000 in the other.
        if !timed || v.abs() >= 1e6 {
            r#" time="<wall>""#.to_owned()
        } else {
            c[0].to_owned()
        }
    })
    .into_owned()
}

pub(crate) fn assert_same(what: &str, args: &[&str], stream: &[u8]) {
    let theirs = python_junit(args, stream);
    assert!(
        theirs.stderr.is_empty(),
        "{what} {args:?}: python failed: {}",
        String::from_utf8_lossy(&theirs.stderr)
    );
    let mine = ours(args, stream);
    common::assert_same_as_python(what, args, &mine, &theirs, |out| {
        mask_wall_clock(out, stream)
    });
}

#[test]
fn every_sample_matches_python() {
    let mut compared = 0;
    for sample in v2() {
        let bytes = sample.bytes();
        if sample.description.python_expected().error.is_some() {
            python_dies_and_we_read_on(&sample.name, &bytes);
            continue;
        }
        for args in common::FILTER_FLAGS {
            if args.contains(&"-f") && has_tags(&bytes) {
                // Forwarded packets with several tags come out in python's set order
                // (DIFFERENCES.md); the tag order is all that differs.
                continue;
            }
            assert_same(&sample.name, args, &bytes);
        }
        compared += 1;
    }
    assert!(compared >= 8, "only {compared} samples compared");
}

/// python's reader dies on the stream (`damaged-length-under-8`: `ValueError`, exit 1) before
/// it writes any XML; what it means is the XML of what it read, so ours reads on, writes the
/// damage as the `subunit.parser` failure, and exits 1 for it.
fn python_dies_and_we_read_on(name: &str, bytes: &[u8]) {
    let theirs = python_junit(&["--no-passthrough"], bytes);
    let err = String::from_utf8_lossy(&theirs.stderr);
    assert!(err.contains("ValueError"), "{name}: {err}");
    assert_eq!(theirs.status.code(), Some(1), "{name}");
    assert!(!String::from_utf8_lossy(&theirs.stdout).contains("<testsuite"));
    let mine = ours(&["--no-passthrough"], bytes);
    assert_eq!(mine.status.code(), Some(1), "{name}");
    let xml = String::from_utf8(mine.stdout).unwrap();
    assert!(
        xml.contains(r#"<testcase classname="subunit" name="parser""#),
        "{xml}"
    );
    assert_eq!(
        cases_and_counts(&read_with_junitparser(xml.as_bytes())),
        expected_from_fold(bytes),
        "{name}"
    );
}

#[test]
fn generated_runs_with_many_workers_match_python() {
    for (tests, workers, seed) in [(3000, 16, 5), (300, 2, 11)] {
        let (counts, bytes) = generated(tests, workers, seed);
        assert!(counts.fail > 0 && counts.uxsuccess > 0);
        let what = format!("run {tests}x{workers}");
        assert_same(&what, &[], &bytes);
        assert_same(&what, &["--no-passthrough"], &bytes);
    }
}

/// Reads `xml` with junitparser (`samples/python/junit_read.py`) and returns its JSON.
fn read_with_junitparser(xml: &[u8]) -> Value {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("report.xml");
    std::fs::write(&path, xml).unwrap();
    let out = python::env().run_script_ok("junit_read.py", [&path], b"");
    serde_json::from_slice(&out).unwrap()
}

/// `s` as an XML reader gives it back: the characters junitxml drops are gone.
fn xml_text(s: &str) -> String {
    s.chars()
        .filter(|&c| !matches!(c, '\0'..='\u{8}' | '\u{b}'..='\u{1f}' | '\u{fffe}' | '\u{ffff}'))
        .collect()
}

/// What a JUnit reader should find in our XML for `stream`, built from the fold's records
/// (through the same `run_filter` pipeline) without the XML writer: one case per record, with
/// its class, name, result kind, type and text.
fn expected_from_fold(stream: &[u8]) -> Value {
    let mut cases = Vec::new();
    let mut failures = 0;
    let options = FilterOptions {
        passthrough: false,
        forward: false,
    };
    run_filter(
        stream,
        &mut Vec::new(),
        options,
        Passthrough::Subunit,
        |_, r| {
            let (classname, name) = junit::split_id(&r.id);
            let text = |s: &str| {
                let s = xml_text(s);
                if s.is_empty() { Value::Null } else { json!(s) }
            };
            let results = match Outcome::of(&r) {
                Outcome::Passed => json!([]),
                Outcome::Skipped(reason) => json!([{
                    "kind": "skipped", "type": null, "message": null, "text": text(&reason),
                }]),
                Outcome::UnexpectedSuccess => {
                    failures += 1;
                    json!([{
                        "kind": "failure", "type": junit::UNEXPECTED_SUCCESS, "message": null,
                        "text": null,
                    }])
                }
                Outcome::Failed(t) => {
                    failures += 1;
                    json!([{
                        "kind": "failure", "type": junit::STRING_EXCEPTION, "message": null,
                        "text": text(&t),
                    }])
                }
            };
            cases.push(json!({
                "classname": xml_text(classname),
                "name": xml_text(name),
                "results": results,
            }));
            Ok(())
        },
    )
    .unwrap();
    json!({ "tests": cases.len(), "failures": failures, "cases": cases })
}

/// junitparser's view without the times (which [`expected_from_fold`] does not know) and with
/// the suite's counts as its attributes say.
fn cases_and_counts(read: &Value) -> Value {
    let suites = read["suites"].as_array().unwrap();
    assert_eq!(suites.len(), 1, "{read}");
    let suite = &suites[0];
    let cases: Vec<Value> = suite["cases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            assert!(c["time"].is_number(), "{c}");
            json!({
                "classname": c["classname"], "name": c["name"], "results": c["results"],
            })
        })
        .collect();
    json!({ "tests": suite["tests"], "failures": suite["failures"], "cases": cases })
}

#[test]
fn junitparser_reads_what_the_fold_found_and_reads_python_the_same() {
    let mut streams: Vec<(String, Vec<u8>)> = v2()
        .into_iter()
        .filter(|s| s.description.python_expected().error.is_none())
        .map(|s| (s.name.clone(), s.bytes()))
        .collect();
    let (_, run) = generated(400, 8, 3);
    streams.push(("run 400x8".into(), run));
    streams.push(("awkward".into(), awkward_stream()));
    for (name, bytes) in &streams {
        let mine = ours(&["--no-passthrough"], bytes);
        let read = read_with_junitparser(&mine.stdout);
        assert_eq!(cases_and_counts(&read), expected_from_fold(bytes), "{name}");
        let theirs = python_junit(&["--no-passthrough"], bytes);
        assert!(theirs.stderr.is_empty(), "{name}");
        let read_python = read_with_junitparser(&theirs.stdout);
        assert_eq!(
            cases_and_counts(&read_python),
            cases_and_counts(&read),
            "{name}"
        );
        // Times too, where they come from the stream.
        if mask_wall_clock(&mine.stdout, bytes) == String::from_utf8_lossy(&mine.stdout) {
            assert_eq!(read_python, read, "{name}");
        }
    }
}

/// A stream with what XML makes hard: special and control characters in ids, attachments and
/// skip reasons, `]]>`, ids without a class, with parameters, ending in a dot; tests that never
/// finished; times going backwards.
fn awkward_stream() -> Vec<u8> {
    use subunit_emitter::{Packet, Status, Timestamp, to_stream};
    let ts = |s: u32, n: u32| Timestamp::new(1_700_000_000 + s, n);
    let utf8 = Some("text/plain;charset=utf8");
    let id = "a.b<&>\"q\"\t.c\u{1}d";
    let packets = [
        Packet::status(id, Status::InProgress).with_timestamp(ts(0, 0)),
        Packet::status(id, Status::Undefined).with_file(
            "traceback",
            utf8,
            "Traceback:\n  x ]]> y & <z>\r\n\u{7}end\u{fffe}",
            true,
        ),
        Packet::status(id, Status::Undefined).with_file("stdout", utf8, "out\tput\n", true),
        Packet::status(id, Status::Fail).with_timestamp(ts(1, 2_500)),
        Packet::status("pkg.mod.Test.test(1.5)", Status::Skip)
            .with_file("reason", utf8, "why\tnot\n\"here\" & <now>", true)
            .with_timestamp(ts(2, 62_500_000)),
        Packet::status("noclass", Status::UxSuccess).with_timestamp(ts(3, 0)),
        Packet::status("ends.with.", Status::XFail)
            .with_file("traceback", utf8, "expected", true)
            .with_timestamp(ts(1, 0)),
        Packet::status("skip.bare", Status::Skip).with_file("log", utf8, "l1\nl2", true),
        Packet::status("bin.ary", Status::InProgress)
            .with_file("blob", Some("application/json"), "{}", true)
            .with_timestamp(ts(7, 0)),
        Packet::status("bin.ary", Status::Undefined).with_file("empty", utf8, "  ", true),
        Packet::status("bin.ary", Status::Undefined).with_file(
            "latin",
            Some("text/plain"),
            b"caf\xe9".to_vec(),
            true,
        ),
        Packet::status("bin.ary", Status::Fail).with_timestamp(ts(6, 500_000_000)),
        Packet::status("hung.one", Status::InProgress).with_timestamp(ts(5, 0)),
        Packet::status("hung.two", Status::InProgress)
            .with_file("stderr", utf8, "é ü", false)
            .with_timestamp(ts(6, 0)),
    ];
    to_stream(&packets).unwrap()
}

#[test]
fn awkward_characters_and_times_match_python() {
    let stream = awkward_stream();
    for args in [&[][..], &["--no-passthrough"], &["-f"]] {
        assert_same("awkward", args, &stream);
    }
    let out = ours(&["--no-passthrough"], &stream);
    insta::assert_snapshot!("junit_awkward", String::from_utf8(out.stdout).unwrap());
}

#[test]
fn snapshot_and_output_to() {
    let sample = subunit_samples::get("emitter-all");
    let out = ours(&["--no-passthrough"], &sample.bytes());
    insta::assert_snapshot!(
        "junit_emitter_all",
        String::from_utf8(out.stdout.clone()).unwrap()
    );
    // With `-o` the XML goes to the file and the passthrough alone to stdout.
    let (to_file, written) = output_to("subunit2junitxml", &[], &sample.path);
    assert_eq!(to_file.status.code(), out.status.code());
    assert_eq!(written, out.stdout);
    let all = ours(&[], &sample.bytes());
    assert_eq!([&to_file.stdout[..], &out.stdout[..]].concat(), all.stdout);
    assert!(!to_file.stdout.is_empty());
}

#[test]
fn missing_file_is_one_line_and_status_2() {
    assert_missing_file("subunit2junitxml", Path::new("/nonexistent/stream.subunit"));
}

#[test]
fn closed_pipe_downstream_is_quiet() {
    common::assert_closed_pipe_on_run("subunit2junitxml", 50_000);
}

#[test]
fn a_run_bigger_than_the_memory_spool_spills_and_matches() {
    // Enough test cases to pass `SPOOL_MEMORY` and go through the temporary file.
    let (_, bytes) = write_run(RunSpec::new(120_000), Vec::new()).unwrap();
    let mine = ours(&["--no-passthrough"], &bytes);
    assert!(
        mine.stdout.len() > junit::SPOOL_MEMORY,
        "{}",
        mine.stdout.len()
    );
    let mut direct = Vec::new();
    let options = FilterOptions {
        passthrough: false,
        forward: false,
    };
    let code = junit::run(&bytes[..], &mut direct, None, options)
        .unwrap()
        .exit_code();
    assert_eq!(mine.status.code(), Some(i32::from(code)));
    assert_eq!(
        mask_wall_clock(&mine.stdout, &bytes),
        mask_wall_clock(&direct, &bytes)
    );
    let text = String::from_utf8(mine.stdout).unwrap();
    assert!(text.ends_with("</testsuite>\n"));
    assert_eq!(text.matches("<testcase ").count(), 120_000);
}

#[test]
fn python_crashes_on_undecodable_text_and_we_replace_it() {
    use subunit_emitter::{Packet, Status, to_vec};
    let cases: [(&str, Packet, &str, &str); 2] = [
        (
            "UnicodeDecodeError",
            Packet::status("t.bad", Status::Fail).with_file(
                "traceback",
                Some("text/plain;charset=utf8"),
                b"caf\xe9 boom".to_vec(),
                true,
            ),
            "<failure type=\"testtools.testresult.real._StringException\">\
             testtools.testresult.real._StringException: caf\u{fffd} boom\n\n</failure>",
            "1",
        ),
        (
            "ValueError: Not a text type",
            Packet::status("t.skip", Status::Skip).with_file(
                "reason",
                Some("application/octet-stream"),
                "no network",
                true,
            ),
            "<skipped>no network</skipped>",
            "0",
        ),
    ];
    for (crash, packet, expected, failures) in cases {
        let stream = to_vec(&packet.as_ref()).unwrap();
        let theirs = python_junit(&[], &stream);
        let err = String::from_utf8_lossy(&theirs.stderr);
        assert!(err.contains(crash), "{err}");
        assert_eq!(theirs.status.code(), Some(1));
        assert!(theirs.stdout.is_empty());
        let mine = ours(&[], &stream);
        let xml = String::from_utf8(mine.stdout).unwrap();
        assert!(xml.contains(expected), "{xml}");
        assert!(xml.contains(&format!("failures=\"{failures}\"")), "{xml}");
        assert!(mine.stderr.is_empty());
    }
}

#[test]
fn every_corpus_run_matches_python() {
    common::on_corpus_with_filter_flags(assert_same);
}

#[test]
fn a_charset_among_comma_joined_parameters_decodes_as_python_decodes_it() {
    let stream = crate::common::trace::latin1_traceback_run();
    assert_same("latin1 comma-joined", &[], &stream);
    let mine = ours(&[], &stream);
    assert!(
        String::from_utf8_lossy(&mine.stdout).contains("ab\u{e9}"),
        "{}",
        String::from_utf8_lossy(&mine.stdout)
    );
}
