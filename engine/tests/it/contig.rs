//! `split_page()`, `alloc_pages_exact()`, pageblock isolation and
//! `alloc_contig_range()` (core/src/alloc/contig.rs).
//!
//! The expected free lists, counters and migrations below were worked out by hand
//! from Linux 6.1 (mm/page_alloc.c, mm/page_isolation.c, mm/compaction.c) on one
//! small machine: 16 MiB at pfn 0x1000 on one node with one CPU. Its only zone is
//! DMA32, [0x1000, 0x2000); the memmap takes the top 64 pages (0x1fc0..0x2000,
//! reserved), so boot leaves free_area[10] = 0x1000, 0x1400, 0x1800 and one block
//! each of order 9 (0x1c00), 8 (0x1e00), 7 (0x1f00) and 6 (0x1f80), all MOVABLE;
//! 4032 free pages; per-cpu batch 1, high 157; stat threshold 2; watermarks
//! 126/157/188. The per-cpu batch of 1 makes every per-cpu refill take one block.
//!
//! While a pageblock is isolated, NR_FREE_PAGES leaves out the free pages on the
//! isolate lists, as 6.1 does, and `check_invariants()` (which compares the counter
//! with every free page) cannot hold; every operation is then followed by
//! `check_invariants_with_isolation()`, and by `check_invariants()` whenever no
//! pageblock is isolated.
//!
//! The random test runs seeds 1 to 10, 1 500 × `BUDDYSCOPE_SIZE` operations each; a
//! failure prints the seed and the command that replays it (common/seeded.rs).

use buddyscope_engine::alloc::contig::{ContigError, ContigFailure, Migration};
use buddyscope_engine::alloc::Allocator;
use buddyscope_engine::machine::{Machine, MachineConfig, NodeConfig};
use buddyscope_engine::types::gfp::Gfp;
use buddyscope_engine::types::PfnRange;
use buddyscope_engine::{EngineError, Event, MigrateType, Order, Pfn, Rng};

use crate::common::seeded;

const MOVABLE: MigrateType = MigrateType::Movable;
const ISOLATE: MigrateType = MigrateType::Isolate;
const UNMOVABLE: MigrateType = MigrateType::Unmovable;

fn gfp(mask: &str) -> Gfp {
    Gfp::parse(mask).expect("a valid gfp mask")
}

fn machine(nodes: &[(u64, u64)]) -> Allocator {
    let config = MachineConfig {
        nodes: nodes
            .iter()
            .enumerate()
            .map(|(n, &(start, end))| NodeConfig {
                memory: vec![PfnRange { start, end }],
                cpus: vec![n as u32],
            })
            .collect(),
        ..MachineConfig::default()
    };
    let machine = Machine::build(&config).expect("a valid machine");
    Allocator::from_machine(&machine).expect("an allocator")
}

/// The 16 MiB machine of the module notes.
fn small() -> Allocator {
    let allocator = machine(&[(0x1000, 0x2000)]);
    check(&allocator);
    assert_eq!(lists(&allocator), boot_lists());
    assert_eq!(free_counter(&allocator), 4032);
    allocator
}

fn boot_lists() -> Vec<(u8, MigrateType, Vec<u64>)> {
    vec![
        (6, MOVABLE, vec![0x1f80]),
        (7, MOVABLE, vec![0x1f00]),
        (8, MOVABLE, vec![0x1e00]),
        (9, MOVABLE, vec![0x1c00]),
        (10, MOVABLE, vec![0x1000, 0x1400, 0x1800]),
    ]
}

fn isolated_pageblocks(allocator: &Allocator) -> u64 {
    allocator
        .zones()
        .iter()
        .map(|z| z.nr_isolate_pageblock)
        .sum()
}

/// Every invariant the state can keep: all of them with no pageblock isolated.
fn check(allocator: &Allocator) {
    allocator
        .check_invariants_with_isolation()
        .expect("invariants allowing for isolation");
    if isolated_pageblocks(allocator) == 0 {
        allocator.check_invariants().expect("invariants");
    }
}

/// Every non-empty free list of the first zone, as (order, migratetype, pfns).
fn lists(allocator: &Allocator) -> Vec<(u8, MigrateType, Vec<u64>)> {
    let buddy = &allocator.zones()[0].buddy;
    let mut out = Vec::new();
    for order in Order::all() {
        for mt in MigrateType::ALL {
            let list: Vec<u64> = buddy.free_list(order, mt).iter().map(|p| p.0).collect();
            if !list.is_empty() {
                out.push((order.get(), mt, list));
            }
        }
    }
    out
}

fn free_counter(allocator: &Allocator) -> i64 {
    allocator.zones()[0].free_pages_snapshot()
}

fn alloc(allocator: &mut Allocator, mask: &str, order: u32) -> Pfn {
    let page = allocator
        .alloc_pages_node(0, gfp(mask), order, &mut ())
        .expect("a valid request")
        .expect("memory for it")
        .pfn;
    check(allocator);
    page
}

fn movable(allocator: &mut Allocator, pfn: Pfn) {
    assert!(allocator.set_page_movable(pfn, true), "a zone holds {pfn}");
}

fn live(allocator: &Allocator, pfn: u64, order: u8) -> bool {
    let order = Order::new(u32::from(order)).unwrap();
    allocator.zones()[0].buddy.is_in_use_block(Pfn(pfn), order)
}

/// Takes the order 9, 8, 7 and 6 blocks away, so the next small allocations split
/// the order-10 block at 0x1000.
fn consume_small_blocks(allocator: &mut Allocator) {
    for (order, pfn) in [(9, 0x1c00), (8, 0x1e00), (7, 0x1f00), (6, 0x1f80)] {
        assert_eq!(alloc(allocator, "GFP_HIGHUSER_MOVABLE", order), Pfn(pfn));
    }
}

/// The pfns the events of one kind name, in order.
fn migrated(events: &[Event]) -> Vec<(u64, u64, u8)> {
    events
        .iter()
        .filter_map(|e| match *e {
            Event::ContigMigrated {
                from, to, order, ..
            } => Some((from.0, to.0, order.get())),
            _ => None,
        })
        .collect()
}

#[test]
fn split_page_makes_single_pages_each_freed_with_order_zero() {
    let mut a = small();
    // The smallest MOVABLE block of order 4 or more is the order-6 block at 0x1f80:
    // expand() leaves 0x1fa0 (order 5) and 0x1f90 (order 4).
    let page = alloc(&mut a, "GFP_HIGHUSER_MOVABLE", 4);
    assert_eq!(page, Pfn(0x1f80));
    let mut events = Vec::new();
    a.split_page(page, 4, &mut events).unwrap();
    check(&a);
    assert_eq!(
        events,
        vec![Event::PageSplit {
            pfn: page,
            order: Order::new(4).unwrap()
        }]
    );
    for i in 0..16 {
        assert!(live(&a, 0x1f80 + i, 0), "page {i} is a live order-0 page");
    }
    // The order-4 allocation no longer exists.
    let before = a.clone();
    assert_eq!(
        a.free_pages(page, 4, &mut ()),
        Err(EngineError::NotAllocated { pfn: page })
    );
    assert_eq!(a, before);
    // Each page goes back on its own, through the per-cpu list (16 < high 157).
    for i in [5, 0, 15, 1, 2, 3, 4, 6, 7, 8, 9, 10, 11, 12, 13, 14] {
        a.free_pages(Pfn(0x1f80 + i), 0, &mut ()).unwrap();
        check(&a);
    }
    assert_eq!(a.zones()[0].pcps[0].count, 16);
    // Drained, the 16 pages merge with 0x1f90 and 0x1fa0 into order 6 at 0x1f80,
    // whose order-6 buddy 0x1fc0 is reserved; the order-7 block 0x1f00 it would
    // merge into next is free, so buddy_merge_likely() puts it at the tail: the boot
    // lists again.
    a.drain_all_pages(&mut ());
    check(&a);
    assert_eq!(lists(&a), boot_lists());
    assert_eq!(free_counter(&a), 4032);
}

