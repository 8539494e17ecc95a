//! The pinned Python reference: virtual environments with exactly the Python tools we compare
//! against, made once under the build directory and shared by every test binary.
//!
//! [`env()`] is python-subunit 1.4.6, testtools 2.9.1, stestr 4.2.1, junitxml (which
//! `subunit2junitxml` needs) and two JUnit readers (xmlschema, junitparser) for checking our
//! JUnit output. [`tempest_env`] is Tempest 47.0.0 with the same python-subunit and testtools,
//! for the lifecycle comparisons. [`openstack_env`] is python-openstackclient 10.5.0 with
//! python-heatclient 5.3.0, for driving the Valet suite's reference cloud. Each is made on
//! first use with `python3 -m venv` and pip. Test binaries run as parallel processes, so each
//! builds in a directory of its own and renames it into place; the loser of the race throws
//! its copy away and uses the winner's. The environment's name carries the
//! pins and the interpreter's version, so a new pin or a new Python gets a new environment.
//!
//! When the environment cannot be made, [`env()`] panics saying what failed and how to fix it:
//! the interop tests are never skipped silently.
//!
//! `SUBUNIT_SAMPLES_PYTHON` names the interpreter to build from (default `python3`).

use std::ffi::OsStr;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;

/// The packages of [`env()`], pinned: the reference tools and the dependencies that matter.
pub const PINS: &[&str] = &[
    "python-subunit==1.4.6",
    "testtools==2.9.1",
    "iso8601==2.1.0",
    "PyYAML==6.0.3",
    "stestr==4.2.1",
    "junitxml==0.7",
    "xmlschema==4.3.2",
    "junitparser==5.0.3",
];

/// The packages of [`tempest_env`], pinned.
pub const TEMPEST_PINS: &[&str] = &[
    "tempest==47.0.0",
    "python-subunit==1.4.6",
    "testtools==2.9.1",
    "stestr==4.2.1",
];

/// The packages of [`subunit2sql_env`], pinned: subunit2sql 1.10.0 (the latest) with the
/// oslo.db, SQLAlchemy and alembic it still works with (oslo.db 13 dropped `EngineFacade`),
/// and psycopg2 for PostgreSQL.
pub const SUBUNIT2SQL_PINS: &[&str] = &[
    "subunit2sql==1.10.0",
    "oslo.db==12.3.3",
    "SQLAlchemy==1.4.54",
    "alembic==1.9.4",
    "psycopg2-binary==2.9.13",
    "python-subunit==1.4.6",
    "testtools==2.9.1",
];

/// The packages of [`openstack_env`], pinned: the OpenStack command-line client with its Heat
/// plugin, for driving the Valet suite's reference cloud as a user would.
pub const OPENSTACK_CLIENT_PINS: &[&str] =
    &["python-openstackclient==10.5.0", "python-heatclient==5.3.0"];

/// The packages of [`os_testr_env`], pinned: os-testr 3.0.0 for its `subunit2html`, with the
/// same python-subunit, testtools and stestr as [`env()`].
pub const OS_TESTR_PINS: &[&str] = &[
    "os-testr==3.0.0",
    "python-subunit==1.4.6",
    "testtools==2.9.1",
    "stestr==4.2.1",
    "iso8601==2.1.0",
    "PyYAML==6.0.3",
];

/// One pinned environment: a label for its directory name, its packages, and the imports that
/// prove it works.
struct Spec {
    label: &'static str,
    pins: &'static [&'static str],
    imports: &'static str,
}

const REFERENCE: Spec = Spec {
    label: "subunit-1.4.6-testtools-2.9.1-stestr-4.2.1",
    pins: PINS,
    imports: "import subunit, testtools, iso8601, yaml, stestr, junitxml, xmlschema, junitparser",
};

const TEMPEST: Spec = Spec {
    label: "tempest-47.0.0",
    pins: TEMPEST_PINS,
    imports: "import tempest.test, subunit, testtools, stestr",
};

const SUBUNIT2SQL: Spec = Spec {
    label: "subunit2sql-1.10.0",
    pins: SUBUNIT2SQL_PINS,
    imports: "import subunit2sql.shell, subunit2sql.write_subunit, subunit2sql.migrations.cli, \
              psycopg2, sqlalchemy, alembic",
};

