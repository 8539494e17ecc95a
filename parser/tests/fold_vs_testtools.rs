//! Our fold against testtools 2.9.1's `StreamToDict` and `StreamSummary`, record by record.
//!
//! python-subunit 1.4.6's `ByteStreamToStreamResult` feeds `StreamToDict` and `StreamSummary`
//! (`samples/python/stream_to_dict.py`); our `EventReader` feeds our `Fold` and `Summary`. The
//! records must be equal in order (testtools flushes the open ones newest first, we oldest
//! first: reversed here), id, route code, status, sorted tags, both timestamps at python's
//! microsecond precision, and attachments (name, raw MIME type of the first chunk, content);
//! the summaries must agree. This runs over every v2 sample, damaged ones included, and over
//! a stream built here to exercise each fold rule.
//!
//! Where python-subunit's reader dies partway (the sample description's `[python] error`, for
//! a declared length under 8), the error must be that one and testtools' records so far must
//! be the first of ours; where its `StreamSummary` raises (a skip with a binary reason), that
//! is a named test of its own.

use std::path::Path;

use serde_json::{Value, json};
use subunit_emitter::{File, Packet, Status, Timestamp};
use subunit_parser::events::EventReader;
use subunit_parser::fold::{Fold, Summary, TestRecord};
use subunit_samples::{Format, hex, python};

/// Our records, in testtools' order.
fn fold(bytes: &[u8]) -> Vec<TestRecord> {
    let mut reader = EventReader::new(bytes);
    let mut fold = Fold::new();
    let mut records = Vec::new();
    while let Some(event) = reader
        .next_event()
        .expect("the lenient reader reads any bytes")
    {
        records.extend(fold.push(&event));
    }
    records.extend(fold.finish().into_iter().rev());
    records
}

fn record_json(r: &TestRecord) -> Value {
    json!({
        "id": r.id,
        "route_code": r.route_code,
        "status": r.status_name(),
        "tags": r.tags,
        "start": r.start.map(Timestamp::python_micros),
        "end": r.end.map(Timestamp::python_micros),
        "details": r.attachments.iter().map(|a| json!({
            "name": a.name,
            "mime_type": a.mime_type,
            "content": hex(&a.content),
        })).collect::<Vec<_>>(),
    })
}

/// Our summary in `StreamSummary`'s terms. testtools files `fail` under errors, never under
/// failures, so there is nothing of ours to compare with its (always empty) failures.
fn summary_json(s: &Summary) -> Value {
    json!({
        "tests_run": s.tests_run,
        "errors": s.errors(),
        "skipped": s.skip,
        "expected_failures": s.xfail,
        "unexpected_successes": s.uxsuccess,
        "was_successful": s.is_successful(),
    })
}

/// What testtools makes of the stream at `path`.
fn testtools(path: &Path) -> Value {
    let out = python::env().run_script_ok("stream_to_dict.py", [path], b"");
    serde_json::from_slice(&out).expect("stream_to_dict.py prints JSON")
}

/// Every difference between our view of `bytes` and testtools' view `theirs`, one a line.
/// `python_error` is the error python-subunit's reader is known to die of on this stream.
fn differences(bytes: &[u8], theirs: &Value, python_error: Option<&str>) -> Vec<String> {
    let records = fold(bytes);
    let ours: Vec<Value> = records.iter().map(record_json).collect();
    let empty = Vec::new();
    let theirs_records = theirs["records"].as_array().unwrap_or(&empty);
    let mut out = Vec::new();
    if theirs["error"].as_str() != python_error {
        out.push(format!(
            "python-subunit's reader error {}, expected {python_error:?}",
            theirs["error"]
        ));
    }
    if python_error.is_some() {
        // It died partway: what it found before must be what we found first, and there must
        // be more to find.
        if theirs_records.len() >= ours.len() || ours[..theirs_records.len()] != theirs_records[..]
        {
            out.push(format!(
                "testtools' records before the error are not the first of ours:\n    ours:      \
                 {ours:?}\n    testtools: {theirs_records:?}"
            ));
        }
        return out;
    }
    if ours.len() != theirs_records.len() {
        out.push(format!(
            "{} records, testtools has {}",
            ours.len(),
            theirs_records.len()
        ));
    }
    for (i, (o, t)) in ours.iter().zip(theirs_records).enumerate() {
        if o != t {
            out.push(format!(
                "record {i}:\n    ours:      {o}\n    testtools: {t}"
            ));
        }
    }
    let summary: Summary = records.iter().collect();
    let theirs_summary = &theirs["summary"];
    if theirs_summary.get("error").is_some() {
        out.push(format!("testtools' StreamSummary raised: {theirs_summary}"));
    } else {
        if theirs_summary["failures"] != 0 {
            out.push(format!("testtools counted failures: {theirs_summary}"));
        }
        let mut t = theirs_summary.clone();
        if let Some(map) = t.as_object_mut() {
            map.remove("failures");
        }
        let o = summary_json(&summary);
        if o != t {
            out.push(format!("summary:\n    ours:      {o}\n    testtools: {t}"));
        }
    }
    out
}

fn write_temp(bytes: &[u8]) -> tempfile::NamedTempFile {
    let mut file = tempfile::NamedTempFile::new().expect("a temporary file");
    std::io::Write::write_all(&mut file, bytes).expect("write the temporary file");
    file
}

fn encode(packets: &[Packet]) -> Vec<u8> {
    let mut out = Vec::new();
    for p in packets {
        subunit_emitter::encode(&p.as_ref(), &mut out).expect("a valid packet");
    }
    out
}

