//! Every input limit of docs/limits.md, hit once: the input is refused (or the run
//! stopped) with the documented message, without allocating for the input's claims.
//! One test per row of the table. How fast a refusal is belongs to the benchmarks;
//! here the work is bounded by counting it (the statement budget counts every skipped
//! free, so a loop that rescanned dead allocations would be refused, not slow).

use buddyscope_engine::alloc::Allocator;
use buddyscope_engine::import::kmemtrace::import_trace;
use buddyscope_engine::import::snapshot::parse_snapshot;
use buddyscope_engine::limits::PAGE_OPERATIONS_MAX;
use buddyscope_engine::limits::SCENARIO_BYTES_MAX;
use buddyscope_engine::limits::SNAPSHOT_BYTES_MAX;
use buddyscope_engine::limits::ZONE_PAGES_MAX;
use buddyscope_engine::limits::{CPUS_MAX, NODES_MAX, PCP_SETS_MAX, SECTIONS_MAX};
use buddyscope_engine::limits::{GENERATED_OPS_MAX, GENERATED_STATEMENTS_MAX};
use buddyscope_engine::limits::{
    GENERATE_STATEMENTS_MAX, OPERATIONS_MAX, REPEAT_NESTING_MAX, STATEMENTS_MAX,
};
use buddyscope_engine::limits::{LINK_FRAGMENT_BYTES_MAX, LINK_SCENARIO_BYTES_MAX};
use buddyscope_engine::limits::{TRACE_BYTES_MAX, TRACE_LINES_MAX};
use buddyscope_engine::machine::Machine;
use buddyscope_engine::scenario::share::{self, ShareLink};
use buddyscope_engine::scenario::{load_machine, parse_scenario};
use buddyscope_engine::session::Session;
use buddyscope_engine::view::{self, LoadErrorPlace};
use buddyscope_engine::workload::{parse_workload, run_workload_seeded};

fn machine_error(scenario: &str) -> String {
    let scenario = parse_scenario(scenario).unwrap_or_else(|e| panic!("{e}"));
    Machine::build(&scenario.machine)
        .map(|_| ())
        .expect_err("the machine must be refused")
        .to_string()
}

fn scenario_with(script: &str) -> String {
    format!("version = 1\n[workload]\nscript = '''\n{script}\n'''\n")
}

fn workload_error(script: &str) -> String {
    let text = scenario_with(script);
    let err = view::load_text(&text)
        .map(|_| ())
        .expect_err("the workload must fail");
    assert!(
        matches!(
            err.place,
            LoadErrorPlace::Workload { .. } | LoadErrorPlace::Scenario
        ),
        "{err}"
    );
    err.message
}

fn assert_contains(message: &str, wanted: &str) {
    assert!(
        message.contains(wanted),
        "`{message}` does not say `{wanted}`"
    );
}

#[test]
fn scenario_text_over_65_mib_is_refused() {
    let text = format!("version = 1\n#{}\n", "x".repeat(SCENARIO_BYTES_MAX));
    let message = parse_scenario(&text).unwrap_err().to_string();
    assert_contains(&message, "the limit is 68157440 bytes (65 MiB)");
}

#[test]
fn snapshot_over_16_mib_is_refused() {
    let text = format!("==> /proc/zoneinfo <==\n{}", "x".repeat(SNAPSHOT_BYTES_MAX));
    assert_contains(&parse_snapshot(&text).unwrap_err().to_string(), "(16 MiB)");
    // Below the scenario limit, so read as a snapshot and held to its limit there.
    assert_contains(
        &load_machine(&text).unwrap_err(),
        "the limit is 16777216 bytes (16 MiB)",
    );
}

#[test]
fn a_machine_file_over_16_mib_or_decompressing_past_it_is_refused() {
    use buddyscope_engine::import::snapshot::{read_machine, InputFile};
    let big = vec![b'\n'; SNAPSHOT_BYTES_MAX + 1];
    let message = read_machine(&[InputFile::new("dmesg", big.clone())])
        .unwrap_err()
        .to_string();
    assert_contains(&message, "the limit is 16777216 bytes (16 MiB)");
    // A gzip header, then 16 MiB and a byte of newlines in a few kilobytes.
    let mut bomb = vec![0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3];
    bomb.extend(miniz_oxide::deflate::compress_to_vec(&big, 9));
    assert!(bomb.len() < 100_000);
    let message = read_machine(&[InputFile::new("dmesg.gz", bomb)])
        .unwrap_err()
        .to_string();
    assert_contains(
        &message,
        "this gzip file decompresses to more than 16777216 bytes (16 MiB), the snapshot limit",
    );
}

