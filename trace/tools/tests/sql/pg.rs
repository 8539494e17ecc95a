//! A real PostgreSQL server for the tests: Debian's `postgresql` (installed with apt-get when
//! missing), a throwaway cluster in a temporary directory on a free loopback port, with its
//! own password-protected superuser, stopped when the last test using it lets go.
//!
//! `initdb` and `postgres` refuse to run as root, so as root they run as the `postgres`
//! system user (which the Debian package creates), owning the data directory.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant};

/// The cluster's superuser.
pub const USER: &str = "s2s";
/// Its password.
pub const PASSWORD: &str = "s2s-test-password";

/// A running server; stopped on drop.
pub struct PgServer {
    dir: tempfile::TempDir,
    bin: PathBuf,
    run_as: Option<String>,
    /// The loopback port it listens on.
    pub port: u16,
    /// How long installing (if needed), `initdb` and starting took.
    pub setup: Duration,
}

fn find_bin() -> Option<PathBuf> {
    let mut found: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .flatten()
        .filter_map(|e| {
            let v: u32 = e.file_name().to_str()?.parse().ok()?;
            let bin = e.path().join("bin");
            bin.join("initdb").is_file().then_some((v, bin))
        })
        .collect();
    found.sort();
    found.pop().map(|(_, b)| b)
}

/// Whether the tests run as root (`id -u`, so the tests need no unsafe libc call).
fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

fn install() -> Result<PathBuf, String> {
    if let Some(bin) = find_bin() {
        return Ok(bin);
    }
    if !is_root() {
        return Err(
            "PostgreSQL is not installed and the tests do not run as root: install Debian's \
             `postgresql` package (apt-get install -y postgresql)"
                .to_owned(),
        );
    }
    for args in [
        &["install", "-y", "postgresql"][..],
        &["update"],
        &["install", "-y", "postgresql"],
    ] {
        let status = Command::new("apt-get")
            .args(args)
            .env("DEBIAN_FRONTEND", "noninteractive")
            .status()
            .map_err(|e| format!("cannot run apt-get: {e}"))?;
        if status.success() && args[0] == "install" {
            break;
        }
    }
    find_bin().ok_or_else(|| {
        "apt-get install -y postgresql did not give /usr/lib/postgresql/*/bin/initdb".to_owned()
    })
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free loopback port")
}

impl PgServer {
    fn command(&self, tool: &str) -> Command {
        command(&self.bin, self.run_as.as_deref(), tool)
    }

    fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    /// The URL of database `db` as the superuser.
    pub fn url(&self, db: &str) -> String {
        format!(
            "postgresql://{USER}:{PASSWORD}@127.0.0.1:{}/{db}",
            self.port
        )
    }

    /// A fresh, empty database; returns its URL.
    pub fn create_db(&self) -> String {
        static N: AtomicUsize = AtomicUsize::new(0);
        let name = format!(
            "t{}_{}",
            std::process::id(),
            N.fetch_add(1, Ordering::SeqCst)
        );
        let mut client = postgres::Client::connect(&self.url("postgres"), postgres::NoTls)
            .expect("connect to the test server");
        client
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .expect("create a test database");
        self.url(&name)
    }
}

fn command(bin: &Path, run_as: Option<&str>, tool: &str) -> Command {
    match run_as {
        Some(user) => {
            let mut c = Command::new("runuser");
            c.args(["-u", user, "--"]).arg(bin.join(tool));
            c
        }
        None => Command::new(bin.join(tool)),
    }
}

fn start() -> Result<PgServer, String> {
    let t0 = Instant::now();
    let bin = install()?;
    let run_as = is_root().then(|| "postgres".to_owned());
    let dir = tempfile::Builder::new()
        .prefix("subunit-sql-pg-")
        .tempdir()
        .map_err(|e| format!("cannot make a temporary directory: {e}"))?;
    let pwfile = dir.path().join("pw");
    std::fs::write(&pwfile, PASSWORD).map_err(|e| e.to_string())?;
    if let Some(user) = &run_as {
        let status = Command::new("chown")
            .args(["-R", user])
            .arg(dir.path())
            .status()
            .map_err(|e| e.to_string())?;
        if !status.success() {
            return Err(format!("cannot chown {} to {user}", dir.path().display()));
        }
    }
    let data = dir.path().join("data");
    let out = command(&bin, run_as.as_deref(), "initdb")
        .arg("-D")
        .arg(&data)
        .args([
            "-U",
            USER,
            "-E",
            "UTF8",
            "--no-locale",
            "--auth-local=trust",
        ])
        .arg("--auth-host=scram-sha-256")
        .arg(format!("--pwfile={}", pwfile.display()))
        .output()
        .map_err(|e| format!("cannot run initdb: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "initdb failed: {}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    let mut last = String::new();
    for _ in 0..3 {
        let port = free_port();
        let out = command(&bin, run_as.as_deref(), "pg_ctl")
            .arg("-D")
            .arg(&data)
            .arg("-l")
            .arg(dir.path().join("log"))
            .args(["-w", "-t", "60", "-o"])
            .arg(format!(
                "-p {port} -k {} -c listen_addresses=127.0.0.1 -c fsync=off \
                 -c synchronous_commit=off -c full_page_writes=off -c max_connections=200",
                dir.path().display()
            ))
            .arg("start")
            .output()
            .map_err(|e| format!("cannot run pg_ctl: {e}"))?;
        if out.status.success() {
            return Ok(PgServer {
                dir,
                bin,
                run_as,
                port,
                setup: t0.elapsed(),
            });
        }
        last = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stderr),
            std::fs::read_to_string(dir.path().join("log")).unwrap_or_default()
        );
    }
    Err(format!("pg_ctl start failed: {last}"))
}

impl Drop for PgServer {
    fn drop(&mut self) {
        let _ = self
            .command("pg_ctl")
            .arg("-D")
            .arg(self.data())
            .args(["-m", "immediate", "-w", "stop"])
            .output();
    }
}

/// The shared server: started by the first test that asks, stopped when the last test
/// holding it drops it.
pub fn server() -> Arc<PgServer> {
    static SERVER: Mutex<Weak<PgServer>> = Mutex::new(Weak::new());
    let mut slot = SERVER.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(s) = slot.upgrade() {
        return s;
    }
    let s = Arc::new(start().unwrap_or_else(|e| panic!("cannot start the test PostgreSQL: {e}")));
    eprintln!(
        "test PostgreSQL on 127.0.0.1:{} ready in {:.2?} (install if needed, initdb, start)",
        s.port, s.setup
    );
    *slot = Arc::downgrade(&s);
    s
}
