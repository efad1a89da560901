//! The address-space picture as RGBA pixels: a gutter of node, zone and section bars,
//! then the [`PageMap`] at a [`Viewport`], many pages averaged into a pixel or one page
//! drawn as a cell with its buddy block outlined, and the current step's block framed.
//!
//! The one module of the view that indexes directly: it is the page's inner loop, and
//! every index is a pixel of a buffer sized from the same width and height, or a page
//! of a map clamped by [`Viewport`]. The `page` fuzz target draws at any zoom and pfn.

#![allow(clippy::indexing_slicing)]

use serde::Serialize;

use super::colour::{
    node_rgb, palette, zone_rgb, Rgb, GAP_STRIPE_RGB, HIGHLIGHT_RGB, HOLE_RGB, OUTLINE_RGB,
};
use super::page_map::{code, PageMap};
use super::viewport::{Row, Viewport, GUTTER_PX, HEIGHT_PX};
use crate::alloc::Allocator;
use crate::types::MAX_ORDER;

/// What the gutter shows for the machine.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Spans {
    /// `(node, start, end)` of each node's span.
    pub nodes: Vec<(u32, u64, u64)>,
    /// `(zone index, start, end)` of each populated zone's span.
    pub zones: Vec<(usize, u64, u64)>,
    /// `(section number, start, end)` of each present section.
    pub sections: Vec<(u64, u64, u64)>,
}

/// The spans of the allocator's machine.
pub fn spans(allocator: &Allocator) -> Spans {
    let nodes = allocator
        .nodes
        .iter()
        .filter(|n| n.spanned > 0)
        .map(|n| (n.nid, n.start_pfn, n.start_pfn + n.spanned))
        .collect();
    let zones = allocator
        .zones
        .iter()
        .map(|z| (z.zone.index(), z.buddy.start_pfn().0, z.buddy.end_pfn().0))
        .collect();
    let sections = allocator
        .machine
        .as_ref()
        .map(|m| {
            m.sections
                .iter()
                .map(|s| (s.number, s.start_pfn, s.end_pfn))
                .collect()
        })
        .unwrap_or_default();
    Spans {
        nodes,
        zones,
        sections,
    }
}

/// Paints the visible part of `map` into RGBA pixels (`width_px()` by
/// [`HEIGHT_PX`]): a gutter of node, zone and section bars, then one cell per
/// `pages_per_cell` pages coloured by the mean colour of its pages; from 4-pixel
/// cells up, block edges are outlined. The `highlight` block gets a frame.
pub fn render_rgba(
    map: &PageMap,
    spans: &Spans,
    viewport: &Viewport,
    highlight: Option<(u64, u8)>,
) -> Vec<u8> {
    let width = viewport.width_px() as usize;
    let height = HEIGHT_PX as usize;
    let mut rgba = vec![0u8; width * height * 4];
    // Background.
    for px in rgba.chunks_exact_mut(4) {
        px.copy_from_slice(&[0xf7, 0xf5, 0xf0, 0xff]);
    }
    let palette = palette();
    let cell = viewport.cell_px as usize;
    let per_cell = viewport.pages_per_cell;
    let rows = viewport.rows_visible();
    // One pixel line of a row, built once and copied `cell` times.
    let background = rgba[..width * 4].to_vec();
    let mut line = vec![0u8; width * 4];
    for row in 0..rows {
        line.copy_from_slice(&background);
        let y0 = row as usize * cell;
        match viewport.row(viewport.scroll_row + row) {
            Some(Row::Pages(row_pfn)) => {
                gutter_line(&mut line, spans, row_pfn, viewport.pages_per_row());
                let cells = line[GUTTER_PX as usize * 4..].chunks_exact_mut(4 * cell);
                for (column, out) in cells.enumerate() {
                    let first = row_pfn + column as u64 * per_cell;
                    let rgb = mean_rgb(map, &palette, first, per_cell);
                    for px in out.chunks_exact_mut(4) {
                        px[..3].copy_from_slice(&rgb);
                    }
                }
                for dy in 0..cell {
                    let at = (y0 + dy) * width * 4;
                    if let Some(target) = rgba.get_mut(at..at + width * 4) {
                        target.copy_from_slice(&line);
                    }
                }
            }
            Some(Row::Gap(_)) => hatch_rows(&mut rgba, width, y0, cell),
            None => {}
        }
    }
    if cell >= 4 {
        outline_blocks(&mut rgba, width, map, viewport);
    }
    if let Some((pfn, order)) = highlight {
        frame_block(
            &mut rgba,
            width,
            viewport,
            pfn,
            1u64 << order.min(MAX_ORDER - 1),
        );
    }
    rgba
}

fn put(rgba: &mut [u8], index: usize, rgb: Rgb) {
    if let Some(px) = rgba.get_mut(index * 4..index * 4 + 3) {
        px.copy_from_slice(&rgb);
    }
}

fn mean_rgb(map: &PageMap, palette: &[Rgb; 256], first: u64, pages: u64) -> Rgb {
    let start = first.max(map.start_pfn);
    let stop = first.saturating_add(pages).min(map.end_pfn());
    if start >= stop {
        return HOLE_RGB;
    }
    let first_code = map.code(start);
    // In u64: a cell may average 2^32 pages (the widest zoom), and 2^32 x 255
    // overflows u32. The map's runs hold a max-order block of one code as one run.
    let mut sum = [0u64; 3];
    let mut inside = 0u64;
    let mut uniform = true;
    map.codes
        .runs(start - map.start_pfn, stop - map.start_pfn, |c, count| {
            uniform &= c & !code::HEAD == first_code & !code::HEAD;
            let rgb = palette[usize::from(c)];
            for i in 0..3 {
                sum[i] += u64::from(rgb[i]) * count;
            }
            inside += count;
        });
    if inside == 1 || uniform {
        return palette[usize::from(first_code)];
    }
    // Pages of the cell outside the map count as holes.
    let missing = pages - inside;
    [0, 1, 2].map(|i| ((sum[i] + missing * u64::from(HOLE_RGB[i])) / pages) as u8)
}

