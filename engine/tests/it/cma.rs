//! The "kernel built with CONFIG_CMA" option: where `cma=` puts the area, and who may
//! allocate from MIGRATE_CMA pageblocks.

use buddyscope_engine::alloc::reclaim::PageUse;
use buddyscope_engine::alloc::Allocator;
use buddyscope_engine::machine::{Machine, MachineConfig, NodeConfig};
use buddyscope_engine::types::gfp::Gfp;
use buddyscope_engine::types::{PfnRange, ZoneType};
use buddyscope_engine::{MigrateType, Pfn};

fn machine(memory: Vec<PfnRange>, cma_bytes: u64) -> Machine {
    let config = MachineConfig {
        nodes: vec![NodeConfig {
            memory,
            cpus: vec![0],
        }],
        cma_bytes: Some(cma_bytes),
        movable_node: None,
        ..MachineConfig::default()
    };
    Machine::build(&config).unwrap()
}

fn is_cma(allocator: &Allocator, pfn: Pfn) -> bool {
    let z = allocator.zone_of_pfn(pfn).unwrap();
    allocator.zones()[z].buddy.pageblock_type(pfn) == MigrateType::Cma
}

#[test]
fn the_area_goes_top_down_below_4g_and_bottom_up_from_4g_above() {
    // 2 GiB: 64 MiB = 16384 pages, 4 MiB aligned, at the top: [0x7c000, 0x80000).
    let m = machine(
        vec![PfnRange {
            start: 0x100,
            end: 0x80000,
        }],
        64 << 20,
    );
    assert_eq!(
        m.cma,
        Some(PfnRange {
            start: 0x7c000,
            end: 0x80000
        })
    );
    assert_eq!(m.zone(0, ZoneType::Dma32).unwrap().cma_pages, 16384);
    // 6 GiB with memory above 4 GiB: searched bottom-up from 4 GiB, in ZONE_NORMAL.
    let m = machine(
        vec![
            PfnRange {
                start: 0x100,
                end: 0xc0000,
            },
            PfnRange {
                start: 0x100000,
                end: 0x180000,
            },
        ],
        64 << 20,
    );
    assert_eq!(
        m.cma,
        Some(PfnRange {
            start: 0x100000,
            end: 0x104000
        })
    );
    assert_eq!(m.zone(0, ZoneType::Normal).unwrap().cma_pages, 16384);
    // Sizes round up to 4 MiB.
    let m = machine(
        vec![PfnRange {
            start: 0x100,
            end: 0x80000,
        }],
        1 << 20,
    );
    assert_eq!(m.cma.map(|r| r.end - r.start), Some(1024));
}

#[test]
fn an_area_that_cannot_fit_is_refused() {
    let config = MachineConfig {
        nodes: vec![NodeConfig {
            memory: vec![PfnRange {
                start: 0x100,
                end: 0x8000,
            }],
            cpus: vec![0],
        }],
        cma_bytes: Some(1 << 30),
        movable_node: None,
        ..MachineConfig::default()
    };
    let error = Machine::build(&config).unwrap_err();
    assert!(
        error.message.contains("cma=1G cannot be placed"),
        "{}",
        error.message
    );
}

#[test]
fn only_movable_requests_use_cma_and_they_prefer_it_when_it_holds_most_free_memory() {
    // 64 MiB with 48 MiB of CMA: CMA holds more than half of DMA32's free pages.
    let m = machine(
        vec![PfnRange {
            start: 0x1000,
            end: 0x5000,
        }],
        48 << 20,
    );
    let mut allocator = Allocator::from_machine(&m).unwrap();
    assert!(allocator.cma());
    let movable = Gfp::parse("GFP_HIGHUSER_MOVABLE").unwrap();
    let kernel = Gfp::parse("GFP_KERNEL").unwrap();
    // __rmqueue()'s balance rule: the movable request is served from CMA.
    let a = allocator
        .alloc_pages_node(0, movable, 3, &mut ())
        .unwrap()
        .unwrap();
    assert!(is_cma(&allocator, a.pfn));
    // Unmovable requests never get CMA pages, and once the rest is gone they fail
    // although CMA pages are free: the watermark check counts them out.
    let mut kernel_pages = 0;
    while let Some(a) = allocator
        .alloc_for(0, kernel, 0, PageUse::Kernel, 0, &mut ())
        .unwrap()
    {
        assert!(
            !is_cma(&allocator, a.pfn),
            "an unmovable request got CMA page {}",
            a.pfn
        );
        kernel_pages += 1;
    }
    assert!(kernel_pages > 2000 && kernel_pages < 4096, "{kernel_pages}");
    let z = allocator.zone_of_pfn(a.pfn).unwrap();
    assert!(allocator.free_cma_pages(z) > 10_000);
    // A movable request still succeeds, from CMA.
    let b = allocator
        .alloc_pages_node(0, movable, 0, &mut ())
        .unwrap()
        .unwrap();
    assert!(is_cma(&allocator, b.pfn));
    allocator.check_invariants().unwrap();
    // Freed CMA pages go back to the CMA lists (via the movable pcp list).
    allocator.free_pages(b.pfn, 0, &mut ()).unwrap();
    allocator.drain_all_pages(&mut ());
    allocator.check_invariants().unwrap();
}
