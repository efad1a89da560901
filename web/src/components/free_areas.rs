//! Free areas: per zone, /proc/buddyinfo (free blocks per order), /proc/pagetypeinfo
//! (per migratetype and order, and pageblock counts), and each CPU's per-cpu lists.

use buddyscope_engine::view::FreeAreaView;
use buddyscope_engine::MAX_ORDER;
use web_sys::{Document, Element};
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct FreeAreasProps {
    pub areas: Vec<FreeAreaView>,
    /// The section's id (the side-by-side page draws two, `free-areas-A` and `free-areas-B`).
    #[prop_or(AttrValue::Static("free-areas"))]
    pub id: AttrValue,
}

/// The text of every cell of a zone's tables, row by row, and of its pageblock line:
/// what `build_zone` writes and `update_zone` brings up to date.
#[derive(Debug, PartialEq)]
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
/// What fixes the tables' elements.
type Shape = (Vec<String>, Vec<u32>, usize, Vec<usize>);

fn shape(a: &FreeAreaView) -> Shape {
    (
        a.by_type.iter().map(|(name, _)| name.clone()).collect(),
        a.pcps.iter().map(|p| p.cpu).collect(),
        a.nr_free.len(),
        a.by_type.iter().map(|(_, counts)| counts.len()).collect(),
    )
}

/// A new element, with its class and its text (as `textContent`: the page never
/// parses a string as markup).
fn element(document: &Document, tag: &str, class: &str, text: Option<&str>) -> Element {
    let element = document.create_element(tag).expect("a known tag");
    if !class.is_empty() {
        element.set_class_name(class);
    }
    if text.is_some() {
        element.set_text_content(text);
    }
    element
}

/// Appends `child` to `parent` and returns it.
fn append(parent: &Element, child: Element) -> Element {
    let _ = parent.append_child(&child);
    child
}

/// A table of `class` with its caption and header row, and its (empty) body.
fn table(
    document: &Document,
    class: &str,
    caption: &str,
    head: &[&str],
    numbers: bool,
) -> (Element, Element) {
    let table = element(document, "table", class, None);
    append(&table, element(document, "caption", "", Some(caption)));
    let tr = append(
        &append(&table, element(document, "thead", "", None)),
        element(document, "tr", "", None),
    );
    for (i, cell) in head.iter().enumerate() {
        let class = if numbers && i > 0 { "num" } else { "" };
        append(&tr, element(document, "th", class, Some(cell)));
    }
    let body = append(&table, element(document, "tbody", "", None));
    (table, body)
}

/// A row of numbers headed by `name`.
fn counts_row(document: &Document, body: &Element, name: &str, counts: &[String]) {
    let tr = append(body, element(document, "tr", "", None));
    append(&tr, element(document, "th", "", Some(name)));
    for n in counts {
        append(&tr, element(document, "td", "num", Some(n)));
    }
}

/// Appends a zone's tables and pageblock line to its `<details>`, after the summary.
fn build_zone(details: &Element, a: &FreeAreaView) {
    let Some(document) = details.owner_document() else {
        return;
    };
    let c = cells(a);
    let orders: Vec<String> = (0..MAX_ORDER).map(|o| o.to_string()).collect();
    let head: Vec<&str> = std::iter::once("order")
        .chain(orders.iter().map(String::as_str))
        .collect();
    let (buddyinfo, body) = table(
        &document,
        "buddyinfo",
        "buddyinfo: free blocks by order (nr_free)",
        &head,
        true,
    );
    counts_row(&document, &body, "nr_free", &c.buddyinfo[0]);
    append(details, buddyinfo);
    let (pagetypeinfo, body) = table(
        &document,
        "pagetypeinfo",
        "pagetypeinfo: free blocks by migratetype and order",
        &head,
        true,
    );
    for ((name, _), counts) in a.by_type.iter().zip(&c.pagetypeinfo) {
        counts_row(&document, &body, name, counts);
    }
    append(details, pagetypeinfo);
    append(
        details,
        element(&document, "p", "muted", Some(&c.pageblocks)),
    );
    let (pcp, body) = table(
        &document,
        "pcp",
        "Per-cpu lists (struct per_cpu_pages)",
        &["CPU", "count", "high", "batch", "lists (pages)"],
        false,
    );
    for row in &c.pcp {
        let tr = append(&body, element(&document, "tr", "", None));
        let _ = tr.set_attribute("data-cpu", &row[0]);
        append(&tr, element(&document, "td", "", Some(&row[0])));
        append(
            &tr,
            element(&document, "td", "num pcp-count", Some(&row[1])),
        );
        append(&tr, element(&document, "td", "num", Some(&row[2])));
        append(&tr, element(&document, "td", "num", Some(&row[3])));
        append(&tr, element(&document, "td", "", Some(&row[4])));
    }
    append(details, pcp);
}

