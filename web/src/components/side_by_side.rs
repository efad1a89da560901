//! Side by side: two runs (a pair share link, `#s=A&b=B` or `#s=A&vary=v1.KEY%3DVALUE`,
//! see `buddyscope_engine::scenario::share`) stepped together by call: the same call
//! index on both sides, each side's watermark gauges and free areas at that point,
//! the first diverging event marked with a button that goes there, and a link that
//! reopens both at the same call. The comparison is the engine's (`report::pair`);
//! each side's cursor is `report::pair::pair_cursors`, the hook the timeline plots
//! use to draw both runs on one axis.
//!
//! Also the two ways in: [`VaryForm`] ("Compare with one change", beside the editor)
//! and [`open_pair`], which the "Compare kernels" view's "Open side by side" uses.

use std::rc::Rc;

use buddyscope_engine::limits::PAGE_OPERATIONS_MAX;
use buddyscope_engine::report::kernel_diff::{KernelDiff, KernelRun};

use crate::components::timeline::{Timeline, TimelineSource};
use crate::state::Shared;
use buddyscope_engine::report::pair::{pair_calls, pair_cursors, pair_diff, vary_diff};
use buddyscope_engine::scenario::share::{
    decode_pair, encode, encode_pair, PairB, PairLink, ShareLink,
};
use buddyscope_engine::scenario::vary::{current_of, Vary, VARY_KEYS};
use buddyscope_engine::scenario::{parse_scenario, scenario_to_toml, Scenario};
use buddyscope_engine::session::Cursor;
use buddyscope_engine::view::{self, describe_operation, diff_view, KernelDiffView};
use wasm_bindgen::JsCast;
use web_sys::{HtmlInputElement, HtmlSelectElement};
use yew::prelude::*;

use crate::components::free_areas::FreeAreas;
use crate::components::gauges::Gauges;
use crate::components::kernel_diff::{boot_head, boot_row, notes};
use crate::tags::{button, el, heading, text, PLAIN};

/// Events shown before the cursor on each side (the rest are counted).
const EVENTS_SHOWN: usize = 8;

/// Opens a pair: the fragment goes in the address bar and the page reloads into the
/// side-by-side mode (the page chooses its mode once, when it starts).
pub fn open_pair(fragment: &str) {
    if let Some(location) = web_sys::window().map(|w| w.location()) {
        let _ = location.set_hash(fragment);
        let _ = location.reload();
    }
}

/// The fragment of "this scenario on Linux 6.1 and on 6.12" as a pair: A is the
/// scenario on 6.1, B varies the kernel (what "Compare kernels" compares).
pub fn kernels_pair_fragment(scenario: &Scenario) -> String {
    let mut a = scenario.clone();
    a.machine.kernel = buddyscope_engine::types::Kernel::V6_1;
    encode_pair(&PairLink {
        a: scenario_to_toml(&a),
        b: PairB::Vary(Vary::Kernel(buddyscope_engine::types::Kernel::V6_12)),
        step: None,
    })
}

/// A pair link's runs and their comparison.
struct Loaded {
    link: PairLink,
    diff: Rc<KernelDiff>,
    view: KernelDiffView,
    calls: usize,
}

fn load(hash: &str) -> Result<Loaded, String> {
    let link = decode_pair(hash).map_err(|e| e.to_string())?;
    let a = parse_scenario(&link.a).map_err(|e| format!("the link's scenario A: {e}"))?;
    let diff = match &link.b {
        PairB::Scenario(text) => {
            let b = parse_scenario(text).map_err(|e| format!("the link's scenario B: {e}"))?;
            pair_diff(&a, &b, Some(PAGE_OPERATIONS_MAX))
        }
        PairB::Vary(vary) => vary_diff(&a, vary, Some(PAGE_OPERATIONS_MAX)),
    }
    .map_err(|e| e.to_string())?;
    let view = diff_view(&diff, 0);
    let calls = pair_calls(&diff);
    Ok(Loaded {
        link,
        diff: Rc::new(diff),
        view,
        calls,
    })
}

/// `&event=N` of the fragment, if any (the position inside the call; the engine's
/// pair link ignores it, the page reads it).
fn event_of(hash: &str) -> Option<usize> {
    hash.split('&')
        .find_map(|p| p.strip_prefix("event="))
        .and_then(|v| v.parse().ok())
}

