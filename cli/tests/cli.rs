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

#[test]
fn import_trace_reports_what_it_used_and_skipped() {
    // A few lines in the ftrace layout: an allocation, its free, a free of a page the
    // trace never saw allocated, and a line that is not a kmem event.
    let trace = "# tracer: nop\n\
          init-1       [001] .....     4.643647: mm_page_alloc: page=00000000e7892a0a pfn=0x6218 order=1 migratetype=0 gfp_flags=GFP_KERNEL_ACCOUNT|__GFP_ZERO\n\
            sh-130     [000] ...1.     4.644783: mm_page_free: page=000000005a821300 pfn=0x6218 order=1\n\
            sh-130     [000] ...1.     4.644790: mm_page_free: page=000000005a821300 pfn=0x7000 order=0\n\
            sh-130     [000] ...1.     4.644799: sched_switch: prev_comm=sh\n";
    let path = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("small.trace");
    std::fs::write(&path, trace).unwrap();
    let (ok, stdout, stderr) = buddyscope(&["import-trace", path.to_str().unwrap()]);
    assert!(ok, "{stderr}");
    assert!(stdout.contains("2 operations"), "{stdout}");
    assert!(
        stdout.contains("used mm_page_alloc 1") && stdout.contains("used mm_page_free 1"),
        "{stdout}"
    );
    assert!(
        stdout.contains("skipped 1 (free of a pfn never allocated in the trace; e.g. lines 4)"),
        "{stdout}"
    );
    assert!(
        stdout.contains("skipped 1 (not a kmem page-allocator event"),
        "{stdout}"
    );
}

#[test]
fn run_executes_a_scenario_workload() {
    let scenario = "version = 1\n[machine]\nthp = \"never\"\n[[machine.nodes]]\nmemory = [\"0x1000000-0x2ffffff\"]\ncpus = \"0-1\"\n\n[workload]\nscript = '''\nalloc a order=3 gfp=GFP_KERNEL count=4\nfree a[0..2]\n'''\n";
    let path = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("run.toml");
    std::fs::write(&path, scenario).unwrap();
    let (ok, stdout, stderr) = buddyscope(&["run", path.to_str().unwrap()]);
    assert!(ok, "{stderr}");
    assert!(
        stdout.contains("# 6 operations: 4 allocated, 0 failed (NULL), 2 freed, 0 frees skipped"),
        "{stdout}"
    );
    assert!(stdout.contains("Node 0, zone    DMA32"), "{stdout}");
    let (ok, stdout, _) = buddyscope(&["run", path.to_str().unwrap(), "--trace", "--steps", "1"]);
    assert!(ok);
    assert!(
        stdout.contains("get_page_from_freelist: zone 0:DMA32 order 3"),
        "{stdout}"
    );
    assert!(stdout.contains("# 1 operations"), "{stdout}");
}
