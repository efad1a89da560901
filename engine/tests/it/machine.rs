//! The machine model against outcomes worked out by hand from the Linux 6.1 source:
//! zone spans, ZONE_MOVABLE, min_free_kbytes with and without THP, zonelists on
//! machines unlike the four oracle machines, sysctl writes, and bad input.

use buddyscope_engine::machine::{
    CoreSize, CpuState, Machine, MachineConfig, NodeConfig, Sysctls, ThpMode,
};
use buddyscope_engine::types::{PfnRange, ZoneType};

const GIB_PAGES: u64 = 1 << 18;

fn range(start: u64, end: u64) -> PfnRange {
    PfnRange { start, end }
}

fn node(memory: Vec<PfnRange>, cpus: Vec<u32>) -> NodeConfig {
    NodeConfig { memory, cpus }
}

fn one_node(memory: Vec<PfnRange>) -> MachineConfig {
    MachineConfig {
        nodes: vec![node(memory, vec![0, 1])],
        ..MachineConfig::default()
    }
}

fn error_of(config: &MachineConfig) -> String {
    Machine::build(config)
        .expect_err("the configuration must be refused")
        .message
}

fn orders(machine: &Machine) -> Vec<Vec<u32>> {
    machine
        .zonelists
        .iter()
        .map(|l| l.node_order.clone())
        .collect()
}

#[test]
fn min_free_kbytes_with_and_without_thp() {
    // 1 GiB from pfn 0x100. DMA [0x100, 0x1000): 3840 present, memmap 3840*64/4096 =
    // 60, managed 3780. DMA32 [0x1000, 0x40000): 258048, memmap 4032, managed 254016.
    // THP off: sqrt((3780 + 254016) * 4 * 16) = sqrt(16498944) = 4061.
    let mut config = one_node(vec![range(0x100, 0x40000)]);
    config.thp = ThpMode::Never;
    let machine = Machine::build(&config).unwrap();
    let dma = machine.zone(0, ZoneType::Dma).unwrap();
    let dma32 = machine.zone(0, ZoneType::Dma32).unwrap();
    assert_eq!(
        (dma.start_pfn, dma.spanned, dma.present, dma.managed),
        (0x100, 3840, 3840, 3780)
    );
    assert_eq!(
        (dma32.start_pfn, dma32.spanned, dma32.present, dma32.managed),
        (0x1000, 258_048, 258_048, 254_016)
    );
    assert_eq!(machine.min_free_kbytes, 4061);

    // THP on: after the sqrt rule, highs are DMA 14+2*3 = 20 and DMA32 1000+2*254 =
    // 1508, so nr_free_buffer_pages = 3760 + 252508 = 256268, 5% = 12813; the
    // recommendation, 512*2*2 + 512*2*9 = 11264 pages, is below it: 45056 KiB.
    config.thp = ThpMode::Madvise;
    let machine = Machine::build(&config).unwrap();
    assert_eq!(machine.min_free_kbytes, 45_056);
}

#[test]
fn watermarks_and_sysctl_writes_recompute_what_the_kernel_recomputes() {
    let mut config = one_node(vec![range(0x100, 0x40000)]);
    config.sysctls.min_free_kbytes = Some(8192);
    let mut machine = Machine::build(&config).unwrap();
    // 8192 KiB = 2048 pages over 257796 lowmem pages: DMA32 gets 2048*254016/257796
    // = 2017.97 -> 2017; step max(2017/4 = 504, 254) = 504.
    let dma32 = machine.zone(0, ZoneType::Dma32).unwrap().clone();
    assert_eq!(
        (
            dma32.watermark_min,
            dma32.watermark_low,
            dma32.watermark_high
        ),
        (2017, 2521, 3025)
    );
    // pcp: batch 63 (254016 >> 10 = 248, /4 = 62, 62 + 31 = 93 -> 64 - 1), high =
    // low / 2 CPUs = 1260.
    assert_eq!((dma32.pcp_batch, dma32.pcp_high), (63, 1260));
    // DMA's protection against DMA32 requests: 254016 / 256 = 992.
    assert_eq!(
        machine.zone(0, ZoneType::Dma).unwrap().lowmem_reserve,
        [0, 992, 992, 992, 992]
    );

    // watermark_scale_factor 100: step max(504, 254016 * 100 / 10000 = 2540) = 2540.
    machine.set_watermark_scale_factor(100).unwrap();
    let dma32 = machine.zone(0, ZoneType::Dma32).unwrap();
    assert_eq!(
        (
            dma32.watermark_min,
            dma32.watermark_low,
            dma32.watermark_high
        ),
        (2017, 4557, 7097)
    );
    assert_eq!(dma32.pcp_high, 4557 / 2);

    machine
        .set_lowmem_reserve_ratio([128, 256, 32, 0, 0])
        .unwrap();
    assert_eq!(
        machine.zone(0, ZoneType::Dma).unwrap().lowmem_reserve,
        [0, 1984, 1984, 1984, 1984]
    );

    // percpu_pagelist_high_fraction 8: high = 254016 / 8 / 2 CPUs = 15876.
    machine.set_percpu_pagelist_high_fraction(8).unwrap();
    assert_eq!(machine.zone(0, ZoneType::Dma32).unwrap().pcp_high, 15_876);

    // A write the kernel refuses changes nothing.
    let before = machine.clone();
    assert!(machine.set_percpu_pagelist_high_fraction(3).is_err());
    assert!(machine.set_watermark_scale_factor(0).is_err());
    assert_eq!(machine, before);
}

