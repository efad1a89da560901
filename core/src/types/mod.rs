//! Newtypes for the quantities the kernel's own code keeps apart by convention only.

use core::fmt;

pub mod gfp;
pub mod hash;
mod kernel;
pub mod sort;
mod zone_type;

pub use kernel::Kernel;
pub use zone_type::{ZoneType, MAX_NR_ZONES};

/// Largest order plus one, as `MAX_ORDER` on x86_64 in Linux 6.1: blocks are 2^0 to
/// 2^10 pages.
pub const MAX_ORDER: u8 = 11;

/// Entries of a per-order array (`free_area[MAX_ORDER]`, a dump's `nr_free` line):
/// one per order 0 to 10. [`MAX_ORDER`] as an array length.
pub const NR_ORDERS: usize = MAX_ORDER as usize;

/// `pageblock_order` on x86_64 with hugepages: 2 MiB pageblocks.
pub const PAGEBLOCK_ORDER: u8 = 9;

/// `pageblock_nr_pages`: pages per pageblock, 512.
pub const PAGEBLOCK_PAGES: u64 = 1 << PAGEBLOCK_ORDER;

/// `NR_PCP_LISTS` of Linux 6.1 with hugepages: each per-cpu pageset has 14 lists, by
/// `order_to_pindex()`: `3 * order + migratetype` for orders 0 to 3 and the three
/// per-cpu types (unmovable, movable, reclaimable), then two lists of pageblock_order
/// (THP) pages, 12 for the non-movable types and 13 for movable.
pub const NR_PCP_LISTS: usize = 14;

/// Bytes in a page (`PAGE_SIZE`, 4 KiB on x86_64).
pub const PAGE_SIZE_BYTES: u64 = 4096;

/// `SWAP_CLUSTER_MAX`: the pages reclaim aims to free at a time.
pub const SWAP_CLUSTER_MAX: u64 = 32;

/// `MAX_RECLAIM_RETRIES`: reclaim rounds without progress before the slow path gives
/// up, and the `kswapd_failures` at which a node counts as hopeless.
pub const MAX_RECLAIM_RETRIES: u32 = 16;

/// A range of page frames, `[start, end)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PfnRange {
    pub start: u64,
    pub end: u64,
}

impl PfnRange {
    /// Pages in the range.
    pub fn pages(&self) -> u64 {
        self.end.saturating_sub(self.start)
    }

    /// The physical byte range as dmesg prints it: `[mem 0x...-0x...]`, end inclusive.
    pub fn phys_inclusive(&self) -> (u64, u64) {
        (
            self.start.saturating_mul(PAGE_SIZE_BYTES),
            self.end.saturating_mul(PAGE_SIZE_BYTES).saturating_sub(1),
        )
    }
}

/// `MAX_NUMNODES` with Debian's NODES_SHIFT of 10.
pub const MAX_NUMNODES: u64 = 1 << 10;

/// Per-cpu list `pindex` in words, `order N migratetype`, as `order_to_pindex()`
/// lays the lists out: three migratetypes for each of orders 0-3, then the two THP
/// lists (Unmovable and Reclaimable share one).
pub fn pcp_list_name(pindex: usize) -> String {
    if pindex >= 12 {
        let kind = if pindex == 13 {
            "Movable"
        } else {
            "Unmovable+Reclaimable"
        };
        format!("order {PAGEBLOCK_ORDER} (THP) {kind}")
    } else {
        let kind = MigrateType::from_index(pindex % 3).map_or("?", |m| m.name());
        format!("order {} {kind}", pindex / 3)
    }
}

/// A physical page frame number.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Pfn(pub u64);

impl Pfn {
    /// The pfn of this block's buddy at `order`, as the kernel's `__find_buddy_pfn()`.
    pub fn buddy(self, order: Order) -> Pfn {
        Pfn(self.0 ^ order.pages())
    }

    /// Whether a block of `order` may start here: buddy blocks are naturally aligned.
    pub fn is_aligned(self, order: Order) -> bool {
        self.0 & (order.pages() - 1) == 0
    }

    /// Physical address of the first byte of this page.
    pub fn phys_addr(self) -> u64 {
        self.0 * PAGE_SIZE_BYTES
    }
}

impl fmt::Display for Pfn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:#x}", self.0)
    }
}

/// A buddy order: a block of `2^order` pages. Always below [`MAX_ORDER`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Order(u8);

