//! The tooltip beside the pointer: the details of the page under it, or what a
//! collapsed gap's band leaves out.
//!
//! It is a component, so it always fills one place among the canvas's siblings:
//! Yew matches unkeyed children from the end, and a tooltip that came and went as a
//! bare list item made Yew replace the canvas element with a new, blank one on
//! every hover.

use buddyscope_engine::view::PageInfo;
use yew::prelude::*;

use crate::tags::{text, PLAIN};

use super::info::info_lines;

/// What is under the pointer and where the pointer is, in CSS pixels from the
/// canvas's top left corner.
#[derive(Clone, Debug, PartialEq)]
pub struct Hover {
    pub what: Under,
    pub x: f64,
    pub y: f64,
}

/// A page, or a collapsed gap's band (its label).
#[derive(Clone, Debug, PartialEq)]
pub enum Under {
    Page(PageInfo),
    Gap(String),
}

#[derive(Properties, PartialEq)]
pub struct TooltipProps {
    pub hover: Option<Hover>,
    pub pages_per_cell: u64,
}

#[function_component(Tooltip)]
pub fn tooltip(props: &TooltipProps) -> Html {
    let Some(hover) = props.hover.as_ref() else {
        return html! {};
    };
    html! {
        <div class="tooltip" id="page-tooltip" role="tooltip" style={format!("left:{}px;top:{}px", hover.x + 14.0, hover.y + 14.0)}>
            { for lines(&hover.what, props.pages_per_cell).into_iter().map(|l| html! { { text("div", PLAIN, l.to_string().into()) } }) }
        </div>
    }
}

/// The tooltip's lines: a page's details, or what a gap's band leaves out.
fn lines(what: &Under, pages_per_cell: u64) -> Vec<String> {
    match what {
        Under::Page(info) => info_lines(info, pages_per_cell),
        Under::Gap(label) => vec![
            format!("not drawn: {label}"),
            "collapsed to this band; \"true scale\" draws it at its size".to_string(),
        ],
    }
}
