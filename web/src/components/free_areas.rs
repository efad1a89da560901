//! Free areas: per zone, /proc/buddyinfo (free blocks per order), /proc/pagetypeinfo
//! (per migratetype and order, and pageblock counts), and each CPU's per-cpu lists.

use buddyscope_engine::view::FreeAreaView;
use buddyscope_engine::MAX_ORDER;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct FreeAreasProps {
    pub areas: Vec<FreeAreaView>,
    /// The section's id (the side-by-side page draws two, `free-areas-A` and `free-areas-B`).
    #[prop_or(AttrValue::Static("free-areas"))]
    pub id: AttrValue,
}

fn order_head() -> Html {
    html! { <tr><th>{ "order" }</th>{ for (0..MAX_ORDER).map(|o| html! { <th class="num">{ o }</th> }) }</tr> }
}

#[function_component(FreeAreas)]
pub fn free_areas(props: &FreeAreasProps) -> Html {
    html! {
        <section class="free-areas" id={props.id.clone()} aria-label="Free areas">
            <h2>{ "Free areas " }<span class="muted">{ "(zone->free_area[order].free_list[migratetype], per-cpu lists)" }</span></h2>
            { for props.areas.iter().enumerate().map(|(i, a)| {
                let free_pages = a.free_pages();
                html! {
                    <details open={i < 3} data-zone={format!("{}:{}", a.node, a.zone)}>
                        <summary>{ format!("Node {}, zone {} — {free_pages} pages on the buddy lists", a.node, a.zone) }</summary>
                        <table class="buddyinfo">
                            <caption>{ "buddyinfo: free blocks by order (nr_free)" }</caption>
                            <thead>{ order_head() }</thead>
                            <tbody><tr><th>{ "nr_free" }</th>{ for a.nr_free.iter().map(|n| html! { <td class="num">{ n }</td> }) }</tr></tbody>
                        </table>
                        <table class="pagetypeinfo">
                            <caption>{ "pagetypeinfo: free blocks by migratetype and order" }</caption>
                            <thead>{ order_head() }</thead>
                            <tbody>
                                { for a.by_type.iter().map(|(name, counts)| html! {
                                    <tr><th>{ name }</th>{ for counts.iter().map(|n| html! { <td class="num">{ n }</td> }) }</tr>
                                }) }
                            </tbody>
                        </table>
                        <p class="muted">{ "Pageblocks: " }{ a.pageblocks.iter().map(|(n, c)| format!("{n} {c}")).collect::<Vec<_>>().join(", ") }</p>
                        <table class="pcp">
                            <caption>{ "Per-cpu lists (struct per_cpu_pages)" }</caption>
                            <thead><tr><th>{ "CPU" }</th><th>{ "count" }</th><th>{ "high" }</th><th>{ "batch" }</th><th>{ "lists (pages)" }</th></tr></thead>
                            <tbody>
                                { for a.pcps.iter().map(|p| html! {
                                    <tr data-cpu={p.cpu.to_string()}>
                                        <td>{ p.cpu }</td><td class="num pcp-count">{ p.count }</td><td class="num">{ p.high }</td><td class="num">{ p.batch }</td>
                                        <td>{ if p.lists.is_empty() { "empty".to_string() } else { p.lists.iter().map(|(l, n)| format!("{l}: {n}")).collect::<Vec<_>>().join("; ") } }</td>
                                    </tr>
                                }) }
                            </tbody>
                        </table>
                    </details>
                }
            }) }
        </section>
    }
}