#[test]
fn movablecore_places_zone_movable_at_the_top_of_the_node() {
    // 2 GiB QEMU guest, movablecore=25%: ZONE_MOVABLE from pfn 0x60000 (the
    // placement module's tests show the arithmetic), cutting DMA32 short there.
    let mut config = one_node(vec![range(0x1, 0x9f), range(0x100, 0x7ffe0)]);
    config.movablecore = Some(CoreSize::Percent(25));
    let machine = Machine::build(&config).unwrap();
    assert_eq!(machine.zone_movable_pfn, vec![0x60000]);
    let dma32 = machine.zone(0, ZoneType::Dma32).unwrap();
    let movable = machine.zone(0, ZoneType::Movable).unwrap();
    assert_eq!((dma32.start_pfn, dma32.spanned), (0x1000, 0x60000 - 0x1000));
    assert_eq!(
        (movable.start_pfn, movable.spanned, movable.present),
        (0x60000, 0x1ffe0, 0x1ffe0)
    );
    // The general zonelist lists Movable first; a DMA32 request cannot use it.
    let general: Vec<ZoneType> = machine.zonelists[0]
        .general
        .iter()
        .map(|r| r.zone)
        .collect();
    assert_eq!(
        general,
        vec![ZoneType::Movable, ZoneType::Dma32, ZoneType::Dma]
    );
    // THP counts only zones up to Normal: DMA and DMA32, not Movable.
    assert_eq!(machine.zones().filter(|z| z.is_populated()).count(), 3);
}

#[test]
fn equal_distances_share_load_and_no_node_has_cpus_at_boot() {
    // Three nodes, 1 GiB each, all 20 apart; CPU 0 on node 0, CPUs 1 and 2 on nodes
    // 1 and 2. At boot the node-to-CPU masks are empty, so no node pays the CPU
    // penalty; what orders equal distances is `(n < node)` and node_load (the shared
    // real-kernel fixture n-3node-equal-distance prints exactly this):
    //   node 0: 1 and 2 tie at 20*1024; 1 wins (lower id), load[1] = 1.
    //   node 1: 0 scores (20+1)*1024, 2 scores 20*1024 + 0: 2 first, load[2] = 1.
    //   node 2: 0 scores 21*1024 + 0, 1 scores 21*1024 + 1: 0 first.
    let config = MachineConfig {
        nodes: (0..3)
            .map(|n| {
                node(
                    vec![range(n * GIB_PAGES + 0x100, (n + 1) * GIB_PAGES)],
                    vec![n as u32],
                )
            })
            .collect(),
        ..MachineConfig::default()
    };
    let mut machine = Machine::build(&config).unwrap();
    assert_eq!(
        orders(&machine),
        vec![vec![0, 1, 2], vec![1, 2, 0], vec![2, 0, 1]]
    );
    // With every CPU online every node pays the penalty alike, so the order stays:
    // node 2 scores node 0 at 22*1024 + 0 and node 1 at 22*1024 + 1.
    machine.rebuild_zonelists_all_cpus_online();
    assert_eq!(machine.zonelist_cpus, CpuState::AllOnline);
    assert_eq!(
        orders(&machine),
        vec![vec![0, 1, 2], vec![1, 2, 0], vec![2, 0, 1]]
    );
}

#[test]
fn asymmetric_distances_order_nodes_by_distance() {
    let mut config = MachineConfig {
        nodes: (0..4)
            .map(|n| {
                node(
                    vec![range(n * GIB_PAGES + 0x100, (n + 1) * GIB_PAGES)],
                    vec![n as u32],
                )
            })
            .collect(),
        ..MachineConfig::default()
    };
    config.distances = Some(vec![
        vec![10, 30, 20, 40],
        vec![16, 10, 40, 20],
        vec![20, 40, 10, 30],
        vec![40, 20, 30, 10],
    ]);
    let machine = Machine::build(&config).unwrap();
    assert!(machine.warnings.is_empty());
    // Node 0 reads its own row: 2 (20), 1 (30), 3 (40). Node 1's row puts node 0 at
    // 16 (+1 for the lower id = 17; no CPU penalty at boot): 0, 3 (20), 2 (40).
    assert_eq!(orders(&machine)[0], vec![0, 2, 1, 3]);
    assert_eq!(orders(&machine)[1], vec![1, 0, 3, 2]);
}

#[test]
fn an_invalid_slit_falls_back_to_10_and_20_with_a_warning() {
    let mut config = MachineConfig {
        nodes: (0..2)
            .map(|n| {
                node(
                    vec![range(n * GIB_PAGES + 0x100, (n + 1) * GIB_PAGES)],
                    vec![n as u32],
                )
            })
            .collect(),
        ..MachineConfig::default()
    };
    config.distances = Some(vec![vec![10, 10], vec![20, 10]]);
    let machine = Machine::build(&config).unwrap();
    assert_eq!(machine.distances, vec![vec![10, 20], vec![20, 10]]);
    assert!(machine
        .warnings
        .iter()
        .any(|w| w.contains("SLIT table looks invalid")));
}

