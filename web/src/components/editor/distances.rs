//! The machine's distance table (the SLIT) as a grid of cells, or a button that adds
//! one. Resizing and editing the table are the engine's (`MachineForm`).

use buddyscope_engine::view::MachineForm;
use yew::prelude::*;

use crate::tags::{button, text, PLAIN};

use super::fields::{click, edit};

pub struct DistancesProps {
    pub form: MachineForm,
    pub on_change: Callback<MachineForm>,
}

pub fn distances(props: &DistancesProps) -> Html {
    let (form, on_change) = (&props.form, &props.on_change);
    if form.distances.is_empty() {
        let on_add = click(form, on_change, MachineForm::add_distance_table);
        return html! {
            <p>{ "No SLIT: every remote distance is 20. " }
                { button(crate::attrs!("type" = "button"), on_add, "Add a distance table".into()) }</p>
        };
    }
    let on_drop = click(form, on_change, MachineForm::remove_distance_table);
    let nodes = form.nodes.len();
    let table = form.resized_distances(nodes);
    let cell = |i: usize, j: usize| {
        let value = table
            .get(i)
            .and_then(|row| row.get(j))
            .cloned()
            .unwrap_or_default();
        let oninput = edit(form, on_change, move |f, v| f.set_distance(i, j, v));
        html! { <td><input type="text" inputmode="numeric" size="3" aria-label={format!("Distance from node {i} to node {j}")} value={value} {oninput} /></td> }
    };
    html! {
        <>
            <table class="distances">
                <thead><tr>{ text("th", PLAIN, "from \\ to".into()) }{ for (0..nodes).map(|j| html! { <th>{ format!("node {j}") }</th> }) }</tr></thead>
                <tbody>
                    { for (0..nodes).map(|i| html! {
                        <tr>
                            <th>{ format!("node {i}") }</th>
                            { for (0..nodes).map(|j| cell(i, j)) }
                        </tr>
                    }) }
                </tbody>
            </table>
            { button(crate::attrs!("type" = "button"), on_drop, "Remove the table (no SLIT)".into()) }
        </>
    }
}
