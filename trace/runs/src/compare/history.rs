//! Questions across many stored runs: which tests are flaky, and how one test did run after
//! run.
//!
//! Runs are read one after another, each folded test by test, so memory holds what the answer
//! needs (for [`flaky`], the runs each test passed and failed in), never a whole run.

use std::collections::HashMap;
use std::io::{self, Write};

use subunit_parser::fold::TestRecord;
use subunit_sinks::pipeline::{Exists, Open, Pipeline, Records};

use super::{Class, Outcome, status_name};
use crate::store::report::write_table;
use crate::store::{Store, StoreError};

/// The commit a run's metadata names, if any: a `commit=`, `sha=`, `git_sha=`, `revision=` or
/// `rev=` value (also with `:`), or else a word that is 7 to 40 hexadecimal digits. Words are
/// separated by white space, commas and semicolons.
pub fn commit_of(metadata: &str) -> Option<String> {
    let words = metadata
        .split(|c: char| c.is_whitespace() || c == ',' || c == ';')
        .filter(|w| !w.is_empty());
    let mut bare = None;
    for w in words {
        if let Some((k, v)) = w.split_once(['=', ':']) {
            let k = k.to_ascii_lowercase();
            if matches!(
                k.as_str(),
                "commit" | "sha" | "git_sha" | "git_commit" | "revision" | "rev"
            ) && !v.is_empty()
            {
                return Some(v.to_owned());
            }
            continue;
        }
        if bare.is_none() && (7..=40).contains(&w.len()) && w.bytes().all(|b| b.is_ascii_hexdigit())
        {
            bare = Some(w.to_owned());
        }
    }
    bare
}

/// Feeds `f` every record of run `id` (the tests left open at its end included).
pub(crate) fn records(
    store: &Store,
    id: u64,
    mut f: impl FnMut(&TestRecord),
) -> Result<(), StoreError> {
    let mut pipeline = Pipeline::new().exists(Exists::Fold).open(Open::OldestFirst);
    let mut sink = Records(|r: TestRecord| f(&r));
    store.read_run(id, |ev| {
        let Ok(()) = pipeline.push(ev, &mut sink);
        Ok(())
    })?;
    let Ok(()) = pipeline.finish(&mut sink);
    Ok(())
}

/// The commit of each run (from its metadata).
fn commits(store: &Store, ids: &[u64]) -> Result<Vec<Option<String>>, StoreError> {
    ids.iter()
        .map(|&id| Ok(store.metadata(id)?.as_deref().and_then(commit_of)))
        .collect()
}

/// A test that passed and failed on the same code.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FlakyTest {
    /// The test id.
    pub id: String,
    /// The commit the runs were on (`None`: runs whose metadata names no commit).
    pub commit: Option<String>,
    /// The runs it passed in.
    pub passed: Vec<u64>,
    /// The runs it failed in.
    pub failed: Vec<u64>,
}

/// The runs a test passed in and the runs it failed in.
type PassedFailed = (Vec<u64>, Vec<u64>);

/// The tests of runs `ids` that both passed and failed among the runs on one commit (runs
/// whose metadata names no commit are taken to be on one unknown commit). Every record
/// counts, so a test retried within one run that failed and then passed is flaky too. Sorted
/// by commit (unknown first), then id.
pub fn flaky(store: &Store, ids: &[u64]) -> Result<Vec<FlakyTest>, StoreError> {
    let commits = commits(store, ids)?;
    let mut groups: HashMap<Option<String>, usize> = HashMap::new();
    let mut seen: HashMap<(usize, Box<str>), PassedFailed> = HashMap::new();
    for (&id, commit) in ids.iter().zip(commits) {
        let n = groups.len();
        let group = *groups.entry(commit).or_insert(n);
        records(store, id, |r| {
            let list = match Class::of(r.status) {
                Some(Class::Pass) => 0,
                Some(Class::Fail) => 1,
                _ => return,
            };
            let entry = match seen.get_mut(&(group, r.id.as_str().into())) {
                Some(e) => e,
                None => seen.entry((group, r.id.as_str().into())).or_default(),
            };
            let runs = if list == 0 {
                &mut entry.0
            } else {
                &mut entry.1
            };
            if runs.last() != Some(&id) {
                runs.push(id);
            }
        })?;
    }
    let names: HashMap<usize, Option<String>> = groups.into_iter().map(|(k, v)| (v, k)).collect();
    let mut out: Vec<FlakyTest> = seen
        .into_iter()
        .filter(|(_, (p, f))| !p.is_empty() && !f.is_empty())
        .map(|((g, id), (passed, failed))| FlakyTest {
            id: id.into_string(),
            commit: names.get(&g).cloned().flatten(),
            passed,
            failed,
        })
        .collect();
    out.sort_by(|a, b| a.commit.cmp(&b.commit).then_with(|| a.id.cmp(&b.id)));
    Ok(out)
}

/// The `flaky` table: test id, commit, and the runs it passed and failed in.
pub fn write_flaky(out: &mut impl Write, tests: &[FlakyTest]) -> io::Result<()> {
    if tests.is_empty() {
        return writeln!(out, "No flaky tests.");
    }
    let runs = |v: &[u64]| v.iter().map(u64::to_string).collect::<Vec<_>>().join(" ");
    let rows: Vec<Vec<String>> = tests
        .iter()
        .map(|t| {
            vec![
                t.id.clone(),
                t.commit.clone().unwrap_or_else(|| "-".into()),
                runs(&t.passed),
                runs(&t.failed),
            ]
        })
        .collect();
    write_table(out, &["Test ID", "Commit", "Passed in", "Failed in"], &rows)
}

