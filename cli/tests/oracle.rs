//! The five real machines of `engine/tests/data/oracle/` (dumped from Debian's Linux
//! 6.1 kernel under QEMU) and the five of `engine/tests/data/oracle-6.12/` (Debian's
//! 6.12.95): `buddyscope zoneinfo` and `buddyscope zonelists` on each snapshot must
//! satisfy the fixtures' own comparator, `compare.py`, with every compared field
//! matching (on 6.12 without each CPU's `high`, which 6.12 tunes at run time).

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

/// The five 6.12 machines. Their snapshots' `Linux version` line selects 6.12.
const MACHINES_6_12: [&str; 5] = [
    "a-1node-512M",
    "c-2node-1G-1G",
    // ZONE_MOVABLE: 6.12's __setup_per_zone_wmarks() leaves it out of lowmem.
    "g-1node-2G-movablecore",
    // Node 1 has CPUs and no memory: 6.12 leaves it out of its own fallback order.
    "i-memoryless-cpu-node",
    "n-3node-equal-distance",
];

fn oracle_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../engine/tests/data/oracle")
}

fn oracle_6_12_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../engine/tests/data/oracle-6.12")
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
    compare_with(&oracle_dir(), kind, expected, actual, &[])
}

/// [`compare`] with a fixture set's own compare.py and extra arguments.
fn compare_with(dir: &Path, kind: &str, expected: &Path, actual: &str, extra: &[&str]) -> String {
    let out_dir = Path::new(env!("CARGO_TARGET_TMPDIR"));
    let actual_path = out_dir.join(format!(
        "{kind}-{}-{}.txt",
        dir.file_name().and_then(|n| n.to_str()).unwrap_or("x"),
        expected
            .parent()
            .and_then(|p| p.parent())
            .and_then(|p| p.file_name())
            .and_then(|n| n.to_str())
            .unwrap_or("x")
    ));
    std::fs::write(&actual_path, actual).expect("write the output");
    let output = Command::new("python3")
        .arg(dir.join("compare.py"))
        .arg(kind)
        .arg(expected)
        .arg(&actual_path)
        .args(extra)
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

#[test]
fn zoneinfo_matches_linux_6_12_on_every_machine() {
    for machine in MACHINES_6_12 {
        let dir = oracle_6_12_dir().join(machine);
        let snapshot = dir.join("machine.snapshot");
        let ours = buddyscope(&["zoneinfo", snapshot.to_str().unwrap()]);
        let last = compare_with(
            &oracle_6_12_dir(),
            "zoneinfo",
            &dir.join("expected/zoneinfo"),
            &ours,
            &["--no-pcp-high"],
        );
        assert!(fraction_is_complete(&last), "{machine}: {last}");
        eprintln!("{machine} (6.12): {last}");
        // 6.12 prints the promo watermark; every one of ours is the kernel's.
        let expected = std::fs::read_to_string(dir.join("expected/zoneinfo")).unwrap();
        let promo = |text: &str| -> Vec<String> {
            text.lines()
                .filter(|l| l.trim_start().starts_with("promo "))
                .map(str::to_string)
                .collect()
        };
        assert_eq!(promo(&ours), promo(&expected), "{machine}");
    }
}

#[test]
fn zonelists_match_linux_6_12_on_every_machine() {
    for machine in MACHINES_6_12 {
        let dir = oracle_6_12_dir().join(machine);
        let snapshot = dir.join("machine.snapshot");
        let ours = buddyscope(&["zonelists", snapshot.to_str().unwrap()]);
        let last = compare_with(
            &oracle_6_12_dir(),
            "zonelists",
            &dir.join("expected/zonelists"),
            &ours,
            &[],
        );
        assert!(fraction_is_complete(&last), "{machine}: {last}");
        eprintln!("{machine} (6.12): {last}");
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
fn the_6_1_rules_do_not_match_linux_6_12() {
    // The same snapshot forced to 6.1 gets ZONE_MOVABLE's watermarks and the
    // memoryless node's own order wrong: the 6.12 branches are what make them exact.
    let g = oracle_6_12_dir().join("g-1node-2G-movablecore");
    let ours = buddyscope(&[
        "--kernel",
        "6.1",
        "zoneinfo",
        g.join("machine.snapshot").to_str().unwrap(),
    ]);
    let expected = std::fs::read_to_string(g.join("expected/zoneinfo")).unwrap();
    let min_of_movable = |text: &str| -> Option<String> {
        let zone = text
            .split("Node ")
            .find(|z| z.starts_with("0, zone  Movable"))?;
        zone.lines()
            .find(|l| l.trim_start().starts_with("min "))
            .map(str::to_string)
    };
    assert_ne!(min_of_movable(&ours), min_of_movable(&expected));
    assert!(min_of_movable(&expected).is_some());
    let i = oracle_6_12_dir().join("i-memoryless-cpu-node/machine.snapshot");
    let ours = buddyscope(&["--kernel", "6.1", "zonelists", i.to_str().unwrap()]);
    assert!(ours.contains("Fallback order for Node 1: 1 2 0"), "{ours}");
    let ours = buddyscope(&["zonelists", i.to_str().unwrap()]);
    assert!(ours.contains("Fallback order for Node 1: 2 0\n"), "{ours}");
}

#[test]
fn an_unknown_kernel_version_is_refused() {
    let snapshot = oracle_6_12_dir().join("a-1node-512M/machine.snapshot");
    let output = Command::new(env!("CARGO_BIN_EXE_buddyscope"))
        .args(["--kernel", "6.6", "zoneinfo", snapshot.to_str().unwrap()])
        .output()
        .expect("buddyscope runs");
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("unknown kernel version `6.6`"), "{stderr}");
}

#[test]
fn a_kernel_flag_against_the_snapshot_is_warned_about() {
    let snapshot = oracle_6_12_dir().join("a-1node-512M/machine.snapshot");
    let output = Command::new(env!("CARGO_BIN_EXE_buddyscope"))
        .args(["--kernel", "6.1", "zoneinfo", snapshot.to_str().unwrap()])
        .output()
        .expect("buddyscope runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("warning: --kernel 6.1 overrides the kernel of"),
        "{stderr}"
    );
    assert!(stderr.contains(", 6.12 ("), "{stderr}");
    // Without the flag, the 6.12 machine says what is not modelled.
    let output = Command::new(env!("CARGO_BIN_EXE_buddyscope"))
        .args(["zoneinfo", snapshot.to_str().unwrap()])
        .output()
        .expect("buddyscope runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("not yet 6.12's: decay_pcp_high()"),
        "{stderr}"
    );
}

#[test]
fn the_imported_6_12_scenario_keeps_its_kernel() {
    let snapshot = oracle_6_12_dir().join("g-1node-2G-movablecore/machine.snapshot");
    let scenario = buddyscope(&["import", snapshot.to_str().unwrap()]);
    assert!(scenario.contains("\nkernel = \"6.12\""), "{scenario}");
    let path = Path::new(env!("CARGO_TARGET_TMPDIR")).join("g-6.12.toml");
    std::fs::write(&path, &scenario).unwrap();
    assert_eq!(
        buddyscope(&["zoneinfo", path.to_str().unwrap()]),
        buddyscope(&["zoneinfo", snapshot.to_str().unwrap()])
    );
    // A 6.1 snapshot's scenario has no kernel key.
    let a = oracle_dir().join("a-1node-512M/machine.snapshot");
    assert!(!buddyscope(&["import", a.to_str().unwrap()]).contains("kernel = "));
}
