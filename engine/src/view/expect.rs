//! Checking a scenario's expectations (`[[expect]]`, see [`crate::scenario::expect`])
//! against a run: each holds or fails, and a failure says what was found instead,
//! with the sentences of the call it looked at, so that fixing the claim or the
//! expectation after a change to the engine takes one reading.
//!
//! It lives with the views because it reads the same sentences the page shows: the
//! events' sentences, and the operation and outcome sentences of the step panel.

use crate::event::Event;
use crate::report::proc;
use crate::scenario::{ExpectAt, Expectation, ProcFile};
use crate::session::{Call, Cursor, Session};
use crate::view::{describe_operation, describe_outcome};

/// Sentences shown around a failure, at most.
const SHOWN_MAX: usize = 12;

/// What one expectation found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verdict {
    /// The expectation's `claim`.
    pub claim: String,
    pub holds: bool,
    /// Where it held (the first match) or, when it fails, what was found instead:
    /// the matches counted, or the call's operation, outcome and event sentences.
    pub found: String,
}

/// Checks every expectation against `session`, in order, replaying the run once.
pub fn check_expectations(session: &Session, expectations: &[Expectation]) -> Vec<Verdict> {
    let calls = session.calls().len();
    let mut scans: Vec<Result<Scan, String>> = expectations
        .iter()
        .map(|e| match e.proc {
            // A file is read once, below; it joins no replay.
            Some(_) => Err(String::new()),
            None => scope(session, e, calls),
        })
        .collect();
    let last = scans
        .iter()
        .filter_map(|scan| scan.as_ref().ok().map(|s| s.last))
        .max();
    if let Some(last) = last {
        for (index, call) in session.calls_with_events().enumerate().take(last + 1) {
            for (scan, expectation) in scans.iter_mut().zip(expectations) {
                if let Ok(scan) = scan {
                    scan.look_at(index, &call, expectation);
                }
            }
        }
    }
    scans
        .into_iter()
        .zip(expectations)
        .map(|(scan, expectation)| {
            let (holds, found) = match (expectation.proc, scan) {
                (Some(file), _) => check_file(session, expectation, file, calls),
                (None, Err(why)) => (false, why),
                (None, Ok(scan)) => scan.verdict(session, expectation),
            };
            Verdict {
                claim: expectation.claim.clone(),
                holds,
                found,
            }
        })
        .collect()
}

/// A match: the call, the event's index in it (`None` for a call that matches as a
/// whole) and the sentence.
struct Match {
    call: usize,
    event: Option<usize>,
    text: String,
}

/// One expectation's look at the run: the calls it covers and what it found there.
struct Scan {
    first: usize,
    last: usize,
    /// For `step`: the one event it looks at.
    only_event: Option<usize>,
    /// Calls in range whose operation and outcome fit.
    considered: usize,
    /// Matches counted, and the first few kept.
    found: u64,
    matches: Vec<Match>,
    /// Events of the wanted function in those calls, the first few, for a failure.
    nearby: Vec<Match>,
}

/// A call number as an index; one too large for this target's `usize` (wasm32) is
/// past every run's end.
fn index(call: u64) -> usize {
    usize::try_from(call).unwrap_or(usize::MAX)
}

/// The calls an expectation covers, or why it covers none.
fn scope(session: &Session, expectation: &Expectation, calls: usize) -> Result<Scan, String> {
    let (first, last, only_event) = match expectation.at {
        ExpectAt::Run => (0, calls.saturating_sub(1), None),
        ExpectAt::Call(call) => (index(call), index(call), None),
        ExpectAt::Calls { first, last } => (index(first), index(last), None),
        ExpectAt::Step(step) => {
            let cursor = session.cursor_at_step(step);
            if cursor.event == 0 || session.step_of(cursor) != step {
                return Err(format!(
                    "step {step} passes no event (it is the start of call {}); the run has {} steps",
                    cursor.call,
                    session.last_step()
                ));
            }
            (cursor.call, cursor.call, Some(cursor.event - 1))
        }
    };
    if calls == 0 || last >= calls {
        return Err(format!(
            "the run has {calls} calls (0 to {}); the expectation looks at call {last}",
            calls.saturating_sub(1)
        ));
    }
    Ok(Scan {
        first,
        last,
        only_event,
        considered: 0,
        found: 0,
        matches: Vec::new(),
        nearby: Vec::new(),
    })
}

