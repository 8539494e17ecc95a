//! `subunit2html` and the HTML report: opened in headless Chromium (Debian's `chromium`,
//! installed here with `apt-get install -y chromium` when it is missing: the tests never skip),
//! with and without scripts, on ordinary, big and hostile runs; and against os-testr 3.0.0's
//! `subunit2html` on the same streams. A screenshot of each page opened is kept under
//! `<target>/html-artifacts/`.

use crate::common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use regex::Regex;
use subunit_emitter::{Packet, Status, Timestamp, to_vec};
use subunit_parser::fold::TestRecord;
use subunit_samples::python;
use subunit_sinks::pipeline::{Pipeline, Records};

// ---------------------------------------------------------------------------------------------
// The browser.

/// Debian's Chromium, installed on first use. Panics saying why when it cannot be had.
fn chromium() -> &'static Path {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        let found = || {
            ["chromium", "chromium-browser"].iter().find_map(|name| {
                std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default())
                    .map(|d| d.join(name))
                    .find(|p| p.is_file())
            })
        };
        if let Some(p) = found() {
            return p;
        }
        let install = |args: &[&str]| {
            Command::new("apt-get")
                .args(args)
                .env("DEBIAN_FRONTEND", "noninteractive")
                .output()
        };
        let mut log = String::new();
        for args in [&["install", "-y", "chromium"][..], &["update"], &["install", "-y", "chromium"]] {
            match install(args) {
                Ok(out) => log.push_str(&String::from_utf8_lossy(&out.stderr)),
                Err(e) => log.push_str(&format!("apt-get {args:?}: {e}\n")),
            }
            if let Some(p) = found() {
                return p;
            }
        }
        panic!(
            "the browser tests need Debian's `chromium` and could not install it with \
             `apt-get install -y chromium` (run as root, with Debian's package lists reachable):\n{log}"
        )
    })
}

/// What Chromium made of a page: the DOM after its scripts ran, and the console's messages.
struct Opened {
    dom: String,
    console: Vec<String>,
}

