//! Where each page of the zone sits on the canvas.
//!
//! Pages are laid out in rows of `columns` pages, `columns` a power of two, with the
//! grid starting at the zone's first pfn rounded down to a row. Because buddy blocks
//! are naturally aligned, a block of up to `columns` pages lies inside one row and a
//! larger block covers whole rows, so every block is one rectangle.

use buddyscope_engine::{Order, Pfn};

/// The canvas geometry for a zone.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Layout {
    /// The pfn drawn at the top-left cell.
    pub origin_pfn: u64,
    /// Pages per row (a power of two).
    pub columns: u64,
    pub rows: u64,
    /// Side of one page's cell in canvas pixels.
    pub cell_px: u32,
}

/// A rectangle in canvas pixels.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Rect {
    pub x: f64,
    pub y: f64,
    pub width: f64,
    pub height: f64,
}

/// The widest the canvas is drawn, in pixels.
const TARGET_WIDTH_PX: u64 = 640;

impl Layout {
    /// A near-square grid for `pages` pages from `start_pfn`, at most about 640 pixels
    /// wide, with cells of 1 to 12 pixels.
    pub fn for_zone(start_pfn: Pfn, pages: u64) -> Layout {
        let mut columns = 64u64;
        while columns * columns < pages && columns < (1 << 16) {
            columns *= 2;
        }
        let origin_pfn = start_pfn.0 & !(columns - 1);
        let end = start_pfn.0 + pages;
        let rows = (end - origin_pfn).div_ceil(columns);
        let cell_px = (TARGET_WIDTH_PX / columns).clamp(1, 12) as u32;
        Layout {
            origin_pfn,
            columns,
            rows,
            cell_px,
        }
    }

    /// Canvas width in pixels.
    pub fn width_px(&self) -> u32 {
        (self.columns * u64::from(self.cell_px)) as u32
    }

    /// Canvas height in pixels.
    pub fn height_px(&self) -> u32 {
        (self.rows * u64::from(self.cell_px)) as u32
    }

    /// The rectangle a block covers.
    pub fn block_rect(&self, pfn: Pfn, order: Order) -> Rect {
        let cell = f64::from(self.cell_px);
        let offset = pfn.0.saturating_sub(self.origin_pfn);
        let row = offset / self.columns;
        let column = offset % self.columns;
        let pages = order.pages();
        if pages <= self.columns {
            Rect {
                x: column as f64 * cell,
                y: row as f64 * cell,
                width: pages as f64 * cell,
                height: cell,
            }
        } else {
            Rect {
                x: 0.0,
                y: row as f64 * cell,
                width: self.columns as f64 * cell,
                height: (pages / self.columns) as f64 * cell,
            }
        }
    }

    /// The pfn under canvas pixel `(x, y)`, if that cell is on the grid.
    pub fn pfn_at(&self, x: f64, y: f64) -> Option<Pfn> {
        if x < 0.0 || y < 0.0 {
            return None;
        }
        let cell = f64::from(self.cell_px);
        let column = (x / cell) as u64;
        let row = (y / cell) as u64;
        (column < self.columns && row < self.rows)
            .then(|| Pfn(self.origin_pfn + row * self.columns + column))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_zone_fits_one_row_of_64() {
        let layout = Layout::for_zone(Pfn(0x1000), 4000);
        assert_eq!((layout.columns, layout.rows, layout.cell_px), (64, 63, 10));
        assert_eq!((layout.width_px(), layout.height_px()), (640, 630));
    }

    #[test]
    fn large_blocks_cover_whole_rows() {
        let layout = Layout::for_zone(Pfn(0), 4096);
        let order10 = Order::new(10).unwrap();
        let rect = layout.block_rect(Pfn(1024), order10);
        assert_eq!(
            rect,
            Rect {
                x: 0.0,
                y: 160.0,
                width: 640.0,
                height: 160.0
            }
        );
    }

    #[test]
    fn small_blocks_sit_inside_a_row() {
        let layout = Layout::for_zone(Pfn(0), 4096);
        let rect = layout.block_rect(Pfn(68), Order::new(2).unwrap());
        assert_eq!(
            rect,
            Rect {
                x: 40.0,
                y: 10.0,
                width: 40.0,
                height: 10.0
            }
        );
    }

    #[test]
    fn pixel_to_pfn_round_trips() {
        let layout = Layout::for_zone(Pfn(0x1003), 5000);
        let rect = layout.block_rect(Pfn(0x1234), Order::ZERO);
        assert_eq!(layout.pfn_at(rect.x + 1.0, rect.y + 1.0), Some(Pfn(0x1234)));
        assert_eq!(layout.pfn_at(-1.0, 0.0), None);
        assert_eq!(layout.pfn_at(f64::from(layout.width_px()) + 1.0, 0.0), None);
    }

    #[test]
    fn big_zones_get_wider_rows_and_small_cells() {
        let layout = Layout::for_zone(Pfn(0), 1 << 20);
        assert_eq!(layout.columns, 1024);
        assert_eq!(layout.cell_px, 1);
    }
}
