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
//! What is not modelled yet (direct reclaim and compaction for callers that can
//! sleep, kswapd running, OOM) is listed in [`NOT_MODELLED`] and reported as an event
//! where the kernel would enter it.

pub mod contig;
pub mod gfp;
pub mod hotplug;
pub mod reclaim;
pub mod replay;

use std::collections::VecDeque;
use std::rc::Rc;

use crate::error::EngineError;
use crate::machine::ZoneType;
use crate::trace::Event;
use crate::types::{MigrateType, Order, Pfn, MAX_ORDER, PAGEBLOCK_ORDER};
use crate::zone::{BuddyZone, TraceSink};
use gfp::{alloc_flags as af, Gfp};

/// Parts of the allocator the model does not run yet; the page and the docs show
/// this list.
pub const NOT_MODELLED: &[&str] = &[
    "Reclaim, compaction and kswapd are a reduced model (see the reclaim module): one LRU list, no ageing or writeback; compaction moves LRU pages into free pages of MOVABLE pageblocks.",
    "kswapd runs only when asked; kcompactd never runs; the OOM killer decides but does not kill.",
    "cpusets and kernelcore=mirror; CMA only as the optional CONFIG_CMA kernel (a scenario's `cma =`).",
    "Memory hotplug offlines sections present at boot and onlines them back into the zone they left: no hot-add, no choice of zone, spans do not shrink (see the hotplug module).",
];

/// `NR_PCP_LISTS`: three migratetypes for orders 0-3, then two THP lists.
pub const NR_PCP_LISTS: usize = 14;
/// `PAGE_ALLOC_COSTLY_ORDER`.
pub const COSTLY_ORDER: u8 = 3;
/// `CONFIG_PCP_BATCH_SCALE_MAX`.
pub const PCP_BATCH_SCALE_MAX: u32 = 5;
/// Zone flag `ZONE_BOOSTED_WATERMARK`.
pub const ZONE_BOOSTED_WATERMARK: u64 = 1 << 0;
/// Zone flag `ZONE_RECLAIM_ACTIVE`.
pub const ZONE_RECLAIM_ACTIVE: u64 = 1 << 1;
/// `MAX_NR_ZONES`, the value of `kswapd_highest_zoneidx` while kswapd sleeps.
pub const KSWAPD_IDLE_ZONEIDX: u32 = 5;
const PAGEBLOCK_PAGES: u64 = 1 << PAGEBLOCK_ORDER;

/// A page on a per-cpu list and the migratetype cached in it (`page->index`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PcpPage {
    pub pfn: u64,
    pub migratetype: MigrateType,
}

/// One CPU's `per_cpu_pages` for one zone.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pcp {
    pub cpu: u32,
    pub count: u64,
    pub high: u64,
    pub batch: u64,
    pub free_factor: u32,
    pub expire: u64,
    /// `lists[pindex]`, head first.
    pub lists: Vec<VecDeque<PcpPage>>,
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
    pub pageset_high: u64,
    pub pageset_batch: u64,
    pub lowmem_reserve: [u64; 5],
    /// `vm_stat[NR_FREE_PAGES]`: what the watermark checks read.
    pub free_pages_global: i64,
    pub cpu_stats: Vec<CpuStat>,
    pub pcps: Vec<Pcp>,
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
    pub cpus: Vec<u32>,
    /// `node_zonelists[ZONELIST_FALLBACK]` as indexes into [`Allocator::zones`]
    /// (zones the allocator does not hold are left out).
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
    pub nodes: Vec<NodeState>,
    pub zones: Vec<ZoneState>,
    /// The CPU the next operation runs on.
    pub cpu: u32,
    pub online_cpus: Vec<u32>,
    /// `vm.watermark_boost_factor`.
    pub watermark_boost_factor: u32,
    /// Reclaimable and movable pages in use, oldest first (see [`reclaim`]).
    pub lru: reclaim::Lru,
    /// Whether anonymous pages can be reclaimed (swap is configured).
    pub swap: bool,
    /// A kernel built with CONFIG_CMA (the reference kernel is not): movable
    /// requests get ALLOC_CMA and may use MIGRATE_CMA pageblocks.
    pub cma: bool,
    /// The machine this allocator booted on, kept so a sysctl write can recompute
    /// what the kernel recomputes; `None` for a state loaded from a kernel dump.
    pub machine: Option<crate::machine::Machine>,
    /// Sparsemem sections offlined by memory hotplug, ascending.
    pub offline_sections: Vec<u64>,
    /// Each node's two zonelists as indexes into `zones`, built once (see
    /// [`Allocator::index_zonelists`]) so an allocation does not rebuild them.
    pub zonelist_indexes: Vec<ZonelistIndexes>,
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

/// The `fallbacks[]` table: where each migratetype may steal from, in order.
pub fn fallbacks(migratetype: MigrateType) -> &'static [MigrateType] {
    match migratetype {
        MigrateType::Unmovable => &[MigrateType::Reclaimable, MigrateType::Movable],
        MigrateType::Movable => &[MigrateType::Reclaimable, MigrateType::Unmovable],
        MigrateType::Reclaimable => &[MigrateType::Unmovable, MigrateType::Movable],
        _ => &[],
    }
}

/// `can_steal_fallback()`: from half a pageblock up, or for unmovable and
/// reclaimable requests, the whole pageblock's free pages may be taken.
fn can_steal_fallback(order: Order, start: MigrateType) -> bool {
    order.get() >= PAGEBLOCK_ORDER
        || order.get() >= PAGEBLOCK_ORDER / 2
        || start == MigrateType::Reclaimable
        || start == MigrateType::Unmovable
}

impl Allocator {
    /// An allocator for a machine with no memory: no nodes, no zones, CPU 0 the only
    /// one online. Every allocation fails; a front end shows it when no machine loads.
    pub fn empty() -> Allocator {
        Allocator {
            nodes: Vec::new(),
            zones: Vec::new(),
            cpu: 0,
            online_cpus: vec![0],
            watermark_boost_factor: 0,
            lru: reclaim::Lru::default(),
            swap: false,
            cma: false,
            machine: None,
            offline_sections: Vec::new(),
            zonelist_indexes: Vec::new(),
        }
    }

    /// The index in [`Allocator::zones`] of a node's zone.
    pub fn zone_index(&self, nid: u32, zone: ZoneType) -> Option<usize> {
        self.zones
            .iter()
            .position(|z| z.nid == nid && z.zone == zone)
    }

