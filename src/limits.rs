//! Documented resource limits. Past a limit the core returns a clear error (whole file) or skips one entry with a
//! warning (one sample); it never allocates without bound on untrusted input.

/// Largest report or timing file read, in bytes (the 201k-case scale suite's biggest report is ~6 MiB).
pub const MAX_REPORT_BYTES: usize = 128 * 1024 * 1024;
/// Largest timing store read, in bytes.
pub const MAX_STORE_BYTES: usize = 256 * 1024 * 1024;
/// Longest test id kept from a timing source, in bytes; longer ids are skipped with a warning.
pub const MAX_ID_BYTES: usize = 4096;
/// Most tests (units) in one plan.
pub const MAX_TESTS: usize = 2_000_000;
/// Deepest XML element nesting accepted in a JUnit report.
pub const MAX_XML_DEPTH: usize = 256;
/// Most warnings of one kind listed individually; the rest are counted in one summary warning.
pub const MAX_WARNINGS_PER_KIND: usize = 20;
/// Most workers (GitHub's matrix limit).
pub const MAX_WORKERS: usize = 256;
