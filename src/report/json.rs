//! JSON timing files: pytest-split `.test_durations`, conda `durations/<OS>.json`, Knapsack reports (all
//! `{"id or file": seconds}`), the old pytest-split list layout (`[["id", seconds], …]`) and cypress-split
//! `timings.json` (`{"durations": [{"spec": "…", "duration": ms}]}`).
//!
//! Entries keep the order of the file (the top-level object is read into an ordered list, never a hash map).
//! An entry whose value is not a usable duration (a string, `null`, a nested value, a negative or huge number) is
//! skipped with a warning; the rest is kept.
//!
//! Non-finite numbers: Python's `json` module (pytest-split, conda) writes a NaN or infinite float as the bare
//! tokens `NaN`, `Infinity` and `-Infinity`, which are not JSON; a number beyond the `f64` range (`1e400`) is JSON
//! but serde_json refuses it. Either would make serde_json reject the whole file, so when the strict parse fails,
//! such tokens outside strings are rewritten to a marker string (`rewrite_non_finite`, one linear pass that only
//! runs after a failed parse) and the file is parsed again; each such entry is then skipped with the usual warning
//! (`NaN is not a number`, `Infinity is infinite`). The rewrite adds no line breaks, so a later syntax error still
//! names the right line (its column is left out, because the rewrite moved it). cypress-split writes `duration: null` for specs it has not timed yet:
//! skipped with a warning, not an error. A JSON value of another shape, or an object with no numeric entry at all,
//! is not a timing file (error).

use std::fmt;

use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;
use serde_json::Value;

use super::{check_seconds, Format, Kind, Samples, Warnings, ACCEPTED_FORMATS};
use crate::error::printable;
use crate::test_id::{normalize_path_with, TestKey};
use crate::{Error, Result};

/// The top-level JSON value, with object entries in file order.
enum Top {
    Object(Vec<(String, Value)>),
    Array(Vec<Value>),
    Other(&'static str),
}

impl<'de> Deserialize<'de> for Top {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Top, D::Error> {
        struct TopVisitor;
        impl<'de> Visitor<'de> for TopVisitor {
            type Value = Top;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON object or array")
            }
            fn visit_map<A: MapAccess<'de>>(
                self,
                mut map: A,
            ) -> std::result::Result<Top, A::Error> {
                let mut entries = Vec::with_capacity(map.size_hint().unwrap_or(0).min(1 << 16));
                while let Some(entry) = map.next_entry::<String, Value>()? {
                    entries.push(entry);
                }
                Ok(Top::Object(entries))
            }
            fn visit_seq<A: SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> std::result::Result<Top, A::Error> {
                let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(1 << 16));
                while let Some(item) = seq.next_element::<Value>()? {
                    items.push(item);
                }
                Ok(Top::Array(items))
            }
            fn visit_str<E: de::Error>(self, _: &str) -> std::result::Result<Top, E> {
                Ok(Top::Other("a string"))
            }
            fn visit_bool<E: de::Error>(self, _: bool) -> std::result::Result<Top, E> {
                Ok(Top::Other("a boolean"))
            }
            fn visit_f64<E: de::Error>(self, _: f64) -> std::result::Result<Top, E> {
                Ok(Top::Other("a number"))
            }
            fn visit_i64<E: de::Error>(self, _: i64) -> std::result::Result<Top, E> {
                Ok(Top::Other("a number"))
            }
            fn visit_u64<E: de::Error>(self, _: u64) -> std::result::Result<Top, E> {
                Ok(Top::Other("a number"))
            }
            fn visit_unit<E: de::Error>(self) -> std::result::Result<Top, E> {
                Ok(Top::Other("null"))
            }
        }
        d.deserialize_any(TopVisitor)
    }
}

/// What a JSON value is, for messages.
fn kind_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn not_a_timing_file(source: &str, what: &str) -> Error {
    Error::report(
        source,
        "",
        format!("not a timing file: JSON {what}; {ACCEPTED_FORMATS}"),
    )
}

