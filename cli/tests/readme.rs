//! The examples of README.md and docs/scenario.md run as written.
//!
//! Every fenced code block of those files is one of two kinds, by its info string:
//!
//! - ` ```toml `: a scenario (or part of one, every key having a default). It must
//!   parse, build its machine and run its workload through the engine, invariants
//!   checked at the end, exactly as `buddyscope run` does.
//! - ` ```sh `: shell lines, run one by one with `sh -c` in a scratch directory that
//!   sees the repository's top-level folders (so `engine/tests/...` paths work and
//!   files the lines write, like `machine.toml`, land in the scratch directory), each
//!   line in the same directory so later lines read what earlier ones wrote. Every
//!   line must exit 0. `cargo run --release --bin buddyscope --` and a leading
//!   `buddyscope ` stand for the CLI binary this test was built with (no second
//!   build). Comment lines are skipped, and so, by rule, is every line that runs
//!   `bash scripts/NAME.sh` (after optional `VAR=value` words): those scripts install
//!   tools, serve the page or run the whole test, benchmark or fuzz suite for
//!   minutes, and are exercised by CI itself.
//!
//! Other blocks (plain ``` or another language) are text and are not run; a test
//! counts the kinds so a block that silently stops matching shows up as a changed
//! count.

use std::path::{Path, PathBuf};
use std::process::Command;

use buddyscope_engine::alloc::Allocator;
use buddyscope_engine::machine::Machine;
use buddyscope_engine::scenario::parse_scenario;
use buddyscope_engine::session::Session;
use buddyscope_engine::workload::{parse_workload, run_workload_seeded};

const CARGO_RUN: &str = "cargo run --release --bin buddyscope --";

fn repository() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the cli crate sits in the workspace")
        .to_path_buf()
}

/// One fenced block: its info string, the line its fence opens on, its lines (the
/// fence's indentation removed).
struct Block {
    info: String,
    line: usize,
    lines: Vec<String>,
}

fn blocks(text: &str) -> Vec<Block> {
    let mut out = Vec::new();
    let mut open: Option<(usize, Block)> = None;
    for (index, line) in text.lines().enumerate() {
        let trimmed = line.trim_start();
        let indent = line.len() - trimmed.len();
        if let Some(info) = trimmed.strip_prefix("```") {
            match open.take() {
                Some((_, block)) => out.push(block),
                None => {
                    open = Some((
                        indent,
                        Block {
                            info: info.trim().to_string(),
                            line: index + 1,
                            lines: Vec::new(),
                        },
                    ))
                }
            }
            continue;
        }
        if let Some((indent, block)) = open.as_mut() {
            let cut = line
                .char_indices()
                .take_while(|&(at, c)| at < *indent && c == ' ')
                .count();
            block.lines.push(line[cut..].to_string());
        }
    }
    assert!(open.is_none(), "a code block is never closed");
    out
}

fn run_scenario(file: &str, block: &Block) {
    let text = block.lines.join("\n") + "\n";
    let at = format!("{file}:{} (```toml block)", block.line);
    let scenario = parse_scenario(&text).unwrap_or_else(|e| panic!("{at} does not parse: {e}"));
    let machine =
        Machine::build(&scenario.machine).unwrap_or_else(|e| panic!("{at}: machine refused: {e}"));
    let allocator =
        Allocator::from_machine(&machine).unwrap_or_else(|e| panic!("{at}: no allocator: {e}"));
    let mut session = Session::with_kswapd(allocator, scenario.kswapd.unwrap_or_default());
    let statements = parse_workload(scenario.workload.as_deref().unwrap_or(""))
        .unwrap_or_else(|e| panic!("{at}: workload {e}"));
    run_workload_seeded(&mut session, &statements, None, scenario.seed.unwrap_or(1))
        .unwrap_or_else(|e| panic!("{at}: workload {e}"));
    session
        .current()
        .check_invariants()
        .unwrap_or_else(|e| panic!("{at}: invariants after the run: {e}"));
}

/// Whether `line` runs one of the repository's scripts (`bash scripts/NAME.sh`, after
/// optional `VAR=value` words): skipped by the rule above.
fn runs_a_script(line: &str) -> bool {
    let mut words = line
        .split_whitespace()
        .skip_while(|word| word.contains('=') && !word.starts_with('-'));
    words.next() == Some("bash")
        && words
            .next()
            .is_some_and(|script| script.starts_with("scripts/") && script.ends_with(".sh"))
}

