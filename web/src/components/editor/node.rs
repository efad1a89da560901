//! One node of the machine form: its memory ranges and CPUs, and a remove button
//! while the machine has more than one node.

use buddyscope_engine::view::MachineForm;
use yew::prelude::*;

use crate::tags::{text, PLAIN};

use super::fields::{click, edit};

pub struct NodeFieldsProps {
    pub form: MachineForm,
    pub index: usize,
    pub on_change: Callback<MachineForm>,
}

pub fn node_fields(props: &NodeFieldsProps) -> Html {
    let i = props.index;
    let (memory, cpus) = props.form.nodes.get(i).cloned().unwrap_or_default();
    let on_memory = edit(&props.form, &props.on_change, move |f, v| {
        if let Some(node) = f.nodes.get_mut(i) {
            node.0 = v;
        }
    });
    let on_cpus = edit(&props.form, &props.on_change, move |f, v| {
        if let Some(node) = f.nodes.get_mut(i) {
            node.1 = v;
        }
    });
    let on_remove = click(&props.form, &props.on_change, move |f| f.remove_node(i));
    html! {
        <fieldset class="node">
            <legend>{ format!("Node {i}") }</legend>
            <label class="field" for={format!("node-{i}-memory")}>
                { text("span", PLAIN, "Memory ranges".into()) }
                <textarea id={format!("node-{i}-memory")} rows="2" value={memory} oninput={on_memory}></textarea>
                { text("small", crate::attrs!("class" = "muted"), "Physical byte ranges, end inclusive (0x100000-0x3fffffff) or SIZE@START (1G@0x40000000), comma separated; gaps are holes.".into()) }
            </label>
            <label class="field" for={format!("node-{i}-cpus")}>
                { text("span", PLAIN, "CPUs".into()) }
                <input id={format!("node-{i}-cpus")} type="text" value={cpus} oninput={on_cpus} />
            </label>
            if props.form.nodes.len() > 1 {
                <button type="button" aria-label={format!("Remove node {i}")} onclick={on_remove}>{ "Remove node" }</button>
            }
        </fieldset>
    }
}
