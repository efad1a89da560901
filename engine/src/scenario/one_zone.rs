//! The one-zone scenario `buddyscope zone` runs: a machine whose only memory is one
//! pfn range, booted by the same setup as every other scenario, so its allocations
//! take the full path (zonelist, watermarks, per-cpu lists, fallback stealing).

use super::Scenario;
use crate::alloc::reclaim::PageUse;
use crate::machine::{MachineConfig, NodeConfig, ThpMode};
use crate::rng::Rng;
use crate::types::gfp::Gfp;
use crate::types::PfnRange;
use crate::workload::{format_statements, FreeTarget, Statement};

/// Where the zone starts by default: pfn 0x1000 (16 MiB), where ZONE_DMA32 starts on
/// x86_64, so the default zone is a DMA32 zone.
pub const ONE_ZONE_START_PFN: u64 = 0x1000;
/// How many pages it has by default: 4000 (about 15.6 MiB), deliberately not a power
/// of two, so boot leaves blocks of several orders at its end.
pub const ONE_ZONE_PAGES: u64 = 4000;
/// Allocations the warm-up makes, of seeded random orders 0 to 4.
pub const WARM_UP_ALLOCATIONS: u32 = 40;
/// The seed the warm-up's orders are drawn from.
pub const WARM_UP_SEED: u64 = 1;

/// One node with CPU 0 and the memory `[start_pfn, start_pfn + pages)`. Which zone
/// that is follows from the address as at boot: below 16 MiB ZONE_DMA, below 4 GiB
/// ZONE_DMA32, above ZONE_NORMAL; a range across 16 MiB or 4 GiB makes two zones, as
/// it would in the kernel. Nothing is checked here: an impossible range (no pages,
/// past the 64 TiB limit) is refused by [`crate::machine::Machine::build`] with its
/// message, like any other scenario's.
///
/// With `warm_up`, the workload is [`warm_up_script`], so split and merged blocks
/// are there before the user's first operation.
pub fn one_zone(start_pfn: u64, pages: u64, warm_up: bool) -> Scenario {
    let end = start_pfn.saturating_add(pages);
    Scenario {
        machine: MachineConfig {
            nodes: vec![NodeConfig {
                memory: vec![PfnRange {
                    start: start_pfn,
                    end,
                }],
                cpus: vec![0],
            }],
            // hugepage_init() turns THP off below 512 MiB anyway (with a warning);
            // off everywhere, a larger zone keeps the min_free_kbytes of its size
            // instead of khugepaged's raised one, and the zone stays about buddy lists.
            thp: ThpMode::Never,
            ..MachineConfig::default()
        },
        workload: warm_up.then(warm_up_script),
        title: Some(format!("One zone: pfns {start_pfn:#x}-{end:#x}")),
        ..Scenario::default()
    }
}

/// The warm-up, as ordinary workload text: [`WARM_UP_ALLOCATIONS`] GFP_KERNEL
/// allocations named `warm`, of orders 0 to 4 drawn from [`Rng`] with
/// [`WARM_UP_SEED`], then every third of them freed (`free warm every=3`: the first,
/// the fourth, ...). The same text every time.
pub fn warm_up_script() -> String {
    let mut rng = Rng::new(WARM_UP_SEED);
    let mut statements: Vec<Statement> = (0..WARM_UP_ALLOCATIONS)
        .map(|_| Statement::Alloc {
            name: Some("warm".to_string()),
            order: rng.below(5) as u32,
            gfp: Gfp::KERNEL,
            count: 1,
            node: -1,
            nodemask: None,
            cpu: None,
            use_: PageUse::Kernel,
        })
        .collect();
    statements.push(Statement::Free(FreeTarget::Every("warm".to_string(), 3)));
    format_statements(&statements)
}
