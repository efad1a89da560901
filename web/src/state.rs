//! The page's one piece of simulation state and the actions that change it. The
//! engine session inside is the only simulation state the page has; components read
//! views of it and send actions. A scenario that fails to load never replaces the
//! last good one: the error is kept for the part of the page that caused it.

use std::rc::Rc;

use buddyscope_engine::alloc::Allocator;
use buddyscope_engine::import::kmemtrace::{self, ReplayMode};
use buddyscope_engine::import::snapshot::{decode_trace_file, InputFile, PASTED};
use buddyscope_engine::limits::{
    LINK_FRAGMENT_BYTES_MAX, LINK_SCENARIO_BYTES_MAX, PAGE_OPERATIONS_MAX,
};
use buddyscope_engine::report::kernel_diff::KernelDiff;
use buddyscope_engine::scenario::library;
use buddyscope_engine::scenario::share::{self, ShareLink};
use buddyscope_engine::scenario::{load_machine_files, scenario_to_toml, Answer, Scenario};
use buddyscope_engine::session::{Cursor, Session};
use buddyscope_engine::types::Kernel;
use buddyscope_engine::view::embed_api::Message;
use buddyscope_engine::view::{self, EventKind, LoadError, LoadErrorPlace, PageMap, Spans};
use buddyscope_engine::Event;
use yew::{Callback, MouseEvent, Reducible};

mod host;
mod lesson;
pub use host::HostState;
pub use lesson::Answers;

/// The scenario the page opens with when the URL names none.
pub const DEFAULT_SCENARIO: &str = include_str!("../scenarios/default.toml");

/// A shared value compared by identity, so props holding a large value (a page map,
/// a session) compare in constant time.
#[derive(Debug)]
pub struct Shared<T>(pub Rc<T>);

impl<T> Clone for Shared<T> {
    fn clone(&self) -> Self {
        Shared(Rc::clone(&self.0))
    }
}

impl<T> PartialEq for Shared<T> {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.0, &other.0)
    }
}

impl<T> std::ops::Deref for Shared<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

/// The allocator state at the cursor and what is drawn from it, computed once per
/// cursor: every event that changes memory changes what the page shows.
#[derive(Debug)]
pub struct AtCursor {
    pub cursor: Cursor,
    pub calls_done: usize,
    pub allocator: Rc<Allocator>,
    pub map: PageMap,
    pub spans: Spans,
}

/// A message for the status line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Notice {
    Info(String),
    Error(String),
}

/// Where a load came from, for the message and for where an error is shown.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Source {
    Default,
    Library(String),
    Link,
    /// The machine form or the workload editor.
    Editor,
    /// The scenario file (TOML) editor.
    ScenarioFile,
    Import,
    /// The kernel switch: the same scenario on the other kernel.
    Kernel,
    /// A scenario file sent by the page that embeds this one (`postMessage`).
    Host,
}

impl Source {
    /// Whether a load from here keeps the user at the same call (an edit applied to
    /// the scenario on screen) rather than opening at the scenario's own step.
    fn keeps_call(&self) -> bool {
        matches!(
            self,
            Source::Editor | Source::ScenarioFile | Source::Import | Source::Kernel
        )
    }
}

/// The page state.
#[derive(Clone, Debug)]
pub struct State {
    pub scenario: Rc<Scenario>,
    /// The share fragment of the scenario without a step (`s=...`).
    pub share_base: Rc<String>,
    pub session: Shared<Session>,
    pub cursor: Cursor,
    pub at: Shared<AtCursor>,
    /// The machine builder's warnings for this scenario.
    pub warnings: Rc<Vec<String>>,
    pub notice: Option<Notice>,
    /// The last failed load from the editor or import, kept by the part that caused it.
    pub load_error: Option<(Source, LoadError)>,
    pub playing: bool,
    pub play_interval_ms: u32,
    /// Whether the step panel shows the whole call (every event and what it returns)
    /// or, by default, only the events up to the cursor: no spoilers.
    pub whole_call: bool,
    /// Counts successful loads, so the editor knows to reset its fields.
    pub generation: u64,
    /// The library entry last opened ("default" for the default scenario), which the
    /// library picker shows; other loads (edits, links, imports) leave it.
    pub library: Rc<String>,
    /// What the last import said: each file's use and the notes on what was missing
    /// and assumed (empty after any other load).
    pub import_notes: Rc<Vec<String>>,
    /// The last trace replay's summary: what the importer read, then the agreement
    /// figure and the other counts (empty after any other load).
    pub trace_summary: Rc<Vec<String>>,
    /// Why this scenario has no share link (a trace replay too large for one), or
    /// `None`: the fragment then holds only the step.
    pub share_refused: Option<Rc<String>>,
    /// The "Compare kernels" view of this scenario, once asked for (running the
    /// scenario twice more costs time, so only on request): the comparison, or why
    /// it could not run. Cleared by every load.
    pub kernel_diff: Option<Result<Rc<view::KernelDiffView>, String>>,
    /// Lesson mode (see `lesson`): the learner's answer to each `[[question]]`, or
    /// `None` outside it. Cleared by every load but a link's.
    pub lesson: Option<Answers>,
    /// The embedding page's last request answered and the views it asked for (see
    /// `host`); kept across loads.
    pub host: HostState,
}

/// The machine a kmem trace is replayed on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TraceMachine {
    /// One node sized for the trace, as `buddyscope import-trace` takes without
    /// `--machine`.
    Sized,
    /// The machine on the page now.
    Current,
    /// The machine in the other files given with the trace.
    Given,
}

