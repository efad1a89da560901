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

/// `buddyscope zone` with `args`, its stdout (asserting success).
fn zone(args: &[&str]) -> String {
    let mut all = vec!["zone"];
    all.extend_from_slice(args);
    let (ok, stdout, stderr) = buddyscope(&all);
    assert!(ok, "{stderr}");
    stdout
}

/// A buddyinfo line: the zone's name, then `nr_free` of orders 0 to 10.
fn buddyinfo_line(zone: &str, nr_free: [u32; 11]) -> String {
    let counts: String = nr_free.iter().map(|n| format!("{n:6} ")).collect();
    format!("Node 0, zone {zone:>8} {counts}\n")
}

#[test]
fn a_fresh_zone_prints_its_buddyinfo_line() {
    // Memory [0, 2048) lies below 16 MiB: one ZONE_DMA of 2048 present pages. The
    // memmap costs 2048 * 64 / 4096 = 32 pages (calc_memmap_size()), so 2016 are
    // managed, and boot frees [0, 2016) from the bottom: orders 10, 9, 8, 7, 6, 5.
    assert_eq!(
        zone(&["--fresh", "--start-pfn", "0", "--pages", "2048"]),
        buddyinfo_line("DMA", [0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1])
    );
    // a0 is GFP_KERNEL, an unmovable request, and every pageblock is movable at boot:
    // __rmqueue_fallback() steals the largest block, order 10 at pfn 0, and expand()
    // leaves one free block of each order 9 to 0 behind it. zone_batchsize(2016):
    // 2016 >> 10 = 1, / 4 = 0, raised to 1, rounddown_pow_of_two(1 + 0) - 1 = 0,
    // raised to 1; a batch of 1 is not scaled, so rmqueue_bulk() takes that one page
    // for the per-cpu list and the allocation takes it from there.
    assert_eq!(
        zone(&[
            "--fresh",
            "--start-pfn",
            "0",
            "--pages",
            "2048",
            "--ops",
            "a0"
        ]),
        buddyinfo_line("DMA", [1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 0])
    );
}

#[test]
fn an_order_0_allocation_refills_the_per_cpu_list_with_a_batch() {
    // Memory [0x1000, 0x9000): one ZONE_DMA32 of 32768 pages; memmap 32768 * 64 /
    // 4096 = 512, so 32256 are managed and boot frees [0x1000, 0x8e00): 31 blocks of
    // order 10 and one of order 9 at 0x8c00.
    // zone_batchsize(32256): 32256 >> 10 = 31, / 4 = 7, rounddown_pow_of_two(7 + 3)
    // - 1 = 7; for order 0, max(7 >> 0, 2) = 7 pages per refill. rmqueue_bulk()
    // takes them one __rmqueue() at a time: the first steals the order-10 block at
    // 0x1000 (see above) and takes 0x1000, leaving one free block of each order 0-9;
    // then 0x1001; 0x1002 (splitting the order-1 block, 0x1003 free); 0x1003; 0x1004
    // (splitting order 2: 0x1006 order 1 and 0x1005 free); 0x1005; 0x1006 (0x1007
    // free). Left free: 0x1007 (order 0), nothing of orders 1 and 2, orders 3-8 once,
    // order 9 twice (0x1200, 0x8c00), 30 of order 10. The six pages still on CPU 0's
    // per-cpu list count as allocated, as in the kernel's buddyinfo.
    let args = ["--fresh", "--start-pfn", "0x1000", "--pages", "0x8000"];
    assert_eq!(
        zone(&args),
        buddyinfo_line("DMA32", [0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 31])
    );
    assert_eq!(
        zone(&[&args[..], &["--ops", "a0"]].concat()),
        buddyinfo_line("DMA32", [1, 0, 0, 1, 1, 1, 1, 1, 1, 2, 30])
    );
}

#[test]
fn the_trace_names_kernel_functions() {
    // ZONE_DMA [0, 1024), 1008 managed (memmap 16): boot frees orders 9, 8, 7, 6, 5,
    // 4 at 0, 0x200, 0x300, 0x380, 0x3c0, 0x3e0. Order 4 is above
    // PAGE_ALLOC_COSTLY_ORDER and not THP's 9, so it bypasses the per-cpu lists both
    // ways: the allocation splits the order-9 block at 0 (stolen for unmovable) and
    // the free merges the order-4 block at 0 with its buddies back up to order 9.
    let stdout = zone(&[
        "--fresh",
        "--start-pfn",
        "0",
        "--pages",
        "1024",
        "--ops",
        "a4,f",
        "--trace",
    ]);
    assert!(
        stdout.contains("      a4  expand: split; the upper half, order 4 at pfn 0x10"),
        "{stdout}"
    );
    // Each event names where the kernel's source takes its decision, from the
    // engine's table of Debian's 6.1 source (docs/source-lines.md).
    let split = buddyscope_engine::event::decision_source_line(
        buddyscope_engine::types::Kernel::V6_1,
        buddyscope_engine::event::Decision::SplitHalf,
    )
    .unwrap();
    assert_eq!(split.file, "mm/page_alloc.c");
    let split_line = stdout
        .lines()
        .find(|l| l.contains("expand: split; the upper half, order 4 at pfn 0x10"))
        .unwrap();
    assert!(
        split_line.ends_with(&format!("  [mm/page_alloc.c:{}]", split.line)),
        "{split_line}"
    );
    for order in 4..9 {
        let buddy = 1u32 << order;
        assert!(
            stdout.contains(&format!(
                "       f  __free_one_page: the buddy of pfn 0x0 at order {order}, pfn {buddy:#x}, is free: merge into order {}",
                order + 1
            )),
            "{stdout}"
        );
    }
    assert!(
        stdout.ends_with(&buddyinfo_line("DMA", [0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 0])),
        "{stdout}"
    );
    // An order-1 block freed goes to the per-cpu list instead and merges with nothing.
    let stdout = zone(&[
        "--fresh",
        "--start-pfn",
        "0",
        "--pages",
        "1024",
        "--ops",
        "a1,f",
        "--trace",
    ]);
    assert!(
        stdout.contains("       f  free_unref_page_commit: pfn 0x0 (order 1) goes to the head of CPU 0's per-cpu list"),
        "{stdout}"
    );
    assert!(!stdout.contains("merge into"), "{stdout}");
}

