//! Causal order: every event of real runs (the library's lessons, seeded random
//! machines and runs) is emitted while the function it names is the innermost one
//! the engine is in, the engine's entries and exits nest, an event that announces a
//! function's entry comes before everything that function does, and one that says
//! what a function returned comes after.

use crate::common;

use buddyscope_engine::alloc::Allocator;
use buddyscope_engine::buddy::stack::Stacks;
use buddyscope_engine::event::{AfterNoBlock, DrainCause, StealKind};
use buddyscope_engine::machine::Machine;
use buddyscope_engine::scenario::library::ENTRIES;
use buddyscope_engine::session::Session;
use buddyscope_engine::types::MigrateType;
use buddyscope_engine::workload::{parse_workload, run_workload_seeded};
use buddyscope_engine::{Event, Rng};
use common::random_run::{apply_checked, boot, machine_toml, operation};
use common::seeded;

/// Events that announce their function's entry: nothing of that call of the
/// function comes before them.
fn announces_entry(event: &Event) -> bool {
    matches!(
        event,
        Event::AllocStart { .. }
            | Event::PageFree { .. }
            | Event::SlowPath { .. }
            | Event::OfflinePages { .. }
            | Event::OnlinePages { .. }
            | Event::Reclaimed { .. }
            | Event::Migrated { .. }
    )
}

/// Events that say what their function returned or did in all: nothing of that
/// call of the function comes after them.
fn tells_return(event: &Event) -> bool {
    matches!(
        event,
        Event::PageAlloc { .. }
            | Event::AllocFailed { .. }
            | Event::Allocated { .. }
            | Event::PcpRefill { .. }
            | Event::Compacted { .. }
            | Event::KswapdRun { .. }
            | Event::HotplugDone { .. }
    )
}

/// Checks every call of `session`; returns how many events it checked.
fn check(session: &Session) -> Result<usize, String> {
    let mut checked = 0;
    for call in 0..session.calls().len() {
        let (events, stacks) = session.traced_events(call);
        checked += check_traced(&format!("call {call}"), &events, &stacks)?;
    }
    Ok(checked)
}

/// Checks the events of one call of the engine (`what` names it in errors) with the
/// stacks a `StackRecorder` kept; returns how many events it checked. The contig
/// tests call it for the paths no session runs (`alloc_pages_exact()`,
/// `alloc_contig_range()`).
pub(crate) fn check_traced(what: &str, events: &[Event], stacks: &Stacks) -> Result<usize, String> {
    let at = |i: usize| format!("{what}, event {i} ({})", events[i]);
    if !stacks.balanced() {
        return Err(format!("{what}: entries and exits do not nest"));
    }
    if stacks.len() != events.len() {
        return Err(format!(
            "{what}: {} stacks for {} events",
            stacks.len(),
            events.len()
        ));
    }
    let frames: Vec<Vec<u32>> = (0..events.len()).map(|i| stacks.frame_ids(i)).collect();
    for (i, event) in events.iter().enumerate() {
        let stack = stacks.stack(i);
        if stack.last() != Some(&event.kernel_function()) {
            return Err(format!("{}: emitted in {stack:?}", at(i)));
        }
        let Some(own) = frames[i].last() else {
            continue;
        };
        if announces_entry(event) {
            if let Some(j) = (0..i).find(|&j| frames[j].contains(own)) {
                return Err(format!("{} comes after {}", at(i), at(j)));
            }
        }
        if tells_return(event) {
            if let Some(j) = (i + 1..events.len()).find(|&j| frames[j].contains(own)) {
                return Err(format!("{} comes before {}", at(i), at(j)));
            }
        }
        check_meaning(events, &frames, stacks, i).map_err(|e| format!("{}: {e}", at(i)))?;
    }
    Ok(events.len())
}