#[test]
fn memory_only_and_cpu_only_nodes() {
    // Node 0: memory and CPU 0. Node 1: memory, no CPU. Node 2: CPU 1, no memory.
    let config = MachineConfig {
        nodes: vec![
            node(vec![range(0x100, GIB_PAGES)], vec![0]),
            node(vec![range(GIB_PAGES, 2 * GIB_PAGES)], vec![]),
            node(vec![], vec![1]),
        ],
        ..MachineConfig::default()
    };
    let machine = Machine::build(&config).unwrap();
    // At boot no node counts as having CPUs. Node 0: 1 (20) -> load[1] = 1. Node 1:
    // 0 (20+1) -> load[0] = 1. Node 2 (CPU-only, first in its own list, no zones):
    // 0 and 1 both score 21*1024 + 1: 0 (lower id) then 1.
    assert_eq!(
        orders(&machine),
        vec![vec![0, 1], vec![1, 0], vec![2, 0, 1]]
    );
    assert!(machine.zonelists[2].thisnode.is_empty());
    // Node 1's zone has no local CPU: pcp high splits the low watermark over both
    // online CPUs; node 0's over its one.
    let far = machine.zone(1, ZoneType::Dma32).unwrap();
    assert_eq!(far.pcp_high, (far.watermark_low / 2).max(far.pcp_batch * 4));
    let near = machine.zone(0, ZoneType::Dma32).unwrap();
    assert_eq!(near.pcp_high, near.watermark_low.max(near.pcp_batch * 4));
    let log = buddyscope_engine::report::proc::zonelists_boot_log(&machine);
    assert!(log.contains("Fallback order for Node 2: 2 0 1\n"), "{log}");
    assert!(!log.contains("mminit::zonelist general 2:"), "{log}");
    // With every CPU online node 0 pays the CPU penalty and node 1 does not: node 2
    // scores 0 at (20+1+1)*1024 + 1 and 1 at (20+1)*1024 + 1, so 1 comes first.
    let mut machine = machine;
    machine.rebuild_zonelists_all_cpus_online();
    assert_eq!(
        orders(&machine),
        vec![vec![0, 1], vec![1, 0], vec![2, 1, 0]]
    );
}

#[test]
fn sections_follow_section_size_bits() {
    let mut config = one_node(vec![range(0x100, GIB_PAGES)]);
    let machine = Machine::build(&config).unwrap();
    // 128 MiB sections of 32768 pages: 8 of them, the first missing its 256 pages.
    assert_eq!(machine.sections.len(), 8);
    assert_eq!(machine.sections[0].present_pages, 32_768 - 256);
    assert_eq!(machine.section_number(0x8000), 1);
    assert_eq!(
        machine.section_of(0x8123).map(|s| (s.number, s.node)),
        Some((1, 0))
    );
    assert!(machine.section_of(GIB_PAGES + 5).is_none());
    assert_eq!(
        machine.zone_of(0x2000).map(|z| z.zone_type),
        Some(ZoneType::Dma32)
    );
    assert!(machine.zone_of(0x80).is_none());
    config.section_size_bits = 30;
    let machine = Machine::build(&config).unwrap();
    assert_eq!(machine.sections.len(), 1);
    assert_eq!(machine.sections[0].present_pages, GIB_PAGES - 256);
}

#[test]
fn memmap_estimate_matches_the_kernels_boot_total() {
    // Machine a of the oracle, configured by hand: its boot log says "Total pages:
    // 128736". With memblock's 158 reserved pages below 16 MiB (its dma_reserve)
    // given as a reserved range, the present-minus-memmap estimates must add up to
    // the same total.
    let mut config = one_node(vec![range(0x1, 0x9f), range(0x100, 0x1ffe0)]);
    config.reserved = vec![range(0x1, 0x1 + 158)];
    let machine = Machine::build(&config).unwrap();
    let log = buddyscope_engine::report::proc::zonelists_boot_log(&machine);
    assert!(
        log.contains("Built 1 zonelists, mobility grouping on.  Total pages: 128736\n"),
        "{log}"
    );
}

#[test]
fn bad_machines_are_refused_with_a_reason() {
    let overlapping = MachineConfig {
        nodes: vec![
            node(vec![range(0x100, 0x2000)], vec![0]),
            node(vec![range(0x1000, 0x3000)], vec![1]),
        ],
        ..MachineConfig::default()
    };
    assert!(error_of(&overlapping).contains("memory ranges overlap"));
    let empty_node = MachineConfig {
        nodes: vec![
            node(vec![range(0x100, 0x2000)], vec![0]),
            node(vec![], vec![]),
        ],
        ..MachineConfig::default()
    };
    assert!(error_of(&empty_node).contains("node 1 has no memory and no CPUs"));
    let mut wrong_matrix = one_node(vec![range(0x100, 0x2000)]);
    wrong_matrix.distances = Some(vec![vec![10, 20], vec![20, 10]]);
    assert!(error_of(&wrong_matrix).contains("distance matrix must be 1 x 1"));
    let mut small_sections = one_node(vec![range(0x100, 0x2000)]);
    small_sections.section_size_bits = 21;
    assert!(error_of(&small_sections).contains("must hold a MAX_ORDER block"));
    let no_boot_cpu = MachineConfig {
        nodes: vec![node(vec![range(0x100, 0x2000)], vec![1])],
        ..MachineConfig::default()
    };
    assert!(error_of(&no_boot_cpu).contains("CPU 0"));
    let mut scale = one_node(vec![range(0x100, 0x2000)]);
    scale.sysctls = Sysctls {
        watermark_scale_factor: 3001,
        ..Sysctls::default()
    };
    assert!(error_of(&scale).contains("watermark_scale_factor"));
    let no_nodes = MachineConfig {
        nodes: vec![],
        ..MachineConfig::default()
    };
    assert!(error_of(&no_nodes).contains("no nodes"));
}

