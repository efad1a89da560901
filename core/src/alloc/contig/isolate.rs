//! Pageblock isolation (mm/page_isolation.c): `start_isolate_page_range()` with
//! `isolate_single_pageblock()`, `set_migratetype_isolate()`,
//! `has_unmovable_pages()` and `split_free_page()`; `undo_isolate_page_range()` with
//! `unset_migratetype_isolate()`; `test_pages_isolated()`; and the invariant check
//! that allows for isolated free pages.

use super::*;
use crate::alloc::Allocator;
use crate::buddy::{BlockState, BuddyZone, TraceSink};
use crate::event::Event;
use crate::types::ZoneType;
use crate::types::{MigrateType, Order, Pfn, MAX_ORDER, PAGEBLOCK_ORDER};

impl Allocator {
    /// `start_isolate_page_range()`: make every pageblock touching
    /// `[start_pfn, end_pfn)` MIGRATE_ISOLATE, so that no free page in them can be
    /// allocated and every page freed there stays on the isolate lists.
    ///
    /// The first and the last pageblock go through `isolate_single_pageblock()`,
    /// which also looks from the MAX_ORDER-aligned pfn below each boundary for a block
    /// across it: a free block is split at the boundary (`split_free_page()`), a
    /// movable compound block is migrated (with its own pageblock isolated meanwhile
    /// unless it is already) and the freed block split. The pageblocks between are
    /// isolated with `set_migratetype_isolate()`. On failure everything this call
    /// isolated is restored, as in the kernel, to `migratetype` rather than to each
    /// pageblock's previous type, and the outcome says why; pages it migrated stay
    /// migrated.
    ///
    /// Differences: the pageblocks touched must lie inside one zone and have a
    /// memory map (the kernel leaves this to its callers and would reach into the
    /// neighbouring zone); `migratetype` must be Unmovable, Movable or Reclaimable.
    /// The flags (MEMORY_OFFLINE, REPORT_FAILURE) are those of `alloc_contig_range()`
    /// (none), and no gfp mask is taken: migration targets use a fixed mask.
    pub fn start_isolate_page_range(
        &mut self,
        start_pfn: Pfn,
        end_pfn: Pfn,
        migratetype: MigrateType,
        trace: &mut impl TraceSink,
    ) -> Result<ContigOutcome, ContigError> {
        restorable(migratetype)?;
        let z = self.contig_zone(start_pfn, end_pfn)?;
        let mut outcome = ContigOutcome::default();
        if let Err(failure) = self.isolate_range(
            z,
            start_pfn.0,
            end_pfn.0,
            migratetype,
            trace,
            &mut outcome.migrations,
        ) {
            outcome.failure = Some(failure);
        }
        Ok(outcome)
    }

    /// `undo_isolate_page_range()`: every isolated pageblock touching
    /// `[start_pfn, end_pfn)` becomes `migratetype` again with
    /// `unset_migratetype_isolate()`: its free pages move back to the `migratetype`
    /// lists and count as free again; a whole-pageblock free block whose buddy is free
    /// outside isolation is instead taken off and freed again to the tail
    /// (`__isolate_free_page()`, `__putback_isolated_page()`) so the two merge.
    /// Pageblocks that are not isolated are left alone.
    ///
    /// Differences: as for [`Allocator::start_isolate_page_range`].
    pub fn undo_isolate_page_range(
        &mut self,
        start_pfn: Pfn,
        end_pfn: Pfn,
        migratetype: MigrateType,
        trace: &mut impl TraceSink,
    ) -> Result<(), ContigError> {
        restorable(migratetype)?;
        let z = self.contig_zone(start_pfn, end_pfn)?;
        self.undo_range(z, start_pfn.0, end_pfn.0, migratetype, trace);
        Ok(())
    }

