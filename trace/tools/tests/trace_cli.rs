//! `subunit-trace` as a command: exit codes, inputs, flags, colour choice, a closed pipe.

use crate::common;

use std::io::{Read, Write};
use std::process::{Command, Stdio};

use assert_cmd::Command as AssertCommand;
use common::trace::*;
use common::write;
use subunit_emitter::Status;

fn trace() -> AssertCommand {
    let mut cmd = AssertCommand::new(env!("CARGO_BIN_EXE_subunit-trace"));
    cmd.env_remove("TRACE_FAILONLY")
        .env_remove("NO_COLOR")
        .env_remove("CLICOLOR_FORCE")
        .env_remove("CLICOLOR");
    cmd
}

fn passing_run() -> Vec<u8> {
    Stream::new()
        .test("p.a", Status::Success, (0, 10), 0, &[])
        .test("p.b", Status::XFail, (10, 20), 1, &[])
        .build()
}

#[test]
fn the_five_exit_code_rules() {
    // Passed: 0.
    trace()
        .write_stdin(passing_run())
        .assert()
        .code(0)
        .stderr("");
    // No tests: 1, and the message.
    trace()
        .write_stdin(Vec::new())
        .assert()
        .code(1)
        .stdout("")
        .stderr("The test run didn't actually run any tests\n");
    // Nothing passed: 1.
    let skips = Stream::new()
        .test("s.a", Status::Skip, (0, 1), 0, &[])
        .build();
    trace()
        .write_stdin(skips)
        .assert()
        .code(1)
        .stderr("\nNo tests were successful during the run\n");
    // A test never ended: 1, naming it.
    trace()
        .write_stdin(crashed_worker_run())
        .assert()
        .code(1)
        .stderr(
            "\nThe following tests exited without returning a status\n\
         and likely segfaulted or crashed Python:\n\n\t* a.b.test_crash\n",
        );
    // A failure, or an unexpected success alone: 1, quietly.
    for status in [Status::Fail, Status::UxSuccess] {
        let run = Stream::new()
            .test("f.ok", Status::Success, (0, 1), 0, &[])
            .test("f.bad", status, (1, 2), 0, &[])
            .build();
        trace().write_stdin(run).assert().code(1).stderr("");
    }
}

#[test]
fn a_missing_file_is_one_line_and_status_2() {
    let dir = tempfile::tempdir().unwrap();
    common::assert_missing_file("subunit-trace", &dir.path().join("nope.subunit"));
}

#[test]
fn bad_arguments_are_status_2() {
    trace().arg("--no-such-flag").assert().code(2);
    trace().args(["-t", "lots"]).assert().code(2);
    trace()
        .args(["--suppress-attachments", "--all-attachments"])
        .assert()
        .code(2);
    trace().arg("--color=sometimes").assert().code(2);
}

#[test]
fn several_files_are_one_run_in_order() {
    let dir = tempfile::tempdir().unwrap();
    let a = write(
        dir.path(),
        "a",
        &Stream::new()
            .test("m.first", Status::Success, (0, 1), 0, &[])
            .build(),
    );
    let b = write(
        dir.path(),
        "b",
        &Stream::new()
            .test("m.second", Status::Success, (1, 2), 1, &[])
            .build(),
    );
    let out = trace()
        .arg(&a)
        .arg("-")
        .arg(&b)
        .write_stdin(b"between\n".to_vec())
        .assert()
        .code(0);
    let text = String::from_utf8(out.get_output().stdout.clone()).unwrap();
    assert!(
        text.starts_with(
            "{0} m.first [0.001000s] ... ok\nbetween\n{1} m.second [0.001000s] ... ok\n"
        ),
        "{text}"
    );
    assert!(text.contains("Ran: 2 tests in 0.0020 sec."), "{text}");
}

#[test]
fn trace_failonly_in_the_environment_turns_failonly_on_even_when_empty() {
    let run = Stream::new()
        .test("e.ok", Status::Success, (0, 1), 0, &[])
        .test("e.bad", Status::Fail, (1, 2), 0, &[])
        .build();
    let out = trace()
        .env("TRACE_FAILONLY", "")
        .write_stdin(run)
        .assert()
        .code(1);
    let text = String::from_utf8(out.get_output().stdout.clone()).unwrap();
    assert!(
        text.starts_with("{0} e.bad [0.001000s] ... FAILED\n"),
        "{text}"
    );
    assert!(!text.contains("e.ok"));
}