/// Everything the user can do.
#[derive(Clone, Debug, PartialEq)]
pub enum Action {
    StepInto,
    StepOver,
    StepBack,
    ToStart,
    RunToEnd,
    Seek(u64),
    /// To the next `get_page_from_freelist()` watermark check.
    NextWatermarkCheck,
    /// To the next event of a kind a learner hunts for (a steal, a merge, ...).
    NextEvent(EventKind),
    /// To a step number or `call N`, as typed in the go-to box.
    GoTo(String),
    /// Show the whole call in the step panel, or only what has happened.
    SetWholeCall(bool),
    /// Load a scenario file; `step` overrides its `open_at`.
    Load {
        text: String,
        source: Source,
        step: Option<u64>,
    },
    /// Load an edited scenario.
    LoadScenario(Box<Scenario>, Source),
    /// Replace the machine with a snapshot (or a scenario's machine), keeping the
    /// workload when it still runs.
    Import(String),
    /// The same from the user's files (a snapshot, dmesg, zoneinfo, numactl -H, a
    /// sosreport's files, gzipped or not), read together.
    ImportFiles(Vec<InputFile>),
    /// Replay the kmem trace among `files` (the others: a machine, for
    /// [`TraceMachine::Given`]); `follow`: every block at its traced pfn.
    ImportTrace {
        files: Vec<InputFile>,
        follow: bool,
        machine: TraceMachine,
    },
    SetPlaying(bool),
    SetInterval(u32),
    /// One play tick: step forward, stop at the end.
    Tick,
    /// Report something that happened outside the reducer (a copy, a bad link).
    Notify(Notice),
    /// Re-run the scenario with `[machine] kernel` set to this kernel.
    SetKernel(Kernel),
    /// Run the scenario on both kernels and keep the comparison for its view.
    CompareKernels,
    /// Put the cursor at call `call` (0-based), `event` events in (clamped to the
    /// call's events).
    ShowCall {
        call: usize,
        event: usize,
    },
    /// Lesson mode on (at the first question not yet answered) or off.
    SetLesson(bool),
    /// The learner's answer to question `question` (0-based), in lesson mode.
    Answer {
        question: usize,
        answer: Answer,
    },
    /// A request from the page that embeds this one, already checked by the engine
    /// (`view::embed_api::parse_message`); the answer goes to `host`.
    Host(Message),
}

/// A click that sends `action` (one compiled callback for every button that sends a
/// fixed action).
pub fn on_click(on_action: &Callback<Action>, action: Action) -> Callback<MouseEvent> {
    on_action.reform(move |_: MouseEvent| action.clone())
}

/// A click that calls `callback` with nothing.
pub fn on_click_unit(callback: &Callback<()>) -> Callback<MouseEvent> {
    callback.reform(|_: MouseEvent| ())
}

fn at_cursor(session: &Session, cursor: Cursor) -> AtCursor {
    let allocator = session.state_at(cursor);
    let map = view::page_map(&allocator);
    let spans = view::spans(&allocator);
    AtCursor {
        cursor,
        calls_done: session.calls_done_at(cursor),
        allocator,
        map,
        spans,
    }
}

impl State {
    /// A state for a loaded scenario.
    fn loaded(scenario: Scenario, loaded: view::Loaded, generation: u64) -> State {
        let text = scenario_to_toml(&scenario);
        let share_base = (text.len() <= LINK_SCENARIO_BYTES_MAX)
            .then(|| {
                share::encode(&ShareLink {
                    scenario: text.clone(),
                    step: None,
                })
            })
            .filter(|base| base.len() < LINK_FRAGMENT_BYTES_MAX - 32);
        let share_refused = share_base.is_none().then(|| {
            Rc::new(format!(
                "This scenario has no share link: its file is {} bytes, and a link holds at most {} bytes of scenario \
                 ({} KiB of link once compressed). Save the scenario file instead (the scenario file editor shows it), \
                 or replay a shorter part of the trace.",
                text.len(),
                LINK_SCENARIO_BYTES_MAX,
                LINK_FRAGMENT_BYTES_MAX >> 10
            ))
        });
        let at = at_cursor(&loaded.session, loaded.cursor);
        State {
            scenario: Rc::new(scenario),
            share_base: Rc::new(share_base.unwrap_or_default()),
            cursor: loaded.cursor,
            session: Shared(Rc::new(loaded.session)),
            at: Shared(Rc::new(at)),
            warnings: Rc::new(loaded.warnings),
            notice: None,
            load_error: None,
            playing: false,
            play_interval_ms: 200,
            whole_call: false,
            generation,
            library: Rc::new("default".to_string()),
            import_notes: Rc::new(Vec::new()),
            trace_summary: Rc::new(Vec::new()),
            share_refused,
            kernel_diff: None,
            lesson: None,
            host: HostState::default(),
        }
    }

    /// The default scenario; if it ever failed to load, an empty default machine
    /// with the reason on screen rather than a dead page.
    pub fn initial() -> State {
        match view::load_text(DEFAULT_SCENARIO) {
            Ok((scenario, loaded)) => State::loaded(scenario, loaded, 0),
            Err(error) => {
                let scenario = Scenario::default();
                let mut state = match view::load(&scenario) {
                    Ok(loaded) => State::loaded(scenario, loaded, 0),
                    Err(_) => empty_state(),
                };
                state.notice = Some(Notice::Error(format!(
                    "The default scenario failed to load ({error}); showing the default machine."
                )));
                state
            }
        }
    }