/// One run of a test's history.
#[derive(Clone, Debug, PartialEq)]
pub struct HistoryEntry {
    /// The run id.
    pub run: u64,
    /// The commit the run's metadata names.
    pub commit: Option<String>,
    /// The test's status in the run (its last record), `None` when the run did not have it.
    pub status: Option<&'static str>,
    /// Its duration, seconds.
    pub seconds: Option<f64>,
}

/// The history of test `test_id` over runs `ids`: one entry per run, in the order given.
pub fn test_history(
    store: &Store,
    ids: &[u64],
    test_id: &str,
) -> Result<Vec<HistoryEntry>, StoreError> {
    let commits = commits(store, ids)?;
    let mut out = Vec::with_capacity(ids.len());
    for (&run, commit) in ids.iter().zip(commits) {
        let mut last: Option<Outcome> = None;
        records(store, run, |r| {
            if r.id == test_id
                && let Some(o) = Outcome::of(r)
            {
                last = Some(o);
            }
        })?;
        out.push(HistoryEntry {
            run,
            commit,
            status: last.as_ref().map(|o| status_name(o.status)),
            seconds: last.and_then(|o| o.seconds),
        });
    }
    Ok(out)
}

/// The least-squares slope of `(x, y)` points: seconds per run. `None` under two points.
pub fn trend(points: &[(f64, f64)]) -> Option<f64> {
    if points.len() < 2 {
        return None;
    }
    let n = points.len() as f64;
    let mx = points.iter().map(|p| p.0).sum::<f64>() / n;
    let my = points.iter().map(|p| p.1).sum::<f64>() / n;
    let sxx: f64 = points.iter().map(|p| (p.0 - mx) * (p.0 - mx)).sum();
    let sxy: f64 = points.iter().map(|p| (p.0 - mx) * (p.1 - my)).sum();
    (sxx > 0.0).then(|| sxy / sxx)
}

/// The history table (run, status, time, change from the run before with a time, commit),
/// then the status sequence (`.` pass, `F` fail, `S` skip, `-` absent), the counts and the
/// time trend.
pub fn write_test_history(
    out: &mut impl Write,
    test_id: &str,
    entries: &[HistoryEntry],
) -> io::Result<()> {
    let mut rows = Vec::new();
    let mut prev: Option<f64> = None;
    let mut seq = String::new();
    let (mut pass, mut fail, mut skip, mut absent) = (0, 0, 0, 0);
    let mut points = Vec::new();
    for (i, e) in entries.iter().enumerate() {
        let class = e.status.map(|s| {
            if matches!(s, "success" | "xfail") {
                Class::Pass
            } else if s == "skip" {
                Class::Skip
            } else {
                Class::Fail
            }
        });
        seq.push(match class {
            Some(Class::Pass) => '.',
            Some(Class::Fail) => 'F',
            Some(Class::Skip) => 'S',
            None => '-',
        });
        match class {
            Some(Class::Pass) => pass += 1,
            Some(Class::Fail) => fail += 1,
            Some(Class::Skip) => skip += 1,
            None => absent += 1,
        }
        let change = match (prev, e.seconds) {
            (Some(p), Some(s)) => format!("{:+.3}s", s - p),
            _ => String::new(),
        };
        if let Some(s) = e.seconds {
            prev = Some(s);
            points.push((i as f64, s));
        }
        rows.push(vec![
            e.run.to_string(),
            e.status.unwrap_or("-").to_owned(),
            e.seconds.map_or_else(|| "-".into(), |s| format!("{s:.3}s")),
            change,
            e.commit.clone().unwrap_or_else(|| "-".into()),
        ]);
    }
    writeln!(out, "{test_id}")?;
    write_table(
        out,
        &["Run ID", "Status", "Time", "Change", "Commit"],
        &rows,
    )?;
    writeln!(out, "Sequence: {seq}")?;
    writeln!(
        out,
        "Passed {pass}, failed {fail}, skipped {skip}, absent {absent} of {} runs",
        entries.len()
    )?;
    let times: Vec<f64> = points.iter().map(|p| p.1).collect();
    if let (Some(min), Some(max)) = (
        times.iter().copied().reduce(f64::min),
        times.iter().copied().reduce(f64::max),
    ) {
        let mean = times.iter().sum::<f64>() / times.len() as f64;
        let slope = trend(&points).map_or_else(String::new, |t| format!(", trend {t:+.3}s/run"));
        writeln!(
            out,
            "Time: min {min:.3}s, mean {mean:.3}s, max {max:.3}s{slope}"
        )?;
    }
    out.flush()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commits_are_found_by_key_or_as_a_bare_sha() {
        assert_eq!(
            commit_of("commit=abc123 branch=main").as_deref(),
            Some("abc123")
        );
        assert_eq!(
            commit_of("build 7, sha:deadbee").as_deref(),
            Some("deadbee")
        );
        assert_eq!(
            commit_of("nightly 0123456789abcdef").as_deref(),
            Some("0123456789abcdef")
        );
        assert_eq!(commit_of("nightly build 12"), None);
        assert_eq!(commit_of("branch=main"), None);
    }

    #[test]
    fn trend_is_the_least_squares_slope() {
        assert_eq!(trend(&[(0.0, 1.0)]), None);
        let t = trend(&[(0.0, 1.0), (1.0, 2.0), (2.0, 3.0)]).unwrap();
        assert!((t - 1.0).abs() < 1e-12);
    }
}