    /// The zone whose span holds `pfn` (`page_zone()`).
    pub fn zone_of_pfn(&self, pfn: Pfn) -> Option<usize> {
        self.zones
            .iter()
            .position(|z| z.buddy.start_pfn() <= pfn && pfn < z.buddy.end_pfn())
    }

    /// `numa_mem_id()`: the node of the current CPU, or for a CPU on a memoryless
    /// node the first node of its zonelist that has memory.
    pub fn numa_mem_id(&self) -> u32 {
        let node = self.nodes.iter().find(|n| n.cpus.contains(&self.cpu));
        match node {
            Some(n) if n.present > 0 => n.nid,
            Some(n) => n.fallback.first().map_or(n.nid, |(nid, _)| *nid),
            None => self.nodes.first().map_or(0, |n| n.nid),
        }
    }

    /// `alloc_pages_node(nid, gfp, order)`: `nid` -1 is the local node.
    pub fn alloc_pages_node(
        &mut self,
        nid: i32,
        gfp: Gfp,
        order: u32,
        trace: &mut impl TraceSink,
    ) -> Result<Option<Allocation>, EngineError> {
        let node = if nid < 0 {
            self.numa_mem_id()
        } else {
            nid as u32
        };
        self.alloc_pages(gfp, order, node, trace)
    }

    /// `__alloc_pages()` with no nodemask.
    pub fn alloc_pages(
        &mut self,
        gfp: Gfp,
        order: u32,
        preferred_nid: u32,
        trace: &mut impl TraceSink,
    ) -> Result<Option<Allocation>, EngineError> {
        self.alloc_pages_nodemask(gfp, order, preferred_nid, None, trace)
    }

    /// `__alloc_pages(gfp, order, preferred_nid, nodemask)`: the fast path from the
    /// preferred zone with the low watermark, then the slow path. With a nodemask,
    /// `for_next_zone_zonelist_nodemask()` passes over every zone of a node outside
    /// it (one [`Event::ZoneNotInNodemask`] each) and the preferred zone is the first
    /// one left (`first_zones_zonelist()`).
    pub fn alloc_pages_nodemask(
        &mut self,
        gfp: Gfp,
        order: u32,
        preferred_nid: u32,
        nodemask: Option<&[u32]>,
        trace: &mut impl TraceSink,
    ) -> Result<Option<Allocation>, EngineError> {
        let order = Order::new(order).ok_or(EngineError::OrderTooLarge { order })?;
        if let Some(mask) = nodemask {
            if let Some(&node) = mask
                .iter()
                .find(|&&n| !self.nodes.iter().any(|s| s.nid == n))
            {
                return Err(EngineError::NoSuchNode { node });
            }
        }
        let Some((node_position, node)) = self
            .nodes
            .iter()
            .enumerate()
            .find(|(_, n)| n.nid == preferred_nid)
        else {
            return Err(EngineError::NoSuchNode {
                node: preferred_nid,
            });
        };
        let thisnode = gfp.has(gfp::GFP_THISNODE);
        let refs = if thisnode {
            &node.nofallback
        } else {
            &node.fallback
        };
        let mut skipped = Vec::new();
        let cached = self
            .zonelist_indexes
            .get(node_position)
            .map(|(general, this)| if thisnode { this } else { general })
            .filter(|_| nodemask.is_none());
        let zonelist: Rc<[usize]> = match cached {
            Some(list) => list.clone(),
            None => refs
                .iter()
                .filter(|(nid, zone)| {
                    let allowed = nodemask.is_none_or(|mask| mask.contains(nid));
                    if !allowed {
                        skipped.push((*nid, *zone));
                    }
                    allowed
                })
                .filter_map(|(nid, zone)| self.zone_index(*nid, *zone))
                .collect(),
        };
        let highest = gfp.zone();
        let mut ac = AllocContext {
            highest_zoneidx: highest,
            preferred: zonelist.iter().position(|&z| self.zones[z].zone <= highest),
            zonelist,
            migratetype: gfp.migratetype(),
        };
        let mut flags = af::WMARK_LOW | self.gfp_to_alloc_flags_cma(gfp);
        flags |= self.alloc_flags_nofragment(ac.preferred.map(|p| ac.zonelist[p]), gfp);
        trace.emit(Event::AllocStart {
            gfp: gfp.0,
            order,
            cpu: self.cpu,
            node: preferred_nid,
            migratetype: ac.migratetype,
            highest_zone: highest,
        });
        for (node, zone) in skipped {
            trace.emit(Event::ZoneNotInNodemask { node, zone });
        }
        let mut page = self.get_page_from_freelist(gfp, order, flags, &ac, trace);
        if page.is_none() {
            page = self.alloc_pages_slowpath(gfp, order, &mut ac, trace);
        }
        let result = page.map(|(zone, pfn)| Allocation {
            pfn,
            order,
            node: self.zones[zone].nid,
            zone: self.zones[zone].zone,
        });
        match result {
            Some(a) => trace.emit(Event::PageAlloc {
                pfn: a.pfn,
                order,
                migratetype: ac.migratetype,
                gfp: gfp.0,
            }),
            None => trace.emit(Event::AllocFailed { order }),
        }
        Ok(result)
    }

    /// `gfp_to_alloc_flags_cma()`: with CONFIG_CMA, movable requests may use CMA.
    fn gfp_to_alloc_flags_cma(&self, gfp: Gfp) -> u32 {
        if self.cma && gfp.migratetype() == MigrateType::Movable {
            af::CMA
        } else {
            0
        }
    }

    /// `NR_FREE_CMA_PAGES`: free pages on the CMA lists. The kernel's counter also
    /// lags by per-cpu deltas; the model counts the lists exactly.
    pub fn free_cma_pages(&self, z: usize) -> i64 {
        let buddy = &self.zones[z].buddy;
        Order::all()
            .map(|o| (u64::from(buddy.nr_free_of_type(o, MigrateType::Cma)) << o.get()) as i64)
            .sum()
    }

    /// `alloc_flags_nofragment()`: ALLOC_KSWAPD from the gfp mask, and
    /// ALLOC_NOFRAGMENT when the preferred zone is ZONE_NORMAL (and, on NUMA
    /// machines, DMA32 below it is populated).
    fn alloc_flags_nofragment(&self, preferred: Option<usize>, gfp: Gfp) -> u32 {
        let mut flags = if gfp.has(gfp::GFP_KSWAPD_RECLAIM) {
            af::KSWAPD
        } else {
            0
        };
        let Some(zone) = preferred.and_then(|z| self.zones.get(z)) else {
            return flags;
        };
        if zone.zone != ZoneType::Normal {
            return flags;
        }
        if self.nodes.len() > 1 && self.zone_index(zone.nid, ZoneType::Dma32).is_none() {
            return flags;
        }
        flags |= af::NOFRAGMENT;
        flags
    }

