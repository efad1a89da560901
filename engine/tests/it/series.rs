//! The timeline's series (`session::series`): recorded values against the state
//! after each call, markers against the call's events, downsampling that keeps a
//! one-call spike at a million calls, bounded memory, and truncation.

use crate::event_state::lesson_session;
use buddyscope_engine::alloc::reclaim::PageUse;
use buddyscope_engine::alloc::{Allocator, ZoneState};
use buddyscope_engine::buddy::frag::{contig_page_info, fragmentation_index, unusable_free_index};
use buddyscope_engine::machine::{Machine, MachineConfig, NodeConfig};
use buddyscope_engine::session::series::{
    Marker, Quantity, Series, Span, MARKERS, SERIES_BYTES_BUDGET,
};
use buddyscope_engine::session::{KswapdMode, Operation, Outcome, Session};
use buddyscope_engine::types::gfp::Gfp;
use buddyscope_engine::types::PfnRange;
use buddyscope_engine::{Event, Rng};

fn exact(value: i64) -> Option<Span> {
    Some(Span {
        min: value,
        max: value,
    })
}

/// Every quantity the series keeps, for every order.
fn quantities() -> Vec<Quantity> {
    Quantity::all()
}

/// The value of `quantity` in `zone`, read off the state itself (and the indexes
/// computed with `buddy::frag` from its free-block counts).
fn value_of(zone: &ZoneState, quantity: Quantity) -> i64 {
    let counts = zone.buddy.nr_free_counts();
    match quantity {
        Quantity::FreePages => zone.free_pages(),
        Quantity::Min => zone.watermark[0] as i64,
        Quantity::Low => zone.watermark[1] as i64,
        Quantity::High => zone.watermark[2] as i64,
        Quantity::Boost => zone.watermark_boost as i64,
        Quantity::Unusable(order) => unusable_free_index(order, &contig_page_info(&counts, order)),
        Quantity::Fragmentation(order) => {
            fragmentation_index(order, &contig_page_info(&counts, order))
        }
    }
}

fn has_marker(marker: Marker, events: &[Event], outcome: &Outcome) -> bool {
    events.iter().any(|e| match marker {
        Marker::Steal => matches!(e, Event::Steal { claimed: false, .. }),
        Marker::Claim => matches!(e, Event::Steal { claimed: true, .. }),
        Marker::Boost => matches!(
            e,
            Event::Steal { boosted: true, .. } | Event::ClaimRefused { boosted: true, .. }
        ),
        Marker::KswapdWake => matches!(e, Event::KswapdWake { .. }),
        Marker::KswapdRun => matches!(e, Event::KswapdRun { .. }),
        Marker::Compaction => matches!(e, Event::Compacted { .. }),
        Marker::DirectReclaim => matches!(e, Event::DirectReclaim { .. }),
        Marker::Oom => matches!(e, Event::OomDecision { .. }),
        Marker::AllocFailed => false,
    }) || (marker == Marker::AllocFailed && matches!(outcome, Outcome::Failed { .. }))
}

/// Replays `session`'s calls one by one on its first state and checks every bucket
/// of its series against the states after those calls (smallest and largest value
/// of each quantity) and their events (how many calls had each marker). Returns how
/// many calls had each marker.
fn check_against_states(session: &Session) -> Vec<u64> {
    let series = session.series();
    let width = series.bucket_width();
    assert_eq!(series.calls(), session.calls().len() as u64);
    let mut replay = Session::with_kswapd(session.state_after(0), KswapdMode::Manual);
    let quantities = quantities();
    let zones = session.current().zones().len();
    let mut expected: Vec<Option<Span>> = vec![None; zones * quantities.len()];
    let mut marks = vec![0u64; MARKERS.len()];
    let mut bucket_marks = vec![0u64; MARKERS.len()];
    for k in 0..session.calls().len() {
        let record = &session.calls().get(k).unwrap();
        let call = replay.apply(record.operation.clone()).unwrap();
        assert_eq!(call.outcome, record.outcome);
        for (z, zone) in replay.current().zones().iter().enumerate() {
            for (q, &quantity) in quantities.iter().enumerate() {
                let v = value_of(zone, quantity);
                let slot = &mut expected[z * quantities.len() + q];
                *slot = Some(slot.map_or(exact(v).unwrap(), |s| Span {
                    min: s.min.min(v),
                    max: s.max.max(v),
                }));
            }
        }
        for (m, &marker) in MARKERS.iter().enumerate() {
            if has_marker(marker, &call.events, &call.outcome) {
                bucket_marks[m] += 1;
                marks[m] += 1;
            }
        }
        let k = k as u64;
        if (k + 1) % width == 0 || k + 1 == series.calls() {
            let first = k - k % width;
            for z in 0..zones {
                for (q, &quantity) in quantities.iter().enumerate() {
                    assert_eq!(
                        series.span(z, quantity, first, k + 1),
                        expected[z * quantities.len() + q],
                        "calls {first}..={k}, zone {z}, {quantity:?}"
                    );
                }
            }
            for (m, &marker) in MARKERS.iter().enumerate() {
                assert_eq!(
                    series.marker_count(marker, first, k + 1),
                    bucket_marks[m],
                    "calls {first}..={k}, {marker:?}"
                );
            }
            expected.iter_mut().for_each(|e| *e = None);
            bucket_marks.iter_mut().for_each(|m| *m = 0);
        }
    }
    marks
}

