//! Watermark checks, redone from the zone's counters: for the watermark checks of
//! library runs (and a CMA machine's), this file computes `zone_watermark_fast()` and
//! `__zone_watermark_ok()` of Linux 6.1 again from `ZoneState` as it was before the
//! call, and compares every term the event carries and its verdict. The sentences of
//! the kinds of check a reader meets are pinned at the end.

use buddyscope_engine::alloc::{Allocator, ZoneState};
use buddyscope_engine::event::{FreeAreaScan, FullCheck, WatermarkTerms};
use buddyscope_engine::machine::Machine;
use buddyscope_engine::scenario::library::{self, ENTRIES};
use buddyscope_engine::scenario::parse_scenario;
use buddyscope_engine::session::{KswapdMode, Session};
use buddyscope_engine::types::gfp::{alloc_flags as af, Gfp, GFP_ATOMIC_BIT};
use buddyscope_engine::types::{MigrateType, Order, ZoneType};
use buddyscope_engine::workload::{parse_workload, run_workload_seeded};
use buddyscope_engine::Event;

/// The calls of a run whose checks are redone: at most this many with rare checks
/// and this many spread over the run, per scenario, as each needs the state before
/// it replayed.
const CALLS_PER_RUN_MAX: usize = 120;

fn run_text(text: &str) -> Session {
    run_text_with(text, None)
}

/// [`run_text`] with the scenario's kswapd mode replaced by `kswapd` if given.
fn run_text_with(text: &str, kswapd: Option<KswapdMode>) -> Session {
    let scenario = parse_scenario(text).unwrap();
    let machine = Machine::build(&scenario.machine).unwrap();
    let mode = kswapd.or(scenario.kswapd).unwrap_or_default();
    let mut session = Session::with_kswapd(Allocator::from_machine(&machine).unwrap(), mode);
    let statements = parse_workload(scenario.workload.as_deref().unwrap_or("")).unwrap();
    run_workload_seeded(&mut session, &statements, None, scenario.seed.unwrap_or(1)).unwrap();
    session
}

/// A one-node CMA machine filled by unmovable and movable requests and high-order
/// atomic bursts: checks with and without ALLOC_CMA, with the reserves.
const CMA_SCENARIO: &str = r#"
version = 1

[machine]
thp = "never"
cma = "32M"

[[machine.nodes]]
memory = ["0x1000000-0x8ffffff"]
cpus = "0"

[workload]
seed = 3
script = '''
generate atomic bursts=4 size=32 order=2 background=4000
repeat 2800 {
  alloc order=3 gfp=GFP_HIGHUSER_MOVABLE
}
repeat 300 {
  alloc order=1 gfp=GFP_KERNEL
}
repeat 3000 {
  alloc order=0 gfp=GFP_ATOMIC
}
'''
"#;

/// Whether an event leaves every zone's counters and free lists as they were, so a
/// check after it still sees the state before the call.
fn keeps_zones(event: &Event) -> bool {
    matches!(
        event,
        Event::AllocStart { .. }
            | Event::ZoneNotInNodemask { .. }
            | Event::WatermarkCheck { .. }
            | Event::NoFragmentRetry
            | Event::SlowPath { .. }
            | Event::KswapdWake { .. }
    )
}

/// `NR_FREE_CMA_PAGES`, counted from the CMA free lists.
fn free_cma(zone: &ZoneState) -> i64 {
    Order::all()
        .map(|o| i64::from(zone.buddy.nr_free_of_type(o, MigrateType::Cma)) << o.get())
        .sum()
}

