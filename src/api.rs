//! The two entry points the action calls: [`plan()`] (split) and [`record`] (merge reports into the store).
//!
//! This module only glues the others together; it owns one policy: *problems with data are warnings, problems with
//! options are errors*. An unreadable store, a report that cannot be parsed or a timing file in an unknown format
//! becomes a warning in the result and the work goes on with what is left (estimate-only in the worst case); only
//! an invalid option (`workers: 0`, an unknown granularity) is an [`Error`](crate::Error).
//!
//! Precedence of timing data in [`plan()`]: the store's robust statistic for a test wins over the same test in an extra
//! timings file (the store is fed by real runs of this workflow); timings files fill in the tests the store lacks.

use rustc_hash::{FxHashMap, FxHashSet};
use std::borrow::Cow;
use std::collections::BTreeMap;

use serde::Serialize;

use crate::error::printable;
use crate::estimate::{self, Basis};
use crate::plan::{self, Plan, PlanOptions};
use crate::report::{self, Input, ParseOptions, Sample, Samples};
use crate::store::{self, RecordOptions, Store};
use crate::test_id::{normalize_roots, sorted_groups, unit_id_of, IdRef, TestKey};
use crate::{Granularity, Result};

/// A named file's bytes: a report, a timing file.
#[derive(Debug, Clone)]
pub struct Source {
    /// The name shown in messages (a path as the user wrote it).
    pub name: String,
    /// The file's bytes.
    pub data: Vec<u8>,
}

/// Everything [`plan()`] needs.
#[derive(Debug, Clone)]
pub struct PlanRequest {
    /// The discovered tests (ids or paths), or `None` to split the units of the timing data themselves.
    pub tests: Option<Vec<String>>,
    /// A size per entry of `tests` (e.g. file bytes) for the no-history estimate; may be shorter or empty.
    pub sizes: Vec<Option<f64>>,
    /// Extra timing files (a committed `.test_durations`, JUnit reports, …).
    pub timings: Vec<Source>,
    /// The timing store restored from the cache, if any.
    pub store: Option<Vec<u8>>,
    /// Workspace roots stripped from absolute paths.
    pub roots: Vec<String>,
    /// Split options (granularity, workers, overhead).
    pub options: PlanOptions,
}

/// Everything [`record`] needs.
#[derive(Debug, Clone)]
pub struct RecordRequest {
    /// The timing store restored from the cache, if any.
    pub store: Option<Vec<u8>>,
    /// This run's reports (one per shard, or several).
    pub reports: Vec<Source>,
    /// Workspace roots stripped from absolute paths.
    pub roots: Vec<String>,
    /// Prune tests unseen for this many runs (0 = never).
    pub prune_after_runs: u64,
}

/// Everything [`actuals`] needs: the groups of a plan and the reports of the run that executed it.
#[derive(Debug, Clone)]
pub struct ActualsRequest {
    /// Each group's tests, as in the plan.
    pub groups: Vec<Vec<String>>,
    /// The run's reports.
    pub reports: Vec<Source>,
    /// Workspace roots stripped from absolute paths.
    pub roots: Vec<String>,
    /// The plan's granularity.
    pub granularity: Granularity,
}

/// One group's time in the run that executed it ([`actuals`]).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GroupActual {
    /// Seconds the reports measured for the group's units, plus the estimate of those the reports have no time for.
    pub seconds: f64,
    /// Units of the group without a time in the reports (their estimate is in `seconds`).
    pub missing: usize,
}

/// What one report contributed to [`record`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReportSummary {
    /// The report's name.
    pub name: String,
    /// The detected format, or `None` when it could not be read.
    pub format: Option<String>,
    /// Samples read from it.
    pub samples: usize,
    /// What was worked around, or why it was not read.
    pub warnings: Vec<String>,
}

/// The summary of a [`record`] call (the `summary` of the JS result).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RecordSummary {
    /// Runs recorded in the store, this one included.
    pub runs: u64,
    /// Tests in the new store.
    pub tests: usize,
    /// Tests with a sample from this run.
    pub recorded: usize,
    /// Tests seen for the first time.
    pub new_tests: usize,
    /// Known tests with a new sample.
    pub updated_tests: usize,
    /// Tests pruned (unseen for `prune_after_runs` runs).
    pub pruned_tests: usize,
    /// Tests in the store but not in this run's reports (first [`MAX_LISTED`]); they keep their timings.
    pub missing_tests: Vec<String>,
    /// How many tests were missing in all.
    pub missing_count: usize,
    /// Per report.
    pub reports: Vec<ReportSummary>,
    /// Problems worked around (unreadable store, unreadable reports).
    pub warnings: Vec<String>,
}

/// The result of [`record`].
#[derive(Debug, Clone, PartialEq)]
pub struct RecordResult {
    /// The new store, as JSON (deterministic bytes).
    pub store: String,
    /// What happened.
    pub summary: RecordSummary,
}

/// Most ids listed in [`RecordSummary::missing_tests`].
pub const MAX_LISTED: usize = 50;

/// Loads the restored store, or starts empty with a warning that says why.
fn load_store(bytes: Option<&[u8]>, warnings: &mut Vec<String>) -> Store {
    let Some(bytes) = bytes else {
        return Store::new();
    };
    match Store::load(bytes) {
        Ok((store, w)) => {
            warnings.extend(w);
            store
        }
        Err(e) => {
            warnings.push(format!("{e}; starting without recorded history"));
            Store::new()
        }
    }
}

/// Splits the tests into groups. Only invalid options are errors; see the module docs.
pub fn plan(req: &PlanRequest) -> Result<Plan> {
    plan_streaming(req, |each| {
        for s in &req.timings {
            each(&s.name, Input::Bytes(&s.data));
        }
    })
}

/// [`plan()`] taking the request, which lets each timing file's bytes go as soon as the file is read: the memory
/// is reused for what comes next instead of fresh pages (the wasm door calls this; on the scale suite's 47 MB of
/// reports, fresh pages cost ~3 µs each to touch on a CI-sized VM).
pub fn plan_owned(mut req: PlanRequest) -> Result<Plan> {
    let timings = std::mem::take(&mut req.timings);
    plan_streaming(&req, |each| {
        for s in timings {
            each(&s.name, Input::Bytes(&s.data));
        }
    })
}