/// Reads a JSON timing file.
pub(crate) fn parse(text: &str, roots: &[String], w: &mut Warnings) -> Result<(Format, Samples)> {
    let source = w.source().to_string();
    let invalid = |e: serde_json::Error, with_column: bool| {
        // serde_json's message ends with " at line L column C"; that part goes to the location.
        let msg = e.to_string();
        let suffix = format!(" at line {} column {}", e.line(), e.column());
        let msg = msg.strip_suffix(&suffix).unwrap_or(&msg);
        let location = if with_column {
            format!("line {}, column {}", e.line(), e.column())
        } else {
            format!("line {}", e.line())
        };
        Error::report(
            &source,
            location,
            format!("invalid JSON: {}", printable(msg, 200)),
        )
    };
    let top: Top = match serde_json::from_str(text) {
        Ok(top) => top,
        Err(e) => match rewrite_non_finite(text) {
            None => return Err(invalid(e, true)),
            Some(rewritten) => serde_json::from_str(&rewritten).map_err(|e| invalid(e, false))?,
        },
    };
    match top {
        Top::Object(entries) => {
            let cypress = entries.iter().find_map(|(k, v)| match v {
                Value::Array(items) if k == "durations" => Some(items),
                _ => None,
            });
            match cypress {
                Some(items) => Ok((Format::CypressSplit, cypress_split(items, roots, w))),
                None => durations(&source, &entries, roots, w).map(|s| (Format::DurationsJson, s)),
            }
        }
        Top::Array(items) => pairs(&source, &items, roots, w).map(|s| (Format::DurationsJson, s)),
        Top::Other(what) => Err(not_a_timing_file(&source, &format!("is {what}"))),
    }
}

/// The content of a marker string left by [`rewrite_non_finite`]: this prefix, then the token as written.
const NON_FINITE_MARK: &str = "\u{0}timeshard-non-finite:";
/// [`NON_FINITE_MARK`] as written inside a JSON string.
const NON_FINITE_MARK_JSON: &str = "\\u0000timeshard-non-finite:";

/// `text` with every bare `NaN`, `Infinity`, `-Infinity` and every number too large for an `f64` outside strings
/// replaced by the JSON string `"<NON_FINITE_MARK>token"`; `None` when there is none. Strings are skipped by their
/// quotes and backslash escapes; anything else is copied as it is (a syntax error stays one).
fn rewrite_non_finite(text: &str) -> Option<String> {
    let b = text.as_bytes();
    let mut out = String::new();
    let (mut copied, mut i) = (0, 0);
    while let Some(&c) = b.get(i) {
        match c {
            b'"' => {
                i += 1;
                while let Some(&c) = b.get(i) {
                    i += if c == b'\\' { 2 } else { 1 };
                    if c == b'"' {
                        break;
                    }
                }
            }
            b'N' | b'I' | b'-' | b'0'..=b'9' => {
                let len = b[i..]
                    .iter()
                    .position(|c| !(c.is_ascii_alphanumeric() || b"+-.".contains(c)))
                    .unwrap_or(b.len() - i);
                let token = &text[i..i + len];
                let numeric = token
                    .bytes()
                    .all(|c| c.is_ascii_digit() || b"+-.eE".contains(&c));
                let non_finite = matches!(token, "NaN" | "Infinity" | "-Infinity")
                    || (numeric && token.parse::<f64>().is_ok_and(f64::is_infinite));
                if non_finite {
                    out.push_str(&text[copied..i]);
                    out.push('"');
                    out.push_str(NON_FINITE_MARK_JSON);
                    out.push_str(token);
                    out.push('"');
                    copied = i + len;
                }
                i += len;
            }
            _ => i += 1,
        }
    }
    // `copied` moves past every rewritten token (at least one byte), so 0 means none was found.
    if copied == 0 {
        return None;
    }
    out.push_str(&text[copied..]);
    Some(out)
}

/// The token of a value [`rewrite_non_finite`] replaced (`NaN`, `-Infinity`, `1e400`).
fn non_finite(v: &Value) -> Option<&str> {
    v.as_str().and_then(|s| s.strip_prefix(NON_FINITE_MARK))
}

