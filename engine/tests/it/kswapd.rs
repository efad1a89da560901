//! kswapd's own calls: a kswapd that an operation woke runs right after it, as a call
//! of its own, and takes the watermark boost back; a scenario can keep it frozen
//! (`[workload] kswapd = "manual"`); replay from checkpoints repeats it exactly.

use buddyscope_engine::alloc::reclaim::PageUse;
use buddyscope_engine::alloc::Allocator;
use buddyscope_engine::machine::{Machine, MachineConfig, NodeConfig};
use buddyscope_engine::scenario::{library, parse_scenario, Scenario};
use buddyscope_engine::session::{KswapdMode, Operation, Session};
use buddyscope_engine::types::gfp::Gfp;
use buddyscope_engine::types::PfnRange;
use buddyscope_engine::view::load;
use buddyscope_engine::Event;

/// One node of 40 MiB (DMA and DMA32), one CPU.
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

fn page_cache_alloc() -> Operation {
    Operation::Alloc {
        nodemask: None,
        order: 0,
        gfp: Gfp::parse("GFP_HIGHUSER_MOVABLE").unwrap(),
        node: 0,
        cpu: None,
        use_: PageUse::PageCache,
    }
}

fn woke_kswapd(events: &[Event]) -> bool {
    events.iter().any(|e| matches!(e, Event::KswapdWake { .. }))
}

#[test]
fn a_woken_kswapd_runs_as_the_next_call_and_sleeps() {
    let mut session = Session::new(allocator());
    let mut wakes = 0;
    for _ in 0..12_000 {
        let before = session.calls().len();
        let call = session.apply(page_cache_alloc()).unwrap();
        session.current().check_invariants().unwrap();
        if !woke_kswapd(&call.events) {
            assert_eq!(session.calls().len(), before + 1, "no wake, no extra call");
            continue;
        }
        wakes += 1;
        // The waking call, then kswapd's own call naming it.
        assert_eq!(session.calls().len(), before + 2);
        let kswapd = session.call(before + 1).unwrap();
        assert!(
            matches!(kswapd.operation, Operation::KswapdWoken { node: 0, woken_by, .. } if woken_by == before),
            "{:?}",
            kswapd.operation
        );
        assert!(kswapd
            .events
            .iter()
            .any(|e| matches!(e, Event::KswapdRound { .. })));
        assert!(matches!(
            kswapd.events.last(),
            Some(Event::KswapdTrySleep { sleeps: true, .. })
        ));
        let node = &session.current().nodes()[0];
        assert!(!node.kswapd_woken, "kswapd went back to sleep");
        assert_eq!(node.kswapd_highest_zoneidx, 5, "its request was taken");
        // It reclaimed page cache until a zone met its high watermark.
        let balanced = session
            .current()
            .zones()
            .iter()
            .any(|z| z.free_pages_snapshot() >= (z.watermark[2] + z.watermark_boost) as i64);
        assert!(balanced, "kswapd slept on an unbalanced node");
    }
    assert!(
        wakes > 0,
        "page cache past the size of memory never woke kswapd"
    );
}

/// The watermark-boost lesson's scenario with the given kswapd mode.
fn boost_scenario(mode: &str) -> Scenario {
    let text = library::get("watermark-boost").unwrap().text;
    let mut scenario = parse_scenario(text).unwrap();
    scenario.kswapd = KswapdMode::from_name(mode);
    scenario
}

/// The first call that stole from another migratetype and then woke kswapd (a
/// steal that boosts the watermark wakes kswapd from `rmqueue()` for order 0), and
/// checks that it did raise a boost.
fn first_boosting_call(session: &Session) -> usize {
    let index = session
        .calls_with_events()
        .position(|call| {
            let steal = call
                .events
                .iter()
                .position(|e| matches!(e, Event::Steal { .. }));
            steal.is_some_and(|s| {
                call.events[s..]
                    .iter()
                    .any(|e| matches!(e, Event::KswapdWake { order: 0, .. }))
            })
        })
        .expect("the lesson boosts a watermark");
    let after = session.state_after(index + 1);
    assert!(after.zones().iter().any(|z| z.watermark_boost > 0));
    index
}

