//! Reading timing reports into per-test samples; the format is detected from the content.
//!
//! [`parse`] takes the bytes of one report or timing file and returns one [`Sample`] per test id, in first-seen
//! order. Detection looks at the first character after a byte-order mark and whitespace:
//!
//! * `<` — JUnit XML ([`junit`]): pytest, nose, jest-junit, Playwright, node, go-junit-report/gotestsum, nextest,
//!   Ant, surefire, rspec_junit_formatter, … How a case becomes an id is [`crate::test_id`]'s job.
//! * `{` or `[` — JSON ([`json`]): an object of numbers is a pytest-split `.test_durations`, a conda
//!   `durations/<OS>.json` or a Knapsack report (`{"id or file": seconds}`); an object with a `durations` array is a
//!   cypress-split `timings.json` (milliseconds); an array of `[id, seconds]` pairs is the old pytest-split layout.
//! * anything else — a parallel_tests runtime log ([`log`]): `path:seconds` per line, split at the last `:`.
//!
//! Text encodings: UTF-8 (with or without BOM), UTF-16 with a BOM, and ISO-8859-1 when an XML declaration says so.
//! Bytes that are not valid in the encoding are replaced by U+FFFD with one warning; parsing never panics.
//!
//! Within one report the same id appearing twice is summed (a retried case cost real time). A value that cannot be
//! a duration (not a number, negative, infinite, above [`MAX_SAMPLE_SECONDS`]) skips that one entry with a warning
//! naming the file and the place; a file that is not a timing file at all is an error. Warnings of one kind are
//! listed up to [`limits::MAX_WARNINGS_PER_KIND`] times, then counted in one line. Every id is put in its canonical
//! form ([`TestKey::canonical`], the same form a discovered id is looked up by), with a warning when that changes
//! it: ASCII control characters (which could forge log lines) become U+FFFD, and an id over
//! [`limits::MAX_ID_BYTES`] (pytest ids with long parameters reach 35 KB in real suites) is kept as its first bytes
//! plus a stable hash of the whole, so its time is not lost. Quoted user data in messages goes through
//! [`printable`].

pub mod json;
pub mod junit;
pub mod log;
pub mod parsed;

pub use parsed::{Input, ParsedReport};

use rustc_hash::FxHashMap;
use std::borrow::Cow;
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::error::printable;
use crate::limits;
use crate::test_id::{
    is_blank, is_canonical_id, normalize_roots, trim, FileTooLong, TestKey, LONG_ID_SUFFIX_BYTES,
};
use crate::{Error, Result};

/// Longest duration accepted for one test in one run ([`limits::MAX_SAMPLE_SECONDS`], 1,000,000 s); larger values
/// are treated as corrupt and skipped with a warning. The store applies the same cap (`check_seconds`).
pub const MAX_SAMPLE_SECONDS: f64 = limits::MAX_SAMPLE_SECONDS;

/// Longest report name quoted in messages, in characters (longer names are cut with `…`).
const MAX_SOURCE_CHARS: usize = 1000;

/// The formats accepted, for error messages.
pub const ACCEPTED_FORMATS: &str = "accepted formats: JUnit XML, pytest-split/Knapsack JSON ({\"id\": seconds, …}), \
     cypress-split JSON ({\"durations\": [{\"spec\": …, \"duration\": ms}]}), parallel_tests runtime log (`path:seconds` lines)";

/// One test's duration in one run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Sample {
    /// The test (or file-level unit) measured.
    pub key: TestKey,
    /// Seconds; finite and ≥ 0.
    pub seconds: f64,
}

/// The format a report was read as.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Format {
    /// JUnit XML from any producer.
    #[serde(rename = "junit")]
    JUnit,
    /// `{"id": seconds}`: pytest-split `.test_durations`, conda durations, Knapsack reports.
    DurationsJson,
    /// parallel_tests runtime log: `path:seconds` per line.
    ParallelTestsLog,
    /// cypress-split `timings.json`: `{"durations": [{"spec", "duration" (ms)}]}`.
    CypressSplit,
}

impl Format {
    /// The name used in JSON and messages: `junit`, `durations-json`, `parallel-tests-log`, `cypress-split`.
    pub fn as_str(self) -> &'static str {
        match self {
            Format::JUnit => "junit",
            Format::DurationsJson => "durations-json",
            Format::ParallelTestsLog => "parallel-tests-log",
            Format::CypressSplit => "cypress-split",
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What one report gave.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    /// The detected format.
    pub format: Format,
    /// One sample per id, in first-seen order.
    pub samples: Vec<Sample>,
    /// Problems worked around (skipped entries, guessed mappings), each naming the file.
    pub warnings: Vec<String>,
}

/// Options for [`parse`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ParseOptions {
    /// Absolute workspace roots stripped from paths (e.g. `/home/runner/work/repo/repo`).
    pub roots: Vec<String>,
}

/// Reads one report; `source` is its name as shown in messages. See the module docs for the formats.
pub fn parse(source: &str, bytes: &[u8], opts: &ParseOptions) -> Result<Report> {
    let read = parse_samples(source, bytes, opts)?;
    Ok(Report {
        format: read.format,
        samples: read.samples.finish(),
        warnings: read.warnings,
    })
}

/// For the junit fuzz target only (cargo-fuzz builds with `--cfg fuzzing`): reads a JUnit report with and without
/// the lane for runs of `<testcase …/>` and says how the results differ, if they do.
#[cfg(fuzzing)]
pub fn junit_paths_agree(text: &str) -> std::result::Result<usize, String> {
    junit::paths_agree(text, &["/w".to_string()])
}

/// A report as [`parse_samples`] gives it: [`Report`] with the samples still in their flat form.
pub(crate) struct ReadReport {
    pub(crate) format: Format,
    pub(crate) samples: Samples,
    pub(crate) warnings: Vec<String>,
}