/// Whole call: the cursor after the call's last event.
const WHOLE: usize = usize::MAX;

#[derive(Properties, PartialEq)]
pub struct SideBySideProps {
    /// The page's origin and path, query string and fragment.
    pub base: String,
    pub search: String,
    pub hash: String,
}

fn side(
    index: usize,
    label: &str,
    run: &KernelRun,
    cursor: Option<Cursor>,
    call: usize,
    first: Option<(usize, usize)>,
) -> Html {
    let name = if index == 0 { "A" } else { "B" };
    let Some(cursor) = cursor else {
        let calls = run.session.calls().len();
        return html! {
            <section class="pair-side" data-side={name} aria-label={format!("Run {name}")}>
                { text("h3", PLAIN, label.to_string().into()) }
                <p class="pair-ended" role="note">{ format!("This run has {calls} calls: it ended before call {}.", call + 1) }</p>
            </section>
        };
    };
    let allocator = run.session.state_at(cursor);
    let overview = view::overview(&allocator, &run.session, cursor);
    let operation = run
        .session
        .calls()
        .get(call)
        .map(|r| describe_operation(&r.operation))
        .unwrap_or_default();
    let events = run.session.events(call);
    let passed = events.get(..cursor.event).unwrap_or(&events);
    let skip = passed.len().saturating_sub(EVENTS_SHOWN);
    let differs_at = first.filter(|(c, _)| *c == call).map(|(_, e)| e);
    html! {
        <section class="pair-side" data-side={name} aria-label={format!("Run {name}")}>
            { text("h3", PLAIN, label.to_string().into()) }
            <p class="pair-call"><span class="pair-call-index">{ format!("call {}", call + 1) }</span>
                { format!(": {operation}") }</p>
            <p class="muted">{ format!("{} of {} events passed", cursor.event, events.len()) }
                if skip > 0 { { format!("; the last {EVENTS_SHOWN} shown") } }</p>
            <ol class="events pair-events" start={(skip + 1).to_string()}>
                { for passed.iter().enumerate().skip(skip).map(|(i, e)| {
                    let differs = differs_at == Some(i);
                    html! {
                        <li class={classes!(differs.then_some("differs"))}>
                            { text("code", crate::attrs!("class" = "fn"), (e.kernel_function()).to_string().into()) }{ " " }{ e.describe() }
                            if differs { { text("strong", crate::attrs!("class" = "pair-mark"), " ← the first event that differs".into()) } }
                        </li>
                    }
                }) }
            </ol>
            <Gauges gauges={overview.gauges.clone()} id={format!("gauges-{name}")} />
            <FreeAreas areas={overview.free_areas.clone()} id={format!("free-areas-{name}")} />
        </section>
    }
}

/// A side's label for the header line: "A: watermark_scale_factor=10" as it is, a
/// bare "A" with what it is.
fn described(label: &str, name: &str, what: &str) -> String {
    if label == name {
        format!("{name}: {what}")
    } else {
        label.to_string()
    }
}

