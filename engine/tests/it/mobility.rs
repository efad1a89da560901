//! Grouping pages by mobility on and off (`page_group_by_mobility_disabled`): the
//! boot-time decision of `build_all_zonelists()` on both sides of its threshold,
//! worked out by hand; the scenario switch; what each place that reads the flag does
//! with it, on Linux 6.1 and 6.12; and the two figures of the mobility-on and
//! mobility-off lessons, counted from the buddy lists.

use buddyscope_engine::alloc::Allocator;
use buddyscope_engine::buddy::BuddyZone;
use buddyscope_engine::machine::{Machine, MachineConfig, ManagedCount, NodeConfig};
use buddyscope_engine::report::proc;
use buddyscope_engine::scenario::library;
use buddyscope_engine::types::gfp::Gfp;
use buddyscope_engine::types::{Kernel, MigrateType, Order, PfnRange, ZoneType};
use buddyscope_engine::{Event, Pfn};

use crate::common::scenario_run::run_scenario;

/// One node whose memory is `pages` pages from 16 MiB (pfn 0x1000), so all of it is
/// ZONE_DMA32 and the DMA zone is empty.
fn small(pages: u64, kernel: Kernel) -> MachineConfig {
    MachineConfig {
        nodes: vec![NodeConfig {
            memory: vec![PfnRange {
                start: 0x1000,
                end: 0x1000 + pages,
            }],
            cpus: vec![0],
        }],
        kernel,
        ..MachineConfig::default()
    }
}

/// The threshold is pageblock_nr_pages * MIGRATE_TYPES = 512 * 5 = 2560. A zone of
/// N present pages (spanned = present) has a memmap of ceil(N * 64 / 4096) =
/// ceil(N / 64) pages, so vm_total_pages at boot is N - ceil(N / 64):
/// 2600 pages: 2600 - 41 = 2559 < 2560, grouping off;
/// 2601 pages: 2601 - 41 = 2560, not below, grouping on.
#[test]
fn build_all_zonelists_turns_grouping_off_below_2560_pages_on_both_kernels() {
    for kernel in [Kernel::V6_1, Kernel::V6_12] {
        let off = Machine::build(&small(2600, kernel)).unwrap();
        assert_eq!(off.boot_vm_total_pages(), Some(2559));
        assert!(off.page_group_by_mobility_disabled(), "{kernel:?}");
        let log = proc::zonelists_boot_log(&off);
        assert!(
            log.contains("Built 1 zonelists, mobility grouping off.  Total pages: 2559\n"),
            "{log}"
        );
        let on = Machine::build(&small(2601, kernel)).unwrap();
        assert_eq!(on.boot_vm_total_pages(), Some(2560));
        assert!(!on.page_group_by_mobility_disabled(), "{kernel:?}");
        let log = proc::zonelists_boot_log(&on);
        assert!(
            log.contains("Built 1 zonelists, mobility grouping on.  Total pages: 2560\n"),
            "{log}"
        );
        assert!(!Allocator::from_machine(&on)
            .unwrap()
            .page_group_by_mobility_disabled());
        assert!(Allocator::from_machine(&off)
            .unwrap()
            .page_group_by_mobility_disabled());
    }
}

/// `mobility_grouping = false` turns grouping off on a machine the kernel runs with
/// it on (and the boot line says so); `true` restating the kernel's decision is
/// fine, `true` against it is refused with both numbers.
#[test]
fn the_switch_forces_grouping_off_and_refuses_to_force_it_on() {
    let mut config = small(2601, Kernel::V6_1);
    config.mobility_grouping = Some(false);
    let machine = Machine::build(&config).unwrap();
    assert!(machine.page_group_by_mobility_disabled());
    assert!(
        proc::zonelists_boot_log(&machine).contains("mobility grouping off.  Total pages: 2560")
    );
    config.mobility_grouping = Some(true);
    assert!(!Machine::build(&config)
        .unwrap()
        .page_group_by_mobility_disabled());
    let mut config = small(2600, Kernel::V6_1);
    config.mobility_grouping = Some(true);
    let error = Machine::build(&config).unwrap_err().to_string();
    assert!(
        error.contains("mobility_grouping = true")
            && error.contains("vm_total_pages 2559 < pageblock_nr_pages * MIGRATE_TYPES = 2560"),
        "{error}"
    );
}

