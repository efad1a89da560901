//! Sessions: stepping through events and calls, and going back to any earlier state
//! exactly (checkpoints plus deterministic replay).

use buddyscope_engine::alloc::reclaim::PageUse;
use buddyscope_engine::alloc::Allocator;
use buddyscope_engine::machine::{Machine, MachineConfig, NodeConfig};
use buddyscope_engine::session::{
    Cursor, Operation, Outcome, Session, CHECKPOINT_EVERY, TRAILING_CHECKPOINT_EVERY,
};
use buddyscope_engine::types::gfp::Gfp;
use buddyscope_engine::types::PfnRange;
use buddyscope_engine::{EngineError, Event, Rng};

fn allocator() -> Allocator {
    let config = MachineConfig {
        nodes: vec![
            NodeConfig {
                memory: vec![PfnRange {
                    start: 0x100,
                    end: 0x8000,
                }],
                cpus: vec![0],
            },
            NodeConfig {
                memory: vec![PfnRange {
                    start: 0x8000,
                    end: 0x10000,
                }],
                cpus: vec![1],
            },
        ],
        ..MachineConfig::default()
    };
    Allocator::from_machine(&Machine::build(&config).unwrap()).unwrap()
}

fn random_operations(seed: u64, count: usize) -> Vec<Operation> {
    let mut rng = Rng::new(seed);
    let masks = [
        "GFP_KERNEL",
        "GFP_NOWAIT|__GFP_MOVABLE|__GFP_HIGHMEM",
        "GFP_ATOMIC",
        "GFP_NOWAIT|__GFP_RECLAIMABLE",
    ];
    let mut allocated = 0usize;
    let mut freed = std::collections::HashSet::new();
    let mut ops = Vec::new();
    while ops.len() < count {
        if allocated == 0 || rng.below(10) < 6 {
            let gfp = Gfp::parse(masks[rng.below(4) as usize]).unwrap();
            ops.push(Operation::Alloc {
                nodemask: None,
                order: rng.below(4) as u32,
                gfp,
                node: rng.below(2) as i32,
                cpu: Some(rng.below(2) as u32),
                use_: [PageUse::Kernel, PageUse::PageCache, PageUse::Anon][rng.below(3) as usize],
            });
            allocated += 1;
        } else if rng.below(10) < 9 {
            let index = rng.below(allocated as u64) as usize;
            if freed.insert(index) {
                ops.push(Operation::Free { index, cpu: None });
            }
        } else {
            ops.push(Operation::DrainAll);
        }
    }
    ops
}

fn apply_all(session: &mut Session, ops: &[Operation]) -> Vec<Allocator> {
    let mut states = vec![session.current().clone()];
    for op in ops {
        // A free of a NULL allocation is refused: skip it like a user would see it.
        if session.apply(op.clone()).is_ok() {
            states.push(session.current().clone());
        }
    }
    states
}

#[test]
fn going_back_gives_exactly_the_earlier_state() {
    let mut session = Session::new(allocator());
    let states = apply_all(
        &mut session,
        &random_operations(7, 3 * CHECKPOINT_EVERY + 17),
    );
    assert!(session.calls().len() > 2 * CHECKPOINT_EVERY);
    for calls in [
        0,
        1,
        5,
        CHECKPOINT_EVERY - 1,
        CHECKPOINT_EVERY,
        CHECKPOINT_EVERY + 1,
        2 * CHECKPOINT_EVERY + 3,
        session.calls().len(),
    ] {
        assert!(
            session.state_after(calls) == states[calls],
            "state after {calls} calls differs"
        );
    }
}

#[test]
fn the_same_operations_give_the_same_events_and_states() {
    let ops = random_operations(11, 200);
    let mut a = Session::new(allocator());
    let mut b = Session::new(allocator());
    apply_all(&mut a, &ops);
    apply_all(&mut b, &ops);
    assert_eq!(a.calls(), b.calls());
    assert!(a.current() == b.current());
}

#[test]
fn events_rebuilt_on_demand_are_the_events_the_call_had() {
    // Long enough for several checkpoints, so rebuilding replays from one.
    let ops = random_operations(5, 3 * CHECKPOINT_EVERY + 17);
    let mut session = Session::new(allocator());
    let mut live = Vec::new();
    for op in &ops {
        if let Ok(call) = session.apply(op.clone()) {
            live.push(call.events);
        }
    }
    assert_eq!(live.len(), session.calls().len());
    // Backwards, forwards and all at once give the same events.
    for index in (0..live.len()).rev().step_by(7) {
        assert_eq!(&session.events(index)[..], &live[index][..], "call {index}");
    }
    for (index, events) in live.iter().enumerate() {
        assert_eq!(&session.events(index)[..], &events[..], "call {index}");
        assert_eq!(
            session.calls().get(index).unwrap().event_count as usize,
            events.len()
        );
    }
    for (index, call) in session.calls_with_events().enumerate() {
        assert_eq!(call.events, live[index], "call {index}");
    }
}

