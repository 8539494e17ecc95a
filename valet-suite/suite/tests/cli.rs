//! The `valet-suite` command: listing, running, exit codes, and the filters against stestr's.

use crate::common;

use std::collections::BTreeSet;
use std::process::{Command, Output};

fn valet(args: &[&str]) -> Output {
    // The example suite unless another is named (the default suite is the Valet one).
    let suite: &[&str] = if args.contains(&"--suite") {
        &[]
    } else {
        &["--suite", "examples"]
    };
    Command::new(env!("CARGO_BIN_EXE_valet-suite"))
        .args(suite)
        .args(args)
        .env_remove("OS_TEST_TIMEOUT")
        .env_remove("TEMPEST_CONFIG_DIR")
        .env_remove("TEMPEST_CONFIG")
        .output()
        .expect("valet-suite runs")
}

fn stdout_lines(o: &Output) -> Vec<String> {
    String::from_utf8_lossy(&o.stdout)
        .lines()
        .map(str::to_owned)
        .collect()
}

#[test]
fn list_prints_ids_one_a_line_and_filters_them() {
    let o = valet(&["list"]);
    assert_eq!(o.status.code(), Some(0));
    let all = stdout_lines(&o);
    assert_eq!(all.len(), 26);
    assert!(all.windows(2).all(|w| w[0] < w[1]), "sorted: {all:#?}");
    let o = valet(&["list", "--smoke"]);
    assert_eq!(
        stdout_lines(&o),
        ["demo.test_attrs.Attrs.test_smoke[id-460d86e4-6472-11e6-b6c6-080027824017,smoke]"]
    );
}

