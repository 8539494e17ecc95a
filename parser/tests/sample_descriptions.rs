//! Every sample's description (`samples/data/NAME.toml`) is what our reader and fold find in
//! its stream: the counts per status, every record with its route code, tags and attachments,
//! the `subunit.parser` failures, and the files sent outside any test.
//!
//! v2 streams go through `EventReader` (python's event view: stray bytes as `stdout`, damage as
//! `subunit.parser`) into `Fold`; the v1 sample through `V1Reader` into the same fold. The
//! descriptions are also checked against python-subunit's fold (`samples/tests/
//! python_reference.rs`), so a record we get wrong and python gets right cannot hide behind a
//! description written to match us.

use subunit_emitter::PacketRef;
use subunit_parser::events::EventReader;
use subunit_parser::fold::{Fold, TestRecord};
use subunit_parser::v1::V1Reader;
use subunit_samples::{Format, Found, FoundFile, FoundTest, Sample};

fn found_test(r: TestRecord) -> FoundTest {
    FoundTest {
        status: r.status_name().to_owned(),
        id: r.id,
        route_code: r.route_code,
        tags: r.tags,
        attachments: r
            .attachments
            .into_iter()
            .map(|a| FoundFile {
                name: a.name,
                mime_type: a.mime_type,
                content: a.content,
            })
            .collect(),
    }
}

/// Feeds one event to the fold, keeping files sent outside any test.
fn push(fold: &mut Fold, found: &mut Found, event: &PacketRef<'_>) {
    if event.test_id.is_none()
        && let Some(f) = event.file
    {
        found.add_non_test_chunk(f.name, event.mime_type, f.content);
    }
    if let Some(r) = fold.push(event) {
        found.tests.push(found_test(r));
    }
}

/// What our reader and fold find in a sample.
fn ours(s: &Sample) -> Found {
    let mut fold = Fold::new();
    let mut found = Found::default();
    let file = std::fs::File::open(&s.path).unwrap();
    match s.format {
        Format::V2 => {
            let mut reader = EventReader::new(file);
            while let Some(event) = reader.next_event().unwrap() {
                push(&mut fold, &mut found, &event);
            }
        }
        Format::V1 => {
            for p in V1Reader::new(std::io::BufReader::new(file)) {
                push(&mut fold, &mut found, &p.unwrap().as_ref());
            }
        }
    }
    found
        .tests
        .extend(fold.finish().into_iter().map(found_test));
    found
}

#[test]
fn every_description_is_what_we_find() {
    let samples = subunit_samples::all();
    assert!(samples.len() >= 11, "only {} samples", samples.len());
    let mut failures = Vec::new();
    for s in &samples {
        if let Err(m) = s.description.expected.check(&ours(s)) {
            failures.push(format!("{} ({}):\n{m}", s.name, s.path.display()));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn a_wrong_description_is_caught() {
    // The check can fail: every sample, with one expectation changed.
    for s in subunit_samples::all() {
        let found = ours(&s);
        let mut e = s.description.expected.clone();
        e.parser_failures += 1;
        assert!(e.check(&found).is_err(), "{}", s.name);
        let mut e = s.description.expected.clone();
        if let Some(t) = e.tests.first_mut() {
            t.tags.push("not-there".into());
            assert!(e.check(&found).is_err(), "{}", s.name);
        }
    }
}

#[test]
fn where_python_differs_the_description_says_why() {
    for s in subunit_samples::all() {
        if s.description.python.is_some() {
            assert!(
                s.description.notes.contains("python"),
                "{}: a [python] table needs notes saying why python differs",
                s.name
            );
            assert_ne!(
                s.description.python.as_ref(),
                Some(&s.description.expected),
                "{}: a [python] table that equals the expectation says nothing",
                s.name
            );
        }
    }
}
