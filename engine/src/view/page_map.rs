//! The address space, one byte a page: state, pageblock type and block head, built
//! from every zone's buddy state and per-cpu lists. One byte keeps the map of the
//! largest machine the page draws small enough to rebuild at every step, and the
//! pixels and the tooltip read it instead of the allocator.

use crate::alloc::{pindex_to_order, Allocator};
use crate::buddy::BlockState;
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

/// One byte a page from pfn `start_pfn`: see [`code`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PageMap {
    pub start_pfn: u64,
    pub codes: Vec<u8>,
}

impl PageMap {
    /// One past the last pfn.
    pub fn end_pfn(&self) -> u64 {
        self.start_pfn + self.codes.len() as u64
    }

    /// The code of `pfn` ([`code::HOLE`] outside the map).
    pub fn code(&self, pfn: u64) -> u8 {
        pfn.checked_sub(self.start_pfn)
            .and_then(|i| self.codes.get(i as usize).copied())
            .unwrap_or(code::HOLE | code::NO_PAGEBLOCK << code::TYPE_SHIFT)
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
        for &c in &self.codes {
            if let Some(n) = counts.get_mut(usize::from(c & code::STATE_MASK)) {
                *n += 1;
            }
        }
        counts
    }
}

/// The address space from pfn 0 to the end of the last zone: each zone's blocks from
/// its buddy state, per-cpu pages over them, and every pageblock's type.
pub fn page_map(allocator: &Allocator) -> PageMap {
    let end = allocator
        .zones
        .iter()
        .map(|z| z.buddy.end_pfn().0)
        .chain(allocator.nodes.iter().map(|n| n.start_pfn + n.spanned))
        .max()
        .unwrap_or(0)
        .min(PAGE_MAP_PAGES_MAX);
    let hole = code::HOLE | code::NO_PAGEBLOCK << code::TYPE_SHIFT;
    let mut codes = vec![hole; end as usize];
    for zone in &allocator.zones {
        let buddy = &zone.buddy;
        for block in buddy.blocks() {
            let state = match block.state {
                BlockState::Free => code::FREE,
                BlockState::Allocated => code::ALLOCATED,
                BlockState::Reserved => code::RESERVED,
            };
            fill(&mut codes, block.pfn.0, block.order.pages(), state, true);
        }
        // Pageblock types over the pages of the zone.
        let first = buddy.first_pageblock_pfn().0;
        for index in 0..buddy.pageblock_count() {
            let raw = buddy.pageblock_raw(index).unwrap_or(0);
            let kind = if usize::from(raw) < MigrateType::STORED.len() {
                raw
            } else {
                code::NO_PAGEBLOCK
            };
            let start = (first + ((index as u64) << PAGEBLOCK_ORDER)).max(buddy.start_pfn().0);
            let stop = (first + ((index as u64 + 1) << PAGEBLOCK_ORDER)).min(buddy.end_pfn().0);
            if let Some(slice) = codes.get_mut(start as usize..(stop as usize).min(end as usize)) {
                for c in slice {
                    *c = (*c & !code::TYPE_MASK) | kind << code::TYPE_SHIFT;
                }
            }
        }
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

fn fill(codes: &mut [u8], pfn: u64, pages: u64, state: u8, head: bool) {
    let start = pfn as usize;
    let stop = (pfn.saturating_add(pages) as usize).min(codes.len());
    if let Some(slice) = codes.get_mut(start..stop) {
        slice.fill(state);
        if head {
            if let Some(first) = slice.first_mut() {
                *first |= code::HEAD;
            }
        }
    }
}

fn fill_state(codes: &mut [u8], pfn: u64, pages: u64, state: u8) {
    let start = pfn as usize;
    let stop = (pfn.saturating_add(pages) as usize).min(codes.len());
    if let Some(slice) = codes.get_mut(start..stop) {
        for c in slice {
            *c = (*c & !code::STATE_MASK) | state;
        }
    }
}
