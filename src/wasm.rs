//! The wasm-bindgen door: each export deserializes a plain JS object, calls [`crate::api`], and serializes the
//! result with `Serializer::json_compatible()` (plain objects and arrays, no `Map`s). Errors cross once, here, as a
//! `JsError` carrying the core's message. Nothing else lives here; the core is tested natively.
//!
//! The requests are the fields of [`JsPlanRequest`], [`JsRecordRequest`] and [`JsActualsRequest`] (the shim,
//! `js/engine.js`, builds them). A report or timing file is `{ name, data }` (bytes, copied in) or, for `plan`,
//! `{ name, file }`, the index of a [`FileBytes`] passed with the request (already in the module's memory).

use serde::{Deserialize, Serialize};
use serde_wasm_bindgen::Serializer;
use wasm_bindgen::prelude::*;

use crate::api::{self, PlanRequest, RecordRequest, Source};
use crate::plan::{PlanOptions, RequestedWorkers, Workers};
use crate::{Error, Granularity};

/// A report or timing file in a request: its bytes inline (`data`, copied into the module), or the index of a
/// [`FileBytes`] passed next to the request (`file`, already in the module's memory).
#[derive(Deserialize)]
struct JsSource {
    name: String,
    #[serde(default, with = "serde_bytes")]
    data: Option<Vec<u8>>,
    #[serde(default)]
    file: Option<usize>,
}

/// The sources of a request, each with its bytes; `files` are the [`FileBytes`] passed with it (each used once). A
/// source without bytes is the shim's mistake, not the user's: a plain error, not an input error.
fn sources(js: Vec<JsSource>, files: &mut [Option<Vec<u8>>]) -> Result<Vec<Source>, String> {
    js.into_iter()
        .map(|s| {
            let data = match (s.data, s.file) {
                (Some(data), None) => data,
                (None, Some(i)) => files.get_mut(i).and_then(Option::take).ok_or_else(|| {
                    format!("`{}`: file {i} was not passed or is used twice", s.name)
                })?,
                _ => {
                    return Err(format!(
                        "`{}`: give exactly one of `data` and `file`",
                        s.name
                    ))
                }
            };
            Ok(Source { name: s.name, data })
        })
        .collect()
}

/// A file's bytes in the module's memory. The shim reads a large report straight into it (`new FileBytes(size)`,
/// then a view of `size` bytes of `memory` at `ptr()`) and passes it to [`plan`], instead of handing over a JS
/// buffer that is copied in: on the scale suite's 47 MB that copy took ~35 ms, and the JS buffer ~12k page faults.
#[wasm_bindgen]
pub struct FileBytes {
    data: Vec<u8>,
}

#[wasm_bindgen]
impl FileBytes {
    /// `len` zero bytes; an error if the module cannot grow that much.
    #[wasm_bindgen(constructor)]
    pub fn new(len: usize) -> Result<FileBytes, JsError> {
        let mut data = Vec::new();
        data.try_reserve_exact(len)
            .map_err(|_| js_err(format!("cannot allocate {len} bytes for a file")))?;
        data.resize(len, 0);
        Ok(FileBytes { data })
    }

    /// Where the bytes start in the module's memory.
    pub fn ptr(&self) -> *const u8 {
        self.data.as_ptr()
    }

    /// Keeps the first `len` bytes (the file was shorter when read than when sized).
    pub fn truncate(&mut self, len: usize) {
        self.data.truncate(len);
    }
}

#[derive(Deserialize)]
struct JsPlanRequest {
    #[serde(default)]
    tests: Option<Vec<String>>,
    #[serde(default)]
    sizes: Option<Vec<Option<f64>>>,
    #[serde(default)]
    timings: Vec<JsSource>,
    #[serde(default, with = "serde_bytes")]
    store: Option<Vec<u8>>,
    #[serde(default)]
    granularity: Option<String>,
    #[serde(default)]
    workers: Option<RequestedWorkers>,
    #[serde(default)]
    target_seconds: Option<f64>,
    #[serde(default)]
    job_overhead_seconds: Option<f64>,
    #[serde(default)]
    max_workers: Option<f64>,
    #[serde(default)]
    roots: Vec<String>,
}

