//! "Timeline": the session's series as plots over the run (the engine's
//! `view::timeline`), drawn on a canvas: a zone's free pages against its watermarks
//! and boost, its extfrag indexes for an order, and a row per event kind; the
//! cursor's call is a dashed line, and a click on the plots moves the cursor there.
//! "Save as PNG" saves the canvas; "Save as SVG" saves the engine's `timeline_svg`
//! of the same view. Nothing is computed while the panel is closed.

use std::rc::Rc;

use buddyscope_engine::report::kernel_diff::KernelDiff;
use buddyscope_engine::session::{Cursor, Session};
use buddyscope_engine::view::{
    pair_timeline, timeline, timeline_svg, TimelineChoice, TimelinePlot, TimelineView,
    TIMELINE_LEFT_PX, TIMELINE_PLOT_PX, TIMELINE_RIGHT_PX, TIMELINE_ROW_PX,
};
use wasm_bindgen::JsCast;
use web_sys::{CanvasRenderingContext2d, HtmlAnchorElement, HtmlCanvasElement, HtmlSelectElement};
use yew::prelude::*;

use crate::tags::{button, text, PLAIN};

use crate::paint::{context_2d, now_ms};
use crate::state::{Action, Shared};

#[derive(Properties, PartialEq)]
pub struct TimelineProps {
    pub source: TimelineSource,
}

/// What the panel draws.
#[derive(Clone, PartialEq)]
pub enum TimelineSource {
    /// The playground's run at its cursor; a click seeks to the call.
    Single {
        session: Shared<Session>,
        cursor: Cursor,
        on_action: Callback<Action>,
    },
    /// A pair's two runs on one axis at the call both sides show (0-based, `None`
    /// before the first); a click moves both to the call.
    Pair {
        diff: Shared<KernelDiff>,
        call: Option<u64>,
        on_call: Callback<usize>,
    },
}

/// The order the index plot opens with: pageblock order, what huge pages need.
const ORDER_DEFAULT: u8 = 9;

fn fill(ctx: &CanvasRenderingContext2d, colour: &str) {
    ctx.set_fill_style_str(colour);
}

fn draw_plot(ctx: &CanvasRenderingContext2d, view: &TimelineView, plot: &TimelinePlot, top: f64) {
    let left = f64::from(TIMELINE_LEFT_PX);
    let columns = f64::from(view.columns);
    let bottom = top + f64::from(TIMELINE_PLOT_PX);
    fill(ctx, "#000000");
    ctx.set_font("bold 13px sans-serif");
    let _ = ctx.fill_text(&plot.title, left, top - 20.0);
    ctx.set_font("11px sans-serif");
    let mut x = left;
    for line in &plot.lines {
        fill(ctx, line.colour);
        if line.run > 0 {
            // The second run of a pair is drawn dotted: so is its swatch.
            ctx.fill_rect(x, top - 10.0, 4.0, 4.0);
            ctx.fill_rect(x + 8.0, top - 10.0, 4.0, 4.0);
        } else {
            ctx.fill_rect(x, top - 10.0, 12.0, 4.0);
        }
        fill(ctx, "#000000");
        let _ = ctx.fill_text(&line.label, x + 15.0, top - 5.0);
        x += 24.0 + 6.5 * line.label.len() as f64;
    }
    fill(ctx, "#FFFFFF");
    ctx.fill_rect(left, top, columns, f64::from(TIMELINE_PLOT_PX));
    ctx.set_stroke_style_str("#BBBBBB");
    ctx.stroke_rect(left, top, columns, f64::from(TIMELINE_PLOT_PX));
    ctx.set_text_align("end");
    for (value, label) in &plot.ticks {
        let y = plot.y_px(*value, top);
        fill(ctx, "#E5E5E5");
        ctx.fill_rect(left, y, columns, 1.0);
        fill(ctx, "#000000");
        let _ = ctx.fill_text(label, left - 6.0, y + 4.0);
    }
    ctx.set_text_align("start");
    for line in &plot.lines {
        fill(ctx, line.colour);
        for (c, bar) in line.bars().iter().enumerate() {
            // A pair's second run: every third column left out, a dotted line.
            if line.run > 0 && c % 3 == 2 {
                continue;
            }
            if let Some((lo, hi)) = bar {
                let (y_hi, y_lo) = (plot.y_px(*hi, top), plot.y_px(*lo, top));
                ctx.fill_rect(
                    left + c as f64,
                    y_hi.min(bottom - 1.5),
                    1.0,
                    (y_lo - y_hi).max(1.5),
                );
            }
        }
    }
}

