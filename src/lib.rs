//! # timeshard core
//!
//! Splits a test suite into N groups that finish at about the same time. Pure Rust: no I/O, no clock, no wasm
//! types; the same inputs always give a byte-identical plan.
//!
//! Data flow, one module a step (each arrow is a plain value; no module reaches back up):
//!
//! ```text
//! report bytes ──report::parse──▶ samples ──store::Store::record_run──▶ store (JSON, versioned)
//! store + extra timings ──▶ known timings ──estimate──▶ a duration for every test ──partition──▶ groups ──plan──▶ Plan
//! ```
//!
//! * [`test_id`] — the one place ids and paths are normalised and JUnit cases become ids.
//! * [`report`] — JUnit XML, pytest-split / Knapsack JSON, parallel_tests logs, cypress-split JSON → samples.
//! * [`store`] — the versioned timing store: robust statistic over runs, pruning of deleted tests.
//! * [`estimate`] — recorded or estimated seconds for every discovered test; never 0.
//! * [`partition`] — LPT + refinement, lower bound, deterministic tie-breaks.
//! * [`plan`] — worker-count choice, groups, predictions, invariants.
//! * [`api`] — the two entry points the action calls: [`api::plan`] and [`api::record`].
//! * `wasm` — the wasm-bindgen door over [`api`] (only on `wasm32`).
#![deny(missing_docs)]

pub mod api;
pub mod error;
pub mod estimate;
pub mod limits;
pub mod partition;
pub mod plan;
pub mod report;
pub mod store;
pub mod test_id;

#[cfg(target_arch = "wasm32")]
mod wasm;

pub use error::{Error, ErrorKind, Result};
pub use test_id::{Granularity, TestKey};
