//! Real kernel runs (engine/tests/data/modtrace/cases/ for Linux 6.1,
//! engine/tests/data/modtrace-6.12/cases/ for Linux 6.12): `buddyscope replay` must
//! return every pfn the kernel returned and end in exactly the kernel's state, as the
//! fixtures' own comparator, replaycmp.py, judges it.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The cases of one set of fixtures: `modtrace` (6.1) or `modtrace-6.12`.
fn cases_dir(set: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../engine/tests/data")
        .join(set)
        .join("cases")
}

fn cases(dir: &Path) -> Vec<PathBuf> {
    let mut cases: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("the modtrace cases are in the repository")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.join("before.txt").exists())
        .collect();
    cases.sort();
    cases
}

#[test]
fn every_case_replays_exactly() {
    replays_exactly(&cases_dir("modtrace"));
}

#[test]
fn every_6_12_case_replays_exactly() {
    replays_exactly(&cases_dir("modtrace-6.12"));
}

/// A case's `before.txt` loaded and dumped again with no ops is the same state, as
/// replaycmp.py judges it (every state record: `state S/S`), and the same text:
/// each kernel's dump format holds all the model needs, and prints what it does not
/// keep exactly as the kernel did.
#[test]
fn every_before_dump_reloads_to_the_same_state() {
    for set in ["modtrace", "modtrace-6.12"] {
        let dir = cases_dir(set);
        for case in cases(&dir) {
            let name = case.file_name().and_then(|n| n.to_str()).unwrap_or("?");
            let tmp = Path::new(env!("CARGO_TARGET_TMPDIR"))
                .join("reload")
                .join(set)
                .join(name);
            let out = tmp.join("out");
            std::fs::create_dir_all(&tmp).unwrap();
            let before = std::fs::read_to_string(case.join("before.txt")).unwrap();
            // A case whose kernel ran nothing: after.txt is before.txt.
            for file in ["before.txt", "header.txt", "vm.txt"] {
                std::fs::copy(case.join(file), tmp.join(file)).unwrap();
            }
            std::fs::write(tmp.join("after.txt"), &before).unwrap();
            std::fs::write(tmp.join("allocs.txt"), "").unwrap();
            std::fs::write(tmp.join("workload.txt"), "").unwrap();
            let run = Command::new(env!("CARGO_BIN_EXE_buddyscope"))
                .args([
                    "replay",
                    tmp.to_str().unwrap(),
                    "--out",
                    out.to_str().unwrap(),
                ])
                .output()
                .expect("buddyscope runs");
            assert!(
                run.status.success(),
                "{set}/{name}: {}",
                String::from_utf8_lossy(&run.stderr)
            );
            let compare = Command::new("python3")
                .arg(dir.join("../replaycmp.py"))
                .arg(&tmp)
                .arg(&out)
                .output()
                .expect("python3 runs replaycmp.py");
            let report = String::from_utf8_lossy(&compare.stdout).into_owned();
            let last = report.lines().last().unwrap_or("");
            // The records replaycmp.py compares (it leaves out `buddy_pages`).
            const COMPARED: [&str; 10] = [
                "free",
                "pcplist",
                "pageblocks",
                "nr_free",
                "zone",
                "lowmem_reserve",
                "pcp",
                "nr_free_pages",
                "node",
                "zonelist",
            ];
            let records = before
                .lines()
                .filter(|l| COMPARED.contains(&l.split(' ').next().unwrap_or("")))
                .count();
            assert_eq!(
                last,
                format!("pfns 0/0 state {records}/{records}"),
                "{set}/{name}:\n{report}"
            );
            assert!(compare.status.success(), "{set}/{name}:\n{report}");
            let ours = std::fs::read_to_string(out.join("after.txt")).unwrap();
            let strip = |t: &str| -> Vec<String> {
                t.lines()
                    .map(|l| {
                        l.split(" t_ns=")
                            .next()
                            .unwrap_or("")
                            .replace("before", "after")
                    })
                    .collect()
            };
            assert_eq!(strip(&ours), strip(&before), "{set}/{name}: after.txt");
        }
    }
}

/// Replays every case under `dir` (whose parent holds replaycmp.py) and fails unless
/// each matches the kernel's allocs, events, dumps and final state exactly.
fn replays_exactly(dir: &Path) {
    let cases = cases(dir);
    assert!(
        cases.len() >= 5,
        "expected the five shared cases in {}, found {}",
        dir.display(),
        cases.len()
    );
    let set = dir
        .parent()
        .and_then(|p| p.file_name())
        .and_then(|n| n.to_str())
        .unwrap_or("?");
    let mut failures = Vec::new();
    for case in &cases {
        let name = case
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("?")
            .to_string();
        let out = Path::new(env!("CARGO_TARGET_TMPDIR"))
            .join("replay")
            .join(set)
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
            .arg(dir.join("../replaycmp.py"))
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
