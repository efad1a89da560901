//! Workload generators: seeded, parameterised workloads written as
//! `generate NAME key=value ...` in a workload script.
//!
//! A generator expands into ordinary workload statements (allocations by name, frees
//! by index, `kswapd`), sized from the machine it runs on and drawn from the
//! scenario's seed, so one scenario gives the same operations on every target. The
//! allocations land in named groups `gN_KIND` (N counts the `generate` statements of
//! the run from 1), which later statements can free: `free g1_movable`.
//! `buddyscope generate NAME [key=value ...] [--scenario FILE]` prints the expansion.

use crate::alloc::reclaim::PageUse;
use crate::alloc::Allocator;
use crate::limits::{GENERATED_OPS_MAX, GENERATED_STATEMENTS_MAX};
use crate::rng::Rng;
use crate::types::gfp::Gfp;
use crate::workload::ast::{FreeTarget, Statement};

/// One parameter of a generator.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Param {
    pub name: &'static str,
    /// Used when the statement does not give the parameter; 0 often means "sized
    /// from the machine" (see `help`).
    pub default: u64,
    pub max: u64,
    pub help: &'static str,
}

/// A generator, what it is for, and the function that writes its statements.
#[derive(Clone, Copy, Debug)]
pub struct Generator {
    pub name: &'static str,
    pub summary: &'static str,
    pub params: &'static [Param],
    /// Writes the statements into the builder, drawing from its seeded generator;
    /// [`expand_at_most`] calls it through this table.
    expand: Expand,
}