/// [`plan()`] with the timing files handed over by `timings` instead of taken from `req.timings` (not read):
/// `timings` calls the function it is given once per file, with the file's name and bytes, which need to live only
/// for that call. Each file is parsed before the next is asked for, so a caller can read every file into one
/// buffer (the wasm door does: memory the module already has, instead of fresh pages for each report).
pub fn plan_streaming(
    req: &PlanRequest,
    timings: impl FnOnce(&mut dyn FnMut(&str, Input<'_>)),
) -> Result<Plan> {
    plan_detailed(req, timings).map(|(plan, _)| plan)
}

/// What a plan was built from, beyond the plan itself (for a caller deciding whether to plan again).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PlanDetail {
    /// Units estimated at 1 s because there was no timing history at all and no size for them
    /// ([`Basis::Equal`]). Sizes matter only then: a plan asked without sizes that has none of these is the plan
    /// the sizes would have given, so a caller can leave finding the sizes (a `stat` of every test file) until a
    /// plan says it needs them.
    pub unsized_estimates: usize,
}

/// [`plan_streaming`], with the [`PlanDetail`] of the plan.
pub fn plan_detailed(
    req: &PlanRequest,
    timings: impl FnOnce(&mut dyn FnMut(&str, Input<'_>)),
) -> Result<(Plan, PlanDetail)> {
    req.options.validate()?;
    let g = req.options.granularity;
    let mut warnings = Vec::new();
    let store = load_store(req.store.as_deref(), &mut warnings);

    let stored = store.timings_borrowed();
    let reports = read_timings(timings, &req.roots, &mut warnings);
    // The store's ids are its keys, each once, unless normalising an odd stored id made it equal to another.
    let stored_unique = stored.iter().all(|t| matches!(t.id, Cow::Borrowed(_)));
    let known = unit_totals(known_timings(&stored, stored_unique, &reports), g);
    drop(reports);
    let recorded = match req.tests {
        None => recorded_units(known, g),
        Some(_) => Err(known),
    };
    let mut detail = PlanDetail::default();
    let (run, seconds, estimated) = match recorded {
        Ok((run, seconds)) => {
            let estimated = vec![false; run.len()];
            (run, seconds, estimated)
        }
        Err(known) => {
            let units = units_to_split(
                req.tests.as_deref(),
                &req.sizes,
                &req.roots,
                g,
                &known,
                &mut warnings,
            );
            let est = estimate::estimate(&units.lookup(), &units.sizes, &known, g);
            warnings.extend(est.warnings);
            let estimated = est.basis.iter().map(|b| *b != Basis::Recorded).collect();
            detail.unsized_estimates = est.basis.iter().filter(|b| **b == Basis::Equal).count();
            (units.run, est.seconds, estimated)
        }
    };
    let mut plan = plan::build(&run, &seconds, &estimated, &req.options)?;
    // Data warnings first (they explain the estimates), then the plan's own.
    warnings.append(&mut plan.warnings);
    plan.warnings = warnings;
    Ok((plan, detail))
}

/// The time each group of a plan took in the run that executed it, from that run's reports: each test's unit is
/// looked up exactly as [`plan()`] looks it up (same id matching, unit sums and canonical forms), and a unit the
/// reports lack is estimated as a plan would estimate it. One pass over the reports for all groups. Problems in the
/// reports are not repeated here: [`record`] reports them for the same files.
pub fn actuals(req: &ActualsRequest) -> Vec<GroupActual> {
    let reports = read_timings(
        |each| {
            for s in &req.reports {
                each(&s.name, Input::Bytes(&s.data));
            }
        },
        &req.roots,
        &mut Vec::new(),
    );
    measure_groups(&reports, &req.groups, req.granularity, &req.roots)
}

/// The groups of a plan to measure while recording the run that executed it ([`record_measuring`]).
#[derive(Debug, Clone)]
pub struct Measure {
    /// Each group's tests, as in the plan.
    pub groups: Vec<Vec<String>>,
    /// The plan's granularity.
    pub granularity: Granularity,
}

/// [`actuals`] from reports already read.
fn measure_groups(
    reports: &[Samples],
    groups: &[Vec<String>],
    g: Granularity,
    roots: &[String],
) -> Vec<GroupActual> {
    let mut warnings = Vec::new();
    let known = unit_totals(known_timings::<Sample>(&[], true, reports), g);
    let all: Vec<String> = groups.iter().flatten().cloned().collect();
    let units = units_to_split(Some(&all), &[], roots, g, &known, &mut warnings);
    let est = estimate::estimate(&units.lookup(), &units.sizes, &known, g);
    let index: FxHashMap<&TestKey, usize> =
        units.run.iter().enumerate().map(|(i, k)| (k, i)).collect();
    let roots = normalize_roots(roots);
    groups
        .iter()
        .map(|tests| {
            // A unit counts once per group, however many of its tests the group lists.
            let mut counted: FxHashSet<usize> = FxHashSet::default();
            let mut actual = GroupActual {
                seconds: 0.0,
                missing: 0,
            };
            for t in tests {
                let unit = TestKey::from_id_in(t, &roots).unit(g);
                let Some(&i) = index.get(&unit) else { continue };
                if !counted.insert(i) {
                    continue;
                }
                actual.seconds += est.seconds.get(i).copied().unwrap_or(0.0);
                if est.basis.get(i).is_some_and(|b| *b != Basis::Recorded) {
                    actual.missing += 1;
                }
            }
            actual
        })
        .collect()
}

/// The timing files `sources` hands over (see [`plan_streaming`]), read; an unreadable one is a warning. The
/// samples stay in their flat form: the known timings borrow from them.
fn read_timings(
    sources: impl FnOnce(&mut dyn FnMut(&str, Input<'_>)),
    roots: &[String],
    warnings: &mut Vec<String>,
) -> Vec<Samples> {
    let opts = ParseOptions {
        roots: roots.to_vec(),
    };
    let mut reports = Vec::new();
    sources(
        &mut |name, input| match report::parsed::read_input(name, input, &opts) {
            Ok(read) => {
                warnings.extend(read.warnings);
                reports.push(read.samples);
            }
            Err(e) => warnings.push(format!("{e}; timing file ignored")),
        },
    );
    reports
}

/// A known timing, borrowed from the store's samples or from a report's.
#[derive(Debug, Clone, Copy)]
struct KnownRef<'a> {
    file: &'a str,
    id: &'a str,
    seconds: f64,
}

impl<'a> KnownRef<'a> {
    /// Sample `i` of a report.
    fn of(samples: &'a Samples, i: usize) -> Self {
        KnownRef {
            file: samples.file(i),
            id: samples.id(i),
            seconds: samples.seconds(i),
        }
    }
}

/// A stored timing as [`known_timings`] reads it: the store's own ([`store::Timing`]), or a [`Sample`].
trait AsKnown {
    fn known(&self) -> KnownRef<'_>;
}

impl AsKnown for Sample {
    fn known(&self) -> KnownRef<'_> {
        KnownRef {
            file: &self.key.file,
            id: &self.key.id,
            seconds: self.seconds,
        }
    }
}

impl AsKnown for store::Timing<'_> {
    fn known(&self) -> KnownRef<'_> {
        KnownRef {
            file: &self.file,
            id: &self.id,
            seconds: self.seconds,
        }
    }
}

/// Known timings for a plan: `stored` (the store's), then the samples of the timing files for ids not seen yet
/// (the first source of an id wins). Borrowed, and each report id is looked up by the hash its report already
/// computed: 200k long ids are neither copied nor hashed again.
///
/// `stored_unique`: the caller knows that no two of `stored` share an id (a store's own ids). Then a single source
/// needs no dedupe at all, which is the action's plan (its store and no timing files): 201k ids not hashed.
fn known_timings<'a, S: AsKnown>(
    stored: &'a [S],
    stored_unique: bool,
    reports: &'a [Samples],
) -> Vec<KnownRef<'a>> {
    // A report holds each id once (its parser sums repeats).
    match (reports, stored.is_empty()) {
        ([], _) if stored_unique => return stored.iter().map(AsKnown::known).collect(),
        ([only], true) => return (0..only.len()).map(|i| KnownRef::of(only, i)).collect(),
        (_, true) => return reports_known(reports),
        _ => {}
    }
    let total = stored.len() + reports.iter().map(Samples::len).sum::<usize>();
    let mut fold = KnownFold {
        known: Vec::with_capacity(total),
        seen: FxHashMap::with_capacity_and_hasher(total, Default::default()),
        overflow: FxHashSet::default(),
    };
    for chunk in stored.chunks(FOLD_CHUNK) {
        fold.add(chunk.iter().map(|s| {
            let k = s.known();
            (k, report::id_hash(k.id))
        }));
    }
    for samples in reports {
        for start in (0..samples.len()).step_by(FOLD_CHUNK) {
            let end = (start + FOLD_CHUNK).min(samples.len());
            fold.add((start..end).map(|i| (KnownRef::of(samples, i), samples.id_hash(i))));
        }
    }
    fold.known
}

/// [`known_timings`] of reports alone (the command line's split from timing files): each report's samples in
/// order, less the ids an earlier report had. Which ids an earlier report had is asked of a bit set first (two bits
/// of each id's hash, set report by report), which says "no" for nearly every id without a hash map of all of them;
/// a "maybe" is settled exactly, by the id, in the earlier reports' own indexes ([`Samples::find`]). Same result as
/// the general fold (a test compares them, also with every hash equal); on the scale suite's 201k ids the map it
/// replaces was the largest part of this step (~15 ms in the wasm plan call).
fn reports_known(reports: &[Samples]) -> Vec<KnownRef<'_>> {
    let total: usize = reports.iter().map(Samples::len).sum();
    let mut seen = HashBits::for_items(total);
    let mut known = Vec::with_capacity(total);
    for (r, samples) in reports.iter().enumerate() {
        let earlier = reports.get(..r).unwrap_or_default();
        for i in 0..samples.len() {
            let hash = samples.id_hash(i);
            if seen.maybe(hash)
                && earlier
                    .iter()
                    .any(|e| e.find(samples.id(i), hash).is_some())
            {
                continue;
            }
            known.push(KnownRef::of(samples, i));
        }
        for i in 0..samples.len() {
            seen.insert(samples.id_hash(i));
        }
    }
    known
}

/// A Bloom filter over 64-bit hashes: two bits each (the hash's low bits, and its high half mixed with a rotation
/// of it), sized for a count of items at 16 bits an item (a false "maybe" about once in 500 at that load). "No" is
/// always right.
struct HashBits {
    words: Vec<u64>,
    mask: u64,
}

impl HashBits {
    fn for_items(n: usize) -> Self {
        let bits = n
            .saturating_mul(16)
            .clamp(1 << 12, 1 << 28)
            .next_power_of_two();
        HashBits {
            words: vec![0; bits / 64],
            mask: bits as u64 - 1,
        }
    }

    fn positions(&self, hash: u64) -> [u64; 2] {
        [
            hash & self.mask,
            (hash >> 32 ^ hash.rotate_left(17)) & self.mask,
        ]
    }

    fn insert(&mut self, hash: u64) {
        for p in self.positions(hash) {
            if let Some(w) = self.words.get_mut((p / 64) as usize) {
                *w |= 1 << (p % 64);
            }
        }
    }

    fn maybe(&self, hash: u64) -> bool {
        self.positions(hash).iter().all(|&p| {
            self.words
                .get((p / 64) as usize)
                .is_some_and(|w| w & (1 << (p % 64)) != 0)
        })
    }
}

/// Items per call of the folds below ([`KnownFold::add`], [`UnitFold::add`]). Each fold is called once per chunk
/// rather than once for all, and not inlined: V8 runs a wasm function in baseline code until it has run for a
/// while, and moves it to optimised code only for its next call, so one call over 200k samples ran wholly in
/// baseline code (about twice as slow).
const FOLD_CHUNK: usize = 8192;

/// [`known_timings`]' running state.
struct KnownFold<'a> {
    known: Vec<KnownRef<'a>>,
    /// Hash → index in `known` of the first id with that hash; ids whose hash is taken by another id go to
    /// `overflow` (as in the reports' own index).
    seen: FxHashMap<u64, usize>,
    overflow: FxHashSet<&'a str>,
}