/// What an event's fields claim about what happens next or why, checked against the
/// events that follow and the numbers it carries.
fn check_meaning(
    events: &[Event],
    frames: &[Vec<u32>],
    stacks: &Stacks,
    i: usize,
) -> Result<(), String> {
    match &events[i] {
        Event::NoBlock { then, .. } => {
            // The caller's frame (__rmqueue or rmqueue_buddy) and what it did next.
            let Some(&caller) = frames[i]
                .len()
                .checked_sub(2)
                .and_then(|d| frames[i].get(d))
            else {
                return Err("no caller".to_string());
            };
            let next = (i + 1..events.len()).find(|&j| frames[j].contains(&caller));
            let next_event = next.map(|j| &events[j]);
            let ok = match then {
                // 6.1: __rmqueue_fallback() tells what it stole or that it found
                // nothing; 6.12: the next event is __rmqueue_claim()'s.
                AfterNoBlock::Fallback => {
                    matches!(
                        next_event,
                        Some(Event::Steal { .. } | Event::NoFallback { .. })
                    ) || next.is_some_and(|j| stacks.stack(j).contains(&"__rmqueue_claim"))
                }
                AfterNoBlock::Cma => matches!(
                    next_event,
                    Some(
                        Event::AreaEmpty {
                            migratetype: MigrateType::Cma,
                            ..
                        } | Event::TakeBlock { .. }
                            | Event::NoBlock {
                                migratetype: MigrateType::Cma,
                                ..
                            }
                    )
                ),
                AfterNoBlock::OwnList | AfterNoBlock::Rmqueue => matches!(
                    next_event,
                    Some(Event::AreaEmpty { .. } | Event::TakeBlock { .. } | Event::NoBlock { .. })
                ),
                AfterNoBlock::GiveUp => next_event.is_none(),
            };
            if !ok {
                return Err(format!("followed in its caller by {next_event:?}"));
            }
        }
        Event::Steal {
            claimed,
            how,
            fallback_order,
            alloc_migratetype,
            pageblock_type,
            ..
        } => {
            // A pageblock already of the requested type stays so.
            let already = pageblock_type == alloc_migratetype;
            let half = 1u64 << 8;
            let expected = match *how {
                StealKind::WholeBlocks { pageblocks } => {
                    if pageblocks != 1 << fallback_order.get().saturating_sub(9) {
                        return Err("pageblocks do not match the order".to_string());
                    }
                    true
                }
                StealKind::Pageblock {
                    free_pages,
                    alike_pages,
                } if free_pages > 0 => already || free_pages + alike_pages >= half,
                // Only the block moved: the pageblock keeps its type.
                StealKind::Pageblock { .. } | StealKind::BlockOnly => already,
                StealKind::Highatomic => false,
                // 6.12: a claim leaves the page in a pageblock of the requested
                // type (a partial claim's page may come from another pageblock of
                // that type); a steal leaves the pageblock as it was.
                StealKind::ClaimWhole { pageblocks } => {
                    if pageblocks != 1 << fallback_order.get().saturating_sub(9) {
                        return Err("pageblocks do not match the order".to_string());
                    }
                    true
                }
                StealKind::ClaimPageblock {
                    free_pages,
                    alike_pages,
                } => {
                    if free_pages + alike_pages < half {
                        return Err("claimed with less than half a pageblock".to_string());
                    }
                    true
                }
                StealKind::StealBlock => already,
            };
            if *claimed != expected {
                return Err(format!("claimed {claimed}, the numbers say {expected}"));
            }
        }
        Event::PcpDrain {
            cause: DrainCause::OverHigh { count, high, .. },
            ..
        } if count < high => return Err("drained below high".to_string()),
        _ => {}
    }
    Ok(())
}

#[test]
fn every_lesson_tells_its_events_in_the_order_the_engine_takes_them() {
    let mut checked = 0;
    for entry in ENTRIES {
        let scenario = entry.scenario();
        let machine = Machine::build(&scenario.machine).unwrap();
        let mut session = Session::new(Allocator::from_machine(&machine).unwrap());
        let statements = parse_workload(scenario.workload.as_deref().unwrap_or("")).unwrap();
        run_workload_seeded(&mut session, &statements, None, scenario.seed.unwrap_or(1)).unwrap();
        checked += check(&session).unwrap_or_else(|e| panic!("{}: {e}", entry.name));
    }
    eprintln!("{checked} events of the lessons checked");
    assert!(checked > 10_000, "only {checked} events checked");
}

#[test]
fn follow_replay_tells_its_events_inside_take_page_off_buddy() {
    let session = crate::common::scenario_run::follow_replay_session();
    let checked = check(&session).unwrap_or_else(|e| panic!("{e}"));
    assert!(checked > 0);
}

#[test]
fn random_runs_tell_their_events_in_the_order_the_engine_takes_them() {
    seeded::run(
        "causal::random_runs_tell_their_events_in_the_order_the_engine_takes_them",
        3 * seeded::size(),
        |seed| {
            let mut rng = Rng::new(seed);
            let text = machine_toml(&mut rng, 4..40);
            let Some(mut session) = boot(&text) else {
                return Ok(());
            };
            for _ in 0..200 {
                let operation = operation(&mut rng, &session);
                apply_checked(&mut session, operation)?;
            }
            check(&session)
                .map(|_| ())
                .map_err(|e| format!("{e}\nmachine:\n{text}"))
        },
    );
}

/// The watermark-boost lesson's key moment: kswapd is woken from `rmqueue()`, which
/// found ZONE_BOOSTED_WATERMARK set after taking the page, in a request that never
/// left the fast path.
#[test]
fn the_boosted_watermark_wakes_kswapd_from_rmqueue() {
    let entry = ENTRIES
        .iter()
        .find(|e| e.name == "watermark-boost")
        .unwrap();
    let scenario = entry.scenario();
    let machine = Machine::build(&scenario.machine).unwrap();
    let mut session = Session::new(Allocator::from_machine(&machine).unwrap());
    let statements = parse_workload(scenario.workload.as_deref().unwrap_or("")).unwrap();
    run_workload_seeded(&mut session, &statements, None, scenario.seed.unwrap_or(1)).unwrap();
    let mut found = false;
    for call in 0..session.calls().len() {
        let (events, stacks) = session.traced_events(call);
        for (i, event) in events.iter().enumerate() {
            if matches!(event, Event::KswapdWake { order: 0, .. })
                && events[..i].iter().any(|e| matches!(e, Event::Steal { .. }))
                && !events.iter().any(|e| matches!(e, Event::SlowPath { .. }))
            {
                assert_eq!(
                    stacks.stack(i),
                    [
                        "__alloc_pages",
                        "get_page_from_freelist",
                        "rmqueue",
                        "wakeup_kswapd"
                    ]
                );
                found = true;
            }
        }
    }
    assert!(found, "no fast-path wake after a steal in the lesson");
}
