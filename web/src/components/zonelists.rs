//! Zonelists: each node's fallback order of zones with distances; during a request,
//! the zone being tried and why each zone was passed over.

use buddyscope_engine::view::{ZoneStatus, ZonelistView};
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct ZonelistsProps {
    pub zonelists: Vec<ZonelistView>,
}

fn status_text(status: ZoneStatus) -> &'static str {
    match status {
        ZoneStatus::Idle => "",
        ZoneStatus::Trying => "trying",
        ZoneStatus::Chosen => "chosen",
        ZoneStatus::PassedOver => "passed over",
        ZoneStatus::Skipped => "not eligible",
    }
}

fn status_class(status: ZoneStatus) -> &'static str {
    match status {
        ZoneStatus::Idle => "idle",
        ZoneStatus::Trying => "trying",
        ZoneStatus::Chosen => "chosen",
        ZoneStatus::PassedOver => "passed",
        ZoneStatus::Skipped => "skipped",
    }
}

#[function_component(Zonelists)]
pub fn zonelists(props: &ZonelistsProps) -> Html {
    html! {
        <section class="zonelists" id="zonelists" aria-label="Zonelists">
            <h2>{ "Zonelists " }<span class="muted">{ "(node_zonelists[ZONELIST_FALLBACK], walked by get_page_from_freelist)" }</span></h2>
            { for props.zonelists.iter().map(|list| html! {
                <div class={classes!("zonelist", list.in_use.then_some("in-use"))} data-node={list.nid.to_string()}>
                    <h3>{ format!("Node {}", list.nid) }{ if list.in_use { " — the current request walks this list" } else { "" } }</h3>
                    <table>
                        <thead><tr><th>{ "#" }</th><th>{ "zone" }</th><th>{ "distance" }</th><th>{ "status" }</th><th>{ "why" }</th></tr></thead>
                        <tbody>
                            { for list.entries.iter().enumerate().map(|(i, e)| html! {
                                <tr class={status_class(e.status)} data-zone={format!("{}:{}", e.node, e.zone)} data-status={status_class(e.status)}>
                                    <td>{ i }</td>
                                    <td>{ format!("node {} {}", e.node, e.zone) }</td>
                                    <td class="num">{ e.distance }</td>
                                    <td>{ status_text(e.status) }</td>
                                    <td class="why">{ &e.reason }</td>
                                </tr>
                            }) }
                        </tbody>
                    </table>
                    if let Some(note) = &list.note {
                        <p class="muted">{ note }</p>
                    }
                </div>
            }) }
        </section>
    }
}