impl Order {
    /// The largest order a block can have (`MAX_ORDER - 1`).
    pub const MAX: Order = Order(MAX_ORDER - 1);
    /// A single page.
    pub const ZERO: Order = Order(0);

    /// Checks `order` against [`MAX_ORDER`], as `__alloc_pages()` rejects larger orders.
    pub fn new(order: u32) -> Option<Order> {
        if order < u32::from(MAX_ORDER) {
            u8::try_from(order).ok().map(Order)
        } else {
            None
        }
    }

    /// The order as a number.
    pub fn get(self) -> u8 {
        self.0
    }

    /// Pages in a block of this order.
    pub fn pages(self) -> u64 {
        1u64 << self.0
    }

    /// The next order up, if there is one.
    pub fn higher(self) -> Option<Order> {
        Order::new(u32::from(self.0) + 1)
    }

    /// The next order down, if there is one.
    pub fn lower(self) -> Option<Order> {
        self.0.checked_sub(1).map(Order)
    }

    /// Every order from 0 to [`Order::MAX`].
    pub fn all() -> impl DoubleEndedIterator<Item = Order> {
        (0..MAX_ORDER).map(Order)
    }
}

impl fmt::Display for Order {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// A migratetype. The first five are the kernel's `enum migratetype` in order for a
/// kernel without CMA and with memory isolation (Debian's 6.1 x86_64 build, the
/// reference). `Cma` exists only on a machine configured as "kernel built with
/// CONFIG_CMA"; there the kernel numbers it 4 and Isolate 5, which is what
/// [`MigrateType::ALL_WITH_CMA`] lists, while the model stores it last so the
/// reference kernel's numbering never changes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum MigrateType {
    Unmovable = 0,
    Movable = 1,
    Reclaimable = 2,
    HighAtomic = 3,
    Isolate = 4,
    Cma = 5,
}

/// `MIGRATE_TYPES` of the reference kernel (no CMA).
pub const MIGRATE_TYPES: usize = 5;
/// Migratetypes the model keeps lists for: the reference kernel's and CMA.
pub const MIGRATE_TYPES_STORED: usize = 6;

impl MigrateType {
    /// Every migratetype in the kernel's order.
    pub const ALL: [MigrateType; MIGRATE_TYPES] = [
        MigrateType::Unmovable,
        MigrateType::Movable,
        MigrateType::Reclaimable,
        MigrateType::HighAtomic,
        MigrateType::Isolate,
    ];

    /// Every migratetype the model stores lists for.
    pub const STORED: [MigrateType; MIGRATE_TYPES_STORED] = [
        MigrateType::Unmovable,
        MigrateType::Movable,
        MigrateType::Reclaimable,
        MigrateType::HighAtomic,
        MigrateType::Isolate,
        MigrateType::Cma,
    ];

    /// A CONFIG_CMA kernel's `enum migratetype` order (CMA before Isolate).
    pub const ALL_WITH_CMA: [MigrateType; MIGRATE_TYPES_STORED] = [
        MigrateType::Unmovable,
        MigrateType::Movable,
        MigrateType::Reclaimable,
        MigrateType::HighAtomic,
        MigrateType::Cma,
        MigrateType::Isolate,
    ];

    /// `migratetype_names[]`.
    pub fn name(self) -> &'static str {
        match self {
            MigrateType::Unmovable => "Unmovable",
            MigrateType::Movable => "Movable",
            MigrateType::Reclaimable => "Reclaimable",
            MigrateType::HighAtomic => "HighAtomic",
            MigrateType::Isolate => "Isolate",
            MigrateType::Cma => "CMA",
        }
    }

    /// Index into per-migratetype arrays.
    pub fn index(self) -> usize {
        self as usize
    }

    /// The migratetype with this index.
    pub fn from_index(index: usize) -> Option<MigrateType> {
        MigrateType::STORED.get(index).copied()
    }

    /// `migratetype < MIGRATE_PCPTYPES`: the three types per-cpu lists keep, the
    /// ones `set_pageblock_migratetype()` folds into Unmovable when grouping by
    /// mobility is off.
    pub fn is_pcp_type(self) -> bool {
        (self as usize) < MigrateType::HighAtomic as usize
    }

    /// `migratetype_is_mergeable()`: blocks of the per-cpu types may merge across
    /// pageblocks of different types; highatomic and isolated ones may not.
    pub fn is_mergeable(self) -> bool {
        matches!(
            self,
            MigrateType::Unmovable | MigrateType::Movable | MigrateType::Reclaimable
        )
    }
}
