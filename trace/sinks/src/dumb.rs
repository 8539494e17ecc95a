//! Python's `dbm.dumb` format, read and written as CPython 3.11's `dbm/dumb.py` does, so that
//! stestr (which keeps its times and metadata in it) and this store share the same files.
//!
//! A database `NAME` is three files:
//!
//! - `NAME.dat`: the values, each starting at a 512-byte boundary, the gaps filled with NUL
//!   bytes. A new key's value is appended; a changed value is written over the old one when it
//!   needs no more 512-byte blocks than the old one did, else appended (the old blocks are
//!   never reused).
//! - `NAME.dir`: the index, one line per key, in the order the keys were first added:
//!   `repr(key.decode('latin-1'))`, `", "`, `repr((pos, size))`, `"\n"`, written in Latin-1.
//! - `NAME.bak`: the index as it was before the last time it was rewritten.
//!
//! Python appends a line to `.dir` for each new key and rewrites the whole index when the
//! database is closed (renaming the old one to `.bak` first, so for a moment there is no
//! `.dir`). [`DumbDb::commit`] writes the same final bytes, but never leaves the index missing
//! or half written: the new index goes to a temporary file, the old one is linked to `.bak`,
//! and the new one is renamed over it. Each value is written with one `write` call, so a
//! process killed at any moment leaves every indexed value whole.

use std::collections::HashMap;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Seek, SeekFrom, Write};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

/// Values start at multiples of this many bytes.
pub const BLOCK_SIZE: u64 = 512;

/// Why a `dbm.dumb` database could not be read or written.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DumbError {
    /// A file could not be read or written.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        source: io::Error,
    },
    /// The index holds a line python could not read back.
    #[error("{}: line {line}: not a dbm.dumb index entry", path.display())]
    BadIndex {
        /// The index file.
        path: PathBuf,
        /// The 1-based line number.
        line: usize,
    },
    /// The index points past the end of the data file.
    #[error("{}: the value of {key:?} lies past the end of the data file", path.display())]
    Truncated {
        /// The data file.
        path: PathBuf,
        /// The key, as text (lossy).
        key: String,
    },
}

/// A key and its value.
pub type Item = (Vec<u8>, Vec<u8>);

/// An open `dbm.dumb` database: the index in memory, the values on disk.
#[derive(Debug)]
pub struct DumbDb {
    base: PathBuf,
    /// Keys in index order, with where their values are.
    entries: Vec<(Vec<u8>, (u64, u64))>,
    positions: HashMap<Vec<u8>, usize>,
    data: File,
    modified: bool,
}

fn with_suffix(base: &Path, suffix: &str) -> PathBuf {
    let mut s = base.as_os_str().to_owned();
    s.push(suffix);
    PathBuf::from(s)
}

impl DumbDb {
    /// Opens the database whose files are `BASE.dat`, `BASE.dir` and `BASE.bak`, creating
    /// an empty `.dat` if there is none (python's flag `'c'`). An index that is missing is
    /// an empty database, as in python.
    pub fn open(base: &Path) -> Result<DumbDb, DumbError> {
        Self::open_mode(base, true)
    }

