//! Real kernel runs (engine/tests/data/modtrace/cases/): `buddyscope replay` must
//! return every pfn the kernel returned and end in exactly the kernel's state, as the
//! fixtures' own comparator, replaycmp.py, judges it.

use std::path::{Path, PathBuf};
use std::process::Command;

fn cases_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../engine/tests/data/modtrace/cases")
}

fn cases() -> Vec<PathBuf> {
    let mut cases: Vec<PathBuf> = std::fs::read_dir(cases_dir())
        .expect("the modtrace cases are in the repository")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.join("before.txt").exists())
        .collect();
    cases.sort();
    cases
}

#[test]
fn every_case_replays_exactly() {
    let cases = cases();
    assert!(
        cases.len() >= 5,
        "expected the five shared cases, found {}",
        cases.len()
    );
    let mut failures = Vec::new();
    for case in &cases {
        let name = case
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("?")
            .to_string();
        let out = Path::new(env!("CARGO_TARGET_TMPDIR"))
            .join("replay")
            .join(&name);
        let run = Command::new(env!("CARGO_BIN_EXE_buddyscope"))
            .args([
                "replay",
                case.to_str().unwrap(),
                "--out",
                out.to_str().unwrap(),
            ])
            .output()
            .expect("buddyscope runs");
        assert!(
            run.status.success(),
            "{name}: {}",
            String::from_utf8_lossy(&run.stderr)
        );
        let compare = Command::new("python3")
            .arg(cases_dir().join("../replaycmp.py"))
            .arg(case)
            .arg(&out)
            .output()
            .expect("python3 runs replaycmp.py");
        let report = String::from_utf8_lossy(&compare.stdout).into_owned();
        eprintln!("{name}: {}", report.lines().last().unwrap_or(""));
        if !compare.status.success() {
            failures.push(format!("{name}:\n{report}"));
        }
        // allocs.txt and events.txt are the kernel's, byte for byte: every record,
        // every skip, every tracepoint event in order.
        for file in ["allocs.txt", "events.txt"] {
            let kernel = std::fs::read_to_string(case.join(file)).unwrap();
            let ours = std::fs::read_to_string(out.join(file)).unwrap_or_default();
            if kernel != ours {
                let first = kernel.lines().zip(ours.lines()).position(|(a, b)| a != b);
                failures.push(format!("{name}: {file} differs (first at line {first:?})"));
            }
        }
        // Every `D LABEL` op's dump matches the kernel's too (t_ns aside).
        let workload = std::fs::read_to_string(case.join("workload.txt")).unwrap();
        let labels = workload.split(['\n', ';']).filter_map(|op| {
            let mut words = op.split_whitespace();
            (words.next() == Some("D")).then(|| words.next().unwrap_or("").to_string())
        });
        for label in labels {
            let file = format!("{label}.txt");
            let strip = |t: String| {
                t.lines()
                    .map(|l| l.split(" t_ns=").next().unwrap_or("").to_string())
                    .collect::<Vec<_>>()
            };
            let Ok(kernel) = std::fs::read_to_string(case.join(&file)) else {
                continue; // The case does not ship this dump.
            };
            let kernel = strip(kernel);
            let ours = strip(std::fs::read_to_string(out.join(&file)).unwrap_or_default());
            let same = kernel.iter().zip(&ours).filter(|(a, b)| a == b).count();
            if kernel != ours {
                failures.push(format!(
                    "{name}: dump {file}: {same}/{} lines match",
                    kernel.len()
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
