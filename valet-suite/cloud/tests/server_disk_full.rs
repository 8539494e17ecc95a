//! The store's disk fills up: the server's store on a 1 MiB tmpfs, groups written until one is
//! refused. The refused write is a 507 with Valet's error body (Heat's and Keystone's for
//! theirs), the server keeps answering reads, writes succeed again once there is room, and a
//! restart finds every acknowledged write and none of the refused ones.
//!
//! Mounting the tmpfs needs root (as the test machine runs); elsewhere the test says it did
//! not run and passes.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::json;
use valet_cloud::start;

use crate::common::http::{Resp, client, names, token};
use crate::common::{assert_intact, on_file};

/// A tmpfs mounted for the test, unmounted when dropped.
struct Tmpfs(PathBuf);

impl Tmpfs {
    fn mount(at: &Path, size: &str) -> Option<Tmpfs> {
        let ok = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(at)
            .stderr(std::process::Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        ok.then(|| Tmpfs(at.to_path_buf()))
    }
    fn resize(&self, size: &str) {
        let status = Command::new("mount")
            .args(["-o", &format!("remount,size={size}")])
            .arg(&self.0)
            .status()
            .unwrap();
        assert!(status.success());
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.0).status();
    }
}

#[test]
fn a_full_disk_refuses_writes_with_507_and_loses_nothing_acknowledged() {
    let dir = tempfile::tempdir().unwrap();
    let Some(fs) = Tmpfs::mount(dir.path(), "1m") else {
        eprintln!("not run: mounting a tmpfs needs root");
        return;
    };
    let db = dir.path().join("full.sqlite");
    let opts = || on_file(&db);
    let server = start(opts()).unwrap();
    let c = client();
    let (tok, tenant) = token(&c, &server.identity_url());
    let valet = server.valet_url();
    let heat = format!("{}/orchestration/v1/{tenant}/stacks", server.base_url());
    let filler = "x".repeat(4096);
    let mut acked = Vec::new();
    let refused = loop {
        let name = format!("fill-{}", acked.len());
        let r = Resp::send(
            c.post(format!("{valet}/groups"))
                .header("X-Auth-Token", &tok)
                .json(&json!({"name": name, "type": "affinity", "level": "host",
                              "description": filler})),
        );
        match r.status {
            201 => acked.push(name),
            507 => break (name, r),
            other => panic!("{name}: {other} {}", r.text),
        }
        assert!(acked.len() < 1000, "1 MiB never filled");
    };
    let (refused_name, r) = refused;
    let body = r.json();
    assert_eq!(body["title"], "Insufficient Storage", "{body}");
    assert_eq!(body["error"]["type"], "HTTPInsufficientStorage", "{body}");
    // Reads go on; Heat's and Keystone's writes are refused with their own bodies.
    let listed = names(&c, &format!("{valet}/groups"), &tok, "groups", "name");
    assert_eq!(listed.len(), acked.len());
    let template =
        format!("heat_template_version: 2015-04-30\ndescription: {filler}{filler}{filler}\n");
    let r = Resp::send(
        c.post(&heat)
            .header("X-Auth-Token", &tok)
            .json(&json!({"stack_name": "full", "template": template})),
    );
    assert_eq!(r.status, 507, "{}", r.text);
    assert_eq!(r.json()["error"]["type"], "DBError");
    let r = Resp::send(
        c.post(format!("{}/projects", server.identity_url()))
            .header("X-Auth-Token", &tok)
            .json(&json!({"project": {"name": "full", "description": filler.repeat(8)}})),
    );
    assert_eq!(r.status, 507, "{}", r.text);
    assert_eq!(r.json()["error"]["title"], "Insufficient Storage");

    // Room again: the refused write goes through when sent again.
    fs.resize("8m");
    let r = Resp::send(
        c.post(format!("{valet}/groups"))
            .header("X-Auth-Token", &tok)
            .json(
                &json!({"name": refused_name, "type": "affinity", "level": "host",
                          "description": filler}),
            ),
    );
    assert_eq!(r.status, 201, "{}", r.text);
    acked.push(refused_name);
    server.shutdown();

    let server = start(opts()).unwrap();
    let listed = names(
        &c,
        &format!("{}/groups", server.valet_url()),
        &tok,
        "groups",
        "name",
    );
    let want: std::collections::BTreeSet<String> = acked.iter().cloned().collect();
    assert_eq!(listed, want);
    server.shutdown();
    assert_intact(&db);
    println!(
        "disk full: {} groups acknowledged before the first 507, all kept",
        acked.len() - 1
    );
}
