//! The zoom and pan buttons above the canvas, and the scale and pfn range shown.

use buddyscope_engine::view::Viewport;
use yew::prelude::*;

use crate::tags::text;

use super::gaps::edge_text;
use super::navigate::{scale_text, Move};

pub struct ToolbarProps {
    pub viewport: Viewport,
    /// Pages in the whole map.
    pub pages: u64,
    /// The block the current step touches: first pfn and order.
    pub highlight: Option<(u64, u8)>,
    pub on_move: Callback<Move>,
    /// Whether holes are drawn at their size.
    pub true_scale: bool,
    pub on_true_scale: Callback<bool>,
}

pub fn toolbar(props: &ToolbarProps) -> Html {
    let viewport = &props.viewport;
    let half_screen = viewport.rows_visible() as i64 / 2;
    let button = |label: &'static str, text: &'static str, step: Option<Move>| {
        let on_move = props.on_move.clone();
        let onclick = Callback::from(move |_: MouseEvent| {
            if let Some(step) = step {
                on_move.emit(step);
            }
        });
        html! { <button type="button" aria-label={label} title={label} {onclick}>{ text }</button> }
    };
    let to_block = props
        .highlight
        .map(|(pfn, order)| Move::ToBlock { pfn, order });
    let on_true_scale = {
        let on_true_scale = props.on_true_scale.clone();
        Callback::from(move |event: Event| {
            let checked = event
                .target_dyn_into::<web_sys::HtmlInputElement>()
                .is_some_and(|input| input.checked());
            on_true_scale.emit(checked);
        })
    };
    let edges = edge_text(viewport);
    html! {
        <div class="toolbar" role="toolbar" aria-label="Zoom and pan">
            { button("Zoom in", "+", Some(Move::ZoomBy(-1))) }
            { button("Zoom out", "−", Some(Move::ZoomBy(1))) }
            { button("Fit whole machine", "Fit", Some(Move::Fit)) }
            { button("Scroll up", "↑", Some(Move::ScrollBy(-half_screen))) }
            { button("Scroll down", "↓", Some(Move::ScrollBy(half_screen))) }
            { button("Zoom to the step's block", "◎ step", to_block) }
            <label class="true-scale" title="Draw holes and offline sections at their size instead of collapsing them to labelled bands">
                <input type="checkbox" id="true-scale" checked={props.true_scale} onchange={on_true_scale} />
                { " true scale" }
            </label>
            <span class="muted" id="zoom-scale">
                { format!("{}; pfn {:#x}–{:#x} of {:#x}", scale_text(viewport), viewport.first_pfn(), viewport.end_pfn(), props.pages) }
            </span>
            if !edges.is_empty() {
                { text("span", crate::attrs!("id" = "gap-edges", "class" = "muted gap-edges"), edges.to_string().into()) }
            }
        </div>
    }
}
