//! Choosing what runs: stestr's filters and the partitions that shard a run over machines.
//!
//! The filters are stestr's `construct_list`: the `--regex` words, `--smoke` (the regex
//! `smoke`) and the `--include-list` lines are ORed, each a regex *search* (unanchored) over the
//! full id; no include regex at all selects every test. Then any `--exclude-list` line or
//! `--exclude-regex` that matches removes the test. A `--load-list` keeps only the ids it names.
//! In list files text after `#` is a comment, and blank lines are ignored. [`Filters::only`]
//! (stestr's `--failing`) keeps only the ids it is given, ANDed with everything else (a
//! `setUpClass (module.Class)` or `tearDownClass (...)` id there stands for its class's tests).
//!
//! A selection is a list of class groups: a class never splits across workers or shards.
//! [`Selection::shuffled`] puts the groups, and the tests in each, in a random order that its
//! seed replays (stestr's `--random`).

use std::collections::HashSet;
use std::str::FromStr;

use regex::Regex;

use crate::suite::Suite;

/// A bad filter or partition.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SelectError {
    /// A regex that does not compile.
    #[error("invalid regex {regex:?} in {origin}: {message}")]
    InvalidRegex {
        /// The regex.
        regex: String,
        /// Where it came from (`--regex`, a list file, ...).
        origin: String,
        /// The compiler's message.
        message: String,
    },
    /// A partition that is not `hash:M/N` or `slice:M/N` with `1 <= M <= N`.
    #[error("invalid partition {0:?}: expected hash:M/N or slice:M/N with 1 <= M <= N")]
    InvalidPartition(String),
}

/// The tests of one class that are selected, by index into the class's tests.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Group {
    /// The class, by index into the suite.
    pub class: usize,
    /// Its selected tests, by index, in run order.
    pub tests: Vec<usize>,
}

/// What runs: class groups in run order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Selection {
    /// The groups.
    pub groups: Vec<Group>,
}

impl Selection {
    /// Every test of `suite`.
    pub fn all(suite: &Suite) -> Selection {
        Selection {
            groups: (0..suite.class_count())
                .map(|class| Group {
                    class,
                    tests: (0..suite.tests_of(class).len()).collect(),
                })
                .filter(|g| !g.tests.is_empty())
                .collect(),
        }
    }

    /// The selected ids, in run order.
    pub fn test_ids<'s>(&self, suite: &'s Suite) -> Vec<&'s str> {
        self.groups
            .iter()
            .flat_map(|g| {
                g.tests
                    .iter()
                    .map(|&t| suite.tests_of(g.class)[t].id.as_str())
            })
            .collect()
    }

    /// How many tests are selected.
    pub fn len(&self) -> usize {
        self.groups.iter().map(|g| g.tests.len()).sum()
    }

    /// Whether nothing is selected.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The same tests in a random order: the groups shuffled, and the tests in each group.
    /// The same seed gives the same order.
    pub fn shuffled(mut self, seed: u64) -> Selection {
        let mut rng = SplitMix64(seed);
        rng.shuffle(&mut self.groups);
        for g in &mut self.groups {
            rng.shuffle(&mut g.tests);
        }
        self
    }
}

/// SplitMix64 (Steele, Lea and Flood): a small, well-mixed generator, enough to shuffle.
struct SplitMix64(u64);

impl SplitMix64 {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Fisher-Yates.
    fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            let j = (self.next() % (i as u64 + 1)) as usize;
            items.swap(i, j);
        }
    }
}

/// stestr's filters.
#[derive(Clone, Debug, Default)]
pub struct Filters {
    include: Vec<Regex>,
    exclude: Vec<Regex>,
    load_list: Option<HashSet<String>>,
    only: Option<Only>,
}

/// The ids [`Filters::only`] keeps: tests by id, and whole classes by class id.
#[derive(Clone, Debug, Default)]
struct Only {
    tests: HashSet<String>,
    classes: HashSet<String>,
}

fn compile(regex: &str, origin: &str) -> Result<Regex, SelectError> {
    Regex::new(regex).map_err(|e| SelectError::InvalidRegex {
        regex: regex.to_owned(),
        origin: origin.to_owned(),
        message: e.to_string(),
    })
}

