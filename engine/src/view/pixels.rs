//! The address-space picture as RGBA pixels: a gutter of node, zone and section bars,
//! then the [`PageMap`] at a [`Viewport`], many pages averaged into a pixel or one page
//! drawn as a cell with its buddy block outlined, and the current step's block framed.
//!
//! The one module of the view that indexes directly: it is the page's inner loop, and
//! every index is a pixel of a buffer sized from the same width and height, or a page
//! of a map clamped by [`Viewport`]. The `page` fuzz target draws at any zoom and pfn.

#![allow(clippy::indexing_slicing)]

use std::ops::Range;

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
        .nodes()
        .iter()
        .filter(|n| n.spanned > 0)
        .map(|n| (n.nid, n.start_pfn, n.start_pfn + n.spanned))
        .collect();
    let zones = allocator
        .zones()
        .iter()
        .map(|z| (z.zone.index(), z.buddy.start_pfn().0, z.buddy.end_pfn().0))
        .collect();
    let sections = allocator
        .machine()
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

/// The picture's background colour.
const BACKGROUND_RGBA: [u8; 4] = [0xf7, 0xf5, 0xf0, 0xff];

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
    let mut rgba = BACKGROUND_RGBA.repeat(width * HEIGHT_PX as usize);
    let mut painter = RowPainter::new(map, spans, viewport);
    for row in 0..viewport.rows_visible() {
        painter.draw_row(&mut rgba, row);
    }
    if let Some(block) = highlight {
        frame_block(&mut rgba, width, viewport, block);
    }
    rgba
}

/// Brings `rgba`, the picture [`render_rgba`] drew of `before` (a page map and its
/// highlight) at `viewport` and `spans`, up to date with `map` and `highlight` at the
/// same viewport and spans, repainting only the rows whose pages changed (and, from
/// 4-pixel cells, the rows whose block outlines may have) and the rows under the old
/// and the new frame. The result is pixel for pixel what [`render_rgba`] draws for
/// `map` and `highlight`. Returns the pixel lines repainted, as sorted disjoint
/// `start..end` ranges: a step changes a handful of pages, so the page puts a few
/// lines on the canvas instead of the whole picture. A buffer of another size, or a
/// map of another extent, is drawn whole.
pub fn redraw_rgba(
    rgba: &mut [u8],
    before: (&PageMap, Option<(u64, u8)>),
    map: &PageMap,
    spans: &Spans,
    viewport: &Viewport,
    highlight: Option<(u64, u8)>,
) -> Vec<Range<u32>> {
    let width = viewport.width_px() as usize;
    let (old_map, old_highlight) = before;
    let changed = (rgba.len() == width * HEIGHT_PX as usize * 4)
        .then(|| changed_pfns(old_map, map))
        .flatten();
    let Some(mut changed) = changed else {
        let whole = render_rgba(map, spans, viewport, highlight);
        if rgba.len() == whole.len() {
            rgba.copy_from_slice(&whole);
        }
        let all_lines = 0..HEIGHT_PX;
        return Vec::from([all_lines]);
    };
    let cell = viewport.cell_px;
    if cell >= 4 {
        // A block's top edge reads the pages up to a largest block before it.
        let reach = (1u64 << (MAX_ORDER - 1)) - 1;
        for range in &mut changed {
            range.end = range.end.saturating_add(reach);
        }
    }
    let mut lines: Vec<Range<u32>> = Vec::new();
    for row in 0..viewport.rows_visible() {
        let Some(Row::Pages(row_pfn)) = viewport.row(viewport.scroll_row + row) else {
            continue;
        };
        let row_end = row_pfn.saturating_add(viewport.pages_per_row());
        if changed.iter().any(|r| r.start < row_end && row_pfn < r.end) {
            let y = row as u32 * cell;
            lines.push(y..y + cell);
        }
    }
    if old_highlight != highlight {
        for block in [old_highlight, highlight].into_iter().flatten() {
            if let Some(frame) = frame_rect(viewport, block) {
                lines.push(frame.lines());
            }
        }
    }
    let lines = merge_lines(lines);
    let drawn_px = (viewport.rows_visible() as u32).saturating_mul(cell);
    let mut painter = RowPainter::new(map, spans, viewport);
    let mut repainted = Vec::new();
    for range in &lines {
        // Whole rows: a row is painted at once.
        let first_row = range.start / cell;
        let end_row = range.end.div_ceil(cell).min(drawn_px.div_ceil(cell));
        for row in first_row..end_row {
            painter.draw_row(rgba, u64::from(row));
        }
        // Below the last row there is only background (and the frame).
        if range.end > drawn_px {
            fill_background(rgba, width, range.start.max(drawn_px)..range.end);
        }
        repainted.push((first_row * cell).min(range.start)..range.end.max(end_row * cell));
    }
    if let Some(block) = highlight {
        frame_block(rgba, width, viewport, block);
    }
    merge_lines(repainted)
}