/// [`parse`] without turning each sample into an owned [`Sample`]: a plan sums 200k test timings to 16k files
/// straight from here (see `api`).
pub(crate) fn parse_samples(source: &str, bytes: &[u8], opts: &ParseOptions) -> Result<ReadReport> {
    // The name comes from the user's file system (a file name may contain a newline): quoted like any user data.
    let source = printable(source, MAX_SOURCE_CHARS);
    let source = source.as_ref();
    if bytes.len() > limits::MAX_REPORT_BYTES {
        return Err(Error::limit(
            format!("report {source}"),
            format!("{} MiB", limits::MAX_REPORT_BYTES >> 20),
        ));
    }
    let mut warnings = Warnings::new(source);
    let text = decode_text(bytes, &mut warnings);
    let roots = normalize_roots(&opts.roots);
    let first = text.bytes().find(|b| !b.is_ascii_whitespace());
    let (format, samples) = match first {
        None => {
            return Err(Error::report(
                source,
                "",
                format!("the file is empty; {ACCEPTED_FORMATS}"),
            ))
        }
        Some(b'<') => (Format::JUnit, junit::parse(&text, &roots, &mut warnings)?),
        Some(b'{' | b'[') => json::parse(&text, &roots, &mut warnings)?,
        Some(_) => (
            Format::ParallelTestsLog,
            log::parse(&text, &roots, &mut warnings)?,
        ),
    };
    Ok(ReadReport {
        format,
        samples,
        warnings: warnings.finish(),
    })
}

/// Bytes → text: BOMs removed, UTF-16 and declared ISO-8859-1 decoded, invalid bytes replaced (one warning).
fn decode_text<'a>(bytes: &'a [u8], w: &mut Warnings) -> Cow<'a, str> {
    if let Some(rest) = bytes.strip_prefix(b"\xEF\xBB\xBF") {
        return utf8_lossy(rest, w);
    }
    let utf16 = match bytes {
        [0xFF, 0xFE, rest @ ..] => Some((rest, true)),
        [0xFE, 0xFF, rest @ ..] => Some((rest, false)),
        _ => None,
    };
    if let Some((rest, little)) = utf16 {
        let units = rest.chunks(2).map(|c| match (c, little) {
            ([a, b], true) => u16::from_le_bytes([*a, *b]),
            ([a, b], false) => u16::from_be_bytes([*a, *b]),
            _ => 0xFFFD,
        });
        let mut bad = rest.len() % 2 != 0;
        let text: String = char::decode_utf16(units)
            .map(|r| {
                r.unwrap_or_else(|_| {
                    bad = true;
                    char::REPLACEMENT_CHARACTER
                })
            })
            .collect();
        if bad {
            w.push(Kind::Encoding, "", || {
                "invalid UTF-16 replaced by U+FFFD".to_string()
            });
        }
        return Cow::Owned(text);
    }
    match valid_utf8(bytes) {
        Some(text) => Cow::Borrowed(text),
        None if declares_latin1(bytes) => {
            Cow::Owned(bytes.iter().map(|&b| char::from(b)).collect())
        }
        None => utf8_lossy(bytes, w),
    }
}

/// The report as text when it is valid UTF-8: one validation pass over every byte of tens of megabytes, so with
/// simdutf8 (16 bytes at a time in wasm's simd128; core's `from_utf8` goes a word of 4 bytes at a time there: 18 ms
/// of a 47 MB plan call in a profile).
fn valid_utf8(bytes: &[u8]) -> Option<&str> {
    simdutf8::basic::from_utf8(bytes).ok()
}

fn utf8_lossy<'a>(bytes: &'a [u8], w: &mut Warnings) -> Cow<'a, str> {
    if let Some(s) = valid_utf8(bytes) {
        return Cow::Borrowed(s);
    }
    match std::str::from_utf8(bytes) {
        Ok(s) => Cow::Borrowed(s),
        Err(e) => {
            let good = bytes.get(..e.valid_up_to()).unwrap_or_default();
            let line = 1 + good.iter().filter(|&&b| b == b'\n').count();
            w.push(Kind::Encoding, &format!("line {line}"), || {
                "bytes that are not valid UTF-8 were replaced by U+FFFD (names containing them may not match)".to_string()
            });
            String::from_utf8_lossy(bytes)
        }
    }
}

/// An XML declaration at the start saying `encoding="ISO-8859-1"` (or `latin1`).
fn declares_latin1(bytes: &[u8]) -> bool {
    let head = bytes.get(..bytes.len().min(200)).unwrap_or_default();
    let Some(end) = head.windows(2).position(|p| p == b"?>") else {
        return false;
    };
    let decl = String::from_utf8_lossy(&head[..end]).to_ascii_lowercase();
    decl.trim_start().starts_with("<?xml")
        && ["iso-8859-1", "iso8859-1", "latin1", "latin-1"]
            .iter()
            .any(|enc| decl.contains(&format!("\"{enc}\"")) || decl.contains(&format!("'{enc}'")))
}

/// Validates one duration in seconds: finite, ≥ 0, ≤ [`MAX_SAMPLE_SECONDS`]. `-0` becomes `0`. The one check
/// of a duration, shared by the report parsers and the store; `Err` says why, to follow the quoted value.
pub(crate) fn check_seconds(secs: f64) -> std::result::Result<f64, &'static str> {
    if secs.is_nan() {
        Err("is not a number")
    } else if secs.is_infinite() {
        Err("is infinite")
    } else if secs < 0.0 {
        Err("is negative")
    } else if secs > MAX_SAMPLE_SECONDS {
        Err("is larger than 1000000 s")
    } else {
        Ok(secs + 0.0)
    }
}