#[test]
fn values_and_markers_are_the_states_and_events_on_the_boost_and_steal_lessons() {
    let boost = check_against_states(&lesson_session("watermark-boost"));
    let steal = check_against_states(&lesson_session("steal-claim"));
    let count =
        |marks: &[u64], marker: Marker| marks[MARKERS.iter().position(|&m| m == marker).unwrap()];
    // The lessons show what they are named after.
    assert!(count(&boost, Marker::Boost) > 0);
    assert!(count(&boost, Marker::KswapdWake) > 0);
    assert!(count(&boost, Marker::KswapdRun) > 0);
    assert!(count(&steal, Marker::Claim) > 0);
    assert!(count(&steal, Marker::Steal) + count(&steal, Marker::Claim) > 0);
}

fn one_zone() -> Allocator {
    let config = MachineConfig {
        nodes: vec![NodeConfig {
            memory: vec![PfnRange {
                start: 0x1000,
                end: 0x10000,
            }],
            cpus: vec![0],
        }],
        ..MachineConfig::default()
    };
    Allocator::from_machine(&Machine::build(&config).unwrap()).unwrap()
}

fn allocator(nodes: usize) -> Allocator {
    let config = MachineConfig {
        nodes: (0..nodes as u64)
            .map(|n| NodeConfig {
                memory: vec![PfnRange {
                    start: 0x100 + n * 0x8000,
                    end: (n + 1) * 0x8000,
                }],
                cpus: vec![n as u32],
            })
            .collect(),
        ..MachineConfig::default()
    };
    Allocator::from_machine(&Machine::build(&config).unwrap()).unwrap()
}

