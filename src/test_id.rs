//! The one place where test ids and paths are normalised, and where a JUnit case becomes an id.
//!
//! An id is `FILE` or `FILE::REST` (pytest node-id style). `FILE` is the *unit of execution* a runner can be told to
//! run: a path relative to the repository (`tests/test_x.py`, `spec/a_spec.rb`), or, where the ecosystem has no
//! file in its reports, the package (go), the test binary (nextest) or the class (Java). Every id carries its file
//! explicitly as a [`TestKey`], because some files themselves contain `::` (nextest binary ids).
//!
//! Normalisation (applied to every path that enters the core): backslashes → `/`, leading `./` removed, repeated
//! `/` collapsed, an absolute workspace prefix removed. Ids from different roots (`backend/x.py` vs `x.py`) are
//! reconciled by [`reconcile_roots`], which finds one consistent prefix rewrite and says so in a warning.
//!
//! # JUnit cases → ids
//!
//! [`junit_case_key`] turns one `<testcase>` into a [`TestKey`]. What each producer writes, and what we make of it:
//!
//! | producer | what the case carries | key |
//! |---|---|---|
//! | pytest xunit1 (< 6), rspec_junit_formatter, jest-junit with `addFileAttribute` | `file` (case or suite) | `file::Class::name` / `file::name` |
//! | pytest xunit2 (≥ 6, no `file`), nose | dotted `classname` | `a/b/c.py::Class::name` (see below) |
//! | go-junit-report, gotestsum | suite = package path, `classname` = package (or its last element) | `pkg::TestX/sub` |
//! | cargo-nextest | suite = `classname` = binary id | `binary_id::mod::test` |
//! | Playwright, vitest | suite = `classname` = spec file | `file::title` |
//! | node `--test-reporter=junit` | `classname="test"`, suites = `describe` titles | `outer::inner::name` |
//! | Ant, surefire, Gradle | Java `classname` | `com.x.FooTest::method` |
//! | anything else | suite name, else the case name | `suite::name` / `name` |
//!
//! With a `file`: the *class part* is what `classname` adds to the file's dotted module (pytest writes
//! `classname="tests.test_x.TestC"` for `file="tests/test_x.py"` → class `TestC`; nested classes `A.B` become
//! `A::B`); a `classname` equal to the module (rspec, pytest functions) adds nothing. If a `.py` file's module is not
//! a prefix of the Python-dotted `classname` (pytest reports the *defining* file of an inherited test), the
//! `classname` wins and gives the file. A `classname` with spaces or equal to the name (jest, node) adds nothing; any
//! other `classname` becomes one class segment, so same-named methods of different classes never merge.
//!
//! Python dotted `classname` → path, the standard module convention: segments are split at `.`; the trailing
//! segments that look like classes form the class part, the rest the module path (`a.b.c` → `a/b/c.py`). A segment
//! looks like a class when it starts with an ASCII capital letter and does not end in a snake-case tail (`_t`,
//! `_test`, `_utils`: text after the last `_` that has no capital letter, which is how test modules such as WMCore's
//! `DQMHarvest_t` are named). At least one segment always stays in the module path. Limits of the heuristic:
//! capitalised module names without a snake-case tail (`TestFoo.py`) are taken as classes, and directories with a
//! dot in their name cannot be recovered (pytest replaced the `/` by `.` already).
//!
//! A report is taken as Python when its suite is named `pytest` or `nosetests` (their defaults) or the `classname`
//! has a test-module segment (`test_*`, `*_test`, `*_tests`); otherwise a dotted `classname` is the unit itself
//! (Java, `python -m unittest` accepts such names too). Same-named tests in different files, packages, binaries or
//! classes therefore never share an id.

use serde::{Deserialize, Serialize};
use std::borrow::Cow;
use std::cmp::Reverse;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::str::FromStr;

use crate::error::printable;
use crate::Error;

/// How coarse the units handed to workers are.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Granularity {
    /// One unit per file (package, binary, class where there is no file).
    File,
    /// One unit per suite/class inside a file (`file::Class`); a test outside any class is its own unit.
    Suite,
    /// One unit per test case.
    Test,
}

impl Granularity {
    /// The lowercase name used in inputs and JSON: `file`, `suite` or `test`.
    pub fn as_str(self) -> &'static str {
        match self {
            Granularity::File => "file",
            Granularity::Suite => "suite",
            Granularity::Test => "test",
        }
    }
}

impl fmt::Display for Granularity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Granularity {
    type Err = Error;

    /// Accepts `file`, `suite` or `test`, ignoring ASCII case and surrounding whitespace.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let t = s.trim();
        [Granularity::File, Granularity::Suite, Granularity::Test]
            .into_iter()
            .find(|g| t.eq_ignore_ascii_case(g.as_str()))
            .ok_or_else(|| {
                Error::input(
                    "granularity",
                    format!(
                        "expected `file`, `suite` or `test`, got `{}`",
                        printable(s, 40)
                    ),
                )
            })
    }
}

/// A test id together with its file. Invariant: `id == file` or `id` starts with `file` + `"::"`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct TestKey {
    /// The unit of execution this test belongs to.
    pub file: String,
    /// The full id.
    pub id: String,
}

impl TestKey {
    /// The key of a pytest-style id: the file is the part before the first `::`, normalised with
    /// [`normalize_path`]; the rest is kept as is.
    ///
    /// Only a part that looks like a path (it has a `/`, `\` or `.`) is taken as the file. Otherwise the id names a
    /// unit that is not a file and may itself contain `::` — a nextest binary id such as `my_crate::integration`, as
    /// listed by `cargo nextest list` — and the whole id is the file, so that two binaries of one crate never
    /// collapse into one unit `my_crate` (which would lose one of them).
    pub fn from_id(id: &str, roots: &[String]) -> TestKey {
        TestKey::from_id_in(id, &normalize_roots(roots))
    }

    /// [`TestKey::from_id`] with the roots normalised already ([`normalize_roots`], once for many ids: normalising
    /// them again for each of 200k discovered ids took more than building the keys).
    pub(crate) fn from_id_in(id: &str, normalized_roots: &[String]) -> TestKey {
        let (file_part, rest) = id_file_part(id);
        let file = normalize_path_with(file_part, normalized_roots);
        let mut full = String::with_capacity(file.len() + rest.len());
        full.push_str(&file);
        full.push_str(rest);
        TestKey { file, id: full }
    }

    /// Whether `TestKey::from_id(id, &[]).file == file`, without building the key when the id's file part is
    /// already a clean relative path (then it is its own normal form): the store asks this for every test it
    /// writes.
    pub fn default_file_is(id: &str, file: &str) -> bool {
        TestKey::from_id_borrowed(id).0 == file
    }

    /// `TestKey::from_id(id, &[])` as (file, id), borrowed from `id` when its file part is already a clean relative
    /// path (then it is its own normal form, and the id stays as it is): every id the store writes, so a plan reads
    /// a 201k-test store without copying an id.
    pub fn from_id_borrowed(id: &str) -> (Cow<'_, str>, Cow<'_, str>) {
        let (part, _) = id_file_part(id);
        if is_clean_relative(part) {
            return (Cow::Borrowed(part), Cow::Borrowed(id));
        }
        let key = TestKey::from_id(id, &[]);
        (Cow::Owned(key.file), Cow::Owned(key.id))
    }

    /// The form under which a test's time is stored and looked up, the same for an id read from a report and an id
    /// discovered for a plan (so that one finds the other):
    ///
    /// * ASCII control characters (which could forge log lines) become U+FFFD, in the file and the id.
    /// * An id longer than [`MAX_ID_BYTES`](crate::limits::MAX_ID_BYTES) (real pytest ids with long parameters
    ///   reach 35 KB) becomes its longest prefix, cut at a char boundary, that leaves room for `…#` and the 16 hex
    ///   digits of the FNV-1a hash of the whole id: stable from run to run, distinct for distinct ids, so its time
    ///   is not lost. The file stays the id's prefix; when the file itself is too long for that, [`FileTooLong`].
    ///
    /// An id already canonical is returned as is, without copying. Only the lookup uses this form: a plan still
    /// hands workers the id as discovered (see [`crate::api`]).
    pub fn canonical(self) -> Result<Canonical, FileTooLong> {
        let control_chars = has_control(&self.id) || has_control(&self.file);
        let key = if control_chars {
            let clean = |s: &str| -> String {
                s.chars()
                    .map(|c| {
                        if c.is_ascii_control() {
                            char::REPLACEMENT_CHARACTER
                        } else {
                            c
                        }
                    })
                    .collect()
            };
            TestKey {
                file: clean(&self.file),
                id: clean(&self.id),
            }
        } else {
            self
        };
        if key.id.len() <= crate::limits::MAX_ID_BYTES {
            return Ok(Canonical {
                key,
                control_chars,
                shortened_from: None,
            });
        }
        let mut cut = crate::limits::MAX_ID_BYTES - LONG_ID_SUFFIX_BYTES;
        while !key.id.is_char_boundary(cut) {
            cut -= 1;
        }
        if cut < key.file.len() + 3 {
            return Err(FileTooLong { key });
        }
        let id = format!("{}…#{:016x}", &key.id[..cut], fnv1a(&key.id));
        Ok(Canonical {
            shortened_from: Some(key.id.len()),
            key: TestKey { file: key.file, id },
            control_chars,
        })
    }