/// The switch is written back only when set, and read back as written.
#[test]
fn the_switch_round_trips_and_is_absent_by_default() {
    use buddyscope_engine::scenario::machine_to_toml;
    let config = MachineConfig::default();
    assert!(!machine_to_toml(&config).contains("mobility_grouping"));
    let text = library::get("mobility-off").unwrap().text;
    let scenario = buddyscope_engine::scenario::parse_scenario(text).unwrap();
    assert_eq!(scenario.machine.mobility_grouping, Some(false));
    assert!(machine_to_toml(&scenario.machine).contains("mobility_grouping = false"));
}

/// `set_pageblock_migratetype()`: with grouping off the three per-cpu types are
/// stored as Unmovable; HighAtomic and Isolate are not folded.
#[test]
fn set_pageblock_migratetype_folds_the_pcp_types_when_grouping_is_off() {
    let mut zone = BuddyZone::new(0, 2048).unwrap();
    zone.set_mobility_disabled(true);
    for (asked, stored) in [
        (MigrateType::Movable, MigrateType::Unmovable),
        (MigrateType::Reclaimable, MigrateType::Unmovable),
        (MigrateType::Unmovable, MigrateType::Unmovable),
        (MigrateType::HighAtomic, MigrateType::HighAtomic),
        (MigrateType::Isolate, MigrateType::Isolate),
    ] {
        zone.set_pageblock_type(Pfn(512), asked);
        assert_eq!(zone.pageblock_type(Pfn(512)), stored, "{asked:?}");
    }
    zone.set_mobility_disabled(false);
    zone.set_pageblock_type(Pfn(512), MigrateType::Movable);
    assert_eq!(zone.pageblock_type(Pfn(512)), MigrateType::Movable);
}

/// `gfp_migratetype()`: every request is Unmovable with grouping off; a movable
/// request's events say so on both kernels, and its fallback claims the block's
/// pageblocks for Unmovable (boot left every pageblock Movable, as memmap_init()
/// runs before build_all_zonelists()).
#[test]
fn every_request_is_unmovable_and_every_fallback_claims_with_grouping_off() {
    let movable = Gfp(0x100cca); // GFP_HIGHUSER_MOVABLE
    for kernel in [Kernel::V6_1, Kernel::V6_12] {
        let mut config = small(16384, kernel);
        config.mobility_grouping = Some(false);
        let machine = Machine::build(&config).unwrap();
        let mut allocator = Allocator::from_machine(&machine).unwrap();
        assert_eq!(allocator.gfp_migratetype(movable), MigrateType::Unmovable);
        let zone = &allocator.zones()[0];
        assert_eq!(zone.zone, ZoneType::Dma32);
        assert_eq!(zone.buddy.pageblock_type(Pfn(0x1000)), MigrateType::Movable);
        let mut events = Vec::new();
        let page = allocator.alloc_pages(movable, 0, 0, &mut events).unwrap();
        let pfn = page.unwrap().pfn;
        assert!(events.iter().any(|e| matches!(
            e,
            Event::AllocStart {
                migratetype: MigrateType::Unmovable,
                ..
            }
        )));
        assert!(
            events.iter().any(|e| matches!(
                e,
                Event::Steal {
                    alloc_migratetype: MigrateType::Unmovable,
                    fallback_migratetype: MigrateType::Movable,
                    ..
                }
            )),
            "{kernel:?}: {events:?}"
        );
        let zone = &allocator.zones()[0];
        assert_eq!(
            zone.buddy.pageblock_type(pfn),
            MigrateType::Unmovable,
            "{kernel:?}"
        );
        // With grouping on, the same request is Movable and takes a Movable page.
        let mut on =
            Allocator::from_machine(&Machine::build(&small(16384, kernel)).unwrap()).unwrap();
        let mut events = Vec::new();
        on.alloc_pages(movable, 0, 0, &mut events).unwrap();
        assert!(
            !events.iter().any(|e| matches!(e, Event::Steal { .. })),
            "{kernel:?}"
        );
    }
}

