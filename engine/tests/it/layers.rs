//! The engine's layering rule, checked: a top-level module uses only modules of a
//! lower layer. The layers span two crates: buddyscope-core (`core/src`, the hot
//! layers up to `session`) and buddyscope-engine (`engine/src`, which re-exports the
//! core's modules under their own names and adds the rest), one order for both.
//! The test reads every `crate::` path in `core/src` and `engine/src`, doc comments
//! included (an intra-doc link is a reference too, and a lower layer's docs should
//! not lean on the layers that use it), and fails on a path that goes up a layer or sideways, which is also what any
//! import cycle between top-level modules needs. ARCHITECTURE.md draws the same table.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Every top-level module and its layer, lowest first. A new module gets a row here
/// (the test refuses a module it does not know), and with it a place in the design.
/// The first of buddyscope-engine's own layers: every layer below it lives in
/// buddyscope-core, every layer from it up in buddyscope-engine.
const FIRST_ENGINE_LAYER: u32 = 8;

const LAYERS: &[(&str, u32)] = &[
    ("types", 0),
    ("rng", 0),
    ("limits", 1),
    ("error", 1),
    ("text", 2),
    ("event", 3),
    ("buddy", 4),
    ("machine", 5),
    ("alloc", 6),
    ("session", 7),
    ("workload", 8),
    ("import", 9),
    ("scenario", 10),
    ("report", 11),
    ("view", 12),
];

fn layer_of(module: &str) -> Option<u32> {
    LAYERS
        .iter()
        .find(|(name, _)| *name == module)
        .map(|&(_, layer)| layer)
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.expect("directory entry").path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|ext| ext == "rs") {
            out.push(path);
        }
    }
}

/// The top-level modules a line of code names through `crate::`: `crate::alloc::X`,
/// `crate::{alloc::X, types::Y}`, `pub(in crate::alloc)`. A capitalised name right
/// after `crate::` is an item the crate root re-exports, which would hide its layer:
/// those come back as `Err` with the name.
fn crate_paths(code: &str) -> Vec<Result<String, String>> {
    let mut found = Vec::new();
    let mut rest = code;
    while let Some(at) = rest.find("crate::") {
        rest = &rest[at + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            let end = group.find('}').unwrap_or(group.len());
            for item in group[..end].split(',') {
                let item = item.trim();
                match item.split_once("::") {
                    Some((module, _)) => found.push(Ok(module.trim().to_string())),
                    None if item.is_empty() || item == "self" => {}
                    None => found.push(Err(item.to_string())),
                }
            }
        } else {
            let name: String = rest
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            // `crate::alloc::X`, `use crate::alloc;` and `pub(in crate::alloc)` name a
            // module; `crate::Event` names an item the root re-exports.
            if name.starts_with(|c: char| c.is_ascii_lowercase()) {
                found.push(Ok(name));
            } else if !name.is_empty() {
                found.push(Err(name));
            }
        }
    }
    found
}

