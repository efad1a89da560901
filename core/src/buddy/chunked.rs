//! A per-page array that costs memory only where the pages differ from a whole
//! max-order block: the model's `struct page` fields, stored by max-order block.
//!
//! Why: a machine's memory boots as max-order free blocks (`__free_pages_memory()`
//! cuts it into them), and in a block of 1024 pages that is free as a whole, or a run
//! of reserved pages, every page but the first says the same thing. A chunk of the
//! array is one max-order block (aligned in pfn, as buddy blocks are); while its
//! pages are "the first page's value, then one value for the other 1023" the chunk
//! keeps those two values and nothing else. The first write that breaks the pattern
//! (a split, a partial fill) materialises the chunk's 1024 values, which it keeps
//! until a write covers the whole chunk with one value (reserving or onlining a whole
//! block, a view filling a block), so the engine's memory follows what the workload
//! touched, not the size of the machine. A block merging back into a whole max-order
//! block keeps its values: dropping them there made a workload that splits and merges
//! the same blocks allocate and fill them again each time, several times slower.
//!
//! The chunk records themselves sit in shared segments of 1024 chunks (4 GiB of
//! pages): a copy of the array (a session's checkpoint, the state the page shows)
//! shares every segment until one of the copies writes to it, so a copy costs a
//! pointer a segment plus the segments written since, not a record a block.
//!
//! What the array means is its values page by page: two arrays are equal when every
//! page in range reads the same, however each is stored.

use core::fmt;
use std::rc::Rc;

use crate::types::MAX_ORDER;

/// Pages a chunk covers: one max-order block.
pub const CHUNK_PAGES: usize = 1 << (MAX_ORDER - 1);
const CHUNK_SHIFT: u32 = (MAX_ORDER - 1) as u32;
const SLOT_MASK: u64 = CHUNK_PAGES as u64 - 1;

/// One max-order block's values: `head` for its first page and `rest` for the others,
/// unless `dense` holds all 1024. The 1024 values are shared between copies too, and
/// copied by the first write to them in a copy that shares them: a segment copied
/// for one write then copies its records, not every materialised block's values (a
/// session's recording copied each zone's materialised blocks after every
/// checkpoint: docs/performance.md, branch rec16).
#[derive(Clone)]
struct Chunk<T> {
    head: T,
    rest: T,
    dense: Option<Rc<[T; CHUNK_PAGES]>>,
}

/// Gives this copy its own copy of a block's values another copy shares (kept out of
/// line, as [`unshare`]).
#[cold]
fn unshare_values<T: Copy>(values: &mut Rc<[T; CHUNK_PAGES]>) {
    *values = Rc::new(**values);
}

/// A block's values to write, copied first if another copy shares them.
#[inline(always)]
fn values_mut<T: Copy>(values: &mut Rc<[T; CHUNK_PAGES]>) -> Option<&mut [T; CHUNK_PAGES]> {
    if Rc::get_mut(values).is_none() {
        unshare_values(values);
    }
    Rc::get_mut(values)
}

/// Values for pages `0..len` of a zone (or an address space) whose first page sits
/// at slot `offset` of its max-order block. Indexes are `u32` for a zone's pages and
/// `u64` for an address space; both read the same.
#[derive(Clone)]
pub struct Chunked<T> {
    offset: u32,
    len: u64,
    /// What reading a page outside `0..len` gives.
    outside: T,
    chunks: Table<T>,
}

/// Chunks in a segment.
const SEGMENT_CHUNKS: usize = 1024;

/// The chunk records, in segments shared between copies until written.
#[derive(Clone)]
struct Table<T> {
    segments: Vec<Rc<[Chunk<T>]>>,
    len: usize,
}

/// Gives this copy its own copy of a segment another copy shares (what
/// `Rc::make_mut` does, kept out of line: the write path only checks).
#[cold]
fn unshare<T: Copy>(segment: &mut Rc<[Chunk<T>]>) {
    *segment = segment.iter().cloned().collect();
}

impl<T: Copy> Table<T> {
    /// `len` chunks equal to `chunk`; every full segment starts as one shared segment.
    fn new(len: usize, chunk: Chunk<T>) -> Table<T> {
        let full: Rc<[Chunk<T>]> = vec![chunk.clone(); SEGMENT_CHUNKS].into();
        let mut segments = vec![full; len / SEGMENT_CHUNKS];
        if len % SEGMENT_CHUNKS != 0 {
            segments.push(vec![chunk; len % SEGMENT_CHUNKS].into());
        }
        Table { segments, len }
    }