#[derive(Deserialize)]
struct JsRecordRequest {
    #[serde(default, with = "serde_bytes")]
    store: Option<Vec<u8>>,
    #[serde(default)]
    reports: Vec<JsSource>,
    #[serde(default)]
    roots: Vec<String>,
    #[serde(default)]
    prune_after_runs: Option<f64>,
}

#[derive(Deserialize)]
struct JsActualsRequest {
    groups: Vec<Vec<String>>,
    #[serde(default)]
    reports: Vec<JsSource>,
    #[serde(default)]
    roots: Vec<String>,
    #[serde(default)]
    granularity: Option<String>,
}

#[derive(Serialize)]
struct JsRecordResult<'a> {
    store: &'a str,
    summary: &'a api::RecordSummary,
}

/// Defaults shared with action.yml (keep in sync): auto workers, 300 s target, 60 s overhead, 20 workers max, prune after 30 runs.
const DEFAULT_TARGET_SECONDS: f64 = 300.0;
const DEFAULT_JOB_OVERHEAD_SECONDS: f64 = 60.0;
const DEFAULT_MAX_WORKERS: usize = 20;
const DEFAULT_PRUNE_AFTER_RUNS: u64 = crate::store::DEFAULT_PRUNE_AFTER_RUNS;

fn js_err(e: impl std::fmt::Display) -> JsError {
    JsError::new(&e.to_string())
}

/// A count option from JS: a whole number in range, else an input error naming `name`.
fn count(value: f64, name: &str) -> Result<usize, Error> {
    if value.is_finite() && value >= 0.0 && value.fract() == 0.0 && value <= u32::MAX as f64 {
        Ok(value as usize)
    } else {
        Err(Error::input(
            name,
            format!("expected a whole number, got `{value}`"),
        ))
    }
}

/// The `granularity` field of a request: absent or empty means file.
fn parse_granularity(g: Option<&str>) -> Result<Granularity, Error> {
    match g {
        None | Some("") => Ok(Granularity::File),
        Some(g) => g.parse(),
    }
}

fn plan_request(js: JsPlanRequest, timings: Vec<Source>) -> Result<PlanRequest, Error> {
    let granularity = parse_granularity(js.granularity.as_deref())?;
    let max_workers = match js.max_workers {
        Some(m) => count(m, "max-workers")?,
        None => DEFAULT_MAX_WORKERS,
    };
    let workers = Workers::from_request(
        js.workers.unwrap_or(RequestedWorkers::Auto),
        js.target_seconds.unwrap_or(DEFAULT_TARGET_SECONDS),
        max_workers,
    );
    let options = PlanOptions::new(
        workers,
        js.job_overhead_seconds
            .unwrap_or(DEFAULT_JOB_OVERHEAD_SECONDS),
        granularity,
    );
    Ok(PlanRequest {
        tests: js.tests,
        sizes: js.sizes.unwrap_or_default(),
        timings,
        store: js.store,
        roots: js.roots,
        options,
    })
}

/// Wasm heap to reserve per byte of input (reports and store) before the core runs. Measured natively on the 47 MB
/// scale suite (`/usr/bin/time -f %M` around `examples/profile_plan`, less the input it holds): a file-granularity
/// plan works in ~1.9 bytes per input byte, a record in ~3.6, a test-granularity plan in ~4.
const HEAP_PER_INPUT_BYTE: usize = 4;

/// The most reserved up front (the heap still grows past it on demand).
const MAX_HEAP_RESERVE: usize = 1 << 30;

/// Grows the wasm heap once by about what a call on `input_bytes` of data will use, so the allocator does not grow
/// it in thousands of small steps: each `memory.grow` replaces the memory's ArrayBuffer, and V8 answers a long run of
/// them with full garbage collections (~200 on the 47 MB scale suite, more than the work itself). Best effort: if
/// the memory cannot grow that far, nothing is reserved.
fn reserve_heap(input_bytes: usize) {
    let want = input_bytes
        .saturating_mul(HEAP_PER_INPUT_BYTE)
        .min(MAX_HEAP_RESERVE);
    let mut block: Vec<u8> = Vec::new();
    // Allocated and freed at once: the allocator keeps the freed block and serves the call's allocations from it.
    let _ = std::hint::black_box(block.try_reserve_exact(want));
    drop(std::hint::black_box(block));
}

