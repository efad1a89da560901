//! The allocator's side of the change journal (see [`crate::buddy::journal`]): what
//! it records besides the buddy arrays, where it records it, and [`Allocator::replay`],
//! which applies a recorded change again.
//!
//! Three kinds of change: the per-cpu lists and the LRU list change by single
//! operations (a page pushed or popped), replayed as such; everything else that is
//! small (each zone's counters, watermarks, flags and per-cpu counts, the nodes'
//! kswapd state and zonelists, the offlined sections, the `/proc/vmstat` event
//! counters) is recorded whole after it
//! changes; the booted machine, which only memory hotplug changes, likewise.

use super::reclaim::LruPage;
use super::{Allocator, CpuStat, NodeState, PcpPage, ZoneState, ZonelistIndexes};
use crate::buddy::journal::{BuddyUndo, Change, Journal, Recorder, SharedJournal};

/// A change the allocator records.
pub(crate) enum AllocChange {
    /// `zones[zone]`'s per-cpu list `pindex` of CPU `cpu`.
    Pcp {
        zone: usize,
        cpu: u32,
        pindex: usize,
        op: PcpOp,
    },
    Lru(LruOp),
    /// `zones[zone]` without its buddy state and per-cpu lists, as it is now.
    Zone {
        zone: usize,
        scalars: Box<ZoneScalars>,
    },
    /// Every small part, as it is now.
    Small(Box<Small>),
    /// The booted machine, as it is now.
    Machine(Box<Option<std::rc::Rc<crate::machine::Machine>>>),
}

pub(crate) enum PcpOp {
    PushFront(PcpPage),
    PopFront,
    PopBack,
    Extend(Vec<PcpPage>),
    /// The page at this position left the list (the trace replay's follow mode takes
    /// a traced pfn off a per-cpu list).
    Remove(usize),
}

pub(crate) enum LruOp {
    Push(LruPage),
    Remove(u64),
    Moved { from: u64, to: u64 },
}

/// What undoes one replayed change (see [`Allocator::replay_undoable`]), computed
/// from the state it was applied to.
pub(crate) enum Undo {
    Buddy {
        zone: usize,
        undo: BuddyUndo,
    },
    Pcp {
        zone: usize,
        cpu: u32,
        pindex: usize,
        op: PcpUndo,
    },
    Lru(super::reclaim::LruUndo),
    Zone {
        zone: usize,
        scalars: Box<ZoneScalars>,
    },
    Small(Box<Small>),
    Machine(Box<Option<std::rc::Rc<crate::machine::Machine>>>),
    Nothing,
}

pub(crate) enum PcpUndo {
    PopFront,
    PushFront(PcpPage),
    PushBack(PcpPage),
    Truncate(usize),
    Insert(usize, PcpPage),
}

/// The undo entries of a call's changes replayed so far, each with its change's
/// stamp, in the order the changes were applied.
#[derive(Default)]
pub(crate) struct UndoLog {
    entries: Vec<(u32, Undo)>,
}

/// A zone without its buddy state and per-cpu lists.
pub(crate) struct ZoneScalars {
    spanned: u64,
    present: u64,
    managed: u64,
    watermark: [u64; 3],
    watermark_boost: u64,
    nr_reserved_highatomic: u64,
    flags: u64,
    nr_isolate_pageblock: u64,
    percpu_drift_mark: u64,
    pageset_high: u64,
    pageset_high_max: u64,
    pageset_batch: u64,
    nr_free_highatomic: u64,
    lowmem_reserve: [u64; 5],
    free_pages_global: i64,
    cpu_stats: Vec<CpuStat>,
    /// Each per-cpu list set's count, high, batch, free_factor and expire.
    pcps: Vec<[u64; 5]>,
    /// Each per-cpu list set's 6.12 tuning fields.
    tunings: Vec<Option<super::PcpTuning>>,
}

/// Everything small of the allocator.
pub(crate) struct Small {
    zones: Vec<ZoneScalars>,
    nodes: Vec<NodeState>,
    cpu: u32,
    watermark_boost_factor: u32,
    offline_sections: Vec<u64>,
    zonelist_indexes: Vec<ZonelistIndexes>,
    vm_events: super::vmstat::VmEvents,
    mobility_disabled: bool,
}

