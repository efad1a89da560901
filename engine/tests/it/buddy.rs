//! Behaviour of the buddy zone against outcomes worked out by hand from the 6.1 source
//! of `__rmqueue_smallest()`, `expand()`, `__free_one_page()` and `buddy_merge_likely()`.

use buddyscope_engine::limits::ZONE_PAGES_MAX;
use buddyscope_engine::scenario::{self, ONE_ZONE_PAGES, ONE_ZONE_START_PFN, WARM_UP_ALLOCATIONS};
use buddyscope_engine::session::{Operation, Outcome};
use buddyscope_engine::{
    BlockState, BuddyZone, EngineError, Event, MigrateType, Order, Pfn, Placement,
};

fn order(n: u32) -> Order {
    Order::new(n).unwrap()
}

fn lists(zone: &BuddyZone) -> Vec<(u8, Vec<u64>)> {
    Order::all()
        .filter(|o| zone.nr_free(*o) > 0)
        .map(|o| {
            (
                o.get(),
                zone.free_list(o, MigrateType::Movable)
                    .iter()
                    .map(|p| p.0)
                    .collect(),
            )
        })
        .collect()
}

fn lists_of(zone: &BuddyZone, migratetype: MigrateType) -> Vec<(u8, Vec<u64>)> {
    Order::all()
        .filter(|o| zone.nr_free_of_type(*o, migratetype) > 0)
        .map(|o| {
            (
                o.get(),
                zone.free_list(o, migratetype).iter().map(|p| p.0).collect(),
            )
        })
        .collect()
}

#[test]
fn boot_frees_largest_aligned_blocks_in_ascending_order() {
    // [0x1003, 0x1400): 0x1003 is aligned to order 0, 0x1004 to 2, 0x1008 to 3, ...
    // up to 0x1200 aligned to 9; the walk stops at 0x1400.
    // memmap_init_range() marks a pageblock MOVABLE only at its first pfn: 0x1000 is
    // outside the zone, so the pageblock 0x1000-0x11ff keeps type 0 (Unmovable) and
    // its free blocks go to the Unmovable lists; 0x1200 is MOVABLE.
    let zone = BuddyZone::new(0x1003, 0x1400 - 0x1003).unwrap();
    assert_eq!(
        lists_of(&zone, MigrateType::Unmovable),
        vec![
            (0, vec![0x1003]),
            (2, vec![0x1004]),
            (3, vec![0x1008]),
            (4, vec![0x1010]),
            (5, vec![0x1020]),
            (6, vec![0x1040]),
            (7, vec![0x1080]),
            (8, vec![0x1100]),
        ]
    );
    assert_eq!(
        lists_of(&zone, MigrateType::Movable),
        vec![(9, vec![0x1200])]
    );
    assert_eq!(zone.pageblock_type(Pfn(0x1003)), MigrateType::Unmovable);
    assert_eq!(zone.pageblock_type(Pfn(0x1200)), MigrateType::Movable);
    assert_eq!(zone.free_pages(), 0x1400 - 0x1003);
    zone.check_invariants().unwrap();
}

#[test]
fn boot_lists_are_in_ascending_pfn_order() {
    let zone = BuddyZone::new(0, 4096).unwrap();
    assert_eq!(lists(&zone), vec![(10, vec![0, 1024, 2048, 3072])]);
}

#[test]
fn allocation_takes_the_smallest_order_and_splits_upper_halves_to_the_head() {
    let mut zone = BuddyZone::new(0, 2048).unwrap();
    let mut events = Vec::new();
    let pfn = zone.alloc(order(0), &mut events).unwrap();
    // The head of free_area[10] is pfn 0; expand() leaves 512, 256, ..., 1.
    assert_eq!(pfn, Pfn(0));
    assert_eq!(
        zone.free_list(order(10), MigrateType::Movable),
        vec![Pfn(1024)]
    );
    for o in 0..10u32 {
        assert_eq!(
            zone.free_list(order(o), MigrateType::Movable),
            vec![Pfn(1 << o)],
            "order {o}"
        );
    }
    assert_eq!(
        events.first(),
        Some(&Event::AreaEmpty {
            order: order(0),
            migratetype: MigrateType::Movable
        })
    );
    assert!(events.contains(&Event::TakeBlock {
        pfn: Pfn(0),
        order: order(10),
        migratetype: MigrateType::Movable
    }));
    assert_eq!(
        events
            .iter()
            .filter(|e| matches!(e, Event::SplitHalf { .. }))
            .count(),
        10
    );
    // The second order-0 allocation comes from free_area[0] at once.
    assert_eq!(zone.alloc(order(0), &mut ()), Some(Pfn(1)));
    zone.check_invariants().unwrap();
}

