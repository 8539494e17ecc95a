//! The line editor's helper: it owns the [`Explorer`] and completes what is typed from it.
//!
//! - The first word completes to a command name.
//! - After `show` or `grep`, a word completes to a test id of the open run.
//! - After `use` and `diff`, a word completes to a stored run id.
//!
//! Test ids are completed from the index's sorted ids with two binary searches, so completing
//! in a run of a million tests costs a few microseconds. When more than [`MAX_CANDIDATES`]
//! ids match, only their common prefix is offered (the editor inserts it), rather than a list
//! nobody reads.

use rustyline::completion::Completer;
use rustyline::highlight::Highlighter;
use rustyline::hint::Hinter;
use rustyline::validate::Validator;
use rustyline::{Context, Helper};

use super::{COMMANDS, Explorer};

/// The most candidates listed at once.
pub const MAX_CANDIDATES: usize = 500;

/// The helper: the explorer, and completion over it.
#[derive(Debug)]
pub struct ExploreHelper {
    /// The explorer the commands run against.
    pub explorer: Explorer,
}

impl ExploreHelper {
    /// The completions of the word that ends at `pos` in `line`: where the word starts, and
    /// the candidates.
    pub fn candidates(&self, line: &str, pos: usize) -> (usize, Vec<String>) {
        let before = &line[..pos];
        let start = before.rfind(char::is_whitespace).map_or(0, |i| i + 1);
        let word = &before[start..];
        let command = before.split_whitespace().next().unwrap_or("");
        let position = before[..start].split_whitespace().count();
        let candidates = match (position, command) {
            (0, _) => COMMANDS
                .iter()
                .map(|(name, _)| *name)
                .filter(|name| name.starts_with(word))
                .map(|name| format!("{name} "))
                .collect(),
            (1, "show" | "grep") => self.test_ids(word),
            (1 | 2, "diff") | (1, "use") => self
                .explorer
                .run_ids()
                .into_iter()
                .map(|id| id.to_string())
                .filter(|id| id.starts_with(word))
                .collect(),
            (1, "help") => COMMANDS
                .iter()
                .map(|(name, _)| *name)
                .filter(|name| name.starts_with(word))
                .map(str::to_owned)
                .collect(),
            _ => Vec::new(),
        };
        (start, candidates)
    }

    fn test_ids(&self, prefix: &str) -> Vec<String> {
        let index = self.explorer.index();
        let ids: Vec<&str> = index
            .ids_with_prefix(prefix)
            .take(MAX_CANDIDATES + 1)
            .collect();
        if ids.len() <= MAX_CANDIDATES {
            return ids.into_iter().map(str::to_owned).collect();
        }
        match index.common_prefix(prefix) {
            Some(common) if common.len() > prefix.len() => vec![common.to_owned()],
            _ => Vec::new(),
        }
    }
}

impl Completer for ExploreHelper {
    type Candidate = String;

    fn complete(
        &self,
        line: &str,
        pos: usize,
        _ctx: &Context<'_>,
    ) -> rustyline::Result<(usize, Vec<String>)> {
        Ok(self.candidates(line, pos))
    }
}

impl Hinter for ExploreHelper {
    type Hint = String;
}

impl Highlighter for ExploreHelper {}

impl Validator for ExploreHelper {}

impl Helper for ExploreHelper {}

#[cfg(test)]
mod tests {
    use super::*;
    use subunit_emitter::{Packet, Status};

    fn helper(ids: &[String]) -> (tempfile::TempDir, ExploreHelper) {
        let dir = tempfile::tempdir().unwrap();
        let mut bytes = Vec::new();
        for id in ids {
            let p = Packet::status(id, Status::Success);
            subunit_emitter::encode(&p.as_ref(), &mut bytes).unwrap();
        }
        let path = dir.path().join("run");
        std::fs::write(&path, bytes).unwrap();
        let explorer = Explorer::open_file(&path).unwrap();
        (dir, ExploreHelper { explorer })
    }

    #[test]
    fn commands_then_test_ids_complete() {
        let ids = ["pkg.a.test_one", "pkg.a.test_two", "pkg.b.test_one"].map(String::from);
        let (_dir, h) = helper(&ids);
        assert_eq!(h.candidates("sl", 2), (0, vec!["slowest ".to_owned()]));
        assert_eq!(h.candidates("s", 1).1, ["summary ", "show ", "slowest "]);
        assert_eq!(
            h.candidates("show pkg.b", 10),
            (5, vec!["pkg.b.test_one".to_owned()])
        );
        assert_eq!(
            h.candidates("show pkg.a.test_", 16).1,
            ["pkg.a.test_one", "pkg.a.test_two"]
        );
        assert!(h.candidates("show pkg.c", 10).1.is_empty());
        // Only the first argument of `show` is a test id; `use` needs a store.
        assert!(h.candidates("show pkg.a.test_one pkg", 23).1.is_empty());
        assert!(h.candidates("use ", 4).1.is_empty());
    }

    #[test]
    fn too_many_matches_complete_to_their_common_prefix() {
        let ids: Vec<String> = (0..MAX_CANDIDATES + 100)
            .map(|i| format!("pkg.mod.Class.test_{i:05}"))
            .collect();
        let (_dir, h) = helper(&ids);
        assert_eq!(
            h.candidates("show pkg", 8),
            (5, vec!["pkg.mod.Class.test_00".to_owned()])
        );
        // Nothing longer to offer: no list of hundreds.
        assert!(h.candidates("show pkg.mod.Class.test_00", 26).1.is_empty());
        assert_eq!(h.candidates("show pkg.mod.Class.test_001", 27).1.len(), 100);
    }
}