#[test]
fn split_page_refuses_what_is_not_a_live_non_compound_allocation() {
    let mut a = small();
    let page = alloc(&mut a, "GFP_HIGHUSER_MOVABLE", 4);
    let order0 = alloc(&mut a, "GFP_HIGHUSER_MOVABLE", 0);
    // An order-0 page freed to the per-cpu list is free, not allocated.
    a.free_pages(order0, 0, &mut ()).unwrap();
    let before = a.clone();
    let cases: Vec<(Pfn, u32, ContigError)> = vec![
        // A free block.
        (
            Pfn(0x1000),
            10,
            EngineError::NotAllocated { pfn: Pfn(0x1000) }.into(),
        ),
        // The wrong order.
        (page, 3, EngineError::NotAllocated { pfn: page }.into()),
        // Inside the block (not its first page).
        (
            Pfn(page.0 + 8),
            3,
            EngineError::NotAllocated {
                pfn: Pfn(page.0 + 8),
            }
            .into(),
        ),
        // On a per-cpu list.
        (order0, 0, EngineError::NotAllocated { pfn: order0 }.into()),
        // A reserved page (the memmap).
        (
            Pfn(0x1fc0),
            0,
            EngineError::NotAllocated { pfn: Pfn(0x1fc0) }.into(),
        ),
        // Outside every zone.
        (
            Pfn(0x10),
            0,
            EngineError::PfnOutsideZone { pfn: Pfn(0x10) }.into(),
        ),
        (page, 11, EngineError::OrderTooLarge { order: 11 }.into()),
    ];
    for (pfn, order, error) in cases {
        assert_eq!(a.split_page(pfn, order, &mut ()), Err(error));
        assert_eq!(a, before, "a refused split changed the state");
    }
    // A movable block of more than one page stands for a compound page.
    movable(&mut a, page);
    let before = a.clone();
    assert_eq!(
        a.split_page(page, 4, &mut ()),
        Err(ContigError::CompoundPage { pfn: page })
    );
    assert_eq!(a, before);
    check(&a);
}

#[test]
fn alloc_pages_exact_keeps_the_pages_asked_for_and_frees_the_rest_to_the_tail() {
    let mut a = small();
    // 5 pages: get_order() is 3. GFP_KERNEL is UNMOVABLE; no UNMOVABLE block
    // exists, so __rmqueue_fallback() steals the largest MOVABLE block, order 10 at
    // 0x1000, claims both its pageblocks and splits it from the UNMOVABLE list:
    // 0x1200 (9), 0x1100 (8), ..., 0x1008 (3) stay free; 0x1000 fills the per-cpu
    // list (batch 1) and is returned.
    let mut events = Vec::new();
    let exact = a
        .alloc_pages_exact(5 * 4096, gfp("GFP_KERNEL"), &mut events)
        .unwrap()
        .expect("memory");
    check(&a);
    assert_eq!(exact.pfn, Pfn(0x1000));
    assert_eq!(exact.pages, 5);
    assert_eq!(a.zones()[0].buddy.pageblock_type(Pfn(0x1000)), UNMOVABLE);
    assert_eq!(a.zones()[0].buddy.pageblock_type(Pfn(0x1200)), UNMOVABLE);
    // make_alloc_exact(): pages 5, 6, 7 go back with __free_pages_ok(FPI_TO_TAIL),
    // in that order: 0x1005 alone (its buddy 0x1004 is kept), 0x1006 alone, then
    // 0x1007 merges with 0x1006 into order 1, whose buddy 0x1004 is kept.
    assert_eq!(
        a.zones()[0].buddy.free_list(Order::ZERO, UNMOVABLE),
        vec![Pfn(0x1005)]
    );
    assert_eq!(
        a.zones()[0]
            .buddy
            .free_list(Order::new(1).unwrap(), UNMOVABLE),
        vec![Pfn(0x1006)]
    );
    assert_eq!(free_counter(&a), 4032 - 8 + 3);
    for pfn in 0x1000..0x1005 {
        assert!(live(&a, pfn, 0));
    }
    let frees: Vec<u64> = events
        .iter()
        .filter_map(|e| match e {
            Event::PageFree { pfn, .. } => Some(pfn.0),
            _ => None,
        })
        .collect();
    assert_eq!(frees, vec![0x1005, 0x1006, 0x1007]);
    assert!(events.contains(&Event::AllocExact {
        pfn: Pfn(0x1000),
        order: Order::new(3).unwrap(),
        kept: 5
    }));

    // Refused: a size that is not what was allocated reaches a free page.
    let before = a.clone();
    assert_eq!(
        a.free_pages_exact(Pfn(0x1000), 6 * 4096, &mut ()),
        Err(EngineError::NotAllocated { pfn: Pfn(0x1005) }.into())
    );
    assert_eq!(a, before);

    // free_pages_exact(): five order-0 frees to the per-cpu list; drained, everything
    // merges back into order 10 at 0x1000 on the UNMOVABLE list (both pageblocks are
    // UNMOVABLE now), at the head.
    a.free_pages_exact(Pfn(0x1000), 5 * 4096 - 100, &mut ())
        .unwrap();
    check(&a);
    assert_eq!(a.zones()[0].pcps[0].count, 5);
    a.drain_all_pages(&mut ());
    check(&a);
    let mut expected = boot_lists();
    expected[4] = (10, MOVABLE, vec![0x1400, 0x1800]);
    expected.insert(4, (10, UNMOVABLE, vec![0x1000]));
    assert_eq!(lists(&a), expected);
    assert_eq!(free_counter(&a), 4032);
}

#[test]
fn alloc_pages_exact_refuses_sizes_it_cannot_serve() {
    let mut a = small();
    let before = a.clone();
    assert_eq!(
        a.alloc_pages_exact(0, gfp("GFP_KERNEL"), &mut ()),
        Err(ContigError::ZeroSize)
    );
    // 4 MiB + 1 byte needs order 11.
    assert_eq!(
        a.alloc_pages_exact(4 * 1024 * 1024 + 1, gfp("GFP_KERNEL"), &mut ()),
        Err(EngineError::OrderTooLarge { order: 11 }.into())
    );
    assert_eq!(a, before);
    // Exactly 4 MiB is order 10; a whole block is kept, nothing freed.
    let exact = a
        .alloc_pages_exact(4 * 1024 * 1024, gfp("GFP_HIGHUSER_MOVABLE"), &mut ())
        .unwrap()
        .unwrap();
    check(&a);
    assert_eq!((exact.pfn, exact.pages), (Pfn(0x1000), 1024));
    // free_pages_exact() of nothing frees nothing, as in the kernel.
    let before = a.clone();
    a.free_pages_exact(Pfn(0x1000), 0, &mut ()).unwrap();
    assert_eq!(a, before);
}

#[test]
fn isolating_half_of_a_free_max_order_block_splits_it_and_undo_merges_it_back() {
    let mut a = small();
    let mut events = Vec::new();
    // [0x1200, 0x1400) is the upper pageblock of the free order-10 block at 0x1000.
    // set_migratetype_isolate(0x1200): only tail pages there, nothing to move. Then
    // isolate_single_pageblock() looks from 0x1000 (MAX_ORDER aligned) and finds the
    // order-10 block across 0x1200: split_free_page() takes it out of NR_FREE_PAGES
    // (its pageblock is MOVABLE) and frees 0x1000 (order 9) to MOVABLE, counted, at
    // the head, and 0x1200 (order 9) to ISOLATE, not counted; they may not merge.
    let outcome = a
        .start_isolate_page_range(Pfn(0x1200), Pfn(0x1400), MOVABLE, &mut events)
        .unwrap();
    check(&a);
    assert!(outcome.succeeded());
    assert!(outcome.migrations.is_empty());
    assert_eq!(
        events,
        vec![
            Event::PageblockIsolated {
                pfn: Pfn(0x1200),
                moved: 0
            },
            Event::FreePageSplit {
                pfn: Pfn(0x1000),
                order: Order::MAX,
                at: Pfn(0x1200)
            },
            Event::AddFree {
                pfn: Pfn(0x1000),
                order: Order::new(9).unwrap(),
                migratetype: MOVABLE,
                placement: buddyscope_engine::Placement::Head
            },
            Event::AddFree {
                pfn: Pfn(0x1200),
                order: Order::new(9).unwrap(),
                migratetype: ISOLATE,
                placement: buddyscope_engine::Placement::Head
            },
        ]
    );
    assert_eq!(
        lists(&a),
        vec![
            (6, MOVABLE, vec![0x1f80]),
            (7, MOVABLE, vec![0x1f00]),
            (8, MOVABLE, vec![0x1e00]),
            (9, MOVABLE, vec![0x1000, 0x1c00]),
            (9, ISOLATE, vec![0x1200]),
            (10, MOVABLE, vec![0x1400, 0x1800]),
        ]
    );
    assert_eq!(a.zones()[0].nr_isolate_pageblock, 1);
    assert_eq!(free_counter(&a), 4032 - 512);
    // Isolating it again is refused: -EBUSY, nothing changes.
    let before = a.clone();
    let mut events = Vec::new();
    let outcome = a
        .start_isolate_page_range(Pfn(0x1200), Pfn(0x1300), MOVABLE, &mut events)
        .unwrap();
    assert_eq!(
        outcome.failure,
        Some(ContigFailure::AlreadyIsolated {
            pageblock: Pfn(0x1200)
        })
    );
    assert_eq!(a, before);

    // unset_migratetype_isolate(): the pageblock heads a free order-9 block whose
    // buddy 0x1000 is free and not isolated, so it is taken off (no counter: it is
    // isolated), the pageblock becomes MOVABLE and the block is freed again to the
    // tail (FPI_TO_TAIL), counted, merging into order 10 at 0x1000, which goes to
    // the tail of free_area[10].
    let mut events = Vec::new();
    a.undo_isolate_page_range(Pfn(0x1200), Pfn(0x1400), MOVABLE, &mut events)
        .unwrap();
    check(&a);
    assert_eq!(
        events[0],
        Event::PageblockUnisolated {
            pfn: Pfn(0x1200),
            migratetype: MOVABLE,
            moved: 512,
            merged: true
        }
    );
    let mut expected = boot_lists();
    expected[3] = (9, MOVABLE, vec![0x1c00]);
    expected[4] = (10, MOVABLE, vec![0x1400, 0x1800, 0x1000]);
    assert_eq!(lists(&a), expected);
    assert_eq!(free_counter(&a), 4032);
    assert_eq!(a.zones()[0].nr_isolate_pageblock, 0);
    // Undoing again finds nothing isolated.
    let before = a.clone();
    a.undo_isolate_page_range(Pfn(0x1200), Pfn(0x1400), MOVABLE, &mut ())
        .unwrap();
    assert_eq!(a, before);
}

