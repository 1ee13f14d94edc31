//! A duration for every discovered test: its recorded time where there is one, otherwise an estimate from its
//! neighbours, each marked with the [`Basis`] it came from.
//!
//! What it does not do: choose a statistic over runs (the store did that before handing over `known`) or split
//! anything (that is [`crate::partition`]).
//!
//! Order of bases for a unit (at granularity `g`):
//! 1. [`Basis::Recorded`] — known samples whose unit at `g` is this unit, summed (test times add up to their file);
//!    for a unit coarser than its records (a file listed among test ids), the records inside it, summed.
//! 2. [`Basis::FileShare`] — a record coarser than the unit (a Knapsack file time while units are tests) is shared
//!    equally among its discovered units, if none of them has a finer record of its own.
//! 3. [`Basis::SameFile`] — the median of the known units of the same file whose names are most similar to the
//!    unit's (a renamed test or a new parameter of a known function; see [`SIMILAR_NAME`]), else of all known units
//!    of the file; then [`Basis::SameDirectory`] (the nearest parent directory with known units), then
//!    [`Basis::Suite`] — the median of the known units there.
//! 4. With no history at all: [`Basis::Size`] (proportional to the caller's sizes, mean 1 s) or [`Basis::Equal`].
//!
//! Every value is finite and at least [`MIN_SECONDS`]: a test recorded at 0 s still costs a worker something.

use rustc_hash::{FxHashMap, FxHashSet};
use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::report::Sample;
use crate::test_id::{reconcile_roots, Granularity, IdRef, TestKey};

/// The smallest duration handed out (1 µs): a recorded 0 becomes this, so every test still weighs something. It is
/// kept far below any real time on purpose: a 1 ms floor lifted real sub-millisecond tests (372 of FreeCol's 823
/// are reported as 0.000) and cost up to 6 ms of makespan against plain LPT on the true times (bench/, balance).
pub const MIN_SECONDS: f64 = 0.000_001;
/// How similar a known unit's name must be to stand in for a new unit of the same file: the share of name tokens
/// they have in common (|A ∩ B| / |A ∪ B|, tokens = the distinct lower-cased alphanumeric runs of the id after the
/// file). `test_dont_remove_conda[classic-pycosat_first]` and `test_dont_remove_conda_2[classic]` share 5 of 8.
/// Chosen by replay (`examples/replay.rs --explore`): 0.5 beat 0 / 0.34 / 0.67 on the real histories.
pub const SIMILAR_NAME: f64 = 0.5;
/// At most this many known units of a file are compared by name with each new unit (the first ones by id), which
/// bounds the work to `new units × this` on huge files.
pub const MAX_SIMILAR_CANDIDATES: usize = 2000;
/// The smallest size-based estimate, as a fraction of the mean (1 s): an empty file is still a unit of work.
pub const MIN_SIZE_SECONDS: f64 = 0.01;

/// Where a unit's duration came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Basis {
    /// Recorded timings of this unit (summed from finer records where needed).
    Recorded,
    /// The median of the most similarly named known units in the same file, or of all of them.
    SameFile,
    /// The median of the known units in the nearest parent directory that has some.
    SameDirectory,
    /// The median of all known units.
    Suite,
    /// An equal share of a coarser record (e.g. a file's time shared by its discovered tests).
    FileShare,
    /// No history at all: proportional to the caller-supplied size, normalised to a mean of 1 s.
    Size,
    /// No history and no size: 1 s.
    Equal,
}

impl Basis {
    /// True for every basis except [`Basis::Recorded`].
    pub fn is_estimated(self) -> bool {
        self != Basis::Recorded
    }
}

/// A duration and its basis for every unit, in the order of the units.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Estimates {
    /// Seconds per unit; finite and ≥ [`MIN_SECONDS`].
    pub seconds: Vec<f64>,
    /// Where each value came from.
    pub basis: Vec<Basis>,
    /// A summary of what was estimated, root rewrites, ignored timings.
    pub warnings: Vec<String>,
}

/// The statistic over a pool of known neighbours (same file, directory, suite).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PoolStat {
    /// The median (the mean of the two middle values for an even count).
    Median,
    /// The arithmetic mean.
    Mean,
}

/// How units without a record are estimated (for benchmarks; [`estimate`] uses [`EstimateOptions::default`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct EstimateOptions {
    /// Statistic over the neighbours.
    pub pool: PoolStat,
    /// Whether known units that were not discovered (deleted or renamed tests) count as neighbours.
    pub undiscovered_neighbours: bool,
    /// Whether to look at the file and directories at all (false: the whole suite's statistic for every new unit).
    pub neighbours: bool,
    /// Whether the most similarly named known units of the file ([`SIMILAR_NAME`]) come before the whole file.
    pub similar_names: bool,
}