impl<'a> KnownFold<'a> {
    /// Adds each (timing, hash of its id) whose id is not known yet.
    #[inline(never)]
    fn add(&mut self, items: impl Iterator<Item = (KnownRef<'a>, u64)>) {
        for (k, hash) in items {
            match self.seen.entry(hash) {
                std::collections::hash_map::Entry::Vacant(slot) => {
                    slot.insert(self.known.len());
                }
                std::collections::hash_map::Entry::Occupied(slot) => {
                    if self
                        .known
                        .get(*slot.get())
                        .is_some_and(|first| first.id == k.id)
                        || !self.overflow.insert(k.id)
                    {
                        continue;
                    }
                }
            }
            self.known.push(k);
        }
    }
}

/// One output sample of [`unit_totals`]: a unit's total (keyed by its first sample) or a sample passed through.
enum Slot {
    Unit {
        first: usize,
        exact: Option<f64>,
        finer: f64,
    },
    Passed(usize),
}

/// [`unit_totals`]' running state.
struct UnitFold<'a> {
    slots: Vec<Slot>,
    index: FxHashMap<IdRef<'a>, usize>,
    /// The previous sample's unit and slot: a report lists a file's tests together, so most samples hit it and
    /// skip hashing their unit.
    last: Option<(IdRef<'a>, usize)>,
}

impl<'a> UnitFold<'a> {
    /// Folds `chunk`, whose first sample is sample `start`, into the totals (see [`FOLD_CHUNK`]).
    #[inline(never)]
    fn add(&mut self, chunk: &[KnownRef<'a>], start: usize, g: Granularity) {
        for (j, s) in chunk.iter().enumerate() {
            let i = start + j;
            if !s.seconds.is_finite() || s.seconds < 0.0 {
                self.slots.push(Slot::Passed(i));
                continue;
            }
            let unit = IdRef(unit_id_of(s.file, s.id, g));
            let slot = match self.last {
                Some((u, slot)) if u == unit => slot,
                _ => {
                    let slots = &mut self.slots;
                    *self.index.entry(unit).or_insert_with(|| {
                        slots.push(Slot::Unit {
                            first: i,
                            exact: None,
                            finer: 0.0,
                        });
                        slots.len() - 1
                    })
                }
            };
            self.last = Some((unit, slot));
            if let Some(Slot::Unit { exact, finer, .. }) = self.slots.get_mut(slot) {
                if unit == IdRef(s.id) {
                    *exact = Some(s.seconds);
                } else {
                    *finer += s.seconds;
                }
            }
        }
    }
}

/// `known` (each id once) summed up to the units of granularity `g`, in first-seen order: what
/// [`estimate::estimate`] does with finer records, done once here so that 200k test timings of 16k files reach
/// the estimator (its root reconciliation, neighbour pools and unit sums) as 16k unit timings. The rule is the
/// estimator's: a record exactly at a unit's level wins over the sum of finer ones for that unit; coarser records
/// are kept as they are. Values that are not finite and ≥ 0 are passed through for the estimator to warn about.
fn unit_totals(known: Vec<KnownRef<'_>>, g: Granularity) -> Vec<Sample> {
    let owned = |file: &str, id: &str, seconds: f64| Sample {
        key: TestKey {
            file: file.to_string(),
            id: id.to_string(),
        },
        seconds,
    };
    if g == Granularity::Test {
        return known
            .iter()
            .map(|k| owned(k.file, k.id, k.seconds))
            .collect();
    }
    let mut fold = UnitFold {
        slots: Vec::new(),
        index: FxHashMap::default(),
        last: None,
    };
    let mut start = 0;
    for chunk in known.chunks(FOLD_CHUNK) {
        fold.add(chunk, start, g);
        start += chunk.len();
    }
    let slots = fold.slots;
    slots
        .into_iter()
        .filter_map(|slot| match slot {
            Slot::Unit {
                first,
                exact,
                finer,
            } => known
                .get(first)
                .map(|s| owned(s.file, unit_id_of(s.file, s.id, g), exact.unwrap_or(finer))),
            Slot::Passed(i) => known.get(i).map(|s| owned(s.file, s.id, s.seconds)),
        })
        .collect()
}

/// The units of a plan.
///
/// The seam between what runs and what is looked up: `run[i]` is the unit as discovered (what a worker is told to
/// run, so it must stay runnable); [`Units::lookup`]`[i]` is the same unit in the canonical form under which
/// timings are recorded ([`TestKey::canonical`]: control characters replaced, over-long ids shortened to a prefix
/// and a hash). [`estimate::estimate`] sees only the lookup list, [`plan::build`] only `run`; both answer by index,
/// so a time recorded under the canonical id lands on the id as discovered. Nearly every id is canonical already,
/// so only the differing ones are kept apart.
struct Units {
    /// Units as discovered, at the plan's granularity, each once, in first-seen order.
    run: Vec<TestKey>,
    /// The summed size of `run[i]`'s discovered tests, if every one had a size.
    sizes: Vec<Option<f64>>,
    /// Index → lookup key, only for units whose lookup key differs from `run[i]`.
    canonical: BTreeMap<usize, TestKey>,
}

impl Units {
    /// The lookup key of every unit, index-aligned with `run` (borrowed when all are canonical).
    fn lookup(&self) -> Cow<'_, [TestKey]> {
        if self.canonical.is_empty() {
            return Cow::Borrowed(&self.run);
        }
        let keys = self
            .run
            .iter()
            .enumerate()
            .map(|(i, k)| self.canonical.get(&i).unwrap_or(k).clone());
        Cow::Owned(keys.collect())
    }
}

/// `key`'s unit at `g` in the form timings are recorded under, when it differs from `key.unit(g)`: the canonical
/// id's unit, as [`estimate::estimate`] takes the unit of each (canonical) recorded id. A key with no canonical form
/// (a file name over the id limit, which no report can record) is looked up as it is and will be estimated.
fn lookup_unit(key: &TestKey, g: Granularity) -> Option<TestKey> {
    if key.is_canonical() {
        return None;
    }
    let unit = key.clone().canonical().ok()?.key.unit(g);
    (unit != key.unit(g)).then_some(unit)
}

/// The units to split at the requested granularity, in first-seen order, each once, with their summed sizes.
fn units_to_split(
    tests: Option<&[String]>,
    sizes: &[Option<f64>],
    roots: &[String],
    g: Granularity,
    known: &[Sample],
    warnings: &mut Vec<String>,
) -> Units {
    let mut units = Units {
        run: Vec::new(),
        sizes: Vec::new(),
        canonical: BTreeMap::new(),
    };
    match tests {
        Some(tests) => discovered_units(
            tests,
            sizes,
            roots,
            g,
            report::id_hash,
            &mut units,
            warnings,
        ),
        None => {
            for i in unit_order(known, g) {
                let Some(s) = known.get(i) else { continue };
                let unit = TestKey {
                    file: s.key.file.clone(),
                    id: s.key.unit_id(g).to_string(),
                };
                if let Some(lookup) = lookup_unit(&unit, g) {
                    units.canonical.insert(units.run.len(), lookup);
                }
                units.run.push(unit);
                units.sizes.push(None);
            }
        }
    }
    units
}

/// [`units_to_split`] for discovered tests, with the hash units are found by (tests force collisions with it).
fn discovered_units(
    tests: &[String],
    sizes: &[Option<f64>],
    roots: &[String],
    g: Granularity,
    unit_hash: fn(&str) -> u64,
    units: &mut Units,
    warnings: &mut Vec<String>,
) {
    // Each unit once, keyed by the unit as discovered: two ids that differ only in what canonicalisation
    // changes are still two tests to run (both then find the same recorded time). Units are found by the
    // hash of their id, compared in full on a hit (a different unit with the same hash goes to `overflow`):
    // 200k discovered tests are each looked up without building their unit first, and each new unit is
    // built once, moving the discovered key's strings when the test is its own unit. Lookups only (never
    // iterated), hence hash maps.
    let mut index = UnitIndex {
        first: FxHashMap::with_capacity_and_hasher(tests.len(), Default::default()),
        overflow: FxHashMap::default(),
    };
    let mut duplicates = 0usize;
    // Whether each unit was itself among the discovered tests (not only tests inside it).
    let mut listed: Vec<bool> = Vec::with_capacity(tests.len());
    units.run.reserve(tests.len());
    let roots = normalize_roots(roots);
    for (i, t) in tests.iter().enumerate() {
        let key = TestKey::from_id_in(t, &roots);
        let size = sizes.get(i).copied().flatten();
        let unit_id = key.unit_id(g);
        let is_unit = unit_id == key.id;
        let hash = unit_hash(unit_id);
        if let Some(j) = index.find(&units.run, hash, &key.file, unit_id) {
            if let (Some(Some(total)), Some(s)) = (units.sizes.get_mut(j), size) {
                *total += s;
            }
            // The unit itself listed again is a repeat; listed after tests inside it, it is not.
            if is_unit {
                match listed.get_mut(j) {
                    Some(true) => duplicates += 1,
                    Some(seen) => *seen = true,
                    None => {}
                }
            }
            continue;
        }
        let j = units.run.len();
        if let Some(lookup) = lookup_unit(&key, g) {
            units.canonical.insert(j, lookup);
        }
        let unit = if is_unit {
            key
        } else {
            let id = unit_id.to_string();
            TestKey { file: key.file, id }
        };
        index.add(hash, &unit, j);
        units.run.push(unit);
        units.sizes.push(size);
        listed.push(is_unit);
    }
    if duplicates > 0 {
        warnings.push(format!(
            "{duplicates} test ids were listed more than once; each runs once"
        ));
    }
    // At file granularity a unit is a file, which no other file is inside.
    if g != Granularity::File {
        fold_nested(units, &index, unit_hash, warnings);
    }
}

/// Units by the hash of their id ([`discovered_units`]): the first unit with each hash, and units whose hash
/// another unit had first (64-bit FxHash: next to never) by their whole key.
struct UnitIndex {
    first: FxHashMap<u64, usize>,
    overflow: FxHashMap<TestKey, usize>,
}

impl UnitIndex {
    /// The index in `run` of the unit `file`/`id` (`hash`: the hash of `id`), if there is one.
    fn find(&self, run: &[TestKey], hash: u64, file: &str, id: &str) -> Option<usize> {
        let j = *self.first.get(&hash)?;
        match run.get(j) {
            Some(u) if u.id == id && u.file == file => Some(j),
            _ => self
                .overflow
                .get(&TestKey {
                    file: file.to_string(),
                    id: id.to_string(),
                })
                .copied(),
        }
    }

