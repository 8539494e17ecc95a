//! What the integration tests share: running our binaries and python's tools, the checks of
//! the command-line contract every tool keeps (a missing file is one line and status 2, a
//! closed pipe downstream is status 0 and quiet), and the comparison helpers of the golden
//! tests (`stream` for the tools that write subunit, `trace` for subunit-trace's streams).
//!
//! A module of the one test binary (`main.rs`); each test module uses it as `crate::common`.
#![allow(dead_code)]

pub mod stream;
pub mod trace;

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use subunit_samples::python;
use subunit_samples::synthetic::{RunCounts, RunSpec, write_run};

/// Runs `cmd` with `stdin` written to it by a thread (a write error, the tool having gone
/// away, is ignored) and collects its output.
pub fn feed(mut cmd: Command, stdin: &[u8]) -> Output {
    cmd.stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("the command starts");
    let mut input = child.stdin.take().unwrap();
    std::thread::scope(|s| {
        s.spawn(move || {
            let _ = std::io::Write::write_all(&mut input, stdin);
        });
        child.wait_with_output().unwrap()
    })
}

/// Our binary `tool`.
pub fn our_command(tool: &str) -> Command {
    Command::new(assert_cmd::cargo::cargo_bin(tool))
}

/// Runs our binary `tool` with `args`, `stdin` on its standard input.
pub fn ours(tool: &str, args: &[&str], stdin: &[u8]) -> Output {
    let mut cmd = our_command(tool);
    cmd.args(args);
    feed(cmd, stdin)
}

/// Runs `cmd` with the file `stdin_file` as its standard input (a regular file, so python
/// batches stray bytes as it does for a file), or an empty one when none is given.
pub fn run_on_file(mut cmd: Command, stdin_file: Option<&Path>) -> Output {
    match stdin_file {
        Some(p) => cmd.stdin(std::fs::File::open(p).expect("the input exists")),
        None => cmd.stdin(Stdio::null()),
    };
    cmd.stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .output()
        .expect("the command starts")
}

/// Writes `bytes` to a fresh file in `dir`.
pub fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, bytes).expect("writable temp dir");
    p
}

/// A generated run of `tests` tests over `workers` workers.
pub fn generated(tests: usize, workers: usize, seed: u64) -> (RunCounts, Vec<u8>) {
    write_run(
        RunSpec {
            tests,
            workers,
            seed,
        },
        Vec::new(),
    )
    .unwrap()
}

/// Whether any packet of the stream carries two or more tags (python re-encodes a tag set in
/// its hash order, so forwarded bytes may differ from ours in tag order only).
pub fn has_tags(stream: &[u8]) -> bool {
    let mut reader = subunit_parser::events::EventReader::new(stream);
    while let Some(e) = reader.next_event().unwrap() {
        if e.tags.is_some_and(|t| t.len() > 1) {
            return true;
        }
    }
    false
}

/// The flag sets of python's `run_filter_script` tools that the golden tests compare.
pub const FILTER_FLAGS: [&[&str]; 4] = [
    &[],
    &["--no-passthrough"],
    &["-f"],
    &["-f", "--no-passthrough"],
];

/// How python's tool gets the stream.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Feed {
    /// On a pipe.
    Pipe,
    /// In a file named as the last argument: on a pipe python batches stray bytes by timing
    /// (DIFFERENCES.md, common section), which a re-encoded passthrough would show.
    File,
}

/// What runs python's tool (its path and arguments follow) as its `__main__`, after the
/// code of a mend.
const RUN_TOOL: &str = r#"
import runpy, sys
tool = sys.argv[1]
sys.argv = [tool] + sys.argv[2:]
runpy.run_path(tool, run_name="__main__")
"#;

/// python-subunit's `tool` (pinned environment) with `args` on `stream`. With `mend`, the
/// python code given is run first: it patches a crash of the tool the way its code means.
pub fn python_tool(
    tool: &str,
    args: &[&str],
    stream: &[u8],
    how: Feed,
    mend: Option<&str>,
) -> Output {
    let env = python::env();
    let dir = tempfile::tempdir().unwrap();
    let mut args: Vec<&str> = args.to_vec();
    let mut stream = stream;
    let path;
    if how == Feed::File {
        path = write(dir.path(), "in.subunit", stream);
        args.push(path.to_str().unwrap());
        stream = b"";
    }
    match mend {
        Some(mend) => {
            let script = format!("{mend}{RUN_TOOL}");
            let bin = env.bin(tool);
            let mut cmd = env.command();
            cmd.args(["-c", &script, bin.to_str().unwrap()]).args(&args);
            feed(cmd, stream)
        }
        None => env.run_tool(tool, &args, stream),
    }
}

/// python's `tool` on `stream`, and when it died with `crash` in its stderr, again with the
/// crash mended by `mend` (which must then run clean). Returns the output to compare with
/// and whether python crashed.
pub fn python_mended(
    what: &str,
    tool: &str,
    args: &[&str],
    stream: &[u8],
    how: Feed,
    (crash, mend): (&str, &str),
) -> (Output, bool) {
    let plain = python_tool(tool, args, stream, how, None);
    let crashed = String::from_utf8_lossy(&plain.stderr).contains(crash);
    assert!(
        plain.stderr.is_empty() || crashed,
        "{what} {args:?}: python failed: {}",
        String::from_utf8_lossy(&plain.stderr)
    );
    if !crashed {
        return (plain, false);
    }
    let mended = python_tool(tool, args, stream, how, Some(mend));
    assert!(
        mended.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&mended.stderr)
    );
    (mended, true)
}

