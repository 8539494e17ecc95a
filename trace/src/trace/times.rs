//! Earlier run times for `--perc-diff`: a reader for the `dbm.dumb` files testrepository and
//! stestr keep test durations in.
//!
//! stestr's `subunit_trace` means to compare each test with the time the repository recorded
//! for it, but only opens `./.testrepository/times.dbm` and only when a file of exactly that
//! name exists, which `dbm.dumb` (the format stestr always writes) never creates: it writes
//! `times.dbm.dir` (an index of `'key', (offset, size)` lines) and `times.dbm.dat` (the values).
//! [`TimesDb::discover`] reads those files: `./.testrepository/times.dbm.*` first (the
//! repository python looks at), else `./.stestr/times.dbm.*`. A test is looked up by its full
//! id, then by the id without its `[...]` attributes (the key stestr stores).

use std::collections::HashMap;
use std::path::Path;

use super::line::cleanup_test_name;

/// Test durations (seconds) from an earlier run, by test id.
#[derive(Clone, Debug, Default)]
pub struct TimesDb {
    times: HashMap<Vec<u8>, f64>,
}

/// Why a times database could not be read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TimesError {
    /// A file could not be read.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// What went wrong.
        source: std::io::Error,
    },
    /// The index file holds a line that is not `'key', (offset, size)`.
    #[error("{path}: line {line}: not a dbm.dumb index entry")]
    BadIndex {
        /// The index file.
        path: String,
        /// The 1-based line number.
        line: usize,
    },
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
                return Self::open(&index, &data).map(Some);
            }
        }
        Ok(None)
    }

    /// Reads a `dbm.dumb` database from its index (`.dir`) and data (`.dat`) files. Values
    /// that are not numbers are left out, as python's lookup ignores them.
    pub fn open(index: &Path, data: &Path) -> Result<TimesDb, TimesError> {
        let io = |path: &Path| {
            let path = path.display().to_string();
            move |source| TimesError::Io { path, source }
        };
        let index_bytes = std::fs::read(index).map_err(io(index))?;
        let data_bytes = std::fs::read(data).map_err(io(data))?;
        let mut times = HashMap::new();
        for (n, line) in index_bytes.split(|&b| b == b'\n').enumerate() {
            let line = line.trim_ascii();
            if line.is_empty() {
                continue;
            }
            let (key, pos, size) = parse_index_line(line).ok_or_else(|| TimesError::BadIndex {
                path: index.display().to_string(),
                line: n + 1,
            })?;
            let value = pos
                .checked_add(size)
                .and_then(|end| data_bytes.get(pos..end))
                .and_then(|v| std::str::from_utf8(v).ok())
                .and_then(|v| v.trim().parse::<f64>().ok());
            match value {
                Some(v) => times.insert(key, v),
                None => times.remove(&key),
            };
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

/// Parses `'key', (pos, siz)`: the key a Python string literal (as `repr` writes it) of the
/// key's UTF-8 bytes decoded as Latin-1, the index file being Latin-1 text.
fn parse_index_line(line: &[u8]) -> Option<(Vec<u8>, usize, usize)> {
    let (key, rest) = parse_py_str(line)?;
    let rest = std::str::from_utf8(rest).ok()?.trim();
    let rest = rest.strip_prefix(',')?.trim().strip_prefix('(')?;
    let rest = rest.strip_suffix(')')?;
    let (pos, size) = rest.split_once(',')?;
    Some((key, pos.trim().parse().ok()?, size.trim().parse().ok()?))
}

/// A Python `str` literal whose characters are all below U+0100, as bytes; and what follows.
fn parse_py_str(s: &[u8]) -> Option<(Vec<u8>, &[u8])> {
    let quote = *s.first()?;
    if quote != b'\'' && quote != b'"' {
        return None;
    }
    let mut out = Vec::new();
    let mut i = 1;
    loop {
        let b = *s.get(i)?;
        i += 1;
        match b {
            b if b == quote => return Some((out, &s[i..])),
            b'\\' => {
                let e = *s.get(i)?;
                i += 1;
                let hex = |digits: usize, i: &mut usize| -> Option<u32> {
                    let text = std::str::from_utf8(s.get(*i..*i + digits)?).ok()?;
                    *i += digits;
                    u32::from_str_radix(text, 16).ok()
                };
                let c = match e {
                    b'\\' | b'\'' | b'"' => u32::from(e),
                    b'n' => 10,
                    b'r' => 13,
                    b't' => 9,
                    b'x' => hex(2, &mut i)?,
                    b'u' => hex(4, &mut i)?,
                    b'U' => hex(8, &mut i)?,
                    _ => return None,
                };
                out.push(u8::try_from(c).ok()?);
            }
            b => out.push(b),
        }
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
