//! What a correct reader must find in a sample: the `NAME.toml` beside each stream.
//!
//! A description is a model of the expected result, not a list of spot checks: the counts per
//! final status, every test record (id, route code, status, tags, attachments), the number of
//! `subunit.parser` failures and the files sent outside any test. [`Expected::check`] compares
//! it with what a reader found, given as a [`Found`] that both our fold and python's
//! (`samples/python/fold_records.py`) are turned into, so one comparison serves both.
//!
//! Status names are testtools' (`exists`, `inprogress`, `success`, `uxsuccess`, `skip`,
//! `fail`, `xfail`), plus `unknown` for a record that only ever received files.
//!
//! ```toml
//! name = "example"
//! format = "v2"
//! origin = "emitter"
//! damaged = false
//! notes = "why this sample exists"
//! parser_failures = 0
//!
//! [counts]
//! success = 1
//!
//! [[tests]]
//! id = "pkg.test_one"
//! route_code = "0"
//! status = "success"
//! tags = ["worker-0"]
//!
//! [[tests.attachments]]
//! name = "stdout"
//! mime_type = "text/plain;charset=utf8"
//! text = "hello\n"
//! ```

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use serde::Deserialize;

/// The record status names a description may use.
pub const STATUS_NAMES: [&str; 8] = [
    "exists",
    "inprogress",
    "success",
    "uxsuccess",
    "skip",
    "fail",
    "xfail",
    "unknown",
];

/// The pseudo-test python-subunit reports damaged packets under.
pub const PARSER_TEST_ID: &str = "subunit.parser";

/// The wire format of a sample stream.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    /// Subunit v2 (binary packets).
    V2,
    /// Subunit v1 (line-oriented text).
    V1,
}

/// Where a sample's stream comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Origin {
    /// Written by our emitter ([`crate::emitter_sample`]); the committed file must equal a
    /// fresh generation.
    Emitter,
    /// Written by python-subunit at test time (`samples/python/make_samples.py`), never
    /// committed.
    Python,
    /// Written by hand and committed (the v1 text sample).
    HandWritten,
    /// Made by [`crate::damaged_samples`]; the committed file must equal a fresh generation.
    Damaged,
}

/// Why a description could not be read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DescriptionError {
    /// The TOML is malformed or has unknown keys.
    #[error("invalid description: {0}")]
    Toml(#[from] toml::de::Error),
    /// A status name is not one of [`STATUS_NAMES`].
    #[error("unknown status name {0:?} (expected one of {STATUS_NAMES:?})")]
    UnknownStatus(String),
    /// A `hex` or `crc32` value is not hexadecimal.
    #[error("attachment {name:?}: {what} is not valid hex")]
    BadHex {
        /// The attachment.
        name: String,
        /// Which key.
        what: &'static str,
    },
}

/// One file's expected content. Every key that is present is checked; `mime_type` absent
/// means the file carried no MIME type.
#[derive(Clone, Debug, PartialEq, Eq, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileDesc {
    /// The file name (`stdout`, `traceback`, `reason`, ...).
    pub name: String,
    /// The MIME type of its first chunk, or `None` for none.
    pub mime_type: Option<String>,
    /// The whole content, as UTF-8 text.
    pub text: Option<String>,
    /// The whole content, as lower-case hex (for binary files).
    pub hex: Option<String>,
    /// Substrings the content (as lossy UTF-8) must contain (for content that varies, such as
    /// tracebacks with paths).
    #[serde(default)]
    pub contains: Vec<String>,
    /// The content length in bytes.
    pub len: Option<u64>,
    /// The CRC-32 of the content as [`digest`] spells it (for big files).
    pub crc32: Option<String>,
}

/// One expected test record.
#[derive(Clone, Debug, PartialEq, Eq, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TestDesc {
    /// The test id.
    pub id: String,
    /// The route code, if the record has one.
    pub route_code: Option<String>,
    /// The record's status (see [`STATUS_NAMES`]).
    pub status: String,
    /// The record's tags (the last tag set seen; unordered).
    #[serde(default)]
    pub tags: Vec<String>,
    /// The record's attachments (unordered; files with no content are not attachments).
    #[serde(default)]
    pub attachments: Vec<FileDesc>,
}