/// Standard output as text, for comparing with a readable failure.
pub fn lossy(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Asserts our run printed what python's did (compared as `shown` renders it), exited with
/// its code, and wrote nothing on stderr.
pub fn assert_same_as_python(
    what: &str,
    args: &[&str],
    mine: &Output,
    theirs: &Output,
    shown: impl Fn(&[u8]) -> String,
) {
    assert_eq!(
        shown(&mine.stdout),
        shown(&theirs.stdout),
        "{what} {args:?}: output differs"
    );
    assert_eq!(
        mine.status.code(),
        theirs.status.code(),
        "{what} {args:?}: exit code"
    );
    assert!(
        mine.stderr.is_empty(),
        "{what}: {}",
        String::from_utf8_lossy(&mine.stderr)
    );
}

/// Runs our `tool` with `args`, `-o FILE` and the stream file `input`; returns its output and
/// what it wrote to FILE.
pub fn output_to(tool: &str, args: &[&str], input: &Path) -> (Output, Vec<u8>) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("out");
    let out = our_command(tool)
        .args(args)
        .arg("-o")
        .arg(&file)
        .arg(input)
        .output()
        .unwrap();
    let written = std::fs::read(&file).unwrap();
    (out, written)
}

/// Asserts our `tool` given the missing file `path` exits 2, writes nothing on stdout and
/// one line on stderr, `TOOL: PATH: why`.
pub fn assert_missing_file(tool: &str, path: &Path) {
    let out = ours(tool, &[path.to_str().unwrap()], b"");
    assert_eq!(out.status.code(), Some(2), "{tool}");
    assert!(out.stdout.is_empty(), "{tool}");
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.starts_with(&format!("{tool}: {}: ", path.display())),
        "{err}"
    );
}

/// Runs our `tool` with `args` and `stdin`, reads the first `n` bytes of its output and
/// closes the pipe; asserts the tool ends with status 0 and nothing on stderr. Returns the
/// bytes read.
pub fn assert_closed_pipe_is_quiet(tool: &str, args: &[&str], stdin: Vec<u8>, n: usize) -> Vec<u8> {
    let mut child = our_command(tool)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut input = child.stdin.take().unwrap();
    let feeder = std::thread::spawn(move || {
        let _ = std::io::Write::write_all(&mut input, &stdin);
    });
    let mut stdout = child.stdout.take().unwrap();
    let mut first = vec![0u8; n];
    stdout.read_exact(&mut first).unwrap();
    drop(stdout);
    let out = child.wait_with_output().unwrap();
    feeder.join().unwrap();
    assert_eq!(out.status.code(), Some(0), "{tool}");
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    first
}

/// [`assert_closed_pipe_is_quiet`] with `stream` in a file named after `args`.
pub fn assert_closed_pipe_on_file(tool: &str, args: &[&str], stream: &[u8], n: usize) {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "run.subunit", stream);
    let mut full: Vec<&str> = args.to_vec();
    full.push(path.to_str().unwrap());
    assert_closed_pipe_is_quiet(tool, &full, Vec::new(), n);
}

/// [`assert_closed_pipe_on_file`] with a generated run of `tests` tests, reading 64 bytes.
pub fn assert_closed_pipe_on_run(tool: &str, tests: usize) {
    let (_, bytes) = write_run(RunSpec::new(tests), Vec::new()).unwrap();
    assert_closed_pipe_on_file(tool, &[], &bytes, 64);
}

/// Every run of the real-run corpus (`samples/corpus/`) as a v2 stream: its name and the v1
/// text converted by our `v1_to_v2` (python's `subunit-1to2` bytes, checked in the parser's
/// tests). Packets before a file's first `time:` line carry the conversion's wall clock; both
/// tools read the same bytes. The three files python's converter gives up on (and ours with
/// it, at the same line: the parser's corpus test) are left out: no python tool sees them.
pub fn corpus_v2() -> Vec<(String, Vec<u8>)> {
    let runs: Vec<(String, Vec<u8>)> = subunit_samples::corpus()
        .into_iter()
        .filter_map(|run| {
            let v1 = std::fs::read(run.file()).unwrap();
            let mut v2 = Vec::new();
            subunit_parser::v1::v1_to_v2(&v1[..], &mut v2, subunit_parser::v1::PlainLines::Raw)
                .ok()?;
            Some((run.name, v2))
        })
        .collect();
    assert!(runs.len() >= 25, "only {} corpus runs convert", runs.len());
    runs
}

/// Runs `assert_same(name, flags, stream)` on every corpus run with every set of
/// [`FILTER_FLAGS`], but `-f` on runs with tags (python forwards several tags in its set's
/// order, DIFFERENCES.md).
pub fn on_corpus_with_filter_flags(assert_same: impl Fn(&str, &[&str], &[u8])) {
    for (name, bytes) in corpus_v2() {
        for args in FILTER_FLAGS {
            if args.contains(&"-f") && has_tags(&bytes) {
                continue;
            }
            assert_same(&name, args, &bytes);
        }
    }
}

/// The number of tests in stored run `id`, every one finished.
pub fn whole_tests(store: &subunit_runs::store::Store, id: u64) -> usize {
    let mut fold = subunit_parser::fold::Fold::new();
    let mut n = 0;
    store
        .read_run(id, |ev: &subunit_emitter::PacketRef<'_>| {
            if ev.test_id.is_some() && fold.push(ev).is_some() {
                n += 1;
            }
            Ok(())
        })
        .unwrap();
    assert!(
        fold.finish().is_empty(),
        "run {id} holds an unfinished test"
    );
    n
}
