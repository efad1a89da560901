//! Reclaim and compaction: a model, labelled as one.
//!
//! The kernel's reclaim (mm/vmscan.c) and compaction (mm/compaction.c) are large
//! machines driven by LRU ageing, writeback, shrinkers and timing. The playground
//! models the decisions a learner follows in `__alloc_pages_slowpath()` and keeps
//! their structure, with these simplifications:
//!
//! - Reclaimable memory exists because workloads create it: a page allocated as page
//!   cache (clean, dropped on reclaim) or anonymous (reclaimable only when swap is
//!   configured) goes on one LRU list, oldest first. No ageing, no active/inactive
//!   split, no dirty pages or writeback, no shrinkers.
//! - Reclaim (`shrink_node()` reduced) frees the oldest reclaimable pages of the
//!   allowed zones, up to `SWAP_CLUSTER_MAX` (32) for direct reclaim, through the
//!   normal free path (so they reach the per-cpu lists, as `free_unref_page_list()`
//!   sends them).
//! - Compaction (`compact_zone()` reduced) runs a migrate scanner up from the zone
//!   start and a free scanner down from the zone end, a pageblock at a time; the free
//!   scanner takes the free blocks of MOVABLE pageblocks (`__isolate_free_page()`,
//!   split to single pages), the migrate scanner moves each LRU page of its pageblock
//!   into one of them and frees the original; it stops when the scanners meet or a
//!   block of the requested order is free (`__compact_finished()`).
//! - kswapd runs to completion at a point the session defines (a call of its own
//!   right after the operation that woke it, or when a workload says `kswapd`), not
//!   beside the allocations as the kernel's thread does. `balance_pgdat()` keeps its
//!   decisions (`pgdat_balanced()` on the high watermark plus boost and the
//!   lowmem_reserve of kswapd's highest zone, boosted reclaim
//!   of `nr_boost_reclaim` pages without swap that gives way to ordinary reclaim on
//!   an imbalanced node, the boosts taken back at the end, `kswapd_failures` when a
//!   pass reclaims nothing, the fall to order 0 after `compact_gap()` pages) but
//!   reclaims `SWAP_CLUSTER_MAX` pages a round instead of scanning by priority, so
//!   it stops within 32 pages of where balance is reached. kcompactd, which it would
//!   wake, does not run.
//! - The OOM killer is a decision, not an action: the model says it would kill a
//!   task, and the allocation fails.

use super::vmstat::VmEvent;
use super::{AllocContext, Allocator, KSWAPD_IDLE_ZONEIDX};
use crate::buddy::TraceSink;
use crate::event::{BalanceCheck, Event};
use crate::types::gfp::{self, alloc_flags as af, Gfp};
use crate::types::ZoneType;
use crate::types::{MigrateType, Order, Pfn, MAX_ORDER, PAGEBLOCK_ORDER};

pub use crate::types::{MAX_RECLAIM_RETRIES, SWAP_CLUSTER_MAX};
/// `MAX_COMPACT_RETRIES`.
pub const MAX_COMPACT_RETRIES: u32 = 16;
/// `sysctl_extfrag_threshold`'s default.
pub const EXTFRAG_THRESHOLD: i64 = 500;
/// A safety bound on slow-path retries; the kernel has none, and in the model every
/// retry makes progress or ends, but a bound keeps a hostile input from looping.
const RETRY_LIMIT: u32 = 10_000;

/// Who runs `shrink_zones()`: the counters it moves depend on it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Reclaimer {
    Kswapd,
    Direct,
    DropCaches,
}

/// What a page in use is used for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum PageUse {
    /// Kernel memory: neither reclaimable nor movable.
    #[default]
    Kernel,
    /// Clean page cache: on the LRU, movable, dropped on reclaim.
    PageCache,
    /// Anonymous memory: on the LRU, movable, reclaimable only with swap.
    Anon,
}

impl PageUse {
    /// Whether pages of this use go on the LRU (and so can be migrated).
    pub fn on_lru(self) -> bool {
        self != PageUse::Kernel
    }

    /// The word used in the workload language and the page.
    pub fn name(self) -> &'static str {
        match self {
            PageUse::Kernel => "kernel",
            PageUse::PageCache => "pagecache",
            PageUse::Anon => "anon",
        }
    }
}

/// A page on the LRU list.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LruPage {
    pub pfn: u64,
    pub use_: PageUse,
    /// Who holds it (the session's allocation index).
    pub owner: u64,
}

/// What undoes one change to an [`Lru`] (stepping back through a call).
#[derive(Clone, Debug)]
pub(crate) enum LruUndo {
    /// The whole list as it was (before a push that sweeps the holes up).
    Whole(Box<Lru>),
    /// Put back what `remove(pfn)` took: its map entry and its page.
    Unremove {
        pfn: u64,
        slot: Option<usize>,
        page: Option<LruPage>,
    },
    /// Take the pushed page off the end, then put back what its removal took.
    Unpush { pfn: u64, removed: Box<LruUndo> },
    Unmove {
        from: u64,
        to: u64,
        slot: Option<usize>,
        moved: bool,
    },
}

/// The LRU list: pages oldest first, found by pfn through a hash map (every
/// allocation and free of a page-cache or anonymous page looks one up). Removing a
/// page leaves a hole that a later push sweeps up, so freeing a page-cache page does
/// not shift the whole list (the kernel's list_del() is O(1) too).
#[derive(Clone, Default)]
pub struct Lru {
    slots: Vec<Option<LruPage>>,
    at: std::collections::HashMap<u64, usize, crate::types::hash::WordHash>,
    live: usize,
    /// The list's pages counted by zone, worked out when first asked for, then kept
    /// up to date by every push, removal and move, and forgotten when an undo puts
    /// the list back ([`Lru::zone_pages`]). Not part of the list's value: equality,
    /// `Debug` and [`Lru::heap_bytes`] leave it out.
    counted: core::cell::RefCell<Option<ZoneCounts>>,
}

/// Page-cache and anonymous pages on the LRU in each zone, for the zone layout
/// `spans` (each zone's first pfn and the pfn after its last) they were counted with.
#[derive(Clone, Debug, Default)]
struct ZoneCounts {
    spans: Vec<(u64, u64)>,
    pages: Vec<[u64; 2]>,
}

impl ZoneCounts {
    /// Counts a page at `pfn` of use `use_` in (`add`) or out; `None` if a count
    /// would go below zero (the counts no longer match the list: count again).
    fn adjust(mut self, pfn: u64, use_: PageUse, add: bool) -> Option<ZoneCounts> {
        let kind = match use_ {
            PageUse::PageCache => 0,
            PageUse::Anon => 1,
            PageUse::Kernel => return Some(self),
        };
        let zone = self
            .spans
            .iter()
            .position(|&(start, end)| start <= pfn && pfn < end);
        if let Some(n) = zone
            .and_then(|z| self.pages.get_mut(z))
            .and_then(|pages| pages.get_mut(kind))
        {
            *n = if add { *n + 1 } else { n.checked_sub(1)? };
        }
        Some(self)
    }
}

