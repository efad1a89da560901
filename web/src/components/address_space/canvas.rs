//! The canvas itself: draws the engine's pixels when the picture's inputs change,
//! and turns the pointer and keys into view changes (zoom, scroll, drag), the
//! hovered page and the clicked page, all sent up as callbacks.

use std::cell::RefCell;
use std::rc::Rc;

use buddyscope_engine::view::{
    self, page_info, Layout, PageInfo, PageMap, Spans, Viewport, GUTTER_PX, HEIGHT_PX,
};
use gloo_events::{EventListener, EventListenerOptions};
use wasm_bindgen::JsCast;
use web_sys::{HtmlCanvasElement, WheelEvent};
use yew::prelude::*;

use super::navigate::{canvas_key, scale_text, Move, ViewState};
use super::tooltip::{Hover, Under};
use crate::paint::{now_ms, put_rgba, put_rgba_lines};
use crate::state::{AtCursor, Shared};

#[derive(Properties, PartialEq)]
pub struct PageCanvasProps {
    pub at: Shared<AtCursor>,
    /// The block the current step touches: first pfn and order.
    pub highlight: Option<(u64, u8)>,
    pub view: ViewState,
    /// Which pfns the picture lays out (the view's true-scale switch applied).
    pub layout: Rc<Layout>,
    /// Pages in the whole map.
    pub pages: u64,
    pub on_view: Callback<ViewState>,
    pub on_hover: Callback<Option<Hover>>,
    /// A click (not a drag) on a page.
    pub on_pin: Callback<PageInfo>,
    /// How long a draw took, in milliseconds.
    pub on_draw_ms: Callback<f64>,
}

/// A drag in progress: where it started, and whether it has moved a row yet (a
/// drag that moved is not a click).
#[derive(Clone, Copy, Debug)]
struct Drag {
    start_y: i32,
    start_scroll: u64,
    moved: bool,
}

/// Canvas pixel coordinates of a mouse event.
fn canvas_xy(canvas: &HtmlCanvasElement, client_x: i32, client_y: i32) -> (f64, f64) {
    let rect = canvas.get_bounding_client_rect();
    let sx = f64::from(canvas.width()) / rect.width().max(1.0);
    let sy = f64::from(canvas.height()) / rect.height().max(1.0);
    (
        (f64::from(client_x) - rect.left()) * sx,
        (f64::from(client_y) - rect.top()) * sy,
    )
}

/// The picture on the canvas and what it was drawn from, so that a step (the same
/// viewport and gutter, another map) repaints only the lines it changed.
struct Drawn {
    map: PageMap,
    spans: Spans,
    viewport: Viewport,
    highlight: Option<(u64, u8)>,
    rgba: Vec<u8>,
}

/// Draws the address space whenever the picture's inputs change: whole after a zoom,
/// a scroll or a new machine, else only the lines the step changed
/// (`view::redraw_rgba`, the same pixels as a whole redraw).
#[hook]
fn use_draw(
    canvas_ref: &NodeRef,
    at: &Shared<AtCursor>,
    highlight: Option<(u64, u8)>,
    viewport: Viewport,
    on_draw_ms: &Callback<f64>,
) {
    let (canvas_ref, on_draw_ms) = (canvas_ref.clone(), on_draw_ms.clone());
    let drawn = use_mut_ref(|| None::<Drawn>);
    use_effect_with(
        (at.clone(), highlight, viewport.clone()),
        move |(at, highlight, viewport)| {
            if let Some(canvas) = canvas_ref.cast::<HtmlCanvasElement>() {
                let start = now_ms();
                let mut drawn = drawn.borrow_mut();
                let width = viewport.width_px();
                let step = drawn
                    .as_mut()
                    .filter(|d| d.viewport == *viewport && d.spans == at.spans);
                let put = match step {
                    Some(d) => {
                        let lines = view::redraw_rgba(
                            &mut d.rgba,
                            (&d.map, d.highlight),
                            &at.map,
                            &at.spans,
                            viewport,
                            *highlight,
                        );
                        d.map = at.map.clone();
                        d.highlight = *highlight;
                        put_rgba_lines(&canvas, &d.rgba, width, &lines)
                    }
                    None => {
                        let rgba = view::render_rgba(&at.map, &at.spans, viewport, *highlight);
                        let put = put_rgba(&canvas, &rgba, width);
                        *drawn = Some(Drawn {
                            map: at.map.clone(),
                            spans: at.spans.clone(),
                            viewport: viewport.clone(),
                            highlight: *highlight,
                            rgba,
                        });
                        put
                    }
                };
                // A canvas that refused the pixels is drawn whole next time.
                if !put {
                    *drawn = None;
                }
                let took = now_ms() - start;
                let _ = canvas.set_attribute("data-draw-ms", &format!("{took:.2}"));
                on_draw_ms.emit(took);
            }
        },
    );
}

