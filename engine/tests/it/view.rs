//! The page's views: built from a loaded scenario, checked against the allocator
//! they describe.

use buddyscope_engine::scenario::library;
use buddyscope_engine::scenario::parse_scenario;
use buddyscope_engine::session::Cursor;
use buddyscope_engine::view::{
    self, code, load, load_text, next_step_where, overview, page_info, page_map, render_rgba,
    spans, LoadErrorPlace, MachineForm, Viewport, ZoneStatus, HEIGHT_PX,
};
use buddyscope_engine::Event;

fn library_entry() -> (buddyscope_engine::scenario::Scenario, view::Loaded) {
    let entry = library::ENTRIES.first().expect("the library has an entry");
    load_text(entry.text).expect("every library entry loads")
}

#[test]
fn the_page_map_agrees_with_every_zone() {
    let (_, loaded) = library_entry();
    let allocator = loaded.session.current();
    let map = page_map(allocator);
    let counts = map.state_counts();
    let buddy_free: u64 = allocator.zones().iter().map(|z| z.buddy.free_pages()).sum();
    let pcp: u64 = allocator
        .zones()
        .iter()
        .flat_map(|z| z.pcps.iter())
        .map(|p| p.count)
        .sum();
    assert_eq!(counts[usize::from(code::FREE)], buddy_free);
    assert_eq!(counts[usize::from(code::PCP)], pcp);
    assert!(counts[usize::from(code::ALLOCATED)] > 7000 * 8 - pcp);
    // A hole below the first range, then pages.
    assert_eq!(map.code(0) & code::STATE_MASK, code::HOLE);
    let info = page_info(allocator, &map, 0x100);
    assert_eq!(info.zone.as_deref(), Some("DMA"));
    assert_eq!(info.phys_addr, 0x10_0000);
    assert_eq!(info.node, Some(0));
    assert!(info.block.is_some());
}

#[test]
fn stepping_back_draws_the_identical_picture() {
    let (_, loaded) = library_entry();
    let session = &loaded.session;
    let map_pages = |m: &view::PageMap| m.pages();
    let draw = |cursor: Cursor| {
        let state = session.state_at(cursor);
        let map = page_map(&state);
        let layout = view::Layout::true_scale(0, map_pages(&map));
        let viewport = Viewport::at(Viewport::fit_zoom(&layout), 0, 0, map_pages(&map));
        let highlight = overview(&state, session, cursor).step.highlight;
        render_rgba(&map, &spans(&state), &viewport, highlight)
    };
    let here = session.cursor_at_step(40);
    let before = draw(here);
    let there = session.step_over(session.step_into(here));
    let after = draw(there);
    assert_ne!(before, after, "stepping over a call changes the picture");
    let mut back = there;
    while back != here {
        back = session.step_back(back);
    }
    assert_eq!(draw(back), before);
}

#[test]
fn a_failed_watermark_check_shows_in_the_zonelist_and_gauges() {
    // The page's default scenario: node 0 runs low and falls back to node 1.
    let (scenario, loaded) =
        load_text(include_str!("../../../web/scenarios/default.toml")).expect("default loads");
    assert_eq!(
        loaded.cursor,
        loaded
            .session
            .cursor_at_step(scenario.open_at.expect("opens at a step"))
    );
    let session = &loaded.session;
    let step = next_step_where(session, 0, |e| {
        matches!(e, Event::WatermarkCheck { ok: false, .. })
    })
    .expect("the default scenario fails a watermark check");
    let cursor = session.cursor_at_step(step);
    let state = session.state_at(cursor);
    let o = overview(&state, session, cursor);
    let list = o
        .zonelists
        .iter()
        .find(|l| l.in_use)
        .expect("a zonelist in use");
    let passed = list
        .entries
        .iter()
        .find(|e| e.status == ZoneStatus::PassedOver)
        .expect("a zone passed over");
    assert_eq!(passed.zone, "DMA32");
    assert!(passed.reason.starts_with("watermark:"), "{}", passed.reason);
    let gauge = o
        .gauges
        .iter()
        .find(|g| g.zone == "DMA32")
        .expect("DMA32 gauge");
    let check = gauge.last_check.as_ref().expect("DMA32 was checked");
    assert!(!check.ok);
    assert!(
        check.arithmetic.contains("lowmem_reserve for"),
        "{}",
        check.arithmetic
    );
    assert!(gauge.lowmem_reserve.is_some());
    assert_eq!(o.step.function.as_deref(), Some("zone_watermark_fast"));
    let names: Vec<&str> = o.step.frames.iter().map(|f| f.function.as_str()).collect();
    assert_eq!(
        names,
        [
            "__alloc_pages",
            "get_page_from_freelist",
            "zone_watermark_fast"
        ]
    );
}

