//! The physical address space on a canvas: every page of the machine from pfn 0,
//! coloured by state and pageblock type, with node, zone and section bars in the
//! gutter. Zoom (wheel, buttons, + and -) goes from the whole machine down to single
//! pages drawn as outlined cells; pan by dragging, scrolling keys or buttons. The
//! pixels come from the engine (`view::render_rgba`); this component only keeps the
//! zoom and scroll position, which are view state and never reach the model.

use buddyscope_engine::view::{
    self, migratetype_rgb, node_rgb, page_info, zone_rgb, PageInfo, Rgb, Viewport, HEIGHT_PX,
    HIGHLIGHT_RGB, HOLE_RGB, PCP_RGB, RESERVED_RGB,
};
use buddyscope_engine::MigrateType;
use gloo_events::{EventListener, EventListenerOptions};
use wasm_bindgen::JsCast;
use web_sys::{HtmlCanvasElement, WheelEvent};
use yew::prelude::*;

use crate::paint::{now_ms, put_rgba};
use crate::state::{AtCursor, Shared};

#[derive(Properties, PartialEq)]
pub struct AddressSpaceProps {
    pub at: Shared<AtCursor>,
    /// The block the current step touches: first pfn and order.
    pub highlight: Option<(u64, u8)>,
}

fn css(rgb: Rgb) -> String {
    format!("rgb({},{},{})", rgb[0], rgb[1], rgb[2])
}