    /// `get_page_from_freelist()`: walk the zonelist from the preferred zone, skip
    /// zones above the request's highest zone, check the watermark, take a page.
    fn get_page_from_freelist(
        &mut self,
        gfp: Gfp,
        order: Order,
        flags: u32,
        ac: &AllocContext,
        trace: &mut impl TraceSink,
    ) -> Option<(usize, Pfn)> {
        let mut flags = flags;
        let start = ac.preferred?;
        let preferred_zone = ac.zonelist[start];
        'retry: loop {
            let no_fallback = flags & af::NOFRAGMENT != 0;
            for &z in &ac.zonelist[start..] {
                if self.zones[z].zone > ac.highest_zoneidx {
                    continue;
                }
                if no_fallback
                    && self.nodes.len() > 1
                    && z != preferred_zone
                    && self.zones[z].nid != self.zones[preferred_zone].nid
                {
                    flags &= !af::NOFRAGMENT;
                    trace.emit(Event::NoFragmentRetry);
                    continue 'retry;
                }
                let mark_index = (flags & af::WMARK_MASK) as usize;
                let mark = self.zones[z].wmark_pages(mark_index);
                let ok = self.zone_watermark_fast(z, order, mark, ac.highest_zoneidx, flags, gfp);
                let zone = &self.zones[z];
                trace.emit(Event::WatermarkCheck {
                    node: zone.nid,
                    zone: zone.zone,
                    order,
                    mark,
                    free_pages: zone.free_pages(),
                    lowmem_reserve: zone.lowmem_reserve[ac.highest_zoneidx.index()],
                    ok,
                });
                if !ok && flags & af::NO_WATERMARKS == 0 {
                    // node_reclaim_mode is 0: move on to the next zone.
                    continue;
                }
                if let Some(pfn) = self.rmqueue(z, order, gfp, flags, ac.migratetype, trace) {
                    if flags & af::HIGHATOMIC != 0 {
                        self.reserve_highatomic_pageblock(z, pfn, trace);
                    }
                    return Some((z, pfn));
                }
            }
            if no_fallback {
                flags &= !af::NOFRAGMENT;
                trace.emit(Event::NoFragmentRetry);
                continue 'retry;
            }
            return None;
        }
    }

    /// `zone_watermark_fast()`.
    fn zone_watermark_fast(
        &self,
        z: usize,
        order: Order,
        mark: u64,
        highest: ZoneType,
        flags: u32,
        gfp: Gfp,
    ) -> bool {
        let zone = &self.zones[z];
        let free_pages = zone.free_pages();
        let reserve = zone.lowmem_reserve[highest.index()] as i64;
        if order.get() == 0 {
            let reserved = self.watermark_unusable_free(z, Order::ZERO, flags);
            let usable = free_pages - free_pages.min(reserved);
            if usable > mark as i64 + reserve {
                return true;
            }
        }
        if self.zone_watermark_ok(z, order, mark, highest, flags, free_pages) {
            return true;
        }
        if order.get() == 0
            && gfp.has(gfp::GFP_ATOMIC_BIT)
            && zone.watermark_boost > 0
            && flags & af::WMARK_MASK == af::WMARK_MIN
        {
            return self.zone_watermark_ok(z, order, zone.watermark[0], highest, flags, free_pages);
        }
        false
    }

    /// `__zone_watermark_unusable_free()`.
    fn watermark_unusable_free(&self, z: usize, order: Order, flags: u32) -> i64 {
        let mut unusable = order.pages() as i64 - 1;
        if flags & af::RESERVES == 0 {
            unusable += self.zones[z].nr_reserved_highatomic as i64;
        }
        if self.cma && flags & af::CMA == 0 {
            unusable += self.free_cma_pages(z);
        }
        unusable
    }

    /// `__zone_watermark_ok()`.
    fn zone_watermark_ok(
        &self,
        z: usize,
        order: Order,
        mark: u64,
        highest: ZoneType,
        flags: u32,
        free_pages: i64,
    ) -> bool {
        let zone = &self.zones[z];
        let mut min = mark as i64;
        let free = free_pages - self.watermark_unusable_free(z, order, flags);
        if flags & af::RESERVES != 0 {
            if flags & af::MIN_RESERVE != 0 {
                min -= min / 2;
                if flags & af::NON_BLOCK != 0 {
                    min -= min / 4;
                }
            }
            if flags & af::OOM != 0 {
                min -= min / 2;
            }
        }
        if free <= min + zone.lowmem_reserve[highest.index()] as i64 {
            return false;
        }
        if order.get() == 0 {
            return true;
        }
        for o in Order::all().skip(order.get() as usize) {
            if zone.buddy.nr_free(o) == 0 {
                continue;
            }
            if [
                MigrateType::Unmovable,
                MigrateType::Movable,
                MigrateType::Reclaimable,
            ]
            .iter()
            .any(|&mt| zone.buddy.nr_free_of_type(o, mt) > 0)
            {
                return true;
            }
            if flags & af::CMA != 0 && zone.buddy.nr_free_of_type(o, MigrateType::Cma) > 0 {
                return true;
            }
            if flags & (af::HIGHATOMIC | af::OOM) != 0
                && zone.buddy.nr_free_of_type(o, MigrateType::HighAtomic) > 0
            {
                return true;
            }
        }
        false
    }

    /// `rmqueue()`: per-cpu lists for the orders they hold, else the buddy lists;
    /// then, if a steal boosted the watermark, clear the flag and wake kswapd.
    fn rmqueue(
        &mut self,
        z: usize,
        order: Order,
        _gfp: Gfp,
        flags: u32,
        migratetype: MigrateType,
        trace: &mut impl TraceSink,
    ) -> Option<Pfn> {
        let mut page = None;
        // MIGRATE_MOVABLE pcp lists may hold CMA pages: skip them without ALLOC_CMA.
        if pcp_allowed_order(order)
            && (!self.cma || flags & af::CMA != 0 || migratetype != MigrateType::Movable)
        {
            page = self.rmqueue_pcplist(z, order, migratetype, flags, trace);
        }
        if page.is_none() {
            page = self.rmqueue_buddy(z, order, flags, migratetype, trace);
        }
        if self.zones[z].flags & ZONE_BOOSTED_WATERMARK != 0 {
            self.zones[z].flags &= !ZONE_BOOSTED_WATERMARK;
            let zone_type = self.zones[z].zone;
            self.wakeup_kswapd(z, 0, zone_type, trace);
        }
        page
    }

    /// `rmqueue_pcplist()` and `__rmqueue_pcplist()`: halve free_factor, take the
    /// head of the list for this order and migratetype, refilling it with
    /// `rmqueue_bulk()` when empty.
    fn rmqueue_pcplist(
        &mut self,
        z: usize,
        order: Order,
        migratetype: MigrateType,
        flags: u32,
        trace: &mut impl TraceSink,
    ) -> Option<Pfn> {
        let cpu = self.cpu;
        let pindex = order_to_pindex(migratetype, order);
        let batch = {
            let pcp = self.zones[z].pcp_mut(cpu)?;
            pcp.free_factor >>= 1;
            if !pcp.lists[pindex].is_empty() {
                None
            } else {
                let batch = pcp.batch;
                Some(if batch > 1 {
                    (batch >> order.get()).max(2)
                } else {
                    batch
                })
            }
        };
        if let Some(batch) = batch {
            let pages = self.rmqueue_bulk(z, order, batch, migratetype, flags, trace);
            trace.emit(Event::PcpRefill {
                node: self.zones[z].nid,
                zone: self.zones[z].zone,
                order,
                pages: pages.len() as u64,
            });
            let pcp = self.zones[z].pcp_mut(cpu)?;
            pcp.count += (pages.len() as u64) << order.get();
            pcp.lists[pindex].extend(pages);
        }
        let pcp = self.zones[z].pcp_mut(cpu)?;
        let page = pcp.lists[pindex].pop_front()?;
        pcp.count -= order.pages();
        trace.emit(Event::PcpTake {
            pfn: Pfn(page.pfn),
            order,
            pindex: pindex as u32,
            cpu,
        });
        Some(Pfn(page.pfn))
    }

    /// `rmqueue_bulk()`: up to `count` blocks from `__rmqueue()`, in the order they
    /// come, and one counter update for all of them.
    fn rmqueue_bulk(
        &mut self,
        z: usize,
        order: Order,
        count: u64,
        migratetype: MigrateType,
        flags: u32,
        trace: &mut impl TraceSink,
    ) -> Vec<PcpPage> {
        let mut pages = Vec::new();
        for _ in 0..count {
            let Some((pfn, cached)) = self.rmqueue_inner(z, order, migratetype, flags, trace)
            else {
                break;
            };
            pages.push(PcpPage {
                pfn: pfn.0,
                migratetype: cached,
            });
        }
        let taken = (pages.len() as i64) << order.get();
        let cpu = self.cpu;
        self.zones[z].mod_free_pages(cpu, -taken);
        pages
    }

    /// `rmqueue_buddy()`: highatomic reserves first for ALLOC_HIGHATOMIC, then
    /// `__rmqueue()`, then the highatomic reserves for OOM and non-blocking callers.
    fn rmqueue_buddy(
        &mut self,
        z: usize,
        order: Order,
        flags: u32,
        migratetype: MigrateType,
        trace: &mut impl TraceSink,
    ) -> Option<Pfn> {
        let mut page = None;
        if flags & af::HIGHATOMIC != 0 {
            page = self
                .rmqueue_smallest(z, order, MigrateType::HighAtomic, trace)
                .map(|p| (p, MigrateType::HighAtomic));
        }
        if page.is_none() {
            page = self.rmqueue_inner(z, order, migratetype, flags, trace);
            if page.is_none() && flags & (af::OOM | af::NON_BLOCK) != 0 {
                page = self
                    .rmqueue_smallest(z, order, MigrateType::HighAtomic, trace)
                    .map(|p| (p, MigrateType::HighAtomic));
            }
        }
        let (pfn, _cached) = page?;
        let cpu = self.cpu;
        self.zones[z].mod_free_pages(cpu, -(order.pages() as i64));
        Some(pfn)
    }

    /// `__rmqueue()`: the smallest block of the migratetype, else steal a fallback
    /// block and try again. Returns the block and the migratetype cached in it.
    fn rmqueue_inner(
        &mut self,
        z: usize,
        order: Order,
        migratetype: MigrateType,
        flags: u32,
        trace: &mut impl TraceSink,
    ) -> Option<(Pfn, MigrateType)> {
        // With CONFIG_CMA, movable requests take from CMA first while CMA holds more
        // than half of the zone's free pages, to keep the two balanced.
        if self.cma
            && flags & af::CMA != 0
            && self.free_cma_pages(z) > self.zones[z].free_pages() / 2
        {
            if let Some(pfn) = self.rmqueue_smallest(z, order, MigrateType::Cma, trace) {
                return Some((pfn, MigrateType::Cma));
            }
        }
        loop {
            if let Some(pfn) = self.rmqueue_smallest(z, order, migratetype, trace) {
                return Some((pfn, migratetype));
            }
            if flags & af::CMA != 0 {
                if let Some(pfn) = self.rmqueue_smallest(z, order, MigrateType::Cma, trace) {
                    return Some((pfn, MigrateType::Cma));
                }
            }
            if !self.rmqueue_fallback(z, order, migratetype, flags, trace) {
                return None;
            }
        }
    }

    /// `__rmqueue_smallest()` on one zone, with its tracepoint.
    fn rmqueue_smallest(
        &mut self,
        z: usize,
        order: Order,
        migratetype: MigrateType,
        trace: &mut impl TraceSink,
    ) -> Option<Pfn> {
        let pfn = self.zones[z]
            .buddy
            .rmqueue_smallest(order, migratetype, trace)?;
        let pcp = pcp_allowed_order(order) && migratetype.index() < 3;
        trace.emit(Event::ZoneLocked {
            pfn,
            order,
            migratetype,
            pcp,
        });
        Some(pfn)
    }

    /// `__rmqueue_fallback()`: look for the largest block on a fallback list (only
    /// from pageblock order up under ALLOC_NOFRAGMENT), or for movable requests that
    /// cannot steal the pageblock, the smallest; steal it.
    fn rmqueue_fallback(
        &mut self,
        z: usize,
        order: Order,
        start: MigrateType,
        flags: u32,
        trace: &mut impl TraceSink,
    ) -> bool {
        let min_order = if order.get() < PAGEBLOCK_ORDER && flags & af::NOFRAGMENT != 0 {
            PAGEBLOCK_ORDER
        } else {
            order.get()
        };
        let mut found = None;
        for current in (min_order..MAX_ORDER).rev() {
            let current = Order::new(u32::from(current)).unwrap_or(Order::ZERO);
            let Some((fallback, can_steal)) = self.find_suitable_fallback(z, current, start) else {
                continue;
            };
            if !can_steal && start == MigrateType::Movable && current > order {
                // find_smallest
                found = Order::all().skip(order.get() as usize).find_map(|o| {
                    self.find_suitable_fallback(z, o, start)
                        .map(|(mt, steal)| (o, mt, steal))
                });
                break;
            }
            found = Some((current, fallback, can_steal));
            break;
        }
        let Some((current, fallback, can_steal)) = found else {
            return false;
        };
        let Some(pfn) = self.zones[z].buddy.first_free(current, fallback) else {
            return false;
        };
        let owned = self.steal_suitable_fallback(z, pfn, flags, start, can_steal);
        trace.emit(Event::Steal {
            pfn,
            alloc_order: order,
            fallback_order: current,
            alloc_migratetype: start,
            fallback_migratetype: fallback,
            claimed: owned,
        });
        true
    }

    /// `find_suitable_fallback()` with `only_stealable` false.
    fn find_suitable_fallback(
        &self,
        z: usize,
        order: Order,
        migratetype: MigrateType,
    ) -> Option<(MigrateType, bool)> {
        let buddy = &self.zones[z].buddy;
        if buddy.nr_free(order) == 0 {
            return None;
        }
        fallbacks(migratetype)
            .iter()
            .find(|&&mt| buddy.nr_free_of_type(order, mt) > 0)
            .map(|&mt| (mt, can_steal_fallback(order, migratetype)))
    }

    /// `steal_suitable_fallback()`. Returns whether the pageblock is now of the
    /// requested type (the tracepoint's change_ownership).
    fn steal_suitable_fallback(
        &mut self,
        z: usize,
        pfn: Pfn,
        flags: u32,
        start: MigrateType,
        whole_block: bool,
    ) -> bool {
        let Some(current) = self.zones[z].buddy.free_order(pfn) else {
            return false;
        };
        let old = self.zones[z].buddy.pageblock_type(pfn);
        let single_page = |this: &mut Self| {
            this.zones[z].buddy.move_to_free_list(pfn, start);
            this.zones[z].buddy.pageblock_type(pfn) == start
        };
        if old == MigrateType::HighAtomic {
            return single_page(self);
        }
        if current.get() >= PAGEBLOCK_ORDER {
            let blocks = 1u64 << (current.get() - PAGEBLOCK_ORDER);
            for i in 0..blocks {
                self.zones[z]
                    .buddy
                    .set_pageblock_type(Pfn(pfn.0 + i * PAGEBLOCK_PAGES), start);
            }
            return single_page(self);
        }
        if self.boost_watermark(z) && flags & af::KSWAPD != 0 {
            self.zones[z].flags |= ZONE_BOOSTED_WATERMARK;
        }
        if !whole_block {
            return single_page(self);
        }
        let (free_pages, movable_pages) = self.zones[z].buddy.move_freepages_block(pfn, start);
        let alike_pages = if start == MigrateType::Movable {
            movable_pages
        } else if old == MigrateType::Movable {
            PAGEBLOCK_PAGES.saturating_sub(free_pages + movable_pages)
        } else {
            0
        };
        if free_pages == 0 {
            return single_page(self);
        }
        if free_pages + alike_pages >= PAGEBLOCK_PAGES / 2 {
            self.zones[z].buddy.set_pageblock_type(pfn, start);
        }
        self.zones[z].buddy.pageblock_type(pfn) == start
    }

    /// `boost_watermark()`: raise the boost by a pageblock, up to
    /// watermark_boost_factor/10000 of the high watermark.
    fn boost_watermark(&mut self, z: usize) -> bool {
        let factor = u64::from(self.watermark_boost_factor);
        let zone = &mut self.zones[z];
        if factor == 0 || PAGEBLOCK_PAGES * 4 > zone.managed {
            return false;
        }
        let high = zone.watermark[2];
        let max_boost = (high / 10_000) * factor + (high % 10_000) * factor / 10_000;
        if max_boost == 0 {
            return false;
        }
        let max_boost = max_boost.max(PAGEBLOCK_PAGES);
        zone.watermark_boost = (zone.watermark_boost + PAGEBLOCK_PAGES).min(max_boost);
        true
    }

    /// `reserve_highatomic_pageblock()`: after a high-order atomic allocation, make
    /// its pageblock a highatomic reserve (at most about 1% of the zone).
    fn reserve_highatomic_pageblock(&mut self, z: usize, pfn: Pfn, trace: &mut impl TraceSink) {
        let zone = &mut self.zones[z];
        let max_managed = zone.managed / 100 + PAGEBLOCK_PAGES;
        if zone.nr_reserved_highatomic >= max_managed {
            return;
        }
        let mt = zone.buddy.pageblock_type(pfn);
        if mt.is_mergeable() {
            zone.nr_reserved_highatomic += PAGEBLOCK_PAGES;
            zone.buddy.set_pageblock_type(pfn, MigrateType::HighAtomic);
            zone.buddy
                .move_freepages_block(pfn, MigrateType::HighAtomic);
            trace.emit(Event::HighatomicReserve {
                pfn,
                reserved: zone.nr_reserved_highatomic,
            });
        }
    }

    /// `__alloc_pages_slowpath()` for what the model runs: recompute the flags with
    /// `gfp_to_alloc_flags()`, wake kswapd, try again with the min watermark and the
    /// reserves this caller may use, and (callers that may not sleep) give up.
    fn alloc_pages_slowpath(
        &mut self,
        gfp: Gfp,
        order: Order,
        ac: &mut AllocContext,
        trace: &mut impl TraceSink,
    ) -> Option<(usize, Pfn)> {
        let flags = gfp::gfp_to_alloc_flags(gfp, order.get()) | self.gfp_to_alloc_flags_cma(gfp);
        trace.emit(Event::SlowPath { alloc_flags: flags });
        ac.preferred = ac
            .zonelist
            .iter()
            .position(|&z| self.zones[z].zone <= ac.highest_zoneidx);
        ac.preferred?;
        if flags & af::KSWAPD != 0 {
            self.wake_all_kswapds(order, ac, trace);
        }
        if let Some(page) = self.get_page_from_freelist(gfp, order, flags, ac, trace) {
            return Some(page);
        }
        if gfp.has(gfp::GFP_DIRECT_RECLAIM) {
            return self.slowpath_reclaim(gfp, order, flags, ac, trace);
        }
        // retry: kswapd again, then the same flags (no PF_MEMALLOC reserves); a
        // caller that cannot reclaim gives up after that.
        if flags & af::KSWAPD != 0 {
            self.wake_all_kswapds(order, ac, trace);
        }
        self.get_page_from_freelist(gfp, order, flags, ac, trace)
    }

    /// `wake_all_kswapds()`: one `wakeup_kswapd()` per node of the zonelist.
    fn wake_all_kswapds(&mut self, order: Order, ac: &AllocContext, trace: &mut impl TraceSink) {
        let mut last_node = None;
        let zones = ac.zonelist.clone();
        for &z in zones.iter() {
            if self.zones[z].zone > ac.highest_zoneidx || self.zones[z].managed == 0 {
                continue;
            }
            if last_node != Some(self.zones[z].nid) {
                self.wakeup_kswapd(z, order.get(), ac.highest_zoneidx, trace);
                last_node = Some(self.zones[z].nid);
            }
        }
    }

    /// `wakeup_kswapd()`: record the order and highest zone kswapd should work for.
    /// kswapd itself does not run in the model.
    fn wakeup_kswapd(
        &mut self,
        z: usize,
        order: u8,
        highest: ZoneType,
        trace: &mut impl TraceSink,
    ) {
        if self.zones[z].managed == 0 {
            return;
        }
        let nid = self.zones[z].nid;
        let Some(node) = self.nodes.iter_mut().find(|n| n.nid == nid) else {
            return;
        };
        let highest = highest.index() as u32;
        if node.kswapd_highest_zoneidx == KSWAPD_IDLE_ZONEIDX
            || node.kswapd_highest_zoneidx < highest
        {
            node.kswapd_highest_zoneidx = highest;
        }
        if node.kswapd_order < u32::from(order) {
            node.kswapd_order = u32::from(order);
        }
        trace.emit(Event::KswapdWake {
            node: nid,
            order,
            highest_zoneidx: highest,
        });
    }

    /// `__free_pages(page, order)`: through the per-cpu lists for the orders they
    /// hold (`free_unref_page()`), else straight to the buddy (`__free_pages_ok()`).
    pub fn free_pages(
        &mut self,
        pfn: Pfn,
        order: u32,
        trace: &mut impl TraceSink,
    ) -> Result<(), EngineError> {
        let order = Order::new(order).ok_or(EngineError::OrderTooLarge { order })?;
        let z = self
            .zone_of_pfn(pfn)
            .ok_or(EngineError::PfnOutsideZone { pfn })?;
        if !self.zones[z].buddy.is_in_use_block(pfn, order) {
            return Err(EngineError::NotAllocated { pfn });
        }
        trace.emit(Event::PageFree { pfn, order });
        let migratetype = self.zones[z].buddy.pageblock_type(pfn);
        if pcp_allowed_order(order) {
            let pcp_type = if migratetype.index() >= 3 {
                if migratetype == MigrateType::Isolate {
                    return self.free_one_page(z, pfn, order, migratetype, trace);
                }
                MigrateType::Movable
            } else {
                migratetype
            };
            if self.zones[z].pcps.iter().any(|p| p.cpu == self.cpu) {
                self.free_unref_page_commit(z, pfn, migratetype, pcp_type, order, trace);
                return Ok(());
            }
        }
        self.free_one_page(z, pfn, order, migratetype, trace)
    }

    /// `free_one_page()` / `__free_pages_ok()`: `__free_one_page()` and the counter.
    fn free_one_page(
        &mut self,
        z: usize,
        pfn: Pfn,
        order: Order,
        migratetype: MigrateType,
        trace: &mut impl TraceSink,
    ) -> Result<(), EngineError> {
        let cpu = self.cpu;
        let zone = &mut self.zones[z];
        // With any pageblock of the zone isolated (has_isolate_pageblock()), or for a
        // caller that saw MIGRATE_ISOLATE, the type is read again under the zone lock;
        // a block freed into an isolated pageblock goes to the isolate list and does
        // not count in NR_FREE_PAGES (__mod_zone_freepage_state() skips it).
        let mut migratetype = migratetype;
        if zone.nr_isolate_pageblock > 0 || migratetype == MigrateType::Isolate {
            migratetype = zone.buddy.pageblock_type(pfn);
        }
        if migratetype != MigrateType::Isolate {
            zone.mod_free_pages(cpu, order.pages() as i64);
        }
        zone.buddy.free_block(pfn, order, migratetype, false, trace)
    }

    /// `free_unref_page_commit()`: put the page at the head of its pcp list; past
    /// `high`, give a batch back with `free_pcppages_bulk()`.
    fn free_unref_page_commit(
        &mut self,
        z: usize,
        pfn: Pfn,
        cached: MigrateType,
        pcp_type: MigrateType,
        order: Order,
        trace: &mut impl TraceSink,
    ) {
        let cpu = self.cpu;
        let zone_flags = self.zones[z].flags;
        let Some(pcp) = self.zones[z].pcp_mut(cpu) else {
            return;
        };
        let pindex = order_to_pindex(pcp_type, order);
        pcp.lists[pindex].push_front(PcpPage {
            pfn: pfn.0,
            migratetype: cached,
        });
        pcp.count += order.pages();
        trace.emit(Event::PcpFree {
            pfn,
            order,
            pindex: pindex as u32,
            cpu,
        });
        let free_high = pcp.free_factor > 0 && order.get() > 0 && order.get() <= COSTLY_ORDER;
        let high = nr_pcp_high(pcp, zone_flags, free_high);
        if pcp.count >= high {
            let batch = pcp.batch;
            let count = nr_pcp_free(pcp, high, batch, free_high);
            self.free_pcppages_bulk(z, count, pindex, trace);
        }
    }

    /// `free_pcppages_bulk()`: return `count` pages from the tails of the pcp lists,
    /// round-robin from the list after `pindex - 1`, each to the buddy list of its
    /// cached migratetype.
    fn free_pcppages_bulk(
        &mut self,
        z: usize,
        count: u64,
        pindex: usize,
        trace: &mut impl TraceSink,
    ) {
        let cpu = self.cpu;
        // has_isolate_pageblock(), read once under the zone lock.
        let isolated_pageblocks = self.zones[z].nr_isolate_pageblock > 0;
        let Some(pcp) = self.zones[z].pcp_mut(cpu) else {
            return;
        };
        let mut count = count.min(pcp.count) as i64;
        let (mut min_pindex, mut max_pindex) = (0usize, NR_PCP_LISTS - 1);
        let mut pindex = pindex as isize - 1;
        let mut drained: Vec<(PcpPage, Order)> = Vec::new();
        while count > 0 {
            loop {
                pindex += 1;
                if pindex as usize > max_pindex {
                    pindex = min_pindex as isize;
                }
                let p = pindex as usize;
                if !pcp.lists[p].is_empty() {
                    break;
                }
                if p == max_pindex {
                    max_pindex = max_pindex.saturating_sub(1);
                }
                if p == min_pindex {
                    min_pindex += 1;
                }
                if min_pindex > max_pindex + 1 {
                    // Every list is empty although count said otherwise.
                    count = 0;
                    break;
                }
            }
            if count <= 0 {
                break;
            }
            let p = pindex as usize;
            let order = pindex_to_order(p);
            while let Some(page) = pcp.lists[p].pop_back() {
                count -= order.pages() as i64;
                pcp.count -= order.pages();
                drained.push((page, order));
                if count <= 0 {
                    break;
                }
            }
        }
        for (page, order) in drained {
            let zone = &mut self.zones[z];
            let pfn = Pfn(page.pfn);
            // The pageblock may have been isolated since the page was cached: then its
            // current type decides the list, and an isolated page is not counted.
            let mut migratetype = page.migratetype;
            if isolated_pageblocks {
                migratetype = zone.buddy.pageblock_type(pfn);
            }
            if migratetype != MigrateType::Isolate {
                zone.mod_free_pages(cpu, order.pages() as i64);
            }
            let _ = zone.buddy.free_block(pfn, order, migratetype, false, trace);
            trace.emit(Event::PcpDrain {
                pfn,
                order,
                migratetype,
            });
        }
    }

    /// `drain_local_pages()` for one zone (`drain_pages_zone()`): every page on this
    /// CPU's lists goes back to the buddy.
    pub fn drain_local_pages(&mut self, trace: &mut impl TraceSink) {
        let cpu = self.cpu;
        for z in 0..self.zones.len() {
            let count = self.zones[z].pcp_mut(cpu).map_or(0, |p| p.count);
            if count > 0 {
                self.free_pcppages_bulk(z, count, 0, trace);
            }
        }
    }

    /// `drain_all_pages()`: every CPU's lists.
    pub fn drain_all_pages(&mut self, trace: &mut impl TraceSink) {
        let current = self.cpu;
        for cpu in self.online_cpus.clone() {
            self.cpu = cpu;
            self.drain_local_pages(trace);
        }
        self.cpu = current;
    }
}

