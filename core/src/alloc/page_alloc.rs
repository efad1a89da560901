//! The allocation entry points and the zonelist walk: `alloc_pages_node()`,
//! `__alloc_pages()` with its nodemask, `get_page_from_freelist()`, and the slow path
//! for callers that cannot sleep (`gfp_to_alloc_flags()`, `wake_all_kswapds()`, the
//! retry with reserves).

use std::rc::Rc;

use super::*;
use crate::buddy::TraceSink;
use crate::error::EngineError;
use crate::event::{Event, KswapdSkip};
use crate::types::gfp::{self, alloc_flags as af, Gfp};
use crate::types::ZoneType;
use crate::types::{Kernel, MigrateType, Order, Pfn, MAX_RECLAIM_RETRIES};

impl Allocator {
    /// `alloc_pages_node(nid, gfp, order)`: `nid` -1 is the local node.
    pub fn alloc_pages_node(
        &mut self,
        nid: i32,
        gfp: Gfp,
        order: u32,
        trace: &mut impl TraceSink,
    ) -> Result<Option<Allocation>, EngineError> {
        let node = self.node_or_local(nid);
        self.alloc_pages(gfp, order, node, trace)
    }

    /// The node `alloc_pages_node()` allocates from: `nid`, or for `NUMA_NO_NODE` (any
    /// negative id) the current CPU's node, with memory or not (`numa_mem_id()`).
    #[inline]
    pub(super) fn node_or_local(&self, nid: i32) -> u32 {
        u32::try_from(nid).unwrap_or_else(|_| self.numa_mem_id())
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
        if nodemask.is_none() && !trace.listening() {
            if let Some(allocation) = self.alloc_pages_pcp_quiet(gfp, order, preferred_nid) {
                return Ok(Some(allocation));
            }
        }
        crate::buddy::traced(trace, "__alloc_pages", |trace| {
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
                migratetype: self.gfp_migratetype(gfp),
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
            // The zonelist filtered by the nodemask above is prepare_alloc_pages()'s
            // work in the kernel (first_zones_zonelist(), then each walk's
            // for_next_zone_zonelist_nodemask()); the model filters once.
            crate::buddy::traced(trace, "prepare_alloc_pages", |trace| {
                for (node, zone) in skipped {
                    trace.emit(Event::ZoneNotInNodemask { node, zone });
                }
            });
            let mut page = self.get_page_from_freelist(gfp, order, flags, &ac, trace);
            if page.is_none() {
                // Through `dyn`, whatever the sink: one compiled copy of the slow
                // path (reclaim, kswapd, the retries) serves every sink, and the
                // recording sink's copy of the fast path stays small (few
                // allocations get here; docs/performance.md, branch size22).
                page = self.alloc_pages_slowpath(
                    gfp,
                    order,
                    &mut ac,
                    &mut (trace as &mut dyn TraceSink),
                );
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
        })
    }

    /// `__alloc_pages()` for a sink that does not listen, in the one case that is
    /// most of a workload's allocations: Linux 6.1 on one node, no CMA, an order the
    /// per-cpu lists hold, and `get_page_from_freelist()`'s first zone passes
    /// `zone_watermark_fast()` with the current CPU's list for the order and
    /// migratetype not empty and the zone's watermark not boosted, so that
    /// `rmqueue()` → `rmqueue_pcplist()` → `__rmqueue_pcplist()` takes the list's head.
    /// It makes the same changes in the same order as that path (halves
    /// `free_factor`, takes the head, counts PGALLOC, notes each change to the
    /// journal) without building the zonelist walk, the allocation context and the
    /// events nobody hears; `None`, having changed nothing, in every other case,
    /// which then takes the whole path. `pcp_quiet_tests` checks that both give the
    /// same results and states over many random operations on several machines.
    ///
    /// Why: the order-0 allocation is the hot path of every workload, and the
    /// generality around it (zonelist, nodemask, context, result wrapping) cost
    /// about as much as the allocation itself (docs/performance.md, issue 18).
    #[inline]
    pub(super) fn alloc_pages_pcp_quiet(
        &mut self,
        gfp: Gfp,
        order: u32,
        nid: u32,
    ) -> Option<Allocation> {
        let Some(order) = Order::new(order) else {
            return quiet_declines();
        };
        if self.kernel != Kernel::V6_1 || self.cma || !pcp_allowed_order(order) {
            return quiet_declines();
        }
        // One node, and the request's: its general zonelist (not __GFP_THISNODE's).
        let [node] = self.nodes.as_slice() else {
            return quiet_declines();
        };
        if node.nid != nid || gfp.has(gfp::GFP_THISNODE) {
            return quiet_declines();
        }
        let Some((zonelist, _)) = self.zonelist_indexes.first() else {
            return quiet_declines();
        };
        // first_zones_zonelist(): the first zone at or below the request's highest.
        let highest = gfp.zone();
        let Some(z) = zonelist
            .iter()
            .copied()
            .find(|&z| self.zones.get(z).is_some_and(|zone| zone.zone <= highest))
        else {
            return quiet_declines();
        };
        let Some(zone) = self.zones.get(z) else {
            return quiet_declines();
        };
        if zone.flags & ZONE_BOOSTED_WATERMARK != 0 {
            return quiet_declines();
        }
        let migratetype = self.gfp_migratetype(gfp);
        let flags = af::WMARK_LOW
            | self.gfp_to_alloc_flags_cma(gfp)
            | self.alloc_flags_nofragment(Some(z), gfp);
        let cpu = self.cpu;
        let pindex = order_to_pindex(migratetype, order);
        // The tests have no side effects, so their order is free: the watermark
        // first, then the pageset and its list, found once for the take below.
        if !self.zone_watermark_fast_ok(z, order, None, highest, flags, gfp) {
            return quiet_declines();
        }
        let recording = self.recorder.is_on();
        let Some(zone) = self.zones.get_mut(z) else {
            return quiet_declines();
        };
        let (node, zone_type) = (zone.nid, zone.zone);
        let Some(slot) = zone.pcp_slot(cpu) else {
            return quiet_declines();
        };
        let Some(pcp) = zone.pcps.get_mut(slot) else {
            return quiet_declines();
        };
        if pcp.lists.get(pindex).is_none_or(|list| list.is_empty()) {
            return quiet_declines();
        }
        if !recording {
            // Nothing records the changes: the same changes with the pageset found
            // once and no journal notes (the one test of the recorder above stands
            // for the four of the path below).
            match pcp.tuning.as_mut() {
                Some(t) => t.free_count >>= 1,
                None => pcp.free_factor >>= 1,
            }
            let page = pcp.lists.get_mut(pindex)?.pop_front()?;
            pcp.count -= order.pages();
            if let Some(event) = vmstat::VmEvent::pgalloc(zone_type) {
                self.vm_events.add(event, order.pages());
            }
            return Some(Allocation {
                pfn: Pfn(page.pfn),
                order,
                node,
                zone: zone_type,
            });
        }
        // What rmqueue_pcplist() and __rmqueue_pcplist() change, in their order.
        let pcp = self.zones.get_mut(z)?.pcps.get_mut(slot)?;
        match pcp.tuning.as_mut() {
            Some(t) => t.free_count >>= 1,
            None => pcp.free_factor >>= 1,
        }
        self.note_small();
        // The take of pcp_take_front_at(), here in line: inlining that function into
        // rmqueue() as well made traced allocations run more instructions.
        let pcp = self.zones.get_mut(z)?.pcps.get_mut(slot)?;
        let page = pcp.lists.get_mut(pindex)?.pop_front()?;
        pcp.count -= order.pages();
        self.note_pcp(z, cpu, pindex, super::journal::PcpOp::PopFront);
        self.note_small();
        let pfn = Pfn(page.pfn);
        self.count_pgalloc(z, order.pages());
        let zone = self.zones.get(z)?;
        Some(Allocation {
            pfn,
            order,
            node: zone.nid,
            zone: zone.zone,
        })
    }

    /// `gfp_to_alloc_flags_cma()`: with CONFIG_CMA, movable requests may use CMA.
    pub(super) fn gfp_to_alloc_flags_cma(&self, gfp: Gfp) -> u32 {
        if self.cma && self.gfp_migratetype(gfp) == MigrateType::Movable {
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
    #[inline(always)]
    pub(super) fn alloc_flags_nofragment(&self, preferred: Option<usize>, gfp: Gfp) -> u32 {
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
    pub(super) fn get_page_from_freelist(
        &mut self,
        gfp: Gfp,
        order: Order,
        flags: u32,
        ac: &AllocContext,
        trace: &mut impl TraceSink,
    ) -> Option<(usize, Pfn)> {
        crate::buddy::traced(trace, "get_page_from_freelist", |trace| {
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
                    // 6.12 first tests the high mark while ZONE_BELOW_HIGH is clear;
                    // passing it goes straight to the zone (try_this_zone).
                    if self.kernel == Kernel::V6_12
                        && self.zones[z].flags & ZONE_BELOW_HIGH == 0
                        && self.below_high_check(z, order, ac.highest_zoneidx, flags, gfp, trace)
                    {
                        if let Some(pfn) = self.rmqueue(z, order, gfp, flags, ac.migratetype, trace)
                        {
                            self.after_rmqueue(z, pfn, order, flags, trace);
                            return Some((z, pfn));
                        }
                        continue;
                    }
                    let ok = crate::buddy::traced(trace, "zone_watermark_fast", |trace| {
                        if !trace.listening() {
                            return self.zone_watermark_fast_ok(
                                z,
                                order,
                                None,
                                ac.highest_zoneidx,
                                flags,
                                gfp,
                            );
                        }
                        let terms =
                            self.zone_watermark_fast(z, order, ac.highest_zoneidx, flags, gfp);
                        let ok = terms.ok();
                        let zone = &self.zones[z];
                        trace.emit(Event::WatermarkCheck {
                            node: zone.nid,
                            zone: zone.zone,
                            order,
                            terms,
                            ok,
                        });
                        ok
                    });
                    if !ok && flags & af::NO_WATERMARKS == 0 {
                        // node_reclaim_mode is 0: move on to the next zone.
                        continue;
                    }
                    if let Some(pfn) = self.rmqueue(z, order, gfp, flags, ac.migratetype, trace) {
                        self.after_rmqueue(z, pfn, order, flags, trace);
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
        })
    }

    /// What `get_page_from_freelist()` does with a page `rmqueue()` returned: for a
    /// high-order atomic request, `reserve_highatomic_pageblock()` (6.1's or 6.12's).
    #[inline(always)]
    fn after_rmqueue(
        &mut self,
        z: usize,
        pfn: Pfn,
        order: Order,
        flags: u32,
        trace: &mut impl TraceSink,
    ) {
        if flags & af::HIGHATOMIC != 0 {
            self.reserve_highatomic(z, pfn, order, &mut (trace as &mut dyn TraceSink));
        }
    }

    /// `reserve_highatomic_pageblock()` of the kernel that runs, for a page a
    /// high-order atomic request got (out of line: few requests get here).
    #[inline(never)]
    fn reserve_highatomic(&mut self, z: usize, pfn: Pfn, order: Order, trace: &mut impl TraceSink) {
        match self.kernel {
            Kernel::V6_1 => self.reserve_highatomic_pageblock(z, pfn, trace),
            Kernel::V6_12 => crate::buddy::traced(trace, "reserve_highatomic_pageblock", |trace| {
                self.reserve_highatomic_6_12(z, pfn, order, trace)
            }),
        }
    }

    /// 6.12's ZONE_BELOW_HIGH detection in `get_page_from_freelist()`: the zone
    /// against its high watermark, with the request's flags; below it, the flag is
    /// set. Returns whether the zone passed.
    fn below_high_check(
        &mut self,
        z: usize,
        order: Order,
        highest: ZoneType,
        flags: u32,
        gfp: Gfp,
        trace: &mut impl TraceSink,
    ) -> bool {
        // The test is zone_watermark_fast()'s; the decision (and its event) is
        // get_page_from_freelist()'s, the caller's frame.
        if !trace.listening() {
            let ok = crate::buddy::traced(trace, "zone_watermark_fast", |_| {
                self.zone_watermark_fast_ok(z, order, Some(2), highest, flags, gfp)
            });
            if !ok {
                self.zones[z].flags |= ZONE_BELOW_HIGH;
                self.note_small();
            }
            return ok;
        }
        let terms = crate::buddy::traced(trace, "zone_watermark_fast", |_| {
            self.zone_watermark_fast_at(z, order, Some(2), highest, flags, gfp)
        });
        let ok = terms.ok();
        if !ok {
            self.zones[z].flags |= ZONE_BELOW_HIGH;
            self.note_small();
        }
        let zone = &self.zones[z];
        trace.emit(Event::BelowHighCheck {
            node: zone.nid,
            zone: zone.zone,
            order,
            terms,
            ok,
        });
        ok
    }

    /// `__alloc_pages_slowpath()` for what the model runs: recompute the flags with
    /// `gfp_to_alloc_flags()`, wake kswapd, try again with the min watermark and the
    /// reserves this caller may use, and (callers that may not sleep) give up.
    #[inline(never)]
    pub(super) fn alloc_pages_slowpath(
        &mut self,
        gfp: Gfp,
        order: Order,
        ac: &mut AllocContext,
        trace: &mut impl TraceSink,
    ) -> Option<(usize, Pfn)> {
        crate::buddy::traced(trace, "__alloc_pages_slowpath", |trace| {
            let flags =
                gfp::gfp_to_alloc_flags(gfp, order.get()) | self.gfp_to_alloc_flags_cma(gfp);
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
        })
    }

    /// `wake_all_kswapds()`: one `wakeup_kswapd()` per node of the zonelist.
    pub(super) fn wake_all_kswapds(
        &mut self,
        order: Order,
        ac: &AllocContext,
        trace: &mut impl TraceSink,
    ) {
        crate::buddy::traced(trace, "wake_all_kswapds", |trace| {
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
        })
    }

    /// `wakeup_kswapd()`: record the order and highest zone index kswapd should work
    /// for, then wake kswapd unless it is awake already, the node is hopeless
    /// (`kswapd_failures` ≥ `MAX_RECLAIM_RETRIES`) or the node is balanced for this
    /// request with no zone boosted. kswapd then runs after the operation, as a call
    /// of its own (see the session module). The kernel's `cpuset_zone_allowed()` test
    /// always passes (no cpusets), and kcompactd, which it wakes for a balanced node
    /// when the caller cannot reclaim, does not run in the model.
    #[inline(never)]
    pub(super) fn wakeup_kswapd(
        &mut self,
        z: usize,
        order: u8,
        highest: ZoneType,
        trace: &mut impl TraceSink,
    ) {
        crate::buddy::traced(trace, "wakeup_kswapd", |trace| {
            if self.zones[z].managed == 0 {
                return;
            }
            let nid = self.zones[z].nid;
            let Some(index) = self.nodes.iter().position(|n| n.nid == nid) else {
                return;
            };
            let highest_zoneidx = highest.index() as u32;
            let node = &mut self.nodes[index];
            if node.kswapd_highest_zoneidx == KSWAPD_IDLE_ZONEIDX
                || node.kswapd_highest_zoneidx < highest_zoneidx
            {
                node.kswapd_highest_zoneidx = highest_zoneidx;
            }
            if node.kswapd_order < u32::from(order) {
                node.kswapd_order = u32::from(order);
            }
            let failures = node.kswapd_failures;
            let reason = if node.kswapd_woken {
                Some(KswapdSkip::Awake)
            } else if failures >= MAX_RECLAIM_RETRIES {
                Some(KswapdSkip::Hopeless { failures })
            } else {
                let check = self.pgdat_balanced(nid, order, highest);
                (check.balanced && !self.pgdat_watermark_boosted(nid, highest))
                    .then_some(KswapdSkip::Balanced { check })
            };
            match reason {
                Some(reason) => {
                    self.note_small();
                    trace.emit(Event::KswapdNotWoken {
                        node: nid,
                        order,
                        highest_zoneidx,
                        reason,
                    })
                }
                None => {
                    self.nodes[index].kswapd_woken = true;
                    self.note_small();
                    trace.emit(Event::KswapdWake {
                        node: nid,
                        order,
                        highest_zoneidx,
                    });
                }
            }
        })
    }
}

/// [`Allocator::alloc_pages_pcp_quiet`] declining: a call LLVM takes as cold, so that
/// it weighs the shortcut's branches towards the path that takes the page. Without
/// it, a dozen tests of unknown outcome made LLVM estimate the take itself as a cold
/// block and leave `VecDeque::pop_front()` a call there (docs/performance.md, branch
/// pcp18).
#[cold]
#[inline(never)]
fn quiet_declines() -> Option<Allocation> {
    None
}