#[test]
fn isolated_neighbours_stay_unmerged_until_undone() {
    let mut a = small();
    // Order 9 twice: 0x1c00 (the order-9 block), then 0x1000 (splitting the
    // order-10 block at 0x1000; 0x1200 stays free).
    assert_eq!(alloc(&mut a, "GFP_HIGHUSER_MOVABLE", 9), Pfn(0x1c00));
    assert_eq!(alloc(&mut a, "GFP_HIGHUSER_MOVABLE", 9), Pfn(0x1000));
    a.start_isolate_page_range(Pfn(0x1200), Pfn(0x1400), MOVABLE, &mut ())
        .unwrap();
    check(&a);
    // Freed, 0x1000 (MOVABLE) may not merge with the isolated 0x1200. It passes
    // through the per-cpu list: past `high`, free_pcppages_bulk() returns it.
    a.free_pages(Pfn(0x1000), 9, &mut ()).unwrap();
    check(&a);
    assert_eq!(
        a.zones()[0]
            .buddy
            .free_list(Order::new(9).unwrap(), MOVABLE),
        vec![Pfn(0x1000)]
    );
    // Isolating 0x1000 as well moves it to the tail of the isolate list, beside its
    // buddy: move_freepages_block() does not merge.
    a.start_isolate_page_range(Pfn(0x1000), Pfn(0x1200), MOVABLE, &mut ())
        .unwrap();
    check(&a);
    assert_eq!(
        a.zones()[0]
            .buddy
            .free_list(Order::new(9).unwrap(), ISOLATE),
        vec![Pfn(0x1200), Pfn(0x1000)]
    );
    // 0x1c00 in use; 1024 free pages on the isolate lists.
    assert_eq!(free_counter(&a), 4032 - 512 - 1024);
    // Undoing 0x1000 first moves it back (its buddy is still isolated); undoing
    // 0x1200 then takes it off and frees it again, merging into order 10.
    a.undo_isolate_page_range(Pfn(0x1000), Pfn(0x1200), MOVABLE, &mut ())
        .unwrap();
    check(&a);
    a.undo_isolate_page_range(Pfn(0x1200), Pfn(0x1400), MOVABLE, &mut ())
        .unwrap();
    check(&a);
    assert_eq!(
        a.zones()[0].buddy.free_list(Order::MAX, MOVABLE),
        vec![Pfn(0x1400), Pfn(0x1800), Pfn(0x1000)]
    );
    assert_eq!(free_counter(&a), 4032 - 512);
}

#[test]
fn pages_on_per_cpu_lists_do_not_stop_isolation_and_drain_to_the_isolate_list() {
    let mut a = small();
    consume_small_blocks(&mut a);
    // The order-0 page splits the order-10 block at 0x1000 (halves 0x1200 (9) ...
    // 0x1001 (0)); freed, it sits on the per-cpu list.
    let page = alloc(&mut a, "GFP_HIGHUSER_MOVABLE", 0);
    assert_eq!(page, Pfn(0x1000));
    a.free_pages(page, 0, &mut ()).unwrap();
    check(&a);
    assert_eq!(free_counter(&a), 4032 - 960 - 1);
    // has_unmovable_pages() sees a page with no references; the 511 free pages of
    // the pageblock move to the isolate lists.
    let outcome = a
        .start_isolate_page_range(Pfn(0x1000), Pfn(0x1200), MOVABLE, &mut ())
        .unwrap();
    assert!(outcome.succeeded());
    check(&a);
    assert_eq!(free_counter(&a), 4032 - 960 - 1 - 511);
    // drain: free_pcppages_bulk() sees has_isolate_pageblock(), reads the pageblock
    // type (ISOLATE) instead of the cached MOVABLE, and does not count the page; it
    // merges up to order 9 at 0x1000 (0x1200 is MOVABLE: no merge at order 9).
    let mut events = Vec::new();
    a.drain_all_pages(&mut events);
    check(&a);
    assert!(events.iter().any(|e| matches!(
        e,
        Event::PcpDrain {
            pfn: Pfn(0x1000),
            order: Order::ZERO,
            migratetype: ISOLATE,
            cause: buddyscope_engine::event::DrainCause::Drained { .. },
        }
    )));
    assert_eq!(free_counter(&a), 4032 - 960 - 512);
    assert_eq!(
        a.zones()[0]
            .buddy
            .free_list(Order::new(9).unwrap(), ISOLATE),
        vec![Pfn(0x1000)]
    );
    // Undo merges 0x1000 with 0x1200 into order 10, to the tail.
    a.undo_isolate_page_range(Pfn(0x1000), Pfn(0x1200), MOVABLE, &mut ())
        .unwrap();
    check(&a);
    assert_eq!(free_counter(&a), 4032 - 960);
    assert_eq!(
        a.zones()[0].buddy.free_list(Order::MAX, MOVABLE),
        vec![Pfn(0x1400), Pfn(0x1800), Pfn(0x1000)]
    );
}

