//! Pairs of runs with known changes, for the comparison's tests and benchmark: a base run
//! (`subunit_samples::synthetic`) and an edited copy of it, written record by record, so the
//! copy differs from the base exactly by the edits.
#![allow(dead_code, reason = "each test file uses a part of it")]

use std::collections::HashMap;
use std::io::{Read, Write};

use subunit_emitter::{Delivery, Packet, Status, StreamWriter, Timestamp};
use subunit_parser::events::EventReader;
use subunit_parser::fold::{Fold, TestRecord};
use subunit_samples::synthetic::{RunSpec, write_run};

/// One change to make to a run.
#[derive(Clone, Debug)]
pub enum Edit {
    /// Give the test this status (a traceback is added for `fail` and dropped otherwise).
    Status(String, Status),
    /// Leave the test out.
    Remove(String),
    /// Add a test at the end: id, status, seconds.
    Add(String, Status, f64),
    /// Make the test take this many seconds.
    Seconds(String, f64),
    /// Replace the test's traceback.
    FailText(String, String),
}

/// A generated base run.
pub fn base(tests: usize, seed: u64) -> Vec<u8> {
    let (_, bytes) = write_run(
        RunSpec {
            tests,
            workers: 4,
            seed,
        },
        Vec::new(),
    )
    .unwrap();
    bytes
}

/// Every record of a run, in the order they end.
pub fn records(stream: impl Read) -> Vec<TestRecord> {
    let mut reader = EventReader::new(stream);
    let mut fold = Fold::new();
    let mut out = Vec::new();
    while let Some(ev) = reader.next_event().unwrap() {
        out.extend(fold.push(&ev));
    }
    out.extend(fold.finish());
    out
}

fn traceback(text: &str) -> subunit_parser::fold::Attachment {
    // Built through a fold, the only way to make an attachment.
    let p = Packet::status("x", Status::Undefined).with_file(
        "traceback",
        Some("text/x-traceback; charset=utf8"),
        text.as_bytes().to_vec(),
        true,
    );
    let mut fold = Fold::new();
    fold.push(&p.as_ref());
    fold.finish().remove(0).attachments.remove(0)
}

fn at(start: Timestamp, seconds: f64) -> Timestamp {
    let nanos = u64::from(start.nanos) + (seconds * 1e9).round() as u64;
    Timestamp::new(
        start.secs + (nanos / 1_000_000_000) as u32,
        (nanos % 1_000_000_000) as u32,
    )
}

/// Writes one record as packets: `inprogress` at its start, each attachment and then the final
/// status (with the tags) at its end.
pub fn write_record<W: Write>(w: &StreamWriter<W>, r: &TestRecord) {
    let mut first = Packet::status(r.id.clone(), Status::InProgress);
    if let Some(t) = r.start {
        first = first.with_timestamp(t);
    }
    w.write_packet(&first.as_ref()).unwrap();
    for a in &r.attachments {
        let mut p = Packet::status(r.id.clone(), Status::Undefined).with_file(
            a.name.clone(),
            a.mime_type.as_deref(),
            a.content.clone(),
            true,
        );
        if let Some(t) = r.end {
            p = p.with_timestamp(t);
        }
        w.write_packet(&p.as_ref()).unwrap();
    }
    let mut last = Packet::status(r.id.clone(), r.status.unwrap_or(Status::Fail))
        .with_tags(r.tags.iter().cloned());
    if let Some(t) = r.end {
        last = last.with_timestamp(t);
    }
    w.write_packet(&last.as_ref()).unwrap();
}

/// The base run with `edits` applied.
pub fn apply<W: Write>(base: impl Read, edits: &[Edit], out: W) -> W {
    let mut by_id: HashMap<&str, Vec<&Edit>> = HashMap::new();
    for e in edits {
        match e {
            Edit::Status(id, _)
            | Edit::Remove(id)
            | Edit::Seconds(id, _)
            | Edit::FailText(id, _) => by_id.entry(id.as_str()).or_default().push(e),
            Edit::Add(..) => {}
        }
    }
    let w = StreamWriter::new(out, Delivery::Buffered);
    let mut reader = EventReader::new(base);
    let mut fold = Fold::new();
    let mut last_end = Timestamp::new(1_763_769_600, 0);
    let emit = |mut r: TestRecord, w: &StreamWriter<W>, last_end: &mut Timestamp| {
        if let Some(t) = r.end {
            *last_end = t;
        }
        for e in by_id
            .get(r.id.as_str())
            .map(Vec::as_slice)
            .unwrap_or_default()
        {
            match e {
                Edit::Remove(_) => return,
                Edit::Status(_, s) => {
                    r.status = Some(*s);
                    r.attachments.retain(|a| a.name != "traceback");
                    if *s == Status::Fail {
                        r.attachments.push(traceback(
                            "Traceback (most recent call last):\nAssertionError: edited\n",
                        ));
                    }
                }
                Edit::Seconds(_, secs) => r.end = Some(at(r.start.unwrap(), *secs)),
                Edit::FailText(_, text) => {
                    r.attachments.retain(|a| a.name != "traceback");
                    r.attachments.push(traceback(text));
                }
                Edit::Add(..) => {}
            }
        }
        write_record(w, &r);
    };
    while let Some(ev) = reader.next_event().unwrap() {
        if let Some(r) = fold.push(&ev) {
            emit(r, &w, &mut last_end);
        }
    }
    for r in fold.finish() {
        emit(r, &w, &mut last_end);
    }
    for e in edits {
        if let Edit::Add(id, status, secs) = e {
            let start = at(last_end, 0.001);
            let mut r = Packet::status(id.clone(), Status::InProgress).with_timestamp(start);
            w.write_packet(&r.as_ref()).unwrap();
            if *status == Status::Fail {
                r = Packet::status(id.clone(), Status::Undefined).with_file(
                    "traceback",
                    Some("text/x-traceback; charset=utf8"),
                    b"Traceback (most recent call last):\nAssertionError: added\n".to_vec(),
                    true,
                );
                w.write_packet(&r.as_ref()).unwrap();
            }
            let end = at(start, *secs);
            w.write_packet(
                &Packet::status(id.clone(), *status)
                    .with_timestamp(end)
                    .as_ref(),
            )
            .unwrap();
            last_end = end;
        }
    }
    w.finish().unwrap()
}

/// The base run with each record changed by `edit` (given its position and the record; it
/// returns whether to keep the record), streamed: for runs too large to hold.
pub fn apply_with<W: Write>(
    base: impl Read,
    out: W,
    mut edit: impl FnMut(usize, &mut TestRecord) -> bool,
) -> W {
    let w = StreamWriter::new(out, Delivery::Buffered);
    let mut reader = EventReader::new(base);
    let mut fold = Fold::new();
    let mut n = 0;
    let mut one = |mut r: TestRecord, w: &StreamWriter<W>| {
        if edit(n, &mut r) {
            write_record(w, &r);
        }
        n += 1;
    };
    while let Some(ev) = reader.next_event().unwrap() {
        if let Some(r) = fold.push(&ev) {
            one(r, &w);
        }
    }
    for r in fold.finish() {
        one(r, &w);
    }
    w.finish().unwrap()
}
