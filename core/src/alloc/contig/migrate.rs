//! Moving pages out of an isolated range (`__alloc_contig_migrate_range()`, see the
//! folder's overview for what a migration is in the model) and taking the freed range
//! (`isolate_freepages_range()`).

use super::*;
use crate::alloc::Allocator;
use crate::buddy::{Block, BlockState, TraceSink};
use crate::event::Event;
use crate::types::ZoneType;
use crate::types::{MigrateType, Order, Pfn, PAGEBLOCK_ORDER};

impl Allocator {
    /// `__alloc_contig_migrate_range()`: `isolate_migratepages_range()` collects the
    /// movable blocks that start in `[start, end)`, in ascending pfn order, until
    /// `COMPACT_CLUSTER_MAX` pages are collected; `migrate_pages()` then migrates the
    /// batch from the last collected (each was put at the head of the list); repeat
    /// to `end`. Free blocks are skipped whole; pages on per-cpu lists, pages without
    /// the movable flag and tails of blocks starting before `start` are not taken.
    /// `targets` is the nodemask of the migration targets (`None`: any node).
    pub(in crate::alloc) fn migrate_range(
        &mut self,
        z: usize,
        start: u64,
        end: u64,
        targets: Option<&[u32]>,
        trace: &mut impl TraceSink,
        migrations: &mut Vec<Migration>,
    ) -> Result<(), ContigFailure> {
        let mut pfn = start;
        loop {
            let pcp = self.pcp_pfns(z);
            let mut batch = Vec::new();
            let mut pages = 0u64;
            while pfn < end && pages < COMPACT_CLUSTER_MAX {
                let buddy = &self.zones[z].buddy;
                let Some((block, movable)) = buddy.head_block(Pfn(pfn)) else {
                    pfn += 1;
                    continue;
                };
                let candidate = movable
                    && match block.state {
                        BlockState::Allocated => !pcp.contains(&pfn),
                        BlockState::Reserved => true,
                        BlockState::Free => false,
                    };
                if candidate {
                    batch.push(block);
                    pages += block.order.pages();
                }
                pfn += block.order.pages();
            }
            if batch.is_empty() {
                return Ok(());
            }
            // Isolated for migration, the pages leave the LRU (the reclaim model's list),
            // so reclaim and compaction leave them alone meanwhile; each comes back as
            // the youngest page, at its new pfn once migrated (putback_lru_page()), at
            // its old one if it was not (putback_movable_pages()).
            let entries: Vec<Option<LruPage>> = batch
                .iter()
                .map(|block| {
                    self.note_lru(crate::alloc::journal::LruOp::Remove(block.pfn.0));
                    self.lru.remove(block.pfn.0)
                })
                .collect();
            let mut result = Ok(());
            for (block, entry) in batch.into_iter().zip(entries).rev() {
                let moved_to = match result {
                    Ok(()) => self.migrate_block(
                        z,
                        block,
                        entry.map(|page| page.owner),
                        targets,
                        trace,
                        migrations,
                    ),
                    Err(_) => Ok(None),
                };
                let moved_to = moved_to.unwrap_or_else(|failure| {
                    result = Err(failure);
                    None
                });
                if let Some(mut page) = entry {
                    if let Some(to) = moved_to {
                        page.pfn = to.0;
                    }
                    self.lru.push(page);
                    self.note_lru(crate::alloc::journal::LruOp::Push(page));
                }
            }
            result?;
        }
    }

