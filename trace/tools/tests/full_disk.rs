//! A full disk: every tool with its standard output on `/dev/full`, and every output file on
//! `/dev/full`, exits 2 with `TOOL: ... No space left on device`; an output file on a small
//! filesystem that fills is left as it was (or absent), with no temporary file beside it; and
//! `subunit-store load` on a filesystem that fills at every stage of a load (the run file, the
//! failing file, `next-stream`, the metadata and times databases) leaves only whole runs, a
//! `next-stream` above every stored id, readable databases and no temporary file, and takes
//! the next run once there is room.
//!
//! The small filesystem is a tmpfs mounted for the test when the test may mount (root in a
//! container that allows it); otherwise the tool runs with `RLIMIT_FSIZE` (and `SIGXFSZ`
//! ignored), so a write past the limit fails with `EFBIG` as a write to a full disk fails with
//! `ENOSPC`. The test says which it used.

use std::fs::{self, File, OpenOptions};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use subunit_runs::store::Store;
use subunit_sinks::dumb::DumbDb;

use crate::common::{generated, our_command, whole_tests, write};

fn dev_full() -> File {
    OpenOptions::new().write(true).open("/dev/full").unwrap()
}

fn assert_full_disk_error(tool: &str, out: &Output, what: &str) {
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{what}: {err}");
    assert!(
        err.starts_with(&format!("{tool}: ")) && err.contains("No space left on device"),
        "{what}: {err}"
    );
}

/// Stands for the v2 input on stdin (for the tools that only read stdin).
const V2_ON_STDIN: &[u8] = b"V2 ON STDIN";

/// Every tool, its arguments (`IN` stands for the v2 input file, `V1` for the v1 one, `STORE`
/// for a store holding one run) and what it reads on stdin.
fn every_tool(v2: &Path, v1: &Path, store: &Path) -> Vec<(&'static str, Vec<String>, Vec<u8>)> {
    let s = |p: &Path| p.display().to_string();
    let run = |t: &'static str, args: &[&str], stdin: &[u8]| {
        let args = args
            .iter()
            .map(|a| match *a {
                "IN" => s(v2),
                "V1" => s(v1),
                "STORE" => s(store),
                "PAGE" => s(&store.join("page.html")),
                a => a.to_string(),
            })
            .collect();
        (t, args, stdin.to_vec())
    };
    vec![
        run("subunit-1to2", &["V1"], b""),
        run("subunit-2to1", &["IN"], b""),
        run("subunit-diff", &["IN", "IN"], b""),
        run("subunit-explore", &["IN"], b"summary\nfailing\n"),
        run("subunit-filter", &["IN"], b""),
        run("subunit-ls", &["IN"], b""),
        run("subunit-output", &["--inprogress", "a.test"], b""),
        run("subunit-replay", &["IN"], b""),
        run("subunit-stats", &["IN"], b""),
        run("subunit-store", &["-C", "STORE", "last"], b""),
        run("subunit-tags", &["extra"], V2_ON_STDIN),
        run("subunit-trace", &["IN"], b""),
        run("subunit2csv", &["IN"], b""),
        run("subunit2html", &["IN", "PAGE"], b""),
        run("subunit2junitxml", &["IN"], b""),
    ]
}

fn inputs(dir: &Path) -> (PathBuf, PathBuf, PathBuf) {
    let (_, run) = generated(200, 2, 5);
    let v2 = write(dir, "run.subunit", &run);
    let v1 = write(
        dir,
        "run.v1",
        b"test: a\nsuccess: a\ntest: b\nfailure: b [\nboom\n]\n",
    );
    let store = dir.join("store");
    fs::create_dir(&store).unwrap();
    Store::init(&store)
        .unwrap()
        .load(vec![(v2.clone(), File::open(&v2).unwrap())], None, |_| {
            Ok(())
        })
        .unwrap();
    (v2, v1, store)
}

fn with_stdin(mut cmd: Command, stdin: &[u8], dir: &Path) -> Output {
    let input = if stdin == V2_ON_STDIN {
        dir.join("run.subunit")
    } else {
        write(dir, "stdin", stdin)
    };
    cmd.stdin(File::open(input).unwrap())
        .stderr(Stdio::piped())
        .output()
        .unwrap()
}

