//! Intrusive doubly linked lists over page indices: the model of `struct list_head`
//! threaded through `struct page` (`page->buddy_list`).
//!
//! A page is on at most one list at a time, exactly as in the kernel, so one pair of
//! link arrays serves every list. Keeping links in per-page `u32` arrays rather than
//! in `VecDeque`s makes removing a buddy from the middle of a list O(1), as
//! `list_del()` is. The arrays are [`Chunked`]: a max-order block whose only linked
//! page is its first costs two links, not 1024 (8 bytes a page only where blocks
//! were split).

use super::chunked::Chunked;
use crate::types::{MIGRATE_TYPES_STORED, NR_ORDERS};

/// The "no page" link value.
const NIL: u32 = u32::MAX;

/// Lists per group whose total length is kept (the free lists of one order, one a
/// migratetype), and the groups: the totals are `free_area[order].nr_free`.
const GROUP: usize = MIGRATE_TYPES_STORED;
const GROUPS: usize = NR_ORDERS;

/// One list head: first and last page index and the length (`free_area.nr_free`
/// counts the same thing for a free list).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct ListHead {
    first: u32,
    last: u32,
    len: u32,
}

impl ListHead {
    const EMPTY: ListHead = ListHead {
        first: NIL,
        last: NIL,
        len: 0,
    };
}

/// A list's head and some pages' links, as they were before a change (see
/// [`PageLists::links_before`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Links {
    list: u32,
    head: ListHead,
    nodes: [(u32, u32, u32); 5],
}

/// A fixed number of lists over a fixed number of pages.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PageLists {
    prev: Chunked<u32>,
    next: Chunked<u32>,
    heads: Vec<ListHead>,
    /// The summed lengths of the lists `GROUP * g .. GROUP * (g + 1)`, kept as the
    /// lists change, as the kernel keeps `free_area[order].nr_free` beside its lists
    /// (read by every watermark check and after every call by the timeline's series,
    /// which otherwise summed the lengths each time: docs/performance.md, branch
    /// tti23). Follows from `heads`, so equality is unchanged by it.
    group_len: [u32; GROUPS],
}

impl PageLists {
    /// `nr_lists` empty lists over pages `0..nr_pages`, the first at slot `offset %
    /// 1024` of its max-order block.
    pub fn new(offset: u64, nr_pages: u32, nr_lists: usize) -> PageLists {
        PageLists {
            prev: Chunked::new(offset, nr_pages, NIL, NIL),
            next: Chunked::new(offset, nr_pages, NIL, NIL),
            heads: vec![ListHead::EMPTY; nr_lists],
            group_len: [0; GROUPS],
        }
    }

    /// Adds `page` at the head of `list`, as `list_add()`.
    pub fn push_head(&mut self, list: usize, page: u32) {
        let head = self.heads[list];
        self.prev.set(page, NIL);
        self.next.set(page, head.first);
        if head.first == NIL {
            self.heads[list].last = page;
        } else {
            self.prev.set(head.first, page);
        }
        self.heads[list].first = page;
        self.heads[list].len += 1;
        self.grow_group(list, 1);
    }

    /// Adds `page` at the tail of `list`, as `list_add_tail()`.
    pub fn push_tail(&mut self, list: usize, page: u32) {
        let head = self.heads[list];
        self.next.set(page, NIL);
        self.prev.set(page, head.last);
        if head.last == NIL {
            self.heads[list].first = page;
        } else {
            self.next.set(head.last, page);
        }
        self.heads[list].last = page;
        self.heads[list].len += 1;
        self.grow_group(list, 1);
    }

