//! Which pages the canvas shows and how big: the zoom, the scroll position and the
//! pixel geometry of the address-space picture, and the pfn under a pixel.
//!
//! The picture is rows of pages, each row `pages_per_row` pages from a pfn that is a
//! multiple of `pages_per_row`, as the whole address space would be laid out at true
//! scale. A [`Layout`] that draws only memory takes out the runs of whole rows with no
//! memory and puts a thin [`Band::Gap`] in their place, so the mapping from a pfn to
//! a row is piecewise: [`Viewport::bands`] holds the pieces, and every conversion
//! (pixel to pfn, pfn to row, the rows on screen) goes through them.

use serde::Serialize;

use super::layout::{Gap, Layout};

/// Canvas width given to pages, in pixels (a power of two, so rows hold whole
/// aligned blocks).
pub const PAGES_WIDTH_PX: u32 = 1024;
/// Canvas height, in pixels.
pub const HEIGHT_PX: u32 = 512;
/// Left gutter: node, zone and section bars, in pixels.
pub const GUTTER_PX: u32 = 24;
/// The finest zoom: a page is 32x32 pixels.
pub const ZOOM_MIN: i32 = -5;
/// The least height of a collapsed gap's band, in pixels: room for its label.
pub const GAP_PX: u32 = 24;

/// A run of the picture's rows.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub enum Band {
    /// Rows of pages, the first from `first_pfn` (a multiple of the pages in a row),
    /// each row the next `pages_per_row` pfns.
    Pages { first_pfn: u64 },
    /// A collapsed stretch of no memory: the rows of pfns `hidden_pfns` (whole
    /// rows) are not drawn; `gap` is what the pfns between the memory on either side
    /// are.
    Gap { gap: Gap, hidden_pfns: (u64, u64) },
}

/// Which pages the canvas shows and how big. Each cell is `pages_per_cell` pages
/// drawn as a `cell_px` square, `columns` cells a row; `zoom` is log2 of pages per
/// pixel column: 0 is a page a pixel, -5 a page per 32x32 pixels, 3 eight pages a
/// pixel. `bands` are the picture's rows from the top, each with its first row.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Viewport {
    pub zoom: i32,
    /// The first row shown.
    pub scroll_row: u64,
    pub rows_total: u64,
    pub columns: u64,
    pub pages_per_cell: u64,
    pub cell_px: u32,
    /// `(first row, band)`, in row and pfn order.
    pub bands: Vec<(u64, Band)>,
    /// The pfns before the first row and after the last that the picture leaves
    /// out (no memory there), if any.
    pub before: Option<Gap>,
    pub after: Option<Gap>,
}

/// Where a picture row is: the pfns it stands for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Row {
    /// A row of pages from this pfn.
    Pages(u64),
    /// A row of a gap's band (index into [`Viewport::bands`]).
    Gap(usize),
}

impl Viewport {
    /// The zoom at which the whole layout fits the canvas.
    pub fn fit_zoom(layout: &Layout) -> i32 {
        let mut zoom = ZOOM_MIN;
        while zoom < 30
            && Viewport::new(zoom, 0, layout).rows_total > Viewport::rows_visible_at(zoom)
        {
            zoom += 1;
        }
        zoom
    }

    fn rows_visible_at(zoom: i32) -> u64 {
        let cell_px = if zoom < 0 { 1u64 << -zoom } else { 1 };
        u64::from(HEIGHT_PX) / cell_px
    }

    /// The true-scale viewport of `map_pages` pages from `start_pfn` (see [`Viewport::new`]).
    pub fn at(zoom: i32, scroll_row: u64, start_pfn: u64, map_pages: u64) -> Viewport {
        let layout = Layout::true_scale(start_pfn, start_pfn.saturating_add(map_pages));
        Viewport::new(zoom, scroll_row, &layout)
    }