/// `nr_pcp_high()`: `high`, or at most four batches while reclaim is active; 0 to
/// free everything when freeing high-order pages in bulk.
fn nr_pcp_high(pcp: &Pcp, zone_flags: u64, free_high: bool) -> u64 {
    if pcp.high == 0 || free_high {
        return 0;
    }
    if zone_flags & ZONE_RECLAIM_ACTIVE == 0 {
        return pcp.high;
    }
    (pcp.batch << 2).min(pcp.high)
}

/// `nr_pcp_free()`: how many pages to give back; doubles (up to 2^5 batches) with
/// each consecutive free that overflows, leaving at least a batch.
fn nr_pcp_free(pcp: &mut Pcp, high: u64, batch: u64, free_high: bool) -> u64 {
    if free_high {
        return pcp.count;
    }
    if high < batch {
        return 1;
    }
    let min_nr_free = batch as i64;
    let max_nr_free = high as i64 - batch as i64;
    let mut batch = (batch as i64) << pcp.free_factor;
    if batch < max_nr_free && pcp.free_factor < PCP_BATCH_SCALE_MAX {
        pcp.free_factor += 1;
    }
    // clamp(batch, min, max) as the kernel's macro: max(min, min(batch, max)) when
    // min <= max; when max < min the kernel's clamp gives max.
    batch = batch.max(min_nr_free).min(max_nr_free);
    batch.max(0) as u64
}

