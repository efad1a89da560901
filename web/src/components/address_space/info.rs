//! What the page says about one page frame: the lines of the tooltip and of the
//! pinned line under the canvas, and that pinned line.

use buddyscope_engine::view::PageInfo;
use buddyscope_engine::Order;
use yew::prelude::*;

/// The lines the tooltip and the pinned page line show.
pub fn info_lines(info: &PageInfo, pages_per_cell: u64) -> Vec<String> {
    let mut lines = vec![format!(
        "pfn {:#x} · physical {:#x}",
        info.pfn, info.phys_addr
    )];
    let node = info
        .node
        .map_or("no node".to_string(), |n| format!("node {n}"));
    let zone = info
        .zone
        .as_deref()
        .map_or("no zone".to_string(), |z| format!("zone {z}"));
    let section = if info.section_present {
        format!("section {}", info.section)
    } else {
        format!("section {} (not present)", info.section)
    };
    lines.push(format!("{node} · {zone} · {section}"));
    lines.push(format!(
        "pageblock: {}",
        info.pageblock.as_deref().unwrap_or("none (no memmap)")
    ));
    lines.push(format!("state: {}", info.state));
    if let Some((pfn, order)) = info.block {
        let pages = Order::new(u32::from(order)).map_or(0, Order::pages);
        lines.push(format!(
            "buddy block: order {order} at pfn {pfn:#x} ({pages} pages)"
        ));
    }
    if pages_per_cell > 1 {
        lines.push(format!(
            "this pixel: {pages_per_cell} pages from pfn {:#x}, colours averaged",
            info.pfn
        ));
    }
    lines
}

pub struct PinnedPageProps {
    /// The page last clicked, if any.
    pub info: Option<PageInfo>,
}

/// The clicked page's details under the canvas, or how to get them.
pub fn pinned_page(props: &PinnedPageProps) -> Html {
    html! {
        <p class="page-info" id="page-info" aria-live="polite">
            { match props.info.as_ref() {
                Some(info) => info_lines(info, 1).join(" · "),
                None => "Click a page for its pfn, node, zone, section, pageblock type, state and buddy block.".to_string(),
            } }
        </p>
    }
}
