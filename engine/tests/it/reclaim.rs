//! The slow path's reclaim, compaction and OOM decision: a labelled model, checked
//! for the behaviour a learner should see, with every invariant after every step.

use buddyscope_engine::alloc::reclaim::PageUse;
use buddyscope_engine::alloc::Allocator;
use buddyscope_engine::machine::{Machine, MachineConfig, NodeConfig};
use buddyscope_engine::session::{KswapdMode, Operation, Outcome, Session};
use buddyscope_engine::types::gfp::Gfp;
use buddyscope_engine::types::PfnRange;
use buddyscope_engine::Event;

/// One node of 40 MiB (DMA and DMA32), one CPU, kswapd running after the call that
/// woke it.
fn session() -> Session {
    Session::new(allocator())
}

/// The same with a frozen kswapd: it runs only when an operation says so.
fn manual_session() -> Session {
    Session::with_kswapd(allocator(), KswapdMode::Manual)
}

fn allocator() -> Allocator {
    let config = MachineConfig {
        nodes: vec![NodeConfig {
            memory: vec![PfnRange {
                start: 0x100,
                end: 0x2800,
            }],
            cpus: vec![0],
        }],
        ..MachineConfig::default()
    };
    Allocator::from_machine(&Machine::build(&config).unwrap()).unwrap()
}

fn gfp(text: &str) -> Gfp {
    Gfp::parse(text).unwrap()
}

fn alloc(session: &mut Session, order: u32, mask: &str, use_: PageUse) -> Outcome {
    let outcome = session
        .apply(Operation::Alloc {
            nodemask: None,
            order,
            gfp: gfp(mask),
            node: 0,
            cpu: None,
            use_,
        })
        .unwrap()
        .outcome
        .clone();
    session.current().check_invariants().unwrap();
    outcome
}

/// Allocates order-0 pages until an allocation of `mask` fails; returns how many.
fn fill(session: &mut Session, mask: &str, use_: PageUse) -> usize {
    let mut count = 0;
    while let Outcome::Allocated { .. } = alloc(session, 0, mask, use_) {
        count += 1;
    }
    count
}

fn events(session: &Session) -> Vec<Event> {
    session.events(session.calls().len() - 1).to_vec()
}

#[test]
fn direct_reclaim_frees_page_cache_for_a_kernel_allocation() {
    // kswapd frozen: a running kswapd would reclaim the page cache as fast as the
    // GFP_NOWAIT requests fill memory, and the fill below would never fail.
    let mut session = manual_session();
    // Page cache that may not reclaim: GFP_NOWAIT stops at the min watermark.
    let cached = fill(
        &mut session,
        "GFP_NOWAIT|__GFP_MOVABLE|__GFP_HIGHMEM",
        PageUse::PageCache,
    );
    assert!(cached > 5_000, "{cached}");
    // A GFP_KERNEL allocation now needs direct reclaim, which drops the oldest page cache.
    assert!(matches!(
        alloc(&mut session, 0, "GFP_KERNEL", PageUse::Kernel),
        Outcome::Allocated { .. }
    ));
    let events = events(&session);
    assert!(events
        .iter()
        .any(|e| matches!(e, Event::DirectReclaim { reclaimed } if *reclaimed > 0)));
    let reclaimed: Vec<u64> = events
        .iter()
        .filter_map(|e| match e {
            Event::Reclaimed { owner, .. } => Some(*owner),
            _ => None,
        })
        .collect();
    assert!(!reclaimed.is_empty());
    // The oldest allocation went first, and its owner can no longer free it.
    assert_eq!(reclaimed[0], 0);
    assert!(session
        .apply(Operation::Free {
            index: 0,
            cpu: None
        })
        .is_err());
}

#[test]
fn with_nothing_reclaimable_the_oom_killer_decides() {
    let mut session = session();
    fill(&mut session, "GFP_KERNEL", PageUse::Kernel);
    let events = events(&session);
    assert!(
        events
            .iter()
            .any(|e| matches!(e, Event::OomDecision { .. })),
        "{events:?}"
    );
    // __GFP_NORETRY gives up before the OOM killer.
    assert!(matches!(
        alloc(&mut session, 0, "GFP_KERNEL|__GFP_NORETRY", PageUse::Kernel),
        Outcome::Failed { .. }
    ));
    assert!(!events_of_last(&session)
        .iter()
        .any(|e| matches!(e, Event::OomDecision { .. })));
}

fn events_of_last(session: &Session) -> Vec<Event> {
    events(session)
}