    /// `test_pages_isolated()`: `None` if every pageblock from `start_pfn` (in steps of
    /// a pageblock) is isolated and every page of `[start_pfn, end_pfn)` is in a free
    /// block; otherwise the first pfn that is not. Records the tracepoint.
    ///
    /// Differences: as for [`Allocator::start_isolate_page_range`] (the range is
    /// checked to lie inside one zone).
    pub fn test_pages_isolated(
        &mut self,
        start_pfn: Pfn,
        end_pfn: Pfn,
        trace: &mut impl TraceSink,
    ) -> Result<Option<Pfn>, ContigError> {
        let z = self.contig_zone(start_pfn, end_pfn)?;
        Ok(self.test_isolated(z, start_pfn.0, end_pfn.0, trace))
    }

    /// `has_unmovable_pages()` on `[start, end)` (one pageblock): the first page that
    /// keeps it from being isolated, if any (see the module notes for which pages the
    /// model counts as movable). In ZONE_MOVABLE only reserved pages count, as in the
    /// kernel: the rest is assumed movable and may fail later, in migration.
    pub(super) fn has_unmovable_pages(&self, z: usize, start: u64, end: u64) -> Option<Pfn> {
        let zone = &self.zones[z];
        let buddy = &zone.buddy;
        let movable_zone = zone.zone == ZoneType::Movable;
        let pcp = self.pcp_pfns(z);
        let mut pfn = start;
        while pfn < end {
            let here = Pfn(pfn);
            let Some(block) = buddy.block_containing(here) else {
                pfn += 1;
                continue;
            };
            let head = block.pfn == here;
            let movable = buddy.is_page_movable(block.pfn);
            match block.state {
                // PageReserved, unless the model loaded an LRU page as reserved.
                BlockState::Reserved if !movable => return Some(here),
                BlockState::Reserved => {}
                // PageBuddy: skip the block; inside one (the range starts there) a
                // page has no references.
                BlockState::Free if head => {
                    pfn += block.order.pages();
                    continue;
                }
                BlockState::Free => {}
                BlockState::Allocated if movable_zone || pcp.contains(&block.pfn.0) => {}
                BlockState::Allocated if movable && block.order.get() > 0 => {
                    // A compound LRU page: skip to its end.
                    pfn = block.pfn.0 + block.order.pages();
                    continue;
                }
                BlockState::Allocated if movable || !head => {}
                BlockState::Allocated => return Some(here),
            }
            pfn += 1;
        }
        None
    }

    /// `set_migratetype_isolate()` for the pageblock of `page`: refuse it if it is
    /// isolated already or `has_unmovable_pages()` finds a page in the part of it
    /// inside `[start, end)`; otherwise make it MIGRATE_ISOLATE, count it in
    /// `nr_isolate_pageblock`, move its free pages to the isolate lists with
    /// `move_freepages_block()` and take them out of NR_FREE_PAGES.
    pub(super) fn set_migratetype_isolate(
        &mut self,
        z: usize,
        page: u64,
        start: u64,
        end: u64,
        trace: &mut impl TraceSink,
    ) -> Result<(), ContigFailure> {
        crate::buddy::traced(trace, "set_migratetype_isolate", |trace| {
            let pageblock = Pfn(pageblock_start(page));
            if self.zones[z].buddy.pageblock_type(Pfn(page)) == MigrateType::Isolate {
                trace.emit(Event::IsolationRefused {
                    pfn: pageblock,
                    unmovable: None,
                });
                return Err(ContigFailure::AlreadyIsolated { pageblock });
            }
            let check_start = page.max(start);
            let check_end = (pageblock.0 + PAGEBLOCK_PAGES).min(end);
            if let Some(pfn) = self.has_unmovable_pages(z, check_start, check_end) {
                trace.emit(Event::IsolationRefused {
                    pfn: pageblock,
                    unmovable: Some(pfn),
                });
                return Err(ContigFailure::Unmovable { pageblock, pfn });
            }
            let cpu = self.cpu;
            let zone = &mut self.zones[z];
            zone.buddy
                .set_pageblock_type(Pfn(page), MigrateType::Isolate);
            zone.nr_isolate_pageblock += 1;
            let (moved, _) = zone
                .buddy
                .move_freepages_block(Pfn(page), MigrateType::Isolate);
            zone.mod_free_pages(cpu, -(moved as i64));
            trace.emit(Event::PageblockIsolated {
                pfn: pageblock,
                moved,
            });
            Ok(())
        })
    }