    /// Opens the database for reading (`true`: and writing, creating the `.dat`).
    fn open_mode(base: &Path, writable: bool) -> Result<DumbDb, DumbError> {
        let dat = with_suffix(base, ".dat");
        let io = |path: &Path| {
            let path = path.to_path_buf();
            move |source| DumbError::Io { path, source }
        };
        let data = OpenOptions::new()
            .read(true)
            .write(writable)
            .create(writable)
            .truncate(false)
            .open(&dat)
            .map_err(io(&dat))?;
        let dir = with_suffix(base, ".dir");
        let mut db = DumbDb {
            base: base.to_path_buf(),
            entries: Vec::new(),
            positions: HashMap::new(),
            data,
            modified: false,
        };
        let text = match fs::read(&dir) {
            Ok(t) => t,
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                db.modified = true;
                return Ok(db);
            }
            Err(e) => return Err(io(&dir)(e)),
        };
        let lines = text.split(|&b| b == b'\n').count();
        for (n, line) in text.split(|&b| b == b'\n').enumerate() {
            // python's `line.rstrip()`: trailing whitespace (Latin-1's included) goes.
            let line = rstrip_latin1(line);
            if line.is_empty() {
                // Only the nothing after the last newline is not a line to python.
                if n + 1 == lines {
                    continue;
                }
                return Err(DumbError::BadIndex {
                    path: dir,
                    line: n + 1,
                });
            }
            let (key, at) = parse_index_line(line).ok_or_else(|| DumbError::BadIndex {
                path: dir.clone(),
                line: n + 1,
            })?;
            db.set_index(key, at);
        }
        Ok(db)
    }

    /// Opens the database for reading only if its index exists: `None` otherwise. Nothing is
    /// created or opened for writing, so a read-only repository can be read.
    pub fn open_existing(base: &Path) -> Result<Option<DumbDb>, DumbError> {
        if with_suffix(base, ".dir").is_file() {
            // An index without its data file is python's empty-data case: open as `open`
            // does (creating the `.dat`), so the index is still checked.
            let writable = !with_suffix(base, ".dat").is_file();
            Self::open_mode(base, writable).map(Some)
        } else {
            Ok(None)
        }
    }

    fn set_index(&mut self, key: Vec<u8>, at: (u64, u64)) {
        match self.positions.get(&key) {
            Some(&i) => self.entries[i].1 = at,
            None => {
                self.positions.insert(key.clone(), self.entries.len());
                self.entries.push((key, at));
            }
        }
    }

    /// How many keys there are.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether there are no keys.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The keys, in index order.
    pub fn keys(&self) -> impl Iterator<Item = &[u8]> {
        self.entries.iter().map(|(k, _)| k.as_slice())
    }

    /// The value of `key`, read from the data file.
    pub fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, DumbError> {
        let Some(&i) = self.positions.get(key) else {
            return Ok(None);
        };
        let (pos, size) = self.entries[i].1;
        let mut buf = vec![0; usize::try_from(size).unwrap_or(usize::MAX).min(1 << 30)];
        let dat = with_suffix(&self.base, ".dat");
        match self.data.read_exact_at(&mut buf, pos) {
            Ok(()) => Ok(Some(buf)),
            Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => Err(DumbError::Truncated {
                path: dat,
                key: String::from_utf8_lossy(key).into_owned(),
            }),
            Err(source) => Err(DumbError::Io { path: dat, source }),
        }
    }

    /// Every key with its value, in index order.
    pub fn items(&self) -> Result<Vec<Item>, DumbError> {
        self.entries
            .iter()
            .map(|(k, _)| Ok((k.clone(), self.get(k)?.unwrap_or_default())))
            .collect()
    }

    /// Sets `key` to `value` as python's `__setitem__` does: a new key's value is appended
    /// at the next block boundary and its index line appended to `.dir`; a known key's value
    /// is written in place when it fits the old blocks, else appended. The index is rewritten
    /// by [`DumbDb::commit`].
    pub fn set(&mut self, key: &[u8], value: &[u8]) -> Result<(), DumbError> {
        self.modified = true;
        let dat = with_suffix(&self.base, ".dat");
        let io = |source| DumbError::Io {
            path: dat.clone(),
            source,
        };
        let len = value.len() as u64;
        match self.positions.get(key) {
            Some(&i) => {
                let (pos, size) = self.entries[i].1;
                let old_blocks = size.div_ceil(BLOCK_SIZE);
                let new_blocks = len.div_ceil(BLOCK_SIZE);
                let at = if new_blocks <= old_blocks {
                    self.data.write_all_at(value, pos).map_err(io)?;
                    (pos, len)
                } else {
                    self.append_value(value).map_err(io)?
                };
                self.entries[i].1 = at;
            }
            None => {
                let at = self.append_value(value).map_err(io)?;
                let dir = with_suffix(&self.base, ".dir");
                let mut f = OpenOptions::new()
                    .append(true)
                    .create(true)
                    .open(&dir)
                    .map_err(|source| DumbError::Io {
                        path: dir.clone(),
                        source,
                    })?;
                f.write_all(&index_line(key, at))
                    .map_err(|source| DumbError::Io { path: dir, source })?;
                self.set_index(key.to_vec(), at);
            }
        }
        Ok(())
    }

    /// Pads the data file to a block boundary and writes `value` there, in one write.
    fn append_value(&mut self, value: &[u8]) -> io::Result<(u64, u64)> {
        let end = self.data.seek(SeekFrom::End(0))?;
        let pos = end.div_ceil(BLOCK_SIZE) * BLOCK_SIZE;
        let mut buf = vec![0u8; (pos - end) as usize];
        buf.extend_from_slice(value);
        self.data.write_all(&buf)?;
        Ok((pos, value.len() as u64))
    }

    /// Writes the index as python's `_commit` leaves it (the whole index in `.dir`, the one
    /// before in `.bak`), without a moment where `.dir` is missing or partial. Does nothing
    /// when nothing changed since the database was opened or last committed.
    pub fn commit(&mut self) -> Result<(), DumbError> {
        if !self.modified {
            return Ok(());
        }
        let dir = with_suffix(&self.base, ".dir");
        let bak = with_suffix(&self.base, ".bak");
        let tmp = with_suffix(&self.base, &format!(".dir.tmp-{}", std::process::id()));
        let io = |path: &Path| {
            let path = path.to_path_buf();
            move |source| DumbError::Io { path, source }
        };
        let mut text = Vec::new();
        for (key, at) in &self.entries {
            text.extend_from_slice(&index_line(key, *at));
        }
        if let Err(e) = fs::write(&tmp, &text) {
            // A full disk: the old index stays, and no partial one beside it.
            let _ = fs::remove_file(&tmp);
            return Err(io(&tmp)(e));
        }
        match fs::remove_file(&bak) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(io(&bak)(e)),
        }
        match fs::hard_link(&dir, &bak) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(io(&bak)(e)),
        }
        fs::rename(&tmp, &dir).map_err(io(&dir))?;
        self.modified = false;
        Ok(())
    }
}