/// A generator's expansion: its parameter values and the machine in, statements out
/// through the builder.
type Expand = fn(&mut Builder, &Values<'_>, &MachineFacts);

const fn p(name: &'static str, default: u64, max: u64, help: &'static str) -> Param {
    Param {
        name,
        default,
        max,
        help,
    }
}

/// Checks parameters together (each was checked against its maximum when read).
/// `atomic`: `bursts` × `size` atomic allocations, at most [`GENERATED_OPS_MAX`].
pub fn check_params(name: &str, params: &[(String, u64)]) -> Result<(), String> {
    let Some(generator) = generator(name) else {
        return Ok(());
    };
    if name == "atomic" {
        let (bursts, size) = (
            value(generator, params, "bursts").max(1),
            value(generator, params, "size"),
        );
        let total = bursts.saturating_mul(size);
        if total > GENERATED_OPS_MAX {
            return Err(format!(
                "`bursts` × `size` is {total} atomic allocations; at most {GENERATED_OPS_MAX}"
            ));
        }
    }
    Ok(())
}

/// Every generator. A new one is a row here and its `expand_*` function; the
/// parser, the runner, the CLI and the page find it through this table.
pub const GENERATORS: &[Generator] = &[
    Generator {
        name: "steady",
        summary: "steady mixed-order load: allocations of orders 0 to max_order (lower orders more often; kernel, movable and atomic masks) and frees of random live ones, holding about fill% of memory",
        params: &[
            p("ops", 5000, GENERATED_OPS_MAX, "operations (allocations and frees)"),
            p("max_order", 3, 10, "largest order allocated"),
            p("fill", 50, 95, "percent of managed memory kept allocated"),
        ],
        expand: expand_steady,
    },
    Generator {
        name: "fragment",
        summary: "fragmentation stress: movable order-0 pages fill memory, holes% of them come back at random, unmovable allocations fall back into the holes of movable pageblocks, the rest of the movable pages come back, then order-9 THP-style attempts (GFP_TRANSHUGE_LIGHT, no compaction) find no whole pageblock free",
        params: &[
            p("pages", 0, GENERATED_OPS_MAX, "movable pages asked for first (0: as many as memory has managed pages, so memory fills up to the watermarks)"),
            p("holes", 12, 100, "percent of the movable pages freed at random before the unmovable allocations"),
            p("unmovable_every", 16, 1_000_000, "one unmovable allocation per this many movable pages"),
            p("probe", 8, 1000, "order-9 allocations tried at the end"),
        ],
        expand: expand_fragment,
    },
    Generator {
        name: "thp",
        summary: "THP allocations under pressure: page cache fills fill% of memory with holes punched at random, then order-9 GFP_TRANSHUGE allocations that must reclaim and compact",
        params: &[
            p("fill", 90, 100, "percent of managed memory filled with page cache first"),
            p("count", 16, 10_000, "order-9 allocations"),
            p("holes", 10, 90, "percent of the page cache freed at random before the THP requests"),
        ],
        expand: expand_thp,
    },
    Generator {
        name: "pagecache",
        summary: "page-cache growth with reclaim: order-0 page-cache allocations past the size of memory, with a kernel allocation now and then; kswapd and direct reclaim take the oldest pages back",
        params: &[
            p("pages", 0, GENERATED_OPS_MAX, "page-cache pages (0: 120% of managed memory)"),
            p("kswapd_every", 0, GENERATED_OPS_MAX, "run kswapd on a random node every this many allocations (0: never)"),
        ],
        expand: expand_pagecache,
    },
    Generator {
        name: "atomic",
        summary: "bursts of atomic high-order allocations (GFP_ATOMIC) between page-cache background load, half of each burst freed: the highatomic reserve forms and is used",
        params: &[
            p("bursts", 8, 10_000, "bursts"),
            p("size", 32, 100_000, "atomic allocations per burst"),
            p("order", 2, 10, "order of the atomic allocations"),
            p("background", 0, GENERATED_OPS_MAX, "order-0 page-cache allocations spread between the bursts (0: 95% of managed memory, so the bursts meet the low watermark and take the slow path while reclaim frees page cache)"),
        ],
        expand: expand_atomic,
    },
    Generator {
        name: "numa",
        summary: "NUMA-local versus remote allocation: order-0 kernel allocations from random CPUs, remote% of them aimed at another node with node=, a third of them freed halfway",
        params: &[
            p("count", 2000, GENERATED_OPS_MAX, "allocations"),
            p("remote", 25, 100, "percent aimed at a node other than the CPU's"),
        ],
        expand: expand_numa,
    },
];

/// The seed the `ordinal`-th `generate` statement of a run (from 1) draws from, for
/// the run's seed: each statement has its own stream.
pub fn stream_seed(seed: u64, ordinal: u64) -> u64 {
    seed.wrapping_add(ordinal.wrapping_mul(0x9e37_79b9_7f4a_7c15))
}

/// The generator called `name`.
pub fn generator(name: &str) -> Option<&'static Generator> {
    GENERATORS.iter().find(|g| g.name == name)
}

/// What a generator needs to know of the machine it runs on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MachineFacts {
    /// Managed pages of every zone.
    pub managed_pages: u64,
    /// Nodes with memory, and every node's CPUs.
    pub nodes: Vec<(u32, u64, Vec<u32>)>,
    /// Online CPUs.
    pub cpus: Vec<u32>,
}

impl MachineFacts {
    pub fn of(allocator: &Allocator) -> MachineFacts {
        MachineFacts {
            managed_pages: allocator.zones().iter().map(|z| z.managed).sum(),
            nodes: allocator
                .nodes()
                .iter()
                .map(|n| {
                    let managed = allocator
                        .zones()
                        .iter()
                        .filter(|z| z.nid == n.nid)
                        .map(|z| z.managed)
                        .sum();
                    (n.nid, managed, n.cpus.clone())
                })
                .collect(),
            cpus: allocator.online_cpus().to_vec(),
        }
    }

    fn node_of(&self, cpu: u32) -> Option<u32> {
        self.nodes
            .iter()
            .find(|(_, _, cpus)| cpus.contains(&cpu))
            .map(|(id, _, _)| *id)
    }
}

/// A parameter value: the statement's, else the default.
fn value(generator: &Generator, params: &[(String, u64)], name: &str) -> u64 {
    params
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| *v)
        .or_else(|| {
            generator
                .params
                .iter()
                .find(|p| p.name == name)
                .map(|p| p.default)
        })
        .unwrap_or(0)
}

