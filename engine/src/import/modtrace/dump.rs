//! A state dump as plain data: what one `dump begin` ... `dump end` block of the
//! kernel module holds, node by node and zone by zone. [`super::parse_dump()`] reads one
//! and [`super::write_dump()`] prints it back.

use crate::alloc::{NodeState, PcpTuning};
use crate::types::{
    Kernel, MigrateType, ZoneType, MAX_NR_ZONES, MIGRATE_TYPES, NR_ORDERS, NR_PCP_LISTS,
};

/// A `node` line and its two `zonelist` lines. They print exactly the fields the
/// allocator keeps for a node, so a dump's node is the allocator's [`NodeState`] and
/// loads and prints without a copy: `kswapd_highest_zoneidx` is `MAX_NR_ZONES` (5)
/// when no wakeup is pending, as the kernel resets it; `cpus=` prints in the kernel's
/// `%*pbl` list form (`0`, `0-3,6`, empty); the zonelists are ZONELIST_FALLBACK and
/// ZONELIST_NOFALLBACK (used with __GFP_THISNODE) as (nid, zone) in zoneref order.
pub type NodeDump = NodeState;

/// One CPU's part of a `nr_free_pages` line (`cpuN_diff=D cpuN_threshold=T`): the
/// allocator's own per-cpu counter state (`diff` is `vm_stat_diff[NR_FREE_PAGES]`,
/// an s8 in the kernel, not yet folded into the global counter).
pub type CpuStat = crate::alloc::CpuStat;

/// One entry of a pcp list.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PcpPage {
    pub pfn: u64,
    /// The migratetype the dump prints after the pfn (`pfn/X`), when it differs from
    /// the list's type and always on list 12 (`N`). Version 1 (Linux 6.1) prints the
    /// type cached in the page (`page->index`) at free time; version 2 (Linux 6.12,
    /// which caches none) prints the type of the page's pageblock at dump time, the
    /// free list the page would join if it were drained now.
    pub cached: Option<MigrateType>,
}

/// A `pcp` line and its [`NR_PCP_LISTS`] `pcplist` lines.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PcpDump {
    pub cpu: u32,
    /// The CPU the section ran on.
    pub current: bool,
    /// Pages on the lists: each entry of list PINDEX counts 2^order (`pcp_list_kind`).
    pub count: u64,
    pub high: u64,
    pub batch: u64,
    /// Version 1 (Linux 6.1) only: `free_factor`; 0 in version 2.
    pub free_factor: u64,
    /// Version 2 (Linux 6.12) only: `high_min= high_max= flags= alloc_factor=
    /// free_count=`, the fields Linux 6.7 added to tune `high` at run time. `None` in
    /// version 1; a version-2 dump written with `None` prints them as 0.
    pub tuning: Option<PcpTuning>,
    pub expire: u64,
    /// NR_PCP_LISTS = 14 lists by pindex, each head first.
    pub lists: Vec<Vec<PcpPage>>,
}

impl Default for PcpDump {
    /// CPU 0 with all counters 0 and 14 empty lists.
    fn default() -> PcpDump {
        PcpDump {
            cpu: 0,
            current: false,
            count: 0,
            high: 0,
            batch: 0,
            free_factor: 0,
            tuning: None,
            expire: 0,
            lists: vec![Vec::new(); NR_PCP_LISTS],
        }
    }
}

