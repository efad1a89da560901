//! A session's calls as it keeps them: sixteen bytes a call for the calls a workload
//! makes by the million, a full [`Record`] only for the rest.
//!
//! A ten-million-operation run in the page has to fit in a wasm heap beside its
//! checkpoints, so a plain allocation or free cannot cost the hundred-odd bytes of
//! an [`Operation`] and an [`Outcome`] side by side. Most calls are
//! `alloc_pages()` with no nodemask that returned a block or NULL, or
//! `__free_pages()` of an allocation on the current CPU; what varies between them
//! is the pfn, the allocation's index and the event count, so each such call is one
//! [`Entry`]: those numbers packed in a word, and the rest (order, gfp mask, node,
//! CPU, use, and the zone the block came from) as a number into a table of the
//! distinct shapes seen. Anything else (a trace's placed blocks, kswapd, sysctls,
//! numbers too large to pack) is kept whole. Reading a call back rebuilds the same
//! `Record`, so nothing above this file sees the packing.
//!
//! The step numbers (where each call's first position is in the numbering a share
//! link's `step=` uses) are kept every [`STARTS_EVERY`] calls; the rest are the
//! event counts added up from there.

use std::collections::HashMap;

use super::{Operation, Outcome, Record};
use crate::alloc::reclaim::PageUse;
use crate::alloc::Allocation;
use crate::types::gfp::Gfp;
use crate::types::hash::WordHash;
use crate::types::ZoneType;
use crate::types::{Order, Pfn};

/// Calls between two kept step numbers: finding a call's step adds at most this many
/// event counts.
const STARTS_EVERY: usize = 64;

/// Bits of the packed word that hold a pfn; the allocation's index is above them.
/// A booted machine ends below 64 TiB (2^34 pages), so every pfn fits.
const PFN_BITS: u32 = 36;
const PFN_MASK: u64 = (1 << PFN_BITS) - 1;
/// Allocation indexes that fit above the pfn (2^28, far more than a run's
/// operations); a larger one is kept whole.
const INDEX_MAX: u64 = (1 << (64 - PFN_BITS)) - 1;

/// Distinct allocation shapes a session packs; calls of further shapes (only a
/// workload that varies every parameter gets there) are kept whole.
const SHAPES_MAX: usize = 1 << 16;

/// Up to this many shapes, a shape is looked for in the table, not hashed.
const SHAPES_SCANNED: usize = 16;

/// What [`Entry::key`]'s low bits say the entry is.
const TAG_BITS: u32 = 2;
const TAG_MASK: u32 = (1 << TAG_BITS) - 1;
/// Kept whole: `word` is its index in [`Records::whole`].
const TAG_WHOLE: u32 = 0;
/// An allocation that got a block: the key's high bits name its shape, `word` holds
/// the pfn and the allocation's index.
const TAG_ALLOCATED: u32 = 1;
/// An allocation that returned NULL: the key names its shape, `word` is its index.
const TAG_FAILED: u32 = 2;
/// A free on the current CPU: the key's high bits are the order, `word` holds the
/// pfn and the allocation's index.
const TAG_FREED: u32 = 3;

/// One call, packed.
#[derive(Clone, Copy, Debug)]
struct Entry {
    word: u64,
    key: u32,
    event_count: u32,
}

/// Calls in a chunk of [`Entries`] (1 MiB of entries).
const CHUNK_ENTRIES: usize = 1 << 16;

/// The entries, in chunks each allocated once at its full size after the first: one
/// growing `Vec` would copy itself as it doubles, holding its old and new copies for a
/// moment, and a wasm heap never gives back what it grew to.
#[derive(Clone, Debug, Default)]
struct Entries {
    chunks: Vec<Vec<Entry>>,
    len: usize,
}

impl Entries {
    fn len(&self) -> usize {
        self.len
    }

    fn is_empty(&self) -> bool {
        self.len == 0
    }

    fn get(&self, index: usize) -> Option<&Entry> {
        self.chunks
            .get(index / CHUNK_ENTRIES)?
            .get(index % CHUNK_ENTRIES)
    }

    fn push(&mut self, entry: Entry) {
        if self.len % CHUNK_ENTRIES == 0 {
            // The first chunk grows as needed, so a short session stays small.
            self.chunks.push(if self.chunks.is_empty() {
                Vec::new()
            } else {
                Vec::with_capacity(CHUNK_ENTRIES)
            });
        }
        if let Some(chunk) = self.chunks.last_mut() {
            chunk.push(entry);
            self.len += 1;
        }
    }

