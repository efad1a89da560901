//! Random machines and random operation sequences driven by any source of choices:
//! a seeded `Rng` in engine/tests/it/simulation.rs, the fuzzer's bytes in
//! fuzz/fuzz_targets/operations.rs (which includes this file by path). Every
//! operation goes through `Session::apply` (or a `generate` statement through the
//! workload runner), and the invariant checker runs after each one.

use buddyscope_engine::alloc::reclaim::PageUse;
use buddyscope_engine::alloc::Allocator;
use buddyscope_engine::machine::Machine;
use buddyscope_engine::scenario::parse_scenario;
use buddyscope_engine::session::{Operation, Session};
use buddyscope_engine::types::gfp::Gfp;
use buddyscope_engine::workload::{parse_workload, run_workload_seeded};

/// A source of choices.
pub trait Choose {
    /// A number in `0..bound` (`bound` > 0).
    fn below(&mut self, bound: u64) -> u64;

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
}

impl Choose for buddyscope_engine::Rng {
    fn below(&mut self, bound: u64) -> u64 {
        buddyscope_engine::Rng::below(self, bound)
    }
}

/// Choices read from bytes (the fuzzer's), two at a time; zeros once they run out.
pub struct Bytes<'a> {
    pub data: &'a [u8],
}

impl Choose for Bytes<'_> {
    fn below(&mut self, bound: u64) -> u64 {
        let (value, rest) = match self.data {
            [a, b, rest @ ..] => (u64::from(*a) << 8 | u64::from(*b), rest),
            [a] => (u64::from(*a), &[][..]),
            [] => (0, &[][..]),
        };
        self.data = rest;
        value % bound
    }
}

/// The operations fuzz target's run: the bytes choose a machine of 1 to 72 MiB (the
/// checker's cost grows with pages, and small machines still have every zone, node,
/// section and pageblock case), then up to 64 operations or `generate` statements
/// (each with its own seed and at most 32 operations), each checked. `Err` names
/// what went wrong and the machine.
pub fn run_bytes(data: &[u8]) -> Result<(), String> {
    let mut bytes = Bytes { data };
    let text = machine_toml(&mut bytes, 1..9);
    let Some(mut session) = boot(&text) else {
        return Ok(());
    };
    let mut steps = 0;
    while !bytes.data.is_empty() && steps < 64 {
        steps += 1;
        let result = if bytes.below(50) == 0 {
            let statement = generate_statement(&mut bytes);
            let seed = bytes.below(1 << 16);
            generate_checked(&mut session, &statement, seed, 32)
        } else {
            let operation = operation(&mut bytes, &session);
            apply_checked(&mut session, operation)
        };
        result.map_err(|message| format!("{message}\nmachine:\n{text}"))?;
    }
    Ok(())
}

const MASKS: &[&str] = &[
    "GFP_KERNEL",
    "GFP_KERNEL|__GFP_NOWARN",
    "GFP_NOWAIT|__GFP_NOWARN",
    "GFP_ATOMIC",
    "GFP_HIGHUSER_MOVABLE",
    "GFP_USER|__GFP_RECLAIMABLE",
    "GFP_DMA32",
    "GFP_DMA",
    "GFP_TRANSHUGE",
    "GFP_TRANSHUGE_LIGHT",
    "GFP_KERNEL|__GFP_THISNODE",
    "GFP_KERNEL|__GFP_NORETRY",
    "GFP_KERNEL|__GFP_RETRY_MAYFAIL",
    "GFP_NOIO",
    "GFP_NOFS",
];

const SYSCTLS: &[(&str, &[&str])] = &[
    ("min_free_kbytes", &["128", "1024", "8192", "0", "99999999"]),
    ("watermark_scale_factor", &["1", "10", "300", "1000", "0"]),
    ("watermark_boost_factor", &["0", "15000", "40000"]),
    (
        "lowmem_reserve_ratio",
        &["256,256,32,0,0", "1,1,1,0,0", "0,0,0,0,0", "1,2"],
    ),
    ("percpu_pagelist_high_fraction", &["0", "8", "100", "3"]),
    ("thp", &["always", "madvise", "never", "sometimes"]),
];

