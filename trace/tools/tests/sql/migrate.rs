//! `subunit2sql-db-manage upgrade head` on a database at an older revision: subunit2sql
//! 1.10.0's own tool makes it (`upgrade REV`) and stores runs in it; ours migrates it; its
//! schema then equals, table by table, the one subunit2sql's tool migrates to head (and one
//! made at head from nothing), and its rows are the rows it had. Revisions older than
//! `2822a408bdd0` are refused by name, and a migration that cannot finish changes nothing.

use std::fmt::Debug;
use std::path::Path;

use super::common::{
    Dump, assert_same_tables, dump, failure, file, ok, ours, pg_catalog, sqlite_schema, stream,
    their_upgrade, theirs,
};
use super::pg;

/// The revisions ours migrates from, oldest first, with the steps it reports.
const MIGRATED: [(&str, &[&str]); 2] = [
    (
        "2822a408bdd0",
        &[
            "Running upgrade 2822a408bdd0 -> 35cd45895e56, Add missing fk indexes",
            "Running upgrade 35cd45895e56 -> 10a2b6d4b06e, Add even more indexes",
        ],
    ),
    (
        "35cd45895e56",
        &["Running upgrade 35cd45895e56 -> 10a2b6d4b06e, Add even more indexes"],
    ),
];

fn manage(url: &str, args: &[&str]) -> std::process::Output {
    let mut a = vec!["--database-connection", url];
    a.extend_from_slice(args);
    ours("subunit2sql-db-manage", &a, b"")
}

/// A database at `rev`, made by subunit2sql's own tool, holding two runs its `subunit2sql`
/// stored (with run and test metadata; its `--store_attachments` crashes).
fn at_revision(url: &str, rev: &str, dir: &Path) {
    ok(
        theirs(
            "subunit2sql-db-manage",
            &["--database-connection", url, "upgrade", rev],
            b"",
        ),
        &format!("subunit2sql-db-manage upgrade {rev}"),
    );
    for i in 1..=2u64 {
        let f = file(dir, &format!("run{i}.subunit"), &stream(30, i));
        let f = f.display().to_string();
        let (id, at) = (format!("run-{i}"), format!("2026-01-0{i}"));
        ok(
            theirs(
                "subunit2sql",
                &[
                    "--database-connection",
                    url,
                    "--run_id",
                    &id,
                    "--run_at",
                    &at,
                    "-r",
                    "build_name:gate",
                    &f,
                ],
                b"",
            ),
            "subunit2sql at an older revision",
        );
    }
}

/// The rows of every table but `alembic_version`.
fn rows(url: &str) -> Dump {
    let mut d = dump(url);
    d.remove("alembic_version");
    d
}

fn migrates_as_subunit2sql_does<S: PartialEq + Debug>(
    new_db: impl Fn() -> String,
    schema: impl Fn(&str) -> S,
) {
    let dir = tempfile::tempdir().unwrap();
    let head = new_db();
    their_upgrade(&head);
    for (rev, steps) in MIGRATED {
        let (url, their_url) = (new_db(), new_db());
        at_revision(&url, rev, dir.path());
        at_revision(&their_url, rev, dir.path());
        assert_ne!(schema(&url), schema(&head), "{rev}'s schema is not head's");
        let before = rows(&url);
        assert!(
            before["test_runs"].len() >= 60,
            "{rev}: the runs were stored"
        );

        let out = manage(&url, &["upgrade", "head"]);
        assert!(out.status.success(), "{rev}: {out:?}");
        let said = String::from_utf8_lossy(&out.stderr);
        assert_eq!(said.lines().collect::<Vec<_>>(), steps, "{rev}");
        their_upgrade(&their_url);

        assert_eq!(
            schema(&url),
            schema(&their_url),
            "{rev}: ours and subunit2sql's"
        );
        assert_eq!(
            schema(&url),
            schema(&head),
            "{rev}: and a schema made at head"
        );
        assert_same_tables(&rows(&url), &before);
        let current = ok(manage(&url, &["current"]), "current");
        assert_eq!(String::from_utf8_lossy(&current), "10a2b6d4b06e (head)\n");
        // Usable: ours loads into it and reads its runs back.
        let f = file(dir.path(), "run3.subunit", &stream(10, 3));
        ok(
            ours(
                "subunit2sql",
                &[
                    "--database-connection",
                    &url,
                    "--run_id",
                    "run-3",
                    &f.display().to_string(),
                ],
                b"",
            ),
            "load after the migration",
        );
        ok(
            ours(
                "sql2subunit",
                &["--database-connection", &url, "run-1"],
                b"",
            ),
            "read a migrated run",
        );
        // Again: nothing to do.
        assert!(manage(&url, &["upgrade", "head"]).stderr.is_empty());
    }
}