    /// Adds `unit`, at index `j` of the run, under `hash`.
    fn add(&mut self, hash: u64, unit: &TestKey, j: usize) {
        match self.first.entry(hash) {
            std::collections::hash_map::Entry::Occupied(_) => {
                self.overflow.insert(unit.clone(), j);
            }
            std::collections::hash_map::Entry::Vacant(slot) => {
                slot.insert(j);
            }
        }
    }
}

/// "N listed tests are inside another listed test or file (first: INNER inside OUTER)", singular for one.
fn nested_summary(n: usize, inner: &str, outer: &str) -> String {
    let (what, verb) = if n == 1 {
        ("test", "is")
    } else {
        ("tests", "are")
    };
    format!("{n} listed {what} {verb} inside another listed test or file (first: {inner} inside {outer})")
}

/// Depths a prefix can be told apart by ([`fold_nested`]): a unit with more `::` than this counts as this deep.
const MAX_TRACKED_DEPTH: usize = 63;

/// Units listed inside another listed unit (`a.py::t` with `a.py`, `a.py::C::t` with `a.py::C`): running the outer
/// one runs them, so each is folded into the outermost listed unit around it (its size added there), with one
/// warning. Without this the inner tests would run twice, and the plan would fail its guard. A unit is inside
/// another when the other's id is its id cut before one of its `::` (cut left to right, as the shim's guard cuts),
/// in the same file. Only cuts as deep as some unit are looked up (a cut has fewer `::` than the id it is cut from;
/// test ids at one depth need no lookup at all), by the same hash `discovered_units` found the units by.
fn fold_nested(
    units: &mut Units,
    index: &UnitIndex,
    unit_hash: fn(&str) -> u64,
    warnings: &mut Vec<String>,
) {
    let sep = memchr::memmem::Finder::new("::");
    let depth = |id: &str| sep.find_iter(id.as_bytes()).count().min(MAX_TRACKED_DEPTH);
    let depths = units.run.iter().fold(0u64, |m, u| m | 1 << depth(&u.id));
    if depths.count_ones() < 2 {
        return;
    }
    let find = |file: &str, id: &str| index.find(&units.run, unit_hash(id), file, id);
    let mut outer: Vec<Option<usize>> = Vec::new();
    for (j, u) in units.run.iter().enumerate() {
        let cuts = sep.find_iter(u.id.as_bytes()).enumerate();
        let around = cuts
            .filter(|&(k, _)| depths & (1 << k.min(MAX_TRACKED_DEPTH)) != 0)
            .find_map(|(_, at)| find(&u.file, u.id.get(..at)?).filter(|&o| o != j));
        if let Some(o) = around {
            outer.resize(j + 1, None);
            outer[j] = Some(o);
        }
    }
    if outer.is_empty() {
        return;
    }
    outer.resize(units.run.len(), None);
    let nested = outer.iter().flatten().count();
    let example = outer.iter().enumerate().find_map(|(j, o)| Some((j, (*o)?)));
    if let Some((inner, o)) = example {
        let (inner, o) = (&units.run[inner].id, &units.run[o].id);
        warnings.push(format!(
            "{}; {} once, as part of the outer one",
            nested_summary(nested, &printable(inner, 80), &printable(o, 80)),
            if nested == 1 { "it runs" } else { "each runs" }
        ));
    }
    // Sizes go to the outer unit; then the kept units are renumbered.
    for (j, o) in outer.iter().enumerate() {
        if let (Some(o), Some(Some(s))) = (o, units.sizes.get(j).copied()) {
            if let Some(Some(total)) = units.sizes.get_mut(*o) {
                *total += s;
            }
        }
    }
    // A kept unit's new index: how many kept units come before it.
    let new_index: Vec<Option<usize>> = outer
        .iter()
        .scan(0, |kept, o| {
            let at = o.is_none().then_some(*kept);
            *kept += usize::from(o.is_none());
            Some(at)
        })
        .collect();
    fn kept<T>(v: Vec<T>, outer: &[Option<usize>]) -> Vec<T> {
        v.into_iter()
            .zip(outer)
            .filter_map(|(x, o)| o.is_none().then_some(x))
            .collect()
    }
    units.run = kept(std::mem::take(&mut units.run), &outer);
    units.sizes = kept(std::mem::take(&mut units.sizes), &outer);
    units.canonical = std::mem::take(&mut units.canonical)
        .into_iter()
        .filter_map(|(i, key)| Some((new_index.get(i).copied().flatten()?, key)))
        .collect();
}

/// The units of the timing data when it is also the list of tests: the index of the first sample of each unit
/// (by file and unit id), sorted so the order does not depend on file order — by file, then by unit id, as
/// `TestKey`'s order. Sorted in two levels, the distinct files and then each file's units, because 200k test ids
/// share 16k files, and comparing whole (file, id) pairs re-compares the long shared file over and over.
fn unit_order(known: &[Sample], g: Granularity) -> Vec<usize> {
    let files = sorted_groups(
        known
            .iter()
            .enumerate()
            .map(|(i, s)| (IdRef(s.key.file.as_str()), (IdRef(s.key.unit_id(g)), i))),
    );
    let mut order = Vec::with_capacity(known.len());
    for (_, mut units) in files {
        // By unit id, the first sample first among a unit's samples: the one kept.
        units.sort_unstable();
        units.dedup_by(|b, a| a.0 == b.0);
        order.extend(units.into_iter().map(|(_, i)| i));
    }
    order
}

/// The plan's units and their seconds straight from the timing data, when it is also the list of tests and every
/// unit has a usable record of its own: then each unit's estimate would be its own record (floored at
/// [`estimate::MIN_SECONDS`]), so the estimator is skipped and the keys are moved, not copied (201k tests at test
/// granularity: 400k strings fewer and four hash passes over their ids). Otherwise `known` comes back for the
/// general path: a timing that is negative or not a number, two samples of one unit, or a key that is not canonical
/// or not at the unit's level (none of which the readers produce). Both give the same plan (a test compares them).
fn recorded_units(
    known: Vec<Sample>,
    g: Granularity,
) -> std::result::Result<(Vec<TestKey>, Vec<f64>), Vec<Sample>> {
    let usable = |s: &Sample| {
        s.seconds.is_finite()
            && s.seconds >= 0.0
            && s.key.unit_id(g) == s.key.id
            && s.key.is_canonical()
    };
    if known.is_empty() || !known.iter().all(usable) {
        return Err(known);
    }
    let order = unit_order(&known, g);
    if order.len() != known.len() {
        return Err(known);
    }
    let mut known = known;
    let mut run = Vec::with_capacity(order.len());
    let mut seconds = Vec::with_capacity(order.len());
    // `order` holds each index once: every key is moved out exactly once.
    for i in order {
        if let Some(s) = known.get_mut(i) {
            run.push(TestKey {
                file: std::mem::take(&mut s.key.file),
                id: std::mem::take(&mut s.key.id),
            });
            seconds.push(s.seconds.max(estimate::MIN_SECONDS));
        }
    }
    Ok((run, seconds))
}

/// Merges one run's reports into the store. Unreadable reports and an unreadable store are warnings.
pub fn record(req: &RecordRequest) -> Result<RecordResult> {
    record_measuring(req, None).map(|(result, _)| result)
}

/// [`record`], and with `measure` also [`actuals`] of the plan the run executed, from the same reading of the
/// reports (the action's record step does both; a 47 MB run's reports are parsed once instead of twice).
pub fn record_measuring(
    req: &RecordRequest,
    measure: Option<&Measure>,
) -> Result<(RecordResult, Option<Vec<GroupActual>>)> {
    record_streaming(req, measure, |each| {
        for s in &req.reports {
            each(&s.name, Input::Bytes(&s.data));
        }
    })
}

/// [`record_measuring`] with the reports handed over by `reports` (`req.reports` is not read), as
/// [`plan_streaming`] takes timing files: each report is parsed before the next is asked for, so a caller can read
/// them all into one buffer (the wasm door does).
pub fn record_streaming(
    req: &RecordRequest,
    measure: Option<&Measure>,
    reports: impl FnOnce(&mut dyn FnMut(&str, Input<'_>)),
) -> Result<(RecordResult, Option<Vec<GroupActual>>)> {
    let mut warnings = Vec::new();
    let mut store = load_store(req.store.as_deref(), &mut warnings);
    let parse_opts = ParseOptions {
        roots: req.roots.clone(),
    };
    let mut runs: Vec<Samples> = Vec::new();
    let mut summaries = Vec::new();
    reports(
        &mut |name, input| match report::parsed::read_input(name, input, &parse_opts) {
            Ok(rep) => {
                summaries.push(ReportSummary {
                    name: name.to_string(),
                    format: Some(rep.format.to_string()),
                    samples: rep.samples.len(),
                    warnings: rep.warnings,
                });
                runs.push(rep.samples);
            }
            Err(e) => {
                let w = format!("{e}; report ignored");
                warnings.push(w.clone());
                summaries.push(ReportSummary {
                    name: name.to_string(),
                    format: None,
                    samples: 0,
                    warnings: vec![w],
                });
            }
        },
    );
    let reports = summaries;
    let measured = measure.map(|m| measure_groups(&runs, &m.groups, m.granularity, &req.roots));
    let opts = RecordOptions {
        prune_after_runs: req.prune_after_runs,
    };
    let s = store.record_run(&runs, &opts);
    warnings.extend(s.warnings);
    let missing_count = s.missing.len();
    let summary = RecordSummary {
        runs: store.runs(),
        tests: store.len(),
        recorded: s.recorded,
        new_tests: s.new_tests,
        updated_tests: s.updated_tests,
        pruned_tests: s.pruned_tests.len(),
        missing_tests: s.missing.into_iter().take(MAX_LISTED).collect(),
        missing_count,
        reports,
        warnings,
    };
    let result = RecordResult {
        store: store.to_json(),
        summary,
    };
    Ok((result, measured))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::Workers;
    use crate::Granularity;

    fn sample(id: &str, seconds: f64) -> Sample {
        Sample {
            key: TestKey::from_id(id, &[]),
            seconds,
        }
    }

    /// Samples of one report, read from (id, seconds) pairs.
    fn report_samples(hash: fn(&str) -> u64, pairs: &[(&str, f64)]) -> Samples {
        let mut samples = Samples::with_hash(hash);
        let mut w = report::Warnings::new("r");
        for &(id, secs) in pairs {
            samples.add(TestKey::from_id(id, &[]), secs, &mut w, &mut String::new);
        }
        samples
    }

    fn ids_and_seconds(known: &[KnownRef<'_>]) -> Vec<(String, f64)> {
        known
            .iter()
            .map(|k| (k.id.to_string(), k.seconds))
            .collect()
    }

    #[test]
    fn known_timings_take_the_first_source_of_each_id() {
        let stored = vec![sample("d.py::t", 4.0), sample("c.py::t", 10.0)];
        let reports = [
            report_samples(
                report::id_hash,
                &[("a.py::t", 1.0), ("b.py::t", 2.0), ("a.py::t", 0.5)],
            ),
            report_samples(
                report::id_hash,
                &[("b.py::t", 5.0), ("c.py::t", 3.0), ("e.py::t", 9.0)],
            ),
        ];
        let known = known_timings(&stored, false, &reports);
        assert_eq!(
            ids_and_seconds(&known),
            [
                ("d.py::t", 4.0),
                ("c.py::t", 10.0),
                ("a.py::t", 1.5),
                ("b.py::t", 2.0),
                ("e.py::t", 9.0)
            ]
            .map(|(id, s)| (id.to_string(), s))
        );
        assert_eq!(known[2].file, "a.py");
    }

    #[test]
    fn known_timings_keep_ids_apart_when_hashes_collide() {
        // Every id hashes alike: only the id comparison (and the overflow set) tells them apart.
        let reports = [
            report_samples(|_| 7, &[("a.py::t", 1.0), ("b.py::t", 2.0)]),
            report_samples(
                |_| 7,
                &[
                    ("b.py::t", 5.0),
                    ("c.py::t", 3.0),
                    ("a.py::t", 9.0),
                    ("c.py::t", 1.0),
                ],
            ),
        ];
        let known = known_timings::<Sample>(&[], true, &reports);
        assert_eq!(
            ids_and_seconds(&known),
            [("a.py::t", 1.0), ("b.py::t", 2.0), ("c.py::t", 4.0)]
                .map(|(id, s)| (id.to_string(), s))
        );
    }

    /// The bit set's path for reports alone gives what the general fold gives: ids over a small alphabet (many
    /// repeats within and across reports), real hashes, hashes that collide often, and every hash equal; some
    /// reports handed over parsed (their index rebuilt by the decoder).
    #[test]
    fn reports_alone_fold_as_the_general_path_does() {
        let general = |reports: &[Samples]| {
            let mut fold = KnownFold {
                known: Vec::new(),
                seen: FxHashMap::default(),
                overflow: FxHashSet::default(),
            };
            for samples in reports {
                fold.add(
                    (0..samples.len()).map(|i| (KnownRef::of(samples, i), samples.id_hash(i))),
                );
            }
            ids_and_seconds(&fold.known)
        };
        let hashes: [fn(&str) -> u64; 3] = [report::id_hash, |id| id.len() as u64 % 3, |_| 7];
        let mut seed = 11u64;
        let mut next = |n: u64| {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (seed >> 33) % n
        };
        for round in 0..300 {
            let hash = hashes[round % 3];
            let reports: Vec<Samples> = (0..1 + next(5))
                .map(|_| {
                    let pairs: Vec<(String, f64)> = (0..next(12))
                        .map(|_| (format!("f{}.py::t{}", next(3), next(4)), next(9) as f64))
                        .collect();
                    let pairs: Vec<(&str, f64)> =
                        pairs.iter().map(|(i, s)| (i.as_str(), *s)).collect();
                    report_samples(hash, &pairs)
                })
                .collect();
            let want = general(&reports);
            assert_eq!(
                ids_and_seconds(&reports_known(&reports)),
                want,
                "round {round}"
            );
            // The same reports through the parsed form (real hashes: the encoder keeps the parser's).
            if round % 3 == 0 {
                let mut encoded = Vec::new();
                let decoded: Vec<Samples> = reports
                    .iter()
                    .map(|r| {
                        encoded.clear();
                        r.encode(&mut encoded);
                        let mut reader = report::parsed::Reader { rest: &encoded };
                        Samples::decode_for_tests(&mut reader).expect("decodes")
                    })
                    .collect();
                assert_eq!(
                    ids_and_seconds(&reports_known(&decoded)),
                    want,
                    "round {round}"
                );
            }
        }
        // At scale the bit set says "maybe" for few ids, and a repeat across reports is still found.
        let big: Vec<Samples> = (0..4)
            .map(|r| {
                let pairs: Vec<(String, f64)> = (0..5000)
                    .map(|i| (format!("d{r}/f{}.py::t{i}", i % 50), 1.0))
                    .collect();
                let mut pairs: Vec<(&str, f64)> =
                    pairs.iter().map(|(i, s)| (i.as_str(), *s)).collect();
                pairs.push(("d0/f0.py::t0", 9.0));
                report_samples(report::id_hash, &pairs)
            })
            .collect();
        let known = reports_known(&big);
        assert_eq!(known.len(), 20_000);
        assert_eq!(ids_and_seconds(&known), general(&big));
    }

    #[test]
    fn unit_totals_follow_the_estimators_rule() {
        let known = vec![
            sample("a.py::C::t1", 1.0),
            sample("b.py::t", 4.0),
            sample("a.py::C::t2", 2.0),
            sample("a.py::D::t", f64::NAN),
            sample("a.py", 10.0),
            sample("a.py::t3", 0.5),
        ];
        let got = |g| -> Vec<(String, f64)> {
            unit_totals(known_timings(&known, false, &[]), g)
                .into_iter()
                .map(|s| (s.key.id, s.seconds))
                .collect()
        };
        // File: `a.py` has an exact record (10), which wins over its tests' sum; the NaN is passed through in place.
        let file = got(Granularity::File);
        assert_eq!(file.len(), 3, "{file:?}");
        assert_eq!(file[0], ("a.py".to_string(), 10.0));
        assert_eq!(file[1], ("b.py".to_string(), 4.0));
        assert_eq!(file[2].0, "a.py::D::t");
        assert!(file[2].1.is_nan());
        // Suite: `a.py::C` sums its tests; the file record is coarser and kept; `a.py::t3` is its own unit.
        let suite = got(Granularity::Suite);
        let ids: Vec<&str> = suite.iter().map(|(id, _)| id.as_str()).collect();
        assert_eq!(
            ids,
            ["a.py::C", "b.py::t", "a.py::D::t", "a.py", "a.py::t3"]
        );
        assert_eq!(suite[0].1, 3.0);
        assert!(suite[2].1.is_nan());
        // Test: unchanged.
        let test = got(Granularity::Test);
        assert_eq!(test.len(), known.len());
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(300))]
        /// Units taken from the timing data: every distinct (file, unit id) once, ordered as `TestKey` orders —
        /// the plain reference (all keys, sorted, deduplicated) against the two-level sort by file, then id. Keys
        /// whose file is not the id's first part (a store may hold such) are mixed in.
        #[test]
        fn units_from_timings_are_sorted_and_distinct(
            raw in proptest::collection::vec((0usize..4, 0usize..3, 0usize..3, proptest::bool::ANY), 0..40),
            g in proptest::sample::select(vec![Granularity::File, Granularity::Suite, Granularity::Test]),
        ) {
            const FILES: [&str; 4] = ["a.py", "d/b.py", "a.py::C1", "crate::bin"];
            let mut seen = std::collections::BTreeSet::new();
            let known: Vec<Sample> = raw
                .iter()
                .map(|&(f, c, t, whole)| {
                    let file = FILES[f];
                    let id = match (c, t) {
                        (0, 0) => file.to_string(),
                        (0, _) => format!("{file}::t{t}"),
                        (_, 0) => format!("{file}::C{c}"),
                        _ => format!("{file}::C{c}::t{t}"),
                    };
                    let key = if whole {
                        TestKey::file_only(id)
                    } else {
                        TestKey { file: file.to_string(), id }
                    };
                    Sample { key, seconds: 1.0 }
                })
                .filter(|s| seen.insert(s.key.id.clone()))
                .collect();
            let mut expected: Vec<TestKey> = known.iter().map(|s| s.key.unit(g)).collect();
            expected.sort();
            expected.dedup();
            let got = units_to_split(None, &[], &[], g, &known, &mut Vec::new());
            proptest::prop_assert_eq!(got.run, expected);
        }

    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(300))]
        /// Summing up front changes no estimate: the same seconds and basis for every unit, whether the estimator
        /// gets the raw timings or their unit totals.
        #[test]
        fn unit_totals_change_no_estimate(
            raw in proptest::collection::vec((0usize..4, 0usize..3, 0usize..4, 0u32..100), 0..40),
            wanted in proptest::collection::vec((0usize..5, 0usize..3, 0usize..4), 1..12),
            g in proptest::sample::select(vec![Granularity::File, Granularity::Suite]),
        ) {
            const FILES: [&str; 5] = ["a.py", "d/b.py", "d/e/c.py", "x/a.py", "new.py"];
            let id = |f: usize, c: usize, t: usize| -> String {
                let file = FILES[f];
                match (c, t) {
                    (0, 0) => file.to_string(),
                    (0, _) => format!("{file}::t{t}"),
                    (_, 0) => format!("{file}::C{c}"),
                    _ => format!("{file}::C{c}::t{t}"),
                }
            };
            let mut seen = std::collections::BTreeSet::new();
            let known: Vec<Sample> = raw
                .iter()
                .map(|&(f, c, t, v)| sample(&id(f, c, t), f64::from(v) / 10.0))
                .filter(|s| seen.insert(s.key.id.clone()))
                .collect();
            let mut units: Vec<TestKey> = Vec::new();
            for &(f, c, t) in &wanted {
                let u = TestKey::from_id(&id(f, c, t), &[]).unit(g);
                if !units.contains(&u) {
                    units.push(u);
                }
            }
            let sizes = vec![None; units.len()];
            let raw_est = estimate::estimate(&units, &sizes, &known, g);
            let totals_est = estimate::estimate(&units, &sizes, &unit_totals(known_timings(&known, false, &[]), g), g);
            proptest::prop_assert_eq!(&raw_est.basis, &totals_est.basis);
            for (a, b) in raw_est.seconds.iter().zip(&totals_est.seconds) {
                proptest::prop_assert!((a - b).abs() <= 1e-9 * a.abs().max(1.0), "{} vs {}", a, b);
            }
        }
    }