    /// The viewport of `layout` at `zoom` (clamped to [`ZOOM_MIN`]..=30) scrolled to
    /// `scroll_row` (clamped so the last row stays on screen where possible).
    pub fn new(zoom: i32, scroll_row: u64, layout: &Layout) -> Viewport {
        let zoom = zoom.clamp(ZOOM_MIN, 30);
        let (pages_per_cell, cell_px) = if zoom < 0 {
            (1u64, 1u32 << -zoom)
        } else {
            (1u64 << zoom, 1u32)
        };
        let columns = u64::from(PAGES_WIDTH_PX / cell_px);
        let per_row = columns * pages_per_cell;
        let gap_rows = u64::from(GAP_PX.div_ceil(cell_px));
        let drawn = layout.drawn();
        // Each drawn range as whole rows, in row numbers of the true-scale picture;
        // neighbours closer than a gap's band are drawn as they are.
        let mut spans: Vec<(u64, u64, u64, u64)> = Vec::new(); // rows and pfns
        for range in &drawn {
            let (a, b) = (range.start / per_row, range.end.div_ceil(per_row));
            match spans.last_mut() {
                Some(last) if a <= last.1 + gap_rows => {
                    last.1 = last.1.max(b);
                    last.3 = range.end;
                }
                _ => spans.push((a, b.max(a + 1), range.start, range.end)),
            }
        }
        let mut bands = Vec::new();
        let mut row = 0u64;
        for (i, &(a, b, start, _)) in spans.iter().enumerate() {
            if let Some(&(_, before_b, _, before_end)) = i.checked_sub(1).and_then(|j| spans.get(j))
            {
                bands.push((
                    row,
                    Band::Gap {
                        gap: layout.gap(before_end, start),
                        hidden_pfns: (before_b * per_row, a * per_row),
                    },
                ));
                row += gap_rows;
            }
            bands.push((
                row,
                Band::Pages {
                    first_pfn: a * per_row,
                },
            ));
            row += b - a;
        }
        let rows_total = row.max(1);
        // Whole rows before the first span or after the last are left out, not banded:
        // a band there would mark no discontinuity, only take rows from the pages.
        let before = spans
            .first()
            .filter(|s| s.0 > layout.start_pfn / per_row)
            .map(|s| layout.gap(layout.start_pfn, s.2));
        let after = spans
            .last()
            .filter(|s| s.1 < layout.end_pfn.div_ceil(per_row))
            .map(|s| layout.gap(s.3, layout.end_pfn));
        let visible = u64::from(HEIGHT_PX / cell_px);
        Viewport {
            zoom,
            scroll_row: scroll_row.min(rows_total.saturating_sub(visible)),
            rows_total,
            columns,
            pages_per_cell,
            cell_px,
            bands,
            before,
            after,
        }
    }

    /// Pages in one row.
    pub fn pages_per_row(&self) -> u64 {
        self.columns * self.pages_per_cell
    }

    /// Rows on screen.
    pub fn rows_visible(&self) -> u64 {
        (u64::from(HEIGHT_PX / self.cell_px))
            .min(self.rows_total - self.scroll_row.min(self.rows_total))
    }

    /// What picture row `row` (counted from the top of the picture) shows.
    pub fn row(&self, row: u64) -> Option<Row> {
        let index = self
            .bands
            .partition_point(|(first, _)| *first <= row)
            .checked_sub(1)?;
        let (first, band) = self.bands.get(index)?;
        let next = self
            .bands
            .get(index + 1)
            .map_or(self.rows_total, |(f, _)| *f);
        if row >= next {
            return None;
        }
        Some(match band {
            Band::Pages { first_pfn } => {
                Row::Pages(first_pfn + (row - first) * self.pages_per_row())
            }
            Band::Gap { .. } => Row::Gap(index),
        })
    }

    /// The pfns picture row `row` stands for: its pages, or the rows a gap hides.
    fn row_pfns(&self, row: u64) -> (u64, u64) {
        match self.row(row) {
            Some(Row::Pages(pfn)) => (pfn, pfn + self.pages_per_row()),
            Some(Row::Gap(index)) => match self.bands.get(index) {
                Some((_, Band::Gap { hidden_pfns, .. })) => *hidden_pfns,
                _ => (0, 0),
            },
            None => (0, 0),
        }
    }

    /// The first pfn picture row `row` stands for: its first page, or the first pfn
    /// a gap's band hides.
    pub fn row_start_pfn(&self, row: u64) -> u64 {
        self.row_pfns(row).0
    }

    /// The first pfn on screen.
    pub fn first_pfn(&self) -> u64 {
        self.row_pfns(self.scroll_row).0
    }

    /// One past the last pfn on screen.
    pub fn end_pfn(&self) -> u64 {
        let last = self.scroll_row + self.rows_visible().max(1) - 1;
        self.row_pfns(last).1
    }

    /// Image width in pixels (gutter included).
    pub fn width_px(&self) -> u32 {
        GUTTER_PX + PAGES_WIDTH_PX
    }

    /// The pfn under image pixel `(x, y)` (the first of its cell), if it is a page cell.
    pub fn pfn_at(&self, x: f64, y: f64) -> Option<u64> {
        let x = x - f64::from(GUTTER_PX);
        if x < 0.0 || y < 0.0 {
            return None;
        }
        let column = (x / f64::from(self.cell_px)) as u64;
        let row = (y / f64::from(self.cell_px)) as u64;
        if column >= self.columns || row >= self.rows_visible() {
            return None;
        }
        match self.row(self.scroll_row + row)? {
            Row::Pages(pfn) => Some(pfn + column * self.pages_per_cell),
            Row::Gap(_) => None,
        }
    }

