//! Placement-engine properties: for random inventories, groups and servers, every placement
//! the engine makes honours every group and every host's capacity (judged by the independent
//! `check`), and when it refuses, no placement exists (judged by brute force on small cases),
//! while requests known to be impossible are refused.

use std::collections::{HashMap, HashSet};

use proptest::prelude::*;
use valet_cloud::engine::{
    Demand, Host, Infeasible, Inventory, Kind, Level, NewVm, Placed, Rule, Vm, check, place,
};

fn inventory(racks: usize, per_rack: usize, caps: &[(u32, u64)]) -> Inventory {
    let mut hosts = Vec::new();
    for r in 0..racks {
        for c in 0..per_rack {
            let (vcpus, mem) = caps[(r * per_rack + c) % caps.len()];
            hosts.push(Host {
                name: format!("r{r}h{c}"),
                rack: format!("r{r}"),
                vcpus,
                memory_mb: mem,
                disk_gb: 100,
            });
        }
    }
    Inventory { hosts }
}

#[derive(Debug, Clone)]
struct Case {
    inv: Inventory,
    rules: HashMap<String, Rule>,
    fixed: Vec<Placed>,
    new: Vec<NewVm>,
}

fn kind() -> impl Strategy<Value = Kind> {
    prop_oneof![
        Just(Kind::Affinity),
        Just(Kind::Diversity),
        Just(Kind::Exclusivity)
    ]
}

fn level() -> impl Strategy<Value = Level> {
    prop_oneof![Just(Level::Host), Just(Level::Rack)]
}

fn demand() -> impl Strategy<Value = Demand> {
    (1u32..=4, 1u64..=4).prop_map(|(vcpus, gb)| Demand {
        vcpus,
        memory_mb: gb * 1024,
        disk_gb: 10,
    })
}

/// Inventories of 1-3 racks of 1-3 hosts, 0-4 groups, 0-3 servers already placed (validly,
/// by the engine itself) and 1-`max_new` servers to place, each in 0-2 groups.
fn case(max_new: usize) -> impl Strategy<Value = Case> {
    (
        1usize..=3,
        1usize..=3,
        prop::collection::vec((2u32..=8, 2u64..=8), 1..=3),
        prop::collection::vec((kind(), level()), 0..=4),
        prop::collection::vec((demand(), prop::collection::vec(0usize..4, 0..=2)), 0..=3),
        prop::collection::vec(
            (
                demand(),
                prop::collection::vec(0usize..4, 0..=2),
                prop::collection::vec(0usize..9, 0..=2),
            ),
            1..=max_new,
        ),
    )
        .prop_map(|(racks, per_rack, caps, groups, fixed, new)| {
            let caps: Vec<(u32, u64)> = caps.into_iter().map(|(c, m)| (c, m * 1024)).collect();
            let inv = inventory(racks, per_rack, &caps);
            let rules: HashMap<String, Rule> = groups
                .iter()
                .enumerate()
                .map(|(i, (kind, level))| {
                    (
                        format!("g{i}"),
                        Rule {
                            kind: *kind,
                            level: *level,
                        },
                    )
                })
                .collect();
            let pick = |ix: Vec<usize>| -> Vec<String> {
                let mut g: Vec<String> = ix
                    .into_iter()
                    .filter(|i| *i < groups.len())
                    .map(|i| format!("g{i}"))
                    .collect();
                g.sort();
                g.dedup();
                g
            };
            // Place the fixed servers one by one with the engine; drop those it refuses.
            let mut placed: Vec<Placed> = Vec::new();
            for (d, g) in fixed {
                let vm = Vm {
                    demand: d,
                    groups: pick(g),
                };
                let one = [NewVm {
                    vm: vm.clone(),
                    ..NewVm::default()
                }];
                if let Ok(at) = place(&inv, &rules, &placed, &one) {
                    placed.push(Placed {
                        vm,
                        host: inv.hosts[at[0]].name.clone(),
                    });
                }
            }
            let n_hosts = inv.hosts.len();
            let new = new
                .into_iter()
                .map(|(d, g, excluded)| NewVm {
                    vm: Vm {
                        demand: d,
                        groups: pick(g),
                    },
                    allowed: None,
                    excluded: excluded
                        .into_iter()
                        .filter(|h| *h < n_hosts)
                        .map(|h| inv.hosts[h].name.clone())
                        .collect(),
                })
                .collect();
            Case {
                inv,
                rules,
                fixed: placed,
                new,
            }
        })
}

fn all_placed(c: &Case, at: &[usize]) -> Vec<Placed> {
    let mut all = c.fixed.clone();
    all.extend(c.new.iter().zip(at).map(|(n, &h)| Placed {
        vm: n.vm.clone(),
        host: c.inv.hosts[h].name.clone(),
    }));
    all
}

