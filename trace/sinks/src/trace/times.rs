//! Earlier run times for `--perc-diff`, from the `dbm.dumb` files testrepository and stestr
//! keep test durations in.
//!
//! stestr's `subunit_trace` means to compare each test with the time the repository recorded
//! for it, but only opens `./.testrepository/times.dbm` and only when a file of exactly that
//! name exists, which `dbm.dumb` (the format stestr always writes) never creates: it writes
//! `times.dbm.dir` (an index of `'key', (offset, size)` lines) and `times.dbm.dat` (the values).
//! [`TimesDb::discover`] reads those files with the `dbm.dumb` reader ([`DumbDb`]) the run store
//! writes them with: `./.testrepository/times.dbm.*` first (the repository python looks at),
//! else `./.stestr/times.dbm.*` (what a run store records). A test is looked up by its full id,
//! then by the id without its `[...]` attributes (the key stestr stores).

use std::collections::HashMap;
use std::path::Path;

use super::line::cleanup_test_name;
use crate::dumb::{DumbDb, DumbError};

/// Test durations (seconds) from an earlier run, by test id.
#[derive(Clone, Debug, Default)]
pub struct TimesDb {
    times: HashMap<Vec<u8>, f64>,
}

/// Why a times database could not be read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TimesError {
    /// The `dbm.dumb` files could not be read, or their index is damaged.
    #[error(transparent)]
    Db(#[from] DumbError),
}

impl TimesDb {
    /// The times of the repository under `dir` (the working directory, for the tool):
    /// `.testrepository/times.dbm` if its `dbm.dumb` files are there, else
    /// `.stestr/times.dbm`; `None` when neither is.
    pub fn discover(dir: &Path) -> Result<Option<TimesDb>, TimesError> {
        for repo in [".testrepository", ".stestr"] {
            let base = dir.join(repo).join("times.dbm");
            let index = base.with_extension("dbm.dir");
            let data = base.with_extension("dbm.dat");
            if index.is_file() && data.is_file() {
                return Self::open(&base).map(Some);
            }
        }
        Ok(None)
    }

    /// Reads the `dbm.dumb` database `BASE` (`BASE.dir` and `BASE.dat`). Values that are not
    /// numbers are left out, as python's lookup ignores them.
    pub fn open(base: &Path) -> Result<TimesDb, TimesError> {
        let Some(db) = DumbDb::open_existing(base)? else {
            return Ok(TimesDb::default());
        };
        let mut times = HashMap::with_capacity(db.len());
        for (key, value) in db.items()? {
            let value = std::str::from_utf8(&value)
                .ok()
                .and_then(|v| v.trim().parse::<f64>().ok());
            if let Some(v) = value {
                times.insert(key, v);
            }
        }
        Ok(TimesDb { times })
    }

    /// A database holding `entries`, for tests and callers that keep times elsewhere.
    pub fn from_entries<I, K>(entries: I) -> TimesDb
    where
        I: IntoIterator<Item = (K, f64)>,
        K: Into<String>,
    {
        TimesDb {
            times: entries
                .into_iter()
                .map(|(k, v)| (k.into().into_bytes(), v))
                .collect(),
        }
    }

    /// The recorded time of `test_id`: by the full id, else by the id without its
    /// `[...]` attributes.
    pub fn get(&self, test_id: &str) -> Option<f64> {
        self.times.get(test_id.as_bytes()).copied().or_else(|| {
            let clean = cleanup_test_name(test_id);
            (clean.len() != test_id.len())
                .then(|| self.times.get(clean.as_bytes()).copied())
                .flatten()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_dumb_dbm_as_python_writes_it() {
        let dir = tempfile::tempdir().unwrap();
        let repo = dir.path().join(".stestr");
        std::fs::create_dir(&repo).unwrap();
        // Values at 512-byte blocks, as dbm.dumb places them; the é is \xc3\xa9 in Latin-1.
        let mut dat = vec![0u8; 1536];
        dat[..4].copy_from_slice(b"1.25");
        dat[512..515].copy_from_slice(b"0.5");
        dat[1024..1027].copy_from_slice(b"abc");
        std::fs::write(repo.join("times.dbm.dat"), &dat).unwrap();
        std::fs::write(
            repo.join("times.dbm.dir"),
            b"'pkg.test_a', (0, 4)\n'pkg.caf\xc3\xa9 \\'q\\'', (512, 3)\n\"x\", (1024, 3)\n",
        )
        .unwrap();
        let db = TimesDb::discover(dir.path()).unwrap().unwrap();
        assert_eq!(db.get("pkg.test_a"), Some(1.25));
        assert_eq!(db.get("pkg.test_a[id-1,smoke]"), Some(1.25));
        assert_eq!(db.get("pkg.café 'q'"), Some(0.5));
        assert_eq!(db.get("x"), None);
        assert_eq!(db.get("missing"), None);
    }

    #[test]
    fn testrepository_comes_first_and_absence_is_none() {
        let dir = tempfile::tempdir().unwrap();
        assert!(TimesDb::discover(dir.path()).unwrap().is_none());
        for (repo, v) in [(".stestr", "2.0"), (".testrepository", "3.0")] {
            let r = dir.path().join(repo);
            std::fs::create_dir(&r).unwrap();
            std::fs::write(r.join("times.dbm.dat"), v).unwrap();
            std::fs::write(r.join("times.dbm.dir"), "'t', (0, 3)\n").unwrap();
        }
        let db = TimesDb::discover(dir.path()).unwrap().unwrap();
        assert_eq!(db.get("t"), Some(3.0));
    }

    #[test]
    fn a_bad_index_line_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let r = dir.path().join(".stestr");
        std::fs::create_dir(&r).unwrap();
        std::fs::write(r.join("times.dbm.dat"), "1").unwrap();
        std::fs::write(r.join("times.dbm.dir"), "'t', (0, 1)\nnonsense\n").unwrap();
        let err = TimesDb::discover(dir.path()).unwrap_err();
        assert!(
            err.to_string()
                .ends_with("line 2: not a dbm.dumb index entry"),
            "{err}"
        );
    }
}
