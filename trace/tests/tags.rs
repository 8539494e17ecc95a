//! `subunit-tags` against python-subunit 1.4.6's on every sample stream and on generated
//! many-worker streams, and its CLI contract.

mod stream_compare;

use std::path::PathBuf;

use stream_compare::{assert_same_stream, dump, normalise, ours, python, synthetic, timestamps};

fn golden(args: &[&str]) {
    let dir = tempfile::tempdir().unwrap();
    let mut inputs: Vec<(String, PathBuf, Option<String>)> = subunit_samples::v2()
        .into_iter()
        .map(|s| {
            (
                s.name.clone(),
                s.path.clone(),
                s.description.python_expected().error.clone(),
            )
        })
        .collect();
    for (workers, tests, seed) in [(8, 300, 11), (24, 800, 12)] {
        let p = dir.path().join(format!("synthetic-{workers}.subunit"));
        std::fs::write(&p, synthetic(workers, tests, seed)).unwrap();
        inputs.push((format!("synthetic {workers} workers"), p, None));
    }
    for (name, path, crash) in inputs {
        let input = std::fs::read(&path).unwrap();
        // python-subunit's subunit-tags reads standard input only: every argument is a tag.
        let py = python("subunit-tags", args, Some(&path));
        let us = ours("subunit-tags", args, &input);
        let what = format!("{name} with {args:?}");
        assert_eq!(
            us.status.code(),
            Some(0),
            "{what}: {}",
            String::from_utf8_lossy(&us.stderr)
        );
        if let Some(error) = crash {
            assert_eq!(py.status.code(), Some(1), "{what}");
            assert!(
                String::from_utf8_lossy(&py.stderr).contains(&error),
                "{what}"
            );
            let known = timestamps(&input);
            let (p, o) = (normalise(&py.stdout, &known), normalise(&us.stdout, &known));
            assert!(
                o.starts_with(&p),
                "{what}\n--- python\n{}--- ours\n{}",
                dump(&p),
                dump(&o)
            );
            continue;
        }
        assert_eq!(
            py.status.code(),
            Some(0),
            "{what}: {}",
            String::from_utf8_lossy(&py.stderr)
        );
        assert_same_stream(&what, &py.stdout, &us.stdout, &input);
    }
}

#[test]
fn no_change_rewrites_every_packet_as_python_does() {
    golden(&[]);
}

#[test]
fn adding() {
    golden(&["foo"]);
    golden(&["worker-0", "extra"]);
}

#[test]
fn removing_and_both() {
    golden(&["-worker-0"]);
    golden(&["a", "-b", "worker-1", "-slow"]);
    golden(&["-worker-0", "-worker-1", "-worker-2", "-slow"]);
}

#[test]
fn an_empty_tag_is_status_2_and_help_documents_the_codes() {
    let out = ours("subunit-tags", &[""], b"");
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(String::from_utf8_lossy(&out.stderr).lines().count(), 1);
    let help = ours("subunit-tags", &["--help"], b"");
    assert_eq!(help.status.code(), Some(0));
    let text = String::from_utf8(help.stdout).unwrap();
    assert!(text.contains("Exit status"), "{text}");
    insta::assert_snapshot!(text);
}

#[test]
fn a_short_dash_h_is_a_tag_to_remove_as_in_python() {
    let input = subunit_emitter::to_vec(
        &subunit_emitter::Packet::status("t", subunit_emitter::Status::Success)
            .with_tags(["h", "k"])
            .as_ref(),
    )
    .unwrap();
    let out = ours("subunit-tags", &["-h"], &input);
    assert_eq!(out.status.code(), Some(0));
    let mut r = subunit_parser::events::EventReader::new(&out.stdout[..]);
    let e = r.next_event().unwrap().unwrap();
    assert_eq!(e.tags.unwrap().to_vec(), ["k"]);
}

#[test]
fn a_closed_pipe_downstream_ends_quietly_with_status_0() {
    use std::io::{Read, Write};
    use std::process::{Command, Stdio};
    let input = synthetic(16, 20_000, 5);
    let mut child = Command::new(assert_cmd::cargo::cargo_bin("subunit-tags"))
        .arg("x")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let feeder = std::thread::spawn(move || {
        let _ = stdin.write_all(&input);
    });
    let mut stdout = child.stdout.take().unwrap();
    let mut first = [0u8; 16];
    stdout.read_exact(&mut first).unwrap();
    drop(stdout);
    let out = child.wait_with_output().unwrap();
    feeder.join().unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