#[test]
fn the_warm_up_leaves_split_and_merged_blocks() {
    let fresh = zone(&["--fresh"]);
    let warm = zone(&[]);
    assert!(fresh.starts_with("Node 0, zone    DMA32 "), "{fresh}");
    assert!(warm.starts_with("Node 0, zone    DMA32 "), "{warm}");
    assert_ne!(fresh, warm);
    // Deterministic: the same seed every run.
    assert_eq!(warm, zone(&[]));
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
    assert!(
        stderr.contains("operation `f`: nothing is allocated"),
        "{stderr}"
    );
    let (ok, _, stderr) = buddyscope(&["zone", "--fresh", "--ops", "a2,f0x1001"]);
    assert!(!ok);
    assert!(
        stderr.contains(
            "operation `f0x1001`: pfn 0x1001 is not the first page of an allocated block"
        ),
        "{stderr}"
    );
    // An impossible zone gets the machine builder's message.
    let (ok, _, stderr) = buddyscope(&["zone", "--pages", "0"]);
    assert!(!ok);
    assert!(stderr.contains("is empty or reversed"), "{stderr}");
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
    // trace never saw allocated (allocated before tracing began), and a line of
    // another event.
    let trace = "# tracer: nop\n\
          init-1       [001] .....     4.643647: mm_page_alloc: page=00000000e7892a0a pfn=0x6218 order=1 migratetype=0 gfp_flags=GFP_KERNEL_ACCOUNT|__GFP_ZERO\n\
            sh-130     [000] ...1.     4.644783: mm_page_free: page=000000005a821300 pfn=0x6218 order=1\n\
            sh-130     [000] ...1.     4.644790: mm_page_free: page=000000005a821300 pfn=0x7000 order=0\n\
            sh-130     [000] ...1.     4.644799: sched_switch: prev_comm=sh\n";
    let path = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("small.trace");
    std::fs::write(&path, trace).unwrap();
    let (ok, stdout, stderr) = buddyscope(&["import-trace", path.to_str().unwrap()]);
    assert!(ok, "{stderr}");
    // The report, as comments of the scenario and as the summary on stderr.
    for out in [&stdout, &stderr] {
        assert!(
            out.contains("small.trace: 3 operations: 1 allocations (0 failed in the traced kernel), 2 frees (1 of blocks allocated before the trace began, held from the start)"),
            "{out}"
        );
        assert!(
            out.contains("used mm_page_alloc 1") && out.contains("used mm_page_free 2"),
            "{out}"
        );
        assert!(out.contains("unknown event sched_switch 1"), "{out}");
        assert!(
            out.contains("skipped 1 (not a kmem page-allocator event; e.g. lines 5)"),
            "{out}"
        );
        assert!(
            out.contains("pre-trace blocks held from the start 1 (0 not free"),
            "{out}"
        );
        assert!(out.contains("agreement 0/1 allocations"), "{out}");
    }
    assert!(stdout.contains("hold pre order=0 at=0x7000\n"), "{stdout}");
}

#[test]
fn import_trace_fails_on_a_trace_without_operations() {
    let path = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("zero.trace");
    std::fs::write(
        &path,
        "# tracer: nop\n            sh-130     [000] ...1.     4.644799: sched_switch: prev_comm=sh\n",
    )
    .unwrap();
    let (ok, stdout, stderr) = buddyscope(&["import-trace", path.to_str().unwrap()]);
    assert!(!ok);
    assert!(stdout.is_empty(), "{stdout}");
    assert!(stderr.contains("zero.trace: 0 operations"), "{stderr}");
    assert!(stderr.contains("unknown event sched_switch 1"), "{stderr}");
    assert!(
        stderr.contains("the trace holds no allocation or free to replay"),
        "{stderr}"
    );
}

