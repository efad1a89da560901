//! "Next" for the kinds of event a learner hunts (steal, claim, merge, kswapd,
//! compaction, OOM): a select and a button. The kinds and what matches them are the
//! engine's (`view::EventKind`); if none is ahead the reducer says so.

use buddyscope_engine::view::EventKind;
use yew::prelude::*;

use crate::tags::text;

use crate::components::editor::target_value;
use crate::state::{on_click, Action};

#[derive(Properties, PartialEq)]
pub struct NextEventProps {
    pub at_end: bool,
    pub on_action: Callback<Action>,
}

#[function_component(NextEvent)]
pub fn next_event(props: &NextEventProps) -> Html {
    let kind = use_state(|| EventKind::Steal);
    let on_pick = {
        let kind = kind.clone();
        Callback::from(move |event: Event| {
            if let Some(k) = EventKind::from_name(&target_value(&event)) {
                kind.set(k);
            }
        })
    };
    let on_next = {
        let kind = *kind;
        on_click(&props.on_action, Action::NextEvent(kind))
    };
    html! {
        <div class="group next-event" role="group" aria-label="Find the next event">
            { text("label", crate::attrs!("for" = "next-kind"), "Find ".into()) }
            <select id="next-kind" aria-label="Event kind" onchange={on_pick}>
                { for EventKind::ALL.iter().map(|k| html! {
                    <option value={k.name()} selected={*k == *kind}>{ k.label() }</option>
                }) }
            </select>
            <button type="button" aria-label="Next of this kind" title="To the next event of the kind chosen"
                disabled={props.at_end} onclick={on_next}>{ "Next ▶" }</button>
        </div>
    }
}
