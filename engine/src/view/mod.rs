//! Plain-data views of a running session for the page: what each panel draws, built
//! from an [`Allocator`](crate::alloc::Allocator), its [`Session`](crate::session::Session)
//! and a [`Cursor`](crate::session::Cursor), never from browser state. One file a
//! concept, in the order the page uses them; this file only re-exports, so every view
//! keeps its one path, `view::X`.
//!
//! - `load.rs`, [`load()`]: a scenario into a booted machine, a session with the
//!   workload run, and the cursor to open at; errors say where (the machine, or the
//!   workload's line).
//! - `page_map.rs`, [`PageMap`]: one byte a page for the whole physical address space
//!   (state, pageblock type, block head), cheap to build and to redraw from.
//! - `layout.rs`, [`Layout`]: which pfns the picture lays out, by default only memory
//!   (holes and offline sections collapsed, each a [`Gap`]), or true scale.
//! - `viewport.rs`, [`Viewport`]: which pages the canvas shows at a zoom level, the
//!   piecewise mapping of a pfn to a row around collapsed gaps, and the pfn under a
//!   pixel.
//! - `colour.rs`, [`code_rgb`] and [`palette`]: the colour of a page code, of the
//!   gutter's bars and of the outlines; the page's legends use the same.
//! - `pixels.rs`, [`render_rgba`]: the address-space picture as RGBA pixels (and
//!   [`redraw_rgba`], the same picture brought up to date a changed row at a time),
//!   aggregating many pages into a pixel or drawing one page as a cell.
//! - `page_info.rs`, [`page_info()`]: what the tooltip says about one pfn.
//! - `panels/`, [`overview`]: zonelists (with why each zone was passed over), watermark
//!   gauges, free areas and per-cpu lists, and the step (frames and a sentence), a file
//!   each.
//! - `machine_form.rs`, [`MachineForm`]: the page's machine editor as strings, applied
//!   to a scenario through the scenario parser so every check and message is the
//!   engine's.
//!
//! - `expect.rs`, [`check_expectations`]: a scenario's `[[expect]]` claims checked
//!   against its run, each holding or failing with what was found instead.
//! - `question.rs`, [`check_questions`]: a lesson's `[[question]]`s proved against
//!   its run, the step each is asked at, and which one stops a move forward.
//!
//! - `kernel_diff.rs`, [`kernel_diff_view`]: the scenario on Linux 6.1 and 6.12
//!   compared (`report::kernel_diff`) as the text the page and `buddyscope
//!   diff-kernels` show.
//! - `kernel_numbers.rs`, [`kernel_file_text`]: the kernel's own files (proc,
//!   vmstat, debugfs extfrag) for the state at the cursor, as the CLI prints them.
//!
//! - `embed_api.rs`, [`embed_api`]: the embed's `postMessage` API, the messages a
//!   host page sends and the replies, parsed and refused here (docs/embedding.md).
//!
//! - `timeline.rs`, [`timeline()`]: the session's series as the timeline's plots
//!   (free pages against the watermarks, the extfrag indexes, event markers),
//!   downsampled to pixel columns by smallest and largest value, and as SVG.
//!
//! Everything here is derived; nothing changes the allocator.

#![warn(clippy::indexing_slicing)]

mod colour;
pub mod embed_api;
mod expect;
mod kernel_diff;
mod kernel_numbers;
mod layout;
mod load;
mod machine_form;
mod page_info;
mod page_map;
mod panels;
mod pixels;
mod question;
mod timeline;
mod viewport;

pub use colour::{
    code_rgb, free_migratetype_rgb, migratetype_rgb, node_rgb, palette, tint, zone_rgb, Rgb,
    GAP_STRIPE_RGB, HIGHLIGHT_RGB, HOLE_RGB, OUTLINE_RGB, PCP_RGB, RESERVED_RGB,
};
pub use expect::{check_expectations, Verdict};
pub use kernel_diff::{
    diff_view, kernel_diff_view, DiffEventLine, FirstCallView, KernelDiffView, RowView, SideView,
    ZoneRowsView, EVENTS_AFTER_DIFFERENCE_SHOWN,
};
pub use kernel_numbers::{kernel_file_text, KernelFile};
pub use layout::{size_text, Gap, Layout};
pub use load::{load, load_statements, load_text, LoadError, LoadErrorPlace, Loaded};
pub use machine_form::MachineForm;
pub use page_info::{page_info, PageInfo};
pub use page_map::{code, page_map, PageMap};
pub use panels::{
    describe_operation, describe_outcome, go_to_step, next_step_where, ordinal, overview,
    pcp_list_label, EventKind, EventLine, Frame, FreeAreaView, GaugeView, LastCheck, MarkLabel,
    NodeView, Overview, PcpView, SourceLink, StepView, ZoneStatus, ZonelistEntry, ZonelistView,
};
pub use pixels::{redraw_rgba, render_rgba, spans, Spans};
pub use question::{check_question_with, check_questions, lesson_stop, question_at, question_step};
pub use timeline::{
    pair_timeline, timeline, timeline_of, timeline_svg, TimelineChoice, TimelineGeometry,
    TimelineLine, TimelineMarkerRow, TimelinePlot, TimelineRun, TimelineView, TIMELINE_AXIS_PX,
    TIMELINE_COLUMNS_MAX, TIMELINE_COLUMNS_MIN, TIMELINE_LEFT_PX, TIMELINE_PLOT_PX,
    TIMELINE_RIGHT_PX, TIMELINE_ROW_PX, TIMELINE_TITLE_PX,
};
pub use viewport::{Band, Row, Viewport, GAP_PX, GUTTER_PX, HEIGHT_PX, PAGES_WIDTH_PX, ZOOM_MIN};