#[test]
fn import_trace_follow_places_blocks_at_the_traced_pfns() {
    // On a 16 MiB machine at 16 MiB (pfns 0x1000-0x1fff; at boot 0x1000/10
    // 0x1400/10 0x1800/10 0x1c00/9 0x1e00/8 0x1f00/7 0x1f80/6, see
    // engine/tests/it/kmemtrace.rs): the first order-4 MOVABLE request's own pick is
    // the smallest free block, 0x1f80/6, split down by expand() to 0x1f80, which is
    // what the trace says; the second's is the 0x1f90/4 that split left, the trace
    // says 0x1830; a failed order-10 request the model satisfies (0x1000 and 0x1400
    // are still whole).
    let machine = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("follow-machine.toml");
    std::fs::write(
        &machine,
        "version = 1\n[machine]\nthp = \"never\"\n[[machine.nodes]]\nmemory = [\"0x1000000-0x1ffffff\"]\ncpus = \"0-1\"\n",
    )
    .unwrap();
    let trace = " sh-1 [000] .....  0.1: mm_page_alloc: page=00000000aaaaaaaa pfn=0x1f80 order=4 migratetype=1 gfp_flags=GFP_HIGHUSER_MOVABLE\n\
 sh-1 [000] .....  0.2: mm_page_alloc: page=00000000bbbbbbbb pfn=0x1830 order=4 migratetype=1 gfp_flags=GFP_HIGHUSER_MOVABLE\n\
 sh-1 [000] .....  0.3: mm_page_alloc: page=0000000000000000 pfn=0x0 order=10 migratetype=1 gfp_flags=GFP_TRANSHUGE_LIGHT\n";
    let path = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("follow.trace");
    std::fs::write(&path, trace).unwrap();
    let (ok, stdout, stderr) = buddyscope(&[
        "import-trace",
        "--follow",
        "--machine",
        machine.to_str().unwrap(),
        path.to_str().unwrap(),
    ]);
    assert!(ok, "{stderr}");
    assert!(
        stderr.contains("agreement 1/3 allocations (33.3%): the model chose the traced block (given the traced state so far); first differences at lines 2, 3"),
        "{stderr}"
    );
    assert!(
        stderr.contains(
            "failed allocations 1: the model satisfied 1 of them (nothing placed for them)"
        ),
        "{stderr}"
    );
    assert!(
        stdout.contains("place t order=4 gfp=GFP_HIGHUSER_MOVABLE at=0x1830\n"),
        "{stdout}"
    );
    // The printed scenario runs, and its state holds the blocks at the traced pfns:
    // 0x1f80/6 split into 0x1fa0/5 0x1f90/4 (the first block kept at 0x1f80), 0x1800
    // into 0x1a00/9 0x1900/8 0x1880/7 0x1840/6 0x1800/5 0x1820/4 (the second kept at
    // 0x1830), nothing placed for the failed one: per order 0 0 0 0 2 2 1 2 2 2 2.
    let file = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("follow.toml");
    std::fs::write(&file, &stdout).unwrap();
    let (ok, out, stderr) = buddyscope(&["run", file.to_str().unwrap(), "--show", "buddyinfo"]);
    assert!(ok, "{stderr}");
    assert!(
        out.contains("Node 0, zone    DMA32      0      0      0      0      2      2      1      2      2      2      2 \n"),
        "{out}"
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
        stdout.contains("zone_watermark_fast: zone 0:DMA32 order 3"),
        "{stdout}"
    );
    assert!(stdout.contains("# 1 operations"), "{stdout}");
}

#[test]
fn import_trace_prints_a_scenario_that_replays_the_real_trace() {
    // The real boot trace (engine/tests/data/traces): its scenario loads and runs,
    // with every allocation of the trace made and every matched free done.
    let gz = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../engine/tests/data/traces/boot-early.trace.gz");
    let bytes = std::fs::read(gz).unwrap();
    let mut text = String::new();
    std::io::Read::read_to_string(&mut flate2_free_gunzip(&bytes).as_slice(), &mut text).unwrap();
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"));
    let trace = dir.join("boot-early.trace");
    std::fs::write(&trace, text).unwrap();
    let (ok, scenario, stderr) = buddyscope(&["import-trace", trace.to_str().unwrap()]);
    assert!(ok, "{stderr}");
    assert!(
        scenario.starts_with("# boot-early.trace: 23091 operations: 19947 allocations (0 failed in the traced kernel), 3144 frees (2756 of blocks allocated before the trace began, held from the start)\n"),
        "{}",
        &scenario[..200]
    );
    assert!(scenario.contains("# used mm_page_alloc 19947\n# used mm_page_free 3144\n"));
    assert!(
        scenario.contains(
            "# pre-trace blocks held from the start 2756 (356 not free in the booted model"
        ),
        "{scenario}"
    );
    let file = dir.join("boot-early.toml");
    std::fs::write(&file, &scenario).unwrap();
    let (ok, stdout, stderr) = buddyscope(&["run", file.to_str().unwrap(), "--show", "buddyinfo"]);
    assert!(ok, "{stderr}");
    assert!(
        // 19947 traced allocations and 2756 pre-trace holds, of which the 356 whose
        // pages the booted model does not hold free (the report says so) fail; 3144
        // frees, less the 356 of those blocks.
        stdout.starts_with("# 25491 operations: 22347 allocated, 356 failed (NULL), 2788 freed, 356 frees skipped\n# /proc/buddyinfo\nNode 0, zone      DMA "),
        "{stdout}"
    );
}

/// gzip without a dependency: the member header, then raw DEFLATE (miniz_oxide is
/// the engine's dependency and so available here).
fn flate2_free_gunzip(bytes: &[u8]) -> Vec<u8> {
    assert_eq!(&bytes[..3], &[0x1f, 0x8b, 8], "gzip");
    let flags = bytes[3];
    let mut at = 10;
    if flags & 4 != 0 {
        at += 2 + usize::from(u16::from_le_bytes([bytes[at], bytes[at + 1]]));
    }
    for bit in [8, 16] {
        if flags & bit != 0 {
            at += bytes[at..].iter().position(|&b| b == 0).unwrap() + 1;
        }
    }
    if flags & 2 != 0 {
        at += 2;
    }
    miniz_oxide::inflate::decompress_to_vec(&bytes[at..]).unwrap()
}

