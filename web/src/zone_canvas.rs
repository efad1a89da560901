//! The zone on a canvas: one cell a page, one rectangle a buddy block.

use buddyscope_engine::{Pfn, ZoneView};
use wasm_bindgen::JsCast;
use web_sys::{CanvasRenderingContext2d, HtmlCanvasElement};
use yew::prelude::*;

use crate::draw::{self, draw_zone};
use crate::layout::Layout;

#[derive(Properties, PartialEq)]
pub struct ZoneCanvasProps {
    pub view: ZoneView,
    pub layout: Layout,
    pub selected: Option<Pfn>,
    pub on_select: Callback<Pfn>,
}

/// The 2D context of a canvas element, if the browser gives one.
pub fn context_2d(canvas: &HtmlCanvasElement) -> Option<CanvasRenderingContext2d> {
    canvas.get_context("2d").ok().flatten()?.dyn_into().ok()
}

#[function_component(ZoneCanvas)]
pub fn zone_canvas(props: &ZoneCanvasProps) -> Html {
    let canvas_ref = use_node_ref();
    {
        let canvas_ref = canvas_ref.clone();
        let inputs = (props.view.clone(), props.layout, props.selected);
        use_effect_with(inputs, move |(view, layout, selected)| {
            if let Some(ctx) = canvas_ref
                .cast::<HtmlCanvasElement>()
                .as_ref()
                .and_then(context_2d)
            {
                draw_zone(&ctx, view, layout, *selected);
            }
        });
    }
    let onclick = {
        let layout = props.layout;
        let canvas_ref = canvas_ref.clone();
        let on_select = props.on_select.clone();
        Callback::from(move |event: MouseEvent| {
            let Some(canvas) = canvas_ref.cast::<HtmlCanvasElement>() else {
                return;
            };
            // The canvas may be scaled by CSS: map client pixels to canvas pixels.
            let rect = canvas.get_bounding_client_rect();
            let scale_x = f64::from(canvas.width()) / rect.width().max(1.0);
            let scale_y = f64::from(canvas.height()) / rect.height().max(1.0);
            let x = (f64::from(event.client_x()) - rect.left()) * scale_x;
            let y = (f64::from(event.client_y()) - rect.top()) * scale_y;
            if let Some(pfn) = layout.pfn_at(x, y) {
                on_select.emit(pfn);
            }
        })
    };
    let layout = props.layout;
    html! {
        <figure class="zone">
            <canvas ref={canvas_ref} id="zone-canvas" width={layout.width_px().to_string()} height={layout.height_px().to_string()}
                role="img" aria-label={format!("Zone of {} pages from pfn {}: free blocks green by order, allocated blocks orange", props.view.pages, props.view.start_pfn)}
                {onclick} />
            <figcaption>
                <span class="swatch" style={format!("background:{}", draw::free_colour(buddyscope_engine::Order::ZERO))}></span>{ "free, order 0 … " }
                <span class="swatch" style={format!("background:{}", draw::free_colour(buddyscope_engine::Order::MAX))}></span>{ "order 10 " }
                <span class="swatch" style={format!("background:{}", draw::ALLOCATED)}></span>{ "allocated " }
                <span class="swatch outline" style={format!("border-color:{}", draw::HIGHLIGHT)}></span>{ "last step " }
                <span class="swatch outline" style={format!("border-color:{}", draw::SELECTED)}></span>{ "selected" }
                <br />
                { format!("{} pages per row; pfn {:#x} at the top left.", layout.columns, layout.origin_pfn) }
            </figcaption>
        </figure>
    }
}