    #[test]
    fn actuals_sum_each_groups_units_from_the_reports() {
        let report = r#"{"a.py::t1": 1.5, "a.py::t2": 2.5, "b.py::t": 4.0, "d/c.py::t": 3.0}"#;
        let req = |groups: &[&[&str]], g| ActualsRequest {
            groups: groups
                .iter()
                .map(|t| t.iter().map(|s| s.to_string()).collect())
                .collect(),
            reports: vec![src("r.json", report)],
            roots: vec![],
            granularity: g,
        };
        let got = actuals(&req(
            &[&["a.py", "d/c.py"], &["b.py", "d/new.py"]],
            Granularity::File,
        ));
        assert_eq!(got.len(), 2);
        assert_eq!(
            got[0],
            GroupActual {
                seconds: 7.0,
                missing: 0
            }
        );
        // `d/new.py` has no time: estimated from its directory (d/c.py, 3 s) and counted as missing.
        assert_eq!(
            got[1],
            GroupActual {
                seconds: 7.0,
                missing: 1
            }
        );
        // Test granularity: each test its own unit; a test listed twice counts once.
        let got = actuals(&req(
            &[&["a.py::t1", "a.py::t1"], &["a.py::t2", "b.py::t"]],
            Granularity::Test,
        ));
        assert_eq!(
            got[0],
            GroupActual {
                seconds: 1.5,
                missing: 0
            }
        );
        assert_eq!(
            got[1],
            GroupActual {
                seconds: 6.5,
                missing: 0
            }
        );
        // No readable report: every unit is missing, the numbers are still finite.
        let mut bad = req(&[&["a.py"]], Granularity::File);
        bad.reports = vec![src("r.xml", "<nope")];
        let got = actuals(&bad);
        assert_eq!(got[0].missing, 1);
        assert!(got[0].seconds.is_finite() && got[0].seconds > 0.0);
    }