/// One generated statement as the builder keeps it: the three kinds a generator
/// writes, with the group named by its number in [`Expansion::groups`]. A million
/// of them is what one `generate` makes, so they stay small (no name string each)
/// and the runner runs them as they are ([`crate::workload::run`]); each stands for
/// exactly the [`Statement`] [`Expansion::statement`] writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Generated {
    /// `alloc gN_KIND order=O gfp=G cpu=C [node=N]` (one allocation, no nodemask).
    Alloc {
        group: u32,
        order: u32,
        gfp: Gfp,
        use_: PageUse,
        node: i32,
        cpu: Option<u32>,
    },
    /// `free gN_KIND[index]`.
    Free { group: u32, index: usize },
    /// `kswapd node=N`.
    Kswapd { node: u32 },
}

/// A generator's statements: the groups' names (`{prefix}_KIND`, each once, in the
/// order first used) and the statements naming them by number.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Expansion {
    pub groups: Vec<String>,
    pub items: Vec<Generated>,
}

impl Expansion {
    /// The name of group `group` (empty if there is none: the builder numbers only
    /// the groups it names).
    pub fn group_name(&self, group: u32) -> &str {
        self.groups.get(group as usize).map_or("", String::as_str)
    }

    /// The workload statement `item` stands for.
    pub fn statement(&self, item: &Generated) -> Statement {
        match *item {
            Generated::Alloc {
                group,
                order,
                gfp,
                use_,
                node,
                cpu,
            } => Statement::Alloc {
                name: Some(self.group_name(group).to_string()),
                order,
                gfp,
                count: 1,
                node,
                nodemask: None,
                cpu,
                use_,
            },
            Generated::Free { group, index } => {
                Statement::Free(FreeTarget::Index(self.group_name(group).to_string(), index))
            }
            Generated::Kswapd { node } => Statement::Kswapd { node },
        }
    }
}

/// Builds the statements, tracking each group's allocation count so frees can name
/// indexes.
struct Builder {
    prefix: String,
    out: Expansion,
    /// Per group (numbered as in `out.groups`): its kind and allocations so far.
    groups: Vec<(String, usize)>,
    rng: Rng,
    cpus: Vec<u32>,
    /// Statements kept at most.
    cap: usize,
}

impl Builder {
    /// The number of group `kind`, named `{prefix}_{kind}` the first time.
    fn group(&mut self, kind: &str) -> u32 {
        if let Some(at) = self.groups.iter().position(|(k, _)| k == kind) {
            return at as u32;
        }
        self.groups.push((kind.to_string(), 0));
        self.out.groups.push(format!("{}_{kind}", self.prefix));
        (self.groups.len() - 1) as u32
    }

    fn cpu(&mut self) -> Option<u32> {
        if self.cpus.len() <= 1 {
            return self.cpus.first().copied();
        }
        let at = self.rng.below(self.cpus.len() as u64) as usize;
        self.cpus.get(at).copied()
    }

    /// One allocation; returns its index in its group.
    fn alloc(&mut self, kind: &str, order: u32, gfp: Gfp, use_: PageUse, node: i32) -> usize {
        let cpu = self.cpu();
        self.alloc_on(kind, order, gfp, use_, node, cpu)
    }

    fn alloc_on(
        &mut self,
        kind: &str,
        order: u32,
        gfp: Gfp,
        use_: PageUse,
        node: i32,
        cpu: Option<u32>,
    ) -> usize {
        let group = self.group(kind);
        let index = match self.groups.get_mut(group as usize) {
            Some((_, count)) => {
                *count += 1;
                *count - 1
            }
            None => 0,
        };
        self.push(Generated::Alloc {
            group,
            order,
            gfp,
            use_,
            node,
            cpu,
        });
        index
    }

    fn free(&mut self, kind: &str, index: usize) {
        let group = self.group(kind);
        self.push(Generated::Free { group, index });
    }

