//! Loading runs beside subunit2sql 1.10.0: 10k and 100k tests into SQLite and into
//! PostgreSQL, time and peak memory, and the ratios; the issue's goals checked at the end.
//!
//! Run on demand (not in CI):
//!
//! ```text
//! cargo bench -p subunit-tools --bench sql_load                            # 10k and 100k tests
//! cargo bench -p subunit-tools --bench sql_load -- --sizes 10000 --python-max 10000
//! cargo bench -p subunit-tools --bench sql_load -- --no-python
//! ```
//!
//! Each size is a generated Tempest-like run (`subunit_samples::synthetic`), written once under
//! `target/bench-streams/`, loaded as a file argument by each tool into a fresh database whose
//! schema each tool's `subunit2sql-db-manage upgrade head` made (not timed). The measuring code
//! (wall time, peak memory from `wait4`) is `parser/benches/common/mod.rs`, shared with the
//! other benchmarks; the PostgreSQL server is the tests' harness (`tests/pg.rs`: a throwaway
//! cluster with `fsync=off`, which flatters subunit2sql, whose every row is a commit). Ours is
//! the best of three; subunit2sql runs once, and only up to `--python-max` tests (default
//! 10,000: it needs a minute or more for 10k tests, and had stored only 56,499 of 100k tests
//! after half an hour).
//!
//! Goals (issue 12): at least 100x faster than subunit2sql on SQLite; 100k tests into
//! PostgreSQL in seconds (here: under 10 s).

#[path = "../../../parser/benches/common/mod.rs"]
mod common;
#[path = "../tests/sql/pg.rs"]
mod pg;

use std::process::Command;

use common::{Measured, Stdout, best_of, measure, stream};

const OURS: &str = env!("CARGO_BIN_EXE_subunit2sql");
const OURS_MANAGE: &str = env!("CARGO_BIN_EXE_subunit2sql-db-manage");

struct Options {
    sizes: Vec<usize>,
    python_max: usize,
}

fn options() -> Result<Options, String> {
    let mut opts = Options {
        sizes: vec![10_000, 100_000],
        python_max: 10_000,
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--no-python" => opts.python_max = 0,
            "--python-max" => {
                opts.python_max = args
                    .next()
                    .and_then(|n| n.replace('_', "").parse().ok())
                    .ok_or("--python-max needs a number")?;
            }
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
            "--bench" => {}
            other => return Err(format!("unknown argument {other}")),
        }
    }
    Ok(opts)
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    fn label(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgresql",
        }
    }
}

/// A fresh database with the schema made by `manage` (ours or subunit2sql's).
fn fresh(backend: Backend, server: &pg::PgServer, python: bool) -> String {
    let url = match backend {
        Backend::Sqlite => {
            let dir = common::bench_dir();
            let path = dir.join(format!("load-{}.db", std::process::id()));
            for suffix in ["", "-wal", "-shm"] {
                let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
            }
            format!("sqlite:///{}", path.display())
        }
        Backend::Postgres => server.create_db(),
    };
    let mut cmd = if python {
        subunit_samples::python::subunit2sql_env().tool_command("subunit2sql-db-manage")
    } else {
        Command::new(OURS_MANAGE)
    };
    let out = cmd
        .args(["--database-connection", &url, "upgrade", "head"])
        .output()
        .expect("run subunit2sql-db-manage");
    assert!(
        out.status.success(),
        "upgrade head failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    url
}

/// How many test runs the database holds; an SQLite file is removed once counted.
fn stored(url: &str) -> i64 {
    match url.strip_prefix("sqlite:///") {
        Some(path) => {
            let n = rusqlite::Connection::open(path)
                .and_then(|c| c.query_row("SELECT count(*) FROM test_runs", [], |r| r.get(0)))
                .expect("count test_runs");
            for suffix in ["", "-wal", "-shm", "-journal"] {
                let _ = std::fs::remove_file(format!("{path}{suffix}"));
            }
            n
        }
        None => postgres::Client::connect(url, postgres::NoTls)
            .and_then(|mut c| c.query_one("SELECT count(*) FROM test_runs", &[]))
            .map(|r| r.get(0))
            .expect("count test_runs"),
    }
}

fn load(url: &str, path: &std::path::Path, python: bool) -> Measured {
    let mut cmd = if python {
        subunit_samples::python::subunit2sql_env().tool_command("subunit2sql")
    } else {
        Command::new(OURS)
    };
    cmd.args(["--database-connection", url]).arg(path);
    let m = measure(cmd, path, Stdout::File);
    assert_eq!(
        m.code,
        Some(0),
        "{} failed: {}",
        if python { "subunit2sql" } else { "ours" },
        m.stderr
    );
    m
}

fn main() {
    let opts = match options() {
        Ok(o) => o,
        Err(e) => {
            eprintln!("load bench: {e}");
            std::process::exit(2);
        }
    };
    let server = pg::server();
    println!(
        "{:>8}  {:<10}  {:>10}  {:>9}  {:>11}  {:>9}  {:>8}",
        "tests", "backend", "ours", "ours MB", "subunit2sql", "its MB", "ratio"
    );
    let mut sqlite_ratios = Vec::new();
    let mut pg_100k = None;
    for &size in &opts.sizes {
        let path = stream(size);
        for backend in [Backend::Sqlite, Backend::Postgres] {
            let mut expected = None;
            let ours = best_of(3, || {
                let url = fresh(backend, &server, false);
                let m = load(&url, &path, false);
                let n = stored(&url);
                assert!(expected.is_none_or(|e| e == n));
                expected = Some(n);
                m
            });
            let python = (size <= opts.python_max).then(|| {
                let url = fresh(backend, &server, true);
                let m = load(&url, &path, true);
                assert_eq!(
                    Some(stored(&url)),
                    expected,
                    "subunit2sql stored another count"
                );
                m
            });
            let ratio = python.as_ref().map(|p| p.seconds / ours.seconds);
            if backend == Backend::Sqlite {
                sqlite_ratios.extend(ratio);
            }
            if backend == Backend::Postgres && size == 100_000 {
                pg_100k = Some(ours.seconds);
            }
            println!(
                "{size:>8}  {:<10}  {:>9.3}s  {:>9.1}  {:>11}  {:>9}  {:>8}",
                backend.label(),
                ours.seconds,
                ours.peak_mb(),
                python
                    .as_ref()
                    .map_or("-".to_owned(), |p| format!("{:.2}s", p.seconds)),
                python
                    .as_ref()
                    .map_or("-".to_owned(), |p| format!("{:.1}", p.peak_mb())),
                ratio.map_or("-".to_owned(), |r| format!("{r:.0}x")),
            );
        }
    }
    println!();
    match sqlite_ratios.iter().copied().reduce(f64::min) {
        Some(r) => println!(
            "goal: >= 100x subunit2sql on SQLite: {} ({r:.0}x at the least)",
            if r >= 100.0 { "met" } else { "NOT met" }
        ),
        None => println!("goal: >= 100x subunit2sql on SQLite: not measured (no python run)"),
    }
    match pg_100k {
        Some(s) => println!(
            "goal: 100k tests into PostgreSQL in seconds (< 10 s): {} ({s:.2} s)",
            if s < 10.0 { "met" } else { "NOT met" }
        ),
        None => println!("goal: 100k tests into PostgreSQL in seconds: not measured"),
    }
}
