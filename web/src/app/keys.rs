//! The page's keyboard shortcuts (listed in `components::help`): which key stands
//! for which action, and the window listener that sends them.

use gloo_events::{EventListener, EventListenerOptions};
use wasm_bindgen::JsCast;
use web_sys::{HtmlElement, KeyboardEvent};
use yew::prelude::*;

use crate::state::Action;

/// What a shortcut does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyAction {
    StepInto,
    StepBack,
    StepOver,
    NextWatermarkCheck,
    ToStart,
    RunToEnd,
    TogglePlay,
    Share,
    Help,
}

/// The action a key (`KeyboardEvent.key`) stands for, if any.
pub fn key_action(key: &str, shift: bool) -> Option<KeyAction> {
    Some(match key {
        "ArrowRight" if shift => KeyAction::StepOver,
        "ArrowRight" | "j" => KeyAction::StepInto,
        "ArrowLeft" | "k" => KeyAction::StepBack,
        "n" => KeyAction::StepOver,
        "w" => KeyAction::NextWatermarkCheck,
        "Home" => KeyAction::ToStart,
        "End" => KeyAction::RunToEnd,
        " " | "p" => KeyAction::TogglePlay,
        "s" => KeyAction::Share,
        "?" => KeyAction::Help,
        _ => return None,
    })
}

/// The action a key event stands for. Keys typed into fields, and Space or Enter on
/// a button, are not shortcuts; nor is anything with Ctrl, Meta or Alt.
fn shortcut(event: &KeyboardEvent) -> Option<KeyAction> {
    if event.ctrl_key() || event.meta_key() || event.alt_key() {
        return None;
    }
    let tag = event
        .target()
        .and_then(|t| t.dyn_into::<HtmlElement>().ok())
        .map(|e| e.tag_name())
        .unwrap_or_default();
    if matches!(tag.as_str(), "INPUT" | "TEXTAREA" | "SELECT") {
        return None;
    }
    let key = event.key();
    if tag == "BUTTON" && matches!(key.as_str(), " " | "Enter") {
        return None;
    }
    key_action(&key, event.shift_key())
}

/// Where the shortcuts go.
#[derive(Clone)]
pub struct Targets {
    pub dispatch: Callback<Action>,
    pub on_share: Callback<()>,
    pub on_help: Callback<()>,
    pub playing: bool,
}

impl Targets {
    fn run(&self, action: KeyAction) {
        let dispatch = |action: Action| self.dispatch.emit(action);
        match action {
            KeyAction::StepInto => dispatch(Action::StepInto),
            KeyAction::StepBack => dispatch(Action::StepBack),
            KeyAction::StepOver => dispatch(Action::StepOver),
            KeyAction::NextWatermarkCheck => dispatch(Action::NextWatermarkCheck),
            KeyAction::ToStart => dispatch(Action::ToStart),
            KeyAction::RunToEnd => dispatch(Action::RunToEnd),
            KeyAction::TogglePlay => dispatch(Action::SetPlaying(!self.playing)),
            KeyAction::Share => self.on_share.emit(()),
            KeyAction::Help => self.on_help.emit(()),
        }
    }
}

/// Listens for shortcuts on the window, for the whole page. The listener is made
/// again when play starts or stops or the step changes, so it sees them.
#[hook]
pub fn use_shortcuts(targets: Targets, fragment: String) {
    use_effect_with((targets.playing, fragment), move |_| {
        let listener = web_sys::window().map(|window| {
            EventListener::new_with_options(
                &window,
                "keydown",
                EventListenerOptions::enable_prevent_default(),
                move |event| {
                    let Some(event) = event.dyn_ref::<KeyboardEvent>() else {
                        return;
                    };
                    if let Some(action) = shortcut(event) {
                        event.prevent_default();
                        targets.run(action);
                    }
                },
            )
        });
        move || drop(listener)
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_listed_key_has_its_action() {
        let cases = [
            ("ArrowRight", false, KeyAction::StepInto),
            ("j", false, KeyAction::StepInto),
            ("ArrowRight", true, KeyAction::StepOver),
            ("n", false, KeyAction::StepOver),
            ("ArrowLeft", false, KeyAction::StepBack),
            ("k", false, KeyAction::StepBack),
            ("w", false, KeyAction::NextWatermarkCheck),
            ("Home", false, KeyAction::ToStart),
            ("End", false, KeyAction::RunToEnd),
            (" ", false, KeyAction::TogglePlay),
            ("p", false, KeyAction::TogglePlay),
            ("s", false, KeyAction::Share),
            ("?", true, KeyAction::Help),
        ];
        for (key, shift, action) in cases {
            assert_eq!(key_action(key, shift), Some(action), "{key:?}");
        }
        assert_eq!(key_action("x", false), None);
        assert_eq!(key_action("Enter", false), None);
    }
}
