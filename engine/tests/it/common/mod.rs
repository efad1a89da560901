//! Helpers shared by integration tests (and by the fuzz targets, which include the
//! files by path).
#![allow(dead_code)]

pub mod random_run;