#[test]
fn thp_is_off_at_boot_below_512_mib_until_switched_on() {
    // 256 MiB: hugepage_init() leaves THP off, so only the sqrt rule applies.
    // DMA [0x100, 0x1000): managed 3780; DMA32 [0x1000, 0x10000): 61440 - 960 =
    // 60480; sqrt((3780 + 60480) * 64) = sqrt(4112640) = 2027.
    let config = one_node(vec![range(0x100, 0x10000)]);
    let mut machine = Machine::build(&config).unwrap();
    assert_eq!(machine.thp, ThpMode::Never);
    assert!(machine.warnings.iter().any(|w| w.contains("512 MiB")));
    assert_eq!(machine.min_free_kbytes, 2027);
    // Switching THP on after boot starts khugepaged, which raises min_free_kbytes
    // to its recommendation (11264 pages) capped at 5% of the free buffer pages.
    machine.set_thp(ThpMode::Always);
    assert_eq!(machine.thp, ThpMode::Always);
    let free_buffer = machine.nr_free_buffer_pages();
    assert!(machine.min_free_kbytes > 2027);
    assert!(machine.min_free_kbytes <= 11_264 * 4);
    assert!(free_buffer > 0);
}

#[test]
fn engine_state_at_boot_is_at_most_one_byte_a_page() {
    // A 4 GiB machine after boot: memory in whole max-order free blocks keeps no
    // per-page state, only a record a block (see core/src/buddy/chunked.rs).
    let config = one_node(vec![range(0x100, 4 * GIB_PAGES)]);
    let machine = Machine::build(&config).unwrap();
    let allocator = buddyscope_engine::alloc::Allocator::from_machine(&machine).unwrap();
    let pages: u64 = allocator.zones().iter().map(|z| z.spanned).sum();
    let bytes: usize = allocator.zones().iter().map(|z| z.buddy.heap_bytes()).sum();
    let per_page = bytes as f64 / pages as f64;
    eprintln!("{bytes} bytes for {pages} pages: {per_page:.3} bytes a page");
    assert!(per_page <= 1.0, "{per_page:.3} bytes a page");
}

#[test]
fn a_4_tib_8_node_machine_boots_with_the_hand_derived_zoneinfo() {
    // Eight nodes of 512 GiB (2^27 pages) one after the other from 4 GiB: each node
    // has one zone, Normal. Worked out from Linux 6.1:
    // - memmap: 2^27 struct pages of 64 bytes are 2^21 pages, so managed is
    //   2^27 - 2^21 = 132120576, all of it free at boot in 129024 order-10 blocks;
    // - init_per_zone_wmark_min(): lowmem_kbytes = 8 * 132120576 * 4, and
    //   int_sqrt(lowmem_kbytes * 16) = int_sqrt(67645734912) = 260087 kB, so
    //   pages_min = 260087 / 4 = 65021, each zone's share 65021 / 8 = 8127;
    // - __setup_per_zone_wmarks(): max(8127 / 4, 132120576 * 10 / 10000) = 132120,
    //   so low = 8127 + 132120 = 140247 and high = 8127 + 2 * 132120 = 272367.
    let node_pages = 1u64 << 27;
    let base = 4 * GIB_PAGES;
    let config = MachineConfig {
        nodes: (0..8u64)
            .map(|n| {
                node(
                    vec![range(base + n * node_pages, base + (n + 1) * node_pages)],
                    vec![2 * n as u32, 2 * n as u32 + 1],
                )
            })
            .collect(),
        thp: ThpMode::Never,
        ..MachineConfig::default()
    };
    let machine = Machine::build(&config).unwrap();
    assert_eq!(machine.min_free_kbytes, 260_087);
    let allocator = buddyscope_engine::alloc::Allocator::from_machine(&machine).unwrap();
    assert_eq!(allocator.zones().len(), 8);
    for (n, zone) in allocator.zones().iter().enumerate() {
        assert_eq!((zone.nid, zone.zone), (n as u32, ZoneType::Normal));
        assert_eq!(zone.buddy.start_pfn().0, base + n as u64 * node_pages);
        assert_eq!((zone.spanned, zone.present), (node_pages, node_pages));
        assert_eq!(zone.managed, 132_120_576);
        assert_eq!(zone.watermark, [8127, 140_247, 272_367]);
        assert_eq!(zone.buddy.free_pages(), 132_120_576);
        assert_eq!(
            zone.buddy.nr_free(buddyscope_engine::types::Order::MAX),
            129_024
        );
    }
    let zoneinfo = buddyscope_engine::report::proc::zoneinfo_running(&allocator).unwrap();
    assert_eq!(zoneinfo.matches("pages free     132120576\n").count(), 8);
    assert_eq!(zoneinfo.matches("managed  132120576\n").count(), 8);
    assert_eq!(zoneinfo.matches("high     272367\n").count(), 8);
    let pages = 8 * node_pages;
    let bytes: usize = allocator.zones().iter().map(|z| z.buddy.heap_bytes()).sum();
    assert!(
        (bytes as u64) < pages / 8,
        "{bytes} bytes of buddy state for {pages} pages"
    );
}

