//! The control bar: allocate, free, and rebuild the zone.

use buddyscope_engine::{ZoneConfig, MAX_ORDER};
use web_sys::{HtmlInputElement, HtmlSelectElement};
use yew::prelude::*;

use crate::state::Action;

#[derive(Properties, PartialEq)]
pub struct ControlsProps {
    pub config: ZoneConfig,
    pub on_action: Callback<Action>,
}

#[function_component(Controls)]
pub fn controls(props: &ControlsProps) -> Html {
    // The chosen order and the zone form are transient input, not simulation state.
    let order = use_state(|| 0u32);
    let pages_ref = use_node_ref();
    let start_ref = use_node_ref();
    let fresh_ref = use_node_ref();

    let on_order = {
        let order = order.clone();
        Callback::from(move |event: Event| {
            let select: HtmlSelectElement = event.target_unchecked_into();
            order.set(select.value().parse().unwrap_or(0));
        })
    };
    let on_alloc = {
        let order = *order;
        props
            .on_action
            .reform(move |_: MouseEvent| Action::Allocate { order })
    };
    let on_free = props.on_action.reform(|_: MouseEvent| Action::Free);
    let on_rebuild = {
        let (pages_ref, start_ref, fresh_ref) =
            (pages_ref.clone(), start_ref.clone(), fresh_ref.clone());
        let on_action = props.on_action.clone();
        let current = props.config.clone();
        Callback::from(move |event: SubmitEvent| {
            event.prevent_default();
            let read = |node: &NodeRef| node.cast::<HtmlInputElement>();
            let mut config = current.clone();
            // An unparsable number becomes 0, which the engine rejects with a message.
            if let Some(input) = read(&pages_ref) {
                config.pages = input.value().trim().parse().unwrap_or(0);
            }
            if let Some(input) = read(&start_ref) {
                let text = input.value();
                let text = text.trim();
                config.start_pfn = match text.strip_prefix("0x") {
                    Some(hex) => u64::from_str_radix(hex, 16).unwrap_or(u64::MAX),
                    None => text.parse().unwrap_or(u64::MAX),
                };
            }
            if let Some(input) = read(&fresh_ref) {
                let defaults = ZoneConfig::default_scenario();
                config.warmup_seed = if input.checked() {
                    None
                } else {
                    defaults.warmup_seed
                };
                config.warmup_allocs = defaults.warmup_allocs;
            }
            on_action.emit(Action::Rebuild(config));
        })
    };

    html! {
        <section class="controls" aria-label="Controls">
            <div class="group">
                <label>{ "Order " }
                    <select aria-label="Order" onchange={on_order}>
                        { for (0..u32::from(MAX_ORDER)).map(|o| html! {
                            <option value={o.to_string()} selected={o == *order}>{ format!("{o} ({} KiB)", 4u64 << o) }</option>
                        }) }
                    </select>
                </label>
                <button class="primary" onclick={on_alloc}>{ format!("Allocate order {}", *order) }</button>
                <button onclick={on_free} title="Frees the selected block if it is allocated, else the newest allocation">{ "Free" }</button>
            </div>
            <form class="group" onsubmit={on_rebuild} aria-label="Zone">
                <label>{ "Pages " }
                    <input ref={pages_ref} aria-label="Pages" type="number" value={props.config.pages.to_string()} />
                </label>
                <label>{ "Start pfn " }
                    <input ref={start_ref} aria-label="Start pfn" type="text" size="8" value={format!("{:#x}", props.config.start_pfn)} />
                </label>
                <label>
                    <input ref={fresh_ref} type="checkbox" checked={props.config.warmup_seed.is_none()} />
                    { " fresh (no warm-up)" }
                </label>
                <button type="submit">{ "Rebuild zone" }</button>
            </form>
        </section>
    }
}
