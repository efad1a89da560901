//! The root component: owns the reducer, keeps the URL in step with it, handles the
//! keyboard shortcuts and play, and hands views and callbacks to the rest.

use buddyscope_engine::alloc::NOT_MODELLED;
use buddyscope_engine::view;
use gloo_events::{EventListener, EventListenerOptions};
use gloo_timers::callback::Interval;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{HtmlElement, KeyboardEvent};
use yew::prelude::*;

use crate::address_space::AddressSpace;
use crate::controls::Controls;
use crate::editor::Editor;
use crate::embed::Embed;
use crate::free_areas::FreeAreas;
use crate::gauges::Gauges;
use crate::help::Help;
use crate::link;
use crate::state::{Action, Notice, State};
use crate::step_panel::StepPanel;
use crate::zonelists::Zonelists;

/// Where the page was opened: path, query and fragment.
#[derive(Clone, Debug, Default, PartialEq)]
struct Location {
    /// Origin and path, without query or fragment.
    base: String,
    search: String,
    hash: String,
}

fn read_location() -> Location {
    let Some(location) = web_sys::window().map(|w| w.location()) else {
        return Location::default();
    };
    Location {
        base: format!(
            "{}{}",
            location.origin().unwrap_or_default(),
            location.pathname().unwrap_or_default()
        ),
        search: location.search().unwrap_or_default(),
        hash: location.hash().unwrap_or_default(),
    }
}

/// Puts the fragment in the address bar without a history entry per step.
fn replace_fragment(search: &str, fragment: &str) {
    if let Some(history) = web_sys::window().and_then(|w| w.history().ok()) {
        let _ = history.replace_state_with_url(
            &JsValue::NULL,
            "",
            Some(&format!("{search}#{fragment}")),
        );
    }
}

/// Copies text to the clipboard; the text is also on screen to copy by hand.
fn copy(text: &str) {
    if let Some(window) = web_sys::window() {
        let _ = window.navigator().clipboard().write_text(text);
    }
}

/// The action a key stands for, if any. Keys typed into fields are not shortcuts.
fn shortcut(event: &KeyboardEvent) -> Option<&'static str> {
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
    Some(match key.as_str() {
        "ArrowRight" if event.shift_key() => "over",
        "ArrowRight" | "j" => "into",
        "ArrowLeft" | "k" => "back",
        "n" => "over",
        "w" => "check",
        "Home" => "start",
        "End" => "end",
        " " | "p" => "play",
        "s" => "share",
        "?" => "help",
        _ => return None,
    })
}