#[test]
fn boot_free_pages_counts_what_the_boot_free_lists_hold() {
    // zoneinfo at boot counts free pages without building any zone's pages; it must
    // agree with the free lists the allocator boots with, on the real machines
    // (reserved ranges, imported managed counts) and with a CMA area.
    use buddyscope_engine::machine::boot::{boot_free_lists, boot_free_pages};
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/oracle");
    let mut configs = Vec::new();
    for name in [
        "a-1node-512M",
        "b-1node-4G",
        "c-2node-1G-1G",
        "e-1node-2G-wmark-sysctl",
        "n-3node-equal-distance",
    ] {
        let text = std::fs::read_to_string(format!("{dir}/{name}/machine.snapshot")).unwrap();
        configs.push(buddyscope_engine::scenario::load_machine(&text).unwrap().0);
    }
    let mut cma = one_node(vec![range(0x100, 2 * GIB_PAGES)]);
    cma.cma_bytes = Some(64 << 20);
    configs.push(cma);
    for config in &configs {
        let machine = Machine::build(config).unwrap();
        let lists = boot_free_lists(&machine).unwrap();
        let counted = boot_free_pages(&machine);
        assert_eq!(lists.len(), counted.len());
        for (zone, count) in lists.iter().zip(&counted) {
            assert_eq!((zone.node, zone.zone), (count.node, count.zone));
            assert_eq!(zone.buddy.free_pages(), count.free_pages);
        }
    }
}

#[test]
fn a_zone_too_large_for_the_page_model_is_refused_before_any_zone_is_built() {
    // Node 0: 4 GiB; node 1: 16 TiB from 8 TiB on, one Normal zone of 2^32 pages,
    // one more than the per-page model numbers. zoneinfo needs no pages; building
    // the free lists is refused naming node 1's zone, before node 0's is built.
    let config = MachineConfig {
        nodes: vec![
            node(vec![range(0x100, 4 * GIB_PAGES)], vec![0]),
            node(vec![range(1 << 31, (1 << 31) + (1 << 32))], vec![1]),
        ],
        thp: ThpMode::Never,
        ..MachineConfig::default()
    };
    let machine = Machine::build(&config).unwrap();
    let free = buddyscope_engine::machine::boot::boot_free_pages(&machine);
    assert_eq!(free.len(), 3);
    let error = buddyscope_engine::machine::boot::boot_free_lists(&machine)
        .err()
        .unwrap()
        .to_string();
    assert!(
        error.starts_with(
            "node 1 zone Normal spans 4294967296 pages (16384 GiB), 4294967296 of them present (16384 GiB)"
        ),
        "{error}"
    );
    assert!(error.contains("at most 4294967295 pages"), "{error}");
}

/// `count` nodes of 1 GiB each (node 0 from pfn 0x100), CPUs as `cpus[node]`.
fn gib_nodes(cpus: &[Vec<u32>]) -> MachineConfig {
    MachineConfig {
        nodes: cpus
            .iter()
            .enumerate()
            .map(|(n, cpus)| {
                let n = n as u64;
                let start = if n == 0 { 0x100 } else { n * GIB_PAGES };
                node(vec![range(start, (n + 1) * GIB_PAGES)], cpus.clone())
            })
            .collect(),
        ..MachineConfig::default()
    }
}

// The expected orders below are worked out by hand from find_next_best_node() and
// build_zonelists() of Linux 6.1: score = (distance + (n < local) + cpu_penalty) *
// 1024 + node_load[n], lowest first, lower id on a tie; node_load[] zeroed once per
// build_all_zonelists() and raised by one on the first node of each new distance
// group. Written "M" for 1024.

#[test]
fn four_nodes_all_at_20_go_round_robin_at_boot_and_prefer_memory_only_nodes_after() {
    // CPU 0 on node 0, CPU 1 on node 2; nodes 1 and 3 memory only.
    let config = gib_nodes(&[vec![0], vec![], vec![1], vec![]]);
    let mut machine = Machine::build(&config).unwrap();
    // Boot (no CPU penalty):
    //   0: 1,2,3 all 20M -> 1 (load[1]=1), 2, 3.
    //   1: 0 21M, 2 20M, 3 20M -> 2 (load[2]=1), 3, 0.
    //   2: 0 21M, 1 21M+1, 3 20M -> 3 (load[3]=1), 0, 1.
    //   3: 0 21M, 1 21M+1, 2 21M+1 -> 0 (load[0]=1), 1, 2.
    assert_eq!(
        orders(&machine),
        vec![
            vec![0, 1, 2, 3],
            vec![1, 2, 3, 0],
            vec![2, 3, 0, 1],
            vec![3, 0, 1, 2]
        ]
    );
    // A rebuild with the CPUs online: nodes 0 and 2 pay 1.
    //   0: 1 20M, 2 21M, 3 20M -> 1 (load[1]=1); 3 20M before 2 21M.
    //   1: 0 22M, 2 21M, 3 20M -> 3 (load[3]=1), 2, 0.
    //   2: 0 22M, 1 21M+1, 3 20M+1 -> 3 (load[3]=2), 1, 0.
    //   3: 0 22M, 1 21M+1, 2 22M -> 1 (load[1]=2); 0 and 2 tie at 22M: 0, 2.
    machine.rebuild_zonelists_all_cpus_online();
    assert_eq!(
        orders(&machine),
        vec![
            vec![0, 1, 3, 2],
            vec![1, 3, 2, 0],
            vec![2, 3, 1, 0],
            vec![3, 1, 0, 2]
        ]
    );
}