#[test]
fn compaction_rescues_an_order_9_allocation() {
    let mut session = session();
    let filled = fill(
        &mut session,
        "GFP_NOWAIT|__GFP_MOVABLE|__GFP_HIGHMEM",
        PageUse::Anon,
    );
    // Free every other page: plenty of free memory, no free order-9 block.
    for index in (0..filled).step_by(2) {
        session.apply(Operation::Free { index, cpu: None }).unwrap();
    }
    session.apply(Operation::DrainAll).unwrap();
    let state = session.current();
    let dma32 = state
        .zones()
        .iter()
        .find(|z| z.zone.name() == "DMA32")
        .unwrap();
    assert_eq!(
        dma32
            .buddy
            .nr_free(buddyscope_engine::Order::new(9).unwrap()),
        0
    );
    // Anonymous memory without swap cannot be reclaimed: only compaction helps.
    let outcome = alloc(
        &mut session,
        9,
        "GFP_KERNEL|__GFP_RETRY_MAYFAIL",
        PageUse::Kernel,
    );
    let events = events(&session);
    assert!(matches!(outcome, Outcome::Allocated { .. }), "{events:?}");
    assert!(events.iter().any(|e| matches!(e, Event::Migrated { .. })));
    assert!(events
        .iter()
        .any(|e| matches!(e, Event::Compacted { success: true, .. })));
    // Migrated pages stay their owners': every remaining one frees cleanly.
    for index in (1..filled).step_by(2) {
        session.apply(Operation::Free { index, cpu: None }).unwrap();
        session.current().check_invariants().unwrap();
    }
}

#[test]
fn kswapd_reclaims_to_the_high_watermark_and_sleeps() {
    let mut session = manual_session();
    fill(
        &mut session,
        "GFP_NOWAIT|__GFP_MOVABLE|__GFP_HIGHMEM",
        PageUse::PageCache,
    );
    // The failed GFP_NOWAIT allocation woke kswapd for the movable zone index.
    assert_eq!(session.current().nodes()[0].kswapd_highest_zoneidx, 3);
    let call = session.apply(Operation::RunKswapd { node: 0 }).unwrap();
    assert!(matches!(call.outcome, Outcome::Reclaimed { pages } if pages > 0));
    let state = session.current();
    let dma32 = state
        .zones()
        .iter()
        .find(|z| z.zone.name() == "DMA32")
        .unwrap();
    assert!(
        dma32.free_pages_snapshot() as u64 >= dma32.watermark[2],
        "kswapd stopped below the high watermark"
    );
    assert_eq!(
        state.nodes()[0].kswapd_highest_zoneidx,
        5,
        "kswapd went back to sleep"
    );
    state.check_invariants().unwrap();
}

#[test]
fn drop_caches_frees_all_page_cache_but_not_anonymous_memory() {
    let mut session = session();
    for _ in 0..100 {
        alloc(&mut session, 0, "GFP_HIGHUSER_MOVABLE", PageUse::PageCache);
        alloc(&mut session, 0, "GFP_HIGHUSER_MOVABLE", PageUse::Anon);
    }
    let call = session.apply(Operation::DropCaches).unwrap();
    assert_eq!(call.outcome, Outcome::Reclaimed { pages: 100 });
    assert_eq!(session.current().lru().len(), 100);
    session.current().check_invariants().unwrap();
}

#[test]
fn atomic_high_order_allocations_reserve_a_pageblock() {
    let mut session = session();
    // Use memory up to the min watermark with kernel pages that cannot be reclaimed.
    fill(&mut session, "GFP_NOWAIT", PageUse::Kernel);
    // GFP_ATOMIC may dig below min (ALLOC_MIN_RESERVE | ALLOC_NON_BLOCK); a
    // high-order one turns its pageblock into a highatomic reserve.
    let outcome = alloc(&mut session, 1, "GFP_ATOMIC", PageUse::Kernel);
    assert!(
        matches!(outcome, Outcome::Allocated { .. }),
        "{:?}",
        events(&session)
    );
    assert!(events(&session)
        .iter()
        .any(|e| matches!(e, Event::HighatomicReserve { .. })));
    let reserved: u64 = session
        .current()
        .zones()
        .iter()
        .map(|z| z.nr_reserved_highatomic)
        .sum();
    assert_eq!(reserved, 512);
    // The reserve is unusable to ordinary requests: their watermark check counts it
    // out, so a GFP_NOWAIT order-0 request still fails.
    assert!(matches!(
        alloc(&mut session, 0, "GFP_NOWAIT", PageUse::Kernel),
        Outcome::Failed { .. }
    ));
}