/// The wheel zooms about the pointer. A native listener, because only a non-passive
/// one may stop the page from scrolling; it reads the view of the latest render
/// from `current`.
#[hook]
fn use_wheel_zoom(
    canvas_ref: &NodeRef,
    current: Rc<RefCell<(ViewState, Viewport, Rc<Layout>)>>,
    on_view: &Callback<ViewState>,
) {
    let (canvas_ref, on_view) = (canvas_ref.clone(), on_view.clone());
    use_effect_with((), move |_| {
        let listener = canvas_ref.cast::<HtmlCanvasElement>().map(|canvas| {
            let target = canvas.clone();
            EventListener::new_with_options(
                &target,
                "wheel",
                EventListenerOptions::enable_prevent_default(),
                move |event| {
                    let Some(event) = event.dyn_ref::<WheelEvent>() else {
                        return;
                    };
                    event.prevent_default();
                    let (state, vp, layout) = current.borrow().clone();
                    let (x, y_px) = canvas_xy(&canvas, event.client_x(), event.client_y());
                    // Over a gap's band, the pfns it hides.
                    let row = vp.scroll_row + (y_px.max(0.0) / f64::from(vp.cell_px)) as u64;
                    let pfn = vp.pfn_at(x, y_px).unwrap_or_else(|| vp.row_start_pfn(row));
                    let delta = if event.delta_y() < 0.0 { -1 } else { 1 };
                    let zoom = Move::ZoomAbout { delta, pfn, y_px };
                    on_view.emit(state.moved(&vp, &layout, zoom));
                },
            )
        });
        move || drop(listener)
    });
}

/// What the pointer handlers need from a render.
#[derive(Clone)]
struct Pointer {
    canvas_ref: NodeRef,
    drag: Rc<RefCell<Option<Drag>>>,
    at: Shared<AtCursor>,
    view: ViewState,
    viewport: Viewport,
    layout: Rc<Layout>,
}

impl Pointer {
    /// The page (or the collapsed gap) under the pointer, with the pointer's CSS
    /// position on the canvas.
    fn page_at(&self, canvas: &HtmlCanvasElement, event: &MouseEvent) -> Option<Hover> {
        let (x, y) = canvas_xy(canvas, event.client_x(), event.client_y());
        let what = match self.viewport.pfn_at(x, y) {
            Some(pfn) => Under::Page(page_info(&self.at.allocator, &self.at.map, pfn)),
            None if x >= f64::from(GUTTER_PX) => Under::Gap(self.viewport.gap_at(y)?.label()),
            None => return None,
        };
        let rect = canvas.get_bounding_client_rect();
        Some(Hover {
            what,
            x: f64::from(event.client_x()) - rect.left(),
            y: f64::from(event.client_y()) - rect.top(),
        })
    }

    fn press(&self) -> Callback<MouseEvent> {
        let (drag, start_scroll) = (self.drag.clone(), self.viewport.scroll_row);
        Callback::from(move |event: MouseEvent| {
            *drag.borrow_mut() = Some(Drag {
                start_y: event.client_y(),
                start_scroll,
                moved: false,
            });
        })
    }

    /// Rows a drag to `event` has moved, in canvas pixels turned into rows.
    fn drag_rows(&self, canvas: &HtmlCanvasElement, drag: Drag, event: &MouseEvent) -> i64 {
        let rect = canvas.get_bounding_client_rect();
        let scale = f64::from(canvas.height()) / rect.height().max(1.0);
        let dy = f64::from(event.client_y() - drag.start_y) * scale;
        (dy / f64::from(self.viewport.cell_px)) as i64
    }

