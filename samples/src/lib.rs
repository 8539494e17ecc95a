//! The sample subunit streams, what a correct reader must find in each, and the pinned Python
//! reference tools the interop tests compare against.
//!
//! # Brief overview
//!
//! - [`all`] / [`get`]: every sample with its stream's path, format, whether it is damaged,
//!   and its parsed [`Description`] (`samples/data/NAME.toml`).
//! - [`emitter_sample`], [`damaged_samples`]: the generators of the committed binary samples;
//!   a test checks the committed bytes equal a fresh generation.
//! - [`python::env`]: a virtual environment with exactly python-subunit 1.4.6 and testtools
//!   2.9.1, made once under the build directory, with helpers to run its tools and the
//!   scripts in `samples/python/`.
//! - [`event_json`] and [`coalesce_stdout`]: our packets in the shape python's event dumper
//!   prints, so both readers' events compare as plain values.
//!
//! # Where the streams come from
//!
//! | origin | streams | committed |
//! |---|---|---|
//! | our emitter | `emitter-all.subunit` | yes, checked against [`emitter_sample`] |
//! | hand-written | `v1-basic.v1` | yes |
//! | Rust-made damage | `damaged-*.subunit` | yes, checked against [`damaged_samples`] |
//! | python-subunit | `python-*.subunit` | no: `samples/python/make_samples.py` writes them under the build directory on first use |
//! | real runs, from public repositories | `corpus/*.v1` ([`corpus()`]) | yes, byte for byte, each with its origin |
//!
//! No binary is copied from another project (the corpus is data real runs wrote, kept with its
//! origin): the python-written streams are made by the
//! pinned tools at test time, everything else by code in this repository.
//!
//! # Why descriptions, not spot checks
//!
//! Each description is the whole expected result of a stream (counts, every record, every
//! attachment, the parser failures, the files outside tests), so our reader and python's are
//! checked against the same model, and a difference between them has to be written down (the
//! `[python]` table and the notes) rather than slip through.
//!
//! # Example
//!
//! ```
//! use subunit_samples::{Format, damaged_samples};
//!
//! let (name, bytes) = &damaged_samples()[0];
//! assert_eq!(*name, "damaged-bad-crc");
//! assert_eq!(bytes[0], 0xB3);
//! let committed = subunit_samples::data_dir().join("damaged-bad-crc.toml");
//! let d = subunit_samples::Description::parse(&std::fs::read_to_string(committed)?)?;
//! assert_eq!((d.format, d.damaged), (Format::V2, true));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![deny(missing_docs)]
#![forbid(unsafe_code)]

pub mod corpus;
pub mod description;
pub mod events;
pub mod generate;
pub mod python;
pub mod synthetic;

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

pub use corpus::{CorpusRun, corpus, corpus_dir};
pub use description::{
    Description, DescriptionError, Expected, FileDesc, Format, Found, FoundFile, FoundTest,
    Mismatches, Origin, PARSER_TEST_ID, TestDesc, digest, from_hex, hex,
};
pub use events::{coalesce_stdout, event_json, is_stray_stdout};
pub use generate::{DAMAGED_NAMES, damaged_samples, emitter_sample};

/// One sample stream and its description.
#[derive(Clone, Debug)]
pub struct Sample {
    /// The sample's name (`emitter-all`, `damaged-bad-crc`, ...).
    pub name: String,
    /// Where its stream is.
    pub path: PathBuf,
    /// Its wire format.
    pub format: Format,
    /// Whether it is deliberately damaged.
    pub damaged: bool,
    /// What a correct reader finds in it.
    pub description: Description,
}

impl Sample {
    /// The stream's bytes. Panics if the file cannot be read.
    pub fn bytes(&self) -> Vec<u8> {
        std::fs::read(&self.path)
            .unwrap_or_else(|e| panic!("cannot read sample {}: {e}", self.path.display()))
    }

    /// Where the stream comes from.
    pub fn origin(&self) -> Origin {
        self.description.origin
    }
}

