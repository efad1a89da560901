//! Replaying a real kernel's trace block by block (the kmem trace importer's follow
//! mode): the model's own answer to a traced allocation,
//! computed without changing the state, and the traced block taken off the free
//! lists at the pfn the kernel gave it.
//!
//! The kernel has no call that allocates a chosen pfn; the nearest is
//! `take_page_off_buddy()` (mm/page_alloc.c, used by memory-failure handling), which
//! takes one page out of whatever free block holds it and lets
//! `break_down_buddy_pages()` return the rest. The model does the same for a block of
//! any order, and when the block lies on a per-cpu list (where the kernel's function
//! would not find it, since pcp pages are not PageBuddy) takes it off that list
//! instead, so a state that follows a real trace stays what the real machine held.

use super::reclaim::{LruPage, PageUse};
use super::{journal, order_to_pindex, pindex_to_order, Allocation, Allocator, PcpPage};
use crate::buddy::{traced, TraceSink};
use crate::error::EngineError;
use crate::event::{DrainCause, Event};
use crate::types::gfp::Gfp;
use crate::types::{MigrateType, Order, Pfn};

impl Allocator {
    /// What the model's own `__alloc_pages()` would return for this request on the
    /// current CPU and state: the whole allocation path runs on a copy of the state
    /// (kswapd wakes and per-cpu refills included), which is then dropped, so nothing
    /// here changes and nothing is recorded. `None` when the model's allocation fails.
    pub fn predict_alloc(&self, nid: i32, gfp: Gfp, order: u32) -> Option<Pfn> {
        let mut probe = self.clone();
        // Through `&mut dyn TraceSink`, the sink type the session replays and steps
        // through calls with: one compiled copy of the allocation path serves both.
        let mut quiet: &mut dyn TraceSink = &mut ();
        probe
            .alloc_for_nodemask(nid, None, gfp, order, PageUse::Kernel, u64::MAX, &mut quiet)
            .ok()
            .flatten()
            .map(|a| a.pfn)
    }

    /// Takes the block of `order` at `pfn` for its owner (the session's allocation
    /// `owner`), where a traced kernel put it: off the per-cpu list that holds
    /// exactly that block, or out of the free block that holds it
    /// (`take_page_off_buddy()`, see the module). `Ok(None)`, changing nothing, when
    /// the model does not hold those pages free (in use, reserved, a hole, or only
    /// part of a per-cpu block).
    pub fn take_block_at(
        &mut self,
        pfn: Pfn,
        order: u32,
        use_: PageUse,
        owner: u64,
        trace: &mut impl TraceSink,
    ) -> Result<Option<Allocation>, EngineError> {
        let order = Order::new(order).ok_or(EngineError::OrderTooLarge { order })?;
        let Some(z) = self.zone_of_pfn(pfn) else {
            return Ok(None);
        };
        let taken = traced(trace, "take_page_off_buddy", |trace| {
            let taken = self
                .take_off_pcp(z, pfn, order)
                .or_else(|| self.take_off_buddy(z, pfn, order));
            if let Some(event) = taken.clone() {
                trace.emit(event);
            }
            taken
        });
        if taken.is_none() {
            return Ok(None);
        }
        if use_.on_lru() && order == Order::ZERO {
            let page = LruPage {
                pfn: pfn.0,
                use_,
                owner,
            };
            self.lru.push(page);
            self.note_lru(journal::LruOp::Push(page));
            self.zones[z].buddy.set_page_movable(pfn, true);
        }
        let zone = &self.zones[z];
        Ok(Some(Allocation {
            pfn,
            order,
            node: zone.nid,
            zone: zone.zone,
        }))
    }

    /// `rmqueue_bulk()` as a trace recorded it (one mm_page_alloc_zone_locked line
    /// with `percpu_refill=1` a block): the blocks of `order` at `pfns`, in order,
    /// each taken out of the free block that holds it (`take_page_off_buddy()`, see
    /// the module) and added to the tail of the current CPU's per-cpu list for
    /// `migratetype`, as `rmqueue_bulk()` adds what `__rmqueue()` returns. A pfn the
    /// model does not hold free is left out. Returns how many blocks went to the list.
    pub fn refill_pcp_at(
        &mut self,
        pfns: &[u64],
        order: u32,
        migratetype: MigrateType,
        trace: &mut impl TraceSink,
    ) -> Result<u64, EngineError> {
        let order = Order::new(order).ok_or(EngineError::OrderTooLarge { order })?;
        let cpu = self.cpu;
        let pindex = order_to_pindex(migratetype, order);
        Ok(traced(trace, "rmqueue_bulk", |trace| {
            let mut refilled = 0;
            let mut zone_of_batch = None;
            for &pfn in pfns {
                let pfn = Pfn(pfn);
                let Some(z) = self.zone_of_pfn(pfn) else {
                    continue;
                };
                // A CPU without a per-cpu list here would strand the block.
                let has_list = self.zones[z]
                    .pcps
                    .iter()
                    .any(|p| p.cpu == cpu && p.lists.len() > pindex);
                if !has_list {
                    continue;
                }
                let taken = traced(trace, "take_page_off_buddy", |trace| {
                    let taken = self.take_off_buddy(z, pfn, order);
                    if let Some(event) = taken.clone() {
                        trace.emit(event);
                    }
                    taken
                });
                if taken.is_none() {
                    continue;
                }
                let page = PcpPage {
                    pfn: pfn.0,
                    migratetype,
                };
                if let Some(pcp) = self.zones[z].pcp_mut(cpu) {
                    pcp.count += order.pages();
                    if let Some(list) = pcp.lists.get_mut(pindex) {
                        list.push_back(page);
                    }
                }
                self.note_pcp(z, cpu, pindex, journal::PcpOp::Extend(vec![page]));
                self.note_small();
                refilled += 1;
                zone_of_batch.get_or_insert(z);
            }
            if let Some(z) = zone_of_batch {
                trace.emit(Event::PcpRefill {
                    node: self.zones[z].nid,
                    zone: self.zones[z].zone,
                    order,
                    pages: refilled,
                });
            }
            refilled
        }))
    }