impl Scan {
    fn look_at(&mut self, index: usize, call: &Call, expectation: &Expectation) {
        if index < self.first || index > self.last || !call_matches(call, expectation) {
            return;
        }
        self.considered += 1;
        if !expectation.is_about_events() {
            self.found += 1;
            if self.matches.len() < SHOWN_MAX {
                self.matches.push(Match {
                    call: index,
                    event: None,
                    text: describe_outcome(&call.outcome),
                });
            }
            return;
        }
        for (i, event) in call.events.iter().enumerate() {
            if self.only_event.is_some_and(|only| only != i) {
                continue;
            }
            if event_matches(event, expectation) {
                self.found += 1;
                if self.matches.len() < SHOWN_MAX {
                    self.matches.push(Match {
                        call: index,
                        event: Some(i),
                        text: event.to_string(),
                    });
                }
            } else if self.nearby.len() < SHOWN_MAX
                && expectation
                    .event
                    .as_ref()
                    .is_some_and(|f| f == event.kernel_function())
            {
                self.nearby.push(Match {
                    call: index,
                    event: Some(i),
                    text: event.to_string(),
                });
            }
        }
    }

    fn verdict(&self, session: &Session, expectation: &Expectation) -> (bool, String) {
        let holds = match expectation.count {
            Some(count) => self.found == count,
            None => self.found > 0,
        };
        if holds {
            let found = match (expectation.count, self.matches.first()) {
                (Some(count), _) if count != 1 => format!("{count} matches"),
                (_, Some(m)) => format!("{}: {}", place(session, m.call, m.event), m.text),
                (_, None) => "no match".to_string(),
            };
            return (true, found);
        }
        (false, self.explain(session, expectation))
    }
}

/// A `proc` expectation: every `says` text in the file, runs of spaces counting as
/// one; a failure shows the file's lines that share a word with the texts.
fn check_file(
    session: &Session,
    expectation: &Expectation,
    file: ProcFile,
    calls: usize,
) -> (bool, String) {
    let (state, when) = match expectation.at {
        ExpectAt::Call(call) if index(call) >= calls => {
            return (
                false,
                format!(
                    "the run has {calls} calls (0 to {}); the expectation looks at call {call}",
                    calls.saturating_sub(1)
                ),
            )
        }
        ExpectAt::Call(call) => (
            session.state_after(index(call).saturating_add(1)),
            format!("after call {call}"),
        ),
        _ => (
            session.current().clone(),
            "at the end of the run".to_string(),
        ),
    };
    let text = match file {
        ProcFile::Zoneinfo => proc::zoneinfo_running(&state).unwrap_or_default(),
        ProcFile::Buddyinfo => proc::buddyinfo_running(&state),
        ProcFile::Pagetypeinfo => proc::pagetypeinfo_running(&state).unwrap_or_default(),
    };
    let squeeze = |t: &str| t.split_whitespace().collect::<Vec<_>>().join(" ");
    let flat = squeeze(&text);
    let missing: Vec<&String> = expectation
        .says
        .iter()
        .filter(|wanted| !flat.contains(&squeeze(wanted)))
        .collect();
    let name = file.name();
    if missing.is_empty() {
        return (true, format!("/proc/{name} {when}"));
    }
    // The claim's words that pick out a few lines (not "Node" or "zone", which are on
    // every zone's header), so the lines shown are the ones to compare with.
    let lines_with = |word: &str| text.lines().filter(|l| l.contains(word)).count();
    let all: Vec<&str> = missing
        .iter()
        .flat_map(|m| m.split_whitespace())
        .filter(|w| w.len() >= 3 && !w.chars().all(|c| c.is_ascii_digit()))
        .collect();
    let rare: Vec<&str> = all
        .iter()
        .copied()
        .filter(|w| lines_with(w) <= SHOWN_MAX)
        .collect();
    let words = if rare.is_empty() { all } else { rare };
    let mut out = format!(
        "/proc/{name} {when} does not hold {}; its lines with those words:",
        missing
            .iter()
            .map(|m| format!("\"{m}\""))
            .collect::<Vec<_>>()
            .join(", ")
    );
    for line in text
        .lines()
        .filter(|line| words.iter().any(|w| line.contains(w)))
        .take(SHOWN_MAX * 2)
    {
        out.push_str(&format!("\n  {line}"));
    }
    (false, out)
}

