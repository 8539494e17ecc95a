//! Workers balanced by history: on a generated suite whose classes' times differ, dealing by
//! recorded times (stestr's scheduler) evens the workers' expected times out far better than
//! round-robin, and the runner deals the classes as the plan says.

use crate::common;

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use subunit::types::teststatus::TestStatus;
use subunit_emitter::{Delivery, StreamWriter};
use tempest_framework::examples;
use tempest_framework::schedule::{self, spread};
use tempest_framework::{Config, RunOptions, Selection, Suite};

/// Every test of class `c` takes the same time, 0.02 to 2.0 s ([`examples::class_weight`]):
/// classes differ, as an API class of quick calls and a scenario class of stacks do.
fn class_times(suite: &Suite) -> HashMap<String, f64> {
    let mut times = HashMap::new();
    for c in 0..suite.class_count() {
        let t = 2.0 * examples::class_weight(c);
        for test in suite.tests_of(c) {
            times.insert(test.id.clone(), t);
        }
    }
    times
}

#[test]
fn history_evens_the_workers_out() {
    let suite = examples::synthetic(48, 5, 0).unwrap();
    let all = Selection::all(&suite);
    let times = class_times(&suite);
    let total: f64 = times.values().sum();
    for workers in [2, 4, 8] {
        let blind = schedule::plan(&suite, &all, workers, &HashMap::new());
        let blind_spread = spread(&blind.totals_by(&suite, &all, |id| times.get(id).copied()));
        let timed = schedule::plan(&suite, &all, workers, &times);
        let timed_spread = timed.spread();
        eprintln!(
            "{workers} workers, {total:.1} s of tests ({:.1} s each when even): spread \
             {blind_spread:.2} s round-robin, {timed_spread:.2} s by history",
            total / workers as f64
        );
        assert!(
            timed_spread * 5.0 < blind_spread,
            "{workers} workers: {timed_spread} by history against {blind_spread} without"
        );
        // Every class dealt once.
        let mut dealt: Vec<usize> = timed.workers.concat();
        dealt.sort_unstable();
        assert_eq!(dealt, (0..all.groups.len()).collect::<Vec<_>>());
    }
}

#[test]
fn the_runner_deals_classes_as_the_plan_says() {
    let suite = examples::synthetic(12, 3, 0).unwrap();
    let all = Selection::all(&suite);
    let times = class_times(&suite);
    let plan = schedule::plan(&suite, &all, 3, &times);
    assert_ne!(
        plan,
        schedule::plan(&suite, &all, 3, &HashMap::new()),
        "history changes the deal"
    );
    let opts = RunOptions {
        concurrency: 3,
        worker_tags: true,
        route_codes: true,
        times,
        ..RunOptions::default()
    };
    let writer = StreamWriter::new(Vec::new(), Delivery::Buffered);
    tempest_framework::run(&suite, &all, Arc::new(Config::new()), &writer, &opts).unwrap();
    let mut worker_of: BTreeMap<String, String> = BTreeMap::new();
    for e in common::decode(&writer.finish().unwrap()) {
        if e.status == TestStatus::Success {
            let id = e.id.unwrap();
            let class = id.rsplit_once('.').unwrap().0.to_owned();
            worker_of.insert(class, e.tags[0].clone());
        }
    }
    let class_ids: Vec<&str> = suite.class_ids().collect();
    for (w, groups) in plan.workers.iter().enumerate() {
        for &g in groups {
            let class = class_ids[all.groups[g].class];
            assert_eq!(worker_of[class], format!("worker-{w}"), "{class}");
        }
    }
}