/// Draws the view on `canvas` (sized to the view's geometry).
fn draw(canvas: &HtmlCanvasElement, view: &TimelineView) {
    let g = view.geometry();
    if canvas.width() != g.width {
        canvas.set_width(g.width);
    }
    if canvas.height() != g.height {
        canvas.set_height(g.height);
    }
    let Some(ctx) = context_2d(canvas) else {
        return;
    };
    let left = f64::from(TIMELINE_LEFT_PX);
    let columns = f64::from(view.columns);
    fill(&ctx, "#FFFFFF");
    ctx.fill_rect(0.0, 0.0, f64::from(g.width), f64::from(g.height));
    draw_plot(&ctx, view, &view.free, g.free_top);
    draw_plot(&ctx, view, &view.indexes, g.indexes_top);
    fill(&ctx, "#000000");
    ctx.set_font("bold 13px sans-serif");
    let _ = ctx.fill_text("Events (calls that had each)", left, g.markers_top - 20.0);
    ctx.set_font("11px sans-serif");
    let row = f64::from(TIMELINE_ROW_PX);
    for (i, marker) in view.markers.iter().enumerate() {
        let y = g.markers_top + i as f64 * row;
        fill(&ctx, if i % 2 == 0 { "#FAFAFA" } else { "#FFFFFF" });
        ctx.fill_rect(left, y, columns, row);
        fill(&ctx, "#000000");
        ctx.set_text_align("end");
        let _ = ctx.fill_text(
            &format!("{} ({})", marker.label, marker.total),
            left - 6.0,
            y + row - 4.0,
        );
        ctx.set_text_align("start");
        fill(&ctx, marker.colour);
        for (c, &n) in marker.columns.iter().enumerate() {
            if n > 0 {
                ctx.fill_rect(left + c as f64, y + 2.0, 2.0, row - 4.0);
            }
        }
    }
    let axis_y = g.markers_top + view.markers.len() as f64 * row;
    fill(&ctx, "#000000");
    ctx.set_text_align("center");
    for (x, label) in view.call_ticks() {
        ctx.fill_rect(x - 0.5, axis_y, 1.0, 4.0);
        let _ = ctx.fill_text(&label, x, axis_y + 15.0);
    }
    ctx.set_text_align("start");
    ctx.set_font("10px sans-serif");
    fill(&ctx, "#444444");
    let _ = ctx.fill_text(&view.axis_label(), left, f64::from(g.height) - 1.0);
    if let Some(x) = view.cursor_x() {
        fill(&ctx, "#333333");
        for (top, bottom) in view.cursor_segments() {
            let mut y = top;
            while y < bottom {
                ctx.fill_rect(x - 1.0, y, 2.0, 4.0_f64.min(bottom - y));
                y += 6.0;
            }
        }
    }
}

/// Starts a download of `href` as `name`.
fn download(href: &str, name: &str) {
    let Some(document) = web_sys::window().and_then(|w| w.document()) else {
        return;
    };
    let Some(anchor) = document
        .create_element("a")
        .ok()
        .and_then(|a| a.dyn_into::<HtmlAnchorElement>().ok())
    else {
        return;
    };
    anchor.set_href(href);
    anchor.set_download(name);
    anchor.click();
}