/// Free pages in blocks of order 9 or more, and all free pages, of the lesson's one
/// zone at the end of its run, counted from the buddy lists.
fn huge_and_free(name: &str, kernel: Kernel) -> (u64, u64) {
    let mut scenario = library::get(name).unwrap().scenario();
    scenario.machine.kernel = kernel;
    let (session, _) = run_scenario(&scenario);
    let allocator = session.current();
    let zone = allocator
        .zones()
        .iter()
        .find(|z| z.zone == ZoneType::Dma32)
        .unwrap();
    let huge = Order::all()
        .filter(|o| o.get() >= 9)
        .map(|o| u64::from(zone.buddy.nr_free(o)) * o.pages())
        .sum();
    (huge, zone.buddy.free_pages())
}

/// The lessons' figures: with grouping 15,360 of 15,648 free pages (98%) are in
/// blocks of order ≥ 9, without it 512 (3%), on both kernels.
#[test]
fn the_lessons_figures_hold_on_both_kernels() {
    for kernel in [Kernel::V6_1, Kernel::V6_12] {
        assert_eq!(
            huge_and_free("mobility-on", kernel),
            (15_360, 15_648),
            "{kernel:?}"
        );
        assert_eq!(
            huge_and_free("mobility-off", kernel),
            (512, 15_648),
            "{kernel:?}"
        );
        // The percentages the text gives: 15360/15648 = 98.2%, 512/15648 = 3.3%.
        assert_eq!(15_360 * 100 / 15_648, 98);
        assert_eq!(512 * 100 / 15_648, 3);
    }
}

/// Memory hotplug: `build_all_zonelists()` decides again when a zone empties or fills.
/// 3072 pages from pfn 0x1000 in 4 MiB sections (1024 pages), `movablecore=4M`: ZONE_MOVABLE
/// is the last section (pfns 0x1800-0x1bff, section 6), ZONE_DMA32 the two below, every
/// page managed (as the memory-hotplug lesson sets it, so no memmap sits in the section
/// to offline). At boot the zones' 2048 + 1024 = 3072 managed pages are ≥ 2560: on.
/// Offlining section 6 empties ZONE_MOVABLE; what is left is DMA32's 2048 pages less its
/// high watermark, below 2560: off. Onlining it brings 1024 managed pages back (the
/// empty zone's watermarks are still 0), so the sum is 2048 - high + 1024 ≥ 2560 again
/// while high ≤ 512: on.
#[test]
fn memory_hotplug_decides_again_when_the_zonelists_are_rebuilt() {
    use buddyscope_engine::machine::CoreSize;
    let mut config = small(3072, Kernel::V6_1);
    config.section_size_bits = 22;
    config.movablecore = Some(CoreSize::Bytes(4 << 20));
    config.managed = vec![
        ManagedCount {
            node: 0,
            zone: ZoneType::Dma32,
            managed: 2048,
        },
        ManagedCount {
            node: 0,
            zone: ZoneType::Movable,
            managed: 1024,
        },
    ];
    let machine = Machine::build(&config).unwrap();
    assert_eq!(machine.boot_vm_total_pages(), None);
    let movable = machine.zone(0, ZoneType::Movable).unwrap();
    assert_eq!((movable.start_pfn, movable.spanned), (0x1800, 1024));
    let mut allocator = Allocator::from_machine(&machine).unwrap();
    assert!(!allocator.page_group_by_mobility_disabled());
    let dma32 = allocator.zone_index(0, ZoneType::Dma32).unwrap();
    let dma32_left = {
        let zone = &allocator.zones()[dma32];
        zone.managed - zone.wmark_pages(2)
    };
    assert!(
        dma32_left < 2560 && dma32_left + 1024 >= 2560,
        "{dma32_left}"
    );
    let mut events = Vec::new();
    allocator.offline_section(6, &mut events).unwrap().unwrap();
    assert!(events.iter().any(|e| matches!(e, Event::ZonelistsRebuilt)));
    assert!(allocator.page_group_by_mobility_disabled());
    allocator.online_section(6, &mut events).unwrap();
    assert!(!allocator.page_group_by_mobility_disabled());
    // The switch keeps grouping off through the same rebuilds.
    config.mobility_grouping = Some(false);
    let mut forced = Allocator::from_machine(&Machine::build(&config).unwrap()).unwrap();
    forced.offline_section(6, &mut events).unwrap().unwrap();
    forced.online_section(6, &mut events).unwrap();
    assert!(forced.page_group_by_mobility_disabled());
}
