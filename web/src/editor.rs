//! The scenario editor: pick from the teaching library, edit the machine (nodes,
//! memory ranges and holes, CPUs, section size, distances, kernelcore/movablecore,
//! THP, sysctls), edit the workload, edit the whole scenario file, or import a real
//! machine's snapshot. Fields are transient component state; nothing reaches the
//! model until an Apply button sends an action, and a scenario that does not load
//! leaves the last good one running with the error shown beside the field.

use std::rc::Rc;

use buddyscope_engine::scenario::library;
use buddyscope_engine::scenario::{scenario_to_toml, Scenario};
use buddyscope_engine::view::{LoadError, LoadErrorPlace, MachineForm};
use buddyscope_engine::workload::generate;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{HtmlInputElement, HtmlSelectElement, HtmlTextAreaElement};
use yew::prelude::*;

use crate::state::{Action, Source, DEFAULT_SCENARIO};

/// The largest snapshot file the page reads (as the engine's limit).
const SNAPSHOT_BYTES_MAX: f64 = 16.0 * 1024.0 * 1024.0;

#[derive(Properties, PartialEq)]
pub struct EditorProps {
    pub scenario: Rc<Scenario>,
    pub generation: u64,
    pub load_error: Option<(Source, LoadError)>,
    pub warnings: Rc<Vec<String>>,
    pub on_action: Callback<Action>,
}