/// The regexes of a list file: per line, the text before the first `#`, trimmed; blank ones
/// skipped.
fn list_regexes(text: &str, origin: &str) -> Result<Vec<Regex>, SelectError> {
    text.lines()
        .filter_map(|line| {
            let r = line.split('#').next().unwrap_or("").trim();
            (!r.is_empty()).then_some(r)
        })
        .map(|r| compile(r, origin))
        .collect()
}

impl Filters {
    /// No filters: everything runs.
    pub fn new() -> Filters {
        Filters::default()
    }

    /// `--regex R`: `R` split on whitespace, each word a regex.
    pub fn regex(mut self, arg: &str) -> Result<Filters, SelectError> {
        for word in arg.split_whitespace() {
            self.include.push(compile(word, "--regex")?);
        }
        Ok(self)
    }

    /// `--smoke`: the regex `smoke`.
    pub fn smoke(mut self) -> Filters {
        self.include
            .push(Regex::new("smoke").expect("a literal regex"));
        self
    }

    /// `--include-list`: the file's regexes, ORed with the others.
    pub fn include_list(mut self, text: &str, origin: &str) -> Result<Filters, SelectError> {
        self.include.extend(list_regexes(text, origin)?);
        Ok(self)
    }

    /// `--exclude-list`: the file's regexes; a match removes the test.
    pub fn exclude_list(mut self, text: &str, origin: &str) -> Result<Filters, SelectError> {
        self.exclude.extend(list_regexes(text, origin)?);
        Ok(self)
    }

    /// `--exclude-regex R`: one exclusion regex.
    pub fn exclude_regex(mut self, regex: &str) -> Result<Filters, SelectError> {
        self.exclude.push(compile(regex, "--exclude-regex")?);
        Ok(self)
    }

    /// `--load-list`: exact ids, one a line (surrounding whitespace ignored).
    pub fn load_list(mut self, text: &str) -> Filters {
        let ids = text
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(str::to_owned);
        self.load_list.get_or_insert_with(HashSet::new).extend(ids);
        self
    }

    /// Keeps only these ids (stestr's `--failing`: the store's failing list), ANDed with
    /// every other filter, `--load-list` included. A class fixture's id (`setUpClass
    /// (module.Class)`, `tearDownClass (module.Class)`) keeps every test of its class.
    pub fn only<I, S>(mut self, ids: I) -> Filters
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let only = self.only.get_or_insert_with(Only::default);
        for id in ids {
            let id: String = id.into();
            let fixture = ["setUpClass (", "tearDownClass ("]
                .iter()
                .find_map(|p| id.strip_prefix(p)?.strip_suffix(')'));
            match fixture {
                Some(class) => only.classes.insert(class.to_owned()),
                None => only.tests.insert(id),
            };
        }
        self
    }

    /// Whether the test `id` is selected.
    pub fn selects(&self, id: &str) -> bool {
        (self.include.is_empty() || self.include.iter().any(|r| r.is_match(id)))
            && !self.exclude.iter().any(|r| r.is_match(id))
            && self.load_list.as_ref().is_none_or(|l| l.contains(id))
    }

    /// The selected tests of `suite`, grouped by class, classes without a selected test left
    /// out.
    pub fn select(&self, suite: &Suite) -> Selection {
        let mut all = Selection::all(suite);
        for g in &mut all.groups {
            let tests = suite.tests_of(g.class);
            let class = suite.classes[g.class].class_id();
            let whole_class = self.only.as_ref().is_none_or(|o| o.classes.contains(class));
            g.tests.retain(|&t| {
                let id = tests[t].id.as_str();
                self.selects(id)
                    && (whole_class || self.only.as_ref().is_some_and(|o| o.tests.contains(id)))
            });
        }
        all.groups.retain(|g| !g.tests.is_empty());
        all
    }
}

/// One shard of a run split over several machines; each machine's stream holds whole classes,
/// so the streams concatenate into one run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Partition {
    /// `hash:M/N`: the classes whose id hashes (FNV-1a, 64-bit) to `M-1` modulo `N`. Stable
    /// whatever else is selected.
    Hash {
        /// M, from 1.
        shard: u32,
        /// N.
        total: u32,
    },
    /// `slice:M/N`: every `N`th selected class, starting with the `M`th. Even, but every machine
    /// must select the same tests.
    Slice {
        /// M, from 1.
        shard: u32,
        /// N.
        total: u32,
    },
}

impl FromStr for Partition {
    type Err = SelectError;

