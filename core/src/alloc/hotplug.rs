//! Memory hotplug of whole sparsemem sections, as `echo offline|online >
//! /sys/devices/system/memory/memoryN/state` does it (mm/memory_hotplug.c), on a
//! machine whose memory blocks are one section each.
//!
//! Offlining ([`Allocator::offline_section`], `offline_pages()`):
//!
//! 1. The section must be memory without holes (`count_system_ram_pages_cb`) and lie
//!    in one zone (`test_pages_in_a_zone()`); otherwise -EINVAL.
//! 2. `zone_pcp_disable()` and `drain_all_pages()`: the zone's per-cpu pages go back
//!    to the buddy lists.
//! 3. `start_isolate_page_range(MIGRATE_MOVABLE, MEMORY_OFFLINE)`: every pageblock
//!    becomes MIGRATE_ISOLATE, refused (-EBUSY) if `has_unmovable_pages()` finds a
//!    page that cannot move (a kernel allocation outside ZONE_MOVABLE, a reserved page).
//! 4. `scan_movable_pages()` and `do_migrate_range()`: movable pages migrate, with a
//!    nodemask that leaves out the section's own node when another node has memory,
//!    so they land on the nearest other node.
//! 5. `test_pages_isolated()`; then `__offline_isolated_pages()` takes every free block
//!    off its list, and the present and managed counts drop
//!    (`adjust_present_page_count()`, `adjust_managed_page_count()`).
//! 6. `init_per_zone_wmark_min()` recomputes min_free_kbytes and the watermarks, stat
//!    thresholds and lowmem_reserve; if the zone is now empty, `build_all_zonelists()`
//!    rebuilds every node's zonelists, with every CPU online (nodes with CPUs pay
//!    `find_next_best_node()`'s penalty). The node's N_MEMORY bit is cleared only
//!    after that rebuild (`node_states_clear_node()`), so a node whose last memory went
//!    offline keeps its place in every node order (with no zones in it) until the
//!    next rebuild.
//!
//! Onlining ([`Allocator::online_section`], `online_pages()`): the pageblocks become
//! MIGRATE_ISOLATE (`move_pfn_range_to_zone()`), each MAX_ORDER block is freed to the
//! tail of the isolate lists (`generic_online_page()`, `__free_pages_core()`), the
//! counts grow, zonelists are rebuilt if the zone was empty, `init_per_zone_wmark_min()`
//! runs, and `undo_isolate_page_range(MIGRATE_MOVABLE)` hands the pages to the
//! allocator as MOVABLE.
//!
//! Differences, deliberate:
//!
//! - Only a section that was present at boot and offlined since can be onlined, and it
//!   goes back into the zone it left. Hot-adding new memory, choosing another zone
//!   (`online_movable` into ZONE_MOVABLE, the `auto-movable` policy) and memory blocks
//!   of several sections are not modelled.
//! - Zone and node spans do not shrink when an edge section goes offline
//!   (`shrink_zone_span()`); zoneinfo keeps the boot spans.
//! - If pages are still in use after migration, the kernel retries until a signal
//!   arrives; the model gives up at once with -EBUSY and undoes the isolation, as the
//!   kernel's failure path does.
//! - An offline section's pageblocks read as having no memory map: the kernel keeps
//!   the memmap (marked offline) until the memory is removed.
//! - kswapd and kcompactd are not stopped or started (the session runs kswapd after
//!   the operation that woke it).

use core::fmt;

use super::Allocator;
use crate::buddy::{TraceSink, PAGEBLOCK_NO_MEMMAP};
use crate::error::EngineError;
use crate::event::Event;
use crate::types::ZoneType;
use crate::types::{MigrateType, Order, Pfn, MAX_ORDER, PAGEBLOCK_PAGES};

/// Why the kernel refused to offline or online a section (the write to the `state`
/// file fails with this errno).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum HotplugFailure {
    /// -EINVAL: the section has holes.
    Holes,
    /// -EINVAL: the section spans more than one zone.
    MultiZone,
    /// -EBUSY: `start_isolate_page_range()` found a page that cannot move.
    Unmovable { pfn: Pfn },
    /// -EBUSY: a page was still in use after migration (no migration target, ...).
    Busy { pfn: Pfn },
}

