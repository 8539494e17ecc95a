//! Dealing a selection's classes to workers: by their recorded times when there are any, as
//! stestr's scheduler (`stestr.scheduler.partition_tests`) deals its groups, else round-robin.
//!
//! A class is one group (it never splits across workers). Its expected time is the sum of its
//! tests' recorded times (looked up without `[...]` attributes, as stestr's times database
//! keys them). Classes whose every test has a time are dealt first, longest first, each to
//! the worker with the least expected time (ties: the fewest tests, then the lowest number);
//! then the classes with only some tests timed, the same way; then the classes with no time
//! at all, round-robin over the workers in order. With no times at all this is the
//! round-robin stestr uses when it knows nothing: worker `k` gets classes `k`, `k + N`, ...

use std::collections::HashMap;

use subunit_sinks::trace::cleanup_test_name;

use crate::select::Selection;
use crate::suite::Suite;

/// Which classes each worker runs.
#[derive(Clone, Debug, PartialEq)]
pub struct Plan {
    /// Per worker, indices into the selection's groups, in run order.
    pub workers: Vec<Vec<usize>>,
    /// Per worker, the sum of the recorded times of its tests (seconds).
    pub expected: Vec<f64>,
}

impl Plan {
    /// The most expected time of a worker less the least: how unevenly the run is dealt.
    pub fn spread(&self) -> f64 {
        spread(&self.expected)
    }

    /// Each worker's total by another measure of the tests' times (`time` of a test id; 0
    /// when it gives none): what a plan made without history really costs.
    pub fn totals_by(
        &self,
        suite: &Suite,
        selection: &Selection,
        time: impl Fn(&str) -> Option<f64>,
    ) -> Vec<f64> {
        self.workers
            .iter()
            .map(|groups| {
                groups
                    .iter()
                    .map(|&g| group_times(suite, selection, g, &time).0)
                    .sum()
            })
            .collect()
    }
}

/// The largest value less the smallest (0 for none).
pub fn spread(values: &[f64]) -> f64 {
    let max = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let min = values.iter().copied().fold(f64::INFINITY, f64::min);
    if values.is_empty() { 0.0 } else { max - min }
}

/// (the known times' sum, how many tests have a time) of group `g`.
fn group_times(
    suite: &Suite,
    selection: &Selection,
    g: usize,
    time: &impl Fn(&str) -> Option<f64>,
) -> (f64, usize) {
    let group = &selection.groups[g];
    let tests = suite.tests_of(group.class);
    group
        .tests
        .iter()
        .filter_map(|&t| time(&tests[t].id))
        .fold((0.0, 0), |(sum, n), t| (sum + t, n + 1))
}

/// Deals `selection`'s classes to `workers` workers by `times` (seconds by test id without
/// attributes; empty for none), as the [module docs](self) say.
pub fn plan(
    suite: &Suite,
    selection: &Selection,
    workers: usize,
    times: &HashMap<String, f64>,
) -> Plan {
    let workers = workers.max(1);
    let time = |id: &str| times.get(cleanup_test_name(id).as_ref()).copied();
    let mut timed = Vec::new();
    let mut partial = Vec::new();
    let mut unknown = Vec::new();
    for (g, group) in selection.groups.iter().enumerate() {
        let (sum, known) = group_times(suite, selection, g, &time);
        if known == group.tests.len() {
            timed.push((g, sum));
        } else if sum != 0.0 {
            partial.push((g, sum));
        } else {
            unknown.push(g);
        }
    }
    let mut plan = Plan {
        workers: vec![Vec::new(); workers],
        expected: vec![0.0; workers],
    };
    let mut tests = vec![0usize; workers];
    // stestr's `timed_partitions`: kept sorted by (time, tests), stably; the head takes the
    // next group.
    let mut order: Vec<usize> = (0..workers).collect();
    for mut queue in [timed, partial] {
        queue.sort_by(|a, b| b.1.total_cmp(&a.1));
        for (g, t) in queue {
            let w = order[0];
            plan.expected[w] += t;
            tests[w] += selection.groups[g].tests.len();
            plan.workers[w].push(g);
            order.sort_by(|&a, &b| {
                plan.expected[a]
                    .total_cmp(&plan.expected[b])
                    .then(tests[a].cmp(&tests[b]))
            });
        }
    }
    for (i, g) in unknown.into_iter().enumerate() {
        plan.workers[i % workers].push(g);
    }
    plan
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn without_times_classes_go_round_robin() {
        let suite = crate::examples::synthetic(7, 2, 0).unwrap();
        let p = plan(&suite, &Selection::all(&suite), 3, &HashMap::new());
        assert_eq!(p.workers, [vec![0, 3, 6], vec![1, 4], vec![2, 5]]);
        assert_eq!(p.spread(), 0.0);
    }

    #[test]
    fn timed_classes_go_longest_first_to_the_least_loaded() {
        let suite = crate::examples::synthetic(4, 1, 0).unwrap();
        let sel = Selection::all(&suite);
        let mut times = HashMap::new();
        for (c, t) in [(0, 1.0), (1, 5.0), (2, 3.0)] {
            times.insert(suite.tests_of(c)[0].id.clone(), t);
        }
        let p = plan(&suite, &sel, 2, &times);
        // 5 -> w0; 3 -> w1; 1 -> w1 (3 < 5); the untimed class round-robin from w0.
        assert_eq!(p.workers, [vec![1, 3], vec![2, 0]]);
        assert_eq!(p.expected, [5.0, 4.0]);
    }
}