#[function_component(App)]
pub fn app() -> Html {
    let location = use_memo((), |_| read_location());
    let embed = link::is_embed(&location.search);
    let state = {
        let hash = location.hash.clone();
        use_reducer(move || State::from_fragment(&hash))
    };
    let dispatch = {
        let state = state.clone();
        Callback::from(move |action: Action| state.dispatch(action))
    };
    let help_open = use_state(|| false);
    let share_url = use_state(|| None::<String>);

    let fragment = state.fragment();
    let search = location.search.clone();
    use_effect_with(fragment.clone(), move |fragment| {
        replace_fragment(&search, fragment)
    });

    // Time to interactive: the first render with the scenario loaded.
    use_effect_with((), |_| {
        if let Some(window) = web_sys::window() {
            if let Some(p) = window.performance() {
                let _ = p.mark("buddyscope-interactive");
            }
            if let Some(body) = window.document().and_then(|d| d.body()) {
                let _ = body.set_attribute("data-ready", "1");
            }
        }
    });

    let on_copy = {
        let dispatch = dispatch.clone();
        Callback::from(move |(text, message): (String, &'static str)| {
            copy(&text);
            dispatch.emit(Action::Notify(Notice::Info(message.to_string())));
        })
    };
    let open_url = format!(
        "{}{}#{}",
        location.base,
        link::without_embed(&location.search),
        fragment
    );
    let embed_url = format!(
        "{}{}#{}",
        location.base,
        link::with_embed(&location.search),
        fragment
    );
    let on_share = {
        let (share_url, on_copy, open_url) = (share_url.clone(), on_copy.clone(), open_url.clone());
        Callback::from(move |()| {
            share_url.set(Some(open_url.clone()));
            on_copy.emit((open_url.clone(), "Link to this step copied."));
        })
    };
    let on_help = {
        let help_open = help_open.clone();
        Callback::from(move |()| help_open.set(!*help_open))
    };

    // Keyboard shortcuts, on the window, for the whole page.
    {
        let (dispatch, on_share, on_help) = (dispatch.clone(), on_share.clone(), on_help.clone());
        let playing = state.playing;
        use_effect_with((playing, fragment.clone()), move |_| {
            let listener = web_sys::window().map(|window| {
                EventListener::new_with_options(
                    &window,
                    "keydown",
                    EventListenerOptions::enable_prevent_default(),
                    move |event| {
                        let Some(event) = event.dyn_ref::<KeyboardEvent>() else {
                            return;
                        };
                        let Some(what) = shortcut(event) else {
                            return;
                        };
                        event.prevent_default();
                        match what {
                            "into" => dispatch.emit(Action::StepInto),
                            "back" => dispatch.emit(Action::StepBack),
                            "over" => dispatch.emit(Action::StepOver),
                            "check" => dispatch.emit(Action::NextWatermarkCheck),
                            "start" => dispatch.emit(Action::ToStart),
                            "end" => dispatch.emit(Action::RunToEnd),
                            "play" => dispatch.emit(Action::SetPlaying(!playing)),
                            "share" => on_share.emit(()),
                            _ => on_help.emit(()),
                        }
                    },
                )
            });
            move || drop(listener)
        });
    }

    // Play: one step a tick while playing.
    {
        let dispatch = dispatch.clone();
        use_effect_with(
            (state.playing, state.play_interval_ms),
            move |(playing, ms)| {
                let interval =
                    playing.then(|| Interval::new(*ms, move || dispatch.emit(Action::Tick)));
                move || drop(interval)
            },
        );
    }

    let overview = use_memo(
        (state.at.clone(), state.session.clone(), state.cursor),
        |(at, session, cursor)| view::overview(&at.allocator, session, *cursor),
    );

    let notice = match &state.notice {
        Some(Notice::Info(text)) => {
            html! { <p class="notice" id="notice" role="status">{ text }</p> }
        }
        Some(Notice::Error(text)) => {
            html! { <p class="notice error" id="notice" role="alert">{ text }</p> }
        }
        None => {
            html! { <p class="notice" id="notice" role="status">{ "→ steps forward, ← steps back; ? lists every shortcut." }</p> }
        }
    };
    let title = state.title();
    html! {
        <main class={classes!("app", embed.then_some("embed"))}>
            <header>
                if !embed {
                    <h1>{ "Buddyscope" }</h1>
                    <p class="tagline">{ "The Linux 6.1 page allocator (mm/page_alloc.c), one decision at a time." }</p>
                }
                <p class="scenario-title" id="scenario-title"><strong>{ title.clone() }</strong></p>
            </header>
            <Controls step={state.step()} last_step={state.session.last_step()} playing={state.playing}
                play_interval_ms={state.play_interval_ms} on_action={dispatch.clone()}
                on_share={on_share} on_help={on_help.clone()} {embed} />
            { notice }
            if let Some(url) = (*share_url).clone() {
                <p class="share-line"><label>{ "Link to this step: " }
                    <input id="share-link" type="text" readonly=true value={url} aria-label="Link to this step" /></label></p>
            }
            if *help_open {
                <Help on_close={on_help} />
            }
            <div class="main-grid">
                <AddressSpace at={state.at.clone()} highlight={overview.step.highlight} />
                <StepPanel step={overview.step.clone()} />
            </div>
            <div class="panels">
                <Zonelists zonelists={overview.zonelists.clone()} />
                <Gauges gauges={overview.gauges.clone()} />
            </div>
            <FreeAreas areas={overview.free_areas.clone()} />
            <Embed open_url={open_url} embed_url={embed_url} title={title} {embed} on_copy={on_copy} />
            if !embed {
                if let Some(about) = state.scenario.about.clone() {
                    <section class="about" aria-label="About this scenario"><h2>{ "About this scenario" }</h2><p class="pre">{ about }</p></section>
                }
                <Editor scenario={state.scenario.clone()} generation={state.generation}
                    load_error={state.load_error.clone()} warnings={state.warnings.clone()} on_action={dispatch} />
                <section class="limits" aria-label="What this model leaves out">
                    <h2>{ "What this model leaves out" }</h2>
                    <ul>
                        { for buddyscope_engine::LIMITATIONS.iter().chain(NOT_MODELLED.iter()).map(|l| html! { <li>{ *l }</li> }) }
                    </ul>
                </section>
            }
        </main>
    }
}