    #[test]
    fn recording_and_measuring_at_once_is_recording_then_measuring() {
        let reports = vec![
            src(
                "r1.json",
                r#"{"a.py::t1": 1.5, "a.py::t2": 2.5, "b.py::t": 4.0}"#,
            ),
            src("bad.xml", "<nope"),
            src(
                "r2.xml",
                r#"<testsuite><testcase classname="d.c" name="t" file="d/c.py" time="3"/></testsuite>"#,
            ),
        ];
        let req = RecordRequest {
            store: None,
            reports: reports.clone(),
            roots: vec![],
            prune_after_runs: 30,
        };
        let groups: Vec<Vec<String>> = [&["a.py", "d/c.py"][..], &["b.py", "d/new.py"]]
            .iter()
            .map(|t| t.iter().map(|s| s.to_string()).collect())
            .collect();
        for g in [Granularity::File, Granularity::Test] {
            let measure = Measure {
                groups: groups.clone(),
                granularity: g,
            };
            let (both, measured) = record_measuring(&req, Some(&measure)).unwrap();
            let alone = record(&req).unwrap();
            assert_eq!(both, alone);
            let separately = actuals(&ActualsRequest {
                groups: groups.clone(),
                reports: reports.clone(),
                roots: vec![],
                granularity: g,
            });
            assert_eq!(measured.as_ref(), Some(&separately));
            if g == Granularity::File {
                // The measurements are real ones: a.py (1.5 + 2.5 s) and d/c.py (3 s, from the JUnit report).
                assert_eq!(
                    separately,
                    [
                        GroupActual {
                            seconds: 7.0,
                            missing: 0
                        },
                        GroupActual {
                            seconds: separately[1].seconds,
                            missing: 1
                        }
                    ]
                );
            }
        }
        assert_eq!(record_measuring(&req, None).unwrap().1, None);
    }

    fn options(workers: usize, g: Granularity) -> PlanOptions {
        PlanOptions::new(Workers::Fixed(workers), 0.0, g)
    }

    fn src(name: &str, text: &str) -> Source {
        Source {
            name: name.into(),
            data: text.as_bytes().to_vec(),
        }
    }

    fn request(
        tests: Option<&[&str]>,
        timings: Vec<Source>,
        store: Option<&str>,
        workers: usize,
    ) -> PlanRequest {
        PlanRequest {
            tests: tests.map(|t| t.iter().map(|s| s.to_string()).collect()),
            sizes: vec![],
            timings,
            store: store.map(|s| s.as_bytes().to_vec()),
            roots: vec![],
            options: options(workers, Granularity::File),
        }
    }

    fn all_tests(plan: &Plan) -> Vec<String> {
        let mut all: Vec<String> = plan
            .groups
            .iter()
            .flat_map(|g| g.tests.iter().cloned())
            .collect();
        all.sort();
        all
    }

    const DURATIONS: &str = r#"{"a.py::t1": 10, "a.py::t2": 5, "b.py::t": 8, "c.py::t": 7}"#;

