//! The five real machines of `engine/tests/data/oracle/` (dumped from Debian's Linux
//! 6.1 kernel under QEMU): `buddyscope zoneinfo` and `buddyscope zonelists` on each
//! snapshot must satisfy the fixtures' own comparator, `compare.py`, with every
//! compared field matching.

use std::path::{Path, PathBuf};
use std::process::Command;

const MACHINES: [&str; 5] = [
    "a-1node-512M",
    "b-1node-4G",
    "c-2node-1G-1G",
    "e-1node-2G-wmark-sysctl",
    // Three nodes at equal distance: at boot no node counts as having CPUs, so the
    // order comes from the `(n < node)` penalty and node_load alone.
    "n-3node-equal-distance",
];

fn oracle_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../engine/tests/data/oracle")
}

fn buddyscope(args: &[&str]) -> String {
    let output = Command::new(env!("CARGO_BIN_EXE_buddyscope"))
        .args(args)
        .output()
        .expect("buddyscope runs");
    assert!(
        output.status.success(),
        "buddyscope {args:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).expect("utf-8 output")
}

/// Runs compare.py and returns its last line; panics with its report on a mismatch.
fn compare(kind: &str, expected: &Path, actual: &str) -> String {
    let out_dir = Path::new(env!("CARGO_TARGET_TMPDIR"));
    let actual_path = out_dir.join(format!(
        "{kind}-{}.txt",
        expected
            .parent()
            .and_then(|p| p.parent())
            .and_then(|p| p.file_name())
            .and_then(|n| n.to_str())
            .unwrap_or("x")
    ));
    std::fs::write(&actual_path, actual).expect("write the output");
    let output = Command::new("python3")
        .arg(oracle_dir().join("compare.py"))
        .arg(kind)
        .arg(expected)
        .arg(&actual_path)
        .output()
        .expect("python3 runs compare.py (the test command installs python3)");
    let report = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "compare.py {kind} {} reports mismatches:\n{report}",
        expected.display()
    );
    report.lines().last().unwrap_or("").to_string()
}

fn fraction_is_complete(line: &str) -> bool {
    let Some((ok, total)) = line
        .split_whitespace()
        .nth(1)
        .and_then(|f| f.split_once('/'))
    else {
        return false;
    };
    ok == total && total != "0"
}

#[test]
fn zoneinfo_matches_the_real_kernel_on_every_machine() {
    for machine in MACHINES {
        let dir = oracle_dir().join(machine);
        let snapshot = dir.join("machine.snapshot");
        let ours = buddyscope(&["zoneinfo", snapshot.to_str().unwrap()]);
        let last = compare("zoneinfo", &dir.join("expected/zoneinfo"), &ours);
        assert!(fraction_is_complete(&last), "{machine}: {last}");
        eprintln!("{machine}: {last}");
    }
}

#[test]
fn zonelists_match_the_real_kernel_on_every_machine() {
    for machine in MACHINES {
        let dir = oracle_dir().join(machine);
        let snapshot = dir.join("machine.snapshot");
        let ours = buddyscope(&["zonelists", snapshot.to_str().unwrap()]);
        let last = compare("zonelists", &dir.join("expected/zonelists"), &ours);
        assert!(fraction_is_complete(&last), "{machine}: {last}");
        eprintln!("{machine}: {last}");
        // Every line we print is byte for byte the kernel's (the comparator only
        // normalises white space).
        let expected = std::fs::read_to_string(dir.join("expected/zonelists")).unwrap();
        for line in ours.lines() {
            assert!(
                expected.lines().any(|l| l == line) || line.starts_with("Built "),
                "{machine}: unexpected line {line:?}"
            );
        }
    }
}

#[test]
fn the_imported_scenario_gives_the_same_zoneinfo_as_the_snapshot() {
    for machine in MACHINES {
        let snapshot = oracle_dir().join(machine).join("machine.snapshot");
        let scenario = buddyscope(&["import", snapshot.to_str().unwrap()]);
        let path = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("{machine}.toml"));
        std::fs::write(&path, &scenario).unwrap();
        assert_eq!(
            buddyscope(&["zoneinfo", path.to_str().unwrap()]),
            buddyscope(&["zoneinfo", snapshot.to_str().unwrap()]),
            "{machine}"
        );
    }
}

#[test]
fn pageblock_counts_match_the_real_kernel_at_boot() {
    // Machine a's DMA zone starts at pfn 1: the pageblock at pfn 0 is never marked
    // MOVABLE by memmap_init_range(), so the real kernel reports 1 Unmovable and 7
    // Movable pageblocks there (its snapshot's /proc/pagetypeinfo).
    let snapshot = oracle_dir().join("a-1node-512M/machine.snapshot");
    let ours = buddyscope(&["pagetypeinfo", snapshot.to_str().unwrap()]);
    assert!(ours.contains("Node 0, zone      DMA            1            7            0            0            0 \n"), "{ours}");
}
