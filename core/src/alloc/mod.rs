//! The page allocator of Linux 6.1 at run time: every populated zone's buddy lists,
//! per-cpu page lists and free-page counter, and the allocation and free paths that
//! change them, one function per kernel function.
//!
//! - allocation: `__alloc_pages()` → `get_page_from_freelist()` (zonelist walk,
//!   `zone_watermark_fast()` / `__zone_watermark_ok()`) → `rmqueue()` →
//!   `rmqueue_pcplist()` (`rmqueue_bulk()` refills) or `rmqueue_buddy()` →
//!   `__rmqueue()` → `__rmqueue_smallest()` / `__rmqueue_fallback()` with
//!   `steal_suitable_fallback()`; the slow path for callers that cannot sleep
//!   (`gfp_to_alloc_flags()`, `wake_all_kswapds()`, the retry with reserves);
//!   `reserve_highatomic_pageblock()`.
//! - free: `__free_pages()` → `free_unref_page()` → `free_unref_page_commit()` →
//!   `free_pcppages_bulk()`, or `__free_pages_ok()` → `__free_one_page()`.
//! - counters: `NR_FREE_PAGES` with per-cpu deltas folded at `stat_threshold`, as
//!   `__mod_zone_page_state()` does; the watermark checks read the folded value.
//!
//! - the slow path of callers that can sleep: direct reclaim and compaction, kswapd
//!   and the OOM decision, as the labelled reduced model of the [`reclaim`] module.
//! - [`contig`]: `split_page()`, `alloc_pages_exact()`, pageblock isolation and
//!   `alloc_contig_range()`; [`hotplug`]: offlining and onlining sparsemem sections.
//!
//! Each step of those paths has its own file: [`page_alloc`](self) holds the entry
//! points and the zonelist walk, then `watermark`, `rmqueue`, `free`, `setup` (boot
//! and sysctls) and `check` (the invariants). What the model still leaves out is
//! listed in [`NOT_MODELLED`], which the page and the docs show.

mod check;
mod claim;
pub mod contig;
mod free;
pub mod hotplug;
pub(crate) mod journal;
#[cfg(test)]
mod mobility_tests;
#[cfg(test)]
mod numa_tests;
mod page_alloc;
#[cfg(test)]
mod pcp_quiet_tests;
mod pcp_tuning;
mod place;
pub mod reclaim;
mod rmqueue;
mod setup;
pub mod vmstat;
mod watermark;
#[cfg(test)]
mod watermark_tests;

use rmqueue::can_steal_fallback;
pub use rmqueue::fallbacks;

use std::collections::VecDeque;
use std::rc::Rc;

use crate::buddy::BuddyZone;
use crate::types::ZoneType;
use crate::types::{MigrateType, Order, Pfn, NR_PCP_LISTS, PAGEBLOCK_ORDER, PAGEBLOCK_PAGES};

/// Parts of the allocator the model does not run yet; the page and the docs show
/// this list.
pub const NOT_MODELLED: &[&str] = &[
    "Reclaim, compaction and kswapd are a reduced model (see the reclaim module): one LRU list, no ageing or writeback; compaction moves LRU pages into free pages of MOVABLE pageblocks.",
    "kswapd runs to completion as a call of its own right after the operation that woke it (or only where a workload says `kswapd`, with `[workload] kswapd = \"manual\"`), never beside an allocation; kcompactd never runs; the OOM killer decides but does not kill.",
    "cpusets and kernelcore=mirror; CMA only as the optional CONFIG_CMA kernel (a scenario's `cma =`).",
    "Memory hotplug offlines sections present at boot and onlines them back into the zone they left: no hot-add, no choice of zone, spans do not shrink (see the hotplug module).",
];