#[test]
fn every_tool_with_standard_output_on_dev_full_exits_2_with_a_message() {
    let dir = tempfile::tempdir().unwrap();
    let (v2, v1, store) = inputs(dir.path());
    let tools = every_tool(&v2, &v1, &store);
    assert_eq!(
        tools.len(),
        15,
        "one case per binary in trace/tools/src/bin"
    );
    for (tool, args, stdin) in tools {
        let mut cmd = our_command(tool);
        cmd.args(&args).stdout(dev_full());
        let out = with_stdin(cmd, &stdin, dir.path());
        assert_full_disk_error(tool, &out, &format!("{tool} {args:?} > /dev/full"));
    }
    // A load whose summary cannot be written still stores its run whole.
    let mut cmd = our_command("subunit-store");
    cmd.args(["-C", &store.display().to_string(), "load"])
        .arg(&v2)
        .stdout(dev_full());
    let out = with_stdin(cmd, b"", dir.path());
    assert_full_disk_error("subunit-store", &out, "load > /dev/full");
    let s = Store::open(&store).unwrap();
    assert_eq!(s.run_ids().unwrap(), [0, 1]);
    assert_eq!(s.next_stream().unwrap(), 2);
}

/// The tools that write a file named on the command line, `OUT` standing for it.
fn file_writers(v2: &Path, store: &Path) -> Vec<(&'static str, Vec<String>)> {
    let s = |p: &Path| p.display().to_string();
    let (v2, store) = (s(v2), s(store));
    vec![
        ("subunit2html", vec![v2.clone(), "OUT".into()]),
        ("subunit-stats", vec!["-o".into(), "OUT".into(), v2.clone()]),
        ("subunit2csv", vec!["-o".into(), "OUT".into(), v2.clone()]),
        (
            "subunit2junitxml",
            vec!["-o".into(), "OUT".into(), v2.clone()],
        ),
        (
            "subunit-diff",
            vec!["--html".into(), "OUT".into(), v2.clone(), v2],
        ),
        (
            "subunit-store",
            vec![
                "-C".into(),
                store,
                "report".into(),
                "--output".into(),
                "OUT".into(),
            ],
        ),
    ]
}

fn with_out(args: &[String], out: &Path) -> Vec<String> {
    args.iter()
        .map(|a| {
            if a == "OUT" {
                out.display().to_string()
            } else {
                a.clone()
            }
        })
        .collect()
}

#[test]
fn every_output_file_on_dev_full_exits_2_with_a_message() {
    let dir = tempfile::tempdir().unwrap();
    let (v2, _, store) = inputs(dir.path());
    for (tool, args) in file_writers(&v2, &store) {
        let args = with_out(&args, Path::new("/dev/full"));
        let mut cmd = our_command(tool);
        cmd.args(&args).stdout(Stdio::null());
        let out = with_stdin(cmd, b"", dir.path());
        assert_full_disk_error(tool, &out, &format!("{tool} {args:?}"));
    }
}

/// A directory on a filesystem of `bytes` bytes (a tmpfs), or `None` when this process may not
/// mount one; unmounted when dropped.
struct SmallFs {
    dir: tempfile::TempDir,
}

impl SmallFs {
    fn mount(bytes: u64) -> Option<SmallFs> {
        let dir = tempfile::tempdir().unwrap();
        let ok = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={bytes}"), "tmpfs"])
            .arg(dir.path())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        ok.then_some(SmallFs { dir })
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }
}

impl Drop for SmallFs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(self.dir.path()).status();
    }
}

/// Where a test's files go when disk space is limited: a small tmpfs, or (when mounting is not
/// allowed) an ordinary directory with each command limited by `RLIMIT_FSIZE`.
enum Limit {
    Tmpfs(SmallFs),
    FileSize(tempfile::TempDir, u64),
}

