//! Colours: of a page code (its state and pageblock type), of the gutter's node and
//! zone bars, and of the outlines. The page's legends use the same functions, so a
//! colour is defined once.

use super::page_map::code;

/// An RGB colour.
pub type Rgb = [u8; 3];

/// The background of cells with no memory.
pub const HOLE_RGB: Rgb = [0xe4, 0xe1, 0xda];
/// The stripes of a collapsed gap's band (over [`HOLE_RGB`]).
pub const GAP_STRIPE_RGB: Rgb = [0xc4, 0xbe, 0xb2];
/// Pages the buddy allocator never got.
pub const RESERVED_RGB: Rgb = [0x7a, 0x7a, 0x7a];
/// Pages on a per-cpu list.
pub const PCP_RGB: Rgb = [0xf2, 0xc9, 0x1d];
/// The outline of the block the current step touches.
pub const HIGHLIGHT_RGB: Rgb = [0xff, 0x00, 0xc8];
/// Block outlines when zoomed in.
pub const OUTLINE_RGB: Rgb = [0x26, 0x32, 0x38];

/// A migratetype's colour: allocated pages in it are drawn in it, free pages in a
/// light tint of it.
pub fn migratetype_rgb(kind: u8) -> Rgb {
    match kind {
        0 => [0xc0, 0x39, 0x2b], // Unmovable: red
        1 => [0x1f, 0x6f, 0xb4], // Movable: blue
        2 => [0x2e, 0x8b, 0x57], // Reclaimable: green
        3 => [0xe6, 0x7e, 0x22], // HighAtomic: orange
        4 => [0x4a, 0x23, 0x5a], // Isolate: aubergine
        5 => [0x16, 0xa0, 0xa0], // CMA: teal
        _ => [0x55, 0x55, 0x55],
    }
}

/// `rgb` mixed with white: `white` of 256 parts white.
pub fn tint(rgb: Rgb, white: u32) -> Rgb {
    rgb.map(|c| ((u32::from(c) * (256 - white) + 255 * white) / 256) as u8)
}

/// The colour of a free page in a pageblock of migratetype `kind`: a light tint of
/// [`migratetype_rgb`].
pub fn free_migratetype_rgb(kind: u8) -> Rgb {
    tint(migratetype_rgb(kind), 180)
}

/// The colour of one page code.
pub fn code_rgb(c: u8) -> Rgb {
    let kind = (c & code::TYPE_MASK) >> code::TYPE_SHIFT;
    match c & code::STATE_MASK {
        code::HOLE => HOLE_RGB,
        code::RESERVED => RESERVED_RGB,
        code::FREE => free_migratetype_rgb(kind),
        code::ALLOCATED => migratetype_rgb(kind),
        _ => PCP_RGB,
    }
}

/// The 256-entry palette of [`code_rgb`] (head bit included), for a fast lookup.
pub fn palette() -> [Rgb; 256] {
    let mut table = [[0u8; 3]; 256];
    for (c, slot) in table.iter_mut().enumerate() {
        *slot = code_rgb(c as u8);
    }
    table
}

const NODE_RGB: [Rgb; 4] = [
    [0x34, 0x49, 0x5e],
    [0x8e, 0x44, 0xad],
    [0x27, 0xae, 0x60],
    [0xd3, 0x54, 0x00],
];
const ZONE_RGB: [Rgb; 5] = [
    [0xf3, 0x9c, 0x12],
    [0x16, 0xa0, 0x85],
    [0x29, 0x80, 0xb9],
    [0x8e, 0x44, 0xad],
    [0x7f, 0x8c, 0x8d],
];

/// The colour of node `nid` in the gutter.
pub fn node_rgb(nid: u32) -> Rgb {
    NODE_RGB
        .get(nid as usize % NODE_RGB.len())
        .copied()
        .unwrap_or_default()
}

/// The colour of zone type `index` in the gutter.
pub fn zone_rgb(index: usize) -> Rgb {
    ZONE_RGB
        .get(index % ZONE_RGB.len())
        .copied()
        .unwrap_or_default()
}