fn gutter_line(line: &mut [u8], spans: &Spans, row_pfn: u64, row_pages: u64) {
    let row_end = row_pfn + row_pages;
    let overlaps = |start: u64, end: u64| start < row_end && row_pfn < end;
    let node = spans.nodes.iter().find(|(_, s, e)| overlaps(*s, *e));
    let zone = spans.zones.iter().find(|(_, s, e)| overlaps(*s, *e));
    let section = spans.sections.iter().find(|(_, s, e)| overlaps(*s, *e));
    for x in 0..GUTTER_PX as usize - 2 {
        let rgb = match x / 7 {
            0 => node.map(|n| node_rgb(n.0)),
            1 => zone.map(|z| zone_rgb(z.0)),
            _ => section.map(|s| {
                if s.0 % 2 == 0 {
                    [0x55, 0x55, 0x55]
                } else {
                    [0xaa, 0xaa, 0xaa]
                }
            }),
        };
        if let Some(rgb) = rgb {
            put(line, x, rgb);
        }
    }
}

fn outline_blocks(rgba: &mut [u8], width: usize, map: &PageMap, viewport: &Viewport) {
    let cell = viewport.cell_px as usize;
    let columns = viewport.columns;
    // The pfn after the previous row's last page: a row that does not start there
    // follows a gap, so its blocks get a top edge.
    let mut expected = None;
    for row in 0..viewport.rows_visible() {
        let Some(Row::Pages(row_pfn)) = viewport.row(viewport.scroll_row + row) else {
            expected = None;
            continue;
        };
        let after_gap = expected != Some(row_pfn);
        expected = Some(row_pfn + columns);
        let mut head = map.block_head(row_pfn).unwrap_or(row_pfn);
        let y0 = row as usize * cell;
        for column in 0..columns {
            let pfn = row_pfn + column;
            let c = map.code(pfn);
            if c & code::HEAD != 0 {
                head = pfn;
            }
            if c & code::STATE_MASK == code::HOLE {
                continue;
            }
            let x0 = GUTTER_PX as usize + column as usize * cell;
            let left = c & code::HEAD != 0 || column == 0;
            let top = head + columns > pfn || after_gap;
            if left {
                for dy in 0..cell {
                    put(rgba, (y0 + dy) * width + x0, OUTLINE_RGB);
                }
            }
            if top {
                for dx in 0..cell {
                    put(rgba, y0 * width + x0 + dx, OUTLINE_RGB);
                }
            }
        }
    }
}

/// Rows `y0..y0 + rows` of a collapsed gap: diagonal stripes across the pages, the
/// gutter left blank (no node, zone or section).
fn hatch_rows(rgba: &mut [u8], width: usize, y0: usize, rows: usize) {
    for y in y0..y0 + rows {
        for x in GUTTER_PX as usize..width {
            let rgb = if (x + y) % 8 < 3 {
                GAP_STRIPE_RGB
            } else {
                HOLE_RGB
            };
            put(rgba, y * width + x, rgb);
        }
    }
}

fn frame_block(rgba: &mut [u8], width: usize, viewport: &Viewport, pfn: u64, pages: u64) {
    if pages == 0 || pfn + pages <= viewport.first_pfn() || pfn >= viewport.end_pfn() {
        return;
    }
    let top = viewport.scroll_row;
    let last_row = top + viewport.rows_visible().max(1) - 1;
    let cell = viewport.cell_px as i64;
    let (row0, row1) = (viewport.row_of(pfn), viewport.row_of(pfn + pages - 1));
    let (row0, row1) = (row0.clamp(top, last_row), row1.clamp(top, last_row));
    let column = |p: u64| match viewport.row(viewport.row_of(p)) {
        Some(Row::Pages(row_pfn)) => p.saturating_sub(row_pfn) / viewport.pages_per_cell,
        _ => 0,
    };
    let (x0, x1) = if row0 == row1 {
        let (c0, c1) = (column(pfn), column(pfn + pages - 1));
        (c0 as i64 * cell, (c1 as i64 + 1) * cell)
    } else {
        (0, viewport.columns as i64 * cell)
    };
    let (y0, y1) = ((row0 - top) as i64 * cell, (row1 - top + 1) as i64 * cell);
    // A frame 2 pixels wide, 2 pixels outside the block so even one page at the
    // coarsest zoom is visible.
    let height = i64::from(HEIGHT_PX);
    let gx = i64::from(GUTTER_PX);
    let mut dot = |x: i64, y: i64| {
        if x >= gx && x < width as i64 && y >= 0 && y < height {
            put(rgba, (y as usize) * width + x as usize, HIGHLIGHT_RGB);
        }
    };
    for t in 0..2 {
        for x in (x0 - 3)..(x1 + 3) {
            dot(gx + x, y0 - 3 + t);
            dot(gx + x, y1 + 1 + t);
        }
        for y in (y0 - 3)..(y1 + 3) {
            dot(gx + x0 - 3 + t, y);
            dot(gx + x1 + 1 + t, y);
        }
    }
}
