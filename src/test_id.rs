//! The one place where test ids and paths are normalised, and where a JUnit case becomes an id.
//!
//! An id is `FILE` or `FILE::REST` (pytest node-id style). `FILE` is the *unit of execution* a runner can be told to
//! run: a path relative to the repository (`tests/test_x.py`, `spec/a_spec.rb`), or, where the ecosystem has no
//! file in its reports, the package (go), the test binary (nextest) or the class (Java). Every id carries its file
//! explicitly as a [`TestKey`], because some files themselves contain `::` (nextest binary ids).
//!
//! Normalisation (applied to every path that enters the core): backslashes → `/`, leading `./` removed, repeated
//! `/` collapsed, an absolute workspace prefix removed. Ids from different roots (`backend/x.py` vs `x.py`) are
//! reconciled by [`reconcile_roots`], which finds one consistent prefix rewrite and says so in a warning.

use serde::{Deserialize, Serialize};

/// How coarse the units handed to workers are.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Granularity {
    /// One unit per file (package, binary, class where there is no file).
    File,
    /// One unit per suite/class inside a file (`file::Class`); a test outside any class is its own unit.
    Suite,
    /// One unit per test case.
    Test,
}

/// A test id together with its file. Invariant: `id == file` or `id` starts with `file` + `"::"`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct TestKey {
    /// The unit of execution this test belongs to.
    pub file: String,
    /// The full id.
    pub id: String,
}