/// `PAGE_ALLOC_COSTLY_ORDER`.
pub const COSTLY_ORDER: u8 = 3;
/// `CONFIG_PCP_BATCH_SCALE_MAX`.
pub const PCP_BATCH_SCALE_MAX: u32 = 5;
/// Zone flag `ZONE_BOOSTED_WATERMARK`.
pub const ZONE_BOOSTED_WATERMARK: u64 = 1 << 0;
/// Zone flag `ZONE_RECLAIM_ACTIVE`.
pub const ZONE_RECLAIM_ACTIVE: u64 = 1 << 1;
/// Zone flag `ZONE_BELOW_HIGH` (Linux 6.7 and later): `get_page_from_freelist()` saw
/// the zone below its high watermark; per-cpu `high` shrinks on frees until a drain
/// finds it above again.
pub const ZONE_BELOW_HIGH: u64 = 1 << 2;
/// Per-cpu flag `PCPF_PREV_FREE_HIGH_ORDER` (6.7+): the last free was of order 1-3.
pub const PCPF_PREV_FREE_HIGH_ORDER: u8 = 1 << 0;
/// Per-cpu flag `PCPF_FREE_HIGH_BATCH` (6.7+): keep a batch on the list before a
/// `free_high` drain.
pub const PCPF_FREE_HIGH_BATCH: u8 = 1 << 1;
/// `MAX_NR_ZONES`, the value of `kswapd_highest_zoneidx` while kswapd sleeps.
pub const KSWAPD_IDLE_ZONEIDX: u32 = 5;

/// A page on a per-cpu list and the migratetype cached in it (`page->index`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PcpPage {
    pub pfn: u64,
    pub migratetype: MigrateType,
}

/// One CPU's `per_cpu_pages` for one zone.
#[derive(PartialEq, Eq)]
pub struct Pcp {
    pub cpu: u32,
    pub count: u64,
    pub high: u64,
    pub batch: u64,
    /// 6.1's `free_factor` (0 on 6.12, which counts `free_count` instead).
    pub free_factor: u32,
    pub expire: u64,
    /// `lists[pindex]`, head first.
    pub lists: Vec<VecDeque<PcpPage>>,
    /// The fields Linux 6.7 added for tuning `high` at run time; `None` on 6.1.
    pub tuning: Option<PcpTuning>,
}

/// Written by hand so that an empty list is copied as a new one: a copy of the state
/// (a session's checkpoint) holds a list per zone, CPU and pindex, 84 on the default
/// scenario's machine and nearly all empty, and a `VecDeque`'s clone goes through
/// its iterator even when it is empty (docs/performance.md, branch rec16).
impl Clone for Pcp {
    fn clone(&self) -> Pcp {
        Pcp {
            cpu: self.cpu,
            count: self.count,
            high: self.high,
            batch: self.batch,
            free_factor: self.free_factor,
            expire: self.expire,
            lists: self
                .lists
                .iter()
                .map(|list| {
                    if list.is_empty() {
                        VecDeque::new()
                    } else {
                        list.clone()
                    }
                })
                .collect(),
            tuning: self.tuning,
        }
    }
}

/// The run-time tuning state of a 6.12 `per_cpu_pages`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PcpTuning {
    /// `high_min` and `high_max`: the range `high` is clamped to.
    pub high_min: u64,
    pub high_max: u64,
    /// `PCPF_PREV_FREE_HIGH_ORDER` | `PCPF_FREE_HIGH_BATCH`.
    pub flags: u8,
    /// `alloc_factor`: refills are `batch << alloc_factor` pages (order 0).
    pub alloc_factor: u32,
    /// `free_count`: pages freed since the last allocation halved it.
    pub free_count: u64,
}

/// Written by hand so that a 6.1 pageset prints exactly as it did before
/// [`Pcp::tuning`] existed (the run digests hash this text).
impl core::fmt::Debug for Pcp {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let mut out = f.debug_struct("Pcp");
        out.field("cpu", &self.cpu)
            .field("count", &self.count)
            .field("high", &self.high)
            .field("batch", &self.batch)
            .field("free_factor", &self.free_factor)
            .field("expire", &self.expire)
            .field("lists", &self.lists);
        if let Some(tuning) = &self.tuning {
            out.field("tuning", tuning);
        }
        out.finish()
    }
}

