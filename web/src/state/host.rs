//! Requests from the page that embeds this one (docs/embedding.md, "Drive the embed
//! from your notes"). The engine has read and checked each message
//! (`view::embed_api::parse_message`); here each request becomes the actions the
//! page's own buttons send, and its answer (an ack or a refusal) is kept in
//! [`HostState`] for the app to post. The cursor is posted by the app after every
//! move, whoever made it.

use std::rc::Rc;

use buddyscope_engine::scenario::library;
use buddyscope_engine::view::embed_api::{
    check_go_to, LoadWhat, Message, Problem, Refusal, Reply, Request, ViewName,
};
use buddyscope_engine::view::KernelFile;

use super::{Action, Source, State};

/// What the embedding page asked for last.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct HostState {
    /// Counts the requests carried out or refused, so the app posts each answer once.
    pub requests: u64,
    /// The answer to the last request.
    pub reply: Option<Rc<Reply>>,
    /// The last request about "The kernel's numbers" (its number, so a repeat still
    /// reaches the panel): the file to show, or `None` to close it.
    pub numbers: Option<(u64, Option<KernelFile>)>,
}

impl State {
    /// Carries out a checked request; a request the run cannot satisfy (a step past
    /// the end, a scenario that does not load) changes nothing and is refused.
    pub(super) fn host_request(self, message: Message) -> State {
        let Message { id, request } = message;
        let verb = request.verb();
        let number = self.host.requests + 1;
        let (mut next, refusal) = self.carry_out(request, number);
        next.host.requests = number;
        let reply = match refusal {
            None => Reply::Ack { id, verb },
            Some(refusal) => Reply::Refused {
                id,
                verb: Some(verb.to_string()),
                problem: refusal.problem,
                message: refusal.message,
            },
        };
        next.host.reply = Some(Rc::new(reply));
        next
    }

    fn carry_out(self, request: Request, number: u64) -> (State, Option<Refusal>) {
        let session = self.session.clone();
        let action = match request {
            Request::Load { what, lesson } => return self.host_load(what, lesson),
            Request::GoToStep(_) | Request::GoToCall(_) => {
                if let Err(refusal) =
                    check_go_to(&request, session.last_step(), session.calls().len())
                {
                    return (self, Some(refusal));
                }
                match request {
                    Request::GoToStep(step) => Action::Seek(step),
                    // Checked above: 1 to the number of calls.
                    Request::GoToCall(call) => Action::ShowCall {
                        call: usize::try_from(call.saturating_sub(1)).unwrap_or(usize::MAX),
                        event: 0,
                    },
                    _ => return (self, None),
                }
            }
            Request::StepForward => Action::StepInto,
            Request::StepBack => Action::StepBack,
            Request::StepOver => Action::StepOver,
            Request::Play { interval_ms } => {
                let state = match interval_ms {
                    Some(ms) => self.reduce_now(Action::SetInterval(ms)),
                    None => self,
                };
                return (state.reduce_now(Action::SetPlaying(true)), None);
            }
            Request::Pause => Action::SetPlaying(false),
            Request::View(ViewName::WholeCall) => Action::SetWholeCall(true),
            Request::View(ViewName::EventsSoFar) => Action::SetWholeCall(false),
            Request::View(ViewName::KernelFile(file)) => {
                let mut next = self;
                next.host.numbers = Some((number, Some(file)));
                return (next, None);
            }
            Request::View(ViewName::NumbersHidden) => {
                let mut next = self;
                next.host.numbers = Some((number, None));
                return (next, None);
            }
        };
        (self.reduce_now(action), None)
    }