    /// The state a URL fragment asks for: a share link (`s=...&step=N`), a library
    /// entry (`library=NAME`), or the default. A link that cannot be opened leaves
    /// the default scenario on screen with a message saying why.
    pub fn from_fragment(fragment: &str) -> State {
        let fragment = fragment.trim_start_matches('#');
        let request = if fragment.is_empty() {
            None
        } else if let Some(name) = fragment.split('&').find_map(|p| p.strip_prefix("library=")) {
            // A link's `step=` wins over the entry's own `open_at`.
            let step = fragment
                .split('&')
                .find_map(|p| p.strip_prefix("step="))
                .and_then(|s| s.parse::<u64>().ok());
            Some(match library::get(name) {
                Some(entry) => Ok((
                    entry.text.to_string(),
                    step,
                    Source::Library(name.to_string()),
                )),
                None => Err(format!("there is no library scenario called “{name}”")),
            })
        } else {
            Some(
                share::decode(fragment)
                    .map(|link| (link.scenario, link.step, Source::Link))
                    .map_err(|e| e.message),
            )
        };
        let initial = State::initial();
        // `lesson=PROGRESS`: open in lesson mode with the learner's answers so far.
        let progress = fragment.split('&').find_map(|p| p.strip_prefix("lesson="));
        match request {
            None => initial,
            Some(Ok((text, step, source))) => {
                let step_given = step.is_some();
                let opened = initial.reduce_now(Action::Load { text, source, step });
                match progress {
                    Some(progress) if opened.load_error.is_none() => {
                        opened.open_lesson(progress, step_given)
                    }
                    _ => opened,
                }
            }
            Some(Err(message)) => State {
                notice: Some(Notice::Error(format!(
                    "This link could not be opened: {message}. Showing the default scenario instead."
                ))),
                ..initial
            },
        }
    }

    /// The fragment for the current scenario and step (only the step when the
    /// scenario is too large for a link: see `share_refused`).
    pub fn fragment(&self) -> String {
        let lesson = self
            .lesson_fragment()
            .map(|l| format!("&{l}"))
            .unwrap_or_default();
        if self.share_refused.is_some() {
            return format!("step={}{lesson}", self.step());
        }
        format!("{}&step={}{lesson}", self.share_base, self.step())
    }

    /// The current step number.
    pub fn step(&self) -> u64 {
        self.session.step_of(self.cursor)
    }

    /// The scenario's title, or a description of it.
    pub fn title(&self) -> String {
        self.scenario
            .title
            .clone()
            .unwrap_or_else(|| "Untitled scenario".to_string())
    }

    fn move_to(mut self, cursor: Cursor) -> State {
        // In lesson mode a move forward stops at the first unanswered question.
        let cursor = match self.lesson_stop(cursor) {
            Some((question, stop)) => {
                self.playing = false;
                if stop == self.cursor {
                    self.notice = Some(Notice::Info(format!(
                        "Question {} waits for your answer (or leave lesson mode to step on).",
                        question + 1
                    )));
                }
                stop
            }
            None => cursor,
        };
        if cursor != self.at.cursor {
            self.at = Shared(Rc::new(at_cursor(&self.session, cursor)));
        }
        self.cursor = cursor;
        self
    }

    fn load(self, text: &str, source: Source, step: Option<u64>) -> State {
        match view::load_text(text) {
            Ok((scenario, loaded)) => self.install(scenario, loaded, source, step),
            Err(error) => self.refuse(source, error),
        }
    }

    fn load_scenario(self, scenario: Scenario, source: Source) -> State {
        match view::load(&scenario) {
            Ok(loaded) => self.install(scenario, loaded, source, None),
            Err(error) => self.refuse(source, error),
        }
    }

    /// Keeps the current scenario and shows why the new one did not load.
    fn refuse(mut self, source: Source, error: LoadError) -> State {
        self.notice = Some(Notice::Error(format!("Kept the current scenario: {error}")));
        self.load_error = Some((source, error));
        self
    }

    /// Where a new run opens: a step asked for wins; an edit applied keeps the same
    /// call (and event, as far as the call has one) if the new run has it, else the
    /// start; anything else opens at the scenario's `open_at` (or the end).
    fn opening_cursor(&self, loaded: &view::Loaded, source: &Source, step: Option<u64>) -> Cursor {
        if let Some(step) = step {
            return loaded.session.cursor_at_step(step);
        }
        if !source.keeps_call() {
            return loaded.cursor;
        }
        let call = self.cursor.call;
        if call < loaded.session.calls().len() {
            Cursor {
                call,
                event: self.cursor.event.min(loaded.session.event_count(call)),
            }
        } else {
            Cursor::default()
        }
    }

    fn install(
        self,
        scenario: Scenario,
        loaded: view::Loaded,
        source: Source,
        step: Option<u64>,
    ) -> State {
        let cursor = self.opening_cursor(&loaded, &source, step);
        let title = scenario
            .title
            .clone()
            .unwrap_or_else(|| "the scenario".into());
        let operations = loaded.operations;
        let mut next = State::loaded(
            scenario,
            view::Loaded { cursor, ..loaded },
            self.generation + 1,
        );
        next.play_interval_ms = self.play_interval_ms;
        next.whole_call = self.whole_call;
        next.host = self.host.clone();
        next.library = match &source {
            Source::Default => Rc::new("default".to_string()),
            Source::Library(name) => Rc::new(name.clone()),
            _ => self.library.clone(),
        };
        let what = match source {
            Source::Default => "Opened the default scenario".to_string(),
            Source::Library(name) => format!("Opened library scenario “{name}”"),
            Source::Link => "Opened the shared link".to_string(),
            Source::Editor | Source::ScenarioFile => "Applied your changes".to_string(),
            Source::Import => "Imported the machine".to_string(),
            Source::Kernel => format!("Re-ran on Linux {}", next.scenario.machine.kernel),
            Source::Host => "Opened the scenario the notes sent".to_string(),
        };
        next.notice = Some(Notice::Info(format!(
            "{what}: {title}, {operations} operations, at step {} of {}.",
            next.step(),
            next.session.last_step()
        )));
        next
    }

