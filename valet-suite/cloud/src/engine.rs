//! The placement engine: which host each server of a plan goes to.
//!
//! Valet's engine (Ostro) places a stack's servers on hosts so that every Valet group the
//! servers belong to is honoured, and no host is filled beyond its capacity. This engine does
//! the same over an [`Inventory`] of hosts in racks:
//!
//! - **affinity** at level `host` (`rack`): every member of the group is on one host (rack);
//! - **diversity** at level `host` (`rack`): no two members of the group share a host (rack);
//! - **exclusivity** at level `host` (`rack`): a host (rack) that holds a member of the group
//!   holds nothing that is not a member of it;
//! - **capacity**: the vCPUs, memory and disk of the servers on a host never exceed the host's.
//!
//! [`place`] is a complete backtracking search (most constrained server first, hosts already
//! holding a server's affinity partners first): when it answers [`Infeasible`] no placement
//! exists, unless the reason says it gave up after its step budget. [`check`] is an
//! independent judge of a whole placement, used by the tests and by `GET /v1/resources`.

use std::collections::{HashMap, HashSet};
use std::fmt;

/// One compute host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Host {
    /// The host name (Nova's hypervisor host), unique in the inventory.
    pub name: String,
    /// The rack the host is in.
    pub rack: String,
    /// Virtual CPUs the host offers.
    pub vcpus: u32,
    /// Memory the host offers, in MiB.
    pub memory_mb: u64,
    /// Disk the host offers, in GiB.
    pub disk_gb: u64,
}

/// The hosts the engine places on, in racks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Inventory {
    /// The hosts, in the order the engine tries them.
    pub hosts: Vec<Host>,
}

impl Default for Inventory {
    /// 4 racks of 4 hosts, named as Valet's devstack names them (`Region1r001c001`: region 1,
    /// rack 001, node 001), each with 16 vCPUs, 32 GiB of memory and 500 GiB of disk.
    fn default() -> Self {
        Inventory::grid(4, 4, 16, 32_768, 500)
    }
}

impl Inventory {
    /// `racks` racks of `hosts_per_rack` identical hosts, named `Region1rRRRcNNN`.
    pub fn grid(
        racks: usize,
        hosts_per_rack: usize,
        vcpus: u32,
        memory_mb: u64,
        disk_gb: u64,
    ) -> Self {
        let mut hosts = Vec::with_capacity(racks * hosts_per_rack);
        for r in 1..=racks {
            for c in 1..=hosts_per_rack {
                hosts.push(Host {
                    name: format!("Region1r{r:03}c{c:03}"),
                    rack: format!("Region1r{r:03}"),
                    vcpus,
                    memory_mb,
                    disk_gb,
                });
            }
        }
        Inventory { hosts }
    }

    /// The distinct racks, in the order they first appear.
    pub fn racks(&self) -> Vec<&str> {
        let mut seen = HashSet::new();
        self.hosts
            .iter()
            .map(|h| h.rack.as_str())
            .filter(|r| seen.insert(*r))
            .collect()
    }

    /// Refuses an empty inventory and duplicate host names.
    pub fn validate(&self) -> Result<(), String> {
        if self.hosts.is_empty() {
            return Err("the inventory has no host".into());
        }
        let mut seen = HashSet::new();
        for h in &self.hosts {
            if h.name.is_empty() || h.rack.is_empty() {
                return Err("a host and its rack need names".into());
            }
            if !seen.insert(h.name.as_str()) {
                return Err(format!("host {} is listed twice", h.name));
            }
        }
        Ok(())
    }
}

/// What a server needs from its host.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Demand {
    /// Virtual CPUs.
    pub vcpus: u32,
    /// Memory in MiB.
    pub memory_mb: u64,
    /// Disk in GiB.
    pub disk_gb: u64,
}