impl PartialEq for Lru {
    fn eq(&self, other: &Lru) -> bool {
        self.slots == other.slots && self.at == other.at && self.live == other.live
    }
}

impl Eq for Lru {}

/// Prints as the derived form did when `at` was a `BTreeMap`: its entries by pfn.
impl core::fmt::Debug for Lru {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        struct ByPfn<'a>(Vec<(&'a u64, &'a usize)>);
        impl core::fmt::Debug for ByPfn<'_> {
            fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
                f.debug_map().entries(self.0.iter().copied()).finish()
            }
        }
        let mut at: Vec<(&u64, &usize)> = self.at.iter().collect();
        crate::types::sort::sort(&mut at);
        f.debug_struct("Lru")
            .field("slots", &self.slots)
            .field("at", &ByPfn(at))
            .field("live", &self.live)
            .finish()
    }
}

impl Lru {
    /// Pages on the list.
    pub fn len(&self) -> usize {
        self.live
    }

    pub fn is_empty(&self) -> bool {
        self.live == 0
    }

    /// The pages, oldest first.
    pub fn iter(&self) -> impl Iterator<Item = &LruPage> + '_ {
        self.slots.iter().flatten()
    }

    /// Page-cache and anonymous pages on the list in zone `z`, for zones whose first
    /// pfn and pfn past the last are `spans` (a page counts for the first zone that
    /// holds its pfn, as `Allocator::zone_of_pfn` finds it). The kernel keeps these as
    /// per-zone counters (NR_ZONE_INACTIVE_FILE and the rest) that each list change
    /// adjusts; the model counts its list once for a zone layout and then adjusts the
    /// counts at each push, removal and move, so the retry rules and reclaim of a
    /// failing allocation do not walk the whole list each time (a fuzzer found a
    /// workload whose 5,010 failing allocations walked it for 28 seconds, and one
    /// whose page-cache allocations between failing ones had it walked again at each
    /// of them: fuzz/README.md).
    pub(crate) fn zone_pages(&self, z: usize, spans: &[(u64, u64)]) -> [u64; 2] {
        let mut counted = self.counted.borrow_mut();
        let fresh = counted.as_ref().is_some_and(|c| c.spans == spans);
        if !fresh {
            let empty = ZoneCounts {
                spans: spans.to_vec(),
                pages: vec![[0u64; 2]; spans.len()],
            };
            *counted = self
                .iter()
                .try_fold(empty, |c, page| c.adjust(page.pfn, page.use_, true));
        }
        counted
            .as_ref()
            .and_then(|c| c.pages.get(z))
            .copied()
            .unwrap_or_default()
    }

    /// Forgets the counts by zone: the list was put back as it was.
    fn changed(&mut self) {
        *self.counted.get_mut() = None;
    }

    /// Counts a page at `pfn` of use `use_` in or out of the kept counts by zone.
    fn count(&mut self, pfn: u64, use_: PageUse, add: bool) {
        let counted = self.counted.get_mut();
        if let Some(counts) = counted.take() {
            *counted = counts.adjust(pfn, use_, add);
        }
    }

    /// Adds a page as the youngest.
    pub fn push(&mut self, page: LruPage) {
        self.remove(page.pfn);
        if self.slots.len() >= 64 && self.slots.len() >= 2 * self.live {
            self.sweep();
        }
        self.at.insert(page.pfn, self.slots.len());
        self.slots.push(Some(page));
        self.live += 1;
        self.count(page.pfn, page.use_, true);
    }

    /// Takes the page at `pfn` off the list.
    pub fn remove(&mut self, pfn: u64) -> Option<LruPage> {
        let slot = self.at.remove(&pfn)?;
        let page = self.slots.get_mut(slot)?.take();
        self.live -= usize::from(page.is_some());
        if let Some(page) = page {
            self.count(page.pfn, page.use_, false);
        }
        page
    }

    /// The page at `pfn` now lives at `to` (compaction moved it), keeping its age.
    pub fn moved(&mut self, pfn: u64, to: u64) {
        if let Some(slot) = self.at.remove(&pfn) {
            if let Some(Some(page)) = self.slots.get_mut(slot) {
                let (from, use_) = (page.pfn, page.use_);
                page.pfn = to;
                self.at.insert(to, slot);
                self.count(from, use_, false);
                self.count(to, use_, true);
            }
        }
    }

    /// Slot positions, for walks that remove as they go (holes read as `None`).
    fn slot_count(&self) -> usize {
        self.slots.len()
    }

    fn slot(&self, index: usize) -> Option<LruPage> {
        self.slots.get(index).copied().flatten()
    }

    fn sweep(&mut self) {
        self.slots.retain(Option::is_some);
        for (index, page) in self.slots.iter().enumerate() {
            if let Some(page) = page {
                self.at.insert(page.pfn, index);
            }
        }
    }

    /// What undoes `remove(pfn)` on the list as it is now.
    pub(crate) fn undo_remove(&self, pfn: u64) -> LruUndo {
        let slot = self.at.get(&pfn).copied();
        LruUndo::Unremove {
            pfn,
            slot,
            page: slot.and_then(|s| self.slot(s)),
        }
    }

    /// What undoes `push(page)` on the list as it is now: the whole list when the
    /// push would sweep the holes up.
    pub(crate) fn undo_push(&self, page: &LruPage) -> LruUndo {
        let removed = self.undo_remove(page.pfn);
        let taken = matches!(removed, LruUndo::Unremove { page: Some(_), .. });
        let live = self.live - usize::from(taken);
        if self.slots.len() >= 64 && self.slots.len() >= 2 * live {
            return LruUndo::Whole(Box::new(self.clone()));
        }
        LruUndo::Unpush {
            pfn: page.pfn,
            removed: Box::new(removed),
        }
    }

    /// What undoes `moved(from, to)` on the list as it is now.
    pub(crate) fn undo_moved(&self, from: u64, to: u64) -> LruUndo {
        if self.at.contains_key(&to) {
            return LruUndo::Whole(Box::new(self.clone()));
        }
        let slot = self.at.get(&from).copied();
        LruUndo::Unmove {
            from,
            to,
            slot,
            moved: slot.is_some_and(|s| self.slot(s).is_some()),
        }
    }

    /// Applies what one of the `undo_*` methods computed, on the list the change
    /// left.
    pub(crate) fn undo(&mut self, undo: &LruUndo) {
        self.changed();
        match undo {
            LruUndo::Whole(lru) => self.clone_from(lru),
            LruUndo::Unremove { pfn, slot, page } => {
                if let Some(slot) = slot {
                    self.at.insert(*pfn, *slot);
                    if let (Some(page), Some(entry)) = (page, self.slots.get_mut(*slot)) {
                        *entry = Some(*page);
                        self.live += 1;
                    }
                }
            }
            LruUndo::Unpush { pfn, removed } => {
                self.slots.pop();
                self.at.remove(pfn);
                self.live = self.live.saturating_sub(1);
                self.undo(removed);
            }
            LruUndo::Unmove {
                from,
                to,
                slot,
                moved,
            } => {
                if let Some(slot) = slot {
                    if *moved {
                        self.at.remove(to);
                        if let Some(Some(page)) = self.slots.get_mut(*slot) {
                            page.pfn = *from;
                        }
                    }
                    self.at.insert(*from, *slot);
                }
            }
        }
    }

    /// Heap bytes held, the map estimated at 48 bytes an entry: the figure of the
    /// B-tree it replaced, kept so the session's checkpoint spacing (which reads it)
    /// stays as it was; the hash map holds about 17 to 40 bytes an entry.
    pub fn heap_bytes(&self) -> usize {
        self.slots.capacity() * core::mem::size_of::<Option<LruPage>>() + self.at.len() * 48
    }
}

