//! Talking to the embedded server over real HTTP, and its store on disk.

#![allow(dead_code)]

pub mod http;

use std::path::Path;

use valet_cloud::ServerOptions;

/// The default options with the store in `db`.
pub fn on_file(db: &Path) -> ServerOptions {
    ServerOptions {
        db: Some(db.to_path_buf()),
        ..ServerOptions::default()
    }
}

/// Asserts SQLite's `integrity_check` finds the file at `db` whole.
pub fn assert_intact(db: &Path) {
    let conn = rusqlite::Connection::open(db).unwrap();
    let check: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(check, "ok");
}
