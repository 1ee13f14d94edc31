//! Checks shared by the fuzz targets: the promises every successful result must keep, whatever the input.
#![allow(dead_code)]

pub mod gen;

use std::collections::BTreeSet;

use timeshard::limits;
use timeshard::report::{Format, Report, Sample};
use timeshard::TestKey;

/// Upper bound on the warnings of one report: 9 kinds listed at most `MAX_WARNINGS_PER_KIND` times each, plus one
/// "n more" line per kind, plus a handful of one-off notes.
const MAX_REPORT_WARNINGS: usize = 9 * (limits::MAX_WARNINGS_PER_KIND + 1) + 16;

/// `id == file || id.starts_with(file + "::")`.
pub fn key_ok(key: &TestKey) -> bool {
    key.id == key.file
        || key
            .id
            .strip_prefix(key.file.as_str())
            .is_some_and(|r| r.starts_with("::"))
}

/// A string that could start a new log line (or forge a `::command::`) if printed.
pub fn has_line_break(s: &str) -> bool {
    s.chars().any(|c| c.is_ascii_control() && c != '\t')
}

/// Every promise of `report::parse` on success.
pub fn check_report(report: &Report, want: Option<&[Format]>) {
    if let Some(formats) = want {
        assert!(
            formats.contains(&report.format),
            "format {:?} not in {formats:?}",
            report.format
        );
    }
    let mut ids = BTreeSet::new();
    for s in &report.samples {
        check_sample(s);
        assert!(
            ids.insert(s.key.id.as_str()),
            "id {:?} appears twice in one report",
            s.key.id
        );
    }
    assert!(
        report.warnings.len() <= MAX_REPORT_WARNINGS,
        "{} warnings",
        report.warnings.len()
    );
    for w in &report.warnings {
        assert!(
            !has_line_break(w),
            "warning with a control character: {w:?}"
        );
        assert!(
            w.starts_with("report "),
            "warning does not name the report: {w:?}"
        );
    }
}

/// One sample: seconds in 0..=MAX_SAMPLE_SECONDS, a usable id.
pub fn check_sample(s: &Sample) {
    assert!(
        s.seconds.is_finite() && (0.0..=limits::MAX_SAMPLE_SECONDS).contains(&s.seconds),
        "bad seconds {} for {:?}",
        s.seconds,
        s.key.id
    );
    assert!(!s.key.id.trim().is_empty(), "empty id");
    assert!(
        !s.key.id.is_empty() && s.key.id.len() <= limits::MAX_ID_BYTES,
        "id of {} bytes",
        s.key.id.len()
    );
    assert!(key_ok(&s.key), "key invariant broken: {:?}", s.key);
    assert!(
        !s.key.id.bytes().any(|b| b < 0x20 || b == 0x7f),
        "control character in id {:?}",
        s.key.id
    );
}

/// Prepends `prefix` unless `data` already starts with one of `starts`.
pub fn route(data: &[u8], starts: &[u8], prefix: &[u8]) -> Vec<u8> {
    if data.first().is_some_and(|b| starts.contains(b)) {
        data.to_vec()
    } else {
        let mut v = prefix.to_vec();
        v.extend_from_slice(data);
        v
    }
}

/// A stored timing: seconds in 0..=MAX_SAMPLE_SECONDS, an id of 1 to `MAX_ID_BYTES` bytes, the key invariant. (A store may hold
/// ids with control characters if its JSON says so; the store does not promise otherwise.)
pub fn check_sample_seconds_and_key(s: &Sample) {
    assert!(
        s.seconds.is_finite() && (0.0..=limits::MAX_SAMPLE_SECONDS).contains(&s.seconds),
        "bad seconds {} for {:?}",
        s.seconds,
        s.key.id
    );
    assert!(
        !s.key.id.is_empty() && s.key.id.len() <= limits::MAX_ID_BYTES,
        "id of {} bytes",
        s.key.id.len()
    );
    assert!(key_ok(&s.key), "key invariant broken: {:?}", s.key);
}

/// An error message is one line: user data quoted in it cannot start a new log line.
pub fn check_error(e: &timeshard::Error) {
    let msg = e.to_string();
    assert!(
        !has_line_break(&msg),
        "error message with a control character: {msg:?}"
    );
}

/// Checks either outcome of a parse.
pub fn check_parse(result: &timeshard::Result<Report>, want: Option<&[Format]>) {
    match result {
        Ok(report) => check_report(report, want),
        Err(e) => check_error(e),
    }
}

/// A plan without discovered tests: each unit of the timing data once, in some group, no empty group.
pub fn check_units_once(plan: &timeshard::plan::Plan) {
    let mut seen = std::collections::BTreeSet::new();
    for group in &plan.groups {
        assert!(!group.tests.is_empty(), "empty group {}", group.index);
        for t in &group.tests {
            assert!(seen.insert(t.clone()), "`{t}` planned twice");
        }
    }
    assert_eq!(seen.len(), plan.tests);
}