/// What a reader must find in a stream.
#[derive(Clone, Debug, PartialEq, Eq, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Expected {
    /// How many records end with each status, `subunit.parser` records excluded.
    #[serde(default)]
    pub counts: BTreeMap<String, u32>,
    /// How many `subunit.parser` failures (damaged packets) there are.
    #[serde(default)]
    pub parser_failures: u32,
    /// Every test record, `subunit.parser` records excluded (unordered).
    #[serde(default)]
    pub tests: Vec<TestDesc>,
    /// Files sent outside any test, by name in order of first appearance, their chunks joined
    /// (non-subunit bytes count as the file `stdout`).
    #[serde(default)]
    pub non_test_files: Vec<FileDesc>,
    /// The error the reader dies of partway (python-subunit has inputs it raises on), as
    /// `ExceptionType: message`; the rest of the expectation is what it found before that.
    pub error: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDescription {
    name: String,
    format: Format,
    origin: Origin,
    damaged: bool,
    notes: String,
    #[serde(default)]
    counts: BTreeMap<String, u32>,
    #[serde(default)]
    parser_failures: u32,
    #[serde(default)]
    tests: Vec<TestDesc>,
    #[serde(default)]
    non_test_files: Vec<FileDesc>,
    error: Option<String>,
    python: Option<Expected>,
}

/// A sample's description: its identity, what a correct reader finds, and what
/// python-subunit finds where that differs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Description {
    /// The sample's name (the file stem).
    pub name: String,
    /// The wire format.
    pub format: Format,
    /// Where the stream comes from.
    pub origin: Origin,
    /// Whether the stream is deliberately damaged.
    pub damaged: bool,
    /// Free text: what the sample exercises, and where python-subunit differs and why.
    pub notes: String,
    /// What a correct reader (ours) finds.
    pub expected: Expected,
    /// What python-subunit 1.4.6 finds, when it differs from [`Description::expected`] (the
    /// `[python]` table); the difference is explained in the notes.
    pub python: Option<Expected>,
}

impl Description {
    /// Parses a description from TOML.
    pub fn parse(text: &str) -> Result<Description, DescriptionError> {
        let raw: RawDescription = toml::from_str(text)?;
        let d = Description {
            name: raw.name,
            format: raw.format,
            origin: raw.origin,
            damaged: raw.damaged,
            notes: raw.notes,
            expected: Expected {
                counts: raw.counts,
                parser_failures: raw.parser_failures,
                tests: raw.tests,
                non_test_files: raw.non_test_files,
                error: raw.error,
            },
            python: raw.python,
        };
        d.expected.validate()?;
        if let Some(p) = &d.python {
            p.validate()?;
        }
        Ok(d)
    }

    /// What python-subunit finds: the `[python]` table if there is one, else
    /// [`Description::expected`].
    pub fn python_expected(&self) -> &Expected {
        self.python.as_ref().unwrap_or(&self.expected)
    }
}

fn check_status(s: &str) -> Result<(), DescriptionError> {
    if STATUS_NAMES.contains(&s) {
        Ok(())
    } else {
        Err(DescriptionError::UnknownStatus(s.to_owned()))
    }
}

fn unhex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}

/// Lower-case hex of `bytes`.
pub fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(s, "{b:02x}");
    }
    s
}

/// Bytes from lower- or upper-case hex, or `None` if `s` is not hex.
pub fn from_hex(s: &str) -> Option<Vec<u8>> {
    unhex(s)
}

/// The digest descriptions give big files: the CRC-32 (IEEE) of `bytes` as `0x%08x`.
pub fn digest(bytes: &[u8]) -> String {
    format!("{:#010x}", crc32fast::hash(bytes))
}

impl FileDesc {
    fn validate(&self) -> Result<(), DescriptionError> {
        if let Some(h) = &self.hex
            && unhex(h).is_none()
        {
            return Err(DescriptionError::BadHex {
                name: self.name.clone(),
                what: "hex",
            });
        }
        if let Some(c) = &self.crc32
            && !(c.len() == 10 && c.starts_with("0x") && unhex(&c[2..]).is_some())
        {
            return Err(DescriptionError::BadHex {
                name: self.name.clone(),
                what: "crc32",
            });
        }
        Ok(())
    }