#[test]
fn the_machine_form_round_trips_and_edits() {
    let entry = library::ENTRIES.first().expect("an entry");
    let scenario = entry.scenario();
    let form = MachineForm::from_scenario(&scenario);
    assert_eq!(
        form.apply(&scenario)
            .expect("unchanged form applies")
            .machine,
        scenario.machine
    );
    let mut edited = form.clone();
    edited.section_size_bits = "26".into();
    assert_eq!(
        edited
            .apply(&scenario)
            .expect("applies")
            .machine
            .section_size_bits,
        26
    );
    edited.section_size_bits = "lots".into();
    assert!(edited
        .apply(&scenario)
        .unwrap_err()
        .contains("section size bits"));
}

#[test]
fn a_bad_distance_table_is_a_warning_not_an_error() {
    let text = "version = 1\n[machine]\ndistances = [[10, 5], [5, 10]]\n[[machine.nodes]]\nmemory = [\"0x100000-0x1fffffff\"]\ncpus = \"0\"\n[[machine.nodes]]\nmemory = [\"0x20000000-0x3fffffff\"]\ncpus = \"1\"\n";
    let (_, loaded) = load_text(text).expect("loads");
    assert!(!loaded.warnings.is_empty());
}

#[test]
fn workload_errors_say_where() {
    let mut scenario = parse_scenario("version = 1").expect("minimal");
    scenario.workload = Some("alloc a order=0\nalloc b order=99\n".into());
    let error = load(&scenario).unwrap_err();
    assert!(
        matches!(error.place, LoadErrorPlace::Workload { line: 2, .. }),
        "{error:?}"
    );
}

#[test]
fn a_16_gib_machine_fits_at_eight_pages_a_pixel() {
    let text =
        "version = 1\n[[machine.nodes]]\nmemory = [\"0x100000-0x43fffffff\"]\ncpus = \"0-3\"\n";
    let (_, loaded) = load_text(text).expect("16 GiB loads");
    let map = page_map(loaded.session.current());
    let pages = map.pages();
    assert_eq!(pages, 0x440000);
    let zoom = Viewport::fit_zoom(&view::Layout::true_scale(0, pages));
    assert_eq!(zoom, 4);
    let viewport = Viewport::at(zoom, 0, 0, pages);
    let rgba = render_rgba(&map, &spans(loaded.session.current()), &viewport, None);
    assert_eq!(
        rgba.len(),
        viewport.width_px() as usize * HEIGHT_PX as usize * 4
    );
    // Zoomed in, a pixel maps back to the page under it.
    let close = Viewport::at(-3, 10, 0, pages);
    let pfn = close.pfn_at(f64::from(view::GUTTER_PX) + 8.0 * 5.0 + 1.0, 1.0);
    assert_eq!(pfn, Some(close.first_pfn() + 5));
}

#[test]
fn the_machine_form_adds_and_removes_nodes_with_their_distances() {
    let mut form = MachineForm {
        nodes: vec![("1G@0".into(), "0".into())],
        ..MachineForm::default()
    };
    // Without a table, adding a node adds no table.
    form.add_node();
    assert_eq!(form.nodes.len(), 2);
    assert!(form.distances.is_empty());
    form.set_distance(0, 1, "21".into());
    assert_eq!(form.distances, [["10", "21"], ["20", "10"]]);
    form.add_node();
    assert_eq!(
        form.distances,
        [["10", "21", "20"], ["20", "10", "20"], ["20", "20", "10"]]
    );
    form.remove_node(0);
    assert_eq!(form.nodes.len(), 2);
    assert_eq!(form.distances, [["10", "20"], ["20", "10"]]);
    form.remove_distance_table();
    assert!(form.distances.is_empty());
    form.add_distance_table();
    assert_eq!(form.distances, [["10", "20"], ["20", "10"]]);
    // The last node stays; an index past the end changes nothing.
    form.remove_node(5);
    form.remove_node(1);
    form.remove_node(0);
    assert_eq!(form.nodes.len(), 1);
    assert_eq!(form.distances, [["10"]]);
}

