//! Lesson mode: a scenario's `[[question]]`s asked as the cursor reaches them. The
//! learner's answers are part of the state (and of the URL, `lesson=`, see
//! `buddyscope_engine::scenario::progress`), so a reload or a shared link keeps them.
//! A move forward stops at the first question not yet answered on its way
//! (`view::lesson_stop`), and waits there for the answer.

use std::rc::Rc;

use buddyscope_engine::scenario::progress::{progress_from_text, progress_to_text};
use buddyscope_engine::scenario::Answer;
use buddyscope_engine::session::Cursor;
use buddyscope_engine::view;

use super::{Notice, State};

/// The learner's answers, one slot a question; `State::lesson` is `None` outside
/// lesson mode.
pub type Answers = Rc<Vec<Option<Answer>>>;

impl State {
    /// The `lesson=` value of the URL, in lesson mode.
    pub fn lesson_fragment(&self) -> Option<String> {
        self.lesson
            .as_ref()
            .map(|answers| format!("lesson={}", progress_to_text(answers)))
    }

    /// The question asked at the cursor, in lesson mode.
    pub fn question_here(&self) -> Option<usize> {
        self.lesson.as_ref()?;
        view::question_at(&self.session, &self.scenario.questions, self.step())
    }

    fn answered(&self) -> Vec<bool> {
        self.lesson
            .as_ref()
            .map(|answers| answers.iter().map(Option::is_some).collect())
            .unwrap_or_default()
    }

    /// Where a move to `cursor` stops in lesson mode: the first unanswered
    /// question on the way (its index and cursor), if any.
    pub(super) fn lesson_stop(&self, cursor: Cursor) -> Option<(usize, Cursor)> {
        self.lesson.as_ref()?;
        let (from, to) = (self.step(), self.session.step_of(cursor));
        view::lesson_stop(
            &self.session,
            &self.scenario.questions,
            &self.answered(),
            from,
            to,
        )
        .map(|(question, step)| (question, self.session.cursor_at_step(step)))
    }

    /// The cursor of the first question not yet answered.
    fn first_unanswered(&self) -> Option<Cursor> {
        let answers = self.lesson.as_ref()?;
        let (_, question) = self
            .scenario
            .questions
            .iter()
            .enumerate()
            .find(|(i, _)| answers.get(*i).is_none_or(Option::is_none))?;
        let step = view::question_step(&self.session, question);
        Some(self.session.cursor_at_step(step))
    }

    /// Lesson mode on (at the first question not yet answered) or off.
    pub(super) fn set_lesson(mut self, on: bool) -> State {
        let questions = self.scenario.questions.len();
        if !on {
            self.lesson = None;
            return self;
        }
        if questions == 0 {
            self.notice = Some(Notice::Info(
                "This scenario asks no questions: there is no lesson mode for it.".to_string(),
            ));
            return self;
        }
        if self.lesson.is_none() {
            self.lesson = Some(Rc::new(vec![None; questions]));
        }
        self.playing = false;
        match self.first_unanswered() {
            Some(cursor) => self.jump(cursor),
            None => self,
        }
    }

    /// Puts the cursor somewhere without the lesson's stop (opening a lesson).
    fn jump(mut self, cursor: Cursor) -> State {
        let lesson = self.lesson.take();
        let mut next = self.move_to(cursor);
        next.lesson = lesson;
        next
    }

    /// Lesson mode from a link's `lesson=` value; `step_given`: the link names the
    /// step, which wins over the first unanswered question.
    pub(super) fn open_lesson(mut self, progress: &str, step_given: bool) -> State {
        let questions = &self.scenario.questions;
        if questions.is_empty() {
            self.notice = Some(Notice::Info(
                "The link asks for lesson mode, but this scenario asks no questions.".to_string(),
            ));
            return self;
        }
        let answers = match progress_from_text(progress, questions) {
            Ok(answers) => answers,
            Err(message) => {
                self.notice = Some(Notice::Error(format!(
                    "The link's lesson progress could not be read ({message}); starting the lesson afresh."
                )));
                vec![None; questions.len()]
            }
        };
        self.lesson = Some(Rc::new(answers));
        if step_given {
            return self;
        }
        let Some(cursor) = self.first_unanswered() else {
            return self;
        };
        let had_error = matches!(self.notice, Some(Notice::Error(_)));
        let mut next = self.jump(cursor);
        if !had_error {
            if let Some(question) = next.question_here() {
                next.notice = Some(Notice::Info(format!(
                    "Lesson mode: question {} of {} waits at step {}.",
                    question + 1,
                    next.scenario.questions.len(),
                    next.step()
                )));
            }
        }
        next
    }