impl Limit {
    /// A tmpfs of `fs_bytes`, or else files limited to `file_bytes`.
    fn new(fs_bytes: u64, file_bytes: u64) -> Limit {
        match SmallFs::mount(fs_bytes) {
            Some(fs) => Limit::Tmpfs(fs),
            None => {
                eprintln!("cannot mount a tmpfs here: limiting file sizes instead");
                Limit::FileSize(tempfile::tempdir().unwrap(), file_bytes)
            }
        }
    }

    fn path(&self) -> &Path {
        match self {
            Limit::Tmpfs(fs) => fs.path(),
            Limit::FileSize(dir, _) => dir.path(),
        }
    }

    fn command(&self, tool: &str) -> Command {
        let mut cmd = our_command(tool);
        if let Limit::FileSize(_, bytes) = *self {
            // SAFETY: setrlimit and signal are async-signal-safe; nothing else runs here.
            unsafe {
                cmd.pre_exec(move || {
                    libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
                    let lim = libc::rlimit {
                        rlim_cur: bytes,
                        rlim_max: bytes,
                    };
                    if libc::setrlimit(libc::RLIMIT_FSIZE, &lim) != 0 {
                        return Err(std::io::Error::last_os_error());
                    }
                    Ok(())
                });
            }
        }
        cmd
    }

    fn full_error(&self) -> &'static str {
        match self {
            Limit::Tmpfs(_) => "No space left on device",
            Limit::FileSize(..) => "File too large",
        }
    }

    /// Fills the filesystem but for about `free` bytes (a tmpfs only; the file-size limit
    /// needs no filler).
    fn leave_free(&self, free: u64) {
        let Limit::Tmpfs(fs) = self else { return };
        let filler = fs.path().join("filler");
        let _ = fs::remove_file(&filler);
        let mut f = File::create(&filler).unwrap();
        let chunk = vec![0u8; 4096];
        // Write until full, then give back `free` bytes (whole pages).
        while std::io::Write::write_all(&mut f, &chunk).is_ok() {}
        let len = f.metadata().unwrap().len();
        f.set_len(len.saturating_sub(free)).unwrap();
    }
}

/// The files in `dir` other than `keep`.
fn others(dir: &Path, keep: &[&str]) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| !keep.contains(&n.as_str()))
        .collect();
    names.sort();
    names
}

#[test]
fn an_output_file_on_a_full_filesystem_is_left_as_it_was() {
    let inputs_dir = tempfile::tempdir().unwrap();
    let (v2, _, store) = inputs(inputs_dir.path());
    let limit = Limit::new(64 * 1024, 1);
    let out_dir = limit.path().join("out");
    fs::create_dir(&out_dir).unwrap();
    for (tool, args) in file_writers(&v2, &store) {
        limit.leave_free(0);
        let old = out_dir.join("old.out");
        fs::write(&old, b"the previous output\n").ok();
        let new = out_dir.join("new.out");
        for (target, before) in [(&old, fs::read(&old).ok()), (&new, None)] {
            let args = with_out(&args, target);
            let mut cmd = limit.command(tool);
            cmd.args(&args).stdout(Stdio::null());
            let out = with_stdin(cmd, b"", inputs_dir.path());
            let err = String::from_utf8_lossy(&out.stderr);
            assert_eq!(out.status.code(), Some(2), "{tool} {args:?}: {err}");
            assert!(err.contains(limit.full_error()), "{tool} {args:?}: {err}");
            assert_eq!(
                fs::read(target).ok(),
                before,
                "{tool} {args:?} changed its output"
            );
            assert_eq!(
                others(&out_dir, &["old.out"]),
                Vec::<String>::new(),
                "{tool}: a file left behind"
            );
        }
    }
}

