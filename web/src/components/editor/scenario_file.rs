//! The whole scenario file as TOML, editable and applied as a whole.

use std::rc::Rc;

use buddyscope_engine::scenario::{scenario_to_toml, Scenario};
use yew::prelude::*;

use crate::tags::{self, button, PLAIN};

use super::fields::{error_box, set_on_input, use_reset_on_load};
use crate::state::{Action, Source};

#[derive(Properties, PartialEq)]
pub struct ScenarioFileProps {
    pub scenario: Rc<Scenario>,
    /// Counts successful loads: a new one resets the text.
    pub generation: u64,
    /// The last failed load of a scenario file, if any.
    pub load_error: Option<String>,
    pub on_action: Callback<Action>,
}

#[function_component(ScenarioFile)]
pub fn scenario_file(props: &ScenarioFileProps) -> Html {
    let text = use_state(|| scenario_to_toml(&props.scenario));
    {
        let (text, scenario) = (text.clone(), props.scenario.clone());
        use_reset_on_load(
            props.generation,
            Box::new(move || text.set(scenario_to_toml(&scenario))),
        );
    }
    let on_input = set_on_input(&text);
    let on_apply = {
        let text = text.clone();
        props.on_action.reform(move |_: MouseEvent| Action::Load {
            text: (*text).clone(),
            source: Source::ScenarioFile,
            step: None,
        })
    };
    html! {
        <details class="raw">
            { tags::text("summary", PLAIN, "The scenario file (TOML)".into()) }
            <textarea id="scenario-text" aria-label="Scenario file" rows="16" spellcheck="false" value={(*text).clone()} oninput={on_input}></textarea>
            { button(crate::attrs!("type" = "button"), on_apply, "Apply scenario file".into()) }
            { error_box("scenario-error", props.load_error.clone()) }
        </details>
    }
}