/// Parses a duration written as text (JUnit `time`, a log line). Accepts surrounding whitespace, a leading `+`, an
/// exponent, and `,` thousands separators when a `.` decimal point is also present (old surefire: `1,234.5`).
pub(crate) fn parse_seconds(raw: &str) -> std::result::Result<f64, &'static str> {
    let t = trim(raw);
    if t.is_empty() {
        return Err("is empty");
    }
    // Rust also parses `inf`, `infinity` and `nan`; those are then rejected by `check_seconds`.
    let parsed = if t.contains(',') && t.contains('.') {
        t.replace(',', "").parse::<f64>()
    } else {
        t.parse::<f64>()
    };
    match parsed {
        Ok(v) => check_seconds(v),
        Err(_) => Err("is not a number"),
    }
}

/// Kinds of warnings; each kind is listed at most [`limits::MAX_WARNINGS_PER_KIND`] times.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// A duration that is not usable.
    BadTime,
    /// An id longer than [`limits::MAX_ID_BYTES`].
    LongId,
    /// A case or entry without a name/id.
    NoName,
    /// An id with control characters.
    ControlChar,
    /// A JSON value that is not a number.
    BadValue,
    /// A log line that is not `path:seconds`.
    BadLine,
    /// An entity or character reference that could not be decoded.
    Entity,
    /// Invalid bytes in the text encoding.
    Encoding,
    /// Anything else (mapping notes, truncation).
    Note,
}

impl Kind {
    const ALL: [Kind; 9] = [
        Kind::BadTime,
        Kind::LongId,
        Kind::NoName,
        Kind::ControlChar,
        Kind::BadValue,
        Kind::BadLine,
        Kind::Entity,
        Kind::Encoding,
        Kind::Note,
    ];

    fn describe(self) -> &'static str {
        match self {
            Kind::BadTime => "unusable durations",
            Kind::LongId => "ids that are too long",
            Kind::NoName => "entries without a name",
            Kind::ControlChar => "ids with control characters",
            Kind::BadValue => "values that are not durations",
            Kind::BadLine => "lines that are not `path:seconds`",
            Kind::Entity => "undecodable references",
            Kind::Encoding => "encoding problems",
            Kind::Note => "other notes",
        }
    }
}

/// Collects warnings for one report, capping each kind.
pub(crate) struct Warnings {
    source: String,
    list: Vec<String>,
    counts: [usize; Kind::ALL.len()],
}

impl Warnings {
    /// `source` is quoted in every warning through [`printable`].
    pub(crate) fn new(source: &str) -> Self {
        Warnings {
            source: printable(source, MAX_SOURCE_CHARS).into_owned(),
            list: Vec::new(),
            counts: [0; Kind::ALL.len()],
        }
    }

    /// Adds a warning `report SOURCE[, LOCATION]: MESSAGE`; the message is only built while under the cap.
    pub(crate) fn push(&mut self, kind: Kind, location: &str, message: impl FnOnce() -> String) {
        let count = &mut self.counts[kind as usize];
        *count += 1;
        if *count <= limits::MAX_WARNINGS_PER_KIND {
            let msg = message();
            self.list.push(if location.is_empty() {
                format!("report {}: {msg}", self.source)
            } else {
                format!("report {}, {location}: {msg}", self.source)
            });
        }
    }

    /// The report's name as given by the caller.
    pub(crate) fn source(&self) -> &str {
        &self.source
    }

    /// [`Warnings::push`] with a location that is computed only when the warning is listed (finding a line number
    /// costs a scan of the report).
    pub(crate) fn push_at(
        &mut self,
        kind: Kind,
        location: impl FnOnce() -> String,
        message: impl FnOnce() -> String,
    ) {
        let loc = if self.wants(kind) {
            location()
        } else {
            String::new()
        };
        self.push(kind, &loc, message);
    }

    /// Whether the next warning of `kind` would still be listed.
    pub(crate) fn wants(&self, kind: Kind) -> bool {
        self.counts[kind as usize] < limits::MAX_WARNINGS_PER_KIND
    }

    /// The warnings, with one line per kind that went over the cap.
    pub(crate) fn finish(mut self) -> Vec<String> {
        for kind in Kind::ALL {
            let n = self.counts[kind as usize];
            if n > limits::MAX_WARNINGS_PER_KIND {
                self.list.push(format!(
                    "report {}: {} more warnings about {} not shown ({n} in all)",
                    self.source,
                    n - limits::MAX_WARNINGS_PER_KIND,
                    kind.describe()
                ));
            }
        }
        self.list
    }
}

/// The samples of one report: ids summed, first-seen order kept.
///
/// Lookup is by a 64-bit FxHash of the id (no random seed, so the same on every run; the map's iteration order is
/// never used) with the id compared on every hit; ids whose hash collides with a different id go to an overflow map.
///
/// Storage is flat, because a report holds up to hundreds of thousands of ids: the ids are appended to a few large
/// strings ([`ID_CHUNK_BYTES`] each; a full one is never grown, so no id is ever copied twice), and a sample's file
/// is the id's first `file_len` bytes (a key's file always is its id's prefix, see
/// [`TestKey`]; a key breaking that rule keeps its file on the side). The hash of each id is kept, so that merging
/// reports ([`crate::api`]) does not hash the ids again.
pub(crate) struct Samples {
    index: FxHashMap<u64, usize>,
    overflow: FxHashMap<String, usize>,
    ids: Vec<String>,
    entries: Vec<Entry>,
    seconds: Vec<f64>,
    /// Files of keys whose file is not a prefix of their id (none from this crate's parsers).
    odd_files: FxHashMap<usize, String>,
    /// Replaces [`id_hash`] in tests, to force collisions (a field only there: a call through a pointer for each
    /// of 200k ids could not be inlined).
    #[cfg(test)]
    hash: fn(&str) -> u64,
}

/// Bytes of one string of [`Samples::ids`] (a longer id gets a string of its own). Growing one string instead made
/// the wasm allocator copy tens of megabytes on the scale suite (26 ms of a 480 ms `plan` call, in a profile).
const ID_CHUNK_BYTES: usize = 1 << 20;

/// Where sample `i`'s id lies in [`Samples::ids`], how long its file is, and the id's hash.
#[derive(Clone, Copy)]
struct Entry {
    chunk: usize,
    start: usize,
    len: usize,
    file_len: usize,
    hash: u64,
}

