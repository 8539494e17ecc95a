//! `subunit-replay`: byte-for-byte copies of v2 streams, stored v1 runs written as the v2
//! events the store reads, pacing by the packets' timestamps (scaled and capped), live
//! delivery to a pipe, and its CLI contract (missing inputs, a closed pipe).

use std::io::{Read, Write};
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use subunit_emitter::{Packet, Status, Timestamp};
use subunit_parser::fold::Fold;
use subunit_runs::store::Store;
use subunit_samples::synthetic::{RunSpec, write_run};

const BIN: &str = env!("CARGO_BIN_EXE_subunit-replay");

fn replay(args: &[&str], stdin: &[u8], dir: Option<&Path>) -> Output {
    let mut cmd = Command::new(BIN);
    cmd.args(args);
    if let Some(dir) = dir {
        cmd.current_dir(dir);
    }
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut input = child.stdin.take().unwrap();
    std::thread::scope(|s| {
        s.spawn(move || {
            let _ = input.write_all(stdin);
        });
        child.wait_with_output().unwrap()
    })
}

/// A stream of `n` tests, test `i` starting at `starts[i]` seconds and ending 1 ms later.
fn paced_stream(starts: &[f64]) -> Vec<u8> {
    let mut bytes = Vec::new();
    let at = |s: f64| {
        let whole = s.trunc();
        Timestamp::new(
            1_700_000_000 + whole as u32,
            ((s - whole) * 1e9).round() as u32,
        )
    };
    for (i, &s) in starts.iter().enumerate() {
        let id = format!("paced.test_{i}");
        for (status, t) in [(Status::InProgress, s), (Status::Success, s + 0.001)] {
            let p = Packet::status(&id, status).with_timestamp(at(t));
            subunit_emitter::encode(&p.as_ref(), &mut bytes).unwrap();
        }
    }
    bytes
}

#[test]
fn every_v2_sample_is_copied_byte_for_byte() {
    for sample in subunit_samples::v2() {
        let bytes = sample.bytes();
        // From stdin, and from the file named.
        let out = replay(&[], &bytes, None);
        assert_eq!(out.status.code(), Some(0), "{}", sample.name);
        assert!(out.stdout == bytes, "{}: stdin copy differs", sample.name);
        let path = sample.path.to_str().unwrap();
        let out = replay(&[path], b"", None);
        assert_eq!(out.status.code(), Some(0), "{}", sample.name);
        assert!(out.stdout == bytes, "{}: file copy differs", sample.name);
        assert!(out.stderr.is_empty(), "{}", sample.name);
    }
}

#[test]
fn a_generated_run_is_copied_byte_for_byte_and_paced_copies_are_identical() {
    let (_, bytes) = write_run(
        RunSpec {
            tests: 400,
            workers: 6,
            seed: 3,
        },
        Vec::new(),
    )
    .unwrap();
    let out = replay(&[], &bytes, None);
    assert!(out.stdout == bytes);
    // Pacing changes when bytes go out, never which: the run spans minutes, so a high speed
    // and a small cap.
    let out = replay(&["--speed", "1000000", "--max-gap", "0.0001"], &bytes, None);
    assert_eq!(out.status.code(), Some(0));
    assert!(out.stdout == bytes);
}

#[test]
fn speed_scales_the_recorded_gaps() {
    // The run spans 2 s; at speed 10 the replay takes about 0.2 s.
    let stream = paced_stream(&[0.0, 0.5, 1.0, 1.5, 1.999]);
    let started = Instant::now();
    let out = replay(&["--speed", "10"], &stream, None);
    let took = started.elapsed();
    assert_eq!(out.status.code(), Some(0));
    assert!(out.stdout == stream);
    assert!(took >= Duration::from_millis(190), "too fast: {took:?}");
    assert!(took < Duration::from_millis(1500), "not scaled: {took:?}");

    // As fast as possible by default.
    let started = Instant::now();
    let out = replay(&[], &stream, None);
    assert!(out.stdout == stream);
    assert!(
        started.elapsed() < Duration::from_millis(150),
        "{:?}",
        started.elapsed()
    );
}

#[test]
fn max_gap_caps_each_wait() {
    // A 100 s gap, capped at 0.1 s, and a 0.2 s gap kept (under the cap only at speed 4).
    let stream = paced_stream(&[0.0, 100.0, 100.2]);
    let started = Instant::now();
    let out = replay(&["--realtime", "--max-gap", "0.1"], &stream, None);
    let took = started.elapsed();
    assert_eq!(out.status.code(), Some(0));
    assert!(out.stdout == stream);
    // 0.1 (capped) + 0.001 + 0.1 (0.199 capped) + 0.001
    assert!(took >= Duration::from_millis(190), "too fast: {took:?}");
    assert!(took < Duration::from_millis(1500), "not capped: {took:?}");
}

