//! Event-level state: the state at a cursor inside a call is the state before the
//! call with the call's changes up to that event applied.

use crate::common::random_run::{boot, machine_toml, operation, Choose};
use crate::common::scenario_run::run_scenario;
use crate::common::seeded;
use buddyscope_engine::alloc::reclaim::PageUse;
use buddyscope_engine::alloc::Allocator;
use buddyscope_engine::machine::{Machine, MachineConfig, NodeConfig};
use buddyscope_engine::scenario::library;
use buddyscope_engine::session::{Cursor, KswapdMode, Operation, Session};
use buddyscope_engine::types::gfp::Gfp;
use buddyscope_engine::types::PfnRange;
use buddyscope_engine::{Event, MigrateType, Pfn, Rng};
use std::collections::BTreeSet;
use std::rc::Rc;

/// Checks call `call` of `session`: the state before it with its whole journal
/// replayed is the state after it (every change was recorded), and the state at its
/// last event, reached by stepping, is that state too. Returns the names of the
/// event kinds the call had.
fn check_call(session: &Session, call: usize) -> Result<BTreeSet<String>, String> {
    let (mut state, journal) = session.journal(call).ok_or("no such call")?;
    state.replay(&journal, 0..u32::MAX);
    let after = session.state_after(call + 1);
    if state != after {
        return Err(format!(
            "call {call} ({:?}): the state before it with its journal replayed is not the state after it{}",
            session.calls().get(call).unwrap().operation,
            difference(&state, &after)
        ));
    }
    Ok(session
        .events(call)
        .iter()
        .map(|e| {
            format!("{e:?}")
                .split([' ', '{', '('])
                .next()
                .unwrap_or("")
                .to_string()
        })
        .collect())
}

/// Where two states differ first, in words.
fn difference(a: &Allocator, b: &Allocator) -> String {
    for (z, (x, y)) in a.zones().iter().zip(b.zones()).enumerate() {
        if x.buddy != y.buddy {
            let blocks: Vec<_> = x
                .buddy
                .blocks()
                .zip(y.buddy.blocks())
                .filter(|(p, q)| p != q)
                .take(3)
                .collect();
            return format!(": zone {z}'s buddy state differs ({blocks:?})");
        }
        if x.pcps != y.pcps {
            return format!(": zone {z}'s per-cpu lists differ");
        }
        if x != y {
            let strip = |z: &buddyscope_engine::alloc::ZoneState| {
                let mut z = z.clone();
                z.buddy = buddyscope_engine::BuddyZone::new(0, 1).unwrap();
                z.pcps.clear();
                format!("{z:?}")
            };
            return format!(": zone {z}'s counters differ:\n{}\n{}", strip(x), strip(y));
        }
    }
    if a.lru() != b.lru() {
        return ": the LRU lists differ".into();
    }
    if a.nodes() != b.nodes() {
        return ": the nodes differ".into();
    }
    if a.machine() != b.machine() {
        return ": the machines differ".into();
    }
    format!(
        ": elsewhere ({})",
        if a.cpu() != b.cpu() { "cpu" } else { "?" }
    )
}

fn check_session(session: &Session, kinds: &mut BTreeSet<String>) -> Result<(), String> {
    for call in 0..session.calls().len() {
        kinds.extend(check_call(session, call)?);
    }
    Ok(())
}

/// The calls of `session` a debug build checks: every call with an event kind no
/// earlier call had, every 64th, and the last 16 (a release build checks them all,
/// in the ignored test below).
fn sampled_calls(session: &Session) -> Vec<usize> {
    let mut seen = std::collections::HashSet::new();
    let count = session.calls().len();
    (0..count)
        .filter(|&call| {
            let events = session.events(call);
            // Every kind is recorded as seen (no short circuit).
            let new_kinds = events
                .iter()
                .filter(|e| seen.insert(std::mem::discriminant(*e)))
                .count();
            new_kinds > 0 || call % 64 == 0 || call + 16 >= count
        })
        .collect()
}