impl Allocator {
    /// The allocator right after boot on `machine`: the boot free lists, empty
    /// per-cpu lists with the machine's batch and high, the free-page counters folded,
    /// kswapd asleep. Operations run on the boot CPU.
    pub fn from_machine(machine: &crate::machine::Machine) -> Result<Allocator, EngineError> {
        let memory = crate::machine::boot::boot_free_lists(machine)?;
        let mut zones = Vec::new();
        for zone_memory in memory {
            let Some(zone) = machine.zone(zone_memory.node, zone_memory.zone) else {
                continue;
            };
            let free = zone_memory.buddy.free_pages() as i64;
            zones.push(ZoneState {
                nid: zone.node,
                zone: zone.zone_type,
                buddy: zone_memory.buddy,
                spanned: zone.spanned,
                present: zone.present,
                managed: zone.managed,
                watermark: [zone.watermark_min, zone.watermark_low, zone.watermark_high],
                watermark_boost: 0,
                nr_reserved_highatomic: 0,
                flags: 0,
                nr_isolate_pageblock: 0,
                percpu_drift_mark: 0,
                pageset_high: zone.pcp_high,
                pageset_batch: zone.pcp_batch,
                lowmem_reserve: zone.lowmem_reserve,
                free_pages_global: free,
                cpu_stats: machine
                    .online_cpus
                    .iter()
                    .map(|&cpu| CpuStat {
                        cpu,
                        diff: 0,
                        threshold: zone.stat_threshold as i64,
                    })
                    .collect(),
                pcps: machine
                    .online_cpus
                    .iter()
                    .map(|&cpu| Pcp {
                        cpu,
                        count: 0,
                        high: zone.pcp_high,
                        batch: zone.pcp_batch,
                        free_factor: 0,
                        expire: 0,
                        lists: vec![VecDeque::new(); NR_PCP_LISTS],
                    })
                    .collect(),
            });
        }
        let nodes = machine
            .nodes
            .iter()
            .map(|node| {
                let lists = machine.zonelists.iter().find(|l| l.node == node.id);
                let refs =
                    |pick: fn(&crate::machine::NodeZonelists) -> &Vec<crate::machine::ZoneRef>| {
                        lists
                            .map(|l| pick(l).iter().map(|r| (r.node, r.zone)).collect())
                            .unwrap_or_default()
                    };
                NodeState {
                    nid: node.id,
                    start_pfn: node.start_pfn,
                    spanned: node.spanned,
                    present: node.present,
                    kswapd_order: 0,
                    kswapd_highest_zoneidx: KSWAPD_IDLE_ZONEIDX,
                    kswapd_failures: 0,
                    cpus: node.cpus.clone(),
                    fallback: refs(|l| &l.general),
                    nofallback: refs(|l| &l.thisnode),
                }
            })
            .collect();
        Ok(Allocator {
            nodes,
            zones,
            cpu: 0,
            online_cpus: machine.online_cpus.clone(),
            watermark_boost_factor: machine.config.sysctls.watermark_boost_factor,
            lru: reclaim::Lru::default(),
            swap: false,
            cma: machine.cma.is_some(),
            machine: Some(machine.clone()),
            offline_sections: Vec::new(),
            zonelist_indexes: Vec::new(),
        }
        .with_zonelist_indexes())
    }