fn scalars(zone: &ZoneState) -> ZoneScalars {
    ZoneScalars {
        spanned: zone.spanned,
        present: zone.present,
        managed: zone.managed,
        watermark: zone.watermark,
        watermark_boost: zone.watermark_boost,
        nr_reserved_highatomic: zone.nr_reserved_highatomic,
        flags: zone.flags,
        nr_isolate_pageblock: zone.nr_isolate_pageblock,
        percpu_drift_mark: zone.percpu_drift_mark,
        pageset_high: zone.pageset_high,
        pageset_high_max: zone.pageset_high_max,
        pageset_batch: zone.pageset_batch,
        nr_free_highatomic: zone.nr_free_highatomic,
        lowmem_reserve: zone.lowmem_reserve,
        free_pages_global: zone.free_pages_global,
        cpu_stats: zone.cpu_stats.clone(),
        pcps: zone
            .pcps
            .iter()
            .map(|p| [p.count, p.high, p.batch, u64::from(p.free_factor), p.expire])
            .collect(),
        tunings: zone.pcps.iter().map(|p| p.tuning).collect(),
    }
}

fn restore(zone: &mut ZoneState, s: &ZoneScalars) {
    zone.spanned = s.spanned;
    zone.present = s.present;
    zone.managed = s.managed;
    zone.watermark = s.watermark;
    zone.watermark_boost = s.watermark_boost;
    zone.nr_reserved_highatomic = s.nr_reserved_highatomic;
    zone.flags = s.flags;
    zone.nr_isolate_pageblock = s.nr_isolate_pageblock;
    zone.percpu_drift_mark = s.percpu_drift_mark;
    zone.pageset_high = s.pageset_high;
    zone.pageset_high_max = s.pageset_high_max;
    zone.pageset_batch = s.pageset_batch;
    zone.nr_free_highatomic = s.nr_free_highatomic;
    zone.lowmem_reserve = s.lowmem_reserve;
    zone.free_pages_global = s.free_pages_global;
    zone.cpu_stats.clone_from(&s.cpu_stats);
    for (pcp, &[count, high, batch, free_factor, expire]) in zone.pcps.iter_mut().zip(&s.pcps) {
        pcp.count = count;
        pcp.high = high;
        pcp.batch = batch;
        pcp.free_factor = free_factor as u32;
        pcp.expire = expire;
    }
    for (pcp, tuning) in zone.pcps.iter_mut().zip(&s.tunings) {
        pcp.tuning = *tuning;
    }
}

impl Allocator {
    /// Records every change this state makes in `journal`, until
    /// [`Allocator::detach_journal`].
    pub fn attach_journal(&mut self, journal: &SharedJournal) {
        self.recorder = Recorder::to(journal.clone(), 0);
        for (index, zone) in self.zones.iter_mut().enumerate() {
            zone.buddy.attach_journal(journal.clone(), index as u32);
            zone.recorder = Recorder::to(journal.clone(), index as u32);
        }
    }

    /// Stops recording.
    pub fn detach_journal(&mut self) {
        self.recorder = Recorder::default();
        for zone in &mut self.zones {
            zone.buddy.detach_journal();
            zone.recorder = Recorder::default();
        }
    }

    /// Applies the changes of `journal` with a stamp in `stamps` again, in order,
    /// on the state they were recorded from (or on the state a replay of the earlier
    /// ones left).
    pub fn replay(&mut self, journal: &Journal, stamps: core::ops::Range<u32>) {
        // Stamps never decrease along the journal.
        let first = journal.changes.partition_point(|(s, _)| *s < stamps.start);
        let end = journal.changes.partition_point(|(s, _)| *s < stamps.end);
        for (_, change) in journal.changes.get(first..end).unwrap_or(&[]) {
            self.replay_one(change);
        }
    }

    /// As [`Allocator::replay`], and appends to `log` what undoes each change
    /// (see [`Allocator::undo`]).
    pub(crate) fn replay_undoable(
        &mut self,
        journal: &Journal,
        stamps: core::ops::Range<u32>,
        log: &mut UndoLog,
    ) {
        let first = journal.changes.partition_point(|(s, _)| *s < stamps.start);
        let end = journal.changes.partition_point(|(s, _)| *s < stamps.end);
        for (stamp, change) in journal.changes.get(first..end).unwrap_or(&[]) {
            let undo = self.undo_of(change);
            log.entries.push((*stamp, undo));
            self.replay_one(change);
        }
    }