#[test]
fn alloc_contig_range_of_free_pages_in_an_unaligned_range() {
    let mut a = small();
    let mut events = Vec::new();
    // [0x1100, 0x1180): 128 pages inside the pageblock 0x1000, which is the lower
    // half of the free order-10 block at 0x1000.
    let outcome = a
        .alloc_contig_range(
            Pfn(0x1100),
            Pfn(0x1180),
            MOVABLE,
            gfp("GFP_KERNEL"),
            &mut events,
        )
        .unwrap();
    check(&a);
    assert_eq!(outcome.failure, None);
    assert!(outcome.migrations.is_empty());
    // Isolating 0x1000 moves the whole order-10 block (its head is there) to the
    // isolate list: -1024. The end boundary 0x1200 then splits it: 0x1000 (9) stays
    // isolated, 0x1200 (9) goes to MOVABLE, counted: +512. Nothing to migrate.
    // outer_start is 0x1000, the order-9 block holding 0x1100; test_pages_isolated()
    // passes up to 0x1200; isolate_freepages_range() takes the order-9 block; the
    // head [0x1000, 0x1100) and tail [0x1180, 0x1200) are freed again, to ISOLATE
    // (order 8 at 0x1000 and order 7 at 0x1180, each to the tail because its
    // next-order buddy is free), and undo moves them to the tail of the MOVABLE
    // lists: +384.
    let expected_events = [
        Event::PageblockIsolated {
            pfn: Pfn(0x1000),
            moved: 1024,
        },
        Event::FreePageSplit {
            pfn: Pfn(0x1000),
            order: Order::MAX,
            at: Pfn(0x1200),
        },
        Event::TestPagesIsolated {
            start: Pfn(0x1000),
            end: Pfn(0x1180),
            fin: Pfn(0x1200),
        },
        Event::FreePageTaken {
            pfn: Pfn(0x1000),
            order: Order::new(9).unwrap(),
        },
        Event::PageblockUnisolated {
            pfn: Pfn(0x1000),
            migratetype: MOVABLE,
            moved: 384,
            merged: false,
        },
    ];
    let ours: Vec<&Event> = events
        .iter()
        .filter(|e| {
            matches!(
                e,
                Event::PageblockIsolated { .. }
                    | Event::FreePageSplit { .. }
                    | Event::TestPagesIsolated { .. }
                    | Event::FreePageTaken { .. }
                    | Event::PageblockUnisolated { .. }
            )
        })
        .collect();
    assert_eq!(ours, expected_events.iter().collect::<Vec<_>>());
    assert_eq!(
        lists(&a),
        vec![
            (6, MOVABLE, vec![0x1f80]),
            (7, MOVABLE, vec![0x1f00, 0x1180]),
            (8, MOVABLE, vec![0x1e00, 0x1000]),
            (9, MOVABLE, vec![0x1200, 0x1c00]),
            (10, MOVABLE, vec![0x1400, 0x1800]),
        ]
    );
    assert_eq!(free_counter(&a), 4032 - 128);
    for pfn in 0x1100..0x1180 {
        assert!(live(&a, pfn, 0), "pfn {pfn:#x} is allocated");
    }
    assert_eq!(a.zones()[0].buddy.pageblock_type(Pfn(0x1000)), MOVABLE);

    // free_contig_range(): 128 order-0 frees to the per-cpu list; drained,
    // everything merges back into order 10 at 0x1000, at the head: boot lists.
    let before = a.clone();
    assert_eq!(
        a.free_contig_range(Pfn(0x1100), 129, &mut ()),
        Err(EngineError::NotAllocated { pfn: Pfn(0x1180) }.into())
    );
    assert_eq!(a, before);
    a.free_contig_range(Pfn(0x1100), 128, &mut ()).unwrap();
    check(&a);
    a.drain_all_pages(&mut ());
    check(&a);
    assert_eq!(lists(&a), boot_lists());
    assert_eq!(free_counter(&a), 4032);
}

#[test]
fn alloc_contig_range_migrates_lru_pages_last_collected_first() {
    let mut a = small();
    consume_small_blocks(&mut a);
    // Four LRU pages: 0x1000..0x1004, split from the order-10 block at 0x1000
    // (halves 0x1200 (9), 0x1100 (8), ..., 0x1004 (2) stay free).
    for pfn in 0x1000..0x1004 {
        let page = alloc(&mut a, "GFP_HIGHUSER_MOVABLE", 0);
        assert_eq!(page, Pfn(pfn));
        movable(&mut a, page);
    }
    assert_eq!(free_counter(&a), 4032 - 960 - 4);
    let mut events = Vec::new();
    let outcome = a
        .alloc_contig_range(
            Pfn(0x1000),
            Pfn(0x1004),
            MOVABLE,
            gfp("GFP_KERNEL"),
            &mut events,
        )
        .unwrap();
    check(&a);
    assert_eq!(outcome.failure, None);
    // The four pages are collected in pfn order and migrated from the last one
    // (each isolated page is put at the head of the migrate list). The targets come
    // from the only MOVABLE block outside the isolated pageblock, order 9 at 0x1200,
    // through the per-cpu list: 0x1200, 0x1201, 0x1202 (splitting 0x1203 off), 0x1203.
    assert_eq!(
        migrated(&events),
        vec![
            (0x1003, 0x1200, 0),
            (0x1002, 0x1201, 0),
            (0x1001, 0x1202, 0),
            (0x1000, 0x1203, 0)
        ]
    );
    assert_eq!(
        outcome.migrations[0],
        Migration {
            from: Pfn(0x1003),
            to: Pfn(0x1200),
            order: Order::ZERO
        }
    );
    for pfn in 0x1200..0x1204 {
        assert!(live(&a, pfn, 0));
        assert!(a.zones()[0].buddy.is_page_movable(Pfn(pfn)));
    }
    for pfn in 0x1000..0x1004 {
        assert!(live(&a, pfn, 0));
        assert!(!a.zones()[0].buddy.is_page_movable(Pfn(pfn)));
    }
    // The freed originals merged with the pageblock's isolated free pages into order
    // 9 at 0x1000 (the order-9 buddy 0x1200 is in use), which
    // isolate_freepages_range() took; [0x1004, 0x1200) went back to ISOLATE as
    // 0x1004 (2), 0x1008 (3), ..., 0x1100 (8), and undo moved them to the tails of
    // the MOVABLE lists, after the halves of the split at 0x1200.
    assert_eq!(
        lists(&a),
        vec![
            (2, MOVABLE, vec![0x1204, 0x1004]),
            (3, MOVABLE, vec![0x1208, 0x1008]),
            (4, MOVABLE, vec![0x1210, 0x1010]),
            (5, MOVABLE, vec![0x1220, 0x1020]),
            (6, MOVABLE, vec![0x1240, 0x1040]),
            (7, MOVABLE, vec![0x1280, 0x1080]),
            (8, MOVABLE, vec![0x1300, 0x1100]),
            (10, MOVABLE, vec![0x1400, 0x1800]),
        ]
    );
    assert_eq!(free_counter(&a), 4032 - 960 - 8);
}

#[test]
fn migrated_lru_pages_keep_their_owner_and_become_the_youngest() {
    use buddyscope_engine::alloc::reclaim::PageUse;
    let mut a = small();
    consume_small_blocks(&mut a);
    // Page-cache pages of owners 1 to 4: 0x1000..0x1004, on the LRU in that order.
    for owner in 1..=4 {
        let page = a
            .alloc_for(
                0,
                gfp("GFP_HIGHUSER_MOVABLE"),
                0,
                PageUse::PageCache,
                owner,
                &mut (),
            )
            .unwrap()
            .unwrap();
        assert_eq!(page.pfn, Pfn(0x1000 + owner - 1));
    }
    check(&a);
    let outcome = a
        .alloc_contig_range(
            Pfn(0x1000),
            Pfn(0x1002),
            MOVABLE,
            gfp("GFP_KERNEL"),
            &mut (),
        )
        .unwrap();
    check(&a);
    assert!(outcome.succeeded());
    // 0x1001 migrates first (to 0x1200), then 0x1000 (to 0x1201); each goes back on
    // the LRU as its youngest page.
    let lru: Vec<(u64, u64)> = a.lru().iter().map(|p| (p.owner, p.pfn)).collect();
    assert_eq!(
        lru,
        vec![(3, 0x1002), (4, 0x1003), (2, 0x1200), (1, 0x1201)]
    );
}

#[test]
fn alloc_contig_range_migrates_a_whole_compound_page() {
    let mut a = small();
    // A THP: order 9 (through the per-cpu list) takes the order-9 block 0x1c00.
    let thp = alloc(&mut a, "GFP_TRANSHUGE", 9);
    assert_eq!(thp, Pfn(0x1c00));
    movable(&mut a, thp);
    let mut events = Vec::new();
    let outcome = a
        .alloc_contig_range(
            Pfn(0x1c00),
            Pfn(0x1c10),
            MOVABLE,
            gfp("GFP_KERNEL"),
            &mut events,
        )
        .unwrap();
    check(&a);
    assert_eq!(outcome.failure, None);
    // has_unmovable_pages() skips the compound LRU page; the target (GFP_TRANSHUGE,
    // order 9, through the per-cpu list) splits the order-10 block at 0x1000. The
    // original, freed into the isolated pageblock, cannot merge with 0x1e00 (order
    // 8); it is taken whole, and [0x1c10, 0x1e00) freed again and moved back as
    // 0x1c10 (4), 0x1c20 (5), 0x1c40 (6), 0x1c80 (7), 0x1d00 (8).
    assert_eq!(migrated(&events), vec![(0x1c00, 0x1000, 9)]);
    assert!(a.zones()[0]
        .buddy
        .is_in_use_block(Pfn(0x1000), Order::new(9).unwrap()));
    assert!(a.zones()[0].buddy.is_page_movable(Pfn(0x1000)));
    assert_eq!(
        lists(&a),
        vec![
            (4, MOVABLE, vec![0x1c10]),
            (5, MOVABLE, vec![0x1c20]),
            (6, MOVABLE, vec![0x1f80, 0x1c40]),
            (7, MOVABLE, vec![0x1f00, 0x1c80]),
            (8, MOVABLE, vec![0x1e00, 0x1d00]),
            (9, MOVABLE, vec![0x1200]),
            (10, MOVABLE, vec![0x1400, 0x1800]),
        ]
    );
    assert_eq!(free_counter(&a), 4032 - 512 - 16);
}