    /// Every way `found` differs from this description, each as one line.
    pub fn differences(&self, found: &FoundFile) -> Vec<String> {
        let mut out = Vec::new();
        let name = &self.name;
        if self.name != found.name {
            out.push(format!("file {name:?} found as {:?}", found.name));
        }
        if self.mime_type != found.mime_type {
            out.push(format!(
                "file {name:?}: MIME type {:?}, expected {:?}",
                found.mime_type, self.mime_type
            ));
        }
        let content = &found.content;
        let lossy = String::from_utf8_lossy(content);
        if let Some(text) = &self.text
            && text.as_bytes() != content.as_slice()
        {
            out.push(format!(
                "file {name:?}: content {lossy:?}, expected {text:?}"
            ));
        }
        if let Some(h) = &self.hex
            && unhex(h).as_deref() != Some(content.as_slice())
        {
            out.push(format!(
                "file {name:?}: content {}, expected {}",
                hex(content),
                h.to_ascii_lowercase()
            ));
        }
        for c in &self.contains {
            if !lossy.contains(c.as_str()) {
                out.push(format!(
                    "file {name:?}: content {lossy:?} does not contain {c:?}"
                ));
            }
        }
        if let Some(len) = self.len
            && len != content.len() as u64
        {
            out.push(format!(
                "file {name:?}: {} bytes, expected {len}",
                content.len()
            ));
        }
        if let Some(c) = &self.crc32
            && !c.eq_ignore_ascii_case(&digest(content))
        {
            out.push(format!(
                "file {name:?}: crc32 {}, expected {c}",
                digest(content)
            ));
        }
        out
    }
}

impl Expected {
    fn validate(&self) -> Result<(), DescriptionError> {
        for s in self.counts.keys() {
            check_status(s)?;
        }
        for t in &self.tests {
            check_status(&t.status)?;
            for a in &t.attachments {
                a.validate()?;
            }
        }
        for f in &self.non_test_files {
            f.validate()?;
        }
        Ok(())
    }

    /// Compares this expectation with what a reader found.
    pub fn check(&self, found: &Found) -> Result<(), Mismatches> {
        let mut out = Vec::new();

        if found.error != self.error {
            out.push(format!(
                "the reader died of {:?}, expected {:?}",
                found.error, self.error
            ));
        }

        let parser_failures = found
            .tests
            .iter()
            .filter(|t| t.id == PARSER_TEST_ID && t.status == "fail")
            .count() as u32;
        if parser_failures != self.parser_failures {
            out.push(format!(
                "{parser_failures} subunit.parser failures, expected {}",
                self.parser_failures
            ));
        }

        let real: Vec<&FoundTest> = found
            .tests
            .iter()
            .filter(|t| t.id != PARSER_TEST_ID)
            .collect();
        let mut counts: BTreeMap<&str, u32> = BTreeMap::new();
        for t in &real {
            *counts.entry(t.status.as_str()).or_default() += 1;
        }
        for name in STATUS_NAMES {
            let got = counts.get(name).copied().unwrap_or(0);
            let want = self.counts.get(name).copied().unwrap_or(0);
            if got != want {
                out.push(format!("{got} {name} records, expected {want}"));
            }
        }
        for name in counts.keys() {
            if !STATUS_NAMES.contains(name) {
                out.push(format!("record status {name:?} is not a known status"));
            }
        }

        // Match records as a multiset keyed by (id, route code, status).
        let mut unused: Vec<Option<&FoundTest>> = real.iter().copied().map(Some).collect();
        for want in &self.tests {
            let slot = unused.iter_mut().find(|slot| {
                slot.is_some_and(|t| {
                    t.id == want.id && t.route_code == want.route_code && t.status == want.status
                })
            });
            let Some(t) = slot.and_then(Option::take) else {
                out.push(format!(
                    "missing record {:?} (route {:?}) with status {}",
                    want.id, want.route_code, want.status
                ));
                continue;
            };
            let want_tags: BTreeSet<&str> = want.tags.iter().map(String::as_str).collect();
            let got_tags: BTreeSet<&str> = t.tags.iter().map(String::as_str).collect();
            if want_tags != got_tags {
                out.push(format!(
                    "record {:?}: tags {got_tags:?}, expected {want_tags:?}",
                    want.id
                ));
            }
            compare_files(
                &format!("record {:?}", want.id),
                &want.attachments,
                &t.attachments,
                false,
                &mut out,
            );
        }
        for t in unused.into_iter().flatten() {
            out.push(format!(
                "unexpected record {:?} (route {:?}) with status {}",
                t.id, t.route_code, t.status
            ));
        }

        compare_files(
            "non-test files",
            &self.non_test_files,
            &found.non_test_files,
            true,
            &mut out,
        );

        if out.is_empty() {
            Ok(())
        } else {
            Err(Mismatches(out))
        }
    }
}

