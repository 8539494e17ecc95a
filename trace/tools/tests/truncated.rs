//! A stream cut mid-packet, for every tool that reads one: each complete packet before the cut
//! is kept, and the rest is reported as python-subunit 1.4.6 reports it (its `subunit.parser`
//! pseudo-test with "Short read"), the output and exit status compared with the Python tool's
//! (stestr's `subunit-trace` for ours) by each tool's own golden comparison, except where
//! DIFFERENCES.md already says how ours differs (a run with no timed test still ran). The cuts fall in
//! every part of a packet: the signature, the flags, the length, the body and the CRC, of
//! packets with and without a test id, attachment and tags. A v1 stream cut mid-line is
//! compared the same way with `subunit-1to2`.

use subunit_parser::decode::Mode;
use subunit_parser::reader::PacketReader;

use crate::common::stream::{assert_like_python, python, synthetic};
use crate::common::{ours, trace, write};

/// Where each packet of `stream` starts, and the stream's length last.
fn boundaries(stream: &[u8]) -> Vec<usize> {
    let mut reader = PacketReader::with_mode(stream, Mode::Strict);
    let mut at = vec![0];
    while let Some(item) = reader.next_item().unwrap() {
        at.push(at.last().unwrap() + item.raw().len());
    }
    assert_eq!(
        *at.last().unwrap(),
        stream.len(),
        "a whole stream of packets"
    );
    at
}

/// Cut points inside packets spread over the stream: in the signature byte's wake, the flags,
/// the length, the middle and the last byte (the CRC), for every `step`-th packet.
fn cuts(stream: &[u8], step: usize) -> Vec<usize> {
    let at = boundaries(stream);
    let mut cuts = Vec::new();
    for w in at.windows(2).step_by(step) {
        let (start, end) = (w[0], w[1]);
        for c in [start + 1, start + 2, start + 4, (start + end) / 2, end - 1] {
            if c > start && c < end && !cuts.contains(&c) {
                cuts.push(c);
            }
        }
    }
    cuts
}

/// The stream: a small generated run (three workers, attachments, tags, failures).
fn stream() -> Vec<u8> {
    let s = synthetic(3, 8, 31);
    assert!(boundaries(&s).len() > 20);
    s
}

#[test]
fn the_complete_packets_before_a_cut_are_all_read() {
    let s = stream();
    let at = boundaries(&s);
    for cut in cuts(&s, 1) {
        let whole = at.iter().filter(|&&b| b <= cut).count() - 1;
        let mut reader = PacketReader::with_mode(&s[..cut], Mode::Lenient);
        let mut items = Vec::new();
        while let Some(item) = reader.next_item().unwrap() {
            items.push(item.raw().to_vec());
        }
        assert_eq!(
            items.len(),
            whole + 1,
            "cut at {cut}: the whole packets and the rest"
        );
        for (i, raw) in items.iter().take(whole).enumerate() {
            assert_eq!(
                raw.as_slice(),
                &s[at[i]..at[i + 1]],
                "cut at {cut}: packet {i}"
            );
        }
        assert_eq!(
            items[whole].as_slice(),
            &s[at[whole]..cut],
            "cut at {cut}: the rest"
        );
    }
}