#[function_component(SideBySide)]
pub fn side_by_side(props: &SideBySideProps) -> Html {
    let loaded = use_memo(props.hash.clone(), |hash| load(hash).map(Rc::new));
    use_effect_with((), crate::browser::mark_interactive_effect);
    let start = {
        let loaded = loaded.clone();
        let event = event_of(&props.hash);
        move || match &*loaded {
            Ok(l) => match l.link.step {
                Some(step) if step >= 1 => (
                    (step as usize - 1).min(l.calls.saturating_sub(1)),
                    event.unwrap_or(WHOLE),
                ),
                _ => (0, 0),
            },
            Err(_) => (0, 0),
        }
    };
    let position = use_state(start);
    let (call, event) = *position;
    // The address bar holds the pair at this call, so a reload reopens both there.
    let fragment = match &*loaded {
        Ok(l) => {
            let link = PairLink {
                step: Some(call as u64 + 1),
                ..l.link.clone()
            };
            let at = if event == WHOLE {
                String::new()
            } else {
                format!("&event={event}")
            };
            Some(format!("{}{at}", encode_pair(&link)))
        }
        Err(_) => None,
    };
    {
        let search = props.search.clone();
        use_effect_with(fragment.clone(), move |fragment| {
            if let Some(fragment) = fragment {
                crate::browser::replace_fragment(&search, fragment);
            }
        });
    }
    let loaded = match &*loaded {
        Ok(l) => l.clone(),
        Err(why) => {
            return html! {
                <section class="side-by-side" id="side-by-side" aria-label="Side by side">
                    { text("h2", PLAIN, "Side by side".into()) }
                    { text("p", crate::attrs!("role" = "alert", "id" = "pair-error", "class" = "field-error"), why.to_string().into()) }
                    <p><a href={props.base.clone()}>{ "Open the default scenario" }</a></p>
                </section>
            };
        }
    };
    let counts = loaded.diff.runs.each_ref().map(|r| r.session.calls().len());
    let last = loaded.calls.saturating_sub(1);
    let event_counts = loaded.diff.runs.each_ref().map(|r| {
        if call < r.session.calls().len() {
            r.session.event_count(call)
        } else {
            0
        }
    });
    let longest = event_counts[0].max(event_counts[1]);
    let set = |to: (usize, usize)| {
        let position = position.clone();
        Callback::from(move |_: MouseEvent| position.set(to))
    };
    // Back: to the end of the previous call (from the first call, to its start).
    let on_back = set(if call == 0 { (0, 0) } else { (call - 1, WHOLE) });
    let on_step = set(if event == WHOLE || event >= longest {
        ((call + 1).min(last), if call >= last { WHOLE } else { 0 })
    } else {
        (call, event + 1)
    });
    let on_over = set(if event != WHOLE && event < longest {
        (call, WHOLE)
    } else {
        ((call + 1).min(last), WHOLE)
    });
    let first = loaded.diff.first.as_ref().map(|f| (f.index, f.first_event));
    let cursors = pair_cursors(&loaded.diff, call, event);
    let where_ = match cursors {
        [Some(_), Some(_)] => "on both sides",
        [Some(_), None] => "(only A has it)",
        [None, Some(_)] => "(only B has it)",
        [None, None] => "(neither run has it)",
    };
    let [label_a, label_b] = &loaded.diff.labels;
    let shown_event = if event == WHOLE {
        "the whole call".to_string()
    } else {
        format!("{event} events in")
    };
    let fewer = match counts {
        [a, b] if a != b => {
            let (short, n) = if a < b { ("A", a) } else { ("B", b) };
            format!(" Run {short} has fewer calls ({n} against {}): past call {n} only the other side moves.", a.max(b))
        }
        _ => String::new(),
    };
    let url = format!(
        "{}{}#{}",
        props.base,
        props.search,
        fragment.clone().unwrap_or_default()
    );
    let single = format!(
        "{}{}#{}",
        props.base,
        props.search,
        encode(&ShareLink {
            scenario: loaded.link.a.clone(),
            step: None
        })
    );
    let view = &loaded.view;
    html! {
        <section class="side-by-side" id="side-by-side" aria-label="Side by side">
            { heading("h2", "Side by side ", "(the same call on both runs)") }
            <p id="pair-labels">{ format!("{}; {}", described(label_a, "A", "the link's first scenario"), described(label_b, "B", "the link's second scenario")) }</p>
            { text("p", crate::attrs!("id" = "pair-boot-summary"), view.boot_summary.to_string().into()) }
            if !view.zones.is_empty() {
                <table class="kernel-boot" id="pair-boot">
                    <thead>{ boot_head("A", "B") }</thead>
                    <tbody>
                        { for view.zones.iter().flat_map(|z| z.rows.iter().map(move |r| boot_row(false, z.zone.clone(), r))) }
                    </tbody>
                </table>
            }
            <div class="pair-controls" role="toolbar" aria-label="Step both runs">
                <button type="button" id="pair-back" onclick={on_back} disabled={call == 0 && (event == 0)}>{ "◀ Back" }</button>
                { button(crate::attrs!("type" = "button", "id" = "pair-step"), on_step, "Step ▶".into()) }
                { button(crate::attrs!("type" = "button", "id" = "pair-step-over"), on_over, "Step over ▶▶".into()) }
                { match first {
                    Some((c, e)) => html! {
                        <button type="button" id="pair-go-first" onclick={set((c, e + 1))}>
                            { format!("Go to the first difference (call {}, event {})", c + 1, e + 1) }
                        </button>
                    },
                    None => html! { { text("span", crate::attrs!("id" = "pair-go-first-none", "class" = "kernel-same"), "The runs never differ.".into()) } },
                } }
                <span id="pair-position" class="pair-position">
                    { format!("Call {} of {} {}, {shown_event}.", call + 1, loaded.calls, where_) }
                </span>
            </div>
            if !fewer.is_empty() {
                { text("p", crate::attrs!("id" = "pair-fewer", "role" = "note", "class" = "pair-fewer"), (fewer.trim()).to_string().into()) }
            }
            { text("p", crate::attrs!("id" = "pair-summary", "class" = "kernel-summary"), view.summary.to_string().into()) }
            <p class="share-line"><label>{ "Link to both at this call: " }
                <input id="pair-share" type="text" readonly=true value={url} aria-label="Link to both runs at this call" /></label>
                { " " }<a id="pair-open-a" href={single}>{ "Open A alone" }</a></p>
            { el("div", crate::attrs!("class" = "pair-sides"), vec![side(0, label_a, &loaded.diff.runs[0], cursors[0], call, first), side(1, label_b, &loaded.diff.runs[1], cursors[1], call, first)]) }
            // Both runs' plots on one call axis (B dotted); a click moves both.
            <Timeline source={TimelineSource::Pair {
                diff: Shared(loaded.diff.clone()),
                // The last call both sides have passed: this one once its events are.
                call: (if event >= longest { call + 1 } else { call } as u64).checked_sub(1),
                on_call: {
                    let position = position.clone();
                    Callback::from(move |c: usize| position.set((c, WHOLE)))
                },
            }} />
            { notes(&view.notes) }
        </section>
    }
}