#[test]
fn stepping_walks_every_event_and_back() {
    let mut session = Session::new(allocator());
    let gfp = Gfp::parse("GFP_KERNEL").unwrap();
    session
        .apply(Operation::Alloc {
            nodemask: None,
            order: 0,
            gfp,
            node: 0,
            cpu: None,
            use_: PageUse::Kernel,
        })
        .unwrap();
    session
        .apply(Operation::Alloc {
            nodemask: None,
            order: 3,
            gfp,
            node: 0,
            cpu: None,
            use_: PageUse::Kernel,
        })
        .unwrap();
    let total: usize = session.calls().iter().map(|c| c.event_count as usize).sum();
    // Step into from the start visits every event once, then stays at the end.
    let mut cursor = Cursor::default();
    let mut visited = 0;
    loop {
        let next = session.step_into(cursor);
        if next == cursor {
            break;
        }
        if session.event_at(next).is_some() {
            visited += 1;
        }
        cursor = next;
    }
    assert_eq!(visited, total);
    assert_eq!(cursor, session.end());
    // The first call's first events are the allocation and a watermark check.
    let first = &session.events(0);
    assert!(matches!(first[0], Event::AllocStart { .. }));
    assert!(first
        .iter()
        .any(|e| matches!(e, Event::WatermarkCheck { .. })));
    // Inside a call the state is the one before it; after its last event, after it.
    let inside = Cursor { call: 1, event: 1 };
    assert!(*session.state_at(inside) == session.state_after(1));
    let done = session.step_over(inside);
    assert_eq!(
        done,
        Cursor {
            call: 1,
            event: session.events(1).len()
        }
    );
    assert!(*session.state_at(done) == session.state_after(2));
    // Step back from a call's start lands at the previous call's end.
    let back = session.step_back(Cursor { call: 1, event: 0 });
    assert_eq!(
        back,
        Cursor {
            call: 0,
            event: session.events(0).len()
        }
    );
}

#[test]
fn bad_operations_are_refused_and_change_nothing() {
    let mut session = Session::new(allocator());
    let gfp = Gfp::parse("GFP_KERNEL").unwrap();
    session
        .apply(Operation::Alloc {
            nodemask: None,
            order: 2,
            gfp,
            node: 0,
            cpu: None,
            use_: PageUse::Kernel,
        })
        .unwrap();
    let before = session.clone();
    assert_eq!(
        session
            .apply(Operation::Alloc {
                nodemask: None,
                order: 11,
                gfp,
                node: 0,
                cpu: None,
                use_: PageUse::Kernel
            })
            .unwrap_err(),
        EngineError::OrderTooLarge { order: 11 }
    );
    assert_eq!(
        session
            .apply(Operation::Alloc {
                nodemask: None,
                order: 0,
                gfp,
                node: 7,
                cpu: None,
                use_: PageUse::Kernel
            })
            .unwrap_err(),
        EngineError::NoSuchNode { node: 7 }
    );
    assert_eq!(
        session
            .apply(Operation::Alloc {
                nodemask: None,
                order: 0,
                gfp,
                node: 0,
                cpu: Some(9),
                use_: PageUse::Kernel
            })
            .unwrap_err(),
        EngineError::NoSuchCpu { cpu: 9 }
    );
    assert_eq!(
        session
            .apply(Operation::Free {
                index: 5,
                cpu: None
            })
            .unwrap_err(),
        EngineError::NoSuchAllocation { index: 5 }
    );
    assert!(session == before);
    session
        .apply(Operation::Free {
            index: 0,
            cpu: None,
        })
        .unwrap();
    assert!(matches!(
        session.apply(Operation::Free {
            index: 0,
            cpu: None
        }),
        Err(EngineError::NotAllocated { .. })
    ));
}

#[test]
fn truncating_lets_the_user_take_another_path() {
    let mut session = Session::new(allocator());
    let states = apply_all(&mut session, &random_operations(3, 150));
    session.truncate(70);
    assert_eq!(session.calls().len(), 70);
    assert!(session.current() == &states[70]);
    let gfp = Gfp::parse("GFP_ATOMIC").unwrap();
    let call = session
        .apply(Operation::Alloc {
            nodemask: None,
            order: 1,
            gfp,
            node: 1,
            cpu: Some(1),
            use_: PageUse::Kernel,
        })
        .unwrap();
    assert!(matches!(
        call.outcome,
        Outcome::Allocated { .. } | Outcome::Failed { .. }
    ));
}

#[test]
fn checkpoints_stay_bounded_on_long_sessions() {
    let mut session = Session::new(allocator());
    let ops = random_operations(5, 40 * CHECKPOINT_EVERY);
    let states = apply_all(&mut session, &ops);
    let applied = session.calls().len();
    assert!(applied > 32 * CHECKPOINT_EVERY);
    // Every earlier state is still exact after the checkpoints were thinned.
    for calls in [
        0,
        1,
        63,
        64,
        65,
        applied / 3,
        applied / 2 + 7,
        applied - 1,
        applied,
    ] {
        assert!(
            session.state_after(calls) == states[calls],
            "state after {calls} calls differs"
        );
    }
}