#[test]
fn sqlite_at_an_older_revision_migrates_as_subunit2sql_does() {
    let dir = tempfile::tempdir().unwrap();
    let n = std::cell::Cell::new(0);
    migrates_as_subunit2sql_does(
        || {
            n.set(n.get() + 1);
            format!(
                "sqlite:///{}",
                dir.path().join(format!("{}.db", n.get())).display()
            )
        },
        sqlite_schema,
    );
}

#[test]
fn postgres_at_an_older_revision_migrates_as_subunit2sql_does() {
    let server = pg::server();
    migrates_as_subunit2sql_does(|| server.create_db(), pg_catalog);
}

#[test]
fn older_or_unknown_revisions_are_refused_and_a_failed_migration_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite:///{}", dir.path().join("old.db").display());
    ok(
        theirs(
            "subunit2sql-db-manage",
            &["--database-connection", &url, "upgrade", "b96122f780"],
            b"",
        ),
        "upgrade b96122f780",
    );
    let before = sqlite_schema(&url);
    let (code, err) = failure(&manage(&url, &["upgrade", "head"]));
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains(
            "revision b96122f780 (\"Cleanup and Improve Indexes\"), older than 2822a408bdd0"
        ),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "{err}");
    assert_eq!(sqlite_schema(&url), before);
    let (code, err) = failure(&ours(
        "subunit2sql",
        &["--database-connection", &url],
        &stream(3, 1),
    ));
    assert_eq!(code, 2);
    assert!(err.contains("b96122f780"), "{err}");

    let path = url.strip_prefix("sqlite:///").unwrap();
    let set = |rev: &str| {
        rusqlite::Connection::open(path)
            .unwrap()
            .execute("UPDATE alembic_version SET version_num = ?1", [rev])
            .unwrap();
    };
    set("0123456789ab");
    let (code, err) = failure(&manage(&url, &["upgrade", "head"]));
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("\"0123456789ab\", not 10a2b6d4b06e"), "{err}");

    // At 35cd45895e56 nothing stops a run's metadata holding one row twice; the unique
    // constraint of the next migration cannot take it, in subunit2sql's tool or ours.
    let url = format!("sqlite:///{}", dir.path().join("dup.db").display());
    at_revision(&url, "35cd45895e56", dir.path());
    rusqlite::Connection::open(url.strip_prefix("sqlite:///").unwrap())
        .unwrap()
        .execute_batch(
            "INSERT INTO run_metadata (\"key\", value, run_id) \
             SELECT \"key\", value, run_id FROM run_metadata WHERE id = 1",
        )
        .unwrap();
    let copy = dir.path().join("dup-theirs.db");
    std::fs::copy(url.strip_prefix("sqlite:///").unwrap(), &copy).unwrap();
    let (before, rows_before) = (sqlite_schema(&url), dump(&url));
    let (code, err) = failure(&manage(&url, &["upgrade", "head"]));
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("uq_run_metadata"), "{err}");
    assert_eq!(sqlite_schema(&url), before, "rolled back");
    assert_eq!(dump(&url), rows_before);
    let theirs_out = theirs(
        "subunit2sql-db-manage",
        &[
            "--database-connection",
            &format!("sqlite:///{}", copy.display()),
            "upgrade",
            "head",
        ],
        b"",
    );
    assert!(
        !theirs_out.status.success(),
        "subunit2sql's migration fails too"
    );
}
