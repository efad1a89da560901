//! The stepping controls: step back, forward, over, run, seek, play and speed, go to
//! a step or call, find the next event of a kind, and the share and help buttons.
//! Every control has an accessible name and is reachable with Tab; the stepping
//! buttons also have a keyboard shortcut (listed in the help panel, handled in
//! `app::keys`).

use web_sys::{HtmlInputElement, HtmlSelectElement};
use yew::prelude::*;

use crate::components::go_to::GoTo;
use crate::components::next_event::NextEvent;
use crate::state::{on_click, on_click_unit, Action};
use crate::tags::{button, button_with};

pub struct ControlsProps {
    pub step: u64,
    pub last_step: u64,
    pub playing: bool,
    pub play_interval_ms: u32,
    pub on_action: Callback<Action>,
    pub on_share: Callback<()>,
    pub on_help: Callback<()>,
    /// The compact embedded layout hides sharing of edits (there are none).
    pub embed: bool,
}

/// Play speeds: (label, milliseconds a step).
pub const SPEEDS: &[(&str, u32)] = &[
    ("1 step/s", 1000),
    ("5 steps/s", 200),
    ("20 steps/s", 50),
    ("60 steps/s", 16),
];

/// A stepping button: its name, tooltip, class, whether it is off, what it does.
fn step_button(
    label: &'static str,
    title: &'static str,
    class: Option<&'static str>,
    disabled: bool,
    onclick: Callback<MouseEvent>,
    text: &'static str,
) -> Html {
    button_with(
        &["type", "aria-label", "title", "disabled", "class"],
        vec![
            Some("button".into()),
            Some(label.into()),
            Some(title.into()),
            disabled.then_some("disabled".into()),
            class.map(AttrValue::from),
        ],
        onclick,
        text.into(),
    )
}

pub fn controls(props: &ControlsProps) -> Html {
    let act = |action: Action| on_click(&props.on_action, action);
    let on_seek = props.on_action.reform(|event: InputEvent| {
        let input: HtmlInputElement = event.target_unchecked_into();
        Action::Seek(input.value().parse().unwrap_or(0))
    });
    let on_speed = props.on_action.reform(|event: Event| {
        let select: HtmlSelectElement = event.target_unchecked_into();
        Action::SetInterval(select.value().parse().unwrap_or(200))
    });
    let playing = props.playing;
    let at_end = props.step >= props.last_step;
    let at_start = props.step == 0;
    let on_share = on_click_unit(&props.on_share);
    let on_help = on_click_unit(&props.on_help);
    html! {
        <section class="controls" aria-label="Stepping controls">
            <div class="group" role="group" aria-label="Step">
                { step_button("Back to start", "Back to start (Home)", None, at_start, act(Action::ToStart), "|◀ Start") }
                { step_button("Step back", "Step back (← or k)", None, at_start, act(Action::StepBack), "◀ Back") }
                { step_button("Step forward", "Step forward: the next event (→ or j)", Some("primary"), at_end, act(Action::StepInto), "Step ▶") }
                { step_button("Step over", "Step over: to the end of this call (Shift+→ or n)", None, at_end, act(Action::StepOver), "Over ⤼") }
                { step_button("Next watermark check", "To the next watermark check (w)", None, at_end, act(Action::NextWatermarkCheck), "Next check") }
                { step_button("Run", "Run to the end (End)", None, at_end, act(Action::RunToEnd), "Run ▶|") }
                <button type="button" aria-label={if playing { "Pause" } else { "Play" }} title="Play or pause (Space or p)"
                    aria-pressed={playing.to_string()} onclick={act(Action::SetPlaying(!playing))}>{ if playing { "⏸ Pause" } else { "▶ Play" } }</button>
                <label>{ "Speed " }
                    <select aria-label="Speed" onchange={on_speed}>
                        { for SPEEDS.iter().map(|(label, ms)| html! {
                            <option value={ms.to_string()} selected={*ms == props.play_interval_ms}>{ *label }</option>
                        }) }
                    </select>
                </label>
            </div>
            <div class="group timeline">
                <input type="range" aria-label="Timeline" min="0" max={props.last_step.to_string()}
                    value={props.step.to_string()} oninput={on_seek} />
                <span id="step-counter" aria-live="polite">{ format!("step {} of {}", props.step, props.last_step) }</span>
            </div>
            <GoTo on_action={props.on_action.clone()} />
            <NextEvent {at_end} on_action={props.on_action.clone()} />
            <div class="group">
                { button(crate::attrs!("type" = "button", "aria-label" = "Share", "title" = "Copy a link to exactly this step (s)"), on_share, "Share".into()) }
                if !props.embed {
                    { button(crate::attrs!("type" = "button", "aria-label" = "Keyboard shortcuts", "title" = "Keyboard shortcuts (?)"), on_help, "?".into()) }
                }
            </div>
        </section>
    }
}
