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
/// Longest duration accepted for one test in one run: 1,000,000 s (11.6 days, longer than any CI job may run).
/// Larger values are treated as corrupt: the report parsers skip such an entry, the store such a sample, each
/// with a warning.
pub const MAX_SAMPLE_SECONDS: f64 = 1_000_000.0;
/// Largest duration one unit of a plan may weigh: [`MAX_SAMPLE_SECONDS`] × [`MAX_TESTS`] (every test at the cap,
/// all in one file). No valid input reaches it; `plan::build` counts a larger value as this (with a warning), so
/// that sums over up to [`MAX_TESTS`] units stay finite whatever the estimates say.
pub const MAX_UNIT_SECONDS: f64 = MAX_SAMPLE_SECONDS * MAX_TESTS as f64;
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