/// What a compaction run ended with (`enum compact_result`, the values the slow
/// path looks at).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CompactResult {
    /// Not worth running (`COMPACT_SKIPPED`).
    Skipped,
    /// The scanners met (`COMPACT_COMPLETE`).
    Complete,
    /// A suitable free block exists (`COMPACT_SUCCESS`).
    Success,
}

impl Allocator {
    /// Allocates for a workload, recording what the page is used for: order-0
    /// page-cache and anonymous pages go on the LRU (where reclaim and compaction find
    /// them). Higher-order allocations are kernel memory in the model.
    pub fn alloc_for(
        &mut self,
        nid: i32,
        gfp: Gfp,
        order: u32,
        use_: PageUse,
        owner: u64,
        trace: &mut impl TraceSink,
    ) -> Result<Option<super::Allocation>, crate::error::EngineError> {
        self.alloc_for_nodemask(nid, None, gfp, order, use_, owner, trace)
    }

    /// [`Allocator::alloc_for`] with a nodemask (`__alloc_pages()`'s last argument).
    #[allow(clippy::too_many_arguments)]
    pub fn alloc_for_nodemask(
        &mut self,
        nid: i32,
        nodemask: Option<&[u32]>,
        gfp: Gfp,
        order: u32,
        use_: PageUse,
        owner: u64,
        trace: &mut impl TraceSink,
    ) -> Result<Option<super::Allocation>, crate::error::EngineError> {
        let node = self.node_or_local(nid);
        let result = self.alloc_pages_nodemask(gfp, order, node, nodemask, trace)?;
        if let Some(a) = result {
            if use_.on_lru() && order == 0 {
                let page = LruPage {
                    pfn: a.pfn.0,
                    use_,
                    owner,
                };
                self.lru.push(page);
                self.note_lru(super::journal::LruOp::Push(page));
                if let Some(z) = self.zone_of_pfn(a.pfn) {
                    self.zones[z].buddy.set_page_movable(a.pfn, true);
                }
            }
        }
        Ok(result)
    }

    /// Frees a block its owner gives back, taking it off the LRU first.
    pub fn free_owned(
        &mut self,
        pfn: Pfn,
        order: u32,
        trace: &mut impl TraceSink,
    ) -> Result<(), crate::error::EngineError> {
        let z = self
            .zone_of_pfn(pfn)
            .ok_or(crate::error::EngineError::PfnOutsideZone { pfn })?;
        let order_checked =
            Order::new(order).ok_or(crate::error::EngineError::OrderTooLarge { order })?;
        if !self.zones[z].buddy.is_in_use_block(pfn, order_checked) {
            return Err(crate::error::EngineError::NotAllocated { pfn });
        }
        self.lru.remove(pfn.0);
        self.note_lru(super::journal::LruOp::Remove(pfn.0));
        self.zones[z].buddy.set_page_movable(pfn, false);
        self.free_pages(pfn, order, trace)
    }

    fn reclaimable(&self, page: &LruPage) -> bool {
        match page.use_ {
            PageUse::PageCache => true,
            PageUse::Anon => self.swap,
            PageUse::Kernel => false,
        }
    }

    /// Reclaimable pages on the LRU in zone `z` (`zone_reclaimable_pages()`).
    pub fn zone_reclaimable_pages(&self, z: usize) -> u64 {
        self.lru_takeable(z, true)
    }

    /// The LRU pages in zone `z` that reclaim could take ([`Lru::zone_pages`]): the
    /// page cache, and anonymous pages when swap is configured and `may_swap` (the
    /// pages [`Allocator::reclaimable`] and `shrink()`'s walk accept).
    fn lru_takeable(&self, z: usize, may_swap: bool) -> u64 {
        let spans: Vec<(u64, u64)> = self
            .zones
            .iter()
            .map(|zone| (zone.buddy.start_pfn().0, zone.buddy.end_pfn().0))
            .collect();
        let [file, anon] = self.lru.zone_pages(z, &spans);
        file + if self.swap && may_swap { anon } else { 0 }
    }

    /// `shrink_zones()` reduced: free up to `nr` of the oldest reclaimable LRU pages
    /// of `zones` (anonymous pages only if `may_swap` and swap is configured).
    /// Returns the pages freed. A node that got pages back has its
    /// `kswapd_failures` reset, as `shrink_node()` does.
    fn shrink(
        &mut self,
        zones: &[usize],
        nr: u64,
        may_swap: bool,
        by: Reclaimer,
        trace: &mut impl TraceSink,
    ) -> u64 {
        crate::buddy::traced(trace, "shrink_zones", |trace| {
            let mut reclaimed = 0;
            let mut by_use = [0u64; 2];
            // The walk below takes only these pages: with none of them on the list
            // it would walk all of it and take nothing.
            let candidates: u64 = zones.iter().map(|&z| self.lru_takeable(z, may_swap)).sum();
            let mut i = if candidates == 0 {
                self.lru.slot_count()
            } else {
                0
            };
            while i < self.lru.slot_count() && reclaimed < nr {
                let Some(page) = self.lru.slot(i) else {
                    i += 1;
                    continue;
                };
                let in_zone = self
                    .zone_of_pfn(Pfn(page.pfn))
                    .is_some_and(|z| zones.contains(&z));
                if !in_zone || !self.reclaimable(&page) || (!may_swap && page.use_ == PageUse::Anon)
                {
                    i += 1;
                    continue;
                }
                self.lru.remove(page.pfn);
                self.note_lru(super::journal::LruOp::Remove(page.pfn));
                i += 1;
                let pfn = Pfn(page.pfn);
                if let Some(z) = self.zone_of_pfn(pfn) {
                    self.zones[z].buddy.set_page_movable(pfn, false);
                }
                // An LRU page is an order-0 page in use, so the free below succeeds;
                // the check keeps the sentence true if it ever could not.
                let in_use = self
                    .zone_of_pfn(pfn)
                    .is_some_and(|z| self.zones[z].buddy.is_in_use_block(pfn, Order::ZERO));
                if in_use {
                    crate::buddy::traced(trace, "shrink_page_list", |trace| {
                        trace.emit(Event::Reclaimed {
                            pfn,
                            owner: page.owner,
                        });
                        let _ = self.free_pages(pfn, 0, trace);
                    });
                    reclaimed += 1;
                    by_use[usize::from(page.use_ == PageUse::PageCache)] += 1;
                    if let Some(z) = self.zone_of_pfn(pfn) {
                        let nid = self.zones[z].nid;
                        if let Some(node) = self.nodes.iter_mut().find(|n| n.nid == nid) {
                            node.kswapd_failures = 0;
                        }
                        self.note_small();
                    }
                }
            }
            self.count_reclaim(by, by_use);
            reclaimed
        })
    }

