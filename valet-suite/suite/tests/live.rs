//! `valet-suite run` without `--subunit`: the live trace is subunit-trace's sink reading the
//! very stream the run writes, so it prints what `valet-suite run --subunit | subunit-trace`
//! prints, line by line as tests end, and exits by the run's own rules.
//!
//! The reference subunit-trace is stestr 4.2.1's `subunit_trace` from the pinned environment of
//! the samples crate (made on first use; a missing environment fails the test), and the trace
//! library read over the whole `--subunit` stream at once, as the `subunit-trace` binary reads
//! it. The two runs take different times, so durations are masked before comparing.

use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, ChildStdout, Command, Output, Stdio};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use regex::Regex;
use tempest_framework::live::{Trace, TraceOptions};
use tempest_framework::{Config, Failure, RunOptions, Selection, Suite, TestClass, TestDef};

fn valet_command(args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_valet-suite"));
    // The example suite unless another is named (the default suite is the Valet one).
    if !args.contains(&"--suite") {
        cmd.args(["--suite", "examples"]);
    }
    cmd.args(args)
        .env_remove("OS_TEST_TIMEOUT")
        .env_remove("TEMPEST_CONFIG_DIR")
        .env_remove("TEMPEST_CONFIG")
        .env_remove("NO_COLOR")
        .env_remove("CLICOLOR_FORCE")
        .env_remove("CLICOLOR")
        .env_remove("TRACE_FAILONLY");
    cmd
}

