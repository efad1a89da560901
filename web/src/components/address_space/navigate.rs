//! Where the canvas looks: the zoom and scroll the user chose (view state, never the
//! model's) and how each button, key, drag or wheel turn changes them. Pure
//! functions of the engine's `Viewport`, tested natively.

use buddyscope_engine::view::{Layout, Viewport, HEIGHT_PX, ZOOM_MIN};

/// The zoom (`None`: fit the whole machine), the first row shown, and whether holes
/// are drawn at their size (off by default: they are collapsed to thin bands).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ViewState {
    pub zoom: Option<i32>,
    pub scroll_row: u64,
    pub true_scale: bool,
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
    /// The viewport of this view over `layout` (which must be this view's: true
    /// scale or not).
    pub fn viewport(self, layout: &Layout) -> Viewport {
        let zoom = self.zoom.unwrap_or_else(|| Viewport::fit_zoom(layout));
        Viewport::new(zoom, self.scroll_row, layout)
    }

    /// The view after `step`, from `viewport` (this view's, over `layout`).
    pub fn moved(self, viewport: &Viewport, layout: &Layout, step: Move) -> ViewState {
        let shown = |vp: Viewport| ViewState {
            zoom: Some(vp.zoom),
            scroll_row: vp.scroll_row,
            ..self
        };
        let scroll_to = |row: i64| ViewState {
            scroll_row: Viewport::new(viewport.zoom, row.max(0) as u64, layout).scroll_row,
            ..self
        };
        match step {
            Move::ZoomBy(delta) => {
                let middle = viewport.scroll_row + viewport.rows_visible() / 2;
                let centre = viewport.row_start_pfn(middle);
                let y_px = f64::from(HEIGHT_PX) / 2.0;
                shown(viewport.zoomed(viewport.zoom + delta, centre, y_px, layout))
            }
            Move::ZoomAbout { delta, pfn, y_px } => {
                shown(viewport.zoomed(viewport.zoom + delta, pfn, y_px, layout))
            }
            Move::ScrollBy(rows) => scroll_to(viewport.scroll_row as i64 + rows),
            Move::ScrollTo(row) => scroll_to(row),
            Move::Fit => ViewState {
                true_scale: self.true_scale,
                ..ViewState::default()
            },
            Move::ToBlock { pfn, order } => {
                let zoom = (i32::from(order) - 5)
                    .min(viewport.zoom - 2)
                    .clamp(ZOOM_MIN, 30);
                let y_px = f64::from(HEIGHT_PX) / 3.0;
                shown(viewport.zoomed(zoom, pfn, y_px, layout))
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

    /// The view with true scale switched on or off (`layout` is the new one): the
    /// same zoom with the pfn at the top of the screen kept there, or still the fit.
    pub fn with_true_scale(self, viewport: &Viewport, layout: &Layout, on: bool) -> ViewState {
        let switched = ViewState {
            true_scale: on,
            ..self
        };
        match self.zoom {
            None => ViewState {
                scroll_row: 0,
                ..switched
            },
            Some(zoom) => {
                let top = viewport.row_start_pfn(viewport.scroll_row);
                ViewState {
                    scroll_row: viewport.zoomed(zoom, top, 0.0, layout).scroll_row,
                    ..switched
                }
            }
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
    if viewport.zoom == 0 {
        "a page a pixel".to_string()
    } else if viewport.zoom > 0 {
        format!("{} pages a pixel", viewport.pages_per_cell)
    } else {
        format!("a page is {0}×{0} pixels", viewport.cell_px)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PAGES: u64 = 1 << 22;

    fn whole() -> Layout {
        Layout::true_scale(0, PAGES)
    }

    #[test]
    fn zooming_in_and_out_about_the_middle_comes_back() {
        let layout = whole();
        let fit = ViewState::default();
        let vp = fit.viewport(&layout);
        let closer = fit.moved(&vp, &layout, Move::ZoomBy(-1));
        assert_eq!(closer.zoom, Some(vp.zoom - 1));
        let back = closer.moved(&closer.viewport(&layout), &layout, Move::ZoomBy(1));
        assert_eq!(back.zoom, Some(vp.zoom));
    }

    #[test]
    fn scrolling_stays_on_the_map_and_keeps_the_zoom() {
        let layout = whole();
        let view = ViewState {
            zoom: Some(0),
            ..ViewState::default()
        };
        let vp = view.viewport(&layout);
        let up = view.moved(&vp, &layout, Move::ScrollBy(-5));
        assert_eq!(up, view);
        let far = view.moved(&vp, &layout, Move::ScrollTo(i64::MAX / 2));
        assert_eq!(far.zoom, Some(0));
        assert_eq!(far.scroll_row, vp.rows_total - u64::from(HEIGHT_PX));
        // Fit keeps following the machine: no zoom is remembered.
        assert_eq!(far.moved(&vp, &layout, Move::Fit), ViewState::default());
    }

    #[test]
    fn following_a_block_scrolls_only_when_it_is_off_screen() {
        let layout = whole();
        let view = ViewState {
            zoom: Some(0),
            ..ViewState::default()
        };
        let vp = view.viewport(&layout);
        assert_eq!(view.moved(&vp, &layout, Move::Follow(vp.first_pfn())), view);
        let far = view.moved(&vp, &layout, Move::Follow(PAGES - 1));
        assert!(far.viewport(&layout).end_pfn() >= PAGES);
    }

    #[test]
    fn switching_true_scale_keeps_the_top_page_and_fit_stays_fit() {
        // Memory at 0-0x1000 and 0x10000-0x11000: a hole of 0xf000 pages between.
        let mut collapsed = Layout::true_scale(0, 0x11000);
        collapsed.memory = Some(vec![
            buddyscope_engine::types::PfnRange {
                start: 0,
                end: 0x1000,
            },
            buddyscope_engine::types::PfnRange {
                start: 0x10000,
                end: 0x11000,
            },
        ]);
        let true_scale = Layout::true_scale(0, 0x11000);
        let view = ViewState {
            zoom: Some(-5),
            ..ViewState::default()
        };
        let vp = view.viewport(&collapsed);
        let below_gap = vp.row_of(0x10000);
        let view = view.moved(&vp, &collapsed, Move::ScrollTo(below_gap as i64));
        let vp = view.viewport(&collapsed);
        assert_eq!(vp.first_pfn(), 0x10000);
        let switched = view.with_true_scale(&vp, &true_scale, true);
        assert!(switched.true_scale);
        assert_eq!(switched.viewport(&true_scale).first_pfn(), 0x10000);
        // The collapsed picture needs fewer rows.
        assert!(vp.rows_total < switched.viewport(&true_scale).rows_total);
        let fit = ViewState::default().with_true_scale(&vp, &true_scale, true);
        assert_eq!((fit.zoom, fit.scroll_row, fit.true_scale), (None, 0, true));
        // Fit keeps the switch.
        assert!(fit.moved(&vp, &true_scale, Move::Fit).true_scale);
    }

    #[test]
    fn canvas_keys() {
        assert_eq!(canvas_key("+", false, 40), Some(Move::ZoomBy(-1)));
        assert_eq!(canvas_key("ArrowUp", true, 40), Some(Move::ScrollBy(-8)));
        assert_eq!(canvas_key("PageDown", false, 40), Some(Move::ScrollBy(40)));
        assert_eq!(canvas_key("x", false, 40), None);
    }
}
