//! The editor's small building blocks: reading a field's value, a labelled text
//! field, an error line, a callback that edits the machine form, and the hook that
//! resets a part's fields when a new scenario loads.

use std::rc::Rc;

use buddyscope_engine::view::MachineForm;
use wasm_bindgen::JsCast;
use web_sys::{HtmlInputElement, HtmlSelectElement, HtmlTextAreaElement};
use yew::prelude::*;

use crate::tags::{text, PLAIN};

/// Runs `reset` when `deps` change (a new scenario loaded), but not after the first
/// render: a part's fields start from the same scenario (`use_state`'s initial
/// value), and setting them again there cost each part a second render, and the
/// scenario file's part a second `scenario_to_toml`, at start-up.
#[hook]
pub fn use_reset<D, F>(deps: D, reset: F)
where
    D: PartialEq + 'static,
    F: FnOnce(&D) + 'static,
{
    let mounted = use_mut_ref(|| false);
    use_effect_with(deps, move |deps| {
        if std::mem::replace(&mut *mounted.borrow_mut(), true) {
            reset(deps);
        }
    });
}

/// [`use_reset`] on the count of loads (the form's parts): one compiled hook for
/// them all, the reset behind `dyn`.
#[hook]
pub fn use_reset_on_load(generation: u64, reset: Box<dyn FnOnce()>) {
    use_reset(generation, move |_| reset());
}

/// The value of the input, textarea or select an event came from.
pub fn target_value(event: &web_sys::Event) -> String {
    let Some(target) = event.target() else {
        return String::new();
    };
    if let Some(input) = target.dyn_ref::<HtmlInputElement>() {
        input.value()
    } else if let Some(area) = target.dyn_ref::<HtmlTextAreaElement>() {
        area.value()
    } else if let Some(select) = target.dyn_ref::<HtmlSelectElement>() {
        select.value()
    } else {
        String::new()
    }
}

/// A field's input written to a text state: one compiled callback for every such
/// field.
pub fn set_on_input(state: &UseStateHandle<String>) -> Callback<InputEvent> {
    let state = state.clone();
    Callback::from(move |event: InputEvent| state.set(target_value(&event)))
}

/// A callback that sends `form` edited with the new field value to `on_change`.
pub fn edit<F>(
    form: &MachineForm,
    on_change: &Callback<MachineForm>,
    change: F,
) -> Callback<InputEvent>
where
    F: Fn(&mut MachineForm, String) + 'static,
{
    edit_with(form, on_change, Rc::new(change))
}

/// A change to the machine form from a field's text.
type Change = Rc<dyn Fn(&mut MachineForm, String)>;

/// [`edit`]'s callback, compiled once for every field (the change behind `dyn`).
fn edit_with(
    form: &MachineForm,
    on_change: &Callback<MachineForm>,
    change: Change,
) -> Callback<InputEvent> {
    let form = form.clone();
    on_change.reform(move |event: InputEvent| {
        let mut next = form.clone();
        change(&mut next, target_value(&event));
        next
    })
}

/// A callback that sends `form` changed by `change` to `on_change` on a click.
pub fn click<F>(
    form: &MachineForm,
    on_change: &Callback<MachineForm>,
    change: F,
) -> Callback<MouseEvent>
where
    F: Fn(&mut MachineForm) + 'static,
{
    click_with(form, on_change, Rc::new(change))
}

/// [`click`]'s callback, compiled once for every button (the change behind `dyn`).
fn click_with(
    form: &MachineForm,
    on_change: &Callback<MachineForm>,
    change: Rc<dyn Fn(&mut MachineForm)>,
) -> Callback<MouseEvent> {
    let form = form.clone();
    on_change.reform(move |_: MouseEvent| {
        let mut next = form.clone();
        change(&mut next);
        next
    })
}

/// A labelled one-line text field with a hint under it.
pub fn text_field(
    label: &str,
    id: &str,
    value: &str,
    hint: &str,
    oninput: Callback<InputEvent>,
) -> Html {
    html! {
        <label class="field" for={id.to_string()}>
            { text("span", PLAIN, label.to_string().into()) }
            <input id={id.to_string()} type="text" value={value.to_string()} {oninput} />
            { text("small", crate::attrs!("class" = "muted"), hint.to_string().into()) }
        </label>
    }
}

/// The error line under a part of the editor, or nothing.
pub fn error_box(id: &str, message: Option<String>) -> Html {
    match message {
        Some(message) => {
            html! { <p class="field-error" id={id.to_string()} role="alert">{ message }</p> }
        }
        None => html! {},
    }
}
