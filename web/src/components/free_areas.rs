//! Free areas: per zone, /proc/buddyinfo (free blocks per order), /proc/pagetypeinfo
//! (per migratetype and order, and pageblock counts), and each CPU's per-cpu lists.

use std::fmt::Write;

use buddyscope_engine::view::FreeAreaView;
use buddyscope_engine::MAX_ORDER;
use web_sys::Element;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct FreeAreasProps {
    pub areas: Vec<FreeAreaView>,
    /// The section's id (the side-by-side page draws two, `free-areas-A` and `free-areas-B`).
    #[prop_or(AttrValue::Static("free-areas"))]
    pub id: AttrValue,
}

/// `text` with the characters HTML gives a meaning escaped, for text and quoted
/// attribute values alike.
fn escape(text: &str, out: &mut String) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            c => out.push(c),
        }
    }
}

/// The text of every cell of a zone's tables, row by row, and of its pageblock line:
/// what `zone_html` writes and `update_zone` brings up to date.
#[derive(PartialEq)]
struct Cells {
    /// buddyinfo's one row, pagetypeinfo's rows (each after its `th`), the per-cpu
    /// rows (every cell a `td`).
    buddyinfo: Vec<Vec<String>>,
    pagetypeinfo: Vec<Vec<String>>,
    pageblocks: String,
    pcp: Vec<Vec<String>>,
}

fn numbers(counts: &[u64]) -> Vec<String> {
    counts.iter().map(u64::to_string).collect()
}