/// A million calls recorded: one call in the middle had a block taken (and failed,
/// as far as the markers go); downsampled to 800 columns, its column still shows the
/// dip and the marker, every column has min ≤ max inside the recorded range, and
/// the series stayed within its budget.
#[test]
fn a_one_call_spike_survives_downsampling_at_a_million_calls() {
    const CALLS: u64 = 1_000_000;
    const SPIKE: u64 = 654_321;
    // One zone only (DMA32: the range starts above 16 MiB).
    let quiet = one_zone();
    let mut session = Session::new(quiet.clone());
    assert_eq!(quiet.zones().len(), 1);
    let free = |a: &Allocator| a.zones()[0].free_pages();
    // The counter the watermark checks read moves once a CPU's delta is folded in:
    // allocate until it has.
    for _ in 0..16 {
        if free(session.current()) < free(&quiet) {
            break;
        }
        session
            .apply(Operation::Alloc {
                nodemask: None,
                order: 9,
                gfp: Gfp::parse("GFP_KERNEL").unwrap(),
                node: 0,
                cpu: Some(0),
                use_: PageUse::Kernel,
            })
            .unwrap();
    }
    let dipped = session.current().clone();
    assert!(free(&dipped) < free(&quiet));

    let mut series = Series::new(&quiet);
    for call in 0..CALLS {
        if call == SPIKE {
            series.push(&dipped, &[], &Outcome::Failed { index: 0 });
        } else {
            series.push(&quiet, &[], &Outcome::Drained);
        }
    }
    assert_eq!(series.calls(), CALLS);
    assert!(series.bucket_width() > 1, "a million calls are bucketed");
    assert!(
        series.heap_bytes() <= SERIES_BYTES_BUDGET + 4096,
        "{}",
        series.heap_bytes()
    );

    let columns = 800;
    let free_columns = series.columns(0, Quantity::FreePages, 0, CALLS, columns);
    assert_eq!(free_columns.len(), columns);
    let spike_column = (SPIKE as usize * columns) / CALLS as usize;
    for (c, column) in free_columns.iter().enumerate() {
        let span = column.expect("every column has calls");
        assert!(span.min <= span.max);
        assert!(span.min >= free(&dipped) && span.max <= free(&quiet));
        if c == spike_column {
            assert_eq!(span.min, free(&dipped), "the dip shows in its column");
            assert_eq!(span.max, free(&quiet));
        } else {
            assert_eq!(span, exact(free(&quiet)).unwrap(), "column {c}");
        }
    }
    let failed = series.marker_columns(Marker::AllocFailed, 0, CALLS, columns);
    assert_eq!(failed.iter().sum::<u64>(), 1);
    assert_eq!(failed[spike_column], 1);
    for marker in MARKERS.into_iter().filter(|&m| m != Marker::AllocFailed) {
        assert_eq!(
            series
                .marker_columns(marker, 0, CALLS, columns)
                .iter()
                .sum::<u64>(),
            0
        );
    }
    // Beyond the recorded calls there is nothing.
    assert_eq!(series.span(0, Quantity::FreePages, CALLS, CALLS + 10), None);
    assert_eq!(
        series.span(1, Quantity::FreePages, 0, 10),
        None,
        "no second zone"
    );
}

/// Columns of a short run: more columns than calls repeat each call's value.
#[test]
fn more_columns_than_calls_repeat_each_call() {
    let session = lesson_session("watermark-boost");
    let calls = session.calls().len() as u64;
    let columns = session
        .series()
        .columns(0, Quantity::FreePages, 0, calls, calls as usize * 3);
    for (c, column) in columns.iter().enumerate() {
        let k = c as u64 / 3;
        assert_eq!(
            *column,
            session.series().span(0, Quantity::FreePages, k, k + 1)
        );
    }
}

fn random_operations(seed: u64, count: usize) -> Vec<Operation> {
    let mut rng = Rng::new(seed);
    let mut ops = Vec::new();
    let mut allocated = 0usize;
    let mut freed = std::collections::HashSet::new();
    while ops.len() < count {
        if allocated == 0 || rng.below(10) < 6 {
            ops.push(Operation::Alloc {
                nodemask: None,
                order: rng.below(4) as u32,
                gfp: Gfp::parse(["GFP_KERNEL", "GFP_ATOMIC"][rng.below(2) as usize]).unwrap(),
                node: rng.below(2) as i32,
                cpu: Some(rng.below(2) as u32),
                use_: PageUse::Kernel,
            });
            allocated += 1;
        } else {
            let index = rng.below(allocated as u64) as usize;
            if freed.insert(index) {
                ops.push(Operation::Free { index, cpu: None });
            }
        }
    }
    ops
}

/// Truncating a session leaves the series a session that only ran the kept calls
/// has, also when the cut falls inside a bucket of many calls.
#[test]
fn truncation_gives_the_series_of_the_shorter_run() {
    let ops = random_operations(17, 20_000);
    let mut long = Session::new(allocator(2));
    for op in &ops {
        let _ = long.apply(op.clone());
    }
    assert!(
        long.series().bucket_width() > 1,
        "the cut must fall inside a bucket"
    );
    let cut = 15_001;
    long.truncate(cut);
    let mut short = Session::new(allocator(2));
    for op in &ops {
        if short.calls().len() == cut {
            break;
        }
        let _ = short.apply(op.clone());
    }
    assert_eq!(short.calls().len(), cut);
    let (a, b) = (long.series(), short.series());
    assert_eq!(a.calls(), b.calls());
    assert_eq!(a.zones(), b.zones());
    // Compared at the coarser of the two bucket widths (the long run halved its
    // buckets once more before the cut).
    let width = a.bucket_width().max(b.bucket_width());
    let mut first = 0;
    while first < a.calls() {
        let end = first + width;
        for z in 0..a.zones().len() {
            for quantity in quantities() {
                assert_eq!(
                    a.span(z, quantity, first, end),
                    b.span(z, quantity, first, end),
                    "calls {first}..{end}, zone {z}, {quantity:?}"
                );
            }
        }
        for marker in MARKERS {
            assert_eq!(
                a.marker_count(marker, first, end),
                b.marker_count(marker, first, end)
            );
        }
        first = end;
    }
}

