//! A stream cut mid-packet, for every tool that reads one: each complete packet before the cut
//! is kept, and the rest is reported as python-subunit 1.4.6 reports it (its `subunit.parser`
//! pseudo-test with "Short read"), the output and exit status compared with the Python tool's
//! (stestr's `subunit-trace` for ours) by each tool's own golden comparison, except where
//! DIFFERENCES.md already says how ours differs (a run with no timed test still ran). The cuts fall in
//! every part of a packet: the signature, the flags, the length, the body and the CRC, of
//! packets with and without a test id, attachment and tags. A v1 stream cut mid-line is
//! compared the same way with `subunit-1to2`; `subunit-store load` with `stestr load` (the
//! store's files and what `last` and `failing` print), `subunit2html` with os-testr's (counts
//! per class). `subunit-replay`, `subunit-diff` and `subunit-explore`, which have no Python
//! counterpart, are checked to keep every test of the whole packets and to exit as documented.

use subunit_parser::decode::Mode;
use subunit_parser::reader::PacketReader;

use crate::common::stream::{assert_like_python, python, synthetic};
use crate::common::{lossy, ours, trace, write};

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

/// `subunit-store load` of a cut stream against `stestr load` (4.2.1): the same load summary,
/// the same run file and failing list (the parser's pseudo-test stamped with the wall clock on
/// both sides, so times are masked), every time we record also stestr's, and the same
/// `last`, `last --no-subunit-trace`, `failing` and `failing --list`. stestr's `load` exits 0;
/// ours 1, the run having failed (DIFFERENCES.md, `subunit-store`).
#[test]
fn the_store_loads_a_cut_stream_as_stestr_does() {
    use crate::store_stestr::{
        assert_same_output, assert_times_subset, mask_clock, ours, same_file, sort_tags, stestr,
        text,
    };
    let s = stream();
    let (mut compared, mut early) = (0, 0);
    // Two of the five cuts in every sixth packet: stestr is slow to start.
    for cut in cuts(&s, 6).into_iter().step_by(2) {
        let input = &s[..cut];
        // "damaged": assert_same_output masks the clock of such runs.
        let what = format!("damaged stream cut at {cut} of {}", s.len());
        let theirs = tempfile::tempdir().unwrap();
        let mine = tempfile::tempdir().unwrap();
        assert!(stestr(theirs.path(), &["init"], b"").status.success());
        assert!(ours(mine.path(), &["init"], b"").status.success());
        let a = stestr(theirs.path(), &["load"], input);
        let b = ours(mine.path(), &["load"], input);
        assert_eq!(a.status.code(), Some(0), "{what}: {}", text(&a));
        assert_eq!(b.status.code(), Some(1), "{what}: {}", text(&b));
        let masked = |o: &std::process::Output| mask_clock(&sort_tags(&lossy(&o.stdout)));
        assert_eq!(masked(&a), masked(&b), "{what}: load output");
        for f in ["format", "next-stream", "0", "failing"] {
            let read = |d: &tempfile::TempDir| {
                std::fs::read(d.path().join(".stestr").join(f))
                    .unwrap_or_else(|e| panic!("{what}: {f}: {e}"))
            };
            assert_eq!(
                sort_tags(&mask_clock(&lossy(&read(&theirs)))),
                sort_tags(&mask_clock(&lossy(&read(&mine)))),
                "{what}: .stestr/{f}"
            );
        }
        if !same_file(&theirs, &mine, "times.dbm.dat") {
            assert_times_subset(&what, &theirs, &mine);
        }
        for args in [
            &["last"][..],
            &["last", "--no-subunit-trace"],
            &["failing"],
            &["failing", "--list"],
        ] {
            let mut reference = stestr(theirs.path(), args, b"");
            let mine = ours(mine.path(), args, b"");
            let said = lossy(&reference.stdout);
            if args == ["failing"]
                && said.contains(" tests in 0.000s\n")
                && !lossy(&mine.stdout).contains(" tests in ")
            {
                // Nothing timed before the cut: python stamps the parser's pseudo-test's two
                // events with two readings of its wall clock, some microseconds apart, so its
                // failing run took time; ours stamps both with one (DIFFERENCES.md,
                // `subunit-store`). Python's line without the time is ours.
                early += 1;
                reference.stdout = said.replace(" tests in 0.000s\n", " tests\n").into_bytes();
            }
            assert_same_output(&format!("{what}: {}", args.join(" ")), &reference, &mine);
        }
        compared += 1;
    }
    assert!(compared >= 4, "only {compared} cuts compared");
    assert!(
        early < compared,
        "{early} of {compared} cuts with nothing timed before"
    );
}

/// `subunit2html` on a cut stream against os-testr 3.0.0's: the failed ids it prints and the
/// counts per class (its documented bugs applied, as `html::os_testr_counts_the_same_...`),
/// our page read as written (its tables are in the HTML, no script builds them).
#[test]
fn subunit2html_counts_a_cut_stream_as_os_testr_does() {
    let s = stream();
    let dir = tempfile::tempdir().unwrap();
    let mut compared = 0;
    for cut in cuts(&s, 6) {
        let name = format!("cut-{cut}");
        crate::html::assert_counts_like_os_testr(&name, dir.path(), &s[..cut], 1, |page| {
            let html = std::fs::read_to_string(page).unwrap();
            // Every test row is read (none hidden by paging in so small a run).
            assert_eq!(
                crate::html::listed(&html).len(),
                html.matches("<li class=\"t s-").count(),
                "{name}: every row read"
            );
            html
        });
        compared += 1;
    }
    assert!(compared >= 4, "only {compared} cuts compared");
}