    /// A move drags the view while the button is down, else hovers a page.
    fn hover(
        &self,
        on_view: Callback<ViewState>,
        on_hover: Callback<Option<Hover>>,
    ) -> Callback<MouseEvent> {
        let pointer = self.clone();
        Callback::from(move |event: MouseEvent| {
            let Some(canvas) = pointer.canvas_ref.cast::<HtmlCanvasElement>() else {
                return;
            };
            let dragging = *pointer.drag.borrow();
            if let Some(drag) = dragging {
                if event.buttons() & 1 == 1 {
                    let rows = pointer.drag_rows(&canvas, drag, &event);
                    if rows != 0 {
                        *pointer.drag.borrow_mut() = Some(Drag {
                            moved: true,
                            ..drag
                        });
                    }
                    let to = Move::ScrollTo(drag.start_scroll as i64 - rows);
                    on_view.emit(pointer.view.moved(&pointer.viewport, &pointer.layout, to));
                    return;
                }
                *pointer.drag.borrow_mut() = None;
            }
            on_hover.emit(pointer.page_at(&canvas, &event));
        })
    }

    /// A click without a drag pins the page's details below the canvas.
    fn release(&self, on_pin: Callback<PageInfo>) -> Callback<MouseEvent> {
        let pointer = self.clone();
        Callback::from(move |event: MouseEvent| {
            let was = pointer.drag.borrow_mut().take();
            if was.is_some_and(|d| d.moved) {
                return;
            }
            if let Some(canvas) = pointer.canvas_ref.cast::<HtmlCanvasElement>() {
                if let Some(Hover {
                    what: Under::Page(info),
                    ..
                }) = pointer.page_at(&canvas, &event)
                {
                    on_pin.emit(info);
                }
            }
        })
    }

    fn leave(&self, on_hover: Callback<Option<Hover>>) -> Callback<MouseEvent> {
        let drag = self.drag.clone();
        Callback::from(move |_: MouseEvent| {
            *drag.borrow_mut() = None;
            on_hover.emit(None);
        })
    }

    /// Canvas keys: zoom, fit and scroll.
    fn key(&self, on_view: Callback<ViewState>) -> Callback<KeyboardEvent> {
        let (view, viewport, layout) = (self.view, self.viewport.clone(), self.layout.clone());
        Callback::from(move |event: KeyboardEvent| {
            let page_rows = viewport.rows_visible() as i64;
            if let Some(step) = canvas_key(&event.key(), event.shift_key(), page_rows) {
                on_view.emit(view.moved(&viewport, &layout, step));
                event.prevent_default();
                event.stop_propagation();
            }
        })
    }
}

#[function_component(PageCanvas)]
pub fn page_canvas(props: &PageCanvasProps) -> Html {
    let canvas_ref = use_node_ref();
    let drag = use_mut_ref(|| None::<Drag>);
    let (pages, view) = (props.pages, props.view);
    let viewport = view.viewport(&props.layout);
    let current = use_mut_ref(|| (view, viewport.clone(), props.layout.clone()));
    *current.borrow_mut() = (view, viewport.clone(), props.layout.clone());
    use_draw(
        &canvas_ref,
        &props.at,
        props.highlight,
        viewport.clone(),
        &props.on_draw_ms,
    );
    use_wheel_zoom(&canvas_ref, current, &props.on_view);
    let pointer = Pointer {
        canvas_ref: canvas_ref.clone(),
        drag,
        at: props.at.clone(),
        view,
        viewport: viewport.clone(),
        layout: props.layout.clone(),
    };
    let holes = if props.layout.is_true_scale() {
        "holes at their size"
    } else {
        "holes and offline sections collapsed to labelled bands"
    };
    let label = format!("Physical address space, {pages} page frames; {}; {holes}. Keys: + and − zoom, 0 fits, arrows and Page Up/Down scroll. Click a page for its details.", scale_text(&viewport));
    html! {
        <canvas ref={canvas_ref} id="address-canvas" tabindex="0"
            width={viewport.width_px().to_string()} height={HEIGHT_PX.to_string()}
            role="img" aria-label={label}
            onkeydown={pointer.key(props.on_view.clone())}
            onmousedown={pointer.press()}
            onmousemove={pointer.hover(props.on_view.clone(), props.on_hover.clone())}
            onmouseup={pointer.release(props.on_pin.clone())}
            onmouseleave={pointer.leave(props.on_hover.clone())} />
    }
}
