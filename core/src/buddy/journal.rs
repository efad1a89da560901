//! A journal of every change a call makes to memory, each stamped with how many of
//! the call's events had been emitted when it was made, so a session can show the
//! state at any event of a call: the state before the call with the changes made
//! before that event's successor applied.
//!
//! Why a journal rather than events that carry their effects: the engine changes
//! memory in many small steps (a page's state byte, a list link, a counter) and
//! several of them have no event of their own; recording the changes where they are
//! made, at the level they are made, makes replaying them exact by construction, and a
//! test checks that replaying a whole call's journal gives the state after the call.
//!
//! Recording is off unless a session attaches a journal to a working copy of the
//! state ([`Recorder`]); a state's copies never carry it, and two states compare
//! equal whatever their recorders.

use std::any::Any;
use std::cell::RefCell;
use std::fmt;
use std::rc::Rc;

/// One change to one zone's buddy state, at the level of its arrays: what
/// [`super::BuddyZone::replay`] applies. Indexes count pages (or lists, or
/// pageblocks) from the zone's first.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BuddyOp {
    State { index: u32, value: u8 },
    Fill { start: u32, end: u32, value: u8 },
    ListType { index: u32, value: u8 },
    Pageblock { index: u32, value: u8 },
    PushHead { list: u32, index: u32 },
    PushTail { list: u32, index: u32 },
    Remove { list: u32, index: u32 },
}

/// What undoes one [`BuddyOp`] (see [`super::BuddyZone::undo_of`]): an op that
/// writes the old values back, the old links of a list change, or old bytes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BuddyUndo {
    Op(BuddyOp),
    Links(Box<super::lists::Links>),
    Bytes(u32, Box<[u8]>),
}

/// A recorded change: to the buddy state of zone `zone` (its index in the
/// allocator), or to something a layer above keeps (its own type, boxed).
pub enum Change {
    Buddy { zone: u32, op: BuddyOp },
    Other(Box<dyn Any>),
}

impl fmt::Debug for Change {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Change::Buddy { zone, op } => write!(f, "Buddy {{ zone: {zone}, op: {op:?} }}"),
            Change::Other(_) => write!(f, "Other"),
        }
    }
}

/// The changes of one call, each with the number of events emitted before it was
/// made (its stamp): a change stamped `k` is part of the state once the cursor has
/// passed event `k` (counted from 0), so it shows with the event that follows it.
/// Mutations that describe an event already emitted are recorded before that event
/// instead (the call sites say so).
#[derive(Debug, Default)]
pub struct Journal {
    /// Events emitted so far.
    pub events: u32,
    pub changes: Vec<(u32, Change)>,
}

impl Journal {
    /// Records a change at the current stamp.
    pub fn record(&mut self, change: Change) {
        self.changes.push((self.events, change));
    }
}

/// A shared journal, as a sink and the states it records hold it.
pub type SharedJournal = Rc<RefCell<Journal>>;

/// Where a state records its changes: nowhere (the default), or a shared journal
/// with this part's index. Cloning gives a recorder that records nowhere, and every
/// recorder equals every other, so attaching one never changes what a state is.
#[derive(Default)]
pub struct Recorder(Option<(SharedJournal, u32)>);

impl Recorder {
    /// A recorder writing to `journal` as part `index` (a zone's index).
    pub fn to(journal: SharedJournal, index: u32) -> Recorder {
        Recorder(Some((journal, index)))
    }

    /// Whether changes are being recorded.
    #[inline]
    pub fn is_on(&self) -> bool {
        self.0.is_some()
    }

    /// Records a buddy change of this recorder's zone.
    #[inline]
    pub fn buddy(&self, op: BuddyOp) {
        if let Some((journal, zone)) = &self.0 {
            record_buddy(journal, *zone, op);
        }
    }

    /// Records a change of a layer above, built only when recording is on (from
    /// this recorder's part index).
    #[inline(always)]
    pub fn other<T: Any>(&self, change: impl FnOnce(u32) -> T) {
        if let Some((journal, index)) = &self.0 {
            record_other(journal, Box::new(change(*index)));
        }
    }
}

// The recording itself, out of line: each note site in the hot paths keeps a test
// and a call (recording is on only while a session steps through a call), not the
// journal's borrow and push (docs/performance.md, branch size22).
#[cold]
#[inline(never)]
fn record_buddy(journal: &SharedJournal, zone: u32, op: BuddyOp) {
    journal.borrow_mut().record(Change::Buddy { zone, op });
}

#[cold]
#[inline(never)]
fn record_other(journal: &SharedJournal, change: Box<dyn Any>) {
    journal.borrow_mut().record(Change::Other(change));
}

impl Clone for Recorder {
    fn clone(&self) -> Recorder {
        Recorder(None)
    }
}

impl PartialEq for Recorder {
    fn eq(&self, _other: &Recorder) -> bool {
        true
    }
}

impl Eq for Recorder {}

impl fmt::Debug for Recorder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if self.is_on() {
            "Recorder(on)"
        } else {
            "Recorder(off)"
        })
    }
}