    /// Makes room for `more` statements at once (at most up to the cap): a
    /// generator that knows its length is then one allocation of the right size,
    /// not a doubling series whose freed steps a wasm heap keeps.
    fn reserve(&mut self, more: u64) {
        let room = self.cap.saturating_sub(self.out.items.len());
        let more = usize::try_from(more).unwrap_or(usize::MAX).min(room);
        self.out.items.reserve_exact(more);
    }

    /// Adds a statement unless the cap is reached.
    fn push(&mut self, statement: Generated) {
        if self.out.items.len() < self.cap {
            self.out.items.push(statement);
        }
    }
}

const GFP_KERNEL: Gfp = Gfp(0xcc0);

fn mask(name: &str) -> Gfp {
    Gfp::parse(name).unwrap_or(GFP_KERNEL)
}

/// Expands generator `name` with `params` for the machine `facts`, drawing from
/// `seed`; the groups are named `{prefix}_KIND`. Unknown names and parameters were
/// refused when the statement was read, so here they fall back to defaults.
pub fn expand(
    name: &str,
    params: &[(String, u64)],
    facts: &MachineFacts,
    seed: u64,
    prefix: &str,
) -> Vec<Statement> {
    expand_at_most(name, params, facts, seed, prefix, GENERATED_STATEMENTS_MAX)
}

/// [`expand`], keeping only the first `max_statements` statements (and at most
/// [`GENERATED_STATEMENTS_MAX`]). The workload runner passes twice the operations
/// its run may still apply, plus two: every generated `free` names an allocation
/// generated before it and no allocation is freed twice, so any first K statements
/// hold at least K/2 allocations (or kswapd runs), each an operation, and the run
/// stops inside the kept statements. The cut changes nothing the run does; it only
/// keeps a large generator from filling memory with statements that never run.
pub fn expand_at_most(
    name: &str,
    params: &[(String, u64)],
    facts: &MachineFacts,
    seed: u64,
    prefix: &str,
    max_statements: usize,
) -> Vec<Statement> {
    let expansion = expand_generated(name, params, facts, seed, prefix, max_statements);
    expansion
        .items
        .iter()
        .map(|item| expansion.statement(item))
        .collect()
}

/// [`expand_at_most`] in the builder's own form, which the workload runner runs
/// without writing a statement (with its name) for every operation.
pub(crate) fn expand_generated(
    name: &str,
    params: &[(String, u64)],
    facts: &MachineFacts,
    seed: u64,
    prefix: &str,
    max_statements: usize,
) -> Expansion {
    let Some(generator) = generator(name) else {
        return Expansion::default();
    };
    let mut b = Builder {
        prefix: prefix.to_string(),
        out: Expansion::default(),
        cap: max_statements.min(GENERATED_STATEMENTS_MAX),
        groups: Vec::new(),
        rng: Rng::new(seed),
        cpus: facts.cpus.clone(),
    };
    let values = Values { generator, params };
    (generator.expand)(&mut b, &values, facts);
    b.out
}

/// A generator's parameter values as one statement gives them.
struct Values<'a> {
    generator: &'a Generator,
    params: &'a [(String, u64)],
}

impl Values<'_> {
    /// The statement's value of `key`, else the generator's default.
    fn get(&self, key: &str) -> u64 {
        value(self.generator, self.params, key)
    }
}

/// `steady`: allocate while below fill% of memory (or by coin), else free a random
/// live allocation; orders drawn with weight 2^(max_order - k).
fn expand_steady(b: &mut Builder, v: &Values<'_>, facts: &MachineFacts) {
    let target_pages = facts.managed_pages * v.get("fill") / 100;
    steady(b, v.get("ops"), v.get("max_order") as u32, target_pages);
}

