//! JUnit XML reports → samples, streaming with quick-xml: one reused buffer, no tree, no recursion.
//!
//! What is read: every `<testcase>` (as `<testcase …/>` or `<testcase …>…</testcase>`) inside a `<testsuite>`, with
//! or without a `<testsuites>` wrapper, suites nested to any depth (jest, Playwright, Ant), test cases directly under
//! `<testsuites>` (node's test runner). Other elements (`properties`, `system-out`, `failure`, `skipped`, unknown
//! ones) are skipped; failed, errored and skipped cases still count with their time. Counters such as nose's `skip`
//! or `tests` are not read. How a case's attributes become a [`TestKey`](crate::TestKey) is
//! [`crate::test_id`]'s job (module docs there); when no case or suite has a `file` attribute, one warning says which
//! mapping was used.
//!
//! Times: a case's `time` in seconds. A missing `time` counts as 0 s (skipped cases of several producers carry none)
//! and is summarised in one warning. A bad `time` (not a number, NaN, infinite, negative, above
//! [`MAX_SAMPLE_SECONDS`](super::MAX_SAMPLE_SECONDS)) skips that case with a warning that names the file, the line
//! and the element path: `report junit.xml, line 40, testsuite[1]/testcase[7]: time="abc" is not a number; case
//! skipped`.
//!
//! Suite time: when a leaf `<testsuite>` (one without nested suites) has a `time` larger than the sum of its cases
//! and all of its cases map to one file, the excess (fixtures, hooks, `beforeAll`) is spread over its cases in
//! proportion to their times (equally if all are 0), so that summing to file granularity gives the suite time. A
//! suite time smaller than the sum (parallel runs, e.g. pytest-xdist) changes nothing; so does a suite spanning
//! several files, or one in which a case was skipped for a bad time.
//!
//! Safety: entities are never expanded. A DOCTYPE declaring entities (`<!ENTITY`) is refused (error); a plain
//! DOCTYPE is ignored. Attribute values decode only the five predefined entities and numeric character references;
//! anything else is kept as written, with a warning. Nesting deeper than [`limits::MAX_XML_DEPTH`] is an error.
//! Malformed XML after some cases were read keeps those cases with a warning (a report cut off by a killed job
//! still has timings); malformed XML before any case is an error.

use quick_xml::events::{BytesStart, Event};
use quick_xml::Reader;

use super::{parse_seconds, Kind, LineCounter, Samples, Warnings, ACCEPTED_FORMATS};
use crate::error::printable;
use crate::limits;
use crate::test_id::{is_blank, normalize_path_with, CaseMapping, JunitCase};
use crate::{Error, Result};

/// Which elements matter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Elem {
    Testsuites,
    Testsuite,
    Testcase,
    Other,
}

/// One open element: its kind, its 1-based index among its parent's children of the same kind, and counters for
/// its own children.
struct Open {
    kind: Elem,
    ordinal: u32,
    suites: u32,
    cases: u32,
}

/// An open `<testsuite>`.
#[derive(Default)]
struct Suite {
    name: Option<String>,
    file: Option<String>,
    time: Option<f64>,
    has_child_suite: bool,
    /// A case of this suite was skipped (bad time, bad id): no spreading.
    dropped: bool,
    /// (sample index, seconds of this case).
    cases: Vec<(usize, f64)>,
    one_file: bool,
    /// Length of the parser's suite chain before this suite was added.
    chain_len: usize,
    /// `file` and `name` normalised once when the suite opens: every case inheriting them reuses the result
    /// instead of re-reading an attribute that may be megabytes long.
    file_normalized: Option<String>,
    name_normalized: Option<String>,
}

/// The attributes of a test case that matter (`None`: absent).
struct CaseAttrs<'a> {
    name: Option<&'a str>,
    classname: Option<&'a str>,
    file: Option<&'a str>,
    time: Option<&'a str>,
}

/// An attribute's value: the raw one when it was plain (`Some`), else the one decoded into `buf`.
fn pick<'a>(raw: Option<Option<&'a str>>, buf: &'a str) -> Option<&'a str> {
    raw.map(|v| v.unwrap_or(buf))
}

/// A test case attribute [`Parser::case`] reads, by local name: its name in messages and its slot (0 name,
/// 1 classname, 2 file, 3 time). The one list of them: [`EmptyCase`] keeps exactly these.
fn case_attr(key: &str) -> Option<(&'static str, usize)> {
    match key {
        "name" => Some(("name", 0)),
        "classname" => Some(("classname", 1)),
        "file" | "filepath" => Some(("file", 2)),
        "time" => Some(("time", 3)),
        _ => None,
    }
}

/// Reused buffers for attribute values that need decoding (entities, white space).
#[derive(Default)]
struct Bufs {
    name: String,
    classname: String,
    file: String,
    time: String,
}

const MAPPINGS: [CaseMapping; 6] = [
    CaseMapping::FileAttribute,
    CaseMapping::FileFromClassname,
    CaseMapping::ClassnameToPath,
    CaseMapping::ClassAsUnit,
    CaseMapping::SuiteAsUnit,
    CaseMapping::NameAsUnit,
];

struct Parser<'t, 'w> {
    roots: &'t [String],
    w: &'w mut Warnings,
    lines: LineCounter<'t>,
    opens: Vec<Open>,
    /// Root-level element count (several concatenated documents are accepted).
    roots_seen: u32,
    /// Number of open `<testcase>` elements (everything inside one is skipped).
    case_depth: usize,
    suites: Vec<Suite>,
    samples: Samples,
    bufs: Bufs,
    /// The id of the case being added, and a second buffer for [`JunitCase::key_into`] (reused from case to case).
    key_bufs: (String, String),
    /// Last raw path and its normalised form (consecutive cases usually share a file).
    cache: (String, String),
    mapping_counts: [usize; MAPPINGS.len()],
    any_file: bool,
    cases_total: usize,
    missing_time: usize,
    /// Names of the open suites, outermost first, joined by `::`.
    chain: String,
    /// The open case has no `time` / has a `<skipped>` child.
    case_no_time: bool,
    case_skipped: bool,
    /// Cases read by [`Parser::empty_cases`] (tests check that the lane is taken).
    fast_cases: usize,
}

/// Reads a JUnit XML report.
pub(crate) fn parse(text: &str, roots: &[String], w: &mut Warnings) -> Result<Samples> {
    parse_with(text, roots, w, true, &mut 0)
}

/// [`parse`], with or without the lane for runs of `<testcase …/>` ([`Parser::empty_cases`]), adding to
/// `fast_cases` the number of cases that lane read (tests and the junit fuzz target compare both ways).
fn parse_with(
    text: &str,
    roots: &[String],
    w: &mut Warnings,
    fast: bool,
    fast_cases: &mut usize,
) -> Result<Samples> {
    let mut p = Parser {
        roots,
        w,
        lines: LineCounter::new(text),
        opens: Vec::new(),
        roots_seen: 0,
        case_depth: 0,
        suites: Vec::new(),
        samples: Samples::new(),
        bufs: Bufs::default(),
        key_bufs: (String::new(), String::new()),
        cache: (String::new(), String::new()),
        mapping_counts: [0; MAPPINGS.len()],
        any_file: false,
        cases_total: 0,
        missing_time: 0,
        chain: String::new(),
        case_no_time: false,
        case_skipped: false,
        fast_cases: 0,
    };
    // Events borrow from `text` (no copy of each tag into a buffer).
    let mut reader = Reader::from_str(text);
    // A bare `&` in a failure message (some reporters do not escape text) must not end the parse: text is never
    // read anyway. End tags must still match their start tags.
    reader.config_mut().allow_dangling_amp = true;
    loop {
        let pos = usize::try_from(reader.buffer_position()).unwrap_or(usize::MAX);
        match reader.read_event() {
            Ok(Event::Start(e)) => {
                p.open(&e, pos, false)?;
                if fast {
                    p.empty_cases(text, &mut reader)?;
                }
            }
            Ok(Event::Empty(e)) => {
                p.open(&e, pos, true)?;
                if fast {
                    p.empty_cases(text, &mut reader)?;
                }
            }
            Ok(Event::End(_)) => {
                p.close();
                if fast {
                    p.empty_cases(text, &mut reader)?;
                }
            }
            Ok(Event::DocType(d)) => {
                let d: &str = d.as_ref();
                if contains_ignore_case(d, "<!ENTITY") {
                    let line = p.lines.line_at(pos);
                    return Err(Error::report(
                        p.w.source(),
                        format!("line {line}"),
                        "DOCTYPE with entity declarations (<!ENTITY …>) is not allowed: entities are never expanded",
                    ));
                }
            }
            Ok(Event::Eof) => break,
            Ok(_) => {}
            Err(e) => {
                let at = usize::try_from(reader.error_position()).unwrap_or(usize::MAX);
                let line = p.lines.line_at(at);
                // quick-xml's text quotes the document (a mismatched end tag, newlines and all).
                let e = e.to_string();
                let e = printable(&e, 200);
                if p.samples.len() == 0 {
                    return Err(Error::report(
                        p.w.source(),
                        format!("line {line}"),
                        format!("not well-formed XML: {e}"),
                    ));
                }
                let kept = p.samples.len();
                p.w.push(Kind::Note, &format!("line {line}"), || {
                    format!("not well-formed XML: {e}; the rest of the report was ignored ({kept} test ids kept)")
                });
                p.opens.clear();
                break;
            }
        }
    }
    *fast_cases += p.fast_cases;
    p.finish()
}

