//! Zonelists: each node's fallback order of zones with distances; during a request,
//! the zone being tried and why each zone was passed over.

use buddyscope_engine::view::{ZoneStatus, ZonelistView};
use yew::prelude::*;
use yew::virtual_dom::ApplyAttributeAs;

use crate::tags::{el, el_with, head_row, heading, text, NUM, PLAIN};

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
            { heading("h2", "Zonelists ", "(node_zonelists[ZONELIST_FALLBACK], walked by get_page_from_freelist)") }
            { for props.zonelists.iter().map(|list| html! {
                <div class={classes!("zonelist", list.in_use.then_some("in-use"))} data-node={list.nid.to_string()}>
                    { el("h3", PLAIN, vec![Html::from(format!("Node {}", list.nid)), Html::from(if list.in_use { " — the current request walks this list" } else { "" })]) }
                    <table>
                        <thead>{ head_row(&["#".into(), "zone".into(), "distance".into(), "status".into(), "why".into()], 5) }</thead>
                        <tbody>
                            { for list.entries.iter().enumerate().map(|(i, e)| el_with(
                                "tr",
                                &["data-zone", "data-status", "class"],
                                vec![Some(format!("{}:{}", e.node, e.zone).into()), Some(status_class(e.status).into()), Some(status_class(e.status).into())],
                                vec![
                                    text("td", PLAIN, i.to_string().into()),
                                    text("td", PLAIN, format!("node {} {}", e.node, e.zone).into()),
                                    text("td", NUM, e.distance.to_string().into()),
                                    text("td", PLAIN, status_text(e.status).into()),
                                    text("td", &[("class", "why", ApplyAttributeAs::Attribute)], e.reason.clone().into()),
                                ],
                            )) }
                        </tbody>
                    </table>
                    if let Some(note) = &list.note {
                        { text("p", crate::attrs!("class" = "muted"), note.to_string().into()) }
                    }
                </div>
            }) }
        </section>
    }
}