#[test]
fn trace_over_64_mib_or_4_million_lines_is_refused() {
    let big = "x".repeat(TRACE_BYTES_MAX + 1);
    assert_contains(&import_trace(&big).unwrap_err().to_string(), "bytes");
    let lines = "\n".repeat(TRACE_LINES_MAX + 1);
    assert_contains(
        &import_trace(&lines).unwrap_err().to_string(),
        "at most 4000000 lines can be imported",
    );
}

#[test]
fn share_links_over_64_kib_or_decompressing_past_1_mib_are_refused() {
    let long = format!("s=p1.{}", "a".repeat(LINK_FRAGMENT_BYTES_MAX));
    assert_contains(
        &share::decode(&long).unwrap_err().to_string(),
        "Buddyscope reads links up to 65536 bytes",
    );
    // A deflate bomb: 2 MiB of spaces compress to a few kilobytes.
    let bomb = share::encode(&ShareLink {
        scenario: " ".repeat(2 * LINK_SCENARIO_BYTES_MAX),
        step: None,
    });
    assert!(bomb.len() < LINK_FRAGMENT_BYTES_MAX, "{} bytes", bomb.len());
    assert_contains(
        &share::decode(&bomb).unwrap_err().to_string(),
        "larger than 1 MiB when decompressed",
    );
}

#[test]
fn more_than_1024_nodes_are_refused() {
    let nodes: String = (0..=NODES_MAX)
        .map(|i| {
            format!(
                "[[machine.nodes]]\nmemory = [\"16M@{}\"]\ncpus = \"{i}\"\n",
                (i + 1) << 24
            )
        })
        .collect();
    let message = parse_scenario(&format!("version = 1\n{nodes}"))
        .unwrap_err()
        .to_string();
    assert_contains(&message, "nodes; the limit is 1024");
}

#[test]
fn cpus_beyond_8191_are_refused() {
    let text = format!(
        "version = 1\n[[machine.nodes]]\nmemory = [\"1G@0x1000000\"]\ncpus = \"0,{CPUS_MAX}\"\n"
    );
    let message = match parse_scenario(&text) {
        Err(e) => e.to_string(),
        Ok(s) => Machine::build(&s.machine)
            .map(|_| ())
            .unwrap_err()
            .to_string(),
    };
    assert_contains(
        &message,
        "CPU 8192 is beyond the limit of 8192 CPUs (CPU numbers 0 to 8191)",
    );
}

#[test]
fn memory_beyond_64_tib_is_refused() {
    let message = machine_error(
        "version = 1\n[[machine.nodes]]\nmemory = [\"1G@0x3fffc0000000\", \"1G@0x400000000000\"]\ncpus = \"0\"\n",
    );
    assert_contains(&message, "ends beyond 64 TiB");
}

#[test]
fn more_than_half_a_million_sections_are_refused_before_the_section_table() {
    let message = machine_error(
        "version = 1\n[machine]\nsection_size_bits = 22\n[[machine.nodes]]\nmemory = [\"60T@0x100000000\"]\ncpus = \"0\"\n",
    );
    assert_contains(
        &message,
        &format!("at most {SECTIONS_MAX} (64 TiB in 128 MiB sections)"),
    );
}

#[test]
fn more_than_65536_per_cpu_pagesets_are_refused() {
    // 512 nodes of 64 MiB with 16 CPUs each: 8192 CPUs x 512+ zones.
    let nodes: String = (0..512)
        .map(|i| {
            format!(
                "[[machine.nodes]]\nmemory = [\"64M@{}\"]\ncpus = \"{}-{}\"\n",
                ((i as u64) * 64 + 16) << 20,
                i * 16,
                i * 16 + 15
            )
        })
        .collect();
    let scenario =
        parse_scenario(&format!("version = 1\n{nodes}")).unwrap_or_else(|e| panic!("{e}"));
    // Boot-time setup needs no pageset: the machine builds and its zonelists exist.
    let machine = Machine::build(&scenario.machine).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(machine.zonelists.len(), 512);
    // The run-time model refuses before making any.
    let message = buddyscope_engine::alloc::Allocator::from_machine(&machine)
        .map(|_| ())
        .expect_err("the allocator must be refused")
        .to_string();
    assert_contains(
        &message,
        &format!("per-cpu pagesets; the model keeps at most {PCP_SETS_MAX}"),
    );
}

#[test]
fn a_zone_of_16_tib_is_refused_before_its_page_arrays() {
    // One node whose Normal zone spans from 4 GiB (pfn 0x100000) to the end of the
    // 1 MiB at 63 TiB (pfn 0x3f0000100): 0x3f0000100 - 0x100000 = 16910385408 pages
    // (64508 GiB) of which 256 are present, more than the per-page model numbers in
    // 32 bits.
    let scenario = parse_scenario(
        "version = 1\n[[machine.nodes]]\nmemory = [\"1M@0x100000\", \"1M@0x3f0000000000\"]\ncpus = \"0\"\n",
    )
    .unwrap();
    let machine = Machine::build(&scenario.machine).unwrap();
    let message = Allocator::from_machine(&machine)
        .map(|_| ())
        .unwrap_err()
        .to_string();
    assert_contains(
        &message,
        "node 0 zone Normal spans 16910385408 pages (64508 GiB), 256 of them present (1 MiB)",
    );
    assert_contains(&message, &format!("at most {ZONE_PAGES_MAX} pages"));
}