/// `subunit-replay`, `subunit-diff` and `subunit-explore` (no Python counterpart) on a stream
/// cut inside a packet, against the same stream cut at the end of its last whole packet: replay
/// copies the cut stream byte for byte (exit 0); diff finds every test of the whole packets
/// with its status and time (those in progress still failing), the parser's failure as the one
/// change (an added failing test: exit 1); explore's summary and failing list are the whole packets' plus that failure
/// (exit 0).
#[test]
fn replay_diff_and_explore_keep_every_complete_test_of_a_cut_stream() {
    let s = stream();
    let at = boundaries(&s);
    let dir = tempfile::tempdir().unwrap();
    let explore = |file: &std::path::Path| {
        let mut cmd = crate::common::our_command("subunit-explore");
        cmd.arg(file)
            .env("XDG_STATE_HOME", dir.path().join("state"));
        let out = crate::common::feed(cmd, b"summary\nfailing\n");
        assert_eq!(
            out.status.code(),
            Some(0),
            "explore {file:?}: {}",
            lossy(&out.stderr)
        );
        lossy(&out.stdout)
    };
    // explore's summary figures, and the rest (the failing list) line by line.
    let figures = |text: &str| -> (Vec<(String, i64)>, Vec<String>) {
        let mut figures = Vec::new();
        let mut rest = Vec::new();
        for line in text.lines() {
            match line
                .trim()
                .split_once(": ")
                .map(|(k, v)| (k, v.parse::<i64>()))
            {
                Some((k, Ok(n))) => figures.push((k.to_owned(), n)),
                Some(_) => {}
                None => rest.push(line.to_owned()),
            }
        }
        (figures, rest)
    };
    let mut compared = 0;
    for cut in cuts(&s, 2) {
        let whole = at[at.iter().filter(|&&b| b <= cut).count() - 1];
        if whole == 0 {
            continue;
        }
        let what = format!("cut at {cut}, whole packets to {whole}");
        let cut_file = write(dir.path(), "cut.subunit", &s[..cut]);
        let whole_file = write(dir.path(), "whole.subunit", &s[..whole]);

        let out = ours("subunit-replay", &[cut_file.to_str().unwrap()], b"");
        assert_eq!(out.status.code(), Some(0), "replay {what}");
        assert!(out.stdout == s[..cut], "replay {what}: not a copy");

        let out = ours(
            "subunit-diff",
            &[
                whole_file.to_str().unwrap(),
                cut_file.to_str().unwrap(),
                "--json",
            ],
            b"",
        );
        assert_eq!(
            out.status.code(),
            Some(1),
            "diff {what}: {}",
            lossy(&out.stderr)
        );
        let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        for (key, list) in doc.as_object().unwrap() {
            let Some(list) = list.as_array() else {
                continue;
            };
            if key == "added" {
                assert_eq!(list.len(), 1, "diff {what}: {list:?}");
                assert_eq!(list[0]["id"], "subunit.parser", "diff {what}");
                assert_eq!(list[0]["new_status"], "fail", "diff {what}");
            } else if key == "still_failing" {
                // Tests in progress at the end of the whole packets: the same in both.
                for t in list {
                    assert_eq!(t["old_status"], t["new_status"], "diff {what}: {t}");
                    assert_eq!(t["failure_changed"], false, "diff {what}: {t}");
                }
            } else {
                assert!(list.is_empty(), "diff {what}: {key} {list:?}");
            }
        }
        let (old, new) = (&doc["old"]["totals"], &doc["new"]["totals"]);
        assert_eq!(
            new["tests_run"],
            old["tests_run"].as_u64().unwrap() + 1,
            "{what}"
        );
        assert_eq!(
            new["failures"],
            old["failures"].as_u64().unwrap() + 1,
            "{what}"
        );
        assert_eq!(new["seconds"], old["seconds"], "diff {what}");

        let (cut_figures, cut_rest) = figures(&explore(&cut_file));
        let (whole_figures, whole_rest) = figures(&explore(&whole_file));
        let plus_parser: Vec<(String, i64)> = whole_figures
            .into_iter()
            .map(|(k, n)| match k.as_str() {
                "tests" | "failed" => (k, n + 1),
                _ => (k, n),
            })
            .collect();
        assert_eq!(cut_figures, plus_parser, "explore {what}");
        let mut expected: Vec<String> = whole_rest
            .into_iter()
            .filter(|l| !l.starts_with("result: "))
            .collect();
        expected.push("fail subunit.parser".to_owned());
        let got: Vec<String> = cut_rest
            .into_iter()
            .filter(|l| !l.starts_with("result: "))
            .collect();
        assert_eq!(got, expected, "explore {what}");
        compared += 1;
    }
    assert!(compared >= 20, "only {compared} cuts compared");
}