    /// Whether [`TestKey::canonical`] would return the key unchanged (a cheap check, no copy).
    pub fn is_canonical(&self) -> bool {
        is_canonical_id(&self.id) && !has_control(&self.file)
    }

    /// The key of a file-level unit (`id == file`).
    pub fn file_only(file: impl Into<String>) -> TestKey {
        let file = file.into();
        TestKey {
            id: file.clone(),
            file,
        }
    }

    /// The unit this test belongs to at granularity `g`: `File` → the file; `Suite` → `file::First` when the id has
    /// at least two segments after the file (`f::Class::test` → `f::Class`), else the id itself; `Test` → itself.
    pub fn unit(&self, g: Granularity) -> TestKey {
        match g {
            Granularity::File => TestKey::file_only(self.file.clone()),
            Granularity::Test => self.clone(),
            Granularity::Suite => TestKey {
                file: self.file.clone(),
                id: self.unit_id(g).to_string(),
            },
        }
    }

    /// The id of [`TestKey::unit`]`(g)`, borrowed from this key (a unit's id is its file or a prefix of the id, so
    /// no copy is needed to look one up).
    pub fn unit_id(&self, g: Granularity) -> &str {
        unit_id_of(&self.file, &self.id, g)
    }
}

/// An id split where [`TestKey::from_id`] splits it: (the file part, the rest from the first `::` on), or (the
/// whole id, "") when the part before the first `::` does not look like a path. Byte scans: this runs for every
/// test of a store a plan reads, and `str::find` with a string pattern took 18 ms of a 201k-test plan.
fn id_file_part(id: &str) -> (&str, &str) {
    let b = id.as_bytes();
    let sep = memchr::memchr_iter(b':', b).find(|&i| b.get(i + 1) == Some(&b':'));
    match sep {
        Some(i) if b[..i].iter().any(|c| matches!(c, b'/' | b'\\' | b'.')) => id.split_at(i),
        _ => (id, ""),
    }
}

/// [`TestKey::unit_id`] of the key with this file and id.
pub(crate) fn unit_id_of<'a>(file: &'a str, id: &'a str, g: Granularity) -> &'a str {
    match g {
        Granularity::File => file,
        Granularity::Test => id,
        Granularity::Suite => {
            let rest = id.strip_prefix(file).and_then(|r| r.strip_prefix("::"));
            match rest.and_then(|r| r.find("::")) {
                // `file` + `::` + the first segment: a prefix of the id ending before a `::`.
                Some(i) => id.get(..file.len() + 2 + i).unwrap_or(id),
                None => id,
            }
        }
    }
}

/// A borrowed id as a map key or sort key, compared eight bytes at a time. Ids of one file share a long prefix
/// (the file, often 50–100 bytes), so looking one up or sorting them compares long equal runs; in wasm, `memcmp` is a
/// loop over single bytes, and it took ~12 % of a test-granularity plan of the 201k-test scale suite (a profile of
/// `G=test node bench/wasm_plan.mjs`). Equality, order and hash are exactly those of `str`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct IdRef<'a>(pub &'a str);

impl IdRef<'_> {
    /// The first pair of 8-byte words (big-endian, so that words compare as their bytes do) where `a` and `b`
    /// differ, among the whole words both have. `None` when all of those match.
    fn first_difference(a: &[u8], b: &[u8]) -> Option<(u64, u64)> {
        let word = |c: &[u8]| <[u8; 8]>::try_from(c).map_or(0, u64::from_be_bytes);
        a.chunks_exact(8)
            .zip(b.chunks_exact(8))
            .map(|(x, y)| (word(x), word(y)))
            .find(|(x, y)| x != y)
    }

    /// The bytes of `a` and `b` after the whole words both have.
    fn tails<'s>(a: &'s [u8], b: &'s [u8]) -> (&'s [u8], &'s [u8]) {
        let full = a.len().min(b.len()) / 8 * 8;
        (
            a.get(full..).unwrap_or_default(),
            b.get(full..).unwrap_or_default(),
        )
    }
}

impl PartialEq for IdRef<'_> {
    fn eq(&self, other: &Self) -> bool {
        let (a, b) = (self.0.as_bytes(), other.0.as_bytes());
        let (ta, tb) = Self::tails(a, b);
        a.len() == b.len() && Self::first_difference(a, b).is_none() && ta == tb
    }
}

impl Eq for IdRef<'_> {}

impl std::hash::Hash for IdRef<'_> {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.0.hash(state);
    }
}

impl Ord for IdRef<'_> {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        let (a, b) = (self.0.as_bytes(), other.0.as_bytes());
        if let Some((x, y)) = Self::first_difference(a, b) {
            return x.cmp(&y);
        }
        // Every whole word of the shorter one matched: the rest decides, byte by byte, then the length.
        let (ta, tb) = Self::tails(a, b);
        ta.cmp(tb)
    }
}

impl PartialOrd for IdRef<'_> {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

/// The values of `items` grouped by their key, each group's values in the order they came, the groups sorted by key.
/// Keys are hashed only when they change from one item to the next: lists of test ids come a file's tests together,
/// so 200k ids of 16k files hash 16k-odd keys, and keys are compared eight bytes at a time ([`IdRef`]).
pub(crate) fn sorted_groups<'a, V>(
    items: impl IntoIterator<Item = (IdRef<'a>, V)>,
) -> Vec<(IdRef<'a>, Vec<V>)> {
    let mut groups: Vec<(IdRef<'a>, Vec<V>)> = Vec::new();
    let mut index: rustc_hash::FxHashMap<IdRef<'a>, usize> = Default::default();
    let mut last: Option<(IdRef<'a>, usize)> = None;
    for (key, value) in items {
        let at = match last {
            Some((k, at)) if k == key => at,
            _ => *index.entry(key).or_insert_with(|| {
                groups.push((key, Vec::new()));
                groups.len() - 1
            }),
        };
        last = Some((key, at));
        if let Some((_, values)) = groups.get_mut(at) {
            values.push(value);
        }
    }
    groups.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    groups
}

/// Bytes a shortened id adds after its kept prefix ([`TestKey::canonical`]): `…` (3), `#` (1), 16 hex digits.
pub const LONG_ID_SUFFIX_BYTES: usize = 20;

/// 64-bit FNV-1a: a hash that is the same on every platform and build (stored ids depend on it).
fn fnv1a(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// Whether an id is in the form [`TestKey::canonical`] gives: at most [`MAX_ID_BYTES`](crate::limits::MAX_ID_BYTES)
/// bytes, no ASCII control character. (Its file, a prefix of the id, then is too.)
pub fn is_canonical_id(id: &str) -> bool {
    id.len() <= crate::limits::MAX_ID_BYTES && !has_control(id)
}

/// ASCII control characters, which [`TestKey::canonical`] replaces.
pub(crate) fn has_control(s: &str) -> bool {
    // Eight bytes at a time, without an early exit (it runs on every id): wasm has no SIMD here, and natively the
    // loop is as fast as the vectorised byte fold it replaced. A byte is below 0x20 or equal to 0x7F exactly when
    // the classic "has a byte less than" test finds it in `x` or in `x ^ 0x7F…` (which turns 0x7F into 0).
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    let below = |x: u64, n: u64| x.wrapping_sub(ONES * n) & !x & HIGHS;
    let chunks = s.as_bytes().chunks_exact(8);
    let tail = chunks.remainder();
    let words = chunks.fold(0u64, |found, c| {
        let x = <[u8; 8]>::try_from(c).map_or(0, u64::from_le_bytes);
        found | below(x, 0x20) | below(x ^ (ONES * 0x7F), 1)
    });
    words != 0 || tail.iter().any(|&b| b < 0x20 || b == 0x7F)
}

/// A key in canonical form ([`TestKey::canonical`]) and what had to change to get it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Canonical {
    /// The canonical key.
    pub key: TestKey,
    /// ASCII control characters were replaced by U+FFFD.
    pub control_chars: bool,
    /// The id was longer than [`MAX_ID_BYTES`](crate::limits::MAX_ID_BYTES) and was shortened; its length in bytes
    /// before.
    pub shortened_from: Option<usize>,
}

/// A key with no canonical form: its file alone is too long to stay the prefix of an id of at most
/// [`MAX_ID_BYTES`](crate::limits::MAX_ID_BYTES).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileTooLong {
    /// The key, control characters already replaced.
    pub key: TestKey,
}

/// Writes the segments of `path` (split at `/` and `\`) into `out`, dropping empty and `.` segments, keeping a
/// leading `/` for absolute paths. No trailing `/`.
fn push_segments(path: &str, out: &mut String) {
    if path.starts_with(['/', '\\']) {
        out.push('/');
    }
    for seg in path.split(['/', '\\']) {
        if seg.is_empty() || seg == "." {
            continue;
        }
        if !out.is_empty() && !out.ends_with('/') {
            out.push('/');
        }
        out.push_str(seg);
    }
}

/// Normalised workspace roots, longest first, ready for [`normalize_path_with`].
pub(crate) fn normalize_roots(roots: &[String]) -> Vec<String> {
    let mut out: Vec<String> = roots
        .iter()
        .map(|r| {
            let mut s = String::with_capacity(r.len());
            push_segments(r.trim(), &mut s);
            s
        })
        .filter(|r| !r.is_empty() && r != "/")
        .collect();
    // Longest first so that a nested root wins; ties in lexicographic order (only for determinism).
    out.sort_by(|a, b| b.len().cmp(&a.len()).then_with(|| a.cmp(b)));
    out.dedup();
    out
}

/// `root` is a prefix of `path` ending at a segment boundary; Windows drive paths compare without ASCII case.
fn strip_root<'a>(path: &'a str, root: &str) -> Option<&'a str> {
    let head = path.get(..root.len())?;
    let is_drive = root.as_bytes().get(1) == Some(&b':');
    let same = if is_drive {
        head.eq_ignore_ascii_case(root)
    } else {
        head == root
    };
    if !same {
        return None;
    }
    path[root.len()..].strip_prefix('/')
}

