//! Trace events: every decision the model takes, named after the kernel function that
//! takes it, with its inputs and outcome. The page shows them as "what just happened";
//! tests compare them as data.

use core::fmt;

use crate::types::{Order, Pfn};

/// Where `__free_one_page()` put a block on its free list, and why.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Placement {
    /// `list_add()`: the head, so it is handed out next.
    Head,
    /// `list_add_tail()` because the caller passed `FPI_TO_TAIL` (boot-time freeing,
    /// memory onlining).
    TailRequested,
    /// `list_add_tail()` because `buddy_merge_likely()` found the next-order buddy
    /// free: keep this block unused so it can merge when its own buddy comes back.
    TailMergeLikely,
}

/// One decision of the allocator.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Event {
    /// `__rmqueue_smallest()` looked at `free_area[order]` and found it empty.
    AreaEmpty { order: Order },
    /// `__rmqueue_smallest()` took the block at the head of `free_area[order]`.
    TakeBlock { pfn: Pfn, order: Order },
    /// `expand()` split a block and put the upper half, `pfn` of `order`, at the head
    /// of `free_area[order]`.
    SplitHalf { pfn: Pfn, order: Order },
    /// The allocation of `order` succeeded at `pfn`.
    Allocated { pfn: Pfn, order: Order },
    /// No free list from the requested order up had a block.
    AllocFailed { order: Order },
    /// `__free_one_page()` found the buddy `buddy` free at `order` and merged with it.
    Merge { pfn: Pfn, buddy: Pfn, order: Order },
    /// `__free_one_page()` stopped merging (buddy not free, or the largest order) and
    /// put the block on `free_area[order]`.
    AddFree {
        pfn: Pfn,
        order: Order,
        placement: Placement,
    },
}

impl Event {
    /// The kernel function that takes this decision.
    pub fn kernel_function(&self) -> &'static str {
        match self {
            Event::AreaEmpty { .. } | Event::TakeBlock { .. } => "__rmqueue_smallest",
            Event::SplitHalf { .. } => "expand",
            Event::Allocated { .. } | Event::AllocFailed { .. } => "rmqueue",
            Event::Merge { .. } | Event::AddFree { .. } => "__free_one_page",
        }
    }

    /// The block this event touches, for highlighting.
    pub fn block(&self) -> Option<(Pfn, Order)> {
        match *self {
            Event::AreaEmpty { .. } | Event::AllocFailed { .. } => None,
            Event::TakeBlock { pfn, order }
            | Event::SplitHalf { pfn, order }
            | Event::Allocated { pfn, order }
            | Event::AddFree { pfn, order, .. } => Some((pfn, order)),
            Event::Merge { pfn, buddy, order } => {
                let combined = Pfn(pfn.0 & buddy.0);
                order.higher().map(|higher| (combined, higher))
            }
        }
    }
}

impl Event {
    /// What happened, in one sentence, without the function name.
    pub fn describe(&self) -> String {
        match self {
            Event::AreaEmpty { order } => {
                format!("free_area[{order}] is empty, try the next order")
            }
            Event::TakeBlock { pfn, order } => format!(
                "took the order-{order} block at pfn {pfn} from the head of free_area[{order}]"
            ),
            Event::SplitHalf { pfn, order } => format!(
                "split; the upper half, order {order} at pfn {pfn}, goes to the head of free_area[{order}]"
            ),
            Event::Allocated { pfn, order } => {
                format!("returned the order-{order} block at pfn {pfn}")
            }
            Event::AllocFailed { order } => format!(
                "no free block of order {order} or above; the allocation fails"
            ),
            Event::Merge { pfn, buddy, order } => format!(
                "the buddy of pfn {pfn} at order {order}, pfn {buddy}, is free: merge into order {}",
                order.get() + 1
            ),
            Event::AddFree {
                pfn,
                order,
                placement,
            } => {
                let where_ = match placement {
                    Placement::Head => "head",
                    Placement::TailRequested => "tail (FPI_TO_TAIL)",
                    Placement::TailMergeLikely => {
                        "tail (buddy_merge_likely: the next-order buddy is free)"
                    }
                };
                format!(
                    "the order-{order} block at pfn {pfn} goes to the {where_} of free_area[{order}]"
                )
            }
        }
    }
}

impl fmt::Display for Event {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.kernel_function(), self.describe())
    }
}
