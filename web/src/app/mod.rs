//! The root component: owns the reducer, keeps the URL in step with it, handles the
//! keyboard shortcuts (`keys`) and play, and hands views and callbacks to the rest.
//! What it needs from the browser (location, clipboard) is in `browser`.

mod host;
pub mod keys;

use buddyscope_engine::types::Kernel;
use buddyscope_engine::view;
use gloo_timers::callback::{Interval, Timeout};
use yew::prelude::*;

use crate::tags::{el, text, PLAIN};

use crate::browser::{copy, mark_interactive_effect, read_location_memo};
pub use crate::browser::{mark_interactive, replace_fragment};
use crate::components::about::{about, AboutProps};
use crate::components::address_space::AddressSpace;
use crate::components::controls::{controls, ControlsProps};
use crate::components::editor::Editor;
use crate::components::embed::{embed as embed_panel, EmbedProps};
use crate::components::free_areas::FreeAreas;
use crate::components::gauges::Gauges;
use crate::components::help::{help, HelpProps};
use crate::components::kernel::{kernel_badge, kernel_note, KernelBadgeProps, KernelNoteProps};
use crate::components::kernel_diff::KernelDiff;
use crate::components::kernel_numbers::KernelNumbers;
use crate::components::lesson::Lesson;
use crate::components::limits::Limitations;
use crate::components::notice::{notice_line, NoticeLineProps};
use crate::components::side_by_side::{SideBySide, VaryForm};
use crate::components::step_panel::{step_panel, StepPanelProps};
use crate::components::timeline::{Timeline, TimelineSource};
use crate::components::zonelists::Zonelists;
use crate::link;
use crate::state::{Action, Notice, State};
use host::use_host_api;
use keys::{use_shortcuts, Targets};

/// Play: one step a tick while playing.
#[hook]
fn use_play(playing: bool, interval_ms: u32, dispatch: &Callback<Action>) {
    let dispatch = dispatch.clone();
    use_effect_with((playing, interval_ms), move |(playing, ms)| {
        let interval = playing.then(|| Interval::new(*ms, move || dispatch.emit(Action::Tick)));
        move || drop(interval)
    });
}

/// How long the address bar waits after a step before it shows the step's link.
const FRAGMENT_AFTER_STEP_MS: u32 = 100;

/// Keeps the address bar's fragment in step with the page. A new scenario, lesson
/// answer or switch is written at once; a move of the cursor alone is written
/// `FRAGMENT_AFTER_STEP_MS` later, and only the last of a run of steps:
/// `history.replaceState` took 3-6 ms of each step on the 16 GiB machine (Chromium
/// updates its navigation entry), more than the rest of the step's script.
#[hook]
fn use_fragment(search: &str, fragment: &str) {
    let written = use_mut_ref(|| None::<String>);
    let search = search.to_string();
    use_effect_with(fragment.to_string(), move |fragment| {
        let without_step = |f: &str| {
            f.split('&')
                .filter(|part| !part.starts_with("step="))
                .collect::<Vec<_>>()
                .join("&")
        };
        let step_only = written
            .borrow()
            .as_deref()
            .is_some_and(|last| without_step(last) == without_step(fragment));
        *written.borrow_mut() = Some(fragment.clone());
        let later = if step_only {
            let fragment = fragment.clone();
            Some(Timeout::new(FRAGMENT_AFTER_STEP_MS, move || {
                replace_fragment(&search, &fragment)
            }))
        } else {
            replace_fragment(&search, fragment);
            None
        };
        // A step before the timeout replaces this step's write with its own.
        move || drop(later)
    });
}

/// The header: the page's name (not when embedded), the scenario's title with its
/// kernel (and, outside an embed, the switch to the other kernel), and the kernel's
/// partial-model warning.
fn header(embed: bool, title: String, kernel: Kernel, on_action: Callback<Action>) -> Html {
    html! {
        <header>
            if !embed {
                { text("h1", PLAIN, "Buddyscope".into()) }
                { text("p", crate::attrs!("class" = "tagline"), "The Linux 6.1 and 6.12 page allocator (mm/page_alloc.c), one decision at a time.".into()) }
            }
            { el("p", crate::attrs!("class" = "scenario-title"), vec![text("strong", crate::attrs!("id" = "scenario-title"), title.to_string().into()), kernel_badge(&KernelBadgeProps { kernel, embed, on_action })]) }
            { kernel_note(&KernelNoteProps { kernel }) }
        </header>
    }
}

/// The link to this step, once the user asked to share it.
fn share_line(url: Option<String>) -> Html {
    match url {
        Some(url) => html! {
            <p class="share-line"><label>{ "Link to this step: " }
                <input id="share-link" type="text" readonly=true value={url} aria-label="Link to this step" /></label></p>
        },
        None => html! {},
    }
}

/// The page: side by side when the link holds a pair (`b=` or `vary=`), else the
/// playground. The mode is chosen once, when the page starts; the ways into a pair
/// reload the page with its link.
#[function_component(Root)]
pub fn root() -> Html {
    let location = use_memo((), read_location_memo);
    if buddyscope_engine::scenario::share::is_pair(&location.hash) {
        html! {
            <main class="app pair-app">
                <header>
                    { text("h1", PLAIN, "Buddyscope".into()) }
                    { text("p", crate::attrs!("class" = "tagline"), "The Linux page allocator (mm/page_alloc.c), two runs side by side.".into()) }
                </header>
                <SideBySide base={location.base.clone()} search={location.search.clone()} hash={location.hash.clone()} />
            </main>
        }
    } else {
        html! { <App /> }
    }
}

