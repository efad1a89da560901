//! The machine form: nodes, section size, kernelcore/movablecore, THP, distances and
//! sysctls. The fields are this component's state until "Apply machine", which sends
//! the scenario with this machine and the workload as it stands in the editor.

use std::rc::Rc;

use buddyscope_engine::scenario::Scenario;
use buddyscope_engine::view::MachineForm;
use yew::prelude::*;

use crate::tags::{button, el, text, PLAIN};

use super::distances::{distances, DistancesProps};
use super::fields::{click, edit, error_box, text_field, use_reset_on_load};
use super::node::{node_fields, NodeFieldsProps};
use crate::state::{Action, Source};

#[derive(Properties, PartialEq)]
pub struct MachineEditorProps {
    pub scenario: Rc<Scenario>,
    /// Counts successful loads: a new one resets the fields.
    pub generation: u64,
    /// The workload text in the editor, applied with the machine.
    pub workload: String,
    pub warnings: Rc<Vec<String>>,
    /// The last failed load of the editor's machine, if any.
    pub load_error: Option<String>,
    pub on_action: Callback<Action>,
}

const THP_OPTIONS: [&str; 3] = ["always", "madvise", "never"];

/// Section size, kernelcore, movablecore and THP.
fn layout_fields(form: &MachineForm, on_change: &Callback<MachineForm>) -> Html {
    html! {
        <div class="row">
            { text_field("Section size bits", "section-bits", &form.section_size_bits, "SECTION_SIZE_BITS: 27 is 128 MiB sections", edit(form, on_change, |f, v| f.section_size_bits = v)) }
            { text_field("kernelcore", "kernelcore", &form.kernelcore, "e.g. 512M or 25%; empty for none", edit(form, on_change, |f, v| f.kernelcore = v)) }
            { text_field("movablecore", "movablecore", &form.movablecore, "e.g. 25%; empty for none", edit(form, on_change, |f, v| f.movablecore = v)) }
            <label class="field" for="thp">{ text("span", PLAIN, "THP".into()) }
                <select id="thp" oninput={edit(form, on_change, |f, v| f.thp = v)}>
                    { for THP_OPTIONS.iter().map(|t| html! { <option value={*t} selected={form.thp == *t}>{ *t }</option> }) }
                </select>
            </label>
        </div>
    }
}

/// The vm.* sysctls.
fn sysctl_fields(form: &MachineForm, on_change: &Callback<MachineForm>) -> Html {
    let field = |label, id, value, hint, set: fn(&mut MachineForm, String)| {
        text_field(label, id, value, hint, edit(form, on_change, set))
    };
    el(
        "div",
        crate::attrs!("class" = "row"),
        vec![
            field(
                "min_free_kbytes",
                "min-free-kbytes",
                &form.min_free_kbytes,
                "empty: computed by the kernel",
                |f, v| f.min_free_kbytes = v,
            ),
            field(
                "watermark_scale_factor",
                "wsf",
                &form.watermark_scale_factor,
                "1/10000 of managed pages",
                |f, v| f.watermark_scale_factor = v,
            ),
            field(
                "watermark_boost_factor",
                "wbf",
                &form.watermark_boost_factor,
                "default 15000",
                |f, v| f.watermark_boost_factor = v,
            ),
            field(
                "lowmem_reserve_ratio",
                "lrr",
                &form.lowmem_reserve_ratio,
                "five numbers",
                |f, v| f.lowmem_reserve_ratio = v,
            ),
            field(
                "percpu_pagelist_high_fraction",
                "pphf",
                &form.percpu_pagelist_high_fraction,
                "0: from the low watermark",
                |f, v| f.percpu_pagelist_high_fraction = v,
            ),
        ],
    )
}

/// The machine builder's warnings for the running scenario.
fn warning_list(warnings: &[String]) -> Html {
    if warnings.is_empty() {
        return html! {};
    }
    html! {
        <ul class="warnings" id="machine-warnings" aria-label="Machine warnings">
            { for warnings.iter().map(|w| html! { { text("li", PLAIN, w.to_string().into()) } }) }
        </ul>
    }
}

#[function_component(MachineEditor)]
pub fn machine_editor(props: &MachineEditorProps) -> Html {
    let form = use_state(|| MachineForm::from_scenario(&props.scenario));
    let form_error = use_state(Option::<String>::default);
    {
        let (form, form_error, scenario) =
            (form.clone(), form_error.clone(), props.scenario.clone());
        use_reset_on_load(
            props.generation,
            Box::new(move || {
                form.set(MachineForm::from_scenario(&scenario));
                form_error.set(None);
            }),
        );
    }
    let on_change = {
        let form = form.clone();
        Callback::from(move |next: MachineForm| form.set(next))
    };
    let on_apply = {
        let (form, form_error) = (form.clone(), form_error.clone());
        let (scenario, workload) = (props.scenario.clone(), props.workload.clone());
        let on_action = props.on_action.clone();
        Callback::from(move |event: SubmitEvent| {
            event.prevent_default();
            let mut base = (*scenario).clone();
            base.workload = Some(workload.clone()).filter(|w| !w.trim().is_empty());
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
    let error = (*form_error).clone().or_else(|| props.load_error.clone());
    let on_add_node = click(&form, &on_change, MachineForm::add_node);
    html! {
        <form class="machine" aria-label="Machine" onsubmit={on_apply}>
            { text("h3", PLAIN, "Machine".into()) }
            { for (0..form.nodes.len()).map(|index| {
                node_fields(&NodeFieldsProps { form: (*form).clone(), index, on_change: on_change.clone() })
            }) }
            { button(crate::attrs!("type" = "button"), on_add_node, "Add node".into()) }
            { layout_fields(&form, &on_change) }
            { text("h4", PLAIN, "Distances (SLIT)".into()) }
            { distances(&DistancesProps { form: (*form).clone(), on_change: on_change.clone() }) }
            { text("p", crate::attrs!("class" = "muted"), "An invalid table (a diagonal other than 10, a remote distance of 10 or less, or above 255) is replaced by 10 local / 20 remote, as the kernel's numa_reset_distance() does; the warning shows below.".into()) }
            { text("h4", PLAIN, "sysctls (vm.*)".into()) }
            { sysctl_fields(&form, &on_change) }
            <button type="submit" class="primary">{ "Apply machine" }</button>
            { error_box("machine-error", error) }
            { warning_list(&props.warnings) }
        </form>
    }
}