/// The value of the input, textarea or select an event came from.
fn target_value(event: &web_sys::Event) -> String {
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

/// A callback that edits the form with the new field value.
fn edit<F>(form: &UseStateHandle<MachineForm>, change: F) -> Callback<InputEvent>
where
    F: Fn(&mut MachineForm, String) + 'static,
{
    let form = form.clone();
    Callback::from(move |event: InputEvent| {
        let mut next = (*form).clone();
        change(&mut next, target_value(&event));
        form.set(next);
    })
}

fn text_field(
    label: &str,
    id: &str,
    value: &str,
    hint: &str,
    oninput: Callback<InputEvent>,
) -> Html {
    html! {
        <label class="field" for={id.to_string()}>
            <span>{ label.to_string() }</span>
            <input id={id.to_string()} type="text" value={value.to_string()} {oninput} />
            <small class="muted">{ hint.to_string() }</small>
        </label>
    }
}

fn error_box(id: &str, message: Option<String>) -> Html {
    match message {
        Some(message) => {
            html! { <p class="field-error" id={id.to_string()} role="alert">{ message }</p> }
        }
        None => html! {},
    }
}

/// The workload's offending line with a caret under the column.
fn workload_excerpt(script: &str, line: usize, column: usize) -> String {
    let text = script.lines().nth(line.saturating_sub(1)).unwrap_or("");
    format!(
        "{line:>4} | {text}\n     | {}^",
        " ".repeat(column.saturating_sub(1))
    )
}

#[function_component(Editor)]
pub fn editor(props: &EditorProps) -> Html {
    let form = use_state(|| MachineForm::from_scenario(&props.scenario));
    let workload = use_state(|| props.scenario.workload.clone().unwrap_or_default());
    let toml_text = use_state(|| scenario_to_toml(&props.scenario));
    let snapshot = use_state(String::new);
    let library_pick = use_state(|| "default".to_string());
    let generator_pick = use_state(|| generate::GENERATORS[0].name.to_string());
    let generator_params = use_state(|| default_params(generate::GENERATORS[0].name));
    let form_error = use_state(|| None::<String>);
    let upload_error = use_state(|| None::<String>);

    // A newly loaded scenario resets every field to it.
    {
        let (form, workload, toml_text, form_error) = (
            form.clone(),
            workload.clone(),
            toml_text.clone(),
            form_error.clone(),
        );
        let scenario = props.scenario.clone();
        use_effect_with(props.generation, move |_| {
            form.set(MachineForm::from_scenario(&scenario));
            workload.set(scenario.workload.clone().unwrap_or_default());
            toml_text.set(scenario_to_toml(&scenario));
            form_error.set(None);
        });
    }

    let error_at = |wanted: &dyn Fn(&Source, &LoadErrorPlace) -> bool| -> Option<String> {
        props
            .load_error
            .as_ref()
            .filter(|(source, error)| wanted(source, &error.place))
            .map(|(_, error)| error.to_string())
    };

    // Library.
    let on_pick = {
        let pick = library_pick.clone();
        Callback::from(move |event: Event| pick.set(target_value(&event)))
    };
    let on_open = {
        let pick = library_pick.clone();
        props.on_action.reform(move |_: MouseEvent| {
            let name = (*pick).clone();
            match library::get(&name) {
                Some(entry) => Action::Load {
                    text: entry.text.to_string(),
                    source: Source::Library(name),
                    step: None,
                },
                None => Action::Load {
                    text: DEFAULT_SCENARIO.to_string(),
                    source: Source::Default,
                    step: None,
                },
            }
        })
    };

    // Generators: a `generate` line appended to the workload text.
    let on_generator = {
        let (pick, params) = (generator_pick.clone(), generator_params.clone());
        Callback::from(move |event: Event| {
            let name = target_value(&event);
            params.set(default_params(&name));
            pick.set(name);
        })
    };
    let on_generator_params = {
        let params = generator_params.clone();
        Callback::from(move |event: InputEvent| params.set(target_value(&event)))
    };
    let on_add_generator = {
        let (pick, params, workload) = (
            generator_pick.clone(),
            generator_params.clone(),
            workload.clone(),
        );
        Callback::from(move |_: MouseEvent| {
            let mut text = (*workload).clone();
            if !text.is_empty() && !text.ends_with('\n') {
                text.push('\n');
            }
            text.push_str(format!("generate {} {}", *pick, params.trim()).trim_end());
            text.push('\n');
            workload.set(text);
        })
    };
    let generator_help = generate::generator(&generator_pick).map(|g| {
        let params: Vec<String> = g
            .params
            .iter()
            .map(|p| format!("{} (≤ {}): {}", p.name, p.max, p.help))
            .collect();
        format!("{} Parameters: {}.", g.summary, params.join("; "))
    });

    // Machine.
    let nodes = form.nodes.len();
    let node_fields = (0..nodes).map(|i| {
        let (memory, cpus) = form.nodes[i].clone();
        let on_memory = edit(&form, move |f, v| {
            if let Some(node) = f.nodes.get_mut(i) {
                node.0 = v;
            }
        });
        let on_cpus = edit(&form, move |f, v| {
            if let Some(node) = f.nodes.get_mut(i) {
                node.1 = v;
            }
        });
        let on_remove = {
            let form = form.clone();
            Callback::from(move |_: MouseEvent| {
                let mut next = (*form).clone();
                if next.nodes.len() > 1 {
                    next.nodes.remove(i);
                    if !next.distances.is_empty() {
                        next.distances.remove(i);
                        for row in &mut next.distances {
                            if i < row.len() {
                                row.remove(i);
                            }
                        }
                    }
                }
                form.set(next);
            })
        };
        html! {
            <fieldset class="node">
                <legend>{ format!("Node {i}") }</legend>
                <label class="field" for={format!("node-{i}-memory")}>
                    <span>{ "Memory ranges" }</span>
                    <textarea id={format!("node-{i}-memory")} rows="2" value={memory} oninput={on_memory}></textarea>
                    <small class="muted">{ "Physical byte ranges, end inclusive (0x100000-0x3fffffff) or SIZE@START (1G@0x40000000), comma separated; gaps are holes." }</small>
                </label>
                <label class="field" for={format!("node-{i}-cpus")}>
                    <span>{ "CPUs" }</span>
                    <input id={format!("node-{i}-cpus")} type="text" value={cpus} oninput={on_cpus} />
                </label>
                if nodes > 1 {
                    <button type="button" aria-label={format!("Remove node {i}")} onclick={on_remove}>{ "Remove node" }</button>
                }
            </fieldset>
        }
    });
    let on_add_node = {
        let form = form.clone();
        Callback::from(move |_: MouseEvent| {
            let mut next = (*form).clone();
            next.nodes.push((String::new(), String::new()));
            if !next.distances.is_empty() {
                next.distances = next.resized_distances(next.nodes.len());
            }
            form.set(next);
        })
    };
    let distance_grid = if form.distances.is_empty() {
        let on_add = {
            let form = form.clone();
            Callback::from(move |_: MouseEvent| {
                let mut next = (*form).clone();
                next.distances = next.resized_distances(next.nodes.len());
                form.set(next);
            })
        };
        html! {
            <p>{ "No SLIT: every remote distance is 20. " }
                <button type="button" onclick={on_add}>{ "Add a distance table" }</button></p>
        }
    } else {
        let on_drop = {
            let form = form.clone();
            Callback::from(move |_: MouseEvent| {
                let mut next = (*form).clone();
                next.distances.clear();
                form.set(next);
            })
        };
        let table = form.resized_distances(nodes);
        html! {
            <>
                <table class="distances">
                    <thead><tr><th>{ "from \\ to" }</th>{ for (0..nodes).map(|j| html! { <th>{ format!("node {j}") }</th> }) }</tr></thead>
                    <tbody>
                        { for (0..nodes).map(|i| html! {
                            <tr>
                                <th>{ format!("node {i}") }</th>
                                { for (0..nodes).map(|j| {
                                    let value = table[i][j].clone();
                                    let oninput = edit(&form, move |f, v| {
                                        f.distances = f.resized_distances(f.nodes.len());
                                        if let Some(cell) = f.distances.get_mut(i).and_then(|r| r.get_mut(j)) {
                                            *cell = v;
                                        }
                                    });
                                    html! { <td><input type="text" inputmode="numeric" size="3" aria-label={format!("Distance from node {i} to node {j}")} value={value} {oninput} /></td> }
                                }) }
                            </tr>
                        }) }
                    </tbody>
                </table>
                <button type="button" onclick={on_drop}>{ "Remove the table (no SLIT)" }</button>
            </>
        }
    };
    let on_apply_machine = {
        let (form, workload, form_error) = (form.clone(), workload.clone(), form_error.clone());
        let scenario = props.scenario.clone();
        let on_action = props.on_action.clone();
        Callback::from(move |event: SubmitEvent| {
            event.prevent_default();
            let mut base = (*scenario).clone();
            base.workload = Some((*workload).clone()).filter(|w| !w.trim().is_empty());
            base.open_at = None;
            match form.apply(&base) {
                Ok(next) => {
                    form_error.set(None);
                    on_action.emit(Action::LoadScenario(Box::new(next), Source::Editor));
                }
                Err(message) => form_error.set(Some(format!("Not applied: {message}"))),
            }
        })
    };
    let machine_error = (*form_error).clone().or_else(|| {
        error_at(&|s, p| {
            *s == Source::Editor && matches!(p, LoadErrorPlace::Machine | LoadErrorPlace::Scenario)
        })
    });

    // Workload.
    let on_workload = {
        let workload = workload.clone();
        Callback::from(move |event: InputEvent| workload.set(target_value(&event)))
    };
    let on_apply_workload = {
        let workload = workload.clone();
        let scenario = props.scenario.clone();
        props.on_action.reform(move |_: MouseEvent| {
            let mut next = (*scenario).clone();
            next.workload = Some((*workload).clone()).filter(|w| !w.trim().is_empty());
            next.open_at = None;
            Action::LoadScenario(Box::new(next), Source::Editor)
        })
    };
    let workload_error = props
        .load_error
        .as_ref()
        .and_then(|(source, error)| match error.place {
            LoadErrorPlace::Workload { line, column } if *source == Source::Editor => Some(
                format!("{error}\n{}", workload_excerpt(&workload, line, column)),
            ),
            _ => None,
        });

    // The whole file.
    let on_toml = {
        let toml_text = toml_text.clone();
        Callback::from(move |event: InputEvent| toml_text.set(target_value(&event)))
    };
    let on_apply_toml = {
        let toml_text = toml_text.clone();
        props.on_action.reform(move |_: MouseEvent| Action::Load {
            text: (*toml_text).clone(),
            source: Source::Link,
            step: None,
        })
    };
    let toml_error = error_at(&|s, _| *s == Source::Link);

    // Import.
    let on_snapshot = {
        let snapshot = snapshot.clone();
        Callback::from(move |event: InputEvent| snapshot.set(target_value(&event)))
    };
    let on_upload = {
        let (snapshot, upload_error) = (snapshot.clone(), upload_error.clone());
        Callback::from(move |event: Event| {
            let Some(input) = event
                .target()
                .and_then(|t| t.dyn_into::<HtmlInputElement>().ok())
            else {
                return;
            };
            let Some(file) = input.files().and_then(|files| files.get(0)) else {
                return;
            };
            if file.size() > SNAPSHOT_BYTES_MAX {
                upload_error.set(Some(format!(
                    "{} is larger than 16 MiB, the snapshot limit.",
                    file.name()
                )));
                return;
            }
            let (snapshot, upload_error) = (snapshot.clone(), upload_error.clone());
            wasm_bindgen_futures::spawn_local(async move {
                match JsFuture::from(file.text())
                    .await
                    .ok()
                    .and_then(|v| v.as_string())
                {
                    Some(text) => {
                        upload_error.set(None);
                        snapshot.set(text);
                    }
                    None => {
                        upload_error.set(Some("The file could not be read as text.".to_string()))
                    }
                }
            });
        })
    };
    let on_import = {
        let snapshot = snapshot.clone();
        props
            .on_action
            .reform(move |_: MouseEvent| Action::Import((*snapshot).clone()))
    };
    let import_error = (*upload_error)
        .clone()
        .or_else(|| error_at(&|s, _| *s == Source::Import));

    let thp_options = ["always", "madvise", "never"];
    html! {
        <section class="editor" id="editor" aria-label="Scenario editor">
            <h2>{ "Scenario" }</h2>
            <div class="library">
                <label for="library-pick">{ "Teaching library " }</label>
                <select id="library-pick" aria-label="Library scenario" onchange={on_pick}>
                    <option value="default" selected={*library_pick == "default"}>{ "Two nodes, and what happens when the local one runs low (default)" }</option>
                    { for library::ENTRIES.iter().map(|e| html! {
                        <option value={e.name} selected={*library_pick == e.name}>{ e.title() }</option>
                    }) }
                </select>
                <button type="button" onclick={on_open}>{ "Open library scenario" }</button>
            </div>

            <form class="machine" aria-label="Machine" onsubmit={on_apply_machine}>
                <h3>{ "Machine" }</h3>
                { for node_fields }
                <button type="button" onclick={on_add_node}>{ "Add node" }</button>
                <div class="row">
                    { text_field("Section size bits", "section-bits", &form.section_size_bits, "SECTION_SIZE_BITS: 27 is 128 MiB sections", edit(&form, |f, v| f.section_size_bits = v)) }
                    { text_field("kernelcore", "kernelcore", &form.kernelcore, "e.g. 512M or 25%; empty for none", edit(&form, |f, v| f.kernelcore = v)) }
                    { text_field("movablecore", "movablecore", &form.movablecore, "e.g. 25%; empty for none", edit(&form, |f, v| f.movablecore = v)) }
                    <label class="field" for="thp"><span>{ "THP" }</span>
                        <select id="thp" oninput={edit(&form, |f, v| f.thp = v)}>
                            { for thp_options.iter().map(|t| html! { <option value={*t} selected={form.thp == *t}>{ *t }</option> }) }
                        </select>
                    </label>
                </div>
                <h4>{ "Distances (SLIT)" }</h4>
                { distance_grid }
                <p class="muted">{ "An invalid table (a diagonal other than 10, a remote distance of 10 or less, or above 255) is replaced by 10 local / 20 remote, as the kernel's numa_reset_distance() does; the warning shows below." }</p>
                <h4>{ "sysctls (vm.*)" }</h4>
                <div class="row">
                    { text_field("min_free_kbytes", "min-free-kbytes", &form.min_free_kbytes, "empty: computed by the kernel", edit(&form, |f, v| f.min_free_kbytes = v)) }
                    { text_field("watermark_scale_factor", "wsf", &form.watermark_scale_factor, "1/10000 of managed pages", edit(&form, |f, v| f.watermark_scale_factor = v)) }
                    { text_field("watermark_boost_factor", "wbf", &form.watermark_boost_factor, "default 15000", edit(&form, |f, v| f.watermark_boost_factor = v)) }
                    { text_field("lowmem_reserve_ratio", "lrr", &form.lowmem_reserve_ratio, "five numbers", edit(&form, |f, v| f.lowmem_reserve_ratio = v)) }
                    { text_field("percpu_pagelist_high_fraction", "pphf", &form.percpu_pagelist_high_fraction, "0: from the low watermark", edit(&form, |f, v| f.percpu_pagelist_high_fraction = v)) }
                </div>
                <button type="submit" class="primary">{ "Apply machine" }</button>
                { error_box("machine-error", machine_error) }
                if !props.warnings.is_empty() {
                    <ul class="warnings" id="machine-warnings" aria-label="Machine warnings">
                        { for props.warnings.iter().map(|w| html! { <li>{ w }</li> }) }
                    </ul>
                }
            </form>

            <div class="workload">
                <h3>{ "Workload" }</h3>
                <label for="workload-text" class="muted">{ "alloc / free / repeat / cpu / drain / kswapd / compact / drop_caches / sysctl / online / offline / generate; see docs/scenario.md" }</label>
                <textarea id="workload-text" aria-label="Workload" rows="8" spellcheck="false" value={(*workload).clone()} oninput={on_workload}></textarea>
                <div class="generator row">
                    <label class="field" for="generator-pick"><span>{ "Generator" }</span>
                        <select id="generator-pick" aria-label="Workload generator" onchange={on_generator}>
                            { for generate::GENERATORS.iter().map(|g| html! {
                                <option value={g.name} selected={*generator_pick == g.name}>{ g.name }</option>
                            }) }
                        </select>
                    </label>
                    <label class="field" for="generator-params"><span>{ "Parameters" }</span>
                        <input id="generator-params" type="text" spellcheck="false" value={(*generator_params).clone()} oninput={on_generator_params} />
                    </label>
                    <button type="button" onclick={on_add_generator}>{ "Add generator to workload" }</button>
                </div>
                if let Some(help) = generator_help {
                    <p class="muted" id="generator-help">{ help }{ " Seeded by [workload] seed in the scenario file; its allocations are named gN_KIND." }</p>
                }
                <button type="button" class="primary" onclick={on_apply_workload}>{ "Apply workload" }</button>
                { error_box("workload-error", workload_error) }
            </div>

            <details class="raw">
                <summary>{ "The scenario file (TOML)" }</summary>
                <textarea id="scenario-text" aria-label="Scenario file" rows="16" spellcheck="false" value={(*toml_text).clone()} oninput={on_toml}></textarea>
                <button type="button" onclick={on_apply_toml}>{ "Apply scenario file" }</button>
                { error_box("scenario-error", toml_error) }
            </details>

            <div class="import">
                <h3>{ "Import a real machine" }</h3>
                <p class="muted">{ "Paste or upload a machine snapshot (dmesg and /proc, /sys files; see engine/tests/data/oracle/README.md for how to capture one). The current workload runs on it if it fits." }</p>
                <textarea id="snapshot-text" aria-label="Machine snapshot" rows="4" spellcheck="false" value={(*snapshot).clone()} oninput={on_snapshot}></textarea>
                <div class="row">
                    <input type="file" aria-label="Upload a snapshot file" onchange={on_upload} />
                    <button type="button" class="primary" onclick={on_import}>{ "Import machine" }</button>
                </div>
                { error_box("import-error", import_error) }
            </div>
        </section>
    }
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
