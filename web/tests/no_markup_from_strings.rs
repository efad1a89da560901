//! The page never builds HTML from strings: every text (a scenario's title and
//! about text, messages quoting user input) goes through Yew's text nodes or
//! `textContent`. This test keeps it so by refusing, in every source file of the
//! crate, the APIs that parse a string as markup. Native only (it reads the sources).
#![cfg(not(target_arch = "wasm32"))]

mod common;

use common::rust_files;
use std::fs;
use std::path::Path;

/// APIs that turn a string into DOM nodes or run it as code.
const FORBIDDEN: &[&str] = &[
    "set_inner_html",
    "inner_html",
    "set_outer_html",
    "insert_adjacent_html",
    "from_html_unchecked",
    "VRaw",
    "document_write",
    "eval(",
    "Function::new",
];

#[test]
fn no_source_file_parses_a_string_as_markup() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let files = rust_files(&dir);
    for path in &files {
        let text = fs::read_to_string(path).unwrap();
        for api in FORBIDDEN {
            assert!(
                !text.contains(api),
                "{} uses `{api}`: build the DOM from text nodes instead",
                path.display()
            );
        }
    }
    // The walk must reach the component folders, or the check proves nothing.
    for expected in [
        "main.rs",
        "state.rs",
        "app/mod.rs",
        "components/editor/mod.rs",
        "components/editor/machine.rs",
        "components/address_space/canvas.rs",
        "components/address_space/tooltip.rs",
    ] {
        assert!(
            files.contains(&dir.join(expected)),
            "{expected} was not among the files checked in {}",
            dir.display()
        );
    }
    assert!(
        files.len() >= 35,
        "only {} source files found in {}",
        files.len(),
        dir.display()
    );
}