/// Checks the `crate::` paths of one crate's sources (`src`), adding what is wrong
/// to `problems` and each module-to-module use to `edges`. Every module of
/// buddyscope-core must sit below `FIRST_ENGINE_LAYER`, every module of
/// buddyscope-engine at or above it.
fn scan_crate(
    src: &Path,
    is_core: bool,
    problems: &mut Vec<String>,
    edges: &mut BTreeMap<(String, String), usize>,
) {
    let mut files = Vec::new();
    rust_files(src, &mut files);
    assert!(
        files.len() > 20,
        "found only {} files under {}",
        files.len(),
        src.display()
    );

    // Items lib.rs itself defines (the list of simplifications) belong to no layer;
    // everything else at the root is a re-export that would hide a module.
    let root = std::fs::read_to_string(src.join("lib.rs")).expect("lib.rs");
    let root_items: Vec<&str> = root
        .lines()
        .filter_map(|line| line.strip_prefix("pub const "))
        .filter_map(|rest| rest.split(':').next())
        .collect();
    for path in &files {
        let relative = path.strip_prefix(src).expect("under src");
        let first = relative
            .components()
            .next()
            .and_then(|c| c.as_os_str().to_str())
            .expect("a file name");
        if first == "lib.rs" {
            continue;
        }
        let module = first.trim_end_matches(".rs");
        let Some(layer) = layer_of(module) else {
            problems.push(format!(
                "{}: module `{module}` has no layer in LAYERS",
                relative.display()
            ));
            continue;
        };
        if is_core != (layer < FIRST_ENGINE_LAYER) {
            problems.push(format!(
                "{}: module `{module}` (layer {layer}) is in the wrong crate: layers below {FIRST_ENGINE_LAYER} live in core/src, the rest in engine/src",
                src.join(relative).display()
            ));
        }
        let text = std::fs::read_to_string(path).expect("readable source");
        for (number, line) in text.lines().enumerate() {
            for path_found in crate_paths(line) {
                let place = format!("{}:{}", relative.display(), number + 1);
                match path_found {
                    Err(item) if root_items.contains(&item.as_str()) => {}
                    Err(item) => problems.push(format!(
                        "{place}: `crate::{item}` goes through the crate root's re-exports; name its module"
                    )),
                    Ok(used) if used == module => {}
                    Ok(used) => match layer_of(&used) {
                        None => problems.push(format!("{place}: `crate::{used}` is no known module")),
                        Some(used_layer) if used_layer >= layer => problems.push(format!(
                            "{place}: `{module}` (layer {layer}) uses `{used}` (layer {used_layer})"
                        )),
                        Some(_) => *edges.entry((module.to_string(), used)).or_default() += 1,
                    },
                }
            }
        }
    }
}

#[test]
fn every_crate_path_goes_down_a_layer() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut problems = Vec::new();
    let mut edges: BTreeMap<(String, String), usize> = BTreeMap::new();
    // (folder, whether it is buddyscope-core's), lowest crate first.
    for (src, is_core) in [(root.join("../core/src"), true), (root.join("src"), false)] {
        scan_crate(&src, is_core, &mut problems, &mut edges);
    }
    assert!(
        problems.is_empty(),
        "layering broken:\n{}",
        problems.join("\n")
    );
    // The table is not vacuous: the model's upper layers do use the lower ones.
    for (from, to) in [
        ("alloc", "buddy"),
        ("view", "session"),
        ("scenario", "import"),
    ] {
        assert!(
            edges.contains_key(&(from.to_string(), to.to_string())),
            "expected `{from}` to use `{to}`; the scan found {edges:?}"
        );
    }
}

#[test]
fn the_scanner_sees_paths_groups_and_root_items() {
    let found =
        crate_paths("use crate::{alloc::Allocator, types::Pfn, Event}; crate::view::load()");
    assert_eq!(
        found,
        vec![
            Ok("alloc".to_string()),
            Ok("types".to_string()),
            Err("Event".to_string()),
            Ok("view".to_string()),
        ]
    );
}

/// `docs/limits.md` and `core/src/limits.rs` list the same limits: every constant the
/// table names is defined in limits.rs, and every limit defined there has a row.
#[test]
fn the_limits_table_and_limits_rs_agree() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let source = std::fs::read_to_string(root.join("../core/src/limits.rs")).expect("limits.rs");
    let table = std::fs::read_to_string(root.join("../docs/limits.md")).expect("docs/limits.md");
    let defined: Vec<&str> = source
        .lines()
        .filter_map(|line| line.strip_prefix("pub const "))
        .filter_map(|rest| rest.split(':').next())
        .collect();
    assert!(defined.len() >= 20, "found {defined:?}");
    let named: Vec<&str> = table
        .split('`')
        .map(|word| word.trim_start_matches("limits::"))
        .filter(|word| {
            word.starts_with(|c: char| c.is_ascii_uppercase())
                && word.ends_with("_MAX")
                && word.chars().all(|c| c.is_ascii_uppercase() || c == '_')
        })
        .collect();
    let missing_in_source: Vec<&&str> = named
        .iter()
        .filter(|name| !defined.contains(name))
        .collect();
    let missing_in_table: Vec<&&str> = defined
        .iter()
        .filter(|name| !named.contains(name))
        .collect();
    assert!(
        missing_in_source.is_empty(),
        "docs/limits.md names undefined limits {missing_in_source:?}"
    );
    assert!(
        missing_in_table.is_empty(),
        "limits.rs defines limits without a row in docs/limits.md: {missing_in_table:?}"
    );
}