/// The pfn ranges whose codes differ between two maps of one extent (a max-order
/// block at a time, narrowed to the first and last page that differ), or `None`
/// when the maps cover different pfns.
fn changed_pfns(a: &PageMap, b: &PageMap) -> Option<Vec<Range<u64>>> {
    if a.start_pfn != b.start_pfn || a.pages() != b.pages() {
        return None;
    }
    let chunk = 1u64 << (MAX_ORDER - 1);
    let (mut runs_a, mut runs_b) = (Vec::new(), Vec::new());
    let mut changed: Vec<Range<u64>> = Vec::new();
    let mut start = 0u64;
    while start < a.pages() {
        let end = (start + chunk).min(a.pages());
        collect_runs(a, start, end, &mut runs_a);
        collect_runs(b, start, end, &mut runs_b);
        if runs_a != runs_b {
            let (pa, pb) = (a.codes.copy_out(start, end), b.codes.copy_out(start, end));
            let first = pa.iter().zip(&pb).position(|(x, y)| x != y).unwrap_or(0) as u64;
            let last = pa.iter().zip(&pb).rposition(|(x, y)| x != y).unwrap_or(0) as u64;
            let pfns = a.start_pfn + start + first..a.start_pfn + start + last + 1;
            match changed.last_mut() {
                Some(prev) if prev.end == pfns.start => prev.end = pfns.end,
                _ => changed.push(pfns),
            }
        }
        start = end;
    }
    Some(changed)
}

/// The runs of `map`'s codes over map indexes `start..end`, neighbours of one code
/// joined, so two maps storing the same pages differently give the same runs.
fn collect_runs(map: &PageMap, start: u64, end: u64, runs: &mut Vec<(u8, u64)>) {
    runs.clear();
    map.codes
        .runs(start, end, |c, count| match runs.last_mut() {
            Some((last, n)) if *last == c => *n += count,
            _ => runs.push((c, count)),
        });
}

/// Sorted, joined pixel line ranges.
fn merge_lines(mut lines: Vec<Range<u32>>) -> Vec<Range<u32>> {
    crate::types::sort::sort_by_key(&mut lines, |r| r.start);
    let mut merged: Vec<Range<u32>> = Vec::new();
    for range in lines {
        match merged.last_mut() {
            Some(last) if range.start <= last.end => last.end = last.end.max(range.end),
            _ => merged.push(range),
        }
    }
    merged
}

fn fill_background(rgba: &mut [u8], width: usize, lines: Range<u32>) {
    let (from, to) = (
        lines.start as usize * width * 4,
        lines.end as usize * width * 4,
    );
    if let Some(target) = rgba.get_mut(from..to.min(rgba.len())) {
        fill_pixels(target, BACKGROUND_RGBA);
    }
}

/// Every whole pixel of `rgba` set to `px`.
fn fill_pixels(rgba: &mut [u8], px: [u8; 4]) {
    for out in rgba.chunks_exact_mut(4) {
        // An array's store, not a slice copy (at the engine's opt-level, a call).
        if let Ok(out) = <&mut [u8; 4]>::try_from(out) {
            *out = px;
        }
    }
}

/// Paints one picture row at a time: its pages (or its gap's hatching), its gutter
/// and, from 4-pixel cells, its blocks' outlines.
struct RowPainter<'a> {
    map: &'a PageMap,
    spans: &'a Spans,
    viewport: &'a Viewport,
    palette: [Rgb; 256],
}