/// The text of a small random machine: one to three nodes, each of one to three
/// memory ranges of a size in `range_mib` MiB, with holes between and inside nodes,
/// 4-128 MiB sections, optional kernelcore or movablecore, CMA, THP mode, SLIT and
/// reserved memory. It goes through the scenario parser and `Machine::build`, so it
/// may be refused; callers skip those. The simulation asks for 4-51 MiB ranges (16 to
/// 460 MiB machines); the fuzzer for 1-8 MiB ones, because the invariant checker runs
/// after every operation and its cost grows with the number of pages.
pub fn machine_toml(c: &mut impl Choose, range_mib: std::ops::Range<u64>) -> String {
    let nodes = 1 + c.below(3);
    let mut out = String::from("version = 1\n[machine]\n");
    out += &format!("section_size_bits = {}\n", 22 + c.below(6));
    match c.below(4) {
        0 => out += &format!("movablecore = \"{}%\"\n", 5 + c.below(60)),
        1 => out += &format!("kernelcore = \"{}M\"\n", 4 + c.below(64)),
        _ => {}
    }
    if c.chance(30) {
        out += &format!("cma = \"{}M\"\n", 1 + c.below(16));
    }
    out += &format!("thp = \"{}\"\n", c.pick(&["always", "madvise", "never"]));
    if nodes > 1 && c.chance(50) {
        let rows: Vec<String> = (0..nodes)
            .map(|i| {
                let row: Vec<String> = (0..nodes)
                    .map(|j| if i == j { 10 } else { 12 + 4 * c.below(5) }.to_string())
                    .collect();
                format!("[{}]", row.join(", "))
            })
            .collect();
        out += &format!("distances = [{}]\n", rows.join(", "));
    }
    // Physical addresses in MiB; DMA below 16 MiB exists only when memory starts low.
    let mut at_mib = if c.chance(50) { 0 } else { 8 * c.below(4) };
    let mut node_text = String::new();
    let mut cpu = 0;
    for _ in 0..nodes {
        node_text += "[[machine.nodes]]\nmemory = [";
        let ranges = 1 + c.below(3);
        for r in 0..ranges {
            let size_mib = range_mib.start + c.below(range_mib.end - range_mib.start);
            let start = if at_mib == 0 { 0x1000 } else { at_mib << 20 };
            let end = ((at_mib + size_mib) << 20) - 1;
            node_text += &format!("{}\"{start:#x}-{end:#x}\"", if r > 0 { ", " } else { "" });
            at_mib += size_mib + 4 * c.below(3);
        }
        let cpus = 1 + c.below(2);
        node_text += &format!("]\ncpus = \"{}-{}\"\n", cpu, cpu + cpus - 1);
        cpu += cpus;
    }
    if c.chance(20) {
        let start = (8 + c.below(at_mib.max(9) - 8)) << 20;
        out += &format!("reserved = [\"{start:#x}-{:#x}\"]\n", start + (1 << 20) - 1);
    }
    out + &node_text
}

/// A session on the machine `text` describes, or `None` if it is refused.
pub fn boot(text: &str) -> Option<Session> {
    let scenario = parse_scenario(text).ok()?;
    let machine = Machine::build(&scenario.machine).ok()?;
    let allocator = Allocator::from_machine(&machine).ok()?;
    allocator
        .check_invariants()
        .unwrap_or_else(|e| panic!("at boot: {e}"));
    Some(Session::new(allocator))
}

