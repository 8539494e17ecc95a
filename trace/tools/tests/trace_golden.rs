//! Golden comparisons: our `subunit-trace` against stestr 4.2.1's `subunit_trace` (run through
//! the pinned Python environment), byte for byte on stdout and stderr and on the exit code, for
//! every sample stream (damaged ones included), for streams built for subunit-trace's cases,
//! and for generated runs with many workers. The differences `trace/DIFFERENCES.md` lists are
//! checked in `trace_differences.rs`, not skipped here.

use crate::common;

use std::path::Path;
use std::process::Output;

use common::trace::*;
use common::write;
use subunit_emitter::{Packet, Status};

/// Every flag combination compared, stdin only (python reads nothing else).
const FLAG_SETS: &[&[&str]] = &[
    &[],
    &["-f"],
    &["-n"],
    &["-a"],
    &["--failonly"],
    &["--failonly", "-f", "-n"],
    &["-a", "--no-summary"],
    &["--no-summary", "-f"],
    &["--all-attachments"],
    &["--suppress-attachments"],
    &["--show-binary-attachments", "-f"],
];

/// Samples python cannot read at all: python dies with a traceback (see the sample's notes and
/// DIFFERENCES.md); `trace_differences.rs` checks what each does.
const PYTHON_CRASHES: &[&str] = &["damaged-length-under-8"];

