//! Browser tests: run in headless Chromium by `wasm-bindgen-test-runner`
//! (`cargo test -p buddyscope-web --target wasm32-unknown-unknown`).
#![cfg(target_arch = "wasm32")]

use buddyscope_engine::view::{self, code, Viewport, HEIGHT_PX, HIGHLIGHT_RGB};
use buddyscope_web::paint::{context_2d, put_rgba, put_rgba_lines};
use buddyscope_web::state::{Action, State};
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;
use web_sys::HtmlCanvasElement;

wasm_bindgen_test_configure!(run_in_browser);

fn canvas() -> HtmlCanvasElement {
    web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.create_element("canvas").ok())
        .and_then(|e| e.dyn_into().ok())
        .expect("a canvas")
}

fn pixel(canvas: &HtmlCanvasElement, x: f64, y: f64) -> [u8; 3] {
    let data = context_2d(canvas)
        .and_then(|ctx| ctx.get_image_data(x, y, 1.0, 1.0).ok())
        .expect("pixels")
        .data();
    [data[0], data[1], data[2]]
}

#[wasm_bindgen_test]
fn the_engine_pixels_land_on_the_canvas_unchanged() {
    let state = State::initial();
    let at = &state.at;
    let pages = at.map.pages();
    // Zoomed in on the first pages of DMA: single pages, coloured by their code.
    let viewport = Viewport::at(-3, 0, 0, pages);
    let rgba = view::render_rgba(&at.map, &at.spans, &viewport, None);
    let canvas = canvas();
    assert!(put_rgba(&canvas, &rgba, viewport.width_px()));
    assert_eq!(
        (canvas.width(), canvas.height()),
        (viewport.width_px(), HEIGHT_PX)
    );
    // The middle of page 0x10's cell (row 0, column 16): its code's colour.
    let x = f64::from(view::GUTTER_PX) + 16.0 * 8.0 + 4.0;
    let expected = view::code_rgb(at.map.code(0x10));
    assert_eq!(pixel(&canvas, x, 4.0), expected);
    assert_ne!(at.map.code(0x10) & code::STATE_MASK, code::HOLE);
}

#[wasm_bindgen_test]
fn the_step_highlight_is_framed() {
    let state = State::initial();
    // Past the watermark checks, the call's block is known once it returns.
    let state = state.reduce_now(Action::StepOver);
    let at = &state.at;
    let session = &state.session;
    let overview = view::overview(&at.allocator, session, state.cursor);
    let highlight = overview
        .step
        .highlight
        .expect("a returned allocation highlights its block");
    let layout = view::Layout::new(&at.allocator, &at.map, false);
    let viewport = Viewport::new(Viewport::fit_zoom(&layout), 0, &layout);
    let rgba = view::render_rgba(&at.map, &at.spans, &viewport, Some(highlight));
    let canvas = canvas();
    assert!(put_rgba(&canvas, &rgba, viewport.width_px()));
    let data = context_2d(&canvas)
        .and_then(|ctx| {
            ctx.get_image_data(
                0.0,
                0.0,
                f64::from(canvas.width()),
                f64::from(canvas.height()),
            )
            .ok()
        })
        .expect("pixels")
        .data();
    let framed = data
        .chunks_exact(4)
        .filter(|p| p[..3] == HIGHLIGHT_RGB)
        .count();
    assert!(framed >= 16, "the frame has {framed} pixels");
}

#[wasm_bindgen_test]
fn a_wrong_sized_buffer_is_refused_not_drawn() {
    assert!(!put_rgba(&canvas(), &[0u8; 10], 4));
}

/// Same result everywhere, the wasm half: every scenario of
/// engine/tests/data/digests.txt, loaded the way the page loads it (`view::load`),
/// digested in wasm and compared byte for byte with the digests the native test pins.
///
/// Async, and yielding to the browser after each scenario: the whole set takes
/// seconds in a debug build, and a page that does not answer for 20 s makes the
/// test runner's webdriver give up.
#[wasm_bindgen_test]
async fn wasm_digests_equal_the_native_ones() {
    use buddyscope_engine::report::digest::run_digest;
    let pinned = include_str!("../../engine/tests/data/digests.txt");
    let mut compared = 0;
    for line in pinned.lines() {
        let (name, expected) = line.split_once(' ').expect("NAME DIGEST");
        // `NAME@6.12` is the library scenario NAME run on Linux 6.12.
        let (base, kernel) = match name.strip_suffix("@6.12") {
            Some(base) => (base, Some(buddyscope_engine::types::Kernel::V6_12)),
            None => (name, None),
        };
        let text = match base {
            "default" => buddyscope_web::state::DEFAULT_SCENARIO,
            "generators" => include_str!("../../engine/tests/data/digest/generators.toml"),
            other => {
                buddyscope_engine::scenario::library::get(other)
                    .unwrap_or_else(|| panic!("no library scenario `{other}`"))
                    .text
            }
        };
        let mut scenario = buddyscope_engine::scenario::parse_scenario(text)
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        if let Some(kernel) = kernel {
            scenario.machine.kernel = kernel;
        }
        let loaded = view::load(&scenario).unwrap_or_else(|e| panic!("{name}: {e}"));
        let actual = run_digest(&loaded.session, loaded.cursor).to_string();
        assert_eq!(actual, expected, "{name}: wasm and native differ");
        compared += 1;
        settle().await;
    }
    // Every library scenario on each kernel, the default one and the generator run.
    assert_eq!(
        compared,
        2 * buddyscope_engine::scenario::library::ENTRIES.len() + 2
    );
}

