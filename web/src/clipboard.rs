//! Copy buttons that say what happened: the clipboard write is asynchronous and
//! the browser may refuse it (no permission, an insecure page), so each button shows
//! "Copied." or why not, and what to do instead.

use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;

/// Copies `text`, then calls `said` with "Copied." or, when the browser refuses,
/// "Copy failed (why); " followed by `by_hand` (what to select and copy instead).
pub fn copy_and_say(text: &str, by_hand: &'static str, said: impl FnOnce(String) + 'static) {
    let Some(window) = web_sys::window() else {
        return;
    };
    let promise = window.navigator().clipboard().write_text(text);
    wasm_bindgen_futures::spawn_local(async move {
        let message = match JsFuture::from(promise).await {
            Ok(_) => "Copied.".to_string(),
            Err(error) => format!(
                "Copy failed ({}); {by_hand}",
                error
                    .dyn_ref::<js_sys::Error>()
                    .map(|e| String::from(e.message()))
                    .unwrap_or_else(|| "the browser refused".to_string())
            ),
        };
        said(message);
    });
}