#[test]
fn the_page_refuses_address_spaces_over_16_tib() {
    let err = view::load_text(
        "version = 1\n[[machine.nodes]]\nmemory = [\"1G@0x1000000\", \"1G@0x100000000000\"]\ncpus = \"0\"\n",
    )
    .unwrap_err();
    assert_eq!(err.place, LoadErrorPlace::Machine);
    assert_contains(
        &err.message,
        "the page draws machines up to 16 TiB of address space; this one reaches 16385 GiB",
    );
}

#[test]
fn the_page_loads_a_16_tib_address_space() {
    // 1 GiB at 16 MiB and 1 TiB ending at 16 TiB: the page map covers 2^32 pages,
    // stored by max-order block, and its counts add up to the machine's.
    let (_, loaded) = view::load_text(
        "version = 1\n[[machine.nodes]]\nmemory = [\"1G@0x1000000\"]\ncpus = \"0\"\n[[machine.nodes]]\nmemory = [\"1T@0xf0000000000\"]\ncpus = \"1\"\n",
    )
    .unwrap();
    let state = loaded.session.state_at(loaded.cursor);
    let map = view::page_map(&state);
    assert_eq!(map.pages(), 1 << 32);
    let counts = map.state_counts();
    let memory = (1u64 << 18) + (1 << 28);
    assert_eq!(counts.iter().sum::<u64>(), 1 << 32);
    let free: u64 = state.zones().iter().map(|z| z.buddy.free_pages()).sum();
    assert_eq!(counts[2], free);
    assert_eq!(counts[1] + counts[2], memory);
}

#[test]
fn the_page_stops_after_ten_million_operations() {
    // 10,000,002 operations written; the page runs the first ten million.
    let text = "version = 1\n[workload]\nscript = '''\nrepeat 5000001 {\n  alloc x order=0\n  free x\n}\n'''\n";
    let (_, loaded) = view::load_text(text).unwrap();
    assert_eq!(PAGE_OPERATIONS_MAX, 10_000_000);
    assert_eq!(loaded.operations, PAGE_OPERATIONS_MAX);
    assert_eq!(loaded.session.calls().len() as u64, PAGE_OPERATIONS_MAX);
}

#[test]
fn counts_over_10_million_are_refused() {
    let message = parse_workload(&format!("alloc x count={}", OPERATIONS_MAX + 1))
        .unwrap_err()
        .to_string();
    assert_contains(&message, "count must be 1 to 10000000");
}

#[test]
fn repeat_nests_at_most_16_deep() {
    let script =
        "repeat 2 {\n".repeat(REPEAT_NESTING_MAX + 1) + &"}\n".repeat(REPEAT_NESTING_MAX + 1);
    assert_contains(
        &parse_workload(&script).unwrap_err().to_string(),
        "nest at most 16 deep",
    );
}

#[test]
fn nested_repeats_stop_at_50_million_statements() {
    let message = workload_error("repeat 10000000 {\n  repeat 10000000 {\n    cpu 0\n  }\n}");
    assert_contains(&message, &format!("more than {STATEMENTS_MAX} statements"));
}

#[test]
fn frees_of_nothing_are_cheap_or_counted() {
    // `free all` and `free NAME` start after the allocations known to be dead, so
    // ten million passes over 3000 dead allocations skip nothing: were each pass to
    // look at the 3000, the skipped frees would pass the statement budget and the
    // run would be refused...
    let script = "alloc x count=3000\nfree all\nrepeat 10000000 {\n  free all\n  free x\n}";
    let (_, loaded) = view::load_text(&scenario_with(script)).unwrap();
    assert_eq!(loaded.operations, 6000);
    // ... and `repeat { alloc; free NAME }` stays linear.
    let script = "repeat 100000 {\n  alloc x order=0\n  free x\n}";
    let (_, loaded) = view::load_text(&scenario_with(script)).unwrap();
    assert_eq!(loaded.operations, 200_000);
    // Other forms look at every entry they name; each skipped one counts.
    let message =
        workload_error("alloc x count=3000\nfree all\nrepeat 10000000 {\n  free x every=1\n}");
    assert_contains(&message, "skipped frees count");
}

#[test]
fn more_than_10000_generate_statements_are_refused() {
    let message = workload_error("repeat 1000000 {\n  generate thp fill=0 count=0 holes=0\n}");
    assert_contains(
        &message,
        &format!("more than {GENERATE_STATEMENTS_MAX} `generate` statements"),
    );
}

