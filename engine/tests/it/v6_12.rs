//! Linux 6.12's branches that the five shared kernel runs do not reach, each checked
//! against what the 6.12 source does, worked out by hand in each test's comment, and
//! against 6.1 on the same input (the branch must be what makes the difference).

use buddyscope_engine::alloc::Allocator;
use buddyscope_engine::buddy::BuddyZone;
use buddyscope_engine::machine::{Machine, MachineConfig, NodeConfig};
use buddyscope_engine::scenario::library;
use buddyscope_engine::types::gfp::Gfp;
use buddyscope_engine::types::{Kernel, MigrateType, Order, PfnRange};
use buddyscope_engine::{Event, Pfn};

use crate::common::scenario_run::run_scenario;

fn order(n: u32) -> Order {
    Order::new(n).unwrap()
}

/// Two order-9 blocks of one order-10 block, the upper one in an Unmovable
/// pageblock, the lower one in a Movable one, freed upper first: `__free_one_page()`
/// of the lower block finds its buddy free at order 9 ≥ pageblock_order, both types
/// mergeable, so the two merge into an order-10 block on the Movable list. 6.12 also
/// gives the buddy's pageblock the freed block's type (`change_pageblock_range()`);
/// 6.1 leaves it Unmovable.
#[test]
fn a_merge_across_pageblocks_retypes_the_buddy_on_6_12_only() {
    for (kernel, upper_type) in [
        (Kernel::V6_1, MigrateType::Unmovable),
        (Kernel::V6_12, MigrateType::Movable),
    ] {
        let mut zone = BuddyZone::new(0, 1024).unwrap();
        zone.set_kernel(kernel);
        let lower = zone
            .rmqueue_smallest(order(9), MigrateType::Movable, &mut ())
            .unwrap();
        let upper = zone
            .rmqueue_smallest(order(9), MigrateType::Movable, &mut ())
            .unwrap();
        assert_eq!((lower, upper), (Pfn(0), Pfn(512)));
        zone.set_pageblock_type(upper, MigrateType::Unmovable);
        zone.free_block(upper, order(9), MigrateType::Unmovable, false, &mut ())
            .unwrap();
        zone.free_block(lower, order(9), MigrateType::Movable, false, &mut ())
            .unwrap();
        assert_eq!(
            zone.free_list(order(10), MigrateType::Movable),
            vec![Pfn(0)],
            "{kernel:?}"
        );
        assert_eq!(zone.pageblock_type(upper), upper_type, "{kernel:?}");
        zone.check_invariants().unwrap();
    }
}

fn one_node(kernel: Kernel, pages: u64) -> Allocator {
    let config = MachineConfig {
        nodes: vec![NodeConfig {
            memory: vec![PfnRange {
                start: 0x1000,
                end: 0x1000 + pages,
            }],
            cpus: vec![0],
        }],
        kernel,
        ..MachineConfig::default()
    };
    Allocator::from_machine(&Machine::build(&config).unwrap()).unwrap()
}

/// An order-10 block freed: 6.1's `__free_pages_ok()` puts it back whole; 6.12's
/// `split_large_buddy()` frees it as two order-9 pageblocks, the second merging with
/// the first (`Merge` at order 9), each counted in NR_FREE_PAGES on its own.
#[test]
fn an_order_10_free_on_6_12_is_two_pageblock_frees() {
    let movable = Gfp::parse("GFP_KERNEL|__GFP_MOVABLE").unwrap();
    for kernel in [Kernel::V6_1, Kernel::V6_12] {
        let mut allocator = one_node(kernel, 1 << 16);
        let block = allocator
            .alloc_pages_node(0, movable, 10, &mut ())
            .unwrap()
            .unwrap();
        let mut events = Vec::new();
        allocator.free_pages(block.pfn, 10, &mut events).unwrap();
        let adds: Vec<u8> = events
            .iter()
            .filter_map(|e| match e {
                Event::AddFree { order, .. } => Some(order.get()),
                _ => None,
            })
            .collect();
        let merges = events
            .iter()
            .filter(|e| matches!(e, Event::Merge { order, .. } if order.get() == 9))
            .count();
        match kernel {
            Kernel::V6_1 => assert_eq!((adds, merges), (vec![10], 0)),
            Kernel::V6_12 => assert_eq!((adds, merges), (vec![9, 10], 1)),
        }
        allocator.check_invariants().unwrap();
    }
}

