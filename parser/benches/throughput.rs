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
//! so its peak memory is its own: the parent reads it from `wait4`'s resource usage (the
//! measuring code is `benches/common/mod.rs`, shared with `trace/benches/tools.rs`). Rust
//! measurements are the best of three runs; python-subunit's `subunit-stats` runs once.
//!
//! What is measured:
//! - `decode`: our bare decode, `PacketReader` over the file, counting packets;
//! - `fold`: the full read: python-compatible events, the fold into test records, the summary;
//! - `subunit crate`: the `subunit` crate's `iter_stream` over the file, counting items;
//! - `subunit-stats`: python-subunit's tool over the same file.

mod common;

use std::fs::File;
use std::path::Path;
use std::process::Command;

use common::{DEFAULT_SIZES, Measured, Stdout, best_of, stream};
use subunit_parser::events::EventReader;
use subunit_parser::fold::{Fold, Summary};
use subunit_parser::reader::PacketReader;

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
        let (decode_s, fold_s, krate_s) = (decode.seconds, fold.seconds, krate.seconds);
        let fold_kb = fold.peak_kb;
        let mut rows = vec![("decode", decode), ("fold", fold), ("subunit crate", krate)];
        if let Some(stats) = &stats {
            rows.push(("subunit-stats", measure(Command::new(stats), &path)));
        }
        for (name, m) in &rows {
            println!(
                "{n:>9} {mb:>10.1} {name:<14} {:>9.3} {:>10.0} {:>10.1} {:>10}",
                m.seconds,
                mb / m.seconds,
                m.peak_mb(),
                counted(m)
            );
        }
        println!(
            "{n:>9} ratios: decode / crate {:.2}x, fold / crate {:.2}x{}",
            krate_s / decode_s,
            krate_s / fold_s,
            rows.iter()
                .find(|(name, _)| *name == "subunit-stats")
                .map(|(_, py)| format!(
                    ", fold / subunit-stats {:.0}x, memory {:.1}x less",
                    py.seconds / fold_s,
                    py.peak_kb as f64 / fold_kb as f64
                ))
                .unwrap_or_default(),
        );
    }
}

fn measure_child(mode: &str, path: &Path) -> Measured {
    let mut cmd = Command::new(std::env::current_exe().expect("own path"));
    cmd.args(["--child", mode]).arg(path);
    measure(cmd, path)
}

/// Runs `cmd` with the stream on stdin (and as an argument for our children), its stdout to a
/// pipe.
fn measure(cmd: Command, path: &Path) -> Measured {
    let shown = format!("{cmd:?}");
    let m = common::measure(cmd, path, Stdout::Pipe);
    // subunit-stats exits 1 when the run had failures, as the generated runs do.
    assert!(
        m.code.is_some_and(|c| c <= 1),
        "{shown} failed ({:?}):\n{}",
        m.code,
        m.stderr
    );
    m
}

/// The count the command printed (`counted N`, or subunit-stats' `Total tests: N`).
fn counted(m: &Measured) -> u64 {
    String::from_utf8_lossy(&m.tail)
        .lines()
        .find_map(|l| {
            l.strip_prefix("counted ")
                .or_else(|| l.trim().strip_prefix("Total tests:"))
                .and_then(|v| v.trim().parse().ok())
        })
        .unwrap_or(0)
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
