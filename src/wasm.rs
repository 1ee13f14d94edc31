//! The wasm-bindgen door: each export deserializes a plain JS object, calls [`crate::api`], and serializes the
//! result with `Serializer::json_compatible()` (plain objects and arrays, no `Map`s) — except [`plan`], whose result
//! crosses as JSON text (see there). Errors cross once, here, as a `JsError` carrying the core's message. Nothing
//! else lives here; the core is tested natively.
//!
//! The requests are the fields of [`JsPlanRequest`] and [`JsRecordRequest`] (the shim,
//! `js/engine.js`, builds them). A report or timing file is `{ name, data }` (bytes, copied in) or
//! `{ name, read, size }`: the index by which the [`FileReader`] passed with the request reads it straight into the
//! module's memory when the core gets to it ([`Sources`]).

use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};
use serde_wasm_bindgen::Serializer;
use wasm_bindgen::prelude::*;

use crate::api::{self, PlanRequest, RecordRequest, Source};
use crate::plan::{Plan, PlanOptions, RequestedWorkers, Workers};
use crate::report::{Input, ParseOptions, ParsedReport};
use crate::test_id::IdRef;
use crate::{Error, Granularity};

/// A report or timing file in a request: its bytes inline (`data`, copied into the module), or `read`, the index
/// the shim's [`FileReader`] knows the file by (read straight into the module's memory when its turn comes);
/// `size` is the shim's estimate of its length, used only to size the heap.
#[derive(Deserialize)]
struct JsSource {
    name: String,
    #[serde(default, with = "serde_bytes")]
    data: Option<Vec<u8>>,
    #[serde(default)]
    read: Option<u32>,
    #[serde(default)]
    size: Option<f64>,
}

#[wasm_bindgen]
extern "C" {
    /// The shim's file reader (`js/engine.js`). `size(i)` opens file `i` and gives its length, or −1 when it cannot
    /// (the shim keeps the reason and reports it); `read(i, ptr, len)` reads up to `len` bytes of it into the
    /// module's memory at `ptr`, closes it and gives the number read, or −1.
    pub type FileReader;
    #[wasm_bindgen(method)]
    fn size(this: &FileReader, index: u32) -> f64;
    #[wasm_bindgen(method)]
    fn read(this: &FileReader, index: u32, ptr: u32, len: u32) -> f64;
    /// The length of report `index` as another instance parsed it ([`parse_report`], the shim's parse threads),
    /// or −1 when this instance is to read and parse the file itself. Asked once per report, before `size`.
    #[wasm_bindgen(method)]
    fn parsed(this: &FileReader, index: u32) -> f64;
    /// Copies that parsed form (`len` bytes, as `parsed` said) into the module's memory at `ptr`; the bytes copied.
    #[wasm_bindgen(method, js_name = readParsed)]
    fn read_parsed(this: &FileReader, index: u32, ptr: u32, len: u32) -> f64;
}

/// The sources of a request, read when the core gets to each one. A plan or a record parses a file before the
/// next is read, and every file is read into the same buffer: memory the module already has. Fresh pages are what
/// large inputs cost most: on the scale suite's 47 MB of reports, holding them all at once took ~10k more page
/// faults (~3.4 µs each on a CI-sized VM). A source with neither `data` nor a reader is the shim's mistake, not the
/// user's: it ends the call with `Err` from `problem`. Files the shim could not read are left out (it says why); a
/// file the module cannot hold is left out with a warning in `warnings`.
struct Sources<'r> {
    js: Vec<JsSource>,
    reader: Option<&'r FileReader>,
    problem: Option<String>,
    warnings: Vec<String>,
}

/// A file size the shim expects (`size` of a [`JsSource`]), 0 when absent or not a size.
fn hinted(size: Option<f64>) -> usize {
    match size {
        Some(n) if n.is_finite() && n > 0.0 => n as usize,
        _ => 0,
    }
}

impl<'r> Sources<'r> {
    fn new(js: Vec<JsSource>, reader: Option<&'r FileReader>) -> Self {
        Sources {
            js,
            reader,
            problem: None,
            warnings: Vec::new(),
        }
    }

    /// Input bytes the shim expects (heap sizing only).
    fn expected_bytes(js: &[JsSource]) -> usize {
        js.iter()
            .map(|s| s.data.as_ref().map_or(hinted(s.size), Vec::len))
            .sum()
    }