impl Default for EstimateOptions {
    fn default() -> Self {
        EstimateOptions {
            pool: PoolStat::Median,
            undiscovered_neighbours: true,
            neighbours: true,
            similar_names: true,
        }
    }
}

/// A duration for every unit; see the module documentation for the order of bases.
///
/// `units` are the discovered tests at granularity `g`; `sizes` an optional size per unit (e.g. file bytes; may be
/// empty), used only when there is no history at all; `known` are recorded timings at any granularity (the first
/// sample of an id wins when an id repeats; negative or non-finite ones are ignored). Units repeated in `units`
/// get the same value.
pub fn estimate(
    units: &[TestKey],
    sizes: &[Option<f64>],
    known: &[Sample],
    g: Granularity,
) -> Estimates {
    estimate_with(units, sizes, known, g, &EstimateOptions::default())
}

/// [`estimate`] with explicit options for units without a record.
pub fn estimate_with(
    units: &[TestKey],
    sizes: &[Option<f64>],
    known: &[Sample],
    g: Granularity,
    opts: &EstimateOptions,
) -> Estimates {
    let mut warnings = Vec::new();
    let mut known = dedupe(known, &mut warnings);

    // Recorded with another root (`backend/x.py` vs `x.py`)? One consistent rewrite, said out loud.
    // Checked through hash sets; the ordered sets the reconciliation takes are built only when a unit's file has no
    // record (200k ids of 16k files must not each pay an ordered insert, and usually every file is known).
    // `IdRef`: 200k files of records and units, nearly all equal to one already in the set.
    let known_files: FxHashSet<IdRef<'_>> = known.iter().map(|k| IdRef(&k.0.file)).collect();
    let some_unknown = units.iter().any(|u| !known_files.contains(&IdRef(&u.file)));
    let ordered = |files: &mut dyn Iterator<Item = &str>| -> BTreeSet<String> {
        let set: FxHashSet<&str> = files.collect();
        set.into_iter().map(str::to_string).collect()
    };
    if !known.is_empty() && some_unknown {
        let unit_files = ordered(&mut units.iter().map(|u| u.file.as_str()));
        let known_files = ordered(&mut known_files.iter().map(|f| f.0));
        if let Some(rw) = reconcile_roots(&known_files, &unit_files) {
            let mut rewritten = 0;
            for k in known.iter_mut() {
                if let (Some(file), Some(id)) = (rw.apply(&k.0.file), rw.apply(&k.0.id)) {
                    k.0 = Cow::Owned(TestKey { file, id });
                    rewritten += 1;
                }
            }
            warnings.push(format!(
                "{} ({rewritten} of {} recorded timings)",
                rw.describe(),
                known.len()
            ));
            // A rewritten id may now equal another record's: the first (in the original order) still wins.
            let mut seen: FxHashSet<String> = FxHashSet::default();
            let before = known.len();
            known.retain(|(k, _)| seen.insert(k.id.clone()));
            if known.len() < before {
                warnings.push(format!(
                    "{} recorded timings repeat an id; the first of each was used",
                    before - known.len()
                ));
            }
        }
    }

    // Known timings summed up to the units' granularity. A record exactly at the unit's level wins over the sum of
    // finer ones for the same unit (two sources measuring the same thing must not add up).
    // A hash map (never iterated in hash order: the neighbour pool below is sorted by id).
    // Keyed by `IdRef`: 200k lookups of long ids that share their file's prefix (see `IdRef`).
    let mut agg: FxHashMap<IdRef<'_>, Agg<'_>> =
        FxHashMap::with_capacity_and_hasher(known.len(), Default::default());
    for (key, secs) in &known {
        let unit_id = key.unit_id(g);
        let exact = unit_id == key.id;
        let a = agg.entry(IdRef(unit_id)).or_insert_with(|| Agg {
            file: &key.file,
            exact: None,
            finer: 0.0,
        });
        if exact {
            a.exact = Some(*secs);
        } else {
            a.finer += *secs;
        }
    }

    let n = units.len();
    let mut seconds = vec![0.0; n];
    let mut basis = vec![Basis::Equal; n];
    let mut done = vec![false; n];
    for (i, u) in units.iter().enumerate() {
        if let Some(a) = agg.get(&IdRef(&u.id)) {
            seconds[i] = a.value();
            basis[i] = Basis::Recorded;
            done[i] = true;
        }
    }

    // Units coarser than their records (a file listed among test ids, or `a.py` with `a.py::t` in one list, which
    // the plan runs as `a.py`): the records inside them, summed — the time the whole unit takes. A record counts
    // when no other record lies between it and the unit (a suite's own time and its tests' must not add up), and
    // only records of the files of units still without a time are looked at; summed in id order (deterministic).
    if !done.iter().all(|d| *d) {
        let (mut open, mut open_files): (FxHashSet<&str>, FxHashSet<&str>) = Default::default();
        for (u, _) in units.iter().zip(&done).filter(|(_, d)| !**d) {
            open.insert(&u.id);
            open_files.insert(&u.file);
        }
        let mut parts: Vec<(&str, &str, f64)> = Vec::new();
        for (id, a) in &agg {
            if !open_files.contains(a.file) {
                continue;
            }
            let chain: Vec<&str> = ancestors_of(a.file, id.0).collect();
            let Some(at) = chain.iter().position(|p| open.contains(p)) else {
                continue;
            };
            let between = chain.get(at + 1..).unwrap_or_default();
            if between.iter().any(|q| agg.contains_key(&IdRef(q))) {
                continue;
            }
            if let Some(&outer) = chain.get(at) {
                parts.push((outer, id.0, a.value()));
            }
        }
        if !parts.is_empty() {
            parts.sort_unstable_by(|a, b| IdRef(a.1).cmp(&IdRef(b.1)));
            let mut inside: FxHashMap<&str, f64> = FxHashMap::default();
            for (outer, _, v) in parts {
                *inside.entry(outer).or_insert(0.0) += v;
            }
            for (i, u) in units.iter().enumerate() {
                if let (false, Some(&v)) = (done[i], inside.get(u.id.as_str())) {
                    seconds[i] = v;
                    basis[i] = Basis::Recorded;
                    done[i] = true;
                }
            }
        }
    }

    // Coarser records shared among their discovered units, unless one of those units has a finer record. Skipped
    // when every unit is recorded (the usual case): collecting the ancestors of 200k units costs more than the rest
    // of the estimate.
    if !done.iter().all(|d| *d) {
        let recorded_ancestors: FxHashSet<&str> = units
            .iter()
            .zip(&done)
            .filter(|(_, d)| **d)
            .flat_map(|(u, _)| ancestors(u))
            .collect();
        let mut shares: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
        for (i, u) in units.iter().enumerate() {
            if done[i] {
                continue;
            }
            // The nearest (longest) ancestor with a record.
            if let Some(p) = ancestors(u)
                .filter(|p| agg.contains_key(&IdRef(p)) && !recorded_ancestors.contains(p))
                .last()
            {
                shares.entry(p).or_default().push(i);
            }
        }
        for (p, members) in &shares {
            // Units listed twice share once: count distinct ids.
            let distinct: BTreeSet<&str> = members
                .iter()
                .filter_map(|&i| units.get(i))
                .map(|u| u.id.as_str())
                .collect();
            let v = agg.get(&IdRef(p)).map_or(0.0, Agg::value) / distinct.len().max(1) as f64;
            for &i in members {
                seconds[i] = v;
                basis[i] = Basis::FileShare;
                done[i] = true;
            }
        }
    }

    // Neighbour pools: (file, id, value) of every known unit; not built when every unit has its time already.
    let mut pool: Vec<(&str, &str, f64)> = Vec::new();
    if done.iter().all(|d| *d) {
    } else if opts.undiscovered_neighbours {
        // Records coarser than some discovered unit (a file time while units are tests) are not neighbours.
        let coarse: FxHashSet<&str> = units.iter().flat_map(ancestors).collect();
        pool.extend(
            agg.iter()
                .filter(|(id, _)| !coarse.contains(id.0))
                .map(|(id, a)| (a.file, id.0, a.value())),
        );
        // Ids are unique keys, so this order is total and independent of the hash map's.
        pool.sort_unstable_by(|a, b| a.1.cmp(b.1));
    } else {
        // Each discovered unit once, even when listed twice.
        let distinct: BTreeMap<&str, (&str, f64)> = units
            .iter()
            .zip(&done)
            .zip(&seconds)
            .filter(|((_, d), _)| **d)
            .map(|((u, _), s)| (u.id.as_str(), (u.file.as_str(), *s)))
            .collect();
        pool.extend(distinct.into_iter().map(|(id, (file, s))| (file, id, s)));
    }
    let pool_stat = |v: &mut Vec<f64>| -> f64 {
        match opts.pool {
            PoolStat::Median => {
                v.sort_by(f64::total_cmp);
                let m = v.len() / 2;
                match (v.get(m), v.len() % 2) {
                    (None, _) => 0.0,
                    (Some(&x), 1) => x,
                    (Some(&hi), _) => (hi + v.get(m - 1).copied().unwrap_or(hi)) / 2.0,
                }
            }
            PoolStat::Mean => v.iter().sum::<f64>() / v.len().max(1) as f64,
        }
    };

    let missing: Vec<usize> = (0..n).filter(|&i| !done[i]).collect();
    if !missing.is_empty() && !pool.is_empty() {
        let mut by_file: FxHashMap<&str, Vec<f64>> = FxHashMap::default();
        let mut by_dir: FxHashMap<&str, Vec<f64>> = FxHashMap::default();
        // Known units of each file with their name tokens, in id order (the pool is sorted by id).
        let mut named: FxHashMap<&str, Vec<(Vec<String>, f64)>> = FxHashMap::default();
        let mut all: Vec<f64> = Vec::with_capacity(pool.len());
        for &(file, id, v) in &pool {
            if opts.neighbours {
                by_file.entry(file).or_default().push(v);
                if opts.similar_names {
                    let list = named.entry(file).or_default();
                    if list.len() < MAX_SIMILAR_CANDIDATES {
                        list.push((name_tokens(file, id), v));
                    }
                }
                for d in parent_dirs(file) {
                    by_dir.entry(d).or_default().push(v);
                }
            }
            all.push(v);
        }
        let file_stat: FxHashMap<&str, f64> = by_file
            .into_iter()
            .map(|(k, mut v)| (k, pool_stat(&mut v)))
            .collect();
        let dir_stat: FxHashMap<&str, f64> = by_dir
            .into_iter()
            .map(|(k, mut v)| (k, pool_stat(&mut v)))
            .collect();
        let suite = pool_stat(&mut all);
        for i in missing {
            let Some(u) = units.get(i) else { continue };
            let similar = named
                .get(u.file.as_str())
                .and_then(|cands| most_similar(&name_tokens(&u.file, &u.id), cands));
            let (v, b) = if let Some(v) = similar {
                (v, Basis::SameFile)
            } else if let Some(v) = file_stat.get(u.file.as_str()) {
                (*v, Basis::SameFile)
            } else if let Some(v) = parent_dirs(&u.file).find_map(|d| dir_stat.get(d)) {
                (*v, Basis::SameDirectory)
            } else {
                (suite, Basis::Suite)
            };
            seconds[i] = v;
            basis[i] = b;
        }
    } else if !missing.is_empty() {
        // No history at all: sizes if the caller has them, else 1 s each.
        let sized: Vec<(usize, f64)> = missing
            .iter()
            .filter_map(|&i| {
                sizes
                    .get(i)
                    .copied()
                    .flatten()
                    .filter(|s| s.is_finite() && *s >= 0.0)
                    .map(|s| (i, s))
            })
            .collect();
        let total: f64 = sized.iter().map(|p| p.1).sum();
        if total > 0.0 {
            let scale = sized.len() as f64 / total;
            for &(i, s) in &sized {
                seconds[i] = (s * scale).max(MIN_SIZE_SECONDS);
                basis[i] = Basis::Size;
            }
        }
        for &i in &missing {
            if basis[i] != Basis::Size {
                seconds[i] = 1.0;
                basis[i] = Basis::Equal;
            }
        }
    }
    if !sizes.is_empty() && sizes.len() != n {
        warnings.push(format!(
            "{} sizes given for {n} tests; sizes without a test are ignored",
            sizes.len()
        ));
    }
    for s in seconds.iter_mut() {
        if !s.is_finite() || *s < MIN_SECONDS {
            *s = MIN_SECONDS;
        }
    }
    if let Some(w) = summary(&basis) {
        warnings.push(w);
    }
    Estimates {
        seconds,
        basis,
        warnings,
    }
}