    /// Before a traced `rmqueue_bulk()` (see [`Allocator::refill_pcp_at`]): the
    /// kernel refills only an empty per-cpu list (`__rmqueue_pcplist()`), so pages
    /// still on the current CPU's list `order`/`migratetype` in the model were taken
    /// by allocations the trace does not show (`__alloc_pages_bulk()` takes per-cpu
    /// pages without an mm_page_alloc line). They leave the list as it takes them,
    /// head first, and stay in use without an owner. Returns how many.
    pub fn take_untraced_pcp(
        &mut self,
        zone_pfn: Pfn,
        order: u32,
        migratetype: MigrateType,
        trace: &mut impl TraceSink,
    ) -> u64 {
        let (Some(z), Some(order)) = (self.zone_of_pfn(zone_pfn), Order::new(order)) else {
            return 0;
        };
        let cpu = self.cpu;
        let pindex = order_to_pindex(migratetype, order);
        let nonempty = self.zones[z]
            .pcps
            .iter()
            .any(|p| p.cpu == cpu && p.lists.get(pindex).is_some_and(|l| !l.is_empty()));
        if !nonempty {
            return 0;
        }
        traced(trace, "__alloc_pages_bulk", |trace| {
            traced(trace, "__rmqueue_pcplist", |trace| {
                let mut taken = 0;
                while self.pcp_take_front(z, cpu, pindex, order, trace).is_some() {
                    taken += 1;
                }
                taken
            })
        })
    }

    /// `free_pcppages_bulk()` as a trace recorded it (mm_page_pcpu_drain lines):
    /// each page at `pfns` leaves the per-cpu list that holds it and goes back to
    /// the buddy lists through `__free_one_page()`. A pfn on no per-cpu list of the
    /// model is left alone. Returns how many pages went back.
    pub fn drain_pcp_at(&mut self, pfns: &[u64], trace: &mut impl TraceSink) -> u64 {
        traced(trace, "free_pcppages_bulk", |trace| {
            let mut drained = 0;
            for &pfn in pfns {
                let pfn = Pfn(pfn);
                let Some(z) = self.zone_of_pfn(pfn) else {
                    continue;
                };
                let found = self.zones[z].pcps.iter().find_map(|pcp| {
                    pcp.lists.iter().enumerate().find_map(|(pindex, list)| {
                        let at = list.iter().position(|page| page.pfn == pfn.0)?;
                        Some((pcp.cpu, pindex, at, list.get(at)?.migratetype))
                    })
                });
                let Some((cpu, pindex, at, migratetype)) = found else {
                    continue;
                };
                let order = pindex_to_order(pindex);
                if let Some(pcp) = self.zones[z].pcp_mut(cpu) {
                    if let Some(list) = pcp.lists.get_mut(pindex) {
                        list.remove(at);
                    }
                    pcp.count = pcp.count.saturating_sub(order.pages());
                }
                self.note_pcp(z, cpu, pindex, journal::PcpOp::Remove(at));
                if migratetype != MigrateType::Isolate {
                    let here = self.cpu;
                    self.zones[z].mod_free_pages(here, order.pages() as i64);
                }
                self.note_small();
                trace.emit(Event::PcpDrain {
                    pfn,
                    order,
                    migratetype,
                    cause: DrainCause::Traced { cpu },
                });
                let _ = self.zones[z]
                    .buddy
                    .free_block(pfn, order, migratetype, false, trace);
                drained += 1;
            }
            drained
        })
    }

    /// The block, if some CPU's per-cpu list of zone `z` holds exactly it.
    fn take_off_pcp(&mut self, z: usize, pfn: Pfn, order: Order) -> Option<Event> {
        let zone = &self.zones[z];
        let (cpu, pindex, at, migratetype) = zone.pcps.iter().find_map(|pcp| {
            pcp.lists.iter().enumerate().find_map(|(pindex, list)| {
                if pindex_to_order(pindex) != order {
                    return None;
                }
                let at = list.iter().position(|page| page.pfn == pfn.0)?;
                let migratetype = list.get(at)?.migratetype;
                Some((pcp.cpu, pindex, at, migratetype))
            })
        })?;
        let pcp = self.zones[z].pcp_mut(cpu)?;
        pcp.lists.get_mut(pindex)?.remove(at)?;
        pcp.count = pcp.count.saturating_sub(order.pages());
        self.note_pcp(z, cpu, pindex, journal::PcpOp::Remove(at));
        self.note_small();
        // The buddy allocator already counted the page out of NR_FREE_PAGES when
        // rmqueue_bulk() moved it to the per-cpu list.
        Some(Event::TakenOffBuddy {
            pfn,
            order,
            from: pfn,
            from_order: order,
            migratetype,
            pcp_cpu: Some(cpu),
        })
    }

    /// `take_page_off_buddy()`: the block out of the free block that holds it, with
    /// `__mod_zone_freepage_state()` for its pages.
    fn take_off_buddy(&mut self, z: usize, pfn: Pfn, order: Order) -> Option<Event> {
        let (from, from_order, migratetype) =
            self.zones[z].buddy.take_block_off_buddy(pfn, order)?;
        let cpu = self.cpu;
        self.zones[z].mod_free_pages(cpu, -(order.pages() as i64));
        Some(Event::TakenOffBuddy {
            pfn,
            order,
            from,
            from_order,
            migratetype,
            pcp_cpu: None,
        })
    }
}