    /// Builds [`Allocator::zonelist_indexes`] from the nodes' zonelists; call after
    /// they change.
    pub fn index_zonelists(&mut self) {
        let index = |list: &[(u32, ZoneType)]| -> Rc<[usize]> {
            list.iter()
                .filter_map(|&(nid, zone)| self.zone_index(nid, zone))
                .collect()
        };
        self.zonelist_indexes = self
            .nodes
            .iter()
            .map(|n| (index(&n.fallback), index(&n.nofallback)))
            .collect();
    }

    pub(crate) fn with_zonelist_indexes(mut self) -> Allocator {
        self.index_zonelists();
        self
    }

    /// Bytes of heap the allocator holds, measured from its zones' allocations (the
    /// per-page state dominates).
    pub fn heap_bytes(&self) -> usize {
        self.zones
            .iter()
            .map(|z| z.buddy.heap_bytes())
            .sum::<usize>()
            + self.lru.heap_bytes()
    }

    /// Writes a sysctl (see [`crate::machine::Machine::set_sysctl`]) and takes over
    /// what the kernel recomputes: watermarks (the boost back to 0), lowmem_reserve,
    /// every CPU's pageset high and batch, and watermark_boost_factor.
    pub fn set_sysctl(&mut self, name: &str, value: &str) -> Result<(), EngineError> {
        let Some(machine) = self.machine.as_mut() else {
            return Err(EngineError::NoMachine);
        };
        machine
            .set_sysctl(name, value)
            .map_err(|e| EngineError::Sysctl { message: e.message })?;
        // setup_per_zone_wmarks() runs for these writes, and zeroes every boost.
        let rewatermarks = matches!(name, "min_free_kbytes" | "watermark_scale_factor")
            || (name == "thp" && value.trim() != "never");
        self.take_zone_settings(rewatermarks);
        Ok(())
    }