/// Runs every library lesson and checks the calls `pick` chooses.
fn check_lessons(pick: impl Fn(&Session) -> Vec<usize>) -> BTreeSet<String> {
    let mut kinds = BTreeSet::new();
    for entry in library::ENTRIES {
        let session = lesson_session(entry.name);
        for call in pick(&session) {
            let call_kinds =
                check_call(&session, call).unwrap_or_else(|e| panic!("{}: {e}", entry.name));
            kinds.extend(call_kinds);
        }
    }
    kinds
}

/// Library lessons: replaying a call's journal on the state before it gives the
/// state after it, for every call with an event kind not seen before in its lesson
/// (so every kind that occurs), every 64th call and the last 16.
#[test]
fn lesson_call_journals_give_the_state_after_each_call() {
    let kinds = check_lessons(sampled_calls);
    for kind in [
        "TakeBlock",
        "SplitHalf",
        "Merge",
        "AddFree",
        "PcpRefill",
        "PcpDrain",
        "Steal",
        "HighatomicReserve",
        "Migrated",
        "Compacted",
        "OfflinePages",
        "OnlinePages",
        "ZonelistsRebuilt",
    ] {
        assert!(
            kinds.contains(kind),
            "no lesson call had {kind} ({kinds:?})"
        );
    }
}

/// Every call of every library lesson (run in release: `cargo test --release -p
/// buddyscope-engine --test it -- --ignored event_state::every_lesson_call`).
#[test]
#[ignore]
fn every_lesson_call_journal_gives_the_state_after_it() {
    let start = std::time::Instant::now();
    let kinds = check_lessons(|session| (0..session.calls().len()).collect());
    println!(
        "every lesson call checked in {:.1} s; event kinds: {kinds:?}",
        start.elapsed().as_secs_f64()
    );
}

/// The default scenario the page opens with: its sampled calls (every call in the
/// ignored test above's release run is the lessons'; this one's calls are few).
#[test]
fn default_scenario_call_journals_give_the_state_after_each_call() {
    let text = include_str!("../../../web/scenarios/default.toml");
    let (_, loaded) = buddyscope_engine::view::load_text(text).unwrap();
    let mut kinds = BTreeSet::new();
    for call in sampled_calls(&loaded.session) {
        kinds.extend(check_call(&loaded.session, call).unwrap());
    }
    println!(
        "default scenario: {} calls; kinds {kinds:?}",
        loaded.session.calls().len()
    );
}

/// Seeded random runs on random machines (hotplug, compaction, reclaim, drains,
/// sysctls, refused operations): every call's journal gives the state after it.
#[test]
fn random_call_journals_give_the_state_after_each_call() {
    let mut kinds = BTreeSet::new();
    seeded::run(
        "event_state::random_call_journals_give_the_state_after_each_call",
        40 * seeded::size(),
        |seed| {
            let mut rng = Rng::new(seed);
            let text = machine_toml(&mut rng, 1..9);
            let Some(mut session) = boot(&text) else {
                return Ok(());
            };
            for _ in 0..120 {
                let op = operation(&mut rng, &session);
                let _ = session.apply(op);
            }
            if rng.chance(50) {
                let _ = session.apply(Operation::DrainAll);
            }
            check_session(&session, &mut kinds)
        },
    );
    println!("event kinds seen: {kinds:?}");
}

/// A 16 GiB machine (two CPUs) with a long call to step through: CPU 0's per-cpu
/// lists filled by order-0 allocations and frees, then drained in one call.
fn sixteen_gib_session() -> Session {
    let config = MachineConfig {
        nodes: vec![NodeConfig {
            memory: vec![PfnRange {
                start: 0x1000,
                end: 0x40_0000,
            }],
            cpus: vec![0, 1],
        }],
        ..MachineConfig::default()
    };
    let allocator = Allocator::from_machine(&Machine::build(&config).unwrap()).unwrap();
    let mut session = Session::new(allocator);
    for _ in 0..3000 {
        session
            .apply(Operation::Alloc {
                order: 0,
                gfp: Gfp::parse("GFP_NOWAIT|__GFP_MOVABLE").unwrap(),
                node: -1,
                nodemask: None,
                cpu: Some(0),
                use_: PageUse::Kernel,
            })
            .unwrap();
    }
    for index in (0..3000).step_by(2) {
        session
            .apply(Operation::Free {
                index,
                cpu: Some(0),
            })
            .unwrap();
    }
    session.apply(Operation::DrainAll).unwrap();
    session
}