fn compare_files(
    what: &str,
    want: &[FileDesc],
    got: &[FoundFile],
    ordered: bool,
    out: &mut Vec<String>,
) {
    let mut got_names: Vec<&str> = got.iter().map(|f| f.name.as_str()).collect();
    let mut want_names: Vec<&str> = want.iter().map(|f| f.name.as_str()).collect();
    if !ordered {
        got_names.sort_unstable();
        want_names.sort_unstable();
    }
    if got_names != want_names {
        out.push(format!(
            "{what}: files {got_names:?}, expected {want_names:?}"
        ));
    }
    for w in want {
        if let Some(g) = got.iter().find(|g| g.name == w.name) {
            out.extend(w.differences(g).into_iter().map(|d| format!("{what}: {d}")));
        }
    }
}

/// The ways a reader's result differs from a description, one line each.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mismatches(pub Vec<String>);

impl fmt::Display for Mismatches {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, m) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("\n")?;
            }
            write!(f, "  - {m}")?;
        }
        Ok(())
    }
}

impl std::error::Error for Mismatches {}

/// A file as a reader found it: its chunks joined, the MIME type of its first chunk.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FoundFile {
    /// The file name.
    pub name: String,
    /// The MIME type of the first chunk with content.
    pub mime_type: Option<String>,
    /// The joined content.
    pub content: Vec<u8>,
}

/// A test record as a reader found it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FoundTest {
    /// The test id.
    pub id: String,
    /// The route code.
    pub route_code: Option<String>,
    /// The status name (see [`STATUS_NAMES`]).
    pub status: String,
    /// The tags.
    pub tags: BTreeSet<String>,
    /// The attachments.
    pub attachments: Vec<FoundFile>,
}

/// Everything a reader found in a stream, in a shape every reader can be turned into.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Found {
    /// Every test record, `subunit.parser` ones included, in the order the reader gave them.
    pub tests: Vec<FoundTest>,
    /// Files sent outside any test, by name in order of first appearance.
    pub non_test_files: Vec<FoundFile>,
    /// The error the reader died of partway, as `ExceptionType: message` (python only).
    pub error: Option<String>,
}

impl Found {
    /// Adds a chunk of a file sent outside any test: joined to the file of the same name, or a
    /// new file (with this chunk's MIME type) at the end. Empty chunks are ignored, as
    /// testtools ignores them.
    pub fn add_non_test_chunk(&mut self, name: &str, mime_type: Option<&str>, content: &[u8]) {
        if content.is_empty() {
            return;
        }
        match self.non_test_files.iter_mut().find(|f| f.name == name) {
            Some(f) => f.content.extend_from_slice(content),
            None => self.non_test_files.push(FoundFile {
                name: name.to_owned(),
                mime_type: mime_type.map(str::to_owned),
                content: content.to_vec(),
            }),
        }
    }