    /// Takes over the machine's watermarks (zeroing every boost if `rewatermarks`),
    /// lowmem_reserve, pageset high and batch, stat thresholds and
    /// watermark_boost_factor after the machine recomputed them.
    fn take_zone_settings(&mut self, rewatermarks: bool) {
        let Some(machine) = self.machine.as_ref() else {
            return;
        };
        self.watermark_boost_factor = machine.config.sysctls.watermark_boost_factor;
        for zone in &mut self.zones {
            let Some(source) = machine.zone(zone.nid, zone.zone) else {
                continue;
            };
            zone.watermark = [
                source.watermark_min,
                source.watermark_low,
                source.watermark_high,
            ];
            if rewatermarks {
                zone.watermark_boost = 0;
            }
            zone.lowmem_reserve = source.lowmem_reserve;
            zone.pageset_high = source.pcp_high;
            zone.pageset_batch = source.pcp_batch;
            for pcp in &mut zone.pcps {
                pcp.high = source.pcp_high;
                pcp.batch = source.pcp_batch;
            }
            for stat in &mut zone.cpu_stats {
                stat.threshold = source.stat_threshold as i64;
            }
        }
    }

    /// Runs the next operations on `cpu`.
    pub fn set_cpu(&mut self, cpu: u32) -> Result<(), EngineError> {
        if !self.online_cpus.contains(&cpu) {
            return Err(EngineError::NoSuchCpu { cpu });
        }
        self.cpu = cpu;
        Ok(())
    }