    /// Undoes the changes with a stamp in `stamps`, last first, from the state
    /// after them: `log` must hold them (replayed through
    /// [`Allocator::replay_undoable`] from the state before them).
    pub(crate) fn undo(&mut self, log: &UndoLog, stamps: core::ops::Range<u32>) {
        let first = log.entries.partition_point(|(s, _)| *s < stamps.start);
        let end = log.entries.partition_point(|(s, _)| *s < stamps.end);
        for (_, undo) in log.entries.get(first..end).unwrap_or(&[]).iter().rev() {
            self.undo_one(undo);
        }
    }

    fn undo_of(&self, change: &Change) -> Undo {
        match change {
            Change::Buddy { zone, op } => match self.zones.get(*zone as usize) {
                Some(z) => Undo::Buddy {
                    zone: *zone as usize,
                    undo: z.buddy.undo_of(*op),
                },
                None => Undo::Nothing,
            },
            Change::Other(other) => match other.downcast_ref::<AllocChange>() {
                Some(AllocChange::Pcp {
                    zone,
                    cpu,
                    pindex,
                    op,
                }) => {
                    let Some(list) = self
                        .zones
                        .get(*zone)
                        .and_then(|z| z.pcps.iter().find(|p| p.cpu == *cpu))
                        .and_then(|p| p.lists.get(*pindex))
                    else {
                        return Undo::Nothing;
                    };
                    let op = match op {
                        PcpOp::PushFront(_) => PcpUndo::PopFront,
                        PcpOp::PopFront => match list.front() {
                            Some(page) => PcpUndo::PushFront(*page),
                            None => return Undo::Nothing,
                        },
                        PcpOp::PopBack => match list.back() {
                            Some(page) => PcpUndo::PushBack(*page),
                            None => return Undo::Nothing,
                        },
                        PcpOp::Extend(_) => PcpUndo::Truncate(list.len()),
                        PcpOp::Remove(at) => match list.get(*at) {
                            Some(page) => PcpUndo::Insert(*at, *page),
                            None => return Undo::Nothing,
                        },
                    };
                    Undo::Pcp {
                        zone: *zone,
                        cpu: *cpu,
                        pindex: *pindex,
                        op,
                    }
                }
                Some(AllocChange::Lru(op)) => Undo::Lru(match op {
                    LruOp::Push(page) => self.lru.undo_push(page),
                    LruOp::Remove(pfn) => self.lru.undo_remove(*pfn),
                    LruOp::Moved { from, to } => self.lru.undo_moved(*from, *to),
                }),
                Some(AllocChange::Zone { zone, .. }) => match self.zones.get(*zone) {
                    Some(z) => Undo::Zone {
                        zone: *zone,
                        scalars: Box::new(scalars(z)),
                    },
                    None => Undo::Nothing,
                },
                Some(AllocChange::Small(_)) => Undo::Small(Box::new(self.small())),
                Some(AllocChange::Machine(_)) => Undo::Machine(Box::new(self.machine.clone())),
                None => Undo::Nothing,
            },
        }
    }

    /// Per-cpu list `pindex` of CPU `cpu` in zone `zone`, if there is one.
    fn pcp_list_mut(
        &mut self,
        zone: usize,
        cpu: u32,
        pindex: usize,
    ) -> Option<&mut std::collections::VecDeque<PcpPage>> {
        self.zones
            .get_mut(zone)
            .and_then(|z| z.pcp_mut(cpu))
            .and_then(|p| p.lists.get_mut(pindex))
    }

    fn undo_one(&mut self, undo: &Undo) {
        match undo {
            Undo::Buddy { zone, undo } => {
                if let Some(zone) = self.zones.get_mut(*zone) {
                    zone.buddy.undo(undo);
                }
            }
            Undo::Pcp {
                zone,
                cpu,
                pindex,
                op,
            } => {
                let Some(list) = self.pcp_list_mut(*zone, *cpu, *pindex) else {
                    return;
                };
                match op {
                    PcpUndo::PopFront => {
                        list.pop_front();
                    }
                    PcpUndo::PushFront(page) => list.push_front(*page),
                    PcpUndo::PushBack(page) => list.push_back(*page),
                    PcpUndo::Truncate(len) => list.truncate(*len),
                    PcpUndo::Insert(at, page) => list.insert(*at, *page),
                }
            }
            Undo::Lru(undo) => self.lru.undo(undo),
            Undo::Zone { zone, scalars } => {
                if let Some(zone) = self.zones.get_mut(*zone) {
                    restore(zone, scalars);
                }
            }
            Undo::Small(small) => self.restore_small(small),
            Undo::Machine(machine) => self.machine.clone_from(machine),
            Undo::Nothing => {}
        }
    }

