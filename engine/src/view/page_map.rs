//! The address space, one byte a page: state, pageblock type and block head, built
//! from every zone's buddy state and per-cpu lists, and stored by max-order block as
//! the buddy state is (a block whose pages read the same costs two bytes). That keeps
//! the map of the largest machine the page draws (16 TiB of address space) small
//! enough to rebuild at every step; the pixels and the tooltip read it instead of the
//! allocator.

use crate::alloc::{pindex_to_order, Allocator};
use crate::buddy::chunked::Chunked;
use crate::buddy::{BlockState, BuddyZone};
use crate::limits::PAGE_MAP_PAGES_MAX;
use crate::types::{MigrateType, Order, PAGEBLOCK_ORDER};

/// Page state codes (bits 0-2 of a [`PageMap`] byte).
pub mod code {
    /// No memory here (a hole, or outside every zone).
    pub const HOLE: u8 = 0;
    /// In a zone but never given to the buddy allocator (memmap, reservations).
    pub const RESERVED: u8 = 1;
    /// On a buddy free list.
    pub const FREE: u8 = 2;
    /// Allocated.
    pub const ALLOCATED: u8 = 3;
    /// On a per-cpu list (allocated as far as the buddy lists know).
    pub const PCP: u8 = 4;
    /// Bits 0-2: the state.
    pub const STATE_MASK: u8 = 0x07;
    /// Bits 3-5: the pageblock's migratetype index; [`NO_PAGEBLOCK`] for none.
    pub const TYPE_SHIFT: u8 = 3;
    pub const TYPE_MASK: u8 = 0x38;
    pub const NO_PAGEBLOCK: u8 = 7;
    /// Bit 6: the first page of a buddy block (or of a per-cpu block).
    pub const HEAD: u8 = 0x40;
}

/// One byte a page from pfn `start_pfn`: see [`code`]. Stored by max-order block
/// ([`Chunked`]): a block whose pages read the same (a hole, a reserved run, a whole
/// free block in one pageblock type) costs two bytes, so the map of a 16 TiB address
/// space is tens of megabytes, and counts and averages over it go a block at a time.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PageMap {
    pub start_pfn: u64,
    pub codes: Chunked<u8>,
}

/// The code of a pfn outside every zone.
const HOLE_CODE: u8 = code::HOLE | code::NO_PAGEBLOCK << code::TYPE_SHIFT;

impl PageMap {
    /// Pages the map covers.
    pub fn pages(&self) -> u64 {
        self.codes.len()
    }

    /// One past the last pfn.
    pub fn end_pfn(&self) -> u64 {
        self.start_pfn + self.codes.len()
    }

    /// The code of `pfn` ([`code::HOLE`] outside the map).
    pub fn code(&self, pfn: u64) -> u8 {
        pfn.checked_sub(self.start_pfn)
            .map_or(HOLE_CODE, |i| self.codes.get(i))
    }

    /// Calls `visit(code, pages)` for runs of pages with one code covering
    /// `first..first + pages` (pages outside the map are holes).
    pub fn runs(&self, first: u64, pages: u64, mut visit: impl FnMut(u8, u64)) {
        let end = first.saturating_add(pages);
        let inside_start = first.max(self.start_pfn);
        let inside_end = end.min(self.end_pfn());
        if inside_start >= inside_end {
            visit(HOLE_CODE, pages);
            return;
        }
        if inside_start > first {
            visit(HOLE_CODE, inside_start - first);
        }
        self.codes.runs(
            inside_start - self.start_pfn,
            inside_end - self.start_pfn,
            &mut visit,
        );
        if end > inside_end {
            visit(HOLE_CODE, end - inside_end);
        }
    }

    /// The first pfn of the block holding `pfn`: the nearest head at or below it,
    /// looking back at most a largest block.
    pub fn block_head(&self, pfn: u64) -> Option<u64> {
        let lowest = pfn
            .saturating_sub(Order::MAX.pages() - 1)
            .max(self.start_pfn);
        (lowest..=pfn)
            .rev()
            .find(|&p| self.code(p) & code::HEAD != 0)
    }

    /// Pages in each state, indexed by state code.
    pub fn state_counts(&self) -> [u64; 5] {
        let mut counts = [0u64; 5];
        self.codes.runs(0u64, self.codes.len(), |c, pages| {
            if let Some(n) = counts.get_mut(usize::from(c & code::STATE_MASK)) {
                *n += pages;
            }
        });
        counts
    }
}

/// The address space from pfn 0 to the end of the last zone: each zone's blocks from
/// its buddy state with their pageblocks' types, then per-cpu pages over them. Built a
/// block at a time (a run of reserved pages stored as one value is one block here), so
/// the time and memory follow the blocks a workload touched, not the address space.
pub fn page_map(allocator: &Allocator) -> PageMap {
    let end = allocator
        .zones()
        .iter()
        .map(|z| z.buddy.end_pfn().0)
        .chain(allocator.nodes().iter().map(|n| n.start_pfn + n.spanned))
        .max()
        .unwrap_or(0)
        .min(PAGE_MAP_PAGES_MAX);
    let mut codes = Chunked::new(0, end, HOLE_CODE, HOLE_CODE);
    for zone in allocator.zones() {
        let buddy = &zone.buddy;
        buddy.for_each_run(|block, count| {
            let (state, every_page_a_head) = match block.state {
                BlockState::Free => (code::FREE, false),
                BlockState::Allocated => (code::ALLOCATED, false),
                BlockState::Reserved => (code::RESERVED, true),
            };
            let pages = block.order.pages() * count;
            fill_typed(
                &mut codes,
                buddy,
                block.pfn.0,
                pages,
                state,
                every_page_a_head,
            );
        });
        for pcp in &zone.pcps {
            for (pindex, list) in pcp.lists.iter().enumerate() {
                let pages = pindex_to_order(pindex).pages();
                for page in list {
                    fill_state(&mut codes, page.pfn, pages, code::PCP);
                }
            }
        }
    }
    PageMap {
        start_pfn: 0,
        codes,
    }
}

