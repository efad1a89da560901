//! /proc/vmstat's counters against the events that move them: allocations raise
//! `pgalloc_<zone>` by their pages, frees raise `pgfree`, a kswapd run moves
//! `pageoutrun` and its scan and steal counters as its reclaim events say, direct
//! reclaim and compaction move `allocstall_*` and `compact_*`; on Linux 6.1 and 6.12.

use buddyscope_engine::alloc::reclaim::PageUse;
use buddyscope_engine::alloc::vmstat::{VmEvent, VM_EVENTS};
use buddyscope_engine::alloc::Allocator;
use buddyscope_engine::machine::{Machine, MachineConfig, NodeConfig};
use buddyscope_engine::report::vmstat::vmstat;
use buddyscope_engine::scenario::{library, parse_scenario};
use buddyscope_engine::session::{Operation, Session};
use buddyscope_engine::types::gfp::Gfp;
use buddyscope_engine::types::{Kernel, PfnRange};
use buddyscope_engine::view::{kernel_file_text, load, KernelFile};
use buddyscope_engine::{Event, Pfn};

const KERNELS: [Kernel; 2] = [Kernel::V6_1, Kernel::V6_12];

/// One node of 40 MiB (DMA below 16 MiB, DMA32 above), one CPU.
fn allocator(kernel: Kernel) -> Allocator {
    let config = MachineConfig {
        nodes: vec![NodeConfig {
            memory: vec![PfnRange {
                start: 0x100,
                end: 0x2800,
            }],
            cpus: vec![0],
        }],
        kernel,
        ..MachineConfig::default()
    };
    Allocator::from_machine(&Machine::build(&config).unwrap()).unwrap()
}

fn alloc(a: &mut Allocator, gfp: &str, order: u32) -> Pfn {
    a.alloc_for(
        0,
        Gfp::parse(gfp).unwrap(),
        order,
        PageUse::Kernel,
        0,
        &mut (),
    )
    .unwrap()
    .expect("the machine has room")
    .pfn
}

fn get(a: &Allocator, event: VmEvent) -> u64 {
    a.vm_events().get(event)
}

#[test]
fn allocations_raise_pgalloc_of_their_zone_by_their_pages() {
    for kernel in KERNELS {
        for order in [0u32, 2, 4, 9] {
            let mut a = allocator(kernel);
            let n = 5u64;
            for _ in 0..n {
                alloc(&mut a, "GFP_KERNEL", order);
            }
            // A per-cpu refill takes a batch off the buddy lists, but only the pages
            // handed out count.
            assert_eq!(
                get(&a, VmEvent::PgallocDma32),
                n << order,
                "{kernel} order {order}"
            );
            assert_eq!(get(&a, VmEvent::PgallocDma), 0, "{kernel} order {order}");
            alloc(&mut a, "GFP_DMA", order);
            assert_eq!(get(&a, VmEvent::PgallocDma), 1 << order, "{kernel}");
            assert_eq!(get(&a, VmEvent::PgallocDma32), n << order, "{kernel}");
            assert_eq!(get(&a, VmEvent::Pgfree), 0, "{kernel}: nothing freed yet");
        }
    }
}

#[test]
fn frees_raise_pgfree_by_their_pages_through_either_path() {
    for kernel in KERNELS {
        // Order 0 and 2 go through the per-cpu lists (free_unref_page_commit()),
        // order 4 straight to the buddy (__free_pages_ok(); 6.12's free_one_page()).
        for order in [0u32, 2, 4] {
            let mut a = allocator(kernel);
            let pfns: Vec<Pfn> = (0..7).map(|_| alloc(&mut a, "GFP_KERNEL", order)).collect();
            for (i, pfn) in pfns.iter().enumerate() {
                a.free_pages(*pfn, order, &mut ()).unwrap();
                assert_eq!(
                    get(&a, VmEvent::Pgfree),
                    (i as u64 + 1) << order,
                    "{kernel} order {order}"
                );
            }
            // Draining the per-cpu lists moves pages to the buddy lists, which the
            // kernel does not count again.
            let before = get(&a, VmEvent::Pgfree);
            a.drain_all_pages(&mut ());
            assert_eq!(get(&a, VmEvent::Pgfree), before, "{kernel}");
        }
    }
}