#[test]
fn library_lists_and_prints_its_scenarios() {
    let (ok, list, _) = buddyscope(&["library"]);
    assert!(ok);
    let names: Vec<&str> = list
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .collect();
    assert_eq!(
        names.len(),
        buddyscope_engine::scenario::library::ENTRIES.len()
    );
    for entry in buddyscope_engine::scenario::library::ENTRIES {
        assert!(list.contains(&entry.title()), "{list}");
        let (ok, text, _) = buddyscope(&["library", entry.name]);
        assert!(ok);
        assert_eq!(text, entry.text);
    }
    let (ok, _, stderr) = buddyscope(&["library", "nope"]);
    assert!(
        !ok && stderr.contains("no library scenario `nope`"),
        "{stderr}"
    );
}

#[test]
fn generate_prints_the_expansion_a_run_would_use() {
    let (ok, list, _) = buddyscope(&["generate"]);
    assert!(
        ok && list.contains("fragment") && list.contains("unmovable_every=16"),
        "{list}"
    );
    let (ok, text, stderr) = buddyscope(&["generate", "numa", "count=10", "--seed", "3"]);
    assert!(ok, "{stderr}");
    assert_eq!(
        text.lines().filter(|l| l.starts_with("alloc ")).count(),
        10,
        "{text}"
    );
    // The same expansion as the run of `generate numa count=10` with seed 3.
    let scenario = "version = 1\n[workload]\nseed = 3\nscript = \"generate numa count=10\"\n";
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"));
    let (a, b) = (dir.join("gen-a.toml"), dir.join("gen-b.toml"));
    std::fs::write(&a, scenario).unwrap();
    std::fs::write(
        &b,
        format!("version = 1\n[workload]\nseed = 3\nscript = '''\n{text}'''\n"),
    )
    .unwrap();
    let (ok, run_a, _) = buddyscope(&["run", a.to_str().unwrap(), "--trace"]);
    assert!(ok);
    let (ok, run_b, _) = buddyscope(&["run", b.to_str().unwrap(), "--trace"]);
    assert!(ok);
    assert_eq!(run_a, run_b);
    let (ok, _, stderr) = buddyscope(&["generate", "numa", "remote=101"]);
    assert!(!ok && stderr.contains("at most 100"), "{stderr}");
}

/// docs/limits.md: a file over 65 MiB (a scenario at its limit) is refused before it
/// is read, naming the limit; a machine file over 16 MiB is refused as it is decoded.
#[test]
fn a_file_over_the_limits_is_refused() {
    let path = std::env::temp_dir().join(format!("buddyscope-big-{}.toml", std::process::id()));
    // Sparse: only its length is looked at.
    std::fs::File::create(&path)
        .unwrap()
        .set_len((65 << 20) + 1)
        .unwrap();
    let (ok, _, stderr) = buddyscope(&["zoneinfo", path.to_str().unwrap()]);
    std::fs::remove_file(&path).unwrap();
    assert!(!ok);
    assert!(
        stderr.contains("68157441 bytes is larger than the 68157440-byte limit"),
        "{stderr}"
    );
    let path = std::env::temp_dir().join(format!("buddyscope-big-{}.txt", std::process::id()));
    let mut zoneinfo = b"==> /proc/zoneinfo <==\n".to_vec();
    zoneinfo.resize((16 << 20) + 1, b' ');
    std::fs::write(&path, zoneinfo).unwrap();
    let (ok, _, stderr) = buddyscope(&["zoneinfo", path.to_str().unwrap()]);
    std::fs::remove_file(&path).unwrap();
    assert!(!ok);
    assert!(
        stderr.contains("16777217 bytes; the limit is 16777216 bytes (16 MiB)"),
        "{stderr}"
    );
}

#[test]
fn check_prints_each_claim_and_fails_on_a_false_one() {
    // A library scenario by name: every claim holds.
    let (ok, stdout, stderr) = buddyscope(&["check", "split-merge"]);
    assert!(ok, "{stderr}");
    assert!(
        stdout.contains("holds: the last free merges six times"),
        "{stdout}"
    );
    assert!(stdout.contains("claims: 9 hold, 0 fail"), "{stdout}");
    // Its questions, proved with their right answers.
    assert!(
        stdout.contains("proved: After the first two order-4 requests took 0x1000 and 0x1010"),
        "{stdout}"
    );
    assert!(
        stdout.contains("# 2 questions: 2 proved by the run, 0 refused"),
        "{stdout}"
    );
    // A file with one true and one false claim about the same call.
    let scenario = "version = 1\n[machine]\nthp = \"never\"\n[[machine.nodes]]\nmemory = [\"0x1000000-0x2ffffff\"]\ncpus = \"0\"\n\n[workload]\nscript = '''\nalloc a order=3 gfp=GFP_KERNEL\n'''\n\n[[expect]]\nclaim = \"right\"\ncall = 0\nevent = \"expand\"\nsays = \"order 9 at pfn 0x1200\"\n\n[[expect]]\nclaim = \"wrong\"\ncall = 0\nevent = \"expand\"\nsays = \"order 9 at pfn 0x1400\"\n";
    let path = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("check.toml");
    std::fs::write(&path, scenario).unwrap();
    let (ok, stdout, stderr) = buddyscope(&["check", path.to_str().unwrap()]);
    assert!(!ok);
    assert!(stdout.contains("holds: right"), "{stdout}");
    assert!(stdout.contains("FAILS: wrong"), "{stdout}");
    // What the call really said, to fix the claim from.
    assert!(
        stdout.contains("expand: split; the upper half, order 9 at pfn 0x1200"),
        "{stdout}"
    );
    assert!(stderr.contains("1 claims do not hold"), "{stderr}");
    // A question whose answer key the run does not bear out is refused, with what the
    // call said.
    let question = "version = 1\n[machine]\nthp = \"never\"\n[[machine.nodes]]\nmemory = [\"0x1000000-0x2ffffff\"]\ncpus = \"0\"\n\n[workload]\nscript = '''\nalloc a order=3 gfp=GFP_KERNEL\n'''\n\n[[question]]\ncall = 0\nask = \"Which pfn does the first split put on free_area[9]?\"\nchoices = [\"0x1200\", \"0x1400\"]\nanswer = \"0x1400\"\nexplain = \"The upper half of the order-10 block.\"\n[question.check]\nevent = \"expand\"\nsays = \"order 9 at pfn {answer}\"\n";
    std::fs::write(&path, question).unwrap();
    let (ok, stdout, stderr) = buddyscope(&["check", path.to_str().unwrap()]);
    assert!(!ok);
    assert!(
        stdout.contains(
            "REFUSED: Which pfn does the first split put on free_area[9]? Answer: 0x1400"
        ),
        "{stdout}"
    );
    assert!(
        stdout.contains("expand: split; the upper half, order 9 at pfn 0x1200"),
        "{stdout}"
    );
    assert!(
        stderr.contains("1 questions' answers are not borne out by the run"),
        "{stderr}"
    );
}

