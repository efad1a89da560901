//! The go-to box: type a step number or `call N` and press Enter (or Go). The text is
//! transient component state; the reducer reads it (`view::go_to_step`) and says why
//! it cannot go there, leaving the cursor where it was.

use yew::prelude::*;

use crate::tags;

use crate::components::editor::set_on_input;
use crate::state::Action;

#[derive(Properties, PartialEq)]
pub struct GoToProps {
    pub on_action: Callback<Action>,
}

#[function_component(GoTo)]
pub fn go_to(props: &GoToProps) -> Html {
    let text = use_state(String::new);
    let on_input = set_on_input(&text);
    // A form, so Enter in the field goes there and the button is its submit.
    let on_submit = {
        let (text, on_action) = (text.clone(), props.on_action.clone());
        Callback::from(move |event: SubmitEvent| {
            event.prevent_default();
            on_action.emit(Action::GoTo((*text).clone()));
        })
    };
    html! {
        <form class="group go-to" role="search" aria-label="Go to a step or a call" onsubmit={on_submit}>
            { tags::text("label", crate::attrs!("for" = "go-to"), "Go to ".into()) }
            <input id="go-to" type="text" size="9" placeholder="step or call N" aria-label="Go to step or call"
                title="A step number, or “call N” for the start of call N" value={(*text).clone()} oninput={on_input} />
            <button type="submit" aria-label="Go">{ "Go" }</button>
        </form>
    }
}
