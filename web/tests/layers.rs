//! The page's layers, kept by reading the `crate::` paths of every source file: the
//! root (`app`) uses components, components use the state and the helpers, and the
//! state and helpers use neither. Native only (it reads the sources).
#![cfg(not(target_arch = "wasm32"))]

use std::fs;
use std::path::{Path, PathBuf};

/// Every `.rs` file under `dir`, in subfolders too.
fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut folders = vec![dir.to_path_buf()];
    while let Some(folder) = folders.pop() {
        for entry in fs::read_dir(&folder).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                folders.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                files.push(path);
            }
        }
    }
    files
}

/// The modules a file's layer may not use.
fn forbidden(relative: &Path) -> &'static [&'static str] {
    let first = relative
        .components()
        .next()
        .and_then(|c| c.as_os_str().to_str())
        .unwrap_or("");
    match first {
        "components" => &["crate::app"],
        "state.rs" | "link.rs" | "paint.rs" | "panic.rs" => &["crate::app", "crate::components"],
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
