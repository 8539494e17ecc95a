//! The reports of a [`Diff`]: for people (sections of changed tests, then stestr's summary
//! lines with the deltas from the old run) and for machines (a versioned JSON document).

use std::io::{self, Write};

use serde_json::{Map, Value, json};

use super::{Change, Diff, JSON_FORMAT, Kind, Totals};
use crate::store::report::RunSummary;

/// `0.500s`.
fn secs(s: Option<f64>) -> String {
    s.map_or_else(|| "-".into(), |s| format!("{s:.3}s"))
}

fn write_change(out: &mut impl Write, c: &Change) -> io::Result<()> {
    let old = c.old_status.unwrap_or("-");
    let new = c.new_status.unwrap_or("-");
    match c.kind {
        Kind::Added => writeln!(out, "  {} ({new}, {})", c.id, secs(c.new_seconds)),
        Kind::Removed => writeln!(out, "  {} ({old})", c.id),
        Kind::Slower | Kind::Faster => {
            let delta = c.delta_seconds().unwrap_or(0.0);
            let percent = c
                .delta_percent()
                .map_or_else(String::new, |p| format!(", {p:+.1}%"));
            writeln!(
                out,
                "  {} {} -> {} ({delta:+.3}s{percent})",
                c.id,
                secs(c.old_seconds),
                secs(c.new_seconds)
            )
        }
        Kind::StillFailing => {
            let same = if old == new {
                old.to_owned()
            } else {
                format!("{old} -> {new}")
            };
            match &c.failure_diff {
                Some(d) => {
                    writeln!(out, "  {} ({same}, failure changed)", c.id)?;
                    for line in d.lines() {
                        writeln!(out, "    {line}")?;
                    }
                    Ok(())
                }
                None => writeln!(out, "  {} ({same})", c.id),
            }
        }
        _ => writeln!(out, "  {} ({old} -> {new})", c.id),
    }
}

/// The human report: one section per kind of change that has any (`Newly failing (2):`, one
/// test per line), `No changes.` when there are none, a blank line, then stestr's summary of
/// the new run with the deltas from the old one:
///
/// ```text
/// Ran 10 (+1) tests in 0.600s (+0.241s)
/// FAILED (id=3, failures=3 (+1), skips=1)
/// ```
///
/// (`id=` only when the new run is a stored one).
pub fn write_human(out: &mut impl Write, diff: &Diff, new_id: Option<u64>) -> io::Result<()> {
    let mut any = false;
    for kind in Kind::ALL {
        let n = diff.of_kind(kind).count();
        if n == 0 {
            continue;
        }
        any = true;
        writeln!(out, "{} ({n}):", kind.title())?;
        for c in diff.of_kind(kind) {
            write_change(out, c)?;
        }
    }
    if !any {
        writeln!(out, "No changes.")?;
    }
    writeln!(out)?;
    write_summary(out, &diff.new, &diff.old, new_id)?;
    out.flush()
}

/// stestr's `output_summary` with the deltas from `old`: `Ran N (+d) tests in X.XXXs (+Y.YYYs)`
/// (each delta only when non-zero), then `PASSED`/`FAILED` with `id=` (when given),
/// `failures=N (+d)` (when there are failures) and `skips=N` (no delta, as stestr).
pub fn write_summary(
    out: &mut impl Write,
    new: &RunSummary,
    old: &RunSummary,
    id: Option<u64>,
) -> io::Result<()> {
    let mut line = String::new();
    if new.tests_run > 0 {
        line.push_str(&format!("Ran {}", new.tests_run));
        let d = new.tests_run as i64 - old.tests_run as i64;
        if d != 0 {
            line.push_str(&format!(" ({d:+})"));
        }
        line.push_str(" tests");
    }
    if let Some(t) = new.time_taken().filter(|t| *t != 0.0) {
        if line.is_empty() {
            line.push_str("Ran tests");
        }
        line.push_str(&format!(" in {t:.3}s"));
        if let Some(pt) = old.time_taken().filter(|t| *t != 0.0) {
            let d = t - pt;
            if d != 0.0 {
                line.push_str(&format!(" ({d:+.3}s)"));
            }
        }
    }
    if !line.is_empty() {
        line.push('\n');
    }
    line.push_str(if new.failures == 0 {
        "PASSED"
    } else {
        "FAILED"
    });
    let mut values = Vec::new();
    if let Some(id) = id {
        values.push(format!("id={id}"));
    }
    if new.failures > 0 {
        let mut v = format!("failures={}", new.failures);
        let d = new.failures as i64 - old.failures as i64;
        if d != 0 {
            v.push_str(&format!(" ({d:+})"));
        }
        values.push(v);
    }
    if new.skips > 0 {
        values.push(format!("skips={}", new.skips));
    }
    if !values.is_empty() {
        line.push_str(&format!(" ({})", values.join(", ")));
    }
    line.push('\n');
    out.write_all(line.as_bytes())
}

/// The JSON document (`"format": 1`), one object:
///
/// - `format`: 1; `regressed`: bool;
/// - `old`, `new`: `{"source": label, "run_id": n|null, "totals": {tests_run, failures, skips,
///   uxsuccess, seconds}}`;
/// - `options`: `{threshold_percent, min_seconds, fail_on_slower}`;
/// - one list per kind (`newly_failing`, `fixed`, `still_failing`, `newly_skipped`,
///   `no_longer_skipped`, `status_changed`, `added`, `removed`, `slower`, `faster`), always
///   present, of `{id, old_status, new_status, old_seconds, new_seconds}` (nulls where a side
///   has none), still failing ones with `failure_changed` and, when changed, `failure_diff`.
pub fn write_json(
    out: &mut impl Write,
    diff: &Diff,
    old: (&str, Option<u64>),
    new: (&str, Option<u64>),
) -> io::Result<()> {
    let side = |(label, id): (&str, Option<u64>), s: &RunSummary| json!({"source": label, "run_id": id, "totals": Totals::from(*s)});
    let mut doc = Map::new();
    doc.insert("format".into(), json!(JSON_FORMAT));
    doc.insert("regressed".into(), json!(diff.regressed));
    doc.insert("old".into(), side(old, &diff.old));
    doc.insert("new".into(), side(new, &diff.new));
    doc.insert(
        "options".into(),
        json!({
            "threshold_percent": diff.opts.threshold_percent,
            "min_seconds": diff.opts.min_seconds,
            "fail_on_slower": diff.opts.fail_on_slower,
        }),
    );
    for kind in Kind::ALL {
        let list: Vec<Value> = diff
            .of_kind(kind)
            .map(|c| serde_json::to_value(c).map_err(io::Error::other))
            .collect::<io::Result<_>>()?;
        doc.insert(kind.key().into(), Value::Array(list));
    }
    serde_json::to_writer_pretty(&mut *out, &Value::Object(doc)).map_err(io::Error::other)?;
    writeln!(out)?;
    out.flush()
}