#[test]
fn free_area_totals_and_gauge_thresholds_come_from_the_view() {
    let (_, loaded) = library_entry();
    let allocator = loaded.session.current();
    let o = overview(allocator, &loaded.session, loaded.session.end());
    let buddy_free: Vec<u64> = allocator
        .zones()
        .iter()
        .map(|z| z.buddy.free_pages())
        .collect();
    let view_free: Vec<u64> = o.free_areas.iter().map(|a| a.free_pages()).collect();
    assert_eq!(view_free, buddy_free);
    for g in &o.gauges {
        assert_eq!(
            g.threshold(g.low),
            g.low + g.boost + g.lowmem_reserve.unwrap_or(0)
        );
    }
    // The legend's free tint is the page map's colour of a free page.
    for kind in 0..6u8 {
        assert_eq!(
            view::free_migratetype_rgb(kind),
            view::code_rgb(code::FREE | (kind << code::TYPE_SHIFT))
        );
    }
}

#[test]
fn an_empty_allocator_has_nothing_to_draw() {
    let allocator = buddyscope_engine::alloc::Allocator::empty();
    assert!(allocator.zones().is_empty() && allocator.nodes().is_empty());
    assert_eq!(allocator.online_cpus(), [0]);
    let session = buddyscope_engine::session::Session::new(allocator);
    assert_eq!(session.calls_done_at(Cursor::default()), 0);
    assert_eq!(session.last_step(), 0);
    let o = overview(session.current(), &session, Cursor::default());
    assert!(o.free_areas.is_empty() && o.gauges.is_empty());
}

#[test]
fn calls_done_counts_a_call_once_its_last_event_is_passed() {
    let (_, loaded) = library_entry();
    let session = &loaded.session;
    let call = session.calls().first().expect("a call");
    let events = call.event_count as usize;
    assert!(events > 0);
    let inside = Cursor { call: 0, event: 0 };
    let after = Cursor {
        call: 0,
        event: events,
    };
    assert_eq!(session.calls_done_at(inside), 0);
    assert_eq!(session.calls_done_at(after), 1);
    assert_eq!(*session.state_at(after), session.state_after(1));
}

#[test]
fn go_to_reads_a_step_or_a_call_and_refuses_the_rest() {
    let (_, loaded) = library_entry();
    let session = &loaded.session;
    let last = session.last_step();
    let calls = session.calls().len();
    assert_eq!(view::go_to_step(session, " 12 "), Ok(12));
    assert_eq!(view::go_to_step(session, &last.to_string()), Ok(last));
    // "call N" is 1-based, as the step panel counts, at the call's first position.
    let third = view::go_to_step(session, "Call 3").expect("call 3 exists");
    assert_eq!(session.cursor_at_step(third), Cursor { call: 2, event: 0 });
    let o = overview(session.current(), session, session.cursor_at_step(third));
    assert_eq!(o.step.call_number, 3);
    for bad in [
        "",
        "abc",
        "-1",
        "call",
        "call x",
        "call 0",
        &format!("call {}", calls + 1),
        &(last + 1).to_string(),
    ] {
        let error = view::go_to_step(session, bad).expect_err(bad);
        assert!(error.ends_with('.'), "{bad}: {error}");
    }
}