fn cells(a: &FreeAreaView) -> Cells {
    Cells {
        buddyinfo: vec![numbers(&a.nr_free)],
        pagetypeinfo: a
            .by_type
            .iter()
            .map(|(_, counts)| numbers(counts))
            .collect(),
        pageblocks: format!(
            "Pageblocks: {}",
            a.pageblocks
                .iter()
                .map(|(n, c)| format!("{n} {c}"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        pcp: a
            .pcps
            .iter()
            .map(|p| {
                let lists = if p.lists.is_empty() {
                    "empty".to_string()
                } else {
                    p.lists
                        .iter()
                        .map(|(l, n)| format!("{l}: {n}"))
                        .collect::<Vec<_>>()
                        .join("; ")
                };
                vec![
                    p.cpu.to_string(),
                    p.count.to_string(),
                    p.high.to_string(),
                    p.batch.to_string(),
                    lists,
                ]
            })
            .collect(),
    }
}

/// What fixes the tables' elements: the rows' headings and the cells per row. Two
/// views of the same shape differ only in their cells' text.
fn shape(a: &FreeAreaView) -> (Vec<String>, Vec<u32>, usize, Vec<usize>) {
    (
        a.by_type.iter().map(|(name, _)| name.clone()).collect(),
        a.pcps.iter().map(|p| p.cpu).collect(),
        a.nr_free.len(),
        a.by_type.iter().map(|(_, counts)| counts.len()).collect(),
    )
}

/// A header row of the orders.
fn order_head(out: &mut String) {
    out.push_str("<thead><tr><th>order</th>");
    for o in 0..MAX_ORDER {
        let _ = write!(out, "<th class=\"num\">{o}</th>");
    }
    out.push_str("</tr></thead>");
}

/// A row of numbers headed by `name`.
fn counts_row(name: &str, counts: &[String], out: &mut String) {
    out.push_str("<tr><th>");
    escape(name, out);
    out.push_str("</th>");
    for n in counts {
        let _ = write!(out, "<td class=\"num\">{n}</td>");
    }
    out.push_str("</tr>");
}

/// A zone's tables and pageblock line, as HTML.
fn zone_html(a: &FreeAreaView) -> String {
    let c = cells(a);
    let mut out = String::with_capacity(4096);
    out.push_str(
        "<table class=\"buddyinfo\"><caption>buddyinfo: free blocks by order (nr_free)</caption>",
    );
    order_head(&mut out);
    out.push_str("<tbody>");
    counts_row("nr_free", &c.buddyinfo[0], &mut out);
    out.push_str("</tbody></table>");
    out.push_str(
        "<table class=\"pagetypeinfo\"><caption>pagetypeinfo: free blocks by migratetype and order</caption>",
    );
    order_head(&mut out);
    out.push_str("<tbody>");
    for ((name, _), counts) in a.by_type.iter().zip(&c.pagetypeinfo) {
        counts_row(name, counts, &mut out);
    }
    out.push_str("</tbody></table><p class=\"muted\">");
    escape(&c.pageblocks, &mut out);
    out.push_str("</p>");
    out.push_str(
        "<table class=\"pcp\"><caption>Per-cpu lists (struct per_cpu_pages)</caption><thead><tr><th>CPU</th>\
         <th>count</th><th>high</th><th>batch</th><th>lists (pages)</th></tr></thead><tbody>",
    );
    for row in &c.pcp {
        let _ = write!(
            out,
            "<tr data-cpu=\"{}\"><td>{}</td><td class=\"num pcp-count\">{}</td><td class=\"num\">{}</td>\
             <td class=\"num\">{}</td><td>",
            row[0], row[0], row[1], row[2], row[3]
        );
        escape(&row[4], &mut out);
        out.push_str("</td></tr>");
    }
    out.push_str("</tbody></table>");
    out
}

/// Sets the text of each cell of `table`'s body whose text changed from `old` to
/// `new` (rows of the same length; `headed`: each row starts with a `th`).
fn update_table(table: &Element, old: &[Vec<String>], new: &[Vec<String>], headed: bool) {
    let mut row = table
        .last_element_child()
        .and_then(|body| body.first_element_child());
    for (old, new) in old.iter().zip(new) {
        let Some(tr) = row else { return };
        if old != new {
            let mut cell = tr.first_element_child();
            if headed {
                cell = cell.and_then(|th| th.next_element_sibling());
            }
            for (old, new) in old.iter().zip(new) {
                let Some(td) = cell else { break };
                if old != new {
                    td.set_text_content(Some(new));
                }
                cell = td.next_element_sibling();
            }
        }
        row = tr.next_element_sibling();
    }
}

/// Brings the tables in `details` (after its summary: buddyinfo, pagetypeinfo, the
/// pageblock line, the per-cpu lists) from `old`'s cells to `new`'s, same shape.
fn update_zone(details: &Element, old: &Cells, new: &Cells) {
    let buddyinfo = details
        .first_element_child()
        .and_then(|s| s.next_element_sibling());
    let pagetypeinfo = buddyinfo.as_ref().and_then(Element::next_element_sibling);
    let pageblocks = pagetypeinfo
        .as_ref()
        .and_then(Element::next_element_sibling);
    let pcp = pageblocks.as_ref().and_then(Element::next_element_sibling);
    let (Some(buddyinfo), Some(pagetypeinfo), Some(pageblocks), Some(pcp)) =
        (buddyinfo, pagetypeinfo, pageblocks, pcp)
    else {
        return;
    };
    update_table(&buddyinfo, &old.buddyinfo, &new.buddyinfo, true);
    update_table(&pagetypeinfo, &old.pagetypeinfo, &new.pagetypeinfo, true);
    if old.pageblocks != new.pageblocks {
        pageblocks.set_text_content(Some(&new.pageblocks));
    }
    update_table(&pcp, &old.pcp, &new.pcp, false);
}

#[derive(Properties, PartialEq)]
struct ZoneTablesProps {
    area: FreeAreaView,
    /// The zone's `<details>`, whose children after the summary these are.
    details: NodeRef,
}

/// A zone's tables (about 45% of the elements on the first screen, three zones
/// open). Built by Yew, each element and text node is a call out of the wasm
/// (clone, set attribute, insert, ...): about 3,300 of the 7,900 calls before the
/// page is interactive. So they are written as HTML, which the browser parses in
/// one call, once per shape of the zone (its migratetypes, CPUs and orders); a step
/// then sets the text of the cells that changed, as Yew's diff would, rather than
/// replacing the tables (a new zone's worth of elements to style and lay out costs
/// about 2 ms a step). Nothing in them is interactive.
#[function_component(ZoneTables)]
fn zone_tables(props: &ZoneTablesProps) -> Html {
    let html = {
        let area = props.area.clone();
        use_memo(shape(&props.area), move |_| {
            AttrValue::from(zone_html(&area))
        })
    };
    // The cells the DOM shows now.
    let shown = use_mut_ref(|| cells(&props.area));
    {
        let (details, shown) = (props.details.clone(), shown.clone());
        use_effect_with(props.area.clone(), move |area| {
            let new = cells(area);
            let mut shown = shown.borrow_mut();
            if *shown != new {
                // A new shape was written whole by the render; the same shape is
                // brought up to date here.
                if let Some(details) = details.cast::<Element>() {
                    update_zone(&details, &shown, &new);
                }
                *shown = new;
            }
        });
    }
    Html::from_html_unchecked((*html).clone())
}

#[derive(Properties, PartialEq)]
struct ZoneProps {
    area: FreeAreaView,
    open: bool,
}

/// One zone: its `<details>` (open or closed as the reader leaves it) and tables.
#[function_component(Zone)]
fn zone(props: &ZoneProps) -> Html {
    let details = use_node_ref();
    let a = &props.area;
    let free_pages = a.free_pages();
    html! {
        <details ref={details.clone()} open={props.open} data-zone={format!("{}:{}", a.node, a.zone)}>
            <summary>{ format!("Node {}, zone {} — {free_pages} pages on the buddy lists", a.node, a.zone) }</summary>
            <ZoneTables area={a.clone()} {details} />
        </details>
    }
}

#[function_component(FreeAreas)]
pub fn free_areas(props: &FreeAreasProps) -> Html {
    html! {
        <section class="free-areas" id={props.id.clone()} aria-label="Free areas">
            <h2>{ "Free areas " }<span class="muted">{ "(zone->free_area[order].free_list[migratetype], per-cpu lists)" }</span></h2>
            { for props.areas.iter().enumerate().map(|(i, a)| html! { <Zone area={a.clone()} open={i < 3} /> }) }
        </section>
    }
}