    /// Reads the JSON `samples/python/fold_records.py` prints.
    pub fn from_python_json(value: &serde_json::Value) -> Result<Found, String> {
        fn file(v: &serde_json::Value) -> Result<FoundFile, String> {
            Ok(FoundFile {
                name: v["name"].as_str().ok_or("file without a name")?.to_owned(),
                mime_type: v["mime_type"].as_str().map(str::to_owned),
                content: v["content"]
                    .as_str()
                    .and_then(unhex)
                    .ok_or("file content is not hex")?,
            })
        }
        let mut found = Found::default();
        for t in value["tests"].as_array().ok_or("no tests array")? {
            found.tests.push(FoundTest {
                id: t["id"].as_str().ok_or("test without an id")?.to_owned(),
                route_code: t["route_code"].as_str().map(str::to_owned),
                status: t["status"]
                    .as_str()
                    .ok_or("test without a status")?
                    .to_owned(),
                tags: t["tags"]
                    .as_array()
                    .ok_or("tags are not a list")?
                    .iter()
                    .map(|s| s.as_str().map(str::to_owned).ok_or("tag is not a string"))
                    .collect::<Result<_, _>>()?,
                attachments: t["attachments"]
                    .as_array()
                    .ok_or("attachments are not a list")?
                    .iter()
                    .map(file)
                    .collect::<Result<_, _>>()?,
            });
        }
        for f in value["non_test_files"]
            .as_array()
            .ok_or("non_test_files is not a list")?
        {
            found.non_test_files.push(file(f)?);
        }
        found.error = value["error"].as_str().map(str::to_owned);
        Ok(found)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = r#"
name = "x"
format = "v2"
origin = "emitter"
damaged = false
notes = "n"
parser_failures = 1
[counts]
success = 1
inprogress = 1
[[tests]]
id = "a"
status = "success"
tags = ["w"]
[[tests.attachments]]
name = "log"
mime_type = "text/plain"
text = "hi"
len = 2
[[tests]]
id = "b"
route_code = "0/1"
status = "inprogress"
[[non_test_files]]
name = "stdout"
hex = "6869"
crc32 = "0xd8932aac"
"#;

    fn found() -> Found {
        let mut f = Found {
            tests: vec![
                FoundTest {
                    id: "b".into(),
                    route_code: Some("0/1".into()),
                    status: "inprogress".into(),
                    tags: BTreeSet::new(),
                    attachments: vec![],
                },
                FoundTest {
                    id: PARSER_TEST_ID.into(),
                    route_code: None,
                    status: "fail".into(),
                    tags: BTreeSet::new(),
                    attachments: vec![],
                },
                FoundTest {
                    id: "a".into(),
                    route_code: None,
                    status: "success".into(),
                    tags: ["w".to_owned()].into(),
                    attachments: vec![FoundFile {
                        name: "log".into(),
                        mime_type: Some("text/plain".into()),
                        content: b"hi".to_vec(),
                    }],
                },
            ],
            non_test_files: vec![],
            error: None,
        };
        f.add_non_test_chunk("stdout", None, b"h");
        f.add_non_test_chunk("stdout", Some("ignored"), b"");
        f.add_non_test_chunk("stdout", Some("ignored"), b"i");
        f
    }

    #[test]
    fn a_matching_result_passes() {
        let d = Description::parse(TEXT).unwrap();
        assert_eq!(digest(b"hi"), "0xd8932aac");
        d.expected.check(&found()).unwrap();
        assert_eq!(d.python_expected(), &d.expected);
    }

    #[test]
    fn every_kind_of_difference_is_reported() {
        let d = Description::parse(TEXT).unwrap();
        let mut f = found();
        f.tests[2].tags.clear();
        f.tests[2].attachments[0].content = b"ho".to_vec();
        f.tests[0].route_code = None;
        f.tests.remove(1);
        f.non_test_files.clear();
        f.error = Some("ValueError: boom".into());
        let err = d.expected.check(&f).unwrap_err().to_string();
        for needle in [
            "the reader died of Some(\"ValueError: boom\"), expected None",
            "0 subunit.parser failures, expected 1",
            "record \"a\": tags {}, expected {\"w\"}",
            "content \"ho\", expected \"hi\"",
            "missing record \"b\" (route Some(\"0/1\"))",
            "unexpected record \"b\" (route None)",
            "non-test files: files [], expected [\"stdout\"]",
        ] {
            assert!(err.contains(needle), "{needle:?} not in:\n{err}");
        }
    }

    #[test]
    fn bad_descriptions_are_typed_errors() {
        let bad_status = TEXT.replace("inprogress = 1", "running = 1");
        assert!(matches!(
            Description::parse(&bad_status),
            Err(DescriptionError::UnknownStatus(s)) if s == "running"
        ));
        let unknown_key = format!("{TEXT}\nextra = 1\n");
        assert!(matches!(
            Description::parse(&unknown_key),
            Err(DescriptionError::Toml(_))
        ));
        let bad_hex = TEXT.replace("hex = \"6869\"", "hex = \"zz\"");
        assert!(matches!(
            Description::parse(&bad_hex),
            Err(DescriptionError::BadHex { what: "hex", .. })
        ));
    }
}