#[test]
fn every_v2_sample_folds_as_testtools_does() {
    let samples: Vec<_> = subunit_samples::v2();
    assert!(
        !samples.is_empty(),
        "no v2 samples are listed (samples/data/*.toml)"
    );
    let mut failures = Vec::new();
    for sample in &samples {
        assert_eq!(sample.format, Format::V2);
        let python_error = sample.description.python_expected().error.as_deref();
        let diffs = differences(&sample.bytes(), &testtools(&sample.path), python_error);
        if !diffs.is_empty() {
            failures.push(format!("{}:\n  {}", sample.name, diffs.join("\n  ")));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} samples fold differently:\n{}",
        failures.len(),
        samples.len(),
        failures.join("\n")
    );
}

fn ts(secs: u32) -> Timestamp {
    Timestamp::new(secs, 0)
}

fn chunk(id: &str, name: &str, mime: Option<&str>, content: &[u8], eof: bool) -> Packet {
    Packet::status(id, Status::Undefined).with_file(name, mime, content, eof)
}

/// One stream with an instance of every fold rule.
fn rules_stream() -> Vec<u8> {
    encode(&[
        // Two routes, one id: two records.
        Packet::status("a", Status::InProgress)
            .with_timestamp(ts(1))
            .with_route_code("0"),
        Packet::status("a", Status::InProgress)
            .with_timestamp(ts(2))
            .with_route_code("1"),
        // An empty first chunk does not fix the MIME type; a missing one stays missing.
        chunk("a", "log", Some("text/x-empty"), b"", false).with_route_code("0"),
        chunk("a", "log", None, b"x", false)
            .with_route_code("0")
            .with_timestamp(ts(3)),
        Packet::status("a", Status::Undefined)
            .with_tags(["x", "y"])
            .with_route_code("0"),
        // An empty tag set clears; a final event without a timestamp ends with None.
        Packet::status("a", Status::Success)
            .with_tags(Vec::<String>::new())
            .with_route_code("0"),
        Packet::status("a", Status::Fail)
            .with_timestamp(ts(4))
            .with_route_code("1")
            .with_tags(["w"]),
        // exists is final; the same id then starts afresh.
        Packet::status("b", Status::Exists).with_timestamp(ts(5)),
        Packet::status("b", Status::InProgress).with_timestamp(ts(6)),
        // Chunks joined, even after EOF; the first chunk's MIME type kept.
        chunk(
            "b",
            "stdout",
            Some("text/plain;charset=utf8"),
            b"one ",
            true,
        ),
        chunk("b", "stdout", Some("application/json"), b"two", false),
        chunk(
            "b",
            "stderr",
            Some("text/x-traceback;charset=utf8,language=python"),
            b"tb",
            true,
        ),
        // Nanoseconds rounded half to even by python.
        Packet::status("b", Status::XFail).with_timestamp(Timestamp::new(7, 678_901_500)),
        // Only files: unknown, still open at the end.
        chunk("c", "log", None, b"only", false).with_timestamp(ts(8)),
        Packet::status("d", Status::InProgress)
            .with_route_code("0/1")
            .with_timestamp(ts(9)),
        // Nanoseconds past a second carry over in python.
        Packet::status("e", Status::InProgress).with_timestamp(Timestamp::new(10, 1_073_741_823)),
        // A file outside any test is not a record.
        Packet {
            file: Some(File {
                name: "stdout".into(),
                content: b"global\n".to_vec(),
            }),
            ..Packet::default()
        },
        Packet::status("e", Status::UxSuccess).with_timestamp(Timestamp::new(11, 999_999_999)),
        // Status and file in one packet; duplicate tags.
        Packet::status("f", Status::Fail)
            .with_file("traceback", Some("text/plain"), "boom", true)
            .with_tags(["z", "z"]),
        Packet::status("g", Status::Skip).with_file("reason", Some("text/plain"), "why", true),
        // Tags on an open record, without a status.
        Packet::status("d", Status::Undefined)
            .with_route_code("0/1")
            .with_tags(["late"]),
        Packet::status("h", Status::InProgress),
        Packet::status("", Status::Success),
    ])
}

#[test]
fn every_fold_rule_matches_testtools() {
    let bytes = rules_stream();
    let file = write_temp(&bytes);
    let theirs = testtools(file.path());
    let diffs = differences(&bytes, &theirs, None);
    assert!(diffs.is_empty(), "{}", diffs.join("\n"));
    // The comparison saw what the stream was built to show.
    let records = fold(&bytes);
    assert_eq!(records.len(), 11);
    assert_eq!(records.iter().filter(|r| !r.complete).count(), 3);
    assert!(!Summary::from_iter(&records).is_successful());
}

/// testtools' `StreamSummary` raises `ValueError("Not a text type ...")` on a skip whose
/// `reason` attachment is not text (it reads the reason with `as_text()`); `StreamToDict` and
/// our fold and summary take it in their stride.
#[test]
fn a_binary_skip_reason_breaks_testtools_summary_but_not_ours() {
    let bytes = encode(&[
        Packet::status("s", Status::InProgress),
        Packet::status("s", Status::Skip).with_file("reason", None, "binary", true),
    ]);
    let file = write_temp(&bytes);
    let theirs = testtools(file.path());
    assert_eq!(
        theirs["summary"],
        json!({"error": "Not a text type application/octet-stream"})
    );
    let diffs = differences(&bytes, &theirs, None);
    assert_eq!(diffs.len(), 1, "{diffs:?}");
    assert!(
        diffs[0].starts_with("testtools' StreamSummary raised"),
        "{diffs:?}"
    );
    let summary: Summary = fold(&bytes).iter().collect();
    assert_eq!((summary.tests_run, summary.skip), (1, 1));
    assert!(summary.is_successful());
}