#[function_component(App)]
pub fn app() -> Html {
    let location = use_memo((), read_location_memo);
    let embed = link::is_embed(&location.search);
    let state = {
        let hash = location.hash.clone();
        use_reducer(move || State::from_fragment(&hash))
    };
    // One callback for the page's life: a panel whose other props did not change
    // then skips its render (and Yew's diff of it) when the cursor moves.
    let dispatch = {
        let dispatcher = state.dispatcher();
        (*use_memo((), move |_| {
            Callback::from(move |action: Action| dispatcher.dispatch(action))
        }))
        .clone()
    };
    let help_open = use_state(bool::default);
    let share_url = use_state(Option::<String>::default);

    let fragment = state.fragment();
    use_fragment(&location.search, &fragment);
    use_effect_with((), mark_interactive_effect);

    let on_copy = {
        let dispatch = dispatch.clone();
        (*use_memo((), move |_| {
            dispatch.reform(|(text, message): (String, &'static str)| {
                copy(&text);
                Action::Notify(Notice::Info(message.to_string()))
            })
        }))
        .clone()
    };
    let page_url = |search: String| format!("{}{search}#{fragment}", location.base);
    let open_url = page_url(link::without_embed(&location.search));
    let embed_url = page_url(link::with_embed(&location.search));
    let on_share = {
        let (share_url, on_copy, open_url) = (share_url.clone(), on_copy.clone(), open_url.clone());
        let (refused, dispatch) = (state.share_refused.clone(), dispatch.clone());
        let (search, fragment) = (location.search.clone(), fragment.clone());
        Callback::from(move |()| match &refused {
            // Too large for a link: say so rather than hand out a link that opens
            // something else.
            Some(why) => {
                share_url.set(None);
                dispatch.emit(Action::Notify(Notice::Error(why.to_string())));
            }
            None => {
                // The address bar follows a step 100 ms late; a shared link is the
                // address bar's at once.
                replace_fragment(&search, &fragment);
                share_url.set(Some(open_url.clone()));
                on_copy.emit((open_url.clone(), "Link to this step copied."));
            }
        })
    };
    let on_help = {
        let help_open = help_open.clone();
        Callback::from(move |()| help_open.set(!*help_open))
    };
    let targets = Targets {
        dispatch: dispatch.clone(),
        on_share: on_share.clone(),
        on_help: on_help.clone(),
        playing: state.playing,
    };
    use_shortcuts(targets, fragment.clone());
    use_play(state.playing, state.play_interval_ms, &dispatch);

    let overview = use_memo(
        (state.at.clone(), state.session.clone(), state.cursor),
        |(at, session, cursor)| view::overview(&at.allocator, session, *cursor),
    );
    use_host_api(embed, &location.search, &state, &overview.step);
    let title = state.title();
    html! {
        <main class={classes!("app", embed.then_some("embed"))}>
            { header(embed, title.clone(), state.scenario.machine.kernel, dispatch.clone()) }
            if !embed {
                { about(&AboutProps { about: state.scenario.about.clone() }) }
            }
            { controls(&ControlsProps { step: state.step(), last_step: state.session.last_step(),
                playing: state.playing, play_interval_ms: state.play_interval_ms,
                on_action: dispatch.clone(), on_share, on_help: on_help.clone(), embed }) }
            { notice_line(&NoticeLineProps { notice: state.notice.clone() }) }
            { share_line((*share_url).clone()) }
            <Lesson scenario={state.scenario.clone()} lesson={state.lesson.clone()} here={state.question_here()}
                on_action={dispatch.clone()} />
            if *help_open {
                { help(&HelpProps { on_close: on_help }) }
            }
            <div class="main-grid">
                <AddressSpace at={state.at.clone()} highlight={overview.step.highlight} />
                { step_panel(&StepPanelProps { step: overview.step.clone(), whole_call: state.whole_call,
                    on_action: dispatch.clone() }) }
            </div>
            <div class="panels">
                <Zonelists zonelists={overview.zonelists.clone()} />
                <Gauges gauges={overview.gauges.clone()} />
            </div>
            <FreeAreas areas={overview.free_areas.clone()} />
            <KernelNumbers at={state.at.clone()} host_request={state.host.numbers} />
            if !embed {
                <Timeline source={TimelineSource::Single {
                    session: state.session.clone(),
                    cursor: state.cursor,
                    on_action: dispatch.clone(),
                }} />
            }
            if !embed {
                <KernelDiff diff={state.kernel_diff.clone()} kernel={format!("Linux {}", state.scenario.machine.kernel)}
                    on_action={dispatch.clone()} scenario={state.scenario.clone()} />
            }
            { embed_panel(&EmbedProps { open_url, embed_url, title, embed, on_copy,
                share_refused: state.share_refused.clone() }) }
            if !embed {
                <Editor scenario={state.scenario.clone()} generation={state.generation}
                    load_error={state.load_error.clone()} warnings={state.warnings.clone()}
                    library={state.library.clone()} import_notes={state.import_notes.clone()}
                    trace_summary={state.trace_summary.clone()}
                    on_action={dispatch} />
                <VaryForm scenario={state.scenario.clone()} />
                <Limitations />
            }
        </main>
    }
}