/// The hash [`Samples`] keys ids by (FxHash: fast, unseeded, the same on every platform with the same `usize`).
pub(crate) fn id_hash(id: &str) -> u64 {
    use std::hash::BuildHasher;
    rustc_hash::FxBuildHasher.hash_one(id)
}

impl Samples {
    pub(crate) fn new() -> Self {
        Samples {
            index: FxHashMap::default(),
            overflow: FxHashMap::default(),
            ids: Vec::new(),
            entries: Vec::new(),
            seconds: Vec::new(),
            odd_files: FxHashMap::default(),
            #[cfg(test)]
            hash: id_hash,
        }
    }

    /// Samples keyed by another hash (tests force collisions with it).
    #[cfg(test)]
    pub(crate) fn with_hash(hash: fn(&str) -> u64) -> Self {
        Samples {
            hash,
            ..Samples::new()
        }
    }

    /// Number of distinct ids so far.
    pub(crate) fn len(&self) -> usize {
        self.entries.len()
    }

    /// Adds `secs` to `key` (new ids go last) after checking the id; `None` (with a warning) when the id is
    /// unusable. `location` is computed only if a warning is listed.
    pub(crate) fn add(
        &mut self,
        key: TestKey,
        secs: f64,
        w: &mut Warnings,
        location: &mut dyn FnMut() -> String,
    ) -> Option<usize> {
        if !Self::usable(&key.id, &key.file, w, location) {
            return None;
        }
        self.add_checked(key, secs, w, location)
    }

    /// [`Samples::add`] for a key given as an id and the length of its file, the id's prefix — what the JUnit
    /// reader builds in one reused buffer. The usual id (canonical already) is stored without making a [`TestKey`].
    pub(crate) fn add_id(
        &mut self,
        id: &str,
        file_len: usize,
        secs: f64,
        w: &mut Warnings,
        location: &mut dyn FnMut() -> String,
    ) -> Option<usize> {
        let file = id.get(..file_len).unwrap_or(id);
        if !Self::usable(id, file, w, location) {
            return None;
        }
        if is_canonical_id(id) {
            return Some(self.insert(id, file, secs));
        }
        let key = TestKey {
            file: file.to_string(),
            id: id.to_string(),
        };
        self.add_checked(key, secs, w, location)
    }

    /// An empty id, or one with nothing before its first `::` (`::t`): no runner can be told to run it, and the
    /// store would refuse it on the next load. Warns and says `false` for those.
    fn usable(
        id: &str,
        file: &str,
        w: &mut Warnings,
        location: &mut dyn FnMut() -> String,
    ) -> bool {
        if is_blank(id) || id.starts_with("::") || is_blank(file) {
            let what = if is_blank(id) {
                "empty test id"
            } else {
                "test id without a file part"
            };
            w.push_at(Kind::NoName, &mut *location, || {
                format!("{what}; entry skipped")
            });
            return false;
        }
        true
    }

    /// Canonicalises a usable key (with its warnings) and stores it.
    fn add_checked(
        &mut self,
        key: TestKey,
        secs: f64,
        w: &mut Warnings,
        location: &mut dyn FnMut() -> String,
    ) -> Option<usize> {
        // The same canonical form as every other id entering the core (a discovered id is looked up by it).
        let canonical = match key.canonical() {
            Ok(c) => c,
            Err(FileTooLong { key }) => {
                w.push_at(Kind::LongId, &mut *location, || {
                    format!(
                        "test file name of {} bytes is longer than the limit of {} bytes; entry skipped: {}",
                        key.file.len(),
                        limits::MAX_ID_BYTES,
                        printable(&key.file, 60)
                    )
                });
                return None;
            }
        };
        let key = canonical.key;
        if canonical.control_chars {
            w.push_at(Kind::ControlChar, &mut *location, || {
                format!(
                    "control characters in test id replaced by U+FFFD: {}",
                    printable(&key.id, 80)
                )
            });
        }
        if let Some(long) = canonical.shortened_from {
            w.push_at(Kind::LongId, &mut *location, || {
                format!(
                    "test id of {long} bytes is longer than the limit of {} bytes; kept as its first {} bytes and \
                     a hash of the whole: {}",
                    limits::MAX_ID_BYTES,
                    key.id.len() - LONG_ID_SUFFIX_BYTES,
                    printable(&key.id, 60)
                )
            });
        }
        Some(self.insert(&key.id, &key.file, secs))
    }

    /// Adds `secs` to the sample of a canonical id, or appends a new one; returns its index.
    fn insert(&mut self, id: &str, file: &str, secs: f64) -> usize {
        let i = self.entries.len();
        #[cfg(test)]
        let hash = (self.hash)(id);
        #[cfg(not(test))]
        let hash = id_hash(id);
        match self.index.entry(hash) {
            std::collections::hash_map::Entry::Vacant(slot) => {
                slot.insert(i);
            }
            std::collections::hash_map::Entry::Occupied(slot) => {
                let j = *slot.get();
                if self.id(j) == id {
                    self.seconds[j] += secs;
                    return j;
                }
                if let Some(&j) = self.overflow.get(id) {
                    self.seconds[j] += secs;
                    return j;
                }
                self.overflow.insert(id.to_string(), i);
            }
        }
        let fits = self
            .ids
            .last()
            .is_some_and(|c| c.capacity() - c.len() >= id.len());
        if !fits {
            self.ids
                .push(String::with_capacity(ID_CHUNK_BYTES.max(id.len())));
        }
        let chunk = self.ids.len() - 1;
        let start = self.ids.last().map_or(0, String::len);
        if let Some(c) = self.ids.last_mut() {
            c.push_str(id);
        }
        // The JUnit reader's file is the id's own prefix (`add_id`): then there is nothing to compare.
        let own_prefix = std::ptr::eq(file.as_ptr(), id.as_ptr()) && file.len() <= id.len();
        let file_len = if own_prefix || id.starts_with(file) {
            file.len()
        } else {
            self.odd_files.insert(i, file.to_string());
            0
        };
        self.entries.push(Entry {
            chunk,
            start,
            len: id.len(),
            file_len,
            hash,
        });
        self.seconds.push(secs);
        i
    }