const OPENSTACK_CLIENT: Spec = Spec {
    label: "openstackclient-10.5.0-heatclient-5.3.0",
    pins: OPENSTACK_CLIENT_PINS,
    imports: "import openstackclient.shell, heatclient.v1.client",
};

const OS_TESTR: Spec = Spec {
    label: "os-testr-3.0.0",
    pins: OS_TESTR_PINS,
    imports: "import os_testr.subunit2html, subunit, testtools",
};

/// The environment variable naming the interpreter the environment is built from.
pub const PYTHON_VAR: &str = "SUBUNIT_SAMPLES_PYTHON";

const READY: &str = "subunit-samples-ready";

/// The reference environment.
#[derive(Debug)]
pub struct PythonEnv {
    root: PathBuf,
}

/// The workspace root (the parent of this crate).
pub fn workspace_dir() -> PathBuf {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest.parent().unwrap_or(manifest).to_path_buf()
}

/// The directory of the helper scripts (`samples/python/`).
pub fn scripts_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("python")
}

/// The cargo build directory: the one holding the running executable (found by cargo's
/// `CACHEDIR.TAG`), else `CARGO_TARGET_DIR`, else the workspace's `target/`.
pub fn target_dir() -> PathBuf {
    if let Ok(exe) = std::env::current_exe() {
        for dir in exe.ancestors().skip(1) {
            if dir.join("CACHEDIR.TAG").is_file() {
                return dir.to_path_buf();
            }
        }
    }
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(d) => {
            let d = PathBuf::from(d);
            if d.is_absolute() {
                d
            } else {
                workspace_dir().join(d)
            }
        }
        None => workspace_dir().join("target"),
    }
}

/// Where the reference environment and the python-written samples live.
pub fn cache_dir() -> PathBuf {
    target_dir().join("subunit-samples")
}

/// The reference environment, made on first use. Panics, saying how to fix it, when it cannot
/// be made.
pub fn env() -> &'static PythonEnv {
    static ENV: OnceLock<PythonEnv> = OnceLock::new();
    ENV.get_or_init(|| made(&REFERENCE))
}

/// The Tempest environment, made on first use. Panics, saying how to fix it, when it cannot
/// be made.
pub fn tempest_env() -> &'static PythonEnv {
    static ENV: OnceLock<PythonEnv> = OnceLock::new();
    ENV.get_or_init(|| made(&TEMPEST))
}

/// The subunit2sql environment ([`SUBUNIT2SQL_PINS`]), made on first use. Panics, saying how
/// to fix it, when it cannot be made.
pub fn subunit2sql_env() -> &'static PythonEnv {
    static ENV: OnceLock<PythonEnv> = OnceLock::new();
    ENV.get_or_init(|| made(&SUBUNIT2SQL))
}

/// The OpenStack client environment (python-openstackclient with python-heatclient), made on
/// first use. Panics, saying how to fix it, when it cannot be made.
pub fn openstack_env() -> &'static PythonEnv {
    static ENV: OnceLock<PythonEnv> = OnceLock::new();
    ENV.get_or_init(|| made(&OPENSTACK_CLIENT))
}

/// The os-testr environment (its `subunit2html`), made on first use. Panics, saying how to
/// fix it, when it cannot be made.
pub fn os_testr_env() -> &'static PythonEnv {
    static ENV: OnceLock<PythonEnv> = OnceLock::new();
    ENV.get_or_init(|| made(&OS_TESTR))
}

fn made(spec: &Spec) -> PythonEnv {
    match make_env(spec) {
        Ok(env) => env,
        Err(msg) => panic!(
            "cannot make the pinned python reference environment ({}):\n{msg}\n\n\
             The interop tests need python3 (3.10 or later) with the venv module and pip, and \
             access to PyPI to install {}. To fix: install python3 and python3-venv (Debian: \
             `apt-get install python3-venv`), or point {PYTHON_VAR} at a suitable python3; then \
             delete {} and run the tests again.",
            spec.pins.join(" "),
            spec.pins.join(" "),
            cache_dir().display(),
        ),
    }
}

fn base_python() -> PathBuf {
    std::env::var_os(PYTHON_VAR)
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("python3"))
}

fn describe(cmd: &Command) -> String {
    let mut s = cmd.get_program().to_string_lossy().into_owned();
    for a in cmd.get_args() {
        s.push(' ');
        s.push_str(&a.to_string_lossy());
    }
    s
}