#[test]
fn a_ring_of_four_nodes() {
    // Neighbours 20 apart, opposite nodes 30; a CPU on every node.
    let mut config = gib_nodes(&[vec![0], vec![1], vec![2], vec![3]]);
    config.distances = Some(vec![
        vec![10, 20, 30, 20],
        vec![20, 10, 20, 30],
        vec![30, 20, 10, 20],
        vec![20, 30, 20, 10],
    ]);
    let machine = Machine::build(&config).unwrap();
    assert!(machine.warnings.is_empty(), "{:?}", machine.warnings);
    //   0: 1 20M, 3 20M, 2 30M -> 1 (load[1]=1), 3, then 2 (new group: load[2]=1).
    //   1: 0 21M, 2 20M+1, 3 30M -> 2 (load[2]=2), 0, then 3 (load[3]=1).
    //   2: 0 31M, 1 21M+1, 3 20M+1 -> 3 (load[3]=2), 1, then 0 (load[0]=1).
    //   3: 0 21M+1, 1 31M+1, 2 21M+2 -> 0 (load[0]=2), 2, then 1.
    assert_eq!(
        orders(&machine),
        vec![
            vec![0, 1, 3, 2],
            vec![1, 2, 0, 3],
            vec![2, 3, 1, 0],
            vec![3, 0, 2, 1]
        ]
    );
}

#[test]
fn eight_nodes_in_two_groups_and_a_boot_cpu_away_from_node_0() {
    // Nodes 0-3 and 4-7: 16 within a group, 32 across. The boot CPU (0) sits on node
    // 4, CPU 1 on node 0.
    let mut cpus = vec![Vec::new(); 8];
    cpus[4] = vec![0];
    cpus[0] = vec![1];
    let mut config = gib_nodes(&cpus);
    config.distances = Some(
        (0..8)
            .map(|from: usize| {
                (0..8)
                    .map(|to: usize| match (from == to, from / 4 == to / 4) {
                        (true, _) => 10,
                        (false, true) => 16,
                        (false, false) => 32,
                    })
                    .collect()
            })
            .collect(),
    );
    let machine = Machine::build(&config).unwrap();
    //   0: 1 (load[1]=1), 2, 3; 4 (32M, load[4]=1), 5, 6, 7.
    //   1: 2 16M (load[2]=1), 3 16M, 0 17M; 5 32M (load[5]=1), 6, 7, 4 32M+1.
    //   2: 3 16M (load[3]=1), 0 17M, 1 17M+1; 6 (load[6]=1), 7 32M, 4, 5 32M+1.
    //   3: 0 17M (load[0]=1), 1, 2 17M+1; 7 32M (load[7]=1), 4, 5, 6 32M+1.
    //   4: 5 16M+1 (load[5]=2), 6, 7 16M+1; 0 33M+1 (load[0]=2), 1, 2, 3 33M+1.
    //   5: 6 16M+1 (load[6]=2), 7 16M+1, 4 17M+1; 1 33M+1 (load[1]=2), 2, 3, 0 33M+2.
    //   6: 7 16M+1 (load[7]=2), 4 17M+1, 5 17M+2; 2 33M+1 (load[2]=2), 3, 0, 1 33M+2.
    //   7: 4 17M+1 (load[4]=2), 5, 6 17M+2; 3 33M+1 (load[3]=2), 0, 1, 2 33M+2.
    let expected = vec![
        vec![0, 1, 2, 3, 4, 5, 6, 7],
        vec![1, 2, 3, 0, 5, 6, 7, 4],
        vec![2, 3, 0, 1, 6, 7, 4, 5],
        vec![3, 0, 1, 2, 7, 4, 5, 6],
        vec![4, 5, 6, 7, 0, 1, 2, 3],
        vec![5, 6, 7, 4, 1, 2, 3, 0],
        vec![6, 7, 4, 5, 2, 3, 0, 1],
        vec![7, 4, 5, 6, 3, 0, 1, 2],
    ];
    assert_eq!(orders(&machine), expected);
    // Where the boot CPU sits changes no zonelist at boot, and every node's zonelist
    // holds every managed zone, so nr_free_buffer_pages() (which walks the boot CPU's
    // node's) and min_free_kbytes do not change either.
    let mut on_node_0 = config.clone();
    on_node_0.nodes[0].cpus = vec![0];
    on_node_0.nodes[4].cpus = vec![1];
    let other = Machine::build(&on_node_0).unwrap();
    assert_eq!(orders(&other), expected);
    assert_eq!(other.nr_free_buffer_pages(), machine.nr_free_buffer_pages());
    assert_eq!(other.min_free_kbytes, machine.min_free_kbytes);
}

