//! The page's layers, kept by reading the `crate::` paths of every source file: the
//! root (`app`) uses components, components use the state and the helpers, and the
//! state and helpers use neither. Native only (it reads the sources).
#![cfg(not(target_arch = "wasm32"))]

mod common;

use common::rust_files;
use std::fs;
use std::path::Path;

/// The modules a file's layer may not use.
fn forbidden(relative: &Path) -> &'static [&'static str] {
    let first = relative
        .components()
        .next()
        .and_then(|c| c.as_os_str().to_str())
        .unwrap_or("");
    match first {
        "components" => &["crate::app"],
        "state.rs" | "state" | "link.rs" | "paint.rs" | "panic.rs" | "clipboard.rs"
        | "browser.rs" | "host_message.rs" | "tags.rs" => &["crate::app", "crate::components"],
        _ => &[],
    }
}

#[test]
fn no_layer_uses_one_above_it() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let files = rust_files(&dir);
    let mut checked = 0;
    for path in &files {
        let relative = path.strip_prefix(&dir).unwrap();
        let text = fs::read_to_string(path).unwrap();
        for module in forbidden(relative) {
            assert!(
                !text.contains(module),
                "{} uses {module}, a layer above it",
                relative.display()
            );
        }
        checked += usize::from(!forbidden(relative).is_empty());
    }
    assert!(checked >= 30, "only {checked} files had a layer to check");
}
