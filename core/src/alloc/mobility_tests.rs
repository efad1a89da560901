//! The fallback paths with grouping by mobility off, on a state built by hand: a
//! Movable pageblock whose pages are all in use and movable but for one free order-3
//! block, and no free page anywhere else. An Unmovable request falling back to that
//! block counts free 8 + alike (pages in use that are not movable) 512 - 8 - 504 = 0,
//! below half a pageblock (256): with grouping on the pageblock keeps its type; with
//! it off (`page_group_by_mobility_disabled`) 6.1's `steal_suitable_fallback()` and
//! 6.12's `try_to_steal_block()` claim it all the same.

use super::Allocator;
use crate::machine::{Machine, MachineConfig, NodeConfig};
use crate::types::{Kernel, MigrateType, Order, Pfn, PfnRange, PAGEBLOCK_PAGES};

/// The first full pageblock of the zone (pfn 0x1000, 16 MiB).
const BLOCK: Pfn = Pfn(0x1000);

/// A 4096-page machine (grouping on by the kernel's rule), every page taken off the
/// free lists at order 0, the pageblock at [`BLOCK`] marked movable, and its first 8
/// pages given back (they merge into one order-3 block on the Movable list).
fn one_small_free_block(kernel: Kernel, grouping_off: bool) -> (Allocator, usize) {
    let config = MachineConfig {
        nodes: vec![NodeConfig {
            memory: vec![PfnRange {
                start: 0x1000,
                end: 0x2000,
            }],
            cpus: vec![0],
        }],
        kernel,
        ..MachineConfig::default()
    };
    let machine = Machine::build(&config).unwrap();
    assert!(!machine.page_group_by_mobility_disabled());
    let mut allocator = Allocator::from_machine(&machine).unwrap();
    let z = allocator
        .zones
        .iter()
        .position(|zone| zone.buddy.free_pages() > 0)
        .unwrap();
    let buddy = &mut allocator.zones[z].buddy;
    while buddy
        .rmqueue_smallest(Order::ZERO, MigrateType::Movable, &mut ())
        .is_some()
    {}
    assert_eq!(buddy.free_pages(), 0);
    for i in 0..PAGEBLOCK_PAGES {
        buddy.set_page_movable(Pfn(BLOCK.0 + i), true);
    }
    for i in 0..8 {
        buddy.set_page_movable(Pfn(BLOCK.0 + i), false);
        buddy.free(Pfn(BLOCK.0 + i), &mut ()).unwrap();
    }
    assert_eq!(buddy.free_order(BLOCK), Order::new(3));
    if grouping_off {
        allocator.mobility_disabled = true;
        allocator.zones[z].buddy.set_mobility_disabled(true);
    }
    (allocator, z)
}

#[test]
fn steal_suitable_fallback_claims_below_half_only_with_grouping_off() {
    for (grouping_off, after) in [
        (false, MigrateType::Movable),
        (true, MigrateType::Unmovable),
    ] {
        let (mut allocator, z) = one_small_free_block(Kernel::V6_1, grouping_off);
        let (how, _) = allocator.steal_suitable_fallback(z, BLOCK, 0, MigrateType::Unmovable, true);
        assert_eq!(
            how,
            crate::event::StealKind::Pageblock {
                free_pages: 8,
                alike_pages: 0
            }
        );
        assert_eq!(
            allocator.zones[z].buddy.pageblock_type(BLOCK),
            after,
            "grouping off: {grouping_off}"
        );
    }
}

#[test]
fn try_to_steal_block_claims_below_half_only_with_grouping_off() {
    for grouping_off in [false, true] {
        let (mut allocator, z) = one_small_free_block(Kernel::V6_12, grouping_off);
        let mut events = Vec::new();
        let claimed = allocator.try_to_steal_block(
            z,
            BLOCK,
            Order::new(3).unwrap(),
            Order::ZERO,
            MigrateType::Unmovable,
            MigrateType::Movable,
            0,
            &mut events,
        );
        // __rmqueue_claim() tells the claim (mm_page_alloc_extfrag) once it returns.
        if let Some((pfn, how, boosted, old)) = claimed {
            allocator.emit_claim(
                z,
                pfn,
                Order::ZERO,
                Order::new(3).unwrap(),
                MigrateType::Unmovable,
                MigrateType::Movable,
                how,
                boosted,
                old,
                &mut events,
            );
        }
        let page = claimed.map(|(pfn, ..)| pfn);
        let block_type = allocator.zones[z].buddy.pageblock_type(BLOCK);
        if grouping_off {
            assert_eq!(page, Some(BLOCK), "{events:?}");
            assert_eq!(block_type, MigrateType::Unmovable);
            // The step's sentence gives the numbers and why the claim went through.
            let said: Vec<String> = events.iter().map(|e| e.describe()).collect();
            assert!(
                said.iter().any(|s| s.contains("8 free + 0 compatible pages in use = 8 < 256 (half a pageblock), but grouping by mobility is off")),
                "{said:?}"
            );
        } else {
            assert_eq!(page, None, "{events:?}");
            assert_eq!(block_type, MigrateType::Movable);
        }
    }
}

#[test]
fn can_steal_fallback_always_says_yes_with_grouping_off() {
    // A Movable request below pageblock_order / 2 = 4 may not take the pageblock's
    // free pages with grouping on.
    let order = Order::new(3).unwrap();
    assert!(!super::can_steal_fallback(
        order,
        MigrateType::Movable,
        false
    ));
    assert!(super::can_steal_fallback(order, MigrateType::Movable, true));
}