/// Reads `text` both ways (with and without [`Parser::empty_cases`]) and says how the results differ, if they do:
/// ids, files, seconds (bit for bit), warnings, or the error. `Ok` holds how many cases the fast lane read.
#[cfg(any(test, fuzzing))]
pub(crate) fn paths_agree(text: &str, roots: &[String]) -> std::result::Result<usize, String> {
    type Outcome = std::result::Result<(Vec<(String, String, u64)>, Vec<String>, usize), String>;
    let read = |fast: bool| -> Outcome {
        let mut w = Warnings::new("junit.xml");
        let mut fast_cases = 0;
        let samples =
            parse_with(text, roots, &mut w, fast, &mut fast_cases).map_err(|e| e.to_string())?;
        let rows = (0..samples.len())
            .map(|i| {
                let secs = samples.seconds(i).to_bits();
                (samples.id(i).to_string(), samples.file(i).to_string(), secs)
            })
            .collect();
        Ok((rows, w.finish(), fast_cases))
    };
    let (fast, general) = (read(true), read(false));
    match (&fast, &general) {
        (Ok((a, wa, n)), Ok((b, wb, _))) if a == b && wa == wb => Ok(*n),
        (Err(a), Err(b)) if a == b => Ok(0),
        _ => Err(format!("fast lane: {fast:?}\ngeneral: {general:?}")),
    }
}

fn contains_ignore_case(hay: &str, needle: &str) -> bool {
    hay.as_bytes()
        .windows(needle.len())
        .any(|win| win.eq_ignore_ascii_case(needle.as_bytes()))
}

/// XML white space (the only separators between attributes).
fn is_xml_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r')
}

/// `0x01` in every byte of a word (for the word-at-a-time scans below).
const ONES: u64 = 0x0101_0101_0101_0101;
/// `0x80` in every byte of a word.
const HIGHS: u64 = 0x8080_8080_8080_8080;

/// Non-zero when some byte of `x` is below `n` (`n` ≤ 0x80; the classic exact test for "has a byte less than").
fn any_byte_below(x: u64, n: u8) -> u64 {
    x.wrapping_sub(ONES * u64::from(n)) & !x & HIGHS
}

/// Non-zero when some byte of `x` equals `b`.
fn any_byte_is(x: u64, b: u8) -> u64 {
    any_byte_below(x ^ (ONES * u64::from(b)), 1)
}

/// Where an attribute value that opened with `quote` ends in `body`, and whether the value is plain: it needs no
/// [`decode_attr`] (no `&` and no byte below 0x20 — tab, CR and LF are rewritten there; other control bytes are
/// sent there too, which keeps them). One pass, eight bytes at a time: this reads every attribute of every case.
/// (memchr for the quote plus a vectorised fold for the rest was tried: 2 % fewer instructions natively, but the
/// wasm `plan` call spent 56 ms in this reader instead of 32 ms — values are short, and each search pays its setup.)
/// `None`: no closing quote.
fn scan_value(body: &[u8], quote: u8) -> Option<(usize, bool)> {
    let mut plain = true;
    let mut start = 0;
    for chunk in body.chunks_exact(8) {
        let Ok(bytes) = <[u8; 8]>::try_from(chunk) else {
            break;
        };
        let x = u64::from_le_bytes(bytes);
        if any_byte_is(x, quote) != 0 {
            break;
        }
        plain &= (any_byte_is(x, b'&') | any_byte_below(x, 0x20)) == 0;
        start += 8;
    }
    // The chunk holding the quote (or the tail), byte by byte.
    let tail = body.get(start..)?;
    for (i, &b) in tail.iter().enumerate() {
        if b == quote {
            return Some((start + i, plain));
        }
        plain &= b >= 0x20 && b != b'&';
    }
    None
}

/// The attributes of a start tag as (local name, raw value) pairs, read from the text after the tag's name
/// (`BytesStart::attributes_raw`). It splits exactly as quick-xml's `Attributes` without duplicate checks — a key
/// runs to `=` or white space, white space is allowed around `=`, the value is quoted with `"` or `'`, the next
/// attribute may follow the closing quote directly — but with a few byte scans instead of a per-byte state machine:
/// this runs on every attribute of every case. A malformed attribute (no `=`, an unquoted or missing value, no
/// closing quote) yields `None` once, and the iteration ends there. Each value comes with whether it is plain
/// (nothing to decode): plain values are used where they are, without a copy.
struct RawAttrs<'a> {
    rest: &'a str,
}

impl<'a> RawAttrs<'a> {
    fn new(raw: &'a str) -> Self {
        RawAttrs { rest: raw }
    }

    /// Drops leading white space.
    fn skip_space(s: &str) -> &str {
        let n = s.bytes().take_while(|&b| is_xml_space(b)).count();
        s.get(n..).unwrap_or_default()
    }

    /// One attribute at the start of `s` (white space already skipped): (name as written, raw value, whether the
    /// value is plain — nothing for [`decode_attr`] to change —, rest after the value).
    fn split(s: &'a str) -> Option<(&'a str, &'a str, bool, &'a str)> {
        // The key's first byte is taken whatever it is (quick-xml does the same: `="v"` is a key `="v"` without `=`).
        let key_end = s
            .bytes()
            .skip(1)
            .position(|b| b == b'=' || is_xml_space(b))
            .map_or(s.len(), |i| i + 1);
        let (key, after) = s.split_at(key_end);
        let after = Self::skip_space(after).strip_prefix('=')?;
        let after = Self::skip_space(after);
        let quote = *after
            .as_bytes()
            .first()
            .filter(|&&q| q == b'"' || q == b'\'')?;
        // The quote is one ASCII byte, so these cuts fall on char boundaries.
        let body = after.get(1..)?;
        let (end, plain) = scan_value(body.as_bytes(), quote)?;
        let value = body.get(..end)?;
        let rest = body.get(end + 1..)?;
        Some((key, value, plain, rest))
    }

    /// A prefixed name (`ns:file`) counts by its local part, as quick-xml's `local_name` does.
    /// (A byte scan: `split_once` would set up a memchr searcher for these few bytes.)
    fn local(key: &str) -> &str {
        match key.bytes().position(|b| b == b':') {
            Some(i) => key.get(i + 1..).unwrap_or_default(),
            None => key,
        }
    }
}

impl<'a> Iterator for RawAttrs<'a> {
    type Item = Option<(&'a str, &'a str, bool)>;

    fn next(&mut self) -> Option<Self::Item> {
        let s = Self::skip_space(self.rest);
        if s.is_empty() {
            self.rest = "";
            return None;
        }
        match Self::split(s) {
            Some((key, value, plain, rest)) => {
                self.rest = rest;
                Some(Some((Self::local(key), value, plain)))
            }
            None => {
                self.rest = "";
                Some(None)
            }
        }
    }
}

/// How many of a case's attributes [`EmptyCase`] keeps (the ones [`Parser::case`] reads); a tag with more goes
/// the general way.
const MAX_FAST_ATTRS: usize = 8;

/// A `<testcase …/>` element at the start of a text (after white space), as [`Parser::empty_cases`] takes it.
struct EmptyCase<'a> {
    /// Offset of the `<`.
    lt: usize,
    /// Offset just after the `/>`.
    len: usize,
    /// The attributes [`Parser::case`] reads, in order: (local name, raw value, plain).
    attrs: [(&'a str, &'a str, bool); MAX_FAST_ATTRS],
    n: usize,
}

impl<'a> EmptyCase<'a> {
    /// The case at the start of `text`, or `None` when what comes is anything else (see [`Parser::empty_cases`]).
    fn scan(text: &'a str) -> Option<Self> {
        let lt = text.bytes().take_while(|&b| is_xml_space(b)).count();
        let after = text.get(lt..)?.strip_prefix("<testcase")?;
        if !after.bytes().next().is_some_and(is_xml_space) {
            return None;
        }
        let mut tag = EmptyCase {
            lt,
            len: 0,
            attrs: [("", "", true); MAX_FAST_ATTRS],
            n: 0,
        };
        let mut s = after;
        loop {
            s = RawAttrs::skip_space(s);
            if let Some(end) = s.strip_prefix("/>") {
                tag.len = text.len() - end.len();
                return Some(tag);
            }
            // `>` ends a start tag (a case with children); a quote or angle bracket in a key would make quick-xml
            // find another end than ours. Both go the general way, as do malformed attributes.
            let (key, value, plain, rest) = RawAttrs::split(s)?;
            if key.bytes().any(|b| matches!(b, b'"' | b'\'' | b'<' | b'>')) {
                return None;
            }
            let key = RawAttrs::local(key);
            if case_attr(key).is_some() {
                *tag.attrs.get_mut(tag.n)? = (key, value, plain);
                tag.n += 1;
            }
            s = rest;
        }
    }
}

/// Decodes an attribute value into `out`: the five predefined entities and numeric character references; literal
/// tab, CR, LF → space (XML attribute-value normalisation). Other entities are never expanded: an unknown `&name;`
/// or a bare `&` is kept as written. Returns a description of anything kept or replaced.
fn decode_attr(raw: &str, out: &mut String) -> Option<String> {
    out.clear();
    // Tab, LF and CR are below 0x20, so one range test and one compare find every candidate; a byte fold without an
    // early exit is vectorised (this runs on every attribute). Other control characters take the slow path, which
    // keeps them as they are.
    let candidates = raw.bytes().fold(0u8, |found, b| {
        found | u8::from(b < 0x20) | u8::from(b == b'&')
    });
    if candidates == 0 {
        out.push_str(raw);
        return None;
    }
    let mut problem = None;
    let mut rest = raw;
    while let Some(i) = rest.find(['&', '\t', '\n', '\r']) {
        out.push_str(&rest[..i]);
        rest = &rest[i..];
        if let Some(r) = rest
            .strip_prefix("\r\n")
            .or_else(|| rest.strip_prefix(['\t', '\n', '\r']))
        {
            out.push(' ');
            rest = r;
            continue;
        }
        // `rest` starts with `&`; a reference ends at a `;` within 32 bytes.
        let semi = rest
            .bytes()
            .skip(1)
            .take(32)
            .position(|b| b == b';')
            .map(|j| j + 1);
        let Some(semi) = semi else {
            out.push('&');
            rest = &rest[1..];
            problem.get_or_insert_with(|| "a bare `&` was kept as written".to_string());
            continue;
        };
        let ent = &rest[1..semi];
        let decoded = match ent {
            "lt" => Some('<'),
            "gt" => Some('>'),
            "amp" => Some('&'),
            "apos" => Some('\''),
            "quot" => Some('"'),
            _ => None,
        };
        match decoded {
            Some(c) => out.push(c),
            None if ent.starts_with('#') => {
                let num = ent.strip_prefix("#x").or_else(|| ent.strip_prefix("#X"));
                let code = match num {
                    Some(hex) => u32::from_str_radix(hex, 16).ok(),
                    None => ent[1..].parse::<u32>().ok(),
                };
                match code.and_then(char::from_u32) {
                    Some(c) => out.push(c),
                    None => {
                        out.push(char::REPLACEMENT_CHARACTER);
                        problem.get_or_insert_with(|| {
                            format!(
                                "invalid character reference `&{};` replaced by U+FFFD",
                                printable(ent, 32)
                            )
                        });
                    }
                }
            }
            None => {
                out.push_str(&rest[..=semi]);
                problem.get_or_insert_with(|| {
                    format!(
                        "unknown entity `&{};` kept as written (entities are never expanded)",
                        printable(ent, 32)
                    )
                });
            }
        }
        rest = &rest[semi + 1..];
    }
    out.push_str(rest);
    problem
}