    /// Unlinks `page` from `list`, as `list_del()`. The caller knows which list the
    /// page is on (the kernel knows it from the page's order and migratetype).
    pub fn remove(&mut self, list: usize, page: u32) {
        let prev = self.prev.get(page);
        let next = self.next.get(page);
        if prev == NIL {
            self.heads[list].first = next;
        } else {
            self.next.set(prev, next);
        }
        if next == NIL {
            self.heads[list].last = prev;
        } else {
            self.prev.set(next, prev);
        }
        self.prev.set(page, NIL);
        self.next.set(page, NIL);
        self.heads[list].len -= 1;
        self.grow_group(list, u32::MAX);
    }

    /// Adds `delta` (wrapping: `u32::MAX` takes one) to the total of `list`'s group.
    #[inline(always)]
    fn grow_group(&mut self, list: usize, delta: u32) {
        if let Some(total) = self.group_len.get_mut(list / GROUP) {
            *total = total.wrapping_add(delta);
        }
    }

    /// The page at the head of `list`, as `list_first_entry_or_null()`.
    pub fn first(&self, list: usize) -> Option<u32> {
        let first = self.heads[list].first;
        (first != NIL).then_some(first)
    }

    /// Number of pages on `list`.
    pub fn len(&self, list: usize) -> u32 {
        self.heads[list].len
    }

    /// The summed length of the lists of group `group` (lists `MIGRATE_TYPES_STORED
    /// * group ..`), kept as they change.
    #[inline]
    pub fn group_len(&self, group: usize) -> u32 {
        self.group_len.get(group).copied().unwrap_or(0)
    }

    /// Every group's summed length, in list order.
    #[inline]
    pub fn group_lens(&self) -> &[u32; GROUPS] {
        &self.group_len
    }