/// The distinct lower-cased alphanumeric runs of `id` after `prefix` (its file, for the similar-name rule), sorted:
/// what that rule compares between a new test and the known ones of its file.
pub fn name_tokens(prefix: &str, id: &str) -> Vec<String> {
    let rest = id.strip_prefix(prefix).unwrap_or(id);
    let mut v: Vec<String> = rest
        .split(|c: char| !c.is_alphanumeric())
        .filter(|t| !t.is_empty())
        .map(str::to_lowercase)
        .collect();
    v.sort();
    v.dedup();
    v
}

/// The median value of the candidates whose tokens share the largest fraction with `mine` (ties: all of them), if
/// that fraction reaches [`SIMILAR_NAME`].
fn most_similar(mine: &[String], cands: &[(Vec<String>, f64)]) -> Option<f64> {
    if mine.is_empty() {
        return None;
    }
    // Fractions compared exactly as (shared, union) pairs by cross-multiplication.
    let mut best: (usize, usize) = (0, 1);
    let mut values: Vec<f64> = Vec::new();
    for (theirs, v) in cands {
        let shared = mine
            .iter()
            .filter(|t| theirs.binary_search(t).is_ok())
            .count();
        let union = mine.len() + theirs.len() - shared;
        if shared == 0 {
            continue;
        }
        match (shared * best.1).cmp(&(best.0 * union)) {
            std::cmp::Ordering::Greater => {
                best = (shared, union);
                values.clear();
                values.push(*v);
            }
            std::cmp::Ordering::Equal => values.push(*v),
            std::cmp::Ordering::Less => {}
        }
    }
    if values.is_empty() || (best.0 as f64) < SIMILAR_NAME * best.1 as f64 {
        return None;
    }
    values.sort_by(f64::total_cmp);
    let m = values.len() / 2;
    match (values.get(m), values.len() % 2) {
        (Some(&x), 1) => Some(x),
        (Some(&hi), _) => Some((hi + values.get(m - 1).copied().unwrap_or(hi)) / 2.0),
        (None, _) => None,
    }
}