    #[test]
    fn a_plan_from_one_source_takes_each_id_once() {
        // Each source alone is read without a dedupe pass when its ids are known to be distinct: the store's keys,
        // and one report's ids. Two stored ids that normalise to one (`./a.py::t` and `a.py::t`) are not distinct
        // keys any more: the first in id order counts, once.
        let store = r#"{"format":"timeshard-store","version":1,"runs":1,"tests":{
"./a.py::t":{"samples":[5],"last_run":1,"runs_seen":1},
"a.py::t":{"samples":[2],"last_run":1,"runs_seen":1},
"b.py::t":{"samples":[4],"last_run":1,"runs_seen":1}}}"#;
        let junit = r#"<testsuite><testcase classname="c" name="t" file="c.py" time="3"/><testcase classname="c" name="t" file="c.py" time="1"/><testcase classname="d" name="t" file="d.py" time="6"/></testsuite>"#;
        let seconds = |plan: &Plan| -> Vec<(String, f64)> {
            let mut units: Vec<(String, f64)> = plan
                .groups
                .iter()
                .map(|g| (g.tests.join(","), g.predicted_seconds))
                .collect();
            units.sort_by(|a, b| a.0.cmp(&b.0));
            units
        };
        let from_store = plan(&request(None, vec![], Some(store), 2)).unwrap();
        assert_eq!(
            seconds(&from_store),
            [("a.py".to_string(), 5.0), ("b.py".to_string(), 4.0)]
        );
        let from_report = plan(&request(None, vec![src("r.xml", junit)], None, 2)).unwrap();
        assert_eq!(
            seconds(&from_report),
            [("c.py".to_string(), 4.0), ("d.py".to_string(), 6.0)]
        );
    }

    #[test]
    fn plan_owned_gives_the_same_plan_as_plan() {
        let junit =
            r#"<testsuite><testcase classname="d.e" name="t" file="d/e.py" time="3"/></testsuite>"#;
        for tests in [None, Some(&["a.py", "b.py", "d/e.py", "new.py"][..])] {
            let timings = vec![
                src("d.json", DURATIONS),
                src("bad.xml", "<x"),
                src("r.xml", junit),
            ];
            let req = request(tests, timings, None, 2);
            let by_ref = serde_json::to_string(&plan(&req).unwrap()).unwrap();
            let owned = serde_json::to_string(&plan_owned(req).unwrap()).unwrap();
            assert_eq!(by_ref, owned);
            assert!(
                owned.contains("d/e.py") && owned.contains("timing file ignored"),
                "{owned}"
            );
        }
    }

    #[test]
    fn data_problems_are_warnings_and_every_test_is_planned() {
        // (store, timing files, expected warning fragment)
        let cases: Vec<(Option<&str>, Vec<Source>, &str)> = vec![
            (
                Some("{not json"),
                vec![src("d.json", DURATIONS)],
                "timing store: ",
            ),
            (
                Some(r#"{"format":"timeshard-store","version":999,"runs":1,"tests":{}}"#),
                vec![],
                "newer than this build",
            ),
            (
                None,
                vec![src("broken.xml", "<testsuite><testcase name=")],
                "timing file ignored",
            ),
            (None, vec![src("empty.json", "")], "the file is empty"),
        ];
        for (store, timings, want) in cases {
            let req = request(Some(&["a.py", "b.py", "c.py", "d.py"]), timings, store, 2);
            let plan = plan(&req).unwrap();
            assert!(
                plan.warnings.iter().any(|w| w.contains(want)),
                "{want}: {:?}",
                plan.warnings
            );
            assert_eq!(all_tests(&plan), ["a.py", "b.py", "c.py", "d.py"]);
        }
    }

    #[test]
    fn invalid_options_are_errors_naming_the_input() {
        let mut req = request(Some(&["a.py"]), vec![], None, 0);
        assert_eq!(
            plan(&req).unwrap_err().to_string(),
            "input `workers`: expected a number from 1 to 256 or `auto`, got `0`"
        );
        req.options.job_overhead_seconds = -1.0;
        req.options.workers = Workers::Fixed(1);
        assert!(plan(&req)
            .unwrap_err()
            .to_string()
            .starts_with("input `job-overhead-seconds`"));
    }

    #[test]
    fn timings_are_summed_to_files_and_the_store_wins_over_timing_files() {
        let plan1 = plan(&request(
            Some(&["a.py", "b.py", "c.py"]),
            vec![src("d.json", DURATIONS)],
            None,
            2,
        ))
        .unwrap();
        assert_eq!(plan1.estimated_tests, 0);
        assert_eq!(plan1.total_seconds, 30.0);
        // A store that says a.py::t1 takes 1 s overrides the timing file's 10 s.
        let mut store = Store::new();
        store.record_run(
            &[vec![Sample {
                key: TestKey::from_id("a.py::t1", &[]),
                seconds: 1.0,
            }]],
            &RecordOptions::default(),
        );
        let plan2 = plan(&request(
            Some(&["a.py", "b.py", "c.py"]),
            vec![src("d.json", DURATIONS)],
            Some(&store.to_json()),
            2,
        ))
        .unwrap();
        assert_eq!(plan2.total_seconds, 21.0);
    }

    #[test]
    fn without_tests_the_units_of_the_timing_data_are_split_in_a_stable_order() {
        let p = plan(&request(None, vec![src("d.json", DURATIONS)], None, 3)).unwrap();
        assert_eq!(all_tests(&p), ["a.py", "b.py", "c.py"]);
        let again = plan(&request(None, vec![src("d.json", DURATIONS)], None, 3)).unwrap();
        assert_eq!(
            serde_json::to_string(&p).unwrap(),
            serde_json::to_string(&again).unwrap()
        );
    }

    #[test]
    fn duplicate_tests_run_once_with_a_warning() {
        let p = plan(&request(Some(&["a.py", "./a.py", "b.py"]), vec![], None, 2)).unwrap();
        assert_eq!(all_tests(&p), ["a.py", "b.py"]);
        assert!(
            p.warnings
                .iter()
                .any(|w| w.contains("1 test ids were listed more than once")),
            "{:?}",
            p.warnings
        );
    }

    #[test]
    fn discovered_ids_find_times_recorded_under_their_canonical_form_and_run_as_discovered() {
        let long = format!("a.py::t[{}]", "x".repeat(crate::limits::MAX_ID_BYTES));
        let tabbed = "b.py::t[a\tb]";
        let report = format!(r#"{{"{long}": 40, "b.py::t[a\tb]": 30, "c.py::t": 1}}"#);
        let rec = record(&RecordRequest {
            store: None,
            reports: vec![src("r.json", &report)],
            roots: vec![],
            prune_after_runs: 30,
        })
        .unwrap();
        let stored: Vec<String> = Store::load(rec.store.as_bytes())
            .unwrap()
            .0
            .iter()
            .map(|t| t.key.id)
            .collect();
        assert!(
            stored.contains(&"b.py::t[a\u{FFFD}b]".to_string()),
            "{stored:?}"
        );
        assert!(!stored.contains(&long), "stored under the shortened id");
        for g in [Granularity::Test, Granularity::Suite, Granularity::File] {
            let mut req = request(
                Some(&[long.as_str(), tabbed, "c.py::t"]),
                vec![],
                Some(&rec.store),
                3,
            );
            req.options.granularity = g;
            let p = plan(&req).unwrap();
            assert_eq!(p.estimated_tests, 0, "{g}: {:?}", p.warnings);
            assert_eq!(p.total_seconds, 71.0, "{g}");
            let want: Vec<String> = [long.as_str(), tabbed, "c.py::t"]
                .iter()
                .map(|t| TestKey::from_id(t, &[]).unit(g).id)
                .collect();
            // The groups hold the ids as discovered (runnable), not the canonical forms.
            assert_eq!(all_tests(&p), want, "{g}");
        }
    }

    #[test]
    fn record_merges_reports_and_keeps_going_past_a_bad_one() {
        let req = RecordRequest {
            store: Some(b"garbage".to_vec()),
            reports: vec![src("d.json", DURATIONS), src("bad.xml", "<testsuite")],
            roots: vec![],
            prune_after_runs: 30,
        };
        let r = record(&req).unwrap();
        assert_eq!(
            (r.summary.runs, r.summary.tests, r.summary.recorded),
            (1, 4, 4)
        );
        assert!(
            r.summary
                .warnings
                .iter()
                .any(|w| w.contains("starting without recorded history")),
            "{:?}",
            r.summary.warnings
        );
        assert!(
            r.summary
                .warnings
                .iter()
                .any(|w| w.contains("bad.xml") && w.contains("report ignored")),
            "{:?}",
            r.summary.warnings
        );
        assert_eq!(r.summary.reports[1].format, None);
        // The new store is readable and a second run with one shard missing loses nothing.
        let req2 = RecordRequest {
            store: Some(r.store.into_bytes()),
            reports: vec![src("d.json", r#"{"a.py::t1": 12}"#)],
            roots: vec![],
            prune_after_runs: 30,
        };
        let r2 = record(&req2).unwrap();
        assert_eq!(
            (r2.summary.runs, r2.summary.tests, r2.summary.missing_count),
            (2, 4, 3)
        );
        assert_eq!(r2.summary.missing_tests, ["a.py::t2", "b.py::t", "c.py::t"]);
    }

    use crate::report::ParsedReport;

    /// Reports handed over parsed by another instance ([`report::parsed`]), some or all of them, give the plan, the
    /// store and the measures that parsing them here gives, byte for byte (the shim's parse threads rely on it).
    #[test]
    fn reports_parsed_elsewhere_change_nothing() {
        let junit = r#"<testsuite name="s" time="20">
            <testcase classname="a" file="a.py" name="t1" time="3"/><testcase classname="a" file="a.py" name="t2" time="bad"/>
            <testcase classname="b" file="b.py" name="t" time="4"/></testsuite>"#;
        let files = [
            src("d.json", DURATIONS),
            src("j.xml", junit),
            src("bad.xml", "<testsuite"),
            src("again.json", r#"{"a.py::t1": 7, "e.py::t": 1}"#),
        ];
        let opts = ParseOptions { roots: vec![] };
        let encoded: Vec<Vec<u8>> = files
            .iter()
            .map(|f| report::parsed::encode(&f.name, &f.data, &opts))
            .collect();
        // Which reports go parsed: none, all, every other one.
        let feed = |pick: fn(usize) -> bool| {
            let encoded = &encoded;
            let files = &files;
            move |each: &mut dyn FnMut(&str, Input<'_>)| {
                for (i, f) in files.iter().enumerate() {
                    let input = if pick(i) {
                        Input::Parsed(ParsedReport::decode(&encoded[i]).expect("decodes"))
                    } else {
                        Input::Bytes(&f.data)
                    };
                    each(&f.name, input);
                }
            }
        };
        let picks: [fn(usize) -> bool; 3] = [|_| false, |_| true, |i| i % 2 == 1];
        for g in [Granularity::File, Granularity::Test] {
            for tests in [None, Some(&["a.py", "b.py", "c.py", "z.py"][..])] {
                let mut req = request(tests, vec![], None, 2);
                req.options.granularity = g;
                let plans: Vec<String> = picks
                    .iter()
                    .map(|&p| {
                        let plan = plan_detailed(&req, feed(p)).expect("plan").0;
                        serde_json::to_string(&plan).expect("json")
                    })
                    .collect();
                assert_eq!(plans[0], plans[1], "{g:?} {tests:?}");
                assert_eq!(plans[0], plans[2], "{g:?} {tests:?}");
            }
        }
        let req = RecordRequest {
            store: None,
            reports: vec![],
            roots: vec![],
            prune_after_runs: 30,
        };
        let measure = Measure {
            groups: vec![vec!["a.py".into()], vec!["b.py".into(), "c.py".into()]],
            granularity: Granularity::File,
        };
        let records: Vec<String> = picks
            .iter()
            .map(|&p| {
                let (r, actuals) = record_streaming(&req, Some(&measure), feed(p)).expect("record");
                let summary = serde_json::to_string(&r.summary).expect("json");
                format!("{}\n{summary}\n{actuals:?}", r.store)
            })
            .collect();
        assert_eq!(records[0], records[1]);
        assert_eq!(records[0], records[2]);
        assert!(records[0].contains("report ignored"), "{}", records[0]);
    }

    /// The general path for timing data that is also the test list: units from the data, each estimated.
    fn estimated_units(
        known: &[Sample],
        g: Granularity,
    ) -> (Vec<TestKey>, Vec<f64>, Vec<Basis>, Vec<String>) {
        let mut warnings = Vec::new();
        let units = units_to_split(None, &[], &[], g, known, &mut warnings);
        let est = estimate::estimate(&units.lookup(), &units.sizes, known, g);
        warnings.extend(est.warnings);
        (units.run, est.seconds, est.basis, warnings)
    }

    #[test]
    fn recorded_units_are_what_the_estimator_gives_them() {
        // Files out of order and interleaved, classes, a prefix file (`a.py` / `a.py2`), 0 s, tiny and huge values.
        let ids = [
            ("b/x.py::T::t2", 3.0),
            ("a.py2::t", 0.0),
            ("a.py::t", 1e-9),
            ("b/x.py::T::t1", 2.5),
            ("a.py::C::t[1]", 4.0),
            ("b/x.py::t0", 1.0),
            ("a.py::C::t[0]", 7.0),
            ("c.rb", 12.0),
            ("a.py::t_b", 86_400.0),
        ];
        let keys: Vec<(TestKey, f64)> = ids
            .iter()
            .map(|&(id, s)| (TestKey::from_id(id, &[]), s))
            .collect();
        for g in [Granularity::File, Granularity::Suite, Granularity::Test] {
            // The known timings a plan gets: folded to the granularity's units first.
            let refs: Vec<KnownRef<'_>> = keys
                .iter()
                .map(|(k, s)| KnownRef {
                    file: &k.file,
                    id: &k.id,
                    seconds: *s,
                })
                .collect();
            let known = unit_totals(refs, g);
            let (run, seconds, basis, warnings) = estimated_units(&known, g);
            assert!(basis.iter().all(|b| *b == Basis::Recorded), "{g:?}");
            assert!(warnings.is_empty(), "{g:?}: {warnings:?}");
            let fast = recorded_units(known, g).expect("every unit has its own record");
            assert_eq!(fast, (run, seconds), "{g:?}");
        }
    }

    #[test]
    fn timing_data_the_estimator_must_see_is_handed_back() {
        let cases: [(&str, Vec<Sample>, Granularity); 6] = [
            (
                "negative",
                vec![sample("a.py::t", 1.0), sample("b.py::t", -1.0)],
                Granularity::Test,
            ),
            (
                "not a number",
                vec![sample("a.py::t", f64::NAN)],
                Granularity::Test,
            ),
            (
                "infinite",
                vec![sample("a.py::t", f64::INFINITY)],
                Granularity::Test,
            ),
            (
                "a unit twice",
                vec![sample("a.py::t", 1.0), sample("a.py::t", 2.0)],
                Granularity::Test,
            ),
            (
                "finer than the unit",
                vec![sample("a.py::t", 1.0)],
                Granularity::File,
            ),
            (
                "not canonical",
                vec![sample("a.py::t\u{1}", 1.0)],
                Granularity::Test,
            ),
        ];
        for (what, known, g) in cases {
            let back = recorded_units(known.clone(), g).expect_err(what);
            // Debug forms: NaN is not equal to itself.
            assert_eq!(format!("{back:?}"), format!("{known:?}"), "{what}");
        }
        assert!(recorded_units(Vec::new(), Granularity::Test).is_err());
    }

    #[test]
    fn a_plan_from_timing_data_alone_is_the_estimators_plan() {
        // Through `plan`: the fast path's plan equals the one built from the general path's units and estimates.
        let report = r#"{"b.py::t2": 2.0, "a.py::t": 0.0, "b.py::t1": 5.0, "a.py::u": 1.5, "c.py::t": 3.25}"#;
        for g in [Granularity::File, Granularity::Test] {
            let mut req = request(None, vec![src(".test_durations", report)], None, 2);
            req.options.granularity = g;
            let fast = plan(&req).expect("plan");
            let reports = read_timings(
                |each| each(".test_durations", Input::Bytes(report.as_bytes())),
                &[],
                &mut Vec::new(),
            );
            let known = unit_totals(known_timings::<Sample>(&[], true, &reports), g);
            let (run, seconds, basis, _) = estimated_units(&known, g);
            let estimated: Vec<bool> = basis.iter().map(|b| *b != Basis::Recorded).collect();
            let general = plan::build(&run, &seconds, &estimated, &req.options).expect("build");
            assert_eq!(fast, general, "{g:?}");
        }
    }

    /// Units, their sizes, the lookup keys that differ, the number of repeated tests, and the units folded into an
    /// outer one (inner id, outer id).
    type Reference = (
        Vec<TestKey>,
        Vec<Option<f64>>,
        Vec<(usize, TestKey)>,
        usize,
        Vec<(String, String)>,
    );

    #[test]
    fn discovered_units_are_found_by_hash_and_compared_in_full() {
        // The plain way: a map keyed by each unit as a whole.
        fn reference(tests: &[String], sizes: &[Option<f64>], g: Granularity) -> Reference {
            let mut index: BTreeMap<TestKey, usize> = BTreeMap::new();
            let (mut run, mut canonical, mut duplicates) = (Vec::new(), Vec::new(), 0);
            let mut listed: std::collections::BTreeSet<TestKey> = Default::default();
            let mut sums: Vec<Option<f64>> = Vec::new();
            for (i, t) in tests.iter().enumerate() {
                let key = TestKey::from_id(t, &[]);
                let size = sizes.get(i).copied().flatten();
                let unit = key.unit(g);
                match index.get(&unit) {
                    Some(&j) => {
                        if let (Some(total), Some(s)) = (sums[j].as_mut(), size) {
                            *total += s;
                        }
                        duplicates += usize::from(unit == key && !listed.insert(key.clone()));
                    }
                    None => {
                        if unit == key {
                            listed.insert(key.clone());
                        }
                        index.insert(unit.clone(), run.len());
                        if let Some(lookup) = lookup_unit(&key, g) {
                            canonical.push((run.len(), lookup));
                        }
                        run.push(unit);
                        sums.push(size);
                    }
                }
            }
            // Then each unit whose id cut before one of its `::` is another unit of its file goes into the
            // shortest such one.
            let outer: Vec<Option<usize>> = run
                .iter()
                .map(|u: &TestKey| {
                    u.id.match_indices("::").find_map(|(at, _)| {
                        let cut = TestKey {
                            file: u.file.clone(),
                            id: u.id[..at].to_string(),
                        };
                        index.get(&cut).copied()
                    })
                })
                .collect();
            let mut nested = Vec::new();
            for (j, o) in outer.iter().enumerate() {
                if let Some(o) = *o {
                    nested.push((run[j].id.clone(), run[o].id.clone()));
                    if let (Some(s), Some(Some(total))) = (sums[j], sums.get_mut(o)) {
                        *total += s;
                    }
                }
            }
            let kept: Vec<usize> = (0..run.len()).filter(|&j| outer[j].is_none()).collect();
            let renumber = |j: usize| kept.iter().position(|&k| k == j);
            let canonical = canonical
                .into_iter()
                .filter_map(|(j, key)| Some((renumber(j)?, key)))
                .collect();
            let run = kept.iter().map(|&j| run[j].clone()).collect();
            let sums = kept.iter().map(|&j| sums[j]).collect();
            (run, sums, canonical, duplicates, nested)
        }
        let tests: Vec<String> = [
            "a.py::C::t1",
            "a.py::C::t2",
            "a.py::t3",
            "a.py",
            "b.py::t\u{1}",
            "a.py::C::t1",
            "./b.py::t\u{1}",
            "c.py::D::t",
            "c.py",
            "c.py::D",
            "d::e",
            "a.py::t3",
        ]
        .iter()
        .map(|t| t.to_string())
        .collect();
        let sizes: Vec<Option<f64>> = (0..tests.len())
            .map(|i| (i % 5 != 4).then_some(i as f64 + 0.5))
            .collect();
        for g in [Granularity::File, Granularity::Suite, Granularity::Test] {
            let (run, sums, canonical, duplicates, nested) = reference(&tests, &sizes, g);
            assert_eq!(
                nested.is_empty(),
                g == Granularity::File,
                "{g:?}: {nested:?}"
            );
            // Real hashes, and one hash for every unit (each lookup then goes through the comparison and the
            // overflow map).
            for hash in [report::id_hash as fn(&str) -> u64, |_: &str| 7] {
                let mut units = Units {
                    run: Vec::new(),
                    sizes: Vec::new(),
                    canonical: BTreeMap::new(),
                };
                let mut warnings = Vec::new();
                discovered_units(&tests, &sizes, &[], g, hash, &mut units, &mut warnings);
                assert_eq!(units.run, run, "{g:?}");
                assert_eq!(units.sizes, sums, "{g:?}");
                assert_eq!(
                    units.canonical.into_iter().collect::<Vec<_>>(),
                    canonical,
                    "{g:?}"
                );
                let said = (duplicates > 0).then(|| {
                    format!("{duplicates} test ids were listed more than once; each runs once")
                });
                let inside = nested.first().map(|(inner, outer)| {
                    let each = if nested.len() == 1 { "it runs" } else { "each runs" };
                    format!(
                        "{} listed test{} inside another listed test or file (first: {} inside {outer}); \
                         {each} once, as part of the outer one",
                        nested.len(),
                        if nested.len() == 1 { " is" } else { "s are" },
                        printable(inner, 80)
                    )
                });
                let said: Vec<String> = said.into_iter().chain(inside).collect();
                assert_eq!(warnings, said, "{g:?}");
            }
        }
    }

    #[test]
    fn tests_listed_inside_another_listed_test_or_file_run_once_with_it() {
        let tests = [
            "a.py::t",
            "a.py",
            "b.py::C::t",
            "b.py::C",
            "b.py::C::u",
            "b.py::v",
            "c.py::t",
        ];
        let timings = vec![src(
            "d.json",
            r#"{"a.py::t": 4, "a.py::u": 1, "b.py::C::t": 2, "b.py::v": 3}"#,
        )];
        for (g, want) in [
            (
                Granularity::Test,
                vec!["a.py", "b.py::C", "b.py::v", "c.py::t"],
            ),
            (
                Granularity::Suite,
                vec!["a.py", "b.py::C", "b.py::v", "c.py::t"],
            ),
            (Granularity::File, vec!["a.py", "b.py", "c.py"]),
        ] {
            let mut req = request(Some(&tests), timings.clone(), None, 3);
            req.options.granularity = g;
            let p = plan(&req).expect("plan");
            assert_eq!(all_tests(&p), want, "{g:?}");
            let inside: Vec<&String> = p.warnings.iter().filter(|w| w.contains("inside")).collect();
            if g == Granularity::File {
                assert!(inside.is_empty(), "{:?}", p.warnings);
            } else {
                assert_eq!(inside.len(), 1, "{g:?}: {:?}", p.warnings);
                let start = if g == Granularity::Test {
                    "3 listed tests are inside another listed test or file (first: a.py::t inside a.py); each runs"
                } else {
                    "1 listed test is inside another listed test or file (first: a.py::t inside a.py); it runs"
                };
                assert!(inside[0].starts_with(start), "{g:?}: {}", inside[0]);
            }
            assert_eq!(p.tests, want.len(), "{g:?}");
            // The outer file runs its tests: its estimate is their records summed (4 + 1).
            let a = p
                .groups
                .iter()
                .find(|gr| gr.tests.iter().any(|t| t == "a.py"));
            assert!(
                a.is_some_and(|gr| gr.predicted_seconds >= 5.0),
                "{g:?}: {p:?}"
            );
        }
    }

    #[test]
    fn sizes_matter_exactly_when_a_plan_says_it_has_unsized_estimates() {
        let tests = ["a.py", "b.py", "c.py", "d.py"];
        let with_sizes = |mut req: PlanRequest| {
            req.sizes = vec![Some(400.0), Some(300.0), None, Some(100.0)];
            req
        };
        let detailed = |req: &PlanRequest| {
            plan_detailed(req, |each| {
                for t in &req.timings {
                    each(&t.name, Input::Bytes(&t.data));
                }
            })
            .expect("plan")
        };
        // No history: every test is estimated at 1 s without sizes; with them, only the one without a size is.
        let bare = request(Some(&tests), vec![], None, 2);
        let (without, d) = detailed(&bare);
        assert_eq!(d.unsized_estimates, 4);
        let (with, d) = detailed(&with_sizes(bare));
        assert_eq!(d.unsized_estimates, 1);
        assert_ne!(without, with, "the sizes change this plan");
        // History for one test: the others are estimated from it, and sizes change nothing.
        let known = request(
            Some(&tests),
            vec![src("d.json", r#"{"a.py::t": 10}"#)],
            None,
            2,
        );
        let (without, d) = detailed(&known);
        assert_eq!(d.unsized_estimates, 0);
        assert_eq!((without, d), detailed(&with_sizes(known)));
    }
}