/// One populated zone's block of a dump.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ZoneDump {
    pub nid: u32,
    pub zone: ZoneType,
    pub zid: u32,
    pub start_pfn: u64,
    pub end_pfn: u64,
    pub spanned: u64,
    pub present: u64,
    pub managed: u64,
    /// The raw `zone->_watermark[]`; the kernel's `*_wmark_pages()` add `boost`.
    pub min: u64,
    pub low: u64,
    pub high: u64,
    pub boost: u64,
    pub nr_reserved_highatomic: u64,
    /// Bit 0 ZONE_BOOSTED_WATERMARK, bit 1 ZONE_RECLAIM_ACTIVE, bit 2 ZONE_BELOW_HIGH
    /// (Linux 6.7 and later, so version 2 only).
    pub flags: u64,
    pub nr_isolate_pageblock: u64,
    pub percpu_drift_mark: u64,
    /// `pageset_high=` in version 1; `pageset_high_min=` in version 2.
    pub pageset_high: u64,
    /// Version 2 only (0 in version 1): `pageset_high_max=`.
    pub pageset_high_max: u64,
    pub pageset_batch: u64,
    /// Version 2 only (0 in version 1): `nr_free_highatomic=`, the free pages on the
    /// HIGHATOMIC lists by 6.12's own count.
    pub nr_free_highatomic: u64,
    /// Version 2 only (0 in version 1): `promo=`, the raw `_watermark[WMARK_PROMO]`.
    pub promo: u64,
    /// Version 2 only (0 in version 1): `unaccepted=`, MAX_PAGE_ORDER blocks on
    /// `zone->unaccepted_pages`.
    pub unaccepted: u64,
    pub lowmem_reserve: [u64; MAX_NR_ZONES],
    /// `global=`: `zone->vm_stat[NR_FREE_PAGES]`, what the watermark checks read.
    pub nr_free_pages_global: i64,
    /// `snapshot=`: global plus every CPU's unfolded diff.
    pub nr_free_pages_snapshot: i64,
    /// One entry per CPU of the `nr_free_pages` line, in line order.
    pub cpu_stats: Vec<CpuStat>,
    /// `free_area[order].nr_free`, counting blocks.
    pub nr_free: [u64; NR_ORDERS],
    /// `free_area[order].free_list[mt]`, head first: `free[order][mt.index()]`.
    /// (A pfn the module marks `!`, not a buddy page, makes `parse_dump` fail.)
    pub free: Vec<Vec<Vec<u64>>>,
    pub buddy_pages: u64,
    /// One per online CPU.
    pub pcps: Vec<PcpDump>,
    pub pageblocks_first_pfn: u64,
    /// One entry per pageblock from pageblocks_first_pfn; None for `-` (no memmap).
    pub pageblocks: Vec<Option<MigrateType>>,
}

impl Default for ZoneDump {
    /// Node 0 DMA with every number 0, 11 × 5 empty free lists and nothing else:
    /// a base for `ZoneDump { .., ..Default::default() }`.
    fn default() -> ZoneDump {
        ZoneDump {
            nid: 0,
            zone: ZoneType::Dma,
            zid: 0,
            start_pfn: 0,
            end_pfn: 0,
            spanned: 0,
            present: 0,
            managed: 0,
            min: 0,
            low: 0,
            high: 0,
            boost: 0,
            nr_reserved_highatomic: 0,
            flags: 0,
            nr_isolate_pageblock: 0,
            percpu_drift_mark: 0,
            pageset_high: 0,
            pageset_high_max: 0,
            pageset_batch: 0,
            nr_free_highatomic: 0,
            promo: 0,
            unaccepted: 0,
            lowmem_reserve: [0; MAX_NR_ZONES],
            nr_free_pages_global: 0,
            nr_free_pages_snapshot: 0,
            cpu_stats: Vec::new(),
            nr_free: [0; NR_ORDERS],
            free: vec![vec![Vec::new(); MIGRATE_TYPES]; NR_ORDERS],
            buddy_pages: 0,
            pcps: Vec::new(),
            pageblocks_first_pfn: 0,
            pageblocks: Vec::new(),
        }
    }
}

/// A line inside a dump that the typed fields do not hold (`warn ...`, `note ...`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ExtraLine {
    /// Index of the dump line it follows, counting only the typed lines from
    /// `dump begin` (0) on: `write_dump` prints it right after that line.
    pub after: usize,
    /// The whole line, verbatim.
    pub line: String,
}

/// One state dump: `dump begin LABEL run=N t_ns=T` ... `dump end LABEL`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StateDump {
    /// The format, which is the kernel's: version 1 is Linux 6.1's ([`Kernel::V6_1`],
    /// also the default), version 2 Linux 6.12's ([`Kernel::V6_12`]). A dump does not
    /// name its version; [`super::parse_dump()`] tells it from the `zone` lines
    /// (`pageset_high=` or `pageset_high_min=`), and a dump without zones reads as
    /// version 1, which prints the same.
    pub kernel: Kernel,
    pub label: String,
    pub run: u32,
    /// Online nodes, ascending.
    pub nodes: Vec<NodeDump>,
    /// Populated zones; `write_dump` prints each after the node with its `nid`.
    pub zones: Vec<ZoneDump>,
    /// Lines the format allows but the fields above do not hold (`warn ...`,
    /// `note ...`), verbatim, in order of appearance, each with the index of the line
    /// it followed.
    pub extra: Vec<ExtraLine>,
}