impl fmt::Display for HotplugFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HotplugFailure::Holes => f.write_str("-EINVAL: the section has memory holes"),
            HotplugFailure::MultiZone => f.write_str("-EINVAL: the section spans two zones"),
            HotplugFailure::Unmovable { pfn } => write!(
                f,
                "-EBUSY: failure to isolate range: pfn {pfn} is in use and cannot be migrated"
            ),
            HotplugFailure::Busy { pfn } => {
                write!(f, "-EBUSY: pfn {pfn} is still in use after migration")
            }
        }
    }
}

impl Allocator {
    /// Whether section `number` has been offlined.
    pub fn is_section_offline(&self, number: u64) -> bool {
        self.offline_sections.binary_search(&number).is_ok()
    }

    /// The section's pfn range and the zone holding it, or the reason the operation
    /// cannot even be asked for (no such section).
    fn section_range(&self, number: u64) -> Result<(u64, u64, u64), EngineError> {
        let machine = self.machine.as_ref().ok_or(EngineError::NoMachine)?;
        let section = machine
            .sections
            .iter()
            .find(|s| s.number == number)
            .ok_or_else(|| EngineError::Hotplug {
                message: format!("section {number} holds no memory on this machine"),
            })?;
        Ok((section.start_pfn, section.end_pfn, section.present_pages))
    }

    /// `offline_pages()` on sparsemem section `number` (see the module notes).
    /// `Ok(Err(..))` is the kernel refusing; `Err` is a request that names no
    /// online section, which changes nothing.
    pub fn offline_section(
        &mut self,
        number: u64,
        trace: &mut impl TraceSink,
    ) -> Result<Result<(), HotplugFailure>, EngineError> {
        crate::buddy::traced(trace, "offline_pages", |trace| {
            let (start, end, present) = self.section_range(number)?;
            if self.is_section_offline(number) {
                return Err(EngineError::Hotplug {
                    message: format!("section {number} is already offline"),
                });
            }
            trace.emit(Event::OfflinePages {
                start: Pfn(start),
                end: Pfn(end),
            });
            if present != end - start {
                return Ok(self.hotplug_failed(HotplugFailure::Holes, trace));
            }
            let zones: Vec<usize> = self
                .zones
                .iter()
                .enumerate()
                .filter(|(_, z)| {
                    let (zs, ze) = (z.buddy.start_pfn().0, z.buddy.end_pfn().0);
                    z.present > 0 && zs < end && start < ze
                })
                .map(|(i, _)| i)
                .collect();
            let z = match zones.as_slice() {
                [z] if self.zones[*z].buddy.start_pfn().0 <= start
                    && end <= self.zones[*z].buddy.end_pfn().0 =>
                {
                    *z
                }
                _ => return Ok(self.hotplug_failed(HotplugFailure::MultiZone, trace)),
            };
            self.drain_zone(z, trace);
            let mut migrations = Vec::new();
            if let Err(failure) =
                self.isolate_range(z, start, end, MigrateType::Movable, trace, &mut migrations)
            {
                let pfn = match failure {
                    super::contig::ContigFailure::Unmovable { pfn, .. } => pfn,
                    _ => Pfn(start),
                };
                return Ok(self.hotplug_failed(HotplugFailure::Unmovable { pfn }, trace));
            }
            self.drain_zone(z, trace);
            let nid = self.zones[z].nid;
            let others: Vec<u32> = self
                .nodes
                .iter()
                .filter(|n| n.nid != nid && n.present > 0)
                .map(|n| n.nid)
                .collect();
            let targets = if others.is_empty() { vec![nid] } else { others };
            let migrated =
                self.migrate_range(z, start, end, Some(&targets), trace, &mut migrations);
            let busy = match migrated {
                Err(_) => Some(Pfn(start)),
                Ok(()) => self.test_isolated(z, start, end, trace),
            };
            if let Some(pfn) = busy {
                self.undo_range(z, start, end, MigrateType::Movable, trace);
                return Ok(self.hotplug_failed(HotplugFailure::Busy { pfn }, trace));
            }
            // __offline_isolated_pages(): every page is free on an isolate list now.
            let zone = &mut self.zones[z];
            let mut pfn = start;
            while pfn < end {
                match zone.buddy.offline_free_block(Pfn(pfn)) {
                    Some(order) => pfn += order.pages(),
                    None => pfn += 1,
                }
            }
            let first_block = (start - zone.buddy.first_pageblock_pfn().0) / PAGEBLOCK_PAGES;
            for index in first_block..first_block + (end - start) / PAGEBLOCK_PAGES {
                zone.buddy
                    .set_pageblock_raw(index as usize, PAGEBLOCK_NO_MEMMAP);
            }
            zone.nr_isolate_pageblock = zone
                .nr_isolate_pageblock
                .saturating_sub((end - start) / PAGEBLOCK_PAGES);
            let pages = end - start;
            let zone_type = zone.zone;
            zone.present -= pages.min(zone.present);
            zone.managed -= pages.min(zone.managed);
            if let Some(node) = self.nodes.iter_mut().find(|n| n.nid == nid) {
                node.present -= pages.min(node.present);
            }
            if let Err(at) = self.offline_sections.binary_search(&number) {
                self.offline_sections.insert(at, number);
            }
            self.note_small();
            self.after_hotplug(nid, zone_type, -(pages as i64), trace);
            trace.emit(Event::HotplugDone {
                start: Pfn(start),
                end: Pfn(end),
                online: false,
            });
            Ok(Ok(()))
        })
    }

