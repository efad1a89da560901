//! One page, for the tooltip: where it is (node, zone, section, pageblock) and what it
//! is (its state and the buddy block holding it).

use serde::Serialize;

use super::page_map::{code, PageMap};
use crate::alloc::Allocator;
use crate::types::{MigrateType, Pfn, PAGE_SIZE_BYTES};

/// Everything the tooltip says about a pfn.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PageInfo {
    pub pfn: u64,
    pub phys_addr: u64,
    pub node: Option<u32>,
    pub zone: Option<String>,
    pub section: u64,
    pub section_present: bool,
    pub pageblock: Option<String>,
    /// "free", "allocated", "on a per-cpu list", "reserved", "offline" or "hole", in words.
    pub state: String,
    /// The buddy block holding the page: first pfn and order.
    pub block: Option<(u64, u8)>,
}

/// What is known about `pfn` in `allocator`.
pub fn page_info(allocator: &Allocator, map: &PageMap, pfn: u64) -> PageInfo {
    let machine = allocator.machine();
    let section_bits = machine.map_or(27, |m| m.config.section_size_bits);
    let zone = allocator
        .zone_of_pfn(Pfn(pfn))
        .and_then(|z| allocator.zones().get(z));
    let node = zone.map(|z| z.nid).or_else(|| {
        allocator
            .nodes()
            .iter()
            .find(|n| n.start_pfn <= pfn && pfn < n.start_pfn + n.spanned)
            .map(|n| n.nid)
    });
    let c = map.code(pfn);
    let section = machine.and_then(|m| m.section_of(pfn));
    let offline = section.is_some_and(|s| {
        allocator
            .offline_sections()
            .binary_search(&s.number)
            .is_ok()
    });
    // memblock.memory: without a machine (a kernel dump), every zone page counts.
    let memory = machine.is_none_or(|m| {
        m.config
            .nodes
            .iter()
            .flat_map(|n| n.memory.iter())
            .any(|r| r.start <= pfn && pfn < r.end)
    });
    let state = match c & code::STATE_MASK {
        code::HOLE => "hole (no memory)",
        code::RESERVED if offline => "offline (its section was offlined by memory hotplug)",
        // init_unavailable_range() gives a hole's pages in a present section a
        // reserved struct page; a section that is not present has no memmap at all.
        code::RESERVED if !memory && section.is_some() => {
            "hole (no memory) inside the zone's span: its struct page is reserved (init_unavailable_range())"
        }
        code::RESERVED if !memory => {
            "hole (no memory) inside the zone's span: no struct page (the section is not present)"
        }
        code::RESERVED => "reserved (never given to the buddy allocator)",
        code::FREE => "free (on a buddy free list)",
        code::ALLOCATED => "allocated",
        _ => "on a per-cpu list (pcp)",
    };
    let kind = (c & code::TYPE_MASK) >> code::TYPE_SHIFT;
    let block = zone
        .and_then(|z| z.buddy.block_containing(Pfn(pfn)))
        .map(|b| (b.pfn.0, b.order.get()));
    PageInfo {
        pfn,
        phys_addr: pfn.saturating_mul(PAGE_SIZE_BYTES),
        node,
        zone: zone.map(|z| z.zone.name().to_string()),
        section: pfn >> (u32::from(section_bits).saturating_sub(12)),
        section_present: section.is_some(),
        pageblock: MigrateType::from_index(usize::from(kind)).map(|m| m.name().to_string()),
        state: state.to_string(),
        block,
    }
}
