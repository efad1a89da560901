//! A lesson's questions against its run: each question's `check` with its right
//! answer must hold (the checker refuses a question the run does not bear out), where
//! the page stops to ask, and which question stops a move forward.

use crate::scenario::{AskAt, Question};
use crate::session::{Cursor, Session};
use crate::view::expect::{check_expectations, Verdict};

/// Every question's proof (its check with the right answer) checked against
/// `session`, in order.
pub fn check_questions(session: &Session, questions: &[Question]) -> Vec<Verdict> {
    let proofs: Vec<_> = questions.iter().map(Question::proof).collect();
    check_expectations(session, &proofs)
}

/// Each question's check with `answer` in place of `{answer}`: whether the run bears
/// out that answer (a lesson test uses it to show every wrong choice is refused).
pub fn check_question_with(session: &Session, question: &Question, answer: &str) -> Verdict {
    let check = question.check_with(answer);
    check_expectations(session, std::slice::from_ref(&check))
        .into_iter()
        .next()
        .unwrap_or(Verdict {
            claim: check.claim,
            holds: false,
            found: String::new(),
        })
}

/// The step where the page stops to ask `question`.
pub fn question_step(session: &Session, question: &Question) -> u64 {
    match question.at {
        AskAt::Step(step) => step.min(session.last_step()),
        AskAt::Call(call) => session.step_of(Cursor {
            call: usize::try_from(call).unwrap_or(usize::MAX),
            event: 0,
        }),
    }
}

/// Where a move forward from step `from` to step `to` stops in a lesson: the first
/// question not yet answered at a step after `from` and up to `to` (its index and
/// step), or, when the page is at an unanswered question's step, that one (a move
/// forward waits for the answer). `None`: the move goes where it was going.
pub fn lesson_stop(
    session: &Session,
    questions: &[Question],
    answered: &[bool],
    from: u64,
    to: u64,
) -> Option<(usize, u64)> {
    if to <= from {
        return None;
    }
    questions
        .iter()
        .enumerate()
        .filter(|(i, _)| !answered.get(*i).copied().unwrap_or(false))
        .map(|(i, q)| (i, question_step(session, q)))
        .filter(|&(_, step)| step >= from && step <= to)
        .min_by_key(|&(i, step)| (step, i))
}

/// The question asked at step `step`, if any (the first when several share it).
pub fn question_at(session: &Session, questions: &[Question], step: u64) -> Option<usize> {
    questions
        .iter()
        .position(|q| question_step(session, q) == step)
}