/// The pageblock type bits of `pfn` in `buddy` ([`code::NO_PAGEBLOCK`] for a raw value
/// that is no stored migratetype).
fn type_bits(buddy: &BuddyZone, pfn: u64) -> u8 {
    let index = (pfn >> PAGEBLOCK_ORDER) - (buddy.first_pageblock_pfn().0 >> PAGEBLOCK_ORDER);
    let raw = buddy.pageblock_raw(index as usize).unwrap_or(0);
    let kind = if usize::from(raw) < MigrateType::STORED.len() {
        raw
    } else {
        code::NO_PAGEBLOCK
    };
    kind << code::TYPE_SHIFT
}

/// Writes `pages` pages from `pfn` (inside `buddy`'s zone) as `state`, each with its
/// pageblock's type, the first page (or every page) marked as a block head. Pageblocks
/// of one type are written together, so a whole max-order block in one type is one
/// write.
fn fill_typed(
    codes: &mut Chunked<u8>,
    buddy: &BuddyZone,
    pfn: u64,
    pages: u64,
    state: u8,
    every_page_a_head: bool,
) {
    let head = if every_page_a_head { code::HEAD } else { 0 };
    let end = pfn + pages;
    let mut start = pfn;
    let first_kind = type_bits(buddy, pfn);
    let mut kind = first_kind;
    while start < end {
        if start != pfn {
            kind = type_bits(buddy, start);
        }
        let mut stop = ((start >> PAGEBLOCK_ORDER) + 1) << PAGEBLOCK_ORDER;
        while stop < end && type_bits(buddy, stop) == kind {
            stop += 1 << PAGEBLOCK_ORDER;
        }
        let stop = stop.min(end);
        if start == pfn {
            codes.fill_with_head(
                start,
                stop,
                state | first_kind | code::HEAD,
                state | kind | head,
            );
        } else {
            codes.fill(start, stop, state | kind | head);
        }
        start = stop;
    }
}

fn fill_state(codes: &mut Chunked<u8>, pfn: u64, pages: u64, state: u8) {
    for p in pfn..pfn.saturating_add(pages).min(codes.len()) {
        codes.set(p, (codes.get(p) & !code::STATE_MASK) | state);
    }
}

#[cfg(test)]
// A reference built page by page over buffers sized here.
#[allow(clippy::indexing_slicing)]
mod tests {
    use super::*;

    /// The map as it was built before it was stored by block: a byte a page, every
    /// block filled page by page, then every pageblock's type over the zone's pages,
    /// then the per-cpu pages.
    fn page_by_page(allocator: &Allocator) -> Vec<u8> {
        let end = page_map(allocator).end_pfn() as usize;
        let mut codes = vec![HOLE_CODE; end];
        for zone in allocator.zones() {
            let buddy = &zone.buddy;
            for block in buddy.blocks() {
                let state = match block.state {
                    BlockState::Free => code::FREE,
                    BlockState::Allocated => code::ALLOCATED,
                    BlockState::Reserved => code::RESERVED,
                };
                let first = block.pfn.0 as usize;
                let pages = block.order.pages() as usize;
                codes[first..first + pages].fill(state);
                codes[first] |= code::HEAD;
            }
            for pfn in buddy.start_pfn().0..buddy.end_pfn().0 {
                let c = &mut codes[pfn as usize];
                *c = (*c & !code::TYPE_MASK) | type_bits(buddy, pfn);
            }
            for pcp in &zone.pcps {
                for (pindex, list) in pcp.lists.iter().enumerate() {
                    for page in list {
                        for pfn in page.pfn..page.pfn + pindex_to_order(pindex).pages() {
                            let c = &mut codes[pfn as usize];
                            *c = (*c & !code::STATE_MASK) | code::PCP;
                        }
                    }
                }
            }
        }
        codes
    }

    #[test]
    fn the_map_stored_by_block_reads_as_the_map_built_page_by_page() {
        for entry in crate::scenario::library::ENTRIES {
            let scenario = entry.scenario();
            let loaded = crate::view::load(&scenario).unwrap();
            let steps = loaded.session.step_of(loaded.cursor);
            for step in [0, steps / 2, steps] {
                let cursor = loaded.session.cursor_at_step(step);
                let state = loaded.session.state_at(cursor);
                let map = page_map(&state);
                let expected = page_by_page(&state);
                assert_eq!(map.pages(), expected.len() as u64, "{}", entry.name);
                assert!(
                    map.codes.values().eq(expected.iter().copied()),
                    "{} at step {step}",
                    entry.name
                );
                let mut counts = [0u64; 5];
                for c in &expected {
                    counts[usize::from(c & code::STATE_MASK)] += 1;
                }
                assert_eq!(map.state_counts(), counts);
            }
        }
    }
}