#[test]
fn isolation_migrates_a_movable_block_across_the_range_start() {
    let mut a = small();
    // An order-10 LRU block at 0x1000 covers the pageblocks 0x1000 and 0x1200.
    let big = alloc(&mut a, "GFP_TRANSHUGE", 10);
    assert_eq!(big, Pfn(0x1000));
    movable(&mut a, big);
    let mut events = Vec::new();
    let outcome = a
        .start_isolate_page_range(Pfn(0x1200), Pfn(0x1400), MOVABLE, &mut events)
        .unwrap();
    check(&a);
    assert_eq!(outcome.failure, None);
    // isolate_single_pageblock(0x1200) finds the block across 0x1200: it isolates
    // its pageblock 0x1000 too, migrates it (target: order 10 at 0x1400), restores
    // 0x1000 (the freed block is moved back whole: +1024), then splits the free
    // block at 0x1200.
    assert_eq!(
        outcome.migrations,
        vec![Migration {
            from: Pfn(0x1000),
            to: Pfn(0x1400),
            order: Order::MAX
        }]
    );
    let ours: Vec<&Event> = events
        .iter()
        .filter(|e| {
            matches!(
                e,
                Event::PageblockIsolated { .. }
                    | Event::PageblockUnisolated { .. }
                    | Event::ContigMigrated { .. }
                    | Event::FreePageSplit { .. }
            )
        })
        .collect();
    let expected = [
        Event::PageblockIsolated {
            pfn: Pfn(0x1200),
            moved: 0,
        },
        Event::PageblockIsolated {
            pfn: Pfn(0x1000),
            moved: 0,
        },
        Event::ContigMigrated {
            from: Pfn(0x1000),
            to: Pfn(0x1400),
            order: Order::MAX,
            // Not an LRU page: no owner.
            owner: None,
        },
        Event::PageblockUnisolated {
            pfn: Pfn(0x1000),
            migratetype: MOVABLE,
            moved: 1024,
            merged: false,
        },
        Event::FreePageSplit {
            pfn: Pfn(0x1000),
            order: Order::MAX,
            at: Pfn(0x1200),
        },
    ];
    assert_eq!(ours, expected.iter().collect::<Vec<_>>());
    assert_eq!(
        lists(&a),
        vec![
            (6, MOVABLE, vec![0x1f80]),
            (7, MOVABLE, vec![0x1f00]),
            (8, MOVABLE, vec![0x1e00]),
            (9, MOVABLE, vec![0x1000, 0x1c00]),
            (9, ISOLATE, vec![0x1200]),
            (10, MOVABLE, vec![0x1800]),
        ]
    );
    assert_eq!(a.zones()[0].nr_isolate_pageblock, 1);
    assert_eq!(free_counter(&a), 4032 - 1024 - 512);
    a.undo_isolate_page_range(Pfn(0x1200), Pfn(0x1400), MOVABLE, &mut ())
        .unwrap();
    check(&a);
    assert_eq!(
        a.zones()[0].buddy.free_list(Order::MAX, MOVABLE),
        vec![Pfn(0x1800), Pfn(0x1000)]
    );
    assert_eq!(free_counter(&a), 4032 - 1024);
}

#[test]
fn alloc_contig_range_fails_on_pages_it_cannot_move() {
    let mut a = small();
    consume_small_blocks(&mut a);
    // Kernel memory at 0x1000 (no movable flag).
    let page = alloc(&mut a, "GFP_HIGHUSER_MOVABLE", 0);
    assert_eq!(page, Pfn(0x1000));
    let before = a.clone();
    let mut events = Vec::new();
    let outcome = a
        .alloc_contig_range(
            Pfn(0x1100),
            Pfn(0x1180),
            MOVABLE,
            gfp("GFP_KERNEL"),
            &mut events,
        )
        .unwrap();
    check(&a);
    // set_migratetype_isolate() checks the whole first pageblock, also below the
    // range: -EBUSY, nothing changed.
    assert_eq!(
        outcome.failure,
        Some(ContigFailure::Unmovable {
            pageblock: Pfn(0x1000),
            pfn: Pfn(0x1000)
        })
    );
    assert_eq!(
        events,
        vec![Event::IsolationRefused {
            pfn: Pfn(0x1000),
            unmovable: Some(Pfn(0x1000))
        }]
    );
    assert_eq!(a, before);

    // At boot, the pageblock 0x1e00 holds free blocks of order 8, 7 and 6 and then
    // the reserved memmap pages: PageReserved is unmovable.
    let mut a = small();
    let before = a.clone();
    let outcome = a
        .alloc_contig_range(
            Pfn(0x1e00),
            Pfn(0x1e01),
            MOVABLE,
            gfp("GFP_KERNEL"),
            &mut (),
        )
        .unwrap();
    check(&a);
    assert_eq!(
        outcome.failure,
        Some(ContigFailure::Unmovable {
            pageblock: Pfn(0x1e00),
            pfn: Pfn(0x1fc0)
        })
    );
    assert_eq!(a, before);
}

#[test]
fn migration_without_a_target_page_fails_with_enomem() {
    let mut a = small();
    consume_small_blocks(&mut a);
    let page = alloc(&mut a, "GFP_HIGHUSER_MOVABLE", 0);
    assert_eq!(page, Pfn(0x1000));
    movable(&mut a, page);
    // Take everything outside the pageblock 0x1000: 0x1400, 0x1800 (order 10) and
    // 0x1200 (order 9). 511 free pages are left, all in the pageblock 0x1000.
    assert_eq!(alloc(&mut a, "GFP_HIGHUSER_MOVABLE", 10), Pfn(0x1400));
    assert_eq!(alloc(&mut a, "GFP_HIGHUSER_MOVABLE", 10), Pfn(0x1800));
    assert_eq!(alloc(&mut a, "GFP_HIGHUSER_MOVABLE", 9), Pfn(0x1200));
    assert_eq!(free_counter(&a), 511);
    let before = a.clone();
    let mut events = Vec::new();
    let outcome = a
        .alloc_contig_range(
            Pfn(0x1000),
            Pfn(0x1001),
            MOVABLE,
            gfp("GFP_KERNEL"),
            &mut events,
        )
        .unwrap();
    check(&a);
    // Isolation leaves NR_FREE_PAGES at 0: the target allocation fails (-ENOMEM)
    // and the isolation is undone.
    assert_eq!(
        outcome.failure,
        Some(ContigFailure::NoMemory {
            pfn: Pfn(0x1000),
            order: Order::ZERO
        })
    );
    assert!(events.contains(&Event::ContigMigrateFailed {
        pfn: Pfn(0x1000),
        order: Order::ZERO
    }));
    assert_eq!(lists(&a), lists(&before));
    assert_eq!(free_counter(&a), 511);
    assert!(live(&a, 0x1000, 0));
    assert!(a.zones()[0].buddy.is_page_movable(Pfn(0x1000)));
}

#[test]
fn a_failed_alloc_contig_range_undoes_an_overlapping_isolation_as_the_kernel_does() {
    let mut a = small();
    a.start_isolate_page_range(Pfn(0x1200), Pfn(0x1400), MOVABLE, &mut ())
        .unwrap();
    check(&a);
    // Its first pageblock is already isolated: -EBUSY; then the `done:` label's
    // undo_isolate_page_range() restores every isolated pageblock of the range,
    // including the one isolated before, which merges back (tail of free_area[10]).
    let outcome = a
        .alloc_contig_range(
            Pfn(0x1200),
            Pfn(0x1300),
            MOVABLE,
            gfp("GFP_KERNEL"),
            &mut (),
        )
        .unwrap();
    check(&a);
    assert_eq!(
        outcome.failure,
        Some(ContigFailure::AlreadyIsolated {
            pageblock: Pfn(0x1200)
        })
    );
    assert_eq!(a.zones()[0].nr_isolate_pageblock, 0);
    assert_eq!(
        a.zones()[0].buddy.free_list(Order::MAX, MOVABLE),
        vec![Pfn(0x1400), Pfn(0x1800), Pfn(0x1000)]
    );
}