#[test]
fn exit_codes() {
    // All passed.
    assert_eq!(valet(&["run", "-r", r"\.Clean\."]).status.code(), Some(0));
    // Failures are results, not harness errors.
    assert_eq!(valet(&["run", "-r", "ErrTest"]).status.code(), Some(1));
    assert_eq!(valet(&["discover"]).status.code(), Some(1));
    // Nothing selected.
    assert_eq!(
        valet(&["run", "-r", "nothing-matches"]).status.code(),
        Some(1)
    );
    // A filter regex that does not compile: 5, as stestr (compared in `filters_match_stestr`).
    for bad in [
        &["run", "-r", "ok ("][..],
        &["list", "-r", "fine ok("],
        &["run", "--exclude-regex", "[z-a]"],
    ] {
        let o = valet(bad);
        assert_eq!(
            o.status.code(),
            Some(5),
            "{bad:?}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
    }
    // Harness errors.
    for bad in [
        &["run", "--partition", "hash:5/4"][..],
        &["run", "--load-list", "/nonexistent/list"],
        &["--suite", "nope", "list"],
        &["run", "--smoke", "-r", "x"],
    ] {
        let o = valet(bad);
        assert_eq!(
            o.status.code(),
            Some(2),
            "{bad:?}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
    }
    let o = Command::new(env!("CARGO_BIN_EXE_valet-suite"))
        .args(["run", "-r", r"\.Clean\."])
        .env("OS_TEST_TIMEOUT", "soon")
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("OS_TEST_TIMEOUT"));
}

#[test]
fn run_subunit_tags_workers_and_keeps_classes_whole() {
    let o = valet(&["--suite", "synthetic:30:5:4", "run", "-w", "3", "--subunit"]);
    assert_eq!(o.status.code(), Some(1));
    let events = common::decode(&o.stdout);
    let finals: Vec<_> = events
        .iter()
        .filter(|e| e.id.is_some() && e.file.is_none())
        .filter(|e| !matches!(common::status_name(e.status), "exists" | "inprogress"))
        .collect();
    assert_eq!(finals.len(), 150);
    let tags: BTreeSet<_> = finals.iter().flat_map(|e| e.tags.clone()).collect();
    assert_eq!(tags.len(), 3, "{tags:?}");
    // The live view (without --subunit) is text, with totals.
    let o = valet(&["run", "-w", "2", "-r", r"\.Clean\. \.ErrTest\."]);
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(text.contains("demo.test_life.Clean.test_one ["), "{text}");
    assert!(text.contains("... FAILED"), "{text}");
    assert!(text.contains("Ran: 2 tests"), "{text}");
}

#[test]
fn shards_list_disjoint_and_complete() {
    let all: BTreeSet<String> = stdout_lines(&valet(&["--suite", "synthetic:20:2", "list"]))
        .into_iter()
        .collect();
    let mut union = BTreeSet::new();
    for m in 1..=3 {
        let part = format!("slice:{m}/3");
        for id in stdout_lines(&valet(&[
            "--suite",
            "synthetic:20:2",
            "list",
            "--partition",
            &part,
        ])) {
            assert!(union.insert(id), "an id in two shards");
        }
    }
    assert_eq!(union, all);
}

/// The filters select exactly what stestr's `construct_list` selects for the same arguments,
/// with stestr 4.2.1 from the pinned reference environment (made on first use; a missing
/// environment fails the test).
#[test]
fn filters_match_stestr() {
    let python = subunit_samples::python::env();
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, text: &str| {
        let p = dir.path().join(name);
        std::fs::write(&p, text).unwrap();
        p.display().to_string()
    };
    let include = write(
        "include",
        "# groups of interest\nErrSet.*Cleanup$\n\nAttrs.test_s  # services, smoke\n",
    );
    let exclude = write("exclude", "Credentials # flaky\n  \ntest_smoke\n");
    let load = write(
        "load",
        "demo.test_life.Clean.test_one\ndemo.test_life.ErrSetupAndCleanup.test_one\nnot.a.Real.test\n",
    );
    let bad_list = write("bad", "Clean\nErr(Set\n");
    let all = stdout_lines(&valet(&["list"]));
    let ids = write("ids", &(all.join("\n") + "\n"));
    let cases: Vec<Vec<&str>> = vec![
        vec!["-r", "Err(Test|Assert) Skip"],
        vec!["--smoke"],
        vec!["--include-list", &include],
        vec!["-r", "Clean", "--include-list", &include],
        vec!["--exclude-list", &exclude],
        vec!["-r", "Err", "--exclude-regex", "Set(up|Up)"],
        vec!["--include-list", &include, "--exclude-list", &exclude],
        vec!["-r", "[0-9a-f]{8}-", "--exclude-regex", "smoke"],
        vec!["--load-list", &load],
        vec!["-r", "Cleanup", "--load-list", &load],
        // Regexes that do not compile: stestr exits 5, and so must we.
        vec!["-r", "ok ("],
        vec!["-r", "Clean", "--exclude-regex", "[z-a]"],
        vec!["--include-list", &bad_list],
        vec!["--exclude-list", &bad_list],
    ];
    let script = r#"
import sys, json
from stestr import selection
args = json.loads(sys.argv[2])
ids = [l for l in open(sys.argv[1]).read().splitlines() if l]
regexes = args.get('regex')
res = selection.construct_list(ids, regexes=regexes, exclude_list=args.get('exclude_list'),
    include_list=args.get('include_list'), exclude_regex=args.get('exclude_regex'))
if args.get('load_list'):
    wanted = set(l.strip() for l in open(args['load_list']).read().splitlines() if l.strip())
    res = [i for i in res if i in wanted]
print("\n".join(sorted(res)))
"#;
    let (mut selective, mut invalid) = (0, 0);
    for case in cases {
        let mut spec = serde_like(&case);
        if case.contains(&"--smoke") {
            spec = spec.replace("\"smoke\":true", "\"regex\":[\"smoke\"]");
        }
        let py = python
            .command()
            .args(["-c", script, &ids, &spec])
            .output()
            .unwrap();
        let mut args = vec!["list"];
        args.extend(case.iter().copied());
        let ours = valet(&args);
        assert_eq!(
            ours.status.code(),
            py.status.code(),
            "{case:?}: exit codes; stestr said {}",
            String::from_utf8_lossy(&py.stderr)
        );
        match py.status.code() {
            Some(0) => {}
            Some(5) => {
                invalid += 1;
                continue;
            }
            _ => panic!("{case:?}: {}", String::from_utf8_lossy(&py.stderr)),
        }
        let mut want: Vec<String> = stdout_lines(&py)
            .into_iter()
            .filter(|l| !l.is_empty())
            .collect();
        want.sort();
        let mut got = stdout_lines(&ours);
        got.sort();
        assert_eq!(got, want, "{case:?}");
        if !want.is_empty() && want.len() < all.len() {
            selective += 1;
        }
    }
    // Every well-formed case selects some but not all tests, so each one tells the filters
    // apart; every malformed one is refused on both sides.
    assert_eq!((selective, invalid), (10, 4));
}

/// The case as the JSON the Python side reads (only strings and one list; no escapes needed
/// beyond backslashes and quotes).
fn serde_like(case: &[&str]) -> String {
    let q = |s: &str| format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""));
    let mut fields = Vec::new();
    let mut it = case.iter();
    while let Some(flag) = it.next() {
        match *flag {
            "-r" => {
                let words: Vec<String> = it.next().unwrap().split_whitespace().map(q).collect();
                fields.push(format!("\"regex\":[{}]", words.join(",")));
            }
            "--smoke" => fields.push("\"smoke\":true".to_owned()),
            other => {
                let key = other.trim_start_matches("--").replace('-', "_");
                fields.push(format!("\"{key}\":{}", q(it.next().unwrap())));
            }
        }
    }
    format!("{{{}}}", fields.join(","))
}

/// Python's `re` has look-around and back-references; the `regex` crate has neither, so such a
/// filter is refused (exit 5, as stestr refuses a regex it cannot compile) where stestr would
/// select by it. DIFFERENCES.md.
#[test]
fn python_only_regex_syntax_is_refused_where_stestr_selects() {
    let regex = "Err(?!Set)";
    let o = valet(&["list", "-r", regex]);
    assert_eq!(o.status.code(), Some(5));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("look-around"),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let py = subunit_samples::python::env()
        .command()
        .args([
            "-c",
            "import sys\nfrom stestr import selection\n\
             print(len(selection.construct_list(sys.argv[2:], regexes=[sys.argv[1]])))",
            regex,
            "demo.test_life.ErrTest.test_one",
            "demo.test_life.ErrSetUp.test_one",
        ])
        .output()
        .unwrap();
    assert_eq!(
        (py.status.code(), String::from_utf8_lossy(&py.stdout).trim()),
        (Some(0), "1"),
        "{}",
        String::from_utf8_lossy(&py.stderr)
    );
}