#[test]
fn split_halves_go_to_the_list_head() {
    let mut zone = BuddyZone::new(0, 4096).unwrap();
    // Two order-9 allocations: the first splits 0 (leaving 512 at order 9),
    // the second takes 512.
    assert_eq!(zone.alloc(order(9), &mut ()), Some(Pfn(0)));
    assert_eq!(zone.alloc(order(9), &mut ()), Some(Pfn(512)));
    // A third order-9 splits the next order-10 block, 1024; its upper half 1536 goes to
    // the head, so it is taken before any older order-9 block would be.
    assert_eq!(zone.alloc(order(9), &mut ()), Some(Pfn(1024)));
    assert_eq!(
        zone.free_list(order(9), MigrateType::Movable),
        vec![Pfn(1536)]
    );
}

#[test]
fn free_merges_buddies_back_to_the_original_block() {
    let mut zone = BuddyZone::new(0, 1024).unwrap();
    let a = zone.alloc(order(0), &mut ()).unwrap();
    let b = zone.alloc(order(0), &mut ()).unwrap();
    assert_eq!((a, b), (Pfn(0), Pfn(1)));
    zone.free(a, &mut ()).unwrap();
    let mut events = Vec::new();
    zone.free(b, &mut events).unwrap();
    assert_eq!(lists(&zone), vec![(10, vec![0])]);
    let merges = events
        .iter()
        .filter(|e| matches!(e, Event::Merge { .. }))
        .count();
    assert_eq!(merges, 10);
    zone.check_invariants().unwrap();
}

#[test]
fn freed_block_goes_to_the_tail_when_a_merge_is_likely() {
    // Zone [0, 8). Allocate 0,1,2,3 as order 0 (splits 0..8: 4 at order 2 stays free).
    let mut zone = BuddyZone::new(0, 8).unwrap();
    for expected in 0..4 {
        assert_eq!(zone.alloc(order(0), &mut ()), Some(Pfn(expected)));
    }
    // Free pfn 2: its buddy 3 is allocated, so it stays at order 0. buddy_merge_likely
    // looks at the order-1 block 2's pair would form (pfn 2) and that block's buddy at
    // order 1 (pfn 0): allocated, so no tail: head.
    let mut events = Vec::new();
    zone.free(Pfn(2), &mut events).unwrap();
    assert_eq!(
        events.last(),
        Some(&Event::AddFree {
            pfn: Pfn(2),
            order: order(0),
            migratetype: MigrateType::Movable,
            placement: Placement::Head
        })
    );
    // Free pfn 0 and 1: they merge into order 1 at 0. Its buddy 2 is order 0, not 1,
    // so no merge; merge-likely checks pfn 0's order-2 buddy, pfn 4: free at order 2,
    // so the block goes to the tail.
    zone.free(Pfn(0), &mut ()).unwrap();
    let mut events = Vec::new();
    zone.free(Pfn(1), &mut events).unwrap();
    assert_eq!(
        events.last(),
        Some(&Event::AddFree {
            pfn: Pfn(0),
            order: order(1),
            migratetype: MigrateType::Movable,
            placement: Placement::TailMergeLikely
        })
    );
    zone.check_invariants().unwrap();
}

#[test]
fn no_merge_across_the_zone_edge() {
    // Zone [1, 3): pfn 1 (order 0) and 2 (order 1). Pfn 1's buddy 0 is outside.
    // The pageblock starts at pfn 0, outside the zone, so it stays Unmovable.
    let mut zone = BuddyZone::new(1, 3).unwrap();
    let unmovable = |zone: &BuddyZone| lists_of(zone, MigrateType::Unmovable);
    assert_eq!(unmovable(&zone), vec![(0, vec![1]), (1, vec![2])]);
    let p = zone
        .rmqueue_smallest(order(0), MigrateType::Unmovable, &mut ())
        .unwrap();
    assert_eq!(p, Pfn(1));
    zone.free(p, &mut ()).unwrap();
    assert_eq!(unmovable(&zone), vec![(0, vec![1]), (1, vec![2])]);
    zone.check_invariants().unwrap();
}

#[test]
fn allocation_failure_is_an_outcome() {
    let mut zone = BuddyZone::new(0, 8).unwrap();
    let mut events = Vec::new();
    assert_eq!(zone.alloc(order(4), &mut events), None);
    assert_eq!(
        events.last(),
        Some(&Event::NoBlock {
            order: order(4),
            migratetype: MigrateType::Movable,
            then: buddyscope_engine::event::AfterNoBlock::GiveUp,
        })
    );
    assert_eq!(zone.free_pages(), 8);
}