impl<'a> RowPainter<'a> {
    fn new(map: &'a PageMap, spans: &'a Spans, viewport: &'a Viewport) -> RowPainter<'a> {
        RowPainter {
            map,
            spans,
            viewport,
            palette: palette(),
        }
    }

    /// Paints row `row` (counted from the top of the screen) over whatever was there.
    fn draw_row(&mut self, rgba: &mut [u8], row: u64) {
        let viewport = self.viewport;
        let width = viewport.width_px() as usize;
        let cell = viewport.cell_px as usize;
        let y0 = row as usize * cell;
        match viewport.row(viewport.scroll_row + row) {
            Some(Row::Pages(row_pfn)) => {
                // The row's first pixel line is painted in place, then copied to the
                // row's other lines.
                let row_bytes = width * 4;
                let at = y0 * row_bytes;
                if let Some(line) = rgba.get_mut(at..at + row_bytes) {
                    let (gutter, pages) = line.split_at_mut(GUTTER_PX as usize * 4);
                    fill_pixels(gutter, BACKGROUND_RGBA);
                    gutter_line(gutter, self.spans, row_pfn, viewport.pages_per_row());
                    // Each run of cells of one colour, as one fill of pixels.
                    let mut painted = 0usize;
                    row_cells(
                        self.map,
                        &self.palette,
                        row_pfn,
                        viewport.pages_per_cell,
                        viewport.columns,
                        |rgb, count| {
                            let bytes = (count as usize).saturating_mul(cell * 4);
                            let end = painted.saturating_add(bytes).min(pages.len());
                            fill_pixels(&mut pages[painted..end], [rgb[0], rgb[1], rgb[2], 0xff]);
                            painted = end;
                        },
                    );
                    // Past the cells (a row has one a column), the background.
                    fill_pixels(&mut pages[painted..], BACKGROUND_RGBA);
                    let (above, below) = rgba.split_at_mut(at + row_bytes);
                    let line = &above[at..];
                    for copy in below.chunks_exact_mut(row_bytes).take(cell - 1) {
                        copy.copy_from_slice(line);
                    }
                }
                if cell >= 4 {
                    outline_row(rgba, width, self.map, viewport, row, row_pfn);
                }
            }
            Some(Row::Gap(_)) => {
                fill_background(rgba, width, y0 as u32..(y0 + cell) as u32);
                hatch_rows(rgba, width, y0, cell);
            }
            None => fill_background(rgba, width, y0 as u32..(y0 + cell) as u32),
        }
    }
}

/// The colours of a row's `columns` cells of `per_cell` pages from `row_pfn`, each
/// [`mean_rgb`] of its pages, in order, given to `paint` as runs of `(colour, cells)`:
/// the cells inside the map read from one pass over the row's runs of pages (a
/// max-order block of one code is one run, so a row of whole free blocks costs a few
/// runs, not a look-up a cell), the others cell by cell.
fn row_cells(
    map: &PageMap,
    palette: &[Rgb; 256],
    row_pfn: u64,
    per_cell: u64,
    columns: u64,
    mut paint: impl FnMut(Rgb, u64),
) {
    let cell_first = |column: u64| row_pfn.saturating_add(column.saturating_mul(per_cell));
    // Columns whose pages all lie inside the map.
    let inside_from = if row_pfn >= map.start_pfn {
        0
    } else {
        (map.start_pfn - row_pfn).div_ceil(per_cell)
    }
    .min(columns);
    let inside_to = (map.end_pfn().saturating_sub(row_pfn) / per_cell).clamp(inside_from, columns);
    for column in 0..inside_from {
        paint(mean_rgb(map, palette, cell_first(column), per_cell), 1);
    }
    if inside_from < inside_to && per_cell == 1 {
        // A page a cell: each run of pages a run of cells of its colour.
        let (start, end) = (cell_first(inside_from), cell_first(inside_to));
        map.codes
            .runs(start - map.start_pfn, end - map.start_pfn, |c, count| {
                paint(palette[usize::from(c)], count);
            });
    } else if inside_from < inside_to {
        let mut cell = CellMean::default();
        let (start, end) = (cell_first(inside_from), cell_first(inside_to));
        map.codes.runs(
            start - map.start_pfn,
            end - map.start_pfn,
            |c, mut count| {
                while count > 0 {
                    if cell.pages == 0 && count >= per_cell {
                        // Whole cells of one code.
                        let whole = count / per_cell;
                        paint(palette[usize::from(c)], whole);
                        count -= whole * per_cell;
                        continue;
                    }
                    let take = count.min(per_cell - cell.pages);
                    cell.add(palette, c, take);
                    count -= take;
                    if cell.pages == per_cell {
                        paint(cell.rgb(palette), 1);
                        cell = CellMean::default();
                    }
                }
            },
        );
    }
    for column in inside_to..columns {
        paint(mean_rgb(map, palette, cell_first(column), per_cell), 1);
    }
}

/// A cell's pages summed as [`mean_rgb`] sums them, a run at a time.
#[derive(Default)]
struct CellMean {
    first_code: u8,
    uniform: bool,
    sum: [u64; 3],
    pages: u64,
}

impl CellMean {
    fn add(&mut self, palette: &[Rgb; 256], c: u8, count: u64) {
        if self.pages == 0 {
            self.first_code = c;
            self.uniform = true;
        }
        self.uniform &= c & !code::HEAD == self.first_code & !code::HEAD;
        let rgb = palette[usize::from(c)];
        for (sum, channel) in self.sum.iter_mut().zip(rgb) {
            *sum += u64::from(channel) * count;
        }
        self.pages += count;
    }