fn tint_css(rgb: Rgb) -> String {
    let t = |c: u8| (u32::from(c) * 76 + 255 * 180) / 256;
    format!("rgb({},{},{})", t(rgb[0]), t(rgb[1]), t(rgb[2]))
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

/// The zone types present, each once, lowest first.
fn zone_types(spans: &view::Spans) -> Vec<usize> {
    let mut types: Vec<usize> = spans.zones.iter().map(|(z, _, _)| *z).collect();
    types.sort_unstable();
    types.dedup();
    types
}

/// The lines the tooltip and the pinned page line show.
pub fn info_lines(info: &PageInfo, pages_per_cell: u64) -> Vec<String> {
    let mut lines = vec![format!(
        "pfn {:#x} · physical {:#x}",
        info.pfn, info.phys_addr
    )];
    let node = info
        .node
        .map_or("no node".to_string(), |n| format!("node {n}"));
    let zone = info
        .zone
        .as_deref()
        .map_or("no zone".to_string(), |z| format!("zone {z}"));
    let section = if info.section_present {
        format!("section {}", info.section)
    } else {
        format!("section {} (not present)", info.section)
    };
    lines.push(format!("{node} · {zone} · {section}"));
    lines.push(format!(
        "pageblock: {}",
        info.pageblock.as_deref().unwrap_or("none (no memmap)")
    ));
    lines.push(format!("state: {}", info.state));
    if let Some((pfn, order)) = info.block {
        lines.push(format!(
            "buddy block: order {order} at pfn {pfn:#x} ({} pages)",
            1u64 << order
        ));
    }
    if pages_per_cell > 1 {
        lines.push(format!(
            "this pixel: {pages_per_cell} pages from pfn {:#x}, colours averaged",
            info.pfn
        ));
    }
    lines
}

#[function_component(AddressSpace)]
pub fn address_space(props: &AddressSpaceProps) -> Html {
    let canvas_ref = use_node_ref();
    let zoom = use_state(|| None::<i32>);
    let scroll = use_state(|| 0u64);
    let hover = use_state(|| None::<(PageInfo, f64, f64)>);
    let pinned = use_state(|| None::<PageInfo>);
    let drag = use_mut_ref(|| None::<(i32, u64, bool)>);
    let draw_ms = use_state(|| 0.0f64);

    let pages = props.at.map.codes.len() as u64;
    let fit = Viewport::fit_zoom(pages);
    let viewport = Viewport::at(zoom.unwrap_or(fit), *scroll, 0, pages);
    let current = use_mut_ref(|| viewport);
    *current.borrow_mut() = viewport;

    // Follow the step: bring the highlighted block on screen when it moves away.
    {
        let scroll = scroll.clone();
        use_effect_with(props.highlight, move |highlight| {
            if let Some((pfn, _)) = highlight {
                if *pfn < viewport.first_pfn() || *pfn >= viewport.end_pfn() {
                    let row = viewport.row_of(*pfn);
                    scroll.set(row.saturating_sub(viewport.rows_visible() / 3));
                }
            }
        });
    }

    // Draw whenever the picture's inputs change.
    {
        let canvas_ref = canvas_ref.clone();
        let draw_ms = draw_ms.clone();
        let inputs = (props.at.clone(), props.highlight, viewport);
        use_effect_with(inputs, move |(at, highlight, viewport)| {
            if let Some(canvas) = canvas_ref.cast::<HtmlCanvasElement>() {
                let start = now_ms();
                let rgba = view::render_rgba(&at.map, &at.spans, viewport, *highlight);
                put_rgba(&canvas, &rgba, viewport.width_px());
                let took = now_ms() - start;
                let _ = canvas.set_attribute("data-draw-ms", &format!("{took:.2}"));
                draw_ms.set(took);
            }
        });
    }

    // The wheel zooms about the pointer. A native listener, because only a
    // non-passive one may stop the page from scrolling.
    {
        let canvas_ref = canvas_ref.clone();
        let (zoom, scroll, current) = (zoom.setter(), scroll.setter(), current.clone());
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
                        let vp = *current.borrow();
                        let (x, y) = canvas_xy(&canvas, event.client_x(), event.client_y());
                        let pfn = vp.pfn_at(x, y).unwrap_or_else(|| vp.first_pfn());
                        let step = if event.delta_y() < 0.0 { -1 } else { 1 };
                        let pages = vp.rows_total * vp.pages_per_row();
                        let next = vp.zoomed(vp.zoom + step, pfn, y, 0, pages.max(1));
                        zoom.set(Some(next.zoom));
                        scroll.set(next.scroll_row);
                    },
                )
            });
            move || drop(listener)
        });
    }

    let set_view = {
        let (zoom, scroll) = (zoom.setter(), scroll.setter());
        move |vp: Viewport| {
            zoom.set(Some(vp.zoom));
            scroll.set(vp.scroll_row);
        }
    };
    let zoom_by = {
        let set_view = set_view.clone();
        move |delta: i32| {
            let centre =
                viewport.first_pfn() + viewport.rows_visible() / 2 * viewport.pages_per_row();
            let y = f64::from(HEIGHT_PX) / 2.0;
            set_view(viewport.zoomed(viewport.zoom + delta, centre, y, 0, pages));
        }
    };
    let scroll_by = {
        let scroll = scroll.setter();
        move |rows: i64| {
            let next = (viewport.scroll_row as i64 + rows).max(0) as u64;
            scroll.set(Viewport::at(viewport.zoom, next, 0, pages).scroll_row);
        }
    };
    let fit_view = {
        let (zoom, scroll) = (zoom.setter(), scroll.setter());
        move || {
            zoom.set(None);
            scroll.set(0);
        }
    };
    let go_to_highlight = {
        let set_view = set_view.clone();
        let highlight = props.highlight;
        move || {
            if let Some((pfn, order)) = highlight {
                // Close enough that the block is several cells wide.
                let zoom = (i32::from(order) - 5)
                    .min(viewport.zoom - 2)
                    .clamp(view::ZOOM_MIN, 30);
                set_view(viewport.zoomed(zoom, pfn, f64::from(HEIGHT_PX) / 3.0, 0, pages));
            }
        }
    };

    let onkeydown = {
        let (zoom_by, scroll_by, fit_view) = (zoom_by.clone(), scroll_by.clone(), fit_view.clone());
        Callback::from(move |event: KeyboardEvent| {
            let page = viewport.rows_visible() as i64;
            let handled = match event.key().as_str() {
                "+" | "=" => {
                    zoom_by(-1);
                    true
                }
                "-" | "_" => {
                    zoom_by(1);
                    true
                }
                "0" => {
                    fit_view();
                    true
                }
                "ArrowUp" => {
                    scroll_by(if event.shift_key() { -8 } else { -1 });
                    true
                }
                "ArrowDown" => {
                    scroll_by(if event.shift_key() { 8 } else { 1 });
                    true
                }
                "PageUp" => {
                    scroll_by(-page);
                    true
                }
                "PageDown" => {
                    scroll_by(page);
                    true
                }
                _ => false,
            };
            if handled {
                event.prevent_default();
                event.stop_propagation();
            }
        })
    };

    let onmousedown = {
        let drag = drag.clone();
        Callback::from(move |event: MouseEvent| {
            *drag.borrow_mut() = Some((event.client_y(), viewport.scroll_row, false));
        })
    };
    let onmousemove = {
        let (drag, hover, canvas_ref, at, scroll) = (
            drag.clone(),
            hover.clone(),
            canvas_ref.clone(),
            props.at.clone(),
            scroll.setter(),
        );
        Callback::from(move |event: MouseEvent| {
            let Some(canvas) = canvas_ref.cast::<HtmlCanvasElement>() else {
                return;
            };
            let dragging = *drag.borrow();
            if let Some((start_y, start_scroll, _)) = dragging {
                if event.buttons() & 1 == 1 {
                    let rect = canvas.get_bounding_client_rect();
                    let scale = f64::from(canvas.height()) / rect.height().max(1.0);
                    let dy = f64::from(event.client_y() - start_y) * scale;
                    let rows = (dy / f64::from(viewport.cell_px)) as i64;
                    if rows != 0 {
                        *drag.borrow_mut() = Some((start_y, start_scroll, true));
                    }
                    let next = (start_scroll as i64 - rows).max(0) as u64;
                    scroll.set(Viewport::at(viewport.zoom, next, 0, pages).scroll_row);
                    return;
                }
                *drag.borrow_mut() = None;
            }
            let (x, y) = canvas_xy(&canvas, event.client_x(), event.client_y());
            match viewport.pfn_at(x, y) {
                Some(pfn) => {
                    let rect = canvas.get_bounding_client_rect();
                    let info = page_info(&at.allocator, &at.map, pfn);
                    hover.set(Some((
                        info,
                        f64::from(event.client_x()) - rect.left(),
                        f64::from(event.client_y()) - rect.top(),
                    )));
                }
                None => hover.set(None),
            }
        })
    };
    let onmouseup = {
        let (drag, pinned, canvas_ref, at) = (
            drag.clone(),
            pinned.clone(),
            canvas_ref.clone(),
            props.at.clone(),
        );
        Callback::from(move |event: MouseEvent| {
            let was = drag.borrow_mut().take();
            if matches!(was, Some((_, _, true))) {
                return;
            }
            // A click without a drag pins the page's details below the canvas.
            if let Some(canvas) = canvas_ref.cast::<HtmlCanvasElement>() {
                let (x, y) = canvas_xy(&canvas, event.client_x(), event.client_y());
                if let Some(pfn) = viewport.pfn_at(x, y) {
                    pinned.set(Some(page_info(&at.allocator, &at.map, pfn)));
                }
            }
        })
    };
    let onmouseleave = {
        let (drag, hover) = (drag.clone(), hover.clone());
        Callback::from(move |_: MouseEvent| {
            *drag.borrow_mut() = None;
            hover.set(None);
        })
    };

    let button = |label: &'static str, text: &'static str, action: Callback<MouseEvent>| {
        html! { <button type="button" aria-label={label} title={label} onclick={action}>{ text }</button> }
    };
    let zoom_in = {
        let zoom_by = zoom_by.clone();
        Callback::from(move |_| zoom_by(-1))
    };
    let zoom_out = Callback::from(move |_| zoom_by(1));
    let fit_click = Callback::from(move |_| fit_view());
    let up = {
        let scroll_by = scroll_by.clone();
        Callback::from(move |_| scroll_by(-(viewport.rows_visible() as i64) / 2))
    };
    let down = Callback::from(move |_| scroll_by(viewport.rows_visible() as i64 / 2));
    let to_step = Callback::from(move |_| go_to_highlight());

    let scale = if viewport.zoom >= 0 {
        format!("{} pages a pixel", viewport.pages_per_cell)
    } else {
        format!("a page is {0}×{0} pixels", viewport.cell_px)
    };
    let tooltip = hover.as_ref().map(|(info, x, y)| {
        html! {
            <div class="tooltip" id="page-tooltip" role="tooltip" style={format!("left:{}px;top:{}px", x + 14.0, y + 14.0)}>
                { for info_lines(info, viewport.pages_per_cell).into_iter().map(|l| html! { <div>{ l }</div> }) }
            </div>
        }
    });
    let mt_swatches = MigrateType::ALL
        .iter()
        .chain([MigrateType::Cma].iter())
        .map(|m| {
            let rgb = migratetype_rgb(*m as u8);
            html! {
                <span class="key">
                    <span class="swatch" style={format!("background:{}", tint_css(rgb))}></span>
                    <span class="swatch" style={format!("background:{}", css(rgb))}></span>
                    { m.name() }
                </span>
            }
        });
    html! {
        <section class="address-space" aria-label="Physical address space">
            <h2>{ "Physical address space" }</h2>
            <div class="toolbar" role="toolbar" aria-label="Zoom and pan">
                { button("Zoom in", "+", zoom_in) }
                { button("Zoom out", "−", zoom_out) }
                { button("Fit whole machine", "Fit", fit_click) }
                { button("Scroll up", "↑", up) }
                { button("Scroll down", "↓", down) }
                { button("Zoom to the step's block", "◎ step", to_step) }
                <span class="muted" id="zoom-scale">
                    { format!("{scale}; pfn {:#x}–{:#x} of {:#x}", viewport.first_pfn(), viewport.end_pfn(), pages) }
                </span>
            </div>
            <div class="canvas-wrap">
                <canvas ref={canvas_ref} id="address-canvas" tabindex="0"
                    width={viewport.width_px().to_string()} height={HEIGHT_PX.to_string()}
                    role="img"
                    aria-label={format!("Physical address space, {pages} page frames; {scale}. Keys: + and − zoom, 0 fits, arrows and Page Up/Down scroll. Click a page for its details.")}
                    {onkeydown} {onmousedown} {onmousemove} {onmouseup} {onmouseleave} />
                { for tooltip }
            </div>
            <p class="page-info" id="page-info" aria-live="polite">
                { match pinned.as_ref() {
                    Some(info) => info_lines(info, 1).join(" · "),
                    None => "Click a page for its pfn, node, zone, section, pageblock type, state and buddy block.".to_string(),
                } }
            </p>
            <div class="legend" aria-label="Legend">
                <span class="muted">{ "Pageblock type (free tint, allocated full): " }</span>
                { for mt_swatches }
                <span class="key"><span class="swatch" style={format!("background:{}", css(PCP_RGB))}></span>{ "on a per-cpu list" }</span>
                <span class="key"><span class="swatch" style={format!("background:{}", css(RESERVED_RGB))}></span>{ "reserved" }</span>
                <span class="key"><span class="swatch" style={format!("background:{}", css(HOLE_RGB))}></span>{ "hole" }</span>
                <span class="key"><span class="swatch outline" style={format!("border-color:{}", css(HIGHLIGHT_RGB))}></span>{ "the step's block" }</span>
                <br />
                <span class="muted">{ "Gutter bars: node " }</span>
                { for props.at.spans.nodes.iter().map(|(nid, _, _)| html! {
                    <span class="key"><span class="swatch" style={format!("background:{}", css(node_rgb(*nid)))}></span>{ format!("{nid}") }</span>
                }) }
                <span class="muted">{ " · zone " }</span>
                { for zone_types(&props.at.spans).into_iter().map(|z| html! {
                    <span class="key"><span class="swatch" style={format!("background:{}", css(zone_rgb(z)))}></span>
                    { buddyscope_engine::types::ZoneType::ALL.get(z).map_or("?", |t| t.name()) }</span>
                }) }
                <span class="muted">{ " · sections alternate grey (none: not present). Draw: " }</span>
                <span id="draw-ms">{ format!("{:.1} ms", *draw_ms) }</span>
            </div>
        </section>
    }
}