    fn len(&self) -> usize {
        self.len
    }

    #[inline(always)]
    fn get(&self, c: usize) -> Option<&Chunk<T>> {
        self.segments
            .get(c / SEGMENT_CHUNKS)?
            .get(c % SEGMENT_CHUNKS)
    }

    /// The chunk to write, its segment first copied if another copy shares it.
    #[inline(always)]
    fn get_mut(&mut self, c: usize) -> Option<&mut Chunk<T>> {
        let segment = self.segments.get_mut(c / SEGMENT_CHUNKS)?;
        if Rc::get_mut(segment).is_none() {
            unshare(segment);
        }
        Rc::get_mut(segment)?.get_mut(c % SEGMENT_CHUNKS)
    }

    fn iter(&self) -> impl Iterator<Item = &Chunk<T>> + '_ {
        self.segments.iter().flat_map(|s| s.iter())
    }
}

impl<T: Copy + PartialEq> Chunked<T> {
    /// `len` pages, every one `value`, the first at slot `offset % 1024` of its block.
    pub fn new(offset: u64, len: impl Into<u64>, value: T, outside: T) -> Chunked<T> {
        let len = len.into();
        let offset = (offset & SLOT_MASK) as u32;
        let count = (u64::from(offset) + len).div_ceil(CHUNK_PAGES as u64);
        Chunked {
            offset,
            len,
            outside,
            chunks: Table::new(
                count as usize,
                Chunk {
                    head: value,
                    rest: value,
                    dense: None,
                },
            ),
        }
    }

    /// Pages covered.
    pub fn len(&self) -> u64 {
        self.len
    }

    /// Whether no page is covered.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    #[inline(always)]
    fn place(&self, index: u64) -> (usize, usize) {
        let at = index + u64::from(self.offset);
        ((at >> CHUNK_SHIFT) as usize, (at & SLOT_MASK) as usize)
    }

    /// The value of page `index` (the `outside` value past the end).
    #[inline(always)]
    pub fn get(&self, index: impl Into<u64>) -> T {
        let index = index.into();
        if index >= self.len {
            return self.outside;
        }
        let (chunk, slot) = self.place(index);
        let Some(chunk) = self.chunks.get(chunk) else {
            return self.outside;
        };
        match &chunk.dense {
            Some(values) => values.get(slot).copied().unwrap_or(self.outside),
            None if slot == 0 => chunk.head,
            None => chunk.rest,
        }
    }

    /// Sets page `index` to `value` (nothing past the end).
    #[inline(always)]
    pub fn set(&mut self, index: impl Into<u64>, value: T) {
        let index = index.into();
        if index >= self.len {
            return;
        }
        let (chunk, slot) = self.place(index);
        if let Some(chunk) = self.chunks.get_mut(chunk) {
            chunk.set(slot, value);
        }
    }

    /// Sets pages `start..end` to `value`; a whole chunk becomes two values again.
    pub fn fill(&mut self, start: impl Into<u64>, end: impl Into<u64>, value: T) {
        let end = end.into().min(self.len);
        let mut index = start.into();
        while index < end {
            let (chunk, slot) = self.place(index);
            let take = (CHUNK_PAGES as u64 - slot as u64).min(end - index) as usize;
            if let Some(chunk) = self.chunks.get_mut(chunk) {
                if slot == 0 && take == CHUNK_PAGES {
                    *chunk = Chunk {
                        head: value,
                        rest: value,
                        dense: None,
                    };
                } else {
                    chunk.fill(slot, slot + take, value);
                }
            }
            index += take as u64;
        }
    }

