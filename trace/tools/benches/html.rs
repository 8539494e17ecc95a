//! `subunit2html` beside os-testr 3.0.0's, on the same generated files: time and peak memory of
//! writing the page, the page's size, and how long headless Chromium takes to load it.
//!
//! Run on demand (not in CI):
//!
//! ```text
//! cargo bench -p subunit-tools --bench html                      # 10k and 100k tests
//! cargo bench -p subunit-tools --bench html -- --sizes 10000 --no-python
//! ```
//!
//! The streams are `subunit_samples::synthetic` runs written under `target/bench-streams/`;
//! each tool runs as a child process measured by the shared code in
//! `parser/benches/common/mod.rs` (ours best of three, python's once). The load time is
//! `chromium --headless --screenshot` of the page (parsed, laid out, scripts run, painted) less
//! the same on an empty page (the browser's own start), best of three; Debian's `chromium` must
//! be installed.

#[path = "../../../parser/benches/common/mod.rs"]
mod common;

use std::path::Path;
use std::process::Command;
use std::time::Instant;

use common::{Measured, Stdout, bench_dir, best_of, measure, stream};

fn chromium_seconds(page: &Path) -> f64 {
    let profile = bench_dir().join("chromium-profile");
    let shot = bench_dir().join("chromium-shot.png");
    let _ = std::fs::remove_file(&shot);
    let start = Instant::now();
    let out = Command::new("chromium")
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--window-size=1280,800",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg(format!("--screenshot={}", shot.display()))
        .arg(format!("file://{}", page.display()))
        .output()
        .expect("chromium runs (apt-get install -y chromium)");
    let seconds = start.elapsed().as_secs_f64();
    assert!(
        out.status.success() && shot.is_file(),
        "chromium loaded {}",
        page.display()
    );
    seconds
}

fn best_seconds(n: usize, mut f: impl FnMut() -> f64) -> f64 {
    (0..n).map(|_| f()).fold(f64::INFINITY, f64::min)
}

fn main() {
    let mut sizes = vec![10_000, 100_000];
    let mut python = true;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--sizes" => {
                sizes = args
                    .next()
                    .unwrap_or_default()
                    .split(',')
                    .map(|s| s.parse().expect("--sizes N,N"))
                    .collect();
            }
            "--no-python" => python = false,
            "--bench" => {}
            other => panic!("unknown argument {other}; use --sizes N,N --no-python"),
        }
    }
    let ours = env!("CARGO_BIN_EXE_subunit2html");
    let env = python.then(subunit_samples::python::os_testr_env);
    let dir = bench_dir();
    let empty = dir.join("empty.html");
    std::fs::write(&empty, "<!DOCTYPE html><title>empty</title>").unwrap();
    let start_up = best_seconds(3, || chromium_seconds(&empty));
    println!("chromium start-up (empty page): {start_up:.2} s");
    println!(
        "{:>8} {:>10} {:>9} {:>10} {:>9} {:>8} {:>10} {:>10} {:>10}",
        "tests",
        "ours s",
        "ours MB",
        "python s",
        "py MB",
        "speed",
        "page MB",
        "py page MB",
        "load s"
    );
    for &tests in &sizes {
        let input = stream(tests);
        let page = dir.join(format!("html-{tests}.html"));
        let mine: Measured = best_of(3, || {
            let mut cmd = Command::new(ours);
            cmd.arg(&input).arg(&page);
            measure(cmd, &input, Stdout::File)
        });
        assert_eq!(mine.code, Some(0), "ours failed: {}", mine.stderr);
        let theirs = env.map(|env| {
            let py_page = dir.join(format!("html-{tests}-python.html"));
            let mut cmd = env.tool_command("subunit2html");
            cmd.arg(&input).arg(&py_page);
            let m = measure(cmd, &input, Stdout::File);
            let size = std::fs::metadata(&py_page).map(|m| m.len()).unwrap_or(0);
            (m, size)
        });
        let page_mb = std::fs::metadata(&page).unwrap().len() as f64 / 1e6;
        let load = best_seconds(3, || chromium_seconds(&page)) - start_up;
        let (py_s, py_mb, speed, py_page) = match &theirs {
            Some((m, size)) => (
                format!("{:.2}", m.seconds),
                format!("{:.1}", m.peak_mb()),
                format!("{:.0}x", m.seconds / mine.seconds),
                format!("{:.1}", *size as f64 / 1e6),
            ),
            None => Default::default(),
        };
        println!(
            "{:>8} {:>10.3} {:>9.1} {:>10} {:>9} {:>8} {:>10.1} {:>10} {:>10.2}",
            tests,
            mine.seconds,
            mine.peak_mb(),
            py_s,
            py_mb,
            speed,
            page_mb,
            py_page,
            load
        );
    }
}