fn valet(args: &[&str]) -> Output {
    valet_command(args)
        .stdin(Stdio::null())
        .output()
        .expect("valet-suite runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8(bytes.to_vec()).expect("UTF-8 output")
}

/// The output with every duration replaced by `D`: the per-test `[1.234567s]`, the run's
/// elapsed and summed times, and each worker's span.
fn masked(out: &str) -> String {
    let rules = [
        (r"\[\d+\.\d{6}s\]", "[Ds]"),
        (r"(?m)^(Ran: \d+ tests in )\d+\.\d{4}( sec\.)$", "${1}D${2}"),
        (
            r"(?m)^(Sum of execute time for each test: )\d+\.\d{4}( sec\.)$",
            "${1}D${2}",
        ),
        (
            r"(?m)^( - Worker \d+ \(\d+ tests\) => )\d+:\d\d:\d\d(\.\d{6})?$",
            "${1}D",
        ),
    ];
    let mut s = out.to_owned();
    for (re, with) in rules {
        s = Regex::new(re).unwrap().replace_all(&s, with).into_owned();
    }
    s
}

/// stestr 4.2.1's `subunit_trace` (it crashes unless `subunit.test_results` is imported first).
const STESTR_TRACE: &str = r#"
import sys
import subunit.test_results
from stestr import subunit_trace as st
sys.argv = ["subunit-trace"] + sys.argv[1:]
args = st.parse_args()
sys.exit(st.trace(sys.stdin, sys.stdout, args.print_failures, args.failonly,
                  args.enable_diff, args.abbreviate, args.color, args.post_fails,
                  args.no_summary))
"#;

fn stestr_trace(stream: &[u8]) -> Output {
    let mut child = subunit_samples::python::env()
        .command()
        .args(["-c", STESTR_TRACE])
        .env_remove("TRACE_FAILONLY")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("python starts");
    let mut stdin = child.stdin.take().unwrap();
    let bytes = stream.to_vec();
    let feeder = std::thread::spawn(move || stdin.write_all(&bytes));
    let out = child.wait_with_output().unwrap();
    feeder.join().unwrap().unwrap();
    out
}

/// The trace library over the whole stream, as the `subunit-trace` binary runs it: output,
/// stderr and exit code.
fn library_trace(stream: &[u8], opts: TraceOptions) -> (String, String, u8) {
    let out = Arc::new(Mutex::new(Vec::new()));
    let mut err = Vec::new();
    let verdict = Trace::new(Shared(Arc::clone(&out)), opts)
        .run(stream, &mut err)
        .unwrap();
    let code = u8::from(!verdict.is_passed());
    let out = out.lock().unwrap().clone();
    (text(&out), text(&err), code)
}

/// A writer whose bytes the test can read while it is in use.
#[derive(Clone)]
struct Shared(Arc<Mutex<Vec<u8>>>);

impl Write for Shared {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[test]
fn run_prints_what_subunit_trace_prints_of_its_stream() {
    // (suite, selection, our exit code, stestr's). Serial, so both runs print in one order.
    let cases: [(&str, &[&str], i32, i32); 5] = [
        // The whole failure table: class pseudo-tests, tracebacks, skips, a panic.
        ("examples", &[], 1, 1),
        // Passes and a skip with its reason.
        ("examples", &["-r", r"\.Clean\. Attrs"], 0, 0),
        ("synthetic:6:5:3", &[], 1, 1),
        // Every result a skip: the run's rule says success (nothing failed), stestr's says
        // "No tests were successful during the run". DIFFERENCES.md.
        ("examples", &["-r", r"life\.Skipped\."], 0, 1),
        ("examples", &["--smoke"], 0, 0),
    ];
    for (suite, select, code, stestr_code) in cases {
        let mut args = vec!["--suite", suite, "run", "-w", "1"];
        args.extend_from_slice(select);
        let shown = valet(&args);
        args.push("--subunit");
        let stream = valet(&args);
        let what = format!("{args:?}");
        assert_eq!(shown.status.code(), Some(code), "{what}");
        assert_eq!(stream.status.code(), Some(code), "{what}");
        let ours = masked(&text(&shown.stdout));
        assert!(ours.contains("\nTotals\n"), "{what}: {ours}");

        let py = stestr_trace(&stream.stdout);
        assert_eq!(
            py.status.code(),
            Some(stestr_code),
            "{what}: {}",
            text(&py.stderr)
        );
        assert_eq!(ours, masked(&text(&py.stdout)), "{what}: against stestr");

        let (lib, lib_err, lib_code) = library_trace(&stream.stdout, TraceOptions::default());
        assert_eq!(ours, masked(&lib), "{what}: against the trace library");
        assert_eq!(i32::from(lib_code), stestr_code, "{what}");
        // stestr's closing verdict reaches stderr as subunit-trace writes it.
        assert!(text(&shown.stderr).contains(&lib_err), "{what}");
    }
}

#[test]
fn concurrent_runs_print_the_same_lines_as_subunit_trace() {
    let args = ["--suite", "synthetic:12:4:3", "run", "-w", "3"];
    let shown = valet(&args);
    let stream = valet(&[&args[..], &["--subunit"]].concat());
    assert_eq!(
        (shown.status.code(), stream.status.code()),
        (Some(1), Some(1))
    );
    // Workers interleave differently in the two runs; each line is the same.
    let sorted = |s: &str| {
        let mut lines: Vec<String> = masked(s).lines().map(str::to_owned).collect();
        lines.sort();
        lines
    };
    let ours = sorted(&text(&shown.stdout));
    assert_eq!(
        ours,
        sorted(&text(&stestr_trace(&stream.stdout).stdout)),
        "against stestr"
    );
    for w in 0..3 {
        assert!(
            ours.contains(&format!(" - Worker {w} (16 tests) => D")),
            "{ours:#?}"
        );
    }
}

/// `valet-suite --suite SUITE run -w 1` started with stdout and stderr piped: the child, its
/// stdout and the first line read from it.
fn first_line_of_one_worker(suite: &str) -> (Child, BufReader<ChildStdout>, String) {
    let mut child = valet_command(&["--suite", suite, "run", "-w", "1"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut first = String::new();
    out.read_line(&mut first).unwrap();
    (child, out, first)
}

#[test]
fn lines_appear_as_tests_end() {
    // Three tests of a second each, serially: the first line is out a second in, the run ends
    // two seconds later.
    let (mut child, mut out, first) = first_line_of_one_worker("synthetic:1:3:0:1000");
    let seen = Instant::now();
    assert!(
        Regex::new(
            r"^\{0\} synthetic\.test_mod0\.Class00000\.test_ok_00000 \[1\.\d{6}s\] \.\.\. ok\n$"
        )
        .unwrap()
        .is_match(&first),
        "{first:?}"
    );
    assert!(
        child.try_wait().unwrap().is_none(),
        "the run was still going"
    );
    let mut rest = String::new();
    out.read_to_string(&mut rest).unwrap();
    let status = child.wait().unwrap();
    let left = seen.elapsed();
    assert!(
        left >= Duration::from_millis(1500),
        "{left:?} after the first line"
    );
    assert_eq!(status.code(), Some(0));
    assert_eq!(rest.matches("... ok\n").count(), 2, "{rest}");
}

/// A class whose second test passes only once the first test's line has reached the output.
struct Watched {
    out: Arc<(Mutex<Vec<u8>>, Condvar)>,
}

impl TestClass for Watched {
    fn module(&self) -> &str {
        "demo.test_live"
    }
    fn name(&self) -> &str {
        "Watched"
    }
    fn tests(&self) -> Vec<TestDef<Self>> {
        vec![
            TestDef::new("test_a_first", |_, _| Ok(())),
            TestDef::new("test_b_sees_the_first_line", |c: &Watched, _| {
                let (lock, shown) = &*c.out;
                let want = "{0} demo.test_live.Watched.test_a_first [";
                let (out, timeout) = shown
                    .wait_timeout_while(lock.lock().unwrap(), Duration::from_secs(20), |o| {
                        !String::from_utf8_lossy(o).contains(want)
                    })
                    .unwrap();
                if timeout.timed_out() {
                    return Err(Failure::runtime(format!(
                        "the first test's line was not shown while the run went on: {:?}",
                        String::from_utf8_lossy(&out)
                    )));
                }
                Ok(())
            }),
        ]
    }
}

/// Output that wakes the watching test at every write.
struct Notifying(Arc<(Mutex<Vec<u8>>, Condvar)>);

impl Write for Notifying {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let (lock, shown) = &*self.0;
        lock.lock().unwrap().extend_from_slice(buf);
        shown.notify_all();
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[test]
fn a_test_can_see_the_line_of_the_test_before_it() {
    let out = Arc::new((Mutex::new(Vec::new()), Condvar::new()));
    let mut suite = Suite::new();
    suite
        .add(Watched {
            out: Arc::clone(&out),
        })
        .unwrap();
    let opts = RunOptions {
        worker_tags: true,
        ..RunOptions::default()
    };
    let trace = Trace::new(Notifying(Arc::clone(&out)), TraceOptions::default()).live(true);
    let mut err = Vec::new();
    let traced = tempest_framework::live::run_traced(
        &suite,
        &Selection::all(&suite),
        Arc::new(Config::new()),
        &opts,
        trace,
        &mut err,
    )
    .unwrap();
    let shown = text(&out.0.lock().unwrap());
    assert!(traced.summary.passed(), "{shown}");
    assert_eq!(traced.trace_code, 0, "{}", text(&err));
    assert_eq!(shown.matches(" ... ok\n").count(), 2, "{shown}");
}

#[test]
fn colour_is_subunit_traces() {
    let select = ["run", "-w", "1", "-r", r"\.Clean\. ErrTest\. Skipped\.test"];
    let stream = valet(&[&select[..], &["--subunit"]].concat()).stdout;
    let (coloured, _, _) = library_trace(
        &stream,
        TraceOptions {
            color: true,
            ..TraceOptions::default()
        },
    );
    let (plain, _, _) = library_trace(&stream, TraceOptions::default());
    assert!(coloured.contains("\x1b[32;1mok\x1b[0m"), "{coloured}");
    assert!(coloured.contains("\x1b[31;1mFAILED\x1b[0m"), "{coloured}");
    for (flag, want) in [
        ("--color=always", &coloured),
        ("--color", &coloured),
        ("--color=never", &plain),
        // Standard output is a pipe here: auto does not colour.
        ("--color=auto", &plain),
    ] {
        let o = valet(&[&select[..], &[flag]].concat());
        assert_eq!(o.status.code(), Some(1), "{flag}");
        assert_eq!(masked(&text(&o.stdout)), masked(want), "{flag}");
    }
    let forced = valet_command(&select)
        .env("CLICOLOR_FORCE", "1")
        .output()
        .unwrap();
    assert_eq!(masked(&text(&forced.stdout)), masked(&coloured));
    let o = valet(&["run", "--subunit", "--color=always"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o.stderr));
}

#[test]
fn exit_codes_are_the_runs() {
    let code = |args: &[&str]| valet(args).status.code();
    assert_eq!(code(&["run", "-r", r"\.Clean\."]), Some(0));
    assert_eq!(code(&["run", "-r", r"\.ErrTest\."]), Some(1));
    assert_eq!(code(&["run", "-r", r"life\.Skipped\."]), Some(0));
    assert_eq!(code(&["run", "-r", "nothing-matches"]), Some(1));
    assert_eq!(code(&["run", "-r", "ok ("]), Some(5));
    assert_eq!(code(&["run", "--partition", "hash:5/4"]), Some(2));
}

#[test]
fn a_reader_that_goes_away_ends_the_run_quietly() {
    let (child, out, _) = first_line_of_one_worker("synthetic:1:20:0:100");
    drop(out);
    let started = Instant::now();
    let o = child.wait_with_output().unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert!(
        !text(&o.stderr).contains("valet-suite:"),
        "{}",
        text(&o.stderr)
    );
    // It stopped at the next test instead of running the other eighteen.
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "{:?}",
        started.elapsed()
    );
}