#[test]
fn colour_choice() {
    let green = "\x1b[32;1mok\x1b[0m";
    let run = passing_run;
    let out = |cmd: &mut AssertCommand| {
        String::from_utf8(
            cmd.write_stdin(run())
                .assert()
                .code(0)
                .get_output()
                .stdout
                .clone(),
        )
        .unwrap()
    };
    // Output to a pipe: auto (the default) and never are plain; bare --color and always colour.
    assert!(!out(&mut trace()).contains('\x1b'));
    assert!(!out(trace().arg("--color=never")).contains('\x1b'));
    assert!(out(trace().arg("--color")).contains(green));
    assert!(out(trace().arg("--color=always")).contains(green));
    // auto follows CLICOLOR_FORCE, and NO_COLOR wins over it; an explicit choice wins over both.
    assert!(out(trace().arg("--color=auto").env("CLICOLOR_FORCE", "1")).contains(green));
    assert!(!out(trace().env("CLICOLOR_FORCE", "1").env("NO_COLOR", "1")).contains('\x1b'));
    assert!(out(trace().arg("--color").env("NO_COLOR", "1")).contains(green));
    // A bare --color does not swallow the file after it.
    let dir = tempfile::tempdir().unwrap();
    let f = write(dir.path(), "run", &run());
    let text = String::from_utf8(
        trace()
            .arg("--color")
            .arg(&f)
            .assert()
            .code(0)
            .get_output()
            .stdout
            .clone(),
    )
    .unwrap();
    assert!(text.contains(green));
}

#[test]
fn long_options_may_be_abbreviated_as_argparse_allows() {
    let out = trace()
        .args(["--no-sum", "--abbrev"])
        .write_stdin(passing_run())
        .assert()
        .code(0);
    assert_eq!(out.get_output().stdout, b"..");
}

#[test]
fn help_documents_the_exit_codes() {
    let out = trace().arg("--help").assert().code(0);
    let text = String::from_utf8(out.get_output().stdout.clone()).unwrap();
    for needle in [
        "Exit status:",
        "  2  the tool could not work",
        "TRACE_FAILONLY",
        "--perc-diff",
    ] {
        assert!(text.contains(needle), "{needle:?} not in:\n{text}");
    }
}

#[test]
fn a_closed_pipe_downstream_ends_quietly_with_status_0() {
    // Enough tests that the output outlasts the pipe buffer of a reader that takes one line.
    let mut s = Stream::new();
    for i in 0..20_000u64 {
        s.test(
            &format!("pipe.test_{i}"),
            Status::Success,
            (i, i + 1),
            0,
            &[],
        );
    }
    let first = common::assert_closed_pipe_is_quiet("subunit-trace", &[], s.build(), 16);
    assert_eq!(&first, b"{0} pipe.test_0 ");
}

/// What the child has written so far, gathered by a thread, so a test can wait for output
/// with a deadline instead of blocking for ever on a tool that holds its lines back.
struct Watched {
    got: Vec<u8>,
    chunks: std::sync::mpsc::Receiver<Vec<u8>>,
}

impl Watched {
    fn new(mut out: impl Read + Send + 'static) -> Self {
        let (tx, chunks) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(n @ 1..) = out.read(&mut buf) {
                if tx.send(buf[..n].to_vec()).is_err() {
                    break;
                }
            }
        });
        Watched {
            got: Vec::new(),
            chunks,
        }
    }

    /// Waits (at most 20 seconds) until the output holds `want`; false if it never does.
    fn wait_for(&mut self, want: &str) -> bool {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
        while !String::from_utf8_lossy(&self.got).contains(want) {
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            match self.chunks.recv_timeout(left) {
                Ok(chunk) => self.got.extend(chunk),
                Err(_) => return false,
            }
        }
        true
    }
}

#[test]
fn each_test_is_written_the_moment_it_ends() {
    // Every line must reach the reader while the stream is still open, as soon as the test's
    // final status has been written and nothing more is at hand: a single test, a test whose
    // start and end come in separate writes, and the last of a burst too large for one
    // output buffer (which a tool that flushed only full buffers would hold back).
    let mut child = Command::new(env!("CARGO_BIN_EXE_subunit-trace"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let mut out = Watched::new(child.stdout.take().unwrap());
    let mut expect = |stdin: &mut std::process::ChildStdin, bytes: Vec<u8>, want: &str| {
        stdin.write_all(&bytes).unwrap();
        stdin.flush().unwrap();
        if !out.wait_for(want) {
            let _ = child.kill();
            panic!(
                "{want:?} did not arrive while the stream was open; got:\n{}",
                String::from_utf8_lossy(&out.got)
            );
        }
    };
    let one = Stream::new()
        .test("live.a", Status::Success, (0, 1), 0, &[])
        .build();
    expect(&mut stdin, one, "{0} live.a [0.001000s] ... ok\n");
    let started = Stream::new().start("live.b", 1).build();
    stdin.write_all(&started).unwrap();
    stdin.flush().unwrap();
    let ended = Stream::new()
        .end("live.b", Status::Fail, 3, Some(1))
        .build();
    expect(&mut stdin, ended, "{1} live.b [0.002000s] ... FAILED\n");
    let mut burst = Stream::new();
    for i in 0..3000u64 {
        burst.test(
            &format!("live.burst_{i}"),
            Status::Success,
            (i, i + 1),
            0,
            &[],
        );
    }
    expect(
        &mut stdin,
        burst.build(),
        "{0} live.burst_2999 [0.001000s] ... ok\n",
    );
    drop(stdin);
    let status = child.wait().unwrap();
    assert!(
        out.wait_for("Totals"),
        "{}",
        String::from_utf8_lossy(&out.got)
    );
    assert_eq!(status.code(), Some(1)); // live.b failed
}