/// Lines where python prints the address of a `memoryview` for a binary chunk
/// (`<memory at 0x7f...>`) and we print the bytes' `repr`: the one normalisation applied.
fn normalise_binary(py: &[u8], ours: &[u8]) -> (String, String) {
    let mem = regex::Regex::new(r"^    <memory at 0x[0-9a-f]+>$").unwrap();
    let repr = regex::Regex::new(r#"^    b('.*'|".*")$"#).unwrap();
    let py = String::from_utf8_lossy(py).into_owned();
    let ours = String::from_utf8_lossy(ours).into_owned();
    let (pl, ol): (Vec<&str>, Vec<&str>) = (py.split('\n').collect(), ours.split('\n').collect());
    if pl.len() != ol.len() {
        return (py, ours);
    }
    let mut p2 = Vec::new();
    let mut o2 = Vec::new();
    for (p, o) in pl.iter().zip(&ol) {
        if mem.is_match(p) && repr.is_match(o) {
            p2.push("    <binary chunk>");
            o2.push("    <binary chunk>");
        } else {
            p2.push(p);
            o2.push(o);
        }
    }
    (p2.join("\n"), o2.join("\n"))
}

pub(crate) fn compare(
    label: &str,
    stream: &Path,
    flags: &[&str],
    cwd: &Path,
) -> Result<(), String> {
    let py = stestr(stream, flags, cwd);
    let ours = ours(stream, flags, cwd);
    let (py_out, our_out) = normalise_binary(&py.stdout, &ours.stdout);
    if py_out == our_out && py.stderr == ours.stderr && py.status.code() == ours.status.code() {
        Ok(())
    } else {
        Err(format!(
            "=== {label} {flags:?}\n--- stestr: {}\n--- ours: {}",
            show(&py),
            show(&ours)
        ))
    }
}

/// Compares every (stream, flags) pair on two threads and fails with every mismatch.
fn compare_all(cases: &[(String, std::path::PathBuf)], flag_sets: &[&[&str]], cwd: &Path) {
    let jobs: Vec<(&str, &Path, &[&str])> = cases
        .iter()
        .flat_map(|(l, p)| flag_sets.iter().map(move |f| (l.as_str(), p.as_path(), *f)))
        .collect();
    let failures: Vec<String> = std::thread::scope(|s| {
        let halves: Vec<_> = jobs
            .chunks(jobs.len().div_ceil(2).max(1))
            .map(|part| {
                s.spawn(move || {
                    part.iter()
                        .filter_map(|(l, p, f)| compare(l, p, f, cwd).err())
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        halves.into_iter().flat_map(|h| h.join().unwrap()).collect()
    });
    assert!(
        failures.is_empty(),
        "{} of {} comparisons differ:\n{}",
        failures.len(),
        jobs.len(),
        failures.join("\n")
    );
}

#[test]
fn every_sample_stream_matches_stestr() {
    let dir = tempfile::tempdir().unwrap();
    let cases: Vec<_> = subunit_samples::v2()
        .into_iter()
        .filter(|s| !PYTHON_CRASHES.contains(&s.name.as_str()))
        .map(|s| (s.name, s.path))
        .collect();
    assert!(cases.len() >= 9, "samples missing: {cases:?}");
    compare_all(&cases, FLAG_SETS, dir.path());
}

/// Streams for the cases subunit-trace handles specially.
fn built_streams() -> Vec<(&'static str, Vec<u8>)> {
    let t = TEXT;
    vec![
        ("reference-run", reference_run()),
        ("crashed-worker", crashed_worker_run()),
        // A charset among comma-joined parameters: decoded as python reads it (`abé`).
        ("latin1-comma-joined", latin1_traceback_run()),
        (
            // A worker's return code is counted but never printed; its failure fails the run.
            "process-returncode",
            Stream::new()
                .test("a.test_ok", Status::Success, (0, 10), 0, &[])
                .test(
                    "process-returncode",
                    Status::Fail,
                    (10, 10),
                    1,
                    &[("traceback", Some(t), &[b"returncode 3"])],
                )
                .build(),
        ),
        (
            // Tests announced first, as `stestr run --subunit` streams begin.
            "exists-first",
            Stream::new()
                .packet(Packet::status("x.a", Status::Exists))
                .packet(Packet::status("x.b", Status::Exists))
                .test("x.a", Status::Success, (0, 5), 0, &[])
                .test("x.b", Status::Skip, (5, 6), 0, &[])
                .build(),
        ),
        (
            // Output outside tests is copied through raw, in place.
            "stray-output",
            Stream::new()
                .raw(b"collecting tests...\n")
                .test("s.a", Status::Success, (0, 5), 0, &[])
                .packet(Packet::status("", Status::Undefined).with_file(
                    "log",
                    Some(t),
                    "global\n",
                    true,
                ))
                .raw(b"\xff\xfe not text\n")
                .test(
                    "s.b",
                    Status::Fail,
                    (5, 9),
                    0,
                    &[("stderr", Some(t), &[b"oops\n"])],
                )
                .build(),
        ),
        (
            // Chunks: one per line, an empty decode when a character is cut, a trailing
            // partial line; latin-1 without a charset; a text type spelt oddly.
            "chunked-text",
            Stream::new()
                .test(
                    "c.split_char",
                    Status::Fail,
                    (0, 1),
                    0,
                    &[
                        (
                            "traceback",
                            Some(TRACEBACK),
                            &[b"line one\n", b"caf\xc3", b"\xa9\n", b"no newline"],
                        ),
                        ("latin", Some("text/plain"), &[b"caf\xe9\n"]),
                        (
                            "odd",
                            Some("TEXT/Plain; Charset=\"UTF-8\""),
                            &[b"\xe2\x9c\x93\n"],
                        ),
                        ("json", Some("application/json"), &[b"{}"]),
                        ("empty", Some(t), &[b""]),
                    ],
                )
                .test(
                    "c.ok",
                    Status::Success,
                    (1, 2),
                    0,
                    &[("stdout", Some(t), &[b"a\n", b"b\n"])],
                )
                .build(),
        ),
        (
            // Skips with and without a reason; other statuses; a test that only got files.
            "odd-statuses",
            Stream::new()
                .test("o.skip_plain", Status::Skip, (0, 0), 0, &[])
                .test("o.pass", Status::Success, (0, 3), 0, &[])
                .file("o.files_only", "stdout", Some(t), b"orphan output\n")
                .build(),
        ),
        (
            // Route codes: the same id on two routes is two tests.
            "route-codes",
            Stream::new()
                .packet(
                    Packet::status("r.t", Status::InProgress)
                        .with_timestamp(at(0))
                        .with_route_code("0"),
                )
                .packet(
                    Packet::status("r.t", Status::InProgress)
                        .with_timestamp(at(1))
                        .with_route_code("1"),
                )
                .packet(
                    Packet::status("r.t", Status::Success)
                        .with_timestamp(at(4))
                        .with_route_code("1")
                        .with_tags(["worker-1"]),
                )
                .packet(
                    Packet::status("r.t", Status::Fail)
                        .with_timestamp(at(9))
                        .with_route_code("0")
                        .with_tags(["worker-0"]),
                )
                .build(),
        ),
        (
            // Long and backwards clocks: days in Worker Balance, negative durations.
            "clocks",
            Stream::new()
                .test("k.long", Status::Success, (0, 90_061_250), 3, &[])
                .test("k.backwards", Status::Success, (5_000, 4_500), 3, &[])
                .test("k.exact", Status::Success, (0, 2_000), 0, &[])
                .build(),
        ),
        (
            "all-skipped",
            Stream::new()
                .test(
                    "z.a",
                    Status::Skip,
                    (0, 1),
                    0,
                    &[("reason", Some(t), &[b"no"])],
                )
                .test("z.b", Status::Skip, (1, 2), 1, &[])
                .build(),
        ),
        ("empty", Vec::new()),
        ("not-subunit", b"just some text\n".to_vec()),
        (
            "only-exists",
            Stream::new()
                .packet(Packet::status("e.a", Status::Exists))
                .build(),
        ),
    ]
}

#[test]
fn built_streams_match_stestr() {
    let dir = tempfile::tempdir().unwrap();
    let cases: Vec<_> = built_streams()
        .into_iter()
        .map(|(name, bytes)| {
            let path = write(dir.path(), &format!("{name}.subunit"), &bytes);
            (name.to_owned(), path)
        })
        .collect();
    compare_all(&cases, FLAG_SETS, dir.path());
}

#[test]
fn generated_runs_with_many_workers_match_stestr() {
    let dir = tempfile::tempdir().unwrap();
    let cases: Vec<_> = [(3000, 16, 7), (500, 3, 11), (200, 40, 5)]
        .into_iter()
        .map(|(tests, workers, seed)| {
            let (_, bytes) = common::generated(tests, workers, seed);
            let name = format!("synthetic-{tests}-{workers}w-{seed}");
            let path = write(dir.path(), &format!("{name}.subunit"), &bytes);
            (name, path)
        })
        .collect();
    compare_all(
        &cases,
        &[
            &[],
            &["-f", "-n"],
            &["-a"],
            &["--failonly", "--all-attachments"],
        ],
        dir.path(),
    );
}

/// `-d` against a `.testrepository/times.dbm` written by python's `dbm.dumb`, with the empty
/// `times.dbm` file python needs before it will look (see DIFFERENCES.md). Without `-t`, where
/// python and we agree.
#[test]
fn perc_diff_matches_stestr_where_stestr_reads_the_times() {
    let dir = tempfile::tempdir().unwrap();
    let repo = dir.path().join(".testrepository");
    std::fs::create_dir(&repo).unwrap();
    let out = subunit_samples::python::env()
        .command()
        .arg("-c")
        .arg(
            "import dbm.dumb, sys\n\
             db = dbm.dumb.open(sys.argv[1], 'c')\n\
             db['pkg.tests.test_api.TestApi.test_create[id-1a2b3c,smoke]'] = '1.0'\n\
             db['pkg.tests.test_api.TestApi.test_delete'] = '1.0'\n\
             db['pkg.tests.test_api.TestApi.test_binary'] = '0.2995'\n\
             db['pkg.tests.test_api.TestApi.test_known_bug'] = '0.1'\n\
             db.close()\n",
        )
        .arg(repo.join("times.dbm"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", show(&out));
    std::fs::write(repo.join("times.dbm"), b"").unwrap();
    let stream = write(dir.path(), "run.subunit", &reference_run());
    compare("perc-diff", &stream, &["-d"], dir.path()).unwrap();
    compare("perc-diff", &stream, &["-d", "--failonly"], dir.path()).unwrap();
    let ours = ours(&stream, &["-d"], dir.path());
    let text = String::from_utf8(ours.stdout).unwrap();
    assert!(
        text.contains("test_create [1.250000s +25.00%] ... ok"),
        "{text}"
    );
    assert!(
        text.contains("test_delete [0.500000s -50.00%] ... ok"),
        "{text}"
    );
    // An unchanged time (0%) is not shown, as python's falsy 0.0 has it.
    assert!(text.contains("test_known_bug [0.100000s] ... ok"), "{text}");
}

#[test]
fn stestr_wrapper_really_runs_stestr() {
    // Guards the harness: the reference tool is stestr's, and it fails as documented when
    // `subunit.test_results` is not imported first.
    let dir = tempfile::tempdir().unwrap();
    let stream = write(dir.path(), "run.subunit", &reference_run());
    let env = subunit_samples::python::env();
    let bare: Output = env
        .command()
        .args(["-m", "stestr.subunit_trace"])
        .stdin(std::fs::File::open(&stream).unwrap())
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&bare.stderr);
    assert!(err.contains("has no attribute 'test_results'"), "{err}");
    let py = stestr(&stream, &[], dir.path());
    assert_eq!(py.status.code(), Some(1), "{}", show(&py));
    assert!(String::from_utf8_lossy(&py.stdout).contains("Worker Balance"));
}

#[test]
fn every_corpus_run_matches_stestr() {
    let dir = tempfile::tempdir().unwrap();
    let cases: Vec<(String, std::path::PathBuf)> = common::stream::corpus_inputs(dir.path())
        .into_iter()
        .map(|(name, path, _)| (name, path))
        .collect();
    compare_all(&cases, &[&[], &["--no-summary", "--fails"]], dir.path());
}

#[test]
fn a_charset_among_comma_joined_parameters_decodes_as_python_decodes_it() {
    let dir = tempfile::tempdir().unwrap();
    let stream = write(dir.path(), "latin1.subunit", &latin1_traceback_run());
    let out = ours(&stream, &[], dir.path());
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("ab\u{e9}\n"),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    compare("latin1", &stream, &[], dir.path()).unwrap();
}
