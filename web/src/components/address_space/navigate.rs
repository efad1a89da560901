//! Where the canvas looks: the zoom and scroll the user chose (view state, never the
//! model's) and how each button, key, drag or wheel turn changes them. Pure
//! functions of the engine's `Viewport`, tested natively.

use buddyscope_engine::view::{Viewport, HEIGHT_PX, ZOOM_MIN};

/// The zoom (`None`: fit the whole machine) and the first row shown.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ViewState {
    pub zoom: Option<i32>,
    pub scroll_row: u64,
}

/// A change of view asked for by a button, a key or the pointer.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Move {
    /// Zoom by `delta` steps (negative: closer) about the middle of the screen.
    ZoomBy(i32),
    /// Zoom by `delta` steps keeping `pfn` at screen height `y_px` (the wheel).
    ZoomAbout { delta: i32, pfn: u64, y_px: f64 },
    /// Scroll by rows from the current row.
    ScrollBy(i64),
    /// Scroll to a row (clamped to the map).
    ScrollTo(i64),
    /// Back to the whole machine.
    Fit,
    /// Close in on a buddy block (first pfn, order) so it is several cells wide.
    ToBlock { pfn: u64, order: u8 },
    /// Bring `pfn` on screen if it is off it, a third of the way down.
    Follow(u64),
}

impl ViewState {
    /// The viewport of this view over a map of `map_pages` pages.
    pub fn viewport(self, map_pages: u64) -> Viewport {
        let zoom = self.zoom.unwrap_or_else(|| Viewport::fit_zoom(map_pages));
        Viewport::at(zoom, self.scroll_row, 0, map_pages)
    }

    /// The view after `step`, from `viewport` (this view's) over `map_pages` pages.
    pub fn moved(self, viewport: Viewport, map_pages: u64, step: Move) -> ViewState {
        let shown = |vp: Viewport| ViewState {
            zoom: Some(vp.zoom),
            scroll_row: vp.scroll_row,
        };
        let scroll_to = |row: i64| ViewState {
            scroll_row: Viewport::at(viewport.zoom, row.max(0) as u64, 0, map_pages).scroll_row,
            ..self
        };
        match step {
            Move::ZoomBy(delta) => {
                let centre =
                    viewport.first_pfn() + viewport.rows_visible() / 2 * viewport.pages_per_row();
                let y_px = f64::from(HEIGHT_PX) / 2.0;
                shown(viewport.zoomed(viewport.zoom + delta, centre, y_px, 0, map_pages))
            }
            Move::ZoomAbout { delta, pfn, y_px } => {
                shown(viewport.zoomed(viewport.zoom + delta, pfn, y_px, 0, map_pages))
            }
            Move::ScrollBy(rows) => scroll_to(viewport.scroll_row as i64 + rows),
            Move::ScrollTo(row) => scroll_to(row),
            Move::Fit => ViewState::default(),
            Move::ToBlock { pfn, order } => {
                let zoom = (i32::from(order) - 5)
                    .min(viewport.zoom - 2)
                    .clamp(ZOOM_MIN, 30);
                let y_px = f64::from(HEIGHT_PX) / 3.0;
                shown(viewport.zoomed(zoom, pfn, y_px, 0, map_pages))
            }
            Move::Follow(pfn) if pfn < viewport.first_pfn() || pfn >= viewport.end_pfn() => {
                let row = viewport.row_of(pfn);
                ViewState {
                    scroll_row: row.saturating_sub(viewport.rows_visible() / 3),
                    ..self
                }
            }
            Move::Follow(_) => self,
        }
    }
}

/// What a key pressed on the canvas does: + and - zoom, 0 fits, the arrows scroll a
/// row (Shift: eight), Page Up and Page Down a screen of `page_rows`.
pub fn canvas_key(key: &str, shift: bool, page_rows: i64) -> Option<Move> {
    let rows = if shift { 8 } else { 1 };
    Some(match key {
        "+" | "=" => Move::ZoomBy(-1),
        "-" | "_" => Move::ZoomBy(1),
        "0" => Move::Fit,
        "ArrowUp" => Move::ScrollBy(-rows),
        "ArrowDown" => Move::ScrollBy(rows),
        "PageUp" => Move::ScrollBy(-page_rows),
        "PageDown" => Move::ScrollBy(page_rows),
        _ => return None,
    })
}

/// How big a page or a pixel is at this zoom, in words.
pub fn scale_text(viewport: &Viewport) -> String {
    if viewport.zoom >= 0 {
        format!("{} pages a pixel", viewport.pages_per_cell)
    } else {
        format!("a page is {0}×{0} pixels", viewport.cell_px)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PAGES: u64 = 1 << 22;

    #[test]
    fn zooming_in_and_out_about_the_middle_comes_back() {
        let fit = ViewState::default();
        let vp = fit.viewport(PAGES);
        let closer = fit.moved(vp, PAGES, Move::ZoomBy(-1));
        assert_eq!(closer.zoom, Some(vp.zoom - 1));
        let back = closer.moved(closer.viewport(PAGES), PAGES, Move::ZoomBy(1));
        assert_eq!(back.zoom, Some(vp.zoom));
    }

    #[test]
    fn scrolling_stays_on_the_map_and_keeps_the_zoom() {
        let view = ViewState {
            zoom: Some(0),
            scroll_row: 0,
        };
        let vp = view.viewport(PAGES);
        let up = view.moved(vp, PAGES, Move::ScrollBy(-5));
        assert_eq!(up, view);
        let far = view.moved(vp, PAGES, Move::ScrollTo(i64::MAX / 2));
        assert_eq!(far.zoom, Some(0));
        assert_eq!(far.scroll_row, vp.rows_total - u64::from(HEIGHT_PX));
        // Fit keeps following the machine: no zoom is remembered.
        assert_eq!(far.moved(vp, PAGES, Move::Fit), ViewState::default());
    }

    #[test]
    fn following_a_block_scrolls_only_when_it_is_off_screen() {
        let view = ViewState {
            zoom: Some(0),
            scroll_row: 0,
        };
        let vp = view.viewport(PAGES);
        assert_eq!(view.moved(vp, PAGES, Move::Follow(vp.first_pfn())), view);
        let far = view.moved(vp, PAGES, Move::Follow(PAGES - 1));
        assert!(far.viewport(PAGES).end_pfn() >= PAGES);
    }

    #[test]
    fn canvas_keys() {
        assert_eq!(canvas_key("+", false, 40), Some(Move::ZoomBy(-1)));
        assert_eq!(canvas_key("ArrowUp", true, 40), Some(Move::ScrollBy(-8)));
        assert_eq!(canvas_key("PageDown", false, 40), Some(Move::ScrollBy(40)));
        assert_eq!(canvas_key("x", false, 40), None);
    }
}