/// What a store on a full disk must always be: whole runs only, `next-stream` above every id,
/// both databases readable, no temporary file.
fn check_store(store: &Store, tests_per_run: usize) -> Vec<u64> {
    let ids = store.run_ids().unwrap();
    let next = store.next_stream().unwrap();
    assert!(
        ids.iter().all(|&id| id < next),
        "next-stream {next}, runs {ids:?}"
    );
    for &id in &ids {
        assert_eq!(
            whole_tests(store, id),
            tests_per_run,
            "run {id} is not whole"
        );
    }
    for db in ["times.dbm", "meta.dbm"] {
        if let Some(db) = DumbDb::open_existing(&store.base().join(db)).unwrap() {
            db.items().unwrap();
        }
    }
    let stray: Vec<String> = others(store.base(), &[])
        .into_iter()
        .filter(|n| n.starts_with("tmp") || n.ends_with(".new"))
        .collect();
    assert_eq!(stray, Vec::<String>::new(), "temporary files left");
    ids
}

/// The file a load's error names, by kind (`tmp-…` is the run or failing file being synced;
/// `stream` a write to them, whose message names no file).
fn stage(err: &str) -> String {
    let parts: Vec<&str> = err.trim_end().split(": ").collect();
    if parts.len() < 3 {
        // The run or failing file being written: the message names no file.
        return "stream".to_string();
    }
    let name = parts
        .get(1)
        .copied()
        .and_then(|p| Path::new(p).file_name())
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    match name.split_once('-') {
        Some(("tmp", _)) => "tmp".to_string(),
        _ => name.split(".tmp").next().unwrap_or_default().to_string(),
    }
}

#[test]
fn a_store_load_on_a_filesystem_that_fills_keeps_only_whole_runs() {
    const TESTS: usize = 150;
    let inputs_dir = tempfile::tempdir().unwrap();
    let (_, run) = generated(TESTS, 2, 9);
    let input = write(inputs_dir.path(), "run.subunit", &run);
    let limit = Limit::new(2 * 1024 * 1024, 16 * 1024);
    let store = Store::init(limit.path()).unwrap();
    let load = || {
        let mut cmd = limit.command("subunit-store");
        cmd.arg("-C")
            .arg(limit.path())
            .args(["load", "-m", "metadata of the run"])
            .arg(&input)
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        cmd.output().unwrap()
    };
    let first = load();
    assert_eq!(
        first.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    let run_size = fs::metadata(store.run_path(0)).unwrap().len();
    let mut stored = check_store(&store, TESTS);
    let (mut failed, mut ok) = (0, 0);
    let mut stages = std::collections::BTreeSet::new();
    match &limit {
        Limit::Tmpfs(_) => {
            // Room for none of the load, then for more and more of it, up to all of it: the
            // disk fills in the run file, the failing file, next-stream, or the databases.
            for free in (0..=2 * run_size + 32 * 1024).step_by(4096) {
                limit.leave_free(free);
                let out = load();
                let err = String::from_utf8_lossy(&out.stderr);
                let ids = check_store(&store, TESTS);
                if out.status.code() == Some(2) {
                    assert!(err.contains(limit.full_error()), "{err}");
                    stages.insert(stage(&err));
                    failed += 1;
                } else {
                    assert_eq!(out.status.code(), Some(1), "{err}");
                    assert_eq!(
                        ids.len(),
                        stored.len() + 1,
                        "a load that succeeded stored nothing"
                    );
                    ok += 1;
                }
                assert!(
                    stored.iter().all(|id| ids.contains(id)),
                    "a stored run was lost"
                );
                stored = ids;
            }
            fs::remove_file(limit.path().join("filler")).unwrap();
        }
        Limit::FileSize(..) => {
            // The limit is below the run file's size: every load fails.
            drop(first);
        }
    }
    eprintln!("{failed} loads met a full disk, at {stages:?}; {ok} fit");
    assert!(
        failed >= 3,
        "only {failed} loads met a full disk ({ok} fit)"
    );
    if let Limit::Tmpfs(_) = limit {
        assert!(ok >= 3, "only {ok} loads fit");
        assert!(stages.len() >= 2, "the disk filled only at {stages:?}");
    }
    // With room again the next load works and takes the next id.
    let next = store.next_stream().unwrap();
    let out = load();
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let ids = check_store(&store, TESTS);
    assert_eq!(ids.last(), Some(&next));
    assert_eq!(
        store.metadata(next).unwrap().as_deref(),
        Some("metadata of the run")
    );
}