    /// [`Samples::decode`] for tests elsewhere in the crate.
    #[cfg(test)]
    pub(crate) fn decode_for_tests(
        r: &mut parsed::Reader<'_>,
    ) -> std::result::Result<Samples, String> {
        Samples::decode(r)
    }

    /// The index of the sample whose id is `id` (`hash`: its [`Samples::id_hash`]), if there is one.
    pub(crate) fn find(&self, id: &str, hash: u64) -> Option<usize> {
        let j = *self.index.get(&hash)?;
        if self.id(j) == id {
            return Some(j);
        }
        self.overflow.get(id).copied()
    }

    /// Adds seconds to an existing sample; the result never goes below 0.
    pub(crate) fn add_seconds(&mut self, i: usize, secs: f64) {
        if let Some(s) = self.seconds.get_mut(i) {
            *s = (*s + secs).max(0.0);
        }
    }

    /// The id of sample `i`.
    pub(crate) fn id(&self, i: usize) -> &str {
        self.entries
            .get(i)
            .and_then(|e| self.ids.get(e.chunk)?.get(e.start..e.start + e.len))
            .unwrap_or("")
    }

    /// The file of sample `i`.
    pub(crate) fn file(&self, i: usize) -> &str {
        if !self.odd_files.is_empty() {
            if let Some(f) = self.odd_files.get(&i) {
                return f;
            }
        }
        let len = self.entries.get(i).map_or(0, |e| e.file_len);
        self.id(i).get(..len).unwrap_or("")
    }

    /// The hash of sample `i`'s id ([`id_hash`] in production).
    pub(crate) fn id_hash(&self, i: usize) -> u64 {
        self.entries.get(i).map_or(0, |e| e.hash)
    }

    /// The seconds of sample `i`, capped as in [`Samples::finish`].
    pub(crate) fn seconds(&self, i: usize) -> f64 {
        self.seconds
            .get(i)
            .map_or(0.0, |s| s.min(MAX_SAMPLE_SECONDS))
    }

    /// Appends the samples in [`parsed`]'s form (its module docs): each sample's id length, file length, id hash
    /// and raw seconds, the odd files, then the ids end to end.
    pub(crate) fn encode(&self, out: &mut Vec<u8>) {
        let total: usize = self.entries.iter().map(|e| e.len).sum();
        // Sized once (24 bytes a sample, the ids, two counts; odd files, none from this crate's parsers, may grow
        // it): grown by doubling, a parse thread's ~4 MB form was copied over and over (6 ms of a thread's time on
        // the scale suite, in a profile).
        out.reserve(self.len() * 24 + total + 12);
        parsed::put_len(out, self.len());
        for (e, s) in self.entries.iter().zip(&self.seconds) {
            parsed::put_len(out, e.len);
            parsed::put_len(out, e.file_len);
            out.extend_from_slice(&e.hash.to_le_bytes());
            out.extend_from_slice(&s.to_le_bytes());
        }
        let mut odd: Vec<(&usize, &String)> = self.odd_files.iter().collect();
        odd.sort_unstable();
        parsed::put_len(out, odd.len());
        for (i, f) in odd {
            parsed::put_len(out, *i);
            parsed::put_str(out, f);
        }
        parsed::put_len(out, total);
        for i in 0..self.len() {
            out.extend_from_slice(self.id(i).as_bytes());
        }
    }

    /// Samples from [`Samples::encode`]'s form, checked: lengths within the ids, ids and files on character
    /// boundaries, each file a prefix of its id, seconds finite and ≥ 0, odd files of existing samples, no id twice
    /// under one hash. The hashes are taken as encoded (not computed again: that is the work a parse thread saves)
    /// and indexed as [`Samples::insert`] does.
    fn decode(r: &mut parsed::Reader<'_>) -> std::result::Result<Samples, String> {
        let n = r.len()?;
        // Each sample takes 24 bytes: a count larger than the bytes left is refused before anything is allocated.
        if n > r.rest.len() / 24 {
            return Err("parsed report sample count beyond its length".into());
        }
        let mut entries = Vec::with_capacity(n);
        let mut seconds = Vec::with_capacity(n);
        let mut start = 0usize;
        for _ in 0..n {
            let len = r.len()?;
            let file_len = r.len()?;
            let hash = r.u64()?;
            let secs = r.f64()?;
            if file_len > len || !(secs.is_finite() && secs >= 0.0) {
                return Err("parsed report sample out of range".into());
            }
            entries.push(Entry {
                chunk: 0,
                start,
                len,
                file_len,
                hash,
            });
            seconds.push(secs);
            start = start.saturating_add(len);
        }
        let odd_count = r.len()?;
        let mut odd_files = FxHashMap::default();
        for _ in 0..odd_count {
            let i = r.len()?;
            let file = r.string()?;
            if i >= n || odd_files.insert(i, file).is_some() {
                return Err("parsed report odd file out of range".into());
            }
        }
        let total = r.len()?;
        if total != start {
            return Err("parsed report ids do not add up".into());
        }
        let ids = valid_utf8(r.take(total)?).ok_or("parsed report ids are not UTF-8")?;
        for e in &entries {
            let bounds = [e.start, e.start + e.file_len, e.start + e.len];
            if !bounds.iter().all(|&b| ids.is_char_boundary(b)) {
                return Err("parsed report id not on a character boundary".into());
            }
        }
        let mut samples = Samples {
            index: FxHashMap::with_capacity_and_hasher(n, Default::default()),
            overflow: FxHashMap::default(),
            ids: vec![ids.to_string()],
            entries,
            seconds,
            odd_files,
            #[cfg(test)]
            hash: id_hash,
        };
        for i in 0..n {
            if !samples.index_sample(i) {
                return Err("parsed report repeats an id".into());
            }
        }
        Ok(samples)
    }