/// Whether any assignment of the new servers to hosts is valid, by trying them all.
fn exists(c: &Case) -> bool {
    let n = c.new.len();
    let h = c.inv.hosts.len();
    let mut at = vec![0usize; n];
    loop {
        let ok_hosts = c
            .new
            .iter()
            .zip(&at)
            .all(|(v, &i)| !v.excluded.contains(&c.inv.hosts[i].name));
        if ok_hosts && check(&c.inv, &c.rules, &all_placed(c, &at)).is_empty() {
            return true;
        }
        let mut k = 0;
        loop {
            if k == n {
                return false;
            }
            at[k] += 1;
            if at[k] < h {
                break;
            }
            at[k] = 0;
            k += 1;
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    /// Every placement honours every group, every capacity and every exclusion; and a refusal
    /// means no placement exists.
    #[test]
    fn placements_honour_everything_and_refusals_are_real(c in case(4)) {
        prop_assert!(check(&c.inv, &c.rules, &c.fixed).is_empty(), "fixed servers start valid");
        match place(&c.inv, &c.rules, &c.fixed, &c.new) {
            Ok(at) => {
                prop_assert_eq!(at.len(), c.new.len());
                for (n, &h) in c.new.iter().zip(&at) {
                    prop_assert!(!n.excluded.contains(&c.inv.hosts[h].name));
                }
                let violations = check(&c.inv, &c.rules, &all_placed(&c, &at));
                prop_assert!(violations.is_empty(), "{:?}", violations);
            }
            Err(Infeasible { reason }) => {
                prop_assert!(!reason.contains("gave up"), "{}", reason);
                prop_assert!(!exists(&c), "refused ({}) though a placement exists", reason);
            }
        }
    }

    /// Larger requests: whatever is placed is valid.
    #[test]
    fn larger_requests_are_valid_when_placed(c in case(8)) {
        if let Ok(at) = place(&c.inv, &c.rules, &c.fixed, &c.new) {
            let violations = check(&c.inv, &c.rules, &all_placed(&c, &at));
            prop_assert!(violations.is_empty(), "{:?}", violations);
        }
    }

    /// Diversity with more members than units is refused.
    #[test]
    fn diversity_beyond_the_units_is_refused(racks in 1usize..=3, per_rack in 1usize..=3, rack_level in any::<bool>()) {
        let inv = Inventory::grid(racks, per_rack, 64, 1 << 20, 10_000);
        let (level, units) = if rack_level { (Level::Rack, racks) } else { (Level::Host, racks * per_rack) };
        let rules = HashMap::from([("d".to_string(), Rule { kind: Kind::Diversity, level })]);
        let vm = NewVm { vm: Vm { demand: Demand { vcpus: 1, memory_mb: 1, disk_gb: 1 }, groups: vec!["d".into()] }, ..NewVm::default() };
        let fits = vec![vm.clone(); units];
        prop_assert!(place(&inv, &rules, &[], &fits).is_ok());
        let too_many = vec![vm; units + 1];
        prop_assert!(place(&inv, &rules, &[], &too_many).is_err());
    }

    /// Affinity whose total demand exceeds any one unit's capacity is refused, and one that
    /// fits is placed in one unit.
    #[test]
    fn affinity_beyond_one_unit_is_refused(racks in 1usize..=3, per_rack in 1usize..=3, vcpus in 2u32..=8, rack_level in any::<bool>()) {
        let inv = Inventory::grid(racks, per_rack, vcpus, 1 << 20, 10_000);
        let (level, unit_cpus) = if rack_level { (Level::Rack, vcpus * per_rack as u32) } else { (Level::Host, vcpus) };
        let rules = HashMap::from([("a".to_string(), Rule { kind: Kind::Affinity, level })]);
        let vm = NewVm { vm: Vm { demand: Demand { vcpus: 1, memory_mb: 1, disk_gb: 1 }, groups: vec!["a".into()] }, ..NewVm::default() };
        let fits = vec![vm.clone(); unit_cpus as usize];
        let at = place(&inv, &rules, &[], &fits).expect("fits one unit");
        let units: HashSet<&str> = at.iter().map(|&h| if rack_level { inv.hosts[h].rack.as_str() } else { inv.hosts[h].name.as_str() }).collect();
        prop_assert_eq!(units.len(), 1);
        prop_assert!(place(&inv, &rules, &[], &vec![vm; unit_cpus as usize + 1]).is_err());
    }

    /// An exclusive unit never takes an outsider: once the group fills every unit, an
    /// outsider is refused.
    #[test]
    fn exclusivity_over_every_unit_refuses_outsiders(racks in 1usize..=3, per_rack in 1usize..=2) {
        let inv = Inventory::grid(racks, per_rack, 64, 1 << 20, 10_000);
        let rules = HashMap::from([("x".to_string(), Rule { kind: Kind::Exclusivity, level: Level::Host })]);
        let tiny = Demand { vcpus: 1, memory_mb: 1, disk_gb: 1 };
        let fixed: Vec<Placed> = inv.hosts.iter().map(|h| Placed { vm: Vm { demand: tiny, groups: vec!["x".into()] }, host: h.name.clone() }).collect();
        let outsider = NewVm { vm: Vm { demand: tiny, groups: vec![] }, ..NewVm::default() };
        prop_assert!(place(&inv, &rules, &fixed, &[outsider]).is_err());
        let member = NewVm { vm: Vm { demand: tiny, groups: vec!["x".into()] }, ..NewVm::default() };
        prop_assert!(place(&inv, &rules, &fixed, &[member]).is_ok());
    }
}

#[test]
fn a_server_bigger_than_every_host_is_refused_with_a_reason() {
    let inv = Inventory::grid(2, 2, 4, 4096, 40);
    let big = NewVm {
        vm: Vm {
            demand: Demand {
                vcpus: 8,
                memory_mb: 1024,
                disk_gb: 1,
            },
            groups: vec![],
        },
        ..NewVm::default()
    };
    let err = place(&inv, &HashMap::new(), &[], &[big]).unwrap_err();
    assert!(err.reason.contains("no allowed host has room"), "{err}");
}

#[test]
fn unknown_groups_are_refused() {
    let inv = Inventory::default();
    let vm = NewVm {
        vm: Vm {
            demand: Demand::default(),
            groups: vec!["ghost".into()],
        },
        ..NewVm::default()
    };
    assert!(place(&inv, &HashMap::new(), &[], &[vm]).is_err());
}