/// Already normal and relative: no `\\`, no empty or `.` segment, no trailing `/`, not absolute (so no root
/// applies). Most paths in reports are; they are copied as they are.
fn is_clean_relative(path: &str) -> bool {
    let b = path.as_bytes();
    if b.is_empty() || b[0] == b'/' || b.get(1) == Some(&b':') || memchr::memchr(b'\\', b).is_some()
    {
        return false;
    }
    // This runs on every distinct path of a report: the `/`s are found with memchr (SIMD), and only the segments
    // between them are looked at; each must be neither empty nor `.`.
    let good = |seg: &[u8]| !(seg.is_empty() || seg == b".");
    let mut start = 0;
    for slash in memchr::memchr_iter(b'/', b) {
        if !good(b.get(start..slash).unwrap_or_default()) {
            return false;
        }
        start = slash + 1;
    }
    good(b.get(start..).unwrap_or_default())
}

/// [`normalize_path`] with roots already passed through [`normalize_roots`].
pub(crate) fn normalize_path_with(path: &str, roots: &[String]) -> String {
    let roots_absolute = roots
        .iter()
        .all(|r| r.starts_with('/') || r.as_bytes().get(1) == Some(&b':'));
    if roots_absolute && is_clean_relative(path) {
        return path.to_string();
    }
    let mut out = String::with_capacity(path.len());
    push_segments(path, &mut out);
    for root in roots {
        if let Some(rest) = strip_root(&out, root) {
            return rest.to_string();
        }
    }
    out
}

/// Normalises a path: backslashes → `/`, `./` segments and a leading `./` removed, repeated `/` collapsed, no
/// trailing `/`, and the longest matching workspace root in `roots` (e.g. `/home/runner/work/r/r`) stripped.
pub fn normalize_path(path: &str, roots: &[String]) -> String {
    normalize_path_with(path, &normalize_roots(roots))
}

/// Which way a recorded id is rewritten by a [`RootRewrite`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum RewriteKind {
    /// Remove a leading directory path (`backend/x.py` → `x.py`).
    Strip,
    /// Add a leading directory path (`x.py` → `backend/x.py`).
    Add,
}

/// One prefix rewrite that maps recorded (known) ids into the namespace of the discovered (wanted) files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RootRewrite {
    kind: RewriteKind,
    /// The directory prefix, always ending in `/`.
    prefix: String,
    matched_before: usize,
    matched_after: usize,
    wanted: usize,
}

impl RootRewrite {
    /// Rewrites a known file or id into the wanted namespace. `None` when a strip rewrite does not apply to it (its
    /// path does not start with the prefix); callers keep such ids unchanged.
    pub fn apply(&self, file_or_id: &str) -> Option<String> {
        match self.kind {
            RewriteKind::Add => Some(format!("{}{}", self.prefix, file_or_id)),
            RewriteKind::Strip => file_or_id
                .strip_prefix(self.prefix.as_str())
                .map(str::to_string),
        }
    }

    /// A one-line explanation for the warning shown to the user.
    pub fn describe(&self) -> String {
        let what = match self.kind {
            RewriteKind::Add => format!("adding `{}` in front of", printable(&self.prefix, 200)),
            RewriteKind::Strip => format!("removing `{}` from", printable(&self.prefix, 200)),
        };
        format!(
            "recorded timings use a different root directory: {what} recorded paths matches {} of {} test files \
             (without it: {})",
            self.matched_after, self.wanted, self.matched_before
        )
    }
}

/// Every `(prefix, tail)` split of `path` at a `/`; the prefix keeps its trailing `/`.
fn splits(path: &str) -> impl Iterator<Item = (&str, &str)> {
    path.match_indices('/')
        .map(move |(i, _)| (&path[..=i], &path[i + 1..]))
        .filter(|(_, t)| !t.is_empty())
}

/// Finds ONE prefix rewrite (add or strip a leading directory path) of the known files that makes many more of the
/// wanted files match: accepted when at least 2 more files match and the number of matches at least doubles.
///
/// Tie-breaks (written down for determinism): most matches, then the shorter prefix, then strip before add, then
/// the lexicographically smaller prefix.
pub fn reconcile_roots(
    known_files: &BTreeSet<String>,
    wanted_files: &BTreeSet<String>,
) -> Option<RootRewrite> {
    let before = known_files.intersection(wanted_files).count();
    // Add `a`: every known `k` becomes `a + k`; count the wanted files `a + k`.
    let mut add: BTreeMap<&str, usize> = BTreeMap::new();
    for w in wanted_files {
        for (prefix, tail) in splits(w) {
            if known_files.contains(tail) {
                *add.entry(prefix).or_default() += 1;
            }
        }
    }
    // Strip `s`: known `s + t` becomes `t`; known files without the prefix stay as they are.
    let mut strip: BTreeMap<&str, usize> = BTreeMap::new();
    for k in known_files {
        for (prefix, tail) in splits(k) {
            if wanted_files.contains(tail) {
                *strip.entry(prefix).or_default() += 1;
            }
        }
    }
    // Candidates as (matches after, kind, prefix); the best per the tie-breaks above.
    type Candidate<'p> = (usize, RewriteKind, &'p str);
    fn rank<'p>(
        c: &Candidate<'p>,
    ) -> (
        usize,
        Reverse<usize>,
        Reverse<RewriteKind>,
        Reverse<&'p str>,
    ) {
        (c.0, Reverse(c.2.len()), Reverse(c.1), Reverse(c.2))
    }
    fn consider<'p>(best: &mut Option<Candidate<'p>>, cand: Candidate<'p>) {
        if best.as_ref().map_or(true, |b| rank(&cand) > rank(b)) {
            *best = Some(cand);
        }
    }
    let mut best: Option<Candidate> = None;
    for (prefix, count) in &add {
        consider(&mut best, (*count, RewriteKind::Add, prefix));
    }
    // Known files that already matched and start with a strip prefix would be rewritten away.
    let mut lost: BTreeMap<&str, usize> = BTreeMap::new();
    for k in known_files.intersection(wanted_files) {
        for (prefix, _) in splits(k) {
            *lost.entry(prefix).or_default() += 1;
        }
    }
    for (prefix, count) in &strip {
        let after = (count + before).saturating_sub(lost.get(prefix).copied().unwrap_or(0));
        consider(&mut best, (after, RewriteKind::Strip, prefix));
    }
    let (after, kind, prefix) = best?;
    if after < before + 2 || after < 2 * before {
        return None;
    }
    Some(RootRewrite {
        kind,
        prefix: prefix.to_string(),
        matched_before: before,
        matched_after: after,
        wanted: wanted_files.len(),
    })
}