#[test]
fn each_event_kind_finds_its_events_and_only_them() {
    use buddyscope_engine::view::EventKind;
    for kind in EventKind::ALL {
        assert_eq!(EventKind::from_name(kind.name()), Some(kind));
    }
    // On every library entry, "next" of a kind lands on a step that has just passed an
    // event of that kind, and there is none of the kind in between.
    let mut found = std::collections::HashSet::new();
    for entry in library::ENTRIES {
        let (_, loaded) = load_text(entry.text).expect("loads");
        let session = &loaded.session;
        for kind in EventKind::ALL {
            let Some(step) = next_step_where(session, 0, |e| kind.matches(e)) else {
                continue;
            };
            found.insert(kind);
            let event = session
                .event_at(session.cursor_at_step(step))
                .expect("an event was passed");
            assert!(kind.matches(&event), "{}: {kind:?} at {step}", entry.name);
            // The first one, counted independently over the calls' events.
            let first = session
                .calls_with_events()
                .enumerate()
                .find_map(|(call, c)| {
                    let at = c.events.iter().position(|e| kind.matches(e))?;
                    Some(session.step_of(Cursor {
                        call,
                        event: at + 1,
                    }))
                });
            assert_eq!(first, Some(step), "{}: {kind:?}", entry.name);
            if kind == EventKind::Claim {
                assert!(matches!(event, Event::Steal { claimed: true, .. }));
            }
        }
    }
    for kind in [EventKind::Steal, EventKind::Merge, EventKind::Kswapd] {
        assert!(found.contains(&kind), "no library entry has a {kind:?}");
    }
}

#[test]
fn the_step_view_tells_calls_from_allocations_and_knows_when_the_call_returned() {
    let (_, loaded) = load_text(include_str!("../../../web/scenarios/default.toml"))
        .expect("the default scenario loads");
    let session = &loaded.session;
    // The default opens inside an allocation: it has not returned yet.
    let inside = overview(&session.state_at(loaded.cursor), session, loaded.cursor).step;
    assert!(!inside.returned);
    let end = session.step_over(loaded.cursor);
    let returned = overview(&session.state_at(end), session, end).step;
    assert!(returned.returned);
    let index: usize = returned
        .outcome
        .strip_prefix("allocation #")
        .and_then(|s| s.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("{}", returned.outcome));
    assert!(
        returned
            .outcome
            .contains(&format!("(the {} allocation)", view::ordinal(index + 1))),
        "{}",
        returned.outcome
    );
    assert_eq!(view::ordinal(1), "1st");
    assert_eq!(view::ordinal(12), "12th");
    assert_eq!(view::ordinal(3971), "3971st");
    assert_eq!(view::ordinal(4063), "4063rd");
    assert_eq!(view::ordinal(112), "112th");
}

#[test]
fn gauge_scales_reach_every_value_and_mark_labels_never_collide() {
    let (_, loaded) = load_text(include_str!("../../../web/scenarios/default.toml"))
        .expect("the default scenario loads");
    let session = &loaded.session;
    let mut checked = 0;
    for cursor in [Cursor::default(), loaded.cursor, session.end()] {
        let o = overview(&session.state_at(cursor), session, cursor);
        for g in &o.gauges {
            let scale = g.scale_pages();
            let ticks = g.axis_ticks();
            assert_eq!(ticks.first(), Some(&0));
            assert_eq!(ticks.last(), Some(&scale));
            assert!(scale >= g.free.max(0) as u64, "{}: free clipped", g.zone);
            let marks = g.mark_labels();
            assert_eq!(marks.len(), 3);
            for m in &marks {
                assert!(m.pages <= scale && (0.0..=100.0).contains(&m.percent));
            }
            for (i, a) in marks.iter().enumerate() {
                for b in marks.iter().skip(i + 1) {
                    assert!(
                        a.row != b.row || (a.percent - b.percent).abs() >= 7.0,
                        "{} {}: {a:?} and {b:?} share a row",
                        g.node,
                        g.zone
                    );
                }
            }
            checked += 1;
        }
    }
    assert!(checked > 0);
}