    /// `shrink_inactive_list()`'s counters: PGSCAN_KSWAPD or PGSCAN_DIRECT (by who
    /// reclaims) and PGSCAN_ANON or PGSCAN_FILE for the pages taken off the LRU,
    /// then the PGSTEAL ones for the pages reclaimed. In the model every page taken
    /// is reclaimed (no referenced, dirty or mapped pages go back), so scan and steal
    /// are equal. drop_caches frees through the page cache, not the LRU scan, and
    /// counts neither. `by_use` holds the anonymous then the file pages.
    fn count_reclaim(&mut self, by: Reclaimer, by_use: [u64; 2]) {
        let (scan, steal) = match by {
            Reclaimer::Kswapd => (VmEvent::PgscanKswapd, VmEvent::PgstealKswapd),
            Reclaimer::Direct => (VmEvent::PgscanDirect, VmEvent::PgstealDirect),
            Reclaimer::DropCaches => return,
        };
        let [anon, file] = by_use;
        self.count_vm_events(scan, anon + file);
        self.count_vm_events(VmEvent::PgscanAnon, anon);
        self.count_vm_events(VmEvent::PgscanFile, file);
        self.count_vm_events(steal, anon + file);
        self.count_vm_events(VmEvent::PgstealAnon, anon);
        self.count_vm_events(VmEvent::PgstealFile, file);
    }

    /// The kswapd thread of node `nid` (`kswapd()`), from being woken to sleeping
    /// again: take the order and zone index the wakers recorded (resetting them), run
    /// `balance_pgdat()`, and try to sleep (`kswapd_try_to_sleep()`); while
    /// `prepare_kswapd_sleep()` refuses, run `balance_pgdat()` again for the order
    /// now recorded (0 unless someone woke it meanwhile). Every pass reclaims or
    /// counts a failure, and a node with `MAX_RECLAIM_RETRIES` failures may sleep, so
    /// this ends. Returns the pages reclaimed.
    ///
    /// Reduced (see the module notes): kswapd runs here to completion, at a point
    /// the session chooses, instead of beside the allocations; its short sleep
    /// (`HZ/10`) cannot be cut short by a new wake-up, so the second
    /// `prepare_kswapd_sleep()` gives the first one's answer.
    pub fn run_kswapd(
        &mut self,
        nid: u32,
        trace: &mut impl TraceSink,
    ) -> Result<u64, crate::error::EngineError> {
        let node = self
            .nodes
            .iter()
            .position(|n| n.nid == nid)
            .ok_or(crate::error::EngineError::NoSuchNode { node: nid })?;
        crate::buddy::traced(trace, "kswapd", |trace| {
            // The thread's own highest_zoneidx starts at MAX_NR_ZONES - 1 and is kept
            // while the wakers leave the node's at MAX_NR_ZONES (kswapd_highest_zoneidx()).
            let mut highest = ZoneType::Movable;
            let mut total = 0;
            for _ in 0..RETRY_LIMIT {
                let (alloc_order, zoneidx) = self.kswapd_take_request(node);
                if let Some(zoneidx) = zoneidx {
                    highest = zoneidx;
                }
                let reclaim_order =
                    self.balance_pgdat(node, alloc_order, highest, &mut total, trace);
                // A high-order pass that fell back to order 0 tries to sleep at order 0;
                // otherwise kswapd reads the order recorded since it woke (0 here).
                let sleep_order = if reclaim_order < alloc_order {
                    reclaim_order
                } else {
                    self.nodes[node].kswapd_order.min(u32::from(MAX_ORDER) - 1) as u8
                };
                if let Some(zoneidx) = self.kswapd_recorded_zone(node) {
                    highest = zoneidx;
                }
                let failures = self.nodes[node].kswapd_failures;
                let check = self.pgdat_balanced(nid, sleep_order, highest);
                let sleeps = failures >= MAX_RECLAIM_RETRIES || check.balanced;
                // kswapd_try_to_sleep(): a node not ready to sleep counts a high
                // watermark hit. The low one counts a wake-up during the short
                // sleep, which the model's kswapd (run to completion) never has.
                if !sleeps {
                    self.count_vm_events(VmEvent::KswapdHighWmarkHitQuickly, 1);
                }
                crate::buddy::traced(trace, "kswapd_try_to_sleep", |trace| {
                    trace.emit(Event::KswapdTrySleep {
                        node: nid,
                        order: sleep_order,
                        failures,
                        check,
                        sleeps,
                    });
                });
                if sleeps {
                    break;
                }
            }
            self.nodes[node].kswapd_woken = false;
            self.note_small();
            Ok(total)
        })
    }

    /// The order and zone index the wakers recorded, reset to "none" as kswapd reads
    /// them on waking.
    fn kswapd_take_request(&mut self, node: usize) -> (u8, Option<ZoneType>) {
        let order = self.nodes[node].kswapd_order.min(u32::from(MAX_ORDER) - 1) as u8;
        let zoneidx = self.kswapd_recorded_zone(node);
        self.nodes[node].kswapd_order = 0;
        self.nodes[node].kswapd_highest_zoneidx = KSWAPD_IDLE_ZONEIDX;
        self.note_small();
        (order, zoneidx)
    }

    /// The node's `kswapd_highest_zoneidx` as a zone type, `None` for "none
    /// recorded" (`MAX_NR_ZONES`).
    fn kswapd_recorded_zone(&self, node: usize) -> Option<ZoneType> {
        match self.nodes[node].kswapd_highest_zoneidx {
            KSWAPD_IDLE_ZONEIDX => None,
            idx => ZoneType::ALL.get(idx as usize).copied(),
        }
    }