/// Trailing ASCII whitespace and Latin-1's `\x85` and `\xa0` (python's `str.rstrip()` on the
/// Latin-1 text).
fn rstrip_latin1(mut line: &[u8]) -> &[u8] {
    while let Some((&last, rest)) = line.split_last() {
        if matches!(
            last,
            b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c | 0x1c..=0x1f | 0x85 | 0xa0
        ) {
            line = rest;
        } else {
            break;
        }
    }
    line
}

/// The index line python writes: `repr(key.decode('latin-1'))`, `, (pos, size)`, newline,
/// in Latin-1 bytes.
pub fn index_line(key: &[u8], (pos, size): (u64, u64)) -> Vec<u8> {
    let mut out = py_repr_latin1(key);
    out.extend_from_slice(format!(", ({pos}, {size})\n").as_bytes());
    out
}

/// python's `repr()` of the `str` whose characters are the bytes of `key` (Latin-1), encoded
/// back to Latin-1: single quotes unless the text holds `'` and no `"`; `\\`, `\t`, `\n`, `\r`
/// and the quote escaped; other characters that are not printable (C0 and C1 controls, DEL,
/// no-break space, soft hyphen) as `\xNN`; the rest as they are.
pub fn py_repr_latin1(key: &[u8]) -> Vec<u8> {
    let quote = if key.contains(&b'\'') && !key.contains(&b'"') {
        b'"'
    } else {
        b'\''
    };
    let mut out = Vec::with_capacity(key.len() + 2);
    out.push(quote);
    for &b in key {
        match b {
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'\t' => out.extend_from_slice(b"\\t"),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            b if b == quote => {
                out.push(b'\\');
                out.push(b);
            }
            0x00..=0x1f | 0x7f..=0xa0 | 0xad => {
                out.extend_from_slice(format!("\\x{b:02x}").as_bytes());
            }
            b => out.push(b),
        }
    }
    out.push(quote);
    out
}

/// Parses `'key', (pos, size)` (any spacing python's `literal_eval` would accept between the
/// parts).
fn parse_index_line(line: &[u8]) -> Option<(Vec<u8>, (u64, u64))> {
    let (key, rest) = parse_py_str(line)?;
    let rest = std::str::from_utf8(rest).ok()?.trim();
    let rest = rest.strip_prefix(',')?.trim_start().strip_prefix('(')?;
    let rest = rest.trim_end().strip_suffix(')')?;
    let (pos, size) = rest.split_once(',')?;
    Some((key, (pos.trim().parse().ok()?, size.trim().parse().ok()?)))
}

/// A python string literal whose characters are all below U+0100, as Latin-1 bytes, and the
/// bytes after it.
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
        if b == quote {
            return Some((out, &s[i..]));
        }
        if b != b'\\' {
            out.push(b);
            continue;
        }
        let e = *s.get(i)?;
        i += 1;
        let mut hex = |digits: usize| -> Option<u32> {
            let text = std::str::from_utf8(s.get(i..i + digits)?).ok()?;
            i += digits;
            u32::from_str_radix(text, 16).ok()
        };
        let c = match e {
            b'\\' | b'\'' | b'"' => u32::from(e),
            b'n' => 10,
            b'r' => 13,
            b't' => 9,
            b'a' => 7,
            b'b' => 8,
            b'f' => 12,
            b'v' => 11,
            b'0'..=b'7' => u32::from(e - b'0'),
            b'x' => hex(2)?,
            b'u' => hex(4)?,
            b'U' => hex(8)?,
            _ => return None,
        };
        out.push(u8::try_from(c).ok()?);
    }
}

