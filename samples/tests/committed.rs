//! The committed binary samples are exactly what their generators make today.
//!
//! After a deliberate change to a generator, rewrite the files with
//! `SUBUNIT_SAMPLES_BLESS=1 cargo test -p subunit-samples --test committed`, then update the
//! descriptions (`samples/data/*.toml`) to match.

use std::path::PathBuf;

use subunit_samples::{DAMAGED_NAMES, damaged_samples, data_dir, emitter_sample};

fn check(name: &str, fresh: &[u8]) {
    let path: PathBuf = data_dir().join(format!("{name}.subunit"));
    if std::env::var_os("SUBUNIT_SAMPLES_BLESS").is_some() {
        std::fs::write(&path, fresh).unwrap();
        return;
    }
    let committed = std::fs::read(&path).unwrap_or_else(|e| {
        panic!(
            "cannot read {}: {e} (SUBUNIT_SAMPLES_BLESS=1 writes it)",
            path.display()
        )
    });
    assert!(
        committed == fresh,
        "{} differs from a fresh generation ({} bytes committed, {} fresh); if the generator \
         changed on purpose, rerun with SUBUNIT_SAMPLES_BLESS=1 and update the description",
        path.display(),
        committed.len(),
        fresh.len()
    );
}

#[test]
fn emitter_sample_is_committed_as_generated() {
    check("emitter-all", &emitter_sample());
}

#[test]
fn damaged_samples_are_committed_as_generated() {
    let samples = damaged_samples();
    assert_eq!(samples.len(), DAMAGED_NAMES.len());
    for (name, bytes) in samples {
        check(name, &bytes);
    }
}

#[test]
fn committed_samples_stay_small() {
    for entry in std::fs::read_dir(data_dir()).unwrap() {
        let entry = entry.unwrap();
        let len = entry.metadata().unwrap().len();
        assert!(
            len <= 16 * 1024,
            "{} is {len} bytes; keep committed samples to a few kilobytes",
            entry.path().display()
        );
    }
}

#[test]
fn every_corpus_run_is_committed_as_its_origin_lists_it() {
    let runs = subunit_samples::corpus();
    assert!(runs.len() >= 20, "{} runs", runs.len());
    let mut listed = std::collections::BTreeSet::new();
    for r in &runs {
        let bytes = std::fs::read(r.file()).unwrap_or_else(|e| panic!("{}: {e}", r.name));
        assert_eq!(bytes.len() as u64, r.bytes, "{}", r.name);
        assert_eq!(r.commit.len(), 40, "{}", r.name);
        assert!(r.repository.contains('/'), "{}", r.name);
        listed.insert(format!("{}.v1", r.name));
    }
    let mut on_disk = std::collections::BTreeSet::new();
    for e in std::fs::read_dir(subunit_samples::corpus_dir()).unwrap() {
        let name = e.unwrap().file_name().to_string_lossy().into_owned();
        if name != "ORIGINS.toml" {
            on_disk.insert(name);
        }
    }
    assert_eq!(listed, on_disk, "files and ORIGINS.toml disagree");
}
