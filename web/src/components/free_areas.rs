//! Free areas: per zone, /proc/buddyinfo (free blocks per order), /proc/pagetypeinfo
//! (per migratetype and order, and pageblock counts), and each CPU's per-cpu lists.

use buddyscope_engine::view::FreeAreaView;
use buddyscope_engine::MAX_ORDER;
use yew::prelude::*;
use yew::virtual_dom::ApplyAttributeAs;
use yew::virtual_dom::VText;

use crate::tags::{el, el_with, head_row, heading, text, NUM, PLAIN};

#[derive(Properties, PartialEq)]
pub struct FreeAreasProps {
    pub areas: Vec<FreeAreaView>,
    /// The section's id (the side-by-side page draws two, `free-areas-A` and `free-areas-B`).
    #[prop_or(AttrValue::Static("free-areas"))]
    pub id: AttrValue,
}

fn order_head() -> Html {
    let mut cells = vec![text("th", PLAIN, "order".into())];
    cells.extend((0..MAX_ORDER).map(|o| text("th", NUM, o.to_string().into())));
    el("tr", PLAIN, cells)
}

/// A row of counts under a heading cell.
fn count_row(head: &str, counts: &[u64]) -> Html {
    let mut cells = vec![text("th", PLAIN, AttrValue::from(head.to_string()))];
    cells.extend(counts.iter().map(|n| text("td", NUM, n.to_string().into())));
    el("tr", PLAIN, cells)
}

#[function_component(FreeAreas)]
pub fn free_areas(props: &FreeAreasProps) -> Html {
    html! {
        <section class="free-areas" id={props.id.clone()} aria-label="Free areas">
            { heading("h2", "Free areas ", "(zone->free_area[order].free_list[migratetype], per-cpu lists)") }
            { for props.areas.iter().enumerate().map(|(i, a)| {
                let free_pages = a.free_pages();
                html! {
                    <details open={i < 3} data-zone={format!("{}:{}", a.node, a.zone)}>
                        <summary>{ format!("Node {}, zone {} — {free_pages} pages on the buddy lists", a.node, a.zone) }</summary>
                        <table class="buddyinfo">
                            { text("caption", PLAIN, "buddyinfo: free blocks by order (nr_free)".into()) }
                            <thead>{ order_head() }</thead>
                            <tbody>{ count_row("nr_free", &a.nr_free) }</tbody>
                        </table>
                        <table class="pagetypeinfo">
                            { text("caption", PLAIN, "pagetypeinfo: free blocks by migratetype and order".into()) }
                            <thead>{ order_head() }</thead>
                            <tbody>
                                { for a.by_type.iter().map(|(name, counts)| count_row(name, counts)) }
                            </tbody>
                        </table>
                        { el("p", crate::attrs!("class" = "muted"), vec![VText::new("Pageblocks: ").into(), Html::from(a.pageblocks.iter().map(|(n, c)| format!("{n} {c}")).collect::<Vec<_>>().join(", "))]) }
                        <table class="pcp">
                            { text("caption", PLAIN, "Per-cpu lists (struct per_cpu_pages)".into()) }
                            <thead>{ head_row(&["CPU".into(), "count".into(), "high".into(), "batch".into(), "lists (pages)".into()], 5) }</thead>
                            <tbody>
                                { for a.pcps.iter().map(|p| el_with("tr", &["data-cpu"], vec![Some(p.cpu.to_string().into())], vec![
                                    text("td", PLAIN, p.cpu.to_string().into()),
                                    text("td", &[("class", "num pcp-count", ApplyAttributeAs::Attribute)], p.count.to_string().into()),
                                    text("td", NUM, p.high.to_string().into()),
                                    text("td", NUM, p.batch.to_string().into()),
                                    text("td", PLAIN, if p.lists.is_empty() { "empty".into() } else { p.lists.iter().map(|(l, n)| format!("{l}: {n}")).collect::<Vec<_>>().join("; ").into() }),
                                ])) }
                            </tbody>
                        </table>
                    </details>
                }
            }) }
        </section>
    }
}