/// One CPU's view of `NR_FREE_PAGES`: its not yet folded delta and threshold.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CpuStat {
    pub cpu: u32,
    pub diff: i64,
    pub threshold: i64,
}

/// A populated zone at run time.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ZoneState {
    pub nid: u32,
    pub zone: ZoneType,
    pub buddy: BuddyZone,
    pub spanned: u64,
    pub present: u64,
    pub managed: u64,
    /// Raw `_watermark[WMARK_MIN..=WMARK_HIGH]` (without boost).
    pub watermark: [u64; 3],
    pub watermark_boost: u64,
    pub nr_reserved_highatomic: u64,
    pub flags: u64,
    pub nr_isolate_pageblock: u64,
    pub percpu_drift_mark: u64,
    /// `pageset_high` on 6.1; `pageset_high_min` on 6.12.
    pub pageset_high: u64,
    /// `pageset_high_max` on 6.12; equal to `pageset_high` on 6.1.
    pub pageset_high_max: u64,
    pub pageset_batch: u64,
    /// `nr_free_highatomic` (6.12): free pages on the highatomic lists, which 6.12's
    /// watermark checks hold back (6.1 holds back `nr_reserved_highatomic`). Kept,
    /// but not read, on 6.1.
    pub nr_free_highatomic: u64,
    pub lowmem_reserve: [u64; 5],
    /// `vm_stat[NR_FREE_PAGES]`: what the watermark checks read.
    pub free_pages_global: i64,
    pub cpu_stats: Vec<CpuStat>,
    pub pcps: Vec<Pcp>,
    /// Where changes are recorded while a session steps through a call (see the
    /// `journal` module); off otherwise, and never part of what a zone is.
    pub recorder: crate::buddy::journal::Recorder,
}

impl ZoneState {
    /// `wmark_pages()`: a watermark plus the boost.
    pub fn wmark_pages(&self, index: usize) -> u64 {
        self.watermark.get(index).copied().unwrap_or(0) + self.watermark_boost
    }

    /// `zone_page_state(zone, NR_FREE_PAGES)`: the folded counter, never negative.
    pub fn free_pages(&self) -> i64 {
        self.free_pages_global.max(0)
    }

    /// `zone_page_state_snapshot()`: the counter plus every CPU's delta.
    pub fn free_pages_snapshot(&self) -> i64 {
        self.free_pages_global + self.cpu_stats.iter().map(|s| s.diff).sum::<i64>()
    }

    /// Where `cpu`'s pageset sits in `pcps`, if the zone has one for it.
    ///
    /// A zone has one pageset a CPU, made in the order of the online CPUs
    /// (ascending, each once), so with CPUs numbered from 0 CPU n's sits at n: that
    /// slot is tried first, and the search (the same first match, as no two
    /// pagesets share a CPU) runs only when it holds another CPU's. Why: the
    /// per-cpu paths look the pageset up on every allocation and free, and in wasm
    /// a loop costs more than in native code (V8 checks for interrupts on each
    /// iteration and keeps fewer values in registers around it).
    #[inline]
    pub(crate) fn pcp_slot(&self, cpu: u32) -> Option<usize> {
        let at = cpu as usize;
        match self.pcps.get(at) {
            Some(pcp) if pcp.cpu == cpu => Some(at),
            _ => self.pcps.iter().position(|p| p.cpu == cpu),
        }
    }

    #[inline]
    fn pcp_mut(&mut self, cpu: u32) -> Option<&mut Pcp> {
        self.pcps.iter_mut().find(|p| p.cpu == cpu)
    }

    /// `__mod_zone_page_state(zone, NR_FREE_PAGES, delta)` on `cpu`.
    fn mod_free_pages(&mut self, cpu: u32, delta: i64) {
        match self.cpu_stats.iter_mut().find(|s| s.cpu == cpu) {
            Some(stat) => {
                let x = stat.diff + delta;
                if x.abs() > stat.threshold {
                    self.free_pages_global += x;
                    stat.diff = 0;
                } else {
                    stat.diff = x;
                }
            }
            None => self.free_pages_global += delta,
        }
        self.note();
    }
}