/// Lets Yew render and run its effects.
async fn settle() {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        if let Some(window) = web_sys::window() {
            let _ = window.set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, 50);
        }
    });
    let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
}

fn element(id: &str) -> Option<web_sys::Element> {
    web_sys::window()?.document()?.get_element_by_id(id)
}

#[wasm_bindgen_test]
async fn hovering_the_canvas_keeps_it_drawn() {
    use buddyscope_web::components::address_space::{AddressSpace, AddressSpaceProps};
    let document = web_sys::window()
        .and_then(|w| w.document())
        .expect("a document");
    let root = document.create_element("div").expect("a div");
    document
        .body()
        .expect("a body")
        .append_child(&root)
        .expect("attached");
    let props = AddressSpaceProps {
        at: State::initial().at,
        highlight: None,
    };
    let app = yew::Renderer::<AddressSpace>::with_root_and_props(root.clone(), props).render();
    settle().await;
    let drawn: HtmlCanvasElement = element("address-canvas")
        .and_then(|e| e.dyn_into().ok())
        .expect("the canvas");
    let gutter = pixel(&drawn, 4.0, 4.0);
    assert_ne!(gutter, [0, 0, 0], "the canvas is drawn");

    let rect = drawn.get_bounding_client_rect();
    let init = web_sys::MouseEventInit::new();
    init.set_bubbles(true);
    init.set_client_x((rect.left() + rect.width() / 2.0) as i32);
    init.set_client_y((rect.top() + rect.height() / 2.0) as i32);
    let hover = web_sys::MouseEvent::new_with_mouse_event_init_dict("mousemove", &init)
        .expect("a mouse event");
    drawn.dispatch_event(&hover).expect("dispatched");
    settle().await;

    assert!(element("page-tooltip").is_some(), "the tooltip shows");
    let now = element("address-canvas").expect("the canvas");
    assert!(
        js_sys::Object::is(&now, &drawn),
        "the hovered canvas is the one that was drawn, not a new blank one"
    );
    assert_eq!(pixel(&drawn, 4.0, 4.0), gutter);
    app.destroy();
    root.remove();
}

/// The page loads a 16 TiB machine (eight 2 TiB nodes from 4 GiB up to its address
/// limit) within wasm32's memory, and says how much memory the module grew to.
#[wasm_bindgen_test]
fn a_16_tib_machine_loads_in_the_page() {
    let node_pages = (16u64 << 40 >> 12) / 8 - (1 << 17);
    let mut text = String::from("version = 1\n[machine]\nthp = \"never\"\n");
    for n in 0..8u64 {
        let start = ((1u64 << 20) + n * node_pages) << 12;
        text.push_str(&format!(
            "[[machine.nodes]]\nmemory = [\"{:#x}-{:#x}\"]\ncpus = \"{n}\"\n",
            start,
            start + (node_pages << 12) - 1
        ));
    }
    let before = core::arch::wasm32::memory_size(0) as u64 * 65536;
    let state = State::initial().reduce_now(Action::Load {
        text,
        source: buddyscope_web::state::Source::Editor,
        step: None,
    });
    assert!(state.load_error.is_none(), "{:?}", state.load_error);
    assert_eq!(state.at.map.pages(), 1 << 32);
    let stepped = state.reduce_now(Action::StepInto);
    assert_eq!(stepped.at.map.pages(), 1 << 32);
    let after = core::arch::wasm32::memory_size(0) as u64 * 65536;
    console_log!(
        "16 TiB machine: wasm memory {} MiB before loading, {} MiB after loading and a step",
        before >> 20,
        after >> 20
    );
}

#[wasm_bindgen_test]
fn a_step_puts_only_its_repainted_lines_and_the_canvas_is_the_whole_picture() {
    let state = State::initial();
    let next = state.clone().reduce_now(Action::StepOver);
    let (before, after) = (&state.at, &next.at);
    let highlight = |s: &State| {
        view::overview(&s.at.allocator, &s.session, s.cursor)
            .step
            .highlight
    };
    let layout = view::Layout::new(&before.allocator, &before.map, false);
    let viewport = Viewport::new(Viewport::fit_zoom(&layout), 0, &layout);
    let width = viewport.width_px();
    let mut rgba = view::render_rgba(&before.map, &before.spans, &viewport, highlight(&state));
    let canvas = canvas();
    assert!(put_rgba(&canvas, &rgba, width));
    let lines = view::redraw_rgba(
        &mut rgba,
        (&before.map, highlight(&state)),
        &after.map,
        &after.spans,
        &viewport,
        highlight(&next),
    );
    assert!(!lines.is_empty(), "the step changed the picture");
    assert!(put_rgba_lines(&canvas, &rgba, width, &lines));
    let whole = view::render_rgba(&after.map, &after.spans, &viewport, highlight(&next));
    let data = context_2d(&canvas)
        .and_then(|ctx| {
            ctx.get_image_data(0.0, 0.0, f64::from(width), f64::from(HEIGHT_PX))
                .ok()
        })
        .expect("pixels")
        .data();
    assert!(
        data.0 == whole,
        "the canvas after the lines is the whole picture"
    );
    // A buffer of another size than the canvas is refused.
    assert!(!put_rgba_lines(&canvas, &rgba[..16], width, &lines));
}
