//! Which pages the canvas shows and how big: the zoom, the scroll position and the
//! pixel geometry of the address-space picture, and the pfn under a pixel.

use serde::Serialize;

/// Canvas width given to pages, in pixels (a power of two, so rows hold whole
/// aligned blocks).
pub const PAGES_WIDTH_PX: u32 = 1024;
/// Canvas height, in pixels.
pub const HEIGHT_PX: u32 = 512;
/// Left gutter: node, zone and section bars, in pixels.
pub const GUTTER_PX: u32 = 24;
/// The finest zoom: a page is 32x32 pixels.
pub const ZOOM_MIN: i32 = -5;

/// Which pages the canvas shows and how big. Pages are laid out in rows of
/// `columns` cells from `origin_pfn`; each cell is `pages_per_cell` pages drawn as a
/// `cell_px` square. `zoom` is log2 of pages per pixel column: 0 is a page a pixel,
/// -5 a page per 32x32 pixels, 3 eight pages a pixel.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Viewport {
    pub zoom: i32,
    pub origin_pfn: u64,
    /// The first row shown.
    pub scroll_row: u64,
    pub rows_total: u64,
    pub columns: u64,
    pub pages_per_cell: u64,
    pub cell_px: u32,
}

impl Viewport {
    /// The zoom at which the whole map fits the canvas.
    pub fn fit_zoom(map_pages: u64) -> i32 {
        let mut zoom = ZOOM_MIN;
        while zoom < 30
            && Viewport::at(zoom, 0, 0, map_pages).rows_total > Viewport::rows_visible_at(zoom)
        {
            zoom += 1;
        }
        zoom
    }

    fn rows_visible_at(zoom: i32) -> u64 {
        let cell_px = if zoom < 0 { 1u64 << -zoom } else { 1 };
        u64::from(HEIGHT_PX) / cell_px
    }

    /// The viewport at `zoom` (clamped to [`ZOOM_MIN`]..=30) scrolled to
    /// `scroll_row` (clamped so the last row stays on screen where possible).
    pub fn at(zoom: i32, scroll_row: u64, start_pfn: u64, map_pages: u64) -> Viewport {
        let zoom = zoom.clamp(ZOOM_MIN, 30);
        let (pages_per_cell, cell_px) = if zoom < 0 {
            (1u64, 1u32 << -zoom)
        } else {
            (1u64 << zoom, 1u32)
        };
        let columns = u64::from(PAGES_WIDTH_PX / cell_px);
        let pages_per_row = columns * pages_per_cell;
        let origin_pfn = start_pfn - start_pfn % pages_per_row;
        let end = start_pfn + map_pages;
        let rows_total = (end - origin_pfn).div_ceil(pages_per_row).max(1);
        let visible = u64::from(HEIGHT_PX / cell_px);
        let scroll_row = scroll_row.min(rows_total.saturating_sub(visible));
        Viewport {
            zoom,
            origin_pfn,
            scroll_row,
            rows_total,
            columns,
            pages_per_cell,
            cell_px,
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

    /// The first pfn on screen.
    pub fn first_pfn(&self) -> u64 {
        self.origin_pfn + self.scroll_row * self.pages_per_row()
    }

    /// One past the last pfn on screen.
    pub fn end_pfn(&self) -> u64 {
        self.first_pfn() + self.rows_visible() * self.pages_per_row()
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
        (column < self.columns && row < self.rows_visible())
            .then(|| self.first_pfn() + row * self.pages_per_row() + column * self.pages_per_cell)
    }

    /// The row (from the origin) holding `pfn`.
    pub fn row_of(&self, pfn: u64) -> u64 {
        pfn.saturating_sub(self.origin_pfn) / self.pages_per_row()
    }

    /// The viewport at another zoom, keeping `pfn` at screen row `screen_row`.
    pub fn zoomed(
        &self,
        zoom: i32,
        pfn: u64,
        screen_y_px: f64,
        start_pfn: u64,
        map_pages: u64,
    ) -> Viewport {
        let probe = Viewport::at(zoom, 0, start_pfn, map_pages);
        let row = probe.row_of(pfn);
        let screen_row = (screen_y_px.max(0.0) / f64::from(probe.cell_px)) as u64;
        Viewport::at(zoom, row.saturating_sub(screen_row), start_pfn, map_pages)
    }
}