    /// [`Chunked::fill`] of `start..end` with `value`, then [`Chunked::set`] of
    /// `start` to `head`: a block's pages and its first page. A whole chunk, or a
    /// range inside one chunk that already holds every value, is written in one
    /// pass, stored as the fill and the set store it.
    pub fn fill_with_head(&mut self, start: u64, end: u64, head: T, value: T) {
        let end = end.min(self.len);
        if start >= end {
            return;
        }
        let (chunk, slot) = self.place(start);
        let pages = (end - start) as usize;
        if slot + pages <= CHUNK_PAGES {
            if let Some(chunk) = self.chunks.get_mut(chunk) {
                if pages == CHUNK_PAGES {
                    *chunk = Chunk {
                        head,
                        rest: value,
                        dense: None,
                    };
                    return;
                }
                if let Some(values) = chunk
                    .dense
                    .as_mut()
                    .and_then(values_mut)
                    .and_then(|v| v.get_mut(slot..slot + pages))
                {
                    values.fill(value);
                    if let Some(first) = values.first_mut() {
                        *first = head;
                    }
                    return;
                }
            }
        }
        self.fill(start, end, value);
        self.set(start, head);
    }

    /// Calls `visit(value, pages)` for runs of equal values covering `start..end` in
    /// order, a chunk holding two values giving at most two runs (consecutive runs
    /// may hold the same value).
    pub fn runs(&self, start: impl Into<u64>, end: impl Into<u64>, mut visit: impl FnMut(T, u64)) {
        let end = end.into().min(self.len);
        let mut index = start.into();
        while index < end {
            let (c, slot) = self.place(index);
            let take = (CHUNK_PAGES as u64 - slot as u64).min(end - index) as usize;
            if let Some(chunk) = self.chunks.get(c) {
                match &chunk.dense {
                    Some(values) => {
                        for &v in values.get(slot..slot + take).unwrap_or(&[]) {
                            visit(v, 1);
                        }
                    }
                    None if slot == 0 => {
                        visit(chunk.head, 1);
                        if take > 1 {
                            visit(chunk.rest, take as u64 - 1);
                        }
                    }
                    None => visit(chunk.rest, take as u64),
                }
            }
            index += take as u64;
        }
    }

    /// Pages in `start..end` whose value satisfies `pred`, counted a chunk at a time
    /// where a chunk holds two values.
    pub fn count(
        &self,
        start: impl Into<u64>,
        end: impl Into<u64>,
        pred: impl Fn(T) -> bool,
    ) -> u64 {
        let mut total = 0u64;
        self.runs(start, end, |v, pages| {
            if pred(v) {
                total += pages;
            }
        });
        total
    }

    /// Whether any page in `start..end` satisfies `pred`.
    pub fn any(
        &self,
        start: impl Into<u64>,
        end: impl Into<u64>,
        pred: impl Fn(T) -> bool,
    ) -> bool {
        self.count(start, end, pred) > 0
    }

    /// The values of pages `start..end`.
    pub fn copy_out(&self, start: impl Into<u64>, end: impl Into<u64>) -> Vec<T> {
        (start.into()..end.into().min(self.len))
            .map(|i| self.get(i))
            .collect()
    }

    /// The one value every page of `start..end` holds, if they hold one.
    pub fn uniform(&self, start: impl Into<u64>, end: impl Into<u64>) -> Option<T> {
        let start = start.into();
        let first = self.get(start);
        (!self.any(start, end, |v| v != first)).then_some(first)
    }

    /// The one value every page of the max-order block starting at `index` holds, if
    /// `index` starts a block, the block is in range and stores one value.
    pub fn uniform_chunk_at(&self, index: impl Into<u64>) -> Option<T> {
        let index = index.into();
        let (c, slot) = self.place(index);
        if slot != 0 || index + CHUNK_PAGES as u64 > self.len {
            return None;
        }
        let chunk = self.chunks.get(c)?;
        (chunk.dense.is_none() && chunk.head == chunk.rest).then_some(chunk.head)
    }

    /// Every page's value in order (a page at a time: for tests and small arrays).
    pub fn values(&self) -> impl Iterator<Item = T> + '_ {
        (0..self.len).map(|i| self.get(i))
    }

    /// Writes `values` from page `start` on.
    pub fn copy_in(&mut self, start: impl Into<u64>, values: &[T]) {
        let start = start.into();
        for (i, &value) in values.iter().enumerate() {
            self.set(start + i as u64, value);
        }
    }

    /// Bytes of heap held: the segment table, and each segment (with its
    /// materialised chunks) divided among the copies that share it. A block's values
    /// count with each segment that holds them, shared or not (as when a segment's
    /// copy copied them), so the figure, which the checkpoint spacing and the
    /// benchmarks read, is what it was.
    pub fn heap_bytes(&self) -> usize {
        let segment = |s: &Rc<[Chunk<T>]>| {
            let dense = s.iter().filter(|c| c.dense.is_some()).count();
            (s.len() * core::mem::size_of::<Chunk<T>>()
                + dense * core::mem::size_of::<[T; CHUNK_PAGES]>())
                / Rc::strong_count(s)
        };
        self.chunks.segments.capacity() * core::mem::size_of::<Rc<[Chunk<T>]>>()
            + self.chunks.segments.iter().map(segment).sum::<usize>()
    }

    /// Chunks holding all 1024 values.
    pub fn dense_chunks(&self) -> usize {
        self.chunks.iter().filter(|c| c.dense.is_some()).count()
    }
}