#[test]
fn import_prints_the_kernel_version_and_says_what_it_copied() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../engine/tests/data/oracle/c-2node-1G-1G/machine.snapshot"
    );
    let (ok, stdout, stderr) = buddyscope(&["import", path]);
    assert!(ok, "{stderr}");
    assert!(
        stdout.starts_with(
            "# kernel: Linux 6.1.0-56-amd64 (Debian) (dmesg's `Linux version` line; Buddyscope models 6.1)\n"
        ),
        "{stdout}"
    );
    assert!(
        stderr.contains("note: copied from the snapshot:"),
        "{stderr}"
    );
    // The movable_node machine: its scenario keeps the hotpluggable ranges.
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../engine/tests/data/import/movable-node-8x64G.snapshot"
    );
    let (ok, stdout, stderr) = buddyscope(&["import", path]);
    assert!(ok, "{stderr}");
    assert!(
        stdout.contains("movable_node = [\n  \"0x1040000000-0x203fffffff\",\n"),
        "{stdout}"
    );
}

/// Machine c's snapshot laid out as a sosreport directory (its dmesg as sos saves
/// it), in a fresh temporary directory.
fn sosreport_dir(tag: &str) -> std::path::PathBuf {
    let snapshot = include_str!("../../engine/tests/data/oracle/c-2node-1G-1G/machine.snapshot");
    let root = std::env::temp_dir().join(format!("buddyscope-sos-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    let mut current: Option<(String, String)> = None;
    let write = |section: Option<(String, String)>| {
        if let Some((source, body)) = section {
            let relative = if source == "dmesg" {
                "sos_commands/kernel/dmesg".to_string()
            } else {
                source.trim_start_matches('/').to_string()
            };
            let path = root.join(relative);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, body).unwrap();
        }
    };
    for line in snapshot.lines() {
        if let Some(source) = line
            .strip_prefix("==> ")
            .and_then(|l| l.strip_suffix(" <=="))
        {
            write(current.take());
            current = Some((source.to_string(), String::new()));
        } else if let Some((_, body)) = current.as_mut() {
            body.push_str(line);
            body.push('\n');
        }
    }
    write(current.take());
    root
}

#[test]
fn a_sosreport_directory_imports_as_its_snapshot_does() {
    let dir = sosreport_dir("import");
    let snapshot = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../engine/tests/data/oracle/c-2node-1G-1G/machine.snapshot"
    );
    let (ok, from_dir, stderr) = buddyscope(&["import", dir.to_str().unwrap()]);
    assert!(ok, "{stderr}");
    assert!(
        stderr.contains("file: proc/zoneinfo: read as /proc/zoneinfo"),
        "{stderr}"
    );
    assert!(
        stderr.contains("file: sos_commands/kernel/dmesg: read as dmesg"),
        "{stderr}"
    );
    let (ok, from_snapshot, stderr) = buddyscope(&["import", snapshot]);
    assert!(ok, "{stderr}");
    assert_eq!(from_dir, from_snapshot);
    // Every command that takes a machine takes the directory.
    let (ok, zoneinfo_dir, stderr) = buddyscope(&["zoneinfo", dir.to_str().unwrap()]);
    assert!(ok, "{stderr}");
    let (_, zoneinfo_snapshot, _) = buddyscope(&["zoneinfo", snapshot]);
    assert_eq!(zoneinfo_dir, zoneinfo_snapshot);
    let (ok, run, stderr) = buddyscope(&["run", dir.to_str().unwrap(), "--show", "buddyinfo"]);
    assert!(ok && run.contains("Node 1, zone    DMA32"), "{stderr}");
    let _ = std::fs::remove_dir_all(&dir);

    let empty = std::env::temp_dir().join(format!("buddyscope-empty-{}", std::process::id()));
    std::fs::create_dir_all(&empty).unwrap();
    let (ok, _, stderr) = buddyscope(&["zoneinfo", empty.to_str().unwrap()]);
    assert!(
        !ok && stderr.contains("a directory without any file Buddyscope reads"),
        "{stderr}"
    );
    let _ = std::fs::remove_dir_all(&empty);
}