/// The highatomic lesson's zone has 16128 managed pages. 6.1 reserves up to
/// 16128 / 100 + 512 = 673 pages of highatomic pageblocks; 6.12 reserves none while
/// 1% of the zone, 161, is less than a pageblock (512).
#[test]
fn a_zone_under_51200_pages_gets_no_highatomic_reserve_on_6_12() {
    let entry = library::get("highatomic").unwrap();
    for kernel in [Kernel::V6_1, Kernel::V6_12] {
        let mut scenario = entry.scenario();
        scenario.machine.kernel = kernel;
        let (session, _) = run_scenario(&scenario);
        assert_eq!(session.current().zones()[0].managed, 16128);
        let reserves = session
            .calls_with_events()
            .flat_map(|call| call.events.clone())
            .filter(|e| matches!(e, Event::HighatomicReserve { .. }))
            .count();
        match kernel {
            Kernel::V6_1 => assert!(reserves > 0, "6.1 reserved nothing"),
            Kernel::V6_12 => assert_eq!(reserves, 0),
        }
    }
}

/// A 256 MiB zone (1% of its managed pages is between 512 and 1024): 6.12's limit
/// is that rounded up to whole pageblocks, 1024 pages; the watermark checks of other requests
/// then hold back the free highatomic pages (`nr_free_highatomic`), not the reserve.
#[test]
fn the_6_12_highatomic_limit_is_one_percent_rounded_up_to_pageblocks() {
    let atomic = Gfp::parse("GFP_ATOMIC|__GFP_NOWARN").unwrap();
    let movable = Gfp::parse("GFP_KERNEL|__GFP_MOVABLE").unwrap();
    let mut allocator = one_node(Kernel::V6_12, 1 << 16);
    let managed = allocator.zones()[0].managed;
    let limit = (managed / 100).div_ceil(512) * 512;
    // Fill the zone with order-0 movable pages down to the low watermark, so a
    // GFP_ATOMIC order-3 request fails the fast path and reaches the slow path's
    // ALLOC_HIGHATOMIC, then take order-3 atomic blocks until the reserve stops.
    let low = allocator.zones()[0].watermark[1];
    while allocator.zones()[0].buddy.free_pages() > low + 6000 {
        let order = if allocator.zones()[0].buddy.free_pages() > low + 7000 {
            9
        } else {
            0
        };
        allocator
            .alloc_pages_node(0, movable, order, &mut ())
            .unwrap()
            .unwrap();
    }
    let mut reserved = Vec::new();
    for _ in 0..1000 {
        let mut events = Vec::new();
        if allocator
            .alloc_pages_node(0, atomic, 3, &mut events)
            .unwrap()
            .is_none()
        {
            break;
        }
        for e in &events {
            if let Event::HighatomicReserve { reserved: r, .. } = e {
                reserved.push(*r);
            }
            if let Event::WatermarkCheck { terms, .. } = e {
                if let Some(held) = terms.highatomic_unusable {
                    assert!(terms.v6_12);
                    // Held back: the free highatomic pages, at most the reserve.
                    assert!(held <= allocator.zones()[0].nr_reserved_highatomic);
                }
            }
        }
        allocator.check_invariants().unwrap();
    }
    assert!(!reserved.is_empty(), "no highatomic reserve was made");
    assert!(
        reserved.iter().all(|&r| r % 512 == 0 && r <= limit),
        "{reserved:?} against the limit {limit}"
    );
    assert_eq!(
        allocator.zones()[0].nr_reserved_highatomic,
        *reserved.last().unwrap()
    );
    assert_eq!(*reserved.last().unwrap(), limit, "{reserved:?}");
}