/// A value that is a number: its `f64` (NaN or ±∞ for a rewritten non-finite token; [`check_seconds`] then says
/// why it is unusable). `None` for anything else.
fn number_of(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => Some(n.as_f64().unwrap_or(f64::NAN)),
        _ => non_finite(v).map(|t| t.parse::<f64>().unwrap_or(f64::NAN)),
    }
}

/// A number as written in the file, for messages.
fn shown(v: &Value) -> String {
    match non_finite(v) {
        Some(token) => token.to_string(),
        None => printable(&v.to_string(), 40).into_owned(),
    }
}

/// One `id → seconds` entry: checked and added, or skipped with a warning that quotes the value as `written`.
fn add_entry(
    samples: &mut Samples,
    id: &str,
    secs: f64,
    roots: &[String],
    w: &mut Warnings,
    at: &dyn Fn() -> String,
    written: &dyn Fn() -> String,
) {
    match check_seconds(secs) {
        Ok(secs) => {
            let key = key_of(id, roots);
            samples.add(key, secs, w, &mut || at());
        }
        Err(why) => w.push(Kind::BadValue, &at(), || {
            format!("{} {why}; entry skipped", written())
        }),
    }
}

fn key_of(id: &str, roots: &[String]) -> TestKey {
    let (file_part, rest) = match id.find("::") {
        Some(i) => id.split_at(i),
        None => (id, ""),
    };
    let file = normalize_path_with(file_part, roots);
    let id = format!("{file}{rest}");
    TestKey { file, id }
}

fn entry_at(id: &str) -> String {
    format!("entry \"{}\"", printable(id, 120))
}

/// `{"id": seconds}` (pytest-split, conda, Knapsack).
fn durations(
    source: &str,
    entries: &[(String, Value)],
    roots: &[String],
    w: &mut Warnings,
) -> Result<Samples> {
    let mut samples = Samples::new();
    let mut numbers = 0;
    for (id, value) in entries {
        let at = || entry_at(id);
        match number_of(value) {
            Some(secs) => {
                numbers += 1;
                add_entry(&mut samples, id, secs, roots, w, &at, &|| shown(value));
            }
            None => w.push(Kind::BadValue, &at(), || {
                format!(
                    "value is {} ({}), not a number of seconds; entry skipped",
                    kind_of(value),
                    printable(&value.to_string(), 40)
                )
            }),
        }
    }
    if numbers == 0 && !entries.is_empty() {
        return Err(not_a_timing_file(source, "object has no numeric values"));
    }
    if entries.is_empty() {
        w.push(Kind::Note, "", || "the file has no entries".to_string());
    }
    Ok(samples)
}

/// `[["id", seconds], …]` (pytest-split before 0.3).
fn pairs(source: &str, items: &[Value], roots: &[String], w: &mut Warnings) -> Result<Samples> {
    let mut samples = Samples::new();
    let mut good = 0;
    for (i, item) in items.iter().enumerate() {
        let at = || format!("item {}", i + 1);
        match item.as_array().map(Vec::as_slice) {
            Some([Value::String(id), value]) if number_of(value).is_some() => {
                good += 1;
                let secs = number_of(value).unwrap_or(f64::NAN);
                add_entry(&mut samples, id, secs, roots, w, &at, &|| shown(value));
            }
            _ => w.push(Kind::BadValue, &at(), || {
                format!(
                    "expected [\"test id\", seconds], got {}; item skipped",
                    printable(&item.to_string(), 60)
                )
            }),
        }
    }
    if good == 0 && !items.is_empty() {
        return Err(not_a_timing_file(
            source,
            "array has no [\"id\", seconds] pairs",
        ));
    }
    if items.is_empty() {
        return Err(not_a_timing_file(source, "array is empty"));
    }
    Ok(samples)
}

