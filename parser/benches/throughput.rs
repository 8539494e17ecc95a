//! Decode and fold throughput, beside the `subunit` crate and python-subunit, on the same files.
//!
//! Run on demand (not in CI):
//!
//! ```text
//! cargo bench -p subunit-parser --bench throughput                # 10k, 100k and 1M tests
//! cargo bench -p subunit-parser --bench throughput -- 100000      # chosen sizes
//! cargo bench -p subunit-parser --bench throughput -- --no-python # Rust only
//! ```
//!
//! Each size is a generated Tempest-like run (`subunit_samples::synthetic`) written once under
//! `target/bench-streams/`. Every measurement runs in a child process (this binary re-executed),
//! so its peak memory is its own: the parent reads it from `wait4`'s resource usage. Rust
//! measurements are the best of three runs; python-subunit's `subunit-stats` runs once.
//!
//! What is measured:
//! - `decode`: our bare decode, `PacketReader` over the file, counting packets;
//! - `fold`: the full read: python-compatible events, the fold into test records, the summary;
//! - `subunit crate`: the `subunit` crate's `iter_stream` over the file, counting items;
//! - `subunit-stats`: python-subunit's tool over the same file.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use subunit_parser::events::EventReader;
use subunit_parser::fold::{Fold, Summary};
use subunit_parser::reader::PacketReader;
use subunit_samples::synthetic::{RunSpec, write_run};

const DEFAULT_SIZES: [usize; 3] = [10_000, 100_000, 1_000_000];

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("--child") {
        child(&args[1], Path::new(&args[2]));
        return;
    }
    let python = !args.iter().any(|a| a == "--no-python");
    let mut sizes: Vec<usize> = args.iter().filter_map(|a| a.parse().ok()).collect();
    if sizes.is_empty() {
        sizes = DEFAULT_SIZES.to_vec();
    }
    let stats = python.then(|| subunit_samples::python::env().bin("subunit-stats"));
    println!(
        "{:>9} {:>10} {:<14} {:>9} {:>10} {:>10} {:>10}",
        "tests", "MB", "reader", "seconds", "MB/s", "peak MB", "counted"
    );
    for n in sizes {
        let path = stream(n);
        let mb = std::fs::metadata(&path).expect("stream").len() as f64 / 1e6;
        let decode = best_of(3, || measure_child("decode", &path));
        let fold = best_of(3, || measure_child("fold", &path));
        let krate = best_of(3, || measure_child("crate", &path));
        let mut rows = vec![("decode", decode), ("fold", fold), ("subunit crate", krate)];
        if let Some(stats) = &stats {
            rows.push(("subunit-stats", measure(Command::new(stats), &path)));
        }
        for (name, m) in &rows {
            println!(
                "{n:>9} {mb:>10.1} {name:<14} {:>9.3} {:>10.0} {:>10.1} {:>10}",
                m.seconds,
                mb / m.seconds,
                m.peak_kb as f64 / 1024.0,
                m.counted
            );
        }
        println!(
            "{n:>9} ratios: decode / crate {:.2}x, fold / crate {:.2}x{}",
            krate.seconds / decode.seconds,
            krate.seconds / fold.seconds,
            rows.iter()
                .find(|(name, _)| *name == "subunit-stats")
                .map(|(_, py)| format!(
                    ", fold / subunit-stats {:.0}x, memory {:.1}x less",
                    py.seconds / fold.seconds,
                    py.peak_kb as f64 / fold.peak_kb as f64
                ))
                .unwrap_or_default(),
        );
    }
}

/// The generated stream of `tests` tests, written once.
fn stream(tests: usize) -> PathBuf {
    let dir = subunit_samples::python::target_dir().join("bench-streams");
    std::fs::create_dir_all(&dir).expect("bench dir");
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

#[derive(Clone, Copy, Debug)]
struct Measured {
    seconds: f64,
    peak_kb: i64,
    counted: u64,
}

fn best_of(n: usize, mut f: impl FnMut() -> Measured) -> Measured {
    (0..n)
        .map(|_| f())
        .min_by(|a, b| a.seconds.total_cmp(&b.seconds))
        .expect("n > 0")
}

fn measure_child(mode: &str, path: &Path) -> Measured {
    let mut cmd = Command::new(std::env::current_exe().expect("own path"));
    cmd.args(["--child", mode]).arg(path);
    measure(cmd, path)
}

/// Runs `cmd` with the stream on stdin (and as an argument for our children), timing it and
/// taking its peak resident memory from `wait4`.
#[expect(
    clippy::zombie_processes,
    reason = "the child is reaped by wait4, which also gives its resource usage"
)]
fn measure(mut cmd: Command, path: &Path) -> Measured {
    let start = Instant::now();
    let child = cmd
        .stdin(File::open(path).expect("open stream"))
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("spawn");
    let pid = child.id() as libc::pid_t;
    let mut stdout = child.stdout.expect("piped");
    let mut out = String::new();
    std::io::Read::read_to_string(&mut stdout, &mut out).expect("read child output");
    let mut status = 0;
    // SAFETY: an all-zero rusage is a valid value for wait4 to fill in.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: pid is our own child, not yet reaped; the pointers are valid for the call.
    let r = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    let seconds = start.elapsed().as_secs_f64();
    assert_eq!(r, pid, "wait4 failed");
    let exit = std::process::ExitStatus::from_raw(status);
    // subunit-stats exits 1 when the run had failures, as the generated runs do.
    assert!(
        exit.code().is_some_and(|c| c <= 1),
        "{cmd:?} failed: {exit}"
    );
    let counted = out
        .lines()
        .find_map(|l| {
            l.strip_prefix("counted ")
                .or_else(|| l.trim().strip_prefix("Total tests:"))
                .and_then(|v| v.trim().parse().ok())
        })
        .unwrap_or(0);
    Measured {
        seconds,
        peak_kb: usage.ru_maxrss,
        counted,
    }
}

/// The measured work, in a child process; prints `counted N`.
fn child(mode: &str, path: &Path) {
    let file = File::open(path).expect("open stream");
    let counted: u64 = match mode {
        "decode" => {
            let mut reader = PacketReader::new(file);
            let mut packets = 0;
            while let Some(item) = reader.next_item().expect("read") {
                if matches!(item, subunit_parser::reader::Item::Packet { .. }) {
                    packets += 1;
                }
            }
            packets
        }
        "fold" => {
            let mut events = EventReader::new(file);
            let mut fold = Fold::new();
            let mut summary = Summary::default();
            while let Some(event) = events.next_event().expect("read") {
                if let Some(record) = fold.push(&event) {
                    summary.extend(std::iter::once(&record));
                }
            }
            summary.extend(fold.finish().iter());
            summary.tests_run as u64
        }
        "crate" => subunit::io::sync::iter_stream(file)
            .map(|item| {
                item.expect("subunit crate read");
            })
            .count() as u64,
        other => panic!("unknown mode {other}"),
    };
    println!("counted {counted}");
}