    /// Indexes sample `i` under its hash as [`Samples::insert`] does (a hash taken by another id: the overflow
    /// map); `false` when its id is indexed already.
    fn index_sample(&mut self, i: usize) -> bool {
        // One probe of the index for the usual id, whose hash no other id has.
        let j = match self.index.entry(self.id_hash(i)) {
            std::collections::hash_map::Entry::Vacant(slot) => {
                slot.insert(i);
                return true;
            }
            std::collections::hash_map::Entry::Occupied(slot) => *slot.get(),
        };
        if self.id(j) == self.id(i) || self.overflow.contains_key(self.id(i)) {
            return false;
        }
        let id = self.id(i).to_string();
        self.overflow.insert(id, i);
        true
    }

    /// The samples in first-seen order. A time summed from repeated ids is capped at [`MAX_SAMPLE_SECONDS`] (each
    /// part was valid; the store refuses anything above the cap, and the test must not be lost for it).
    pub(crate) fn finish(self) -> Vec<Sample> {
        (0..self.len())
            .map(|i| Sample {
                key: TestKey {
                    file: self.file(i).to_string(),
                    id: self.id(i).to_string(),
                },
                seconds: self.seconds(i),
            })
            .collect()
    }
}

/// Number of `\n` bytes, eight bytes at a time (a byte equal to `\n` becomes a high bit; no carries cross bytes
/// because each byte's high bit is set apart from the low seven).
fn count_newlines(bytes: &[u8]) -> usize {
    const LOW7: u64 = 0x7F7F_7F7F_7F7F_7F7F;
    const NL: u64 = 0x0A0A_0A0A_0A0A_0A0A;
    let mut chunks = bytes.chunks_exact(8);
    let mut n = 0usize;
    for c in &mut chunks {
        let mut word = [0u8; 8];
        word.copy_from_slice(c);
        let x = u64::from_le_bytes(word) ^ NL; // zero bytes where `\n` was
        let nonzero = ((x & LOW7) + LOW7) | x; // high bit set in every non-zero byte
        n += (!nonzero & !LOW7).count_ones() as usize;
    }
    n + chunks.remainder().iter().filter(|&&b| b == b'\n').count()
}

/// Counts lines incrementally: each call only scans the bytes since the previous one.
pub(crate) struct LineCounter<'a> {
    text: &'a [u8],
    pos: usize,
    line: usize,
}

impl<'a> LineCounter<'a> {
    pub(crate) fn new(text: &'a str) -> Self {
        LineCounter {
            text: text.as_bytes(),
            pos: 0,
            line: 1,
        }
    }

