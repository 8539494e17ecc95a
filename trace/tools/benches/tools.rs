//! Our stream tools beside the Python ones, on the same generated files: time, peak memory and
//! the ratios, and the issue's goals checked at the end.
//!
//! Run on demand (not in CI):
//!
//! ```text
//! cargo bench -p subunit-tools --bench tools                          # 10k, 100k and 1M tests
//! cargo bench -p subunit-tools --bench tools -- --sizes 10000,100000
//! cargo bench -p subunit-tools --bench tools -- --sizes 1000000 --no-python
//! cargo bench -p subunit-tools --bench tools -- --tools subunit-trace,subunit-stats
//! ```
//!
//! Each size is a generated Tempest-like run with many workers (`subunit_samples::synthetic`),
//! written once under `target/bench-streams/`. Every tool runs as a child process with the
//! stream file on stdin, so its peak memory is its own (from `wait4`; the measuring code is
//! `parser/benches/common/mod.rs`, shared with the parser's throughput benchmark). Our tools
//! are the `subunit-tools` binaries cargo builds for this benchmark (with the release settings);
//! a tool our tree does not have yet is left out. Ours are the best of three runs; the Python
//! ones run once. `subunit-trace` is compared with stestr 4.2.1's `subunit_trace` with stdout
//! to a file and to a pipe (where ours flushes whenever it waits for input); the other tools
//! with python-subunit 1.4.6's tools of the same names, stdout to a file.
//!
//! Goals (issue 3): `subunit-trace` at least 100x faster than stestr's on the 100k stream with
//! at most a tenth of its memory, both ways; every streaming tool's peak memory flat from the
//! smallest to the largest size measured (here: at most 25% or 1 MiB more, whichever is
//! larger).

#[path = "../../../parser/benches/common/mod.rs"]
mod common;

use std::path::Path;
use std::process::Command;

use common::{DEFAULT_SIZES, Measured, Stdout, best_of, measure, stream};

/// stestr's `subunit_trace`, run as trace/tools/tests/trace_golden.rs runs it: it needs
/// `subunit.test_results` imported first.
const STESTR_TRACE: &str = "import sys\n\
import subunit.test_results\n\
from stestr.subunit_trace import main\n\
sys.argv = ['subunit-trace']\n\
main()\n";

/// A tool: our binary's name and path (if our tree has it), and its arguments (the same for the
/// Python tool).
struct Tool {
    name: &'static str,
    ours: Option<&'static str>,
    args: &'static [&'static str],
}

/// The tools compared, in the order printed.
const TOOLS: &[Tool] = &[
    Tool {
        name: "subunit-trace",
        ours: option_env!("CARGO_BIN_EXE_subunit-trace"),
        args: &[],
    },
    Tool {
        name: "subunit-stats",
        ours: option_env!("CARGO_BIN_EXE_subunit-stats"),
        args: &[],
    },
    Tool {
        name: "subunit-ls",
        ours: option_env!("CARGO_BIN_EXE_subunit-ls"),
        args: &[],
    },
    Tool {
        name: "subunit-filter",
        ours: option_env!("CARGO_BIN_EXE_subunit-filter"),
        args: &[],
    },
    Tool {
        name: "subunit-tags",
        ours: option_env!("CARGO_BIN_EXE_subunit-tags"),
        args: &["bench", "-worker-0"],
    },
    Tool {
        name: "subunit-2to1",
        ours: option_env!("CARGO_BIN_EXE_subunit-2to1"),
        args: &[],
    },
    Tool {
        name: "subunit2junitxml",
        ours: option_env!("CARGO_BIN_EXE_subunit2junitxml"),
        args: &[],
    },
    Tool {
        name: "subunit2csv",
        ours: option_env!("CARGO_BIN_EXE_subunit2csv"),
        args: &[],
    },
];

/// The command line.
struct Options {
    sizes: Vec<usize>,
    python: bool,
    tools: Option<Vec<String>>,
}

fn options() -> Result<Options, String> {
    let mut opts = Options {
        sizes: DEFAULT_SIZES.to_vec(),
        python: true,
        tools: None,
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--no-python" => opts.python = false,
            "--sizes" => {
                let list = args
                    .next()
                    .ok_or("--sizes needs a list, e.g. 10000,100000")?;
                opts.sizes = list
                    .split(',')
                    .map(|s| s.trim().replace('_', "").parse::<usize>())
                    .collect::<Result<_, _>>()
                    .map_err(|e| format!("--sizes {list}: {e}"))?;
            }
            "--tools" => {
                let list = args.next().ok_or("--tools needs a list of tool names")?;
                opts.tools = Some(list.split(',').map(str::to_owned).collect());
            }
            // cargo bench passes --bench to benchmarks without a harness.
            "--bench" => {}
            other => {
                return Err(format!(
                    "unknown argument {other}; use --sizes N,N --no-python --tools NAME,NAME"
                ));
            }
        }
    }
    Ok(opts)
}

/// One row: our best run and the Python tool's run (if measured).
struct Row {
    tests: usize,
    tool: &'static str,
    stdout: Stdout,
    ours: Measured,
    python: Option<Measured>,
}

