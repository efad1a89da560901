//! Helpers shared by the test modules (random_run.rs also by the operations fuzz
//! target, which includes the file by path).
#![allow(dead_code)]

pub mod oracle;
pub mod random_run;
pub mod scenario_run;
pub mod seeded;
