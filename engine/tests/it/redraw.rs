//! The page's step redraw: the address-space picture brought up to date a changed row
//! at a time (`view::redraw_rgba`) is, after every step, pixel for pixel the picture
//! drawn whole (`view::render_rgba`), and the lines it says it repainted are the only
//! ones that differ from the picture before (the page puts only those on the canvas).

use std::ops::Range;

use buddyscope_engine::scenario::library;
use buddyscope_engine::session::{Cursor, Session};
use buddyscope_engine::view::{
    self, load_text, overview, page_map, redraw_rgba, render_rgba, spans, Layout, PageMap,
    Viewport, HEIGHT_PX,
};

/// The measuring machine of the page's benchmark (e2e/sixteen-gib.toml, e2e/measure.mjs's
/// SIXTEEN_GIB).
const SIXTEEN_GIB: &str = include_str!("../../../e2e/sixteen-gib.toml");

/// What the page holds of a step: the map and the step's block.
struct Drawn {
    map: PageMap,
    highlight: Option<(u64, u8)>,
}

fn at(session: &Session, cursor: Cursor) -> (Drawn, view::Spans) {
    let state = session.state_at(cursor);
    let highlight = overview(&state, session, cursor).step.highlight;
    (
        Drawn {
            map: page_map(&state),
            highlight,
        },
        spans(&state),
    )
}

/// The cursors a user steps through: event by event forward, over a few calls, then
/// back event by event, from `start`.
fn walk(session: &Session, start: Cursor, forward: usize) -> Vec<Cursor> {
    let mut cursors = vec![start];
    let mut here = start;
    for _ in 0..forward {
        here = session.step_into(here);
        cursors.push(here);
    }
    for _ in 0..3 {
        here = session.step_over(here);
        cursors.push(here);
    }
    for _ in 0..forward {
        here = session.step_back(here);
        cursors.push(here);
    }
    cursors
}

/// Pixel lines of `rgba` (`width` pixels wide) that differ between two pictures.
fn differing_lines(a: &[u8], b: &[u8], width: usize) -> Vec<u32> {
    a.chunks_exact(width * 4)
        .zip(b.chunks_exact(width * 4))
        .enumerate()
        .filter(|(_, (x, y))| x != y)
        .map(|(y, _)| y as u32)
        .collect()
}

/// Steps through `cursors` with one picture per viewport kept up to date by
/// `redraw_rgba`, comparing it with the picture drawn whole at every step. Returns
/// the lines repainted at each step of the first viewport (the whole machine).
fn redraws_match(name: &str, session: &Session, cursors: &[Cursor]) -> Vec<u32> {
    let Some((&first, rest)) = cursors.split_first() else {
        return Vec::new();
    };
    let (start, spans_first) = at(session, first);
    let state = session.state_at(first);
    let mut viewports = Vec::new();
    for true_scale in [false, true] {
        let layout = Layout::new(&state, &start.map, true_scale);
        viewports.push(Viewport::new(Viewport::fit_zoom(&layout), 0, &layout));
    }
    // Zoomed in around the blocks the steps touch: 4- and 32-pixel cells (block
    // outlines drawn) and a page a pixel.
    let layout = Layout::new(&state, &start.map, false);
    let near = cursors
        .iter()
        .find_map(|&c| at(session, c).0.highlight)
        .map_or(0, |(pfn, _)| pfn);
    for zoom in [-2, -5, 0] {
        let probe = Viewport::new(zoom, 0, &layout);
        let row = probe.row_of(near).saturating_sub(3);
        viewports.push(Viewport::new(zoom, row, &layout));
    }
    let mut lines_first = Vec::new();
    for (v, viewport) in viewports.iter().enumerate() {
        let width = viewport.width_px() as usize;
        let mut picture = render_rgba(&start.map, &spans_first, viewport, start.highlight);
        let mut before = Drawn {
            map: start.map.clone(),
            highlight: start.highlight,
        };
        for (i, &cursor) in rest.iter().enumerate() {
            let (now, spans_now) = at(session, cursor);
            assert_eq!(spans_now, spans_first, "{name}: the gutter's spans stay");
            let old = picture.clone();
            let repainted = redraw_rgba(
                &mut picture,
                (&before.map, before.highlight),
                &now.map,
                &spans_now,
                viewport,
                now.highlight,
            );
            let whole = render_rgba(&now.map, &spans_now, viewport, now.highlight);
            assert!(
                picture == whole,
                "{name}, viewport {v} (zoom {}), step {i} ({cursor:?}): the redrawn picture differs from the whole one on lines {:?}",
                viewport.zoom,
                differing_lines(&picture, &whole, width)
            );
            let inside = |y: u32| repainted.iter().any(|r: &Range<u32>| r.contains(&y));
            for y in differing_lines(&old, &whole, width) {
                assert!(
                    inside(y),
                    "{name}, viewport {v}, step {i}: line {y} changed but is not in {repainted:?}"
                );
            }
            if v == 0 {
                lines_first.push(repainted.iter().map(|r| r.end - r.start).sum());
            }
            before = now;
        }
    }
    lines_first
}

#[test]
fn the_picture_redrawn_after_each_step_is_the_picture_drawn_whole() {
    let (_, loaded) = load_text(SIXTEEN_GIB).expect("the 16 GiB machine loads");
    let session = &loaded.session;
    let cursors = walk(session, session.cursor_at_step(100), 12);
    let lines = redraws_match("16 GiB", session, &cursors);
    // A step changes a block or two: a few lines of the 512, not the picture.
    let mut sorted = lines.clone();
    sorted.sort_unstable();
    let median = sorted.get(sorted.len() / 2).copied().unwrap_or(HEIGHT_PX);
    assert!(
        median <= 16,
        "16 GiB: lines repainted a step {lines:?}, median {median}"
    );
    for entry in library::ENTRIES.iter().take(6) {
        let (_, loaded) = load_text(entry.text).expect("every library entry loads");
        let session = &loaded.session;
        let cursors = walk(session, loaded.cursor, 8);
        redraws_match(entry.name, session, &cursors);
    }
}

#[test]
fn a_picture_of_another_extent_is_redrawn_whole() {
    let (_, small) = load_text(library::ENTRIES[0].text).expect("loads");
    let (_, big) = load_text(SIXTEEN_GIB).expect("loads");
    let (a, _) = at(&small.session, small.cursor);
    let (b, spans_b) = at(&big.session, big.cursor);
    let layout = Layout::new(big.session.current(), &b.map, false);
    let viewport = Viewport::new(Viewport::fit_zoom(&layout), 0, &layout);
    let mut picture = vec![0u8; viewport.width_px() as usize * HEIGHT_PX as usize * 4];
    let repainted = redraw_rgba(
        &mut picture,
        (&a.map, a.highlight),
        &b.map,
        &spans_b,
        &viewport,
        b.highlight,
    );
    let every_line = 0..HEIGHT_PX;
    assert_eq!(repainted, Vec::from([every_line]));
    assert!(picture == render_rgba(&b.map, &spans_b, &viewport, b.highlight));
}