/// The timeline view of a lesson: every line and marker row has a column per pixel,
/// each column's range is the series' smallest and largest value over the column's
/// calls, the cursor is after the call the session's cursor has done, and the SVG
/// has a path per line and per marker row.
#[test]
fn the_timeline_view_and_its_svg_draw_the_series() {
    use buddyscope_engine::session::Cursor;
    use buddyscope_engine::view::{timeline, timeline_svg, TimelineChoice};
    let session = lesson_session("watermark-boost");
    let calls = session.calls().len() as u64;
    let cursor = Cursor {
        call: 100,
        event: session.event_count(100),
    };
    let choice = TimelineChoice {
        zone: usize::MAX,
        order: 9,
        columns: 640,
        watermark_scale: false,
    };
    let view = timeline(&session, cursor, choice);
    assert_eq!(view.calls, calls);
    assert_eq!(view.cursor_call, Some(100), "call 100 has returned");
    let zone = view.zone;
    // The default zone has the most free pages over the run.
    for z in 0..view.zones.len() {
        assert!(
            session
                .series()
                .span(z, Quantity::FreePages, 0, calls)
                .unwrap()
                .max
                <= session
                    .series()
                    .span(zone, Quantity::FreePages, 0, calls)
                    .unwrap()
                    .max
        );
    }
    assert_eq!(view.free.lines.len(), 5);
    assert_eq!(view.indexes.lines.len(), 2);
    assert_eq!(view.markers.len(), MARKERS.len());
    let free = &view.free.lines[0];
    for (c, column) in free.columns.iter().enumerate() {
        let first = calls * c as u64 / 640;
        let end = calls * (c as u64 + 1) / 640;
        let (lo, hi) = column.unwrap();
        assert!(lo <= hi);
        let expected = session
            .series()
            .span(zone, Quantity::FreePages, first, end)
            .unwrap();
        assert_eq!((lo, hi), (expected.min, expected.max), "column {c}");
        assert!(hi <= view.free.y_max);
    }
    // Columns and calls map back and forth.
    assert_eq!(view.call_of_column(320), calls * 320 / 640);
    assert_eq!(view.column_of_call(view.call_of_column(320)), 320);
    assert_eq!(view.call_at_x(0.0), None, "left of the plots");
    let boost = view
        .markers
        .iter()
        .find(|m| m.label == Marker::Boost.label())
        .unwrap();
    assert!(boost.total > 0 && boost.columns.iter().sum::<u64>() >= boost.total);

    let svg = timeline_svg(&view);
    assert!(svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""));
    assert!(svg.trim_end().ends_with("</svg>"));
    assert_eq!(svg.matches("<path class=\"line\"").count(), 7);
    assert_eq!(svg.matches("<path class=\"marker\"").count(), 9);
    assert_eq!(svg.matches("class=\"cursor\"").count(), 1);
    assert!(svg.contains("extfrag indexes for order 9"));

    // Scaled to the marks: the high mark plus boost fits, free pages above are cut
    // at the top.
    let scaled = timeline(
        &session,
        cursor,
        TimelineChoice {
            watermark_scale: true,
            ..choice
        },
    );
    let high_max = session
        .series()
        .span(zone, Quantity::High, 0, calls)
        .unwrap()
        .max
        + session
            .series()
            .span(zone, Quantity::Boost, 0, calls)
            .unwrap()
            .max;
    assert!(scaled.free.y_max >= high_max && scaled.free.y_max < view.free.y_max);
    for (c, column) in scaled.free.lines[0].columns.iter().enumerate() {
        let (lo, hi) = column.unwrap();
        let (wlo, whi) = view.free.lines[0].columns[c].unwrap();
        assert_eq!(
            (lo, hi),
            (wlo.min(scaled.free.y_max), whi.min(scaled.free.y_max))
        );
    }
}