impl<T: Copy + PartialEq> Chunk<T> {
    /// Sets slots `start..end` (within the chunk) to `value`.
    fn fill(&mut self, start: usize, end: usize, value: T) {
        if self.dense.is_none() {
            if self.rest == value && (start > 0 || self.head == value) {
                return;
            }
            if start == 0 && end == 1 {
                self.head = value;
                return;
            }
            self.materialise();
        }
        if let Some(range) = self
            .dense
            .as_mut()
            .and_then(values_mut)
            .and_then(|v| v.get_mut(start..end))
        {
            range.fill(value);
        }
    }

    #[inline(always)]
    fn set(&mut self, slot: usize, value: T) {
        match &mut self.dense {
            Some(values) => {
                if let Some(v) = values_mut(values).and_then(|v| v.get_mut(slot)) {
                    *v = value;
                }
            }
            None if slot == 0 => self.head = value,
            None if value == self.rest => {}
            None => {
                self.materialise();
                if let Some(v) = self
                    .dense
                    .as_mut()
                    .and_then(values_mut)
                    .and_then(|v| v.get_mut(slot))
                {
                    *v = value;
                }
            }
        }
    }

    /// Stores all 1024 values: the first page's, then `rest` for the others.
    #[cold]
    fn materialise(&mut self) {
        let mut values = [self.rest; CHUNK_PAGES];
        values[0] = self.head;
        self.dense = Some(Rc::new(values));
    }
}

impl<T: Copy + PartialEq> PartialEq for Chunked<T> {
    /// Equal when every page in range reads the same.
    fn eq(&self, other: &Chunked<T>) -> bool {
        if self.len != other.len || self.offset != other.offset {
            return false;
        }
        self.chunks
            .iter()
            .zip(other.chunks.iter())
            .enumerate()
            .all(|(c, (a, b))| {
                if a.dense.is_none() && b.dense.is_none() && a.head == b.head && a.rest == b.rest {
                    return true;
                }
                let first = (c as u64 * CHUNK_PAGES as u64).saturating_sub(u64::from(self.offset));
                let last =
                    ((c as u64 + 1) * CHUNK_PAGES as u64 - u64::from(self.offset)).min(self.len);
                (first..last).all(|i| self.get(i) == other.get(i))
            })
    }
}

impl<T: Copy + PartialEq> Eq for Chunked<T> {}