    /// The gap under image pixel row `y`, if it is a gap's band.
    pub fn gap_at(&self, y: f64) -> Option<&Gap> {
        if y < 0.0 {
            return None;
        }
        let row = (y / f64::from(self.cell_px)) as u64;
        if row >= self.rows_visible() {
            return None;
        }
        match self.row(self.scroll_row + row)? {
            Row::Gap(index) => match self.bands.get(index) {
                Some((_, Band::Gap { gap, .. })) => Some(gap),
                _ => None,
            },
            Row::Pages(_) => None,
        }
    }

    /// The picture row (from the top) holding `pfn`: its page row, the first row of
    /// the gap hiding it, or the first or last row for a pfn before or after them.
    pub fn row_of(&self, pfn: u64) -> u64 {
        let per_row = self.pages_per_row();
        let mut found = 0;
        for (index, (first, band)) in self.bands.iter().enumerate() {
            let next = self
                .bands
                .get(index + 1)
                .map_or(self.rows_total, |(f, _)| *f);
            let (start, end) = match band {
                Band::Pages { first_pfn } => (*first_pfn, first_pfn + (next - first) * per_row),
                Band::Gap { hidden_pfns, .. } => *hidden_pfns,
            };
            if pfn < start {
                break;
            }
            found = match band {
                Band::Pages { .. } if pfn < end => first + (pfn - start) / per_row,
                Band::Gap { .. } if pfn < end => *first,
                _ => next.saturating_sub(1),
            };
        }
        found
    }

    /// The collapsed gaps on screen: each one's label, top and height in image pixels.
    pub fn gaps_on_screen(&self) -> Vec<(u32, u32, &Gap)> {
        let (top, bottom) = (self.scroll_row, self.scroll_row + self.rows_visible());
        let cell = u64::from(self.cell_px);
        self.bands
            .iter()
            .enumerate()
            .filter_map(|(index, (first, band))| {
                let Band::Gap { gap, .. } = band else {
                    return None;
                };
                let next = self
                    .bands
                    .get(index + 1)
                    .map_or(self.rows_total, |(f, _)| *f);
                let (from, to) = ((*first).max(top), next.min(bottom));
                (from < to).then(|| {
                    let y = ((from - top) * cell) as u32;
                    (y, ((to - from) * cell) as u32, gap)
                })
            })
            .collect()
    }

    /// The viewport at another zoom, keeping `pfn` at screen height `screen_y_px`.
    pub fn zoomed(&self, zoom: i32, pfn: u64, screen_y_px: f64, layout: &Layout) -> Viewport {
        let probe = Viewport::new(zoom, 0, layout);
        let row = probe.row_of(pfn);
        let screen_row = (screen_y_px.max(0.0) / f64::from(probe.cell_px)) as u64;
        Viewport::new(zoom, row.saturating_sub(screen_row), layout)
    }
}

// Tests index pixel buffers and lists they built and checked the size of.
#[cfg(test)]
#[allow(clippy::indexing_slicing)]
mod tests {
    use super::*;
    use crate::scenario::library;
    use crate::view::{load_text, page_map, render_rgba, spans, Layout, PageMap};

    /// The state a scenario text opens at, its map, and both layouts.
    fn opened(text: &str) -> (crate::alloc::Allocator, PageMap, Layout, Layout) {
        let (_, loaded) = load_text(text).unwrap();
        let allocator = loaded.session.state_at(loaded.cursor);
        let map = page_map(&allocator);
        let collapsed = Layout::new(&allocator, &map, false);
        let true_scale = Layout::new(&allocator, &map, true);
        ((*allocator).clone(), map, collapsed, true_scale)
    }