    fn from_str(s: &str) -> Result<Partition, SelectError> {
        let bad = || SelectError::InvalidPartition(s.to_owned());
        let (kind, rest) = s.split_once(':').ok_or_else(bad)?;
        let (m, n) = rest.split_once('/').ok_or_else(bad)?;
        let shard: u32 = m.parse().map_err(|_| bad())?;
        let total: u32 = n.parse().map_err(|_| bad())?;
        if shard == 0 || shard > total {
            return Err(bad());
        }
        match kind {
            "hash" => Ok(Partition::Hash { shard, total }),
            "slice" => Ok(Partition::Slice { shard, total }),
            _ => Err(bad()),
        }
    }
}

fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

impl Partition {
    /// The part of `selection` this shard runs.
    pub fn apply(&self, suite: &Suite, selection: Selection) -> Selection {
        let groups = selection
            .groups
            .into_iter()
            .enumerate()
            .filter(|(i, g)| match *self {
                Partition::Hash { shard, total } => {
                    let id = suite.classes[g.class].class_id();
                    fnv1a(id.as_bytes()) % u64::from(total) == u64::from(shard - 1)
                }
                Partition::Slice { shard, total } => {
                    *i as u64 % u64::from(total) == u64::from(shard - 1)
                }
            })
            .map(|(_, g)| g)
            .collect();
        Selection { groups }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partitions_parse() {
        assert_eq!(
            "hash:1/3".parse::<Partition>(),
            Ok(Partition::Hash { shard: 1, total: 3 })
        );
        assert_eq!(
            "slice:3/3".parse::<Partition>(),
            Ok(Partition::Slice { shard: 3, total: 3 })
        );
        for bad in [
            "hash:0/3",
            "hash:4/3",
            "slice:1",
            "count:1/2",
            "hash:a/2",
            "hash:1/0",
        ] {
            assert!(bad.parse::<Partition>().is_err(), "{bad}");
        }
    }

    #[test]
    fn list_files_drop_comments_and_blank_lines() {
        let f = Filters::new()
            .exclude_list("  # only a comment\n\nfoo\\.bar  # slow\nbaz\n", "x")
            .unwrap();
        assert_eq!(f.exclude.len(), 2);
        assert!(!f.selects("a.foo.bar.c"));
        assert!(!f.selects("xbazx"));
        assert!(f.selects("foo_bar"));
        let e = Filters::new().regex("ok (").unwrap_err();
        assert!(matches!(e, SelectError::InvalidRegex { .. }));
    }

    #[test]
    fn shuffles_replay_by_seed() {
        let suite = crate::examples::synthetic(12, 6, 0).unwrap();
        let all = Selection::all(&suite);
        let a = all.clone().shuffled(7);
        assert_eq!(a, all.clone().shuffled(7));
        assert_ne!(a, all.clone().shuffled(8));
        assert_ne!(a, all);
        let mut ids = a.test_ids(&suite);
        ids.sort_unstable();
        assert_eq!(ids, all.test_ids(&suite));
    }

    #[test]
    fn only_keeps_ids_and_fixture_classes() {
        let suite = crate::examples::synthetic(3, 2, 0).unwrap();
        let f = Filters::new().only([
            "synthetic.test_mod0.Class00000.test_ok_00001",
            "setUpClass (synthetic.test_mod2.Class00002)",
            "not.a.Test.test_x",
        ]);
        assert_eq!(
            f.select(&suite).test_ids(&suite),
            [
                "synthetic.test_mod0.Class00000.test_ok_00001",
                "synthetic.test_mod2.Class00002.test_ok_00000",
                "synthetic.test_mod2.Class00002.test_ok_00001",
            ]
        );
        let none = f.regex("Class00000").unwrap().load_list("x\n");
        assert!(none.select(&suite).is_empty());
    }

    #[test]
    fn includes_are_ored_and_searched() {
        let f = Filters::new()
            .regex("groups  members")
            .unwrap()
            .include_list("affinity$\n", "l")
            .unwrap();
        assert!(f.selects("a.test_groups.T.test_x"));
        assert!(f.selects("a.test_members.T.test_x"));
        assert!(f.selects("a.T.test_affinity"));
        assert!(!f.selects("a.T.test_affinity_nested"));
        let only = Filters::new().load_list("a.b.C.test_x\n\n  a.b.C.test_y  \n");
        assert!(only.selects("a.b.C.test_y"));
        assert!(!only.selects("a.b.C.test_z"));
    }
}