#[test]
fn bad_input_is_an_error_and_changes_nothing() {
    let mut zone = BuddyZone::new(0, 64).unwrap();
    let pfn = zone.alloc(order(2), &mut ()).unwrap();
    let before = zone.clone();
    assert_eq!(
        zone.free(Pfn(pfn.0 + 1), &mut ()),
        Err(EngineError::NotAllocated {
            pfn: Pfn(pfn.0 + 1)
        })
    );
    assert_eq!(
        zone.free(Pfn(1000), &mut ()),
        Err(EngineError::PfnOutsideZone { pfn: Pfn(1000) })
    );
    assert_eq!(zone, before);
    zone.free(pfn, &mut ()).unwrap();
    let before = zone.clone();
    assert_eq!(
        zone.free(pfn, &mut ()),
        Err(EngineError::NotAllocated { pfn })
    );
    assert_eq!(zone, before);
    assert_eq!(BuddyZone::new(0, 0), Err(EngineError::EmptyZone));
    assert!(matches!(
        BuddyZone::new(0, ZONE_PAGES_MAX + 1),
        Err(EngineError::ZoneTooLarge { .. })
    ));
    assert!(matches!(
        BuddyZone::new(u64::MAX - 5, 10),
        Err(EngineError::ZoneOutOfRange { .. })
    ));

    // The one-zone session `buddyscope zone` drives: an order above 10 is refused,
    // with nothing recorded, and with nothing allocated there is no allocation to
    // free, by pfn or as the newest.
    let mut session = buddyscope_engine::view::load(&scenario::one_zone(0, 64, false))
        .unwrap()
        .session;
    let before = session.clone();
    assert_eq!(
        session.apply(Operation::alloc_kernel(11)),
        Err(EngineError::OrderTooLarge { order: 11 })
    );
    assert_eq!(session, before);
    assert_eq!(session.newest_live_allocation(), None);
    assert_eq!(session.live_allocation_at(Pfn(0)), None);
    let call = session.apply(Operation::alloc_kernel(2)).unwrap();
    let Outcome::Allocated { index, allocation } = call.outcome else {
        panic!("a 64-page zone has an order-2 block: {:?}", call.outcome);
    };
    assert_eq!(session.newest_live_allocation(), Some(index));
    assert_eq!(session.live_allocation_at(allocation.pfn), Some(index));
    assert_eq!(session.live_allocation_at(Pfn(allocation.pfn.0 + 1)), None);
    session.apply(Operation::Free { index, cpu: None }).unwrap();
    assert_eq!(session.newest_live_allocation(), None);
    assert_eq!(session.live_allocation_at(allocation.pfn), None);
}

#[test]
fn error_messages_name_the_problem() {
    assert!(EngineError::OrderTooLarge { order: 12 }
        .to_string()
        .contains("order 12"));
    assert!(EngineError::NotAllocated { pfn: Pfn(0x10) }
        .to_string()
        .contains("0x10"));
}

#[test]
fn block_containing_finds_the_enclosing_block() {
    let mut zone = BuddyZone::new(0, 64).unwrap();
    let pfn = zone.alloc(order(3), &mut ()).unwrap();
    let block = zone.block_containing(Pfn(pfn.0 + 5)).unwrap();
    assert_eq!(
        (block.pfn, block.order, block.state),
        (pfn, order(3), BlockState::Allocated)
    );
    let free = zone.block_containing(Pfn(63)).unwrap();
    assert_eq!(
        (free.pfn, free.order, free.state),
        (Pfn(32), order(5), BlockState::Free)
    );
    assert_eq!(zone.block_containing(Pfn(64)), None);
}