fn artifacts() -> PathBuf {
    let dir = python::target_dir().join("html-artifacts");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn chromium_command(profile: &Path) -> Command {
    let mut cmd = Command::new(chromium());
    cmd.args([
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--enable-logging=stderr",
        "--v=0",
        "--window-size=1400,2200",
    ])
    .arg(format!("--user-data-dir={}", profile.display()));
    cmd
}

/// Opens `page` (with `query`, as `?a=b`) from `file://`, returns its DOM and console, and
/// keeps a screenshot as `<artifacts>/<shot>.png`.
///
/// Without scripts: Chromium's `--dump-dom` and `--screenshot` run through the page's script
/// engine and give nothing under `--blink-settings=scriptEnabled=false`, so the page is opened
/// as a copy with its script elements taken out, which a browser parses and draws exactly as
/// it would the page with scripts off (the page has no `<noscript>`).
fn open(page: &Path, query: &str, scripts: bool, shot: &str) -> Opened {
    let profile = tempfile::tempdir().unwrap();
    let opened_page = if scripts {
        page.to_path_buf()
    } else {
        let text = std::fs::read_to_string(page).unwrap();
        let stripped = Regex::new(r"(?s)<script>.*?</script>")
            .unwrap()
            .replace_all(&text, "");
        assert!(!stripped.contains("<script"), "every script taken out");
        let copy = profile.path().join("page-without-scripts.html");
        std::fs::write(&copy, stripped.as_bytes()).unwrap();
        copy
    };
    let url = format!("file://{}{query}", opened_page.display());
    let out = chromium_command(profile.path())
        .arg("--dump-dom")
        .arg(&url)
        .output()
        .expect("chromium starts");
    assert!(
        out.status.success() && !out.stdout.is_empty(),
        "chromium failed on {url}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let console = String::from_utf8_lossy(&out.stderr)
        .lines()
        .filter(|l| l.contains(":CONSOLE"))
        .map(str::to_owned)
        .collect();
    let png = artifacts().join(format!("{shot}.png"));
    let shot_out = chromium_command(profile.path())
        .arg(format!("--screenshot={}", png.display()))
        .arg(&url)
        .output()
        .expect("chromium starts");
    assert!(
        shot_out.status.success() && png.is_file(),
        "no screenshot of {url}"
    );
    Opened {
        dom: String::from_utf8(out.stdout).expect("the DOM is UTF-8"),
        console,
    }
}

// ---------------------------------------------------------------------------------------------
// Streams and pages.

fn at(secs: u32, millis: u32) -> Timestamp {
    Timestamp::new(1_767_225_600 + secs, millis * 1_000_000)
}

/// A run with every status, a class fixture, two workers, an unfinished test, attachments.
fn every_status() -> Vec<u8> {
    let tests = [
        ("pkg.mod.TestA.test_ok", Status::Success, 0),
        ("pkg.mod.TestA.test_bad", Status::Fail, 1),
        ("pkg.mod.TestA.test_skip", Status::Skip, 0),
        ("pkg.mod.TestB.test_xf", Status::XFail, 1),
        ("pkg.mod.TestB.test_ux", Status::UxSuccess, 0),
        ("setUpClass (pkg.mod.TestC)", Status::Fail, 1),
        ("pkg.other.TestD.test_x[id-1,smoke]", Status::Success, 1),
    ];
    let mut s = Vec::new();
    for (i, (id, status, worker)) in tests.into_iter().enumerate() {
        let i = i as u32 * 2;
        let tag = format!("worker-{worker}");
        let p = |p: Packet| to_vec(&p.as_ref()).unwrap();
        s.extend(p(Packet::status(id, Status::InProgress)
            .with_timestamp(at(i, 0))
            .with_tags([tag.as_str()])));
        match status {
            Status::Fail => s.extend(p(Packet::status(id, Status::Undefined)
                .with_timestamp(at(i, 500))
                .with_file("traceback", Some("text/x-traceback;charset=utf8,language=python"),
                    format!("Traceback (most recent call last):\n  File \"x.py\", line 1\nAssertionError: {id} broke\n"), true))),
            Status::Skip => s.extend(p(Packet::status(id, Status::Undefined)
                .with_timestamp(at(i, 500))
                .with_file("reason", Some("text/plain;charset=utf8"), "not on this cloud", true))),
            _ => {}
        }
        s.extend(p(Packet::status(id, status)
            .with_timestamp(at(i, 900))
            .with_tags([tag.as_str()])));
    }
    s.extend(
        to_vec(
            &Packet::status("pkg.mod.TestA.test_hang", Status::InProgress)
                .with_timestamp(at(15, 0))
                .as_ref(),
        )
        .unwrap(),
    );
    s
}

/// Writes `stream` and our page of it into `dir`; returns the page's path and its text.
fn our_page(dir: &Path, name: &str, stream: &[u8]) -> (PathBuf, String) {
    let input = common::write(dir, &format!("{name}.subunit"), stream);
    let page = dir.join(format!("{name}.html"));
    let out = common::our_command("subunit2html")
        .arg(&input)
        .arg(&page)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "subunit2html failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = std::fs::read_to_string(&page).unwrap();
    (page, text)
}

/// `subunit-stats`' four figures for `stream`.
fn stats_of(stream: &[u8]) -> BTreeMap<String, usize> {
    let out = common::ours("subunit-stats", &["--no-passthrough"], stream);
    let text = String::from_utf8(out.stdout).unwrap();
    let figure = |label: &str| -> usize {
        let line = text
            .lines()
            .find(|l| l.starts_with(label))
            .unwrap_or_else(|| panic!("{label} in {text}"));
        line[label.len()..].trim().parse().unwrap()
    };
    BTreeMap::from([
        ("total".to_owned(), figure("Total tests:")),
        ("passed".to_owned(), figure("Passed tests:")),
        ("failed".to_owned(), figure("Failed tests:")),
        ("skipped".to_owned(), figure("Skipped tests:")),
    ])
}

fn dom_counts(dom: &str) -> BTreeMap<String, usize> {
    let re = Regex::new(r#"<dd data-count="(total|passed|failed|skipped)">(\d+)</dd>"#).unwrap();
    re.captures_iter(dom)
        .map(|c| (c[1].to_owned(), c[2].parse().unwrap()))
        .collect()
}

/// The page's test ids (`li.t` items) and whether each is hidden.
pub(crate) fn listed(dom: &str) -> Vec<(String, String, bool)> {
    let re = Regex::new(
        r#"<li class="t s-[a-z]+" data-id="([^"]*)" data-status="([a-z]+)"( hidden="")?>"#,
    )
    .unwrap();
    re.captures_iter(dom)
        .map(|c| (unescape(&c[1]), c[2].to_owned(), c.get(3).is_some()))
        .collect()
}

fn unescape(s: &str) -> String {
    s.replace("&quot;", "\"")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}

/// The ids on each timeline lane, and the tests its aggregated bars hold.
fn lanes(dom: &str) -> BTreeMap<String, (BTreeSet<String>, usize)> {
    let lane = Regex::new(r#"(?s)<g class="lane" data-lane="([^"]*)" data-tests="\d+">(.*?)</g>"#)
        .unwrap();
    let id = Regex::new(r#"<rect class="bar[^"]*"[^>]* data-id="([^"]*)""#).unwrap();
    let agg = Regex::new(r#"<rect class="bar agg[^"]*"[^>]* data-count="(\d+)""#).unwrap();
    lane.captures_iter(dom)
        .map(|c| {
            let ids = id.captures_iter(&c[2]).map(|i| unescape(&i[1])).collect();
            let grouped = agg
                .captures_iter(&c[2])
                .map(|a| a[1].parse::<usize>().unwrap())
                .sum();
            (c[1].to_owned(), (ids, grouped))
        })
        .collect()
}

/// The tests of a stream by their `worker-N` tag, read with the fold alone.
fn tests_by_worker(stream: &[u8]) -> BTreeMap<String, BTreeSet<String>> {
    let mut records: Vec<TestRecord> = Vec::new();
    Pipeline::new()
        .run::<_, subunit_sinks::Error>(stream, &mut Records(|r| records.push(r)))
        .unwrap();
    let mut out: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for r in records.into_iter().filter(|r| r.duration().is_some()) {
        let worker = r
            .tags
            .iter()
            .find_map(|t| t.strip_prefix("worker-"))
            .unwrap_or("0")
            .to_owned();
        out.entry(format!("worker {worker}"))
            .or_default()
            .insert(r.id);
    }
    out
}

// ---------------------------------------------------------------------------------------------
// The tests.

#[test]
fn counts_in_the_browser_equal_subunit_stats_and_the_console_is_clean() {
    let dir = tempfile::tempdir().unwrap();
    let (_, big) = common::generated(400, 4, 7);
    for (name, stream) in [("every-status", every_status()), ("generated-400", big)] {
        let (page, _) = our_page(dir.path(), name, &stream);
        let opened = open(&page, "", true, name);
        assert!(
            opened.dom.contains(r#"data-js="on""#),
            "{name}: the script did not run"
        );
        assert_eq!(
            opened.console,
            Vec::<String>::new(),
            "{name}: console messages"
        );
        assert_eq!(dom_counts(&opened.dom), stats_of(&stream), "{name}");
    }
}

#[test]
fn the_console_check_sees_a_script_error() {
    let dir = tempfile::tempdir().unwrap();
    let page = common::write(
        dir.path(),
        "broken.html",
        b"<p>x</p><script>null.x;</script>",
    );
    let opened = open(&page, "", true, "broken-script-check");
    assert!(
        opened
            .console
            .iter()
            .any(|l| l.contains("Uncaught TypeError")),
        "{:?}",
        opened.console
    );
}

#[test]
fn each_worker_lane_holds_exactly_its_tests() {
    let dir = tempfile::tempdir().unwrap();
    let (_, stream) = common::generated(60, 3, 3);
    for (name, stream) in [
        ("lanes-every-status", every_status()),
        ("lanes-generated-60", stream),
    ] {
        let (page, _) = our_page(dir.path(), name, &stream);
        let opened = open(&page, "", true, name);
        let drawn = lanes(&opened.dom);
        let expected = tests_by_worker(&stream);
        assert_eq!(
            drawn.keys().collect::<Vec<_>>(),
            expected.keys().collect::<Vec<_>>(),
            "{name}"
        );
        for (lane, ids) in &expected {
            assert_eq!(drawn[lane].1, 0, "{name}: small runs draw every bar");
            assert_eq!(&drawn[lane].0, ids, "{name}: {lane}");
        }
    }
}

#[test]
fn a_big_run_groups_narrow_bars_and_loses_no_test() {
    let dir = tempfile::tempdir().unwrap();
    let (_, stream) = common::generated(20_000, 8, 5);
    let (page, _) = our_page(dir.path(), "generated-20k", &stream);
    let opened = open(&page, "", true, "generated-20k");
    assert_eq!(opened.console, Vec::<String>::new());
    let drawn = lanes(&opened.dom);
    let expected = tests_by_worker(&stream);
    let mut grouped = 0;
    for (lane, ids) in &expected {
        let (seen, agg) = &drawn[lane];
        assert!(seen.is_subset(ids), "{lane}: a bar on the wrong lane");
        assert_eq!(seen.len() + agg, ids.len(), "{lane}: every test drawn once");
        grouped += agg;
    }
    assert!(
        grouped > 0,
        "20k tests on 1100 pixels: some bars are grouped"
    );
}

/// The pages of the long lists the browser displays for `page` at `address` (`?q=...`,
/// `#...`): a copy of the page with a probe appended, which records, once the page has loaded,
/// the ids of the `.page` elements whose computed display is not `none`. Without
/// `page_script` the page's own script is taken out of the copy (the page as with scripts
/// off, paged by its HTML and CSS alone; only the probe runs).
fn displayed_pages(
    page: &Path,
    address: &str,
    page_script: bool,
    shot: &str,
) -> (Vec<String>, String) {
    let mut text = std::fs::read_to_string(page).unwrap();
    if !page_script {
        text = Regex::new(r"(?s)<script>.*?</script>")
            .unwrap()
            .replace_all(&text, "")
            .into_owned();
    }
    let probe = r#"<script>window.addEventListener("load", function () { setTimeout(function () {
        var shown = Array.prototype.filter.call(document.querySelectorAll(".page"), function (p) {
          return getComputedStyle(p).display !== "none"; }).map(function (p) { return p.id; });
        document.body.setAttribute("data-shown", shown.join(" ")); }, 0); });</script>"#;
    text = text.replace("</body>", &format!("{probe}</body>"));
    let copy = page.with_file_name(format!("{shot}.html"));
    std::fs::write(&copy, text).unwrap();
    let opened = open(&copy, address, true, shot);
    assert_eq!(opened.console, Vec::<String>::new(), "{address}");
    let shown = Regex::new(r#"<body data-shown="([^"]*)""#)
        .unwrap()
        .captures(&opened.dom)
        .unwrap_or_else(|| panic!("the probe ran at {address}"))[1]
        .split_whitespace()
        .map(str::to_owned)
        .collect();
    (shown, opened.dom)
}

#[test]
fn long_lists_are_paged_in_plain_html_and_css() {
    let dir = tempfile::tempdir().unwrap();
    let (_, stream) = common::generated(20_000, 4, 7);
    let (page, text) = our_page(dir.path(), "paged-20k", &stream);
    let pages = |list: &str| {
        Regex::new(&format!(r#"<div class="page" id="{list}-p(\d+)">"#))
            .unwrap()
            .captures_iter(&text)
            .map(|c| c[1].parse::<usize>().unwrap())
            .collect::<Vec<_>>()
    };
    let failures = Regex::new(r#"<details class="failure [^"]*" id="f-(\d+)""#)
        .unwrap()
        .captures_iter(&text)
        .map(|c| c[1].parse::<usize>().unwrap())
        .collect::<Vec<_>>();
    let n = failures.len();
    assert_eq!(
        failures,
        (1..=n).collect::<Vec<_>>(),
        "every failure once, in order"
    );
    assert!(n > 400, "{n} failures: three pages or more");
    assert_eq!(pages("failures"), (1..=n.div_ceil(200)).collect::<Vec<_>>());
    assert!(pages("classes").len() > 1, "the class table is paged");
    // Pages of 200: the first page holds failures 1 to 200.
    let first =
        &text[text.find(r#"id="failures-p1""#).unwrap()..text.find(r#"id="failures-p2""#).unwrap()];
    assert_eq!(first.matches(r#"<details class="failure"#).count(), 200);
    let others: Vec<String> = ["classes", "skips"]
        .iter()
        .filter(|l| !pages(l).is_empty())
        .map(|l| format!("{l}-p1"))
        .collect();
    let with = |failures_page: &str| {
        let mut v = others.clone();
        v.push(failures_page.to_owned());
        v.sort();
        v
    };
    let sorted = |mut v: Vec<String>| {
        v.sort();
        v
    };

    // Scripts off: the first page of each list; a pager link's page instead; the page
    // holding a linked failure.
    let (shown, dom) = displayed_pages(&page, "", false, "paged-noscript");
    assert_eq!(sorted(shown), with("failures-p1"));
    assert_eq!(dom_counts(&dom), stats_of(&stream));
    let (shown, _) = displayed_pages(&page, "#failures-p3", false, "paged-noscript-p3");
    assert_eq!(sorted(shown), with("failures-p3"));
    let (shown, _) = displayed_pages(&page, "#f-250", false, "paged-noscript-f250");
    assert_eq!(sorted(shown), with("failures-p2"));

    // Scripts on: a search shows its matches on every page; `?open=` opens a failure on its
    // page.
    let id = Regex::new(r#"<details class="failure [^"]*" id="f-450" data-id="([^"]*)""#)
        .unwrap()
        .captures(&text)
        .unwrap()[1]
        .to_owned();
    let (shown, dom) = displayed_pages(&page, &format!("?q={id}"), true, "paged-search");
    assert_eq!(
        shown.len(),
        Regex::new(r#"<div class="page""#)
            .unwrap()
            .find_iter(&text)
            .count()
    );
    assert!(dom.contains(&format!(r#"id="f-450" data-id="{id}""#)));
    assert!(
        !Regex::new(r#"id="f-450"[^>]*hidden"#)
            .unwrap()
            .is_match(&dom),
        "the match shows"
    );
    let (shown, dom) = displayed_pages(&page, "?open=f-450", true, "paged-open");
    assert_eq!(sorted(shown), with("failures-p3"));
    assert!(
        Regex::new(r#"<details class="failure [^"]*" id="f-450"[^>]* open="""#)
            .unwrap()
            .is_match(&dom)
    );
}

#[test]
fn expanding_a_failure_shows_its_traceback() {
    let dir = tempfile::tempdir().unwrap();
    let (page, _) = our_page(dir.path(), "expand", &every_status());
    let closed = open(&page, "", true, "expand-closed");
    let open_re = Regex::new(r#"(?s)<details class="failure s-fail" id="f-1" data-id="pkg.mod.TestA.test_bad" data-status="fail"( open="")?>(.*?)</details>"#).unwrap();
    let before = open_re
        .captures(&closed.dom)
        .expect("the failure is listed");
    assert!(before.get(1).is_none(), "failures start closed");
    let opened = open(&page, "?open=f-1", true, "expand-open");
    let after = open_re
        .captures(&opened.dom)
        .expect("the failure is listed");
    assert!(after.get(1).is_some(), "?open=f-1 expands it");
    assert!(
        after[2].contains("AssertionError: pkg.mod.TestA.test_bad broke"),
        "{}",
        &after[2]
    );
}

#[test]
fn the_search_box_filters() {
    let dir = tempfile::tempdir().unwrap();
    let (page, _) = our_page(dir.path(), "search", &every_status());
    let all = listed(&open(&page, "", true, "search-none").dom);
    assert_eq!(all.len(), 8);
    assert!(all.iter().all(|(_, _, hidden)| !hidden));
    let found = open(&page, "?q=TestB", true, "search-testb");
    let shown: Vec<_> = listed(&found.dom)
        .into_iter()
        .filter(|t| !t.2)
        .map(|t| t.0)
        .collect();
    assert_eq!(shown, ["pkg.mod.TestB.test_xf", "pkg.mod.TestB.test_ux"]);
    assert!(
        found
            .dom
            .contains(r#"<span id="shown">2 tests shown</span>"#)
    );
    let failed = open(&page, "?status=fail,inprogress", true, "filter-failed");
    let shown: Vec<_> = listed(&failed.dom)
        .into_iter()
        .filter(|t| !t.2)
        .map(|t| t.0)
        .collect();
    assert_eq!(
        shown,
        [
            "pkg.mod.TestA.test_bad",
            "pkg.mod.TestA.test_hang",
            "setUpClass (pkg.mod.TestC)"
        ]
    );
}

#[test]
fn with_scripts_off_the_summary_timeline_and_failures_are_there() {
    let dir = tempfile::tempdir().unwrap();
    let stream = every_status();
    let (page, _) = our_page(dir.path(), "noscript", &stream);
    let opened = open(&page, "", false, "noscript");
    assert!(!opened.dom.contains(r#"data-js="on""#), "scripts were off");
    assert!(
        opened.dom.contains(r#"<div id="controls" hidden="">"#),
        "no dead controls shown"
    );
    assert_eq!(dom_counts(&opened.dom), stats_of(&stream));
    assert_eq!(lanes(&opened.dom).len(), 2);
    assert!(
        opened
            .dom
            .contains("AssertionError: pkg.mod.TestA.test_bad broke")
    );
    assert!(opened.dom.contains("not on this cloud"));
}

#[test]
fn hostile_input_renders_as_text() {
    let evil_id = r#"x.Evil.test_<img src=x onerror="document.title='pwned'">'"&amp;"#;
    let script = "</script><script>document.title='pwned'</script><b>bold</b>";
    let p = |p: Packet| to_vec(&p.as_ref()).unwrap();
    let mut s = Vec::new();
    s.extend(p(Packet::status(evil_id, Status::InProgress)
        .with_timestamp(at(0, 0))
        .with_tags(["worker-0"])));
    s.extend(p(Packet::status(evil_id, Status::Undefined).with_file(
        "traceback",
        Some("text/plain;charset=utf8"),
        script,
        true,
    )));
    s.extend(p(Packet::status(evil_id, Status::Undefined).with_file(
        "log",
        Some("text/plain;charset=utf8"),
        &b"bad \xff\xfe utf-8 <i>x</i>"[..],
        true,
    )));
    s.extend(p(Packet::status(evil_id, Status::Undefined).with_file(
        "core",
        Some("application/octet-stream"),
        &b"\x00\x01<svg onload=alert(1)>\xff"[..],
        true,
    )));
    s.extend(p(Packet::status(evil_id, Status::Fail)
        .with_timestamp(at(1, 0))
        .with_tags(["worker-0"])));
    let skip_id = "x.Evil.test_skip\"><script>document.title='pwned'</script>";
    s.extend(p(Packet::status(skip_id, Status::Undefined)
        .with_timestamp(at(1, 0))
        .with_file(
            "reason",
            Some("text/plain"),
            "<iframe src=javascript:alert(1)>",
            true,
        )));
    s.extend(p(Packet::status(skip_id, Status::Skip)
        .with_timestamp(at(2, 0))
        .with_tags(["worker-\"><b>"])));
    let dir = tempfile::tempdir().unwrap();
    let (page, text) = our_page(dir.path(), "hostile", &s);
    assert_eq!(text.matches("<script").count(), 1, "only our own script");
    let opened = open(&page, "", true, "hostile");
    assert_eq!(opened.console, Vec::<String>::new());
    let dom = &opened.dom;
    assert!(
        dom.contains("<title>Unit Test Report</title>"),
        "the title was not rewritten"
    );
    // Attribute values (where the serializer may leave `<` as is) blanked, every `<` left
    // opens a real element.
    let tags_only = Regex::new(r#""[^"]*""#).unwrap().replace_all(dom, "\"\"");
    for element in ["<script", "<img", "<b>", "<i>", "<iframe", "<svg onload"] {
        let expected = usize::from(element == "<script");
        assert_eq!(
            tags_only.matches(element).count(),
            expected,
            "{element} in the DOM"
        );
    }
    assert!(dom.contains("&lt;img src=x onerror=\"document.title='pwned'\"&gt;'\"&amp;amp;"));
    assert!(
        dom.contains("bad \u{fffd}\u{fffd} utf-8 &lt;i&gt;x&lt;/i&gt;"),
        "invalid UTF-8 as U+FFFD"
    );
    assert!(
        dom.contains(r"b'\x00\x01&lt;svg onload=alert(1)&gt;\xff'"),
        "binary as python's repr"
    );
    assert!(dom.contains("&lt;iframe src=javascript:alert(1)&gt;"));
    let ids: Vec<_> = listed(dom).into_iter().map(|t| t.0).collect();
    assert_eq!(ids.len(), 2);
    assert!(
        ids.contains(&evil_id.to_owned()) && ids.contains(&skip_id.to_owned()),
        "{ids:?}"
    );
}

#[test]
fn the_page_needs_no_network() {
    let dir = tempfile::tempdir().unwrap();
    let (_, text) = our_page(dir.path(), "offline", &every_status());
    for outside in ["<link", " src=", "@import", "url(http", "//cdn"] {
        assert!(!text.contains(outside), "{outside} in the page");
    }
    let hrefs: Vec<_> = Regex::new(r#"href="([^"]*)""#)
        .unwrap()
        .captures_iter(&text)
        .map(|c| c[1].to_owned())
        .collect();
    assert!(
        !hrefs.is_empty() && hrefs.iter().all(|h| h.starts_with('#')),
        "{hrefs:?}"
    );
}

#[test]
fn the_default_output_is_results_html_and_failures_are_printed() {
    let dir = tempfile::tempdir().unwrap();
    let input = common::write(dir.path(), "run.subunit", &every_status());
    let out = common::our_command("subunit2html")
        .arg(&input)
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(dir.path().join("results.html").is_file());
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        "pkg.mod.TestA.test_bad\nsetUpClass (pkg.mod.TestC)\npkg.mod.TestA.test_hang\n"
    );
    let missing = common::our_command("subunit2html")
        .arg(dir.path().join("nope"))
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert_eq!(missing.status.code(), Some(2));
}

// ---------------------------------------------------------------------------------------------
// Against os-testr 3.0.0's subunit2html.

/// Counts per class as a page states them: pass, fail, error, skip.
type ClassCounts = BTreeMap<String, [usize; 4]>;

/// Python's table: each class row's name and its Count/Pass/Fail/Error/Skip.
fn python_classes(page: &str) -> ClassCounts {
    let re = Regex::new(
        r#"<td class="testname">([^<]*)</td>\s*<td class="small">(\d+)</td>\s*<td class="small">(\d+)</td>\s*<td class="small">(\d+)</td>\s*<td class="small">(\d+)</td>\s*<td class="small">(\d+)</td>"#,
    )
    .unwrap();
    re.captures_iter(page)
        .map(|c| {
            let n = |i: usize| c[i].parse::<usize>().unwrap();
            assert_eq!(n(2), n(3) + n(4) + n(5) + n(6));
            (unescape(&c[1]), [n(3), n(4), n(5), n(6)])
        })
        .collect()
}

/// What os-testr shows of our page's tests, its documented bugs applied: expected failures and
/// unexpected successes dropped, a fixture's pseudo-test under the text before its last dot,
/// unfinished tests failed, no errors.
fn as_os_testr_shows(dom: &str) -> ClassCounts {
    let mut out = ClassCounts::new();
    for (id, status, _) in listed(dom) {
        let slot = match status.as_str() {
            "success" => 0,
            "fail" | "inprogress" | "unknown" => 1,
            "skip" => 3,
            _ => continue,
        };
        // python splits the raw id, attributes and all.
        let class = id.rsplit_once('.').map_or(id.as_str(), |(c, _)| c);
        out.entry(class.to_owned()).or_default()[slot] += 1;
    }
    out
}

/// Our page's own class table, in os-testr's columns.
fn our_classes(dom: &str) -> ClassCounts {
    let re = Regex::new(r#"<tr class="cls[^"]*" data-class="([^"]*)" data-count="\d+" data-pass="(\d+)" data-fail="(\d+)" data-skip="(\d+)""#).unwrap();
    re.captures_iter(dom)
        .map(|c| {
            (
                unescape(&c[1]),
                [
                    c[2].parse().unwrap(),
                    c[3].parse().unwrap(),
                    0,
                    c[4].parse().unwrap(),
                ],
            )
        })
        .collect()
}

#[test]
fn os_testr_counts_the_same_per_class_but_for_its_documented_bugs() {
    let dir = tempfile::tempdir().unwrap();
    let (_, generated) = common::generated(300, 4, 11);
    // v1 text among the v2 packets: both read it again as v1 once the v2 stream has ended.
    let mut v1_inside =
        b"test: old.V1.test_ok\nsuccess: old.V1.test_ok\ntest: old.V1.test_bad\nfailure: old.V1.test_bad [\nboom\n]\n"
            .to_vec();
    v1_inside.extend(common::generated(50, 2, 13).1);
    for (name, stream) in [
        ("ostestr-every-status", every_status()),
        ("ostestr-generated-300", generated),
        ("ostestr-v1-inside", v1_inside),
    ] {
        assert_counts_like_os_testr(name, dir.path(), &stream, 3, |page| {
            open(page, "", true, name).dom
        });
    }
}

/// os-testr's `subunit2html` and ours on `stream` (named `name`, files in `dir`): the failed ids
/// printed, python's class table equal to what it shows of our page's tests (its documented
/// bugs applied), its status line equal to our counts, and our class table equal to python's
/// where python's is right. `dom_of` reads our page (in a browser, or as written); python's
/// table must have at least `min_classes` rows (that it was read).
pub(crate) fn assert_counts_like_os_testr(
    name: &str,
    dir: &Path,
    stream: &[u8],
    min_classes: usize,
    dom_of: impl Fn(&Path) -> String,
) {
    let env = python::os_testr_env();
    let header = Regex::new(r"Status:</strong> ([^<]*)</p>").unwrap();
    let input = common::write(dir, &format!("{name}.subunit"), stream);
    let theirs_page = dir.join(format!("{name}-python.html"));
    let theirs = env
        .tool_command("subunit2html")
        .arg(&input)
        .arg(&theirs_page)
        .output()
        .unwrap();
    assert!(
        theirs.status.success(),
        "{name}: {}",
        String::from_utf8_lossy(&theirs.stderr)
    );
    let (page, _) = our_page(dir, name, stream);
    let mine = common::our_command("subunit2html")
        .arg(&input)
        .arg(dir.join("again.html"))
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&mine.stdout),
        String::from_utf8_lossy(&theirs.stdout),
        "{name}: the failed ids printed"
    );
    let python_page = std::fs::read_to_string(&theirs_page).unwrap();
    assert!(
        python_classes(&python_page).len() >= min_classes,
        "{name}: python's table read"
    );
    let dom = dom_of(&page);
    assert_eq!(
        as_os_testr_shows(&dom),
        python_classes(&python_page),
        "{name}"
    );
    let status = header.captures(&python_page).expect("python's status line")[1].to_owned();
    let counts = dom_counts(&dom);
    let count = |k: &str| {
        Regex::new(&format!(r#"<dd data-count="{k}">(\d+)</dd>"#))
            .unwrap()
            .captures(&dom)
            .unwrap()[1]
            .parse::<usize>()
            .unwrap()
    };
    let mut expected = Vec::new();
    for (label, n) in [
        ("Pass", count("success")),
        ("Failure", counts["failed"]),
        ("Skip", counts["skipped"]),
    ] {
        if n > 0 {
            expected.push(format!("{label} {n}"));
        }
    }
    assert_eq!(status, expected.join(" "), "{name}");
    // Where python's classes are right, ours are the same; the fixture goes to its class.
    let ours = our_classes(&dom);
    for (class, counts) in python_classes(&python_page) {
        if !class.starts_with("setUpClass (") && !ours.contains_key(&class) {
            panic!("{name}: python's class {class} is not ours");
        }
        if let Some(mine) = ours.get(&class)
            && !dom.contains(&format!("data-id=\"setUpClass ({class})\""))
        {
            let dropped = count_dropped(&dom, &class);
            assert_eq!(
                [mine[0], mine[1], mine[2], mine[3]],
                counts,
                "{name}: {class} ({dropped} xfail/uxsuccess not in python's)"
            );
        }
    }
}

/// How many of a class's tests python drops (expected failures, unexpected successes): they
/// are not in the pass/fail/skip columns, so the columns still agree.
fn count_dropped(dom: &str, class: &str) -> usize {
    listed(dom)
        .into_iter()
        .filter(|(id, status, _)| {
            id.starts_with(&format!("{class}.")) && (status == "xfail" || status == "uxsuccess")
        })
        .count()
}

// ---------------------------------------------------------------------------------------------
// From the store.

/// The outcomes in a test's row of the history view, oldest run first.
fn history_cells(dom: &str, id: &str) -> Vec<String> {
    let row = Regex::new(&format!(
        r#"(?s)<tr class="test-history" data-id="{}">(.*?)</tr>"#,
        regex::escape(id)
    ))
    .unwrap();
    Regex::new(r#"<td class="cell s-([a-z]+)""#)
        .unwrap()
        .captures_iter(&row.captures(dom).expect("its history")[1])
        .map(|c| c[1].to_owned())
        .collect()
}

#[test]
fn the_store_report_shows_the_run_with_its_history() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join(".stestr");
    let run = |args: &[&str], stdin: &[u8]| {
        let mut cmd = common::our_command("subunit-store");
        cmd.current_dir(dir.path()).args(args);
        common::feed(cmd, stdin)
    };
    assert!(run(&["init"], b"").status.success());
    let p = |p: Packet| to_vec(&p.as_ref()).unwrap();
    let flip = |status: Status| {
        let mut s =
            p(Packet::status("pkg.T.test_flip", Status::InProgress).with_timestamp(at(0, 0)));
        s.extend(p(
            Packet::status("pkg.T.test_flip", status).with_timestamp(at(1, 0))
        ));
        s.extend(p(
            Packet::status("pkg.T.test_ok", Status::Success).with_timestamp(at(2, 0))
        ));
        s
    };
    for status in [Status::Success, Status::Fail, Status::Success] {
        run(&["load", "-m", "commit=abc"], &flip(status));
    }
    let out = run(&["report", "1", "-o", "report.html"], b"");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(store.is_dir());
    let opened = open(&dir.path().join("report.html"), "", true, "store-report");
    assert_eq!(opened.console, Vec::<String>::new());
    let dom = &opened.dom;
    assert!(dom.contains("<title>Run 1</title>"));
    let runs: Vec<_> = Regex::new(
        r#"<g class="run( current)?" data-run="(\d)" data-pass="(\d)" data-fail="(\d)""#,
    )
    .unwrap()
    .captures_iter(dom)
    .map(|c| {
        (
            c.get(1).is_some(),
            c[2].to_owned() + "/" + &c[3] + "/" + &c[4],
        )
    })
    .collect();
    assert_eq!(
        runs,
        [
            (false, "0/2/0".to_owned()),
            (true, "1/1/1".to_owned()),
            (false, "2/2/0".to_owned())
        ]
    );
    assert!(
        dom.contains(r#"<tr class="flaky" data-id="pkg.T.test_flip">"#),
        "the flaky test is listed"
    );
    assert_eq!(
        history_cells(dom, "pkg.T.test_flip"),
        ["success", "fail", "success"]
    );
    assert!(
        !dom.contains(r#"data-id="pkg.T.test_ok">"#)
            || !dom.contains(r#"<tr class="test-history" data-id="pkg.T.test_ok">"#),
        "a test that always passed has no history row"
    );
    assert_eq!(dom_counts(dom)["failed"], 1, "the page is run 1's");
}

#[test]
fn the_database_report_shows_the_filtered_runs_history() {
    use crate::sql::common::{ok, ours, theirs, upgrade};
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite:///{}", dir.path().join("runs.db").display());
    upgrade(&url);
    let p = |p: Packet| to_vec(&p.as_ref()).unwrap();
    let run = |flip: Status, extra: Option<Status>| {
        let mut s =
            p(Packet::status("pkg.T.test_flip", Status::InProgress).with_timestamp(at(0, 0)));
        s.extend(p(
            Packet::status("pkg.T.test_flip", flip).with_timestamp(at(1, 0))
        ));
        s.extend(p(
            Packet::status("pkg.T.test_ok", Status::Success).with_timestamp(at(2, 0))
        ));
        if let Some(status) = extra {
            s.extend(p(
                Packet::status("pkg.T.test_other", status).with_timestamp(at(3, 0))
            ));
        }
        s
    };
    // Three runs of the gate job on one commit (the third stored by subunit2sql 1.10.0 itself)
    // and one of another job that the filter leaves out.
    let loads = [
        (
            "r1",
            "2026-01-01",
            "build_name:gate,commit:abc",
            run(Status::Success, None),
            false,
        ),
        (
            "r2",
            "2026-01-02",
            "build_name:gate,commit:abc",
            run(Status::Fail, None),
            false,
        ),
        (
            "r3",
            "2026-01-03",
            "build_name:gate,commit:abc",
            run(Status::Success, None),
            true,
        ),
        (
            "o1",
            "2026-01-04",
            "build_name:other,commit:abc",
            run(Status::Fail, Some(Status::Fail)),
            false,
        ),
    ];
    for (id, at, meta, stream, python) in &loads {
        let file = common::write(dir.path(), &format!("{id}.subunit"), stream);
        let file = file.display().to_string();
        let args = [
            "--database-connection",
            &url,
            "--run_id",
            id,
            "--run_at",
            at,
            "-r",
            meta,
            &file,
        ];
        let out = if *python {
            theirs("subunit2sql", &args, b"")
        } else {
            ours("subunit2sql", &args, b"")
        };
        ok(out, id);
    }
    let page = dir.path().join("report.html");
    let page_s = page.display().to_string();
    let report = |extra: &[&str]| {
        let mut args = vec![
            "--database-connection",
            &url,
            "report",
            "--meta",
            "build_name=gate",
        ];
        args.extend_from_slice(&["--html", &page_s]);
        args.extend_from_slice(extra);
        ok(ours("subunit-sql", &args, b""), "subunit-sql report --html");
    };
    report(&["--run", "r2"]);
    let opened = open(&page, "", true, "sql-report");
    assert_eq!(opened.console, Vec::<String>::new());
    let dom = &opened.dom;
    assert!(dom.contains("<title>Run r2</title>"));
    let runs: Vec<_> = Regex::new(
        r#"<g class="run( current)?" data-run="([a-z0-9]+)" data-pass="(\d)" data-fail="(\d)""#,
    )
    .unwrap()
    .captures_iter(dom)
    .map(|c| (c.get(1).is_some(), format!("{} {}/{}", &c[2], &c[3], &c[4])))
    .collect();
    assert_eq!(
        runs,
        [
            (false, "r1 2/0".to_owned()),
            (true, "r2 1/1".to_owned()),
            (false, "r3 2/0".to_owned())
        ],
        "the gate runs, oldest first; the other job's run is filtered out"
    );
    assert!(
        dom.contains(r#"<tr class="flaky" data-id="pkg.T.test_flip">"#),
        "the flaky test is listed"
    );
    assert_eq!(
        history_cells(dom, "pkg.T.test_flip"),
        ["success", "fail", "success"]
    );
    assert!(!dom.contains(r#"<tr class="test-history" data-id="pkg.T.test_ok">"#));
    assert!(!dom.contains("pkg.T.test_other"), "only the filtered runs");
    assert_eq!(dom_counts(dom)["failed"], 1, "the page is run r2's");
    assert!(
        dom.contains("build_name") && dom.contains("gate"),
        "the run's metadata"
    );

    // By default the newest filtered run; flaky only among runs on one commit.
    report(&["--flaky-by", "build_name"]);
    let dom = open(&page, "", false, "sql-report-noscript").dom;
    assert!(dom.contains("<title>Run r3</title>"));
    assert!(dom.contains(r#"<g class="run current" data-run="r3""#));
    assert!(dom.contains(r#"<tr class="flaky" data-id="pkg.T.test_flip">"#));
    assert_eq!(dom_counts(&dom)["failed"], 0);

    // No run matches: a clear message and exit 2; an unknown run: exit 1, as sql2subunit.
    let none = ours(
        "subunit-sql",
        &[
            "--database-connection",
            &url,
            "report",
            "--meta",
            "build_name=none",
            "--html",
            &page_s,
        ],
        b"",
    );
    assert_eq!(none.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&none.stderr).contains("no run in the database matches"));
    let unknown = ours(
        "subunit-sql",
        &[
            "--database-connection",
            &url,
            "report",
            "--html",
            &page_s,
            "--run",
            "nope",
        ],
        b"",
    );
    assert_eq!(unknown.status.code(), Some(1));
}

#[test]
fn subunit_diff_html_shows_two_runs_side_by_side() {
    let dir = tempfile::tempdir().unwrap();
    let p = |p: Packet| to_vec(&p.as_ref()).unwrap();
    let run = |statuses: [(&str, Status, u32); 3]| {
        let mut s = Vec::new();
        for (id, status, secs) in statuses {
            s.extend(p(
                Packet::status(id, Status::InProgress).with_timestamp(at(0, 0))
            ));
            s.extend(p(Packet::status(id, status).with_timestamp(at(secs, 0))));
        }
        s
    };
    let old = common::write(
        dir.path(),
        "old.subunit",
        &run([
            ("t.A.test_breaks", Status::Success, 1),
            ("t.A.test_fixed<b>", Status::Fail, 1),
            ("t.A.test_slows", Status::Success, 1),
        ]),
    );
    let new = common::write(
        dir.path(),
        "new.subunit",
        &run([
            ("t.A.test_breaks", Status::Fail, 1),
            ("t.A.test_fixed<b>", Status::Success, 1),
            ("t.A.test_slows", Status::Success, 9),
        ]),
    );
    let page = dir.path().join("diff.html");
    let out = common::our_command("subunit-diff")
        .arg(&old)
        .arg(&new)
        .arg("--html")
        .arg(&page)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "newly failing: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!out.stdout.is_empty(), "the text report is still printed");
    let opened = open(&page, "", true, "diff");
    assert_eq!(opened.console, Vec::<String>::new());
    let sections: BTreeMap<String, Vec<String>> =
        Regex::new(r#"(?s)<section class="kind" id="[^"]*" data-kind="([^"]*)">(.*?)</section>"#)
            .unwrap()
            .captures_iter(&opened.dom)
            .map(|c| {
                let ids = Regex::new(r#"<tr class="change" data-id="([^"]*)">"#)
                    .unwrap()
                    .captures_iter(&c[2])
                    .map(|i| unescape(&i[1]))
                    .collect();
                (c[1].to_owned(), ids)
            })
            .collect();
    assert_eq!(
        sections.get("newly_failing").map(Vec::as_slice),
        Some(&["t.A.test_breaks".to_owned()][..]),
        "{sections:?}"
    );
    assert_eq!(
        sections.get("fixed").map(Vec::as_slice),
        Some(&["t.A.test_fixed<b>".to_owned()][..]),
        "{sections:?}"
    );
    assert_eq!(
        sections.get("slower").map(Vec::as_slice),
        Some(&["t.A.test_slows".to_owned()][..]),
        "{sections:?}"
    );
    let sides: Vec<_> =
        Regex::new(r#"data-side="(old|new)"(?s:.*?)<dd data-count="failed">(\d+)</dd>"#)
            .unwrap()
            .captures_iter(&opened.dom)
            .map(|c| (c[1].to_owned(), c[2].to_owned()))
            .collect();
    assert_eq!(
        sides,
        [
            ("old".to_owned(), "1".to_owned()),
            ("new".to_owned(), "1".to_owned())
        ]
    );
    assert!(!opened.dom.contains("<b>"), "ids are text");
}

#[test]
fn the_summary_and_printed_failures_snapshot() {
    let dir = tempfile::tempdir().unwrap();
    let input = common::write(dir.path(), "run.subunit", &every_status());
    let out = common::our_command("subunit2html")
        .arg("run.subunit")
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert!(input.is_file() && out.status.success());
    let page = std::fs::read_to_string(dir.path().join("results.html")).unwrap();
    let header = &page[page.find("<header").unwrap()..page.find("</header>").unwrap()];
    let pairs = Regex::new(r"<dt[^>]*>([^<]*)</dt><dd[^>]*>([^<]*)</dd>").unwrap();
    let mut text = String::from_utf8(out.stdout).unwrap();
    text.push_str("--- summary\n");
    for c in pairs.captures_iter(header) {
        text.push_str(&format!("{}: {}\n", &c[1], unescape(&c[2])));
    }
    insta::assert_snapshot!(text);
}

#[test]
fn a_charset_among_comma_joined_parameters_decodes_as_python_decodes_it() {
    // `text/x-traceback;charset="iso-8859-1",language="python"` holding `ab\xe9`: python reads
    // the charset as iso-8859-1 and shows `abé`, and so does the page.
    let dir = tempfile::tempdir().unwrap();
    let stream = crate::common::trace::latin1_traceback_run();
    let (_, page) = our_page(dir.path(), "latin1", &stream);
    assert!(page.contains("ab\u{e9}"), "no ab\u{e9} in the page");
    assert!(!page.contains("ab\u{fffd}"), "the charset was misread");
}