/// How a JUnit case was mapped to its file (see the module docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum CaseMapping {
    /// The case or its suite had a `file` attribute.
    FileAttribute,
    /// A `.py` `file` attribute did not match the dotted `classname`, which gave the file instead.
    FileFromClassname,
    /// No file: a Python dotted `classname` was mapped to `a/b/c.py` (+ class part).
    ClassnameToPath,
    /// No file: the `classname` (a Java class, …) is the unit.
    ClassAsUnit,
    /// No file: the suite (go package, nextest binary, spec file, …) is the unit.
    SuiteAsUnit,
    /// No file, class or suite: the case name is its own unit.
    NameAsUnit,
}

impl CaseMapping {
    /// Short human description used in warnings.
    pub fn describe(self) -> &'static str {
        match self {
            CaseMapping::FileAttribute => "file attribute",
            CaseMapping::FileFromClassname => "classname → file (file attribute overridden)",
            CaseMapping::ClassnameToPath => "classname → file path",
            CaseMapping::ClassAsUnit => "class as unit",
            CaseMapping::SuiteAsUnit => "suite as unit",
            CaseMapping::NameAsUnit => "test name as unit",
        }
    }
}

/// Maps one JUnit `<testcase>` to its key (see the module docs for the rules). Empty attributes count as absent.
/// `suite_name`/`suite_file` are those of the innermost enclosing `<testsuite>`.
pub fn junit_case_key(
    file_attr: Option<&str>,
    classname: Option<&str>,
    name: &str,
    suite_name: Option<&str>,
    suite_file: Option<&str>,
    roots: &[String],
) -> TestKey {
    junit_case_key_with_mapping(file_attr, classname, name, suite_name, suite_file, roots).0
}

/// [`junit_case_key`], also saying which mapping was used.
pub fn junit_case_key_with_mapping(
    file_attr: Option<&str>,
    classname: Option<&str>,
    name: &str,
    suite_name: Option<&str>,
    suite_file: Option<&str>,
    roots: &[String],
) -> (TestKey, CaseMapping) {
    let roots = normalize_roots(roots);
    let case = JunitCase {
        file: file_attr.or(suite_file),
        classname,
        name,
        suite_name,
        suite_outer: suite_name,
        suite_chain: suite_name,
    };
    // `normalize` never refuses a path here, so `key` always answers; the fallback only keeps this total.
    case.key(&mut |p| Some(normalize_path_with(p, &roots)))
        .unwrap_or_else(|| {
            (
                TestKey::file_only(name.to_string()),
                CaseMapping::NameAsUnit,
            )
        })
}

/// The attributes of one case that matter for its key.
pub(crate) struct JunitCase<'a> {
    /// `file` of the case, else of the suite.
    pub file: Option<&'a str>,
    pub classname: Option<&'a str>,
    pub name: &'a str,
    /// The innermost enclosing suite.
    pub suite_name: Option<&'a str>,
    /// The outermost enclosing suite.
    pub suite_outer: Option<&'a str>,
    /// All enclosing suite names, outermost first, joined by `::`.
    pub suite_chain: Option<&'a str>,
}

fn non_empty(s: Option<&str>) -> Option<&str> {
    s.map(trim).filter(|s| !s.is_empty())
}

/// `str::trim`, with a shortcut for the usual case of a value that starts and ends with a visible ASCII character
/// (no Unicode white space is ASCII above the space): ids and attributes are trimmed several times per test case.
pub(crate) fn trim(s: &str) -> &str {
    let visible = |b: Option<&u8>| b.is_some_and(|&b| b > b' ' && b.is_ascii());
    let b = s.as_bytes();
    if visible(b.first()) && visible(b.last()) {
        s
    } else {
        s.trim()
    }
}

/// Nothing but white space (or nothing): `trim(s).is_empty()`.
pub(crate) fn is_blank(s: &str) -> bool {
    trim(s).is_empty()
}

/// `file` as a dotted module: `/` → `.`, optionally without the extension of the last segment.
/// Returns the rest of `classname` after that module: `Some("")` when equal, `Some("A.B")` for `module.A.B`.
fn class_after_module<'c>(classname: &'c str, file: &str, strip_ext: bool) -> Option<&'c str> {
    // Byte scans rather than `rfind` on chars, and a compare without early exit that the compiler vectorises:
    // this runs on (almost) every case of a pytest report.
    let f = file.as_bytes();
    let module_len = if strip_ext {
        let last_seg = memchr::memrchr(b'/', f).map_or(0, |i| i + 1);
        let dot = f.get(last_seg..).and_then(|seg| memchr::memrchr(b'.', seg));
        match dot {
            Some(dot) if dot > 0 => last_seg + dot,
            _ => f.len(),
        }
    } else {
        f.len()
    };
    let m = f.get(..module_len)?;
    let c = classname.as_bytes().get(..module_len)?;
    if !same_module(c, m) {
        return None;
    }
    let rest = classname.get(module_len..)?;
    if rest.is_empty() {
        Some(rest)
    } else {
        rest.strip_prefix('.')
    }
}

/// `classname` bytes `c` spell the module `m` (equal lengths): `/` in the module matches `.` in the classname, every
/// other byte matches itself. Eight bytes at a time without an early exit (wasm has no SIMD here): `/` (0x2F) and
/// `.` (0x2E) differ only in bit 0, so a pair matches exactly when `a ^ b` is 0, or 1 where `b` is `/`.
fn same_module(c: &[u8], m: &[u8]) -> bool {
    const LOWS: u64 = 0x7F7F_7F7F_7F7F_7F7F;
    const ONES: u64 = 0x0101_0101_0101_0101;
    // 0x01 in each byte of `m` that is `/`, else 0 (the exact per-byte zero test on `m ^ '/'…`).
    let slash_bits = |m: u64| {
        let y = m ^ (ONES * u64::from(b'/'));
        (!(((y & LOWS) + LOWS) | y) >> 7) & ONES
    };
    let word = |b: &[u8]| <[u8; 8]>::try_from(b).map_or(0, u64::from_le_bytes);
    let (cw, mw) = (c.chunks_exact(8), m.chunks_exact(8));
    let (ct, mt) = (cw.remainder(), mw.remainder());
    let words = cw.zip(mw).fold(0u64, |acc, (a, b)| {
        let (a, b) = (word(a), word(b));
        acc | (a ^ b ^ slash_bits(b))
    });
    let tail = ct.iter().zip(mt).fold(0u8, |acc, (&a, &b)| {
        acc | (a ^ if b == b'/' { b'.' } else { b })
    });
    c.len() == m.len() && words == 0 && tail == 0
}

/// Every segment a non-empty `[A-Za-z0-9_-]` word: something pytest/nose could have written for a module path.
fn is_python_dotted(c: &str) -> bool {
    c.split('.').all(|s| {
        !s.is_empty()
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
    })
}

/// A segment named like a Python test module: `test_x`, `x_test`, `x_tests`.
fn is_test_module_segment(seg: &str) -> bool {
    seg.starts_with("test_") || seg.ends_with("_test") || seg.ends_with("_tests")
}

/// A segment that looks like a class: a capital first letter and no snake-case tail after the last `_`.
fn looks_like_class(seg: &str) -> bool {
    let capital = seg.as_bytes().first().is_some_and(u8::is_ascii_uppercase);
    let snake_tail = seg
        .rfind('_')
        .is_some_and(|i| !seg[i + 1..].bytes().any(|b| b.is_ascii_uppercase()));
    capital && !snake_tail
}

/// Python dotted `classname` → (module path `a/b/c.py`, class part `A::B` possibly empty).
fn python_path(classname: &str) -> (String, String) {
    let segs: Vec<&str> = classname.split('.').collect();
    let n_class = segs
        .iter()
        .skip(1)
        .rev()
        .take_while(|s| looks_like_class(s))
        .count();
    let (module, class) = segs.split_at(segs.len() - n_class);
    (format!("{}.py", module.join("/")), class.join("::"))
}

/// Appends the rest of a case's id to its file in `out`: `::class` when there is a class part, then `::name`.
fn push_id(out: &mut String, class: &str, name: &str) {
    out.reserve(class.len() + name.len() + 4);
    if !class.is_empty() {
        out.push_str("::");
        out.push_str(class);
    }
    out.push_str("::");
    out.push_str(name);
}

/// A path normaliser for [`JunitCase::key_into`]: appends the normalised form of a path to the buffer, or returns
/// `false` for a path that cannot be a test's file.
pub(crate) type Normalize<'n> = dyn FnMut(&str, &mut String) -> bool + 'n;

/// `out` = the normalised `path` (the file of the key being built); its length.
fn file_into(normalize: &mut Normalize<'_>, path: &str, out: &mut String) -> Option<usize> {
    out.clear();
    normalize(path, out).then_some(out.len())
}

/// `out` = the id `unit::name` of a case whose unit (file) is `unit`; the unit's length.
fn unit_into(
    normalize: &mut Normalize<'_>,
    unit: &str,
    name: &str,
    out: &mut String,
) -> Option<usize> {
    let file_len = file_into(normalize, unit, out)?;
    push_id(out, "", name);
    Some(file_len)
}

