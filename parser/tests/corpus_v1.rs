//! Every real run file of the corpus (`samples/corpus/`) read by our v1 reader as python-subunit
//! 1.4.6's `subunit-1to2` reads it: our `v1_to_v2` output equals python's byte for byte, apart
//! from the timestamps python takes from the wall clock for packets before a file's first
//! `time:` line, which are compared as present-or-absent.
//!
//! python gives up on three of the files: a `charset=""utf8""` (an empty charset: `LookupError:
//! unknown encoding`) in two `failing` files, and chunk-size lines ending in a bare LF
//! (`ValueError: chunk header invalid`) in one. Our reader stops at the same place with an
//! error naming the line (as `V1Error` documents for each place python gives up), and what
//! both wrote before must be the same.

use subunit_emitter::Timestamp;
use subunit_parser::reader::{Item, PacketReader};
use subunit_parser::v1::{PlainLines, v1_to_v2};
use subunit_samples::python;

/// The packets of a v2 stream, timestamps from the last day (the wall clock, not a file's
/// `time:` lines, which are all older) replaced by a marker.
fn packets_with_wall_clock_masked(v2: &[u8]) -> Vec<String> {
    let day_ago = Timestamp::now().secs.saturating_sub(86_400);
    let mut out = Vec::new();
    let mut reader = PacketReader::new(v2);
    while let Some(item) = reader.next_item().expect("reading from memory") {
        let Item::Packet { packet, .. } = item else {
            out.push(format!("{item:?}"));
            continue;
        };
        let mut p = packet.to_packet();
        let wall = p.timestamp.is_some_and(|t| t.secs >= day_ago);
        if wall {
            p.timestamp = Some(Timestamp::new(0, 0));
        }
        out.push(format!("{}{p:?}", if wall { "(wall clock) " } else { "" }));
    }
    out
}

#[test]
fn every_corpus_run_converts_as_subunit_1to2_converts_it() {
    let env = python::env();
    let runs = subunit_samples::corpus();
    assert!(!runs.is_empty());
    let mut python_crashed = Vec::new();
    for run in runs {
        let v1 = std::fs::read(run.file()).unwrap();
        let out = env.run_tool("subunit-1to2", std::iter::empty::<&str>(), &v1);
        let theirs = out.stdout;
        let mut ours = Vec::new();
        let result = v1_to_v2(&v1[..], &mut ours, PlainLines::Raw);
        if !out.status.success() {
            let stderr = String::from_utf8_lossy(&out.stderr);
            let last = stderr.lines().last().unwrap_or_default().to_owned();
            let ours_said = match &result {
                Ok(()) => "read through".to_owned(),
                Err(e) => e.to_string(),
            };
            python_crashed.push(format!("{}: python {last}; ours {ours_said}", run.name));
            let theirs_p = packets_with_wall_clock_masked(&theirs);
            let ours_p = packets_with_wall_clock_masked(&ours);
            assert!(
                ours_p.len() >= theirs_p.len() && ours_p[..theirs_p.len()] == theirs_p[..],
                "{}: what python wrote before it died is not the start of ours",
                run.name
            );
            continue;
        }
        result.unwrap_or_else(|e| panic!("{}: {e}", run.name));
        if ours == theirs {
            continue;
        }
        let (ours_p, theirs_p) = (
            packets_with_wall_clock_masked(&ours),
            packets_with_wall_clock_masked(&theirs),
        );
        if let Some(i) =
            (0..ours_p.len().max(theirs_p.len())).find(|&i| ours_p.get(i) != theirs_p.get(i))
        {
            panic!(
                "{} ({} {}): packet {i} differs\n ours:   {:?}\n theirs: {:?}",
                run.name,
                run.repository,
                run.path,
                ours_p.get(i),
                theirs_p.get(i)
            );
        }
        assert!(
            ours_p.iter().any(|p| p.starts_with("(wall clock)")),
            "{}: the bytes differ but no packet has a wall-clock time",
            run.name
        );
    }
    python_crashed.sort();
    assert_eq!(
        python_crashed,
        [
            "amitkumar-a4__python-keystoneclient__.testrepository_failing: python LookupError: \
             unknown encoding: ; ours line 42: attachment \"traceback\" cannot be read: charset \
             \"\" is unknown",
            "dynacloud__tempest_el_env__.testrepository_failing: python LookupError: unknown \
             encoding: ; ours line 36: attachment \"traceback\" cannot be read: charset \"\" is \
             unknown",
            "vm6502q__qiskit-qrack-provider__.stestr_failing: python ValueError: chunk header \
             invalid: b'26B\\n'; ours line 8: bad multipart chunk: chunk header does not end in \
             CR LF",
        ]
    );
}