    /// The pages of `list` from head to tail.
    pub fn iter(&self, list: usize) -> impl Iterator<Item = u32> + '_ {
        let mut cursor = self.heads[list].first;
        core::iter::from_fn(move || {
            if cursor == NIL {
                return None;
            }
            let page = cursor;
            cursor = self.next.get(page);
            Some(page)
        })
    }

    /// Walks `list` both ways and checks that the links agree with each other and with
    /// the recorded length. Used by the invariant checker; a walk longer than the page
    /// count means a cycle and stops there.
    pub fn check(&self, list: usize) -> Result<(), String> {
        let head = self.heads[list];
        let limit = self.next.len();
        let mut count = 0u32;
        let mut prev = NIL;
        let mut cursor = head.first;
        while cursor != NIL {
            if u64::from(count) >= limit {
                return Err(format!("list {list} has a cycle"));
            }
            if self.prev.get(cursor) != prev {
                return Err(format!(
                    "list {list}: back link of page index {cursor} is wrong"
                ));
            }
            prev = cursor;
            cursor = self.next.get(cursor);
            count += 1;
        }
        if prev != head.last {
            return Err(format!(
                "list {list}: tail pointer does not match the last page"
            ));
        }
        if count != head.len {
            return Err(format!(
                "list {list}: recorded length {} but {count} pages linked",
                head.len
            ));
        }
        Ok(())
    }

    /// Checks every group's kept total against its lists' recorded lengths. Used by
    /// the invariant checker.
    pub fn check_group_lens(&self) -> Result<(), String> {
        for (group, &total) in self.group_len.iter().enumerate() {
            let summed: u32 = self
                .heads
                .iter()
                .skip(group * GROUP)
                .take(GROUP)
                .map(|head| head.len)
                .sum();
            if summed != total {
                return Err(format!(
                    "lists {}..{}: kept total {total} but their lengths sum to {summed}",
                    group * GROUP,
                    (group + 1) * GROUP
                ));
            }
        }
        Ok(())
    }

    /// Bytes of heap this structure holds, measured from its allocations.
    pub fn heap_bytes(&self) -> usize {
        self.prev.heap_bytes()
            + self.next.heap_bytes()
            + self.heads.capacity() * core::mem::size_of::<ListHead>()
    }

    /// Bytes of heap this structure holds for each page of a split block (a block
    /// free as a whole at the largest order costs 1/128 of that).
    pub fn bytes_per_page() -> usize {
        2 * core::mem::size_of::<u32>()
    }

    /// What a push or removal of `page` on `list` changes, as it is now: the list's
    /// head and the links of `page`, its neighbours and the list's ends, so that
    /// [`PageLists::restore`] puts them back exactly (stepping back through a call).
    pub fn links_before(&self, list: usize, page: u32) -> Links {
        let head = self.heads.get(list).copied().unwrap_or(ListHead::EMPTY);
        let link = |node: u32| (node, self.prev.get(node), self.next.get(node));
        let (_, prev, next) = link(page);
        Links {
            list: list as u32,
            head,
            nodes: [page, prev, next, head.first, head.last].map(link),
        }
    }

    /// Puts back what [`PageLists::links_before`] saw.
    pub fn restore(&mut self, links: &Links) {
        let list = links.list as usize;
        if let Some(head) = self.heads.get_mut(list) {
            let delta = links.head.len.wrapping_sub(head.len);
            *head = links.head;
            self.grow_group(list, delta);
        }
        for &(node, prev, next) in &links.nodes {
            if u64::from(node) < self.prev.len() {
                self.prev.set(node, prev);
                self.next.set(node, next);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn collect(lists: &PageLists, list: usize) -> Vec<u32> {
        lists.iter(list).collect()
    }

    #[test]
    fn head_and_tail_insertion_order() {
        let mut lists = PageLists::new(0, 8, 2);
        lists.push_tail(0, 1);
        lists.push_tail(0, 2);
        lists.push_head(0, 3);
        assert_eq!(collect(&lists, 0), vec![3, 1, 2]);
        assert_eq!(lists.first(0), Some(3));
        assert_eq!(lists.len(1), 0);
        lists.check(0).unwrap();
    }

    #[test]
    fn remove_from_middle_head_and_tail() {
        let mut lists = PageLists::new(0, 8, 1);
        for page in [4, 5, 6, 7] {
            lists.push_tail(0, page);
        }
        lists.remove(0, 5);
        assert_eq!(collect(&lists, 0), vec![4, 6, 7]);
        lists.remove(0, 4);
        lists.remove(0, 7);
        assert_eq!(collect(&lists, 0), vec![6]);
        lists.remove(0, 6);
        assert_eq!(lists.first(0), None);
        assert_eq!(lists.len(0), 0);
        lists.check(0).unwrap();
    }

    #[test]
    fn check_detects_a_broken_length() {
        let mut lists = PageLists::new(0, 4, 1);
        lists.push_tail(0, 0);
        lists.heads[0].len = 2;
        assert!(lists.check(0).is_err());
    }

    #[test]
    fn the_group_totals_follow_pushes_removals_and_restores() {
        let lists_n = GROUP * GROUPS;
        let mut lists = PageLists::new(0, 64, lists_n);
        let mut undo = Vec::new();
        for page in 0..40u32 {
            let list = (page as usize * 7) % lists_n;
            undo.push(lists.links_before(list, page));
            if page % 2 == 0 {
                lists.push_head(list, page);
            } else {
                lists.push_tail(list, page);
            }
        }
        for page in (0..40u32).step_by(3) {
            let list = (page as usize * 7) % lists_n;
            undo.push(lists.links_before(list, page));
            lists.remove(list, page);
        }
        let summed = |lists: &PageLists| -> Vec<u32> {
            (0..GROUPS)
                .map(|g| (g * GROUP..(g + 1) * GROUP).map(|l| lists.len(l)).sum())
                .collect()
        };
        assert_eq!(lists.group_lens().to_vec(), summed(&lists));
        assert!(lists.check_group_lens().is_ok());
        for links in undo.iter().rev() {
            lists.restore(links);
            assert_eq!(lists.group_lens().to_vec(), summed(&lists));
        }
        assert_eq!(lists, PageLists::new(0, 64, lists_n));
        lists.heads[0].len = 1;
        assert!(lists.check_group_lens().is_err());
    }
}
