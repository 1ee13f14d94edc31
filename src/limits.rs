//! Documented resource limits. Past a limit the core returns a clear error (whole file) or skips one entry with a
//! warning (one sample); it never allocates without bound on untrusted input.

/// Largest report or timing file read, in bytes (the 201k-case scale suite's biggest report is ~6 MiB).
pub const MAX_REPORT_BYTES: usize = 128 * 1024 * 1024;
/// Largest timing store read, in bytes.
pub const MAX_STORE_BYTES: usize = 256 * 1024 * 1024;
/// Longest test id kept as is, in bytes. Real pytest ids with long parameters reach 35 KB (baserow); a longer id
/// is shortened to its first bytes plus a stable hash of the whole, with a warning, so its time is not lost.
pub const MAX_ID_BYTES: usize = 64 * 1024;
/// Most tests (units) in one plan.
pub const MAX_TESTS: usize = 2_000_000;
/// Deepest XML element nesting accepted in a JUnit report.
pub const MAX_XML_DEPTH: usize = 256;
/// Most warnings of one kind listed individually; the rest are counted in one summary warning.
pub const MAX_WARNINGS_PER_KIND: usize = 20;
/// Most workers (GitHub's matrix limit).
pub const MAX_WORKERS: usize = 256;
/// Largest `job-overhead-seconds` accepted: one day. Real per-job overhead (checkout, install, start-up skew) is
/// 30–120 s; a larger value is a typo (milliseconds?) and would only push every prediction past any target.
pub const MAX_JOB_OVERHEAD_SECONDS: f64 = 86_400.0;
/// Largest `target-seconds` accepted: one week, longer than any CI job may run (GitHub: 6 h hosted, 5 days
/// self-hosted). Bounding both keeps every wall-time and job-time sum of a plan finite and readable.
pub const MAX_TARGET_SECONDS: f64 = 604_800.0;