#[test]
fn generator_parameters_have_maximums_and_atomic_bursts_times_size_is_bounded() {
    assert_contains(
        &parse_workload("generate steady ops=1000001")
            .unwrap_err()
            .to_string(),
        &format!("`ops` is at most {GENERATED_OPS_MAX}"),
    );
    assert_contains(
        &parse_workload("generate atomic bursts=10000 size=100000")
            .unwrap_err()
            .to_string(),
        "`bursts` × `size` is 1000000000 atomic allocations; at most 1000000",
    );
    assert!(parse_workload("generate atomic bursts=10 size=100000").is_ok());
}

/// A generator is expanded only as far as the run's operation budget reaches, and
/// the cut changes nothing: the first N operations are those of the uncut run.
#[test]
fn generators_expand_only_as_far_as_the_budget_and_the_cut_changes_nothing() {
    assert!(GENERATED_STATEMENTS_MAX as u64 > 3 * GENERATED_OPS_MAX);
    let scenario = parse_scenario(
        "version = 1\n[[machine.nodes]]\nmemory = [\"64M@0x1000000\"]\ncpus = \"0-1\"\n",
    )
    .unwrap();
    let machine = Machine::build(&scenario.machine).unwrap();
    let fresh = || Session::new(Allocator::from_machine(&machine).unwrap());
    for script in [
        "generate fragment holes=50 unmovable_every=2\nalloc after order=0",
        "generate steady ops=20000 fill=80\ncpu 1\nalloc after order=0",
        "generate atomic bursts=4 size=300 background=3000\nalloc after order=0",
    ] {
        let statements = parse_workload(script).unwrap();
        let mut full = fresh();
        run_workload_seeded(&mut full, &statements, None, 5).unwrap();
        for limit in [1, 2, 777, 5000] {
            let mut cut = fresh();
            let summary = run_workload_seeded(&mut cut, &statements, Some(limit), 5).unwrap();
            assert_eq!(
                summary.operations,
                limit.min(full.calls().len() as u64),
                "{script}"
            );
            assert_eq!(
                cut.calls().iter().collect::<Vec<_>>(),
                full.calls().range(0, cut.calls().len()).collect::<Vec<_>>(),
                "{script}, limit {limit}"
            );
        }
    }
}

/// A host page's message to an embed: its text, nesting and values (docs/limits.md;
/// `embed_api.rs` checks each refusal's words and the page's own check end to end).
#[test]
fn embed_message_limits() {
    use buddyscope_engine::limits::{
        EMBED_MESSAGE_BYTES_MAX, EMBED_MESSAGE_DEPTH_MAX, EMBED_MESSAGE_VALUES_MAX,
    };
    use buddyscope_engine::view::embed_api::{parse_message, Problem, Value, ValueMap};
    let message = |scenario: String| {
        let mut fields = ValueMap::new();
        fields.insert("buddyscope".to_string(), Value::Number(1.0));
        fields.insert("verb".to_string(), Value::String("load".into()));
        fields.insert("scenario".to_string(), Value::String(scenario));
        Value::Object(fields)
    };
    let over = parse_message(&message("x".repeat(EMBED_MESSAGE_BYTES_MAX))).unwrap_err();
    assert_eq!(over.refusal.problem, Problem::TooLarge);
    assert!(over
        .refusal
        .message
        .contains("the limit is 1052672 bytes (1 MiB + 4 KiB)"));
    assert!(parse_message(&message("x".repeat(EMBED_MESSAGE_BYTES_MAX - 64))).is_ok());
    // A value may sit 4 levels below the message itself (and an empty array at the
    // 4th level is read); one level more is refused.
    let nested = |levels: usize| format!("{}1{}", "[".repeat(levels), "]".repeat(levels));
    assert!(serde_json::from_str::<Value>(&nested(EMBED_MESSAGE_DEPTH_MAX)).is_ok());
    let empty_at_deepest = format!(
        "{}{}",
        "[".repeat(EMBED_MESSAGE_DEPTH_MAX + 1),
        "]".repeat(EMBED_MESSAGE_DEPTH_MAX + 1)
    );
    assert!(serde_json::from_str::<Value>(&empty_at_deepest).is_ok());
    let deep = nested(EMBED_MESSAGE_DEPTH_MAX + 1);
    let err = serde_json::from_str::<Value>(&deep)
        .unwrap_err()
        .to_string();
    assert!(err.contains("more than 4 deep"), "{err}");
    let many = format!("[{}]", vec!["0"; EMBED_MESSAGE_VALUES_MAX + 1].join(","));
    let err = serde_json::from_str::<Value>(&many)
        .unwrap_err()
        .to_string();
    assert!(err.contains("more than 64 values"), "{err}");
}