#[test]
fn unmovable_pageblocks_become_the_requested_type() {
    let mut a = small();
    // Make the pageblocks 0x1000 and 0x1200 UNMOVABLE with a stolen GFP_KERNEL page,
    // then free it: everything is free again, on the UNMOVABLE list.
    let page = alloc(&mut a, "GFP_KERNEL", 4);
    a.free_pages(page, 4, &mut ()).unwrap();
    check(&a);
    assert_eq!(a.zones()[0].buddy.pageblock_type(Pfn(0x1000)), UNMOVABLE);
    // Isolation restores pageblocks to the type asked for, not to their old type.
    let outcome = a
        .alloc_contig_range(
            Pfn(0x1000),
            Pfn(0x1001),
            MOVABLE,
            gfp("GFP_KERNEL"),
            &mut (),
        )
        .unwrap();
    check(&a);
    assert!(outcome.succeeded());
    assert_eq!(a.zones()[0].buddy.pageblock_type(Pfn(0x1000)), MOVABLE);
    assert_eq!(a.zones()[0].buddy.pageblock_type(Pfn(0x1200)), UNMOVABLE);
    a.free_contig_range(Pfn(0x1000), 1, &mut ()).unwrap();
    a.drain_all_pages(&mut ());
    check(&a);
}

#[test]
fn bad_ranges_are_refused_and_change_nothing() {
    let mut a = small();
    let page = alloc(&mut a, "GFP_HIGHUSER_MOVABLE", 0);
    let before = a.clone();
    let gfp_kernel = gfp("GFP_KERNEL");
    let range_cases: Vec<(u64, u64, ContigError)> = vec![
        (
            0x1100,
            0x1100,
            ContigError::EmptyRange {
                start: Pfn(0x1100),
                end: Pfn(0x1100),
            },
        ),
        (
            0x1200,
            0x1100,
            ContigError::EmptyRange {
                start: Pfn(0x1200),
                end: Pfn(0x1100),
            },
        ),
        (
            0x100,
            0x200,
            EngineError::PfnOutsideZone { pfn: Pfn(0x100) }.into(),
        ),
        (
            0x1f00,
            0x2100,
            ContigError::RangeNotInOneZone {
                start: Pfn(0x1f00),
                end: Pfn(0x2100),
            },
        ),
        (
            0x1f00,
            u64::MAX,
            ContigError::RangeNotInOneZone {
                start: Pfn(0x1f00),
                end: Pfn(u64::MAX),
            },
        ),
    ];
    for (start, end, error) in range_cases {
        let (start, end) = (Pfn(start), Pfn(end));
        assert_eq!(
            a.alloc_contig_range(start, end, MOVABLE, gfp_kernel, &mut ()),
            Err(error.clone())
        );
        assert_eq!(
            a.start_isolate_page_range(start, end, MOVABLE, &mut ()),
            Err(error.clone())
        );
        assert_eq!(
            a.undo_isolate_page_range(start, end, MOVABLE, &mut ()),
            Err(error.clone())
        );
        assert_eq!(a, before);
    }
    for mt in [UNMOVABLE, MigrateType::Reclaimable, ISOLATE] {
        assert_eq!(
            a.alloc_contig_range(Pfn(0x1000), Pfn(0x1200), mt, gfp_kernel, &mut ()),
            Err(ContigError::BadMigratetype { migratetype: mt })
        );
    }
    for mt in [MigrateType::HighAtomic, ISOLATE] {
        assert_eq!(
            a.start_isolate_page_range(Pfn(0x1000), Pfn(0x1200), mt, &mut ()),
            Err(ContigError::BadMigratetype { migratetype: mt })
        );
        assert_eq!(
            a.undo_isolate_page_range(Pfn(0x1000), Pfn(0x1200), mt, &mut ()),
            Err(ContigError::BadMigratetype { migratetype: mt })
        );
    }
    // free_contig_range() / free_pages_exact() of pages not allocated, or starting
    // inside a block.
    assert_eq!(
        a.free_contig_range(Pfn(0x1400), 1, &mut ()),
        Err(EngineError::NotAllocated { pfn: Pfn(0x1400) }.into())
    );
    assert_eq!(
        a.free_contig_range(Pfn(0x10), 1, &mut ()),
        Err(EngineError::PfnOutsideZone { pfn: Pfn(0x10) }.into())
    );
    assert_eq!(
        a.free_contig_range(Pfn(0x1fff), u64::MAX, &mut ()),
        Err(EngineError::PfnOutsideZone { pfn: Pfn(0x1fff) }.into())
    );
    assert_eq!(
        a.free_pages_exact(Pfn(page.0 + 1), 4096, &mut ()),
        Err(EngineError::NotAllocated {
            pfn: Pfn(page.0 + 1)
        }
        .into())
    );
    assert_eq!(a, before);
    // Nothing was isolated by any of these.
    check(&a);
    assert_eq!(isolated_pageblocks(&a), 0);
}

/// One live allocation the random test tracks.
#[derive(Clone, Copy, Debug)]
enum Held {
    /// A block from `alloc_pages()`; `movable` when flagged as an LRU page.
    Block { pfn: Pfn, order: u32, movable: bool },
    /// `pages` single pages from `alloc_pages_exact()`.
    Exact { pfn: Pfn, pages: u64 },
    /// `nr` single pages from `alloc_contig_range()` (or a split).
    Range { pfn: Pfn, nr: u64 },
}

const MASKS: [&str; 5] = [
    "GFP_HIGHUSER_MOVABLE|__GFP_NOWARN",
    "GFP_NOWAIT|__GFP_MOVABLE|__GFP_NOWARN",
    "GFP_KERNEL|__GFP_NOWARN",
    "GFP_NOWAIT|__GFP_RECLAIMABLE|__GFP_NOWARN",
    "GFP_ATOMIC|__GFP_NOWARN",
];

/// The MAX_ORDER-aligned pfns around `[start, end)`.
fn max_order_extent(start: Pfn, end: Pfn) -> (u64, u64) {
    (start.0 & !1023, end.0.saturating_add(1023) & !1023)
}

/// Whether `[start, end)` shares a MAX_ORDER block with an active isolation.
fn overlaps_active(isolations: &[(Pfn, Pfn)], start: Pfn, end: Pfn) -> bool {
    let (lo, hi) = max_order_extent(start, end);
    isolations.iter().any(|&(s, e)| {
        let (s, e) = max_order_extent(s, e);
        lo < e && s < hi
    })
}

/// A random range whose pageblocks lie inside one zone (most of the time).
fn random_range(allocator: &Allocator, rng: &mut Rng) -> (Pfn, Pfn) {
    let zone = &allocator.zones()[rng.below(allocator.zones().len() as u64) as usize];
    let start = zone.buddy.start_pfn().0;
    let span = zone.buddy.nr_pages();
    let first = start + rng.below(span);
    let len = [1, 1, 7, 32, 100, 512, 600, 1024, 1500][rng.below(9) as usize];
    (Pfn(first), Pfn(first + len))
}