    /// Records the learner's answer to question `question` (at most once: the reveal
    /// stays).
    pub(super) fn answer(mut self, question: usize, answer: Answer) -> State {
        let Some(answers) = self.lesson.as_ref() else {
            return self;
        };
        let Some(asked) = self.scenario.questions.get(question) else {
            return self;
        };
        let fits = match (&answer, &asked.key) {
            (Answer::Choice(i), buddyscope_engine::scenario::AnswerKey::Choice { choices, .. }) => {
                *i < choices.len()
            }
            (Answer::Number(_), buddyscope_engine::scenario::AnswerKey::Number(_)) => true,
            _ => false,
        };
        if !fits || answers.get(question).is_none_or(Option::is_some) {
            return self;
        }
        let mut next: Vec<Option<Answer>> = answers.as_ref().clone();
        if let Some(slot) = next.get_mut(question) {
            *slot = Some(answer);
        }
        self.lesson = Some(Rc::new(next));
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::Action;

    fn lesson(fragment: &str) -> State {
        State::from_fragment(fragment)
    }

    #[test]
    fn a_lesson_link_opens_at_the_first_question_and_stepping_stops_there() {
        let state = lesson("#library=split-merge&lesson=-");
        assert_eq!(state.question_here(), Some(0), "{:?}", state.notice);
        assert_eq!(state.step(), 0);
        assert!(
            matches!(state.notice, Some(Notice::Info(ref m)) if m == "Lesson mode: question 1 of 2 waits at step 0."),
            "{:?}",
            state.notice
        );
        // Forward waits for the answer.
        let waiting = state.clone().reduce_now(Action::StepInto);
        assert_eq!(waiting.step(), 0);
        let answered = waiting.reduce_now(Action::Answer {
            question: 0,
            answer: Answer::Number(9),
        });
        assert_eq!(answered.lesson_fragment().as_deref(), Some("lesson=9"));
        // A second answer does not replace the first.
        let again = answered.clone().reduce_now(Action::Answer {
            question: 0,
            answer: Answer::Number(10),
        });
        assert_eq!(again.lesson_fragment().as_deref(), Some("lesson=9"));
        // Running to the end stops at question 2, at the start of call 2.
        let stopped = answered.reduce_now(Action::RunToEnd);
        assert_eq!(stopped.question_here(), Some(1));
        assert_eq!(stopped.cursor, Cursor { call: 2, event: 0 });
        // The URL keeps the progress and the step; opening it again restores both.
        let reopened = lesson(&stopped.fragment());
        assert_eq!(reopened.step(), stopped.step());
        assert_eq!(reopened.lesson, stopped.lesson);
    }

    #[test]
    fn play_stops_at_a_question_and_outside_lesson_mode_nothing_stops() {
        let mut state =
            lesson("#library=split-merge&lesson=10").reduce_now(Action::SetPlaying(true));
        assert_eq!(state.question_here(), Some(1));
        // Already at question 2: play does not move.
        state = state.reduce_now(Action::Tick);
        assert!(!state.playing);
        assert_eq!(state.question_here(), Some(1));
        let free = lesson("#library=split-merge").reduce_now(Action::RunToEnd);
        assert_eq!(free.cursor, free.session.end());
        assert_eq!(free.lesson_fragment(), None);
    }

    #[test]
    fn a_bad_progress_or_a_scenario_without_questions_says_so() {
        let bad = lesson("#library=split-merge&lesson=10,a,b");
        assert!(matches!(bad.notice, Some(Notice::Error(ref m)) if m.contains("3 items")));
        assert_eq!(bad.lesson.as_deref(), Some(&vec![None, None]));
        let none = lesson("#library=oom&lesson=-");
        assert!(none.lesson.is_none());
        assert!(matches!(none.notice, Some(Notice::Info(ref m)) if m.contains("no questions")));
    }
}