/// `__zone_watermark_ok()`, from the zone's counters.
fn zone_watermark_ok(
    allocator: &Allocator,
    zone: &ZoneState,
    order: Order,
    mark: u64,
    highest: ZoneType,
    flags: u32,
) -> FullCheck {
    let mut unusable = (1i64 << order.get()) - 1;
    if flags & af::RESERVES == 0 {
        unusable += zone.nr_reserved_highatomic as i64;
    }
    if allocator.cma() && flags & af::CMA == 0 {
        unusable += free_cma(zone);
    }
    let usable = zone.free_pages() - unusable;
    let mut min = mark as i64;
    if flags & af::MIN_RESERVE != 0 {
        min -= min / 2;
        if flags & af::NON_BLOCK != 0 {
            min -= min / 4;
        }
    }
    if flags & af::OOM != 0 {
        min -= min / 2;
    }
    let free_ok = usable > min + zone.lowmem_reserve[highest.index()] as i64;
    let scan = (free_ok && order.get() > 0).then(|| {
        let mut lists = vec![
            MigrateType::Unmovable,
            MigrateType::Movable,
            MigrateType::Reclaimable,
        ];
        let cma = flags & af::CMA != 0;
        let highatomic = flags & (af::HIGHATOMIC | af::OOM) != 0;
        if cma {
            lists.push(MigrateType::Cma);
        }
        if highatomic {
            lists.push(MigrateType::HighAtomic);
        }
        Order::all()
            .filter(|o| o.get() >= order.get())
            .find_map(|o| {
                lists
                    .iter()
                    .find(|&&mt| zone.buddy.nr_free_of_type(o, mt) > 0)
                    .map(|&migratetype| FreeAreaScan::Found {
                        order: o,
                        migratetype,
                    })
            })
            .unwrap_or(FreeAreaScan::NotFound { cma, highatomic })
    });
    FullCheck {
        mark,
        min,
        usable,
        free_ok,
        scan,
    }
}

/// `zone_watermark_fast()`, from the zone's counters, with the request's flags,
/// gfp mask and highest zone.
fn zone_watermark_fast(
    allocator: &Allocator,
    zone: &ZoneState,
    order: Order,
    highest: ZoneType,
    flags: u32,
    gfp: Gfp,
) -> WatermarkTerms {
    let index = (flags & af::WMARK_MASK) as usize;
    let mark = zone.watermark[index] + zone.watermark_boost;
    let lowmem_reserve = zone.lowmem_reserve[highest.index()];
    let highatomic = (flags & af::RESERVES == 0).then_some(zone.nr_reserved_highatomic);
    let cma = (allocator.cma() && flags & af::CMA == 0).then(|| free_cma(zone));
    let mut terms = WatermarkTerms {
        v6_12: false,
        mark_index: None,
        alloc_flags: flags,
        highest_zone: highest,
        mark_base: zone.watermark[index],
        boost: zone.watermark_boost,
        free_pages: zone.free_pages(),
        highatomic_unusable: highatomic,
        cma_unusable: cma,
        lowmem_reserve,
        shortcut: None,
        full: None,
        unboosted: None,
    };
    if order.get() == 0 {
        let reserved = highatomic.unwrap_or(0) as i64 + cma.unwrap_or(0);
        let usable = (zone.free_pages() - reserved).max(0);
        let passed = usable > (mark + lowmem_reserve) as i64;
        terms.shortcut = Some(passed);
        if passed {
            return terms;
        }
    }
    let full = zone_watermark_ok(allocator, zone, order, mark, highest, flags);
    terms.full = Some(full);
    if full.passed() {
        return terms;
    }
    if order.get() == 0
        && gfp.has(GFP_ATOMIC_BIT)
        && zone.watermark_boost > 0
        && flags & af::WMARK_MASK == af::WMARK_MIN
    {
        terms.unboosted = Some(zone_watermark_ok(
            allocator,
            zone,
            order,
            zone.watermark[0],
            highest,
            flags,
        ));
    }
    terms
}