/// Why the samples could not be listed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SampleError {
    /// A file could not be read.
    #[error("cannot read {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// A description is invalid.
    #[error("{path}: {source}")]
    Description {
        /// The description file.
        path: PathBuf,
        /// Why.
        source: DescriptionError,
    },
    /// A description's `name` is not its file's stem.
    #[error("{path}: name {name:?} does not match the file name")]
    NameMismatch {
        /// The description file.
        path: PathBuf,
        /// The name inside.
        name: String,
    },
    /// A committed sample has no stream beside its description.
    #[error("{path} is missing")]
    MissingStream {
        /// The stream it should have.
        path: PathBuf,
    },
}

/// The directory of the committed samples and descriptions (`samples/data/`).
pub fn data_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("data")
}

fn stream_file_name(name: &str, format: Format) -> String {
    match format {
        Format::V2 => format!("{name}.subunit"),
        Format::V1 => format!("{name}.v1"),
    }
}

/// The directory holding the python-written samples, written by
/// `samples/python/make_samples.py` on first use (under the build directory, named after the
/// reference environment and the scripts' contents, so changing either makes new ones).
/// Panics, saying why, if they cannot be made.
pub fn python_samples_dir() -> PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let env = python::env();
        let scripts = python::scripts_dir();
        let read = |f: &str| {
            std::fs::read(scripts.join(f))
                .unwrap_or_else(|e| panic!("cannot read samples/python/{f}: {e}"))
        };
        let env_name = env.root().to_string_lossy().into_owned();
        let hash = python::short_hash(&[
            &read("make_samples.py"),
            &read("sample_suite.py"),
            env_name.as_bytes(),
        ]);
        let dest = python::cache_dir().join(format!("python-samples-{hash}"));
        python::build_dir_atomically(&dest, |tmp| {
            let out = env.run_script("make_samples.py", [tmp], b"");
            if out.status.success() {
                Ok(())
            } else {
                Err(format!(
                    "make_samples.py failed ({}):\n{}",
                    out.status,
                    String::from_utf8_lossy(&out.stderr)
                ))
            }
        })
        .unwrap_or_else(|e| panic!("cannot write the python-written samples: {e}"));
        dest
    })
    .clone()
}

/// Every sample, sorted by name, or why they could not be listed. Python-written samples are
/// generated on first use (which makes the python reference environment).
pub fn try_all() -> Result<Vec<Sample>, SampleError> {
    let dir = data_dir();
    let entries = std::fs::read_dir(&dir).map_err(|source| SampleError::Io {
        path: dir.clone(),
        source,
    })?;
    let mut tomls: Vec<PathBuf> = entries
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    tomls.sort();
    let mut out = Vec::new();
    for path in tomls {
        let text = std::fs::read_to_string(&path).map_err(|source| SampleError::Io {
            path: path.clone(),
            source,
        })?;
        let description = Description::parse(&text).map_err(|source| SampleError::Description {
            path: path.clone(),
            source,
        })?;
        let stem = path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        if description.name != stem {
            return Err(SampleError::NameMismatch {
                path,
                name: description.name,
            });
        }
        let file = stream_file_name(&description.name, description.format);
        let stream = match description.origin {
            Origin::Python => python_samples_dir().join(&file),
            _ => dir.join(&file),
        };
        if !stream.is_file() {
            return Err(SampleError::MissingStream { path: stream });
        }
        out.push(Sample {
            name: description.name.clone(),
            path: stream,
            format: description.format,
            damaged: description.damaged,
            description,
        });
    }
    Ok(out)
}

/// Every sample, sorted by name. Panics, saying why, if they cannot be listed.
pub fn all() -> Vec<Sample> {
    try_all().unwrap_or_else(|e| panic!("cannot list the samples: {e}"))
}

/// The sample called `name`, if there is one.
pub fn find(name: &str) -> Option<Sample> {
    all().into_iter().find(|s| s.name == name)
}

/// The sample called `name`. Panics if there is none.
pub fn get(name: &str) -> Sample {
    find(name).unwrap_or_else(|| panic!("no sample called {name:?}"))
}

/// Every v2 sample (damaged ones included).
pub fn v2() -> Vec<Sample> {
    all()
        .into_iter()
        .filter(|s| s.format == Format::V2)
        .collect()
}