/// Removes what `build_zone` appended: every child of `details` after its summary.
fn clear_zone(details: &Element) {
    while let Some(last) = details.last_element_child() {
        if last.tag_name() == "SUMMARY" {
            break;
        }
        last.remove();
    }
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
struct ZoneProps {
    area: FreeAreaView,
    open: bool,
}

/// One zone: its `<details>` (open or closed as the reader leaves it), rendered by
/// Yew, and its tables, made here. The tables are 414 of the 913 elements on the
/// first screen (three zones open); through Yew each element and text node costs
/// about nine calls out of the wasm (clone, `namespaceURI`, set attribute, insert;
/// for its text the window, the document, a text node, insert), made directly with
/// `createElement` and `textContent` about four. Made once per shape of the zone
/// (its migratetypes, CPUs and orders), before the page's interactive mark (the
/// root's effect runs after its children's); a step then sets the text of the cells
/// that changed, as Yew's diff would. Nothing in them is interactive.
#[function_component(Zone)]
fn zone(props: &ZoneProps) -> Html {
    let details = use_node_ref();
    // The cells the tables show, or `None` before they are made.
    let shown = use_mut_ref(|| None::<(Shape, Cells)>);
    {
        let (details, shown) = (details.clone(), shown.clone());
        use_effect_with(props.area.clone(), move |area| {
            let Some(details) = details.cast::<Element>() else {
                return;
            };
            let (shape, new) = (shape(area), cells(area));
            let mut shown = shown.borrow_mut();
            match shown.as_ref() {
                Some((old_shape, old)) if *old_shape == shape => {
                    if *old != new {
                        update_zone(&details, old, &new);
                    }
                }
                _ => {
                    clear_zone(&details);
                    build_zone(&details, area);
                }
            }
            *shown = Some((shape, new));
        });
    }
    let a = &props.area;
    let free_pages = a.free_pages();
    html! {
        <details ref={details} open={props.open} data-zone={format!("{}:{}", a.node, a.zone)}>
            <summary>{ format!("Node {}, zone {} — {free_pages} pages on the buddy lists", a.node, a.zone) }</summary>
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

#[cfg(test)]
mod tests {
    use super::*;
    use buddyscope_engine::view::PcpView;

    fn area() -> FreeAreaView {
        FreeAreaView {
            node: 0,
            zone: "DMA32".into(),
            nr_free: (0..MAX_ORDER as u64).collect(),
            by_type: vec![("Unmovable".into(), vec![1; MAX_ORDER as usize])],
            pageblocks: vec![("Unmovable".into(), 3), ("Movable".into(), 5)],
            pcps: vec![
                PcpView {
                    cpu: 0,
                    count: 7,
                    high: 42,
                    batch: 7,
                    lists: vec![("Movable 0".into(), 7)],
                },
                PcpView {
                    cpu: 1,
                    count: 0,
                    high: 42,
                    batch: 7,
                    lists: vec![],
                },
            ],
        }
    }

    #[test]
    fn a_zones_cells_are_its_tables_text() {
        let c = cells(&area());
        assert_eq!(
            c.buddyinfo,
            vec![(0..MAX_ORDER).map(|o| o.to_string()).collect::<Vec<_>>()]
        );
        assert_eq!(c.pageblocks, "Pageblocks: Unmovable 3, Movable 5");
        assert_eq!(c.pcp[0], ["0", "7", "42", "7", "Movable 0: 7"]);
        assert_eq!(c.pcp[1][4], "empty");
    }

    #[test]
    fn the_same_shape_differs_only_in_cells() {
        let a = area();
        let mut b = area();
        b.nr_free[3] += 1;
        b.pcps[1].lists.push(("Unmovable 0".into(), 1));
        assert_eq!(shape(&a), shape(&b));
        assert_ne!(cells(&a), cells(&b));
        b.pcps.pop();
        assert_ne!(shape(&a), shape(&b));
    }
}