    /// Calls `each` with every source's name and content, in order (stops at a shim mistake, see `problem`): the
    /// report as another instance parsed it when the reader has that, else the file's bytes. Files are read into
    /// one buffer, reused from file to file (a plan and a record parse each file before asking for the next).
    fn feed(&mut self, each: &mut dyn FnMut(&str, Input<'_>)) {
        let mut buf = Vec::new();
        // Sized once for the largest file the shim expects (best effort: `read` sizes it otherwise).
        let largest = self
            .js
            .iter()
            .filter(|s| s.read.is_some())
            .map(|s| hinted(s.size))
            .max();
        let _ = buf.try_reserve_exact(largest.unwrap_or(0));
        for s in std::mem::take(&mut self.js) {
            let name = s.name.clone();
            if let Some(parsed) = self.parsed(&s, &mut buf) {
                each(&name, Input::Parsed(parsed));
                continue;
            }
            if self.load(s, &mut buf, crate::limits::MAX_REPORT_BYTES) {
                each(&name, Input::Bytes(&buf));
            }
            if self.problem.is_some() {
                return;
            }
        }
    }

    /// Source `s` as another instance parsed it, if the reader has it. A form that does not decode (a bug, not the
    /// user's) leaves the file to be read and parsed here, with a warning: nothing is lost.
    /// The form is copied into `buf`, the buffer files are read into (it is decoded into memory of its own).
    fn parsed(&mut self, s: &JsSource, buf: &mut Vec<u8>) -> Option<ParsedReport> {
        let (Some(i), Some(reader)) = (s.read, self.reader) else {
            return None;
        };
        let len = reader.parsed(i);
        if !(len.is_finite() && len >= 0.0 && fit(buf, len as usize)) {
            return None;
        }
        let n = reader.read_parsed(i, buf.as_mut_ptr() as usize as u32, len as u32);
        let decoded = if n == len {
            ParsedReport::decode(buf)
        } else {
            Err(format!("{n} of {len} bytes copied"))
        };
        match decoded {
            Ok(parsed) => Some(parsed),
            Err(why) => {
                self.warnings.push(format!(
                    "file {:?}: its parse in a worker thread was unreadable ({why}); parsed again here",
                    s.name
                ));
                None
            }
        }
    }

    /// The bytes of source `s` into `buf`: its `data` (moved there), or the file read through the reader, to
    /// `limit` + 1 bytes at most (past its limit a parser refuses a file with a warning naming the limit: one
    /// byte more is all it needs to see, whatever the file has grown to since the shim matched it). `false` when
    /// it is left out (a warning, or `problem` for a mistake of the shim's).
    fn load(&mut self, s: JsSource, buf: &mut Vec<u8>, limit: usize) -> bool {
        match (s.data, s.read, self.reader) {
            (Some(data), None, _) => {
                *buf = data;
                true
            }
            (None, Some(i), Some(reader)) => self.read(&s.name, reader, i, buf, limit),
            (None, Some(i), None) => {
                self.problem = Some(format!(
                    "`{}`: file {i} to read, but no reader was passed",
                    s.name
                ));
                false
            }
            _ => {
                self.problem = Some(format!(
                    "`{}`: give exactly one of `data` and `read`",
                    s.name
                ));
                false
            }
        }
    }

    /// Reads file `index` into `buf` (replacing what it held), `limit` + 1 bytes at most; `false` when it is left
    /// out.
    fn read(
        &mut self,
        name: &str,
        reader: &FileReader,
        index: u32,
        buf: &mut Vec<u8>,
        limit: usize,
    ) -> bool {
        let size = reader.size(index);
        if !(size.is_finite() && size >= 0.0) {
            return false;
        }
        let len = (size as usize).min(limit.saturating_add(1));
        if !fit(buf, len) {
            self.warnings.push(format!(
                "file {name:?}: {len} bytes do not fit in the core's memory; left out"
            ));
            // The shim opened the file for this read: a read of nothing closes it.
            reader.read(index, 0, 0);
            return false;
        }
        // Wasm pointers and lengths are 32-bit.
        let ptr = buf.as_mut_ptr() as usize as u32;
        let n = reader.read(index, ptr, len as u32);
        if !(n.is_finite() && n >= 0.0) {
            return false;
        }
        buf.truncate(n as usize);
        true
    }
}

/// Makes `buf` exactly `len` bytes long for bytes about to be copied in over it; `false` when the module's memory
/// cannot hold them. A buffer too small is replaced rather than grown (growing copies its whole old allocation), and
/// one large enough keeps its bytes instead of being zeroed again (zeroing a parsed report's form each time cost
/// ~7 ms of a plan from the scale suite).
fn fit(buf: &mut Vec<u8>, len: usize) -> bool {
    if buf.capacity() < len {
        *buf = Vec::new();
    }
    if buf
        .try_reserve_exact(len.saturating_sub(buf.len()))
        .is_err()
    {
        return false;
    }
    buf.truncate(len);
    buf.resize(len, 0);
    true
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
    /// The store as a file to read through the reader (instead of `store`).
    #[serde(default)]
    store_file: Option<JsSource>,
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
    /// The store as a file to read through the reader (instead of `store`).
    #[serde(default)]
    store_file: Option<JsSource>,
    #[serde(default)]
    reports: Vec<JsSource>,
    #[serde(default)]
    roots: Vec<String>,
    #[serde(default)]
    prune_after_runs: Option<f64>,
    /// The plan the run executed, to measure each group's actual time from the same reports.
    #[serde(default)]
    measure: Option<JsMeasure>,
}

/// The groups of a plan (each group's tests) and its granularity.
#[derive(Deserialize)]
struct JsMeasure {
    groups: Vec<Vec<String>>,
    #[serde(default)]
    granularity: Option<String>,
}

/// What `record` returns, with `store` (a `Uint8Array`) set on it afterwards.
#[derive(Serialize)]
struct JsRecordResult<'a> {
    summary: &'a api::RecordSummary,
    /// Per group of `measure`, in order: `{ seconds, missing }`; `null` without `measure`.
    actuals: Option<&'a [api::GroupActual]>,
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

/// Input bytes a list of test ids counts for (heap sizing only; discovered tests, or the groups of a plan to
/// measure): each id becomes a key (its file and id), a unit, a lookup and a plan entry, about twice its bytes
/// (plus its strings' overhead) in input-byte terms ([`TEST_HINT_FACTOR`]). Measured on the scale suite: a plan by
/// test covering its 201,355 ids had ~30 full collections of the JS heap while the heap grew past a reserve sized
/// for the store alone, 3 with this (`node --trace-gc`), and ran in 1.7 s instead of 2.0 s, at the same peak RSS.
fn tests_hint<'a>(tests: impl IntoIterator<Item = &'a String>) -> usize {
    tests
        .into_iter()
        .map(|id| id.len() + 48)
        .sum::<usize>()
        .saturating_mul(TEST_HINT_FACTOR)
}