struct Agg<'a> {
    file: &'a str,
    exact: Option<f64>,
    finer: f64,
}

impl Agg<'_> {
    fn value(&self) -> f64 {
        self.exact.unwrap_or(self.finer)
    }
}

/// Valid known samples, first occurrence of each id kept, with a warning counting what was dropped.
fn dedupe<'a>(known: &'a [Sample], warnings: &mut Vec<String>) -> Vec<(Cow<'a, TestKey>, f64)> {
    let mut seen: FxHashSet<IdRef<'_>> =
        FxHashSet::with_capacity_and_hasher(known.len(), Default::default());
    let (mut dups, mut bad) = (0usize, 0usize);
    let mut out = Vec::with_capacity(known.len());
    for k in known {
        if !k.seconds.is_finite() || k.seconds < 0.0 {
            bad += 1;
        } else if !seen.insert(IdRef(&k.key.id)) {
            dups += 1;
        } else {
            out.push((Cow::Borrowed(&k.key), k.seconds));
        }
    }
    if dups > 0 {
        warnings.push(format!(
            "{dups} recorded timings repeat an id; the first of each was used"
        ));
    }
    if bad > 0 {
        warnings.push(format!(
            "{bad} recorded timings are negative or not a number and were ignored"
        ));
    }
    out
}