/// Past [`TRAILING_CHECKPOINT_EVERY`] calls the session keeps a trailing state
/// beside its checkpoints: the states around it, the events of the calls after it,
/// and a session cut back before it are all exactly what they were.
#[test]
fn the_trailing_checkpoint_gives_the_same_states_and_events() {
    let mut session = Session::new(allocator());
    let mut reference = Session::new(allocator());
    let wanted = [
        TRAILING_CHECKPOINT_EVERY - 1,
        TRAILING_CHECKPOINT_EVERY,
        TRAILING_CHECKPOINT_EVERY + 1,
        TRAILING_CHECKPOINT_EVERY + 500,
    ];
    let mut states = Vec::new();
    let mut events = Vec::new();
    // Some operations are refused (a free of a NULL allocation): more than enough.
    let ops = random_operations(11, 3 * TRAILING_CHECKPOINT_EVERY);
    for op in &ops {
        if reference.calls().len() > TRAILING_CHECKPOINT_EVERY + 600 {
            break;
        }
        // The reference records the same calls; its answers are taken right after
        // each call, from the state at hand. `index` is the operation's own call
        // (kswapd's calls, if it woke kswapd, come after it).
        let index = reference.calls().len();
        if let Ok(call) = reference.apply(op.clone()) {
            assert!(session.apply(op.clone()).is_ok());
            if wanted.contains(&reference.calls().len()) {
                states.push((reference.calls().len(), reference.current().clone()));
                events.push((index, call.events));
            }
        }
    }
    assert!(session.calls().len() > TRAILING_CHECKPOINT_EVERY + 500);
    assert!(
        states.len() >= 3,
        "{:?}",
        states.iter().map(|s| s.0).collect::<Vec<_>>()
    );
    for (calls, state) in &states {
        assert!(
            session.state_after(*calls) == *state,
            "state after {calls} calls differs"
        );
    }
    for (call, expected) in &events {
        assert_eq!(
            &session.events(*call).to_vec(),
            expected,
            "events of call {call}"
        );
    }
    // Cut back before the trailing state: it goes, and the states stay exact.
    let (first_calls, first_state) = &states[0];
    session.truncate(*first_calls);
    assert!(session.state_after(*first_calls) == *first_state);
    assert!(session.current() == first_state);
}

#[test]
fn every_operation_runs_on_the_cpu_it_names() {
    let mut session = Session::new(allocator());
    let gfp = Gfp::parse("GFP_KERNEL").unwrap();
    let call = session
        .apply(Operation::Alloc {
            nodemask: None,
            order: 0,
            gfp,
            node: 0,
            cpu: Some(0),
            use_: PageUse::Kernel,
        })
        .unwrap();
    assert!(call
        .events
        .iter()
        .any(|e| matches!(e, Event::AllocStart { cpu: 0, .. })));
    // Freed on CPU 1, the page lands on CPU 1's per-cpu list of its zone.
    let call = session
        .apply(Operation::Free {
            index: 0,
            cpu: Some(1),
        })
        .unwrap();
    assert!(call
        .events
        .iter()
        .any(|e| matches!(e, Event::PcpFree { cpu: 1, .. })));
    let Outcome::Freed { pfn, .. } = call.outcome else {
        panic!("not freed")
    };
    let state = session.current();
    let zone = &state.zones()[state.zone_of_pfn(pfn).unwrap()];
    let on_cpu = |cpu: u32| {
        zone.pcps
            .iter()
            .find(|p| p.cpu == cpu)
            .unwrap()
            .lists
            .iter()
            .flatten()
            .any(|p| p.pfn == pfn.0)
    };
    assert!(on_cpu(1) && !on_cpu(0));
    assert_eq!(
        session.current().cpu(),
        0,
        "the session's current CPU is unchanged"
    );
}

#[test]
fn step_numbers_count_step_into_moves() {
    let mut session = Session::new(allocator());
    let ops = random_operations(7, 40);
    apply_all(&mut session, &ops);
    // Walking with step_into from the start visits step 0, 1, 2, ... in order.
    let mut cursor = Cursor::default();
    let mut step = 0;
    loop {
        assert_eq!(session.cursor_at_step(step), cursor, "step {step}");
        assert_eq!(session.step_of(cursor), step);
        let next = session.step_into(cursor);
        if next == cursor {
            break;
        }
        cursor = next;
        step += 1;
    }
    assert_eq!(cursor, session.end());
    assert_eq!(session.last_step(), step);
    // Past the end is the end.
    assert_eq!(session.cursor_at_step(step + 1000), session.end());
}