    fn lesson(name: &str) -> &'static str {
        library::get(name).unwrap().text
    }

    /// Every memory pfn maps to a row and back: the row shows it, and the pixel of its
    /// cell on a screen scrolled to that row names the pfn (its cell's first).
    fn assert_round_trip(viewport: &Viewport, layout: &Layout) {
        let per_row = viewport.pages_per_row();
        for range in layout.drawn() {
            let step = (range.end - range.start).div_ceil(4096).max(1);
            for pfn in (range.start..range.end).step_by(step as usize) {
                let row = viewport.row_of(pfn);
                let Some(Row::Pages(row_pfn)) = viewport.row(row) else {
                    panic!("pfn {pfn:#x} maps to row {row}, not a row of pages");
                };
                assert!(
                    row_pfn <= pfn && pfn < row_pfn + per_row,
                    "pfn {pfn:#x} row {row}"
                );
                let there = Viewport::new(viewport.zoom, row, layout);
                let y = (row - there.scroll_row) as f64 * f64::from(there.cell_px);
                let x = f64::from(GUTTER_PX)
                    + ((pfn - row_pfn) / there.pages_per_cell) as f64 * f64::from(there.cell_px);
                let cell_first = pfn - pfn % there.pages_per_cell;
                assert_eq!(
                    there.pfn_at(x + 0.5, y + 0.5),
                    Some(cell_first),
                    "pfn {pfn:#x}"
                );
            }
        }
    }

    #[test]
    fn a_pfn_maps_to_a_position_and_back_at_every_zoom() {
        for name in [
            "split-merge",
            "pcp-batching",
            "memory-hotplug",
            "numa-order",
        ] {
            let (_, _, collapsed, true_scale) = opened(lesson(name));
            for zoom in ZOOM_MIN..=6 {
                assert_round_trip(&Viewport::new(zoom, 0, &collapsed), &collapsed);
                assert_round_trip(&Viewport::new(zoom, 0, &true_scale), &true_scale);
            }
        }
    }

    #[test]
    fn the_hole_below_the_first_memory_is_not_drawn_and_is_named() {
        // split-merge: memory from pfn 0x1000 (16 MiB) to 0x2000, nothing below.
        let (_, map, collapsed, true_scale) = opened(lesson("split-merge"));
        assert_eq!(map.start_pfn, 0);
        let fit = Viewport::new(Viewport::fit_zoom(&collapsed), 0, &collapsed);
        assert_eq!(fit.first_pfn(), 0x1000, "the picture starts at the memory");
        assert_eq!(fit.bands, vec![(0, Band::Pages { first_pfn: 0x1000 })]);
        let before = fit.before.as_ref().unwrap();
        assert_eq!(before.label(), "hole, pfn 0x0–0xfff (16 MiB)");
        assert_eq!(fit.after, None);
        // True scale: the same zoom, twice the rows, half of them hole.
        let whole = Viewport::new(fit.zoom, 0, &true_scale);
        assert_eq!(whole.rows_total, 2 * fit.rows_total);
        assert_eq!((whole.before.clone(), whole.first_pfn()), (None, 0));
        // pcp-batching: without the hole's rows, the finer zoom fits.
        let (_, _, collapsed, true_scale) = opened(lesson("pcp-batching"));
        assert_eq!(Viewport::fit_zoom(&true_scale), -1);
        assert_eq!(Viewport::fit_zoom(&collapsed), -2);
    }

    #[test]
    fn a_gap_band_sits_where_the_hole_is() {
        // Two ranges with 240 MiB of no memory between them.
        let text = "version = 1\n[[machine.nodes]]\nmemory = [\"0x0-0xffffff\", \"0x10000000-0x10ffffff\"]\ncpus = \"0\"\n";
        let (_, _, collapsed, _) = opened(text);
        let fit = Viewport::new(Viewport::fit_zoom(&collapsed), 0, &collapsed);
        let per_row = fit.pages_per_row();
        let gap_rows = u64::from(GAP_PX.div_ceil(fit.cell_px));
        let upper_rows = 0x1000u64.div_ceil(per_row);
        assert_eq!(
            fit.bands,
            vec![
                (0, Band::Pages { first_pfn: 0 }),
                (
                    upper_rows,
                    Band::Gap {
                        gap: collapsed.gap(0x1000, 0x10000),
                        hidden_pfns: (0x1000, 0x10000)
                    }
                ),
                (upper_rows + gap_rows, Band::Pages { first_pfn: 0x10000 }),
            ]
        );
        assert_eq!(fit.rows_total, 2 * upper_rows + gap_rows);
        // The band's pixels are hatched, and its label names the hole.
        let gaps = fit.gaps_on_screen();
        assert_eq!(gaps.len(), 1);
        let (y, height, gap) = gaps[0];
        assert_eq!(
            (y, height),
            (
                (upper_rows * u64::from(fit.cell_px)) as u32,
                gap_rows as u32 * fit.cell_px
            )
        );
        assert_eq!(gap.label(), "hole, pfn 0x1000–0xffff (240 MiB)");
        assert_eq!(
            fit.pfn_at(f64::from(GUTTER_PX) + 1.0, f64::from(y) + 1.0),
            None
        );
        assert_eq!(fit.gap_at(f64::from(y) + 1.0), Some(gap));
        // The first page after the gap is the range's first.
        let after = f64::from(y + height);
        assert_eq!(fit.pfn_at(f64::from(GUTTER_PX), after), Some(0x10000));
        // A pfn inside the hole maps to the band's row.
        assert_eq!(fit.row_of(0x8000), upper_rows);
    }

    #[test]
    fn a_machine_without_holes_is_drawn_the_same_either_way() {
        let text = "version = 1\n[[machine.nodes]]\nmemory = [\"0x0-0x3fffffff\"]\ncpus = \"0\"\n";
        let (allocator, map, collapsed, true_scale) = opened(text);
        assert_eq!(collapsed.memory.as_deref().map(<[_]>::len), Some(1));
        for zoom in ZOOM_MIN..=8 {
            for scroll in [0, 7, 1 << 20] {
                let a = Viewport::new(zoom, scroll, &collapsed);
                let b = Viewport::new(zoom, scroll, &true_scale);
                assert_eq!(a, b, "zoom {zoom}");
            }
        }
        let fit = Viewport::new(Viewport::fit_zoom(&collapsed), 0, &collapsed);
        let fit_true = Viewport::at(Viewport::fit_zoom(&true_scale), 0, 0, map.pages());
        let spans = spans(&allocator);
        assert_eq!(
            render_rgba(&map, &spans, &fit, None),
            render_rgba(&map, &spans, &fit_true, None)
        );
    }

    #[test]
    fn sections_offlined_by_hotplug_collapse() {
        // memory-hotplug's machine: node 1 is sections 4 and 5 (128 MiB each,
        // pfns 0x20000-0x2ffff); offline both, then online 5 again.
        let machine = lesson("memory-hotplug").split("[workload]").next().unwrap();
        let run = |script: &str| opened(&format!("{machine}[workload]\nscript = \"{script}\"\n"));
        let (allocator, _, layout, _) = run("offline section=4\\noffline section=5\\n");
        assert_eq!(allocator.offline_sections(), [4, 5]);
        let node0 = crate::types::PfnRange {
            start: 0,
            end: 0x20000,
        };
        assert_eq!(layout.memory, Some(vec![node0]));
        let fit = Viewport::new(Viewport::fit_zoom(&layout), 0, &layout);
        assert_eq!(fit.end_pfn(), 0x20000);
        let after = fit.after.as_ref().unwrap();
        assert_eq!(
            after.label(),
            "offline sections 4–5, pfn 0x20000–0x2ffff (256 MiB)"
        );
        // Section 5 online again: drawn, with section 4 a band before it.
        let (allocator, _, layout, _) =
            run("offline section=4\\noffline section=5\\nonline section=5\\n");
        assert_eq!(allocator.offline_sections(), [4]);
        let fit = Viewport::new(Viewport::fit_zoom(&layout), 0, &layout);
        let labels: Vec<String> = fit.gaps_on_screen().iter().map(|g| g.2.label()).collect();
        assert_eq!(labels, ["offline section 4, pfn 0x20000–0x27fff (128 MiB)"]);
        assert_eq!(fit.after, None);
        assert_round_trip(&fit, &layout);
    }

    #[test]
    fn the_step_block_is_framed_below_a_gap() {
        let text = "version = 1\n[[machine.nodes]]\nmemory = [\"0x0-0xffffff\", \"0x10000000-0x10ffffff\"]\ncpus = \"0\"\n";
        let (allocator, map, collapsed, _) = opened(text);
        let fit = Viewport::new(-3, 0, &collapsed);
        // The order-3 block at 0x10000: its frame's top is just below the band.
        let rgba = render_rgba(&map, &spans(&allocator), &fit, Some((0x10000, 3)));
        let (y, height, _) = fit.gaps_on_screen()[0];
        let width = fit.width_px() as usize;
        let at = |x: u32, y: u32| {
            let i = (y as usize * width + x as usize) * 4;
            [rgba[i], rgba[i + 1], rgba[i + 2]]
        };
        let frame_y = y + height - 3;
        assert_eq!(at(GUTTER_PX + 8, frame_y), crate::view::HIGHLIGHT_RGB);
        // The band is hatched: stripes over the hole colour, across the whole row.
        let band: Vec<[u8; 3]> = (GUTTER_PX..fit.width_px()).map(|x| at(x, y + 1)).collect();
        assert!(band
            .iter()
            .all(|&c| c == crate::view::HOLE_RGB || c == crate::view::GAP_STRIPE_RGB));
        assert!(band.contains(&crate::view::GAP_STRIPE_RGB));
    }
}