    fn import(self, files: &[InputFile]) -> State {
        match load_machine_files(files) {
            Ok((machine, notes)) => {
                let mut scenario = (*self.scenario).clone();
                scenario.machine = machine;
                scenario.title = Some("Imported machine".to_string());
                scenario.about = Some(format!(
                    "A machine imported from a snapshot, running the previous workload.{}",
                    if notes.is_empty() {
                        String::new()
                    } else {
                        format!(" Notes: {}", notes.join("; "))
                    }
                ));
                scenario.open_at = None;
                let loaded = view::load(&scenario).or_else(|_| {
                    // The workload may name nodes or CPUs this machine lacks.
                    scenario.workload = None;
                    view::load(&scenario)
                });
                match loaded {
                    Ok(loaded) => {
                        let mut next = self.install(scenario, loaded, Source::Import, None);
                        next.import_notes = Rc::new(notes);
                        next
                    }
                    Err(error) => self.refuse(Source::Import, error),
                }
            }
            Err(message) => {
                let mut next = self;
                next.notice = Some(Notice::Error(format!(
                    "Kept the current machine: the files could not be read: {message}"
                )));
                next.load_error = Some((
                    Source::Import,
                    LoadError {
                        place: LoadErrorPlace::Machine,
                        message,
                    },
                ));
                next
            }
        }
    }

    /// Keeps the current scenario and says why a trace could not be replayed, by the
    /// import panel.
    fn refuse_trace(mut self, message: String) -> State {
        self.notice = Some(Notice::Error(format!(
            "Kept the current scenario: the trace could not be replayed: {message}"
        )));
        self.load_error = Some((
            Source::Import,
            LoadError {
                place: LoadErrorPlace::Machine,
                message,
            },
        ));
        self
    }

    /// Replays the kmem trace among `files` as `buddyscope import-trace` does: the
    /// workload is built in the engine (no scenario text is parsed, so the scenario
    /// file limit does not apply) and run on the chosen machine; the summary (the
    /// importer's counts, the agreement figure) goes to the import panel.
    fn import_trace(self, files: &[InputFile], follow: bool, machine: TraceMachine) -> State {
        let mut trace = None;
        let mut others = Vec::new();
        for file in files {
            if trace.is_none() {
                if let Ok(text) = decode_trace_file(file) {
                    if kmemtrace::is_trace_text(&text) {
                        trace = Some((file.name.clone(), text));
                        continue;
                    }
                }
            }
            others.push(file.clone());
        }
        let Some((name, text)) = trace else {
            return self.refuse_trace(
                "no kmem trace among the files (a trace has mm_page_alloc: page=... or mm_page_free: page=... lines)"
                    .to_string(),
            );
        };
        let imported = match kmemtrace::import_trace(&text) {
            Ok(imported) => imported,
            Err(error) => return self.refuse_trace(format!("{name}: {error}")),
        };
        let mut summary = kmemtrace::import_report(&name, &imported);
        if imported.ops.is_empty() {
            return self.refuse_trace(format!(
                "{name}: the trace holds no allocation or free to replay ({})",
                summary.join("; ")
            ));
        }
        let (config, mut notes) = match machine {
            TraceMachine::Sized => {
                let (max_cpu, end_pfn) = kmemtrace::trace_extent(&imported);
                (kmemtrace::trace_machine(max_cpu, end_pfn), Vec::new())
            }
            TraceMachine::Current => (self.scenario.machine.clone(), Vec::new()),
            TraceMachine::Given if others.is_empty() => {
                return self.refuse_trace(
                    "no machine was given with the trace: add its snapshot, dmesg or /proc/zoneinfo, or replay it on \
                     the current machine"
                        .to_string(),
                )
            }
            TraceMachine::Given => match load_machine_files(&others) {
                Ok(read) => read,
                Err(message) => return self.refuse_trace(message),
            },
        };
        let mode = if follow {
            ReplayMode::Follow
        } else {
            ReplayMode::Requests
        };
        let replay = kmemtrace::trace_replay(&imported, mode);
        let mut scenario = Scenario {
            machine: config,
            workload: Some(buddyscope_engine::workload::format_statements(
                &replay.statements,
            )),
            title: Some(format!("Replay of {name}")),
            ..Scenario::default()
        };
        let loaded = match view::load_statements(&scenario, &replay.statements) {
            Ok(loaded) => loaded,
            Err(error) => return self.refuse_trace(error.to_string()),
        };
        let figures = kmemtrace::replay_figures(&replay, &loaded.session);
        summary.splice(0..0, kmemtrace::figures_report(&figures, mode));
        scenario.about = Some(format!(
            "{}\n\n{}\n",
            kmemtrace::replay_about(mode),
            summary.join("\n")
        ));
        let operations = loaded.operations;
        let mut next = self.install(scenario, loaded, Source::Import, Some(0));
        next.notice = Some(Notice::Info(format!(
            "Replayed {name} ({}): {operations} operations, at step 0 of {}; {}.",
            if follow {
                "followed: every block at its traced pfn"
            } else {
                "its requests"
            },
            next.session.last_step(),
            summary.first().map_or("", String::as_str)
        )));
        notes.retain(|note| !note.is_empty());
        next.import_notes = Rc::new(notes);
        next.trace_summary = Rc::new(summary);
        next
    }

