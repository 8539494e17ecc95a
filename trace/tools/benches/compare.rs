//! `subunit-diff` on two large runs: time and peak memory.
//!
//! ```text
//! cargo bench -p subunit-tools --bench compare                      # 100k and 1M tests
//! cargo bench -p subunit-tools --bench compare -- --sizes 100000
//! ```
//!
//! The old run is the generated Tempest-like run of each size (`subunit_samples::synthetic`,
//! shared with the tools benchmark under `target/bench-streams/`); the new run is a copy with
//! every 100th test's status changed, every 250th removed and every 500th test slower
//! (written once beside it). `subunit-diff - NEW` reads the old run from stdin; its peak
//! memory comes from `wait4` (`parser/benches/common/mod.rs`).
//!
//! Goal (issue 6): seconds, not minutes, at 1M tests, and memory proportional to the number
//! of distinct tests, not the bytes of attachments: the bytes per test are printed.

#[path = "../../../parser/benches/common/mod.rs"]
mod common;
#[path = "../tests/compare_common/mod.rs"]
mod compare_common;

use std::fs::File;
use std::io::{BufReader, BufWriter, Write};
use std::path::PathBuf;
use std::process::Command;

use common::{Stdout, bench_dir, best_of, measure, stream};
use subunit_emitter::Status;

fn edited(tests: usize) -> PathBuf {
    let path = bench_dir().join(format!("run-{tests}-edited.subunit"));
    if !path.exists() {
        let tmp = path.with_extension(format!("tmp{}", std::process::id()));
        let base = BufReader::new(File::open(stream(tests)).expect("base stream"));
        let out = BufWriter::new(File::create(&tmp).expect("create"));
        let mut out = compare_common::apply_with(base, out, |i, r| {
            if i % 250 == 1 {
                return false;
            }
            if i % 100 == 0 {
                r.status = Some(match r.status {
                    Some(Status::Fail) => Status::Success,
                    _ => Status::Fail,
                });
            }
            if i % 500 == 3
                && let Some(end) = r.end
            {
                r.end = Some(subunit_emitter::Timestamp::new(end.secs + 2, end.nanos));
            }
            true
        });
        out.flush().expect("write");
        std::fs::rename(&tmp, &path).expect("rename");
    }
    path
}

fn main() {
    let mut sizes = vec![100_000, 1_000_000];
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--sizes" => {
                sizes = args
                    .next()
                    .expect("--sizes N,N")
                    .split(',')
                    .map(|s| s.trim().replace('_', "").parse().expect("a size"))
                    .collect();
            }
            "--bench" => {}
            other => panic!("unknown argument {other}; use --sizes N,N"),
        }
    }
    let bin = env!("CARGO_BIN_EXE_subunit-diff");
    println!(
        "{:>8} {:>10} {:>10} {:>9} {:>9} {:>12}",
        "tests", "old MB", "new MB", "seconds", "peak MB", "bytes/test"
    );
    for n in sizes {
        let old = stream(n);
        let new = edited(n);
        let mb = |p: &PathBuf| std::fs::metadata(p).expect("stat").len() as f64 / 1048576.0;
        let m = best_of(3, || {
            let mut cmd = Command::new(bin);
            cmd.arg("-").arg(&new);
            let m = measure(cmd, &old, Stdout::File);
            assert_eq!(m.code, Some(1), "subunit-diff failed: {}", m.stderr);
            m
        });
        println!(
            "{n:>8} {:>10.1} {:>10.1} {:>9.3} {:>9.1} {:>12.0}",
            mb(&old),
            mb(&new),
            m.seconds,
            m.peak_mb(),
            m.peak_kb as f64 * 1024.0 / n as f64
        );
    }
}