fn run_checked(cmd: &mut Command) -> Result<Output, String> {
    let out = cmd
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("`{}` could not start: {e}", describe(cmd)))?;
    if !out.status.success() {
        return Err(format!(
            "`{}` failed ({}):\n{}{}",
            describe(cmd),
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    Ok(out)
}

/// A short stable hash (FNV-1a, 32 bits) for directory names.
pub(crate) fn short_hash(parts: &[&[u8]]) -> String {
    let mut h: u32 = 0x811c_9dc5;
    for part in parts {
        for &b in *part {
            h ^= u32::from(b);
            h = h.wrapping_mul(0x0100_0193);
        }
        h ^= 0xff;
        h = h.wrapping_mul(0x0100_0193);
    }
    format!("{h:08x}")
}

/// Makes a directory at `dest` by building it in a fresh sibling with `build` and renaming it
/// into place. Safe against other processes doing the same: whoever renames first wins, and
/// the others use the winner's. `dest` counts as made when it holds the marker file `READY`.
pub(crate) fn build_dir_atomically(
    dest: &Path,
    build: impl FnOnce(&Path) -> Result<(), String>,
) -> Result<(), String> {
    if dest.join(READY).is_file() {
        return Ok(());
    }
    let parent = dest.parent().ok_or("destination has no parent")?;
    std::fs::create_dir_all(parent)
        .map_err(|e| format!("cannot create {}: {e}", parent.display()))?;
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    let stem = dest
        .file_name()
        .unwrap_or(OsStr::new("dir"))
        .to_string_lossy();
    let tmp = parent.join(format!(".tmp-{stem}-{}-{nanos}", std::process::id()));
    let result = build(&tmp).and_then(|()| {
        std::fs::write(tmp.join(READY), b"")
            .map_err(|e| format!("cannot write {}: {e}", tmp.join(READY).display()))
    });
    if let Err(e) = result {
        let _ = std::fs::remove_dir_all(&tmp);
        return Err(e);
    }
    match std::fs::rename(&tmp, dest) {
        Ok(()) => Ok(()),
        Err(e) => {
            let _ = std::fs::remove_dir_all(&tmp);
            if dest.join(READY).is_file() {
                // Another process won the race; its directory is as good as ours.
                Ok(())
            } else {
                Err(format!(
                    "cannot move {} to {}: {e} (if {} exists without {READY}, delete it)",
                    tmp.display(),
                    dest.display(),
                    dest.display()
                ))
            }
        }
    }
}

/// Replaces `from` by `to` in the scripts pip wrote into `bin/` (their `#!` lines name the
/// interpreter by absolute path, and the environment was built under another name).
fn relocate_scripts(bin: &Path, from: &Path, to: &Path) -> Result<(), String> {
    let from = from.to_string_lossy().into_owned();
    let to = to.to_string_lossy().into_owned();
    let entries =
        std::fs::read_dir(bin).map_err(|e| format!("cannot list {}: {e}", bin.display()))?;
    for entry in entries.flatten() {
        let path = entry.path();
        let is_file = std::fs::symlink_metadata(&path)
            .map(|m| m.file_type().is_file())
            .unwrap_or(false);
        if !is_file {
            continue;
        }
        let Ok(bytes) = std::fs::read(&path) else {
            continue;
        };
        let Ok(text) = String::from_utf8(bytes) else {
            continue;
        };
        if !text.contains(&from) {
            continue;
        }
        let perms = std::fs::metadata(&path).map(|m| m.permissions());
        std::fs::write(&path, text.replace(&from, &to))
            .map_err(|e| format!("cannot rewrite {}: {e}", path.display()))?;
        if let Ok(p) = perms {
            let _ = std::fs::set_permissions(&path, p);
        }
    }
    Ok(())
}

fn make_env(spec: &Spec) -> Result<PythonEnv, String> {
    let python = base_python();
    let probe = run_checked(Command::new(&python).args([
        "-c",
        "import os, sys; print('%d.%d.%d' % sys.version_info[:3]); \
         print(os.path.realpath(sys.executable)); \
         sys.exit(0 if sys.version_info >= (3, 10) else 3)",
    ]))?;
    let probe = String::from_utf8_lossy(&probe.stdout).into_owned();
    let mut lines = probe.lines();
    let version = lines.next().unwrap_or("unknown").trim().to_owned();
    let real = lines.next().unwrap_or("").trim().to_owned();
    let pins = spec.pins.join(" ");
    let name = format!(
        "venv-py{version}-{}-{}",
        short_hash(&[real.as_bytes(), pins.as_bytes()]),
        spec.label
    );
    let dest = cache_dir().join(name);
    build_dir_atomically(&dest, |tmp| {
        run_checked(Command::new(&python).arg("-m").arg("venv").arg(tmp))?;
        let py = tmp.join("bin").join("python");
        run_checked(
            Command::new(&py)
                .args([
                    "-m",
                    "pip",
                    "install",
                    "--disable-pip-version-check",
                    "--no-input",
                    "--quiet",
                ])
                .args(spec.pins)
                .env_remove("PIP_REQUIRE_VIRTUALENV")
                .env_remove("PYTHONPATH")
                .env_remove("PYTHONHOME"),
        )?;
        run_checked(Command::new(&py).args(["-c", spec.imports]))?;
        relocate_scripts(&tmp.join("bin"), tmp, &dest)
    })?;
    Ok(PythonEnv { root: dest })
}

impl PythonEnv {
    /// The environment's directory.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The environment's interpreter.
    pub fn python(&self) -> PathBuf {
        self.root.join("bin").join("python")
    }

    /// A console script of the environment (`subunit-ls`, `subunit-stats`, `subunit-1to2`,
    /// `subunit-output`, ...). Panics if there is no such script.
    pub fn bin(&self, tool: &str) -> PathBuf {
        let p = self.root.join("bin").join(tool);
        assert!(
            p.is_file(),
            "the python reference environment has no tool {tool:?} ({} is missing)",
            p.display()
        );
        p
    }

    /// A command running the interpreter with a clean, deterministic environment: no
    /// inherited `PYTHONPATH`/`PYTHONHOME`, no bytecode written into the repository, a fixed
    /// hash seed (so python's tag sets iterate the same way every run), UTF-8 I/O.
    pub fn command(&self) -> Command {
        let mut cmd = Command::new(self.python());
        cmd.env_remove("PYTHONHOME")
            .env("PYTHONPATH", scripts_dir())
            .env("PYTHONHASHSEED", "0")
            .env("PYTHONDONTWRITEBYTECODE", "1")
            .env("PYTHONIOENCODING", "utf-8");
        cmd
    }

    /// A command running the console script `tool` (through the interpreter, so it works
    /// wherever the environment sits).
    pub fn tool_command(&self, tool: &str) -> Command {
        let mut cmd = self.command();
        cmd.arg(self.bin(tool));
        cmd
    }

    /// Runs the script `samples/python/<script>` with `args`, feeding it `stdin`, and returns
    /// what it printed and how it exited. Panics if it cannot be started.
    pub fn run_script<I, S>(&self, script: &str, args: I, stdin: &[u8]) -> Output
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        let path = scripts_dir().join(script);
        assert!(path.is_file(), "no helper script {}", path.display());
        let mut cmd = self.command();
        cmd.arg(path).args(args);
        run_with_stdin(cmd, stdin)
    }

    /// Runs the console script `tool` with `args`, feeding it `stdin`. Panics if it cannot be
    /// started.
    pub fn run_tool<I, S>(&self, tool: &str, args: I, stdin: &[u8]) -> Output
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        let mut cmd = self.tool_command(tool);
        cmd.args(args);
        run_with_stdin(cmd, stdin)
    }

    /// Like [`PythonEnv::run_script`], but panics (with its stderr) unless the script exits 0,
    /// and returns its standard output.
    pub fn run_script_ok<I, S>(&self, script: &str, args: I, stdin: &[u8]) -> Vec<u8>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        let out = self.run_script(script, args, stdin);
        assert!(
            out.status.success(),
            "python script {script} failed ({}):\n{}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
        out.stdout
    }

    /// The events python-subunit reads from the stream at `path` (`dump_events.py`), each in
    /// the shape of [`crate::event_json`].
    pub fn events(&self, path: &Path) -> Vec<serde_json::Value> {
        let out = self.run_script_ok("dump_events.py", [path], b"");
        let text = String::from_utf8(out).expect("dump_events.py prints UTF-8");
        text.lines()
            .map(|l| {
                serde_json::from_str(l)
                    .unwrap_or_else(|e| panic!("dump_events.py printed bad JSON {l:?}: {e}"))
            })
            .collect()
    }

    /// What testtools' fold finds in the v2 stream at `path` (`fold_records.py`).
    pub fn fold(&self, path: &Path) -> crate::Found {
        let out = self.run_script_ok("fold_records.py", [path], b"");
        let value: serde_json::Value = serde_json::from_slice(&out)
            .unwrap_or_else(|e| panic!("fold_records.py printed bad JSON: {e}"));
        crate::Found::from_python_json(&value)
            .unwrap_or_else(|e| panic!("fold_records.py printed an unexpected shape: {e}"))
    }

    /// A v1 text stream converted to v2 by `subunit-1to2`. Panics unless it exits 0.
    pub fn v1_to_v2(&self, v1: &[u8]) -> Vec<u8> {
        let out = self.run_tool("subunit-1to2", std::iter::empty::<&str>(), v1);
        assert!(
            out.status.success(),
            "subunit-1to2 failed ({}):\n{}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
        out.stdout
    }
}

fn run_with_stdin(mut cmd: Command, stdin: &[u8]) -> Output {
    let what = describe(&cmd);
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start `{what}`: {e}"));
    let mut input = child.stdin.take().expect("stdin is piped");
    std::thread::scope(|s| {
        // Feed stdin on its own thread so a child that writes a lot before reading cannot
        // deadlock against us. A child that exits without reading gives a broken pipe, which
        // is its business, not an error here.
        s.spawn(move || {
            let _ = input.write_all(stdin);
        });
        child
            .wait_with_output()
            .unwrap_or_else(|e| panic!("cannot wait for `{what}`: {e}"))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn racing_builders_agree_on_one_directory() {
        let base = tempfile::tempdir().unwrap();
        let dest = base.path().join("made");
        let results: Vec<Result<(), String>> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..8)
                .map(|i| {
                    let dest = &dest;
                    s.spawn(move || {
                        build_dir_atomically(dest, |tmp| {
                            std::fs::create_dir(tmp).map_err(|e| e.to_string())?;
                            std::fs::write(tmp.join("builder"), i.to_string())
                                .map_err(|e| e.to_string())?;
                            std::thread::sleep(std::time::Duration::from_millis(20));
                            Ok(())
                        })
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        assert!(results.iter().all(Result::is_ok), "{results:?}");
        assert!(dest.join(READY).is_file());
        let winner: usize = std::fs::read_to_string(dest.join("builder"))
            .unwrap()
            .parse()
            .unwrap();
        assert!(winner < 8);
        // The losers cleaned up after themselves.
        let left: Vec<_> = std::fs::read_dir(base.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(left, ["made"]);
        // Once made, it is not built again.
        build_dir_atomically(&dest, |_| panic!("built twice")).unwrap();
    }

    #[test]
    fn a_failed_build_leaves_nothing_behind() {
        let base = tempfile::tempdir().unwrap();
        let dest = base.path().join("made");
        let err = build_dir_atomically(&dest, |tmp| {
            std::fs::create_dir(tmp).unwrap();
            Err("pip said no".to_owned())
        })
        .unwrap_err();
        assert_eq!(err, "pip said no");
        assert_eq!(std::fs::read_dir(base.path()).unwrap().count(), 0);
    }

    #[test]
    fn scripts_are_relocated() {
        let dir = tempfile::tempdir().unwrap();
        let bin = dir.path().join("bin");
        std::fs::create_dir(&bin).unwrap();
        let from = Path::new("/old/.tmp-venv-1-0");
        std::fs::write(
            bin.join("subunit-ls"),
            "#!/old/.tmp-venv-1-0/bin/python\nimport sys\n",
        )
        .unwrap();
        std::fs::write(bin.join("other"), "#!/usr/bin/env python3\n").unwrap();
        relocate_scripts(&bin, from, Path::new("/new/venv")).unwrap();
        assert_eq!(
            std::fs::read_to_string(bin.join("subunit-ls")).unwrap(),
            "#!/new/venv/bin/python\nimport sys\n"
        );
        assert_eq!(
            std::fs::read_to_string(bin.join("other")).unwrap(),
            "#!/usr/bin/env python3\n"
        );
    }
}
