//! Browser tests: run in headless Chromium by `wasm-bindgen-test-runner`
//! (`cargo test -p buddyscope-web --target wasm32-unknown-unknown`).
#![cfg(target_arch = "wasm32")]

use std::time::Duration;

use buddyscope_engine::{BlockState, Order, ZoneConfig, ZoneSim};
use buddyscope_web::draw::{self, draw_zone};
use buddyscope_web::layout::Layout;
use buddyscope_web::zone_canvas::context_2d;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;
use web_sys::{HtmlCanvasElement, HtmlElement};

wasm_bindgen_test_configure!(run_in_browser);

fn document() -> web_sys::Document {
    web_sys::window()
        .and_then(|w| w.document())
        .expect("a document")
}

/// The RGB of a `#rrggbb` colour.
fn rgb(hex: &str) -> [u8; 3] {
    let byte = |i: usize| u8::from_str_radix(&hex[i..i + 2], 16).unwrap();
    [byte(1), byte(3), byte(5)]
}

fn pixel(canvas: &HtmlCanvasElement, x: f64, y: f64) -> [u8; 3] {
    let ctx = context_2d(canvas).unwrap();
    let data = ctx.get_image_data(x, y, 1.0, 1.0).unwrap().data();
    [data[0], data[1], data[2]]
}

#[wasm_bindgen_test]
fn draws_free_and_allocated_blocks_in_their_colours() {
    let mut sim = ZoneSim::new(&ZoneConfig {
        start_pfn: 0,
        pages: 4096,
        warmup_seed: None,
        warmup_allocs: 0,
    })
    .unwrap();
    let allocated = sim.alloc(3).unwrap().unwrap();
    let view = sim.view();
    let layout = Layout::for_zone(view.start_pfn, view.pages);
    let canvas: HtmlCanvasElement = document()
        .create_element("canvas")
        .unwrap()
        .dyn_into()
        .unwrap();
    canvas.set_width(layout.width_px());
    canvas.set_height(layout.height_px());
    draw_zone(&context_2d(&canvas).unwrap(), &view, &layout, None);

    // Centre of the allocated order-3 block: the allocated colour.
    let rect = layout.block_rect(allocated, Order::new(3).unwrap());
    assert_eq!(
        pixel(
            &canvas,
            rect.x + rect.width / 2.0,
            rect.y + rect.height / 2.0
        ),
        rgb(draw::ALLOCATED)
    );
    // Centre of the last order-10 block: free, in the order-10 shade.
    let last = view
        .blocks
        .iter()
        .rev()
        .find(|b| b.state == BlockState::Free)
        .unwrap();
    assert_eq!(last.order, Order::MAX);
    let rect = layout.block_rect(last.pfn, last.order);
    assert_eq!(
        pixel(
            &canvas,
            rect.x + rect.width / 2.0,
            rect.y + rect.height / 2.0
        ),
        rgb(&draw::free_colour(Order::MAX))
    );
    // Its left edge carries the block outline.
    assert_eq!(
        pixel(&canvas, rect.x, rect.y + rect.height / 2.0),
        rgb(draw::OUTLINE)
    );
}

#[wasm_bindgen_test]
async fn app_mounts_and_allocate_changes_the_free_count() {
    let root = document().create_element("div").unwrap();
    document().body().unwrap().append_child(&root).unwrap();
    yew::Renderer::<buddyscope_web::app::App>::with_root(root.clone()).render();
    yew::platform::time::sleep(Duration::from_millis(50)).await;

    let free_pages = || {
        document()
            .get_element_by_id("free-pages")
            .unwrap()
            .text_content()
            .unwrap()
    };
    let before: u64 = free_pages().parse().unwrap();
    let buttons = root.query_selector_all("button").unwrap();
    let allocate = (0..buttons.length())
        .filter_map(|i| buttons.item(i))
        .filter_map(|n| n.dyn_into::<HtmlElement>().ok())
        .find(|b| b.text_content().as_deref() == Some("Allocate order 0"))
        .expect("an \"Allocate order 0\" button");
    allocate.click();
    yew::platform::time::sleep(Duration::from_millis(50)).await;
    let after: u64 = free_pages().parse().unwrap();
    assert_eq!(after + 1, before);
    let log = root
        .query_selector(".step-log ol")
        .unwrap()
        .expect("the step log lists events");
    assert!(log.text_content().unwrap().contains("__rmqueue_smallest"));
}