    /// Applies an action now (the reducer, usable without a component).
    pub fn reduce_now(self, action: Action) -> State {
        let session = self.session.clone();
        let cursor = self.cursor;
        match action {
            Action::StepInto => self.move_to(session.step_into(cursor)),
            Action::StepOver => self.move_to(session.step_over(cursor)),
            Action::StepBack => self.move_to(session.step_back(cursor)),
            Action::ToStart => self.move_to(Cursor::default()),
            Action::RunToEnd => {
                let mut next = self.move_to(session.end());
                next.playing = false;
                next
            }
            Action::Seek(step) => self.move_to(session.cursor_at_step(step)),
            Action::NextWatermarkCheck => {
                let from = self.step();
                match view::next_step_where(&session, from, |e| {
                    matches!(e, Event::WatermarkCheck { .. })
                }) {
                    Some(step) => self.move_to(session.cursor_at_step(step)),
                    None => State {
                        notice: Some(Notice::Info(
                            "No watermark check after this step.".to_string(),
                        )),
                        ..self
                    },
                }
            }
            Action::NextEvent(kind) => {
                let from = self.step();
                match view::next_step_where(&session, from, |e| kind.matches(e)) {
                    Some(step) => self.move_to(session.cursor_at_step(step)),
                    None => State {
                        notice: Some(Notice::Info(format!(
                            "No {} after this step.",
                            kind.label()
                        ))),
                        ..self
                    },
                }
            }
            Action::GoTo(text) => match view::go_to_step(&session, &text) {
                Ok(step) => self.move_to(session.cursor_at_step(step)),
                Err(message) => State {
                    notice: Some(Notice::Error(message)),
                    ..self
                },
            },
            Action::SetWholeCall(whole_call) => State { whole_call, ..self },
            Action::Load { text, source, step } => self.load(&text, source, step),
            Action::LoadScenario(scenario, source) => self.load_scenario(*scenario, source),
            Action::Import(text) => self.import(&[InputFile::new(PASTED, text.into_bytes())]),
            Action::ImportFiles(files) => self.import(&files),
            Action::ImportTrace {
                files,
                follow,
                machine,
            } => self.import_trace(&files, follow, machine),
            Action::SetPlaying(playing) => {
                let at_end = self.cursor == session.end();
                let mut next = if playing && at_end {
                    self.move_to(Cursor::default())
                } else {
                    self
                };
                next.playing = playing;
                next
            }
            Action::SetInterval(ms) => State {
                play_interval_ms: ms.clamp(10, 5000),
                ..self
            },
            Action::Tick => {
                if !self.playing {
                    return self;
                }
                let next_cursor = session.step_into(cursor);
                let mut next = self.move_to(next_cursor);
                if next_cursor == session.end() {
                    next.playing = false;
                }
                next
            }
            Action::Notify(notice) => State {
                notice: Some(notice),
                ..self
            },
            Action::SetKernel(kernel) => {
                if kernel == self.scenario.machine.kernel {
                    return self;
                }
                let mut scenario = (*self.scenario).clone();
                scenario.machine.kernel = kernel;
                self.load_scenario(scenario, Source::Kernel)
            }
            Action::CompareKernels => {
                let kernel = self.scenario.machine.kernel;
                let diff = KernelDiff::run(&self.scenario, Some(PAGE_OPERATIONS_MAX))
                    .map(|diff| Rc::new(view::kernel_diff_view(&diff, kernel)))
                    .map_err(|e| format!("The kernels could not be compared: {e}."));
                State {
                    kernel_diff: Some(diff),
                    ..self
                }
            }
            Action::SetLesson(on) => self.set_lesson(on),
            Action::Answer { question, answer } => self.answer(question, answer),
            Action::Host(message) => self.host_request(message),
            Action::ShowCall { call, event } => match session.calls().get(call) {
                Some(_) => {
                    let event = event.min(session.event_count(call));
                    self.move_to(Cursor { call, event })
                }
                None => State {
                    notice: Some(Notice::Error(format!(
                        "This run has no call {}: it has {}.",
                        call.saturating_add(1),
                        session.calls().len()
                    ))),
                    ..self
                },
            },
        }
    }
}

/// A session on a machine with no zones: what the page shows if even the default
/// machine could not be built, so it still renders and says why.
fn empty_state() -> State {
    let loaded = view::Loaded {
        session: Session::new(Allocator::empty()),
        cursor: Cursor::default(),
        warnings: Vec::new(),
        operations: 0,
    };
    State::loaded(Scenario::default(), loaded, 0)
}

impl Reducible for State {
    type Action = Action;

