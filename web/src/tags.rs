//! Out-of-line builders for the page's most repeated markup: table cells, rows,
//! headings and list items with fixed attributes. Each `html!` element expands to its
//! own inlined construction code (the node reference, the boxed tag, the attribute
//! list, the children's vector), several hundred bytes of wasm per site; these
//! builders make one compiled copy serve every site that uses them
//! (docs/performance.md, branch size25). The DOM they build is the one `html!` builds:
//! the same tag, the attributes in the same order (`html!` puts `class` last), the
//! same text. Text is always a text node: nothing here parses a string as markup.

use std::borrow::Cow;

use yew::html::onclick;
use yew::virtual_dom::{ApplyAttributeAs, Attributes, Listeners, VList, VNode, VTag, VText};
use yew::{AttrValue, Callback, Html, MouseEvent, NodeRef};

/// Attributes known when the page is compiled, in the order they are set.
pub type Attrs = &'static [(&'static str, &'static str, ApplyAttributeAs)];

/// No attributes.
pub const PLAIN: Attrs = &[];
/// `class="num"` (right-aligned numbers in tables).
pub const NUM: Attrs = &[("class", "num", ApplyAttributeAs::Attribute)];
/// `class="muted"`.
pub const MUTED: Attrs = &[("class", "muted", ApplyAttributeAs::Attribute)];
/// `scope="row"` (a row's heading cell).
pub const ROW: Attrs = &[("scope", "row", ApplyAttributeAs::Attribute)];

fn tag(name: &'static str, attributes: Attributes, children: VNode) -> Html {
    VTag::__new_other(
        Cow::Borrowed(name),
        NodeRef::default(),
        None,
        attributes,
        Listeners::None,
        children,
    )
    .into()
}

/// `<name attrs>children</name>`.
#[inline(never)]
pub fn el(name: &'static str, attrs: Attrs, children: Vec<Html>) -> Html {
    tag(
        name,
        Attributes::Static(attrs),
        VNode::VList(VList::with_children(children, None)),
    )
}

/// `<name attrs>text</name>`, the text as one text node.
#[inline(never)]
pub fn text(name: &'static str, attrs: Attrs, text: AttrValue) -> Html {
    tag(
        name,
        Attributes::Static(attrs),
        VNode::VText(VText::new(text)),
    )
}

/// Attributes made at run time, in the order of `keys` (one name for each value; a
/// `None` value leaves its attribute out, as `html!` does).
fn dynamic(keys: &'static [&'static str], values: Vec<Option<AttrValue>>) -> Attributes {
    let values: Box<[_]> = values
        .into_iter()
        .map(|v| v.map(|v| (v, ApplyAttributeAs::Attribute)))
        .collect();
    Attributes::Dynamic { keys, values }
}

/// `<name keys=values>children</name>` for attributes made at run time.
#[inline(never)]
pub fn el_with(
    name: &'static str,
    keys: &'static [&'static str],
    values: Vec<Option<AttrValue>>,
    children: Vec<Html>,
) -> Html {
    tag(
        name,
        dynamic(keys, values),
        VNode::VList(VList::with_children(children, None)),
    )
}

/// `<button attrs onclick>label</button>` with attributes known when the page is
/// compiled.
#[inline(never)]
pub fn button(attrs: Attrs, onclick: Callback<MouseEvent>, label: AttrValue) -> Html {
    button_of(Attributes::Static(attrs), onclick, label)
}

/// `<button keys=values onclick>label</button>` with attributes made at run time
/// (`keys` usually starts with `type`, its value `"button"`).
#[inline(never)]
pub fn button_with(
    keys: &'static [&'static str],
    values: Vec<Option<AttrValue>>,
    onclick: Callback<MouseEvent>,
    label: AttrValue,
) -> Html {
    button_of(dynamic(keys, values), onclick, label)
}

fn button_of(attributes: Attributes, onclick: Callback<MouseEvent>, label: AttrValue) -> Html {
    VTag::__new_other(
        Cow::Borrowed("button"),
        NodeRef::default(),
        None,
        attributes,
        Listeners::Pending(Box::new([onclick::Wrapper::__macro_new(onclick)])),
        VNode::VText(VText::new(label)),
    )
    .into()
}

/// A section's heading with its muted aside:
/// `<name>title<span class="muted">aside</span></name>`.
#[inline(never)]
pub fn heading(name: &'static str, title: &'static str, aside: &'static str) -> Html {
    el(
        name,
        PLAIN,
        vec![VText::new(title).into(), text("span", MUTED, aside.into())],
    )
}

/// A table's head row: `<tr><th>a</th>…</tr>` with `class="num"` on the cells from
/// `num_from` on.
#[inline(never)]
pub fn head_row(cells: &[AttrValue], num_from: usize) -> Html {
    let cells = cells
        .iter()
        .enumerate()
        .map(|(i, c)| text("th", if i < num_from { PLAIN } else { NUM }, c.clone()))
        .collect();
    el("tr", PLAIN, cells)
}

/// `<li>` of a text, one per item.
#[inline(never)]
pub fn items(items: &mut dyn Iterator<Item = AttrValue>) -> Vec<Html> {
    items.map(|t| text("li", PLAIN, t)).collect()
}

/// Attributes known when the page is compiled, for [`text`] and [`el`]:
/// `attrs!("id" = "step-sentence", "class" = "sentence")`, in the order `html!` sets
/// them (`class` last).
#[macro_export]
macro_rules! attrs {
    ($($k:literal = $v:literal),* $(,)?) => {
        &[$(($k, $v, ::yew::virtual_dom::ApplyAttributeAs::Attribute)),*]
    };
}
