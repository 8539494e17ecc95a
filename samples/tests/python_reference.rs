//! The pinned python reference environment, and every description checked against what
//! python-subunit 1.4.6 + testtools 2.9.1 find in its stream.

use std::collections::BTreeSet;

use subunit_samples::{DAMAGED_NAMES, Format, Origin, all, data_dir, python};

#[test]
fn the_environment_has_exactly_the_pinned_versions() {
    let env = python::env();
    let out = env
        .command()
        .args([
            "-c",
            "import importlib.metadata as m; \
             print(m.version('python-subunit'), m.version('testtools'), \
                   m.version('iso8601'), m.version('PyYAML'))",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        "1.4.6 2.9.1 2.1.0 6.0.3"
    );
    let name = env.root().file_name().unwrap().to_string_lossy();
    assert!(
        name.contains("subunit-1.4.6-testtools-2.9.1"),
        "the environment is named after its pins: {name}"
    );
    assert!(env.root().starts_with(python::target_dir()));
    // Made once: a second call is the same environment.
    assert!(std::ptr::eq(env, python::env()));
}

#[test]
fn console_scripts_run_directly_and_through_the_interpreter() {
    let env = python::env();
    for tool in [
        "subunit-ls",
        "subunit-stats",
        "subunit-1to2",
        "subunit-output",
    ] {
        let direct = std::process::Command::new(env.bin(tool))
            .arg("--help")
            .output()
            .unwrap_or_else(|e| panic!("{tool} does not start: {e}"));
        assert!(
            direct.status.success(),
            "{tool} --help: {}",
            String::from_utf8_lossy(&direct.stderr)
        );
        let via = env.run_tool(tool, ["--help"], b"");
        assert!(via.status.success());
        // The same usage line (the option lists may differ in order: subunit-output lists a
        // set, and only `run_tool` fixes python's hash seed).
        let first = |b: &[u8]| String::from_utf8_lossy(b).lines().next().map(str::to_owned);
        assert_eq!(first(&direct.stdout), first(&via.stdout), "{tool}");
        assert!(
            first(&via.stdout).is_some_and(|l| l.starts_with("Usage:")),
            "{tool}"
        );
    }
}

#[test]
fn scripts_get_their_stdin_and_args() {
    let env = python::env();
    let out = env.run_script_ok(
        "write_packets.py",
        std::iter::empty::<&str>(),
        br#"[{"test_id": "foo", "test_status": "exists"}]"#,
    );
    let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
    // The spec's own example packet.
    assert_eq!(v[0]["hex"], "b329010c03666f6f08555f1b");
}

#[test]
fn every_sample_has_a_description_and_every_description_a_stream() {
    let samples = all();
    let names: BTreeSet<&str> = samples.iter().map(|s| s.name.as_str()).collect();
    for want in DAMAGED_NAMES.iter().copied().chain([
        "emitter-all",
        "v1-basic",
        "python-unittest",
        "python-direct",
        "python-subunit-output",
    ]) {
        assert!(names.contains(want), "no sample {want}");
    }
    for s in &samples {
        assert!(s.path.is_file(), "{}", s.path.display());
        assert_eq!(
            s.damaged,
            s.description.origin == Origin::Damaged,
            "{}",
            s.name
        );
        assert_eq!(
            s.name.starts_with("python-"),
            s.origin() == Origin::Python,
            "{}",
            s.name
        );
        assert!(
            !s.description.notes.trim().is_empty(),
            "{} has no notes",
            s.name
        );
    }
    // Nothing committed without a description.
    for entry in std::fs::read_dir(data_dir()).unwrap() {
        let path = entry.unwrap().path();
        let stem = path.file_stem().unwrap().to_string_lossy().into_owned();
        assert!(
            names.contains(stem.as_str()),
            "{} has no description",
            path.display()
        );
    }
}

#[test]
fn python_finds_what_every_description_says() {
    let env = python::env();
    let mut failures = Vec::new();
    for s in all() {
        let found = match s.format {
            Format::V2 => env.fold(&s.path),
            Format::V1 => {
                let v2 = env.v1_to_v2(&s.bytes());
                let tmp = tempfile::NamedTempFile::new().unwrap();
                std::fs::write(tmp.path(), v2).unwrap();
                env.fold(tmp.path())
            }
        };
        if let Err(m) = s.description.python_expected().check(&found) {
            failures.push(format!("{} ({}):\n{m}", s.name, s.path.display()));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn a_wrong_description_is_caught_against_python() {
    // The check above can fail: the same comparison, with one record's status changed.
    let env = python::env();
    let s = subunit_samples::get("emitter-all");
    let mut expected = s.description.python_expected().clone();
    let t = expected
        .tests
        .iter_mut()
        .find(|t| t.id == "emitter.pass")
        .unwrap();
    t.status = "fail".into();
    let err = expected.check(&env.fold(&s.path)).unwrap_err().to_string();
    assert!(err.contains("missing record \"emitter.pass\""), "{err}");
}