    fn replay_one(&mut self, change: &Change) {
        match change {
            Change::Buddy { zone, op } => {
                if let Some(zone) = self.zones.get_mut(*zone as usize) {
                    zone.buddy.replay(*op);
                }
            }
            Change::Other(other) => {
                if let Some(change) = other.downcast_ref::<AllocChange>() {
                    self.replay_alloc(change);
                }
            }
        }
    }

    fn replay_alloc(&mut self, change: &AllocChange) {
        match change {
            AllocChange::Pcp {
                zone,
                cpu,
                pindex,
                op,
            } => {
                let Some(list) = self.pcp_list_mut(*zone, *cpu, *pindex) else {
                    return;
                };
                match op {
                    PcpOp::PushFront(page) => list.push_front(*page),
                    PcpOp::PopFront => {
                        list.pop_front();
                    }
                    PcpOp::PopBack => {
                        list.pop_back();
                    }
                    PcpOp::Extend(pages) => list.extend(pages.iter().copied()),
                    PcpOp::Remove(at) => {
                        list.remove(*at);
                    }
                }
            }
            AllocChange::Lru(op) => match *op {
                LruOp::Push(page) => self.lru.push(page),
                LruOp::Remove(pfn) => {
                    self.lru.remove(pfn);
                }
                LruOp::Moved { from, to } => self.lru.moved(from, to),
            },
            AllocChange::Zone { zone, scalars } => {
                if let Some(zone) = self.zones.get_mut(*zone) {
                    restore(zone, scalars);
                }
            }
            AllocChange::Small(small) => self.restore_small(small),
            AllocChange::Machine(machine) => self.machine.clone_from(machine),
        }
    }

    fn small(&self) -> Small {
        Small {
            zones: self.zones.iter().map(scalars).collect(),
            nodes: self.nodes.clone(),
            cpu: self.cpu,
            watermark_boost_factor: self.watermark_boost_factor,
            offline_sections: self.offline_sections.clone(),
            zonelist_indexes: self.zonelist_indexes.clone(),
            vm_events: self.vm_events,
            mobility_disabled: self.mobility_disabled,
        }
    }

    fn restore_small(&mut self, small: &Small) {
        for (zone, s) in self.zones.iter_mut().zip(&small.zones) {
            restore(zone, s);
        }
        self.nodes.clone_from(&small.nodes);
        self.cpu = small.cpu;
        self.watermark_boost_factor = small.watermark_boost_factor;
        self.offline_sections.clone_from(&small.offline_sections);
        self.zonelist_indexes.clone_from(&small.zonelist_indexes);
        self.vm_events = small.vm_events;
        if self.mobility_disabled != small.mobility_disabled {
            self.mobility_disabled = small.mobility_disabled;
            for zone in &mut self.zones {
                zone.buddy.set_mobility_disabled(small.mobility_disabled);
            }
        }
    }

    /// Records every small part as it is now: called after any of them changes.
    #[inline]
    pub(crate) fn note_small(&self) {
        self.recorder
            .other(|_| AllocChange::Small(Box::new(self.small())));
    }

    /// Records the machine as it is now.
    pub(crate) fn note_machine(&self) {
        self.recorder
            .other(|_| AllocChange::Machine(Box::new(self.machine.clone())));
    }

    /// Records an operation on a per-cpu list.
    #[inline]
    pub(crate) fn note_pcp(&self, zone: usize, cpu: u32, pindex: usize, op: PcpOp) {
        self.recorder.other(|_| AllocChange::Pcp {
            zone,
            cpu,
            pindex,
            op,
        });
    }

    /// Records an operation on the LRU list.
    pub(crate) fn note_lru(&self, op: LruOp) {
        self.recorder.other(|_| AllocChange::Lru(op));
    }
}

impl ZoneState {
    /// Records this zone's counters and settings as they are now: called after any
    /// of them changes.
    #[inline]
    pub(crate) fn note(&self) {
        self.recorder.other(|zone| AllocChange::Zone {
            zone: zone as usize,
            scalars: Box::new(scalars(self)),
        });
    }
}