impl Parser<'_, '_> {
    /// `line N, testsuites/testsuite[2]/testcase[7]` for the element starting at byte `pos`.
    fn location(lines: &mut LineCounter<'_>, opens: &[Open], pos: usize) -> String {
        use std::fmt::Write;
        let mut s = format!("line {}, ", lines.line_at(pos));
        let mut first = true;
        for o in opens {
            let name = match o.kind {
                Elem::Testsuites => "testsuites",
                Elem::Testsuite => "testsuite",
                Elem::Testcase => "testcase",
                Elem::Other => continue,
            };
            if !first {
                s.push('/');
            }
            first = false;
            s.push_str(name);
            if o.kind != Elem::Testsuites {
                let _ = write!(s, "[{}]", o.ordinal);
            }
        }
        s
    }

    fn open(&mut self, e: &BytesStart<'_>, pos: usize, empty: bool) -> Result<()> {
        let kind = if self.case_depth > 0 {
            if self.opens.last().is_some_and(|o| o.kind == Elem::Testcase)
                && e.local_name().as_ref() == "skipped"
            {
                self.case_skipped = true;
            }
            Elem::Other
        } else {
            match e.local_name().as_ref() {
                "testsuites" => Elem::Testsuites,
                "testsuite" => Elem::Testsuite,
                "testcase" => Elem::Testcase,
                _ => Elem::Other,
            }
        };
        self.enter(kind, pos, || e.name().as_ref().to_string())?;
        match kind {
            Elem::Testsuite => self.open_suite(e, pos),
            Elem::Testcase => {
                self.begin_case();
                self.case(RawAttrs::new(e.attributes_raw()), pos);
            }
            _ => {}
        }
        if empty {
            self.close();
        }
        Ok(())
    }

    /// Pushes an element of `kind` starting at `pos` (`name`: its tag name, for the error at the root).
    fn enter(&mut self, kind: Elem, pos: usize, name: impl FnOnce() -> String) -> Result<()> {
        if self.opens.len() >= limits::MAX_XML_DEPTH {
            let line = self.lines.line_at(pos);
            return Err(Error::report(
                self.w.source(),
                format!("line {line}"),
                format!(
                    "elements are nested deeper than {} levels",
                    limits::MAX_XML_DEPTH
                ),
            ));
        }
        let ordinal = match self.opens.last_mut() {
            None => {
                if !matches!(kind, Elem::Testsuites | Elem::Testsuite) {
                    let line = self.lines.line_at(pos);
                    let name = name();
                    return Err(Error::report(
                        self.w.source(),
                        format!("line {line}"),
                        format!(
                            "not a timing file: root element <{}> is not <testsuites> or <testsuite>; {ACCEPTED_FORMATS}",
                            printable(&name, 40)
                        ),
                    ));
                }
                self.roots_seen += 1;
                self.roots_seen
            }
            Some(parent) => match kind {
                Elem::Testsuite => {
                    parent.suites += 1;
                    parent.suites
                }
                Elem::Testcase => {
                    parent.cases += 1;
                    parent.cases
                }
                _ => 0,
            },
        };
        self.opens.push(Open {
            kind,
            ordinal,
            suites: 0,
            cases: 0,
        });
        Ok(())
    }

    /// A `<testcase>` was entered: everything inside it is skipped.
    fn begin_case(&mut self) {
        self.case_depth += 1;
        self.case_no_time = false;
        self.case_skipped = false;
    }

    /// The lane for the bulk of a report: `<testcase …/>` elements one after another (white space between them),
    /// read here in one pass each — the tag's end found while its attributes are split — instead of quick-xml
    /// finding the tag's end (a scan over every quote) and [`RawAttrs`] then splitting the same bytes again. Called
    /// right after quick-xml emitted a start, empty or end tag, when its reader stands just after a `>`; each case
    /// read here is skipped in quick-xml's input (`stream().consume`), which leaves the reader as it would be after
    /// emitting that empty element itself. Anything else ends the run and is left to quick-xml: a case with
    /// children, a comment, text, a key with a quote or an angle bracket, a malformed attribute, the end of input.
    /// What a case read here gives (samples, warnings, their locations) is what quick-xml's path gives: the tag
    /// taken here is exactly the one quick-xml would emit as `Event::Empty` (keys without quotes or `>` put its
    /// first unquoted `>` after the `/`), and its attributes go through the same [`Parser::case`]. Tests and the
    /// junit fuzz target compare both paths.
    fn empty_cases(&mut self, text: &str, reader: &mut Reader<&[u8]>) -> Result<()> {
        // Where quick-xml's path would say something other than "a case": inside a case, at the root, too deep.
        if self.case_depth > 0 || self.opens.is_empty() || self.opens.len() >= limits::MAX_XML_DEPTH
        {
            return Ok(());
        }
        loop {
            let at = usize::try_from(reader.buffer_position()).unwrap_or(usize::MAX);
            let Some(rest) = text.get(at..) else {
                return Ok(());
            };
            let Some(tag) = EmptyCase::scan(rest) else {
                return Ok(());
            };
            // The position quick-xml's path passes: just after the `<` (its text event consumed it).
            let pos = at + tag.lt + 1;
            self.enter(Elem::Testcase, pos, || "testcase".to_string())?;
            self.begin_case();
            self.case(tag.attrs[..tag.n].iter().map(|&a| Some(a)), pos);
            self.close();
            self.fast_cases += 1;
            std::io::BufRead::consume(&mut reader.stream(), tag.len);
        }
    }

    fn close(&mut self) {
        let Some(open) = self.opens.pop() else { return };
        match open.kind {
            Elem::Testsuite => {
                if let Some(suite) = self.suites.pop() {
                    self.finish_suite(suite);
                }
            }
            Elem::Testcase => {
                self.case_depth = self.case_depth.saturating_sub(1);
                if self.case_no_time && !self.case_skipped {
                    self.missing_time += 1;
                }
                self.case_no_time = false;
            }
            _ => {}
        }
    }

    /// Warns about an attribute that could not be fully decoded.
    fn attr_problem(&mut self, pos: usize, attr: &str, problem: Option<String>) {
        if let Some(problem) = problem {
            self.w.push_at(
                Kind::Entity,
                || Self::location(&mut self.lines, &self.opens, pos),
                || format!("{attr}: {problem}"),
            );
        }
    }

    fn open_suite(&mut self, e: &BytesStart<'_>, pos: usize) {
        if let Some(parent) = self.suites.last_mut() {
            parent.has_child_suite = true;
        }
        let mut suite = Suite {
            one_file: true,
            ..Suite::default()
        };
        let mut buf = String::new();
        for attr in e.attributes().with_checks(false).flatten() {
            let which = match attr.key.local_name().as_ref() {
                "name" => "name",
                "file" | "filepath" => "file",
                "time" => "time",
                _ => continue,
            };
            let problem = decode_attr(&attr.value, &mut buf);
            self.attr_problem(pos, which, problem);
            match which {
                "name" => suite.name = Some(buf.clone()),
                "file" => suite.file = Some(buf.clone()),
                _ => match parse_seconds(&buf) {
                    Ok(t) => suite.time = Some(t),
                    Err(why) => {
                        self.w.push_at(
                            Kind::BadTime,
                            || Self::location(&mut self.lines, &self.opens, pos),
                            || {
                                format!(
                                    "time=\"{}\" {why}; suite time ignored",
                                    printable(&buf, 40)
                                )
                            },
                        );
                    }
                },
            }
        }
        if suite.file.as_deref().is_some_and(|f| !is_blank(f)) {
            self.any_file = true;
        }
        suite.chain_len = self.chain.len();
        suite.file_normalized = suite
            .file
            .as_deref()
            .map(|f| normalize_path_with(f, self.roots));
        suite.name_normalized = suite
            .name
            .as_deref()
            .map(|n| normalize_path_with(n, self.roots));
        if let Some(name) = suite.name.as_deref().filter(|n| !is_blank(n)) {
            if !self.chain.is_empty() {
                self.chain.push_str("::");
            }
            self.chain.push_str(name);
        }
        self.suites.push(suite);
    }

