//! The physical address space on a canvas: every page of the machine from pfn 0,
//! coloured by state and pageblock type, with node, zone and section bars in the
//! gutter. Zoom (wheel, buttons, + and -) goes from the whole machine down to single
//! pages drawn as outlined cells; pan by dragging, scrolling keys or buttons. The
//! pixels come from the engine (`view::render_rgba`); this component only keeps the
//! zoom and scroll position, the hovered and the clicked page, which are view state
//! and never reach the model.
//!
//! Parts: `canvas` (drawing and the pointer), `navigate` (zoom and scroll as pure
//! functions), `toolbar`, `tooltip`, `info` (a page's details, the pinned line) and
//! `legend`.

mod canvas;
mod info;
mod legend;
mod navigate;
mod toolbar;
mod tooltip;

use buddyscope_engine::view::PageInfo;
use yew::prelude::*;

use crate::state::{AtCursor, Shared};
use canvas::PageCanvas;
pub use info::info_lines;
use info::PinnedPage;
use legend::Legend;
use navigate::{Move, ViewState};
use toolbar::Toolbar;
use tooltip::{Hover, Tooltip};

#[derive(Properties, PartialEq)]
pub struct AddressSpaceProps {
    pub at: Shared<AtCursor>,
    /// The block the current step touches: first pfn and order.
    pub highlight: Option<(u64, u8)>,
}

/// Follows the step: brings the highlighted block on screen when it moves away.
#[hook]
fn use_follow(highlight: Option<(u64, u8)>, view: &UseStateHandle<ViewState>, pages: u64) {
    let view = view.clone();
    use_effect_with(highlight, move |highlight| {
        if let Some((pfn, _)) = highlight {
            let next = view.moved(view.viewport(pages), pages, Move::Follow(*pfn));
            if next != *view {
                view.set(next);
            }
        }
    });
}

#[function_component(AddressSpace)]
pub fn address_space(props: &AddressSpaceProps) -> Html {
    let view = use_state(ViewState::default);
    let hover = use_state(|| None::<Hover>);
    let pinned = use_state(|| None::<PageInfo>);
    let draw_ms = use_state(|| 0.0f64);
    let pages = props.at.map.codes.len() as u64;
    let viewport = view.viewport(pages);
    use_follow(props.highlight, &view, pages);

    let on_view = {
        let view = view.setter();
        Callback::from(move |next: ViewState| view.set(next))
    };
    let on_move = {
        let (state, on_view) = (*view, on_view.clone());
        Callback::from(move |step: Move| on_view.emit(state.moved(viewport, pages, step)))
    };
    let on_hover = {
        let hover = hover.setter();
        Callback::from(move |next: Option<Hover>| hover.set(next))
    };
    let on_pin = {
        let pinned = pinned.setter();
        Callback::from(move |info: PageInfo| pinned.set(Some(info)))
    };
    let on_draw_ms = {
        let draw_ms = draw_ms.setter();
        Callback::from(move |ms: f64| draw_ms.set(ms))
    };
    html! {
        <section class="address-space" aria-label="Physical address space">
            <h2>{ "Physical address space" }</h2>
            <Toolbar {viewport} {pages} highlight={props.highlight} {on_move} />
            <div class="canvas-wrap">
                <PageCanvas at={props.at.clone()} highlight={props.highlight} view={*view} {pages}
                    {on_view} {on_hover} {on_pin} {on_draw_ms} />
                <Tooltip hover={(*hover).clone()} pages_per_cell={viewport.pages_per_cell} />
            </div>
            <PinnedPage info={(*pinned).clone()} />
            <Legend at={props.at.clone()} draw_ms={*draw_ms} />
        </section>
    }
}