/// cypress-split: `{"durations": [{"spec": "…", "duration": ms}]}`.
fn cypress_split(items: &[Value], roots: &[String], w: &mut Warnings) -> Samples {
    let mut samples = Samples::new();
    for (i, item) in items.iter().enumerate() {
        let spec = item.get("spec").and_then(Value::as_str);
        let at = || match spec {
            Some(s) => format!("durations[{i}] \"{}\"", printable(s, 120)),
            None => format!("durations[{i}]"),
        };
        let Some(spec) = spec else {
            w.push(Kind::NoName, &at(), || {
                "no \"spec\" string; entry skipped".to_string()
            });
            continue;
        };
        let duration = item.get("duration");
        match duration.and_then(number_of) {
            Some(ms) => {
                let written = || format!("duration {} ms", duration.map(shown).unwrap_or_default());
                add_entry(&mut samples, spec, ms / 1000.0, roots, w, &at, &written);
            }
            None => match duration {
                Some(Value::Null) | None => w.push(Kind::BadValue, &at(), || {
                    "duration is null (not timed yet); entry skipped".to_string()
                }),
                Some(other) => w.push(Kind::BadValue, &at(), || {
                    format!(
                        "duration is {}, not milliseconds; entry skipped",
                        kind_of(other)
                    )
                }),
            },
        }
    }
    samples
}

#[cfg(test)]
mod tests {
    use crate::report::{parse, Format, ParseOptions};

    fn run(json: &str) -> (Format, Vec<(String, f64)>, Vec<String>) {
        let r = parse(
            "t.json",
            json.as_bytes(),
            &ParseOptions {
                roots: vec!["/w".into()],
            },
        )
        .unwrap_or_else(|e| panic!("{json}: {e}"));
        (
            r.format,
            r.samples
                .into_iter()
                .map(|s| (s.key.id, s.seconds))
                .collect(),
            r.warnings,
        )
    }

