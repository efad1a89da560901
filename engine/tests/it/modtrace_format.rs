//! The modtrace formats against the real-kernel fixtures in `tests/data/modtrace/cases`
//! (Linux 6.1, format version 1) and `tests/data/modtrace-6.12/cases` (Linux 6.12,
//! version 2): every file parses and writes back byte for byte (dumps up to `t_ns`),
//! every dump loads as an allocator of its kernel and dumps back unchanged, the workload
//! parser and `canonical_op` reproduce the module's own op lines, `free_targets`
//! reproduces the order of its `f` records, bad input is an error naming its line, and
//! no prefix or byte mutation of a fixture makes a parser panic.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

use buddyscope_engine::alloc::{Allocator, PcpTuning};
use buddyscope_engine::import::modtrace::replay::{module_header, replay};
use buddyscope_engine::import::modtrace::{
    canonical_op, free_indexes, free_targets, mt_from_letter, mt_letter, parse_allocs, parse_dump,
    parse_events, parse_header, parse_workload, pcp_list_kind, write_allocs, write_dump,
    write_events, AllocRecord, AllocatorDump, CpuStat, EventRecord, FormatError, FreeSpec,
    FreeTarget, KernelEvent, Op, PcpPage, StateDump,
};
use buddyscope_engine::types::{Kernel, ZoneType};
use buddyscope_engine::MigrateType;

const CASES: [&str; 5] = [
    "fallback-steal",
    "high-order",
    "pcp-high-drain",
    "pcp-refill-600",
    "split-merge",
];

/// The two sets of fixtures: the Linux 6.1 module's runs (format version 1) and the
/// Linux 6.12 module's (version 2), the same five cases each.
const V1: &str = "modtrace";
const V2: &str = "modtrace-6.12";
const SETS: [(&str, Kernel); 2] = [(V1, Kernel::V6_1), (V2, Kernel::V6_12)];

fn cases_dir_in(set: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(set)
        .join("cases")
}