    /// Reads a case's attributes (`None` in `attrs`: malformed, the rest is not read).
    fn case<'a>(
        &mut self,
        attrs: impl Iterator<Item = Option<(&'a str, &'a str, bool)>>,
        pos: usize,
    ) {
        self.cases_total += 1;
        let mut bufs = std::mem::take(&mut self.bufs);
        // Per attribute (name, classname, file, time): its raw value, or `None` when it was decoded into `bufs`. A
        // repeated attribute: the last one counts (each is decoded, so each warns).
        let mut raw: [Option<Option<&str>>; 4] = [None; 4];
        let mut malformed = false;
        for attr in attrs {
            let Some((key, value, plain)) = attr else {
                malformed = true;
                break;
            };
            let Some((which, slot)) = case_attr(key) else {
                continue;
            };
            let out = match slot {
                0 => &mut bufs.name,
                1 => &mut bufs.classname,
                2 => &mut bufs.file,
                _ => &mut bufs.time,
            };
            let Some(slot) = raw.get_mut(slot) else {
                continue;
            };
            if plain {
                *slot = Some(Some(value));
            } else {
                let problem = decode_attr(value, out);
                self.attr_problem(pos, which, problem);
                *slot = Some(None);
            }
        }
        let [name, classname, file, time] = raw;
        let attrs = CaseAttrs {
            name: pick(name, &bufs.name),
            classname: pick(classname, &bufs.classname),
            file: pick(file, &bufs.file),
            time: pick(time, &bufs.time),
        };
        self.case_attrs(&attrs, malformed, pos);
        for b in [
            &mut bufs.name,
            &mut bufs.classname,
            &mut bufs.file,
            &mut bufs.time,
        ] {
            b.clear();
        }
        self.bufs = bufs;
    }

    fn case_attrs(&mut self, attrs: &CaseAttrs<'_>, malformed: bool, pos: usize) {
        let skip = |p: &mut Self, kind: Kind, msg: &dyn Fn() -> String| {
            p.w.push_at(kind, || Self::location(&mut p.lines, &p.opens, pos), msg);
            if let Some(s) = p.suites.last_mut() {
                s.dropped = true;
            }
        };
        let name = attrs.name.filter(|n| !is_blank(n));
        if malformed {
            skip(self, Kind::Note, &|| {
                "malformed attributes; case skipped".to_string()
            });
        } else if let Some(name) = name {
            let secs = match attrs.time {
                Some(t) => parse_seconds(t),
                None => {
                    self.case_no_time = true;
                    Ok(0.0)
                }
            };
            let setup_script = attrs
                .classname
                .is_some_and(|c| c.starts_with("@setup-script:"));
            match secs {
                Ok(secs) if setup_script => {
                    skip(self, Kind::Note, &|| {
                        format!(
                            "nextest setup script `{}` ({secs} s) is not a test; skipped",
                            printable(name, 60)
                        )
                    });
                }
                Err(why) => {
                    let t = attrs.time.unwrap_or_default();
                    skip(self, Kind::BadTime, &|| {
                        format!("time=\"{}\" {why}; case skipped", printable(t, 40))
                    });
                }
                Ok(secs) => self.add_case(attrs, name, secs, pos),
            }
        } else {
            skip(self, Kind::NoName, &|| {
                "testcase has no name; case skipped".to_string()
            });
        }
    }

    fn add_case(&mut self, attrs: &CaseAttrs<'_>, name: &str, secs: f64, pos: usize) {
        let suite = self.suites.last();
        let case = JunitCase {
            file: attrs.file.or_else(|| suite.and_then(|s| s.file.as_deref())),
            classname: attrs.classname,
            name,
            suite_name: suite.and_then(|s| s.name.as_deref()),
            suite_outer: self.suites.first().and_then(|s| s.name.as_deref()),
            suite_chain: Some(self.chain.as_str()),
        };
        if attrs.file.is_some_and(|f| !is_blank(f)) {
            self.any_file = true;
        }
        let (roots, cache) = (self.roots, &mut self.cache);
        // The inherited attributes, found by address (O(1), and sound: they are borrowed from the open suites for
        // the whole call), with their normalised forms.
        let inherited: [(Option<&str>, Option<&str>); 3] = [
            (
                suite.and_then(|s| s.file.as_deref()),
                suite.and_then(|s| s.file_normalized.as_deref()),
            ),
            (
                suite.and_then(|s| s.name.as_deref()),
                suite.and_then(|s| s.name_normalized.as_deref()),
            ),
            (
                self.suites.first().and_then(|s| s.name.as_deref()),
                self.suites
                    .first()
                    .and_then(|s| s.name_normalized.as_deref()),
            ),
        ];
        let mut too_long = None;
        let mut normalize = |raw: &str, out: &mut String| -> bool {
            let same = |s: &str| std::ptr::eq(s, raw);
            let normalized = match inherited.iter().find(|(r, _)| r.is_some_and(same)) {
                Some(&(_, Some(n))) => n,
                _ => {
                    if cache.0 != raw {
                        cache.0.clear();
                        cache.0.push_str(raw);
                        cache.1 = normalize_path_with(raw, roots);
                    }
                    cache.1.as_str()
                }
            };
            // A file longer than an id may be is never kept: refused before it is copied into a key.
            if normalized.len() > limits::MAX_ID_BYTES {
                too_long = Some((normalized.len(), printable(normalized, 60).into_owned()));
                return false;
            }
            out.push_str(normalized);
            true
        };
        // The id is built in a buffer reused from case to case, and stored from there.
        let (mut id, mut scratch) = std::mem::take(&mut self.key_bufs);
        let built = case.key_into(&mut normalize, &mut id, &mut scratch);
        let added = match built {
            None => {
                let (bytes, file) = too_long.unwrap_or_default();
                self.w.push_at(Kind::LongId, || Self::location(&mut self.lines, &self.opens, pos), || {
                    format!(
                        "test file name of {bytes} bytes is longer than the limit of {} bytes; entry skipped: {file}",
                        limits::MAX_ID_BYTES
                    )
                });
                if let Some(suite) = self.suites.last_mut() {
                    suite.dropped = true;
                }
                None
            }
            Some((file_len, mapping)) => {
                if let Some(i) = MAPPINGS.iter().position(|m| *m == mapping) {
                    self.mapping_counts[i] += 1;
                }
                let (lines, opens) = (&mut self.lines, &self.opens);
                Some(self.samples.add_id(&id, file_len, secs, self.w, &mut || {
                    Self::location(lines, opens, pos)
                }))
            }
        };
        self.key_bufs = (id, scratch);
        let Some(added) = added else {
            return;
        };
        let Some(suite) = self.suites.last_mut() else {
            return;
        };
        match added {
            None => suite.dropped = true,
            Some(idx) => {
                if let Some(&(first, _)) = suite.cases.first() {
                    if suite.one_file && self.samples.file(first) != self.samples.file(idx) {
                        suite.one_file = false;
                    }
                }
                suite.cases.push((idx, secs));
            }
        }
    }

    /// Go subtests (`TestX/sub`) are reported next to their parent `TestX`, whose time includes theirs: each
    /// subtest's time is taken off its closest reported parent in the same suite, so that sums do not count it
    /// twice. Only names starting with `Test` (Go's rule for test functions) are considered.
    fn subtract_subtests(&mut self, suite: &mut Suite) {
        let is_subtest = |id: &str, file: &str| {
            id.get(file.len()..)
                .and_then(|r| r.strip_prefix("::"))
                .is_some_and(|n| n.starts_with("Test") && n.contains('/'))
        };
        if !suite
            .cases
            .iter()
            .any(|&(i, _)| is_subtest(self.samples.id(i), self.samples.file(i)))
        {
            return;
        }
        // The closest reported parent of each subtest in O(total id length · log n): the suite's ids sorted
        // (stable, so of equal ids the last case comes last, as a map keyed by id would keep), and a stack holding
        // the chain of earlier ids that are prefixes of the current one — every prefix of an id sorts before it and
        // stays on the stack until an id it is not a prefix of comes, so each id is pushed and popped once. The
        // parent is the nearest of them followed by `/` in the subtest's id. (Looking up every `/`-prefix in a map
        // cost O(id length) per `/`: quadratic on deep subtest names.)
        let ids: Vec<&str> = suite
            .cases
            .iter()
            .map(|&(i, _)| self.samples.id(i))
            .collect();
        let mut order: Vec<usize> = (0..ids.len()).collect();
        order.sort_by(|&a, &b| ids[a].cmp(ids[b]));
        let mut parent_of: Vec<Option<usize>> = vec![None; ids.len()];
        let mut stack: Vec<usize> = Vec::new();
        for &k in &order {
            let id = ids[k];
            while stack.last().is_some_and(|&t| !id.starts_with(ids[t])) {
                stack.pop();
            }
            let file = suite
                .cases
                .get(k)
                .map_or("", |&(i, _)| self.samples.file(i));
            if is_subtest(id, file) {
                parent_of[k] = stack.iter().rev().copied().find(|&t| {
                    let len = ids[t].len();
                    len > file.len() + 2 && id.as_bytes().get(len) == Some(&b'/')
                });
            }
            stack.push(k);
        }
        let moves: Vec<(usize, f64)> = parent_of
            .iter()
            .zip(&suite.cases)
            .filter_map(|(p, &(_, secs))| p.map(|k| (k, secs)))
            .collect();
        for (k, secs) in moves {
            if let Some(case) = suite.cases.get_mut(k) {
                let taken = secs.min(case.1);
                case.1 -= taken;
                self.samples.add_seconds(case.0, -taken);
            }
        }
    }

    /// Spreads a leaf suite's unexplained time over its cases (rule in the module docs).
    fn finish_suite(&mut self, mut suite: Suite) {
        self.chain.truncate(suite.chain_len);
        self.subtract_subtests(&mut suite);
        let Some(time) = suite.time else { return };
        if suite.has_child_suite || suite.dropped || !suite.one_file || suite.cases.is_empty() {
            return;
        }
        let sum: f64 = suite.cases.iter().map(|c| c.1).sum();
        let excess = time - sum;
        if excess <= 0.0 {
            return;
        }
        let n = suite.cases.len() as f64;
        for &(idx, secs) in &suite.cases {
            let share = if sum > 0.0 {
                excess * secs / sum
            } else {
                excess / n
            };
            self.samples.add_seconds(idx, share);
        }
    }

    fn finish(self) -> Result<Samples> {
        if self.roots_seen == 0 {
            return Err(Error::report(
                self.w.source(),
                "",
                format!(
                    "not a timing file: no <testsuites> or <testsuite> element; {ACCEPTED_FORMATS}"
                ),
            ));
        }
        if let Some(open) = self.opens.iter().rev().find(|o| o.kind != Elem::Other) {
            let name = match open.kind {
                Elem::Testsuites => "testsuites",
                Elem::Testsuite => "testsuite",
                _ => "testcase",
            };
            let kept = self.samples.len();
            self.w.push(Kind::Note, "", || {
                format!("the report ends inside <{name}> (cut off?); {kept} test ids kept")
            });
        }
        if self.cases_total == 0 {
            self.w.push(Kind::Note, "", || {
                "the report has no <testcase> elements".to_string()
            });
        }
        if self.missing_time > 0 {
            let (n, total) = (self.missing_time, self.cases_total);
            self.w.push(Kind::Note, "", || {
                format!("{n} of {total} test cases have no time attribute; counted as 0 s")
            });
        }
        if !self.any_file && self.samples.len() > 0 {
            let used: Vec<String> = MAPPINGS
                .iter()
                .zip(self.mapping_counts)
                .filter(|(_, n)| *n > 0)
                .map(|(m, n)| format!("{} ({n} cases)", m.describe()))
                .collect();
            let used = used.join(", ");
            self.w.push(Kind::Note, "", || {
                format!(
                    "no `file` attributes in this JUnit report; test cases were mapped to files by {used}. \
                     If these do not match your test files, make the reporter write `file` attributes"
                )
            });
        }
        Ok(self.samples)
    }
}