/// A node at run time.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NodeState {
    pub nid: u32,
    pub start_pfn: u64,
    pub spanned: u64,
    pub present: u64,
    pub kswapd_order: u32,
    pub kswapd_highest_zoneidx: u32,
    pub kswapd_failures: u32,
    /// kswapd was woken (`wakeup_kswapd()` took it off its wait queue) and has not
    /// run yet: a session runs it as a call of its own after the waking call (see
    /// the session module). Not in a kernel's state dump (false when one is loaded).
    pub kswapd_woken: bool,
    pub cpus: Vec<u32>,
    /// `node_zonelists[ZONELIST_FALLBACK]` as (node id, zone type) pairs, in the order
    /// the walk tries them; [`Allocator::zones`] holds only populated zones, so an
    /// entry may name a zone the allocator does not hold (the walk skips it).
    pub fallback: Vec<(u32, ZoneType)>,
    /// `node_zonelists[ZONELIST_NOFALLBACK]`.
    pub nofallback: Vec<(u32, ZoneType)>,
}

/// A node's fallback and `__GFP_THISNODE` zonelists as indexes into
/// [`Allocator::zones`].
pub type ZonelistIndexes = (Rc<[usize]>, Rc<[usize]>);

/// The whole allocator.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Allocator {
    /// Whose allocation and free rules run: Linux 6.1 or 6.12.
    pub(crate) kernel: crate::types::Kernel,
    pub(crate) nodes: Vec<NodeState>,
    pub(crate) zones: Vec<ZoneState>,
    /// The CPU the next operation runs on.
    pub(crate) cpu: u32,
    pub(crate) online_cpus: Vec<u32>,
    /// `vm.watermark_boost_factor`.
    pub(crate) watermark_boost_factor: u32,
    /// Reclaimable and movable pages in use, oldest first (see [`reclaim`]).
    pub(crate) lru: reclaim::Lru,
    /// Whether anonymous pages can be reclaimed (swap is configured).
    pub(crate) swap: bool,
    /// A kernel built with CONFIG_CMA (the reference kernel is not): movable
    /// requests get ALLOC_CMA and may use MIGRATE_CMA pageblocks.
    pub(crate) cma: bool,
    /// `page_group_by_mobility_disabled` as `build_all_zonelists()` set it at boot
    /// (or the scenario's switch): every request is Unmovable-typed
    /// ([`Allocator::gfp_migratetype`]) and every fallback claims its pageblock.
    /// Decided again when memory hotplug rebuilds the zonelists
    /// ([`Allocator::build_all_zonelists_decides_grouping`]).
    pub(crate) mobility_disabled: bool,
    /// The machine this allocator booted on, kept so a sysctl write can recompute
    /// what the kernel recomputes; `None` for a state loaded from a kernel dump.
    /// Shared between copies of the state (a checkpoint's copy cost about 6,600
    /// native instructions and 16 allocations for it) and copied when one changes
    /// it, which only a sysctl write or memory hotplug does.
    pub(crate) machine: Option<std::rc::Rc<crate::machine::Machine>>,
    /// Sparsemem sections offlined by memory hotplug, ascending.
    pub(crate) offline_sections: Vec<u64>,
    /// Each node's two zonelists as indexes into `zones`, built once (see
    /// [`Allocator::index_zonelists`]) so an allocation does not rebuild them.
    pub(crate) zonelist_indexes: Vec<ZonelistIndexes>,
    /// The `/proc/vmstat` event counters the model keeps (see [`vmstat`]).
    pub(crate) vm_events: vmstat::VmEvents,
    /// Where changes are recorded while a session steps through a call (see the
    /// `journal` module); off otherwise, and never part of what a state is.
    pub(crate) recorder: crate::buddy::journal::Recorder,
}