#[test]
fn default_one_zone_is_warmed_up_and_consistent() {
    let loaded = buddyscope_engine::view::load(&scenario::one_zone(
        ONE_ZONE_START_PFN,
        ONE_ZONE_PAGES,
        true,
    ))
    .unwrap();
    let session = loaded.session;
    let allocator = session.current();
    allocator.check_invariants().unwrap();
    // One populated zone, DMA32, spanning exactly the memory asked for.
    let [zone] = allocator.zones() else {
        panic!("{} zones", allocator.zones().len());
    };
    assert_eq!(zone.zone, buddyscope_engine::types::ZoneType::Dma32);
    assert_eq!(
        (zone.spanned, zone.present),
        (ONE_ZONE_PAGES, ONE_ZONE_PAGES)
    );
    zone.buddy.check_invariants().unwrap();
    // Every warm-up allocation was made, and some of them are still held.
    assert_eq!(session.allocations_made(), WARM_UP_ALLOCATIONS as usize);
    let live = (0..session.allocations_made())
        .filter(|&i| session.is_live(i))
        .count();
    assert!(
        live > 0 && live < WARM_UP_ALLOCATIONS as usize,
        "{live} live"
    );
    // Pages are conserved: the blocks cover the zone, with the memmap (4000 * 64 /
    // 4096 = 62.5, rounded up to 63 pages) reserved at its top; of the managed rest,
    // what is not free is held by the live allocations or waits on CPU 0's per-cpu
    // list.
    let blocks: Vec<_> = zone.buddy.blocks().collect();
    let pages_of = |state: BlockState| -> u64 {
        blocks
            .iter()
            .filter(|b| b.state == state)
            .map(|b| b.order.pages())
            .sum()
    };
    let covered: u64 = blocks.iter().map(|b| b.order.pages()).sum();
    assert_eq!(covered, ONE_ZONE_PAGES);
    assert_eq!(pages_of(BlockState::Reserved), 63);
    assert_eq!(zone.managed, ONE_ZONE_PAGES - 63);
    let allocated = pages_of(BlockState::Allocated);
    assert_eq!(allocated + zone.buddy.free_pages(), zone.managed);
    let held: u64 = session
        .calls()
        .iter()
        .filter_map(|call| match &call.outcome {
            Outcome::Allocated { index, allocation } if session.is_live(*index) => {
                Some(allocation.order.pages())
            }
            _ => None,
        })
        .sum();
    let on_pcp: u64 = zone.pcps.iter().map(|pcp| pcp.count).sum();
    assert!(held > 0);
    assert_eq!(allocated, held + on_pcp);
}

#[test]
fn state_per_page_is_small() {
    assert!(
        BuddyZone::bytes_per_page() <= 16,
        "{} bytes per page",
        BuddyZone::bytes_per_page()
    );
}

#[test]
fn only_a_split_block_costs_page_state() {
    // 16 MiB at pfn 0: four order-10 blocks, no per-page state. Taking one page
    // splits the first block (its pages get state and links); freeing it merges the
    // block back into a whole order-10 block, the same zone page for page, which
    // keeps that one block's page state (the other three never had any).
    let mut zone = BuddyZone::new(0, 4096).unwrap();
    let boot = zone.heap_bytes();
    let page = zone.alloc(Order::ZERO, &mut ()).unwrap();
    assert_eq!(page, Pfn(0));
    let split = zone.heap_bytes();
    assert!(
        split >= boot + 1024 * 2,
        "split {split} bytes, boot {boot} bytes"
    );
    assert!(
        split < boot + 1024 * 11,
        "split {split} bytes, boot {boot} bytes"
    );
    zone.free(page, &mut ()).unwrap();
    zone.check_invariants().unwrap();
    assert_eq!(zone.free_list(Order::MAX, MigrateType::Movable).len(), 4);
    assert_eq!(zone, BuddyZone::new(0, 4096).unwrap());
    assert_eq!(zone.heap_bytes(), split);
}

/// `nr_free_counts()` (one pass over the lists, as the timeline's series reads it
/// after every call) against each order's lists walked one migratetype at a time,
/// over many states with blocks on every stored migratetype's lists.
#[test]
fn nr_free_counts_are_every_migratetypes_blocks_of_each_order() {
    let mut zone = BuddyZone::new(0x1000, 1 << 14).unwrap();
    let mut rng = buddyscope_engine::Rng::new(18);
    let mut held: Vec<Pfn> = Vec::new();
    let mut checked_nonzero = [false; 11];
    for step in 0..4000 {
        let kind = MigrateType::STORED[rng.below(MigrateType::STORED.len() as u64) as usize];
        match rng.below(10) {
            0 => {
                // Retype a pageblock, so later frees go to other migratetypes' lists.
                let pfn = Pfn(0x1000 + rng.below(1 << 14));
                zone.set_pageblock_type(pfn, kind);
            }
            1..=5 => {
                let order = order(rng.below(6) as u32);
                if let Some(pfn) = zone.rmqueue_smallest(order, kind, &mut ()) {
                    held.push(pfn);
                }
            }
            _ if !held.is_empty() => {
                let pfn = held.swap_remove(rng.below(held.len() as u64) as usize);
                zone.free(pfn, &mut ()).unwrap();
            }
            _ => {}
        }
        if step % 7 == 0 {
            let counts = zone.nr_free_counts();
            for o in Order::all() {
                let walked: usize = MigrateType::STORED
                    .iter()
                    .map(|&mt| zone.free_list(o, mt).len())
                    .sum();
                let at = usize::from(o.get());
                assert_eq!(counts[at], walked as u64, "step {step}, order {at}");
                checked_nonzero[at] |= walked > 0;
            }
        }
    }
    assert!(
        checked_nonzero.iter().all(|&seen| seen),
        "{checked_nonzero:?}"
    );
}
