//! `report::pair`: two runs compared call by call ("A and B", "A with one change"),
//! `scenario::vary` (the change) and pair share links. The expected watermarks are
//! worked out by hand from `__setup_per_zone_wmarks()` below.

use buddyscope_engine::event::Event;
use buddyscope_engine::machine::ThpMode;
use buddyscope_engine::report::kernel_diff::KernelDiff;
use buddyscope_engine::report::pair::{pair_calls, pair_diff, pair_sessions, step_pair, vary_diff};
use buddyscope_engine::scenario::parse_scenario;
use buddyscope_engine::scenario::share::{
    decode, decode_pair, encode_pair, is_pair, PairB, PairLink,
};
use buddyscope_engine::scenario::vary::Vary;
use buddyscope_engine::types::{Kernel, ZoneType};
use buddyscope_engine::view::diff_view;

fn text(name: &str) -> String {
    let path = format!("{}/tests/data/pair/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn scenario(name: &str) -> buddyscope_engine::scenario::Scenario {
    parse_scenario(&text(name)).unwrap()
}

fn row(diff: &KernelDiff, what: &str) -> Option<[String; 2]> {
    let zone = diff.zones.iter().find(|z| z.zone == ZoneType::Dma32)?;
    zone.rows
        .iter()
        .find(|r| r.what == what)
        .map(|r| r.values.clone())
}

fn pair(a: u64, b: u64) -> Option<[String; 2]> {
    Some([a.to_string(), b.to_string()])
}

/// The mark a call's first watermark check compared against, on each side.
fn checked_marks(diff: &KernelDiff) -> [u64; 2] {
    let first = diff.first.as_ref().expect("the runs differ");
    first.sides.each_ref().map(|side| {
        let side = side.as_ref().expect("both sides have the call");
        match side.events.get(first.first_event) {
            Some(Event::WatermarkCheck { terms, ok, .. }) => {
                assert!(ok, "8000 free pages pass either mark");
                terms.mark_base
            }
            other => panic!("the first differing event is not the watermark check: {other:?}"),
        }
    })
}

// wsf.toml: one DMA32 zone, managed 8000, min_free_kbytes 1024, so pages_min =
// 1024 >> (PAGE_SHIFT - 10) = 256 and lowmem_pages = 8000 (the only zone):
//   min = 256 * 8000 / 8000 = 256 on both sides.
//   watermark_scale_factor 10:  tmp = max(256 >> 2 = 64, 8000 * 10 / 10000 = 8)    = 64
//                               low = 256 + 64 = 320,  high = 256 + 2 * 64 = 384
//   watermark_scale_factor 200: tmp = max(64, 8000 * 200 / 10000 = 160)            = 160
//                               low = 256 + 160 = 416, high = 256 + 2 * 160 = 576
// 6.1's zone_highsize() with percpu_pagelist_high_fraction 0 is low / the node's 1
// CPU: pageset high 320 and 416. The workload's first call (a drain of empty lists)
// is the same on both; the second (an order-0 allocation) checks the low mark first
// thing after __alloc_pages' own event, so it is call 2, event 2 that differs.
#[test]
fn watermark_scale_factor_10_against_200_parts_at_the_first_watermark_check() {
    let a = scenario("wsf.toml");
    let vary = Vary::parse("watermark_scale_factor=200").unwrap();
    let diff = vary_diff(&a, &vary, None).unwrap();
    assert_eq!(
        diff.labels,
        [
            "A: watermark_scale_factor=10".to_string(),
            "B: watermark_scale_factor=200".to_string()
        ]
    );
    for (run, wsf) in diff.runs.iter().zip([10, 200]) {
        assert_eq!(run.machine.config.sysctls.watermark_scale_factor, wsf);
        assert_eq!(run.kernel, Kernel::V6_1);
    }
    assert_eq!(row(&diff, "watermark min"), None, "min is 256 on both");
    assert_eq!(row(&diff, "watermark low"), pair(320, 416));
    assert_eq!(row(&diff, "watermark high"), pair(384, 576));
    assert_eq!(
        row(&diff, "pageset high"),
        Some(["high 320".to_string(), "high 416".to_string()])
    );
    let first = diff.first.as_ref().unwrap();
    assert_eq!((first.index, first.first_event), (1, 1));
    assert_eq!(checked_marks(&diff), [320, 416]);
    // The same block is returned on both (8000 free pages pass either mark).
    assert_eq!(diff.first_outcome, None);
    assert_eq!((diff.calls_compared, diff.calls_differing), (3, 2));
    assert_eq!(pair_calls(&diff), 3);
    let view = diff_view(&diff, 0);
    assert!(view.summary.contains("(A | B)"), "{}", view.summary);
    assert!(
        view.boot_summary
            .contains("differ in 1 of 1 populated zones"),
        "{}",
        view.boot_summary
    );
    assert!(!view.boot_summary.contains("6.12"), "{}", view.boot_summary);
    let [(la, sa), (lb, sb)] = pair_sessions(&diff);
    assert_eq!(
        (la, lb),
        (
            "A: watermark_scale_factor=10",
            "B: watermark_scale_factor=200"
        )
    );
    assert_eq!((sa.calls().len(), sb.calls().len()), (3, 3));
}

// b-wsf200-short.toml writes wsf 200 into the file and stops after the order-0
// allocation: the same first difference, and a third call only A has, which is the
// first outcome that differs (a call one side does not have).
#[test]
fn two_scenario_files_with_different_lengths() {
    let diff = pair_diff(
        &scenario("wsf.toml"),
        &scenario("b-wsf200-short.toml"),
        None,
    )
    .unwrap();
    assert_eq!(diff.labels, ["A".to_string(), "B".to_string()]);
    assert_eq!(row(&diff, "watermark low"), pair(320, 416));
    assert_eq!(checked_marks(&diff), [320, 416]);
    assert_eq!(diff.first_outcome, Some(2));
    assert_eq!((diff.calls_compared, diff.calls_differing), (3, 2));
    assert_eq!(pair_calls(&diff), 3);
    assert_eq!(step_pair(&diff, 1), [Some(1), Some(1)]);
    assert_eq!(step_pair(&diff, 2), [Some(2), None]);
    assert_eq!(step_pair(&diff, 3), [None, None]);
    // An order-3 block (8 pages) and an order-0 one gone on A, the order-0 one on B.
    let end: Vec<[i64; 2]> = diff.free_pages.iter().map(|z| z.pages).collect();
    assert_eq!(end, vec![[8000 - 9, 8000 - 1]]);
}

#[test]
fn the_kernel_comparison_is_the_pair_on_both_kernels() {
    let a = scenario("wsf.toml");
    let kernels = KernelDiff::run(&a, None).unwrap();
    let varied = vary_diff(&a, &Vary::Kernel(Kernel::V6_12), None).unwrap();
    assert_eq!(
        kernels.labels,
        ["Linux 6.1".to_string(), "Linux 6.12".to_string()]
    );
    assert_eq!(
        varied.labels,
        ["A: kernel=6.1".to_string(), "B: kernel=6.12".to_string()]
    );
    assert_eq!(kernels.zones, varied.zones);
    assert_eq!(kernels.first, varied.first);
    assert_eq!(kernels.first_outcome, varied.first_outcome);
    assert_eq!(kernels.free_pages, varied.free_pages);
}

#[test]
fn a_value_the_kernel_refuses_is_named_with_its_side() {
    let a = scenario("wsf.toml");
    let err = vary_diff(
        &a,
        &Vary::parse("watermark_scale_factor=5000").unwrap(),
        None,
    )
    .unwrap_err()
    .to_string();
    assert!(
        err.starts_with("B: watermark_scale_factor=5000: the machine cannot be built"),
        "{err}"
    );
    assert!(err.contains("outside 1..3000"), "{err}");
    let err = vary_diff(&a, &Vary::parse("distances=10,20;20,10").unwrap(), None)
        .unwrap_err()
        .to_string();
    assert!(
        err.starts_with("B: distances=10,20;20,10: the machine cannot be built"),
        "{err}"
    );
}

#[test]
fn every_kind_of_change_round_trips_and_applies() {
    let a = scenario("wsf.toml");
    for text in [
        "min_free_kbytes=2048",
        "watermark_scale_factor=200",
        "watermark_boost_factor=0",
        "lowmem_reserve_ratio=256,256,32,0,0",
        "percpu_pagelist_high_fraction=8",
        "thp=always",
        "distances=10,21;21,10",
        "kernel=6.12",
    ] {
        let vary = Vary::parse(text).unwrap();
        assert_eq!(vary.to_string(), text);
        assert_eq!(Vary::parse(&vary.to_string()).unwrap(), vary);
    }
    let b = Vary::parse("thp = always").unwrap().apply(&a);
    assert_eq!(b.machine.thp, ThpMode::Always);
    assert_eq!(b.workload, a.workload, "the workload is kept");
    let b = Vary::parse("min_free_kbytes=2048").unwrap().apply(&a);
    assert_eq!(b.machine.sysctls.min_free_kbytes, Some(2048));
    assert_eq!(
        Vary::parse("lowmem_reserve_ratio=1 2 3 4 5").unwrap(),
        Vary::LowmemReserveRatio([1, 2, 3, 4, 5])
    );
}

#[test]
fn malformed_changes_are_refused_naming_what_is_wrong() {
    let cases = [
        ("watermark_scale_factor", "is not KEY=VALUE"),
        (
            "swappiness=60",
            "`swappiness` is not a setting a pair can vary",
        ),
        (
            "watermark_scale_factor=lots",
            "watermark_scale_factor takes a whole number, not `lots`",
        ),
        (
            "watermark_scale_factor=-1",
            "takes a whole number, not `-1`",
        ),
        ("watermark_boost_factor=99999999999", "is out of range"),
        (
            "lowmem_reserve_ratio=256,256,32,0",
            "takes 5 numbers, one per zone type",
        ),
        (
            "thp=sometimes",
            "thp is always, madvise or never, not `sometimes`",
        ),
        ("kernel=6.5", "unknown kernel version `6.5`"),
        ("distances=", "distances needs at least one row"),
        (
            "distances=10,x;20,10",
            "distances takes a whole number, not `x`",
        ),
        (
            "distances=10,20; ,;20,10",
            "distances has a row with no numbers",
        ),
    ];
    for (text, message) in cases {
        let err = Vary::parse(text).unwrap_err();
        assert!(err.contains(message), "{text}: {err}");
    }
    let long = format!("distances={}", "10,".repeat(40_000));
    assert!(Vary::parse(&long).unwrap_err().contains("bytes long"));
}

#[test]
fn pair_links_round_trip() {
    let a = text("wsf.toml");
    let b = text("b-wsf200-short.toml");
    for link in [
        PairLink {
            a: a.clone(),
            b: PairB::Vary(Vary::WatermarkScaleFactor(200)),
            step: Some(2),
        },
        PairLink {
            a: a.clone(),
            b: PairB::Vary(Vary::Distances(vec![vec![10, 20], vec![20, 10]])),
            step: None,
        },
        PairLink {
            a: a.clone(),
            b: PairB::Scenario(b.clone()),
            step: Some(3),
        },
    ] {
        let fragment = encode_pair(&link);
        assert!(is_pair(&fragment));
        assert_eq!(decode_pair(&fragment).unwrap(), link);
        let url = format!("https://example.org/buddyscope/#{fragment}");
        assert_eq!(decode_pair(&url).unwrap(), link);
        // A reader that knows no pairs opens A at the same step.
        let single = decode(&fragment).unwrap();
        assert_eq!((single.scenario, single.step), (a.clone(), link.step));
    }
    let fragment = encode_pair(&PairLink {
        a: "version = 1\n".into(),
        b: PairB::Vary(Vary::WatermarkScaleFactor(200)),
        step: Some(2),
    });
    assert_eq!(
        fragment,
        "s=p1.version+%3D+1%0A&vary=v1.watermark_scale_factor%3D200&step=2"
    );
    assert!(!is_pair("s=p1.version+%3D+1%0A&step=2"));
}

#[test]
fn hostile_pair_links_are_refused_naming_what_is_wrong() {
    let a = "s=p1.version+%3D+1%0A";
    let cases = [
        (a.to_string(), "holds one scenario, not a pair"),
        (format!("{a}&b=p1.x&vary=v1.thp%3Dnever"), "both `b=`"),
        (
            format!("{a}&vary=v2.thp%3Dnever"),
            "`vary=` version `v2` is not one this Buddyscope knows",
        ),
        (
            format!("{a}&vary=thp%3Dnever"),
            "`vary=` has no version tag",
        ),
        (
            format!("{a}&vary=v1.swappiness%3D1"),
            "the link's `vary=`: `swappiness` is not a setting",
        ),
        (format!("{a}&vary=v1.thp%3D%ZZ"), "broken %-escape"),
        (
            format!("{a}&vary=v1.thp%3D%FF"),
            "`vary=` is not valid UTF-8",
        ),
        (
            format!("{a}&vary=v1.thp%3Dnever&vary=v1.thp%3Dalways"),
            "`vary=` twice",
        ),
        (format!("{a}&s=p1.x&vary=v1.thp%3Dnever"), "`s=` twice"),
        ("vary=v1.thp%3Dnever".to_string(), "no scenario A"),
        (format!("{a}&b=q9.x"), "scenario B's format `q9`"),
        (format!("{a}&b=z1.!!!"), "cannot be in it"),
        (format!("{a}&b=z1.AAAA"), "scenario B does not decompress"),
        (format!("{a}&b=nodot"), "scenario B has no format tag"),
        (
            format!("{a}&vary=v1.thp%3Dnever&step=two"),
            "step `two` is not a whole number",
        ),
        (
            "s=z1.AAAA&vary=v1.thp%3Dnever".to_string(),
            "scenario A does not decompress",
        ),
        (format!("{a}&b={}", "A".repeat(300_000)), "bytes long"),
    ];
    for (link, message) in cases {
        let err = decode_pair(&link).unwrap_err().to_string();
        assert!(
            err.contains(message),
            "{}: {err}",
            &link[..link.len().min(80)]
        );
    }
}

#[test]
fn both_cursors_for_a_shared_position() {
    use buddyscope_engine::report::pair::pair_cursors;
    use buddyscope_engine::session::Cursor;
    let diff = pair_diff(
        &scenario("wsf.toml"),
        &scenario("b-wsf200-short.toml"),
        None,
    )
    .unwrap();
    // Call 2 (the order-0 allocation) passes the check on both sides and takes the
    // same path, so its whole-call cursor is the same on both.
    let [a, b] = pair_cursors(&diff, 1, usize::MAX);
    let (a, b) = (a.unwrap(), b.unwrap());
    assert_eq!(a.event, diff.runs[0].session.event_count(1));
    assert_eq!(a, b);
    assert_eq!(
        pair_cursors(&diff, 1, 1),
        [Some(Cursor { call: 1, event: 1 }); 2]
    );
    assert_eq!(
        pair_cursors(&diff, 2, 0),
        [Some(Cursor { call: 2, event: 0 }), None]
    );
}

/// Both runs of a pair on one timeline axis: the axis is the longer run's (3 calls
/// against 2), each run's lines are named by its label, and run B's low watermark
/// line sits at its own 416 where A's is at 320 (the hand-worked marks above).
#[test]
fn a_pair_timeline_draws_both_runs_on_one_axis() {
    use buddyscope_engine::view::{pair_timeline, TimelineChoice};
    let diff = pair_diff(
        &scenario("wsf.toml"),
        &scenario("b-wsf200-short.toml"),
        None,
    )
    .unwrap();
    let choice = TimelineChoice {
        zone: 0,
        order: 9,
        columns: 300,
        watermark_scale: true,
    };
    let view = pair_timeline(&diff, Some(1), choice);
    assert_eq!(view.calls, 3);
    assert_eq!(view.cursor_call, Some(1));
    let low = |run: usize| {
        view.free
            .lines
            .iter()
            .find(|l| l.run == run && l.label.starts_with("low"))
            .unwrap()
    };
    assert_eq!(low(0).label, "low (A)");
    assert_eq!(low(1).label, "low (B)");
    let values = |run: usize| -> Vec<i64> {
        low(run)
            .columns
            .iter()
            .flatten()
            .map(|&(lo, _)| lo)
            .collect()
    };
    assert!(values(0).iter().all(|&v| v == 320), "{:?}", values(0));
    assert!(values(1).iter().all(|&v| v == 416), "{:?}", values(1));
    // B ended a call earlier: its columns past its two calls are empty.
    let b_columns = &low(1).columns;
    assert!(b_columns.last().unwrap().is_none(), "{b_columns:?}");
    assert!(view.markers.iter().any(|m| m.run == 1));
}

/// The mobility lesson side by side: mobility-on with `mobility_grouping=false` as B
/// is mobility-off's run; free pages in blocks of order 9 or more at the end are
/// 15360 on A and 512 on B (the lessons' two figures).
#[test]
fn the_mobility_lesson_side_by_side_gives_both_figures() {
    use buddyscope_engine::scenario::library;
    let a = library::get("mobility-on").unwrap().scenario();
    let vary = Vary::parse("mobility_grouping=false").unwrap();
    assert_eq!(vary.to_string(), "mobility_grouping=false");
    let diff = vary_diff(&a, &vary, None).unwrap();
    let huge = |run: usize| -> u64 {
        let zone = &diff.runs[run].session.current().zones()[0];
        (9..=10)
            .map(|o| {
                let order = buddyscope_engine::types::Order::new(o).unwrap();
                u64::from(zone.buddy.nr_free(order)) << o
            })
            .sum()
    };
    assert_eq!((huge(0), huge(1)), (15360, 512));
    assert!(Vary::parse("mobility_grouping=maybe").is_err());
}
