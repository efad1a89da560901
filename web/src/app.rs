//! The root component: owns the reducer, hands views and callbacks to the rest.

use yew::prelude::*;

use crate::controls::Controls;
use crate::free_areas::FreeAreas;
use crate::layout::Layout;
use crate::state::{Action, Notice, State};
use crate::step_log::StepLog;
use crate::zone_canvas::ZoneCanvas;

#[function_component(App)]
pub fn app() -> Html {
    let state = use_reducer(State::initial);
    let dispatch = {
        let state = state.clone();
        Callback::from(move |action: Action| state.dispatch(action))
    };
    let view = state.sim.view();
    let layout = Layout::for_zone(view.start_pfn, view.pages);
    let on_select = dispatch.reform(Action::Select);
    let notice = match &state.notice {
        Some(Notice::Info(text)) => html! { <p class="notice" role="status">{ text }</p> },
        Some(Notice::Error(text)) => html! { <p class="notice error" role="alert">{ text }</p> },
        None => {
            html! { <p class="notice" role="status">{ "Pick an order and allocate, or click a block." }</p> }
        }
    };
    html! {
        <main class="app">
            <header>
                <h1>{ "Buddyscope" }</h1>
                <p class="tagline">{ "The Linux 6.1 page allocator, one decision at a time." }</p>
            </header>
            <Controls config={state.config.clone()} on_action={dispatch} />
            { notice }
            <div class="panels">
                <ZoneCanvas view={view.clone()} layout={layout} selected={state.selected} on_select={on_select} />
                <aside>
                    <FreeAreas view={view} />
                    <StepLog events={state.sim.last_events().to_vec()} />
                    <section class="limits">
                        <h2>{ "What this model leaves out" }</h2>
                        <ul>{ for buddyscope_engine::LIMITATIONS.iter().map(|l| html! { <li>{ *l }</li> }) }</ul>
                    </section>
                </aside>
            </div>
        </main>
    }
}