    /// Checks every invariant of the allocator; `Err` names the first broken one:
    /// each zone's buddy invariants, each pcp count equal to the pages on its lists,
    /// pcp pages in use from the buddy's point of view and on one list once, and the
    /// free-page counter (with every CPU's delta) equal to the pages on the free
    /// lists.
    pub fn check_invariants(&self) -> Result<(), String> {
        for zone in &self.zones {
            let name = format!("zone {}:{}", zone.nid, zone.zone.name());
            zone.buddy
                .check_invariants()
                .map_err(|e| format!("{name}: {e}"))?;
            // A page is on at most one per-cpu list, once (a page freed twice would be
            // given out twice).
            let mut on_pcp = std::collections::BTreeSet::new();
            for pcp in &zone.pcps {
                let mut pages = 0u64;
                for (pindex, list) in pcp.lists.iter().enumerate() {
                    let order = pindex_to_order(pindex);
                    for page in list {
                        if !zone.buddy.is_in_use_block(Pfn(page.pfn), order) {
                            return Err(format!("{name}: pcp page {} on cpu {} list {pindex} is not an in-use block", page.pfn, pcp.cpu));
                        }
                        if !on_pcp.insert(page.pfn) {
                            return Err(format!(
                                "{name}: pcp page {} is on a per-cpu list twice (cpu {} list {pindex})",
                                page.pfn, pcp.cpu
                            ));
                        }
                        pages += order.pages();
                    }
                }
                if pages != pcp.count {
                    return Err(format!(
                        "{name}: cpu {} pcp count {} but {pages} pages on its lists",
                        pcp.cpu, pcp.count
                    ));
                }
            }
            // Free pages on MIGRATE_ISOLATE lists are not counted in NR_FREE_PAGES
            // (__mod_zone_freepage_state() skips them).
            let isolated: u64 = Order::all()
                .map(|o| u64::from(zone.buddy.nr_free_of_type(o, MigrateType::Isolate)) << o.get())
                .sum();
            let buddy_pages = (zone.buddy.free_pages() - isolated) as i64;
            if zone.free_pages_snapshot() != buddy_pages {
                return Err(format!(
                    "{name}: NR_FREE_PAGES with per-cpu deltas is {} but {buddy_pages} pages are on the free lists",
                    zone.free_pages_snapshot()
                ));
            }
        }
        Ok(())
    }
}
