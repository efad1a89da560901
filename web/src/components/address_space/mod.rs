//! The physical address space on a canvas: every page of the machine's memory,
//! coloured by state and pageblock type, with node, zone and section bars in the
//! gutter. Holes and offline sections are collapsed to labelled hatched bands unless
//! the "true scale" switch draws them at their size (view state, like the zoom). Zoom (wheel, buttons, + and -) goes from the whole machine down to single
//! pages drawn as outlined cells; pan by dragging, scrolling keys or buttons. The
//! pixels come from the engine (`view::render_rgba`); this component only keeps the
//! zoom and scroll position, the hovered and the clicked page, which are view state
//! and never reach the model.
//!
//! Parts: `canvas` (drawing and the pointer), `navigate` (zoom and scroll as pure
//! functions), `toolbar`, `gaps` (the bands' labels), `tooltip`, `info` (a page's
//! details, the pinned line) and `legend`.

mod canvas;
mod gaps;
mod info;
mod legend;
mod navigate;
mod toolbar;
mod tooltip;

use std::rc::Rc;

use buddyscope_engine::view::{Layout, PageInfo};
use yew::prelude::*;

use crate::tags::{text, PLAIN};

use crate::state::{AtCursor, Shared};
use canvas::PageCanvas;
use gaps::GapLabels;
pub use info::info_lines;
use info::{pinned_page, PinnedPageProps};
use legend::Legend;
use navigate::{Move, ViewState};
use toolbar::{toolbar, ToolbarProps};
use tooltip::{Hover, Tooltip};

#[derive(Properties, PartialEq)]
pub struct AddressSpaceProps {
    pub at: Shared<AtCursor>,
    /// The block the current step touches: first pfn and order.
    pub highlight: Option<(u64, u8)>,
}

/// Follows the step: brings the highlighted block on screen when it moves away.
#[hook]
fn use_follow(highlight: Option<(u64, u8)>, view: &UseStateHandle<ViewState>, layout: Rc<Layout>) {
    let view = view.clone();
    use_effect_with(highlight, move |highlight| {
        if let Some((pfn, _)) = highlight {
            let next = view.moved(&view.viewport(&layout), &layout, Move::Follow(*pfn));
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
    let draw_ms = use_state(f64::default);
    let pages = props.at.map.pages();
    let layout = use_memo((props.at.clone(), view.true_scale), |(at, true_scale)| {
        Layout::new(&at.allocator, &at.map, *true_scale)
    });
    let viewport = view.viewport(&layout);
    use_follow(props.highlight, &view, layout.clone());

    let on_view = {
        let view = view.setter();
        Callback::from(move |next: ViewState| view.set(next))
    };
    let on_move = {
        let (state, on_view) = (*view, on_view.clone());
        let (viewport, layout) = (viewport.clone(), layout.clone());
        Callback::from(move |step: Move| on_view.emit(state.moved(&viewport, &layout, step)))
    };
    let on_true_scale = {
        let (state, on_view, at) = (*view, on_view.clone(), props.at.clone());
        let viewport = viewport.clone();
        Callback::from(move |on: bool| {
            let layout = Layout::new(&at.allocator, &at.map, on);
            on_view.emit(state.with_true_scale(&viewport, &layout, on));
        })
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
            { text("h2", PLAIN, "Physical address space".into()) }
            { toolbar(&ToolbarProps { viewport: viewport.clone(), pages, highlight: props.highlight, on_move,
                true_scale: view.true_scale, on_true_scale }) }
            <div class="canvas-wrap">
                <PageCanvas at={props.at.clone()} highlight={props.highlight} view={*view} {pages}
                    {layout} {on_view} {on_hover} {on_pin} {on_draw_ms} />
                <GapLabels viewport={viewport.clone()} />
                <Tooltip hover={(*hover).clone()} pages_per_cell={viewport.pages_per_cell} />
            </div>
            { pinned_page(&PinnedPageProps { info: (*pinned).clone() }) }
            <Legend at={props.at.clone()} draw_ms={*draw_ms} />
        </section>
    }
}