    /// The cell's colour: every page inside the map, so none counts as a hole.
    fn rgb(&self, palette: &[Rgb; 256]) -> Rgb {
        if self.pages == 1 || self.uniform {
            return palette[usize::from(self.first_code)];
        }
        self.sum.map(|s| (s / self.pages) as u8)
    }
}

fn put(rgba: &mut [u8], index: usize, rgb: Rgb) {
    if let Some(Ok(px)) = rgba
        .get_mut(index * 4..index * 4 + 3)
        .map(<&mut [u8; 3]>::try_from)
    {
        *px = rgb;
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

/// The outlines of row `row`'s blocks (pages from `row_pfn`): a line where one block
/// ends and the next begins, and a top edge where a block starts in this row or the
/// row follows a gap.
fn outline_row(
    rgba: &mut [u8],
    width: usize,
    map: &PageMap,
    viewport: &Viewport,
    row: u64,
    row_pfn: u64,
) {
    let cell = viewport.cell_px as usize;
    let columns = viewport.columns;
    // The pfn after the previous row's last page: a row that does not start there
    // follows a gap, so its blocks get a top edge.
    let expected =
        row.checked_sub(1)
            .and_then(|above| match viewport.row(viewport.scroll_row + above) {
                Some(Row::Pages(above_pfn)) => Some(above_pfn + columns),
                _ => None,
            });
    let after_gap = expected != Some(row_pfn);
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

/// Where the frame of a block goes, in image pixels of the page area (the gutter
/// not counted): the block's cells `x0..x1` by `y0..y1`, the rows clamped to the
/// screen. `None` when the block is off screen.
#[derive(Clone, Copy, Debug)]
struct FrameRect {
    x0: i64,
    x1: i64,
    y0: i64,
    y1: i64,
}

impl FrameRect {
    /// The pixel lines the frame touches (it is drawn around the cells).
    fn lines(&self) -> Range<u32> {
        let height = i64::from(HEIGHT_PX);
        let clamp = |y: i64| y.clamp(0, height) as u32;
        clamp(self.y0 - 3)..clamp(self.y1 + 3)
    }
}

fn frame_rect(viewport: &Viewport, (pfn, order): (u64, u8)) -> Option<FrameRect> {
    let pages = 1u64 << order.min(MAX_ORDER - 1);
    if pfn + pages <= viewport.first_pfn() || pfn >= viewport.end_pfn() {
        return None;
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
    Some(FrameRect { x0, x1, y0, y1 })
}

fn frame_block(rgba: &mut [u8], width: usize, viewport: &Viewport, block: (u64, u8)) {
    let Some(FrameRect { x0, x1, y0, y1 }) = frame_rect(viewport, block) else {
        return;
    };
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::view::{load, page_map, Layout};

    /// A row's cells read from one pass over its runs are each cell's own mean, the
    /// way the picture was drawn a cell at a time: at every zoom, over whole rows,
    /// rows the map ends in (true scale) and rows past it.
    #[test]
    fn a_row_read_run_by_run_gives_each_cells_own_mean() {
        let palette = palette();
        for entry in crate::scenario::library::ENTRIES.iter().take(8) {
            let loaded = load(&entry.scenario()).expect("every library entry loads");
            let state = loaded.session.state_at(loaded.cursor);
            let map = page_map(&state);
            for true_scale in [false, true] {
                let layout = Layout::new(&state, &map, true_scale);
                let fit = Viewport::fit_zoom(&layout);
                for zoom in [fit + 2, fit, fit - 1, 0, -3] {
                    let viewport = Viewport::new(zoom, 0, &layout);
                    let mut cells = Vec::new();
                    for row in 0..viewport.rows_total.min(600) {
                        let Some(Row::Pages(row_pfn)) = viewport.row(row) else {
                            continue;
                        };
                        let per_cell = viewport.pages_per_cell;
                        cells.clear();
                        row_cells(
                            &map,
                            &palette,
                            row_pfn,
                            per_cell,
                            viewport.columns,
                            |rgb, count| cells.extend(std::iter::repeat_n(rgb, count as usize)),
                        );
                        let expected: Vec<Rgb> = (0..viewport.columns)
                            .map(|c| mean_rgb(&map, &palette, row_pfn + c * per_cell, per_cell))
                            .collect();
                        assert!(
                            cells == expected,
                            "{} at zoom {zoom} (true scale {true_scale}), row {row}",
                            entry.name
                        );
                    }
                }
            }
        }
    }
}