#[test]
fn a_memoryless_node_between_two_others() {
    // Node 1 has the boot CPU and no memory; 15 from both others, which are 25 apart.
    let mut config = MachineConfig {
        nodes: vec![
            node(vec![range(0x100, GIB_PAGES)], vec![]),
            node(vec![], vec![0]),
            node(vec![range(GIB_PAGES, 2 * GIB_PAGES)], vec![1]),
        ],
        ..MachineConfig::default()
    };
    config.distances = Some(vec![vec![10, 15, 25], vec![15, 10, 15], vec![25, 15, 10]]);
    let mut machine = Machine::build(&config).unwrap();
    // Boot: N_MEMORY is {0, 2}; node 1 still comes first in its own list.
    //   0: 2 25M (load[2]=1).
    //   1: 0 16M, 2 15M+1 -> 2 (load[2]=2), then 0.
    //   2: 0 26M (load[0]=1).
    assert_eq!(
        orders(&machine),
        vec![vec![0, 2], vec![1, 2, 0], vec![2, 0]]
    );
    assert!(machine.zonelists[1].thisnode.is_empty());
    let general: Vec<u32> = machine.zonelists[1]
        .general
        .iter()
        .map(|r| r.node)
        .collect();
    assert_eq!(
        general,
        vec![2, 0, 0],
        "node 2's DMA32, then node 0's DMA32 and DMA"
    );
    // Rebuilt with CPUs online: node 2 pays 1, node 0 does not.
    //   1: 0 16M, 2 16M+1 -> 0, then 2.
    machine.rebuild_zonelists_all_cpus_online();
    assert_eq!(
        orders(&machine),
        vec![vec![0, 2], vec![1, 0, 2], vec![2, 0]]
    );
}

#[test]
fn a_cpu_on_a_memoryless_node_allocates_through_that_nodes_zonelist() {
    use buddyscope_engine::alloc::Allocator;
    use buddyscope_engine::session::{Outcome, Session};
    use buddyscope_engine::workload::{parse_workload, run_workload};
    // Node 1: CPU 0, no memory. x86-64 has no CONFIG_HAVE_MEMORYLESS_NODES, so
    // numa_mem_id() is numa_node_id() = 1 and CPU 0 uses node 1's own zonelists.
    let mut config = gib_nodes(&[vec![], vec![0], vec![1], vec![]]);
    config.nodes[1].memory.clear();
    config.distances = Some(vec![
        vec![10, 15, 25, 20],
        vec![15, 10, 15, 20],
        vec![25, 15, 10, 20],
        vec![20, 20, 20, 10],
    ]);
    let machine = Machine::build(&config).unwrap();
    // Boot, N_MEMORY = {0, 2, 3}:
    //   0: 2 25M, 3 20M -> 3 (load[3]=1), then 2 (load[2]=1).
    //   1: 0 16M, 2 15M+1, 3 20M+1 -> 2 (load[2]=2), 0, then 3 (load[3]=2).
    //   2: 0 26M, 3 20M+2 -> 3 (load[3]=3), then 0 (load[0]=1).
    //   3: 0 21M+1, 2 21M+2 -> 0, 2.
    assert_eq!(
        orders(&machine),
        vec![
            vec![0, 3, 2],
            vec![1, 2, 0, 3],
            vec![2, 3, 0],
            vec![3, 0, 2]
        ]
    );
    let mut session = Session::new(Allocator::from_machine(&machine).unwrap());
    let script = "alloc here order=0 gfp=GFP_KERNEL|__GFP_THISNODE cpu=0\n\
                  alloc away order=0 gfp=GFP_KERNEL nodemask=0,3 cpu=0\n";
    run_workload(&mut session, &parse_workload(script).unwrap(), None).unwrap();
    let outcomes: Vec<Outcome> = session.calls().iter().map(|r| r.outcome.clone()).collect();
    // Node 1's __GFP_THISNODE zonelist is empty: NULL at once.
    assert!(
        matches!(outcomes[0], Outcome::Failed { .. }),
        "{outcomes:?}"
    );
    // Without node 2, node 1's order (2 0 3) leaves node 0 first: node 0's DMA32
    // [0x1000, 0x40000), where node 2's own order (2 3 0) would have given node 3.
    match &outcomes[1] {
        Outcome::Allocated { allocation, .. } => {
            assert!(
                (0x1000..0x40000).contains(&allocation.pfn.0),
                "{allocation:?}"
            )
        }
        other => panic!("{other:?}"),
    }
}