fn main() {
    let opts = match options() {
        Ok(o) => o,
        Err(e) => {
            eprintln!("tools bench: {e}");
            std::process::exit(2);
        }
    };
    let tools: Vec<&Tool> = TOOLS
        .iter()
        .filter(|t| {
            opts.tools
                .as_ref()
                .is_none_or(|w| w.iter().any(|n| n == t.name))
        })
        .collect();
    let missing: Vec<&str> = tools
        .iter()
        .filter(|t| t.ours.is_none())
        .map(|t| t.name)
        .collect();
    if !missing.is_empty() {
        println!("not in our tree yet (left out): {}", missing.join(", "));
    }
    let env = opts.python.then(subunit_samples::python::env);
    println!(
        "{:>8} {:<17} {:<6} {:>9} {:>8} {:>10} {:>9} {:>8} {:>8}",
        "tests", "tool", "stdout", "ours s", "ours MB", "python s", "py MB", "speed", "memory"
    );
    let mut rows = Vec::new();
    for &n in &opts.sizes {
        let path = stream(n);
        for tool in &tools {
            let Some(ours) = tool.ours else { continue };
            let modes: &[Stdout] = if tool.name == "subunit-trace" {
                &[Stdout::File, Stdout::Pipe]
            } else {
                &[Stdout::File]
            };
            for &mode in modes {
                let mine = best_of(3, || run_ours(ours, tool.args, &path, mode));
                let python = env.map(|env| {
                    let mut cmd = if tool.name == "subunit-trace" {
                        let mut c = env.command();
                        c.args(["-c", STESTR_TRACE]);
                        c
                    } else {
                        Command::new(env.bin(tool.name))
                    };
                    cmd.args(tool.args);
                    measure(cmd, &path, mode)
                });
                let row = Row {
                    tests: n,
                    tool: tool.name,
                    stdout: mode,
                    ours: mine,
                    python,
                };
                print_row(&row);
                rows.push(row);
            }
        }
    }
    goals(&rows, &opts.sizes);
}

/// Our tool: best of three is taken by the caller; a run that could not work (status 2 or a
/// signal) stops the benchmark.
fn run_ours(bin: &str, args: &[&str], path: &Path, stdout: Stdout) -> Measured {
    let mut cmd = Command::new(bin);
    cmd.args(args);
    let m = measure(cmd, path, stdout);
    assert!(
        m.code.is_some_and(|c| c <= 1),
        "{bin} {args:?} failed ({:?}):\n{}",
        m.code,
        m.stderr
    );
    m
}

fn print_row(row: &Row) {
    let (py_s, py_mb, speed, memory) = match &row.python {
        None => ("-".into(), "-".into(), "-".into(), "-".into()),
        Some(py) if py.crashed() => (
            format!("crash {}", py.code.map_or("sig".into(), |c| c.to_string())),
            format!("{:.1}", py.peak_mb()),
            "-".into(),
            "-".into(),
        ),
        Some(py) => (
            format!("{:.3}", py.seconds),
            format!("{:.1}", py.peak_mb()),
            format!("{:.0}x", py.seconds / row.ours.seconds),
            format!("{:.1}x", py.peak_kb as f64 / row.ours.peak_kb as f64),
        ),
    };
    println!(
        "{:>8} {:<17} {:<6} {:>9.3} {:>8.1} {:>10} {:>9} {:>8} {:>8}",
        row.tests,
        row.tool,
        row.stdout.label(),
        row.ours.seconds,
        row.ours.peak_mb(),
        py_s,
        py_mb,
        speed,
        memory
    );
}

/// The issue's goals, for what was measured.
fn goals(rows: &[Row], sizes: &[usize]) {
    println!("\ngoals:");
    for row in rows
        .iter()
        .filter(|r| r.tool == "subunit-trace" && r.tests == 100_000)
    {
        match &row.python {
            Some(py) if !py.crashed() => {
                let speed = py.seconds / row.ours.seconds;
                let memory = py.peak_kb as f64 / row.ours.peak_kb as f64;
                let ok = speed >= 100.0 && memory >= 10.0;
                println!(
                    "  subunit-trace 100k, stdout to a {}: {speed:.0}x faster (goal 100x), {memory:.1}x less memory (goal 10x): {}",
                    row.stdout.label(),
                    if ok { "met" } else { "NOT met" }
                );
            }
            _ => println!(
                "  subunit-trace 100k, stdout to a {}: stestr not measured",
                row.stdout.label()
            ),
        }
    }
    let (Some(&small), Some(&large)) = (sizes.iter().min(), sizes.iter().max()) else {
        return;
    };
    if small == large {
        println!("  memory flatness: needs two sizes");
        return;
    }
    for tool in TOOLS {
        for mode in [Stdout::File, Stdout::Pipe] {
            let at = |n: usize| {
                rows.iter()
                    .find(|r| r.tool == tool.name && r.stdout == mode && r.tests == n)
                    .map(|r| r.ours.peak_kb)
            };
            let (Some(lo), Some(hi)) = (at(small), at(large)) else {
                continue;
            };
            let flat = hi <= lo + (lo / 4).max(1024);
            let verdict = if flat {
                "flat".to_owned()
            } else {
                let per_test = (hi - lo) as f64 * 1024.0 / (large - small) as f64;
                format!("NOT flat ({per_test:.1} bytes more per test)")
            };
            println!(
                "  {} ({}): peak {:.1} MB at {small} tests, {:.1} MB at {large}: {verdict}",
                tool.name,
                mode.label(),
                lo as f64 / 1024.0,
                hi as f64 / 1024.0,
            );
        }
    }
}
