//! Real run files: streams that real testrepository and stestr runs wrote and that public
//! repositories committed (`.testrepository/N`, `.stestr/N`, their `failing` files), each kept
//! byte for byte with its origin in `samples/corpus/ORIGINS.toml`.
//!
//! Unlike the samples, they come with no description of what they hold: the tests run them
//! through our readers and tools and through the Python ones, and compare.

use std::path::{Path, PathBuf};

use serde::Deserialize;

/// One committed run file and where it came from.
#[derive(Clone, Debug, Deserialize)]
pub struct CorpusRun {
    /// `<owner>__<repo>__<path>`: the file is `samples/corpus/<name>.v1`.
    pub name: String,
    /// The GitHub repository, `owner/name`.
    pub repository: String,
    /// The commit the file was taken from.
    pub commit: String,
    /// The file's path in that repository.
    pub path: String,
    /// Its size in bytes.
    pub bytes: u64,
    /// `v1` (every file so far) or `v2`.
    pub format: String,
    /// What it holds.
    pub notes: String,
}

impl CorpusRun {
    /// The committed file.
    pub fn file(&self) -> PathBuf {
        corpus_dir().join(format!("{}.v1", self.name))
    }
}

#[derive(Deserialize)]
struct Origins {
    file: Vec<CorpusRun>,
}

/// The directory of the corpus.
pub fn corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus")
}

/// Every run of the corpus, in the order `ORIGINS.toml` lists them. Panics when the list
/// cannot be read: it is committed, so that is a broken checkout.
pub fn corpus() -> Vec<CorpusRun> {
    let path = corpus_dir().join("ORIGINS.toml");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let origins: Origins =
        toml::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    origins.file
}
