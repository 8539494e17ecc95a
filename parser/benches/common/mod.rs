//! What the benchmarks share: the generated streams, and measuring one command in a child
//! process (wall time, and peak resident memory from `wait4`), its stdin a stream file and its
//! stdout a file or a pipe.
//!
//! Used by `parser/benches/throughput.rs` and `trace/benches/tools.rs` (which includes this file
//! by path), so each takes the parts it needs.
#![allow(
    dead_code,
    reason = "each benchmark that includes this module uses a part of it"
)]

use std::fs::File;
use std::io::{BufWriter, Read, Seek, SeekFrom, Write};
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use subunit_samples::synthetic::{RunSpec, write_run};

/// The sizes measured when none are asked for.
pub const DEFAULT_SIZES: [usize; 3] = [10_000, 100_000, 1_000_000];

/// How many bytes of a child's output [`Measured::tail`] keeps.
const TAIL: usize = 16 * 1024;

/// Where the streams and scratch output live: `target/bench-streams/`.
pub fn bench_dir() -> PathBuf {
    let dir = subunit_samples::python::target_dir().join("bench-streams");
    std::fs::create_dir_all(&dir).expect("bench dir");
    dir
}

/// The generated Tempest-like run of `tests` tests (`subunit_samples::synthetic`), written once
/// under [`bench_dir`].
pub fn stream(tests: usize) -> PathBuf {
    let dir = bench_dir();
    let path = dir.join(format!("run-{tests}.subunit"));
    if !path.exists() {
        let tmp = dir.join(format!("run-{tests}.subunit.{}", std::process::id()));
        let out = BufWriter::new(File::create(&tmp).expect("create stream"));
        let (_, mut out) = write_run(RunSpec::new(tests), out).expect("generate stream");
        out.flush().expect("write stream");
        std::fs::rename(&tmp, &path).expect("rename stream");
    }
    path
}

/// Where a measured command's stdout goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stdout {
    /// A pipe the parent drains as fast as it can.
    Pipe,
    /// A regular file (under [`bench_dir`], removed afterwards).
    File,
}

impl Stdout {
    /// `pipe` or `file`.
    pub fn label(self) -> &'static str {
        match self {
            Stdout::Pipe => "pipe",
            Stdout::File => "file",
        }
    }
}

/// One run of a command.
#[derive(Clone, Debug)]
pub struct Measured {
    /// Wall time from spawn to reaping.
    pub seconds: f64,
    /// Peak resident memory of the child, in KiB (`ru_maxrss`).
    pub peak_kb: i64,
    /// Exit code (`None`: killed by a signal).
    pub code: Option<i32>,
    /// Bytes the child wrote to stdout.
    pub out_bytes: u64,
    /// The last bytes of its stdout.
    pub tail: Vec<u8>,
    /// Everything it wrote to stderr.
    pub stderr: String,
}

impl Measured {
    /// Peak memory in MiB.
    pub fn peak_mb(&self) -> f64 {
        self.peak_kb as f64 / 1024.0
    }

    /// Whether a Python tool died of an exception (its traceback is on stderr).
    pub fn crashed(&self) -> bool {
        self.code.is_none() || self.stderr.contains("Traceback (most recent call last)")
    }
}

/// The fastest of `n` runs.
pub fn best_of(n: usize, mut f: impl FnMut() -> Measured) -> Measured {
    (0..n)
        .map(|_| f())
        .min_by(|a, b| a.seconds.total_cmp(&b.seconds))
        .expect("n > 0")
}

/// Runs `cmd` with `stdin` as its standard input and its stdout to `stdout`, timing it and
/// taking its peak resident memory from `wait4`. Stderr is kept in [`Measured::stderr`].
#[expect(
    clippy::zombie_processes,
    reason = "the child is reaped by wait4, which also gives its resource usage"
)]
pub fn measure(mut cmd: Command, stdin: &Path, stdout: Stdout) -> Measured {
    let scratch = bench_dir();
    let id = std::process::id();
    let err_path = scratch.join(format!("stderr.{id}"));
    let out_path = scratch.join(format!("stdout.{id}"));
    let err_file = File::create(&err_path).expect("stderr file");
    cmd.stdin(File::open(stdin).expect("open stream"))
        .stderr(err_file);
    match stdout {
        Stdout::Pipe => cmd.stdout(Stdio::piped()),
        Stdout::File => cmd.stdout(File::create(&out_path).expect("stdout file")),
    };
    let start = Instant::now();
    let mut child = cmd.spawn().unwrap_or_else(|e| panic!("spawn {cmd:?}: {e}"));
    let pid = child.id() as libc::pid_t;
    let (out_bytes, tail) = match child.stdout.take() {
        Some(mut pipe) => drain(&mut pipe),
        None => (0, Vec::new()),
    };
    let mut status = 0;
    // SAFETY: an all-zero rusage is a valid value for wait4 to fill in.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: pid is our own child, not yet reaped; the pointers are valid for the call.
    let r = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    let seconds = start.elapsed().as_secs_f64();
    assert_eq!(r, pid, "wait4 failed");
    let (out_bytes, tail) = match stdout {
        Stdout::Pipe => (out_bytes, tail),
        Stdout::File => {
            let mut f = File::open(&out_path).expect("stdout file");
            let len = f.metadata().expect("stdout file").len();
            f.seek(SeekFrom::Start(len.saturating_sub(TAIL as u64)))
                .expect("seek");
            let mut tail = Vec::new();
            f.read_to_end(&mut tail).expect("read stdout file");
            drop(f);
            let _ = std::fs::remove_file(&out_path);
            (len, tail)
        }
    };
    let stderr = std::fs::read(&err_path).unwrap_or_default();
    let _ = std::fs::remove_file(&err_path);
    Measured {
        seconds,
        peak_kb: usage.ru_maxrss,
        code: std::process::ExitStatus::from_raw(status).code(),
        out_bytes,
        tail,
        stderr: String::from_utf8_lossy(&stderr).into_owned(),
    }
}

/// Reads `pipe` to its end: the byte count and the last [`TAIL`] bytes.
fn drain(pipe: &mut impl Read) -> (u64, Vec<u8>) {
    let mut buf = vec![0u8; 64 * 1024];
    let mut tail = Vec::with_capacity(2 * TAIL);
    let mut total = 0u64;
    loop {
        let n = match pipe.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => panic!("read child output: {e}"),
        };
        total += n as u64;
        tail.extend_from_slice(&buf[..n]);
        if tail.len() > 2 * TAIL {
            tail.drain(..tail.len() - TAIL);
        }
    }
    if tail.len() > TAIL {
        tail.drain(..tail.len() - TAIL);
    }
    (total, tail)
}