/// Every library lesson at the page's opening view: the share of the canvas holes
/// take (plain or hatched) collapsed (the default) and at true scale, and the share
/// of reserved grey (a hole inside a zone's span reads as reserved pages at true
/// scale: zone-movable's 2 GiB PCI hole is half its picture). Collapsed, no lesson
/// spends more than one band's height (24 of 512 rows) on holes; run with
/// `--nocapture` for the figures.
#[test]
fn collapsed_holes_take_little_of_any_lesson_picture() {
    use buddyscope_engine::view::{Layout, GAP_STRIPE_RGB, HOLE_RGB, RESERVED_RGB};
    let share_of = |rgba: &[u8], colours: &[[u8; 3]]| {
        let total = rgba.len() / 4;
        let n = rgba
            .chunks_exact(4)
            .filter(|p| colours.iter().any(|c| p[..3] == c[..]))
            .count();
        100.0 * n as f64 / total as f64
    };
    for entry in library::ENTRIES {
        let (_, loaded) = load_text(entry.text).unwrap();
        let state = loaded.session.state_at(loaded.cursor);
        let map = page_map(&state);
        let spans = spans(&state);
        let shares = |true_scale: bool| {
            let layout = Layout::new(&state, &map, true_scale);
            let viewport = Viewport::new(Viewport::fit_zoom(&layout), 0, &layout);
            let rgba = render_rgba(&map, &spans, &viewport, None);
            (
                share_of(&rgba, &[HOLE_RGB, GAP_STRIPE_RGB]),
                share_of(&rgba, &[RESERVED_RGB]),
            )
        };
        let (collapsed, whole) = (shares(false), shares(true));
        println!(
            "{}: hole {:.1}% collapsed, {:.1}% true scale; reserved {:.1}% collapsed, {:.1}% true scale",
            entry.name, collapsed.0, whole.0, collapsed.1, whole.1
        );
        assert!(collapsed.0 <= 5.0, "{}: {:.1}%", entry.name, collapsed.0);
    }
}

/// The tooltip tells a hole inside a zone's span, and an offline section's page, from
/// a reserved page of memory: all three read as reserved in the page map.
#[test]
fn holes_in_a_zone_and_offline_pages_are_not_called_reserved() {
    // zone-movable: DMA32 spans the 2-4 GiB PCI hole, sections 16-31 not present;
    // 0x9f-0xff is a hole in the present section 0.
    let entry = library::get("zone-movable").unwrap();
    let (_, loaded) = load_text(entry.text).unwrap();
    let state = loaded.session.state_at(loaded.cursor);
    let map = page_map(&state);
    let info = page_info(&state, &map, 0x90000);
    assert_eq!(info.zone.as_deref(), Some("DMA32"));
    assert_eq!(
        info.state,
        "hole (no memory) inside the zone's span: no struct page (the section is not present)"
    );
    let info = page_info(&state, &map, 0xa0);
    assert_eq!(
        info.state,
        "hole (no memory) inside the zone's span: its struct page is reserved (init_unavailable_range())"
    );
    // memory-hotplug's machine with section 4 offline.
    let machine = library::get("memory-hotplug")
        .unwrap()
        .text
        .split("[workload]")
        .next()
        .unwrap();
    let text = format!("{machine}[workload]\nscript = \"offline section=4\\n\"\n");
    let (_, loaded) = load_text(&text).unwrap();
    let state = loaded.session.state_at(loaded.cursor);
    let map = page_map(&state);
    assert_eq!(state.offline_sections(), [4]);
    let info = page_info(&state, &map, 0x20000);
    assert_eq!(
        info.state,
        "offline (its section was offlined by memory hotplug)"
    );
    // Node 0's memmap pages are memory: reserved as before.
    let reserved = (0..0x20000u64)
        .find(|&p| map.code(p) & code::STATE_MASK == code::RESERVED && p > 0x100)
        .unwrap();
    assert_eq!(
        page_info(&state, &map, reserved).state,
        "reserved (never given to the buddy allocator)"
    );
}

/// The watermark-boost lesson opens at kswapd's wake-up in a request that passed the
/// fast path: the step panel shows the path the engine took to it, rmqueue() seeing
/// ZONE_BOOSTED_WATERMARK after taking the page, not the slow path's
/// wake_all_kswapds().
#[test]
fn the_boost_lessons_wake_up_shows_the_engines_path() {
    let entry = library::ENTRIES
        .iter()
        .find(|e| e.name == "watermark-boost")
        .expect("the watermark-boost lesson");
    let (_, loaded) = load_text(entry.text).expect("the lesson loads");
    let session = &loaded.session;
    let state = session.state_at(loaded.cursor);
    let o = overview(&state, session, loaded.cursor);
    assert_eq!(o.step.function.as_deref(), Some("wakeup_kswapd"));
    let names: Vec<&str> = o.step.frames.iter().map(|f| f.function.as_str()).collect();
    assert_eq!(
        names,
        [
            "__alloc_pages",
            "get_page_from_freelist",
            "rmqueue",
            "wakeup_kswapd"
        ]
    );
    assert!(o.step.frames[0].inputs.starts_with("alloc_pages_node("));
    assert!(o.step.frames[3].inputs.starts_with("woke kswapd"));
}