    fn truncate(&mut self, len: usize) {
        if len >= self.len {
            return;
        }
        let chunks = len.div_ceil(CHUNK_ENTRIES);
        self.chunks.truncate(chunks);
        if let Some(last) = self.chunks.last_mut() {
            last.truncate(len - (chunks - 1) * CHUNK_ENTRIES);
        }
        self.len = len;
    }

    fn heap_bytes(&self) -> usize {
        self.chunks
            .iter()
            .map(|c| c.capacity() * core::mem::size_of::<Entry>())
            .sum::<usize>()
            + self.chunks.capacity() * core::mem::size_of::<Vec<Entry>>()
    }
}

/// Everything of an `alloc_pages()` call but its pfn and index: the request and
/// where a block it got came from (`None` for NULL).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
struct Shape {
    order: u32,
    gfp: Gfp,
    node: i32,
    cpu: Option<u32>,
    use_: PageUse,
    got: Option<(Order, u32, ZoneType)>,
}

/// The calls of a session, in order.
#[derive(Clone, Debug, Default)]
pub struct Records {
    entries: Entries,
    whole: Vec<Record>,
    shapes: Vec<Shape>,
    /// Looked up once per recorded allocation: hashed with `WordHash`.
    shape_ids: HashMap<Shape, u32, WordHash>,
    /// `starts[b]`: the step number of call `b * STARTS_EVERY`'s first position.
    starts: Vec<u64>,
    /// The step number the next call will start at.
    next_start: u64,
}

impl PartialEq for Records {
    /// The same calls in the same order, however each is stored.
    fn eq(&self, other: &Records) -> bool {
        self.len() == other.len() && self.iter().eq(other.iter())
    }
}

impl Eq for Records {}

impl<'a> IntoIterator for &'a Records {
    type Item = Record;
    type IntoIter = Box<dyn Iterator<Item = Record> + 'a>;

    fn into_iter(self) -> Self::IntoIter {
        Box::new(self.iter())
    }
}

impl Records {
    /// How many calls there are.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Call `index`, rebuilt.
    pub fn get(&self, index: usize) -> Option<Record> {
        let entry = self.entries.get(index)?;
        self.unpack(*entry)
    }

    pub fn first(&self) -> Option<Record> {
        self.get(0)
    }

    pub fn last(&self) -> Option<Record> {
        self.get(self.len().checked_sub(1)?)
    }