fn read_in(set: &str, case: &str, file: &str) -> String {
    let path = cases_dir_in(set).join(case).join(file);
    fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn read(case: &str, file: &str) -> String {
    read_in(V1, case, file)
}

/// Every dump file of a case (`before`, `after`, `dN`): (file stem, text).
fn dump_files_in(set: &str, case: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let dir = cases_dir_in(set).join(case);
    let mut names: Vec<String> = fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    for name in names {
        let Some(stem) = name.strip_suffix(".txt") else {
            continue;
        };
        let text = read_in(set, case, &name);
        if text.starts_with("dump begin ") {
            out.push((stem.to_string(), text));
        }
    }
    out
}

/// Every case of both sets: (set, case).
fn all_cases() -> impl Iterator<Item = (&'static str, &'static str)> {
    SETS.into_iter()
        .flat_map(|(set, _)| CASES.into_iter().map(move |case| (set, case)))
}

/// The text with every `t_ns=N` replaced by `t_ns=0`.
fn normalise_t_ns(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find("t_ns=") {
        out.push_str(&rest[..at + 5]);
        rest = &rest[at + 5..];
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        if digits > 0 {
            out.push('0');
        }
        rest = &rest[digits..];
    }
    out.push_str(rest);
    out
}

fn dump(case: &str, file: &str) -> StateDump {
    parse_dump(&read(case, file)).unwrap_or_else(|e| panic!("{case}/{file}: {e}"))
}

#[test]
fn every_dump_writes_back_byte_for_byte() {
    for (set, kernel) in SETS {
        let mut seen = 0;
        for case in CASES {
            let files = dump_files_in(set, case);
            let stems: BTreeSet<&str> = files.iter().map(|(s, _)| s.as_str()).collect();
            assert!(
                stems.contains("before") && stems.contains("after"),
                "{set}/{case}: {stems:?}"
            );
            for (stem, text) in &files {
                let parsed =
                    parse_dump(text).unwrap_or_else(|e| panic!("{set}/{case}/{stem}.txt: {e}"));
                assert_eq!(&parsed.label, stem, "{set}/{case}/{stem}.txt label");
                assert_eq!(parsed.run, 1);
                assert_eq!(parsed.kernel, kernel, "{set}/{case}/{stem}.txt version");
                let written = write_dump(&parsed);
                assert_eq!(written, normalise_t_ns(text), "{set}/{case}/{stem}.txt");
                assert_eq!(parse_dump(&written).as_ref(), Ok(&parsed));
                seen += 1;
            }
        }
        assert_eq!(
            seen, 13,
            "{set}: 5 before + 5 after + pcp-high-drain d1 + split-merge d1, d2"
        );
    }
}

/// Every dump of both kernels loads as an allocator of its kernel and prints back
/// as the kernel printed it: the fields the model keeps hold everything, and the
/// ones it recomputes (6.12's `promo`, `/X` from the pageblocks) come out the same.
#[test]
fn every_dump_loads_and_dumps_back_unchanged() {
    for (set, kernel) in SETS {
        for case in CASES {
            for (stem, text) in dump_files_in(set, case) {
                let name = format!("{set}/{case}/{stem}.txt");
                let parsed = parse_dump(&text).unwrap();
                let allocator =
                    Allocator::from_dump(&parsed, 15_000).unwrap_or_else(|e| panic!("{name}: {e}"));
                assert_eq!(allocator.kernel(), kernel, "{name}");
                allocator
                    .check_invariants()
                    .unwrap_or_else(|e| panic!("{name}: {e}"));
                let again = allocator.to_dump(&stem, 1);
                assert_eq!(again, parsed, "{name}");
                assert_eq!(write_dump(&again), normalise_t_ns(&text), "{name}");
            }
        }
    }
}

#[test]
fn dump_fields_hold_what_the_text_says() {
    let d = dump("split-merge", "before.txt");
    assert_eq!(d.nodes.len(), 1);
    let node = &d.nodes[0];
    assert_eq!(
        (node.nid, node.start_pfn, node.spanned, node.present),
        (0, 1, 65503, 65406)
    );
    assert_eq!(
        (
            node.kswapd_order,
            node.kswapd_highest_zoneidx,
            node.kswapd_failures
        ),
        (0, 5, 0)
    );
    assert_eq!(node.cpus, vec![0]);
    let zl = vec![(0, ZoneType::Dma32), (0, ZoneType::Dma)];
    assert_eq!((&node.fallback, &node.nofallback), (&zl, &zl));

    assert_eq!(d.zones.len(), 2);
    let dma = &d.zones[0];
    assert_eq!(
        (dma.zone, dma.zid, dma.start_pfn, dma.end_pfn),
        (ZoneType::Dma, 0, 1, 4096)
    );
    assert_eq!((dma.min, dma.low, dma.high, dma.boost), (34, 42, 50, 0));
    assert_eq!(dma.lowmem_reserve, [0, 190, 190, 190, 190]);
    assert_eq!(dma.nr_free, [0, 0, 0, 0, 0, 1, 1, 1, 0, 1, 3]);
    assert_eq!(
        dma.free[10][MigrateType::Movable.index()],
        vec![1024, 2048, 3072]
    );
    assert_eq!(dma.free[5][MigrateType::Unmovable.index()], vec![288]);
    assert_eq!(dma.pageblocks_first_pfn, 0);
    let mut blocks = vec![Some(MigrateType::Unmovable)];
    blocks.extend([Some(MigrateType::Movable); 7]);
    assert_eq!(dma.pageblocks, blocks);

    let dma32 = &d.zones[1];
    assert_eq!(dma32.zone, ZoneType::Dma32);
    assert_eq!(
        (dma32.nr_free_pages_global, dma32.nr_free_pages_snapshot),
        (33473, 33473)
    );
    assert_eq!(
        dma32.cpu_stats,
        vec![CpuStat {
            cpu: 0,
            diff: 0,
            threshold: 4
        }]
    );
    assert_eq!(dma32.free.len(), 11);
    assert!(dma32.free.iter().all(|lists| lists.len() == 5));
    assert_eq!(
        dma32.free[0][MigrateType::Movable.index()],
        vec![16899, 65215, 17789]
    );
    assert_eq!(dma32.buddy_pages, 33473);
    assert_eq!(dma32.pcps.len(), 1);
    let pcp = &dma32.pcps[0];
    assert_eq!(
        (pcp.cpu, pcp.current, pcp.count, pcp.high, pcp.batch),
        (0, true, 390, 516, 15)
    );
    assert_eq!(pcp.lists.len(), 14);
    assert_eq!(pcp.lists[1].len(), 355);
    assert_eq!(
        pcp.lists[1][0],
        PcpPage {
            pfn: 10694,
            cached: None
        }
    );
    // `count` counts pages: each entry of list PINDEX is 2^order pages.
    let pages: u64 = pcp
        .lists
        .iter()
        .enumerate()
        .map(|(pindex, list)| (list.len() as u64) << pcp_list_kind(pindex).unwrap().0)
        .sum();
    assert_eq!(pages, pcp.count);
    assert_eq!(pcp.lists.iter().map(Vec::len).sum::<usize>(), 375);
    // M28 U2 R2 U6 R4 U16 M62
    assert_eq!(dma32.pageblocks.len(), 120);
    assert_eq!(dma32.pageblocks[27], Some(MigrateType::Movable));
    assert_eq!(dma32.pageblocks[28], Some(MigrateType::Unmovable));
    assert_eq!(dma32.pageblocks[30], Some(MigrateType::Reclaimable));
    assert_eq!(dma32.pageblocks[119], Some(MigrateType::Movable));
    assert!(d.extra.is_empty());
}

#[test]
fn pcp_cached_types_and_kswapd_wakeups_are_kept() {
    let d = dump("high-order", "after.txt");
    let node = &d.nodes[0];
    assert_eq!((node.kswapd_order, node.kswapd_highest_zoneidx), (10, 3));
    let dma32 = d.zones.iter().find(|z| z.zone == ZoneType::Dma32).unwrap();
    assert_eq!(
        dma32.pcps[0].lists[12],
        vec![PcpPage {
            pfn: 43008,
            cached: Some(MigrateType::Unmovable)
        }]
    );
    let written = write_dump(&d);
    assert!(written.contains("\npcplist 0 DMA32 0 12 9 N 1 : 43008/U\n"));
}

#[test]
fn pageblock_runs_without_memmap_and_extra_lines_round_trip() {
    let text = read("split-merge", "before.txt");
    let text = text
        .replace(
            "pageblocks 0 DMA first_pfn=0 nr=8 : U1 M7",
            "pageblocks 0 DMA first_pfn=0 nr=8 : U1 -2 M5",
        )
        .replace(
            "free 0 DMA 10 I 0 :\n",
            "free 0 DMA 10 I 0 :\nwarn free-count-mismatch 0 DMA\nnote something else\n",
        )
        .replace(
            "nr_free_pages 0 DMA32 global=33473 snapshot=33473 cpu0_diff=0 cpu0_threshold=4",
            "nr_free_pages 0 DMA32 global=33473 snapshot=33470 cpu0_diff=-3 cpu0_threshold=4 \
             cpu1_diff=0 cpu1_threshold=4",
        )
        .replace("cpus=0", "cpus=0-2,5")
        .replace("dump end before", "note last\ndump end before");
    let d = parse_dump(&text).unwrap();
    assert_eq!(d.zones[0].pageblocks[1], None);
    assert_eq!(d.zones[0].pageblocks[3], Some(MigrateType::Movable));
    assert_eq!(d.nodes[0].cpus, vec![0, 1, 2, 5]);
    assert_eq!(d.zones[1].cpu_stats.len(), 2);
    assert_eq!(d.zones[1].cpu_stats[0].diff, -3);
    assert_eq!(d.extra.len(), 3);
    assert_eq!(d.extra[0].line, "warn free-count-mismatch 0 DMA");
    assert_eq!(d.extra[1].after, d.extra[0].after);
    assert_eq!(write_dump(&d), normalise_t_ns(&text));
}

#[test]
fn version_2_dump_fields_hold_what_the_text_says() {
    let d = parse_dump(&read_in(V2, "split-merge", "before.txt")).unwrap();
    assert_eq!(d.kernel, Kernel::V6_12);
    let dma = &d.zones[0];
    assert_eq!((dma.min, dma.low, dma.high, dma.flags), (33, 41, 49, 0));
    assert_eq!(
        (dma.pageset_high, dma.pageset_high_max, dma.pageset_batch),
        (41, 480, 1)
    );
    assert_eq!(
        (dma.nr_free_highatomic, dma.promo, dma.unaccepted),
        (0, 57, 0)
    );
    assert_eq!(
        (dma.pcps[0].count, dma.pcps[0].high, dma.pcps[0].free_factor),
        (0, 0, 0)
    );
    let dma32 = &d.zones[1];
    assert_eq!(
        (dma32.pageset_high, dma32.pageset_high_max, dma32.promo),
        (528, 6074, 738)
    );
    let pcp = &dma32.pcps[0];
    assert_eq!(
        (
            pcp.cpu,
            pcp.current,
            pcp.count,
            pcp.high,
            pcp.batch,
            pcp.expire
        ),
        (0, true, 1327, 6074, 15, 0)
    );
    assert_eq!(
        pcp.tuning,
        Some(PcpTuning {
            high_min: 528,
            high_max: 6074,
            flags: 0x2,
            alloc_factor: 5,
            free_count: 0
        })
    );
    // After the run: ZONE_BELOW_HIGH on DMA, `high` tuned down, free_count counted.
    let after = parse_dump(&read_in(V2, "high-order", "after.txt")).unwrap();
    assert_eq!(after.zones[0].flags, 0x4);
    let pcp = &after.zones[1].pcps[0];
    let tuning = pcp.tuning.unwrap();
    assert_eq!((pcp.count, pcp.high), (5426, 5560));
    assert_eq!((tuning.alloc_factor, tuning.free_count), (0, 514));
    // List 12 shows each page's pageblock type.
    assert_eq!(
        pcp.lists[12].first(),
        Some(&PcpPage {
            pfn: 30208,
            cached: Some(MigrateType::Unmovable)
        })
    );
    // Version 1 has none of these.
    let v1 = dump("split-merge", "before.txt");
    assert_eq!(v1.kernel, Kernel::V6_1);
    assert!(v1
        .zones
        .iter()
        .all(|z| z.pageset_high_max == 0 && z.promo == 0));
    assert!(v1
        .zones
        .iter()
        .flat_map(|z| &z.pcps)
        .all(|p| p.tuning.is_none()));
}

/// 6.12's `/X` is the pageblock's type: a page on the M list of a pageblock that is
/// now RECLAIMABLE shows `/R`, loads, and prints back as the pageblocks say; a `/X`
/// that contradicts the pageblocks line is refused with both values.
#[test]
fn version_2_pcp_suffix_is_the_pageblock_type() {
    let text = read_in(V2, "high-order", "after.txt");
    let blocks = "pageblocks 0 DMA32 first_pfn=4096 nr=120 : M24 U2 R2 U24 M18 U2 M48";
    let list13 = "pcplist 0 DMA32 0 13 9 M 5 : 32768 32256";
    assert!(text.contains(blocks) && text.contains(list13));
    // pfn 32768 is pageblock (32768 - 4096) / 512 = 56, the fifth of the M18 run.
    let retyped = text.replace(
        blocks,
        "pageblocks 0 DMA32 first_pfn=4096 nr=120 : M24 U2 R2 U24 M4 R1 M13 U2 M48",
    );
    let shown = retyped.replace(list13, "pcplist 0 DMA32 0 13 9 M 5 : 32768/R 32256");
    let d = parse_dump(&shown).unwrap();
    let allocator = Allocator::from_dump(&d, 15_000).unwrap();
    assert_eq!(
        write_dump(&allocator.to_dump("after", 1)),
        normalise_t_ns(&shown)
    );

    let err = Allocator::from_dump(&parse_dump(&retyped).unwrap(), 15_000).unwrap_err();
    assert!(
        err.contains("pcp page 32768 on list 13 shows no `/X`")
            && err.contains("pageblock is R")
            && err.contains("`/R`"),
        "{err}"
    );
    let err = Allocator::from_dump(
        &parse_dump(&text.replace(list13, "pcplist 0 DMA32 0 13 9 M 5 : 32768/U 32256")).unwrap(),
        15_000,
    )
    .unwrap_err();
    assert!(
        err.contains("shows `/U`") && err.contains("pageblock is M"),
        "{err}"
    );
}

/// What version 2 prints and the model does not keep is checked against what it
/// keeps: `promo` must be the WMARK_PROMO the watermarks give, `unaccepted` 0; a
/// zone flag the kernel lacks is refused.
#[test]
fn version_2_values_the_model_recomputes_must_agree() {
    let text = read_in(V2, "split-merge", "before.txt");
    let load = |t: &str| Allocator::from_dump(&parse_dump(t).unwrap(), 15_000);
    let err = load(&text.replace(" promo=738 ", " promo=739 ")).unwrap_err();
    assert!(
        err.contains("zone 0 DMA32") && err.contains("promo=739") && err.contains("738"),
        "{err}"
    );
    // Watermarks at the top of the range: the sum saturates rather than overflows.
    let huge = text.replacen(" high=49 ", &format!(" high={} ", u64::MAX), 1);
    let err = load(&huge).unwrap_err();
    assert!(
        err.contains("promo=57") && err.contains(&u64::MAX.to_string()),
        "{err}"
    );
    let err = load(&text.replace(" promo=57 unaccepted=0", " promo=57 unaccepted=2")).unwrap_err();
    assert!(err.contains("zone 0 DMA: unaccepted=2"), "{err}");
    let err = load(&text.replacen(" flags=0x0 ", " flags=0x8 ", 1)).unwrap_err();
    assert!(err.contains("flags=0x8") && err.contains("6.12"), "{err}");
    // ZONE_BELOW_HIGH is 6.12's: a 6.1 dump with it is refused.
    let v1 = read("split-merge", "before.txt");
    let err = load(&v1.replacen(" flags=0x0 ", " flags=0x4 ", 1)).unwrap_err();
    assert!(
        err.contains("flags=0x4") && err.contains("Linux 6.1"),
        "{err}"
    );
    assert!(load(&text.replacen(" flags=0x0 ", " flags=0x4 ", 1)).is_ok());
}

/// The two checks version 2 added print where FORMAT.md puts them (after the 55
/// `free` lines, after `buddy_pages`), are kept verbatim in place, and a 6.12
/// allocator whose state breaks them prints them as the module would: here a free
/// order-10 M block half in a pageblock retyped U, four M blocks in one retyped R,
/// and `nr_free_highatomic` 8 with no HIGHATOMIC free page.
#[test]
fn version_2_check_lines_round_trip() {
    let good = read_in(V2, "split-merge", "before.txt");
    let dma_note = "note freelist-vs-pageblock 0 DMA order=10 mt=M pfn=1024 pageblock_pfn=1024 \
                    pageblock_mt=U";
    // Pageblock 15360 holds free M blocks of orders 1, 2, 5 and 6 (and no pcp page).
    let dma32_notes = [(1, 15770), (2, 15772), (5, 15776), (6, 15808)].map(|(order, pfn)| {
        format!(
            "note freelist-vs-pageblock 0 DMA32 order={order} mt=M pfn={pfn} \
             pageblock_pfn=15360 pageblock_mt=R"
        )
    });
    let warn = "warn nr_free_highatomic-mismatch 0 DMA32 lists=0 nr_free_highatomic=8";
    let insert_after = |text: &str, line_start: &str, new: &str| {
        let mut lines: Vec<&str> = text.lines().collect();
        let at = lines
            .iter()
            .position(|l| l.starts_with(line_start))
            .unwrap();
        lines.insert(at + 1, new);
        lines.join("\n") + "\n"
    };
    let text = good
        .replace(
            "pageblocks 0 DMA first_pfn=0 nr=8 : U1 M7",
            "pageblocks 0 DMA first_pfn=0 nr=8 : U1 M1 U1 M5",
        )
        .replace(
            "pageblocks 0 DMA32 first_pfn=4096 nr=120 : M24 U2",
            "pageblocks 0 DMA32 first_pfn=4096 nr=120 : M22 R1 M1 U2",
        )
        .replacen("nr_free_highatomic=0", "nr_free_highatomic=8", 2)
        .replacen("nr_free_highatomic=8", "nr_free_highatomic=0", 1);
    let text = insert_after(&text, "free 0 DMA 10 I ", dma_note);
    let text = insert_after(&text, "free 0 DMA32 10 I ", &dma32_notes.join("\n"));
    let text = insert_after(&text, "buddy_pages 0 DMA32 ", warn);
    let d = parse_dump(&text).unwrap();
    let extra: Vec<&str> = d.extra.iter().map(|e| e.line.as_str()).collect();
    let mut expected = vec![dma_note];
    expected.extend(dma32_notes.iter().map(String::as_str));
    expected.push(warn);
    assert_eq!(extra, expected);
    assert_eq!(write_dump(&d), normalise_t_ns(&text));
    assert_eq!(
        line_of(&text, "warn nr_free"),
        line_of(&text, "buddy_pages 0 DMA32") + 1
    );
    // The model prints the same lines for the state it loaded.
    let allocator = Allocator::from_dump(&d, 15_000).unwrap();
    assert_eq!(
        write_dump(&allocator.to_dump("before", 1)),
        normalise_t_ns(&text)
    );
    // A 6.1 dump has no such checks.
    let v1 = read("split-merge", "before.txt").replace(
        "pageblocks 0 DMA first_pfn=0 nr=8 : U1 M7",
        "pageblocks 0 DMA first_pfn=0 nr=8 : U1 M1 U1 M5",
    );
    let allocator = Allocator::from_dump(&parse_dump(&v1).unwrap(), 15_000).unwrap();
    assert!(allocator.to_dump("before", 1).extra.is_empty());
}

#[test]
fn bad_version_2_dumps_are_errors_naming_the_field() {
    let good = read_in(V2, "split-merge", "before.txt");
    let pcp = "pcp 0 DMA32 cpu=0 current=1 count=1327 high=6074 high_min=528 high_max=6074 \
               batch=15 flags=0x2 alloc_factor=5 free_count=0 expire=0";
    let zone_tail = "pageset_high_min=528 pageset_high_max=6074 pageset_batch=15 \
                     nr_free_highatomic=0 promo=738 unaccepted=0";
    assert!(good.contains(pcp) && good.contains(zone_tail));
    for (from, to, line, field) in [
        (
            pcp,
            pcp.replace("alloc_factor=5", "alloc_factor=x"),
            "pcp 0 DMA32",
            "alloc_factor=",
        ),
        (
            pcp,
            pcp.replace(" free_count=0", ""),
            "pcp 0 DMA32",
            "free_count=",
        ),
        (
            pcp,
            pcp.replace("flags=0x2", "flags=0x100"),
            "pcp 0 DMA32",
            "flags=",
        ),
        (
            pcp,
            pcp.replace("flags=0x2", "flags=2"),
            "pcp 0 DMA32",
            "flags=",
        ),
        // A version-1 pcp line in a version-2 dump.
        (
            pcp,
            "pcp 0 DMA32 cpu=0 current=1 count=1327 high=6074 batch=15 free_factor=0 expire=0"
                .to_string(),
            "pcp 0 DMA32",
            "high_min=",
        ),
        (
            zone_tail,
            zone_tail.replace("pageset_high_max=6074", "pageset_high_max=-1"),
            "zone 0 DMA32",
            "pageset_high_max=",
        ),
        (
            zone_tail,
            zone_tail.replace(" nr_free_highatomic=0", ""),
            "zone 0 DMA32",
            "nr_free_highatomic=",
        ),
        (
            zone_tail,
            zone_tail.replace("promo=738", "promo=0x2e2"),
            "zone 0 DMA32",
            "promo=",
        ),
        (
            zone_tail,
            zone_tail.replace(" unaccepted=0", ""),
            "zone 0 DMA32",
            "unaccepted=",
        ),
        (
            zone_tail,
            zone_tail.replace(" unaccepted=0", " unaccepted=0 extra=1"),
            "zone 0 DMA32",
            "extra=1",
        ),
        (
            zone_tail,
            zone_tail.replace("pageset_high_min=", "pageset_hi="),
            "zone 0 DMA32",
            "pageset_high_min=",
        ),
    ] {
        let err = dump_error(&good.replace(from, &to));
        assert_eq!(err.line, line_of(&good, line), "{to}: {err}");
        assert!(err.message.contains(field), "{to}: {err}");
    }
    // One dump, one version: a version-1 zone line after a version-2 one.
    let mixed = good.replace(zone_tail, "pageset_high=528 pageset_batch=15");
    let err = dump_error(&mixed);
    assert_eq!(err.line, line_of(&good, "zone 0 DMA32"), "{err}");
    assert!(
        err.message.contains("version 1 (Linux 6.1)")
            && err.message.contains("version 2 (Linux 6.12)"),
        "{err}"
    );
}

#[test]
fn version_2_headers_and_bad_versions() {
    for case in CASES {
        let h = parse_header(&read_in(V2, case, "header.txt")).unwrap();
        assert_eq!(h.kernel, Kernel::V6_12, "{case}");
        assert_eq!(
            (h.gfp_u, h.gfp_m, h.gfp_r, h.gfp_h, h.gfp_thisnode),
            (0x2800, 0x280a, 0x2810, 0x2820, 0x200000),
            "{case}"
        );
        assert!(h
            .constants
            .starts_with("pa_oracle version=2 kernel=6.12.95+deb12-amd64 "));
        assert_eq!(h.constant("max_page_order"), Some("10"));
        assert_eq!(h.constant("nr_page_orders"), Some("11"));
        assert_eq!(h.constant("max_order"), None);
        assert_eq!(h.constant("pcp_batch_scale_max"), Some("5"));
    }
    // The replay's own masks are each kernel's.
    for (set, kernel) in SETS {
        let h = parse_header(&read_in(set, "split-merge", "header.txt")).unwrap();
        let m = module_header(kernel);
        assert_eq!(
            (m.gfp_u, m.gfp_m, m.gfp_r, m.gfp_h, m.gfp_thisnode, m.kernel),
            (h.gfp_u, h.gfp_m, h.gfp_r, h.gfp_h, h.gfp_thisnode, h.kernel),
            "{set}"
        );
    }
    let v2 = read_in(V2, "split-merge", "header.txt");
    let v1 = read("split-merge", "header.txt");
    for (text, needle) in [
        (v2.replace("version=2", "version=3"), "`version=3`"),
        (v2.replace("version=2", "version=two"), "`version=two`"),
        (v1.replace("version=1", "version=0"), "`version=0`"),
        (
            v2.replace("pa_oracle version=2 ", "pa_oracle "),
            "`version=`",
        ),
        (
            v2.replace("max_page_order=10", "max_page_order=11"),
            "max_page_order=11",
        ),
        (
            v2.replace(" nr_page_orders=11", ""),
            "`nr_page_orders=` is missing",
        ),
        (
            v2.replace("max_page_order=10", "max_order=11"),
            "`max_page_order=` is missing",
        ),
        (v1.replace("max_order=11", "max_order=10"), "max_order=10"),
        (
            v1.replace("version=1", "version=2"),
            "`max_page_order=` is missing",
        ),
        (
            v2.replace("nr_page_orders=11", "nr_page_orders=11 max_order=11"),
            "`max_order=`, which is a constant of the other",
        ),
    ] {
        let err = parse_header(&text).unwrap_err();
        assert_eq!(err.line, 1, "{err}");
        assert!(err.message.contains(needle), "{needle}: {err}");
    }
    // A version-2 header with a version-1 dump (and the other way round) does not
    // replay: the two files contradict each other.
    let workload = read_in(V2, "split-merge", "workload.txt");
    let err = replay(&read("split-merge", "before.txt"), &v2, &workload, None).unwrap_err();
    assert!(
        err.contains(
            "header.txt is format version 2 (Linux 6.12) but before.txt is version 1 (Linux 6.1)"
        ),
        "{err}"
    );
    assert!(replay(
        &read_in(V2, "split-merge", "before.txt"),
        &v1,
        &workload,
        None
    )
    .is_err());
}

#[test]
fn every_allocs_and_events_file_writes_back_byte_for_byte() {
    for (set, case) in all_cases() {
        let read = |_: &str, file: &str| read_in(set, case, file);
        let name = format!("{set}/{case}");
        let case = name.as_str();
        let text = read(case, "allocs.txt");
        let records = parse_allocs(&text).unwrap_or_else(|e| panic!("{case}/allocs.txt: {e}"));
        assert_eq!(write_allocs(&records), text, "{case}/allocs.txt");
        let text = read(case, "events.txt");
        let records = parse_events(&text).unwrap_or_else(|e| panic!("{case}/events.txt: {e}"));
        assert_eq!(write_events(&records), text, "{case}/events.txt");
    }
}

#[test]
fn allocs_records_hold_null_results_and_zones() {
    let records = parse_allocs(&read("high-order", "allocs.txt")).unwrap();
    assert!(records.contains(&AllocRecord::Alloc {
        idx: 50,
        op: 9,
        order: 10,
        mt: 'M',
        nid: 0,
        result: None
    }));
    assert!(records.contains(&AllocRecord::Alloc {
        idx: 47,
        op: 9,
        order: 10,
        mt: 'M',
        nid: 0,
        result: Some((1024, 0, ZoneType::Dma))
    }));
    assert!(records.contains(&AllocRecord::Free {
        idx: 18,
        op: 8,
        pfn: 25088,
        order: 9
    }));
    let nulls = records
        .iter()
        .filter(|r| matches!(r, AllocRecord::Alloc { result: None, .. }))
        .count();
    assert_eq!(nulls, 9, "summary null=9");

    let text = "o 0 F 3 7\nf 3 0 skip freed\nf 7 0 skip none\nf 9 0 skip null\n\
                a 4 1 0 H -1 NULL\n";
    let records = parse_allocs(text).unwrap();
    assert_eq!(
        records[1],
        AllocRecord::Skip {
            idx: 3,
            op: 0,
            why: "freed".into()
        }
    );
    assert_eq!(write_allocs(&records), text);
}

#[test]
fn events_hold_steals_and_drains() {
    let records = parse_events(&read("fallback-steal", "events.txt")).unwrap();
    assert!(records.contains(&EventRecord::Event(KernelEvent::Steal {
        pfn: 33792,
        alloc_order: 0,
        fallback_order: 10,
        alloc_mt: MigrateType::Unmovable,
        fallback_mt: MigrateType::Movable,
        owner_changed: true
    })));
    let records = parse_events(&read("split-merge", "events.txt")).unwrap();
    assert_eq!(
        records[1],
        EventRecord::Event(KernelEvent::Buddy {
            pfn: 8064,
            order: 4,
            mt: MigrateType::Movable,
            pcp: false
        })
    );
    assert_eq!(
        records[2],
        EventRecord::Event(KernelEvent::Alloc {
            pfn: 8064,
            order: 4,
            mt: MigrateType::Movable,
            gfp: 0x280a
        })
    );
}

#[test]
fn workloads_parse_and_print_as_the_module_prints_them() {
    for (set, case) in all_cases() {
        let read = |_: &str, file: &str| read_in(set, case, file);
        let name = format!("{set}/{case}");
        let case = name.as_str();
        let ops = parse_workload(&read(case, "workload.txt"))
            .unwrap_or_else(|e| panic!("{case}/workload.txt: {e}"));
        let header = parse_header(&read(case, "header.txt")).unwrap();
        let canonical: Vec<String> = ops.iter().map(canonical_op).collect();
        assert_eq!(canonical, header.ops, "{case}: header op lines");
        let o_lines: Vec<String> = parse_allocs(&read(case, "allocs.txt"))
            .unwrap()
            .into_iter()
            .filter_map(|r| match r {
                AllocRecord::Op { index, text } => Some(format!("{index} {text}")),
                _ => None,
            })
            .collect();
        let expected: Vec<String> = canonical
            .iter()
            .enumerate()
            .map(|(i, t)| format!("{i} {t}"))
            .collect();
        assert_eq!(o_lines, expected, "{case}: o lines");
        let nallocs: u64 = ops
            .iter()
            .map(|op| match op {
                Op::Alloc { count, .. } => *count,
                _ => 0,
            })
            .sum();
        assert_eq!(header.nallocs, Some(nallocs), "{case}: workload nallocs=");
    }
}

#[test]
fn workload_syntax() {
    let ops =
        parse_workload("A 4 Mt 40 -1; F 0-39/2 7 9-3 rall all\n\n  D  d1 ;;\nA 0 H 1").unwrap();
    assert_eq!(
        ops,
        vec![
            Op::Alloc {
                order: 4,
                mt: 'M',
                thisnode: true,
                count: 40,
                node: -1
            },
            Op::Free(vec![
                FreeSpec::Range {
                    from: 0,
                    to: 39,
                    step: 2
                },
                FreeSpec::Index(7),
                FreeSpec::Range {
                    from: 9,
                    to: 3,
                    step: 1
                },
                FreeSpec::ReverseAll,
                FreeSpec::All,
            ]),
            Op::Dump("d1".into()),
            Op::Alloc {
                order: 0,
                mt: 'H',
                thisnode: false,
                count: 1,
                node: 0
            },
        ]
    );
    let printed: Vec<String> = ops.iter().map(canonical_op).collect();
    assert_eq!(
        printed,
        [
            "A 4 Mt 40 -1",
            "F 0-39/2 7 9-3 rall all",
            "D d1",
            "A 0 H 1 0"
        ]
    );
    for (bad, line) in [
        ("A 0 X 1", 1),
        ("D d1\nA 0 M", 2),
        ("A 0 M 1 -2", 1),
        ("F", 1),
        ("F 1-5/0", 1),
        ("F 3/2", 1),
        ("F 0-99999999999", 1),
        ("F 0-18446744073709551615", 1),
        ("F 18446744073709551615-0/1", 1),
        ("F 0-18446744073709551616", 1),
        ("F 1 2\nF 0-16777215 1", 2),
        ("D", 1),
        ("D a b", 1),
        ("\n\nQ 1", 3),
        ("A 0 Mx 1", 1),
    ] {
        let err = parse_workload(bad).expect_err(bad);
        assert_eq!(err.line, line, "{bad}: {err}");
    }
}

#[test]
fn free_specs_expand_in_the_module_order() {
    let range = |from, to, step| FreeSpec::Range { from, to, step };
    assert_eq!(free_indexes(&[range(0, 9, 3)], 100), vec![0, 3, 6, 9]);
    assert_eq!(free_indexes(&[range(0, 10, 3)], 100), vec![0, 3, 6, 9]);
    assert_eq!(free_indexes(&[range(5, 2, 1)], 100), vec![5, 4, 3, 2]);
    assert_eq!(free_indexes(&[range(9, 0, 4)], 100), vec![9, 5, 1]);
    assert_eq!(free_indexes(&[range(4, 4, 2)], 100), vec![4]);
    assert_eq!(free_indexes(&[FreeSpec::All], 3), vec![0, 1, 2]);
    assert_eq!(free_indexes(&[FreeSpec::ReverseAll], 3), vec![2, 1, 0]);
    assert_eq!(
        free_indexes(&[FreeSpec::Index(7), FreeSpec::All], 2),
        vec![7, 0, 1]
    );
    assert_eq!(
        free_targets(&[FreeSpec::Index(7), FreeSpec::ReverseAll], 1),
        vec![
            FreeTarget {
                idx: 7,
                explicit: true
            },
            FreeTarget {
                idx: 0,
                explicit: false
            }
        ]
    );
    // A huge range stops at the bound instead of exhausting memory.
    assert_eq!(free_indexes(&[range(0, u64::MAX, 1)], 0).len(), 1 << 24);
    assert_eq!(
        free_indexes(&[range(u64::MAX, 0, u64::MAX)], 0),
        vec![u64::MAX, 0]
    );
    assert_eq!(
        free_indexes(&[range(0, u64::MAX, u64::MAX)], 0),
        vec![0, u64::MAX]
    );
    assert_eq!(
        free_indexes(&[range(3, 1, 0)], 0),
        vec![3, 2, 1],
        "step 0 acts as 1"
    );
    assert_eq!(
        parse_workload("F 0-16777215").unwrap(),
        vec![Op::Free(vec![range(0, 16777215, 1)])],
        "exactly the bound is allowed"
    );
}

/// Replays the `f` records of every case from the workload: explicit SPECs record
/// every index (a pfn or a skip); `all`/`rall` only the live ones.
#[test]
fn free_targets_reproduce_the_f_records() {
    for (set, case) in all_cases() {
        let read = |_: &str, file: &str| read_in(set, case, file);
        let name = format!("{set}/{case}");
        let case = name.as_str();
        let ops = parse_workload(&read(case, "workload.txt")).unwrap();
        let records = parse_allocs(&read(case, "allocs.txt")).unwrap();
        let mut live: Vec<bool> = Vec::new();
        let mut op_index = None;
        let mut f_of_op: Vec<Vec<u64>> = vec![Vec::new(); ops.len()];
        let mut replayed: Vec<Vec<u64>> = vec![Vec::new(); ops.len()];
        for record in &records {
            match record {
                AllocRecord::Op { index, .. } => {
                    op_index = Some(*index);
                    if let Some(Op::Free(specs)) = ops.get(*index) {
                        for t in free_targets(specs, live.len() as u64) {
                            let alive = live.get(t.idx as usize).copied().unwrap_or(false);
                            if t.explicit || alive {
                                replayed[*index].push(t.idx);
                            }
                        }
                    }
                }
                AllocRecord::Alloc {
                    idx, result, op, ..
                } => {
                    assert_eq!(Some(*op), op_index);
                    assert_eq!(*idx, live.len() as u64, "{case}: indexes count up");
                    live.push(result.is_some());
                }
                AllocRecord::Free { idx, op, .. } | AllocRecord::Skip { idx, op, .. } => {
                    assert_eq!(Some(*op), op_index);
                    f_of_op[*op].push(*idx);
                    if let Some(slot) = live.get_mut(*idx as usize) {
                        *slot = false;
                    }
                }
            }
        }
        let mut frees = 0;
        for (i, op) in ops.iter().enumerate() {
            if matches!(op, Op::Free(_)) {
                assert_eq!(
                    f_of_op[i],
                    replayed[i],
                    "{case}: op {i} `{}`",
                    canonical_op(op)
                );
                frees += 1;
            } else {
                assert!(f_of_op[i].is_empty());
            }
        }
        assert!(frees > 0, "{case}");
    }
}

#[test]
fn header_gfp_masks_and_constants() {
    for case in CASES {
        let h = parse_header(&read(case, "header.txt")).unwrap();
        assert_eq!(
            (h.gfp_u, h.gfp_m, h.gfp_r, h.gfp_h, h.gfp_thisnode),
            (0x2800, 0x280a, 0x2810, 0x2a20, 0x200000),
            "{case}"
        );
        assert!(h
            .constants
            .starts_with("pa_oracle version=1 kernel=6.1.0-56-amd64 "));
        assert_eq!(h.constant("max_order"), Some("11"));
        assert_eq!(h.constant("nr_pcp_lists"), Some("14"));
        assert_eq!(h.constant("hz"), Some("250"));
        assert_eq!(h.gfp('M', true), Some(0x20280a));
        assert_eq!(h.gfp('N', false), None);
        assert!(h.errors.is_empty());
    }
}

#[test]
fn letters_and_pcp_lists() {
    for mt in MigrateType::ALL {
        assert_eq!(mt_from_letter(mt_letter(mt)), Some(mt));
    }
    assert_eq!(MigrateType::ALL.map(mt_letter), ['U', 'M', 'R', 'H', 'I']);
    assert_eq!(mt_from_letter('N'), None);
    assert_eq!(mt_from_letter('?'), None);
    assert_eq!(pcp_list_kind(0), Some((0, 'U')));
    assert_eq!(pcp_list_kind(7), Some((2, 'M')));
    assert_eq!(pcp_list_kind(11), Some((3, 'R')));
    assert_eq!(pcp_list_kind(12), Some((9, 'N')));
    assert_eq!(pcp_list_kind(13), Some((9, 'M')));
    assert_eq!(pcp_list_kind(14), None);
}

// ---------------------------------------------------------------------------------
// Bad input

fn line_of(text: &str, needle: &str) -> usize {
    text.lines()
        .position(|l| l.starts_with(needle))
        .unwrap_or_else(|| panic!("no line starting `{needle}`"))
        + 1
}

fn dump_error(text: &str) -> FormatError {
    parse_dump(text).expect_err("must not parse")
}

#[test]
fn bad_dumps_are_errors_naming_the_line() {
    let good = read("split-merge", "before.txt");
    let nlines = good.lines().count();

    // A garbled field.
    let bad = good.replace(" min=413 ", " min=4x13 ");
    let err = dump_error(&bad);
    assert_eq!(err.line, line_of(&good, "zone 0 DMA32"), "{err}");
    assert!(err.to_string().starts_with(&format!("line {}: ", err.line)));
    assert!(err.message.contains("min="), "{err}");

    // Garbled separators and numbers.
    for (from, to, needle) in [
        (
            "free 0 DMA32 0 M 3 : 16899",
            "free 0 DMA32 0 M 3 :  16899",
            "free 0 DMA32 0 M",
        ),
        (
            "free 0 DMA32 0 M 3 : 16899",
            "free 0 DMA32 0 M 3 : 016899",
            "free 0 DMA32 0 M",
        ),
        (
            "free 0 DMA32 0 M 3 : 16899",
            "free 0 DMA32 0 M 3 : +16899",
            "free 0 DMA32 0 M",
        ),
        (
            "free 0 DMA32 0 M 3 :",
            "free 0 DMA32 0 M 4 :",
            "free 0 DMA32 0 M",
        ),
        (
            "free 0 DMA 0 U 0 :",
            "free 0 DMA 0 U 0 : ",
            "free 0 DMA 0 U",
        ),
        ("flags=0x0", "flags=0X0", "zone 0 DMA "),
        ("flags=0x0", "flags=0x00", "zone 0 DMA "),
        (
            "pcplist 0 DMA32 0 5 1 R 1 : 24714",
            "pcplist 0 DMA32 0 5 1 R 1 : 24714/N",
            "pcplist 0 DMA32 0 5",
        ),
        (
            "pcplist 0 DMA32 0 5 1 R 1",
            "pcplist 0 DMA32 0 5 1 U 1",
            "pcplist 0 DMA32 0 5",
        ),
        (
            "pcplist 0 DMA32 0 5 1 R 1",
            "pcplist 0 DMA32 0 5 2 R 1",
            "pcplist 0 DMA32 0 5",
        ),
        (
            "current=1 count=0 high=42",
            "current=2 count=0 high=42",
            "pcp 0 DMA ",
        ),
        ("M28 U2", "M28 M2", "pageblocks 0 DMA32"),
        ("M28 U2", "M28 U0", "pageblocks 0 DMA32"),
        ("M28 U2", "M28 U3", "pageblocks 0 DMA32"),
        ("M28 U2", "M28 ?2", "pageblocks 0 DMA32"),
        ("nr=120", "nr=999999999999", "pageblocks 0 DMA32"),
        (
            "lowmem_reserve 0 DMA : 0 190 190 190 190",
            "lowmem_reserve 0 DMA : 0 190 190 190",
            "lowmem_reserve 0 DMA ",
        ),
        (
            "nr_free 0 DMA : 0 0 0 0 0 1 1 1 0 1 3",
            "nr_free 0 DMA : 0 0 0 0 0 1 1 1 0 1 3 0",
            "nr_free 0 DMA ",
        ),
        (
            "zonelist 0 fallback : 0/DMA32",
            "zonelist 0 fallback : 0/DMA31",
            "zonelist 0 fallback",
        ),
        (
            "cpu0_threshold=2",
            "cpu1_threshold=2",
            "nr_free_pages 0 DMA ",
        ),
        ("cpus=0", "cpus=0,1", "node 0"),
        (
            "free 0 DMA 5 U 1 : 288",
            "free 0 DMA 5 U 1 : 288!",
            "free 0 DMA 5 U",
        ),
        (
            "buddy_pages 0 DMA 3808",
            "buddy_pages 0 DMA32 3808",
            "buddy_pages 0 DMA ",
        ),
    ] {
        assert!(good.contains(from), "{from}");
        let bad = good.replacen(from, to, 1);
        let err = dump_error(&bad);
        assert_eq!(err.line, line_of(&good, needle), "`{to}`: {err}");
    }

    // Truncated: the last line and more cut off.
    let cut = good.rsplit_once("dump end").unwrap().0;
    let err = dump_error(cut);
    assert_eq!(err.line, nlines, "{err}");
    assert!(err.message.contains("dump end before"), "{err}");
    let cut = &good[..good.find("pcplist 0 DMA 0 7").unwrap()];
    let err = dump_error(cut);
    assert_eq!(err.line, line_of(&good, "pcplist 0 DMA 0 7"), "{err}");
    assert!(err.message.contains("ends early"), "{err}");
    assert_eq!(dump_error("").line, 1);

    // An unknown record type.
    let bad = good.replace(
        "buddy_pages 0 DMA 3808\n",
        "buddy_pages 0 DMA 3808\nbogus 1 2\n",
    );
    let err = dump_error(&bad);
    assert_eq!(err.line, line_of(&good, "buddy_pages 0 DMA ") + 1, "{err}");
    let bad = good.replace("node 0 ", "bogus 0 ");
    assert_eq!(dump_error(&bad).line, 2);

    // One free line too few, one too many.
    let bad = good.replace("free 0 DMA 4 R 0 :\n", "");
    let err = dump_error(&bad);
    assert_eq!(err.line, line_of(&good, "free 0 DMA 4 R"), "{err}");
    assert!(err.message.contains("free 0 DMA 4 R"), "{err}");
    let bad = good.replace("free 0 DMA32 10 I 0 :\n", "");
    let err = dump_error(&bad);
    assert_eq!(err.line, line_of(&good, "free 0 DMA32 10 I"), "{err}");
    let bad = good.replace(
        "free 0 DMA 10 I 0 :\n",
        "free 0 DMA 10 I 0 :\nfree 0 DMA 10 I 0 :\n",
    );
    let err = dump_error(&bad);
    assert_eq!(err.line, line_of(&good, "free 0 DMA 10 I") + 1, "{err}");
    // A pcplist line too few.
    let bad = good.replace("pcplist 0 DMA 0 13 9 M 0 :\n", "");
    let err = dump_error(&bad);
    assert_eq!(err.line, line_of(&good, "pcplist 0 DMA 0 13"), "{err}");

    // Lines after the end, a wrong end label, a note before the begin.
    assert_eq!(dump_error(&format!("{good}node 1\n")).line, nlines + 1);
    let bad = good.replace("dump end before", "dump end after");
    assert_eq!(dump_error(&bad).line, nlines);
    assert_eq!(dump_error(&format!("note x\n{good}")).line, 1);
    // CRLF is not the module's format.
    assert_eq!(dump_error(&good.replacen('\n', "\r\n", 1)).line, 1);
}

#[test]
fn bad_allocs_headers_and_events_are_errors_naming_the_line() {
    let good = read("high-order", "allocs.txt");
    for (from, to) in [
        ("a 3 0 9 M 0 34816 0/DMA32", "a 3 0 9 M 0 34816 0/DMA64"),
        ("a 3 0 9 M 0 34816 0/DMA32", "a 3 0 9 X 0 34816 0/DMA32"),
        ("a 3 0 9 M 0 34816 0/DMA32", "a 3 0 9 M 0 34816"),
        ("a 50 9 10 M 0 NULL", "a 50 9 10 M 0 NULL 0/DMA"),
        ("f 2 5 34304 9", "f 2 5 34304"),
        ("f 2 5 34304 9", "f 2 5 skip"),
        ("f 2 5 34304 9", "x 2 5 34304 9"),
        ("o 7 D mid", "o 7"),
    ] {
        assert!(good.contains(from), "{from}");
        let err = parse_allocs(&good.replacen(from, to, 1)).expect_err(to);
        assert_eq!(err.line, line_of(&good, from), "{to}: {err}");
    }
    let header = read("high-order", "header.txt");
    let err = parse_header(&header.replace("H=0x2a20", "H=2a20")).unwrap_err();
    assert_eq!(err.line, 2);
    let err = parse_header(&header.replace("op 5 F 0-5\n", "")).unwrap_err();
    assert_eq!(err.line, line_of(&header, "op 5"), "{err}");
    let err = parse_header(&header.replace("summary", "bogus")).unwrap_err();
    assert_eq!(err.line, line_of(&header, "summary"), "{err}");
    let err = parse_header(
        &header
            .replace("gfp U", "bogus U")
            .replace("bogus U", "note U"),
    )
    .unwrap_err();
    assert!(err.message.contains("gfp"), "{err}");
    let events = read("split-merge", "events.txt");
    let err =
        parse_events(&events.replacen("e buddy 8064 4 M 0", "e buddy 8064 4 M 2", 1)).unwrap_err();
    assert_eq!(err.line, 2);
    let err = parse_events(&events.replacen("e alloc 8064 4 M 0x280a", "e alloc 8064 4 M 280a", 1))
        .unwrap_err();
    assert_eq!(err.line, 3);
    let err = parse_events(&events.replacen("e alloc", "e allocate", 1)).unwrap_err();
    assert_eq!(err.line, 3);
}

// ---------------------------------------------------------------------------------
// Never panic

/// Runs every parser on `text`; whatever a strict parser accepts must write back
/// unchanged (dumps up to `t_ns`; only for text that ends in a newline, since the
/// writers always end with one).
fn parse_all(text: &str) {
    let whole = text.ends_with('\n');
    if let Ok(d) = parse_dump(text) {
        assert!(
            !whole || write_dump(&d) == normalise_t_ns(text),
            "dump round trip"
        );
    }
    if let Ok(records) = parse_allocs(text) {
        assert!(
            !whole || write_allocs(&records) == text,
            "allocs round trip"
        );
    }
    if let Ok(records) = parse_events(text) {
        assert!(
            !whole || write_events(&records) == text,
            "events round trip"
        );
    }
    let _ = parse_header(text);
    if let Ok(ops) = parse_workload(text) {
        for op in &ops {
            if let Op::Free(specs) = op {
                let _ = free_targets(specs, 1000);
            }
            let _ = canonical_op(op);
        }
    }
}

fn all_fixtures() -> Vec<(String, String)> {
    let mut out = Vec::new();
    for (set, case) in all_cases() {
        let read = |_: &str, file: &str| read_in(set, case, file);
        let dump_files = |case: &str| dump_files_in(set, case);
        for file in [
            "before.txt",
            "after.txt",
            "allocs.txt",
            "events.txt",
            "header.txt",
            "workload.txt",
        ] {
            out.push((format!("{set}/{case}/{file}"), read(case, file)));
        }
        for (stem, text) in dump_files(case) {
            if stem.starts_with('d') {
                out.push((format!("{set}/{case}/{stem}.txt"), text));
            }
        }
    }
    out
}

#[test]
fn no_prefix_of_a_fixture_panics() {
    for (name, text) in all_fixtures() {
        let mut at = 0;
        while at < text.len() {
            let mut end = at;
            while !text.is_char_boundary(end) {
                end += 1;
            }
            let prefix = &text[..end];
            let result = std::panic::catch_unwind(|| parse_all(prefix));
            assert!(result.is_ok(), "{name}: prefix of {end} bytes");
            at += 499;
        }
        parse_all(&text);
    }
}

#[test]
fn no_byte_mutation_of_a_fixture_panics() {
    const BYTES: &[u8] = b" \n0179x-/:!=?UNMDNULLskip\t\r";
    for (name, text) in all_fixtures() {
        // allocs.txt and events.txt are independent lines: their first 300 lines are a
        // valid file of the same kind and cover every record form the rest has.
        let text = if name.ends_with("allocs.txt") || name.ends_with("events.txt") {
            text.lines().take(300).map(|l| format!("{l}\n")).collect()
        } else {
            text
        };
        let bytes = text.as_bytes();
        // About 1000 positions per file (every byte of the small ones, every 7th of a
        // dump), two replacement bytes at each: 2000 parses, a few seconds unoptimised.
        let stride = (bytes.len() / 1000).max(1);
        let mut at = 0;
        let mut k = 0;
        while at < bytes.len() {
            for _ in 0..2 {
                let mut mutated = bytes.to_vec();
                mutated[at] = BYTES[k % BYTES.len()];
                k += 1;
                let mutated = String::from_utf8_lossy(&mutated).into_owned();
                let result = std::panic::catch_unwind(|| parse_all(&mutated));
                assert!(
                    result.is_ok(),
                    "{name}: byte {at} set to {:?}",
                    BYTES[(k - 1) % BYTES.len()] as char
                );
            }
            at += stride;
        }
        // Non-ASCII and removed or doubled lines.
        let lines: Vec<&str> = text.lines().collect();
        for i in 0..lines.len() {
            let mut removed = lines.clone();
            removed.remove(i);
            parse_all(&(removed.join("\n") + "\n"));
            let mut doubled = lines.clone();
            doubled.insert(i, lines[i]);
            parse_all(&(doubled.join("\n") + "\n"));
            let mut odd = lines.clone();
            let changed = format!("{}é", lines[i]);
            odd[i] = &changed;
            parse_all(&(odd.join("\n") + "\n"));
        }
    }
}