/// Nova's default flavors, by name and by id: `(name, id, demand)`.
pub const FLAVORS: &[(&str, &str, Demand)] = &[
    (
        "m1.tiny",
        "1",
        Demand {
            vcpus: 1,
            memory_mb: 512,
            disk_gb: 1,
        },
    ),
    (
        "m1.small",
        "2",
        Demand {
            vcpus: 1,
            memory_mb: 2048,
            disk_gb: 20,
        },
    ),
    (
        "m1.medium",
        "3",
        Demand {
            vcpus: 2,
            memory_mb: 4096,
            disk_gb: 40,
        },
    ),
    (
        "m1.large",
        "4",
        Demand {
            vcpus: 4,
            memory_mb: 8192,
            disk_gb: 80,
        },
    ),
    (
        "m1.xlarge",
        "5",
        Demand {
            vcpus: 8,
            memory_mb: 16_384,
            disk_gb: 160,
        },
    ),
];

/// The demand of a flavor named by its name or id, if it is one of [`FLAVORS`].
pub fn flavor(name: &str) -> Option<Demand> {
    FLAVORS
        .iter()
        .find(|(n, id, _)| *n == name || *id == name)
        .map(|(_, _, d)| *d)
}

/// A group's policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    /// All members together.
    Affinity,
    /// No two members together.
    Diversity,
    /// Members alone.
    Exclusivity,
}

impl Kind {
    /// The policy named as Valet names it (`affinity`, `diversity`, `exclusivity`).
    pub fn parse(s: &str) -> Option<Kind> {
        match s {
            "affinity" => Some(Kind::Affinity),
            "diversity" => Some(Kind::Diversity),
            "exclusivity" => Some(Kind::Exclusivity),
            _ => None,
        }
    }

    /// Its name, as [`Kind::parse`] reads it.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Affinity => "affinity",
            Kind::Diversity => "diversity",
            Kind::Exclusivity => "exclusivity",
        }
    }
}

/// The level a group's policy applies at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Level {
    /// Per host.
    Host,
    /// Per rack.
    Rack,
}

impl Level {
    /// The level named as Valet names it (`host`, `rack`).
    pub fn parse(s: &str) -> Option<Level> {
        match s {
            "host" => Some(Level::Host),
            "rack" => Some(Level::Rack),
            _ => None,
        }
    }

    /// Its name, as [`Level::parse`] reads it.
    pub fn name(self) -> &'static str {
        match self {
            Level::Host => "host",
            Level::Rack => "rack",
        }
    }
    fn index(self) -> usize {
        match self {
            Level::Host => 0,
            Level::Rack => 1,
        }
    }
}

/// A group's rule: its policy and level.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rule {
    /// The policy.
    pub kind: Kind,
    /// The level.
    pub level: Level,
}

/// A server: its demand and the groups (by id) it belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Vm {
    /// What it needs.
    pub demand: Demand,
    /// The ids of its groups; each must be a key of the rules given with it.
    pub groups: Vec<String>,
}

/// A server already on a host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Placed {
    /// The server.
    pub vm: Vm,
    /// Its host's name.
    pub host: String,
}

/// A server to place, with where it may and may not go.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct NewVm {
    /// The server.
    pub vm: Vm,
    /// If set, the only hosts it may go to (Nova's candidate list).
    pub allowed: Option<HashSet<String>>,
    /// Hosts it must not go to (`excluded_hosts` of a migrate).
    pub excluded: HashSet<String>,
}

/// Why no placement was found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Infeasible {
    /// A sentence for the API's error body.
    pub reason: String,
}

impl fmt::Display for Infeasible {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.reason)
    }
}

impl std::error::Error for Infeasible {}

/// How many partial placements the search may try before giving up.
pub const STEP_BUDGET: u64 = 200_000;