fn call_matches(call: &Call, expectation: &Expectation) -> bool {
    let has = |wanted: &Option<String>, text: String| {
        wanted
            .as_ref()
            .is_none_or(|wanted| text.contains(wanted.as_str()))
    };
    has(&expectation.operation, describe_operation(&call.operation))
        && has(&expectation.outcome, describe_outcome(&call.outcome))
}

fn event_matches(event: &Event, expectation: &Expectation) -> bool {
    if expectation
        .event
        .as_ref()
        .is_some_and(|function| function != event.kernel_function())
    {
        return false;
    }
    let sentence = event.describe();
    expectation
        .says
        .iter()
        .all(|text| sentence.contains(text.as_str()))
}

/// `call N, step S` for an event, `call N` for a call.
fn place(session: &Session, call: usize, event: Option<usize>) -> String {
    match event {
        Some(i) => format!(
            "call {call}, step {}",
            session.step_of(Cursor { call, event: i + 1 })
        ),
        None => format!("call {call}"),
    }
}

impl Scan {
    /// What a failing expectation found instead.
    fn explain(&self, session: &Session, expectation: &Expectation) -> String {
        let mut out = match expectation.count {
            Some(count) => format!("expected {count} matches, found {}", self.found),
            None => "no match".to_string(),
        };
        if !self.matches.is_empty() {
            out.push_str("; the matches:");
            for m in self.matches.iter().take(SHOWN_MAX) {
                out.push_str(&format!(
                    "\n  {}: {}",
                    place(session, m.call, m.event),
                    m.text
                ));
            }
            if self.found > self.matches.len() as u64 {
                out.push_str(&format!(
                    "\n  ... {} more",
                    self.found - self.matches.len() as u64
                ));
            }
            return out;
        }
        if self.first == self.last {
            out.push_str(&self.whole_call(session, expectation));
            return out;
        }
        out.push_str(&format!(
            "; {} of calls {} to {} have the operation and outcome asked for",
            self.considered, self.first, self.last
        ));
        if let Some(function) = &expectation.event {
            if self.nearby.is_empty() {
                out.push_str(&format!("; none of their events is {function}'s"));
            } else {
                out.push_str(&format!("; their first {function} events:"));
            }
            for m in &self.nearby {
                out.push_str(&format!(
                    "\n  {}: {}",
                    place(session, m.call, m.event),
                    m.text
                ));
            }
        }
        out
    }

    /// Everything one call says: its operation and outcome and its events (those of
    /// the wanted function, if it has any; the one at the step for `step`).
    fn whole_call(&self, session: &Session, expectation: &Expectation) -> String {
        let Some(call) = session.call(self.first) else {
            return String::new();
        };
        let mut out = format!(
            "; call {} is {} -> {}",
            self.first,
            describe_operation(&call.operation),
            describe_outcome(&call.outcome)
        );
        let wanted: Vec<(usize, &Event)> = call
            .events
            .iter()
            .enumerate()
            .filter(|(i, e)| {
                self.only_event.is_none_or(|only| only == *i)
                    && expectation
                        .event
                        .as_ref()
                        .is_none_or(|f| f == e.kernel_function())
            })
            .collect();
        let shown = if wanted.is_empty() {
            call.events.iter().enumerate().collect()
        } else {
            wanted
        };
        for (i, event) in shown.iter().take(SHOWN_MAX) {
            out.push_str(&format!(
                "\n  {}: {event}",
                place(session, self.first, Some(*i))
            ));
        }
        if shown.len() > SHOWN_MAX {
            out.push_str(&format!("\n  ... {} more", shown.len() - SHOWN_MAX));
        }
        out
    }
}