#[derive(Properties, PartialEq)]
pub struct VaryFormProps {
    pub scenario: Rc<Scenario>,
}

/// "Compare with one change": pick a setting and B's value; opens the pair side by
/// side (A is the scenario as loaded).
#[function_component(VaryForm)]
pub fn vary_form(props: &VaryFormProps) -> Html {
    let key = use_state(|| VARY_KEYS[0].to_string());
    let value = use_state(String::new);
    let error = use_state(Option::<String>::default);
    let current = current_of(&key, &props.scenario).unwrap_or_default();
    let on_key = {
        let (key, error) = (key.clone(), error.clone());
        Callback::from(move |e: Event| {
            if let Some(select) = e
                .target()
                .and_then(|t| t.dyn_into::<HtmlSelectElement>().ok())
            {
                key.set(select.value());
                error.set(None);
            }
        })
    };
    let on_value = {
        let value = value.clone();
        Callback::from(move |e: InputEvent| {
            if let Some(input) = e
                .target()
                .and_then(|t| t.dyn_into::<HtmlInputElement>().ok())
            {
                value.set(input.value());
            }
        })
    };
    let on_open = {
        let (key, value, error, scenario) = (
            key.clone(),
            value.clone(),
            error.clone(),
            props.scenario.clone(),
        );
        Callback::from(
            move |_: MouseEvent| match Vary::parse(&format!("{}={}", *key, *value)) {
                Ok(vary) => {
                    error.set(None);
                    open_pair(&encode_pair(&PairLink {
                        a: scenario_to_toml(&scenario),
                        b: PairB::Vary(vary),
                        step: None,
                    }));
                }
                Err(why) => error.set(Some(why)),
            },
        )
    };
    html! {
        <section class="vary-form" id="vary-form" aria-label="Compare with one change">
            { heading("h2", "Compare with one change ", "(this scenario as A; B is the same with one setting changed, side by side)") }
            <label>{ "Setting " }
                <select id="vary-key" onchange={on_key}>
                    { for VARY_KEYS.iter().map(|k| html! { <option value={*k} selected={*k == key.as_str()}>{ *k }</option> }) }
                </select></label>
            { " " }
            <label>{ "B's value " }
                <input id="vary-value" type="text" value={(*value).clone()} oninput={on_value}
                    placeholder={format!("A has {current}")} /></label>
            { " " }
            { button(crate::attrs!("type" = "button", "id" = "vary-open"), on_open, "Compare side by side".into()) }
            <p class="muted">{ format!("A's {}: {current}. distances are rows split by `;` (10,20;20,10); lowmem_reserve_ratio is five numbers.", *key) }</p>
            if let Some(why) = &*error {
                { text("p", crate::attrs!("role" = "alert", "id" = "vary-error", "class" = "field-error"), why.to_string().into()) }
            }
        </section>
    }
}