fn save_svg(svg: &str) {
    let parts = js_sys::Array::of1(&wasm_bindgen::JsValue::from_str(svg));
    let options = web_sys::BlobPropertyBag::new();
    options.set_type("image/svg+xml");
    let Ok(blob) = web_sys::Blob::new_with_str_sequence_and_options(&parts, &options) else {
        return;
    };
    let Ok(url) = web_sys::Url::create_object_url_with_blob(&blob) else {
        return;
    };
    download(&url, "buddyscope-timeline.svg");
    // The download has its copy once the click returns; the URL can go a little later.
    let revoke = url.clone();
    gloo_timers::callback::Timeout::new(10_000, move || {
        let _ = web_sys::Url::revoke_object_url(&revoke);
    })
    .forget();
}

#[function_component(Timeline)]
pub fn timeline_panel(props: &TimelineProps) -> Html {
    let open = use_state(bool::default);
    let zone = use_state(Option::<usize>::default);
    let order = use_state(|| ORDER_DEFAULT);
    let columns = use_state(|| 1000u32);
    let watermark_scale = use_state(bool::default);
    let draw_ms = use_state(f64::default);
    let canvas_ref = use_node_ref();
    let wrap_ref = use_node_ref();

    // The plot as wide as the panel: measured once the panel is open.
    {
        let (wrap_ref, columns) = (wrap_ref.clone(), columns.clone());
        use_effect_with(*open, move |open| {
            if *open {
                if let Some(wrap) = wrap_ref.cast::<web_sys::HtmlElement>() {
                    let width = wrap.client_width().max(0) as u32;
                    let plot = width.saturating_sub(TIMELINE_LEFT_PX + TIMELINE_RIGHT_PX + 4);
                    if plot > 0 && plot != *columns {
                        columns.set(plot);
                    }
                }
            }
        });
    }
    let view: Option<Rc<TimelineView>> = (*open).then(|| {
        let choice = TimelineChoice {
            zone: zone.unwrap_or(usize::MAX),
            order: *order,
            columns: *columns,
            watermark_scale: *watermark_scale,
        };
        Rc::new(match &props.source {
            TimelineSource::Single {
                session, cursor, ..
            } => timeline(session, *cursor, choice),
            TimelineSource::Pair { diff, call, .. } => pair_timeline(diff, *call, choice),
        })
    });
    {
        let (canvas_ref, draw_ms) = (canvas_ref.clone(), draw_ms.clone());
        use_effect_with(view.clone(), move |view| {
            if let (Some(view), Some(canvas)) = (view, canvas_ref.cast::<HtmlCanvasElement>()) {
                let start = now_ms();
                draw(&canvas, view);
                let _ = canvas.set_attribute("data-draw-ms", &format!("{:.1}", now_ms() - start));
                let _ = draw_ms;
            }
        });
    }

    let on_toggle = {
        let open = open.clone();
        Callback::from(move |_| open.set(!*open))
    };
    let header = html! {
        <div class="timeline-head">
            { text("h3", PLAIN, "Timeline".into()) }
            <button id="timeline-toggle" onclick={on_toggle} aria-expanded={open.to_string()}>
                { if *open { "Hide timeline" } else { "Show timeline" } }
            </button>
        </div>
    };
    let Some(view) = view else {
        return html! {
            <section class="panel timeline" id="timeline">
                { header }
                { text("p", crate::attrs!("class" = "hint"), "Free pages against the watermarks, the fragmentation indexes and the events over the whole run, per zone. Computed only while shown.".into()) }
            </section>
        };
    };

    let on_zone = {
        let zone = zone.clone();
        Callback::from(move |e: Event| {
            if let Some(select) = e.target_dyn_into::<HtmlSelectElement>() {
                zone.set(select.value().parse().ok());
            }
        })
    };
    let on_order = {
        let order = order.clone();
        Callback::from(move |e: Event| {
            if let Some(select) = e.target_dyn_into::<HtmlSelectElement>() {
                if let Ok(o) = select.value().parse() {
                    order.set(o);
                }
            }
        })
    };
    let on_scale = {
        let watermark_scale = watermark_scale.clone();
        Callback::from(move |e: Event| {
            if let Some(select) = e.target_dyn_into::<HtmlSelectElement>() {
                watermark_scale.set(select.value() == "marks");
            }
        })
    };
    let on_click = {
        let (view, source) = (view.clone(), props.source.clone());
        Callback::from(move |e: MouseEvent| {
            let Some(canvas) = e.target_dyn_into::<HtmlCanvasElement>() else {
                return;
            };
            // The canvas may be drawn smaller than its pixels: scale the offset.
            let scale = f64::from(canvas.width()) / f64::from(canvas.client_width().max(1));
            // offsetX as the browser has it (fractional; web-sys rounds it to an
            // integer, which puts a click on a column's right half in the next one).
            let x = js_sys::Reflect::get(&e, &wasm_bindgen::JsValue::from_str("offsetX"))
                .ok()
                .and_then(|v| v.as_f64())
                .unwrap_or_else(|| f64::from(e.offset_x()));
            if let Some(call) = view.call_at_x(x * scale) {
                let call = call as usize;
                match &source {
                    TimelineSource::Single {
                        session, on_action, ..
                    } => {
                        let cursor = Cursor {
                            call,
                            event: session.event_count(call),
                        };
                        on_action.emit(Action::Seek(session.step_of(cursor)));
                    }
                    TimelineSource::Pair { on_call, .. } => on_call.emit(call),
                }
            }
        })
    };
    let on_png = {
        let canvas_ref = canvas_ref.clone();
        Callback::from(move |_| {
            if let Some(canvas) = canvas_ref.cast::<HtmlCanvasElement>() {
                if let Ok(url) = canvas.to_data_url_with_type("image/png") {
                    download(&url, "buddyscope-timeline.png");
                }
            }
        })
    };
    let on_svg = {
        let view = view.clone();
        Callback::from(move |_| save_svg(&timeline_svg(&view)))
    };
    let cursor_text = match view.cursor_call {
        Some(call) => format!("the cursor is after call {call}"),
        None => "the cursor is before the first call".to_string(),
    };
    let resolution = if view.bucket_width > 1 {
        format!(
            " The run is kept in buckets of {} calls (smallest and largest value of each), so a click lands on a bucket's first call.",
            view.bucket_width
        )
    } else {
        String::new()
    };
    let label = format!(
        "Timeline of {} calls for {}: free pages against min, low, high and boost{}; unusable and fragmentation index for order {}; event rows. {cursor_text}. Click to move the cursor to a call.",
        view.calls,
        view.zones.get(view.zone).cloned().unwrap_or_default(),
        if *watermark_scale { " (scaled to the watermarks)" } else { "" },
        view.order
    );
    html! {
        <section class="panel timeline" id="timeline">
            { header }
            <div class="timeline-controls">
                <label>{ "Zone " }
                    <select id="timeline-zone" onchange={on_zone}>
                        { for view.zones.iter().enumerate().map(|(i, name)| html! {
                            <option value={i.to_string()} selected={i == view.zone}>{ name }</option>
                        }) }
                    </select>
                </label>
                <label>{ " Order " }
                    <select id="timeline-order" onchange={on_order}>
                        { for (0u8..11).map(|o| html! {
                            <option value={o.to_string()} selected={o == view.order}>{ o.to_string() }</option>
                        }) }
                    </select>
                </label>
                <label>{ " Scale " }
                    <select id="timeline-scale" onchange={on_scale}>
                        <option value="run" selected={!*watermark_scale}>{ "whole run" }</option>
                        <option value="marks" selected={*watermark_scale}>{ "watermarks" }</option>
                    </select>
                </label>
                { button(crate::attrs!("id" = "timeline-png"), on_png, "Save as PNG".into()) }
                { button(crate::attrs!("id" = "timeline-svg"), on_svg, "Save as SVG".into()) }
                <span class="timeline-cursor" id="timeline-cursor" data-call={view.cursor_call.map(|c| c.to_string()).unwrap_or_default()}>{ format!(" {cursor_text}.") }</span>
            </div>
            <p class="hint">{ format!("Each pixel column shows the smallest and largest value over its calls, so no spike is averaged away.{resolution}") }</p>
            <div class="timeline-wrap" ref={wrap_ref}>
                <canvas ref={canvas_ref} id="timeline-canvas" role="img" aria-label={label} onclick={on_click} />
            </div>
        </section>
    }
}