fn median_ms(mut samples: Vec<f64>) -> f64 {
    samples.sort_by(f64::total_cmp);
    samples[samples.len() / 2]
}

/// Stepping forward, back and over inside a long call on a 16 GiB machine, timed
/// (run in release: `cargo test --release -p buddyscope-engine --test it --
/// --ignored event_state::step_timing --nocapture`).
#[test]
#[ignore]
fn step_timing() {
    use std::time::Instant;
    let session = sixteen_gib_session();
    let mut early = Vec::new();
    for _ in 0..5 {
        let start = Instant::now();
        let copy = session.current().clone();
        early.push(start.elapsed().as_secs_f64() * 1e3);
        drop(copy);
    }
    println!(
        "one copy of the state before stepping: {:.2} ms (median)",
        median_ms(early)
    );
    let last = session.calls().len() - 1;
    let events = session.event_count(last);
    println!("drain call: {events} events");
    let mut cursor = Cursor {
        call: last,
        event: events / 2,
    };
    // The page holds the state it shows while it asks for the next one.
    let mut shown = session.state_at(cursor);
    let (mut forward, mut back, mut over) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..15 {
        let start = Instant::now();
        cursor = session.step_into(cursor);
        // The one shown is dropped once the next is computed.
        let _ = std::mem::replace(&mut shown, session.state_at(cursor));
        forward.push(start.elapsed().as_secs_f64() * 1e3);
    }
    for _ in 0..15 {
        let start = Instant::now();
        cursor = session.step_back(cursor);
        // The one shown is dropped once the next is computed.
        let _ = std::mem::replace(&mut shown, session.state_at(cursor));
        back.push(start.elapsed().as_secs_f64() * 1e3);
    }
    for _ in 0..5 {
        let inside = Cursor {
            call: last,
            event: events / 3,
        };
        // The one shown is dropped once the next is computed.
        let _ = std::mem::replace(&mut shown, session.state_at(inside));
        let start = Instant::now();
        // The one shown is dropped once the next is computed.
        let _ = std::mem::replace(&mut shown, session.state_at(session.step_over(inside)));
        over.push(start.elapsed().as_secs_f64() * 1e3);
    }
    // Across calls, as the page's benchmark steps: forward, over, back, from step 100.
    let mut cursor = session.cursor_at_step(100);
    // The one shown is dropped once the next is computed.
    let _ = std::mem::replace(&mut shown, session.state_at(cursor));
    let (mut across_forward, mut across_over, mut across_back) =
        (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..8 {
        for (step, times) in [
            (
                Session::step_into as fn(&Session, Cursor) -> Cursor,
                &mut across_forward,
            ),
            (Session::step_over, &mut across_over),
            (Session::step_back, &mut across_back),
        ] {
            let start = Instant::now();
            cursor = step(&session, cursor);
            // The one shown is dropped once the next is computed.
            let _ = std::mem::replace(&mut shown, session.state_at(cursor));
            times.push(start.elapsed().as_secs_f64() * 1e3);
        }
    }
    // What the page draws from each state: its page map, a pass over every page.
    let mut maps = Vec::new();
    for _ in 0..5 {
        let start = Instant::now();
        let map = buddyscope_engine::view::page_map(&shown);
        maps.push(start.elapsed().as_secs_f64() * 1e3);
        drop(map);
    }
    drop(shown);
    println!("16 GiB, one page map: {:.2} ms (median)", median_ms(maps));
    println!(
        "16 GiB, short calls from step 100: forward {:.3} ms, over {:.3} ms, back {:.3} ms (medians)",
        median_ms(across_forward),
        median_ms(across_over),
        median_ms(across_back)
    );
    let mut clones = Vec::new();
    for _ in 0..5 {
        let start = Instant::now();
        let copy = session.current().clone();
        clones.push(start.elapsed().as_secs_f64() * 1e3);
        drop(copy);
    }
    println!(
        "one copy of the state: {:.2} ms (median)",
        median_ms(clones)
    );
    println!(
        "16 GiB, inside a {events}-event call: forward {:.3} ms, back {:.3} ms, over {:.3} ms (medians)",
        median_ms(forward),
        median_ms(back),
        median_ms(over)
    );
}

/// The session a library lesson runs.
pub(crate) fn lesson_session(name: &str) -> Session {
    run_scenario(&library::get(name).unwrap().scenario()).0
}

/// A random run on a small random machine.
fn random_session(seed: u64, operations: usize) -> Option<Session> {
    let mut rng = Rng::new(seed);
    let text = machine_toml(&mut rng, 1..9);
    let mut session = boot(&text)?;
    for _ in 0..operations {
        let op = operation(&mut rng, &session);
        let _ = session.apply(op);
    }
    Some(session)
}

/// The zone of `pfn` in `state`.
fn zone_of(state: &Allocator, pfn: Pfn) -> &buddyscope_engine::alloc::ZoneState {
    let z = state.zone_of_pfn(pfn).unwrap();
    &state.zones()[z]
}

/// The per-cpu list `pindex` of `cpu` in the zone of `pfn`, head first.
fn pcp_list(state: &Allocator, pfn: Pfn, cpu: u32, pindex: u32) -> Vec<u64> {
    let zone = zone_of(state, pfn);
    let pcp = zone.pcps.iter().find(|p| p.cpu == cpu).unwrap();
    pcp.lists[pindex as usize].iter().map(|p| p.pfn).collect()
}

/// Whether a per-cpu list of the zone of `pfn` holds it.
fn on_a_pcp_list(state: &Allocator, pfn: Pfn) -> bool {
    zone_of(state, pfn)
        .pcps
        .iter()
        .any(|p| p.lists.iter().flatten().any(|page| page.pfn == pfn.0))
}

/// What must hold at the cursor just after `event` (the call's `index`-th event,
/// counted from 0, followed by `next`): the event's effect on memory is there
/// already. `None` for an event this check does not look at; `Err` says what lags.
fn effect_visible(
    event: &Event,
    next: Option<&Event>,
    state: &Allocator,
) -> Option<Result<(), String>> {
    let free_order = |pfn: Pfn| zone_of(state, pfn).buddy.free_order(pfn);
    let pageblock = |pfn: Pfn| zone_of(state, pfn).buddy.pageblock_type(pfn);
    let ok = |holds: bool, what: String| Some(if holds { Ok(()) } else { Err(what) });
    match *event {
        Event::TakenOffBuddy { pfn, order, .. } => ok(
            free_order(pfn).is_none() && !on_a_pcp_list(state, pfn),
            format!("the traced block at {pfn} of order {order} is still free"),
        ),
        Event::TakeBlock { pfn, order, .. } => ok(
            free_order(pfn).is_none(),
            format!("the block at {pfn} of order {order} is still free"),
        ),
        Event::SplitHalf { pfn, order, .. } | Event::AddFree { pfn, order, .. } => ok(
            free_order(pfn) == Some(order),
            format!("the block at {pfn} is not free at order {order}"),
        ),
        Event::Merge { buddy, order, .. } => ok(
            free_order(buddy) != Some(order),
            format!("the buddy {buddy} is still free at order {order}"),
        ),
        Event::PcpFree {
            pfn, pindex, cpu, ..
        } => ok(
            pcp_list(state, pfn, cpu, pindex).first() == Some(&pfn.0),
            format!("{pfn} is not at the head of CPU {cpu}'s list {pindex}"),
        ),
        Event::PcpTake { pfn, .. } => ok(
            !on_a_pcp_list(state, pfn),
            format!("{pfn} is still on a per-cpu list"),
        ),
        // The drain is told before the __free_one_page() it causes (causal order): at
        // it the page has left its per-cpu list; the Merge and AddFree events that
        // follow put it back on a buddy list, each checked at its own event.
        Event::PcpDrain { pfn, .. } => ok(
            !on_a_pcp_list(state, pfn),
            format!("{pfn} is still on a per-cpu list"),
        ),
        Event::PcpRefill { pages, .. } if pages > 0 => match next {
            Some(&Event::PcpTake {
                pfn, pindex, cpu, ..
            }) => ok(
                pcp_list(state, pfn, cpu, pindex).first() == Some(&pfn.0),
                format!("the refilled list does not start with {pfn}, taken next"),
            ),
            _ => None,
        },
        Event::HighatomicReserve { pfn, .. } => ok(
            pageblock(pfn) == MigrateType::HighAtomic,
            format!("the pageblock of {pfn} is not highatomic"),
        ),
        Event::Steal {
            pfn,
            alloc_migratetype,
            claimed: true,
            ..
        } => ok(
            pageblock(pfn) == alloc_migratetype,
            format!("the pageblock of {pfn} was not claimed"),
        ),
        Event::PageblockIsolated { pfn, .. } => ok(
            pageblock(pfn) == MigrateType::Isolate,
            format!("the pageblock of {pfn} is not isolated"),
        ),
        Event::PageblockUnisolated {
            pfn, migratetype, ..
        }
        | Event::HighatomicUnreserve { pfn, migratetype } => ok(
            pageblock(pfn) == migratetype,
            format!("the pageblock of {pfn} is not {migratetype:?}"),
        ),
        Event::FreePageTaken { pfn, .. } => ok(
            free_order(pfn).is_none(),
            format!("the block at {pfn} is still free"),
        ),
        _ => None,
    }
}

/// Checks (b) on every event of the sampled calls of `session` (see
/// [`sampled_calls`]); collects the event kinds checked.
fn check_effects(session: &Session, kinds: &mut BTreeSet<String>) -> Result<(), String> {
    for call in sampled_calls(session) {
        let events = session.events(call);
        for (index, event) in events.iter().enumerate() {
            let cursor = Cursor {
                call,
                event: index + 1,
            };
            let state = session.state_at(cursor);
            if let Some(result) = effect_visible(event, events.get(index + 1), &state) {
                result.map_err(|e| format!("call {call}, after event {index} ({event:?}): {e}"))?;
                kinds.insert(
                    format!("{event:?}")
                        .split([' ', '{'])
                        .next()
                        .unwrap_or("")
                        .to_string(),
                );
            }
        }
    }
    Ok(())
}

/// (b) At each event that changes memory, its effect is visible at that event, not
/// one later: lessons that split, merge, refill and drain per-cpu lists, steal,
/// reserve highatomic pageblocks, compact and hotplug, and random runs.
#[test]
fn each_event_shows_its_own_effect() {
    let mut kinds = BTreeSet::new();
    for name in [
        "split-merge",
        "pcp-batching",
        "steal-claim",
        "highatomic",
        "memory-hotplug",
        // Grouping off: every claim's pageblock write is folded to Unmovable.
        "mobility-off",
    ] {
        check_effects(&lesson_session(name), &mut kinds).unwrap_or_else(|e| panic!("{name}: {e}"));
    }
    seeded::run(
        "event_state::each_event_shows_its_own_effect",
        6 * seeded::size(),
        |seed| match random_session(seed, 80) {
            Some(session) => check_effects(&session, &mut kinds),
            None => Ok(()),
        },
    );
    for kind in [
        "TakeBlock",
        "SplitHalf",
        "Merge",
        "AddFree",
        "PcpFree",
        "PcpTake",
        "PcpDrain",
        "PcpRefill",
        "HighatomicReserve",
        "Steal",
        "PageblockIsolated",
        "PageblockUnisolated",
    ] {
        assert!(
            kinds.contains(kind),
            "no {kind} event was checked (checked: {kinds:?})"
        );
    }
}

/// The trace replay's follow mode (`take_page_off_buddy()` off the free lists and
/// off a per-cpu list): every call's journal gives the state after it, and each
/// placement shows at its own event.
#[test]
fn follow_replay_journals_give_the_state_after_each_call() {
    let session = crate::common::scenario_run::follow_replay_session();
    let mut kinds = BTreeSet::new();
    check_session(&session, &mut kinds).unwrap_or_else(|e| panic!("{e}"));
    assert!(kinds.contains("TakenOffBuddy"), "{kinds:?}");
    let mut effects = BTreeSet::new();
    check_effects(&session, &mut effects).unwrap_or_else(|e| panic!("{e}"));
    assert!(effects.contains("TakenOffBuddy"), "{effects:?}");
    // One of them came off CPU 0's per-cpu list.
    let from_pcp = (0..session.calls().len()).any(|call| {
        session.events(call).iter().any(|e| {
            matches!(
                e,
                Event::TakenOffBuddy {
                    pcp_cpu: Some(0),
                    ..
                }
            )
        })
    });
    assert!(from_pcp);
}

/// A session with the same calls as `session`, built afresh (nothing cached). Its
/// kswapd is manual: kswapd's own calls are among the records and run as they come.
fn rebuilt(session: &Session) -> Session {
    let mut fresh = Session::with_kswapd(session.state_after(0), KswapdMode::Manual);
    for record in session.calls() {
        fresh.apply(record.operation.clone()).unwrap();
    }
    fresh
}

/// (c) Stepping back through a call gives, at every event, exactly the state that
/// stepping forward in a fresh session gives at the same cursor, and that a third
/// fresh session gives when it jumps straight there; at the call's start, the state
/// before it, and at its end, the state after it.
#[test]
fn stepping_back_and_forward_gives_the_same_state() {
    let mut sessions = vec![
        lesson_session("pcp-batching"),
        lesson_session("split-merge"),
    ];
    sessions.extend((1..=4).filter_map(|seed| random_session(seed, 60)));
    let mut changed = 0;
    for session in &sessions {
        let calls: Vec<usize> = (0..session.calls().len())
            .filter(|&c| session.event_count(c) > 1)
            .rev()
            .take(4)
            .collect();
        for call in calls {
            let count = session.event_count(call);
            let mut cursor = Cursor { call, event: count };
            assert_eq!(*session.state_at(cursor), session.state_after(call + 1));
            let mut back = vec![session.state_at(cursor)];
            while cursor.event > 0 {
                cursor = session.step_back(cursor);
                back.push(session.state_at(cursor));
            }
            back.reverse();
            assert_eq!(*back[0], session.state_after(call));
            let forward_session = rebuilt(session);
            let jump_session = rebuilt(session);
            // Jumps: the odd events from the last down, then the even ones up.
            let mut jumps: Vec<usize> = (0..=count).filter(|e| e % 2 == 1).rev().collect();
            jumps.extend((0..=count).filter(|e| e % 2 == 0));
            let jumped: std::collections::BTreeMap<usize, Rc<Allocator>> = jumps
                .into_iter()
                .map(|event| (event, jump_session.state_at(Cursor { call, event })))
                .collect();
            for (event, state) in back.iter().enumerate() {
                let cursor = Cursor { call, event };
                assert!(
                    *state == forward_session.state_at(cursor),
                    "forward to {cursor:?}"
                );
                assert!(*state == jumped[&event], "jump to {cursor:?}");
            }
            changed += back.windows(2).filter(|w| w[0] != w[1]).count();
        }
    }
    assert!(changed > 0, "no event changed the state");
}

/// The state at `cursor` computed apart from stepping: the state before its call
/// with the call's journal applied up to the cursor's event, from `reference` (a
/// session built afresh, so nothing the walked session cached is used).
fn reference_state(reference: &Session, cursor: Cursor) -> Allocator {
    let count = reference.event_count(cursor.call);
    if cursor.call >= reference.calls().len() || cursor.event >= count {
        return reference.state_after(reference.calls_done_at(cursor));
    }
    let (mut before, journal) = reference.journal(cursor.call).unwrap();
    before.replay(&journal, 0..cursor.event as u32);
    before
}

/// (d) Wandering as a page does (forward, back, over, jumps), holding the state on
/// screen while the next is computed and now and then an older one too, so that
/// states are moved in place, undone, copied and reused across calls: every state
/// is the one the call's journal gives at that cursor.
#[test]
fn wandering_like_the_page_gives_the_state_at_each_cursor() {
    // Compaction moves LRU pages and reclaim takes them off: their undoing is checked
    // too.
    let mut sessions = vec![
        lesson_session("pcp-batching"),
        lesson_session("split-merge"),
        lesson_session("compaction"),
        lesson_session("watermark-boost"),
        lesson_session("oom"),
    ];
    sessions.extend((5..=8).filter_map(|seed| random_session(seed, 40)));
    let mut moves = [0usize; 4];
    for (index, session) in sessions.iter().enumerate() {
        let reference = rebuilt(session);
        let mut rng = Rng::new(index as u64 + 1);
        let mut cursor = session.cursor_at_step(session.last_step() / 2);
        let mut shown = session.state_at(cursor);
        let mut older = None;
        for _ in 0..150 {
            let choice = rng.below(10) as usize;
            cursor = match choice {
                0..=3 => session.step_into(cursor),
                4..=6 => session.step_back(cursor),
                7 | 8 => session.step_over(cursor),
                _ => session.cursor_at_step(rng.below(session.last_step() + 1)),
            };
            moves[choice.min(9) / 3] += 1;
            let next = session.state_at(cursor);
            if rng.below(4) == 0 {
                older = Some(shown);
            } else if rng.below(3) == 0 {
                older = None;
            }
            shown = next;
            assert!(
                *shown == reference_state(&reference, cursor),
                "session {index}, at {cursor:?}"
            );
        }
        drop(older);
    }
    assert!(moves.iter().all(|&m| m > 0), "moves {moves:?}");
}

/// (e) Walking forward through each of the longest calls and back to its start, the
/// page's way (holding only the state on screen), so that every event's changes are
/// undone in place: each state is the one the call's journal gives. The lessons with
/// compaction and reclaim move LRU pages and take them off the list.
#[test]
fn walking_back_through_long_calls_undoes_every_event() {
    let mut sessions = vec![
        lesson_session("compaction"),
        lesson_session("watermark-boost"),
        lesson_session("oom"),
        lesson_session("pcp-batching"),
    ];
    sessions.extend((9..=11).filter_map(|seed| random_session(seed, 60)));
    let mut undone = 0;
    for (index, session) in sessions.iter().enumerate() {
        let reference = rebuilt(session);
        let mut calls: Vec<usize> = (0..session.calls().len()).collect();
        calls.sort_by_key(|&c| std::cmp::Reverse(session.event_count(c)));
        for call in calls.into_iter().take(4) {
            let count = session.event_count(call);
            let (before, journal) = reference.journal(call).unwrap();
            // The first (up to) 300 events of the call.
            let last = count.min(300);
            let mut state = before;
            let expected: Vec<Allocator> = (0..last)
                .map(|event| {
                    state.replay(&journal, event.saturating_sub(1) as u32..event as u32);
                    state.clone()
                })
                .collect();
            let mut cursor = Cursor { call, event: 0 };
            let mut shown = session.state_at(cursor);
            let mut walk: Vec<usize> = (1..last).collect();
            walk.extend((0..last.saturating_sub(1)).rev());
            for event in walk {
                cursor = Cursor { call, event };
                let _ = std::mem::replace(&mut shown, session.state_at(cursor));
                assert!(
                    *shown == expected[event],
                    "session {index}, at {cursor:?} of {count}"
                );
                undone += 1;
            }
        }
    }
    assert!(undone > 100, "only {undone} states checked");
}