/// `fragment`: movable pages fill memory, holes come back, unmovable allocations
/// fall into the holes, the rest comes back, then order-9 probes find no pageblock.
fn expand_fragment(b: &mut Builder, v: &Values<'_>, facts: &MachineFacts) {
    let movable = mask("GFP_HIGHUSER_MOVABLE");
    let pages = match v.get("pages") {
        0 => facts.managed_pages,
        n => n,
    }
    .min(GENERATED_OPS_MAX);
    let every = v.get("unmovable_every").max(1);
    // Movable pages fill memory; holes% of them, at random, come back. With
    // few holes per pageblock a steal cannot claim the pageblock.
    for _ in 0..pages {
        b.alloc("movable", 0, movable, PageUse::Anon, -1);
    }
    let mut order: Vec<usize> = (0..pages as usize).collect();
    shuffle(&mut b.rng, &mut order);
    let holes = order.len() * v.get("holes") as usize / 100;
    for &index in order.iter().take(holes) {
        b.free("movable", index);
    }
    // Unmovable requests now find only small free blocks in movable
    // pageblocks: they steal without claiming, one pageblock after another.
    for _ in 0..pages / every {
        b.alloc("unmovable", 0, GFP_KERNEL, PageUse::Kernel, -1);
    }
    for &index in order.iter().skip(holes) {
        b.free("movable", index);
    }
    for _ in 0..v.get("probe") {
        b.alloc("probe", 9, mask("GFP_TRANSHUGE_LIGHT"), PageUse::Kernel, -1);
    }
}

/// `thp`: page cache fills memory, holes are punched at random, then order-9
/// GFP_TRANSHUGE requests.
fn expand_thp(b: &mut Builder, v: &Values<'_>, facts: &MachineFacts) {
    let movable = mask("GFP_HIGHUSER_MOVABLE");
    let fill = (facts.managed_pages * v.get("fill") / 100).min(GENERATED_OPS_MAX);
    for _ in 0..fill {
        b.alloc("cache", 0, movable, PageUse::PageCache, -1);
    }
    let holes = fill * v.get("holes") / 100;
    let mut order: Vec<usize> = (0..fill as usize).collect();
    shuffle(&mut b.rng, &mut order);
    for &index in order.iter().take(holes as usize) {
        b.free("cache", index);
    }
    for _ in 0..v.get("count") {
        b.alloc("thp", 9, mask("GFP_TRANSHUGE"), PageUse::Anon, -1);
    }
}

/// The nodes that have memory, which `kswapd` and `node=` may name.
fn nodes_with_memory(facts: &MachineFacts) -> Vec<u32> {
    facts
        .nodes
        .iter()
        .filter(|(_, managed, _)| *managed > 0)
        .map(|(id, _, _)| *id)
        .collect()
}

/// `pagecache`: page cache past the size of memory, a kernel page now and then,
/// kswapd on a random node every `kswapd_every` pages.
fn expand_pagecache(b: &mut Builder, v: &Values<'_>, facts: &MachineFacts) {
    let movable = mask("GFP_HIGHUSER_MOVABLE");
    let pages = match v.get("pages") {
        0 => facts.managed_pages * 12 / 10,
        n => n,
    }
    .min(GENERATED_OPS_MAX);
    let every = v.get("kswapd_every");
    let nodes = nodes_with_memory(facts);
    for i in 1..=pages {
        if b.rng.below(64) == 0 {
            b.alloc("kernel", 0, GFP_KERNEL, PageUse::Kernel, -1);
        }
        b.alloc("cache", 0, movable, PageUse::PageCache, -1);
        if every > 0 && i % every == 0 && !nodes.is_empty() {
            let at = b.rng.below(nodes.len() as u64) as usize;
            if let Some(&node) = nodes.get(at) {
                b.push(Generated::Kswapd { node });
            }
        }
    }
}