    /// `unset_migratetype_isolate()` for the pageblock of `page`, if it is isolated.
    pub(super) fn unset_migratetype_isolate(
        &mut self,
        z: usize,
        page: u64,
        migratetype: MigrateType,
        trace: &mut impl TraceSink,
    ) {
        crate::buddy::traced(trace, "unset_migratetype_isolate", |trace| {
            let cpu = self.cpu;
            let here = Pfn(page);
            let zone = &mut self.zones[z];
            if zone.buddy.pageblock_type(here) != MigrateType::Isolate {
                return;
            }
            // A free block of pageblock order (not the largest order) could not merge
            // with its free buddy while isolated; move_freepages_block() would not merge
            // them either, so take it off (__isolate_free_page() on an isolated pageblock:
            // no watermark check, no counter, the type stays) and free it again below.
            let mut isolated_page = None;
            if let Some(order) = zone.buddy.free_order(here) {
                if order.get() >= PAGEBLOCK_ORDER && order < Order::MAX {
                    let other = here.buddy(order);
                    if zone.buddy.free_order(other) == Some(order)
                        && zone.buddy.pageblock_type(other) != MigrateType::Isolate
                        && zone.buddy.take_free_block(here).is_some()
                    {
                        isolated_page = Some(order);
                    }
                }
            }
            let moved = match isolated_page {
                Some(order) => order.pages(),
                None => {
                    let (moved, _) = zone.buddy.move_freepages_block(here, migratetype);
                    zone.mod_free_pages(cpu, moved as i64);
                    moved
                }
            };
            zone.buddy.set_pageblock_type(here, migratetype);
            trace.emit(Event::PageblockUnisolated {
                pfn: Pfn(pageblock_start(page)),
                migratetype,
                moved,
                merged: isolated_page.is_some(),
            });
            if let Some(order) = isolated_page {
                // __putback_isolated_page(): __free_one_page() to the tail.
                let _ = zone.buddy.free_block(here, order, migratetype, true, trace);
                zone.mod_free_pages(cpu, order.pages() as i64);
            }
            zone.nr_isolate_pageblock = zone.nr_isolate_pageblock.saturating_sub(1);
            zone.note();
        })
    }

    /// The body of `start_isolate_page_range()` on a checked range.
    pub(in crate::alloc) fn isolate_range(
        &mut self,
        z: usize,
        start: u64,
        end: u64,
        migratetype: MigrateType,
        trace: &mut impl TraceSink,
        migrations: &mut Vec<Migration>,
    ) -> Result<(), ContigFailure> {
        crate::buddy::traced(trace, "start_isolate_page_range", |trace| {
            let isolate_start = pageblock_start(start);
            let isolate_end = pageblock_align(end);
            self.isolate_single_pageblock(
                z,
                isolate_start,
                false,
                false,
                migratetype,
                trace,
                migrations,
            )?;
            let skip = isolate_start == isolate_end - PAGEBLOCK_PAGES;
            if let Err(failure) = self.isolate_single_pageblock(
                z,
                isolate_end,
                true,
                skip,
                migratetype,
                trace,
                migrations,
            ) {
                self.unset_migratetype_isolate(z, isolate_start, migratetype, trace);
                return Err(failure);
            }
            let mut pfn = isolate_start + PAGEBLOCK_PAGES;
            while pfn < isolate_end - PAGEBLOCK_PAGES {
                if let Err(failure) = self.set_migratetype_isolate(z, pfn, start, end, trace) {
                    self.undo_range(z, isolate_start, pfn, migratetype, trace);
                    self.unset_migratetype_isolate(
                        z,
                        isolate_end - PAGEBLOCK_PAGES,
                        migratetype,
                        trace,
                    );
                    return Err(failure);
                }
                pfn += PAGEBLOCK_PAGES;
            }
            Ok(())
        })
    }