struct State<'a> {
    inv: &'a Inventory,
    rules: &'a HashMap<String, Rule>,
    /// Rack index of each host.
    rack_of: Vec<usize>,
    /// Used (vcpus, memory, disk) per host.
    used: Vec<(u64, u64, u64)>,
    /// Servers per unit, per level: `total[level][unit]`.
    total: [Vec<u32>; 2],
    /// Members of a group per unit: `(level, unit, group) -> count`.
    members: HashMap<(usize, usize, &'a str), u32>,
    /// Units holding members of a group, per level: `(level, group) -> unit -> count`.
    units: HashMap<(usize, &'a str), HashMap<usize, u32>>,
    /// Exclusivity groups: `(group, level)`.
    exclusive: Vec<(&'a str, usize)>,
}

impl<'a> State<'a> {
    fn new(inv: &'a Inventory, rules: &'a HashMap<String, Rule>) -> Self {
        let racks = inv.racks();
        let rack_of = inv
            .hosts
            .iter()
            .map(|h| racks.iter().position(|r| *r == h.rack).unwrap_or(0))
            .collect();
        let mut exclusive: Vec<(&str, usize)> = rules
            .iter()
            .filter(|(_, r)| r.kind == Kind::Exclusivity)
            .map(|(g, r)| (g.as_str(), r.level.index()))
            .collect();
        exclusive.sort_unstable();
        State {
            inv,
            rules,
            rack_of,
            used: vec![(0, 0, 0); inv.hosts.len()],
            total: [vec![0; inv.hosts.len()], vec![0; racks.len()]],
            members: HashMap::new(),
            units: HashMap::new(),
            exclusive,
        }
    }

    fn unit(&self, level: usize, host: usize) -> usize {
        if level == 0 { host } else { self.rack_of[host] }
    }

    fn group_rule(&self, g: &str) -> Option<(&'a str, Rule)> {
        self.rules.get_key_value(g).map(|(k, r)| (k.as_str(), *r))
    }

    fn has_room(&self, host: usize, d: &Demand) -> bool {
        let h = &self.inv.hosts[host];
        let (c, m, k) = self.used[host];
        c + u64::from(d.vcpus) <= u64::from(h.vcpus)
            && m + d.memory_mb <= h.memory_mb
            && k + d.disk_gb <= h.disk_gb
    }

    /// Whether `vm` may go to `host` given what is placed.
    fn allows(&self, host: usize, vm: &Vm) -> bool {
        if !self.has_room(host, &vm.demand) {
            return false;
        }
        for g in &vm.groups {
            let Some((g, rule)) = self.group_rule(g) else {
                return false;
            };
            let level = rule.level.index();
            let unit = self.unit(level, host);
            let here = self.members.get(&(level, unit, g)).copied().unwrap_or(0);
            match rule.kind {
                Kind::Affinity => {
                    if let Some(units) = self.units.get(&(level, g))
                        && units.keys().any(|u| *u != unit)
                    {
                        return false;
                    }
                }
                Kind::Diversity => {
                    if here > 0 {
                        return false;
                    }
                }
                Kind::Exclusivity => {
                    if self.total[level][unit] != here {
                        return false;
                    }
                }
            }
        }
        // Exclusive groups this server is not in: it may not join their units.
        for &(g, level) in &self.exclusive {
            if vm.groups.iter().any(|m| m == g) {
                continue;
            }
            let unit = self.unit(level, host);
            if self.members.get(&(level, unit, g)).copied().unwrap_or(0) > 0 {
                return false;
            }
        }
        true
    }

    fn add(&mut self, host: usize, vm: &'a Vm) {
        let d = &vm.demand;
        let u = &mut self.used[host];
        u.0 += u64::from(d.vcpus);
        u.1 += d.memory_mb;
        u.2 += d.disk_gb;
        for level in 0..2 {
            let unit = self.unit(level, host);
            self.total[level][unit] += 1;
        }
        for g in &vm.groups {
            let Some((g, rule)) = self.group_rule(g) else {
                continue;
            };
            let level = rule.level.index();
            let unit = self.unit(level, host);
            *self.members.entry((level, unit, g)).or_default() += 1;
            *self
                .units
                .entry((level, g))
                .or_default()
                .entry(unit)
                .or_default() += 1;
        }
    }

    fn remove(&mut self, host: usize, vm: &'a Vm) {
        let d = &vm.demand;
        let u = &mut self.used[host];
        u.0 -= u64::from(d.vcpus);
        u.1 -= d.memory_mb;
        u.2 -= d.disk_gb;
        for level in 0..2 {
            let unit = self.unit(level, host);
            self.total[level][unit] -= 1;
        }
        for g in &vm.groups {
            let Some((g, rule)) = self.group_rule(g) else {
                continue;
            };
            let level = rule.level.index();
            let unit = self.unit(level, host);
            if let Some(c) = self.members.get_mut(&(level, unit, g)) {
                *c -= 1;
                if *c == 0 {
                    self.members.remove(&(level, unit, g));
                }
            }
            if let Some(units) = self.units.get_mut(&(level, g)) {
                if let Some(c) = units.get_mut(&unit) {
                    *c -= 1;
                    if *c == 0 {
                        units.remove(&unit);
                    }
                }
                if units.is_empty() {
                    self.units.remove(&(level, g));
                }
            }
        }
    }

    /// How many of `vm`'s affinity partners are already in `host`'s units: hosts with more
    /// are tried first.
    fn affinity_pull(&self, host: usize, vm: &Vm) -> u32 {
        vm.groups
            .iter()
            .filter_map(|g| self.group_rule(g))
            .filter(|(_, r)| r.kind == Kind::Affinity)
            .map(|(g, r)| {
                let level = r.level.index();
                let unit = self.unit(level, host);
                self.members.get(&(level, unit, g)).copied().unwrap_or(0)
            })
            .sum()
    }
}

fn host_index(inv: &Inventory, name: &str) -> Option<usize> {
    inv.hosts.iter().position(|h| h.name == name)
}

/// Places `new` servers beside the `fixed` ones, honouring every group in `rules` and every
/// host's capacity. Returns the host index (into `inv.hosts`) for each of `new`, in order.
///
/// Fixed servers on hosts that are not in the inventory are ignored (they hold nothing here).
/// A group id a server names that is not in `rules` makes the request infeasible.
pub fn place(
    inv: &Inventory,
    rules: &HashMap<String, Rule>,
    fixed: &[Placed],
    new: &[NewVm],
) -> Result<Vec<usize>, Infeasible> {
    for (i, n) in new.iter().enumerate() {
        if let Some(g) = n.vm.groups.iter().find(|g| !rules.contains_key(*g)) {
            return Err(Infeasible {
                reason: format!("server {i} names group {g}, which has no rule"),
            });
        }
    }
    let mut state = State::new(inv, rules);
    for p in fixed {
        if let Some(h) = host_index(inv, &p.host) {
            state.add(h, &p.vm);
        }
    }
    // Hosts each new server may go to at all (ignoring the others).
    let mut candidates: Vec<Vec<usize>> = Vec::with_capacity(new.len());
    for (i, n) in new.iter().enumerate() {
        let c: Vec<usize> = (0..inv.hosts.len())
            .filter(|&h| {
                let name = &inv.hosts[h].name;
                !n.excluded.contains(name)
                    && n.allowed.as_ref().is_none_or(|a| a.contains(name))
                    && state.has_room(h, &n.vm.demand)
            })
            .collect();
        if c.is_empty() {
            let d = n.vm.demand;
            return Err(Infeasible {
                reason: format!(
                    "no allowed host has room for server {i} ({} vCPUs, {} MB, {} GB)",
                    d.vcpus, d.memory_mb, d.disk_gb
                ),
            });
        }
        candidates.push(c);
    }
    // Most constrained first: most groups, fewest candidates, largest; identical servers
    // side by side, so that the search can take them in host order only (symmetry).
    let mut order: Vec<usize> = (0..new.len()).collect();
    order.sort_by(|&a, &b| {
        let key = |i: usize| {
            let d = new[i].vm.demand;
            (
                std::cmp::Reverse(new[i].vm.groups.len()),
                candidates[i].len(),
                std::cmp::Reverse((d.vcpus, d.memory_mb, d.disk_gb)),
            )
        };
        key(a)
            .cmp(&key(b))
            .then_with(|| new[a].vm.groups.cmp(&new[b].vm.groups))
            .then(a.cmp(&b))
    });
    let same_as_previous: Vec<bool> = (0..order.len())
        .map(|k| k > 0 && new[order[k - 1]] == new[order[k]])
        .collect();
    // For each affinity group, the demand of its members from each position of the order on.
    let mut rest: HashMap<&str, Vec<(u64, u64, u64)>> = HashMap::new();
    for (g, rule) in rules {
        if rule.kind != Kind::Affinity {
            continue;
        }
        let mut sums = vec![(0u64, 0u64, 0u64); order.len() + 1];
        for k in (0..order.len()).rev() {
            let vm = &new[order[k]].vm;
            let (c, m, d) = sums[k + 1];
            sums[k] = if vm.groups.contains(g) {
                (
                    c + u64::from(vm.demand.vcpus),
                    m + vm.demand.memory_mb,
                    d + vm.demand.disk_gb,
                )
            } else {
                (c, m, d)
            };
        }
        rest.insert(g.as_str(), sums);
    }
    let mut search = Search {
        new,
        candidates: &candidates,
        order: &order,
        same_as_previous: &same_as_previous,
        rest: &rest,
        chosen: vec![usize::MAX; new.len()],
        steps: 0,
    };
    match search.run(&mut state, 0) {
        Some(true) => Ok(search.chosen),
        Some(false) => Err(Infeasible {
            reason: format!(
                "no placement of the {} server(s) honours every group and host capacity",
                new.len()
            ),
        }),
        None => Err(Infeasible {
            reason: format!("the placement search gave up after {STEP_BUDGET} steps"),
        }),
    }
}

struct Search<'a, 'b> {
    new: &'a [NewVm],
    candidates: &'b [Vec<usize>],
    order: &'b [usize],
    same_as_previous: &'b [bool],
    rest: &'b HashMap<&'a str, Vec<(u64, u64, u64)>>,
    chosen: Vec<usize>,
    steps: u64,
}

impl<'a> Search<'a, '_> {
    /// Whether the affinity partners of the server at `depth` still to be placed fit in the
    /// free capacity of the unit it was just put in.
    fn partners_fit(&self, state: &State<'a>, depth: usize, host: usize, vm: &Vm) -> bool {
        for g in &vm.groups {
            let Some(sums) = self.rest.get(g.as_str()) else {
                continue;
            };
            let (c, m, d) = sums[depth + 1];
            if c == 0 && m == 0 && d == 0 {
                continue;
            }
            let Some((_, rule)) = state.group_rule(g) else {
                continue;
            };
            let level = rule.level.index();
            let unit = state.unit(level, host);
            let (mut fc, mut fm, mut fd) = (0u64, 0u64, 0u64);
            for h in 0..state.inv.hosts.len() {
                if state.unit(level, h) != unit {
                    continue;
                }
                let cap = &state.inv.hosts[h];
                let (uc, um, ud) = state.used[h];
                fc += u64::from(cap.vcpus).saturating_sub(uc);
                fm += cap.memory_mb.saturating_sub(um);
                fd += cap.disk_gb.saturating_sub(ud);
            }
            if c > fc || m > fm || d > fd {
                return false;
            }
        }
        true
    }

    /// `Some(true)` found, `Some(false)` none exists, `None` budget spent.
    fn run(&mut self, state: &mut State<'a>, depth: usize) -> Option<bool> {
        let Some(&i) = self.order.get(depth) else {
            return Some(true);
        };
        let vm = &self.new[i].vm;
        // An identical server placed just before: take hosts in order after it only.
        let floor = if self.same_as_previous[depth] {
            self.chosen[self.order[depth - 1]]
        } else {
            0
        };
        let mut hosts: Vec<usize> = self.candidates[i]
            .iter()
            .copied()
            .filter(|&h| h >= floor && state.allows(h, vm))
            .collect();
        hosts.sort_by_key(|&h| (std::cmp::Reverse(state.affinity_pull(h, vm)), h));
        for h in hosts {
            self.steps += 1;
            if self.steps > STEP_BUDGET {
                return None;
            }
            state.add(h, vm);
            self.chosen[i] = h;
            if self.partners_fit(state, depth, h, vm) {
                match self.run(state, depth + 1) {
                    Some(true) => return Some(true),
                    None => return None,
                    Some(false) => {}
                }
            }
            state.remove(h, vm);
            self.chosen[i] = usize::MAX;
        }
        Some(false)
    }
}

/// A rule or capacity a whole placement breaks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// Indexes (into the checked list) of the servers involved.
    pub servers: Vec<usize>,
    /// What is wrong, as a sentence.
    pub message: String,
}

