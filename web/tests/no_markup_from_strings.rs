//! The page never builds HTML from strings: every text (a scenario's title and
//! about text, messages quoting user input) goes through Yew's text nodes or
//! `textContent`. This test keeps it so by refusing, in every source file of the
//! crate, the APIs that parse a string as markup. Native only (it reads the sources).
#![cfg(not(target_arch = "wasm32"))]

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
    let mut checked = 0;
    for entry in fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "rs") {
            let text = fs::read_to_string(&path).unwrap();
            for api in FORBIDDEN {
                assert!(
                    !text.contains(api),
                    "{} uses `{api}`: build the DOM from text nodes instead",
                    path.display()
                );
            }
            checked += 1;
        }
    }
    assert!(
        checked >= 10,
        "only {checked} source files found in {}",
        dir.display()
    );
}