    /// The 1-based line of byte `offset`.
    pub(crate) fn line_at(&mut self, offset: usize) -> usize {
        let offset = offset.min(self.text.len());
        let newlines = |a: usize, b: usize| self.text.get(a..b).map_or(0, count_newlines);
        if offset >= self.pos {
            self.line += newlines(self.pos, offset);
        } else {
            self.line -= newlines(offset, self.pos);
        }
        self.pos = offset;
        self.line
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opts() -> ParseOptions {
        ParseOptions::default()
    }

    #[test]
    fn detects_each_format() {
        let cases: [(&[u8], Format, usize); 9] = [
            (
                b"<testsuite><testcase name=\"t\" classname=\"m\" time=\"1\"/></testsuite>",
                Format::JUnit,
                1,
            ),
            (
                b"\xEF\xBB\xBF\n  <?xml version=\"1.0\"?><testsuites/>",
                Format::JUnit,
                0,
            ),
            (
                b"{\"tests/a.py::t\": 1.5, \"tests/b.py::t\": 2}",
                Format::DurationsJson,
                2,
            ),
            (b"  {}", Format::DurationsJson, 0),
            (b"[[\"tests/a.py::t\", 1.5]]", Format::DurationsJson, 1),
            (
                b"{\"durations\": [{\"spec\": \"cypress/e2e/a.cy.js\", \"duration\": 1500}]}",
                Format::CypressSplit,
                1,
            ),
            (
                b"spec/a_spec.rb:1.5\nspec/b_spec.rb:2\n",
                Format::ParallelTestsLog,
                2,
            ),
            (
                b"\r\nspec/a_spec.rb:1.5\r\n\r\n",
                Format::ParallelTestsLog,
                1,
            ),
            (
                b"\xFF\xFE<\0t\0e\0s\0t\0s\0u\0i\0t\0e\0/\0>\0",
                Format::JUnit,
                0,
            ),
        ];
        for (bytes, format, n) in cases {
            let r = parse("r", bytes, &opts())
                .unwrap_or_else(|e| panic!("{:?}: {e}", String::from_utf8_lossy(bytes)));
            assert_eq!(
                (r.format, r.samples.len()),
                (format, n),
                "{:?}",
                String::from_utf8_lossy(bytes)
            );
        }
    }

    #[test]
    fn rejects_what_is_not_a_timing_file() {
        let failures: [(&[u8], &str); 8] = [
            (b"", "report r: the file is empty"),
            (b"  \n\t", "report r: the file is empty"),
            (b"hello world\n", "not a timing file"),
            (b"\x89PNG\r\n\x1a\n\0\0", "not a timing file"),
            (
                b"{\"name\": \"pkg\", \"private\": true}",
                "not a timing file",
            ),
            (b"\"just a string\"", "not a timing file"),
            (
                b"<project><modelVersion>4</modelVersion></project>",
                "root element <project>",
            ),
            (b"{\"a\": 1", "invalid JSON"),
        ];
        for (bytes, want) in failures {
            let err = parse("r", bytes, &opts())
                .expect_err(&String::from_utf8_lossy(bytes))
                .to_string();
            assert!(err.contains(want), "{err:?} should contain {want:?}");
            assert!(err.starts_with("report r"), "{err}");
            if want == "not a timing file" || want.contains("empty") {
                assert!(err.contains("accepted formats"), "{err}");
            }
        }
    }

    #[test]
    fn size_limit_is_an_error() {
        let big = vec![b' '; limits::MAX_REPORT_BYTES + 1];
        let err = parse("big.xml", &big, &opts()).unwrap_err();
        assert_eq!(
            err.to_string(),
            "report big.xml exceeds the limit of 128 MiB"
        );
    }

    #[test]
    fn seconds_validation() {
        let successes = [
            ("1.5", 1.5),
            (" 2 ", 2.0),
            ("+3", 3.0),
            ("1e3", 1000.0),
            ("0", 0.0),
            ("-0", 0.0),
            ("1,234.5", 1234.5),
        ];
        for (raw, want) in successes {
            assert_eq!(parse_seconds(raw), Ok(want), "{raw}");
        }
        let failures = [
            ("abc", "is not a number"),
            ("", "is empty"),
            ("NaN", "is not a number"),
            ("inf", "is infinite"),
            ("-infinity", "is infinite"),
            ("-1", "is negative"),
            ("1e400", "is infinite"),
            ("1e7", "is larger than 1000000 s"),
            ("1,5", "is not a number"),
            ("0x10", "is not a number"),
        ];
        for (raw, want) in failures {
            assert_eq!(parse_seconds(raw), Err(want), "{raw}");
        }
    }

    #[test]
    fn encodings() {
        // Latin-1 declared: decoded exactly, no warning.
        let latin1 = b"<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><testsuite><testcase classname=\"M\xfcller\" name=\"t\" time=\"1\"/></testsuite>";
        let r = parse("l.xml", latin1, &opts()).unwrap();
        assert_eq!(r.samples[0].key.id, "Müller::t");
        assert!(
            !r.warnings.iter().any(|w| w.contains("UTF")),
            "{:?}",
            r.warnings
        );
        // Invalid UTF-8 without a declaration: replaced, one warning with the line.
        let bad =
            b"<testsuite>\n<testcase classname=\"M\xfcller\" name=\"t\" time=\"1\"/></testsuite>";
        let r = parse("b.xml", bad, &opts()).unwrap();
        assert_eq!(r.samples[0].key.id, "M\u{FFFD}ller::t");
        assert_eq!(
            r.warnings.iter().filter(|w| w.contains("UTF-8")).count(),
            1,
            "{:?}",
            r.warnings
        );
        assert!(
            r.warnings[0].starts_with("report b.xml, line 2: bytes that are not valid UTF-8"),
            "{:?}",
            r.warnings
        );
        // UTF-16 big endian with a BOM.
        let text = "{\"a.py::t\": 2}";
        let mut be = vec![0xFE, 0xFF];
        be.extend(text.encode_utf16().flat_map(u16::to_be_bytes));
        let r = parse("u.json", &be, &opts()).unwrap();
        assert_eq!(
            (r.format, r.samples[0].key.id.as_str()),
            (Format::DurationsJson, "a.py::t")
        );
        // Odd UTF-16 length: replaced, warned, no panic.
        let mut odd = vec![0xFF, 0xFE];
        odd.extend("<testsuite/>".encode_utf16().flat_map(u16::to_le_bytes));
        odd.push(b'x');
        let r = parse("odd", &odd, &opts()).unwrap();
        assert!(
            r.warnings[0].starts_with("report odd: invalid UTF-16 replaced"),
            "{:?}",
            r.warnings
        );
    }

    #[test]
    fn same_id_is_summed_in_first_seen_order() {
        let r = parse(
            "d.json",
            b"{\"b.py::t\": 1, \"a.py::t\": 2, \"./b.py::t\": 0.5}",
            &opts(),
        )
        .unwrap();
        let got: Vec<(&str, f64)> = r
            .samples
            .iter()
            .map(|s| (s.key.id.as_str(), s.seconds))
            .collect();
        assert_eq!(got, vec![("b.py::t", 1.5), ("a.py::t", 2.0)]);
    }

    #[test]
    fn ids_are_checked() {
        let long_file = "x".repeat(limits::MAX_ID_BYTES + 1);
        let json = format!("{{\"{long_file}\": 1, \"ok.py::t\": 1, \"\": 2, \"a.py::t\\nb\": 3}}");
        let r = parse("ids.json", json.as_bytes(), &opts()).unwrap();
        let ids: Vec<&str> = r.samples.iter().map(|s| s.key.id.as_str()).collect();
        assert_eq!(ids, vec!["ok.py::t", "a.py::t\u{FFFD}b"]);
        assert_eq!(r.warnings.len(), 3, "{:?}", r.warnings);
        assert!(
            r.warnings[0].contains(&format!(
                "test file name of {} bytes is longer than the limit of {} bytes; entry skipped",
                limits::MAX_ID_BYTES + 1,
                limits::MAX_ID_BYTES
            )),
            "{:?}",
            r.warnings
        );
        assert!(r.warnings[1].contains("empty test id"), "{:?}", r.warnings);
        assert!(
            r.warnings[2].contains("control characters"),
            "{:?}",
            r.warnings
        );
    }

    #[test]
    fn long_ids_are_shortened_stably() {
        // Two ids differing only past the limit stay apart; the same id always gives the same short form.
        let a = format!(
            "t.py::test[{}ä{}]",
            "a".repeat(limits::MAX_ID_BYTES + 900),
            "b"
        );
        let b = format!(
            "t.py::test[{}ä{}]",
            "a".repeat(limits::MAX_ID_BYTES + 900),
            "c"
        );
        let json = format!("{{\"{a}\": 1, \"{b}\": 2, \"{a}\": 3}}");
        let r = parse("long.json", json.as_bytes(), &opts()).unwrap();
        assert_eq!(r.samples.len(), 2);
        assert_eq!((r.samples[0].seconds, r.samples[1].seconds), (4.0, 2.0));
        for s in &r.samples {
            assert!(s.key.id.len() <= limits::MAX_ID_BYTES, "{}", s.key.id.len());
            assert!(
                s.key.id.starts_with("t.py::test[aaa"),
                "{}",
                &s.key.id[..20]
            );
            assert_eq!(s.key.file, "t.py");
        }
        // The same form a discovered id gets (test_id's canonical form).
        let canonical = TestKey::from_id(&a, &[]).canonical().map(|c| c.key.id);
        assert_eq!(
            canonical.as_deref().ok(),
            Some(r.samples[0].key.id.as_str())
        );
        let want = format!(
            "test id of {} bytes is longer than the limit of {} bytes; kept as its first {} bytes",
            a.len(),
            limits::MAX_ID_BYTES,
            limits::MAX_ID_BYTES - 20
        );
        assert!(r.warnings[0].contains(&want), "{:?}", r.warnings);
    }

    #[test]
    fn ids_spanning_several_storage_chunks_stay_intact() {
        // ~3.5 chunks of ids, each added twice: every id reads back whole, sums its two times, keeps its file.
        let ids: Vec<String> = (0..3500)
            .map(|i| format!("dir{}/f{i}.py::t_{}", i % 7, "x".repeat(900 + i % 250)))
            .collect();
        let mut samples = Samples::new();
        let mut w = Warnings::new("c");
        for round in 0..2 {
            for id in &ids {
                samples.add(
                    TestKey::from_id(id, &[]),
                    1.0 + f64::from(round),
                    &mut w,
                    &mut String::new,
                );
            }
        }
        assert!(samples.ids.len() >= 4, "{} chunks", samples.ids.len());
        let got = samples.finish();
        assert_eq!(got.len(), ids.len());
        for (s, id) in got.iter().zip(&ids) {
            assert_eq!(&s.key.id, id);
            assert_eq!(Some(s.key.file.as_str()), id.split("::").next());
            assert_eq!(s.seconds, 3.0);
        }
    }

    #[test]
    fn a_file_that_is_not_the_ids_prefix_is_kept_on_the_side() {
        // No parser builds such a key, but `Samples` must not lose or mangle one.
        let mut samples = Samples::new();
        let mut w = Warnings::new("c");
        let odd = TestKey {
            file: "x.py".to_string(),
            id: "a.py::t".to_string(),
        };
        samples.add(odd.clone(), 1.0, &mut w, &mut String::new);
        samples.add(
            TestKey::from_id("b.py::t", &[]),
            2.0,
            &mut w,
            &mut String::new,
        );
        samples.add(odd.clone(), 0.5, &mut w, &mut String::new);
        assert_eq!((samples.file(0), samples.id(0)), ("x.py", "a.py::t"));
        assert_eq!((samples.file(1), samples.id(1)), ("b.py", "b.py::t"));
        let got = samples.finish();
        assert_eq!(got[0].key, odd);
        assert_eq!(got[0].seconds, 1.5);
        assert_eq!(got[1].key.file, "b.py");
    }

    #[test]
    fn hash_collisions_keep_ids_apart() {
        let mut samples = Samples::with_hash(|_| 7);
        let mut w = Warnings::new("c");
        for (id, secs) in [("a", 1.0), ("b", 2.0), ("a", 3.0), ("c", 4.0), ("b", 5.0)] {
            samples.add(TestKey::from_id(id, &[]), secs, &mut w, &mut String::new);
        }
        let got: Vec<(String, f64)> = samples
            .finish()
            .into_iter()
            .map(|s| (s.key.id, s.seconds))
            .collect();
        assert_eq!(
            got,
            vec![
                ("a".to_string(), 4.0),
                ("b".to_string(), 7.0),
                ("c".to_string(), 4.0)
            ]
        );
    }

    #[test]
    fn warnings_are_capped_per_kind() {
        let mut w = Warnings::new("w");
        for i in 0..limits::MAX_WARNINGS_PER_KIND + 5 {
            w.push(Kind::BadTime, &format!("line {i}"), || "bad".to_string());
        }
        w.push(Kind::BadLine, "", || "other".to_string());
        let list = w.finish();
        assert_eq!(list.len(), limits::MAX_WARNINGS_PER_KIND + 2);
        assert_eq!(
            list.last().map(String::as_str),
            Some("report w: 5 more warnings about unusable durations not shown (25 in all)")
        );
    }

    #[test]
    fn newline_counting() {
        let cases: [&[u8]; 6] = [
            b"",
            b"\n",
            b"abc\ndef\n\n",
            b"\n\n\n\n\n\n\n\n\n",
            b"\x8a\x0a\xff\x0b\x09\n\x00\x8a\n",
            &[b'\n'; 100],
        ];
        for bytes in cases {
            assert_eq!(
                count_newlines(bytes),
                bytes.iter().filter(|&&b| b == b'\n').count(),
                "{bytes:?}"
            );
        }
        let all: Vec<u8> = (0..=255u8).cycle().take(4099).collect();
        assert_eq!(
            count_newlines(&all),
            all.iter().filter(|&&b| b == b'\n').count()
        );
    }

    #[test]
    fn line_counter_is_incremental_both_ways() {
        let text = "a\nb\nc\nd";
        let mut lc = LineCounter::new(text);
        let offsets = [(0, 1), (2, 2), (6, 4), (3, 2), (7, 4), (100, 4)];
        for (off, line) in offsets {
            assert_eq!(lc.line_at(off), line, "offset {off}");
        }
    }

    #[test]
    fn format_names() {
        for (f, s) in [
            (Format::JUnit, "junit"),
            (Format::DurationsJson, "durations-json"),
            (Format::ParallelTestsLog, "parallel-tests-log"),
            (Format::CypressSplit, "cypress-split"),
        ] {
            assert_eq!(f.to_string(), s);
            assert_eq!(serde_json::to_string(&f).unwrap(), format!("\"{s}\""));
        }
    }
}