/// python's `repr(float)`: the shortest digits that read back as the same number, in
/// positional notation when the decimal exponent is from -4 to 15, else as `1.5e-05` /
/// `1e+16`; `inf`, `-inf`, `nan`.
pub fn py_float_repr(x: f64) -> String {
    if x.is_nan() {
        return "nan".into();
    }
    if x.is_infinite() {
        return if x > 0.0 { "inf" } else { "-inf" }.into();
    }
    if x == 0.0 {
        return if x.is_sign_negative() { "-0.0" } else { "0.0" }.into();
    }
    // Rust's `{:e}` gives the shortest round-tripping digits: `d.ddde±X`.
    let sci = format!("{:e}", x.abs());
    let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let digits: String = mantissa.chars().filter(|c| *c != '.').collect();
    let sign = if x < 0.0 { "-" } else { "" };
    if (-4..16).contains(&exp) {
        let n = digits.len() as i32;
        let body = if exp < 0 {
            format!("0.{}{}", "0".repeat((-exp - 1) as usize), digits)
        } else if exp + 1 >= n {
            format!("{}{}.0", digits, "0".repeat((exp + 1 - n) as usize))
        } else {
            let (a, b) = digits.split_at((exp + 1) as usize);
            format!("{a}.{b}")
        };
        format!("{sign}{body}")
    } else {
        let m = if digits.len() == 1 {
            digits
        } else {
            format!("{}.{}", &digits[..1], &digits[1..])
        };
        let es = if exp < 0 { '-' } else { '+' };
        format!("{sign}{m}e{es}{:02}", exp.abs())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floats_print_as_python_prints_them() {
        for (x, s) in [
            (1.0, "1.0"),
            (0.5, "0.5"),
            (1.25, "1.25"),
            (0.000_123, "0.000123"),
            (0.000_012_3, "1.23e-05"),
            (123_456.789, "123456.789"),
            (1e16, "1e+16"),
            (1.5e16, "1.5e+16"),
            (1e15, "1000000000000000.0"),
            (0.1 + 0.2, "0.30000000000000004"),
            (-2.5, "-2.5"),
            (0.0001, "0.0001"),
        ] {
            assert_eq!(py_float_repr(x), s, "{x}");
        }
    }

    #[test]
    fn keys_are_quoted_as_python_repr_quotes_them() {
        assert_eq!(py_repr_latin1(b"a.b"), b"'a.b'");
        assert_eq!(py_repr_latin1(b"it's"), b"\"it's\"");
        assert_eq!(py_repr_latin1(b"'\""), b"'\\'\"'");
        assert_eq!(
            py_repr_latin1(b"a\\b\n\x01\xc3\xa9\xa0"),
            b"'a\\\\b\\n\\x01\xc3\xa9\\xa0'"
        );
        for key in [&b"it's"[..], b"'\"", b"a\\b\n\x01\xc3\xa9\xa0\xad\x7f", b""] {
            let line = index_line(key, (512, 3));
            let (k, at) = parse_index_line(&line[..line.len() - 1]).unwrap();
            assert_eq!((k.as_slice(), at), (key, (512, 3)));
        }
    }

    #[test]
    fn values_sit_on_block_boundaries_and_are_overwritten_in_place_when_they_fit() {
        let dir = tempfile::tempdir().unwrap();
        let base = dir.path().join("t.dbm");
        let mut db = DumbDb::open(&base).unwrap();
        db.set(b"a", b"1.5").unwrap();
        db.set(b"b", b"0.25").unwrap();
        db.set(b"a", b"2.0").unwrap();
        db.set(b"b", &[b'x'; 600]).unwrap();
        db.commit().unwrap();
        let dat = fs::read(with_suffix(&base, ".dat")).unwrap();
        assert_eq!(dat.len(), 1024 + 600);
        assert_eq!(&dat[..3], b"2.0");
        let dirf = fs::read_to_string(with_suffix(&base, ".dir")).unwrap();
        assert_eq!(dirf, "'a', (0, 3)\n'b', (1024, 600)\n");
        let db = DumbDb::open(&base).unwrap();
        assert_eq!(db.get(b"a").unwrap().unwrap(), b"2.0");
        assert_eq!(db.get(b"b").unwrap().unwrap().len(), 600);
        assert_eq!(db.keys().collect::<Vec<_>>(), [b"a", b"b"]);
    }

    #[test]
    fn a_bad_index_is_an_error_and_a_missing_one_is_empty() {
        let dir = tempfile::tempdir().unwrap();
        let base = dir.path().join("m.dbm");
        assert!(DumbDb::open_existing(&base).unwrap().is_none());
        assert!(DumbDb::open(&base).unwrap().is_empty());
        fs::write(with_suffix(&base, ".dir"), "'a', (0, 1)\nnonsense\n").unwrap();
        let err = DumbDb::open(&base).unwrap_err();
        assert!(
            err.to_string()
                .ends_with("line 2: not a dbm.dumb index entry"),
            "{err}"
        );
        fs::write(with_suffix(&base, ".dir"), "'a', (4096, 1)\n").unwrap();
        let db = DumbDb::open(&base).unwrap();
        assert!(matches!(db.get(b"a"), Err(DumbError::Truncated { .. })));
    }
}