/// How many ancestors of an id (`::` prefixes) or parent directories of a file are looked at. Each is hashed in
/// full, so without a cap a hostile id with thousands of levels costs O(length²); real ids have a handful.
const MAX_ANCESTORS: usize = 16;

/// The proper ancestors of a unit's id, shortest first: its file, then each `::` prefix below the id (at most
/// [`MAX_ANCESTORS`]).
fn ancestors(u: &TestKey) -> impl Iterator<Item = &str> {
    ancestors_of(&u.file, &u.id)
}

/// [`ancestors`] of the id `id` in the file `file`.
fn ancestors_of<'a>(file: &'a str, id: &'a str) -> impl Iterator<Item = &'a str> {
    let start = file.len();
    let rest = id.get(start..).unwrap_or("");
    let cuts = rest
        .match_indices("::")
        .map(move |(i, _)| start + i)
        .filter(move |&i| i > start);
    let file = (id.len() > start).then_some(file);
    file.into_iter()
        .chain(cuts.filter_map(move |i| id.get(..i)))
        .take(MAX_ANCESTORS)
}

/// The parent directories of a path, nearest first, excluding the root (`a/b/c.py` → `a/b`, `a`); at most
/// [`MAX_ANCESTORS`] (deeper ones fall back to the suite median).
fn parent_dirs(file: &str) -> impl Iterator<Item = &str> {
    file.rmatch_indices('/')
        .filter(|(i, _)| *i > 0)
        .filter_map(move |(i, _)| file.get(..i))
        .take(MAX_ANCESTORS)
}

