//! `subunit-store flaky` and `subunit-store history test`: the store binary's commands over
//! many runs, kept here so that the binary only routes to them.

use std::io::{self, BufWriter, Write};
use std::path::Path;

use super::history::{flaky, test_history, write_flaky, write_test_history};
use subunit_sinks::Verdict;

use crate::store::{Store, StoreError};

/// What `subunit-store flaky` looks at.
#[derive(Clone, Debug, Default)]
pub struct FlakyOptions {
    /// Only these runs (every stored run when empty).
    pub runs: Vec<String>,
}

/// What `subunit-store history test` looks at.
#[derive(Clone, Debug, Default)]
pub struct TestHistoryOptions {
    /// The test id.
    pub test_id: String,
    /// Only the last N runs.
    pub last: Option<usize>,
}

fn run_ids(store: &Store, given: &[String]) -> Result<Vec<u64>, StoreError> {
    if given.is_empty() {
        return store.run_ids();
    }
    given.iter().map(|r| store.parse_id(r)).collect()
}

/// Lists the tests that passed and failed on the same code: the verdict is failed when there
/// are any.
pub fn cmd_flaky(dir: &Path, args: &FlakyOptions) -> Result<Verdict, StoreError> {
    let store = Store::open(dir)?;
    let ids = run_ids(&store, &args.runs)?;
    let found = flaky(&store, &ids)?;
    let mut out = BufWriter::new(io::stdout().lock());
    write_flaky(&mut out, &found)?;
    out.flush()?;
    Ok(Verdict::passed_if(found.is_empty()))
}

/// Shows one test's status and time over the stored runs; an error when no run had it.
pub fn cmd_test_history(dir: &Path, args: &TestHistoryOptions) -> Result<(), StoreError> {
    let store = Store::open(dir)?;
    let mut ids = store.run_ids()?;
    if let Some(n) = args.last {
        ids.drain(..ids.len().saturating_sub(n));
    }
    let entries = test_history(&store, &ids, &args.test_id)?;
    if entries.iter().all(|e| e.status.is_none()) {
        return Err(StoreError::Io {
            path: store.base().to_path_buf(),
            source: io::Error::new(
                io::ErrorKind::NotFound,
                format!("no test {} in the stored runs", args.test_id),
            ),
        });
    }
    let mut out = BufWriter::new(io::stdout().lock());
    write_test_history(&mut out, &args.test_id, &entries)?;
    Ok(())
}
