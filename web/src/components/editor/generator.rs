//! The generator picker: choose a seeded workload generator, edit its parameters,
//! and add the `generate` line it makes to the workload.

use buddyscope_engine::workload::generate;
use yew::prelude::*;
use yew::virtual_dom::VText;

use crate::tags::{button, el, text, PLAIN};

use super::fields::{set_on_input, target_value};

#[derive(Properties, PartialEq)]
pub struct GeneratorPickerProps {
    /// Receives the `generate` line to append to the workload.
    pub on_add: Callback<String>,
}

/// A generator's parameters at their defaults, as `key=value` words.
fn default_params(name: &str) -> String {
    generate::generator(name)
        .map(|g| {
            g.params
                .iter()
                .map(|p| format!("{}={}", p.name, p.default))
                .collect::<Vec<_>>()
                .join(" ")
        })
        .unwrap_or_default()
}

/// What the generator does and what each parameter means.
fn help_text(name: &str) -> Option<String> {
    generate::generator(name).map(|g| {
        let params: Vec<String> = g
            .params
            .iter()
            .map(|p| format!("{} (≤ {}): {}", p.name, p.max, p.help))
            .collect();
        format!("{} Parameters: {}.", g.summary, params.join("; "))
    })
}

#[function_component(GeneratorPicker)]
pub fn generator_picker(props: &GeneratorPickerProps) -> Html {
    let first = generate::GENERATORS.first().map_or("", |g| g.name);
    let pick = use_state(|| first.to_string());
    let params = use_state(|| default_params(first));
    let on_pick = {
        let (pick, params) = (pick.clone(), params.clone());
        Callback::from(move |event: Event| {
            let name = target_value(&event);
            params.set(default_params(&name));
            pick.set(name);
        })
    };
    let on_params = set_on_input(&params);
    let on_add = {
        let (pick, params) = (pick.clone(), params.clone());
        props.on_add.reform(move |_: MouseEvent| {
            format!("generate {} {}", *pick, params.trim())
                .trim_end()
                .to_string()
        })
    };
    html! {
        <>
            <div class="generator row">
                <label class="field" for="generator-pick">{ text("span", PLAIN, "Generator".into()) }
                    <select id="generator-pick" aria-label="Workload generator" onchange={on_pick}>
                        { for generate::GENERATORS.iter().map(|g| html! {
                            <option value={g.name} selected={*pick == g.name}>{ g.name }</option>
                        }) }
                    </select>
                </label>
                <label class="field" for="generator-params">{ text("span", PLAIN, "Parameters".into()) }
                    <input id="generator-params" type="text" spellcheck="false" value={(*params).clone()} oninput={on_params} />
                </label>
                { button(crate::attrs!("type" = "button"), on_add, "Add generator to workload".into()) }
            </div>
            if let Some(help) = help_text(&pick) {
                { el("p", crate::attrs!("id" = "generator-help", "class" = "muted"), vec![Html::from(help), VText::new(" Seeded by [workload] seed in the scenario file; its allocations are named gN_KIND.").into()]) }
            }
        </>
    }
}