/// Read access for the front ends and tests: the fields themselves are the engine's
/// to change, through the kernel's own paths (allocation, free, sysctl, hotplug).
impl Allocator {
    /// An allocator with no nodes and no zones, CPU 0 online: what a front end holds
    /// before any machine could be built, so it still has a state to draw.
    pub fn empty() -> Allocator {
        Allocator {
            kernel: crate::types::Kernel::V6_1,
            nodes: Vec::new(),
            zones: Vec::new(),
            cpu: 0,
            online_cpus: vec![0],
            watermark_boost_factor: 0,
            lru: reclaim::Lru::default(),
            swap: false,
            cma: false,
            mobility_disabled: false,
            machine: None,
            offline_sections: Vec::new(),
            zonelist_indexes: Vec::new(),
            vm_events: vmstat::VmEvents::default(),
            recorder: crate::buddy::journal::Recorder::default(),
        }
    }

    /// An allocator of `kernel` with the nodes, zones and CPUs a kernel state dump
    /// gives, no machine, no LRU, swap, CMA or hotplug state, grouping by mobility on.
    #[doc(hidden)] // pub for buddyscope-engine's modtrace loader (`AllocatorDump`)
    pub fn from_dump_parts(
        kernel: crate::types::Kernel,
        nodes: Vec<NodeState>,
        zones: Vec<ZoneState>,
        cpu: u32,
        online_cpus: Vec<u32>,
        watermark_boost_factor: u32,
    ) -> Allocator {
        Allocator {
            kernel,
            nodes,
            zones,
            cpu,
            online_cpus,
            watermark_boost_factor,
            ..Allocator::empty()
        }
        .with_zonelist_indexes()
    }

    /// Whose allocation and free rules this allocator runs.
    pub fn kernel(&self) -> crate::types::Kernel {
        self.kernel
    }

    /// `page_group_by_mobility_disabled`: whether grouping pages by mobility is off.
    pub fn page_group_by_mobility_disabled(&self) -> bool {
        self.mobility_disabled
    }

    /// `gfp_migratetype()` (include/linux/gfp.h, 6.1 and 6.12): the mask's
    /// movable/reclaimable bits as a migratetype, or MIGRATE_UNMOVABLE for every
    /// request while grouping by mobility is off.
    pub fn gfp_migratetype(&self, gfp: crate::types::gfp::Gfp) -> crate::types::MigrateType {
        if self.mobility_disabled {
            crate::types::MigrateType::Unmovable
        } else {
            gfp.migratetype()
        }
    }

    /// The nodes, by node id.
    pub fn nodes(&self) -> &[NodeState] {
        &self.nodes
    }

    /// The populated zones, node by node and lowest zone first.
    pub fn zones(&self) -> &[ZoneState] {
        &self.zones
    }

    /// The CPU the next operation runs on.
    pub fn cpu(&self) -> u32 {
        self.cpu
    }

    /// The online CPUs, ascending.
    pub fn online_cpus(&self) -> &[u32] {
        &self.online_cpus
    }

    /// `vm.watermark_boost_factor`.
    pub fn watermark_boost_factor(&self) -> u32 {
        self.watermark_boost_factor
    }

    /// Reclaimable and movable pages in use, oldest first.
    pub fn lru(&self) -> &reclaim::Lru {
        &self.lru
    }

    /// Whether anonymous pages can be reclaimed (swap is configured).
    pub fn swap(&self) -> bool {
        self.swap
    }

    /// Configures swap: whether reclaim may take anonymous pages.
    pub fn set_swap(&mut self, swap: bool) {
        self.swap = swap;
    }

    /// Whether this is a CONFIG_CMA kernel.
    pub fn cma(&self) -> bool {
        self.cma
    }

    /// The machine this allocator booted on; `None` for a state loaded from a kernel
    /// dump.
    pub fn machine(&self) -> Option<&crate::machine::Machine> {
        self.machine.as_deref()
    }