impl<T: Copy + PartialEq> fmt::Debug for Chunked<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Chunked {{ pages: {}, chunks: {}, materialised: {} }}",
            self.len,
            self.chunks.len(),
            self.dense_chunks()
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_chunk_materialises_on_a_broken_pattern_until_a_whole_fill() {
        let mut a = Chunked::new(0, 4096u32, 7u8, 0);
        assert_eq!(a.dense_chunks(), 0);
        a.set(1024u32, 9);
        assert_eq!((a.get(1024u32), a.get(1025u32)), (9, 7));
        assert_eq!(a.dense_chunks(), 0);
        a.set(1030u32, 1);
        assert_eq!((a.get(1030u32), a.get(1031u32)), (1, 7));
        assert_eq!(a.dense_chunks(), 1);
        // Back to the pattern's values: still stored page by page, equal by meaning.
        a.set(1030u32, 7);
        assert_eq!(a.dense_chunks(), 1);
        assert_eq!(a, Chunked::new(0, 4096u32, 7u8, 0).with(1024, 9));
        // A fill of the whole block stores two values again.
        a.fill(1024u32, 2048u32, 3);
        assert_eq!((a.get(1024u32), a.get(2047u32)), (3, 3));
        assert_eq!(a.dense_chunks(), 0);
        assert_eq!(a.get(5000u32), 0);
    }

    /// A copy shares a materialised block's values until one side writes to them;
    /// then each reads its own, and the heap figure is what it was with the copy
    /// made at once.
    #[test]
    fn a_copy_shares_a_blocks_values_until_one_side_writes() {
        let mut a = Chunked::new(0, 4096u32, 7u8, 0);
        a.set(1030u32, 1);
        a.set(3000u32, 2);
        let before = a.heap_bytes();
        let mut b = a.clone();
        b.set(1031u32, 5);
        assert_eq!((a.get(1030u32), a.get(1031u32)), (1, 7));
        assert_eq!((b.get(1030u32), b.get(1031u32)), (1, 5));
        assert_eq!((a.get(3000u32), b.get(3000u32)), (2, 2));
        a.fill(1024u32, 1100u32, 9);
        assert_eq!((a.get(1031u32), b.get(1031u32)), (9, 5));
        // The copy's own segment table is exactly its length; the values of both
        // blocks count in full on each side, shared or not.
        let table = |c: &Chunked<u8>| {
            c.chunks.segments.capacity() * core::mem::size_of::<Rc<[Chunk<u8>]>>()
        };
        assert_eq!(a.heap_bytes(), before);
        assert_eq!(b.heap_bytes() - table(&b), before - table(&a));
        assert_eq!((a.dense_chunks(), b.dense_chunks()), (2, 2));
    }

    impl Chunked<u8> {
        fn with(mut self, index: u32, value: u8) -> Chunked<u8> {
            self.set(index, value);
            self
        }
    }

    #[test]
    fn fill_with_head_is_a_fill_then_a_set() {
        // Chunks left whole, made dense by a set, and a partial first chunk.
        let base = |dense: bool| {
            let mut a = Chunked::new(5, 5000u64, 3u8, 0);
            if dense {
                for c in 0..5u64 {
                    a.set(c * 1024 + 7, 9);
                }
            }
            a
        };
        let ranges = [
            (0, 1),
            (0, 16),
            (3, 4),
            (10, 1019),
            (1019, 1020),
            (1019, 1035),
            (1019, 2043),
            (3067, 4091),
            (0, 1019),
            (2043, 3067),
            (2043, 4091),
            (3000, 5000),
            (4990, 6000),
            (6000, 6001),
        ];
        for dense in [false, true] {
            for &(start, end) in &ranges {
                for (head, value) in [(0x42u8, 2u8), (3, 3), (0x43, 3), (3, 0x40)] {
                    let mut a = base(dense);
                    a.fill(start, end, value);
                    a.set(start, head);
                    let mut b = base(dense);
                    b.fill_with_head(start, end, head, value);
                    assert_eq!(a.copy_out(0u64, 5000u64), b.copy_out(0u64, 5000u64));
                    assert_eq!(a, b, "{dense} {start}..{end} {head} {value}");
                    // Stored alike too: the same runs.
                    let runs = |c: &Chunked<u8>| {
                        let mut out = Vec::new();
                        c.runs(0u64, 5000u64, |v, n| out.push((v, n)));
                        out
                    };
                    assert_eq!(runs(&a), runs(&b), "{dense} {start}..{end} {head} {value}");
                }
            }
        }
    }

    #[test]
    fn fills_and_counts_follow_the_pages_not_the_storage() {
        // Zone from slot 5 of its block: the first chunk is partial.
        let mut a = Chunked::new(5, 3000u32, 3u8, 0);
        a.fill(10u32, 2000u32, 4);
        assert_eq!(a.count(0u32, 3000u32, |v| v == 4), 1990);
        assert_eq!(a.count(0u32, 3000u32, |v| v == 3), 1010);
        assert_eq!(a.uniform(10u32, 2000u32), Some(4));
        assert_eq!(a.uniform(9u32, 2000u32), None);
        let mut b = Chunked::new(5, 3000u32, 3u8, 0);
        for i in 10..2000u32 {
            b.set(i, 4);
        }
        assert_eq!(a, b);
        b.set(2500u32, 1);
        assert_ne!(a, b);
        assert_eq!(a.copy_out(8u32, 12u32), vec![3, 3, 4, 4]);
    }
}