    fn reduce(self: Rc<Self>, action: Action) -> Rc<Self> {
        let mut state = (*self).clone();
        // A new action replaces an old message, except a tick while playing.
        if !matches!(action, Action::Tick | Action::Notify(_)) {
            state.notice = None;
        }
        Rc::new(state.reduce_now(action))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_opens_at_its_step_and_steps_back_exactly() {
        let state = State::initial();
        let opened = state.step();
        assert!(opened > 0);
        let forward = state.clone().reduce_now(Action::StepOver);
        assert!(forward.step() > opened);
        let mut back = forward;
        while back.step() > opened {
            back = back.reduce_now(Action::StepBack);
        }
        assert_eq!(back.cursor, state.cursor);
        assert_eq!(back.at.map, state.at.map);
    }

    #[test]
    fn a_share_fragment_round_trips_to_the_same_step() {
        let state = State::initial().reduce_now(Action::Seek(1234));
        let reopened = State::from_fragment(&state.fragment());
        assert_eq!(reopened.step(), 1234);
        assert_eq!(reopened.scenario, state.scenario);
    }

    #[test]
    fn a_tampered_fragment_keeps_the_default_and_says_why() {
        let reopened = State::from_fragment("s=z1.@@@not-base64&step=3");
        assert!(
            matches!(reopened.notice, Some(Notice::Error(ref m)) if m.contains("could not be opened"))
        );
        assert_eq!(reopened.step(), State::initial().step());
    }

    #[test]
    fn a_bad_workload_keeps_the_last_good_state_and_names_the_line() {
        let state = State::initial();
        let mut scenario = (*state.scenario).clone();
        scenario.workload = Some("alloc a order=0\nalloc b order=12\n".into());
        let after = state
            .clone()
            .reduce_now(Action::LoadScenario(Box::new(scenario), Source::Editor));
        assert_eq!(after.cursor, state.cursor);
        assert!(matches!(
            after.load_error,
            Some((
                Source::Editor,
                LoadError {
                    place: LoadErrorPlace::Workload { line: 2, .. },
                    ..
                }
            ))
        ));
    }

    #[test]
    fn an_imported_machine_runs_the_workload_that_fits_it() {
        let state = State::initial();
        let two_nodes =
            include_str!("../../engine/tests/data/oracle/c-2node-1G-1G/machine.snapshot");
        let after = state.clone().reduce_now(Action::Import(two_nodes.into()));
        assert_eq!(after.generation, state.generation + 1, "{:?}", after.notice);
        assert_eq!(after.scenario.workload, state.scenario.workload);
        assert!(after.step() > 0);
        // A workload that asks for node 1 does not run on a one-node machine: the
        // machine comes without it.
        let mut scenario = (*state.scenario).clone();
        scenario.workload = Some("alloc a order=0 gfp=GFP_KERNEL node=1\n".into());
        let on_node_1 = state.reduce_now(Action::LoadScenario(Box::new(scenario), Source::Editor));
        assert!(on_node_1.load_error.is_none(), "{:?}", on_node_1.notice);
        let one_node = include_str!("../../engine/tests/data/oracle/b-1node-4G/machine.snapshot");
        let after = on_node_1
            .clone()
            .reduce_now(Action::Import(one_node.into()));
        assert_eq!(
            after.generation,
            on_node_1.generation + 1,
            "{:?}",
            after.notice
        );
        assert_eq!(after.scenario.workload, None);
        assert!(after.load_error.is_none());
    }

    #[test]
    fn the_empty_state_renders_a_machine_without_zones() {
        let state = empty_state();
        assert_eq!(state.step(), 0);
        assert!(state.at.allocator.zones().is_empty());
        assert_eq!(state.session.last_step(), 0);
    }

    #[test]
    fn a_bare_zoneinfo_and_a_numactl_file_import_with_notes() {
        let state = State::initial();
        let snapshot =
            include_str!("../../engine/tests/data/oracle/c-2node-1G-1G/machine.snapshot");
        let zoneinfo = snapshot
            .split("==> /proc/zoneinfo <==\n")
            .nth(1)
            .and_then(|rest| rest.split("==> ").next())
            .unwrap_or_default();
        let numactl = "available: 2 nodes (0-1)\nnode 0 cpus: 0\nnode 0 size: 1007 MB\nnode 1 cpus: 1\n\
                       node 1 size: 1007 MB\nnode distances:\nnode   0   1\n  0:  10  20\n  1:  20  10\n";
        let after = state.clone().reduce_now(Action::ImportFiles(vec![
            InputFile::new(PASTED, zoneinfo.as_bytes()),
            InputFile::new("numactl.txt", numactl.as_bytes()),
        ]));
        assert_eq!(after.generation, state.generation + 1, "{:?}", after.notice);
        assert_eq!(after.scenario.machine.nodes.len(), 2);
        assert_eq!(after.scenario.machine.nodes[1].cpus, vec![1]);
        let notes = after.import_notes.join("\n");
        assert!(notes.contains("built from /proc/zoneinfo"), "{notes}");
        assert!(
            notes.contains("`numactl.txt`: read as numactl -H"),
            "{notes}"
        );
        // Any other load forgets them.
        let other = after.reduce_now(Action::Import(snapshot.into()));
        assert!(!other.import_notes.iter().any(|n| n.contains("built from")));
    }

    #[test]
    fn a_malformed_snapshot_is_refused() {
        let state = State::initial();
        let after = state
            .clone()
            .reduce_now(Action::Import("==> /proc/zoneinfo <==\nnonsense".into()));
        assert!(after.load_error.is_some());
        assert_eq!(after.generation, state.generation);
    }

    #[test]
    fn a_library_link_opens_at_its_step_not_the_entrys() {
        let opened = State::from_fragment("#library=split-merge");
        let linked = State::from_fragment("#library=split-merge&step=40");
        assert_ne!(opened.step(), 40);
        assert_eq!(linked.step(), 40, "{:?}", linked.notice);
        assert_eq!(linked.scenario, opened.scenario);
        // Either order of the parameters.
        assert_eq!(
            State::from_fragment("step=41&library=split-merge").step(),
            41
        );
        // A step that is not a number is ignored: the entry's own step.
        assert_eq!(
            State::from_fragment("library=split-merge&step=x").step(),
            opened.step()
        );
    }

    #[test]
    fn apply_keeps_the_call_if_the_new_run_has_it_else_the_start() {
        let state = State::initial().reduce_now(Action::Seek(1234));
        let call = state.cursor.call;
        // The same workload on a changed machine (section size): same call.
        let mut scenario = (*state.scenario).clone();
        let text = scenario_to_toml(&scenario);
        let after = state.clone().reduce_now(Action::LoadScenario(
            Box::new(scenario.clone()),
            Source::Editor,
        ));
        assert_eq!(after.cursor, state.cursor, "{:?}", after.notice);
        let file = state.clone().reduce_now(Action::Load {
            text,
            source: Source::ScenarioFile,
            step: None,
        });
        assert_eq!(file.cursor.call, call, "{:?}", file.notice);
        // A shorter run without that call: the start, not the end.
        scenario.workload = Some("alloc a order=0\nfree a\n".into());
        let short = state.reduce_now(Action::LoadScenario(Box::new(scenario), Source::Editor));
        assert!(short.load_error.is_none(), "{:?}", short.notice);
        assert_eq!(short.cursor, Cursor::default());
        assert_ne!(short.step(), short.session.last_step());
    }

    #[test]
    fn go_to_moves_or_says_why_and_stays() {
        let state = State::initial();
        let there = state.clone().reduce_now(Action::GoTo("100".into()));
        assert_eq!(there.step(), 100);
        let call = there.reduce_now(Action::GoTo("call 7".into()));
        assert_eq!(call.cursor, Cursor { call: 6, event: 0 });
        let bad = call.clone().reduce_now(Action::GoTo("call 0".into()));
        assert_eq!(bad.cursor, call.cursor);
        assert!(matches!(bad.notice, Some(Notice::Error(ref m)) if m.contains("no call 0")));
    }

    #[test]
    fn next_of_a_kind_moves_forward_or_says_there_is_none() {
        let state = State::initial().reduce_now(Action::ToStart);
        for kind in EventKind::ALL {
            let next = state.clone().reduce_now(Action::NextEvent(kind));
            if next.cursor == state.cursor {
                assert!(
                    matches!(next.notice, Some(Notice::Info(ref m)) if m.starts_with("No ")),
                    "{kind:?}"
                );
            } else {
                let event = next.session.event_at(next.cursor).expect("an event");
                assert!(kind.matches(&event), "{kind:?}: {event:?}");
            }
        }
    }

    #[test]
    fn the_whole_call_switch_is_kept_across_steps_and_loads() {
        let state = State::initial();
        assert!(!state.whole_call);
        let on = state.reduce_now(Action::SetWholeCall(true));
        let stepped = on.reduce_now(Action::StepInto);
        assert!(stepped.whole_call);
        let reloaded = stepped.reduce_now(Action::Load {
            text: DEFAULT_SCENARIO.into(),
            source: Source::Default,
            step: None,
        });
        assert!(reloaded.whole_call);
    }

    /// A few lines of a kmem trace as ftrace prints them (made up for the test, in
    /// the layout of engine/tests/data/traces/README.md).
    const SMALL_TRACE: &str = "\
# tracer: nop
            init-1       [001] .....     4.643647: mm_page_alloc: page=00000000e7892a0a pfn=0x6218 order=1 migratetype=0 gfp_flags=GFP_KERNEL
            init-1       [001] .....     4.643700: mm_page_alloc: page=00000000e7892b0b pfn=0x6300 order=0 migratetype=0 gfp_flags=GFP_KERNEL
              sh-130     [000] ...1.     4.644783: mm_page_free: page=000000005a821300 pfn=0x6218 order=1
";

    #[test]
    fn a_pasted_trace_is_replayed_with_its_summary_and_a_share_link() {
        let state = State::initial();
        let after = state.clone().reduce_now(Action::ImportTrace {
            files: vec![InputFile::new(PASTED, SMALL_TRACE.as_bytes())],
            follow: true,
            machine: TraceMachine::Sized,
        });
        assert_eq!(after.generation, state.generation + 1, "{:?}", after.notice);
        assert_eq!(after.step(), 0);
        let summary = after.trace_summary.join("\n");
        assert!(
            summary.starts_with("agreement ") && summary.contains("/2 allocations"),
            "{summary}"
        );
        assert!(
            summary
                .contains("3 operations: 2 allocations (0 failed in the traced kernel), 1 frees"),
            "{summary}"
        );
        // The sized machine: one node with the trace's CPUs 0 and 1.
        assert_eq!(after.scenario.machine.nodes.len(), 1);
        assert_eq!(after.scenario.machine.nodes[0].cpus, vec![0, 1]);
        assert!(after.share_refused.is_none());
        // Any other load forgets the summary.
        let other = after.reduce_now(Action::ToStart).reduce_now(Action::Load {
            text: DEFAULT_SCENARIO.to_string(),
            source: Source::Default,
            step: None,
        });
        assert!(other.trace_summary.is_empty());
    }

    #[test]
    fn a_trace_without_a_machine_given_or_without_operations_is_refused() {
        let state = State::initial();
        let after = state.clone().reduce_now(Action::ImportTrace {
            files: vec![InputFile::new("trace.txt", SMALL_TRACE.as_bytes())],
            follow: false,
            machine: TraceMachine::Given,
        });
        assert_eq!(after.generation, state.generation);
        let (_, error) = after.load_error.expect("refused");
        assert!(
            error.message.contains("no machine was given"),
            "{}",
            error.message
        );
        let after = state.clone().reduce_now(Action::ImportTrace {
            files: vec![InputFile::new(PASTED, "Linux version 6.1.0\n".as_bytes())],
            follow: true,
            machine: TraceMachine::Current,
        });
        let (_, error) = after.load_error.expect("refused");
        assert!(error.message.contains("no kmem trace"), "{}", error.message);
    }

    #[test]
    fn a_trace_replays_on_the_machine_given_with_it() {
        // The real 1-node 4 GiB machine given as a snapshot file beside
        // the trace.
        let snapshot = include_str!("../../engine/tests/data/oracle/b-1node-4G/machine.snapshot");
        let state = State::initial();
        let after = state.clone().reduce_now(Action::ImportTrace {
            files: vec![
                InputFile::new("machine.snapshot", snapshot.as_bytes()),
                InputFile::new("trace.txt", SMALL_TRACE.as_bytes()),
            ],
            follow: false,
            machine: TraceMachine::Given,
        });
        assert_eq!(after.generation, state.generation + 1, "{:?}", after.notice);
        let (sized, _) = State::initial()
            .reduce_now(Action::ImportTrace {
                files: vec![InputFile::new("trace.txt", SMALL_TRACE.as_bytes())],
                follow: false,
                machine: TraceMachine::Sized,
            })
            .scenario
            .machine
            .nodes
            .split_first()
            .map(|(node, _)| (node.memory.clone(), ()))
            .unwrap();
        // The snapshot's memory map, not the sized machine's.
        assert_ne!(after.scenario.machine.nodes[0].memory, sized);
        assert!(after.trace_summary[0].starts_with("agreement "));
        assert!(
            after.trace_summary[0].contains("on the model's own state"),
            "{}",
            after.trace_summary[0]
        );
    }

    #[test]
    fn the_followed_boot_trace_runs_in_the_page_and_refuses_a_share_link() {
        let gz = include_bytes!("../../engine/tests/data/traces/boot-early.trace.gz");
        let state = State::initial();
        let after = state.clone().reduce_now(Action::ImportTrace {
            files: vec![InputFile::new("boot-early.trace.gz", gz.as_slice())],
            follow: true,
            machine: TraceMachine::Sized,
        });
        assert_eq!(after.generation, state.generation + 1, "{:?}", after.notice);
        // More than the 1 MiB a link holds: no link, and a message that says why.
        let why = after.share_refused.clone().expect("no link");
        assert!(why.contains("no share link"), "{why}");
        assert_eq!(after.fragment(), "step=0");
        assert!(after.trace_summary[0].starts_with("agreement "));
    }

    #[test]
    fn the_kernel_switch_reruns_the_scenario_and_the_link_carries_the_kernel() {
        let state = State::from_fragment("library=zone-movable");
        assert_eq!(state.scenario.machine.kernel, Kernel::V6_1);
        let fragment_61 = state.fragment();
        let newer = state.clone().reduce_now(Action::SetKernel(Kernel::V6_12));
        assert_eq!(newer.scenario.machine.kernel, Kernel::V6_12);
        assert_eq!(*newer.library, "zone-movable");
        assert!(
            matches!(&newer.notice, Some(Notice::Info(m)) if m.starts_with("Re-ran on Linux 6.12"))
        );
        // The same call, re-run: the cursor stays at it.
        assert_eq!(newer.cursor.call, state.cursor.call);
        let fragment_612 = newer.fragment();
        assert_ne!(fragment_612, fragment_61);
        // The link opens the 6.12 scenario; switching back gives 6.1's link again.
        let reopened = State::from_fragment(&fragment_612);
        assert_eq!(reopened.scenario.machine.kernel, Kernel::V6_12);
        let back = newer.reduce_now(Action::SetKernel(Kernel::V6_1));
        assert_eq!(back.share_base, state.share_base);
        // A link written before the key existed (no `kernel`) still means 6.1.
        let old_text = share::decode(&fragment_61).unwrap().scenario;
        assert!(!old_text.contains("kernel = "), "{old_text}");
        let new_text = share::decode(&fragment_612).unwrap().scenario;
        assert!(new_text.contains("kernel = \"6.12\""), "{new_text}");
    }

    #[test]
    fn compare_kernels_finds_the_first_difference_and_moves_the_cursor_there() {
        let state = State::from_fragment("library=zone-movable");
        assert!(state.kernel_diff.is_none());
        let compared = state.reduce_now(Action::CompareKernels);
        let view = compared.kernel_diff.clone().unwrap().unwrap();
        // zone-movable has ZONE_MOVABLE, whose watermarks 6.12 computes otherwise.
        assert!(
            view.zones.iter().any(|z| z.zone == "Node 0 Movable"),
            "{:?}",
            view.zones
        );
        let first = view.first.clone().unwrap();
        let there = compared.reduce_now(Action::ShowCall {
            call: first.call,
            event: first.event,
        });
        assert_eq!(
            there.cursor,
            Cursor {
                call: first.call,
                event: first.event
            }
        );
        let gone = there.clone().reduce_now(Action::ShowCall {
            call: usize::MAX,
            event: 0,
        });
        assert_eq!(gone.cursor, there.cursor);
        assert!(matches!(gone.notice, Some(Notice::Error(_))));
        // A new load forgets the comparison.
        let reloaded = gone.reduce_now(Action::SetKernel(Kernel::V6_12));
        assert!(reloaded.kernel_diff.is_none());
    }
}