#[test]
fn a_live_reader_sees_packets_as_the_run_made_them() {
    // Three tests 0.3 s apart: the reader must get the first test well before the last.
    let stream = paced_stream(&[0.0, 0.3, 0.6]);
    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(file.path(), &stream).unwrap();
    let mut child = Command::new(BIN)
        .args(["--realtime", file.path().to_str().unwrap()])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = child.stdout.take().unwrap();
    // The first test is two packets, the same bytes as a stream of that test alone.
    let first_test = paced_stream(&[0.0]).len();
    assert_eq!(stream[..first_test], paced_stream(&[0.0])[..]);
    let mut got = vec![0u8; first_test];
    stdout.read_exact(&mut got).unwrap();
    let first = Instant::now();
    let mut rest = Vec::new();
    stdout.read_to_end(&mut rest).unwrap();
    let gap = first.elapsed();
    assert!(child.wait().unwrap().success());
    got.extend(rest);
    assert!(got == stream);
    assert!(
        gap >= Duration::from_millis(550),
        "not live: rest came {gap:?} after the first"
    );
}

fn store_with_runs(dir: &Path) -> (Store, Vec<u8>) {
    let store = Store::init(dir).unwrap();
    let first = paced_stream(&[0.0, 0.1]);
    store
        .load(vec![(dir.join("a"), &first[..])], None, |_| Ok(()))
        .unwrap();
    let (_, run) = write_run(
        RunSpec {
            tests: 120,
            workers: 4,
            seed: 9,
        },
        Vec::new(),
    )
    .unwrap();
    store
        .load(vec![(dir.join("b"), &run[..])], None, |_| Ok(()))
        .unwrap();
    (store, run)
}

#[test]
fn a_stored_run_is_replayed_as_the_events_the_store_reads() {
    let dir = tempfile::tempdir().unwrap();
    let (store, original) = store_with_runs(dir.path());
    for (args, id) in [(vec!["--store", "."], 1), (vec!["--store", ".", "0"], 0)] {
        let out = replay(&args, b"", Some(dir.path()));
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let mut expected = Vec::new();
        store
            .read_run(id, |ev| {
                subunit_emitter::encode(ev, &mut expected).unwrap();
                Ok(())
            })
            .unwrap();
        assert!(out.stdout == expected, "run {id}");
    }
    // The replayed run holds the original's tests with the original's outcomes.
    let records = |bytes: &[u8]| {
        let mut fold = Fold::new();
        let mut out = Vec::new();
        let mut reader = subunit_parser::events::EventReader::new(bytes);
        while let Some(ev) = reader.next_event().unwrap() {
            out.extend(fold.push(&ev).map(|r| (r.id, r.status)));
        }
        out.sort();
        out
    };
    let out = replay(&["--store", ".", "1"], b"", Some(dir.path()));
    let ours = records(&out.stdout);
    assert_eq!(ours.len(), 120);
    assert_eq!(ours, records(&original));
}

#[test]
fn a_stored_run_is_paced_too() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::init(dir.path()).unwrap();
    let stream = paced_stream(&[0.0, 0.5, 1.0]);
    store
        .load(vec![(dir.path().join("a"), &stream[..])], None, |_| Ok(()))
        .unwrap();
    let started = Instant::now();
    let out = replay(&["--store", ".", "--speed", "5"], b"", Some(dir.path()));
    let took = started.elapsed();
    assert_eq!(out.status.code(), Some(0));
    assert!(took >= Duration::from_millis(190), "too fast: {took:?}");
    assert!(took < Duration::from_millis(1500), "not scaled: {took:?}");
}

#[test]
fn missing_inputs_are_one_line_and_status_2() {
    let dir = tempfile::tempdir().unwrap();
    let out = replay(&["no-such-file"], b"", Some(dir.path()));
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.starts_with("subunit-replay: no-such-file: "), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(out.stdout.is_empty());

    let out = replay(&["--store", "."], b"", Some(dir.path()));
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        String::from_utf8(out.stderr).unwrap(),
        "subunit-replay: no repository found in .\n"
    );

    store_with_runs(dir.path());
    let out = replay(&["--store", ".", "7"], b"", Some(dir.path()));
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        String::from_utf8(out.stderr).unwrap(),
        "subunit-replay: no run 7 in the repository\n"
    );

    let out = replay(&["--speed", "0"], b"", None);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn a_closed_pipe_downstream_ends_quietly_with_status_0() {
    let (_, run) = write_run(RunSpec::new(20_000), Vec::new()).unwrap();
    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(file.path(), &run).unwrap();
    for args in [vec![], vec!["--speed", "1000000"]] {
        let mut child = Command::new(BIN)
            .args(&args)
            .arg(file.path())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut stdout = child.stdout.take().unwrap();
        let mut first = [0u8; 64];
        stdout.read_exact(&mut first).unwrap();
        drop(stdout);
        let out = child.wait_with_output().unwrap();
        assert_eq!(first[0], 0xB3);
        assert_eq!(out.status.code(), Some(0), "{args:?}");
        assert!(
            out.stderr.is_empty(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}
