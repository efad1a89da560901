//! The teaching library: every built-in scenario loads, runs, opens at the event it
//! is about, and ends in the reviewed state of tests/data/library/NAME.txt
//! (`BUDDYSCOPE_BLESS=1` rewrites those files; review the diff before committing).

use crate::common::scenario_run::run_scenario;
use buddyscope_engine::report::proc;
use buddyscope_engine::scenario::library::{self, ENTRIES};
use buddyscope_engine::session::Session;
use buddyscope_engine::types::ZoneType;
use buddyscope_engine::workload::RunSummary;
use buddyscope_engine::Event;

/// What each scenario is about: the first event (with the events of its call before
/// it) that the scenario's `open_at` must point at.
fn lesson(name: &str) -> fn(&[Event], usize) -> bool {
    match name {
        "zone-fallback" => |e, i| {
            matches!(
                e[i],
                Event::WatermarkCheck {
                    zone: ZoneType::Dma,
                    ok: true,
                    ..
                }
            )
        },
        "lowmem-reserve" => |e, i| {
            matches!(e[i], Event::WatermarkCheck { zone: ZoneType::Dma, ok: false, terms, .. }
                if terms.lowmem_reserve > 0 && terms.free_pages > terms.mark() as i64)
        },
        "numa-order" => {
            |e, i| matches!(e[i], Event::WatermarkCheck { node, ok: true, .. } if node != 0)
        }
        "pcp-batching" => |e, i| matches!(e[i], Event::PcpRefill { .. }),
        "pcp-high-tuning" => {
            |e, i| matches!(e[i], Event::PcpHigh(t) if t.high_after > t.high_before)
        }
        "split-merge" => |e, i| matches!(e[i], Event::SplitHalf { .. }),
        "steal-claim" => |e, i| matches!(e[i], Event::Steal { claimed: false, .. }),
        "mobility-on" | "mobility-off" => |e, i| matches!(e[i], Event::Steal { .. }),
        "watermark-boost" => |e, i| {
            matches!(e[i], Event::KswapdWake { order: 0, .. })
                && e[..i].iter().any(|x| matches!(x, Event::Steal { .. }))
        },
        "highatomic" => |e, i| matches!(e[i], Event::HighatomicReserve { .. }),
        "compaction" => |e, i| matches!(e[i], Event::Compacted { success: true, .. }),
        "oom" => |e, i| matches!(e[i], Event::OomDecision { .. }),
        "zone-movable" => |e, i| matches!(e[i], Event::AllocFailed { .. }) && i + 1 == e.len(),
        "memory-hotplug" => |e, i| matches!(e[i], Event::ZonelistsRebuilt),
        other => panic!("library scenario `{other}` has no lesson in tests/it/library.rs"),
    }
}

fn run(entry: &library::Entry) -> (Session, RunSummary) {
    let (session, summary) = run_scenario(&entry.scenario());
    session.current().check_invariants().unwrap();
    (session, summary)
}

/// The step of the first event the lesson is about.
fn first_step(session: &Session, wanted: fn(&[Event], usize) -> bool) -> Option<u64> {
    for (c, call) in session.calls_with_events().enumerate() {
        for i in 0..call.events.len() {
            if wanted(&call.events, i) {
                return Some(session.step_of(buddyscope_engine::session::Cursor {
                    call: c,
                    event: i + 1,
                }));
            }
        }
    }
    None
}

#[test]
fn there_are_at_least_ten_with_title_text_and_a_step() {
    assert!(ENTRIES.len() >= 10);
    for entry in ENTRIES {
        let scenario = buddyscope_engine::scenario::parse_scenario(entry.text)
            .unwrap_or_else(|e| panic!("{}: {e}", entry.name));
        assert!(scenario.title.is_some(), "{}", entry.name);
        assert!(
            scenario.about.as_ref().is_some_and(|t| t.len() > 200),
            "{}",
            entry.name
        );
        assert!(scenario.open_at.is_some(), "{}", entry.name);
        assert_eq!(library::get(entry.name), Some(entry));
    }
}

/// The written-out titles (which the page's picker lists without parsing a file)
/// are the files' own `[about] title`s.
#[test]
fn each_written_title_is_its_files_title() {
    for entry in ENTRIES {
        let scenario = buddyscope_engine::scenario::parse_scenario(entry.text)
            .unwrap_or_else(|e| panic!("{}: {e}", entry.name));
        assert_eq!(
            scenario.title.as_deref(),
            Some(entry.title),
            "{}",
            entry.name
        );
        assert_eq!(entry.title(), entry.title, "{}", entry.name);
    }
}

#[test]
fn each_opens_at_its_lesson_and_ends_as_reviewed() {
    let bless = std::env::var_os("BUDDYSCOPE_BLESS").is_some();
    let mut failures = Vec::new();
    for entry in ENTRIES {
        let (session, summary) = run(entry);
        let scenario = entry.scenario();
        let Some(step) = first_step(&session, lesson(entry.name)) else {
            failures.push(format!(
                "{}: the event it is about never happens",
                entry.name
            ));
            continue;
        };
        if scenario.open_at != Some(step) {
            failures.push(format!(
                "{}: open_at is {:?}, the lesson's event is at step {step}",
                entry.name, scenario.open_at
            ));
        }
        let cursor = session.cursor_at_step(step);
        let mut text = format!("# {}: {}\n", entry.name, entry.title());
        text.push_str(&format!(
            "open_at {step} (call {}, event {}): {}\n",
            cursor.call,
            cursor.event,
            session
                .event_at(cursor)
                .map(|e| e.to_string())
                .unwrap_or_default()
        ));
        text.push_str(&format!(
            "{} operations: {} allocated, {} failed, {} freed, {} skipped; {} steps\n",
            summary.operations,
            summary.allocated,
            summary.failed,
            summary.freed,
            summary.skipped,
            session.last_step()
        ));
        let state = session.current();
        for node in state.nodes() {
            let list: Vec<String> = node
                .fallback
                .iter()
                .map(|(n, z)| format!("{n}:{}", z.name()))
                .collect();
            text.push_str(&format!("zonelist {}: {}\n", node.nid, list.join(" ")));
        }
        text.push_str(&proc::buddyinfo_running(state));
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/data/library")
            .join(format!("{}.txt", entry.name));
        if bless {
            std::fs::write(&path, &text).unwrap();
        } else {
            let expected = std::fs::read_to_string(&path).unwrap_or_default();
            if expected != text {
                failures.push(format!(
                    "{}: differs from {}:\n--- expected\n{expected}--- got\n{text}",
                    entry.name,
                    path.display()
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// The pcp-high-tuning lesson says Linux 6.1 refills 63 pages every time: run on
/// 6.1, its 3000 allocations take ⌈3000 / 63⌉ = 48 refills of 63 pages each.
#[test]
fn the_pcp_high_tuning_lesson_says_true_about_6_1() {
    let entry = library::get("pcp-high-tuning").unwrap();
    let mut scenario = entry.scenario();
    assert_eq!(
        scenario.machine.kernel,
        buddyscope_engine::types::Kernel::V6_12
    );
    scenario.machine.kernel = buddyscope_engine::types::Kernel::V6_1;
    let (session, _) = run_scenario(&scenario);
    let refills: Vec<u64> = session
        .calls_with_events()
        .take(3000)
        .flat_map(|call| call.events.clone())
        .filter_map(|e| match e {
            Event::PcpRefill { pages, .. } => Some(pages),
            _ => None,
        })
        .collect();
    assert_eq!(refills.len(), 48);
    assert!(refills.iter().all(|&p| p == 63), "{refills:?}");
}