/// See [`tests_hint`].
const TEST_HINT_FACTOR: usize = 2;

/// Bytes of the store of a request, given or expected (heap sizing only).
fn store_hint(bytes: Option<&Vec<u8>>, file: Option<&JsSource>) -> usize {
    bytes.map_or(0, Vec::len) + file.map_or(0, |f| hinted(f.size))
}

/// The store of a request: `bytes` as given, or `file` read through `reader` straight into the module's memory
/// (a 36 MB store was read into a JS buffer and copied in again: ~45 ms of a plan from the scale suite's store).
/// A file that cannot be read leaves the store out (the shim says why; a file too large for the module's memory
/// is a warning in `warnings`); a shim mistake is `Err`.
fn store_bytes(
    bytes: Option<Vec<u8>>,
    file: Option<JsSource>,
    reader: Option<&FileReader>,
    warnings: &mut Vec<String>,
) -> Result<Option<Vec<u8>>, String> {
    let Some(file) = file else {
        return Ok(bytes);
    };
    let mut sources = Sources::new(Vec::new(), reader);
    let mut buf = Vec::new();
    let read = sources.load(file, &mut buf, crate::limits::MAX_STORE_BYTES);
    if let Some(problem) = sources.problem {
        return Err(problem);
    }
    warnings.append(&mut sources.warnings);
    Ok(read.then_some(buf))
}

