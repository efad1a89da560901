//! The teaching library picker: choose a scenario and open it.

use buddyscope_engine::scenario::library;
use std::rc::Rc;
use yew::prelude::*;

use crate::tags::{button, text};

use super::fields::{target_value, use_reset};
use crate::state::{Action, Source, DEFAULT_SCENARIO};

#[derive(Properties, PartialEq)]
pub struct LibraryPickerProps {
    /// The entry last opened ("default" for the default scenario): the picker shows
    /// it whenever it changes.
    pub current: Rc<String>,
    pub on_action: Callback<Action>,
}

/// The action that opens library entry `name` (the default scenario for "default").
fn open(name: String) -> Action {
    match library::get(&name) {
        Some(entry) => Action::Load {
            text: entry.text.to_string(),
            source: Source::Library(name),
            step: None,
        },
        None => Action::Load {
            text: DEFAULT_SCENARIO.to_string(),
            source: Source::Default,
            step: None,
        },
    }
}

#[function_component(LibraryPicker)]
pub fn library_picker(props: &LibraryPickerProps) -> Html {
    let pick = use_state(|| (*props.current).clone());
    {
        let pick = pick.clone();
        use_reset(props.current.clone(), move |current| {
            pick.set((**current).clone())
        });
    }
    let on_pick = {
        let pick = pick.clone();
        Callback::from(move |event: Event| pick.set(target_value(&event)))
    };
    let on_open = {
        let pick = pick.clone();
        props
            .on_action
            .reform(move |_: MouseEvent| open((*pick).clone()))
    };
    html! {
        <div class="library">
            { text("label", crate::attrs!("for" = "library-pick"), "Teaching library ".into()) }
            <select id="library-pick" aria-label="Library scenario" onchange={on_pick}>
                <option value="default" selected={*pick == "default"}>{ "Two nodes, and what happens when the local one runs low (default)" }</option>
                // The titles are written out in the library (`Entry::title`): listing
                // them parses no file (parsing all fifteen took 50-80 ms of start-up).
                { for library::ENTRIES.iter().map(|e| html! {
                    <option value={e.name} selected={*pick == e.name}>{ e.title }</option>
                }) }
            </select>
            { button(crate::attrs!("type" = "button"), on_open, "Open library scenario".into()) }
        </div>
    }
}