    /// `online_pages()` of section `number`, offlined earlier, back into the zone it
    /// left (see the module notes).
    pub fn online_section(
        &mut self,
        number: u64,
        trace: &mut impl TraceSink,
    ) -> Result<(), EngineError> {
        crate::buddy::traced(trace, "online_pages", |trace| {
            let (start, end, _) = self.section_range(number)?;
            let Ok(at) = self.offline_sections.binary_search(&number) else {
                return Err(EngineError::Hotplug {
                    message: format!(
                        "section {number} is online; the model onlines only sections offlined earlier"
                    ),
                });
            };
            let Some(z) = self.zone_of_pfn(Pfn(start)) else {
                return Err(EngineError::Hotplug {
                    message: format!("section {number} lies in no zone"),
                });
            };
            trace.emit(Event::OnlinePages {
                start: Pfn(start),
                end: Pfn(end),
                node: self.zones[z].nid,
                zone: self.zones[z].zone,
            });
            self.offline_sections.remove(at);
            self.note_small();
            // move_pfn_range_to_zone(..., MIGRATE_ISOLATE)
            let zone = &mut self.zones[z];
            let first_block = (start - zone.buddy.first_pageblock_pfn().0) / PAGEBLOCK_PAGES;
            let blocks = (end - start) / PAGEBLOCK_PAGES;
            for index in first_block..first_block + blocks {
                zone.buddy
                    .set_pageblock_raw(index as usize, MigrateType::Isolate as u8);
            }
            zone.nr_isolate_pageblock += blocks;
            zone.note();
            // online_pages_range(): MAX_ORDER blocks freed to the tail; into isolated
            // pageblocks, so NR_FREE_PAGES does not count them yet.
            let max = Order::new(u32::from(MAX_ORDER) - 1).unwrap_or(Order::ZERO);
            let mut pfn = start;
            while pfn < end {
                let order = Order::all()
                    .rev()
                    .find(|o| *o <= max && Pfn(pfn).is_aligned(*o) && pfn + o.pages() <= end)
                    .unwrap_or(Order::ZERO);
                let _ = zone
                    .buddy
                    .online_block(Pfn(pfn), order, MigrateType::Isolate, trace);
                pfn += order.pages();
            }
            let pages = end - start;
            let (nid, zone_type) = (zone.nid, zone.zone);
            zone.present += pages;
            zone.managed += pages;
            if let Some(node) = self.nodes.iter_mut().find(|n| n.nid == nid) {
                node.present += pages;
            }
            self.note_small();
            self.after_hotplug(nid, zone_type, pages as i64, trace);
            self.undo_range(z, start, end, MigrateType::Movable, trace);
            trace.emit(Event::HotplugDone {
                start: Pfn(start),
                end: Pfn(end),
                online: true,
            });
            Ok(())
        })
    }