/// Splits tests into groups. `request`: a [`JsPlanRequest`]; `reader`: the [`FileReader`] for its timing files
/// given as `read` (each read in turn while the core parses: see [`Sources`]). Returns a [`PlanResult`] as JSON text,
/// which the shim parses: one string and V8's `JSON.parse` build the 16k–200k entries of a large plan faster than a
/// call across the boundary for each value (`node bench/wasm_plan.mjs`, the call and the parse, 6 alternating
/// processes each: median 294 → 256 ms by file, 587 → 563 ms by test on the scale suite).
#[wasm_bindgen]
pub fn plan(request: JsValue, reader: Option<FileReader>) -> Result<JsValue, JsError> {
    let mut js: JsPlanRequest = serde_wasm_bindgen::from_value(request)
        .map_err(|e| js_err(format!("plan request: {e}")))?;
    let timings = std::mem::take(&mut js.timings);
    let store_file = js.store_file.take();
    reserve_heap(
        Sources::expected_bytes(&timings)
            + store_hint(js.store.as_ref(), store_file.as_ref())
            + tests_hint(js.tests.iter().flatten()),
    );
    let mut left_out = Vec::new();
    js.store = store_bytes(js.store.take(), store_file, reader.as_ref(), &mut left_out)
        .map_err(|e| js_err(format!("plan request: {e}")))?;
    let req = plan_request(js, Vec::new()).map_err(js_err)?;
    let mut sources = Sources::new(timings, reader.as_ref());
    let plan = api::plan_detailed(&req, |each| {
        sources.feed(each);
    });
    if let Some(problem) = sources.problem {
        return Err(js_err(format!("plan request: {problem}")));
    }
    let (mut plan, detail) = plan.map_err(js_err)?;
    left_out.append(&mut sources.warnings);
    if !left_out.is_empty() {
        left_out.append(&mut plan.warnings);
        plan.warnings = left_out;
    }
    let tests = group_entries(&mut plan, req.tests.as_deref());
    let result = PlanResult {
        plan,
        tests,
        unsized_estimates: detail.unsized_estimates,
    };
    serde_json::to_string(&result)
        .map(|json| JsValue::from_str(&json))
        .map_err(js_err)
}

/// What [`plan`] returns: the plan, and with discovered tests in the request, each group's entries apart (in group
/// order; the plan's `tests` lists are then empty); and [`api::PlanDetail::unsized_estimates`] (the shim asks for
/// the tests' sizes only when a plan without them has some).
#[derive(Serialize)]
struct PlanResult {
    plan: Plan,
    tests: Option<Vec<Vec<PlanEntry>>>,
    unsized_estimates: usize,
}

/// A group entry as it crosses to the shim: the index of a discovered test of the request spelled exactly like the
/// entry (the usual case), or the entry itself (a unit coarser than the tests, or no tests in the request). The
/// shim puts the request's own strings back (`js/engine.js`): 200k ids are not made into JS strings a second time,
/// and the invariant guard then compares each entry with the very string it was discovered as.
#[derive(Serialize)]
#[serde(untagged)]
enum PlanEntry {
    Discovered(u32),
    Unit(String),
}

/// Takes the entries out of `plan`'s groups as [`PlanEntry`]s (see there), by the first index of each discovered id;
/// `None` (the plan left as it is) without discovered tests.
fn group_entries(plan: &mut Plan, tests: Option<&[String]>) -> Option<Vec<Vec<PlanEntry>>> {
    let tests = tests?;
    let mut index: FxHashMap<IdRef<'_>, u32> =
        FxHashMap::with_capacity_and_hasher(tests.len(), Default::default());
    for (i, t) in tests.iter().enumerate() {
        if let Ok(i) = u32::try_from(i) {
            index.entry(IdRef(t)).or_insert(i);
        }
    }
    let entries = plan.groups.iter_mut().map(|g| {
        std::mem::take(&mut g.tests)
            .into_iter()
            .map(|t| match index.get(&IdRef(&t)) {
                Some(&i) => PlanEntry::Discovered(i),
                None => PlanEntry::Unit(t),
            })
            .collect()
    });
    Some(entries.collect())
}

