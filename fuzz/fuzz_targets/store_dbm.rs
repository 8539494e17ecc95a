//! The run store's `dbm.dumb` files (`times.dbm`, `meta.dbm`) on any bytes: the first two
//! bytes say where the input splits into the index (`.dir`) and the data (`.dat`); both
//! databases of a fresh store get them, and the store reads its times and a run's metadata.
//!
//! Beyond "no panic, no hang, no huge allocation": when the database reads whole, a new key
//! set and committed leaves, on reopening, exactly the old items plus the new one, in index
//! order (the index this writes is one this reads back, key bytes and positions intact).
#![no_main]

use std::fs;
use std::path::{Path, PathBuf};

use libfuzzer_sys::fuzz_target;
use subunit_runs::store::Store;
use subunit_sinks::dumb::DumbDb;

const NEW_KEY: &[u8] = b"fuzz.new_key\xe9'\"\\\n";
const NEW_VALUE: &[u8] = b"1.25";

/// A RAM-backed scratch directory when there is one.
fn scratch() -> PathBuf {
    let shm = Path::new("/dev/shm");
    if shm.is_dir() {
        shm.to_path_buf()
    } else {
        std::env::temp_dir()
    }
}

fn with_suffix(base: &Path, suffix: &str) -> PathBuf {
    let mut s = base.as_os_str().to_owned();
    s.push(suffix);
    PathBuf::from(s)
}

fuzz_target!(|data: &[u8]| {
    let Some((head, rest)) = data.split_at_checked(2) else {
        return;
    };
    let split = usize::from(u16::from_le_bytes([head[0], head[1]])).min(rest.len());
    let (dir, dat) = rest.split_at(split);

    let tmp = tempfile::Builder::new()
        .prefix("fuzz-store")
        .tempdir_in(scratch())
        .expect("a scratch directory");
    let store = Store::init(tmp.path()).expect("a fresh store");
    for name in ["times.dbm", "meta.dbm"] {
        let base = store.base().join(name);
        fs::write(with_suffix(&base, ".dir"), dir).unwrap();
        fs::write(with_suffix(&base, ".dat"), dat).unwrap();
    }
    let times = store.times();
    let meta = store.metadata(0);
    if let Err(e) = &meta {
        assert!(!e.to_string().is_empty());
    }

    let base = store.base().join("times.dbm");
    let Ok(mut db) = DumbDb::open(&base) else {
        assert!(
            times.is_err(),
            "the store read times from an index DumbDb refuses"
        );
        return;
    };
    let Ok(mut items) = db.items() else {
        assert!(
            times.is_err(),
            "the store read times from values DumbDb cannot read"
        );
        return;
    };
    if items.iter().any(|(k, _)| k == NEW_KEY) {
        return;
    }
    db.set(NEW_KEY, NEW_VALUE)
        .expect("setting a key in a readable database");
    db.commit().expect("committing a readable database");
    drop(db);
    let again = DumbDb::open(&base).expect("the index just written reopens");
    items.push((NEW_KEY.to_vec(), NEW_VALUE.to_vec()));
    assert_eq!(again.items().expect("the values just written read"), items);
});