    /// Every call, in order.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = Record> + '_ {
        self.range(0, self.len())
    }

    /// Calls `from..to`, in order (those that exist).
    pub fn range(&self, from: usize, to: usize) -> impl DoubleEndedIterator<Item = Record> + '_ {
        (from..to.min(self.len()))
            .filter_map(|index| self.entries.get(index))
            .filter_map(|entry| self.unpack(*entry))
    }

    /// How many events call `index` had.
    pub fn event_count(&self, index: usize) -> Option<u32> {
        self.entries.get(index).map(|e| e.event_count)
    }

    /// The step number of call `index`'s first position (`None`: no such call).
    pub fn start(&self, index: usize) -> Option<u64> {
        if index >= self.len() {
            return None;
        }
        let block = index / STARTS_EVERY;
        let from = block * STARTS_EVERY;
        let base = *self.starts.get(block)?;
        let within: u64 = (from..index)
            .filter_map(|i| self.entries.get(i))
            .map(|e| u64::from(e.event_count) + 1)
            .sum();
        Some(base + within)
    }

    /// The step number of the last call's end (0 with no calls).
    pub fn last_step(&self) -> u64 {
        self.next_start.saturating_sub(1)
    }

    /// The call holding step `step` and the position in it: the last call starting
    /// at or before it. `step` must be below [`Records::last_step`].
    pub fn call_at_step(&self, step: u64) -> (usize, u64) {
        let block = self
            .starts
            .partition_point(|&s| s <= step)
            .saturating_sub(1);
        let mut call = block * STARTS_EVERY;
        let mut start = self.starts.get(block).copied().unwrap_or(0);
        while let Some(entry) = self.entries.get(call) {
            let next = start + u64::from(entry.event_count) + 1;
            if next > step || call + 1 >= self.len() {
                break;
            }
            start = next;
            call += 1;
        }
        (call, step.saturating_sub(start))
    }

    /// Appends a call.
    pub fn push(&mut self, operation: &Operation, outcome: &Outcome, event_count: u32) {
        if self.entries.len() % STARTS_EVERY == 0 {
            self.starts.push(self.next_start);
        }
        self.next_start += u64::from(event_count) + 1;
        let entry = match self.pack(operation, outcome, event_count) {
            Some(entry) => entry,
            None => {
                let entry = Entry {
                    word: self.whole.len() as u64,
                    key: TAG_WHOLE,
                    event_count,
                };
                // Only a call kept whole is copied (a packed one was copied into
                // a `Record` and dropped again before: docs/performance.md, rec16).
                self.whole.push(Record {
                    operation: operation.clone(),
                    outcome: outcome.clone(),
                    event_count,
                });
                entry
            }
        };
        self.entries.push(entry);
    }

    /// Keeps the first `calls` calls.
    pub fn truncate(&mut self, calls: usize) {
        let Some(next_start) = self.start(calls) else {
            return;
        };
        self.entries.truncate(calls);
        let whole_kept = (0..calls)
            .rev()
            .filter_map(|i| self.entries.get(i))
            .find(|e| e.key & TAG_MASK == TAG_WHOLE)
            .map_or(0, |e| e.word as usize + 1);
        self.whole.truncate(whole_kept);
        self.starts.truncate(calls.div_ceil(STARTS_EVERY));
        self.next_start = next_start;
    }

    /// Bytes this holds on the heap (what a call costs: docs/performance.md).
    pub fn heap_bytes(&self) -> usize {
        self.entries.heap_bytes()
            + self.whole.capacity() * core::mem::size_of::<Record>()
            + self.shapes.capacity() * core::mem::size_of::<Shape>() * 2
            + self.starts.capacity() * core::mem::size_of::<u64>()
    }

    /// The packed form of the call, if it has one.
    fn pack(
        &mut self,
        operation: &Operation,
        outcome: &Outcome,
        event_count: u32,
    ) -> Option<Entry> {
        match (operation, outcome) {
            (
                &Operation::Alloc {
                    order,
                    gfp,
                    node,
                    nodemask: None,
                    cpu,
                    use_,
                },
                outcome,
            ) => {
                let (index, got) = match *outcome {
                    Outcome::Allocated { index, allocation } => (index, Some(allocation)),
                    Outcome::Failed { index } => (index, None),
                    _ => return None,
                };
                let index = u64::try_from(index).ok().filter(|&i| i <= INDEX_MAX)?;
                let pfn = got.map_or(0, |a| a.pfn.0);
                if pfn > PFN_MASK {
                    return None;
                }
                let shape = Shape {
                    order,
                    gfp,
                    node,
                    cpu,
                    use_,
                    got: got.map(|a| (a.order, a.node, a.zone)),
                };
                let id = self.shape_id(shape)?;
                let (tag, word) = match got {
                    Some(_) => (TAG_ALLOCATED, pfn | index << PFN_BITS),
                    None => (TAG_FAILED, index),
                };
                Some(Entry {
                    word,
                    key: id << TAG_BITS | tag,
                    event_count,
                })
            }
            (
                &Operation::Free {
                    index: freed,
                    cpu: None,
                },
                &Outcome::Freed { index, pfn, order },
            ) if freed == index => {
                let index = u64::try_from(index).ok().filter(|&i| i <= INDEX_MAX)?;
                if pfn.0 > PFN_MASK {
                    return None;
                }
                Some(Entry {
                    word: pfn.0 | index << PFN_BITS,
                    key: u32::from(order.get()) << TAG_BITS | TAG_FREED,
                    event_count,
                })
            }
            _ => None,
        }
    }

    /// The number of `shape` in the table, adding it if there is room.
    fn shape_id(&mut self, shape: Shape) -> Option<u32> {
        // A workload has a handful of shapes: looking through them is quicker than
        // hashing one.
        if self.shapes.len() <= SHAPES_SCANNED {
            if let Some(id) = self.shapes.iter().position(|s| *s == shape) {
                return u32::try_from(id).ok();
            }
        } else if let Some(&id) = self.shape_ids.get(&shape) {
            return Some(id);
        }
        if self.shapes.len() >= SHAPES_MAX {
            return None;
        }
        let id = u32::try_from(self.shapes.len()).ok()?;
        self.shapes.push(shape);
        self.shape_ids.insert(shape, id);
        Some(id)
    }

    /// The record `entry` stands for.
    fn unpack(&self, entry: Entry) -> Option<Record> {
        let event_count = entry.event_count;
        let high = (entry.key >> TAG_BITS) as usize;
        let index = (entry.word >> PFN_BITS) as usize;
        let pfn = Pfn(entry.word & PFN_MASK);
        let (operation, outcome) = match entry.key & TAG_MASK {
            TAG_WHOLE => return self.whole.get(entry.word as usize).cloned(),
            TAG_FREED => (
                Operation::Free { index, cpu: None },
                Outcome::Freed {
                    index,
                    pfn,
                    order: Order::new(high as u32)?,
                },
            ),
            tag => {
                let shape = self.shapes.get(high)?;
                let outcome = match (tag, shape.got) {
                    (TAG_ALLOCATED, Some((order, node, zone))) => Outcome::Allocated {
                        index,
                        allocation: Allocation {
                            pfn,
                            order,
                            node,
                            zone,
                        },
                    },
                    _ => Outcome::Failed {
                        index: entry.word as usize,
                    },
                };
                let operation = Operation::Alloc {
                    order: shape.order,
                    gfp: shape.gfp,
                    node: shape.node,
                    nodemask: None,
                    cpu: shape.cpu,
                    use_: shape.use_,
                };
                (operation, outcome)
            }
        };
        Some(Record {
            operation,
            outcome,
            event_count,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn push(records: &mut Records, record: &Record) {
        records.push(&record.operation, &record.outcome, record.event_count);
    }

    fn alloc(order: u32, cpu: Option<u32>) -> Operation {
        Operation::Alloc {
            order,
            gfp: Gfp::KERNEL,
            node: -1,
            nodemask: None,
            cpu,
            use_: PageUse::Kernel,
        }
    }

    fn allocated(index: usize, pfn: u64, order: u8) -> Outcome {
        Outcome::Allocated {
            index,
            allocation: Allocation {
                pfn: Pfn(pfn),
                order: Order::new(u32::from(order)).unwrap(),
                node: 1,
                zone: ZoneType::Movable,
            },
        }
    }

    fn record(operation: Operation, outcome: Outcome, event_count: u32) -> Record {
        Record {
            operation,
            outcome,
            event_count,
        }
    }

    /// One call of every form, packed or not, including numbers just past what packs.
    fn every_form() -> Vec<Record> {
        let big_index = (INDEX_MAX + 1) as usize;
        vec![
            record(alloc(3, None), allocated(0, 0x4_0000, 3), 7),
            record(alloc(0, Some(1)), allocated(1, PFN_MASK, 0), 0),
            record(alloc(2, None), Outcome::Failed { index: 2 }, 41),
            record(alloc(0, None), allocated(big_index, 5, 0), 3),
            record(alloc(0, None), allocated(4, PFN_MASK + 1, 0), 3),
            record(
                Operation::Alloc {
                    order: 0,
                    gfp: Gfp::KERNEL,
                    node: 0,
                    nodemask: Some(vec![0, 2]),
                    cpu: None,
                    use_: PageUse::Anon,
                },
                allocated(5, 9, 0),
                2,
            ),
            record(
                Operation::Free {
                    index: 0,
                    cpu: None,
                },
                Outcome::Freed {
                    index: 0,
                    pfn: Pfn(0x4_0000),
                    order: Order::new(3).unwrap(),
                },
                u32::MAX,
            ),
            record(
                Operation::Free {
                    index: 1,
                    cpu: Some(0),
                },
                Outcome::Freed {
                    index: 1,
                    pfn: Pfn(PFN_MASK),
                    order: Order::new(0).unwrap(),
                },
                1,
            ),
            record(Operation::DrainAll, Outcome::Drained, 12),
            record(
                Operation::Sysctl {
                    name: "min_free_kbytes".into(),
                    value: "8192".into(),
                },
                Outcome::SysctlWritten,
                0,
            ),
        ]
    }

    #[test]
    fn every_call_reads_back_as_it_was_pushed() {
        let mut records = Records::default();
        let calls: Vec<Record> = every_form().into_iter().cycle().take(300).collect();
        for call in &calls {
            push(&mut records, call);
        }
        assert_eq!(records.len(), calls.len());
        assert_eq!(records.iter().collect::<Vec<_>>(), calls);
        assert_eq!(records.get(299), calls.get(299).cloned());
        assert_eq!(records.get(300), None);
        // Only the calls that cannot pack are kept whole: 6 of every 10.
        assert_eq!(records.whole.len(), 180);
    }

    #[test]
    fn past_the_scanned_shapes_the_table_finds_each_shape_again() {
        // 11 orders x 20 CPUs x got a block or not: 440 shapes, far past the ones
        // looked through one by one, each pushed three times.
        let mut records = Records::default();
        let mut calls = Vec::new();
        for round in 0..3u64 {
            for order in 0..11u8 {
                for cpu in 0..20u32 {
                    for got in [true, false] {
                        let index = calls.len();
                        let outcome = if got {
                            allocated(index, 0x1000 * (round + 1) + u64::from(cpu), order)
                        } else {
                            Outcome::Failed { index }
                        };
                        calls.push(record(alloc(u32::from(order), Some(cpu)), outcome, 1));
                    }
                }
            }
        }
        for call in &calls {
            push(&mut records, call);
        }
        assert_eq!(records.shapes.len(), 440, "each shape stored once");
        assert_eq!(records.shape_ids.len(), 440);
        assert!(records.whole.is_empty(), "every call packed");
        assert_eq!(records.iter().collect::<Vec<_>>(), calls);
    }

    #[test]
    fn step_numbers_are_the_event_counts_added_up() {
        let mut records = Records::default();
        let calls: Vec<Record> = (0..200u32)
            .map(|i| record(alloc(0, None), Outcome::Failed { index: i as usize }, i % 7))
            .collect();
        let mut starts = Vec::new();
        let mut next = 0u64;
        for call in &calls {
            starts.push(next);
            next += u64::from(call.event_count) + 1;
            push(&mut records, call);
        }
        assert_eq!(records.last_step(), next - 1);
        for (index, &start) in starts.iter().enumerate() {
            assert_eq!(records.start(index), Some(start), "call {index}");
            assert_eq!(records.call_at_step(start), (index, 0));
            let count = u64::from(calls[index].event_count);
            assert_eq!(records.call_at_step(start + count), (index, count));
        }
        assert_eq!(records.start(200), None);
    }

    #[test]
    fn truncating_keeps_the_first_calls_and_their_step_numbers() {
        let calls: Vec<Record> = every_form().into_iter().cycle().take(150).collect();
        let mut records = Records::default();
        for call in &calls[..70] {
            push(&mut records, call);
        }
        let mut longer = Records::default();
        for call in &calls {
            push(&mut longer, call);
        }
        longer.truncate(70);
        assert_eq!(longer, records);
        assert_eq!(longer.last_step(), records.last_step());
        assert_eq!(longer.whole.len(), records.whole.len());
        for call in &calls[70..] {
            push(&mut longer, call);
        }
        assert_eq!(longer.iter().collect::<Vec<_>>(), calls);
        let start_149: u64 = calls[..149]
            .iter()
            .map(|c| u64::from(c.event_count) + 1)
            .sum();
        assert_eq!(longer.start(149), Some(start_149));
    }

    #[test]
    fn calls_across_chunks_read_back_and_truncate() {
        let call = |i: usize| record(alloc(0, None), Outcome::Failed { index: i }, (i % 5) as u32);
        let total = 2 * CHUNK_ENTRIES + 5;
        let mut records = Records::default();
        for i in 0..total {
            push(&mut records, &call(i));
        }
        assert_eq!(records.len(), total);
        for i in [
            0,
            CHUNK_ENTRIES - 1,
            CHUNK_ENTRIES,
            2 * CHUNK_ENTRIES,
            total - 1,
        ] {
            assert_eq!(records.get(i), Some(call(i)), "call {i}");
        }
        assert_eq!(records.get(total), None);
        for cut in [
            2 * CHUNK_ENTRIES + 1,
            2 * CHUNK_ENTRIES,
            CHUNK_ENTRIES + 1,
            CHUNK_ENTRIES,
        ] {
            records.truncate(cut);
            assert_eq!(records.len(), cut);
            assert_eq!(records.last(), Some(call(cut - 1)));
            assert_eq!(records.get(cut), None);
        }
        push(&mut records, &call(CHUNK_ENTRIES));
        assert_eq!(records.get(CHUNK_ENTRIES), Some(call(CHUNK_ENTRIES)));
        let steps: u64 = (0..=CHUNK_ENTRIES).map(|i| (i % 5) as u64 + 1).sum();
        assert_eq!(records.last_step(), steps - 1);
    }
}