/// Merges one run's reports into the timing store; `reader`: the [`FileReader`] for its reports given as `read`.
/// With `measure` (the plan the run executed), also measures each of its groups from the same reading of the
/// reports: a plan whose granularity is unknown is not measured (a warning), recording goes on. Returns
/// `{ store, summary, actuals }`.
#[wasm_bindgen]
pub fn record(request: JsValue, reader: Option<FileReader>) -> Result<JsValue, JsError> {
    let js: JsRecordRequest = serde_wasm_bindgen::from_value(request)
        .map_err(|e| js_err(format!("record request: {e}")))?;
    let prune_after_runs = match js.prune_after_runs {
        Some(p) => count(p, "prune-after-runs").map_err(js_err)? as u64,
        None => DEFAULT_PRUNE_AFTER_RUNS,
    };
    reserve_heap(
        Sources::expected_bytes(&js.reports)
            + store_hint(js.store.as_ref(), js.store_file.as_ref())
            + tests_hint(js.measure.iter().flat_map(|m| m.groups.iter().flatten())),
    );
    let mut left_out = Vec::new();
    let store = store_bytes(js.store, js.store_file, reader.as_ref(), &mut left_out)
        .map_err(|e| js_err(format!("record request: {e}")))?;
    let req = RecordRequest {
        store,
        reports: Vec::new(),
        roots: js.roots,
        prune_after_runs,
    };
    let measure = js
        .measure
        .and_then(|m| match parse_granularity(m.granularity.as_deref()) {
            Ok(granularity) => Some(api::Measure {
                groups: m.groups,
                granularity,
            }),
            Err(e) => {
                left_out.push(format!("the plan was not compared with the reports: {e}"));
                None
            }
        });
    let mut sources = Sources::new(js.reports, reader.as_ref());
    let recorded = api::record_streaming(&req, measure.as_ref(), |each| {
        sources.feed(each);
    });
    if let Some(problem) = sources.problem {
        return Err(js_err(format!("record request: {problem}")));
    }
    // Files that could not be read first, then the plan comparison's warning (as before the reports streamed).
    sources.warnings.append(&mut left_out);
    let mut left_out = sources.warnings;
    let (mut result, actuals) = recorded.map_err(js_err)?;
    if !left_out.is_empty() {
        left_out.append(&mut result.summary.warnings);
        result.summary.warnings = left_out;
    }
    let out = JsRecordResult {
        summary: &result.summary,
        actuals: actuals.as_deref(),
    }
    .serialize(&Serializer::json_compatible())
    .map_err(js_err)?;
    // The store's JSON as UTF-8 bytes (a `Uint8Array`, one copy out of the module's memory): it is written to a
    // file as it is, and a JS string of a 36 MB store cost a decode here and an encode again when written (~70 ms
    // of recording the scale suite into its store).
    let store = js_sys::Uint8Array::from(result.store.as_bytes());
    js_sys::Reflect::set(&out, &JsValue::from_str("store"), &store)
        .map_err(|_| js_err("record: could not return the store"))?;
    Ok(out)
}

/// Parses one report for another instance of the module (the shim's parse threads): the outcome in
/// [`crate::report::parsed`]'s form, which that instance's [`FileReader`] hands to its `plan` or `record` in place
/// of the file. The file is `reader`'s file `index`, read straight into this module's memory as a plan reads its
/// files ([`Sources`]; `size` and `read` only): a thread's reports cost no JS buffer each and no copy into the
/// module, and one report's memory serves the next (~6 MB of fresh pages a report before, on the scale suite).
/// `None` when the file cannot be read or does not fit: the instance that asked reads it itself and says why.
/// `roots` as in a plan request.
#[wasm_bindgen]
pub fn parse_report(
    name: &str,
    index: u32,
    reader: &FileReader,
    roots: Vec<String>,
) -> Option<Vec<u8>> {
    let mut sources = Sources::new(Vec::new(), Some(reader));
    let source = JsSource {
        name: name.to_string(),
        data: None,
        read: Some(index),
        size: None,
    };
    REPORT_BUFFER.with_borrow_mut(|buf| {
        if !sources.load(source, buf, crate::limits::MAX_REPORT_BYTES) {
            return None;
        }
        Some(crate::report::parsed::encode(
            name,
            buf,
            &ParseOptions { roots },
        ))
    })
}

thread_local! {
    /// The buffer [`parse_report`] reads files into, kept from call to call: a thread parses several reports, and a
    /// new buffer each time was zeroed again before each read ([`fit`] keeps the bytes of one large enough).
    static REPORT_BUFFER: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// The core's version (the crate version).
#[wasm_bindgen]
pub fn version() -> String {
    env!("CARGO_PKG_VERSION").to_string()
}