impl JunitCase<'_> {
    /// The key of this case; `normalize` normalises a path (with the caller's roots, possibly cached), or returns
    /// `None` for a path that cannot be a test's file (too long), which makes the whole key `None`.
    pub(crate) fn key(
        &self,
        normalize: &mut dyn FnMut(&str) -> Option<String>,
    ) -> Option<(TestKey, CaseMapping)> {
        let mut normalize_into = |path: &str, out: &mut String| match normalize(path) {
            Some(n) => {
                out.push_str(&n);
                true
            }
            None => false,
        };
        let mut id = String::new();
        let (file_len, mapping) =
            self.key_into(&mut normalize_into, &mut id, &mut String::new())?;
        let file = id.get(..file_len).unwrap_or_default().to_string();
        Some((TestKey { file, id }, mapping))
    }

    /// [`JunitCase::key`] without allocating: the id is written into `out`, whose first bytes (the returned length)
    /// are the file; `scratch` is a second reused buffer. `normalize` appends a normalised path to its buffer, or
    /// returns `false` for a path that cannot be a test's file (too long), which makes the whole key `None`: the
    /// caller skips the case before anything was copied. Runs on every case of every JUnit report.
    pub(crate) fn key_into(
        &self,
        normalize: &mut Normalize<'_>,
        out: &mut String,
        scratch: &mut String,
    ) -> Option<(usize, CaseMapping)> {
        let name = self.name;
        let classname = non_empty(self.classname);
        let suite = non_empty(self.suite_name);
        if let Some(raw_file) = non_empty(self.file) {
            let file_len = file_into(normalize, raw_file, out)?;
            let Some(cls) = classname else {
                // pytest reports a module skipped at collection as classname="" name="<dotted module>".
                if class_after_module(name, out, true) != Some("") {
                    push_id(out, "", name);
                }
                return Some((file_len, CaseMapping::FileAttribute));
            };
            // Playwright, vitest: classname = the spec file itself.
            // Normalising only rewrites separators and drops leading parts, so a classname not ending in the file's
            // last segment cannot normalise to the file: checked first, as normalising costs a copy per case.
            let file = out.as_str();
            let base = memchr::memrchr(b'/', file.as_bytes())
                .and_then(|i| file.get(i + 1..))
                .unwrap_or(file);
            let may_be_file = cls.trim_end_matches(['/', '\\']).ends_with(base);
            let same_file = cls == raw_file
                || cls == file
                || (may_be_file && {
                    scratch.clear();
                    normalize(cls, scratch) && scratch.as_str() == file
                });
            if same_file {
                push_id(out, "", name);
                return Some((file_len, CaseMapping::FileAttribute));
            }
            let rest = class_after_module(cls, file, true)
                .or_else(|| class_after_module(cls, file, false));
            if let Some(rest) = rest {
                if rest.contains('.') {
                    push_id(out, &rest.replace('.', "::"), name);
                } else {
                    push_id(out, rest, name);
                }
                return Some((file_len, CaseMapping::FileAttribute));
            }
            if file.ends_with(".py") && is_python_dotted(cls) {
                let (path, class) = python_path(cls);
                let file_len = file_into(normalize, &path, out)?;
                push_id(out, &class, name);
                return Some((file_len, CaseMapping::FileFromClassname));
            }
            let plain = cls == name || cls.contains(char::is_whitespace);
            push_id(out, if plain { "" } else { cls }, name);
            return Some((file_len, CaseMapping::FileAttribute));
        }
        let Some(cls) = classname else {
            return match suite {
                Some(s) => Some((
                    unit_into(normalize, s, name, out)?,
                    CaseMapping::SuiteAsUnit,
                )),
                None => Some((file_into(normalize, name, out)?, CaseMapping::NameAsUnit)),
            };
        };
        if let Some(s) = suite {
            // go-junit-report: classname = last element of the package path; gotestsum, nextest, Playwright,
            // surefire: classname = suite name.
            let go_short = s.len() > cls.len()
                && s.ends_with(cls)
                && s.as_bytes()[s.len() - cls.len() - 1] == b'/';
            if s == cls || go_short {
                return Some((
                    unit_into(normalize, s, name, out)?,
                    CaseMapping::SuiteAsUnit,
                ));
            }
        }
        let python_report = matches!(suite, Some("pytest" | "nosetests"));
        if cls == "test" && !python_report {
            // node's test runner: classname is always "test", suites are describe() titles; the outermost one
            // stands for the file, nested ones stay in the id.
            return match (non_empty(self.suite_outer), non_empty(self.suite_chain)) {
                (Some(outer), Some(chain)) => {
                    let file_len = file_into(normalize, outer, out)?;
                    let rest = chain
                        .strip_prefix(outer)
                        .and_then(|r| r.strip_prefix("::"))
                        .unwrap_or("");
                    push_id(out, rest, name);
                    Some((file_len, CaseMapping::SuiteAsUnit))
                }
                _ => Some((file_into(normalize, name, out)?, CaseMapping::NameAsUnit)),
            };
        }
        let segs_look_python = || cls.split('.').rev().skip(1).any(is_test_module_segment);
        if cls.contains('.') && is_python_dotted(cls) && (python_report || segs_look_python()) {
            let (path, class) = python_path(cls);
            let file_len = file_into(normalize, &path, out)?;
            push_id(out, &class, name);
            return Some((file_len, CaseMapping::ClassnameToPath));
        }
        if cls.contains(char::is_whitespace) {
            if let Some(s) = suite {
                return Some((
                    unit_into(normalize, s, name, out)?,
                    CaseMapping::SuiteAsUnit,
                ));
            }
        }
        Some((
            unit_into(normalize, cls, name, out)?,
            CaseMapping::ClassAsUnit,
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_found_at_every_position() {
        for len in 0..20 {
            for bad in [0x00u8, 0x01, 0x09, 0x1f, 0x7f] {
                for at in 0..len {
                    let mut b: Vec<u8> = b"a/b.py::T \x7e!"
                        .iter()
                        .copied()
                        .cycle()
                        .take(len)
                        .collect();
                    b[at] = bad;
                    let s = String::from_utf8(b).unwrap_or_default();
                    assert!(has_control(&s), "{s:?}");
                }
            }
            for ok in ["abcdefghijklmnopqrstuvwxyz", "é→€ü \u{80}\u{ff}", " ~!/"] {
                let s: String = ok.chars().cycle().take(len).collect();
                assert!(!has_control(&s), "{s:?}");
            }
        }
    }

    #[test]
    fn fast_trim_matches_str_trim() {
        for s in [
            "",
            " ",
            "a",
            " a",
            "a ",
            "\ta\n",
            "a b",
            "\u{85}a",
            "a\u{a0}",
            "\u{2003}",
            "é",
            "\x0bx\x0c",
            "\x7f",
            "x\x7f",
            "\u{0}a",
        ] {
            assert_eq!(trim(s), s.trim(), "{s:?}");
            assert_eq!(is_blank(s), s.trim().is_empty(), "{s:?}");
        }
    }

    #[test]
    fn clean_relative_paths() {
        let table = [
            ("a", true),
            ("a/b.py", true),
            ("a.b/.c/..", true),
            (".a/b", true),
            ("", false),
            (".", false),
            ("./a", false),
            ("a/.", false),
            ("a/./b", false),
            ("a//b", false),
            ("a/", false),
            ("/a", false),
            ("a\\b", false),
            ("C:/a", false),
        ];
        for (path, clean) in table {
            assert_eq!(is_clean_relative(path), clean, "{path:?}");
        }
    }

    #[test]
    fn module_compare_matches_a_byte_loop() {
        let reference = |c: &[u8], m: &[u8]| {
            c.len() == m.len()
                && c.iter()
                    .zip(m)
                    .all(|(&a, &b)| if b == b'/' { a == b'.' } else { a == b })
        };
        let alphabet = [b'a', b'/', b'.', b'0', 0x2f ^ 0x80, 0xae, b'_'];
        for len in 0..20usize {
            for seed in 0..40usize {
                let m: Vec<u8> = (0..len)
                    .map(|i| alphabet[(i * 7 + seed * 3 + i * seed) % 7])
                    .collect();
                let same: Vec<u8> = m
                    .iter()
                    .map(|&b| if b == b'/' { b'.' } else { b })
                    .collect();
                assert!(same_module(&same, &m) && reference(&same, &m));
                for at in 0..len {
                    for flip in [1u8, 0x80, 0x2f ^ 0x2e ^ 0x10] {
                        let mut c = same.clone();
                        c[at] ^= flip;
                        assert_eq!(same_module(&c, &m), reference(&c, &m), "{c:?} {m:?}");
                    }
                    let mut c = same.clone();
                    c[at] = m[at];
                    assert_eq!(same_module(&c, &m), reference(&c, &m), "{c:?} {m:?}");
                }
            }
        }
    }

    #[test]
    fn module_prefix_of_classname() {
        let table: [(&str, &str, bool, Option<&str>); 7] = [
            ("a.b.test_x", "a/b/test_x.py", true, Some("")),
            ("a.b.test_x.C.D", "a/b/test_x.py", true, Some("C.D")),
            ("a.b.test_xy", "a/b/test_x.py", true, None),
            ("a.b.test_x", "a/b/test_x.py", false, None),
            ("a.b.test_x.py", "a/b/test_x.py", false, Some("")),
            ("a/b.test_x", "a/b/test_x.py", true, None),
            ("a.b", "a/b/test_x.py", true, None),
        ];
        for (cls, file, strip, want) in table {
            assert_eq!(class_after_module(cls, file, strip), want, "{cls} {file}");
        }
    }

    fn roots() -> Vec<String> {
        vec![
            "/home/runner/work/r/r".to_string(),
            "D:\\a\\r\\r".to_string(),
        ]
    }

    #[test]
    fn granularity_parses_and_displays() {
        let successes = [
            ("file", Granularity::File),
            ("suite", Granularity::Suite),
            ("test", Granularity::Test),
            (" Test\n", Granularity::Test),
        ];
        for (s, g) in successes {
            assert_eq!(s.parse::<Granularity>(), Ok(g), "{s:?}");
            assert_eq!(g.to_string().parse::<Granularity>(), Ok(g));
        }
        let failures = ["", "x", "files", "tests", "module"];
        for s in failures {
            let err = s.parse::<Granularity>().unwrap_err();
            assert_eq!(
                err.to_string(),
                format!("input `granularity`: expected `file`, `suite` or `test`, got `{s}`")
            );
        }
        assert_eq!(
            serde_json::to_string(&Granularity::Suite).unwrap(),
            "\"suite\""
        );
    }

    #[test]
    fn paths_normalise() {
        let cases = [
            ("tests/x.py", "tests/x.py"),
            ("./tests/x.py", "tests/x.py"),
            ("././tests//x.py", "tests/x.py"),
            ("tests\\unit\\x.py", "tests/unit/x.py"),
            ("tests/./x.py", "tests/x.py"),
            ("tests/", "tests"),
            ("/home/runner/work/r/r/tests/x.py", "tests/x.py"),
            ("/home/runner/work/r/r//tests/x.py", "tests/x.py"),
            (
                "/home/runner/work/r/rr/tests/x.py",
                "/home/runner/work/r/rr/tests/x.py",
            ),
            ("/other/tests/x.py", "/other/tests/x.py"),
            ("d:\\a\\r\\r\\spec\\a_spec.rb", "spec/a_spec.rb"),
            ("../up/x.py", "../up/x.py"),
            ("", ""),
            ("./", ""),
            ("crate::bin/x", "crate::bin/x"),
        ];
        for (input, want) in cases {
            assert_eq!(normalize_path(input, &roots()), want, "{input:?}");
        }
        // A relative root is honoured too.
        assert_eq!(
            normalize_path("backend/x.py", &["backend/".to_string()]),
            "x.py"
        );
        assert_eq!(
            normalize_path("backend2/x.py", &["backend".to_string()]),
            "backend2/x.py"
        );
        // The longest root wins.
        let nested = vec!["/w".to_string(), "/w/backend".to_string()];
        assert_eq!(normalize_path("/w/backend/x.py", &nested), "x.py");
        assert_eq!(normalize_path("/w/x.py", &nested), "x.py");
    }

    #[test]
    fn ids_split_at_the_first_separator() {
        let cases = [
            (
                "tests/x.py::TestC::test_y[a::b]",
                "tests/x.py",
                "tests/x.py::TestC::test_y[a::b]",
            ),
            ("./spec/a_spec.rb", "spec/a_spec.rb", "spec/a_spec.rb"),
            ("tests\\x.py::t", "tests/x.py", "tests/x.py::t"),
            ("/home/runner/work/r/r/x.py::t", "x.py", "x.py::t"),
            // Not a path before `::`: a nextest binary id (or a module path) is one unit, never cut at `::`.
            (
                "my_crate::integration",
                "my_crate::integration",
                "my_crate::integration",
            ),
            (
                "my_crate::bin/tool",
                "my_crate::bin/tool",
                "my_crate::bin/tool",
            ),
            (
                "github.com/o/r/pkg::TestX",
                "github.com/o/r/pkg",
                "github.com/o/r/pkg::TestX",
            ),
        ];
        for (id, file, want) in cases {
            let k = TestKey::from_id(id, &roots());
            assert_eq!((k.file.as_str(), k.id.as_str()), (file, want), "{id:?}");
        }
    }

    #[test]
    fn canonical_form() {
        use crate::limits::MAX_ID_BYTES;
        let key = |file: &str, id: &str| TestKey {
            file: file.into(),
            id: id.into(),
        };
        // Unchanged ids, including the longest kept as is.
        let at_limit = format!("a.py::{}", "x".repeat(MAX_ID_BYTES - 6));
        for k in [key("a.py", "a.py::t"), key("a.py", &at_limit), key("", "")] {
            let c = k.clone().canonical();
            assert_eq!(
                c,
                Ok(Canonical {
                    key: k,
                    control_chars: false,
                    shortened_from: None
                })
            );
        }
        // Control characters, in the file and in the rest of the id; C1 controls and other text untouched.
        let c = key("a\tb.py", "a\tb.py::t\n::error::x\u{1b}[2J\u{85}é").canonical();
        assert_eq!(
            c,
            Ok(Canonical {
                key: key(
                    "a\u{FFFD}b.py",
                    "a\u{FFFD}b.py::t\u{FFFD}::error::x\u{FFFD}[2J\u{85}é"
                ),
                control_chars: true,
                shortened_from: None
            })
        );
        // Too long: the prefix up to a char boundary, `…#`, the hash of the whole id; stable, distinct per id.
        let long = |tail: &str| format!("t.py::test[{}ä{tail}]", "a".repeat(MAX_ID_BYTES - 32));
        let (a, b) = (long(&"b".repeat(100)), long(&"c".repeat(100)));
        let ca = TestKey::from_id(&a, &[]).canonical().map_err(|e| e.key.id);
        let cb = TestKey::from_id(&b, &[]).canonical().map_err(|e| e.key.id);
        let (Ok(ca), Ok(cb)) = (ca, cb) else {
            panic!("shortened ids expected");
        };
        assert_ne!(ca.key.id, cb.key.id);
        assert_eq!(ca.shortened_from, Some(a.len()));
        assert_eq!(ca.key.file, "t.py");
        assert!(ca.key.id.len() <= MAX_ID_BYTES);
        // `ä` straddles the cut: the prefix stops before it.
        let kept = ca.key.id.len() - LONG_ID_SUFFIX_BYTES;
        assert_eq!(kept, MAX_ID_BYTES - LONG_ID_SUFFIX_BYTES - 1);
        assert_eq!(&ca.key.id[..kept], &a[..kept]);
        assert!(ca.key.id.ends_with(&format!("…#{:016x}", fnv1a(&a))));
        assert_eq!(
            ca.key.clone().canonical().map(|c| c.key),
            Ok(ca.key.clone()),
            "canonical twice is canonical once"
        );
        for (k, canonical) in [
            (key("a.py", "a.py::t"), true),
            (key("a.py", &at_limit), true),
            (key("a\tb.py", "a\tb.py::t"), false),
            (key("a.py", "a.py::\u{7f}"), false),
            (key("t.py", &a), false),
            (ca.key.clone(), true),
        ] {
            assert_eq!(
                k.is_canonical(),
                canonical,
                "{:?}",
                &k.id[..k.id.len().min(20)]
            );
        }
        // The hash is fixed forever (stored ids depend on it).
        assert_eq!(fnv1a(""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a("a"), 0xaf63_dc4c_8601_ec8c);
        // A file too long to stay the prefix: no canonical form.
        let file = "d/".repeat(MAX_ID_BYTES / 2);
        let err = TestKey::from_id(&format!("{file}x.py::t"), &[]).canonical();
        assert!(
            matches!(&err, Err(FileTooLong { key }) if key.file.ends_with("x.py")),
            "{:?}",
            err.as_ref().map(|c| c.key.id.len())
        );
    }

    #[test]
    fn units_at_each_granularity() {
        let key = |file: &str, id: &str| TestKey {
            file: file.into(),
            id: id.into(),
        };
        let cases = [
            (key("f.py", "f.py::C::t"), Granularity::File, "f.py"),
            (key("f.py", "f.py::C::t"), Granularity::Suite, "f.py::C"),
            (
                key("f.py", "f.py::C::D::t[x]"),
                Granularity::Suite,
                "f.py::C",
            ),
            (key("f.py", "f.py::t"), Granularity::Suite, "f.py::t"),
            (key("f.py", "f.py"), Granularity::Suite, "f.py"),
            (key("f.py", "f.py::C::t"), Granularity::Test, "f.py::C::t"),
            (
                key("c::bin/x", "c::bin/x::m::t"),
                Granularity::Suite,
                "c::bin/x::m",
            ),
            (
                key("c::bin/x", "c::bin/x::m::t"),
                Granularity::File,
                "c::bin/x",
            ),
            (
                key("c::bin/x", "c::bin/x::t"),
                Granularity::Suite,
                "c::bin/x::t",
            ),
        ];
        for (k, g, want) in cases {
            let u = k.unit(g);
            assert_eq!(u.id, want, "{k:?} at {g}");
            assert_eq!(u.file, k.file);
            assert_eq!(k.unit_id(g), want, "{k:?} at {g}, borrowed");
        }
    }

    fn set(items: &[&str]) -> BTreeSet<String> {
        items.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn roots_reconcile() {
        // Recorded under backend/ root, discovered from the repository root: add `backend/`.
        let known = set(&["a.py", "b.py", "sub/c.py", "gone.py"]);
        let wanted = set(&[
            "backend/a.py",
            "backend/b.py",
            "backend/sub/c.py",
            "backend/new.py",
        ]);
        let rw = reconcile_roots(&known, &wanted).expect("a rewrite");
        assert_eq!(
            rw.apply("sub/c.py::t").as_deref(),
            Some("backend/sub/c.py::t")
        );
        assert!(
            rw.describe().contains("adding `backend/`"),
            "{}",
            rw.describe()
        );
        assert!(
            rw.describe().contains("matches 3 of 4"),
            "{}",
            rw.describe()
        );

        // The other way round: strip.
        let rw = reconcile_roots(&wanted, &known).expect("a rewrite");
        assert_eq!(rw.apply("backend/a.py::t").as_deref(), Some("a.py::t"));
        assert_eq!(rw.apply("other/a.py"), None);
        assert!(
            rw.describe().contains("removing `backend/`"),
            "{}",
            rw.describe()
        );

        // Absolute CI paths in recorded data.
        let known = set(&["/ci/w/tests/a.py", "/ci/w/tests/b.py", "/ci/w/tests/c.py"]);
        let wanted = set(&["tests/a.py", "tests/b.py", "tests/c.py"]);
        let rw = reconcile_roots(&known, &wanted).expect("a rewrite");
        assert_eq!(
            rw.apply("/ci/w/tests/a.py::x").as_deref(),
            Some("tests/a.py::x")
        );
    }

    #[test]
    fn roots_not_reconciled_without_a_clear_gain() {
        let failures: [(&[&str], &[&str]); 5] = [
            // Already matching.
            (&["a.py", "b.py"], &["a.py", "b.py"]),
            // A single coincidental match.
            (&["setup.py", "x.py"], &["docs/setup.py", "y.py"]),
            // Nothing in common.
            (&["a.py"], &["b.py"]),
            // Gain of 2 but does not double 3 existing matches.
            (
                &["a.py", "b.py", "c.py", "d/x.py", "d/y.py"],
                &["a.py", "b.py", "c.py", "x.py", "y.py"],
            ),
            (&[], &[]),
        ];
        for (known, wanted) in failures {
            assert_eq!(
                reconcile_roots(&set(known), &set(wanted)),
                None,
                "{known:?} → {wanted:?}"
            );
        }
    }

    #[test]
    fn reconcile_tie_break_prefers_shorter_prefix() {
        // `x/` + k and `x/y/` + k both give 1 match each for different files; 2 matches only with `x/`.
        let known = set(&["a.py", "b.py"]);
        let wanted = set(&["x/a.py", "x/b.py", "x/y/a.py", "x/y/b.py"]);
        let rw = reconcile_roots(&known, &wanted).expect("a rewrite");
        assert_eq!(rw.apply("a.py").as_deref(), Some("x/a.py"));
    }

    #[test]
    fn junit_cases_map_to_keys() {
        // (file, classname, name, suite name, suite file) → (file, id, mapping)
        type Case<'a> = (
            Option<&'a str>,
            Option<&'a str>,
            &'a str,
            Option<&'a str>,
            Option<&'a str>,
            &'a str,
            &'a str,
            CaseMapping,
        );
        use CaseMapping::*;
        let cases: Vec<Case> = vec![
            // pytest xunit1: class part = classname minus module.
            (
                Some("tests/test_x.py"),
                Some("tests.test_x.TestC"),
                "test_y[1]",
                Some("pytest"),
                None,
                "tests/test_x.py",
                "tests/test_x.py::TestC::test_y[1]",
                FileAttribute,
            ),
            (
                Some("tests/test_x.py"),
                Some("tests.test_x"),
                "test_y",
                Some("pytest"),
                None,
                "tests/test_x.py",
                "tests/test_x.py::test_y",
                FileAttribute,
            ),
            (
                Some("tests/test_x.py"),
                Some("tests.test_x.TestA.TestB"),
                "test_y",
                Some("pytest"),
                None,
                "tests/test_x.py",
                "tests/test_x.py::TestA::TestB::test_y",
                FileAttribute,
            ),
            // evalml: module skipped at collection; doctest items.
            (
                Some("evalml/tests/test_a.py"),
                Some(""),
                "evalml.tests.test_a",
                Some("pytest"),
                None,
                "evalml/tests/test_a.py",
                "evalml/tests/test_a.py",
                FileAttribute,
            ),
            (
                Some("evalml/dc/check.py"),
                Some("evalml.dc.check"),
                "evalml.dc.check.Check.validate",
                Some("pytest"),
                None,
                "evalml/dc/check.py",
                "evalml/dc/check.py::evalml.dc.check.Check.validate",
                FileAttribute,
            ),
            // pytest reports the defining file of an inherited test: the classname wins.
            (
                Some("tests/base.py"),
                Some("tests.test_x.TestC"),
                "test_y",
                Some("pytest"),
                None,
                "tests/test_x.py",
                "tests/test_x.py::TestC::test_y",
                FileFromClassname,
            ),
            // rspec_junit_formatter.
            (
                Some("./spec/models/user_spec.rb"),
                Some("spec.models.user_spec"),
                "User is valid",
                Some("rspec"),
                None,
                "spec/models/user_spec.rb",
                "spec/models/user_spec.rb::User is valid",
                FileAttribute,
            ),
            // jest-junit with addFileAttribute (absolute path, stripped root).
            (
                Some("/home/runner/work/r/r/src/a.test.js"),
                Some("sum adds"),
                "sum adds",
                Some("sum"),
                None,
                "src/a.test.js",
                "src/a.test.js::sum adds",
                FileAttribute,
            ),
            // File on the suite only.
            (
                None,
                Some("Foo bar"),
                "Foo bar",
                Some("Foo"),
                Some("src/foo.test.ts"),
                "src/foo.test.ts",
                "src/foo.test.ts::Foo bar",
                FileAttribute,
            ),
            // A Java class with a file: keep the class segment.
            (
                Some("src/test/java/x/FooTest.java"),
                Some("x.FooTest$Inner"),
                "m",
                Some("x.FooTest"),
                None,
                "src/test/java/x/FooTest.java",
                "src/test/java/x/FooTest.java::x.FooTest$Inner::m",
                FileAttribute,
            ),
            // Playwright: classname = file path.
            (
                Some("tests/a.spec.ts"),
                Some("tests/a.spec.ts"),
                "has title",
                None,
                None,
                "tests/a.spec.ts",
                "tests/a.spec.ts::has title",
                FileAttribute,
            ),
            // The classname is the file written another way (normalises to it): still the file, not a class.
            (
                Some("tests/a.spec.ts"),
                Some(".\\tests\\a.spec.ts"),
                "has title",
                None,
                None,
                "tests/a.spec.ts",
                "tests/a.spec.ts::has title",
                FileAttribute,
            ),
            (
                Some("./tests/a.spec.ts"),
                Some("tests//a.spec.ts/"),
                "has title",
                None,
                None,
                "tests/a.spec.ts",
                "tests/a.spec.ts::has title",
                FileAttribute,
            ),
            // nose: classname → path.
            (
                None,
                Some("WMCore_t.WMSpec_t.StdSpecs_t.DQMHarvest_t.DQMHarvestTests"),
                "testDQMHarvest",
                Some("nosetests"),
                None,
                "WMCore_t/WMSpec_t/StdSpecs_t/DQMHarvest_t.py",
                "WMCore_t/WMSpec_t/StdSpecs_t/DQMHarvest_t.py::DQMHarvestTests::testDQMHarvest",
                ClassnameToPath,
            ),
            (
                None,
                Some("pkg.test_mod"),
                "test_func",
                Some("nosetests"),
                None,
                "pkg/test_mod.py",
                "pkg/test_mod.py::test_func",
                ClassnameToPath,
            ),
            // pytest xunit2 (no file attribute).
            (
                None,
                Some("tests.unit.test_x.TestA.TestB"),
                "test_y[a.b]",
                Some("pytest"),
                None,
                "tests/unit/test_x.py",
                "tests/unit/test_x.py::TestA::TestB::test_y[a.b]",
                ClassnameToPath,
            ),
            (
                None,
                Some("Tests.test_x.TestC"),
                "t",
                Some("pytest"),
                None,
                "Tests/test_x.py",
                "Tests/test_x.py::TestC::t",
                ClassnameToPath,
            ),
            (
                None,
                Some("TestFoo.TestFoo"),
                "t",
                Some("pytest"),
                None,
                "TestFoo.py",
                "TestFoo.py::TestFoo::t",
                ClassnameToPath,
            ),
            // Python recognised by a test-module segment even under another suite name.
            (
                None,
                Some("app.tests.test_views.ViewTests"),
                "test_get",
                Some("unittest"),
                None,
                "app/tests/test_views.py",
                "app/tests/test_views.py::ViewTests::test_get",
                ClassnameToPath,
            ),
            // Java: class is the unit.
            (
                None,
                Some("net.sf.freecol.common.i18n.CLDRTest"),
                "testPlurals",
                Some("AllTests"),
                None,
                "net.sf.freecol.common.i18n.CLDRTest",
                "net.sf.freecol.common.i18n.CLDRTest::testPlurals",
                ClassAsUnit,
            ),
            (
                None,
                Some("com.x.FooTest"),
                "m",
                Some("com.x.FooTest"),
                None,
                "com.x.FooTest",
                "com.x.FooTest::m",
                SuiteAsUnit,
            ),
            // go-junit-report v1 (classname = last element) and gotestsum (classname = package).
            (
                None,
                Some("util"),
                "TestX/sub_case",
                Some("github.com/o/r/util"),
                None,
                "github.com/o/r/util",
                "github.com/o/r/util::TestX/sub_case",
                SuiteAsUnit,
            ),
            (
                None,
                Some("github.com/o/r/b/util"),
                "TestX",
                Some("github.com/o/r/b/util"),
                None,
                "github.com/o/r/b/util",
                "github.com/o/r/b/util::TestX",
                SuiteAsUnit,
            ),
            // nextest: the binary id contains `::`.
            (
                None,
                Some("timeshard::report_real_files"),
                "tests::parses",
                Some("timeshard::report_real_files"),
                None,
                "timeshard::report_real_files",
                "timeshard::report_real_files::tests::parses",
                SuiteAsUnit,
            ),
            // node test runner: classname "test"; the outermost describe is the unit.
            (
                None,
                Some("test"),
                "adds",
                Some("math"),
                None,
                "math",
                "math::adds",
                SuiteAsUnit,
            ),
            (
                None,
                Some("test"),
                "top",
                None,
                None,
                "top",
                "top",
                NameAsUnit,
            ),
            // jest-junit without file: suite is the unit.
            (
                None,
                Some("sum adds numbers"),
                "sum adds numbers",
                Some("sum"),
                None,
                "sum",
                "sum::sum adds numbers",
                SuiteAsUnit,
            ),
            // Nothing but a name.
            (
                None, None, "lonely", None, None, "lonely", "lonely", NameAsUnit,
            ),
            (
                None,
                Some(""),
                "t",
                Some("suite x"),
                None,
                "suite x",
                "suite x::t",
                SuiteAsUnit,
            ),
        ];
        for (file, cls, name, suite, suite_file, want_file, want_id, want_mapping) in cases {
            let (k, m) = junit_case_key_with_mapping(file, cls, name, suite, suite_file, &roots());
            assert_eq!(
                (k.file.as_str(), k.id.as_str(), m),
                (want_file, want_id, want_mapping),
                "{file:?} {cls:?} {name:?}"
            );
            assert!(
                k.id == k.file || k.id.starts_with(&format!("{}::", k.file)),
                "invariant broken: {k:?}"
            );
            assert_eq!(
                junit_case_key(file, cls, name, suite, suite_file, &roots()),
                k
            );
        }
    }

    #[test]
    fn same_named_tests_in_different_units_do_not_collide() {
        let ids: BTreeSet<String> = [
            junit_case_key(
                None,
                Some("util"),
                "TestX",
                Some("github.com/o/a/util"),
                None,
                &[],
            ),
            junit_case_key(
                None,
                Some("util"),
                "TestX",
                Some("github.com/o/b/util"),
                None,
                &[],
            ),
            junit_case_key(None, Some("a.FooTest"), "m", Some("AllTests"), None, &[]),
            junit_case_key(None, Some("b.FooTest"), "m", Some("AllTests"), None, &[]),
            junit_case_key(
                Some("x/FooTest.java"),
                Some("x.FooTest"),
                "m",
                None,
                None,
                &[],
            ),
            junit_case_key(
                Some("x/FooTest.java"),
                Some("x.FooTest$Inner"),
                "m",
                None,
                None,
                &[],
            ),
            junit_case_key(
                None,
                Some("pkg.test_a.TestC"),
                "t",
                Some("pytest"),
                None,
                &[],
            ),
            junit_case_key(
                None,
                Some("pkg.test_b.TestC"),
                "t",
                Some("pytest"),
                None,
                &[],
            ),
        ]
        .into_iter()
        .map(|k| k.id)
        .collect();
        assert_eq!(ids.len(), 8, "{ids:?}");
    }

    #[test]
    fn class_segments_heuristic() {
        let cases = [
            ("a.b.c", ("a/b/c.py", "")),
            ("a.b.TestC", ("a/b.py", "TestC")),
            ("a.b.TestC.TestD", ("a/b.py", "TestC::TestD")),
            (
                "WMCore_t.DQMHarvest_t.DQMHarvestTests",
                ("WMCore_t/DQMHarvest_t.py", "DQMHarvestTests"),
            ),
            ("Pkg.Module_utils.Thing", ("Pkg/Module_utils.py", "Thing")),
            ("Pkg.TestFoo_Bar", ("Pkg.py", "TestFoo_Bar")),
            ("Single", ("Single.py", "")),
        ];
        for (cls, (path, class)) in cases {
            assert_eq!(
                python_path(cls),
                (path.to_string(), class.to_string()),
                "{cls}"
            );
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(2000))]
        /// The store's shortcut agrees with building the key, for ids made of path-ish pieces (separators, dots,
        /// drive letters, `::`) and for files equal to, or one piece off, the id's file part.
        #[test]
        fn default_file_is_agrees_with_from_id(
            pieces in proptest::collection::vec(
                proptest::sample::select(vec!["a", "b.py", "/", "\\", ".", "..", "./", "//", "::", "C:", "t", " "]),
                0..10,
            ),
            which in 0usize..3,
        ) {
            let id: String = pieces.concat();
            let default = TestKey::from_id(&id, &[]).file;
            let file = match which {
                0 => default.clone(),
                1 => id.split("::").next().unwrap_or_default().to_string(),
                _ => format!("{default}x"),
            };
            proptest::prop_assert_eq!(TestKey::default_file_is(&id, &file), default == file, "id {:?} file {:?}", id, file);
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(3000))]
        /// `IdRef` compares and hashes exactly as `str` does, for strings that share long prefixes (the case it is
        /// for) and differ anywhere, in any byte, or in length.
        #[test]
        fn id_ref_orders_as_str(
            prefix in "[a-z/._]{0,40}",
            a in proptest::collection::vec(proptest::num::u8::ANY, 0..20),
            b in proptest::collection::vec(proptest::num::u8::ANY, 0..20),
        ) {
            let a = format!("{prefix}{}", String::from_utf8_lossy(&a));
            let b = format!("{prefix}{}", String::from_utf8_lossy(&b));
            for (x, y) in [(&a, &b), (&a, &a), (&b, &a)] {
                proptest::prop_assert_eq!(IdRef(x).cmp(&IdRef(y)), x.cmp(y));
                proptest::prop_assert_eq!(IdRef(x) == IdRef(y), x == y);
            }
            let h = |s: &str| std::hash::BuildHasher::hash_one(&rustc_hash::FxBuildHasher, IdRef(s));
            proptest::prop_assert_eq!(h(&a), std::hash::BuildHasher::hash_one(&rustc_hash::FxBuildHasher, a.as_str()));
        }
    }
}