    fn host_load(self, what: LoadWhat, lesson: bool) -> (State, Option<Refusal>) {
        let (text, source, name) = match what {
            LoadWhat::Library(name) => match library::get(&name) {
                Some(entry) => (entry.text.to_string(), Source::Library(name.clone()), name),
                // The engine checked the name; this keeps the page alive if not.
                None => {
                    let why = format!("There is no library scenario “{name}”.");
                    return (self, Some(Refusal::new(Problem::UnknownLibrary, why)));
                }
            },
            LoadWhat::Scenario(text) => (text, Source::Host, "the scenario".to_string()),
        };
        let generation = self.generation;
        let next = self.reduce_now(Action::Load {
            text,
            source,
            step: None,
        });
        if next.generation == generation {
            let why = match &next.load_error {
                Some((_, error)) => format!("The scenario did not load: {error}"),
                None => "The scenario did not load.".to_string(),
            };
            return (next, Some(Refusal::new(Problem::LoadFailed, why)));
        }
        if !lesson {
            return (next, None);
        }
        if next.scenario.questions.is_empty() {
            let why = format!(
                "{name} asks no questions, so it has no lesson mode; it was opened without it."
            );
            return (next, Some(Refusal::new(Problem::BadValue, why)));
        }
        (next.reduce_now(Action::SetLesson(true)), None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use buddyscope_engine::view::embed_api::{RequestId, Value, ValueMap};

    fn message(fields: &[(&str, Value)]) -> Message {
        let mut object = ValueMap::new();
        object.insert("buddyscope".to_string(), Value::Number(1.0));
        for (k, v) in fields {
            object.insert(k.to_string(), v.clone());
        }
        buddyscope_engine::view::embed_api::parse_message(&Value::Object(object)).unwrap()
    }

    fn s(text: &str) -> Value {
        Value::String(text.to_string())
    }

    #[test]
    fn a_lesson_loads_steps_and_goes_to_a_call() {
        let state = State::initial().reduce_now(Action::Host(message(&[
            ("verb", s("load")),
            ("library", s("split-merge")),
            ("lesson", Value::Bool(true)),
            ("id", s("open")),
        ])));
        assert_eq!(state.library.as_str(), "split-merge");
        assert!(state.lesson.is_some());
        assert_eq!(
            state.host.reply.as_deref(),
            Some(&Reply::Ack {
                id: Some(RequestId::Text("open".into())),
                verb: "load"
            })
        );
        let before = state.step();
        let state = state.reduce_now(Action::Host(message(&[("verb", s("step-back"))])));
        assert_eq!(state.step(), before.saturating_sub(1));
        assert_eq!(state.host.requests, 2);
        let state = state.reduce_now(Action::Host(message(&[
            ("verb", s("go-to")),
            ("call", Value::Number(1.0)),
        ])));
        // Back to the start of the first call (in lesson mode a move forward would
        // stop at the question on its way, as the page's buttons do).
        assert_eq!(state.cursor.call, 0);
        assert_eq!(state.cursor.event, 0);
    }

    #[test]
    fn a_step_past_the_end_is_refused_and_changes_nothing() {
        let state = State::initial();
        let last = state.session.last_step();
        let cursor = state.cursor;
        let next = state.reduce_now(Action::Host(message(&[
            ("verb", s("go-to")),
            ("step", Value::Number((last + 1) as f64)),
        ])));
        assert_eq!(next.cursor, cursor);
        match next.host.reply.as_deref() {
            Some(Reply::Refused {
                problem, message, ..
            }) => {
                assert_eq!(*problem, Problem::OutOfRange);
                assert!(message.contains(&format!("0 to {last}")), "{message}");
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_scenario_that_does_not_load_is_refused_and_the_old_one_kept() {
        let state = State::initial();
        let title = state.title();
        let next = state.reduce_now(Action::Host(message(&[
            ("verb", s("load")),
            ("scenario", s("[machine]\nnodes = \"many\"\n")),
        ])));
        assert_eq!(next.title(), title);
        match next.host.reply.as_deref() {
            Some(Reply::Refused { problem, .. }) => assert_eq!(*problem, Problem::LoadFailed),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn views_switch() {
        let state = State::initial().reduce_now(Action::Host(message(&[
            ("verb", s("view")),
            ("view", s("whole-call")),
        ])));
        assert!(state.whole_call);
        let state = state.reduce_now(Action::Host(message(&[
            ("verb", s("view")),
            ("view", s("zoneinfo")),
        ])));
        assert_eq!(state.host.numbers, Some((2, Some(KernelFile::Zoneinfo))));
        let state = state.reduce_now(Action::Host(message(&[("verb", s("play"))])));
        assert!(state.playing);
        let state = state.reduce_now(Action::Host(message(&[("verb", s("pause"))])));
        assert!(!state.playing);
    }
}
