//! What the page does with a scenario someone handed it (a link, a pasted file): load
//! it (`view::load_text`: parse, build, run the workload within the page's limits),
//! then draw it at a step chosen by the input: the state at that step, the page map,
//! the panels (`view::overview`), a tooltip (`view::page_info`), the canvas pixels
//! (`view::render_rgba`) at a chosen zoom and scroll, a zoom about a pfn, and step
//! moves (into, over, back, the next watermark check) with the canvas repainted after
//! the step forward (`view::redraw_rgba`, equal to the picture drawn whole), and (on one input in two) the
//! "Compare kernels" view: the scenario run on 6.1 and 6.12 and the jump to its first
//! difference. The machine form must read back the scenario's own machine. None of it may panic: in the browser a panic
//! stops the page.
//!
//! Input: eight bytes of choices, then the scenario's text.
#![no_main]
use buddyscope_engine::Event;
use buddyscope_engine::view::{self, MachineForm, Viewport};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if data.len() < 8 {
        return;
    }
    let (choice, text) = data.split_at(8);
    let Ok(text) = std::str::from_utf8(text) else {
        return;
    };
    let Ok((scenario, loaded)) = view::load_text(text) else {
        return;
    };
    let session = loaded.session;
    let last = session.last_step();
    assert_eq!(session.step_of(session.end()), last, "the end is the last step");
    assert_eq!(
        session.step_of(loaded.cursor),
        scenario.open_at.map_or(last, |s| s.min(last)),
        "the page opens at the scenario's step"
    );

    let word = |i: usize| u64::from(u16::from_le_bytes([choice[i], choice[i + 1]]));
    let step = word(0) % (last + 1);
    let cursor = session.cursor_at_step(step);
    assert_eq!(session.step_of(cursor), step, "cursor_at_step and step_of agree");

    let allocator = session.state_at(cursor);
    let map = view::page_map(&allocator);
    let spans = view::spans(&allocator);
    let _ = view::overview(&allocator, &session, cursor);

    let pages = map.pages();
    let pfn = map.start_pfn + if pages == 0 { 0 } else { word(2) % pages };
    let _ = view::page_info(&allocator, &map, pfn);
    let zoom = i32::from(choice[4] as i8) % 31;
    // Holes collapsed (the page's default) or at true scale, by the choice's low bit.
    let layout = view::Layout::new(&allocator, &map, choice[5] & 1 == 1);
    let viewport = Viewport::new(zoom, u64::from(choice[5]) * 7, &layout);
    let highlight = map.block_head(pfn).map(|head| (head, choice[6] % 12));
    let rgba = view::render_rgba(&map, &spans, &viewport, highlight);
    assert_eq!(rgba.len() % 4, 0);
    let zoomed = viewport.zoomed(zoom - 1, pfn, f64::from(choice[7]), &layout);
    let _ = zoomed.pfn_at(f64::from(choice[7]), f64::from(choice[6]));
    let _ = zoomed.gaps_on_screen();

    // Step moves from the chosen step, as the buttons make them.
    let into = session.step_into(cursor);
    let over = session.step_over(cursor);
    let back = session.step_back(cursor);
    assert!(session.step_of(into) >= step && session.step_of(over) >= step);
    assert!(session.step_of(back) <= step);
    if step < last {
        assert_eq!(
            session.step_back(into),
            cursor,
            "step back undoes step forward"
        );
    }
    // The canvas after the step forward: repainted from the picture at the chosen
    // step, it is the picture drawn whole.
    let after = session.state_at(into);
    let map_after = view::page_map(&after);
    let spans_after = view::spans(&after);
    if spans_after == spans {
        let highlight_after = view::overview(&after, &session, into).step.highlight;
        let mut picture = rgba.clone();
        let lines = view::redraw_rgba(
            &mut picture,
            (&map, highlight),
            &map_after,
            &spans_after,
            &viewport,
            highlight_after,
        );
        assert!(
            picture == view::render_rgba(&map_after, &spans_after, &viewport, highlight_after),
            "the repainted picture is the whole picture"
        );
        assert!(lines.iter().all(|r| r.start < r.end), "{lines:?}");
    }
    if let Some(next) =
        view::next_step_where(&session, step, |e| matches!(e, Event::WatermarkCheck { .. }))
    {
        assert!(next > step && next <= last, "the next check is ahead");
    }

    // "Compare kernels": both kernels, within the page's limit, and the cursor the
    // jump button asks for lies in the page's own run.
    if choice[7] & 1 == 1 {
        use buddyscope_engine::report::kernel_diff::KernelDiff;
        let limit = Some(buddyscope_engine::limits::PAGE_OPERATIONS_MAX);
        if let Ok(diff) = KernelDiff::run(&scenario, limit) {
            let kernel = scenario.machine.kernel;
            let view = view::kernel_diff_view(&diff, kernel);
            // The comparison's run on the page's kernel is the page's run.
            let own = diff.runs.iter().find(|r| r.kernel == kernel);
            assert!(
                own.is_some_and(|r| r.session.calls() == session.calls()),
                "the comparison reruns the page's own run"
            );
            if let Some(first) = &view.first {
                assert!(first.event <= first.first_event + 1, "the jump lands at the difference");
                if first.call < session.calls().len() {
                    assert!(first.event <= session.event_count(first.call), "the jump stays in the call");
                }
            }
            assert_eq!(diff.calls_differing == 0, view.first.is_none(), "no differing call, no first");
        }
    }

    // The machine form shows this machine and gives it back unchanged.
    let form = MachineForm::from_scenario(&scenario);
    let again = form
        .apply(&scenario)
        .unwrap_or_else(|e| panic!("the form refuses the scenario's own machine: {e}"));
    assert_eq!(again.machine, scenario.machine, "machine form round trip");
});