#[test]
fn the_stream_tools_report_a_cut_as_python_does() {
    let s = stream();
    let dir = tempfile::tempdir().unwrap();
    let mut compared = 0;
    for cut in cuts(&s, 5) {
        let input = &s[..cut];
        let path = write(dir.path(), &format!("cut-{cut}.subunit"), input);
        let file = path.to_str().unwrap();
        let what = format!("cut at {cut} of {}", s.len());

        for (tool, args) in [
            ("subunit-filter", vec![file]),
            ("subunit-filter", vec!["-s", file]),
        ] {
            let py = python(tool, &args, None);
            let us = ours(tool, &args, b"");
            assert_like_python(&format!("{tool} {what}"), &py, &us, input, None);
        }
        // python-subunit's subunit-tags reads standard input only.
        let py = python("subunit-tags", &["extra"], Some(&path));
        let us = ours("subunit-tags", &["extra"], input);
        assert_like_python(&format!("subunit-tags {what}"), &py, &us, input, None);

        let py = python("subunit-2to1", &[file], None);
        let us = ours("subunit-2to1", &[file], b"");
        assert_eq!(us.status.code(), py.status.code(), "subunit-2to1 {what}");
        assert_eq!(
            crate::convert::sort_tag_lines(&us.stdout),
            crate::convert::sort_tag_lines(&py.stdout),
            "subunit-2to1 {what}"
        );

        for args in [&[][..], &["--no-passthrough"]] {
            crate::stats::assert_same(&format!("subunit-stats {what}"), args, input);
            crate::csv::assert_same(&format!("subunit2csv {what}"), args, input);
            crate::junit::assert_same(&format!("subunit2junitxml {what}"), args, input);
        }
        for args in [&[][..], &["--times", "--exists"]] {
            crate::ls::assert_same(&format!("subunit-ls {what}"), args, input);
        }
        let cwd = tempfile::tempdir().unwrap();
        let stestr = trace::stestr(&path, &[], cwd.path());
        let stestr_err = String::from_utf8_lossy(&stestr.stderr);
        if stestr_err.contains("ValueError: max() arg is an empty")
            || stestr_err.contains("didn't actually run any tests")
        {
            // Where stestr finds no timed test (a cut in the first packets: only the parser's
            // report, or a test started without an end time) it prints no summary, or dies in
            // `max(stop_times)`; ours prints what stestr printed, then its summary
            // (DIFFERENCES.md, subunit-trace row 1: the tests did run).
            let us = trace::ours(&path, &[], cwd.path());
            assert_eq!(us.status.code(), Some(1), "subunit-trace {what}");
            assert!(
                us.stdout.starts_with(&stestr.stdout),
                "subunit-trace {what}"
            );
            assert!(
                String::from_utf8_lossy(&us.stdout).contains("\nRan: "),
                "subunit-trace {what}"
            );
        } else {
            for flags in [&[][..], &["--no-summary", "--fails"]] {
                crate::trace_golden::compare(
                    &format!("subunit-trace {what}"),
                    &path,
                    flags,
                    cwd.path(),
                )
                .unwrap();
            }
        }
        compared += 1;
    }
    assert!(compared >= 8, "only {compared} cuts compared");
}

#[test]
fn a_v1_stream_cut_mid_line_converts_as_python_does() {
    let v1: &[u8] = b"time: 2026-01-01 00:00:00.000000Z\ntest: a\nsuccess: a\ntest: b\n\
failure: b [ multipart\ntext/plain\ntraceback\n5\r\nboom\n0\r\n]\ntest: c\nskip: c [\nwhy\n]\n";
    let dir = tempfile::tempdir().unwrap();
    let (mut checked, mut crashed) = (0, 0);
    for cut in (1..v1.len()).step_by(7) {
        let input = &v1[..cut];
        let path = write(dir.path(), "cut.v1", input);
        let py = python("subunit-1to2", &[path.to_str().unwrap()], None);
        let us = ours("subunit-1to2", &[path.to_str().unwrap()], b"");
        let what = format!(
            "subunit-1to2 cut at {cut}: {:?}",
            String::from_utf8_lossy(input)
        );
        if String::from_utf8_lossy(&py.stderr).contains("Traceback") {
            // A `time:` line or a multipart header cut short: python dies with a traceback
            // (exit 1); we stop with one line naming the line (exit 2).
            let err = String::from_utf8_lossy(&us.stderr);
            assert_eq!(us.status.code(), Some(2), "{what}: {err}");
            assert!(
                err.starts_with("subunit-1to2: line ") && err.lines().count() == 1,
                "{what}: {err}"
            );
            crashed += 1;
            continue;
        }
        assert_like_python(&what, &py, &us, input, None);
        checked += 1;
    }
    assert!(
        checked >= 10,
        "only {checked} cuts compared ({crashed} crashed python)"
    );
}