/// A seeded random mix of every entry point with ordinary allocations and frees,
/// within the conditions under which 6.1 keeps NR_FREE_PAGES and the isolate lists
/// exact (so every invariant holds after every operation):
///
/// - no block of kernel memory (not movable) spans two pageblocks, that is none of
///   order 10: 6.1 isolates a pageblock holding only tail pages of such a block, and
///   freeing it meanwhile puts isolated pages on an ordinary list, counted; see
///   `kernel_block_across_an_isolation_boundary_drifts_nr_free_pages_as_6_1_does`;
/// - an isolation or contiguous range never shares a MAX_ORDER block with an active
///   isolation, and an isolation is undone with the range it was made with: in 6.1
///   undoing one of two isolated halves of a free order-10 block moves the whole
///   block back. Overlapping requests are covered by their own tests.
fn run(seed: u64, ops: u64) -> Result<(), String> {
    let mut rng = Rng::new(seed);
    // One or two nodes of 8-24 MiB, pageblock aligned, with a hole between them.
    let nodes = 1 + rng.below(2);
    let mut start = 0x1000u64;
    let mut ranges = Vec::new();
    for _ in 0..nodes {
        let pages = (2 + rng.below(5)) << 10;
        ranges.push((start, start + pages));
        start += pages + rng.below(3) * 1024;
    }
    let mut a = machine(&ranges);
    let masks: Vec<Gfp> = MASKS.iter().map(|m| gfp(m)).collect();
    let mut held: Vec<Held> = Vec::new();
    let mut isolations: Vec<(Pfn, Pfn)> = Vec::new();
    let (mut contig_ok, mut contig_busy, mut migrations) = (0u64, 0u64, 0u64);
    let check_all = |a: &Allocator, step: u64, what: &str| -> Result<(), String> {
        a.check_invariants_with_isolation()
            .map_err(|e| format!("step {step} ({what}): {e}"))?;
        if isolated_pageblocks(a) == 0 {
            a.check_invariants()
                .map_err(|e| format!("step {step} ({what}): {e}"))?;
        }
        // Within this test's conditions, every free page of an isolated pageblock
        // is on an isolate list, too.
        for zone in a.zones() {
            for block in zone.buddy.blocks() {
                if block.state == buddyscope_engine::BlockState::Free
                    && zone.buddy.pageblock_type(block.pfn) == ISOLATE
                    && zone.buddy.free_list_type(block.pfn) != Some(ISOLATE)
                {
                    return Err(format!(
                        "step {step} ({what}): free block {} of an isolated pageblock is on the {:?} list",
                        block.pfn,
                        zone.buddy.free_list_type(block.pfn)
                    ));
                }
            }
        }
        Ok(())
    };
    for step in 0..ops {
        let cpu = a.online_cpus()[rng.below(a.online_cpus().len() as u64) as usize];
        a.set_cpu(cpu).map_err(|e| e.to_string())?;
        let roll = rng.below(100);
        let what;
        if roll < 30 || held.is_empty() {
            what = "alloc";
            let order = [0, 0, 0, 0, 1, 2, 3, 4, 9, 10][rng.below(10) as usize];
            // Mostly movable memory, as on a real machine; kernel memory pins its
            // pageblocks.
            let mut mask = if rng.below(10) < 9 {
                masks[rng.below(2) as usize]
            } else {
                masks[2 + rng.below(3) as usize]
            };
            if order == 10 {
                mask = masks[0];
            }
            let node = rng.below(a.nodes().len() as u64) as i32;
            if let Some(got) = a
                .alloc_pages_node(node, mask, order, &mut ())
                .map_err(|e| e.to_string())?
            {
                // An order-10 block is always an LRU page here (see `run`).
                let flag = mask.has(buddyscope_engine::types::gfp::GFP_MOVABLE)
                    && (order == 10 || rng.below(10) < 9);
                if flag {
                    movable(&mut a, got.pfn);
                }
                held.push(Held::Block {
                    pfn: got.pfn,
                    order,
                    movable: flag,
                });
            }
        } else if roll < 60 {
            what = "free";
            let index = rng.below(held.len() as u64) as usize;
            match held.swap_remove(index) {
                Held::Block { pfn, order, .. } => {
                    if !a.set_page_movable(pfn, false) {
                        return Err("pfn outside zones".to_string());
                    }
                    a.free_pages(pfn, order, &mut ())
                        .map_err(|e| format!("step {step}: free {pfn} order {order}: {e}"))?;
                }
                Held::Exact { pfn, pages } => a
                    .free_pages_exact(pfn, pages * 4096 - rng.below(4096), &mut ())
                    .map_err(|e| format!("step {step}: free_pages_exact {pfn}: {e}"))?,
                Held::Range { pfn, nr } => a
                    .free_contig_range(pfn, nr, &mut ())
                    .map_err(|e| format!("step {step}: free_contig_range {pfn}: {e}"))?,
            }
        } else if roll < 64 {
            what = "split_page";
            let index = rng.below(held.len() as u64) as usize;
            if let Held::Block {
                pfn,
                order,
                movable,
            } = held[index]
            {
                if order == 0 {
                    // split_page() of a single page changes nothing; keep tracking
                    // it as the (possibly movable) block it is.
                    a.split_page(pfn, 0, &mut ())
                        .map_err(|e| format!("step {step}: split {pfn} order 0: {e}"))?;
                    check_all(&a, step, "split_page")?;
                    continue;
                }
                let before = a.clone();
                match a.split_page(pfn, order, &mut ()) {
                    Ok(()) => {
                        held.swap_remove(index);
                        held.push(Held::Range {
                            pfn,
                            nr: 1 << order,
                        });
                    }
                    Err(ContigError::CompoundPage { .. }) if movable && order > 0 => {
                        if a != before {
                            return Err(format!("step {step}: a refused split changed the state"));
                        }
                    }
                    Err(e) => return Err(format!("step {step}: split {pfn} order {order}: {e}")),
                }
            }
        } else if roll < 68 {
            what = "alloc_pages_exact";
            let size = 1 + rng.below(40 * 4096);
            let mask = masks[2 + rng.below(3) as usize];
            if let Some(exact) = a
                .alloc_pages_exact(size, mask, &mut ())
                .map_err(|e| format!("step {step}: alloc_pages_exact {size}: {e}"))?
            {
                if exact.pages != size.div_ceil(4096) {
                    return Err(format!(
                        "step {step}: exact allocation of {} pages",
                        exact.pages
                    ));
                }
                held.push(Held::Exact {
                    pfn: exact.pfn,
                    pages: exact.pages,
                });
            }
        } else if roll < 84 {
            what = "alloc_contig_range";
            let (start, end) = random_range(&a, &mut rng);
            if overlaps_active(&isolations, start, end) {
                continue;
            }
            let before = a.clone();
            match a.alloc_contig_range(start, end, MOVABLE, masks[2], &mut ()) {
                Ok(outcome) => {
                    migrations += outcome.migrations.len() as u64;
                    for m in &outcome.migrations {
                        let Some(Held::Block { pfn, .. }) = held
                            .iter_mut()
                            .find(|h| matches!(h, Held::Block { pfn, .. } if *pfn == m.from))
                        else {
                            return Err(format!(
                                "step {step}: migrated {} which nobody holds",
                                m.from
                            ));
                        };
                        *pfn = m.to;
                    }
                    if outcome.succeeded() {
                        contig_ok += 1;
                        held.push(Held::Range {
                            pfn: start,
                            nr: end.0 - start.0,
                        });
                    } else {
                        contig_busy += 1;
                    }
                }
                Err(_) => {
                    if a != before {
                        return Err(format!(
                            "step {step}: a refused alloc_contig_range changed the state"
                        ));
                    }
                }
            }
        } else if roll < 90 {
            what = "start_isolate_page_range";
            let (start, end) = random_range(&a, &mut rng);
            if overlaps_active(&isolations, start, end) {
                continue;
            }
            let before = a.clone();
            match a.start_isolate_page_range(start, end, MOVABLE, &mut ()) {
                Ok(outcome) => {
                    for m in &outcome.migrations {
                        if let Some(Held::Block { pfn, .. }) = held
                            .iter_mut()
                            .find(|h| matches!(h, Held::Block { pfn, .. } if *pfn == m.from))
                        {
                            *pfn = m.to;
                        } else {
                            return Err(format!(
                                "step {step}: migrated {} which nobody holds",
                                m.from
                            ));
                        }
                    }
                    if outcome.succeeded() {
                        isolations.push((start, end));
                    }
                }
                Err(_) => {
                    if a != before {
                        return Err(format!(
                            "step {step}: a refused isolation changed the state"
                        ));
                    }
                }
            }
        } else if roll < 96 {
            what = "undo_isolate_page_range";
            if !isolations.is_empty() {
                let (start, end) =
                    isolations.swap_remove(rng.below(isolations.len() as u64) as usize);
                a.undo_isolate_page_range(start, end, MOVABLE, &mut ())
                    .map_err(|e| format!("step {step}: undo: {e}"))?;
            }
        } else {
            what = "drain_all_pages";
            a.drain_all_pages(&mut ());
        }
        check_all(&a, step, what)?;
        // Every allocation is still where its holder thinks it is.
        for h in &held {
            let (pfn, order, pages) = match *h {
                Held::Block { pfn, order, .. } => (pfn, order, 1),
                Held::Exact { pfn, pages } => (pfn, 0, pages),
                Held::Range { pfn, nr } => (pfn, 0, nr),
            };
            let z = a.zone_of_pfn(pfn).ok_or("held pfn outside zones")?;
            for i in 0..pages {
                let order = Order::new(order).unwrap();
                if !a.zones()[z].buddy.is_in_use_block(Pfn(pfn.0 + i), order) {
                    return Err(format!(
                        "step {step} ({what}): {h:?} lost page {}",
                        pfn.0 + i
                    ));
                }
            }
        }
    }
    // Undo every isolation, free everything, drain: every managed page is free and
    // counted again.
    for (start, end) in isolations.drain(..) {
        a.undo_isolate_page_range(start, end, MOVABLE, &mut ())
            .map_err(|e| e.to_string())?;
    }
    for h in held.drain(..) {
        match h {
            Held::Block { pfn, order, .. } => {
                if !a.set_page_movable(pfn, false) {
                    return Err("outside".to_string());
                }
                a.free_pages(pfn, order, &mut ())
                    .map_err(|e| e.to_string())?;
            }
            Held::Exact { pfn, pages } => a
                .free_pages_exact(pfn, pages * 4096, &mut ())
                .map_err(|e| e.to_string())?,
            Held::Range { pfn, nr } => a
                .free_contig_range(pfn, nr, &mut ())
                .map_err(|e| e.to_string())?,
        }
    }
    a.drain_all_pages(&mut ());
    check_all(&a, ops, "end")?;
    if isolated_pageblocks(&a) != 0 {
        return Err("pageblocks still isolated at the end".into());
    }
    for zone in a.zones() {
        if zone.buddy.free_pages() != zone.managed {
            return Err(format!(
                "zone {}:{}: {} of {} managed pages free at the end",
                zone.nid,
                zone.zone.name(),
                zone.buddy.free_pages(),
                zone.managed
            ));
        }
    }
    eprintln!(
        "seed {seed}: {} zones, {contig_ok} contiguous ranges, {contig_busy} busy, {migrations} migrations",
        a.zones().len()
    );
    Ok(())
}