/// Splits tests into groups. `request`: a [`JsPlanRequest`]; `files`: the [`FileBytes`] its timing
/// files refer to by index (they are consumed). Returns the plan object.
#[wasm_bindgen]
pub fn plan(request: JsValue, files: Vec<FileBytes>) -> Result<JsValue, JsError> {
    let mut files = taken(files);
    let mut js: JsPlanRequest = serde_wasm_bindgen::from_value(request)
        .map_err(|e| js_err(format!("plan request: {e}")))?;
    let timings = sources(std::mem::take(&mut js.timings), &mut files)
        .map_err(|e| js_err(format!("plan request: {e}")))?;
    let req = plan_request(js, timings).map_err(js_err)?;
    drop(files);
    reserve_heap(
        req.timings.iter().map(|t| t.data.len()).sum::<usize>()
            + req.store.as_ref().map_or(0, Vec::len),
    );
    let plan = api::plan_owned(req).map_err(js_err)?;
    plan.serialize(&Serializer::json_compatible())
        .map_err(js_err)
}

/// The [`FileBytes`] passed with a request, each to be taken once by [`sources`].
fn taken(files: Vec<FileBytes>) -> Vec<Option<Vec<u8>>> {
    files.into_iter().map(|f| Some(f.data)).collect()
}

/// Merges one run's reports into the timing store; `files`: the [`FileBytes`] its reports refer to by index.
/// Returns `{ store, summary }`.
#[wasm_bindgen]
pub fn record(request: JsValue, files: Vec<FileBytes>) -> Result<JsValue, JsError> {
    let mut files = taken(files);
    let js: JsRecordRequest = serde_wasm_bindgen::from_value(request)
        .map_err(|e| js_err(format!("record request: {e}")))?;
    let prune_after_runs = match js.prune_after_runs {
        Some(p) => count(p, "prune-after-runs").map_err(js_err)? as u64,
        None => DEFAULT_PRUNE_AFTER_RUNS,
    };
    let req = RecordRequest {
        store: js.store,
        reports: sources(js.reports, &mut files).map_err(js_err)?,
        roots: js.roots,
        prune_after_runs,
    };
    reserve_heap(
        req.reports.iter().map(|r| r.data.len()).sum::<usize>()
            + req.store.as_ref().map_or(0, Vec::len),
    );
    let result = api::record(&req).map_err(js_err)?;
    JsRecordResult {
        store: &result.store,
        summary: &result.summary,
    }
    .serialize(&Serializer::json_compatible())
    .map_err(js_err)
}

/// Each group's time in the run that executed the plan, from that run's reports (`files`: the [`FileBytes`] they
/// refer to by index): `[{ seconds, missing }]`.
#[wasm_bindgen]
pub fn actuals(request: JsValue, files: Vec<FileBytes>) -> Result<JsValue, JsError> {
    let mut files = taken(files);
    let js: JsActualsRequest = serde_wasm_bindgen::from_value(request)
        .map_err(|e| js_err(format!("actuals request: {e}")))?;
    let granularity = parse_granularity(js.granularity.as_deref()).map_err(js_err)?;
    let req = api::ActualsRequest {
        groups: js.groups,
        reports: sources(js.reports, &mut files).map_err(js_err)?,
        roots: js.roots,
        granularity,
    };
    reserve_heap(req.reports.iter().map(|r| r.data.len()).sum::<usize>());
    api::actuals(&req)
        .serialize(&Serializer::json_compatible())
        .map_err(js_err)
}

/// The core's version (the crate version).
#[wasm_bindgen]
pub fn version() -> String {
    env!("CARGO_PKG_VERSION").to_string()
}