fn summary(basis: &[Basis]) -> Option<String> {
    let mut counts: BTreeMap<Basis, usize> = BTreeMap::new();
    for b in basis {
        *counts.entry(*b).or_default() += 1;
    }
    let estimated: usize = counts
        .iter()
        .filter(|(b, _)| b.is_estimated())
        .map(|(_, c)| c)
        .sum();
    if estimated == 0 {
        return None;
    }
    let parts: Vec<String> = counts
        .iter()
        .filter(|(b, _)| b.is_estimated())
        .map(|(b, c)| {
            let how = match b {
                Basis::Recorded => "recorded",
                Basis::SameFile => "from similar tests of their file",
                Basis::SameDirectory => "from the median of their directory",
                Basis::Suite => "from the median of the suite",
                Basis::FileShare => "as a share of their file's time",
                Basis::Size => "from their size",
                Basis::Equal => "as 1 s (no history, no size)",
            };
            format!("{c} {how}")
        })
        .collect();
    Some(format!(
        "{estimated} of {} tests have no recorded time and were estimated: {}",
        basis.len(),
        parts.join(", ")
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn k(id: &str) -> TestKey {
        TestKey::from_id(id, &[])
    }

    fn s(id: &str, seconds: f64) -> Sample {
        Sample {
            key: k(id),
            seconds,
        }
    }

    fn units(ids: &[&str]) -> Vec<TestKey> {
        ids.iter().map(|i| k(i)).collect()
    }

    struct Case {
        what: &'static str,
        units: Vec<&'static str>,
        sizes: Vec<Option<f64>>,
        known: Vec<(&'static str, f64)>,
        g: Granularity,
        want: Vec<(f64, Basis)>,
    }

    #[test]
    fn bases_and_values() {
        use Basis::*;
        use Granularity::{File, Test};
        let cases = vec![
            Case {
                what: "recorded tests",
                units: vec!["a.py::t1", "a.py::t2"],
                sizes: vec![],
                known: vec![("a.py::t1", 2.0), ("a.py::t2", 3.0), ("gone.py::t", 9.0)],
                g: Test,
                want: vec![(2.0, Recorded), (3.0, Recorded)],
            },
            Case {
                what: "tests summed up to their file",
                units: vec!["a.py", "b.py"],
                sizes: vec![],
                known: vec![
                    ("a.py::t1", 2.0),
                    ("a.py::t2", 3.0),
                    ("b.py::C::t", 1.0),
                    ("b.py::C::u", 1.5),
                ],
                g: File,
                want: vec![(5.0, Recorded), (2.5, Recorded)],
            },
            Case {
                what: "tests summed up to their class",
                units: vec!["b.py::C", "b.py::f"],
                sizes: vec![],
                known: vec![("b.py::C::t", 1.0), ("b.py::C::u", 1.5), ("b.py::f", 0.5)],
                g: Granularity::Suite,
                want: vec![(2.5, Recorded), (0.5, Recorded)],
            },
            Case {
                what: "a record at the unit's level wins over the sum of finer ones",
                units: vec!["a.py"],
                sizes: vec![],
                known: vec![("a.py::t1", 2.0), ("a.py", 10.0), ("a.py::t2", 3.0)],
                g: File,
                want: vec![(10.0, Recorded)],
            },
            Case {
                what: "a file time shared by its discovered tests",
                units: vec![
                    "spec/a_spec.rb::x",
                    "spec/a_spec.rb::y",
                    "spec/a_spec.rb::z",
                    "spec/a_spec.rb::z",
                ],
                sizes: vec![],
                known: vec![("spec/a_spec.rb", 6.0)],
                g: Test,
                want: vec![
                    (2.0, FileShare),
                    (2.0, FileShare),
                    (2.0, FileShare),
                    (2.0, FileShare),
                ],
            },
            Case {
                what: "no file share when a finer record exists; the rest from the same file",
                units: vec!["a.py::t1", "a.py::t2"],
                sizes: vec![],
                known: vec![("a.py", 100.0), ("a.py::t1", 4.0), ("b.py::t", 1.0)],
                g: Test,
                want: vec![(4.0, Recorded), (4.0, SameFile)],
            },
            Case {
                what: "same file median, then nearest directory, then suite",
                units: vec![
                    "t/x/a.py::new",
                    "t/x/b.py::new",
                    "t/y/c.py::new",
                    "top.py::new",
                    "t/x/a.py::old",
                ],
                sizes: vec![],
                known: vec![
                    ("t/x/a.py::old", 1.0),
                    ("t/x/a.py::gone", 3.0),
                    ("t/x/d.py::t", 8.0),
                    ("t/z/e.py::t", 20.0),
                    ("t/z/e.py::u", 30.0),
                ],
                g: Test,
                // file a: median(1, 3) = 2; dir t/x: median(1, 3, 8) = 3; dir t: median of all 5 = 8; the suite
                // (no directory of top.py): 8.
                want: vec![
                    (2.0, SameFile),
                    (3.0, SameDirectory),
                    (8.0, SameDirectory),
                    (8.0, Basis::Suite),
                    (1.0, Recorded),
                ],
            },
            Case {
                what:
                    "a unit coarser than its records gets the records inside it, each counted once",
                units: vec!["a.py", "b.py::C", "c.py", "d.py::t"],
                sizes: vec![],
                known: vec![
                    ("a.py::t", 4.0),
                    ("a.py::u", 1.0),
                    ("b.py::C", 2.0),
                    ("b.py::C::t", 7.0),
                    // A suite's own record and its test's: the suite's counts, not both.
                    ("c.py::S", 3.0),
                    ("c.py::S::t", 10.0),
                    ("c.py::u", 1.5),
                    ("d.py::t", 6.0),
                ],
                g: Test,
                // a.py: 4 + 1; b.py::C: its own record; c.py: 3 + 1.5; d.py::t: its own.
                want: vec![
                    (5.0, Recorded),
                    (2.0, Recorded),
                    (4.5, Recorded),
                    (6.0, Recorded),
                ],
            },
            Case {
                what: "recorded zero gets the floor, never 0",
                units: vec!["a.py::t"],
                sizes: vec![],
                known: vec![("a.py::t", 0.0)],
                g: Test,
                want: vec![(MIN_SECONDS, Recorded)],
            },
            Case {
                what: "first of a repeated id wins; bad values ignored",
                units: vec!["a.py::t"],
                sizes: vec![],
                known: vec![
                    ("a.py::t", f64::NAN),
                    ("a.py::t", 2.0),
                    ("a.py::t", 5.0),
                    ("b.py::t", -1.0),
                ],
                g: Test,
                want: vec![(2.0, Recorded)],
            },
            Case {
                what: "no history: proportional to size, mean 1 s, floored",
                units: vec!["a.py", "b.py", "c.py", "d.py"],
                sizes: vec![Some(100.0), Some(300.0), Some(0.0), None],
                known: vec![],
                g: File,
                want: vec![
                    (0.75, Size),
                    (2.25, Size),
                    (MIN_SIZE_SECONDS, Size),
                    (1.0, Equal),
                ],
            },
            Case {
                what: "no history, no sizes: 1 s each",
                units: vec!["a.py", "b.py"],
                sizes: vec![],
                known: vec![],
                g: File,
                want: vec![(1.0, Equal), (1.0, Equal)],
            },
            Case {
                what: "no history, all sizes 0: 1 s each",
                units: vec!["a.py"],
                sizes: vec![Some(0.0)],
                known: vec![],
                g: File,
                want: vec![(1.0, Equal)],
            },
            Case {
                what: "only unusable history counts as none",
                units: vec!["a.py"],
                sizes: vec![Some(5.0)],
                known: vec![("z.py", f64::INFINITY)],
                g: File,
                want: vec![(1.0, Size)],
            },
            Case {
                what: "no units",
                units: vec![],
                sizes: vec![],
                known: vec![("a.py", 1.0)],
                g: File,
                want: vec![],
            },
        ];
        for c in cases {
            let known: Vec<Sample> = c.known.iter().map(|(id, v)| s(id, *v)).collect();
            let est = estimate(&units(&c.units), &c.sizes, &known, c.g);
            let got: Vec<(f64, Basis)> = est
                .seconds
                .iter()
                .copied()
                .zip(est.basis.iter().copied())
                .collect();
            assert_eq!(got.len(), c.want.len(), "{}", c.what);
            for ((gv, gb), (wv, wb)) in got.iter().zip(&c.want) {
                assert!(
                    (gv - wv).abs() < 1e-9 && gb == wb,
                    "{}: got {got:?}, want {:?}",
                    c.what,
                    c.want
                );
            }
            assert!(
                est.seconds
                    .iter()
                    .all(|v| v.is_finite() && *v >= MIN_SECONDS),
                "{}",
                c.what
            );
        }
    }

    #[test]
    fn warnings_summarise() {
        let known = vec![s("a.py::t", 1.0), s("a.py::t", 2.0), s("b.py::t", f64::NAN)];
        let est = estimate(
            &units(&["a.py::t", "a.py::u", "c.py::v"]),
            &[None, None],
            &known,
            Granularity::Test,
        );
        assert_eq!(
            est.warnings,
            vec![
                "1 recorded timings repeat an id; the first of each was used".to_string(),
                "1 recorded timings are negative or not a number and were ignored".to_string(),
                "2 sizes given for 3 tests; sizes without a test are ignored".to_string(),
                "2 of 3 tests have no recorded time and were estimated: 1 from similar tests of their file, 1 from the \
                 median of the suite"
                    .to_string(),
            ]
        );
        let all_known = estimate(
            &units(&["a.py::t"]),
            &[],
            &[s("a.py::t", 1.0)],
            Granularity::Test,
        );
        assert!(all_known.warnings.is_empty(), "{:?}", all_known.warnings);
    }

    #[test]
    fn recorded_under_another_root_is_rewritten_with_a_warning() {
        let known: Vec<Sample> = [
            "backend/tests/a.py::t",
            "backend/tests/b.py::t",
            "backend/tests/c.py::t",
        ]
        .iter()
        .enumerate()
        .map(|(i, id)| s(id, i as f64 + 1.0))
        .collect();
        let est = estimate(
            &units(&["tests/a.py::t", "tests/b.py::t", "tests/c.py::t"]),
            &[],
            &known,
            Granularity::Test,
        );
        assert_eq!(est.basis, vec![Basis::Recorded; 3]);
        assert_eq!(est.seconds, vec![1.0, 2.0, 3.0]);
        assert!(
            est.warnings
                .iter()
                .any(|w| w.contains("backend/") && w.contains("3 of 3 recorded timings")),
            "{:?}",
            est.warnings
        );
        // The same ids without a root problem: no rewrite, no warning.
        let plain = estimate(
            &units(&["backend/tests/a.py::t"]),
            &[],
            &known,
            Granularity::Test,
        );
        assert!(plain.warnings.is_empty(), "{:?}", plain.warnings);
    }

    #[test]
    fn options_change_the_neighbour_rule() {
        let known = vec![
            s("a.py::x", 1.0),
            s("a.py::y", 2.0),
            s("a.py::z", 9.0),
            s("b.py::t", 100.0),
        ];
        let u = units(&["a.py::new", "a.py::x", "a.py::y"]);
        let cases = [
            (EstimateOptions::default(), 2.0, Basis::SameFile),
            (
                EstimateOptions {
                    pool: PoolStat::Mean,
                    ..EstimateOptions::default()
                },
                4.0,
                Basis::SameFile,
            ),
            // Only discovered neighbours: x and y.
            (
                EstimateOptions {
                    undiscovered_neighbours: false,
                    ..EstimateOptions::default()
                },
                1.5,
                Basis::SameFile,
            ),
            (
                EstimateOptions {
                    neighbours: false,
                    ..EstimateOptions::default()
                },
                5.5,
                Basis::Suite,
            ),
        ];
        for (opts, want, basis) in cases {
            let est = estimate_with(&u, &[], &known, Granularity::Test, &opts);
            assert_eq!((est.seconds[0], est.basis[0]), (want, basis), "{opts:?}");
        }
    }

    #[test]
    fn similar_names_come_before_the_whole_file() {
        let known = vec![
            s("t.py::test_remove_2[classic]", 400.0),
            s("t.py::test_remove_1[classic]", 200.0),
            s("t.py::test_remove_1[mamba]", 20.0),
            s("t.py::test_other", 1.0),
            s("t.py::test_more", 1.0),
            s("t.py::test_c", 1.0),
            s("t.py::test_d", 1.0),
            s("u.py::test_remove_9[classic]", 999.0),
        ];
        let cases: [(&str, &str, f64); 6] = [
            // 4 of 5 tokens shared with both classic cases (tie → their median).
            ("renamed parameter", "t.py::test_remove_3[classic]", 300.0),
            ("one best match", "t.py::test_remove_1[mamba-x]", 20.0),
            // {test, remove, classic, fast} vs {test, remove, 2, classic}: 3 of 5 ≥ 0.5.
            ("new parameter", "t.py::test_remove[classic-fast]", 300.0),
            // {test, new} shares only `test` (≤ 1 of 3) with everything: the file's median.
            ("nothing similar", "t.py::test_new", 1.0),
            ("no tokens after the file", "t.py::__", 1.0),
            // Other files are never compared by name (u.py's 999 s twin is no candidate): the suite median.
            (
                "no neighbour in the file",
                "v.py::test_remove_9[classic]",
                10.5,
            ),
        ];
        for (what, id, want) in cases {
            let est = estimate(&units(&[id]), &[], &known, Granularity::Test);
            assert_eq!(est.seconds[0], want, "{what}");
            let off = EstimateOptions {
                similar_names: false,
                ..EstimateOptions::default()
            };
            let plain = estimate_with(&units(&[id]), &[], &known, Granularity::Test, &off);
            assert!(
                plain.seconds[0] <= 20.0,
                "{what}: without names the file median or suite median, got {}",
                plain.seconds[0]
            );
        }
        assert_eq!(
            name_tokens("t.py", "t.py::Test_A::b[x-1/2]"),
            vec!["1", "2", "a", "b", "test", "x"]
        );
        assert_eq!(most_similar(&[], &[(vec!["a".into()], 1.0)]), None);
    }

    #[test]
    fn helpers() {
        let cases: [(&str, &str, Vec<&str>); 4] = [
            ("a.py", "a.py::C::t", vec!["a.py", "a.py::C"]),
            ("a.py", "a.py::t", vec!["a.py"]),
            ("a.py", "a.py", vec![]),
            ("bin::x", "bin::x::m::t", vec!["bin::x", "bin::x::m"]),
        ];
        for (file, id, want) in cases {
            let key = TestKey {
                file: file.into(),
                id: id.into(),
            };
            assert_eq!(ancestors(&key).collect::<Vec<_>>(), want, "{id}");
        }
        assert_eq!(
            parent_dirs("t/x/a.py").collect::<Vec<_>>(),
            vec!["t/x", "t"]
        );
        assert_eq!(parent_dirs("a.py").count(), 0);
        assert_eq!(parent_dirs("/abs/a.py").collect::<Vec<_>>(), vec!["/abs"]);
    }
}
