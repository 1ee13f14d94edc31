//! Structured inputs for the API targets: ids, numbers, timing files in every format and stores, drawn from small
//! pools so that discovered tests, timings and the store overlap.

use arbitrary::{Arbitrary, Unstructured};
use timeshard::report::Sample;
use timeshard::store::{RecordOptions, Store};
use timeshard::TestKey;

pub const ROOT: &str = "/home/runner/work/r/r";

/// Files as discovery and reports spell them: relative, `./`, absolute under the root, backslashes, odd.
pub const FILES: &[&str] = &[
    "tests/test_a.py",
    "./tests/test_a.py",
    "/home/runner/work/r/r/tests/test_a.py",
    "tests\\test_b.py",
    "backend/tests/test_a.py",
    "spec/models/user_spec.rb",
    "pkg/x",
    "",
    "a:b.rb",
    "tests//test_c.py/",
    "é/ü.py",
];
pub const SEGMENTS: &[&str] = &[
    "TestClass",
    "test_one",
    "test_two[1-2]",
    "",
    "TestX/sub",
    "a b",
    "::",
    "[ünï]",
];
pub const NUMBERS: &[f64] = &[
    0.0,
    -0.0,
    0.001,
    0.5,
    1.0,
    2.5,
    37.0,
    600.0,
    1e6,
    1e7,
    -1.0,
    f64::NAN,
    f64::INFINITY,
    f64::NEG_INFINITY,
    1e-300,
    5e-324,
    1e308,
    f64::MAX,
];

/// A number from the interesting pool, or any bit pattern.
#[derive(Debug, Clone, Copy)]
pub struct Num(pub f64);
impl<'a> Arbitrary<'a> for Num {
    fn arbitrary(u: &mut Unstructured<'a>) -> arbitrary::Result<Self> {
        Ok(Num(if u.ratio(1, 8)? {
            f64::arbitrary(u)?
        } else {
            *u.choose(NUMBERS)?
        }))
    }
}

/// A test id built from the pools (so that tests, timings and the store overlap), or any string.
#[derive(Debug, Clone)]
pub struct Id(pub String);
impl<'a> Arbitrary<'a> for Id {
    fn arbitrary(u: &mut Unstructured<'a>) -> arbitrary::Result<Self> {
        if u.ratio(1, 16)? {
            return Ok(Id(String::arbitrary(u)?));
        }
        let mut id = u.choose(FILES)?.to_string();
        for _ in 0..u.int_in_range(0..=3)? {
            id.push_str("::");
            id.push_str(u.choose(SEGMENTS)?);
        }
        Ok(Id(id))
    }
}

/// A timing file: raw bytes, or entries rendered in one of the formats.
#[derive(Debug, Arbitrary)]
pub enum Timing {
    Raw(Vec<u8>),
    Durations(Vec<(Id, Num)>),
    Cypress(Vec<(Id, Option<Num>)>),
    Log(Vec<(Id, Num)>),
    Junit {
        suite_time: Option<Num>,
        cases: Vec<(Id, Option<Id>, Num)>,
    },
}

/// The restored store: raw bytes, or recorded from runs of samples.
#[derive(Debug, Arbitrary)]
pub enum StoreInput {
    Raw(Vec<u8>),
    Runs {
        runs: Vec<Vec<Vec<(Id, Num)>>>,
        prune_after_runs: u8,
    },
}

pub fn json_str(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_default()
}

pub fn json_num(x: f64) -> String {
    if x.is_finite() {
        format!("{x:e}")
    } else {
        // Not JSON; the parser must cope.
        format!("{x}")
    }
}

pub fn xml_attr(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('"', "&quot;")
        .replace('<', "&lt;")
}

pub fn render(t: &Timing) -> (String, Vec<u8>) {
    match t {
        Timing::Raw(b) => ("raw".into(), b.clone()),
        Timing::Durations(entries) => {
            let body: Vec<String> = entries
                .iter()
                .map(|(id, n)| format!("{}: {}", json_str(&id.0), json_num(n.0)))
                .collect();
            (
                ".test_durations".into(),
                format!("{{{}}}", body.join(",\n")).into_bytes(),
            )
        }
        Timing::Cypress(entries) => {
            let body: Vec<String> = entries
                .iter()
                .map(|(id, n)| {
                    let d = n.map_or("null".to_string(), |n| json_num(n.0 * 1000.0));
                    format!("{{\"spec\": {}, \"duration\": {d}}}", json_str(&id.0))
                })
                .collect();
            (
                "timings.json".into(),
                format!("{{\"durations\": [{}]}}", body.join(",")).into_bytes(),
            )
        }
        Timing::Log(entries) => {
            let lines: Vec<String> = entries
                .iter()
                .map(|(id, n)| format!("{}:{}", id.0, n.0))
                .collect();
            (
                "parallel_runtime_rspec.log".into(),
                lines.join("\n").into_bytes(),
            )
        }
        Timing::Junit { suite_time, cases } => {
            let mut xml =
                String::from("<?xml version=\"1.0\"?>\n<testsuites><testsuite name=\"s\"");
            if let Some(t) = suite_time {
                xml.push_str(&format!(" time=\"{}\"", t.0));
            }
            xml.push('>');
            for (name, file, secs) in cases {
                xml.push_str(&format!(
                    "<testcase name=\"{}\" time=\"{}\"",
                    xml_attr(&name.0),
                    secs.0
                ));
                if let Some(f) = file {
                    xml.push_str(&format!(" file=\"{}\"", xml_attr(&f.0)));
                }
                xml.push_str("/>\n");
            }
            xml.push_str("</testsuite></testsuites>\n");
            ("junit.xml".into(), xml.into_bytes())
        }
    }
}

pub fn store_bytes(s: &StoreInput) -> Vec<u8> {
    match s {
        StoreInput::Raw(b) => b.clone(),
        StoreInput::Runs {
            runs,
            prune_after_runs,
        } => {
            let mut store = Store::new();
            let opts = RecordOptions {
                prune_after_runs: u64::from(*prune_after_runs % 12),
            };
            for run in runs {
                let reports: Vec<Vec<Sample>> = run
                    .iter()
                    .map(|r| {
                        r.iter()
                            .map(|(id, n)| Sample {
                                key: TestKey::from_id(&id.0, &[]),
                                seconds: n.0,
                            })
                            .collect()
                    })
                    .collect();
                let summary = store.record_run(&reports, &opts);
                assert_eq!(summary.tests, store.len());
                assert_eq!(summary.recorded, summary.new_tests + summary.updated_tests);
            }
            store.to_json().into_bytes()
        }
    }
}