#[test]
fn the_automatic_kswapd_clears_the_boost() {
    let session = load(&boost_scenario("auto")).unwrap().session;
    let boosting = first_boosting_call(&session);
    assert!(woke_kswapd(&session.events(boosting)));
    let boosted = session.state_after(boosting + 1);
    assert!(boosted.zones().iter().any(|z| z.watermark_boost > 0));
    let kswapd = session.call(boosting + 1).unwrap();
    assert!(matches!(
        kswapd.operation,
        Operation::KswapdWoken { node: 0, woken_by, order: 0, .. } if woken_by == boosting
    ));
    assert!(kswapd
        .events
        .iter()
        .any(|e| matches!(e, Event::BoostCleared { boost, .. } if *boost > 0)));
    let after = session.state_after(boosting + 2);
    assert!(
        after.zones().iter().all(|z| z.watermark_boost == 0),
        "balance_pgdat() takes back the boost it started with"
    );
}

#[test]
fn a_manual_kswapd_stays_frozen_until_the_workload_runs_it() {
    let session = load(&boost_scenario("manual")).unwrap().session;
    assert_eq!(session.kswapd_mode(), KswapdMode::Manual);
    assert!(session
        .calls()
        .iter()
        .all(|r| !matches!(r.operation, Operation::KswapdWoken { .. })));
    let boosting = first_boosting_call(&session);
    let last = session.calls().len() - 1;
    assert!(matches!(
        session.calls().get(last).unwrap().operation,
        Operation::RunKswapd { node: 0 }
    ));
    // The boost stays from the steal to the workload's `kswapd node=0`, kswapd
    // woken and not running all along.
    let before_kswapd = session.state_after(last);
    assert!(before_kswapd.zones().iter().any(|z| z.watermark_boost > 0));
    assert!(before_kswapd.nodes()[0].kswapd_woken);
    assert!(boosting < last);
    let end = session.current();
    assert!(end.zones().iter().all(|z| z.watermark_boost == 0));
    assert!(!end.nodes()[0].kswapd_woken);
}

#[test]
fn a_bad_kswapd_mode_is_named() {
    let error = parse_scenario("version = 1\n[workload]\nkswapd = \"sometimes\"\n").unwrap_err();
    let message = error.to_string();
    assert!(message.contains("`workload.kswapd`"), "{message}");
    assert!(message.contains("\"sometimes\""), "{message}");
}

#[test]
fn replay_from_checkpoints_repeats_the_automatic_calls() {
    let mut session = Session::new(allocator());
    // The live state at some call boundaries: right after each automatic kswapd
    // call, and every 200th boundary.
    let mut live: Vec<(usize, Allocator)> = Vec::new();
    let mut boundaries = 0;
    for round in 0..13_000u64 {
        let operation = if round > 10_000 && round % 7 == 3 {
            Operation::Free {
                index: (round / 2) as usize,
                cpu: None,
            }
        } else {
            page_cache_alloc()
        };
        let before = session.calls().len();
        // A free of an allocation reclaim took is bad input: skip it.
        if session.apply(operation).is_err() {
            continue;
        }
        boundaries += 1;
        if session.calls().len() > before + 1 || boundaries % 200 == 0 {
            live.push((session.calls().len(), session.current().clone()));
        }
    }
    let automatic = session
        .calls()
        .iter()
        .filter(|r| matches!(r.operation, Operation::KswapdWoken { .. }))
        .count();
    assert!(
        automatic > 2,
        "the run woke kswapd a few times: {automatic}"
    );
    assert!(session.calls().len() > 2 * 64, "the run spans checkpoints");
    // Visited backwards, so each state is rebuilt from a checkpoint, not from the
    // replay cache's last state.
    for (calls, state) in live.iter().rev() {
        assert_eq!(&session.state_after(*calls), state, "after {calls} calls");
        let kswapd = calls - 1;
        assert_eq!(session.events(kswapd).len(), session.event_count(kswapd));
    }
}