/// Judges a whole placement from scratch: every server's host exists, no host is over
/// capacity, and every group in `rules` is honoured. Returns every violation found.
pub fn check(inv: &Inventory, rules: &HashMap<String, Rule>, placed: &[Placed]) -> Vec<Violation> {
    let mut out = Vec::new();
    let mut on_host: HashMap<usize, Vec<usize>> = HashMap::new();
    for (i, p) in placed.iter().enumerate() {
        match host_index(inv, &p.host) {
            Some(h) => on_host.entry(h).or_default().push(i),
            None => out.push(Violation {
                servers: vec![i],
                message: format!("host {} is not in the inventory", p.host),
            }),
        }
    }
    let mut hosts: Vec<_> = on_host.iter().collect();
    hosts.sort();
    for &(&h, vms) in &hosts {
        let host = &inv.hosts[h];
        let (c, m, d) = vms.iter().fold((0u64, 0u64, 0u64), |(c, m, d), &i| {
            let x = placed[i].vm.demand;
            (c + u64::from(x.vcpus), m + x.memory_mb, d + x.disk_gb)
        });
        if c > u64::from(host.vcpus) || m > host.memory_mb || d > host.disk_gb {
            out.push(Violation {
                servers: (*vms).clone(),
                message: format!(
                    "host {} is over capacity: {c}/{} vCPUs, {m}/{} MB, {d}/{} GB",
                    host.name, host.vcpus, host.memory_mb, host.disk_gb
                ),
            });
        }
    }
    let unit_of = |i: usize, level: Level| -> Option<String> {
        let h = host_index(inv, &placed[i].host)?;
        Some(match level {
            Level::Host => inv.hosts[h].name.clone(),
            Level::Rack => inv.hosts[h].rack.clone(),
        })
    };
    let mut groups: Vec<_> = rules.iter().collect();
    groups.sort_by(|a, b| a.0.cmp(b.0));
    for (g, rule) in groups {
        let members: Vec<usize> = (0..placed.len())
            .filter(|&i| placed[i].vm.groups.iter().any(|x| x == g))
            .filter(|&i| host_index(inv, &placed[i].host).is_some())
            .collect();
        let level = match rule.level {
            Level::Host => "host",
            Level::Rack => "rack",
        };
        match rule.kind {
            Kind::Affinity => {
                let units: HashSet<_> = members
                    .iter()
                    .filter_map(|&i| unit_of(i, rule.level))
                    .collect();
                if units.len() > 1 {
                    out.push(Violation {
                        servers: members.clone(),
                        message: format!("affinity group {g} spans {} {level}s", units.len()),
                    });
                }
            }
            Kind::Diversity => {
                let mut seen: HashMap<String, usize> = HashMap::new();
                for &i in &members {
                    if let Some(u) = unit_of(i, rule.level)
                        && let Some(&j) = seen.get(&u)
                    {
                        out.push(Violation {
                            servers: vec![j, i],
                            message: format!("diversity group {g} has two members on {level} {u}"),
                        });
                    } else if let Some(u) = unit_of(i, rule.level) {
                        seen.insert(u, i);
                    }
                }
            }
            Kind::Exclusivity => {
                let units: HashSet<_> = members
                    .iter()
                    .filter_map(|&i| unit_of(i, rule.level))
                    .collect();
                for (i, p) in placed.iter().enumerate() {
                    if p.vm.groups.iter().any(|x| x == g) {
                        continue;
                    }
                    if let Some(u) = unit_of(i, rule.level)
                        && units.contains(&u)
                    {
                        out.push(Violation {
                            servers: vec![i],
                            message: format!(
                                "{level} {u} is exclusive to group {g} but holds a non-member"
                            ),
                        });
                    }
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules(list: &[(&str, Kind, Level)]) -> HashMap<String, Rule> {
        list.iter()
            .map(|(g, kind, level)| {
                (
                    g.to_string(),
                    Rule {
                        kind: *kind,
                        level: *level,
                    },
                )
            })
            .collect()
    }

    fn vm(groups: &[&str]) -> NewVm {
        NewVm {
            vm: Vm {
                demand: flavor("m1.small").unwrap(),
                groups: groups.iter().map(|g| g.to_string()).collect(),
            },
            ..NewVm::default()
        }
    }

    fn placed(inv: &Inventory, new: &[NewVm], at: &[usize]) -> Vec<Placed> {
        new.iter()
            .zip(at)
            .map(|(n, &h)| Placed {
                vm: n.vm.clone(),
                host: inv.hosts[h].name.clone(),
            })
            .collect()
    }

    #[test]
    fn affinity_rack_keeps_members_in_one_rack() {
        let inv = Inventory::default();
        let r = rules(&[("a", Kind::Affinity, Level::Rack)]);
        let new: Vec<_> = (0..6).map(|_| vm(&["a"])).collect();
        let at = place(&inv, &r, &[], &new).unwrap();
        let racks: HashSet<_> = at.iter().map(|&h| &inv.hosts[h].rack).collect();
        assert_eq!(racks.len(), 1);
        assert!(check(&inv, &r, &placed(&inv, &new, &at)).is_empty());
    }

    #[test]
    fn diversity_beyond_the_hosts_is_refused() {
        let inv = Inventory::grid(1, 3, 16, 32_768, 500);
        let r = rules(&[("d", Kind::Diversity, Level::Host)]);
        let ok: Vec<_> = (0..3).map(|_| vm(&["d"])).collect();
        assert!(place(&inv, &r, &[], &ok).is_ok());
        let too_many: Vec<_> = (0..4).map(|_| vm(&["d"])).collect();
        let err = place(&inv, &r, &[], &too_many).unwrap_err();
        assert!(err.reason.contains("no placement"), "{err}");
    }

    #[test]
    fn exclusivity_keeps_others_out_both_ways() {
        let inv = Inventory::grid(2, 1, 16, 32_768, 500);
        let r = rules(&[("x", Kind::Exclusivity, Level::Host)]);
        let fixed = vec![Placed {
            vm: vm(&[]).vm,
            host: inv.hosts[0].name.clone(),
        }];
        let at = place(&inv, &r, &fixed, &[vm(&["x"]), vm(&["x"])]).unwrap();
        assert_eq!(at, vec![1, 1]);
        // Now every host is taken by a non-member or by the group: an outsider fits on 0 only.
        let mut all = fixed.clone();
        all.extend(placed(&inv, &[vm(&["x"]), vm(&["x"])], &at));
        assert_eq!(place(&inv, &r, &all, &[vm(&[])]).unwrap(), vec![0]);
        assert!(place(&inv, &r, &all, &[vm(&[]), vm(&["x"])]).is_ok());
        let full = Inventory::grid(1, 1, 16, 32_768, 500);
        assert!(place(&full, &r, &[], &[vm(&["x"]), vm(&[])]).is_err());
    }

    #[test]
    fn capacity_and_exclusions_are_respected() {
        let inv = Inventory::grid(1, 2, 2, 4096, 40);
        let r = HashMap::new();
        let two: Vec<_> = (0..4).map(|_| vm(&[])).collect();
        let at = place(&inv, &r, &[], &two).unwrap();
        assert!(check(&inv, &r, &placed(&inv, &two, &at)).is_empty());
        assert!(
            place(
                &inv,
                &r,
                &[],
                &[vm(&[]), vm(&[]), vm(&[]), vm(&[]), vm(&[])]
            )
            .is_err()
        );
        let mut n = vm(&[]);
        n.excluded.insert(inv.hosts[0].name.clone());
        assert_eq!(place(&inv, &r, &[], &[n]).unwrap(), vec![1]);
    }

    #[test]
    fn check_reports_broken_rules() {
        let inv = Inventory::grid(2, 2, 16, 32_768, 500);
        let r = rules(&[
            ("a", Kind::Affinity, Level::Host),
            ("d", Kind::Diversity, Level::Rack),
        ]);
        let ps = vec![
            Placed {
                vm: vm(&["a", "d"]).vm,
                host: "Region1r001c001".into(),
            },
            Placed {
                vm: vm(&["a", "d"]).vm,
                host: "Region1r001c002".into(),
            },
            Placed {
                vm: vm(&[]).vm,
                host: "gone".into(),
            },
        ];
        let v = check(&inv, &r, &ps);
        assert_eq!(v.len(), 3, "{v:?}");
    }
}
