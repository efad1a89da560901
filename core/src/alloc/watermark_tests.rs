//! `zone_watermark_fast_ok()` (the verdict alone, for sinks that keep no event)
//! against the terms `zone_watermark_fast_at()` builds for the event: over the states
//! of a small two-zone machine filled and drained by requests of orders 0-3, with and
//! without CMA, a boost and a highatomic reserve, on both kernels, every order, mark,
//! flag set and highest zone must get the same answer from both.

use super::Allocator;
use crate::machine::{Machine, MachineConfig, NodeConfig};
use crate::types::gfp::{alloc_flags as af, Gfp};
use crate::types::{Kernel, Order, Pfn, PfnRange, ZoneType};

/// Flag sets the allocator passes: each mark alone, the slow path's reserves, OOM,
/// CMA, highatomic, no watermarks.
const FLAG_SETS: [u32; 9] = [
    af::WMARK_LOW,
    af::WMARK_MIN,
    af::WMARK_HIGH,
    af::WMARK_MIN | af::MIN_RESERVE,
    af::WMARK_MIN | af::MIN_RESERVE | af::NON_BLOCK,
    af::WMARK_MIN | af::OOM,
    af::WMARK_LOW | af::CMA,
    af::WMARK_MIN | af::HIGHATOMIC | af::MIN_RESERVE,
    af::NO_WATERMARKS,
];

/// GFP_KERNEL, GFP_ATOMIC (with its 6.1 __GFP_ATOMIC bit), GFP_HIGHUSER_MOVABLE.
const GFPS: [Gfp; 3] = [Gfp(0xcc0), Gfp(0xa20), Gfp(0x100cca)];

const HIGHEST: [ZoneType; 3] = [ZoneType::Dma, ZoneType::Dma32, ZoneType::Normal];

/// 44 MiB from pfn 0x100: a DMA zone (below 16 MiB) and a DMA32 zone.
fn machine(kernel: Kernel) -> Machine {
    let config = MachineConfig {
        nodes: vec![NodeConfig {
            memory: vec![PfnRange {
                start: 0x100,
                end: 0x3000,
            }],
            cpus: vec![0],
        }],
        kernel,
        ..MachineConfig::default()
    };
    Machine::build(&config).unwrap()
}

/// Compares both answers for every zone and argument; counts the verdicts.
fn compare_all(allocator: &Allocator, verdicts: &mut [u64; 2], context: &str) {
    for z in 0..allocator.zones.len() {
        for order in Order::all() {
            for mark_index in [None, Some(0), Some(1), Some(2)] {
                for flags in FLAG_SETS {
                    for gfp in GFPS {
                        for highest in HIGHEST {
                            let fast = allocator
                                .zone_watermark_fast_ok(z, order, mark_index, highest, flags, gfp);
                            let terms = allocator
                                .zone_watermark_fast_at(z, order, mark_index, highest, flags, gfp);
                            assert_eq!(
                                fast,
                                terms.ok(),
                                "{context}: zone {z} order {} mark {mark_index:?} flags {flags:#x} \
                                 gfp {:#x} highest {highest:?}: {terms:?}",
                                order.get(),
                                gfp.0,
                            );
                            verdicts[usize::from(fast)] += 1;
                        }
                    }
                }
            }
        }
    }
}

#[test]
fn the_verdict_alone_equals_the_terms_verdict_in_every_state() {
    for kernel in Kernel::ALL {
        for cma in [false, true] {
            let mut allocator = Allocator::from_machine(&machine(kernel)).unwrap();
            allocator.cma = cma;
            let mut verdicts = [0u64; 2];
            let mut held: Vec<(Pfn, u32)> = Vec::new();
            // Fill until requests fail, then free every other block, twice over: the
            // free counts pass through every watermark of both zones.
            for step in 0..12_000u32 {
                let order = if step % 5 == 0 { 3 } else { step % 3 };
                let gfp = GFPS[(step % 3) as usize];
                let freeing = (step / 3000) % 2 == 1;
                if freeing {
                    if let Some((pfn, order)) = held.pop() {
                        allocator.free_pages(pfn, order, &mut ()).unwrap();
                    }
                    if held.len() % 2 == 0 {
                        if let Some((pfn, order)) = held.first().copied() {
                            held.remove(0);
                            allocator.free_pages(pfn, order, &mut ()).unwrap();
                        }
                    }
                } else if let Ok(Some(a)) = allocator.alloc_pages_node(-1, gfp, order, &mut ()) {
                    held.push((a.pfn, order));
                }
                if step % 241 == 0 {
                    // A boost and highatomic reserves of assorted sizes, on a copy so
                    // the run itself goes on from a consistent state.
                    let mut probe = allocator.clone();
                    for zone in &mut probe.zones {
                        zone.watermark_boost = u64::from(step % 3) * 64;
                        zone.nr_reserved_highatomic = u64::from(step % 4) * 512;
                        zone.nr_free_highatomic = u64::from(step % 5) * 8;
                    }
                    let context = format!("{kernel:?} cma={cma} step {step}");
                    compare_all(&allocator, &mut verdicts, &context);
                    compare_all(&probe, &mut verdicts, &format!("{context} (reserves)"));
                    // The free count at the low mark plus the reserve, one either side
                    // and on it, with no highatomic reserve: the shortcut's boundary.
                    for k in [-1i64, 0, 1] {
                        let mut edge = allocator.clone();
                        for zone in &mut edge.zones {
                            zone.nr_reserved_highatomic = 0;
                            zone.nr_free_highatomic = 0;
                            zone.free_pages_global = (zone.wmark_pages(1)
                                + zone.lowmem_reserve[ZoneType::Normal.index()])
                                as i64
                                + k;
                        }
                        compare_all(&edge, &mut verdicts, &format!("{context} (edge {k})"));
                    }
                }
            }
            // Both answers occurred, so both branches of the shortcut were compared.
            assert!(
                verdicts[0] > 1000 && verdicts[1] > 1000,
                "{kernel:?} cma={cma}: verdicts {verdicts:?}"
            );
        }
    }
}