/// Redoes the checks of up to [`CALLS_PER_RUN_MAX`] calls of a run; returns how many
/// checks it compared.
fn redo_checks(name: &str, session: &Session) -> usize {
    let with_checks: Vec<(usize, Vec<Event>)> = session
        .calls_with_events()
        .enumerate()
        .filter(|(_, call)| {
            call.events
                .iter()
                .any(|e| matches!(e, Event::WatermarkCheck { .. }))
        })
        .map(|(index, call)| (index, call.events))
        .collect();
    // Every call with a check that is rarer than a passed low-mark check (a failure,
    // reserves, the unboosted retry), then an even spread of the rest.
    let has = |events: &[Event], kind: fn(&WatermarkTerms, bool) -> bool| {
        events
            .iter()
            .any(|e| matches!(e, Event::WatermarkCheck { ok, terms, .. } if kind(terms, *ok)))
    };
    let kinds: [fn(&WatermarkTerms, bool) -> bool; 3] = [
        |_, ok| !ok,
        |terms, _| terms.alloc_flags & af::RESERVES != 0,
        |terms, _| terms.unboosted.is_some(),
    ];
    let stride = with_checks.len().div_ceil(CALLS_PER_RUN_MAX).max(1);
    let mut chosen: Vec<&(usize, Vec<Event>)> = with_checks.iter().step_by(stride).collect();
    for kind in kinds {
        chosen.extend(
            with_checks
                .iter()
                .filter(|(_, events)| has(events, kind))
                .take(CALLS_PER_RUN_MAX),
        );
    }
    chosen.sort_by_key(|(index, _)| *index);
    chosen.dedup_by_key(|(index, _)| *index);
    let mut compared = 0;
    for (index, events) in chosen {
        let before = session.state_after(*index);
        let mut request = None;
        let mut flags_slow = None;
        for event in events {
            match *event {
                Event::AllocStart {
                    gfp, highest_zone, ..
                } => request = Some((Gfp(gfp), highest_zone)),
                Event::SlowPath { alloc_flags } => flags_slow = Some(alloc_flags),
                Event::WatermarkCheck {
                    node,
                    zone,
                    order,
                    ref terms,
                    ok,
                } => {
                    let (gfp, highest) = request.expect("a check inside an allocation");
                    assert_eq!(terms.highest_zone, highest, "{name} call {index}");
                    match flags_slow {
                        Some(slow) => assert_eq!(terms.alloc_flags, slow, "{name} call {index}"),
                        None => assert_eq!(
                            terms.alloc_flags & af::WMARK_MASK,
                            af::WMARK_LOW,
                            "{name} call {index}: the fast path checks the low mark"
                        ),
                    }
                    let z = before
                        .zones()
                        .iter()
                        .find(|z| z.nid == node && z.zone == zone)
                        .expect("the checked zone exists");
                    let expected =
                        zone_watermark_fast(&before, z, order, highest, terms.alloc_flags, gfp);
                    assert_eq!(*terms, expected, "{name} call {index}: {event}");
                    assert_eq!(ok, expected.ok(), "{name} call {index}: {event}");
                    compared += 1;
                }
                _ => {}
            }
            if !keeps_zones(event) {
                break;
            }
        }
    }
    compared
}

#[test]
fn every_term_agrees_with_the_zone_counters() {
    let mut runs: Vec<(&str, Session)> = [
        "lowmem-reserve",
        "watermark-boost",
        "highatomic",
        "compaction",
        "numa-order",
        "steal-claim",
    ]
    .into_iter()
    .map(|name| {
        let entry = library::get(name).expect("a library scenario");
        (name, run_text(entry.text))
    })
    .collect();
    runs.push(("cma", run_text(CMA_SCENARIO)));
    assert!(ENTRIES.len() >= runs.len());
    for (name, session) in &runs {
        let compared = redo_checks(name, session);
        assert!(compared >= 50, "{name}: only {compared} checks compared");
    }
}

/// The sentence of the first watermark check of a library scenario's run that
/// `wanted` picks.
fn first_sentence(name: &str, wanted: fn(Order, &WatermarkTerms, bool) -> bool) -> String {
    first_sentence_with(name, None, wanted)
}

fn first_sentence_with(
    name: &str,
    kswapd: Option<KswapdMode>,
    wanted: fn(Order, &WatermarkTerms, bool) -> bool,
) -> String {
    let entry = library::get(name).expect("a library scenario");
    let session = run_text_with(entry.text, kswapd);
    let sentence = session
        .calls_with_events()
        .flat_map(|call| call.events)
        .find(|e| matches!(e, Event::WatermarkCheck { order, terms, ok, .. } if wanted(*order, terms, *ok)))
        .map(|e| e.to_string())
        .unwrap_or_else(|| panic!("{name}: no such check"));
    sentence
}

