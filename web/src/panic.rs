//! What the page does when the code panics: a panic in WebAssembly kills the app, so
//! instead of a page that silently stops responding the hook puts a readable notice
//! on top of it (what happened, the panic message, how to get going again) and logs
//! the message to the console. The notice is built with `textContent` only, never
//! from HTML: the message can quote user input.

use std::panic::PanicHookInfo;

use wasm_bindgen::prelude::wasm_bindgen;

/// Installs the hook. Called once, before the app mounts. Through Yew, because
/// `Renderer::render` replaces any hook not set this way with its own (which only
/// logs to the console).
pub fn install() {
    yew::set_custom_panic_hook(Box::new(|info| show(&describe(info))));
}

/// The panic message and where it happened, in one line.
fn describe(info: &PanicHookInfo<'_>) -> String {
    let message = info
        .payload()
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| info.payload().downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "(no message)".to_string());
    match info.location() {
        Some(at) => format!("{message} (at {}:{})", at.file(), at.line()),
        None => message,
    }
}

/// Puts the notice on the page (once: a second panic only logs).
fn show(message: &str) {
    web_sys::console::error_1(&format!("Buddyscope panicked: {message}").into());
    let Some(document) = web_sys::window().and_then(|w| w.document()) else {
        return;
    };
    if document.get_element_by_id("panic-notice").is_some() {
        return;
    }
    let Some(body) = document.body() else {
        return;
    };
    let element = |tag: &str, text: &str| -> Option<web_sys::Element> {
        let e = document.create_element(tag).ok()?;
        e.set_text_content(Some(text));
        Some(e)
    };
    let build = || -> Option<web_sys::Element> {
        let notice = document.create_element("div").ok()?;
        notice.set_id("panic-notice");
        notice.set_attribute("role", "alert").ok()?;
        let heading = element("h2", "Buddyscope stopped")?;
        notice.append_child(&heading).ok()?;
        let explanation = element(
            "p",
            "An internal error stopped the simulation, so the page no longer responds. This is a bug in Buddyscope, not in your scenario; the message below helps fix it.",
        )?;
        notice.append_child(&explanation).ok()?;
        let detail = element("pre", message)?;
        detail.set_id("panic-message");
        notice.append_child(&detail).ok()?;
        let reload = element("a", "Reload with the default scenario")?;
        // The page itself, without the fragment that may have caused the panic.
        let here = web_sys::window()?.location().pathname().ok()?;
        reload.set_attribute("href", &here).ok()?;
        notice.append_child(&reload).ok()?;
        Some(notice)
    };
    if let Some(notice) = build() {
        let _ = body.prepend_with_node_1(&notice);
        let _ = body.set_attribute("data-panicked", "1");
    }
}

/// Panics on purpose, so the end-to-end tests can check the notice
/// (`window.wasmBindings.panic_for_test(message)`). It only stops this page.
#[wasm_bindgen]
pub fn panic_for_test(message: String) {
    panic!("{message}");
}