    fn hotplug_failed(
        &mut self,
        failure: HotplugFailure,
        trace: &mut impl TraceSink,
    ) -> Result<(), HotplugFailure> {
        trace.emit(Event::HotplugFailed {
            reason: failure.to_string(),
        });
        Err(failure)
    }

    /// What both directions do once the pages have moved: the machine's counts,
    /// zonelists if the zone changed between empty and populated, and
    /// `init_per_zone_wmark_min()`, taken over into the running zones.
    fn after_hotplug(&mut self, nid: u32, zone: ZoneType, pages: i64, trace: &mut impl TraceSink) {
        let Some(machine) = self.machine.as_mut().map(std::rc::Rc::make_mut) else {
            return;
        };
        let rebuilt = machine.adjust_hotplug_pages(nid, zone, pages);
        if rebuilt {
            // offline_pages() rebuilds before node_states_clear_node(): a node that
            // just lost its last memory is still in N_MEMORY for this rebuild.
            machine.rebuild_zonelists((pages < 0).then_some(nid));
        }
        let warning = machine.init_per_zone_wmark_min_after_boot();
        let min_free_kbytes = machine.min_free_kbytes;
        self.note_machine();
        self.note_machine();
        if rebuilt {
            let lists = self.machine.as_ref().map_or(&[][..], |m| &m.zonelists[..]);
            for node in &mut self.nodes {
                if let Some(list) = lists.iter().find(|l| l.node == node.nid) {
                    node.fallback = list.general.iter().map(|r| (r.node, r.zone)).collect();
                    node.nofallback = list.thisnode.iter().map(|r| (r.node, r.zone)).collect();
                }
            }
            self.index_zonelists();
            // online_pages() rebuilds before init_per_zone_wmark_min(): the
            // decision sees the new managed pages and the old watermarks.
            if pages > 0 {
                self.build_all_zonelists_decides_grouping();
            }
            self.note_small();
            crate::buddy::traced(trace, "build_all_zonelists", |trace| {
                trace.emit(Event::ZonelistsRebuilt)
            });
        }
        self.take_zone_settings(true);
        // offline_pages() recomputes the watermarks first, then rebuilds.
        if rebuilt && pages < 0 {
            self.build_all_zonelists_decides_grouping();
        }
        self.note_small();
        crate::buddy::traced(trace, "init_per_zone_wmark_min", |trace| {
            trace.emit(Event::WatermarksRecomputed {
                min_free_kbytes,
                warning,
            });
        });
    }
}

impl Allocator {
    /// `build_all_zonelists()` after boot decides `page_group_by_mobility_disabled`
    /// again: `nr_free_zone_pages()` sums managed pages above the high watermark
    /// (boost included) over the running CPU's zonelist, against
    /// `pageblock_nr_pages * MIGRATE_TYPES`. So memory hotplug can turn grouping on
    /// or off; the scenario switch `mobility_grouping = false` keeps it off.
    pub(crate) fn build_all_zonelists_decides_grouping(&mut self) {
        let Some(machine) = self.machine.as_ref() else {
            return;
        };
        let forced_off = machine.config.mobility_grouping == Some(false);
        let threshold = crate::machine::mobility::mobility_threshold_pages(&machine.config);
        let node = self
            .nodes
            .iter()
            .find(|n| n.cpus.contains(&self.cpu))
            .or_else(|| self.nodes.first());
        let total: u64 = node
            .map(|node| {
                node.fallback
                    .iter()
                    .filter(|(_, zone)| *zone <= ZoneType::Movable)
                    .filter_map(|&(nid, zone)| self.zone_index(nid, zone))
                    .map(|z| {
                        let zone = &self.zones[z];
                        zone.managed.saturating_sub(zone.wmark_pages(2))
                    })
                    .sum()
            })
            .unwrap_or(0);
        let disabled = forced_off || total < threshold;
        if disabled != self.mobility_disabled {
            self.mobility_disabled = disabled;
            for zone in &mut self.zones {
                zone.buddy.set_mobility_disabled(disabled);
            }
        }
    }
}
