//! `subunit-explore` at its interactive prompt, driven through a pseudo-terminal: TAB
//! completes commands and unique test id prefixes, up-arrow recalls earlier commands, and the
//! history outlives the session (kept under `$XDG_STATE_HOME`, or in the store).

use std::path::Path;
use std::process::Command;

use rexpect::session::{PtySession, spawn_command};
use subunit_runs::store::Store;

const BIN: &str = env!("CARGO_BIN_EXE_subunit-explore");
const UP: &str = "\x1b[A";

fn session(args: &[&str], dir: &Path) -> PtySession {
    let mut cmd = Command::new(BIN);
    cmd.args(args)
        .current_dir(dir)
        .env("XDG_STATE_HOME", dir.join("state"))
        .env("TERM", "xterm")
        .env_remove("NO_COLOR");
    spawn_command(cmd, Some(10_000)).unwrap()
}

/// Types `keys` (the session buffers what is sent until flushed).
fn key(p: &mut PtySession, keys: &str) {
    p.send(keys).unwrap();
    p.flush().unwrap();
}

fn sample_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let sample = subunit_samples::get("emitter-all");
    std::fs::write(dir.path().join("emitter-all.subunit"), sample.bytes()).unwrap();
    dir
}

#[test]
fn tab_completes_and_up_arrow_recalls_and_history_is_kept() {
    let dir = sample_dir();
    let mut p = session(&["emitter-all.subunit"], dir.path());
    p.exp_string("10 tests.").unwrap();
    p.exp_string("explore> ").unwrap();

    // A unique test id prefix completes to the whole id.
    key(&mut p, "show emitter.pa");
    key(&mut p, "\t");
    p.exp_string("emitter.pass").unwrap();
    key(&mut p, "\r");
    p.exp_string("status: success").unwrap();
    p.exp_string("hello from a test").unwrap();
    p.exp_string("explore> ").unwrap();

    // A command name completes too.
    key(&mut p, "wor\t");
    p.exp_string("workers").unwrap();
    key(&mut p, "\r");
    p.exp_string("worker 1: 2 tests").unwrap();
    p.exp_string("explore> ").unwrap();

    // Up twice recalls the `show` command; running it answers again.
    key(&mut p, UP);
    key(&mut p, UP);
    p.exp_string("show emitter.pass").unwrap();
    key(&mut p, "\r");
    p.exp_string("status: success").unwrap();
    p.exp_string("explore> ").unwrap();
    key(&mut p, "quit\r");
    p.exp_eof().unwrap();

    let history =
        std::fs::read_to_string(dir.path().join("state/subunit-explore/history")).unwrap();
    let lines: Vec<&str> = history.lines().filter(|l| !l.starts_with('#')).collect();
    assert_eq!(
        lines,
        ["show emitter.pass", "workers", "show emitter.pass", "quit"]
    );

    // A new session recalls the last one's commands.
    let mut p = session(&["emitter-all.subunit"], dir.path());
    p.exp_string("explore> ").unwrap();
    key(&mut p, UP);
    key(&mut p, UP);
    p.exp_string("show emitter.pass").unwrap();
    key(&mut p, "\r");
    p.exp_string("duration: 0.123457s").unwrap();
    p.exp_string("explore> ").unwrap();
    // End of input (Ctrl-D) leaves too.
    p.send_control('d').unwrap();
    p.exp_eof().unwrap();
}

#[test]
fn a_store_completes_run_ids_and_keeps_its_history_in_the_store() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::init(dir.path()).unwrap();
    let sample = subunit_samples::get("emitter-all").bytes();
    for _ in 0..2 {
        store
            .load(vec![(dir.path().join("a"), &sample[..])], None, |_| Ok(()))
            .unwrap();
    }
    let mut p = session(&["--store", "."], dir.path());
    p.exp_string("explore[1]> ").unwrap();
    key(&mut p, "use \t");
    // Two runs: TAB twice lists them.
    key(&mut p, "\t");
    p.exp_regex("0 +1").unwrap();
    key(&mut p, "0\r");
    p.exp_string("run 0: 10 tests").unwrap();
    p.exp_string("explore[0]> ").unwrap();
    key(&mut p, "quit\r");
    p.exp_eof().unwrap();
    let history = std::fs::read_to_string(store.base().join("explore-history")).unwrap();
    assert!(history.lines().any(|l| l == "use 0"), "{history}");
}