#[test]
fn vmstat_prints_the_kept_counters_in_the_kernels_order() {
    let mut a = allocator(Kernel::V6_1);
    for _ in 0..3 {
        alloc(&mut a, "GFP_KERNEL", 1);
    }
    let text = vmstat(&a);
    let names: Vec<&str> = text.lines().map(|l| l.split_once(' ').unwrap().0).collect();
    // vmstat_text[] of mm/vmstat.c (6.1 and 6.12), the kept entries only.
    let kernel_order = [
        "nr_free_pages",
        "pgalloc_dma",
        "pgalloc_dma32",
        "pgalloc_normal",
        "pgalloc_movable",
        "allocstall_dma",
        "allocstall_dma32",
        "allocstall_normal",
        "allocstall_movable",
        "pgfree",
        "pgsteal_kswapd",
        "pgsteal_direct",
        "pgscan_kswapd",
        "pgscan_direct",
        "pgscan_anon",
        "pgscan_file",
        "pgsteal_anon",
        "pgsteal_file",
        "kswapd_low_wmark_hit_quickly",
        "kswapd_high_wmark_hit_quickly",
        "pageoutrun",
        "drop_pagecache",
        "pgmigrate_success",
        "pgmigrate_fail",
        "compact_migrate_scanned",
        "compact_free_scanned",
        "compact_isolated",
        "compact_stall",
        "compact_fail",
        "compact_success",
    ];
    assert_eq!(names, kernel_order);
    assert!(text.contains("\npgalloc_dma32 6\n"), "{text}");
    // nr_free_pages is the folded zone counters summed (global_zone_page_state()).
    let free: i64 = a.zones().iter().map(|z| z.free_pages()).sum();
    assert!(
        text.starts_with(&format!("nr_free_pages {free}\n")),
        "{text}"
    );
    assert_eq!(VM_EVENTS.len() + 1, names.len());
    assert_eq!(kernel_file_text(&a, KernelFile::Vmstat).unwrap(), text);
}

/// Totals over a whole run: the counters against the events of every call.
#[derive(Debug, Default, PartialEq, Eq)]
struct FromEvents {
    pgalloc: u64,
    pageoutrun: u64,
    kswapd_reclaimed: u64,
    direct_reclaimed: u64,
    direct_reclaims: u64,
    high_wmark_hit_quickly: u64,
    migrated: u64,
}

fn from_events(session: &Session) -> FromEvents {
    let mut t = FromEvents::default();
    for call in session.calls_with_events() {
        let by_kswapd = matches!(
            call.operation,
            Operation::KswapdWoken { .. } | Operation::RunKswapd { .. }
        );
        let drop_caches = matches!(call.operation, Operation::DropCaches);
        for event in &call.events {
            match event {
                Event::Allocated { order, .. } => t.pgalloc += order.pages(),
                Event::KswapdRun { .. } => t.pageoutrun += 1,
                Event::Reclaimed { .. } if by_kswapd => t.kswapd_reclaimed += 1,
                Event::Reclaimed { .. } if !drop_caches => t.direct_reclaimed += 1,
                Event::DirectReclaim { .. } => t.direct_reclaims += 1,
                Event::KswapdTrySleep { sleeps: false, .. } => t.high_wmark_hit_quickly += 1,
                Event::Migrated { .. } => t.migrated += 1,
                Event::ContigMigrated { order, .. } => t.migrated += order.pages(),
                _ => {}
            }
        }
    }
    t
}

fn counted(a: &Allocator) -> FromEvents {
    let sum = |events: &[VmEvent]| events.iter().map(|e| get(a, *e)).sum::<u64>();
    FromEvents {
        pgalloc: sum(&[
            VmEvent::PgallocDma,
            VmEvent::PgallocDma32,
            VmEvent::PgallocNormal,
            VmEvent::PgallocMovable,
        ]),
        pageoutrun: get(a, VmEvent::Pageoutrun),
        kswapd_reclaimed: get(a, VmEvent::PgstealKswapd),
        direct_reclaimed: get(a, VmEvent::PgstealDirect),
        direct_reclaims: sum(&[
            VmEvent::AllocstallDma,
            VmEvent::AllocstallDma32,
            VmEvent::AllocstallNormal,
            VmEvent::AllocstallMovable,
        ]),
        high_wmark_hit_quickly: get(a, VmEvent::KswapdHighWmarkHitQuickly),
        migrated: get(a, VmEvent::PgmigrateSuccess),
    }
}

fn run(name: &str, kernel: Kernel) -> Session {
    let mut scenario = parse_scenario(library::get(name).unwrap().text).unwrap();
    scenario.machine.kernel = kernel;
    load(&scenario).unwrap().session
}

#[test]
fn reclaim_and_compaction_counters_follow_their_events() {
    for kernel in KERNELS {
        for name in ["watermark-boost", "oom", "compaction"] {
            let session = run(name, kernel);
            let a = session.current();
            let expected = from_events(&session);
            assert_eq!(counted(a), expected, "{name} on {kernel}");
            // In the model every page reclaim takes off the LRU is reclaimed.
            for (scan, steal) in [
                (VmEvent::PgscanKswapd, VmEvent::PgstealKswapd),
                (VmEvent::PgscanDirect, VmEvent::PgstealDirect),
                (VmEvent::PgscanFile, VmEvent::PgstealFile),
                (VmEvent::PgscanAnon, VmEvent::PgstealAnon),
            ] {
                assert_eq!(get(a, scan), get(a, steal), "{name} on {kernel}");
            }
            assert_eq!(
                get(a, VmEvent::PgstealKswapd) + get(a, VmEvent::PgstealDirect),
                get(a, VmEvent::PgstealFile) + get(a, VmEvent::PgstealAnon),
                "{name} on {kernel}"
            );
            // A direct compaction that ran ends in success or failure.
            assert_eq!(
                get(a, VmEvent::CompactStall),
                get(a, VmEvent::CompactSuccess) + get(a, VmEvent::CompactFail),
                "{name} on {kernel}"
            );
            // The model cannot be woken during kswapd's short sleep.
            assert_eq!(get(a, VmEvent::KswapdLowWmarkHitQuickly), 0);
        }
    }
}