/// `atomic`: page-cache background between bursts of GFP_ATOMIC allocations, half
/// of each burst freed at random.
fn expand_atomic(b: &mut Builder, v: &Values<'_>, facts: &MachineFacts) {
    let movable = mask("GFP_HIGHUSER_MOVABLE");
    let bursts = v.get("bursts").max(1);
    let background = match v.get("background") {
        0 => facts.managed_pages * 95 / 100,
        n => n,
    }
    .min(GENERATED_OPS_MAX);
    let per_gap = background / bursts;
    let order = v.get("order") as u32;
    let mut anon = 0usize;
    for _ in 0..bursts {
        for _ in 0..per_gap {
            b.alloc("background", 0, movable, PageUse::PageCache, -1);
            anon += 1;
        }
        // Some background pages come back, leaving holes for fallbacks.
        for _ in 0..per_gap / 50 {
            let index = b.rng.below(anon.max(1) as u64) as usize;
            if anon > 0 {
                b.free("background", index);
            }
        }
        let first = b.alloc("atomic", order, mask("GFP_ATOMIC"), PageUse::Kernel, -1);
        let mut burst = vec![first];
        for _ in 1..v.get("size") {
            burst.push(b.alloc("atomic", order, mask("GFP_ATOMIC"), PageUse::Kernel, -1));
        }
        shuffle(&mut b.rng, &mut burst);
        for &index in burst.iter().take(burst.len() / 2) {
            b.free("atomic", index);
        }
    }
}

/// `numa`: order-0 kernel allocations from random CPUs, remote% aimed at another
/// node, a third of every group freed halfway.
fn expand_numa(b: &mut Builder, v: &Values<'_>, facts: &MachineFacts) {
    let count = v.get("count");
    let remote = v.get("remote");
    let nodes = nodes_with_memory(facts);
    for i in 0..count {
        let cpu = b.cpu();
        let local = cpu.and_then(|c| facts.node_of(c));
        let others: Vec<u32> = nodes
            .iter()
            .copied()
            .filter(|n| Some(*n) != local)
            .collect();
        let node = if !others.is_empty() && b.rng.below(100) < remote {
            let at = b.rng.below(others.len() as u64) as usize;
            others.get(at).map_or(-1, |&node| node as i32)
        } else {
            -1
        };
        let kind = if node < 0 { "local" } else { "remote" };
        b.alloc_on(kind, 0, GFP_KERNEL, PageUse::Kernel, node, cpu);
        if i + 1 == count / 2 {
            free_a_third_of_each_group(b);
        }
    }
}

/// Frees every third allocation of every group made so far.
fn free_a_third_of_each_group(b: &mut Builder) {
    let groups = b.groups.clone();
    for (kind, made) in groups {
        for index in (0..made).step_by(3) {
            b.free(&kind, index);
        }
    }
}

/// The steady generator: allocate while below `target_pages` (or by coin), else free
/// a random live allocation.
fn steady(b: &mut Builder, ops: u64, max_order: u32, target_pages: u64) {
    let mut live: Vec<(usize, u64)> = Vec::new();
    let mut live_pages = 0u64;
    let movable = mask("GFP_HIGHUSER_MOVABLE");
    let atomic = mask("GFP_ATOMIC");
    // Order k is drawn with weight 2^(max_order - k).
    let total_weight: u64 = (0..=max_order).map(|k| 1u64 << (max_order - k)).sum();
    // One statement an operation.
    b.reserve(ops);
    for _ in 0..ops {
        let grow = live.is_empty() || (live_pages < target_pages && b.rng.below(10) < 7);
        if grow {
            let mut pick = b.rng.below(total_weight);
            let mut order = 0;
            for k in 0..=max_order {
                let weight = 1u64 << (max_order - k);
                if pick < weight {
                    order = k;
                    break;
                }
                pick -= weight;
            }
            let (gfp, use_) = match b.rng.below(10) {
                0..=4 => (
                    movable,
                    if order == 0 {
                        PageUse::Anon
                    } else {
                        PageUse::Kernel
                    },
                ),
                5..=8 => (GFP_KERNEL, PageUse::Kernel),
                _ => (atomic, PageUse::Kernel),
            };
            let index = b.alloc("mixed", order, gfp, use_, -1);
            live.push((index, 1 << order));
            live_pages += 1 << order;
        } else {
            let at = b.rng.below(live.len() as u64) as usize;
            let (index, pages) = live.swap_remove(at);
            live_pages -= pages;
            b.free("mixed", index);
        }
    }
}

/// Fisher-Yates with the seeded generator.
fn shuffle<T>(rng: &mut Rng, items: &mut [T]) {
    for i in (1..items.len()).rev() {
        let j = rng.below(i as u64 + 1) as usize;
        items.swap(i, j);
    }
}