#[test]
fn a_gzipped_zoneinfo_and_a_numactl_file_make_a_machine() {
    let snapshot = include_str!("../../engine/tests/data/oracle/c-2node-1G-1G/machine.snapshot");
    let zoneinfo: String = snapshot
        .split("==> /proc/zoneinfo <==\n")
        .nth(1)
        .and_then(|rest| rest.split("==> ").next())
        .unwrap()
        .to_string();
    // gzip -n: header, deflate, CRC-32 and length.
    let mut crc = !0u32;
    for &byte in zoneinfo.as_bytes() {
        crc ^= u32::from(byte);
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                0xedb8_8320 ^ (crc >> 1)
            } else {
                crc >> 1
            };
        }
    }
    let mut gz = vec![0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3];
    gz.extend(miniz_oxide::deflate::compress_to_vec(
        zoneinfo.as_bytes(),
        6,
    ));
    gz.extend((!crc).to_le_bytes());
    gz.extend((zoneinfo.len() as u32).to_le_bytes());
    let dir = std::env::temp_dir().join(format!("buddyscope-gz-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let gz_path = dir.join("zoneinfo.gz");
    std::fs::write(&gz_path, gz).unwrap();
    let numactl = dir.join("numactl.txt");
    std::fs::write(
        &numactl,
        "available: 2 nodes (0-1)\nnode 0 cpus: 0\nnode 0 size: 1007 MB\nnode 0 free: 900 MB\nnode 1 cpus: 1\nnode 1 size: 1007 MB\nnode 1 free: 950 MB\nnode distances:\nnode   0   1 \n  0:  10  20 \n  1:  20  10 \n",
    )
    .unwrap();
    let (ok, toml, stderr) = buddyscope(&[
        "import",
        gz_path.to_str().unwrap(),
        numactl.to_str().unwrap(),
    ]);
    assert!(ok, "{stderr}");
    // The layout from zoneinfo, the CPUs and distances from numactl.
    assert!(
        toml.contains("memory = [\"0x1000-0x9efff\", \"0x100000-0x3fffffff\"]"),
        "{toml}"
    );
    assert!(toml.contains("cpus = \"1\""), "{toml}");
    assert!(toml.contains("  [10, 20],\n  [20, 10],"), "{toml}");
    assert!(
        stderr.contains("the memory ranges were built from /proc/zoneinfo"),
        "{stderr}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_12_tib_16_node_server_prints_its_zonelists_and_zoneinfo() {
    // 16 nodes of 768 GiB (201326592 pages) from 4 GiB: one Normal zone each.
    // Worked out from Linux 6.1: the memmap takes 201326592 / 64 = 3145728 pages, so
    // managed (and free at boot) is 198180864; int_sqrt(16 * 198180864 * 4 * 16) =
    // 450485 kB is above the 262144 kB cap, so pages_min = 65536 and each zone's
    // share is 65536 / 16 = 4096; the scale factor gives 198180864 * 10 / 10000 =
    // 198180, so low = 4096 + 198180 = 202276 and high = 4096 + 2 * 198180 = 400456.
    let file = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/server-12t-16node.toml"
    );
    let (ok, zonelists, stderr) = buddyscope(&["zonelists", file]);
    assert!(ok, "{stderr}");
    assert!(
        zonelists.contains("Fallback order for Node 15: 15 0 1 2 3 4 5 6 7 8 9 10 11 12 13 14\n"),
        "{zonelists}"
    );
    let (ok, zoneinfo, stderr) = buddyscope(&["zoneinfo", file]);
    assert!(ok, "{stderr}");
    let normal = zoneinfo
        .split("Node ")
        .filter(|zone| zone.contains("zone   Normal"))
        .collect::<Vec<_>>();
    assert_eq!(normal.len(), 16);
    for zone in normal {
        for line in [
            "pages free     198180864\n",
            "min      4096\n",
            "low      202276\n",
            "high     400456\n",
            "spanned  201326592\n",
            "present  201326592\n",
            "managed  198180864\n",
        ] {
            assert!(zone.contains(line), "`{line}` missing from {zone}");
        }
    }
}

#[test]
fn diff_kernels_prints_the_boot_differences_and_the_first_differing_call() {
    let file = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../engine/tests/data/kernel-diff/movablecore.toml"
    );
    let (ok, stdout, stderr) = buddyscope(&["diff-kernels", file]);
    assert!(ok, "{stderr}");
    // ZONE_MOVABLE's watermarks (6.1 by hand, 6.12 as the real kernel prints them:
    // engine/tests/it/kernel_diff.rs works them out).
    let movable = stdout
        .split("Node 0 Movable")
        .nth(1)
        .expect("a Movable section");
    for line in [
        "watermark min   2717 | 119",
        "watermark low   3396 | 1014",
        "watermark high  4075 | 1909",
    ] {
        assert!(movable.contains(line), "{line}\n{stdout}");
    }
    assert!(
        stdout.contains("# First difference: call 1 (the first call whose events differ), event 2"),
        "{stdout}"
    );
    // Both sides' sentences, the differing one marked: 6.1's low check against
    // 6.12's test of the high mark while ZONE_BELOW_HIGH is clear.
    assert!(
        stdout.contains(" > zone_watermark_fast: zone 0:Movable order 10")
            && stdout.contains("> low 3396 +"),
        "{stdout}"
    );
    assert!(
        stdout.contains(
            " > get_page_from_freelist: zone 0:Movable order 10, ZONE_BELOW_HIGH is clear"
        ) && stdout.contains("> high 1909 +"),
        "{stdout}"
    );
    assert_eq!(stdout.matches("\n > ").count(), 2, "{stdout}");
    assert!(
        stdout.contains("# 117 calls compared, 117 differ; outcomes first differ at call 116."),
        "{stdout}"
    );
    // Where the outcomes part: ZONE_MOVABLE fails 6.1's low and passes 6.12's.
    assert!(
        stdout.contains(
            "# Outcomes first differ: call 116\n   Linux 6.1: allocation #115: the order-10 block at pfn 0x1000 in node 0 DMA32\n   \
             Linux 6.12: allocation #115: the order-10 block at pfn 0x7cc00 in node 0 Movable\n"
        ),
        "{stdout}"
    );
    assert!(
        stderr.contains("kernel 6.12: boot-time setup, allocation and free follow Linux 6.12"),
        "{stderr}"
    );

    // Fewer operations: the outcomes never part.
    let (ok, stdout, _) = buddyscope(&["diff-kernels", file, "--at-most", "10"]);
    assert!(ok);
    assert!(
        stdout.contains("# 10 calls compared, 10 differ; every call's outcome is the same"),
        "{stdout}"
    );

    let same = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../engine/tests/data/kernel-diff/same-events.toml"
    );
    let (ok, stdout, _) = buddyscope(&["diff-kernels", same]);
    assert!(ok);
    assert!(stdout.contains("# The runs never differ"), "{stdout}");
}