    /// `balance_pgdat()` reduced (see the module notes): reclaim `SWAP_CLUSTER_MAX`
    /// pages a round, checking `pgdat_balanced()` between rounds, until the node is
    /// balanced for the order and the boosts of its zones up to `highest` have been
    /// reclaimed (`nr_boost_reclaim`; boosted reclaim takes no anonymous pages, as
    /// it may not swap), or nothing more can be reclaimed; then take the boosts it
    /// started with back. Returns the order it stopped at (`sc.order`: 0 once twice
    /// the order's pages were reclaimed, `compact_gap()`).
    fn balance_pgdat(
        &mut self,
        node: usize,
        order: u8,
        highest: ZoneType,
        total: &mut u64,
        trace: &mut impl TraceSink,
    ) -> u8 {
        crate::buddy::traced(trace, "balance_pgdat", |trace| {
            self.count_vm_events(VmEvent::Pageoutrun, 1);
            let nid = self.nodes[node].nid;
            let zones: Vec<usize> = (0..self.zones.len())
                .filter(|&z| {
                    let zone = &self.zones[z];
                    zone.nid == nid && zone.zone <= highest && zone.managed > 0
                })
                .collect();
            let zone_boosts: Vec<(usize, u64)> = zones
                .iter()
                .map(|&z| (z, self.zones[z].watermark_boost))
                .filter(|&(_, boost)| boost > 0)
                .collect();
            let mut nr_boost_reclaim: u64 = zone_boosts.iter().map(|&(_, boost)| boost).sum();
            let mut order = order;
            let mut reclaimed = 0;
            let mut balanced_out = false;
            for _ in 0..RETRY_LIMIT {
                let check = self.pgdat_balanced(nid, order, highest);
                trace.emit(Event::KswapdRound {
                    node: nid,
                    order,
                    highest_zoneidx: highest.index() as u32,
                    check,
                    nr_boost_reclaim,
                });
                if !check.balanced && nr_boost_reclaim > 0 {
                    // Imbalanced: the boost waits for ordinary reclaim (the kernel's
                    // restart, which checks the same watermarks again).
                    nr_boost_reclaim = 0;
                }
                if nr_boost_reclaim == 0 && check.balanced {
                    balanced_out = true;
                    break;
                }
                let may_swap = nr_boost_reclaim == 0;
                let freed =
                    self.shrink(&zones, SWAP_CLUSTER_MAX, may_swap, Reclaimer::Kswapd, trace);
                reclaimed += freed;
                if order > 0 && reclaimed >= 2u64 << order {
                    order = 0;
                }
                nr_boost_reclaim -= nr_boost_reclaim.min(freed);
                // No progress: boosted reclaim stops, and ordinary reclaim at a higher
                // priority would find nothing more either (the model has no ageing).
                if freed == 0 {
                    break;
                }
            }
            if !balanced_out && reclaimed == 0 {
                self.nodes[node].kswapd_failures += 1;
                self.note_small();
            }
            for (z, boost) in zone_boosts {
                let zone = &mut self.zones[z];
                zone.watermark_boost -= zone.watermark_boost.min(boost);
                let zone_type = zone.zone;
                self.note_small();
                trace.emit(Event::BoostCleared {
                    node: nid,
                    zone: zone_type,
                    boost,
                });
            }
            *total += reclaimed;
            trace.emit(Event::KswapdRun {
                node: nid,
                reclaimed,
                failures: self.nodes[node].kswapd_failures,
            });
            order
        })
    }

    /// `pgdat_balanced()`: whether a managed zone of node `nid` up to `highest`, bottom
    /// up, passes `zone_watermark_ok_safe()` at its high watermark plus boost for
    /// `order` (no `ALLOC_*` flags, `lowmem_reserve[highest]` added; the model reads
    /// the exact free count), with every term of the deciding zone's check.
    pub(super) fn pgdat_balanced(&self, nid: u32, order: u8, highest: ZoneType) -> BalanceCheck {
        let order_checked = Order::new(u32::from(order)).unwrap_or(Order::ZERO);
        let mut last = BalanceCheck {
            zone: None,
            highest,
            free: 0,
            high: 0,
            boost: 0,
            lowmem_reserve: 0,
            highatomic: 0,
            cma: None,
            check: crate::event::FullCheck {
                mark: 0,
                min: 0,
                usable: 0,
                free_ok: true,
                scan: None,
            },
            balanced: true,
        };
        for (z, zone) in self.zones.iter().enumerate() {
            if zone.nid != nid || zone.zone > highest || zone.managed == 0 {
                continue;
            }
            let free = zone.free_pages_snapshot();
            let check =
                self.zone_watermark_check(z, order_checked, zone.wmark_pages(2), highest, 0, free);
            let (highatomic, cma) = self.unusable_terms(z, 0);
            let balanced = check.passed();
            last = BalanceCheck {
                zone: Some(zone.zone),
                highest,
                free,
                high: zone.watermark[2],
                boost: zone.watermark_boost,
                lowmem_reserve: zone.lowmem_reserve[highest.index()],
                highatomic: highatomic.unwrap_or(0),
                cma,
                check,
                balanced,
            };
            if balanced {
                break;
            }
        }
        last
    }

    /// `pgdat_watermark_boosted()`: whether a managed zone of node `nid` up to
    /// `highest` has a boost.
    pub(super) fn pgdat_watermark_boosted(&self, nid: u32, highest: ZoneType) -> bool {
        self.zones.iter().any(|zone| {
            zone.nid == nid && zone.zone <= highest && zone.managed > 0 && zone.watermark_boost > 0
        })
    }

    /// Compacts every zone fully, as writing `/proc/sys/vm/compact_memory` does.
    pub fn compact_memory(&mut self, trace: &mut impl TraceSink) {
        crate::buddy::traced(trace, "compact_nodes", |trace| {
            for z in 0..self.zones.len() {
                self.compact_zone(z, None, MigrateType::Movable, trace);
            }
        })
    }

    /// Drops every reclaimable page (`/proc/sys/vm/drop_caches` for page cache; with
    /// swap, anonymous pages too in this model). Returns the pages freed.
    pub fn drop_caches(&mut self, trace: &mut impl TraceSink) -> u64 {
        crate::buddy::traced(trace, "drop_caches_sysctl_handler", |trace| {
            // drop_caches_sysctl_handler() counts each write that drops the page cache.
            self.count_vm_events(VmEvent::DropPagecache, 1);
            let zones: Vec<usize> = (0..self.zones.len()).collect();
            self.shrink(&zones, u64::MAX, true, Reclaimer::DropCaches, trace)
        })
    }

    /// The zones of the zonelist a request may use.
    fn allowed_zones(&self, ac: &AllocContext) -> Vec<usize> {
        ac.zonelist
            .iter()
            .copied()
            .filter(|&z| self.zones[z].zone <= ac.highest_zoneidx)
            .collect()
    }