#[test]
fn random_mix_of_contig_isolation_split_and_ordinary_operations() {
    let ops = 1_500 * seeded::size();
    seeded::run(
        "contig::random_mix_of_contig_isolation_split_and_ordinary_operations",
        10,
        |seed| run(seed, ops),
    );
}

#[test]
fn in_zone_movable_only_reserved_pages_stop_isolation() {
    use buddyscope_engine::machine::CoreSize;
    let config = MachineConfig {
        nodes: vec![NodeConfig {
            memory: vec![PfnRange {
                start: 0x1000,
                end: 0x3000,
            }],
            cpus: vec![0],
        }],
        movablecore: Some(CoreSize::Percent(50)),
        ..MachineConfig::default()
    };
    let mut a = Allocator::from_machine(&Machine::build(&config).unwrap()).unwrap();
    check(&a);
    // ZONE_MOVABLE is [0x2000, 0x3000), laid out as the DMA32 zone of `small()`: its
    // order-9 block is 0x2c00. A page there not marked movable (a long-term pin, in
    // kernel terms) passes has_unmovable_pages(), which assumes everything but
    // reserved pages in ZONE_MOVABLE can move; migration does not take it, and
    // test_pages_isolated() reports it.
    let page = a
        .alloc_pages_node(0, gfp("GFP_HIGHUSER_MOVABLE"), 9, &mut ())
        .unwrap()
        .unwrap();
    assert_eq!(page.pfn, Pfn(0x2c00));
    check(&a);
    let before = a.clone();
    let mut events = Vec::new();
    let outcome = a
        .alloc_contig_range(
            Pfn(0x2c00),
            Pfn(0x2c01),
            MOVABLE,
            gfp("GFP_KERNEL"),
            &mut events,
        )
        .unwrap();
    check(&a);
    assert_eq!(
        outcome.failure,
        Some(ContigFailure::Busy { pfn: Pfn(0x2c00) })
    );
    assert_eq!(
        events,
        vec![
            Event::PageblockIsolated {
                pfn: Pfn(0x2c00),
                moved: 0
            },
            Event::TestPagesIsolated {
                start: Pfn(0x2c00),
                end: Pfn(0x2c01),
                fin: Pfn(0x2c00)
            },
            Event::PageblockUnisolated {
                pfn: Pfn(0x2c00),
                migratetype: MOVABLE,
                moved: 0,
                merged: false
            },
        ]
    );
    assert_eq!(a, before);
}

/// 6.1's accounting is not exact when a free block spans an isolated and a
/// non-isolated pageblock, and the model keeps that behaviour rather than hiding it.
/// `has_unmovable_pages()` lets a pageblock holding only tail pages of a
/// non-compound allocation be isolated; the block freed meanwhile goes whole to the
/// list of its first pageblock's type, counted; an allocation splits it and leaves
/// the isolated half on that list, still counted; `unset_migratetype_isolate()`
/// then moves that half and counts it a second time.
#[test]
fn kernel_block_across_an_isolation_boundary_drifts_nr_free_pages_as_6_1_does() {
    let mut a = small();
    // GFP_KERNEL order 10: stolen from MOVABLE, both pageblocks become UNMOVABLE.
    let block = alloc(&mut a, "GFP_KERNEL", 10);
    assert_eq!(block, Pfn(0x1000));
    assert_eq!(free_counter(&a), 4032 - 1024);
    let outcome = a
        .start_isolate_page_range(Pfn(0x1200), Pfn(0x1400), MOVABLE, &mut ())
        .unwrap();
    assert!(outcome.succeeded());
    check(&a);
    a.free_pages(block, 10, &mut ()).unwrap();
    check(&a);
    assert_eq!(
        a.zones()[0].buddy.free_list(Order::MAX, UNMOVABLE),
        vec![Pfn(0x1000)]
    );
    assert_eq!(free_counter(&a), 4032);
    // Order 9 UNMOVABLE: expand() puts 0x1200 (in the isolated pageblock) on the
    // UNMOVABLE list.
    assert_eq!(alloc(&mut a, "GFP_KERNEL", 9), Pfn(0x1000));
    assert_eq!(
        a.zones()[0]
            .buddy
            .free_list(Order::new(9).unwrap(), UNMOVABLE),
        vec![Pfn(0x1200)]
    );
    assert_eq!(free_counter(&a), 4032 - 512);
    a.undo_isolate_page_range(Pfn(0x1200), Pfn(0x1400), MOVABLE, &mut ())
        .unwrap();
    assert_eq!(free_counter(&a), 4032);
    assert_eq!(a.zones()[0].buddy.free_pages(), 4032 - 512);
    assert!(a.check_invariants().is_err());
}

/// The contiguous paths no session runs tell each event inside the function it
/// names (the causal checks of `causal.rs`): make_alloc_exact()'s AllocExact and its
/// own frees (`__free_pages_ok()` → `free_pages_prepare()`), and
/// `__isolate_free_page()` and the frees of `alloc_contig_range()`, with a migration.
#[test]
fn contig_paths_emit_each_event_in_the_function_it_names() {
    use buddyscope_engine::buddy::stack::StackRecorder;
    let mut a = small();
    let mut exact = StackRecorder::default();
    a.alloc_pages_exact(5 * 4096, gfp("GFP_KERNEL"), &mut exact)
        .unwrap()
        .expect("memory");
    let (exact_events, exact_stacks) = exact.finish();
    crate::causal::check_traced("alloc_pages_exact", &exact_events, &exact_stacks).unwrap();

    let mut b = small();
    consume_small_blocks(&mut b);
    for pfn in 0x1000..0x1004 {
        let page = alloc(&mut b, "GFP_HIGHUSER_MOVABLE", 0);
        assert_eq!(page, Pfn(pfn));
        movable(&mut b, page);
    }
    let mut contig = StackRecorder::default();
    let outcome = b
        .alloc_contig_range(
            Pfn(0x1001),
            Pfn(0x1003),
            MOVABLE,
            gfp("GFP_KERNEL"),
            &mut contig,
        )
        .unwrap();
    assert_eq!(outcome.failure, None);
    let (contig_events, contig_stacks) = contig.finish();
    crate::causal::check_traced("alloc_contig_range", &contig_events, &contig_stacks).unwrap();

    // Each of the three kinds was seen, with the path the kernel takes to it.
    let tail = |events: &[Event],
                stacks: &buddyscope_engine::buddy::stack::Stacks,
                wanted: fn(&Event) -> bool| {
        events
            .iter()
            .position(wanted)
            .map(|i| stacks.stack(i))
            .unwrap_or_default()
    };
    assert_eq!(
        tail(&exact_events, &exact_stacks, |e| matches!(
            e,
            Event::AllocExact { .. }
        )),
        ["alloc_pages_exact", "make_alloc_exact"]
    );
    let exact_free = exact_events
        .iter()
        .position(|e| matches!(e, Event::AllocExact { .. }))
        .and_then(|start| {
            (start..exact_events.len()).find(|&i| matches!(exact_events[i], Event::PageFree { .. }))
        })
        .map(|i| exact_stacks.stack(i));
    assert_eq!(
        exact_free,
        Some(vec![
            "alloc_pages_exact",
            "make_alloc_exact",
            "__free_pages_ok",
            "free_pages_prepare"
        ])
    );
    assert_eq!(
        tail(&contig_events, &contig_stacks, |e| matches!(
            e,
            Event::FreePageTaken { .. }
        )),
        [
            "alloc_contig_range",
            "isolate_freepages_range",
            "__isolate_free_page"
        ]
    );
    assert!(contig_events
        .iter()
        .any(|e| matches!(e, Event::ContigMigrated { .. })));
    assert!(contig_events
        .iter()
        .any(|e| matches!(e, Event::PageFree { .. })));
}