    /// `isolate_single_pageblock()`: isolate the pageblock after `boundary` (or before
    /// it, `before`), unless `skip` (already done), then walk from the MAX_ORDER-aligned
    /// pfn below the pageblock (or the zone start) to `boundary` for a block across
    /// `boundary`: split a free one, migrate a movable compound one first. A
    /// non-compound in-use block across the boundary is stepped over page by page, as
    /// in the kernel. On failure the pageblock is restored to `migratetype`.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn isolate_single_pageblock(
        &mut self,
        z: usize,
        boundary: u64,
        before: bool,
        skip: bool,
        migratetype: MigrateType,
        trace: &mut impl TraceSink,
        migrations: &mut Vec<Migration>,
    ) -> Result<(), ContigFailure> {
        crate::buddy::traced(trace, "isolate_single_pageblock", |trace| {
            let isolate_pageblock = if before {
                boundary - PAGEBLOCK_PAGES
            } else {
                boundary
            };
            if !skip {
                self.set_migratetype_isolate(
                    z,
                    isolate_pageblock,
                    isolate_pageblock,
                    isolate_pageblock + PAGEBLOCK_PAGES,
                    trace,
                )?;
            }
            // Nothing crosses the boundary if the page on its other side has no memory
            // map (the model: lies in no zone).
            let other_side = if before {
                Some(boundary)
            } else {
                boundary.checked_sub(1)
            };
            if other_side
                .and_then(|pfn| self.zone_of_pfn(Pfn(pfn)))
                .is_none()
            {
                return Ok(());
            }
            let zone_start = self.zones[z].buddy.start_pfn().0;
            let mut pfn = (isolate_pageblock & !(MAX_ORDER_PAGES - 1)).max(zone_start);
            let result = loop {
                if pfn >= boundary {
                    break Ok(());
                }
                let here = Pfn(pfn);
                let Some(block) = self.zones[z].buddy.block_containing(here) else {
                    pfn += 1;
                    continue;
                };
                let head = block.pfn == here;
                if block.state == BlockState::Free && head {
                    if pfn + block.order.pages() > boundary {
                        self.split_free_page(z, here, block.order, boundary - pfn, trace);
                    }
                    pfn += block.order.pages();
                    continue;
                }
                let compound = block.state == BlockState::Allocated
                    && block.order.get() > 0
                    && self.zones[z].buddy.is_page_movable(block.pfn)
                    && !self.pcp_pfns(z).contains(&block.pfn.0);
                if !compound {
                    pfn += 1;
                    continue;
                }
                let (head_pfn, nr) = (block.pfn.0, block.order.pages());
                if head_pfn + nr <= boundary {
                    pfn = head_pfn + nr;
                    continue;
                }
                // A movable compound block across the boundary: migrate it, with its own
                // pageblock isolated meanwhile so nobody takes the freed block.
                let page_mt = self.zones[z].buddy.pageblock_type(here);
                let isolate_page = page_mt != MigrateType::Isolate;
                if isolate_page {
                    if let Err(failure) =
                        self.set_migratetype_isolate(z, pfn, head_pfn, head_pfn + nr, trace)
                    {
                        break Err(failure);
                    }
                }
                let migrated =
                    self.migrate_range(z, head_pfn, head_pfn + nr, None, trace, migrations);
                if isolate_page {
                    self.unset_migratetype_isolate(z, pfn, page_mt, trace);
                }
                if let Err(failure) = migrated {
                    break Err(failure);
                }
                // Go back to the free block now holding `pfn`, to split it.
                let buddy = &self.zones[z].buddy;
                let Some(outer) = free_head_at_or_below(buddy, pfn) else {
                    break Err(ContigFailure::Busy { pfn: here });
                };
                pfn = outer;
            };
            if result.is_err() && !skip {
                self.unset_migratetype_isolate(z, isolate_pageblock, migratetype, trace);
            }
            result
        })
    }

    /// `split_free_page()`: the free block of `order` at `pfn` is cut at `pfn +
    /// offset` into naturally aligned pieces, each freed with `__free_one_page()` to
    /// the list of its own pageblock's type (so they may not merge back across an
    /// isolation boundary). Does nothing if `offset` is 0 or the block changed.
    pub(super) fn split_free_page(
        &mut self,
        z: usize,
        pfn: Pfn,
        order: Order,
        offset: u64,
        trace: &mut impl TraceSink,
    ) {
        crate::buddy::traced(trace, "split_free_page", |trace| {
            if offset == 0 || self.zones[z].buddy.free_order(pfn) != Some(order) {
                return;
            }
            let cpu = self.cpu;
            let zone = &mut self.zones[z];
            let migratetype = zone.buddy.pageblock_type(pfn);
            if migratetype != MigrateType::Isolate {
                zone.mod_free_pages(cpu, -(order.pages() as i64));
            }
            if zone.buddy.take_free_block(pfn).is_none() {
                return;
            }
            trace.emit(Event::FreePageSplit {
                pfn,
                order,
                at: Pfn(pfn.0 + offset),
            });
            let end = pfn.0 + order.pages();
            let mut pieces = Vec::new();
            let (mut piece, mut left) = (pfn.0, offset);
            while piece < end {
                let align = if piece == 0 {
                    u32::from(order.get())
                } else {
                    piece.trailing_zeros()
                };
                let fits = 63 - left.leading_zeros();
                let piece_order = Order::new(align.min(fits)).unwrap_or(Order::ZERO);
                pieces.push((Pfn(piece), piece_order));
                piece += piece_order.pages();
                left -= piece_order.pages();
                if left == 0 {
                    left = end - piece;
                }
            }
            if zone.buddy.split_in_use_into(pfn, order, &pieces).is_err() {
                return;
            }
            for (piece, piece_order) in pieces {
                let piece_type = zone.buddy.pageblock_type(piece);
                if piece_type != MigrateType::Isolate {
                    zone.mod_free_pages(cpu, piece_order.pages() as i64);
                }
                let _ = zone
                    .buddy
                    .free_block(piece, piece_order, piece_type, false, trace);
            }
        })
    }

    /// `undo_isolate_page_range()` on a checked range.
    pub(in crate::alloc) fn undo_range(
        &mut self,
        z: usize,
        start: u64,
        end: u64,
        migratetype: MigrateType,
        trace: &mut impl TraceSink,
    ) {
        crate::buddy::traced(trace, "undo_isolate_page_range", |trace| {
            let mut pfn = pageblock_start(start);
            while pfn < pageblock_align(end) {
                if self.zones[z].buddy.pageblock_type(Pfn(pfn)) == MigrateType::Isolate {
                    self.unset_migratetype_isolate(z, pfn, migratetype, trace);
                }
                pfn += PAGEBLOCK_PAGES;
            }
        })
    }

    /// `test_pages_isolated()` on a checked range: `None` if it passes, else the
    /// first pfn in the way.
    pub(in crate::alloc) fn test_isolated(
        &mut self,
        z: usize,
        start: u64,
        end: u64,
        trace: &mut impl TraceSink,
    ) -> Option<Pfn> {
        crate::buddy::traced(trace, "test_pages_isolated", |trace| {
            let buddy = &self.zones[z].buddy;
            let mut pfn = start;
            while pfn < end {
                if buddy.pageblock_type(Pfn(pfn)) != MigrateType::Isolate {
                    break;
                }
                pfn += PAGEBLOCK_PAGES;
            }
            if pfn >= end {
                pfn = start;
                while pfn < end {
                    match buddy.free_order(Pfn(pfn)) {
                        Some(order) => pfn += order.pages(),
                        None => break,
                    }
                }
            }
            trace.emit(Event::TestPagesIsolated {
                start: Pfn(start),
                end: Pfn(end),
                fin: Pfn(pfn),
            });
            (pfn < end).then_some(Pfn(pfn))
        })
    }

    /// Checks the same invariants as [`Allocator::check_invariants`], allowing for
    /// isolated pageblocks as 6.1 keeps them, and checks the isolation itself:
    ///
    /// - each zone's `nr_isolate_pageblock` is the number of its isolated pageblocks;
    /// - a free block on an isolate list starts in an isolated pageblock (the converse
    ///   does not always hold in 6.1: undoing part of an isolation, as a failed
    ///   `alloc_contig_range()` does, can leave free pages of an isolated pageblock
    ///   on other lists);
    /// - NR_FREE_PAGES (with every CPU's delta) plus the free pages on the isolate
    ///   lists is the number of free pages;
    /// - free buddies are merged, except two whole-pageblock blocks of two isolated
    ///   pageblocks moved to the isolate lists separately, which
    ///   `move_freepages_block()` does not merge (they merge when the isolation is
    ///   undone).
    ///
    /// Like 6.1's own counters, these do not hold after a free block has spanned an
    /// isolated and a non-isolated pageblock (see the module notes).
    pub fn check_invariants_with_isolation(&self) -> Result<(), String> {
        let mut relaxed = self.clone();
        for zone in &mut relaxed.zones {
            let name = format!("zone {}:{}", zone.nid, zone.zone.name());
            let buddy = &zone.buddy;
            let isolated = (0..buddy.pageblock_count())
                .filter(|&i| buddy.pageblock_raw(i) == Some(MigrateType::Isolate as u8))
                .count() as u64;
            if isolated != zone.nr_isolate_pageblock {
                return Err(format!(
                    "{name}: nr_isolate_pageblock is {} but {isolated} pageblocks are isolated",
                    zone.nr_isolate_pageblock
                ));
            }
            let mut unmerged = Vec::new();
            for block in buddy.blocks().filter(|b| b.state == BlockState::Free) {
                let on_isolate = buddy.free_list_type(block.pfn) == Some(MigrateType::Isolate);
                if on_isolate && buddy.pageblock_type(block.pfn) != MigrateType::Isolate {
                    return Err(format!(
                        "{name}: free block {} of order {} is on an isolate list but its pageblock is {}",
                        block.pfn,
                        block.order,
                        buddy.pageblock_type(block.pfn).name()
                    ));
                }
                if on_isolate && block.order.get() == PAGEBLOCK_ORDER && block.order < Order::MAX {
                    let other = block.pfn.buddy(block.order);
                    if block.pfn < other
                        && buddy.free_order(other) == Some(block.order)
                        && buddy.free_list_type(other) == Some(MigrateType::Isolate)
                    {
                        unmerged.push(block.pfn);
                    }
                }
            }
            // check_invariants() already leaves free pages on isolate lists out of
            // NR_FREE_PAGES, as the kernel counts them.
            // In the copy only: a pageblock type that may not merge with Isolate makes
            // the structural check accept the pair, as __free_one_page() would.
            for pfn in unmerged {
                zone.buddy.set_pageblock_type(pfn, MigrateType::HighAtomic);
            }
        }
        relaxed.check_invariants()
    }
}

/// The types isolation may restore pageblocks to.
pub(super) fn restorable(migratetype: MigrateType) -> Result<(), ContigError> {
    if migratetype.is_mergeable() {
        Ok(())
    } else {
        Err(ContigError::BadMigratetype { migratetype })
    }
}

/// The kernel's walk for the free block that may hold `pfn`: the first free head met
/// while rounding `pfn` down to ever larger orders, or `None` past MAX_ORDER. (The
/// block found is not checked to reach `pfn`; callers check that, as the kernel does.)
pub(super) fn free_head_at_or_below(buddy: &BuddyZone, pfn: u64) -> Option<u64> {
    let mut head = pfn;
    let mut order = 0u8;
    while buddy.free_order(Pfn(head)).is_none() {
        order += 1;
        if order >= MAX_ORDER {
            return None;
        }
        head &= !0u64 << order;
    }
    Some(head)
}