    /// (id, seconds) expected in order.
    type Want = Vec<(&'static str, f64)>;

    #[test]
    fn successes() {
        let cases: Vec<(&str, Format, Want, usize)> = vec![
            // pytest-split: file order kept (not sorted), paths normalised.
            ("{\"b.py::t\": 1.25, \"a.py::T::t[x]\": 0.5, \"/w/c.py::t\": 3}", Format::DurationsJson, vec![("b.py::t", 1.25), ("a.py::T::t[x]", 0.5), ("c.py::t", 3.0)], 0),
            // Knapsack: files.
            ("{\"spec/a_spec.rb\": 10.5,\n  \"./spec/b_spec.rb\": 1}", Format::DurationsJson, vec![("spec/a_spec.rb", 10.5), ("spec/b_spec.rb", 1.0)], 0),
            // Bad values skipped, the rest kept.
            ("{\"a\": \"1\", \"b\": null, \"c\": true, \"d\": [1], \"e\": {\"x\": 1}, \"f\": -1, \"g\": 1e300, \"h\": 2}", Format::DurationsJson, vec![("h", 2.0)], 7),
            // Old pytest-split list layout.
            ("[[\"a.py::t\", 1], [\"b.py::t\", \"x\"], 5, [\"c.py::t\", 2, 3]]", Format::DurationsJson, vec![("a.py::t", 1.0)], 3),
            // cypress-split: milliseconds; null skipped with a warning.
            ("{\"durations\": [{\"spec\": \"cypress/e2e/a.cy.js\", \"duration\": 1500}, {\"spec\": \"cypress/e2e/b.cy.js\", \"duration\": null}, {\"duration\": 5}, {\"spec\": \"c.cy.js\", \"duration\": \"9\"}]}",
             Format::CypressSplit, vec![("cypress/e2e/a.cy.js", 1.5)], 3),
            ("{\"durations\": []}", Format::CypressSplit, vec![], 0),
            ("{}", Format::DurationsJson, vec![], 1),
            // Duplicate keys are summed.
            ("{\"a\": 1, \"a\": 2}", Format::DurationsJson, vec![("a", 3.0)], 0),
            // Python's NaN / Infinity and out-of-range numbers: that entry skipped, the rest kept; the same words
            // inside strings (keys, escaped quotes) untouched.
            ("{\"x::NaN\": 1, \"y\": Infinity, \"z\\\"NaN\": -Infinity, \"w\": NaN,\n\"v\": 1e400, \"u\": -1E+999, \"t\": 1e-400}",
             Format::DurationsJson, vec![("x::NaN", 1.0), ("t", 0.0)], 5),
            ("{\"a\": NaN}", Format::DurationsJson, vec![], 1),
            ("[[\"a.py::t\", NaN], [\"b.py::t\", 2], [\"c.py::t\", 1e999]]", Format::DurationsJson, vec![("b.py::t", 2.0)], 2),
            ("{\"durations\": [{\"spec\": \"a.cy.js\", \"duration\": Infinity}, {\"spec\": \"b.cy.js\", \"duration\": 500}]}",
             Format::CypressSplit, vec![("b.cy.js", 0.5)], 1),
        ];
        for (json, format, want, n_warn) in cases {
            let (f, got, warnings) = run(json);
            let want: Vec<(String, f64)> =
                want.into_iter().map(|(i, s)| (i.to_string(), s)).collect();
            assert_eq!((f, &got), (format, &want), "{json}");
            assert_eq!(warnings.len(), n_warn, "{json}: {warnings:?}");
            assert!(
                warnings.iter().all(|w| w.starts_with("report t.json")),
                "{warnings:?}"
            );
        }
    }

    #[test]
    fn warning_texts() {
        let (_, _, w) = run("{\"tests/a.py::t\": \"abc\", \"b\": -2, \"ok\": 1}");
        assert_eq!(
            w,
            vec![
                "report t.json, entry \"tests/a.py::t\": value is a string (\"abc\"), not a number of seconds; entry skipped",
                "report t.json, entry \"b\": -2 is negative; entry skipped",
            ]
        );
        let (_, _, w) = run("{\"durations\": [{\"spec\": \"x.cy.js\", \"duration\": null}]}");
        assert_eq!(w, vec!["report t.json, durations[0] \"x.cy.js\": duration is null (not timed yet); entry skipped"]);
        let (_, _, w) = run("{\"a\": NaN, \"b\": -Infinity, \"c\": 1e400, \"d\": 2e6}");
        assert_eq!(
            w,
            vec![
                "report t.json, entry \"a\": NaN is not a number; entry skipped",
                "report t.json, entry \"b\": -Infinity is infinite; entry skipped",
                "report t.json, entry \"c\": 1e400 is infinite; entry skipped",
                "report t.json, entry \"d\": 2000000.0 is larger than 1000000 s; entry skipped",
            ]
        );
        let (_, _, w) = run("{\"durations\": [{\"spec\": \"x.cy.js\", \"duration\": NaN}]}");
        assert_eq!(w, vec!["report t.json, durations[0] \"x.cy.js\": duration NaN ms is not a number; entry skipped"]);
    }

    #[test]
    fn failures() {
        let cases = [
            ("{\"name\": \"x\", \"version\": \"1\"}", "report t.json: not a timing file: JSON object has no numeric values; accepted formats"),
            ("[]", "report t.json: not a timing file: JSON array is empty"),
            ("[1, 2]", "report t.json: not a timing file: JSON array has no [\"id\", seconds] pairs"),
            ("{\"a\": 1,}", "report t.json, line 1, column 9: invalid JSON: trailing comma"),
            // Near misses of Python's tokens are not rewritten: the strict error stands.
            ("{\"a\": NaNa}", "report t.json, line 1, column 7: invalid JSON: expected value"),
            ("{\"a\": nan}", "report t.json, line 1, column 8: invalid JSON: expected ident"),
            // After a rewrite the line is right; the column (moved by the rewrite) is left out.
            ("{\"a\": NaN,\n \"b\": 1,}", "report t.json, line 2: invalid JSON: trailing comma"),
            ("[[\"a\", 1]] x", "report t.json, line 1, column 12: invalid JSON: trailing characters"),
        ];
        for (json, want) in cases {
            let err = parse("t.json", json.as_bytes(), &ParseOptions::default())
                .expect_err(json)
                .to_string();
            assert!(err.starts_with(want), "{json}: {err}");
        }
    }
}