    /// `__alloc_pages_direct_reclaim()`: reclaim a cluster from the allowed zones,
    /// try again, and once more after draining the per-cpu lists.
    fn direct_reclaim(
        &mut self,
        gfp: Gfp,
        order: Order,
        flags: u32,
        ac: &AllocContext,
        trace: &mut impl TraceSink,
    ) -> (Option<(usize, Pfn)>, u64) {
        crate::buddy::traced(trace, "__alloc_pages_direct_reclaim", |trace| {
            let zones = self.allowed_zones(ac);
            // do_try_to_free_pages() counts the stall against the highest zone the
            // request may use (sc->reclaim_idx).
            if let Some(stall) = VmEvent::allocstall(ac.highest_zoneidx) {
                self.count_vm_events(stall, 1);
            }
            let progress = self.shrink(&zones, SWAP_CLUSTER_MAX, true, Reclaimer::Direct, trace);
            trace.emit(Event::DirectReclaim {
                reclaimed: progress,
            });
            if progress == 0 {
                return (None, 0);
            }
            if let Some(page) = self.get_page_from_freelist(gfp, order, flags, ac, trace) {
                return (Some(page), progress);
            }
            self.unreserve_highatomic_pageblock(ac, false, trace);
            self.drain_all_pages(trace);
            (
                self.get_page_from_freelist(gfp, order, flags, ac, trace),
                progress,
            )
        })
    }

    /// `unreserve_highatomic_pageblock()`: give one highatomic pageblock of the
    /// allowed zones back to the requester's migratetype (keeping one pageblock per
    /// zone unless `force`). Returns whether free pages moved.
    pub(super) fn unreserve_highatomic_pageblock(
        &mut self,
        ac: &AllocContext,
        force: bool,
        trace: &mut impl TraceSink,
    ) -> bool {
        crate::buddy::traced(trace, "unreserve_highatomic_pageblock", |trace| {
            let block = 1u64 << PAGEBLOCK_ORDER;
            for z in self.allowed_zones(ac) {
                if !force && self.zones[z].nr_reserved_highatomic <= block {
                    continue;
                }
                for order in Order::all() {
                    let Some(pfn) = self.zones[z]
                        .buddy
                        .first_free(order, MigrateType::HighAtomic)
                    else {
                        continue;
                    };
                    let zone = &mut self.zones[z];
                    if zone.buddy.pageblock_type(pfn) == MigrateType::HighAtomic {
                        zone.nr_reserved_highatomic -= block.min(zone.nr_reserved_highatomic);
                    }
                    zone.buddy.set_pageblock_type(pfn, ac.migratetype);
                    let (moved, _) = zone.buddy.move_freepages_block(pfn, ac.migratetype);
                    self.note_small();
                    trace.emit(Event::HighatomicUnreserve {
                        pfn,
                        migratetype: ac.migratetype,
                    });
                    if moved > 0 {
                        return true;
                    }
                }
            }
            false
        })
    }

    /// `fragmentation_index()`: near 1000 when a request fails for fragmentation,
    /// near 0 when for lack of memory; -1000 if a suitable block is free.
    pub fn fragmentation_index(&self, z: usize, order: Order) -> i64 {
        use crate::buddy::frag;
        let counts = self.zones[z].buddy.nr_free_counts();
        frag::fragmentation_index(order, &frag::contig_page_info(&counts, order))
    }

    /// `compaction_suitable()`: skip a zone that already meets the watermark for the
    /// order, or has too little free memory to compact into, or (costly orders) whose
    /// failure is from lack of memory rather than fragmentation.
    fn compaction_suitable(
        &self,
        z: usize,
        order: Order,
        flags: u32,
        highest: ZoneType,
    ) -> CompactResult {
        let zone = &self.zones[z];
        let mark = zone.wmark_pages((flags & af::WMARK_MASK) as usize);
        if self.zone_watermark_ok(z, order, mark, highest, flags, zone.free_pages()) {
            return CompactResult::Success;
        }
        let base = if order.get() > super::COSTLY_ORDER {
            zone.wmark_pages(1)
        } else {
            zone.wmark_pages(0)
        };
        let gap = 2u64 << order.get();
        if !self.zone_watermark_ok(
            z,
            Order::ZERO,
            base + gap,
            highest,
            af::CMA,
            zone.free_pages(),
        ) {
            return CompactResult::Skipped;
        }
        if order.get() > super::COSTLY_ORDER {
            let index = self.fragmentation_index(z, order);
            if (0..=EXTFRAG_THRESHOLD).contains(&index) {
                return CompactResult::Skipped;
            }
        }
        CompactResult::Complete
    }

    /// `__compact_finished()`'s order check: a free block of the order (or above) on
    /// the requester's list, a whole pageblock of any type, or one it may steal.
    fn compact_done(&self, z: usize, order: Order, migratetype: MigrateType) -> bool {
        let buddy = &self.zones[z].buddy;
        Order::all().skip(order.get() as usize).any(|o| {
            buddy.nr_free_of_type(o, migratetype) > 0
                || (o.get() >= PAGEBLOCK_ORDER && buddy.nr_free(o) > 0)
                || super::fallbacks(migratetype).iter().any(|&mt| {
                    buddy.nr_free_of_type(o, mt) > 0
                        && super::can_steal_fallback(o, migratetype, self.mobility_disabled)
                })
        })
    }