#[cfg(test)]
mod tests {
    use super::{decode_attr, RawAttrs};
    use crate::report::{parse, Format, ParseOptions};

    fn run(xml: &str) -> (Vec<(String, String, f64)>, Vec<String>) {
        let r = parse(
            "junit.xml",
            xml.as_bytes(),
            &ParseOptions {
                roots: vec!["/w".into()],
            },
        )
        .unwrap_or_else(|e| panic!("{xml}: {e}"));
        assert_eq!(r.format, Format::JUnit);
        (
            r.samples
                .into_iter()
                .map(|s| (s.key.file, s.key.id, s.seconds))
                .collect(),
            r.warnings,
        )
    }

    fn ids(xml: &str) -> Vec<(String, f64)> {
        run(xml).0.into_iter().map(|(_, id, s)| (id, s)).collect()
    }

    fn close(a: &[(String, f64)], b: &[(&str, f64)]) -> bool {
        a.len() == b.len()
            && a.iter()
                .zip(b)
                .all(|(x, y)| x.0 == y.0 && (x.1 - y.1).abs() < 1e-9)
    }

    /// (what, report, expected (id, seconds) in order).
    type Case = (&'static str, &'static str, Vec<(&'static str, f64)>);

    /// The word-at-a-time scan agrees with a plain byte loop at every length and position.
    #[test]
    fn scan_value_matches_a_byte_loop() {
        let reference = |body: &[u8], quote: u8| {
            let end = body.iter().position(|&b| b == quote)?;
            let plain = body[..end].iter().all(|&b| b >= 0x20 && b != b'&');
            Some((end, plain))
        };
        let fillers: [&[u8]; 4] = [
            b"abcdefghijklmnopq",
            "é→€ü".as_bytes(),
            b"\x7f\x80\xff ",
            b"x",
        ];
        for filler in fillers {
            for len in 0..20 {
                let base: Vec<u8> = filler.iter().copied().cycle().take(len).collect();
                for special in [
                    None,
                    Some(b'&'),
                    Some(b'\t'),
                    Some(0x01),
                    Some(0x1f),
                    Some(b' '),
                    Some(b'\''),
                ] {
                    for at in 0..=len {
                        let mut body = base.clone();
                        if let Some(sp) = special {
                            body.insert(at, sp);
                        }
                        for tail in [&b"\"rest"[..], b"", b"abc\"", b"&&\""] {
                            let mut b = body.clone();
                            b.extend_from_slice(tail);
                            assert_eq!(
                                super::scan_value(&b, b'"'),
                                reference(&b, b'"'),
                                "{:?}",
                                String::from_utf8_lossy(&b)
                            );
                        }
                    }
                }
            }
        }
    }

    /// `RawAttrs` splits every attribute list as quick-xml's `Attributes` (without duplicate checks) does, up to
    /// and including the first malformed attribute.
    #[test]
    fn raw_attrs_match_quick_xml() {
        /// Attribute text after the tag name, the pairs wanted, whether it ends malformed.
        type Case<'a> = (&'a str, &'a [(&'a str, &'a str)], bool);
        let cases: &[Case] = &[
            ("", &[], false),
            ("   ", &[], false),
            (
                r#" name="a" time='1.5'"#,
                &[("name", "a"), ("time", "1.5")],
                false,
            ),
            (
                " a = \"x y\"\n\tb='q\"r'",
                &[("a", "x y"), ("b", "q\"r")],
                false,
            ),
            (r#" a="1"b="2""#, &[("a", "1"), ("b", "2")], false),
            (
                " a=\"x&lt;\" b='\ty' c=\"\x01\"",
                &[("a", "x&lt;"), ("b", "\ty"), ("c", "\x01")],
                false,
            ),
            (
                r#" ns:file="f.py" x:y:z="v""#,
                &[("file", "f.py"), ("y:z", "v")],
                false,
            ),
            (r#" k="" ="v""#, &[("k", "")], true),
            (r#" k=="v""#, &[], true),
            (
                r#" a="é→" b="<&amp;>""#,
                &[("a", "é→"), ("b", "<&amp;>")],
                false,
            ),
            (r#" a="1" b"#, &[("a", "1")], true),
            (r#" a="1" b c="2""#, &[("a", "1")], true),
            (" a=", &[], true),
            (" a= ", &[], true),
            (" a=x b=\"1\"", &[], true),
            (r#" a="1" b="unclosed"#, &[("a", "1")], true),
            (" a='mixed\"", &[], true),
        ];
        for &(raw, want, want_bad) in cases {
            let mut got = Vec::new();
            let mut bad = false;
            for a in RawAttrs::new(raw) {
                match a {
                    Some((k, v, plain)) => {
                        // Plain exactly when decoding would change nothing.
                        let mut decoded = String::new();
                        let problem = decode_attr(v, &mut decoded);
                        if plain {
                            assert_eq!((decoded.as_str(), problem), (v, None), "{raw:?}");
                        }
                        let plain_bytes = v.bytes().all(|b| b >= 0x20 && b != b'&');
                        assert_eq!(plain, plain_bytes, "{raw:?}");
                        got.push((k, v));
                    }
                    None => bad = true,
                }
            }
            assert_eq!((got.as_slice(), bad), (want, want_bad), "{raw:?}");
            // The reference: quick-xml on the same tag content.
            let e = quick_xml::events::BytesStart::from_content(format!("t{raw}"), 1);
            let mut reference = Vec::new();
            let mut reference_bad = false;
            for a in e.attributes().with_checks(false) {
                match a {
                    Ok(a) => reference
                        .push((a.key.local_name().as_ref().to_string(), a.value.to_string())),
                    Err(_) => {
                        reference_bad = true;
                        break;
                    }
                }
            }
            let got: Vec<(String, String)> = got
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect();
            assert_eq!((got, bad), (reference, reference_bad), "{raw:?}");
        }
    }

    #[test]
    fn producer_shapes() {
        let cases: Vec<Case> = vec![
            ("pytest xunit1, no wrapper, Start and Empty cases",
             r#"<?xml version="1.0" encoding="utf-8"?><testsuite name="pytest" time="0.5"><testcase classname="tests.test_a.TestC" file="tests/test_a.py" line="3" name="test_x[1]" time="1.5"></testcase><testcase classname="tests.test_a" file="tests/test_a.py" name="test_y" time="2"/><testcase classname="tests.test_b" file="tests/test_b.py" name="test_z" time="0.25"><failure message="boom">trace</failure></testcase></testsuite>"#,
             vec![("tests/test_a.py::TestC::test_x[1]", 1.5), ("tests/test_a.py::test_y", 2.0), ("tests/test_b.py::test_z", 0.25)]),
            ("pytest xunit2 (no file), testsuites wrapper",
             r#"<testsuites><testsuite name="pytest" errors="0" time="3"><testcase classname="tests.unit.test_a.TestC" name="test_x" time="1"/><testcase classname="tests.unit.test_a" name="test_y" time="2"><skipped type="pytest.skip" message="no"/></testcase></testsuite></testsuites>"#,
             vec![("tests/unit/test_a.py::TestC::test_x", 1.0), ("tests/unit/test_a.py::test_y", 2.0)]),
            ("nose: skip attribute, no suite time, CDATA output",
             "<testsuite name=\"nosetests\" tests=\"2\" errors=\"0\" failures=\"0\" skip=\"1\"><testcase classname=\"Pkg_t.Mod_t.ModTest\" name=\"testA\" time=\"1.5\"><system-out><![CDATA[<testcase name=\"fake\"/>]]></system-out></testcase><testcase classname=\"Pkg_t.Mod_t.ModTest\" name=\"testB\" time=\"0.5\"><skipped/></testcase></testsuite>",
             vec![("Pkg_t/Mod_t.py::ModTest::testA", 1.5), ("Pkg_t/Mod_t.py::ModTest::testB", 0.5)]),
            ("Ant junitreport: nested properties, class units",
             r#"<testsuites><testsuite name="AllTests" package="net.sf" time="3"><properties><property name="a" value="b"/></properties><testcase classname="net.sf.ATest" name="m" time="1.000"/><testcase classname="net.sf.BTest" name="m" time="0.000"/><system-out/></testsuite></testsuites>"#,
             vec![("net.sf.ATest::m", 1.0), ("net.sf.BTest::m", 0.0)]),
            ("jest-junit without file: suite = describe",
             r#"<testsuites name="jest tests" tests="2" time="3"><testsuite name="sum" tests="2" time="3" timestamp="x"><testcase classname="sum adds" name="sum adds" time="0.5"/><testcase classname="sum subtracts" name="sum subtracts" time="0.5"/></testsuite></testsuites>"#,
             vec![("sum::sum adds", 1.5), ("sum::sum subtracts", 1.5)]),
            ("jest-junit with file on the suite (absolute path under the root)",
             r#"<testsuites><testsuite name="sum" file="/w/src/sum.test.js" time="1"><testcase classname="sum adds" name="sum adds" time="0.25"/></testsuite></testsuites>"#,
             vec![("src/sum.test.js::sum adds", 1.0)]),
            ("Playwright: nested suites per file, classname = file",
             r#"<testsuites id="" name="" tests="2" time="5"><testsuite name="a.spec.ts" hostname="chromium" tests="1" time="2"><testcase name="has title" classname="a.spec.ts" time="1"/></testsuite><testsuite name="a.spec.ts" hostname="firefox" tests="1" time="3"><testcase name="has title" classname="a.spec.ts" time="3"/></testsuite></testsuites>"#,
             vec![("a.spec.ts::has title", 5.0)]),
            ("node test runner: cases directly under testsuites, in a describe, in a nested describe",
             r#"<?xml version="1.0" encoding="utf-8"?><testsuites><testcase name="top" time="0.1" classname="test"/><testsuite name="group" time="0.3" tests="1"><testcase name="inner" time="0.2" classname="test"/></testsuite><testsuite name="s" time="9"><testsuite name="nested group" time="0.5"><testcase name="deep" time="0.5" classname="test"/></testsuite><testcase name="todo" time="0" classname="test"><skipped type="todo"/></testcase></testsuite></testsuites>"#,
             vec![("top", 0.1), ("group::inner", 0.3), ("s::nested group::deep", 0.5), ("s::todo", 0.0)]),
            ("gotestsum: subtests are taken off their parent, whatever the order",
             r#"<testsuites><testsuite name="example.com/m/a" time="0.1"><testcase classname="example.com/m/a" name="TestP/x" time="0.25"/><testcase classname="example.com/m/a" name="TestP/x/deep" time="0.125"/><testcase classname="example.com/m/a" name="TestP" time="1"/><testcase classname="example.com/m/a" name="TestQ/y" time="0.5"/><testcase classname="example.com/m/a" name="TestR" time="0.01"/><testcase classname="example.com/m/a" name="TestR/z" time="0.02"/></testsuite></testsuites>"#,
             vec![("example.com/m/a::TestP/x", 0.125), ("example.com/m/a::TestP/x/deep", 0.125), ("example.com/m/a::TestP", 0.75), ("example.com/m/a::TestQ/y", 0.5), ("example.com/m/a::TestR", 0.0), ("example.com/m/a::TestR/z", 0.02)]),
            ("go subtests: the closest reported parent at a `/`, never a mere name prefix",
             r#"<testsuite name="m/a"><testcase classname="m/a" name="TestA" time="1"/><testcase classname="m/a" name="TestAB/x" time="0.25"/><testcase classname="m/a" name="TestA/b/c" time="0.5"/><testcase classname="m/a" name="TestAB" time="2"/></testsuite>"#,
             vec![("m/a::TestA", 0.5), ("m/a::TestAB/x", 0.25), ("m/a::TestA/b/c", 0.5), ("m/a::TestAB", 1.75)]),
            ("nextest setup scripts are not tests",
             r#"<testsuites name="nextest-run"><testsuite name="@setup-script:warm" tests="1"><testcase name="warm" classname="@setup-script:warm" time="0.3"/></testsuite><testsuite name="c" tests="1"><testcase name="t" classname="c" time="0.1"/></testsuite></testsuites>"#,
             vec![("c::t", 0.1)]),
            ("go-junit-report: suite = package, subtests in the name",
             r#"<testsuites><testsuite tests="2" name="github.com/o/r/a/util" time="0.5"><testcase classname="util" name="TestX" time="0.1"/><testcase classname="util" name="TestX/sub_1" time="0.1"/></testsuite><testsuite name="github.com/o/r/b/util" time="0"><testcase classname="util" name="TestX" time="0.3"/></testsuite></testsuites>"#,
             // TestX's 0.1 s is its subtest's; the 0.4 s of package overhead goes to the only case with time.
             vec![("github.com/o/r/a/util::TestX", 0.0), ("github.com/o/r/a/util::TestX/sub_1", 0.5), ("github.com/o/r/b/util::TestX", 0.3)]),
            ("nextest: binary ids with ::",
             r#"<testsuites name="nextest-run" tests="2"><testsuite name="ts::report_real_files" tests="1" disabled="0" errors="0" failures="0"><testcase name="all_files" classname="ts::report_real_files" timestamp="t" time="0.75"/></testsuite><testsuite name="ts" tests="1"><testcase name="report::tests::x" classname="ts" time="0.01"/></testsuite></testsuites>"#,
             vec![("ts::report_real_files::all_files", 0.75), ("ts::report::tests::x", 0.01)]),
            ("rspec_junit_formatter",
             r#"<testsuite name="rspec" tests="1" time="2"><testcase classname="spec.models.user_spec" name="User is valid" file="./spec/models/user_spec.rb" time="0.5"/><testcase classname="spec.models.user_spec" name="User is valid" file="./spec/models/user_spec.rb" time="0.25"/></testsuite>"#,
             vec![("spec/models/user_spec.rb::User is valid", 2.0)]),
            ("empty", "<testsuites/>", vec![]),
            ("retried case summed", r#"<testsuite name="x"><testcase classname="a.B" name="t" time="1"/><testcase classname="a.B" name="t" time="2"/></testsuite>"#, vec![("a.B::t", 3.0)]),
            ("namespace prefix and unknown root-level siblings", r#"<j:testsuite xmlns:j="urn:x" name="s"><j:testcase classname="a.B" name="t" time="1"/><weird><deeper/></weird></j:testsuite>"#, vec![("a.B::t", 1.0)]),
            ("plain DOCTYPE is ignored", "<!DOCTYPE testsuite SYSTEM \"junit.dtd\"><testsuite name=\"s\"><testcase classname=\"a.B\" name=\"t\" time=\"1\"/></testsuite>", vec![("a.B::t", 1.0)]),
            ("concatenated documents", "<testsuite name=\"s\"><testcase classname=\"a.B\" name=\"t\" time=\"1\"/></testsuite>\n<?xml version=\"1.0\"?><testsuite name=\"s\"><testcase classname=\"a.C\" name=\"t\" time=\"1\"/></testsuite>", vec![("a.B::t", 1.0), ("a.C::t", 1.0)]),
        ];
        for (what, xml, want) in cases {
            let got = ids(xml);
            assert!(close(&got, &want), "{what}:\n got {got:?}\nwant {want:?}");
        }
    }

    #[test]
    fn suite_time_spreading() {
        let cases: Vec<Case> = vec![
            (
                "proportional",
                r#"<testsuite name="f.js" time="4"><testcase classname="f.js" name="a" time="1"/><testcase classname="f.js" name="b" time="2"/><testcase classname="f.js" name="c" time="0"/></testsuite>"#,
                vec![
                    ("f.js::a", 4.0 / 3.0),
                    ("f.js::b", 8.0 / 3.0),
                    ("f.js::c", 0.0),
                ],
            ),
            (
                "equal when all zero",
                r#"<testsuite name="f.js" time="3"><testcase classname="f.js" name="a" time="0"/><testcase classname="f.js" name="b" time="0"/></testsuite>"#,
                vec![("f.js::a", 1.5), ("f.js::b", 1.5)],
            ),
            (
                "suite smaller than sum (xdist): unchanged",
                r#"<testsuite name="pytest" time="1"><testcase classname="t.test_a" file="t/test_a.py" name="a" time="2"/><testcase classname="t.test_a" file="t/test_a.py" name="b" time="3"/></testsuite>"#,
                vec![("t/test_a.py::a", 2.0), ("t/test_a.py::b", 3.0)],
            ),
            (
                "several files: unchanged",
                r#"<testsuite name="pytest" time="100"><testcase classname="t.test_a" file="t/test_a.py" name="a" time="2"/><testcase classname="t.test_b" file="t/test_b.py" name="b" time="3"/></testsuite>"#,
                vec![("t/test_a.py::a", 2.0), ("t/test_b.py::b", 3.0)],
            ),
            (
                "parent with nested suites: only the leaf spreads",
                r#"<testsuites><testsuite name="outer" time="100"><testsuite name="f.js" time="2"><testcase classname="f.js" name="a" time="1"/></testsuite></testsuite></testsuites>"#,
                vec![("f.js::a", 2.0)],
            ),
            (
                "a case skipped for a bad time: unchanged",
                r#"<testsuite name="f.js" time="10"><testcase classname="f.js" name="a" time="1"/><testcase classname="f.js" name="b" time="x"/></testsuite>"#,
                vec![("f.js::a", 1.0)],
            ),
            (
                "no suite time (nose): unchanged",
                r#"<testsuite name="nosetests"><testcase classname="p.test_a" name="a" time="1"/></testsuite>"#,
                vec![("p/test_a.py::a", 1.0)],
            ),
        ];
        for (what, xml, want) in cases {
            let got = ids(xml);
            assert!(close(&got, &want), "{what}:\n got {got:?}\nwant {want:?}");
        }
    }

    #[test]
    fn bad_values_warn_and_skip() {
        let xml = "<testsuites>\n<testsuite name=\"s\" time=\"zz\">\n<testcase classname=\"a.B\" name=\"ok\" time=\"1\"/>\n\
            <testcase classname=\"a.B\" name=\"t1\" time=\"abc\"/>\n<testcase classname=\"a.B\" name=\"t2\" time=\"NaN\"/>\n\
            <testcase classname=\"a.B\" name=\"t3\" time=\"inf\"/>\n<testcase classname=\"a.B\" name=\"t4\" time=\"-1\"/>\n\
            <testcase classname=\"a.B\" name=\"t5\" time=\"1e999\"/>\n<testcase classname=\"a.B\" name=\"t6\" time=\"\"/>\n\
            <testcase classname=\"a.B\" time=\"1\"/>\n<testcase classname=\"a.B\" name=\"nt\"/>\n</testsuite>\n</testsuites>";
        let (got, warnings) = run(xml);
        let got: Vec<(&str, f64)> = got.iter().map(|(_, id, s)| (id.as_str(), *s)).collect();
        assert_eq!(got, vec![("a.B::ok", 1.0), ("a.B::nt", 0.0)]);
        assert_eq!(
            warnings,
            vec![
                "report junit.xml, line 2, testsuites/testsuite[1]: time=\"zz\" is not a number; suite time ignored",
                "report junit.xml, line 4, testsuites/testsuite[1]/testcase[2]: time=\"abc\" is not a number; case skipped",
                "report junit.xml, line 5, testsuites/testsuite[1]/testcase[3]: time=\"NaN\" is not a number; case skipped",
                "report junit.xml, line 6, testsuites/testsuite[1]/testcase[4]: time=\"inf\" is infinite; case skipped",
                "report junit.xml, line 7, testsuites/testsuite[1]/testcase[5]: time=\"-1\" is negative; case skipped",
                "report junit.xml, line 8, testsuites/testsuite[1]/testcase[6]: time=\"1e999\" is infinite; case skipped",
                "report junit.xml, line 9, testsuites/testsuite[1]/testcase[7]: time=\"\" is empty; case skipped",
                "report junit.xml, line 10, testsuites/testsuite[1]/testcase[8]: testcase has no name; case skipped",
                "report junit.xml: 1 of 9 test cases have no time attribute; counted as 0 s",
                "report junit.xml: no `file` attributes in this JUnit report; test cases were mapped to files by class as unit (2 cases). If these do not match your test files, make the reporter write `file` attributes",
            ]
        );
    }

    #[test]
    fn warnings_are_capped() {
        let mut xml = String::from("<testsuite name=\"s\">\n");
        for i in 0..100 {
            xml.push_str(&format!(
                "<testcase classname=\"a.B\" name=\"t{i}\" time=\"bad\"/>\n"
            ));
        }
        xml.push_str(
            "<testcase classname=\"a.B\" name=\"ok\" file=\"a/b.py\" time=\"1\"/></testsuite>",
        );
        let (got, warnings) = run(&xml);
        assert_eq!(got.len(), 1);
        assert_eq!(
            warnings.len(),
            crate::limits::MAX_WARNINGS_PER_KIND + 1,
            "{warnings:?}"
        );
        assert!(
            warnings[0]
                .starts_with("report junit.xml, line 2, testsuite[1]/testcase[1]: time=\"bad\""),
            "{}",
            warnings[0]
        );
        assert!(
            warnings[19].starts_with("report junit.xml, line 21, testsuite[1]/testcase[20]:"),
            "{}",
            warnings[19]
        );
        assert_eq!(
            warnings[20],
            "report junit.xml: 80 more warnings about unusable durations not shown (100 in all)"
        );
    }

    #[test]
    fn missing_time_is_zero_and_noted_unless_skipped() {
        // Playwright writes no time for skipped and fixme cases.
        let xml = r#"<testsuites><testsuite name="a.spec.js" time="1"><testcase name="t" classname="a.spec.js" time="1"/><testcase name="s" classname="a.spec.js"><properties><property name="skip"/></properties><skipped/></testcase><testcase name="u" classname="a.spec.js"/></testsuite></testsuites>"#;
        let (got, w) = run(xml);
        let got: Vec<(&str, f64)> = got.iter().map(|(_, id, s)| (id.as_str(), *s)).collect();
        assert_eq!(
            got,
            vec![
                ("a.spec.js::t", 1.0),
                ("a.spec.js::s", 0.0),
                ("a.spec.js::u", 0.0)
            ]
        );
        assert!(
            w.contains(
                &"report junit.xml: 1 of 3 test cases have no time attribute; counted as 0 s"
                    .to_string()
            ),
            "{w:?}"
        );
        let (_, w) = run(
            r#"<testsuite name="x"><testcase name="s" classname="a.B"><skipped/></testcase></testsuite>"#,
        );
        assert!(!w.iter().any(|w| w.contains("no time attribute")), "{w:?}");
    }

    #[test]
    fn nextest_setup_script_is_noted() {
        let (_, w) = run(
            r#"<testsuites><testsuite name="@setup-script:warm"><testcase name="warm" classname="@setup-script:warm" time="0.3"/></testsuite></testsuites>"#,
        );
        assert!(
            w[0].contains("nextest setup script `warm` (0.3 s) is not a test; skipped"),
            "{w:?}"
        );
    }

    #[test]
    fn no_file_warning_names_the_mapping() {
        let (_, w) = run(
            r#"<testsuite name="nosetests"><testcase classname="p.test_a.T" name="a" time="1"/></testsuite>"#,
        );
        assert_eq!(w.len(), 1, "{w:?}");
        assert!(
            w[0].contains("mapped to files by classname → file path (1 cases)"),
            "{w:?}"
        );
        let (_, w) = run(
            r#"<testsuite name="x" file="a.js"><testcase classname="c" name="a" time="1"/></testsuite>"#,
        );
        assert!(w.is_empty(), "{w:?}");
    }

    #[test]
    fn structural_errors() {
        let nested = format!("<testsuites>{}</testsuites>", "<a>".repeat(300));
        let cases: Vec<(String, &str)> = vec![
            ("<!DOCTYPE x [<!ENTITY lol \"lol\">]><testsuite name=\"&lol;\"/>".into(), "report junit.xml, line 1: DOCTYPE with entity declarations (<!ENTITY …>) is not allowed"),
            ("<?xml version=\"1.0\"?>\n<!DOCTYPE x [\n<!entity % p SYSTEM \"http://x\">]>\n<testsuite/>".into(), "report junit.xml, line 2: DOCTYPE with entity declarations"),
            (nested, "report junit.xml, line 1: elements are nested deeper than 256 levels"),
            ("<?xml version=\"1.0\"?>\n<html><body/></html>".into(), "report junit.xml, line 2: not a timing file: root element <html> is not <testsuites> or <testsuite>"),
            ("<?xml version=\"1.0\"?><!-- nothing -->".into(), "report junit.xml: not a timing file: no <testsuites> or <testsuite> element"),
            ("<testsuite name=\"s\">\n</testcase>".into(), "report junit.xml, line 2: not well-formed XML"),
            ("<testsuite name=\"s\"\n<testcase".into(), "report junit.xml"),
        ];
        for (xml, want) in cases {
            let err = parse("junit.xml", xml.as_bytes(), &ParseOptions::default())
                .expect_err(&xml)
                .to_string();
            assert!(err.starts_with(want), "{xml}:\n{err}");
        }
    }

    #[test]
    fn quoted_document_text_never_breaks_a_line() {
        // quick-xml's own message quotes the mismatched end tag; an invalid reference is quoted too.
        let (got, w) = run(
            "<testsuite><testcase classname=\"a.B\" name=\"t&#\n::x;\" time=\"1\"/></x\n::error::y></testsuite>",
        );
        assert_eq!(got.len(), 1);
        assert_eq!(w.len(), 3, "{w:?}");
        assert!(
            w[0].contains("invalid character reference `&#\u{FFFD}::x;`"),
            "{w:?}"
        );
        assert!(w[1].contains("`</x\u{FFFD}::error::y>`"), "{w:?}");
        let err = parse(
            "junit\n.xml",
            b"<testsuite></y\r::error::z>",
            &ParseOptions::default(),
        )
        .expect_err("no case read")
        .to_string();
        assert!(
            err.starts_with("report junit\u{FFFD}.xml, line 1: not well-formed XML")
                && err.contains("</y\u{FFFD}::error::z>"),
            "{err}"
        );
        for text in w.iter().chain([&err]) {
            assert!(!text.contains(char::is_control), "{text:?}");
        }
    }

    #[test]
    fn cut_off_reports_keep_what_was_read() {
        let cases = [
            // Ends between elements.
            "<testsuites><testsuite name=\"s\"><testcase classname=\"a.B\" name=\"t\" time=\"1\"/><testcase classname=\"a.B\" name=\"u\" time=\"2\">",
            // Ends inside a tag.
            "<testsuites><testsuite name=\"s\"><testcase classname=\"a.B\" name=\"t\" time=\"1\"/><testcase classname=\"a.B\" name=\"u\" time=\"2\"/><testcase classn",
            // Mismatched end tag.
            "<testsuites><testsuite name=\"s\"><testcase classname=\"a.B\" name=\"t\" time=\"1\"/><testcase classname=\"a.B\" name=\"u\" time=\"2\"/></testsuites>",
        ];
        for xml in cases {
            let (got, w) = run(xml);
            assert_eq!(got.len(), 2, "{xml}");
            assert!(
                w.iter()
                    .any(|w| w.contains("cut off") || w.contains("not well-formed XML")),
                "{xml}: {w:?}"
            );
        }
    }

    #[test]
    fn unescaped_ampersand_in_text_is_harmless() {
        let xml = "<testsuite name=\"s\"><testcase classname=\"a.B\" name=\"t\" time=\"1\"><failure>a & b &c d</failure></testcase><testcase classname=\"a.B\" name=\"u\" time=\"2\"/></testsuite>";
        let (got, w) = run(xml);
        assert_eq!(got.len(), 2, "{w:?}");
    }

    #[test]
    fn entities_are_decoded_but_never_expanded() {
        let cases = [
            ("a&lt;b&gt;&amp;&apos;&quot;", "a<b>&'\"", false),
            ("x&#10;y&#x41;&#X42;", "x\nyAB", false),
            ("tab\there\r\nand\nnl", "tab here and nl", false),
            ("&lol;", "&lol;", true),
            ("a & b", "a & b", true),
            ("&#xD800;", "\u{FFFD}", true),
            ("&#99999999999;", "\u{FFFD}", true),
            ("plain", "plain", false),
            ("ünï&amp;cödé", "ünï&cödé", false),
        ];
        for (raw, want, problem) in cases {
            let mut out = String::new();
            let p = decode_attr(raw, &mut out);
            assert_eq!((out.as_str(), p.is_some()), (want, problem), "{raw}: {p:?}");
        }
        let (got, w) = run(
            r#"<testsuite name="s"><testcase classname="a.B" name="t[&xxe;]" time="1"/></testsuite>"#,
        );
        assert_eq!(got[0].1, "a.B::t[&xxe;]");
        assert!(
            w[0].contains("unknown entity `&xxe;` kept as written"),
            "{w:?}"
        );
    }

    #[test]
    fn a_suite_file_too_long_for_an_id_skips_its_cases_once_each() {
        let long = format!("d/{}", "f".repeat(crate::limits::MAX_ID_BYTES));
        let xml = format!(
            r#"<testsuites><testsuite file="{long}"><testcase name="a" time="1"/><testcase name="b" file="ok.py" time="2"/></testsuite><testsuite name="{long}"><testcase classname="test" name="c" time="3"/></testsuite></testsuites>"#
        );
        let (got, w) = run(&xml);
        let got: Vec<(&str, f64)> = got.iter().map(|(_, id, s)| (id.as_str(), *s)).collect();
        assert_eq!(got, vec![("ok.py::b", 2.0)]);
        let want = format!(
            "test file name of {} bytes is longer than the limit of 65536 bytes; entry skipped: d/fff",
            long.len()
        );
        assert_eq!(w.iter().filter(|w| w.contains(&want)).count(), 2, "{w:?}");
    }

    #[test]
    fn long_and_control_ids() {
        let long = "n".repeat(crate::limits::MAX_ID_BYTES);
        let xml = format!(
            r#"<testsuite name="s"><testcase classname="a.B" name="{long}" time="1"/><testcase classname="a.B" name="x&#27;[2J" time="1"/></testsuite>"#
        );
        let (got, w) = run(&xml);
        assert_eq!(got.len(), 2);
        assert!(got[0].1.len() <= crate::limits::MAX_ID_BYTES && got[0].1.starts_with("a.B::nnn"));
        assert_eq!(got[1].1, "a.B::x\u{FFFD}[2J");
        assert!(
            w[0].contains("longer than the limit of 65536 bytes; kept as its first"),
            "{w:?}"
        );
        assert!(w[1].contains("control characters"), "{w:?}");
    }

    /// The lane for `<testcase …/>` runs gives what quick-xml's path gives, tag by tag, on the shapes it takes and on
    /// those it must leave alone; and it is taken where it should be.
    #[test]
    fn fast_lane_agrees_with_the_general_path() {
        let roots = vec!["/w".to_string()];
        // (report, cases the lane must read).
        let cases: &[(&str, usize)] = &[
            // pytest's shape, with and without white space between cases.
            (r#"<testsuites><testsuite name="pytest"><testcase classname="a.b" file="a/b.py" name="t1" time="0.5"/>
<testcase classname="a.b" file="a/b.py" name="t2" time="1"/><testcase classname="a.b" file="a/b.py" name="t3" time="2"/></testsuite></testsuites>"#, 3),
            // single quotes, odd spacing, `>` `<` and the other quote inside values, namespaced and unknown keys.
            ("<testsuite>\n\t<testcase   name = 'a>b' x:file=\"f'.py\" time='1' other=\"<x>\"\n />\r\n<testcase name=\"c\"time=\"2\"/></testsuite>", 2),
            // entities and control characters: decoded (and warned about) by the same code.
            (r#"<testsuite><testcase name="a&amp;b" file="x&bogus;.py" time="1"/><testcase name="a&#0;b" time="1&#x2e;5"/></testsuite>"#, 2),
            // bad and missing times, no name, a nextest setup script.
            (r#"<testsuite><testcase name="a" time="abc"/><testcase name="b"/><testcase time="1"/><testcase classname="@setup-script:db" name="s" time="2"/></testsuite>"#, 4),
            // repeated attributes: the last counts, each warns.
            (r#"<testsuite><testcase name="a&x;" name="b&y;" time="1" time="2"/></testsuite>"#, 1),
            // more attributes than the lane keeps.
            (r#"<testsuite><testcase name="a" name="b" name="c" name="d" name="e" name="f" name="g" name="h" name="i" time="1"/><testcase name="z" time="1"/></testsuite>"#, 1),
            // keys with a quote or an angle bracket: quick-xml would end the tag elsewhere.
            (r#"<testsuite><testcase a"b="x" name="c" time="1"/><testcase name="d" time="1"/></testsuite>"#, 0),
            (r#"<testsuite><testcase a>b="x" name="c"/><testcase name="d" time="1"/></testsuite>"#, 0),
            (r#"<testsuite><testcase a'b='x' name="c"/></testsuite>"#, 0),
            (r#"<testsuite><testcase <b="x" name="c"/></testsuite>"#, 0),
            // `/ >`, `>` with children, a tag without attributes, a prefixed or longer tag name, text, a comment.
            (r#"<testsuite><testcase name="a" / ><testcase name="b" time="1"/></testsuite>"#, 0),
            (r#"<testsuite><testcase name="a" time="1"><skipped/></testcase><testcase name="b" time="1"/></testsuite>"#, 1),
            (r#"<testsuite><testcase/><testcase name="b" time="1"/></testsuite>"#, 1),
            (r#"<testsuite><x:testcase name="a"/><testcasex name="b"/><testcase name="c" time="1"/></testsuite>"#, 1),
            (r#"<testsuite>text<testcase name="a" time="1"/><!-- c --><testcase name="b" time="1"/></testsuite>"#, 0),
            // malformed attributes: no value, no quote, no closing quote.
            (r#"<testsuite><testcase name="a" flag time="1"/><testcase name=b/><testcase name="c/></testsuite>"#, 0),
            // mismatched and missing end tags, cut off mid-tag, cases at the root.
            (r#"<testsuite><testcase name="a" time="1"/></testsuites>"#, 1),
            (r#"<testsuite><testcase name="a" time="1"/><testcase name="b" ti"#, 1),
            (r#"<testcase name="a" time="1"/>"#, 0),
            // a case inside a case is not a case; inside another element it is.
            (r#"<testsuite><testcase name="a" time="1"><testcase name="b" time="1"/></testcase><properties><testcase name="c" time="1"/></properties></testsuite>"#, 1),
            // suite time spread over cases read by the lane; Go subtests.
            (r#"<testsuite name="s" file="f.go" time="10"><testcase name="TestA" time="3"/><testcase name="TestA/x" time="1"/><testcase name="TestB" time="1"/></testsuite>"#, 3),
        ];
        for (xml, lane) in cases {
            match super::paths_agree(xml, &roots) {
                Ok(n) => assert_eq!(n, *lane, "cases read by the lane in {xml}"),
                Err(diff) => panic!("{xml}\n{diff}"),
            }
        }
        // Too deep for another element: both paths give the depth error.
        let deep = format!(
            "<testsuite>{}<testcase name=\"a\" time=\"1\"/>",
            "<x>".repeat(crate::limits::MAX_XML_DEPTH)
        );
        assert_eq!(super::paths_agree(&deep, &roots), Ok(0));
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(512))]
        /// Reports put together from pieces the lane takes and pieces it must leave alone, possibly cut off at any
        /// character: both paths agree.
        #[test]
        fn fast_lane_agrees_on_generated_reports(
            pieces in proptest::collection::vec((0usize..20, 0usize..12, 0usize..12, 0usize..6, 0usize..5), 0..24),
            cut in proptest::option::of(0usize..4000),
        ) {
            const KEYS: [&str; 12] = ["name", "classname", "file", "filepath", "time", "x:name", "other", "a\"b", "a>b",
                "a/b", "<k", "'q"];
            const VALUES: [&str; 12] = ["t", "a.b.C", "d/e.py", "0.25", "1e-3", "", "x&amp;y", "&bogus;", "a>b<c",
                "it's", "-1", "\tl\r\nm"];
            const SPACES: [&str; 6] = ["", " ", "\n", "\t", " \r\n ", "  "];
            let mut xml = String::from("<?xml version=\"1.0\"?>\n<testsuites>\n<testsuite name=\"s\" time=\"100\">");
            for &(shape, key, value, space, ending) in &pieces {
                xml.push_str(SPACES[space]);
                match shape {
                    0..=11 => {
                        // A case of 1–3 attributes.
                        xml.push_str("<testcase");
                        for k in 0..1 + shape % 3 {
                            let key = KEYS[(key + 5 * k) % KEYS.len()];
                            let value = VALUES[(value + 7 * k) % VALUES.len()];
                            let q = if value.contains('"') || (shape + k) % 4 == 0 { '\'' } else { '"' };
                            let value = if q == '\'' { value.replace('\'', "&apos;") } else { value.to_string() };
                            xml.push_str(SPACES[(space + k) % SPACES.len()].max(" "));
                            xml.push_str(&format!("{key}={q}{value}{q}"));
                        }
                        xml.push_str(["/>", " />", "/ >", "><failure>x</failure></testcase>", ">"][ending]);
                    }
                    12 => xml.push_str("<testsuite name=\"inner\">"),
                    13 => xml.push_str("</testsuite>"),
                    14 => xml.push_str("<!-- <testcase name=\"c\"/> -->"),
                    15 => xml.push_str("<![CDATA[<testcase name=\"d\"/>]]>"),
                    16 => xml.push_str("text & more"),
                    17 => xml.push_str("<testcase/>"),
                    18 => xml.push_str("<properties><property name=\"p\" value=\"v\"/></properties>"),
                    _ => xml.push_str("</bogus>"),
                }
            }
            xml.push_str("\n</testsuite>\n</testsuites>\n");
            if let Some(cut) = cut {
                let mut at = cut.min(xml.len());
                while !xml.is_char_boundary(at) {
                    at -= 1;
                }
                xml.truncate(at);
            }
            let agree = super::paths_agree(&xml, &["/w".to_string()]);
            proptest::prop_assert!(agree.is_ok(), "{}\n{}", xml, agree.unwrap_err());
        }
    }
}