#[test]
fn diff_kernels_refuses_bad_input_with_the_side_and_the_problem() {
    let dir = std::env::temp_dir().join(format!("buddyscope-diff-kernels-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let bad = dir.join("bad.toml");
    std::fs::write(&bad, "version = 1\n[machine]\nthp = \"sometimes\"\n").unwrap();
    let (ok, _, stderr) = buddyscope(&["diff-kernels", bad.to_str().unwrap()]);
    assert!(!ok);
    assert!(
        stderr.contains("bad.toml") && stderr.contains("thp"),
        "{stderr}"
    );
    let no_cpu = dir.join("no-cpu.toml");
    std::fs::write(
        &no_cpu,
        "version = 1\n[[machine.nodes]]\nmemory = [\"0x100000-0x1fffffff\"]\ncpus = \"\"\n",
    )
    .unwrap();
    let (ok, _, stderr) = buddyscope(&["diff-kernels", no_cpu.to_str().unwrap()]);
    assert!(!ok);
    assert!(
        stderr.contains("on Linux 6.1: the machine cannot be built: "),
        "{stderr}"
    );
    let (ok, _, stderr) = buddyscope(&["--kernel", "6.12", "diff-kernels", "split-merge"]);
    assert!(!ok);
    assert!(
        stderr.contains("--kernel 6.12 does not apply to diff-kernels"),
        "{stderr}"
    );
    // A library scenario by name runs.
    let (ok, stdout, stderr) = buddyscope(&["diff-kernels", "zone-movable", "--at-most", "50"]);
    assert!(ok, "{stderr}");
    assert!(stdout.contains("Node 0 Movable"), "{stdout}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// A scenario of four order-3 GFP_KERNEL allocations, two of them freed.
fn counted_scenario() -> std::path::PathBuf {
    let scenario = "version = 1\n[machine]\nthp = \"never\"\n[[machine.nodes]]\nmemory = [\"0x1000000-0x2ffffff\"]\ncpus = \"0-1\"\n\n[workload]\nscript = '''\nalloc a order=3 gfp=GFP_KERNEL count=4\nfree a[0..2]\n'''\n";
    let path = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("vmstat.toml");
    std::fs::write(&path, scenario).unwrap();
    path
}

#[test]
fn vmstat_prints_the_counters_after_the_workload() {
    let path = counted_scenario();
    for kernel in ["6.1", "6.12"] {
        let (ok, stdout, stderr) =
            buddyscope(&["--kernel", kernel, "vmstat", path.to_str().unwrap()]);
        assert!(ok, "{stderr}");
        assert!(
            stdout.starts_with("# 6 operations: 4 allocated, 0 failed (NULL), 2 freed, 0 frees skipped\n# /proc/vmstat\nnr_free_pages "),
            "{stdout}"
        );
        // Four blocks of 8 pages handed out from DMA32, two given back.
        assert!(
            stdout.contains("\npgalloc_dma32 32\n"),
            "{kernel}: {stdout}"
        );
        assert!(stdout.contains("\npgalloc_dma 0\n"), "{kernel}: {stdout}");
        assert!(stdout.contains("\npgfree 16\n"), "{kernel}: {stdout}");
        assert!(stdout.contains("\ncompact_stall 0\n"), "{kernel}: {stdout}");
        // Only the counters the model keeps: no LRU sizes, no NUMA hits.
        assert!(!stdout.contains("nr_zone_inactive_anon"), "{stdout}");
        assert!(!stdout.contains("numa_hit"), "{stdout}");
    }
    let (ok, stdout, _) = buddyscope(&["vmstat", path.to_str().unwrap(), "--steps", "1"]);
    assert!(ok);
    assert!(stdout.contains("\npgalloc_dma32 8\n"), "{stdout}");
    assert!(stdout.contains("\npgfree 0\n"), "{stdout}");
}

#[test]
fn vmstat_of_a_machine_file_is_the_booted_state() {
    let snapshot = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../engine/tests/data/oracle/a-1node-512M/machine.snapshot"
    );
    let (ok, vmstat, stderr) = buddyscope(&["vmstat", snapshot]);
    assert!(ok, "{stderr}");
    assert!(vmstat.contains("\npgalloc_normal 0\n"), "{vmstat}");
    // nr_free_pages is the zones' free pages summed, as zoneinfo shows them.
    let (ok, zoneinfo, _) = buddyscope(&["run", snapshot, "--show", "zoneinfo"]);
    assert!(ok);
    let free: u64 = zoneinfo
        .lines()
        .filter_map(|l| l.trim().strip_prefix("nr_free_pages"))
        .map(|n| n.trim().parse::<u64>().unwrap())
        .sum();
    assert!(free > 0);
    assert!(
        vmstat.contains(&format!("\nnr_free_pages {free}\n")),
        "{free}: {vmstat}"
    );
}

#[test]
fn extfrag_prints_both_debugfs_files_or_the_one_asked_for() {
    let path = counted_scenario();
    let (ok, stdout, stderr) = buddyscope(&["extfrag", path.to_str().unwrap()]);
    assert!(ok, "{stderr}");
    let headers: Vec<&str> = stdout.lines().filter(|l| l.starts_with('#')).collect();
    assert_eq!(
        headers,
        [
            "# 6 operations: 4 allocated, 0 failed (NULL), 2 freed, 0 frees skipped",
            "# /sys/kernel/debug/extfrag/unusable_index",
            "# /sys/kernel/debug/extfrag/extfrag_index",
        ]
    );
    // One line per populated zone in each file, eleven orders each.
    let zone_lines: Vec<&str> = stdout
        .lines()
        .filter(|l| l.starts_with("Node 0, zone    DMA32 "))
        .collect();
    assert_eq!(zone_lines.len(), 2, "{stdout}");
    for line in zone_lines {
        assert_eq!(line.split_whitespace().count(), 4 + 11, "{line}");
    }
    let (ok, only, _) = buddyscope(&["extfrag", "--extfrag", path.to_str().unwrap()]);
    assert!(ok);
    assert!(!only.contains("unusable_index"), "{only}");
    assert!(
        only.contains("# /sys/kernel/debug/extfrag/extfrag_index\n"),
        "{only}"
    );
    let (ok, _, stderr) =
        buddyscope(&["extfrag", "--extfrag", "--unusable", path.to_str().unwrap()]);
    assert!(!ok);
    assert!(stderr.contains("cannot be used with"), "{stderr}");
}

#[test]
fn diff_compares_a_scenario_with_one_change_and_two_files() {
    let wsf = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../engine/tests/data/pair/wsf.toml"
    );
    let short = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../engine/tests/data/pair/b-wsf200-short.toml"
    );
    // The watermarks engine/tests/it/pair.rs works out by hand.
    let (ok, stdout, stderr) = buddyscope(&["diff", wsf, "--vary", "watermark_scale_factor=200"]);
    assert!(ok, "{stderr}");
    for line in [
        "Node 0 DMA32   (A: watermark_scale_factor=10 | B: watermark_scale_factor=200)",
        "  watermark low   320 | 416",
        "  watermark high  384 | 576",
        "# First difference: call 2 (the first call whose events differ), event 2",
        "> low 320 + lowmem_reserve",
        "> low 416 + lowmem_reserve",
        "# 3 calls compared, 2 differ; every call's outcome is the same.",
    ] {
        assert!(stdout.contains(line), "{line}\n{stdout}");
    }
    let (ok, stdout, stderr) = buddyscope(&["diff", wsf, short]);
    assert!(ok, "{stderr}");
    assert!(
        stdout.contains("outcomes first differ at call 3"),
        "{stdout}"
    );
    assert!(stdout.contains("   A: allocation #1"), "{stdout}");

    let (ok, _, stderr) = buddyscope(&["diff", wsf, "--vary", "watermark_scale_factor=5000"]);
    assert!(!ok);
    assert!(
        stderr.contains("B: watermark_scale_factor=5000: the machine cannot be built: vm.watermark_scale_factor = 5000 is outside 1..3000"),
        "{stderr}"
    );
    let (ok, _, stderr) = buddyscope(&["diff", wsf, "--vary", "swappiness=60"]);
    assert!(!ok);
    assert!(
        stderr.contains("--vary: `swappiness` is not a setting a pair can vary"),
        "{stderr}"
    );
    let (ok, _, stderr) = buddyscope(&["diff", wsf]);
    assert!(!ok);
    assert!(stderr.contains("diff needs a second scenario"), "{stderr}");
    let (ok, _, stderr) = buddyscope(&["diff", wsf, short, "--vary", "thp=never"]);
    assert!(!ok);
    assert!(stderr.contains("not both"), "{stderr}");
}

/// `buddyscope zone --trace ... | head -1`: the reader closes the pipe after one line
/// (the trace is far larger than a pipe's buffer); the CLI stops quietly with
/// SIGPIPE's status, not a panic on stderr.
#[test]
fn a_reader_closing_the_pipe_early_stops_the_output_quietly() {
    use std::io::{BufRead, BufReader};
    use std::process::Stdio;
    let ops = vec!["a0"; 3000].join(",");
    let mut child = Command::new(env!("CARGO_BIN_EXE_buddyscope"))
        .args(["zone", "--trace", "--pages", "0x40000", "--ops", &ops])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    // The reader is dropped here: the pipe is closed with most of the trace unwritten.
    let output = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!first.is_empty());
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(output.status.code(), Some(141), "{stderr}");
}