/// `movable_node`: node 1's memory is hotpluggable from 0x50010 (not on a 1024-page
/// boundary, so ZONE_MOVABLE starts at 0x50400); node 0 has none. kernelcore= is
/// ignored, with a warning, as find_zone_movable_pfns_for_nodes() ignores it.
#[test]
fn movable_node_puts_hotpluggable_memory_in_zone_movable() {
    let config = MachineConfig {
        nodes: vec![
            node(vec![range(0x100, 0x40000)], vec![0]),
            node(vec![range(0x40000, 0x80000)], vec![1]),
        ],
        kernelcore: Some(CoreSize::Bytes(512 << 20)),
        movable_node: Some(vec![range(0x50010, 0x80000)]),
        ..MachineConfig::default()
    };
    let machine = Machine::build(&config).expect("boots");
    assert_eq!(machine.zone_movable_pfn, vec![0, 0x50400]);
    let movable = machine
        .zone(1, ZoneType::Movable)
        .expect("node 1's Movable zone");
    assert_eq!(
        (movable.start_pfn, movable.spanned),
        (0x50400, 0x80000 - 0x50400)
    );
    // DMA32 (the highest zone below 2 GiB) keeps node 1's memory below the start.
    let dma32 = machine
        .zone(1, ZoneType::Dma32)
        .expect("node 1's DMA32 zone");
    assert_eq!((dma32.start_pfn, dma32.spanned), (0x40000, 0x10400));
    assert_eq!(
        machine.zone(0, ZoneType::Movable).map(|z| z.present),
        Some(0)
    );
    assert!(
        machine
            .warnings
            .iter()
            .any(|w| w.contains("kernelcore= and movablecore= are ignored")),
        "{:?}",
        machine.warnings
    );
    // The same machine without movable_node: kernelcore=512M gives each node a
    // ZONE_MOVABLE instead.
    let without = MachineConfig {
        movable_node: None,
        ..config
    };
    let machine = Machine::build(&without).expect("boots");
    assert!(
        machine.zone_movable_pfn.iter().all(|&pfn| pfn != 0),
        "{:?}",
        machine.zone_movable_pfn
    );
}

#[test]
fn the_kernel_key_selects_6_12_and_is_written_only_for_it() {
    use buddyscope_engine::scenario::{parse_scenario, scenario_to_toml};
    use buddyscope_engine::types::Kernel;
    let base = "version = 1\n[machine]\n{KEY}\n[[machine.nodes]]\nmemory = [\"0x1000-0x9efff\", \"0x100000-0x3fffffff\"]\ncpus = \"0\"\n";
    let plain = parse_scenario(&base.replace("{KEY}", "")).unwrap();
    assert_eq!(plain.machine.kernel, Kernel::V6_1);
    assert!(!scenario_to_toml(&plain).contains("kernel = "));
    let explicit = parse_scenario(&base.replace("{KEY}", "kernel = \"6.1\"")).unwrap();
    assert_eq!(explicit.machine, plain.machine);
    // A 6.1 machine prints (and so hashes) as it did before the field existed.
    assert!(!format!("{:?}", plain.machine).contains("kernel: "));
    let new = parse_scenario(&base.replace("{KEY}", "kernel = \"6.12\"")).unwrap();
    assert_eq!(new.machine.kernel, Kernel::V6_12);
    let text = scenario_to_toml(&new);
    assert!(text.contains("\nkernel = \"6.12\""), "{text}");
    assert_eq!(parse_scenario(&text).unwrap().machine, new.machine);
    let error = parse_scenario(&base.replace("{KEY}", "kernel = \"6.6\"")).unwrap_err();
    let message = error.to_string();
    assert!(
        message.contains("machine.kernel") && message.contains("`6.6`"),
        "{message}"
    );
}

#[test]
fn a_memoryless_node_leads_its_own_order_on_6_1_only() {
    use buddyscope_engine::types::Kernel;
    // Node 0 with 1 GiB and CPU 0, node 1 with CPU 1 and no memory.
    let mut config = MachineConfig {
        nodes: vec![
            NodeConfig {
                memory: vec![PfnRange {
                    start: 0x100,
                    end: 0x40000,
                }],
                cpus: vec![0],
            },
            NodeConfig {
                memory: Vec::new(),
                cpus: vec![1],
            },
        ],
        ..MachineConfig::default()
    };
    let order = |config: &MachineConfig| {
        let machine = Machine::build(config).unwrap();
        machine
            .zonelists
            .iter()
            .find(|l| l.node == 1)
            .map(|l| l.node_order.clone())
            .unwrap()
    };
    assert_eq!(order(&config), vec![1, 0]);
    config.kernel = Kernel::V6_12;
    assert_eq!(order(&config), vec![0]);
}

#[test]
fn zone_movable_watermarks_follow_6_12() {
    use buddyscope_engine::types::Kernel;
    // 2 GiB on one node, movablecore=512M: ZONE_MOVABLE holds 131072 pages.
    let mut config = MachineConfig {
        nodes: vec![NodeConfig {
            memory: vec![PfnRange {
                start: 0x100,
                end: 0x80000,
            }],
            cpus: vec![0],
        }],
        movablecore: Some(CoreSize::Bytes(512 << 20)),
        ..MachineConfig::default()
    };
    let movable_min = |config: &MachineConfig| {
        let machine = Machine::build(config).unwrap();
        let zone = machine.zone(0, ZoneType::Movable).unwrap().clone();
        (
            zone.managed,
            zone.watermark_min,
            zone.watermark_low - zone.watermark_min,
        )
    };
    let (managed, min_6_1, _) = movable_min(&config);
    // 131072 present less 2048 pages of memmap.
    assert_eq!(managed, 129_024);
    config.kernel = Kernel::V6_12;
    let (managed_6_12, min_6_12, step) = movable_min(&config);
    assert_eq!(managed_6_12, managed);
    // 6.12: managed / 1024 = 126 (between 32 and 128); 6.1 gave its share of
    // min_free_kbytes, larger.
    assert_eq!(min_6_12, 126);
    assert!(min_6_1 > 128, "{min_6_1}");
    assert!(step > 0);
}