#[test]
fn an_order_4_check_subtracts_15_and_names_the_boost() {
    // With kswapd frozen, the boost of a fallback steal stays in the mark.
    assert_eq!(
        first_sentence_with("numa-order", Some(KswapdMode::Manual), |order, _, ok| order
            .get()
            == 4
            && !ok),
        "zone_watermark_fast: zone 0:DMA32 order 4, ALLOC_WMARK_LOW|ALLOC_KSWAPD: \
         __zone_watermark_ok: free 240 − ((1<<4) − 1 = 15) − highatomic reserve 0 = 225 \
         is not above low 157 + boost 512 + lowmem_reserve for Normal requests 0 = 669: \
         too low, next zone"
    );
    // As the lesson runs, kswapd takes the boost back the call after the steal, and
    // node 0 refuses later, on its low watermark alone: 160 - 15 = 145 <= 157.
    assert_eq!(
        first_sentence("numa-order", |order, _, ok| order.get() == 4 && !ok),
        "zone_watermark_fast: zone 0:DMA32 order 4, ALLOC_WMARK_LOW|ALLOC_KSWAPD: \
         __zone_watermark_ok: free 160 − ((1<<4) − 1 = 15) − highatomic reserve 0 = 145 \
         is not above low 157 + lowmem_reserve for Normal requests 0 = 157: \
         too low, next zone"
    );
}

#[test]
fn a_lowmem_reserve_refusal_names_the_requests_zone() {
    assert_eq!(
        first_sentence("lowmem-reserve", |_, terms, ok| !ok
            && terms.lowmem_reserve > 0
            && terms.free_pages > terms.mark() as i64),
        "zone_watermark_fast: zone 0:DMA order 3, ALLOC_WMARK_LOW|ALLOC_KSWAPD: \
         __zone_watermark_ok: free 518 − ((1<<3) − 1 = 7) − highatomic reserve 0 = 511 \
         is not above low 26 + lowmem_reserve for Normal requests 488 = 514: \
         too low, next zone"
    );
}

#[test]
fn a_boosted_order_0_check_shows_the_shortcut_and_the_full_check() {
    assert_eq!(
        first_sentence("steal-claim", |_, terms, ok| !ok && terms.boost > 0),
        "zone_watermark_fast: zone 0:DMA32 order 0, ALLOC_WMARK_LOW|ALLOC_KSWAPD: \
         order-0 shortcut: free 882 − highatomic reserve 0 = 882 is not above \
         low 316 + boost 568 + lowmem_reserve for Normal requests 0 = 884; \
         __zone_watermark_ok: free 882 − highatomic reserve 0 = 882 is not above \
         low 316 + boost 568 + lowmem_reserve for Normal requests 0 = 884: too low, next zone"
    );
}

#[test]
fn an_atomic_request_shows_the_cuts_to_min() {
    assert_eq!(
        first_sentence("highatomic", |_, terms, _| terms.alloc_flags
            & af::MIN_RESERVE
            != 0),
        "zone_watermark_fast: zone 0:DMA32 order 2, \
         ALLOC_WMARK_MIN|ALLOC_NON_BLOCK|ALLOC_MIN_RESERVE|ALLOC_HIGHATOMIC|ALLOC_KSWAPD: \
         __zone_watermark_ok: free 786 − ((1<<2) − 1 = 3) = 783 > \
         (min 253 + boost 512 = 765 − 765/2 (ALLOC_MIN_RESERVE) − 383/4 (ALLOC_NON_BLOCK) = 288) \
         + lowmem_reserve for Normal requests 0 = 288, and free_area[2] has a block on \
         free_list[Unmovable]: ok, try this zone"
    );
}

#[test]
fn a_high_order_check_can_fail_in_the_free_area_scan() {
    assert_eq!(
        first_sentence("compaction", |_, terms, _| terms
            .full
            .is_some_and(|f| matches!(f.scan, Some(FreeAreaScan::NotFound { .. })))),
        "zone_watermark_fast: zone 0:DMA32 order 9, ALLOC_WMARK_LOW: __zone_watermark_ok: \
         free 1767 − ((1<<9) − 1 = 511) − highatomic reserve 0 = 1256 > \
         low 316 + lowmem_reserve for Movable requests 0 = 316, but no list it may use in \
         free_area[9] to free_area[10] has a block (free_list[Unmovable], [Movable], \
         [Reclaimable]; HighAtomic not looked at: neither ALLOC_HIGHATOMIC nor ALLOC_OOM): \
         too low, next zone"
    );
}
