//! What the page asks of the browser: where the page was opened, the
//! address bar's fragment, the clipboard, and the mark that says the page is ready.

use wasm_bindgen::JsValue;

/// Where the page was opened: path, query and fragment.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Location {
    /// Origin and path, without query or fragment.
    pub base: String,
    pub search: String,
    pub hash: String,
}

/// The page's location, empty outside a browser window.
pub fn read_location() -> Location {
    let Some(location) = web_sys::window().map(|w| w.location()) else {
        return Location::default();
    };
    Location {
        base: format!(
            "{}{}",
            location.origin().unwrap_or_default(),
            location.pathname().unwrap_or_default()
        ),
        search: location.search().unwrap_or_default(),
        hash: location.hash().unwrap_or_default(),
    }
}

/// Puts the fragment in the address bar without a history entry per step.
pub fn replace_fragment(search: &str, fragment: &str) {
    if let Some(history) = web_sys::window().and_then(|w| w.history().ok()) {
        let _ = history.replace_state_with_url(
            &JsValue::NULL,
            "",
            Some(&format!("{search}#{fragment}")),
        );
    }
}

/// Copies text to the clipboard; the text is also on screen to copy by hand.
pub fn copy(text: &str) {
    if let Some(window) = web_sys::window() {
        let _ = window.navigator().clipboard().write_text(text);
    }
}

/// [`mark_interactive`] as the effect of a first render (`use_effect_with((), ..)`):
/// one function, so both page modes share one compiled effect.
pub fn mark_interactive_effect(_: &()) {
    mark_interactive()
}

/// [`read_location`] for `use_memo((), ..)`: one function, so both page modes share
/// one compiled memo.
pub fn read_location_memo(_: &()) -> Location {
    read_location()
}

/// Time to interactive: a performance mark and `data-ready` on the body, set at the
/// first render with the scenario loaded (the tests and benchmarks wait for them).
pub fn mark_interactive() {
    if let Some(window) = web_sys::window() {
        if let Some(p) = window.performance() {
            let _ = p.mark("buddyscope-interactive");
        }
        if let Some(body) = window.document().and_then(|d| d.body()) {
            let _ = body.set_attribute("data-ready", "1");
        }
    }
}
