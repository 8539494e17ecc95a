//! The page's markup, written with maud (every `(value)` is escaped).

use std::io::{self, Write};

use maud::{DOCTYPE, Markup, PreEscaped, html};
use subunit_emitter::Timestamp;

use super::{HtmlReport, Outcome, Row, STYLE as CSS, Section, module_of};

const SCRIPT: &str = include_str!("page.js");

/// The timeline's plot width and the width of its lane labels, in pixels.
const PLOT: f64 = 1100.0;
const LABEL: f64 = 100.0;
const LANE: f64 = 22.0;

/// Seconds, as the page prints them.
fn secs(micros: u64) -> String {
    format!("{:.3}s", micros as f64 / 1e6)
}

fn utc(micros: u64) -> String {
    Timestamp::from_micros(micros).to_utc().format_micros(' ')
}

fn bar_label(row: &Row) -> String {
    let fixture = if row.fixture { " (class fixture)" } else { "" };
    match row.duration() {
        Some(d) => format!("{}{fixture}: {}, {}", row.id, row.outcome.name(), secs(d)),
        None => format!("{}{fixture}: {}", row.id, row.outcome.name()),
    }
}

/// Writes the page to `out` part by part, so that no more of it than one part (one page of a
/// long list, or the summary and plots) is ever held as text.
pub(super) fn write(
    report: &HtmlReport,
    sections: &[Section],
    out: &mut dyn Write,
) -> io::Result<()> {
    let timed: Vec<&Row> = report
        .rows
        .iter()
        .filter(|r| r.duration().is_some())
        .collect();
    let t0 = timed.iter().filter_map(|r| r.start).min();
    let t1 = timed.iter().filter_map(|r| r.end).max();
    let sum: u64 = timed.iter().filter_map(|r| r.duration()).sum();
    let stats = &report.stats;
    let head = html! {
        (DOCTYPE)
        // `<html>` and `<body>` are opened and closed by hand, so that their contents can be
        // written in parts.
        (PreEscaped(r#"<html lang="en">"#))
        head {
            meta charset="utf-8";
            meta name="viewport" content="width=device-width, initial-scale=1";
            title { (report.options.title) }
            style { (PreEscaped(CSS)) }
        }
        (PreEscaped("<body>"))
    };
    out.write_all(head.into_string().as_bytes())?;
    let top = html! {
                header id="summary" {
                    h1 { (report.options.title) }
                    dl id="counts" {
                        div { dt { "Tests" } dd data-count="total" { (stats.total) } }
                        div { dt title="success, xfail and uxsuccess, as subunit-stats counts them" { "Passed" } dd data-count="passed" { (stats.passed()) } }
                        div { dt title="fail, unfinished and no status, as subunit-stats counts them" { "Failed" } dd data-count="failed" { (stats.failed) } }
                        div { dt { "Skipped" } dd data-count="skipped" { (stats.skipped) } }
                    }
                    dl id="outcomes" {
                        @for outcome in Outcome::ALL {
                            div class={ "s-" (outcome.name()) } {
                                dt { (outcome.label()) }
                                dd data-count=(outcome.name()) { (report.count(outcome)) }
                            }
                        }
                    }
                    dl id="run" {
                        @if let (Some(a), Some(b)) = (t0, t1) {
                            div { dt { "Started" } dd { (utc(a)) " UTC" } }
                            div { dt { "Ended" } dd { (utc(b)) " UTC" } }
                            div { dt { "Wall time" } dd id="wall" { (secs(b.saturating_sub(a))) } }
                        }
                        div { dt { "Sum of test time" } dd id="sum" { (secs(sum)) } }
                        div { dt { "Workers" } dd { (report.lanes.len()) } }
                        @for (key, value) in &report.options.metadata {
                            div { dt { (key) } dd { (value) } }
                        }
                    }
                }
                div id="controls" hidden {
                    label { "Search " input id="search" type="search" placeholder="test id contains"; }
                    @for outcome in Outcome::ALL {
                        label class={ "s-" (outcome.name()) } {
                            input class="status-filter" type="checkbox" value=(outcome.name()) checked;
                            " " (outcome.label())
                        }
                    }
                    span id="shown" {}
                }
                nav {
                    a href="#timeline" { "Timeline" } " · "
                    a href="#slowest" { "Slowest" } " · "
                    a href="#histogram" { "Durations" } " · "
                    a href="#classes" { "Classes" } " · "
                    a href="#failures" { "Failures" } " · "
                    a href="#skips" { "Skips" }
                    @for section in sections { " · " a href={ "#" (section.id) } { (section.title) } }
                }
                @for section in sections {
                    section id=(section.id) class="extra" { h2 { (section.title) } (section.body) }
                }
                (timeline(report, t0, t1))
                (slowest(report))
                (histogram(report))
    };
    out.write_all(top.into_string().as_bytes())?;
    classes(report, out)?;
    failures(report, out)?;
    skips(report, out)?;
    out.write_all(
        html! { script { (PreEscaped(SCRIPT)) } }
            .into_string()
            .as_bytes(),
    )?;
    out.write_all(b"</body></html>")
}

/// One drawn bar or group of bars in a lane.
struct Drawn {
    x0: f64,
    x1: f64,
    rows: Vec<usize>,
    worst: Outcome,
}

fn timeline(report: &HtmlReport, t0: Option<u64>, t1: Option<u64>) -> Markup {
    let (Some(t0), Some(t1)) = (t0, t1) else {
        return html! {
            section id="timeline" { h2 { "Timeline" } p { "The stream carries no test times." } }
        };
    };
    let span = (t1 - t0).max(1) as f64;
    let x = |t: u64| LABEL + (t.saturating_sub(t0)) as f64 / span * PLOT;
    let mut order: Vec<usize> = (0..report.lanes.len()).collect();
    order.sort_by(|&a, &b| report.lanes[a].cmp(&report.lanes[b]));
    let mut by_lane: Vec<Vec<usize>> = vec![Vec::new(); report.lanes.len()];
    for (i, row) in report.rows.iter().enumerate() {
        if row.duration().is_some() {
            by_lane[row.lane].push(i);
        }
    }
    let height = LANE * order.len() as f64 + 30.0;
    let ticks: Vec<f64> = (0..=5).map(|k| k as f64 / 5.0).collect();
    html! {
        section id="timeline" {
            h2 { "Timeline" }
            p class="note" {
                "One lane per worker; each bar is a test from start to end, coloured by status. "
                "Dashed bars are class fixtures; hatched stretches are idle workers. "
                "Runs of bars narrower than a pixel are drawn as one bar that says how many tests it holds."
            }
            div class="scroll" {
                svg xmlns="http://www.w3.org/2000/svg" width=(LABEL + PLOT + 10.0) height=(height)
                    viewBox={ "0 0 " (LABEL + PLOT + 10.0) " " (height) } role="img" aria-label="worker timeline" {
                    defs {
                        pattern id="hatch" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)" {
                            rect width="3" height="6" fill="#d8d8d8" {}
                        }
                    }
                    @for f in &ticks {
                        line class="tick" x1=(LABEL + f * PLOT) x2=(LABEL + f * PLOT) y1="14" y2=(height) {}
                        text class="axis" x=(LABEL + f * PLOT) y="10" text-anchor=(if *f >= 1.0 { "end" } else if *f <= 0.0 { "start" } else { "middle" }) { (secs((f * span) as u64)) }
                    }
                    @for (n, &lane) in order.iter().enumerate() {
                        @let y = 18.0 + LANE * n as f64;
                        @let rows = &by_lane[lane];
                        g class="lane" data-lane=(report.lanes[lane].label()) data-tests=(rows.len()) {
                            text class="lane-label" x="4" y=(y + 14.0) { (report.lanes[lane].label()) }
                            rect class="lane-bg" x=(LABEL) y=(y) width=(PLOT) height=(LANE - 4.0) {}
                            @for (a, b) in idle_gaps(report, rows, span) {
                                rect class="idle" x=(x(a)) y=(y) width=(x(b) - x(a)) height=(LANE - 4.0) fill="url(#hatch)" {
                                    title { "idle " (secs(b - a)) }
                                }
                            }
                            @for d in drawn(report, rows, &x) {
                                @if d.rows.len() == 1 {
                                    @let row = &report.rows[d.rows[0]];
                                    @let label = bar_label(row);
                                    rect class={ "bar s-" (row.outcome.name()) @if row.fixture { " fixture" } }
                                        x=(d.x0) y=(y + 1.0) width=((d.x1 - d.x0).max(1.0)) height=(LANE - 6.0)
                                        data-id=(row.id) data-status=(row.outcome.name()) tabindex="0" aria-label=(label) {
                                        title { (label) }
                                    }
                                } @else {
                                    @let label = format!("{} tests, worst {}", d.rows.len(), d.worst.name());
                                    rect class={ "bar agg s-" (d.worst.name()) }
                                        x=(d.x0) y=(y + 1.0) width=((d.x1 - d.x0).max(1.0)) height=(LANE - 6.0)
                                        data-count=(d.rows.len()) data-status=(d.worst.name()) tabindex="0" aria-label=(label) {
                                        title { (label) }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// A lane's idle stretches: gaps between one test's end and the next start longer than a
/// fiftieth of the run.
fn idle_gaps(report: &HtmlReport, rows: &[usize], span: f64) -> Vec<(u64, u64)> {
    let mut sorted: Vec<&Row> = rows.iter().map(|&i| &report.rows[i]).collect();
    sorted.sort_by_key(|r| r.start);
    let mut gaps = Vec::new();
    let mut busy_until: Option<u64> = None;
    for row in sorted {
        let (Some(s), Some(e)) = (row.start, row.end) else {
            continue;
        };
        if let Some(b) = busy_until
            && s > b
            && (s - b) as f64 > span / 50.0
        {
            gaps.push((b, s));
        }
        busy_until = Some(busy_until.map_or(e, |b| b.max(e)));
    }
    gaps
}

/// The bars of a lane, neighbouring bars narrower than a pixel drawn as one.
fn drawn(report: &HtmlReport, rows: &[usize], x: &dyn Fn(u64) -> f64) -> Vec<Drawn> {
    let mut sorted = rows.to_vec();
    sorted.sort_by_key(|&i| report.rows[i].start);
    let mut out: Vec<Drawn> = Vec::new();
    let mut open: Option<Drawn> = None;
    for i in sorted {
        let row = &report.rows[i];
        let (Some(s), Some(e)) = (row.start, row.end) else {
            continue;
        };
        let (x0, x1) = (x(s), x(e));
        if x1 - x0 >= 1.0 {
            out.extend(open.take());
            out.push(Drawn {
                x0,
                x1,
                rows: vec![i],
                worst: row.outcome,
            });
            continue;
        }
        match open.as_mut() {
            Some(g) if x0 - g.x1 < 1.0 && g.x1 - g.x0 < 4.0 => {
                g.x1 = g.x1.max(x1);
                g.rows.push(i);
                g.worst = g.worst.max(row.outcome);
            }
            _ => {
                out.extend(open.take());
                open = Some(Drawn {
                    x0,
                    x1,
                    rows: vec![i],
                    worst: row.outcome,
                });
            }
        }
    }
    out.extend(open);
    out
}

fn slowest(report: &HtmlReport) -> Markup {
    let mut tests: Vec<&Row> = report
        .rows
        .iter()
        .filter(|r| r.duration().is_some())
        .collect();
    tests.sort_by_key(|r| std::cmp::Reverse(r.duration()));
    tests.truncate(20);
    let mut per_class: Vec<(u64, usize, usize)> = vec![(0, 0, 0); report.classes.len()];
    for row in &report.rows {
        let c = &mut per_class[row.class];
        c.0 += row.duration().unwrap_or(0);
        c.1 += 1;
        c.2 = row.class;
    }
    per_class.retain(|c| c.1 > 0);
    per_class.sort_by_key(|c| std::cmp::Reverse(c.0));
    per_class.truncate(10);
    html! {
        section id="slowest" {
            h2 { "Slowest tests" }
            table class="slow" {
                thead { tr { th { "Test" } th { "Status" } th { "Duration" } } }
                tbody {
                    @for row in &tests {
                        tr class="t-slow" data-id=(row.id) data-status=(row.outcome.name()) {
                            td { (row.id) } td class={ "s-" (row.outcome.name()) } { (row.outcome.name()) }
                            td class="num" { (secs(row.duration().unwrap_or(0))) }
                        }
                    }
                }
            }
            h2 { "Slowest classes" }
            table class="slow" {
                thead { tr { th { "Class" } th { "Tests" } th { "Sum of test time" } } }
                tbody {
                    @for (time, count, class) in &per_class {
                        tr { td { (report.classes[*class]) } td class="num" { (count) } td class="num" { (secs(*time)) } }
                    }
                }
            }
        }
    }
}

/// The histogram's buckets: upper bounds in microseconds and their labels.
const BUCKETS: [(u64, &str); 10] = [
    (10_000, "<10ms"),
    (100_000, "10-100ms"),
    (500_000, "0.1-0.5s"),
    (1_000_000, "0.5-1s"),
    (2_000_000, "1-2s"),
    (5_000_000, "2-5s"),
    (10_000_000, "5-10s"),
    (30_000_000, "10-30s"),
    (60_000_000, "30-60s"),
    (u64::MAX, "≥60s"),
];

fn histogram(report: &HtmlReport) -> Markup {
    let mut counts = [0usize; BUCKETS.len()];
    let mut untimed = 0;
    for row in &report.rows {
        match row.duration() {
            Some(d) => {
                let b = BUCKETS.iter().position(|(max, _)| d < *max).unwrap_or(0);
                counts[b] += 1;
            }
            None => untimed += 1,
        }
    }
    let most = counts.iter().copied().max().unwrap_or(0).max(1) as f64;
    let (w, h) = (60.0, 160.0);
    html! {
        section id="histogram" {
            h2 { "Durations" }
            svg xmlns="http://www.w3.org/2000/svg" width=(w * BUCKETS.len() as f64 + 20.0) height=(h + 44.0)
                role="img" aria-label="histogram of test durations" {
                @for (i, (count, (_, label))) in counts.iter().zip(BUCKETS.iter()).enumerate() {
                    @let bh = *count as f64 / most * h;
                    g class="bucket" data-bucket=(label) data-tests=(count) {
                        rect x=(10.0 + w * i as f64) y=(20.0 + h - bh) width=(w - 6.0) height=(bh) {
                            title { (label) ": " (count) " tests" }
                        }
                        text class="axis" x=(10.0 + w * i as f64 + (w - 6.0) / 2.0) y=(h + 34.0) { (label) }
                        text class="axis" x=(10.0 + w * i as f64 + (w - 6.0) / 2.0) y=(16.0 + h - bh) { (count) }
                    }
                }
            }
            @if untimed > 0 { p class="note" { (untimed) " tests have no duration." } }
        }
    }
}

fn classes(report: &HtmlReport, out: &mut dyn Write) -> io::Result<()> {
    let mut members: Vec<Vec<usize>> = vec![Vec::new(); report.classes.len()];
    for (i, row) in report.rows.iter().enumerate() {
        members[row.class].push(i);
    }
    // Every class under its module, modules and classes in order: the table's rows.
    let mut flat: Vec<(&str, usize)> = (0..report.classes.len())
        .map(|c| (module_of(&report.classes[c]), c))
        .collect();
    flat.sort_by(|a, b| {
        a.0.cmp(b.0)
            .then_with(|| report.classes[a.1].cmp(&report.classes[b.1]))
    });
    let count = |c: usize, o: Outcome| {
        members[c]
            .iter()
            .filter(|&&i| report.rows[i].outcome == o)
            .count()
    };
    let table = |rows: &[(&str, usize)]| {
        // The page's rows by module, each module's header repeated on every page it spans.
        let mut modules: Vec<(&str, Vec<usize>)> = Vec::new();
        for &(module, c) in rows {
            match modules.last_mut() {
                Some((m, list)) if *m == module => list.push(c),
                _ => modules.push((module, vec![c])),
            }
        }
        html! {
            table class="classes" {
                thead { tr {
                    th { "Class" } th { "Count" }
                    @for o in Outcome::ALL { th class={ "s-" (o.name()) } { (o.label()) } }
                    th { "Time" }
                } }
                @for (module, list) in &modules {
                    tbody class="module" data-module=(module) {
                        tr class="module-row" { th colspan="10" { (module) } }
                        @for &c in list {
                            @let time: u64 = members[c].iter().filter_map(|&i| report.rows[i].duration()).sum();
                            @let fails = count(c, Outcome::Fail) + count(c, Outcome::InProgress) + count(c, Outcome::Unknown);
                            tr class={ "cls" @if fails > 0 { " has-fail" } } data-class=(report.classes[c])
                                data-count=(members[c].len()) data-pass=(count(c, Outcome::Success)) data-fail=(fails)
                                data-skip=(count(c, Outcome::Skip)) data-xfail=(count(c, Outcome::XFail))
                                data-uxsuccess=(count(c, Outcome::UxSuccess)) {
                                td {
                                    details {
                                        summary { (report.classes[c]) }
                                        ul class="tests" {
                                            @for &i in &members[c] {
                                                @let row = &report.rows[i];
                                                li class={ "t s-" (row.outcome.name()) } data-id=(row.id) data-status=(row.outcome.name()) {
                                                    span class="badge" { (row.outcome.name()) } " " (row.id)
                                                    @if let Some(d) = row.duration() { " " span class="dur" { (secs(d)) } }
                                                }
                                            }
                                        }
                                    }
                                }
                                td class="num" { (members[c].len()) }
                                @for o in Outcome::ALL { td class="num" { (count(c, o)) } }
                                td class="num" { (secs(time)) }
                            }
                        }
                    }
                }
            }
        }
    };
    let h2 = html! { h2 { "Modules and classes" } };
    section(out, "classes", h2, |out| {
        paged(out, "classes", "classes", &flat, table)
    })
}

/// Writes `<section id=ID>`, its heading, what `body` writes, and `</section>`.
fn section(
    out: &mut dyn Write,
    id: &str,
    heading: Markup,
    body: impl FnOnce(&mut dyn Write) -> io::Result<()>,
) -> io::Result<()> {
    write!(out, r#"<section id="{id}">"#)?;
    out.write_all(heading.into_string().as_bytes())?;
    body(out)?;
    out.write_all(b"</section>")
}

fn failures(report: &HtmlReport, out: &mut dyn Write) -> io::Result<()> {
    let problems: Vec<(usize, &Row)> = report
        .rows
        .iter()
        .filter(|r| r.outcome.is_problem())
        .enumerate()
        .collect();
    let heading = html! {
        h2 { "Failures (" (problems.len()) ")" }
        @if problems.is_empty() { p { "None." } }
    };
    section(out, "failures", heading, |out| {
        paged(out, "failures", "failures", &problems, |page| {
            html! {
                @for &(k, row) in page {
                    details class={ "failure s-" (row.outcome.name()) } id={ "f-" (k + 1) } data-id=(row.id) data-status=(row.outcome.name()) {
                        summary {
                            span class="badge" { (row.outcome.label()) } " " (row.id)
                            @if let Some(d) = row.duration() { " " span class="dur" { (secs(d)) } }
                        }
                        @let shown = row.detail.map(|d| report.details[d].as_slice()).unwrap_or_default();
                        @if shown.is_empty() { p class="note" { "No attachments." } }
                        @for a in shown {
                            div class="att" data-name=(a.name) {
                                h4 { (a.name) " " span class="mime" { (a.mime) } }
                                pre { (a.text) }
                                @if a.cut > 0 { p class="note" { (a.cut) " more bytes not shown." } }
                            }
                        }
                    }
                }
            }
        })
    })
}

fn skips(report: &HtmlReport, out: &mut dyn Write) -> io::Result<()> {
    let skipped: Vec<&Row> = report
        .rows
        .iter()
        .filter(|r| r.outcome == Outcome::Skip)
        .collect();
    let heading = html! { h2 { "Skips (" (skipped.len()) ")" } };
    section(out, "skips", heading, |out| {
        paged(out, "skips", "skips", &skipped, |page| {
            html! {
                ul {
                    @for row in page {
                        li class="skip" data-id=(row.id) data-status="skip" {
                            (row.id)
                            @for a in row.detail.map(|d| report.details[d].as_slice()).unwrap_or_default() {
                                ": " span class="reason" { (a.text) }
                            }
                        }
                    }
                }
            }
        })
    })
}

/// How many rows a page of a long list holds (classes, failures, skips).
pub(crate) const PAGE: usize = 200;

/// `items` as pages of [`PAGE`], each page `render`ed, with a pager linking them; a list of
/// one page is rendered as it is.
///
/// Paging is plain HTML and CSS, so it works with scripts off: the first page shows; a
/// page shows instead when it is the address's target (`#failures-p3`, the pager's links) or
/// holds it (`#f-412`); the script shows every page while a search or filter is on.
fn paged<T>(
    out: &mut dyn Write,
    name: &str,
    what: &str,
    items: &[T],
    render: impl Fn(&[T]) -> Markup,
) -> io::Result<()> {
    if items.len() <= PAGE {
        return out.write_all(render(items).into_string().as_bytes());
    }
    let pages = items.len().div_ceil(PAGE);
    let pager = html! {
        nav class="pager" {
            (items.len()) " " (what) " in pages of " (PAGE) ": "
            @for k in 1..=pages {
                a href={ "#" (name) "-p" (k) } title={ (what) " " ((k - 1) * PAGE + 1) "–" ((k * PAGE).min(items.len())) } { (k) }
                " "
            }
        }
    };
    write!(
        out,
        r#"<div class="pages" id="{name}-pages" data-pages="{pages}">"#
    )?;
    out.write_all(pager.into_string().as_bytes())?;
    for (k, chunk) in items.chunks(PAGE).enumerate() {
        write!(out, r#"<div class="page" id="{name}-p{}">"#, k + 1)?;
        out.write_all(render(chunk).into_string().as_bytes())?;
        out.write_all(b"</div>")?;
    }
    out.write_all(b"</div>")
}
