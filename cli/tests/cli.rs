//! The `buddyscope` binary, run as a user runs it.

use std::process::Command;

fn buddyscope(args: &[&str]) -> (bool, String, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_buddyscope"))
        .args(args)
        .output()
        .expect("the buddyscope binary runs");
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn help_lists_the_commands() {
    let (ok, stdout, _) = buddyscope(&["--help"]);
    assert!(ok);
    assert!(
        stdout.contains("zone") && stdout.contains("limitations"),
        "{stdout}"
    );
}

#[test]
fn a_fresh_zone_prints_its_buddyinfo_line() {
    // 2048 pages from pfn 0: two order-10 blocks. One order-0 allocation splits the
    // first into one free block of each order 0-9.
    let (ok, stdout, _) = buddyscope(&[
        "zone",
        "--fresh",
        "--start-pfn",
        "0",
        "--pages",
        "2048",
        "--ops",
        "a0",
    ]);
    assert!(ok);
    let expected = format!("Node 0, zone    DMA32 {}{:6} \n", "     1 ".repeat(10), 1);
    assert_eq!(stdout, expected);
}

#[test]
fn the_trace_names_kernel_functions() {
    let (ok, stdout, _) = buddyscope(&[
        "zone",
        "--fresh",
        "--start-pfn",
        "0",
        "--pages",
        "1024",
        "--ops",
        "a1,f",
        "--trace",
    ]);
    assert!(ok);
    assert!(stdout.contains("expand: split"), "{stdout}");
    assert!(
        stdout.contains("__free_one_page: the buddy of pfn 0x0 at order 1"),
        "{stdout}"
    );
}

#[test]
fn bad_operations_fail_with_a_message() {
    let (ok, _, stderr) = buddyscope(&["zone", "--ops", "a11"]);
    assert!(!ok);
    assert!(
        stderr.contains("operation `a11`: order 11 is too large"),
        "{stderr}"
    );
    let (ok, _, stderr) = buddyscope(&["zone", "--fresh", "--ops", "f"]);
    assert!(!ok);
    assert!(stderr.contains("nothing is allocated"), "{stderr}");
}

#[test]
fn share_then_open_gives_the_scenario_back() {
    let file = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../engine/tests/data/cases/two-nodes/scenario.toml"
    );
    let (ok, fragment, _) = buddyscope(&["share", file, "--step", "9"]);
    assert!(ok);
    assert!(
        fragment.starts_with("s=") && fragment.trim_end().ends_with("&step=9"),
        "{fragment}"
    );
    let url = format!("https://example.org/notes/#{}", fragment.trim_end());
    let (ok, scenario, stderr) = buddyscope(&["open", &url]);
    assert!(ok, "{stderr}");
    assert_eq!(scenario, std::fs::read_to_string(file).unwrap());
    assert!(stderr.contains("step 9"));
    let (ok, _, stderr) = buddyscope(&["open", "#s=z1.AAAA"]);
    assert!(!ok);
    assert!(stderr.contains("does not decompress"), "{stderr}");
}
