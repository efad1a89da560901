//! `report::kernel_diff`: one scenario run on Linux 6.1 and 6.12, and where they part.
//! Every expected number is derived by hand below from the kernels' formulas, and the
//! 6.12 side's watermarks are also read from the real kernel's zoneinfo
//! (`oracle-6.12/g-1node-2G-movablecore`).

use buddyscope_engine::event::Event;
use buddyscope_engine::report::kernel_diff::{KernelDiff, KernelDiffError};
use buddyscope_engine::scenario::parse_scenario;
use buddyscope_engine::types::{Kernel, ZoneType};
use buddyscope_engine::view::kernel_diff_view;

fn scenario(name: &str) -> buddyscope_engine::scenario::Scenario {
    let path = format!(
        "{}/tests/data/kernel-diff/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    parse_scenario(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// The values of a zone's rows, by row name.
fn row(diff: &KernelDiff, zone: ZoneType, what: &str) -> Option<[String; 2]> {
    let zone = diff.zones.iter().find(|z| z.zone == zone)?;
    zone.rows
        .iter()
        .find(|r| r.what == what)
        .map(|r| r.values.clone())
}

fn pair(a: u64, b: u64) -> Option<[String; 2]> {
    Some([a.to_string(), b.to_string()])
}

/// `min`, `low` and `high` of `zone` in the real 6.12 kernel's zoneinfo.
fn oracle_612_watermarks(zone: &str) -> [u64; 3] {
    let path = format!(
        "{}/tests/data/oracle-6.12/g-1node-2G-movablecore/expected/zoneinfo",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let header = format!("Node 0, zone {zone:>8}");
    let section = text
        .split(&header)
        .nth(1)
        .unwrap_or_else(|| panic!("{zone} not in {path}"));
    let value = |key: &str| -> u64 {
        section
            .lines()
            .find_map(|l| {
                l.trim()
                    .strip_prefix(key)
                    .map(|v| v.trim().parse().unwrap())
            })
            .unwrap_or_else(|| panic!("{key} of {zone}"))
    };
    [value("min "), value("low "), value("high ")]
}

// The machine: managed DMA 3840, DMA32 379566, Movable 121889; min_free_kbytes 45056,
// so pages_min = 45056 / 4 = 11264; watermark_scale_factor 10.
//
// Linux 6.1 (__setup_per_zone_wmarks): lowmem_pages counts every !highmem zone,
// Movable included: 3840 + 379566 + 121889 = 505295. Each zone's min is
// pages_min * managed / 505295, and low/high add max(min >> 2, managed * 10 / 10000):
//   DMA     43253760 / 505295 = 85;   85 >> 2 = 21 (> 3):       low 106,   high 127
//   DMA32   4275431424 / 505295 = 8461; 8461 >> 2 = 2115 (> 379): low 10576, high 12691
//   Movable 1372957696 / 505295 = 2717; 2717 >> 2 = 679 (> 121):  low 3396,  high 4075
// Linux 6.12 leaves ZONE_MOVABLE out of lowmem_pages (383406) and gives it highmem's
// min, managed / 1024 clamped to 32..128:
//   DMA     43253760 / 383406 = 112;  112 >> 2 = 28:    low 140,   high 168
//   DMA32   4275431424 / 383406 = 11151; >> 2 = 2787: low 13938, high 16725
//   Movable min 121889 / 1024 = 119; the spread still comes from the proportional
//           1372957696 / 383406 = 3580, >> 2 = 895:    low 1014,  high 1909
#[test]
fn movablecore_watermarks_differ_as_worked_out_by_hand_and_as_the_real_6_12_kernel_prints() {
    let diff = KernelDiff::run(&scenario("movablecore.toml"), None).unwrap();
    assert_eq!(row(&diff, ZoneType::Dma, "watermark min"), pair(85, 112));
    assert_eq!(row(&diff, ZoneType::Dma, "watermark low"), pair(106, 140));
    assert_eq!(row(&diff, ZoneType::Dma, "watermark high"), pair(127, 168));
    assert_eq!(
        row(&diff, ZoneType::Dma32, "watermark min"),
        pair(8461, 11151)
    );
    assert_eq!(
        row(&diff, ZoneType::Dma32, "watermark low"),
        pair(10576, 13938)
    );
    assert_eq!(
        row(&diff, ZoneType::Dma32, "watermark high"),
        pair(12691, 16725)
    );
    assert_eq!(
        row(&diff, ZoneType::Movable, "watermark min"),
        pair(2717, 119)
    );
    assert_eq!(
        row(&diff, ZoneType::Movable, "watermark low"),
        pair(3396, 1014)
    );
    assert_eq!(
        row(&diff, ZoneType::Movable, "watermark high"),
        pair(4075, 1909)
    );
    // The same 6.12 numbers as the real kernel's /proc/zoneinfo.
    for (zone, ty) in [
        ("DMA", ZoneType::Dma),
        ("DMA32", ZoneType::Dma32),
        ("Movable", ZoneType::Movable),
    ] {
        let real = oracle_612_watermarks(zone);
        for (i, what) in ["watermark min", "watermark low", "watermark high"]
            .iter()
            .enumerate()
        {
            let model = row(&diff, ty, what).unwrap();
            assert_eq!(model[1], real[i].to_string(), "{zone} {what}");
        }
    }
    // lowmem_reserve and batch do not depend on the watermarks: no row for them; the
    // zone sizes are the same, so neither is managed.
    for zone in &diff.zones {
        for what in ["lowmem_reserve", "pageset batch", "managed"] {
            assert!(
                zone.rows.iter().all(|r| r.what != what),
                "{:?} {what}",
                zone.zone
            );
        }
        // 6.1 has one high, 6.12 a range: always a row.
        let high = zone.rows.iter().find(|r| r.what == "pageset high").unwrap();
        assert!(high.values[0].starts_with("high "), "{high:?}");
        assert!(high.values[1].starts_with("high_min "), "{high:?}");
    }
    assert_eq!(diff.zones.len(), 3);
    assert_eq!(diff.zones_same, 0);
    assert!(diff.zonelists.is_empty(), "{:?}", diff.zonelists);
}

// The workload takes 117 order-10 blocks with GFP_HIGHUSER_MOVABLE, which start at
// ZONE_MOVABLE (119 free order-10 blocks, 121889 free pages at boot). The fast path
// checks `low` with ALLOC_WMARK_LOW: free - (1024 - 1) must be above low.
//   Before allocation k (0-based) Movable has 121889 - 1024k free.
//   k = 115: 4129 - 1023 = 3106: not above 6.1's low 3396, above 6.12's 1014.
//   k = 114: 5153 - 1023 = 4130: above both.
// 6.12 first tests the high mark while ZONE_BELOW_HIGH is clear (get_page_from_freelist)
// and, above it, takes the zone without the low check: 121889 - 1023 = 120866 > 1909.
// So the first call differs at its first watermark test (6.1's low check against
// 6.12's high test, the same outcome), and the first outcome that differs is call
// index 115: 6.1 falls back to DMA32; 6.12 still passes its high test there
// (3106 > 1909), and again at k = 116 (4129 - 1024 - 1023 = 2082 > 1909).
// At the end: 6.1 Movable 121889 - 115 * 1024 = 4129, DMA32 379566 - 2 * 1024 =
// 377518; 6.12 Movable 121889 - 117 * 1024 = 2081, DMA32 untouched.
#[test]
fn the_first_difference_is_the_movable_watermark_check_and_outcomes_part_at_the_116th_call() {
    let diff = KernelDiff::run(&scenario("movablecore.toml"), None).unwrap();
    assert_eq!(diff.calls_compared, 117);
    assert_eq!(diff.calls_differing, 117);
    assert_eq!(diff.first_outcome, Some(115));
    let first = diff.first.as_ref().unwrap();
    assert_eq!(first.index, 0);
    let [Some(old), Some(new)] = &first.sides else {
        panic!("both sides have call 0: {first:?}")
    };
    let differing = [&old.events, &new.events].map(|events| events.get(first.first_event).unwrap());
    assert!(
        matches!(differing[0], Event::WatermarkCheck { .. }),
        "{:?}",
        differing[0]
    );
    assert!(
        matches!(differing[1], Event::BelowHighCheck { ok: true, .. }),
        "{:?}",
        differing[1]
    );
    let sentences = differing.map(|e| e.describe());
    assert!(sentences[0].contains("> low 3396 "), "{}", sentences[0]);
    assert!(sentences[1].contains("> high 1909 "), "{}", sentences[1]);
    // Everything before it is the same.
    assert_eq!(
        old.events.get(..first.first_event),
        new.events.get(..first.first_event)
    );
    let free: Vec<(ZoneType, [i64; 2])> =
        diff.free_pages.iter().map(|z| (z.zone, z.pages)).collect();
    assert_eq!(
        free,
        vec![
            (ZoneType::Dma, [3840, 3840]),
            (ZoneType::Dma32, [377518, 379566]),
            (ZoneType::Movable, [4129, 2081]),
        ]
    );
    // At most 115 operations: the outcomes never part.
    let short = KernelDiff::run(&scenario("movablecore.toml"), Some(115)).unwrap();
    assert_eq!(short.calls_compared, 115);
    assert_eq!(short.first_outcome, None);
}

#[test]
fn the_view_marks_the_first_differing_event_and_says_where_outcomes_part() {
    let diff = KernelDiff::run(&scenario("movablecore.toml"), None).unwrap();
    let view = kernel_diff_view(&diff, Kernel::V6_12);
    assert_eq!(
        view.kernels,
        ["Linux 6.1".to_string(), "Linux 6.12".to_string()]
    );
    let first = view.first.as_ref().unwrap();
    assert_eq!(first.call, 0);
    assert!(first.title.starts_with("call 1 "), "{}", first.title);
    // The cursor lands just past the differing event: its second.
    assert_eq!((first.first_event, first.event), (1, 2));
    // 6.1's low check against 6.12's ZONE_BELOW_HIGH test of the high mark.
    for (side, function) in first
        .sides
        .iter()
        .zip(["zone_watermark_fast", "get_page_from_freelist"])
    {
        let marked: Vec<_> = side.events.iter().filter(|e| e.first_difference).collect();
        assert_eq!(marked.len(), 1, "{side:?}");
        assert_eq!(marked[0].function, function);
        assert!(
            side.operation.contains("GFP_HIGHUSER_MOVABLE, 10"),
            "{}",
            side.operation
        );
    }
    assert!(
        view.summary
            .contains("117 calls compared, 117 differ; outcomes first differ at call 116"),
        "{}",
        view.summary
    );
    assert!(
        view.summary.contains("node 0 Movable 4129 | 2081"),
        "{}",
        view.summary
    );
    assert!(
        view.boot_summary
            .contains("watermarks, lowmem_reserve or batch differ in 3 of 3 populated zones"),
        "{}",
        view.boot_summary
    );
    // Call 116 (index 115): 6.1 falls back to DMA32 and takes the head of its
    // free_area[10], the lowest block, 0x1000 (boot frees memory in ascending pfn order
    // to the tail, FPI_TO_TAIL); 6.12 takes Movable's next block, which starts at
    // 0x60000 (1.5 GiB) and hands out 0x400 pages a call: 0x60000 + 115 * 0x400 = 0x7cc00.
    assert_eq!(
        view.first_outcome_returns,
        [
            "Linux 6.1: allocation #115: the order-10 block at pfn 0x1000 in node 0 DMA32"
                .to_string(),
            "Linux 6.12: allocation #115: the order-10 block at pfn 0x7cc00 in node 0 Movable"
                .to_string(),
        ]
    );
    assert_eq!(
        view.notes.len(),
        1,
        "the 6.12 partial-model note: {:?}",
        view.notes
    );
}

#[test]
fn runs_that_never_differ_say_so() {
    let diff = KernelDiff::run(&scenario("same-events.toml"), None).unwrap();
    assert_eq!(diff.calls_compared, 2);
    assert_eq!(diff.calls_differing, 0);
    assert!(diff.first.is_none() && diff.first_outcome.is_none());
    // No ZONE_MOVABLE: 6.12's watermarks are 6.1's; only the pageset's high range
    // differs in kind.
    for zone in &diff.zones {
        let whats: Vec<&str> = zone.rows.iter().map(|r| r.what.as_str()).collect();
        assert_eq!(whats, ["pageset high"], "{:?}", zone.zone);
    }
    let view = kernel_diff_view(&diff, Kernel::V6_1);
    assert!(
        view.summary.contains("the runs never differ"),
        "{}",
        view.summary
    );
    assert!(
        view.boot_summary.starts_with(
            "Boot-time setup: watermarks, lowmem_reserve and batch are the same in all 2 populated \
             zones; the pageset's high is one value on 6.1 and a range"
        ),
        "{}",
        view.boot_summary
    );
    // No workload at all: nothing to compare.
    let mut bare = scenario("same-events.toml");
    bare.workload = None;
    let diff = KernelDiff::run(&bare, None).unwrap();
    assert_eq!((diff.calls_compared, diff.first.is_none()), (0, true));
}

#[test]
fn a_bad_machine_or_workload_names_the_side_and_the_problem() {
    let mut machine = scenario("same-events.toml");
    machine.machine.nodes.clear();
    let err: KernelDiffError = KernelDiff::run(&machine, None).unwrap_err();
    assert_eq!(err.kernel, Some(Kernel::V6_1));
    let text = err.to_string();
    assert!(
        text.starts_with("on Linux 6.1: the machine cannot be built: "),
        "{text}"
    );
    let mut workload = scenario("same-events.toml");
    workload.workload = Some("alloc a order=11\n".to_string());
    let err = KernelDiff::run(&workload, None).unwrap_err();
    assert_eq!(
        err.kernel, None,
        "a script that does not parse is no side's: {err}"
    );
    assert!(err.to_string().contains("line 1"), "{err}");
}

#[test]
fn every_library_scenario_loads_on_either_kernel_and_compares() {
    use buddyscope_engine::limits::PAGE_OPERATIONS_MAX;
    use buddyscope_engine::scenario::library;
    for entry in library::ENTRIES {
        let mut scenario = parse_scenario(entry.text).unwrap();
        for kernel in Kernel::ALL {
            scenario.machine.kernel = kernel;
            let loaded = buddyscope_engine::view::load(&scenario)
                .unwrap_or_else(|e| panic!("{} on {kernel}: {e}", entry.name));
            assert!(loaded.operations > 0, "{} on {kernel}", entry.name);
            assert_eq!(loaded.session.current().kernel(), kernel, "{}", entry.name);
        }
        let diff = KernelDiff::run(&scenario, Some(PAGE_OPERATIONS_MAX))
            .unwrap_or_else(|e| panic!("{}: {e}", entry.name));
        assert!(diff.calls_compared > 0, "{}", entry.name);
    }
}
