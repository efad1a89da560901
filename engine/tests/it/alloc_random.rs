//! Seeded random workloads on whole machines through the real allocation and free
//! paths (pcp lists, watermarks, fallback, stealing), with every invariant checked
//! after every operation. Seeds 1 to 12, 4 000 × `BUDDYSCOPE_SIZE` operations each; a
//! failure prints the seed and the command that replays it (common/seeded.rs).

use buddyscope_engine::alloc::reclaim::PageUse;
use buddyscope_engine::alloc::Allocator;
use buddyscope_engine::machine::{Machine, MachineConfig, NodeConfig};
use buddyscope_engine::types::gfp::Gfp;
use buddyscope_engine::types::{Kernel, PfnRange};
use buddyscope_engine::{Event, Pfn, Rng};

use crate::common::seeded;

const MASKS: [&str; 6] = [
    "GFP_NOWAIT|__GFP_NOWARN",
    "GFP_NOWAIT|__GFP_MOVABLE|__GFP_HIGHMEM|__GFP_NOWARN",
    "GFP_NOWAIT|__GFP_RECLAIMABLE|__GFP_NOWARN",
    "GFP_ATOMIC|__GFP_NOWARN",
    "GFP_KERNEL|__GFP_NOWARN",
    "GFP_DMA32|__GFP_NOWARN",
];

/// A small random machine: one or two nodes of 16-64 MiB, so pressure comes fast.
fn machine(rng: &mut Rng, kernel: Kernel) -> Machine {
    let nodes = 1 + rng.below(2);
    let mut start = 0x100u64;
    let config = MachineConfig {
        nodes: (0..nodes)
            .map(|n| {
                let pages = (4 + rng.below(13)) << 10;
                let memory = vec![PfnRange {
                    start,
                    end: start + pages,
                }];
                start += pages + rng.below(4) * 1024;
                NodeConfig {
                    memory,
                    cpus: vec![n as u32],
                }
            })
            .collect(),
        kernel,
        ..MachineConfig::default()
    };
    Machine::build(&config).expect("a valid random machine")
}

fn run(seed: u64, ops: u64, kernel: Kernel) -> Result<(), String> {
    let mut rng = Rng::new(seed);
    let machine = machine(&mut rng, kernel);
    let mut allocator = Allocator::from_machine(&machine).map_err(|e| e.to_string())?;
    allocator.check_invariants()?;
    let masks: Vec<Gfp> = MASKS.iter().map(|m| Gfp::parse(m).unwrap()).collect();
    // Live allocations by owner id: reclaim takes some away, compaction moves some.
    let mut live: Vec<(u64, Pfn, u32)> = Vec::new();
    let mut next_owner = 0u64;
    let (mut successes, mut failures) = (0u64, 0u64);
    let uses = [PageUse::Kernel, PageUse::PageCache, PageUse::Anon];
    allocator.set_swap(rng.below(2) == 0);
    for step in 0..ops {
        let cpu = allocator.online_cpus()[rng.below(allocator.online_cpus().len() as u64) as usize];
        allocator.set_cpu(cpu).map_err(|e| e.to_string())?;
        let roll = rng.below(1000);
        let mut events = Vec::new();
        if roll < 550 || live.is_empty() {
            let order = [0, 0, 0, 0, 1, 2, 3, 4, 9, 10][rng.below(10) as usize];
            let gfp = masks[rng.below(masks.len() as u64) as usize];
            let node = rng.below(allocator.nodes().len() as u64) as i32;
            let use_ = uses[rng.below(3) as usize];
            let owner = next_owner;
            next_owner += 1;
            match allocator.alloc_for(node, gfp, order, use_, owner, &mut events) {
                Ok(Some(a)) => {
                    live.push((owner, a.pfn, order));
                    successes += 1;
                }
                Ok(None) => failures += 1,
                Err(e) => return Err(format!("step {step}: {e}")),
            }
        } else if roll < 980 {
            let (_, pfn, order) = live.swap_remove(rng.below(live.len() as u64) as usize);
            allocator
                .free_owned(pfn, order, &mut events)
                .map_err(|e| format!("step {step}: free {pfn} order {order}: {e}"))?;
        } else if roll < 990 {
            allocator.drain_all_pages(&mut events);
        } else if roll < 995 {
            let node = allocator.nodes()[rng.below(allocator.nodes().len() as u64) as usize].nid;
            allocator
                .run_kswapd(node, &mut events)
                .map_err(|e| e.to_string())?;
        } else {
            allocator.compact_memory(&mut events);
        }
        for event in &events {
            match *event {
                Event::Reclaimed { owner, .. } => live.retain(|(o, _, _)| *o != owner),
                Event::Migrated { to, owner, .. } => {
                    if let Some(entry) = live.iter_mut().find(|(o, _, _)| *o == owner) {
                        entry.1 = to;
                    }
                }
                _ => {}
            }
        }
        allocator
            .check_invariants()
            .map_err(|e| format!("step {step}: {e}"))?;
    }
    // Bad input leaves the state as it was.
    let before = allocator.clone();
    if let Some(&(_, pfn, order)) = live.first() {
        let wrong = if order == 0 { 1 } else { 0 };
        if allocator.free_pages(pfn, wrong, &mut ()).is_ok() {
            return Err(format!(
                "freeing {pfn} with the wrong order {wrong} was accepted"
            ));
        }
    }
    if allocator.alloc_pages_node(0, masks[0], 11, &mut ()).is_ok()
        || allocator.alloc_pages_node(99, masks[0], 0, &mut ()).is_ok()
    {
        return Err("an order above 10 or a missing node was accepted".into());
    }
    if before != allocator {
        return Err("a refused operation changed the state".into());
    }
    // Everything freed and drained: every managed page is free again.
    for (_, pfn, order) in live.drain(..) {
        allocator
            .free_owned(pfn, order, &mut ())
            .map_err(|e| e.to_string())?;
    }
    allocator.drain_all_pages(&mut ());
    for zone in allocator.zones() {
        if zone.buddy.free_pages() != zone.managed {
            return Err(format!(
                "zone {}:{}: {} of {} managed pages free after freeing everything",
                zone.nid,
                zone.zone.name(),
                zone.buddy.free_pages(),
                zone.managed
            ));
        }
    }
    allocator.check_invariants()?;
    eprintln!(
        "seed {seed}: {} zones, {successes} allocations, {failures} NULL",
        allocator.zones().len()
    );
    Ok(())
}

#[test]
fn random_workloads_keep_every_invariant() {
    let ops = 4_000 * seeded::size();
    seeded::run(
        "alloc_random::random_workloads_keep_every_invariant",
        12,
        |seed| run(seed, ops, Kernel::V6_1),
    );
}

/// The same on Linux 6.12's paths (per-cpu high tuning, claim and steal, the
/// per-migratetype accounting), with 6.12's own invariants: `nr_free_highatomic`
/// equal to the pages on the highatomic lists.
#[test]
fn random_workloads_keep_every_invariant_on_6_12() {
    let ops = 4_000 * seeded::size();
    seeded::run(
        "alloc_random::random_workloads_keep_every_invariant_on_6_12",
        12,
        |seed| run(seed, ops, Kernel::V6_12),
    );
}