/// One random operation for `session`: mostly valid, now and then one that must be
/// refused (a CPU or node that does not exist, a section that is not there).
pub fn operation(c: &mut impl Choose, session: &Session) -> Operation {
    let allocator = session.current();
    let cpus = allocator.online_cpus().len() as u64;
    let nodes = allocator.nodes().len() as u64;
    let cpu = |c: &mut dyn FnMut(u64) -> u64| -> Option<u32> {
        match c(10) {
            0 => None,
            1 => Some(c(300) as u32),
            _ => Some(allocator.online_cpus()[c(cpus) as usize]),
        }
    };
    match c.below(100) {
        0..=49 => Operation::Alloc {
            order: *c.pick(&[0, 0, 0, 0, 1, 2, 3, 4, 9, 10, 11]),
            gfp: Gfp::parse(c.pick::<&str>(MASKS)).unwrap(),
            node: c.below(nodes + 2) as i32 - 1,
            nodemask: if c.chance(15) {
                Some(
                    (0..1 + c.below(3))
                        .map(|_| c.below(nodes + 1) as u32)
                        .collect(),
                )
            } else {
                None
            },
            cpu: cpu(&mut |b| c.below(b)),
            use_: *c.pick(&[PageUse::Kernel, PageUse::PageCache, PageUse::Anon]),
        },
        50..=84 => {
            let made = session.allocations_made() as u64;
            // Mostly a live allocation; sometimes one already freed or never made.
            let index = if made > 0 && c.chance(90) {
                c.below(made)
            } else {
                made + c.below(3)
            } as usize;
            Operation::Free {
                index,
                cpu: cpu(&mut |b| c.below(b)),
            }
        }
        85..=87 => match cpu(&mut |b| c.below(b)) {
            Some(cpu) => Operation::DrainLocal { cpu },
            None => Operation::DrainAll,
        },
        88..=89 => Operation::RunKswapd {
            node: c.below(nodes + 1) as u32,
        },
        90 => Operation::CompactMemory,
        91 => Operation::DropCaches,
        92..=94 => {
            let (name, values) = *c.pick(SYSCTLS);
            Operation::Sysctl {
                name: name.to_string(),
                value: c.pick(values).to_string(),
            }
        }
        _ => {
            let sections = allocator
                .machine()
                .as_ref()
                .map(|m| m.max_pfn >> (u32::from(m.config.section_size_bits) - 12))
                .unwrap_or(0)
                + 2;
            let section = c.below(sections);
            if c.chance(60) {
                Operation::OfflineSection { section }
            } else {
                Operation::OnlineSection { section }
            }
        }
    }
}

/// A `generate` statement with small parameters.
pub fn generate_statement(c: &mut impl Choose) -> String {
    match c.below(6) {
        0 => format!(
            "generate steady ops={} max_order={} fill={}",
            1 + c.below(300),
            c.below(11),
            c.below(96)
        ),
        1 => format!(
            "generate fragment pages={} holes={} unmovable_every={} probe={}",
            1 + c.below(2000),
            c.below(101),
            1 + c.below(32),
            c.below(4)
        ),
        2 => format!(
            "generate thp fill={} count={} holes={}",
            c.below(60),
            c.below(4),
            c.below(91)
        ),
        3 => format!(
            "generate pagecache pages={} kswapd_every={}",
            1 + c.below(3000),
            c.below(500)
        ),
        4 => format!(
            "generate atomic bursts={} size={} order={} background={}",
            1 + c.below(3),
            1 + c.below(20),
            c.below(11),
            1 + c.below(1000)
        ),
        _ => format!(
            "generate numa count={} remote={}",
            1 + c.below(500),
            c.below(101)
        ),
    }
}

/// Applies `operation`, checks every invariant, and on a refusal checks that nothing
/// changed. Returns a description of what went wrong.
pub fn apply_checked(session: &mut Session, operation: Operation) -> Result<(), String> {
    let before = session.current().clone();
    let calls = session.calls().len();
    let described = format!("{operation:?}");
    match session.apply(operation) {
        Ok(_) => {}
        Err(_) => {
            if *session.current() != before || session.calls().len() != calls {
                return Err(format!("{described}: refused but changed the state"));
            }
        }
    }
    session
        .current()
        .check_invariants()
        .map_err(|e| format!("after {described}: {e}"))
}

/// Runs a `generate` statement on `session`, then replays the operations it made one
/// at a time on a copy of the session taken before it: the invariants are checked
/// after each, and the replay must give the same calls (determinism).
pub fn generate_checked(
    session: &mut Session,
    statement: &str,
    seed: u64,
    operations_max: u64,
) -> Result<(), String> {
    let statements = parse_workload(statement).map_err(|e| format!("{statement}: {e}"))?;
    let mut replay = session.clone();
    let first = session.calls().len();
    // A refused generated statement (a node that does not exist) is an error value.
    let _ = run_workload_seeded(session, &statements, Some(operations_max), seed);
    for call in session.calls().range(first, usize::MAX) {
        // kswapd's own calls follow the calls that woke it by themselves: the
        // replay must make them again, identical, so they are not applied here.
        if matches!(call.operation, Operation::KswapdWoken { .. }) {
            continue;
        }
        replay
            .apply(call.operation.clone())
            .map_err(|e| format!("{statement}: replaying {:?}: {e}", call.operation))?;
        replay
            .current()
            .check_invariants()
            .map_err(|e| format!("{statement}: after {:?}: {e}", call.operation))?;
    }
    if replay.calls() != session.calls() || replay.current() != session.current() {
        return Err(format!(
            "{statement}: replaying the same operations differs"
        ));
    }
    Ok(())
}