/// A scratch directory with a symbolic link to each top-level folder of the
/// repository (never `target/`).
fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("make the scratch directory");
    for entry in std::fs::read_dir(repository()).expect("read the repository") {
        let entry = entry.expect("a directory entry");
        let file_name = entry.file_name();
        if file_name == "target" || file_name.to_string_lossy().starts_with('.') {
            continue;
        }
        if entry.path().is_dir() {
            std::os::unix::fs::symlink(entry.path(), dir.join(&file_name))
                .expect("link a folder of the repository");
        }
    }
    dir
}

/// Runs the block's lines; returns how many ran and how many were skipped by rule.
fn run_shell(file: &str, block: &Block, dir: &Path) -> (usize, usize) {
    let binary = env!("CARGO_BIN_EXE_buddyscope");
    let (mut ran, mut skipped) = (0, 0);
    for (offset, line) in block.lines.iter().enumerate() {
        let trimmed = line.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        if runs_a_script(trimmed) {
            skipped += 1;
            continue;
        }
        let command = if let Some(rest) = trimmed.strip_prefix(CARGO_RUN) {
            format!("\"$BUDDYSCOPE\"{rest}")
        } else if let Some(rest) = trimmed.strip_prefix("buddyscope ") {
            format!("\"$BUDDYSCOPE\" {rest}")
        } else {
            assert!(
                !trimmed.contains("buddyscope --") && !trimmed.starts_with("cargo "),
                "{file}:{}: a cargo line this test does not know how to run: {trimmed}",
                block.line + 1 + offset
            );
            trimmed.to_string()
        };
        let output = Command::new("sh")
            .arg("-c")
            .arg(&command)
            .current_dir(dir)
            .env("BUDDYSCOPE", binary)
            .output()
            .expect("sh runs");
        assert!(
            output.status.success(),
            "{file}:{}: `{trimmed}` failed ({}):\n{}",
            block.line + 1 + offset,
            output.status,
            String::from_utf8_lossy(&output.stderr)
        );
        ran += 1;
    }
    (ran, skipped)
}

/// Runs every block of `file` (relative to the repository); returns (toml blocks,
/// sh lines run, sh lines skipped by rule).
fn run_examples(file: &str) -> (usize, usize, usize) {
    let text = std::fs::read_to_string(repository().join(file)).expect("read the file");
    let dir = scratch(&file.replace(['/', '.'], "-"));
    let (mut scenarios, mut ran, mut skipped) = (0, 0, 0);
    for block in blocks(&text) {
        match block.info.as_str() {
            "toml" => {
                run_scenario(file, &block);
                scenarios += 1;
            }
            "sh" => {
                let (r, s) = run_shell(file, &block, &dir);
                ran += r;
                skipped += s;
            }
            _ => {}
        }
    }
    (scenarios, ran, skipped)
}

#[test]
fn the_readme_examples_run_as_written() {
    let (scenarios, ran, skipped) = run_examples("README.md");
    // One scenario (the three-line one); the command-line block's 21 lines; serve,
    // test, bench and the two fuzz lines skipped by rule.
    assert_eq!((scenarios, ran, skipped), (1, 21, 5));
}

#[test]
fn the_scenario_docs_examples_run_as_written() {
    // The complete one-line scenario, the fuller machine, [about], the workload, the
    // indented short form, the [[expect]] example and the [[question]] example.
    let (scenarios, ran, skipped) = run_examples("docs/scenario.md");
    assert_eq!((scenarios, ran, skipped), (7, 0, 0));
}

#[test]
fn the_skip_rule_takes_scripts_only() {
    assert!(runs_a_script("bash scripts/serve.sh   # build and serve"));
    assert!(runs_a_script(
        "FUZZ_RUNS=10000000 bash scripts/fuzz.sh 3600 trace"
    ));
    assert!(!runs_a_script("bash -c 'rm -rf /'"));
    assert!(!runs_a_script("bash other/serve.sh"));
    assert!(!runs_a_script(
        "cargo run --release --bin buddyscope -- --help"
    ));
}

#[test]
fn blocks_are_read_with_their_indentation_removed() {
    let text = "intro\n```toml\nversion = 1\n```\n- item\n\n  ```sh\n  buddyscope --help\n  ```\n```\nplain\n```\n";
    let found = blocks(text);
    let kinds: Vec<(&str, usize, Vec<String>)> = found
        .iter()
        .map(|b| (b.info.as_str(), b.line, b.lines.clone()))
        .collect();
    assert_eq!(
        kinds,
        vec![
            ("toml", 2, vec!["version = 1".to_string()]),
            ("sh", 7, vec!["buddyscope --help".to_string()]),
            ("", 10, vec!["plain".to_string()]),
        ]
    );
}
