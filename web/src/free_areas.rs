//! The zone's free areas as /proc/buddyinfo shows them.

use buddyscope_engine::ZoneView;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct FreeAreasProps {
    pub view: ZoneView,
}

#[function_component(FreeAreas)]
pub fn free_areas(props: &FreeAreasProps) -> Html {
    let view = &props.view;
    html! {
        <section class="free-areas">
            <h2>{ "free_area[]" }</h2>
            <p>
                { "Free pages: " }<strong id="free-pages">{ view.free_pages }</strong>
                { format!(" of {} · live allocations: ", view.pages) }<strong id="allocations">{ view.allocations }</strong>
            </p>
            <table>
                <thead><tr><th>{ "order" }</th>{ for (0..view.nr_free.len()).map(|o| html! { <th>{ o }</th> }) }</tr></thead>
                <tbody><tr><th>{ "nr_free" }</th>{ for view.nr_free.iter().map(|n| html! { <td>{ n }</td> }) }</tr></tbody>
            </table>
        </section>
    }
}