    /// `compact_zone()` reduced (see the module notes).
    /// `order` None compacts the whole zone (`/proc/sys/vm/compact_memory`).
    pub fn compact_zone(
        &mut self,
        z: usize,
        order: Option<Order>,
        migratetype: MigrateType,
        trace: &mut impl TraceSink,
    ) -> CompactResult {
        crate::buddy::traced(trace, "compact_zone", |trace| {
            let block = 1u64 << PAGEBLOCK_ORDER;
            let start = self.zones[z].buddy.start_pfn().0;
            let end = self.zones[z].buddy.end_pfn().0;
            let mut migrate_pfn = start & !(block - 1);
            let mut free_pfn = (end - 1) & !(block - 1);
            let mut targets: std::collections::VecDeque<u64> = std::collections::VecDeque::new();
            let mut result = CompactResult::Complete;
            let mut migrated = 0u64;
            'scan: while migrate_pfn < free_pfn {
                // Approximate: the kernel counts each pfn its migrate scanner steps
                // on (a free block once) and stops a pageblock early once it holds
                // COMPACT_CLUSTER_MAX pages; the model walks whole pageblocks.
                let scanned = (migrate_pfn + block).min(end) - migrate_pfn.max(start);
                self.count_vm_events(VmEvent::CompactMigrateScanned, scanned);
                let sources: Vec<LruPage> = self
                    .lru
                    .iter()
                    .copied()
                    .filter(|p| {
                        p.pfn >= migrate_pfn.max(start) && p.pfn < (migrate_pfn + block).min(end)
                    })
                    .collect();
                for source in sources {
                    if targets.is_empty() {
                        while targets.is_empty() && free_pfn > migrate_pfn {
                            self.isolate_free_pageblock(z, free_pfn, &mut targets);
                            free_pfn -= block;
                        }
                        if targets.is_empty() {
                            break 'scan;
                        }
                    }
                    let Some(target) = targets.pop_front() else {
                        break 'scan;
                    };
                    // isolate_migratepages_block() counts the page it isolates.
                    self.count_vm_events(VmEvent::CompactIsolated, 1);
                    self.migrate_page(z, source, target, trace);
                    migrated += 1;
                }
                migrate_pfn += block;
                if order.is_some_and(|order| self.compact_done(z, order, migratetype)) {
                    result = CompactResult::Success;
                    break;
                }
            }
            // release_freepages(): unused targets go back through the free path.
            for pfn in targets {
                let _ = self.free_pages(Pfn(pfn), 0, trace);
            }
            if result != CompactResult::Success
                && order.is_some_and(|order| self.compact_done(z, order, migratetype))
            {
                result = CompactResult::Success;
            }
            trace.emit(Event::Compacted {
                node: self.zones[z].nid,
                zone: self.zones[z].zone,
                migrated,
                success: result == CompactResult::Success,
            });
            result
        })
    }

    /// The free scanner on one pageblock: take every free block of a MOVABLE
    /// pageblock whose free blocks are smaller than a pageblock, while the zone stays
    /// above its min watermark (`__isolate_free_page()`), split into single pages.
    fn isolate_free_pageblock(
        &mut self,
        z: usize,
        block_pfn: u64,
        targets: &mut std::collections::VecDeque<u64>,
    ) {
        let block = 1u64 << PAGEBLOCK_ORDER;
        let start = self.zones[z].buddy.start_pfn().0.max(block_pfn);
        let end = self.zones[z].buddy.end_pfn().0.min(block_pfn + block);
        // suitable_migration_target(): MOVABLE or CMA pageblocks.
        let block_type = self.zones[z]
            .buddy
            .pageblock_type(Pfn(block_pfn.max(start)));
        if !matches!(block_type, MigrateType::Movable | MigrateType::Cma) {
            return;
        }
        let mut pfn = start;
        while pfn < end {
            // isolate_freepages_block() counts every step of its loop: a page in
            // use, or a free block (isolated or not) once.
            self.count_vm_events(VmEvent::CompactFreeScanned, 1);
            let Some(order) = self.zones[z].buddy.free_order(Pfn(pfn)) else {
                pfn += 1;
                continue;
            };
            if order.get() >= PAGEBLOCK_ORDER {
                return;
            }
            let zone = &self.zones[z];
            let mark = zone.watermark[0] + order.pages();
            if !self.zone_watermark_ok(
                z,
                Order::ZERO,
                mark,
                ZoneType::Dma,
                af::CMA,
                zone.free_pages(),
            ) {
                return;
            }
            if self.zones[z].buddy.isolate_free_block(Pfn(pfn)).is_some() {
                let cpu = self.cpu;
                self.zones[z].mod_free_pages(cpu, -(order.pages() as i64));
                self.note_small();
                self.count_vm_events(VmEvent::CompactIsolated, order.pages());
                targets.extend(pfn..pfn + order.pages());
            }
            pfn += order.pages();
        }
    }

    /// Migrates one LRU page into an isolated free page and frees the original
    /// (`migrate_pages()` reduced: the contents move, the owner keeps its page at the
    /// new pfn).
    fn migrate_page(&mut self, z: usize, source: LruPage, target: u64, trace: &mut impl TraceSink) {
        crate::buddy::traced(trace, "migrate_pages", |trace| {
            self.zones[z].buddy.set_page_movable(Pfn(target), true);
            self.lru.moved(source.pfn, target);
            self.note_lru(super::journal::LruOp::Moved {
                from: source.pfn,
                to: target,
            });
            self.zones[z].buddy.set_page_movable(Pfn(source.pfn), false);
            trace.emit(Event::Migrated {
                from: Pfn(source.pfn),
                to: Pfn(target),
                owner: source.owner,
            });
            // migrate_pages() counts each page it moved (the model's moves never
            // fail, so PGMIGRATE_FAIL stays 0).
            self.count_vm_events(VmEvent::PgmigrateSuccess, 1);
            let _ = self.free_pages(Pfn(source.pfn), 0, trace);
        })
    }

    /// `__alloc_pages_direct_compact()`: compact each allowed zone until one reports
    /// success, then try the allocation.
    fn direct_compact(
        &mut self,
        gfp: Gfp,
        order: Order,
        flags: u32,
        ac: &AllocContext,
        trace: &mut impl TraceSink,
    ) -> (Option<(usize, Pfn)>, CompactResult) {
        crate::buddy::traced(trace, "__alloc_pages_direct_compact", |trace| {
            if order.get() == 0 {
                return (None, CompactResult::Skipped);
            }
            let mut overall = CompactResult::Skipped;
            for z in self.allowed_zones(ac) {
                let status = match self.compaction_suitable(z, order, flags, ac.highest_zoneidx) {
                    CompactResult::Skipped => continue,
                    CompactResult::Success => CompactResult::Success,
                    CompactResult::Complete => {
                        self.compact_zone(z, Some(order), ac.migratetype, trace)
                    }
                };
                if status == CompactResult::Success {
                    overall = CompactResult::Success;
                    break;
                }
                overall = CompactResult::Complete;
            }
            let page = self.get_page_from_freelist(gfp, order, flags, ac, trace);
            // A compaction that ran stalls the caller; whether it then got its page
            // decides success or failure, as in __alloc_pages_direct_compact().
            if overall != CompactResult::Skipped {
                self.count_vm_events(VmEvent::CompactStall, 1);
                let outcome = if page.is_some() {
                    VmEvent::CompactSuccess
                } else {
                    VmEvent::CompactFail
                };
                self.count_vm_events(outcome, 1);
            }
            (page, overall)
        })
    }

    /// `should_reclaim_retry()`: retry while reclaim makes progress (for orders up to
    /// PAGE_ALLOC_COSTLY_ORDER) and, for at most MAX_RECLAIM_RETRIES loops without
    /// progress, while free plus reclaimable pages would meet the min watermark.
    fn should_reclaim_retry(
        &mut self,
        order: Order,
        flags: u32,
        ac: &AllocContext,
        progress: bool,
        no_progress_loops: &mut u32,
        trace: &mut impl TraceSink,
    ) -> bool {
        crate::buddy::traced(trace, "should_reclaim_retry", |trace| {
            if progress && order.get() <= super::COSTLY_ORDER {
                *no_progress_loops = 0;
            } else {
                *no_progress_loops += 1;
            }
            if *no_progress_loops > MAX_RECLAIM_RETRIES {
                // Before the OOM killer, the highatomic reserves go.
                return self.unreserve_highatomic_pageblock(ac, true, trace);
            }
            self.allowed_zones(ac).into_iter().any(|z| {
                let zone = &self.zones[z];
                let available = zone.free_pages() + self.zone_reclaimable_pages(z) as i64;
                self.zone_watermark_ok(
                    z,
                    order,
                    zone.wmark_pages(0),
                    ac.highest_zoneidx,
                    flags,
                    available,
                )
            })
        })
    }

    /// The rest of `__alloc_pages_slowpath()` for callers that may sleep: the first
    /// compaction for costly or non-movable high orders, then rounds of reclaim,
    /// compaction and the retry rules, then the OOM decision.
    pub(super) fn slowpath_reclaim(
        &mut self,
        gfp: Gfp,
        order: Order,
        flags: u32,
        ac: &AllocContext,
        trace: &mut impl TraceSink,
    ) -> Option<(usize, Pfn)> {
        let can_compact = gfp.has(gfp::GFP_IO);
        let costly = order.get() > super::COSTLY_ORDER;
        let mut compact_result = CompactResult::Skipped;
        if can_compact && (costly || (order.get() > 0 && ac.migratetype != MigrateType::Movable)) {
            let (page, result) = self.direct_compact(gfp, order, flags, ac, trace);
            if page.is_some() {
                return page;
            }
            compact_result = result;
            if costly
                && gfp.has(gfp::GFP_NORETRY)
                && (result == CompactResult::Skipped || gfp.has(gfp::GFP_THISNODE))
            {
                return None;
            }
        }
        let mut no_progress_loops = 0u32;
        let mut compaction_retries = 0u32;
        for _ in 0..RETRY_LIMIT {
            if flags & af::KSWAPD != 0 {
                self.wake_all_kswapds(order, ac, trace);
            }
            if let Some(page) = self.get_page_from_freelist(gfp, order, flags, ac, trace) {
                return Some(page);
            }
            let (page, progress) = self.direct_reclaim(gfp, order, flags, ac, trace);
            if page.is_some() {
                return page;
            }
            if can_compact {
                let (page, result) = self.direct_compact(gfp, order, flags, ac, trace);
                if page.is_some() {
                    return page;
                }
                compact_result = result;
            }
            if gfp.has(gfp::GFP_NORETRY) {
                return None;
            }
            if costly && (!can_compact || !gfp.has(gfp::GFP_RETRY_MAYFAIL)) {
                return None;
            }
            if self.should_reclaim_retry(
                order,
                flags,
                ac,
                progress > 0,
                &mut no_progress_loops,
                trace,
            ) {
                continue;
            }
            if progress > 0
                && can_compact
                && compact_result != CompactResult::Skipped
                && compaction_retries < MAX_COMPACT_RETRIES
            {
                compaction_retries += 1;
                continue;
            }
            break;
        }
        // __alloc_pages_may_oom(): not for costly orders, __GFP_RETRY_MAYFAIL or
        // __GFP_THISNODE requests; the model decides and does not kill.
        if !costly && !gfp.has(gfp::GFP_RETRY_MAYFAIL) && !gfp.has(gfp::GFP_THISNODE) {
            crate::buddy::traced(trace, "__alloc_pages_may_oom", |trace| {
                trace.emit(Event::OomDecision {
                    order,
                    would_kill: true,
                })
            });
        }
        if gfp.has(gfp::GFP_NOFAIL) {
            trace.emit(Event::NotModelled {
                what: "__GFP_NOFAIL looping until memory frees up",
            });
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The counts by zone, worked out again from the list at each use.
    fn walked(lru: &Lru, spans: &[(u64, u64)]) -> Vec<[u64; 2]> {
        let mut pages = vec![[0u64; 2]; spans.len()];
        for page in lru.iter() {
            if let Some(z) = spans
                .iter()
                .position(|&(s, e)| s <= page.pfn && page.pfn < e)
            {
                match page.use_ {
                    PageUse::PageCache => pages[z][0] += 1,
                    PageUse::Anon => pages[z][1] += 1,
                    PageUse::Kernel => {}
                }
            }
        }
        pages
    }

    fn counted(lru: &Lru, spans: &[(u64, u64)]) -> Vec<[u64; 2]> {
        (0..spans.len()).map(|z| lru.zone_pages(z, spans)).collect()
    }

    #[test]
    fn the_counts_by_zone_follow_every_change_of_the_list() {
        let spans = [(0x1000, 0x2000), (0x2000, 0x3000)];
        let page = |pfn, use_| LruPage {
            pfn,
            use_,
            owner: 0,
        };
        let mut lru = Lru::default();
        let check = |lru: &Lru, what: &str| {
            assert_eq!(counted(lru, &spans), walked(lru, &spans), "{what}");
        };
        check(&lru, "empty");
        lru.push(page(0x1000, PageUse::PageCache));
        check(&lru, "a page-cache page in zone 0");
        lru.push(page(0x2001, PageUse::Anon));
        lru.push(page(0x2002, PageUse::Kernel));
        check(&lru, "an anonymous and a kernel page in zone 1");
        lru.moved(0x1000, 0x2005);
        check(&lru, "the page-cache page moved to zone 1");
        let undo = lru.undo_remove(0x2001);
        lru.remove(0x2001);
        check(&lru, "the anonymous page removed");
        lru.undo(&undo);
        check(&lru, "its removal undone");
        assert_eq!(lru.remove(0x9999), None);
        check(&lru, "nothing removed");
        for pfn in 0x1100..0x1180 {
            lru.push(page(pfn, PageUse::PageCache));
        }
        for pfn in 0x1100..0x1170 {
            lru.remove(pfn);
        }
        lru.push(page(0x2100, PageUse::Anon));
        check(&lru, "holes swept up by a push");
        // Another zone layout is counted afresh.
        let wider = [(0x1000, 0x2003), (0x2003, 0x3000)];
        assert_eq!(counted(&lru, &wider), walked(&lru, &wider));
        check(&lru, "back to the first layout");
        assert_eq!(counted(&lru, &spans), vec![[16, 0], [1, 2]]);
    }

    /// The kept counts against a walk of the list after each of 20,000 pushes,
    /// removals, moves (onto free pfns and onto listed ones) and undos of each, on
    /// pfns that reach past both zones.
    #[test]
    fn the_kept_counts_by_zone_equal_a_walk_after_any_changes() {
        let spans = [(0x1000, 0x1040), (0x1040, 0x1080)];
        let mut lru = Lru::default();
        let mut rng = crate::rng::Rng::new(1);
        let mut next = |n: u64| rng.below(n);
        for step in 0..20_000 {
            let pfn = 0xff0 + next(0xa0);
            let to = 0xff0 + next(0xa0);
            let use_ = [PageUse::PageCache, PageUse::Anon, PageUse::Kernel][next(3) as usize];
            let page = LruPage {
                pfn,
                use_,
                owner: step,
            };
            let undo = match next(7) {
                0..=2 => {
                    let undo = lru.undo_push(&page);
                    lru.push(page);
                    undo
                }
                3 | 4 => {
                    let undo = lru.undo_remove(pfn);
                    lru.remove(pfn);
                    undo
                }
                _ => {
                    let undo = lru.undo_moved(pfn, to);
                    lru.moved(pfn, to);
                    undo
                }
            };
            assert_eq!(counted(&lru, &spans), walked(&lru, &spans), "step {step}");
            if next(10) == 0 {
                lru.undo(&undo);
                assert_eq!(
                    counted(&lru, &spans),
                    walked(&lru, &spans),
                    "undo at {step}"
                );
            }
        }
    }
}