#[test]
fn the_lessons_move_the_counters_they_are_about() {
    for kernel in KERNELS {
        let boost = run("watermark-boost", kernel);
        let a = boost.current();
        assert!(get(a, VmEvent::Pageoutrun) > 0, "{kernel}: kswapd ran");
        assert!(
            get(a, VmEvent::PgstealKswapd) > 0,
            "{kernel}: kswapd reclaimed"
        );
        let compaction = run("compaction", kernel);
        let a = compaction.current();
        assert!(
            get(a, VmEvent::CompactStall) > 0,
            "{kernel}: compaction ran"
        );
        assert!(
            get(a, VmEvent::PgmigrateSuccess) > 0,
            "{kernel}: pages moved"
        );
        assert!(
            get(a, VmEvent::CompactIsolated) >= 2 * get(a, VmEvent::PgmigrateSuccess),
            "{kernel}: each moved page was isolated, and so was its target"
        );
    }
}

#[test]
fn a_kswapd_call_moves_pageoutrun_and_its_scan_by_its_own_events() {
    for kernel in KERNELS {
        let session = run("watermark-boost", kernel);
        let index = session
            .calls()
            .iter()
            .position(|c| matches!(c.operation, Operation::KswapdWoken { .. }))
            .expect("the lesson wakes kswapd");
        let before = session.state_after(index);
        let after = session.state_after(index + 1);
        let events = session.events(index);
        let runs = events
            .iter()
            .filter(|e| matches!(e, Event::KswapdRun { .. }))
            .count() as u64;
        let reclaimed = events
            .iter()
            .filter(|e| matches!(e, Event::Reclaimed { .. }))
            .count() as u64;
        let delta = |e: VmEvent| get(&after, e) - get(&before, e);
        assert!(runs > 0);
        assert_eq!(delta(VmEvent::Pageoutrun), runs, "{kernel}");
        assert_eq!(delta(VmEvent::PgscanKswapd), reclaimed, "{kernel}");
        assert_eq!(delta(VmEvent::PgstealKswapd), reclaimed, "{kernel}");
        assert_eq!(delta(VmEvent::PgscanDirect), 0, "{kernel}");
        // Each reclaimed page goes back through the free path.
        assert!(delta(VmEvent::Pgfree) >= reclaimed, "{kernel}");
    }
}

#[test]
fn drop_caches_counts_drop_pagecache_and_no_scan() {
    for kernel in KERNELS {
        let mut a = allocator(kernel);
        for owner in 0..40 {
            a.alloc_for(
                0,
                Gfp::parse("GFP_HIGHUSER_MOVABLE").unwrap(),
                0,
                PageUse::PageCache,
                owner,
                &mut (),
            )
            .unwrap()
            .unwrap();
        }
        let freed = a.drop_caches(&mut ());
        assert_eq!(freed, 40);
        assert_eq!(get(&a, VmEvent::DropPagecache), 1, "{kernel}");
        assert_eq!(get(&a, VmEvent::PgscanDirect), 0, "{kernel}");
        assert_eq!(get(&a, VmEvent::PgstealKswapd), 0, "{kernel}");
        assert_eq!(get(&a, VmEvent::Pgfree), 40, "{kernel}");
    }
}

#[test]
fn the_pages_kernel_files_are_the_clis_text() {
    use buddyscope_engine::report::{extfrag, proc};
    let mut a = allocator(Kernel::V6_12);
    alloc(&mut a, "GFP_KERNEL", 3);
    let expected = [
        (KernelFile::Buddyinfo, proc::buddyinfo_running(&a)),
        (
            KernelFile::Pagetypeinfo,
            proc::pagetypeinfo_running(&a).unwrap(),
        ),
        (KernelFile::Zoneinfo, proc::zoneinfo_running(&a).unwrap()),
        (KernelFile::Vmstat, vmstat(&a)),
        (KernelFile::UnusableIndex, extfrag::unusable_index(&a)),
        (KernelFile::ExtfragIndex, extfrag::extfrag_index(&a)),
    ];
    for (file, text) in expected {
        assert_eq!(kernel_file_text(&a, file).unwrap(), text, "{file:?}");
        assert_eq!(KernelFile::from_name(file.name()), Some(file));
    }
    assert_eq!(KernelFile::from_name("meminfo"), None);
    // A state without a booted machine (as loaded from a kernel's dump) says why
    // pagetypeinfo and zoneinfo are missing, and still prints the rest.
    let empty = Allocator::empty();
    let why = kernel_file_text(&empty, KernelFile::Zoneinfo).unwrap_err();
    assert!(
        why.starts_with("/proc/zoneinfo needs the booted machine's zones"),
        "{why}"
    );
    assert!(kernel_file_text(&empty, KernelFile::Pagetypeinfo).is_err());
    assert_eq!(
        kernel_file_text(&empty, KernelFile::Vmstat)
            .unwrap()
            .lines()
            .next(),
        Some("nr_free_pages 0")
    );
}