    /// `migrate_pages()` on one block (see the module notes): the pfn it now lives
    /// at. A block that is no longer there (freed meanwhile) is skipped (`None`).
    /// `owner` (from the LRU entry) goes into the event, so the session moves its
    /// allocation to the new pfn, whether or not the whole operation succeeds.
    pub(super) fn migrate_block(
        &mut self,
        z: usize,
        block: Block,
        owner: Option<u64>,
        targets: Option<&[u32]>,
        trace: &mut impl TraceSink,
        migrations: &mut Vec<Migration>,
    ) -> Result<Option<Pfn>, ContigFailure> {
        crate::buddy::traced(trace, "migrate_pages", |trace| {
            let (from, order, state) = (block.pfn, block.order, block.state);
            let still_there = match self.zones[z].buddy.head_block(from) {
                Some((block, true)) => block.order == order && block.state == state,
                _ => false,
            } && !self.pcp_pfns(z).contains(&from.0);
            if !still_there {
                return Ok(None);
            }
            let mut mask = MIGRATE_TARGET_GFP;
            if order.get() > 0 {
                mask &= !(gfp::GFP_DIRECT_RECLAIM | gfp::GFP_KSWAPD_RECLAIM);
                mask |= TRANSHUGE_GFP;
            }
            if self.zones[z].zone == ZoneType::Movable {
                mask |= gfp::GFP_HIGHMEM;
            }
            mask |= gfp::GFP_COMP;
            let nid = self.zones[z].nid;
            let target = self
                .alloc_pages_nodemask(Gfp(mask), u32::from(order.get()), nid, targets, trace)
                .unwrap_or(None);
            let Some(target) = target else {
                trace.emit(Event::ContigMigrateFailed { pfn: from, order });
                // migrate_pages() counts the pages it could not move.
                self.count_vm_events(crate::alloc::vmstat::VmEvent::PgmigrateFail, order.pages());
                return Err(ContigFailure::NoMemory { pfn: from, order });
            };
            let to = target.pfn;
            if let Some(tz) = self.zone_of_pfn(to) {
                self.zones[tz].buddy.set_page_movable(to, true);
            }
            let buddy = &mut self.zones[z].buddy;
            buddy.set_page_movable(from, false);
            if state == BlockState::Reserved {
                // The model's reserved LRU page becomes an ordinary page to free.
                let _ = buddy.load_in_use(from, Order::ZERO);
            }
            trace.emit(Event::ContigMigrated {
                from,
                to,
                order,
                owner,
            });
            // migrate_pages() counts the pages it moved.
            self.count_vm_events(
                crate::alloc::vmstat::VmEvent::PgmigrateSuccess,
                order.pages(),
            );
            let _ = self.free_pages(from, u32::from(order.get()), trace);
            migrations.push(Migration { from, to, order });
            Ok(Some(to))
        })
    }

    /// `isolate_freepages_range()` in strict mode on pages `test_pages_isolated()`
    /// just passed: every free block from `start` is taken off its list with
    /// `__isolate_free_page()` (counted out of NR_FREE_PAGES and its pageblocks made
    /// MOVABLE only for a block outside isolation, which does not arise here; the
    /// watermark check of that case is not modelled) and split into single pages
    /// (`split_map_pages()`). Returns the end of the last block, or `None`, changing
    /// nothing, if a page on the way is not free.
    pub(super) fn isolate_freepages_range(
        &mut self,
        z: usize,
        start: u64,
        end: u64,
        trace: &mut impl TraceSink,
    ) -> Option<u64> {
        crate::buddy::traced(trace, "isolate_freepages_range", |trace| {
            let mut pfn = start;
            while pfn < end {
                pfn += self.zones[z].buddy.free_order(Pfn(pfn))?.pages();
            }
            let outer_end = pfn;
            let cpu = self.cpu;
            let zone = &mut self.zones[z];
            let mut taken = Vec::new();
            pfn = start;
            while pfn < outer_end {
                let here = Pfn(pfn);
                let order = crate::buddy::traced(trace, "__isolate_free_page", |trace| {
                    let migratetype = zone.buddy.pageblock_type(here);
                    let (order, _) = zone.buddy.take_free_block(here)?;
                    if migratetype != MigrateType::Isolate {
                        zone.mod_free_pages(cpu, -(order.pages() as i64));
                    }
                    if order.get() + 1 >= PAGEBLOCK_ORDER {
                        let blocks = (order.pages() / PAGEBLOCK_PAGES).max(1);
                        for i in 0..blocks {
                            let block = Pfn(pfn + i * PAGEBLOCK_PAGES);
                            if zone.buddy.pageblock_type(block).is_mergeable() {
                                zone.buddy.set_pageblock_type(block, MigrateType::Movable);
                            }
                        }
                    }
                    trace.emit(Event::FreePageTaken { pfn: here, order });
                    Some(order)
                })?;
                taken.push((here, order));
                pfn += order.pages();
            }
            for (block, order) in taken {
                let pieces: Vec<(Pfn, Order)> = (0..order.pages())
                    .map(|i| (Pfn(block.0 + i), Order::ZERO))
                    .collect();
                let _ = zone.buddy.split_in_use_into(block, order, &pieces);
            }
            Some(outer_end)
        })
    }
}