    /// Sparsemem sections offlined by memory hotplug, ascending.
    pub fn offline_sections(&self) -> &[u64] {
        &self.offline_sections
    }

    /// Marks the in-use page at `pfn` as one the kernel could migrate (PageLRU or
    /// __PageMovable), or clears the mark, as a caller that puts the page on an LRU or
    /// takes it off would. `false` if no zone holds the pfn.
    pub fn set_page_movable(&mut self, pfn: Pfn, movable: bool) -> bool {
        match self.zone_of_pfn(pfn) {
            Some(z) => {
                self.zones[z].buddy.set_page_movable(pfn, movable);
                true
            }
            None => false,
        }
    }
}

/// What a successful allocation returned.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Allocation {
    pub pfn: Pfn,
    pub order: Order,
    pub node: u32,
    pub zone: ZoneType,
}

/// `struct alloc_context`.
struct AllocContext {
    highest_zoneidx: ZoneType,
    /// The zonelist as zone indexes, with the preferred zoneref's position.
    zonelist: Rc<[usize]>,
    preferred: Option<usize>,
    migratetype: MigrateType,
}

/// The pcp list index of `order_to_pindex()`.
pub fn order_to_pindex(migratetype: MigrateType, order: Order) -> usize {
    if order.get() > COSTLY_ORDER {
        12 + usize::from(migratetype == MigrateType::Movable)
    } else {
        3 * order.get() as usize + migratetype.index()
    }
}

/// `pindex_to_order()`.
pub fn pindex_to_order(pindex: usize) -> Order {
    if pindex >= 12 {
        Order::new(u32::from(PAGEBLOCK_ORDER)).unwrap_or(Order::ZERO)
    } else {
        Order::new((pindex / 3) as u32).unwrap_or(Order::ZERO)
    }
}

/// `pcp_allowed_order()`: orders up to PAGE_ALLOC_COSTLY_ORDER, and the THP order.
pub fn pcp_allowed_order(order: Order) -> bool {
    order.get() <= COSTLY_ORDER || order.get() == PAGEBLOCK_ORDER
}

impl Allocator {
    /// The index in [`Allocator::zones`] of a node's zone.
    pub fn zone_index(&self, nid: u32, zone: ZoneType) -> Option<usize> {
        self.zones
            .iter()
            .position(|z| z.nid == nid && z.zone == zone)
    }

    /// The zone whose span holds `pfn` (`page_zone()`).
    #[inline]
    pub fn zone_of_pfn(&self, pfn: Pfn) -> Option<usize> {
        self.zones
            .iter()
            .position(|z| z.buddy.start_pfn() <= pfn && pfn < z.buddy.end_pfn())
    }

    /// `numa_mem_id()`: the node of the current CPU, even a node without memory. The
    /// reference kernel (x86-64) does not select CONFIG_HAVE_MEMORYLESS_NODES, so
    /// `numa_mem_id()` is `numa_node_id()` there: a CPU on a memoryless node allocates
    /// through that node's own zonelist, which holds only other nodes' zones (and its
    /// `__GFP_THISNODE` list is empty). Architectures with memoryless-node support
    /// would name the first node of that zonelist instead (`local_memory_node()`).
    #[inline]
    pub fn numa_mem_id(&self) -> u32 {
        // One node: it is the answer whether it lists the CPU or not (the fallback
        // below is the first node), so the CPU lists need no search.
        if let [only] = self.nodes.as_slice() {
            return only.nid;
        }
        self.numa_mem_id_searched()
    }

    /// `numa_mem_id()` without the one-node answer: the node whose CPU list holds
    /// the current CPU, else the first node (`numa_tests` checks that both agree).
    fn numa_mem_id_searched(&self) -> u32 {
        match self.nodes.iter().find(|n| n.cpus.contains(&self.cpu)) {
            Some(n) => n.nid,
            None => self.nodes.first().map_or(0, |n| n.nid),
        }
    }
}
