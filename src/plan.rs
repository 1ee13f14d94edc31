//! Turns the units to run and their predicted seconds into a [`Plan`]: how many workers, which units each one runs,
//! and what to expect (per-group and overall predictions, the lower bound, a few alternative worker counts).
//!
//! What it does: validates the worker options ([`PlanOptions::validate`]); chooses the worker count (fixed, or
//! `auto` against a wall-time target, see [`build`]); splits with [`crate::partition`]; numbers the groups; checks
//! its own output ([`Plan::check_invariants`]). What it does not do: estimate durations ([`crate::estimate`]),
//! read files, or format the GitHub matrix (the action's job).
//!
//! ## Promises
//!
//! * Every unit is in exactly one group; a unit listed twice runs once (with a warning). Units inside a group keep
//!   the input order.
//! * No group is empty: when fewer units than requested workers exist, the worker count shrinks (with a warning).
//!   No units at all → a plan with `workers: 0`, no groups and a warning (see [`build`]).
//! * Deterministic: same inputs → the same plan, byte for byte once serialized. Groups are numbered by predicted
//!   seconds, heaviest first (matrix jobs tend to start in index order, so the longest job starts first); equal
//!   loads → the group whose first unit comes first in the input. Seconds are rounded to milliseconds.

use rustc_hash::FxHashSet;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::error::printable;
use crate::limits::{
    MAX_JOB_OVERHEAD_SECONDS, MAX_TARGET_SECONDS, MAX_TESTS, MAX_UNIT_SECONDS,
    MAX_WARNINGS_PER_KIND, MAX_WORKERS,
};
use crate::partition::{Budget, Partition, Prepared};
use crate::{Error, Granularity, Result, TestKey};

/// Longest test id quoted in a warning, in characters.
const MAX_QUOTED_CHARS: usize = 200;

/// Version of the plan JSON; bumped on incompatible changes.
pub const PLAN_VERSION: u32 = 1;

/// With no worker count meeting the target, counts whose predicted wall time is within this fraction of the lowest
/// one count as a tie, and the smallest of them wins: 64 jobs for 1 % less wall time than 40 jobs is not a win.
pub const WALL_TIE_FRACTION: f64 = 0.01;

/// How many worker counts above the smallest feasible one (by the lower bound) `auto` tries one by one before it
/// switches to a binary search.
const AUTO_LINEAR_STEPS: usize = 4;

/// What the user asked for: a number of workers or `auto` (the `workers` input as parsed).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RequestedWorkers {
    /// A fixed number, 1 to 256.
    Fixed(usize),
    /// Choose the number against a wall-time target.
    Auto,
}

impl FromStr for RequestedWorkers {
    type Err = Error;

    /// Parses `auto` (ASCII case ignored) or an integer from 1 to 256; surrounding whitespace is ignored.
    fn from_str(s: &str) -> Result<Self> {
        let t = s.trim();
        if t.eq_ignore_ascii_case("auto") {
            return Ok(RequestedWorkers::Auto);
        }
        match t.parse::<usize>() {
            Ok(n) if (1..=MAX_WORKERS).contains(&n) => Ok(RequestedWorkers::Fixed(n)),
            _ => Err(workers_error(s)),
        }
    }
}

fn workers_error(got: impl fmt::Display) -> Error {
    Error::input(
        "workers",
        format!(
            "expected a number from 1 to {MAX_WORKERS} or `auto`, got `{}`",
            printable(&got.to_string(), 40)
        ),
    )
}

impl fmt::Display for RequestedWorkers {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RequestedWorkers::Fixed(n) => write!(f, "{n}"),
            RequestedWorkers::Auto => f.write_str("auto"),
        }
    }
}

/// Serialized as the number, or the string `"auto"`.
impl Serialize for RequestedWorkers {
    fn serialize<S: Serializer>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error> {
        match self {
            RequestedWorkers::Fixed(n) => serializer.serialize_u64(*n as u64),
            RequestedWorkers::Auto => serializer.serialize_str("auto"),
        }
    }
}

impl<'de> Deserialize<'de> for RequestedWorkers {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> std::result::Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Repr {
            Number(usize),
            Text(String),
        }
        match Repr::deserialize(deserializer)? {
            Repr::Number(n) => Ok(RequestedWorkers::Fixed(n)),
            Repr::Text(s) => s.parse().map_err(serde::de::Error::custom),
        }
    }
}

/// How many workers to use, with everything needed to choose.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Workers {
    /// Exactly this many (1 to 256), fewer only when there are fewer units.
    Fixed(usize),
    /// The smallest count whose predicted wall time (slowest group + per-job overhead) meets the target.
    Auto {
        /// The wall-time target in seconds, > 0 and at most [`MAX_TARGET_SECONDS`] (input `target-seconds`).
        target_seconds: f64,
        /// The most workers to consider, 1 to 256 (input `max-workers`).
        max_workers: usize,
    },
}

impl Workers {
    /// Parses the `workers` input (see [`RequestedWorkers::from_str`]) and pairs it with the `auto` settings, then
    /// validates what will be used (`target_seconds` and `max_workers` only for `auto`).
    pub fn parse(workers: &str, target_seconds: f64, max_workers: usize) -> Result<Workers> {
        let w = Workers::from_request(workers.parse()?, target_seconds, max_workers);
        w.validate()?;
        Ok(w)
    }

    /// The worker setting for a parsed request (not validated; see [`Workers::validate`]).
    pub fn from_request(
        requested: RequestedWorkers,
        target_seconds: f64,
        max_workers: usize,
    ) -> Workers {
        match requested {
            RequestedWorkers::Fixed(n) => Workers::Fixed(n),
            RequestedWorkers::Auto => Workers::Auto {
                target_seconds,
                max_workers,
            },
        }
    }

    /// What was requested, for the plan's `requested_workers`.
    pub fn requested(&self) -> RequestedWorkers {
        match self {
            Workers::Fixed(n) => RequestedWorkers::Fixed(*n),
            Workers::Auto { .. } => RequestedWorkers::Auto,
        }
    }

    /// Checks the ranges; each error names the action input: `workers` 1 to 256, `target-seconds` > 0 and at
    /// most [`MAX_TARGET_SECONDS`] (a week), `max-workers` 1 to 256.
    pub fn validate(&self) -> Result<()> {
        match *self {
            Workers::Fixed(n) if !(1..=MAX_WORKERS).contains(&n) => Err(workers_error(n)),
            Workers::Fixed(_) => Ok(()),
            Workers::Auto {
                target_seconds,
                max_workers,
            } => {
                // Written so that NaN fails too.
                if !(target_seconds > 0.0 && target_seconds <= MAX_TARGET_SECONDS) {
                    return Err(Error::input(
                        "target-seconds",
                        format!(
                            "expected a number of seconds greater than 0 and at most {MAX_TARGET_SECONDS} \
                             (a week), got `{target_seconds}`"
                        ),
                    ));
                }
                if !(1..=MAX_WORKERS).contains(&max_workers) {
                    return Err(Error::input(
                        "max-workers",
                        format!("expected a number from 1 to {MAX_WORKERS}, got `{max_workers}`"),
                    ));
                }
                Ok(())
            }
        }
    }
}

/// Everything [`build`] needs besides the units and their seconds.
#[derive(Debug, Clone, PartialEq)]
pub struct PlanOptions {
    /// Fixed or automatic worker count.
    pub workers: Workers,
    /// Seconds each job spends before its tests start (checkout, install, start-up skew), 0 to
    /// [`MAX_JOB_OVERHEAD_SECONDS`] (a day; input `job-overhead-seconds`). Added to the slowest group for the wall time, and once per job for the
    /// total job time.
    pub job_overhead_seconds: f64,
    /// The granularity of the units (reported in the plan and used in messages).
    pub granularity: Granularity,
    /// Work limit of the partition refinement.
    pub budget: Budget,
}

impl PlanOptions {
    /// Options with the default partition budget.
    pub fn new(
        workers: Workers,
        job_overhead_seconds: f64,
        granularity: Granularity,
    ) -> PlanOptions {
        PlanOptions {
            workers,
            job_overhead_seconds,
            granularity,
            budget: Budget::default(),
        }
    }

    /// Checks every option; errors name the action input (`workers`, `target-seconds`, `max-workers`,
    /// `job-overhead-seconds`). The job overhead is 0 to [`MAX_JOB_OVERHEAD_SECONDS`] (a day): any finite value
    /// would do for the arithmetic of one job, but `workers × overhead` and `makespan + overhead` must stay finite
    /// and meaningful.
    pub fn validate(&self) -> Result<()> {
        self.workers.validate()?;
        let o = self.job_overhead_seconds;
        // NaN is in no range, so it fails too.
        if !(0.0..=MAX_JOB_OVERHEAD_SECONDS).contains(&o) {
            return Err(Error::input(
                "job-overhead-seconds",
                format!(
                    "expected a number of seconds from 0 to {MAX_JOB_OVERHEAD_SECONDS} (a day), got `{o}`"
                ),
            ));
        }
        Ok(())
    }
}

/// The plan: the split and what to expect from it. Serializes to the plan JSON of the action (seconds in
/// milliseconds precision).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Plan {
    /// [`PLAN_VERSION`].
    pub version: u32,
    /// Number of groups (jobs); 0 only when there is nothing to run.
    pub workers: usize,
    /// What the user asked for: a number or `"auto"`.
    pub requested_workers: RequestedWorkers,
    /// Granularity of the units.
    pub granularity: Granularity,
    /// Number of distinct units in the plan.
    pub tests: usize,
    /// How many of them have an estimated (not recorded) duration.
    pub estimated_tests: usize,
    /// No split into `workers` groups can have a slowest group below this.
    pub lower_bound_seconds: f64,
    /// Predicted seconds of the slowest group.
    pub predicted_seconds: f64,
    /// Predicted seconds of all units together.
    pub total_seconds: f64,
    /// Per-job overhead used in the predictions.
    pub job_overhead_seconds: f64,
    /// `predicted_seconds + job_overhead_seconds`: when the last job is expected to finish.
    pub predicted_wall_seconds: f64,
    /// `total_seconds + workers × job_overhead_seconds`: the runner time paid for.
    pub job_seconds: f64,
    /// The groups, `index` 1 to `workers`, heaviest first.
    pub groups: Vec<Group>,
    /// The chosen worker count and a few neighbours (and 1), ascending, for comparison.
    pub candidates: Vec<Candidate>,
    /// How `auto` chose; `None` (JSON `null`) for a fixed worker count.
    pub auto: Option<AutoChoice>,
    /// Things the user should know (shrunk worker count, duplicate or invalid units, ...).
    pub warnings: Vec<String>,
}

/// One group: the units one job runs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Group {
    /// 1-based job index.
    pub index: usize,
    /// Unit ids, in input order.
    pub tests: Vec<String>,
    /// Predicted seconds of this group's units.
    pub predicted_seconds: f64,
    /// How many of them have estimated durations.
    pub estimated_tests: usize,
}

/// The predictions for one worker count.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Candidate {
    /// The worker count.
    pub workers: usize,
    /// Predicted seconds of the slowest group.
    pub predicted_seconds: f64,
    /// `predicted_seconds` + job overhead.
    pub wall_seconds: f64,
    /// Total seconds + `workers` × job overhead.
    pub job_seconds: f64,
}

/// How `auto` chose the worker count.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AutoChoice {
    /// The wall-time target.
    pub target_seconds: f64,
    /// The most workers considered (as requested; fewer units lower it further).
    pub max_workers: usize,
    /// One sentence: what was chosen and why.
    pub reason: String,
}

/// Seconds rounded to milliseconds (and never `-0`), for stable, compact JSON.
fn ms(x: f64) -> f64 {
    let r = (x * 1000.0).round() / 1000.0;
    if r == 0.0 {
        0.0
    } else {
        r
    }
}

/// Seconds for a sentence: whole seconds from 100 s, else one or two decimals.
fn secs(x: f64) -> String {
    if x >= 100.0 {
        format!("{x:.0}")
    } else if x >= 10.0 {
        format!("{x:.1}")
    } else {
        format!("{x:.2}")
    }
}

/// The unit's name by granularity, singular and plural.
fn unit_names(g: Granularity) -> (&'static str, &'static str) {
    match g {
        Granularity::File => ("test file", "test files"),
        Granularity::Suite => ("test suite", "test suites"),
        Granularity::Test => ("test", "tests"),
    }
}

/// "3 test files" / "1 test file".
fn units_noun(count: usize, g: Granularity) -> String {
    let (one, many) = unit_names(g);
    format!("{count} {}", if count == 1 { one } else { many })
}

/// Collects warnings of one kind, listing the first [`MAX_WARNINGS_PER_KIND`] and counting the rest.
struct WarningList {
    listed: Vec<String>,
    more: usize,
}

impl WarningList {
    fn new() -> Self {
        WarningList {
            listed: Vec::new(),
            more: 0,
        }
    }

    fn push(&mut self, message: String) {
        if self.listed.len() < MAX_WARNINGS_PER_KIND {
            self.listed.push(message);
        } else {
            self.more += 1;
        }
    }

    fn finish(self, out: &mut Vec<String>, what: &str) {
        out.extend(self.listed);
        if self.more > 0 {
            out.push(format!("{} more {what} not listed", self.more));
        }
    }
}

/// Makespans per worker count, each computed once, at two levels of effort: `quick` (local search, no exact
/// search) to find the worker count, `full` (the caller's budget) for the chosen count and the listed candidates.
struct Evaluator<'a> {
    prepared: &'a Prepared,
    quick_budget: Budget,
    full_budget: &'a Budget,
    quick: BTreeMap<usize, f64>,
    full: BTreeMap<usize, f64>,
    /// Plain LPT makespans (an upper bound for both of the above).
    lpt: BTreeMap<usize, f64>,
    /// The last full-budget partition, so the chosen one is not computed twice (one kept: they can be large).
    last: Option<(usize, Partition)>,
}

impl<'a> Evaluator<'a> {
    fn new(prepared: &'a Prepared, budget: &'a Budget) -> Self {
        let quick_budget = Budget {
            exact_max_items: 0,
            ..budget.clone()
        };
        Evaluator {
            prepared,
            quick_budget,
            full_budget: budget,
            quick: BTreeMap::new(),
            full: BTreeMap::new(),
            lpt: BTreeMap::new(),
            last: None,
        }
    }

    /// The makespan for the search (never below the full one, which refines further).
    fn makespan(&mut self, n: usize) -> f64 {
        if let Some(&m) = self.full.get(&n).or_else(|| self.quick.get(&n)) {
            return m;
        }
        let m = self.prepared.partition(n, &self.quick_budget).makespan();
        self.quick.insert(n, m);
        m
    }

    /// Whether `n` workers can keep the slowest group within `limit`, cheapest test first: the lower bound says
    /// no, plain LPT (no local search) says yes, else the refined makespan decides.
    fn meets(&mut self, n: usize, limit: f64) -> bool {
        if self.prepared.lower_bound(n) > limit {
            return false;
        }
        if let Some(&m) = self.full.get(&n).or_else(|| self.quick.get(&n)) {
            return m <= limit;
        }
        let prepared = self.prepared;
        let lpt = *self
            .lpt
            .entry(n)
            .or_insert_with(|| prepared.lpt(n).makespan());
        lpt <= limit || self.makespan(n) <= limit
    }

    /// The makespan with the full budget: what the plan reports.
    fn full_makespan(&mut self, n: usize) -> f64 {
        if let Some(&m) = self.full.get(&n) {
            return m;
        }
        let p = self.prepared.partition(n, self.full_budget);
        let m = p.makespan();
        self.full.insert(n, m);
        self.last = Some((n, p));
        m
    }

    /// The full-budget partition for `n`.
    fn full_partition(&mut self, n: usize) -> Partition {
        match self.last.take() {
            Some((k, p)) if k == n => p,
            _ => {
                let p = self.prepared.partition(n, self.full_budget);
                self.full.insert(n, p.makespan());
                p
            }
        }
    }

    /// The smallest `n` in `1..=cap` whose refined makespan is ≤ `limit`, or `None`.
    ///
    /// The lower bound is non-increasing in `n`, so the counts it allows form a suffix `lo..=cap`, found in
    /// `O(cap)`. The first few of them are tried in order (the usual answer is `lo` or `lo + 1`, because the
    /// refined makespan is within a small fraction of the bound); after that a binary search assumes the makespan
    /// is non-increasing in `n` (true up to rare small wiggles). At most `4 + log₂ 256 + 1` probes, each an LPT
    /// run and, only when LPT misses the limit but the bound allows it, a local search.
    fn smallest_meeting(&mut self, cap: usize, limit: f64) -> Option<usize> {
        let lo = (1..=cap).find(|&n| self.prepared.lower_bound(n) <= limit)?;
        let linear_end = cap.min(lo + AUTO_LINEAR_STEPS - 1);
        for n in lo..=linear_end {
            if self.meets(n, limit) {
                return Some(n);
            }
        }
        if linear_end == cap || !self.meets(cap, limit) {
            return None;
        }
        // Invariant: `bad` does not meet the limit, `good` does.
        let (mut bad, mut good) = (linear_end, cap);
        while good - bad > 1 {
            let mid = bad + (good - bad) / 2;
            if self.meets(mid, limit) {
                good = mid;
            } else {
                bad = mid;
            }
        }
        Some(good)
    }

    /// The chosen count and its neighbours `n-2..=n+2`, plus 1, within `1..=cap`, ascending.
    fn candidates(n: usize, cap: usize) -> Vec<usize> {
        let mut set: BTreeSet<usize> = (n.saturating_sub(2).max(1)..=(n + 2).min(cap)).collect();
        set.insert(1);
        set.into_iter().collect()
    }

    /// After the (quick, monotonicity-assuming) search chose `n`: if a smaller listed neighbour meets `limit` with
    /// the full budget, take it, so the plan never lists a smaller candidate that would have met the target.
    fn settle(&mut self, mut n: usize, cap: usize, limit: f64) -> usize {
        loop {
            let smaller = Self::candidates(n, cap)
                .into_iter()
                .filter(|&c| c < n)
                .find(|&c| self.full_makespan(c) <= limit);
            match smaller {
                Some(c) => n = c,
                None => return n,
            }
        }
    }
}

/// Builds the plan for `units` (already at the plan's granularity) with their predicted `seconds` and whether each
/// duration is `estimated` (true) or recorded (false).
///
/// * **Validation.** Options are validated first ([`PlanOptions::validate`]). The three slices must have the same
///   length (else an error naming input `tests`); more than [`MAX_TESTS`] units is a limit error. A unit id listed
///   twice is kept once (first occurrence) with a warning; a duration that is negative, NaN or infinite counts as
///   0 s with a warning, one above [`MAX_UNIT_SECONDS`] as that (with a warning), so every sum stays finite. Neither fails the build: a bad duration only makes the split less balanced.
/// * **No units.** The plan has `workers: 0`, no groups, no candidates and a warning. This is not an error here:
///   whether "nothing to run" is a mistake (a glob that matched nothing) or expected (no timing data yet, tests
///   taken from timings) is the caller's call, and GitHub rejects an empty matrix, so the action must decide what
///   single job, if any, to emit.
/// * **Fixed N.** More workers than units → as many workers as units, with a warning
///   ("4 workers requested but only 3 test files; using 3").
/// * **Auto.** For `n` in `1..=min(max_workers, units)`, the predicted wall time is the refined makespan plus the
///   job overhead. The smallest `n` whose wall time meets the target wins. If none does, the smallest `n` within
///   [`WALL_TIE_FRACTION`] of the lowest wall time found wins. Cost: one sort of the weights, then `O(cap)` for the
///   lower bounds and about a dozen partitions (a few in order, a binary search, the listed neighbours) instead of
///   `cap` of them — see `Evaluator::smallest_meeting`.
/// * **The split.** For the chosen `n`: when some durations are estimated and some recorded,
///   [`crate::partition::partition_hedged`] (estimated units spread over the groups, a group with estimated work
///   gets a little less recorded work); otherwise [`crate::partition::partition`]. The worker count is chosen on
///   the plain partition's makespans; the chosen count's entry in `candidates` is the plan's own prediction.
pub fn build(
    units: &[TestKey],
    seconds: &[f64],
    estimated: &[bool],
    opts: &PlanOptions,
) -> Result<Plan> {
    opts.validate()?;
    if seconds.len() != units.len() || estimated.len() != units.len() {
        return Err(Error::input(
            "tests",
            format!(
                "internal error: {} tests but {} durations and {} estimate flags",
                units.len(),
                seconds.len(),
                estimated.len()
            ),
        ));
    }
    if units.len() > MAX_TESTS {
        return Err(Error::limit(
            format!("the list of {} tests", units.len()),
            format!("{MAX_TESTS} tests"),
        ));
    }

    let mut warnings = Vec::new();
    let (keep, weights) = dedupe_and_clean(units, seconds, &mut warnings);
    let ids: Vec<&str> = keep.iter().map(|&i| units[i].id.as_str()).collect();
    let flags: Vec<bool> = keep.iter().map(|&i| estimated[i]).collect();
    let m = ids.len();
    let oh = opts.job_overhead_seconds;
    let requested_workers = opts.workers.requested();
    let estimated_tests = flags.iter().filter(|&&e| e).count();

    if m == 0 {
        warnings.push("no tests to split: the plan has no groups".to_string());
        let auto = match opts.workers {
            Workers::Fixed(_) => None,
            Workers::Auto {
                target_seconds,
                max_workers,
            } => Some(AutoChoice {
                target_seconds,
                max_workers,
                reason: "no tests to split".to_string(),
            }),
        };
        return Ok(Plan {
            version: PLAN_VERSION,
            workers: 0,
            requested_workers,
            granularity: opts.granularity,
            tests: 0,
            estimated_tests: 0,
            lower_bound_seconds: 0.0,
            predicted_seconds: 0.0,
            total_seconds: 0.0,
            job_overhead_seconds: ms(oh),
            predicted_wall_seconds: 0.0,
            job_seconds: 0.0,
            groups: Vec::new(),
            candidates: Vec::new(),
            auto,
            warnings,
        });
    }

    let prepared = Prepared::new(&weights);
    let mut eval = Evaluator::new(&prepared, &opts.budget);
    let (n, cap, auto) = match opts.workers {
        Workers::Fixed(k) => {
            if k > m {
                warnings.push(format!(
                    "{k} workers requested but only {}; using {m}",
                    units_noun(m, opts.granularity)
                ));
            }
            (k.min(m), MAX_WORKERS.min(m), None)
        }
        Workers::Auto {
            target_seconds,
            max_workers,
        } => {
            let cap = max_workers.min(m);
            let (n, reason) = choose_auto(
                &mut eval,
                cap,
                target_seconds,
                oh,
                max_workers,
                opts.granularity,
            );
            (
                n,
                cap,
                Some(AutoChoice {
                    target_seconds,
                    max_workers,
                    reason,
                }),
            )
        }
    };

    // Estimated durations are spread over the groups (see `partition::partition_hedged`); with none, or only
    // estimated ones, this is the same partition the worker-count search measured.
    let partition = if flags.iter().any(|&e| e) {
        prepared.partition_hedged(&flags, n, &opts.budget, crate::partition::HEDGE)
    } else {
        eval.full_partition(n)
    };
    let groups = make_groups(&partition, &ids, &flags);
    // Equal to `n`: `partition` leaves no group empty when n ≤ units. Counting the groups keeps the plan valid
    // even if that promise were ever broken.
    let n = groups.len();
    let candidates = Evaluator::candidates(n, cap)
        .into_iter()
        .map(|c| {
            let p = if c == n {
                partition.makespan()
            } else {
                eval.full_makespan(c)
            };
            Candidate {
                workers: c,
                predicted_seconds: ms(p),
                wall_seconds: ms(p + oh),
                job_seconds: ms(prepared.total() + c as f64 * oh),
            }
        })
        .collect();
    let predicted = partition.makespan();
    Ok(Plan {
        version: PLAN_VERSION,
        workers: n,
        requested_workers,
        granularity: opts.granularity,
        tests: m,
        estimated_tests,
        // No split beats the bound, so `predicted` ≥ it in exact arithmetic; summing the same loads in another
        // order can leave `predicted` a rounding error below (both ~1.0015 s → 1.001 vs 1.002 after `ms`).
        // Clamping removes only that noise, so the plan never shows a prediction below its own bound.
        lower_bound_seconds: ms(prepared.lower_bound(n).min(predicted)),
        predicted_seconds: ms(predicted),
        total_seconds: ms(prepared.total()),
        job_overhead_seconds: ms(oh),
        predicted_wall_seconds: ms(predicted + oh),
        job_seconds: ms(prepared.total() + n as f64 * oh),
        groups,
        candidates,
        auto,
        warnings,
    })
}

/// Indices of the units to keep (first occurrence of each id, input order) and their cleaned seconds.
fn dedupe_and_clean(
    units: &[TestKey],
    seconds: &[f64],
    warnings: &mut Vec<String>,
) -> (Vec<usize>, Vec<f64>) {
    // Membership only, never iterated, so the hash order cannot leak into the plan.
    let mut seen: FxHashSet<&str> =
        FxHashSet::with_capacity_and_hasher(units.len(), Default::default());
    let mut duplicates = WarningList::new();
    let mut invalid = WarningList::new();
    let mut keep = Vec::with_capacity(units.len());
    let mut weights = Vec::with_capacity(units.len());
    for (i, (unit, &s)) in units.iter().zip(seconds).enumerate() {
        if !seen.insert(unit.id.as_str()) {
            duplicates.push(format!(
                "test `{}` is listed more than once; it runs once",
                printable(&unit.id, MAX_QUOTED_CHARS)
            ));
            continue;
        }
        let w = if s.is_finite() && s > MAX_UNIT_SECONDS {
            // Defence in depth: the parsers and the store cap each sample, so only a bug upstream gets here; the
            // cap keeps every sum of the plan finite.
            invalid.push(format!(
                "test `{}` has a duration of {s:e} s, above the limit of {MAX_UNIT_SECONDS} s; counted as \
                 {MAX_UNIT_SECONDS} s",
                printable(&unit.id, MAX_QUOTED_CHARS)
            ));
            MAX_UNIT_SECONDS
        } else if s.is_finite() && s >= 0.0 {
            s
        } else {
            invalid.push(format!(
                "test `{}` has an invalid duration ({s}); counted as 0 s",
                printable(&unit.id, MAX_QUOTED_CHARS)
            ));
            0.0
        };
        keep.push(i);
        weights.push(w);
    }
    duplicates.finish(warnings, "duplicate tests");
    invalid.finish(warnings, "invalid durations");
    (keep, weights)
}

/// Chooses the worker count for `auto` and says why.
fn choose_auto(
    eval: &mut Evaluator<'_>,
    cap: usize,
    target: f64,
    oh: f64,
    max_workers: usize,
    g: Granularity,
) -> (usize, String) {
    let plural = |n: usize| if n == 1 { "worker" } else { "workers" };
    let wall = |eval: &mut Evaluator<'_>, n: usize| {
        let p = eval.full_makespan(n);
        format!(
            "{} s = {} s tests + {} s overhead",
            secs(p + oh),
            secs(p),
            secs(oh)
        )
    };
    let limit = target - oh;
    if limit > 0.0 {
        if let Some(n) = eval.smallest_meeting(cap, limit) {
            let n = eval.settle(n, cap, limit);
            let reason = format!(
                "{n} {}: the smallest N whose predicted wall time ({}) meets the target of {} s",
                plural(n),
                wall(eval, n),
                secs(target)
            );
            return (n, reason);
        }
    }
    // Nothing meets the target: the lowest wall time found, then the smallest N within the tie fraction of it.
    eval.makespan(cap);
    let best = eval
        .quick
        .values()
        .chain(eval.full.values())
        .copied()
        .fold(f64::INFINITY, f64::min);
    let tie_limit = (best + oh) * (1.0 + WALL_TIE_FRACTION) - oh;
    let n = match eval.smallest_meeting(cap, tie_limit) {
        Some(n) => eval.settle(n, cap, tie_limit),
        // Only if the makespan curve wiggles: the evaluated count with the lowest makespan (smallest on ties).
        None => {
            let evaluated: BTreeSet<usize> =
                eval.quick.keys().chain(eval.full.keys()).copied().collect();
            let mut pick = (cap, f64::INFINITY);
            for n in evaluated {
                let p = eval.makespan(n);
                if p < pick.1 {
                    pick = (n, p);
                }
            }
            pick.0
        }
    };
    let why = if limit <= 0.0 {
        format!(
            "the job overhead alone ({} s) reaches the target of {} s",
            secs(oh),
            secs(target)
        )
    } else {
        let upto = if cap < max_workers {
            format!("{cap} (one per {})", unit_names(g).0)
        } else {
            cap.to_string()
        };
        format!("no N up to {upto} meets the target of {} s", secs(target))
    };
    let reason = format!(
        "{n} {}: {why}; {n} is the smallest N within {} % of the lowest predicted wall time ({})",
        plural(n),
        WALL_TIE_FRACTION * 100.0,
        wall(eval, n)
    );
    (n, reason)
}

/// Groups in the plan's order: heaviest first, equal loads by first unit in input order; units in input order.
fn make_groups(p: &Partition, ids: &[&str], flags: &[bool]) -> Vec<Group> {
    let mut members = p.groups();
    members.retain(|g| !g.is_empty());
    let load = |items: &[usize]| {
        items
            .first()
            .and_then(|&i| p.assignment.get(i))
            .map_or(0.0, |&g| p.loads[g])
    };
    members.sort_by(|a, b| load(b).total_cmp(&load(a)).then(a.first().cmp(&b.first())));
    members
        .into_iter()
        .enumerate()
        .map(|(k, items)| Group {
            index: k + 1,
            predicted_seconds: ms(load(&items)),
            estimated_tests: items.iter().filter(|&&i| flags[i]).count(),
            tests: items.iter().map(|&i| ids[i].to_string()).collect(),
        })
        .collect()
}

impl Plan {
    /// Checks the promises the action relies on, against the units the plan was built from: every distinct unit
    /// id in exactly one group and nothing else; no empty group; indices `1..=workers` in order; `workers` ≤ 256
    /// and 0 only without units; counts and seconds consistent (group seconds sum to the total within rounding,
    /// the plan's prediction is the slowest group's, not below the lower bound). The error says what is wrong.
    pub fn check_invariants(&self, units: &[TestKey]) -> Result<()> {
        let fail = |what: String| {
            Err(Error::input(
                "tests",
                format!("internal error: inconsistent plan: {what}"),
            ))
        };
        let wanted: BTreeSet<&str> = units.iter().map(|u| u.id.as_str()).collect();
        if self.tests != wanted.len() {
            return fail(format!(
                "`tests` is {} but there are {} distinct tests",
                self.tests,
                wanted.len()
            ));
        }
        if self.workers != self.groups.len() {
            return fail(format!(
                "{} workers but {} groups",
                self.workers,
                self.groups.len()
            ));
        }
        if self.workers > MAX_WORKERS || (self.workers == 0) != wanted.is_empty() {
            return fail(format!(
                "{} workers for {} tests",
                self.workers,
                wanted.len()
            ));
        }
        let mut seen: BTreeSet<&str> = BTreeSet::new();
        let (mut sum, mut slowest, mut estimated) = (0.0, 0.0_f64, 0);
        for (k, group) in self.groups.iter().enumerate() {
            if group.index != k + 1 {
                return fail(format!("group {} has index {}", k + 1, group.index));
            }
            if group.tests.is_empty() {
                return fail(format!("group {} is empty", group.index));
            }
            if group.estimated_tests > group.tests.len() {
                return fail(format!(
                    "group {} has more estimated tests than tests",
                    group.index
                ));
            }
            for id in &group.tests {
                if !wanted.contains(id.as_str()) {
                    return fail(format!("group {} has an unknown test `{id}`", group.index));
                }
                if !seen.insert(id.as_str()) {
                    return fail(format!("test `{id}` is in more than one place"));
                }
            }
            sum += group.predicted_seconds;
            slowest = slowest.max(group.predicted_seconds);
            estimated += group.estimated_tests;
        }
        if let Some(missing) = wanted.difference(&seen).next() {
            return fail(format!("test `{missing}` is in no group"));
        }
        if estimated != self.estimated_tests {
            return fail(format!(
                "groups have {estimated} estimated tests, the plan says {}",
                self.estimated_tests
            ));
        }
        // Each group's seconds and the total are rounded to 1 ms separately.
        let tolerance = 0.001 * (self.groups.len() + 1) as f64 + 1e-9 * self.total_seconds;
        if (sum - self.total_seconds).abs() > tolerance {
            return fail(format!(
                "group seconds sum to {sum}, the total is {}",
                self.total_seconds
            ));
        }
        if self.predicted_seconds != slowest {
            return fail(format!(
                "predicted {} s but the slowest group has {slowest} s",
                self.predicted_seconds
            ));
        }
        if self.predicted_seconds < self.lower_bound_seconds {
            return fail(format!(
                "predicted {} s is below the lower bound {}",
                self.predicted_seconds, self.lower_bound_seconds
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(ids: &[&str]) -> Vec<TestKey> {
        ids.iter().map(|id| TestKey::file_only(*id)).collect()
    }

    fn opts(workers: Workers, overhead: f64) -> PlanOptions {
        PlanOptions::new(workers, overhead, Granularity::File)
    }

    fn input_error(err: &Error) -> (&str, &str) {
        match err.kind() {
            crate::ErrorKind::Input { name, message } => (name.as_str(), message.as_str()),
            other => panic!("expected an input error, got {other:?}"),
        }
    }

    #[test]
    fn requested_workers_successes() {
        let cases = [
            ("auto", RequestedWorkers::Auto),
            (" AUTO\n", RequestedWorkers::Auto),
            ("1", RequestedWorkers::Fixed(1)),
            (" 256 ", RequestedWorkers::Fixed(256)),
            ("4\n", RequestedWorkers::Fixed(4)),
        ];
        for (input, want) in cases {
            assert_eq!(
                input.parse::<RequestedWorkers>().ok(),
                Some(want),
                "{input:?}"
            );
        }
    }

    #[test]
    fn requested_workers_failures() {
        for input in [
            "0",
            "257",
            "-1",
            "2.5",
            "",
            " ",
            "many",
            "auto4",
            "1e2",
            "99999999999999999999999",
        ] {
            let err = input
                .parse::<RequestedWorkers>()
                .err()
                .unwrap_or_else(|| panic!("{input:?} parsed"));
            let (name, message) = input_error(&err);
            assert_eq!(name, "workers");
            assert_eq!(
                message,
                format!("expected a number from 1 to 256 or `auto`, got `{input}`")
            );
        }
        assert_eq!(
            "0".parse::<RequestedWorkers>()
                .err()
                .map(|e| e.to_string())
                .as_deref(),
            Some("input `workers`: expected a number from 1 to 256 or `auto`, got `0`")
        );
    }

    #[test]
    fn workers_parse_validates_what_is_used() {
        let ok = [
            (
                "auto",
                300.0,
                256,
                Workers::Auto {
                    target_seconds: 300.0,
                    max_workers: 256,
                },
            ),
            (
                "auto",
                0.5,
                1,
                Workers::Auto {
                    target_seconds: 0.5,
                    max_workers: 1,
                },
            ),
            (
                "auto",
                MAX_TARGET_SECONDS,
                2,
                Workers::Auto {
                    target_seconds: MAX_TARGET_SECONDS,
                    max_workers: 2,
                },
            ),
            // A fixed count does not use the auto settings, so they are not checked.
            ("3", f64::NAN, 0, Workers::Fixed(3)),
        ];
        for (w, t, m, want) in ok {
            assert_eq!(Workers::parse(w, t, m).ok(), Some(want), "{w} {t} {m}");
        }
        let bad: [(&str, f64, usize, &str); 9] = [
            ("0", 300.0, 256, "workers"),
            ("auto", 0.0, 256, "target-seconds"),
            ("auto", MAX_TARGET_SECONDS + 1.0, 256, "target-seconds"),
            ("auto", 1e308, 256, "target-seconds"),
            ("auto", -5.0, 256, "target-seconds"),
            ("auto", f64::NAN, 256, "target-seconds"),
            ("auto", f64::INFINITY, 256, "target-seconds"),
            ("auto", 300.0, 0, "max-workers"),
            ("auto", 300.0, 257, "max-workers"),
        ];
        for (w, t, m, want) in bad {
            let err = Workers::parse(w, t, m)
                .err()
                .unwrap_or_else(|| panic!("{w} {t} {m} accepted"));
            assert_eq!(input_error(&err).0, want, "{w} {t} {m}");
        }
        let err = Workers::parse("auto", -5.0, 256)
            .err()
            .map(|e| e.to_string());
        assert_eq!(
            err.as_deref(),
            Some(
                "input `target-seconds`: expected a number of seconds greater than 0 and at most 604800 (a week), \
                 got `-5`"
            )
        );
    }

    #[test]
    fn options_validation() {
        let good = [0.0, 60.0, 1e-9, MAX_JOB_OVERHEAD_SECONDS];
        for o in good {
            assert!(opts(Workers::Fixed(2), o).validate().is_ok(), "{o}");
        }
        let bad = [-1.0, f64::NAN, f64::INFINITY, 86_400.5, 1e308];
        for o in bad {
            let err = opts(Workers::Fixed(2), o)
                .validate()
                .err()
                .unwrap_or_else(|| panic!("{o} accepted"));
            assert_eq!(input_error(&err).0, "job-overhead-seconds");
        }
        let err = build(&[], &[], &[], &opts(Workers::Fixed(0), 0.0))
            .err()
            .map(|e| e.to_string());
        assert_eq!(
            err.as_deref(),
            Some("input `workers`: expected a number from 1 to 256 or `auto`, got `0`")
        );
    }

    #[test]
    fn fixed_split_orders_groups_and_keeps_input_order() {
        let units = keys(&["a", "b", "c", "d", "e"]);
        let plan = build(
            &units,
            &[1.0, 5.0, 2.0, 4.0, 3.0],
            &[false, true, false, false, true],
            &opts(Workers::Fixed(2), 10.0),
        )
        .unwrap_or_else(|e| panic!("{e}"));
        plan.check_invariants(&units)
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(plan.workers, 2);
        assert_eq!(plan.requested_workers, RequestedWorkers::Fixed(2));
        assert!(plan.auto.is_none());
        assert_eq!((plan.tests, plan.estimated_tests), (5, 2));
        assert_eq!(plan.total_seconds, 15.0);
        assert_eq!(plan.lower_bound_seconds, 7.5);
        // 15 into two groups: 8 + 7 is optimal; the heavier group is index 1.
        assert_eq!(plan.predicted_seconds, 8.0);
        assert_eq!(plan.groups[0].predicted_seconds, 8.0);
        assert_eq!(plan.groups[1].predicted_seconds, 7.0);
        assert_eq!(plan.predicted_wall_seconds, 18.0);
        assert_eq!(plan.job_seconds, 35.0);
        for g in &plan.groups {
            let mut sorted = g.tests.clone();
            sorted.sort();
            assert_eq!(
                g.tests, sorted,
                "input order kept (ids are in input order here)"
            );
        }
        let workers: Vec<usize> = plan.candidates.iter().map(|c| c.workers).collect();
        assert_eq!(workers, vec![1, 2, 3, 4]);
        assert_eq!(plan.candidates[0].predicted_seconds, 15.0);
        assert_eq!(plan.candidates[0].job_seconds, 25.0);
        assert_eq!(plan.candidates[1].predicted_seconds, 8.0);
        assert!(plan.warnings.is_empty(), "{:?}", plan.warnings);
    }

    #[test]
    fn estimated_units_are_spread_over_the_groups() {
        // The plain partition would put both estimated units (a, d) in one group ({a, d, e} | {b, c, f}); the
        // plan spreads them at the same predicted makespan. With the same seconds all recorded, or all estimated,
        // the plain partition's groups come back.
        let units = keys(&["a", "b", "c", "d", "e", "f"]);
        let seconds = [2.0, 3.0, 3.0, 6.0, 4.0, 6.0];
        let group_of = |plan: &Plan, id: &str| {
            plan.groups
                .iter()
                .position(|g| g.tests.iter().any(|t| t == id))
        };
        let cases: [(&[bool], bool); 3] = [
            (&[true, false, false, true, false, false], false),
            (&[false; 6], true),
            (&[true; 6], true),
        ];
        for (estimated, together) in cases {
            let plan = build(&units, &seconds, estimated, &opts(Workers::Fixed(2), 0.0))
                .unwrap_or_else(|e| panic!("{e}"));
            plan.check_invariants(&units)
                .unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(plan.predicted_seconds, 12.0);
            assert_eq!(
                group_of(&plan, "a") == group_of(&plan, "d"),
                together,
                "estimated {estimated:?}: {:?}",
                plan.groups
            );
            let counts: Vec<usize> = plan.groups.iter().map(|g| g.estimated_tests).collect();
            let want = estimated.iter().filter(|&&e| e).count();
            assert_eq!(counts.iter().sum::<usize>(), want);
        }
    }

    #[test]
    fn more_workers_than_units_shrinks_with_a_warning() {
        let cases = [
            (
                Granularity::File,
                3,
                "4 workers requested but only 3 test files; using 3",
            ),
            (
                Granularity::Test,
                1,
                "4 workers requested but only 1 test; using 1",
            ),
            (
                Granularity::Suite,
                2,
                "4 workers requested but only 2 test suites; using 2",
            ),
        ];
        for (g, count, warning) in cases {
            let ids: Vec<String> = (0..count).map(|i| format!("t{i}")).collect();
            let units: Vec<TestKey> = ids
                .iter()
                .map(|id| TestKey::file_only(id.clone()))
                .collect();
            let plan = build(
                &units,
                &vec![1.0; count],
                &vec![false; count],
                &PlanOptions::new(Workers::Fixed(4), 0.0, g),
            )
            .unwrap_or_else(|e| panic!("{e}"));
            plan.check_invariants(&units)
                .unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(plan.workers, count);
            assert_eq!(plan.warnings, vec![warning.to_string()]);
        }
    }

    #[test]
    fn no_units_gives_an_empty_plan() {
        for workers in [
            Workers::Fixed(3),
            Workers::Auto {
                target_seconds: 60.0,
                max_workers: 8,
            },
        ] {
            let plan = build(&[], &[], &[], &opts(workers, 30.0)).unwrap_or_else(|e| panic!("{e}"));
            plan.check_invariants(&[]).unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(plan.workers, 0);
            assert!(plan.groups.is_empty() && plan.candidates.is_empty());
            assert_eq!(
                plan.warnings,
                vec!["no tests to split: the plan has no groups".to_string()]
            );
            assert_eq!(plan.auto.is_some(), matches!(workers, Workers::Auto { .. }));
        }
    }

    #[test]
    fn duplicates_and_invalid_seconds_are_warnings() {
        let units = keys(&["a", "b", "a", "c", "d", "e\n::x", "e\n::x", "f", "g"]);
        let plan = build(
            &units,
            &[2.0, f64::NAN, 9.0, -1.0, 1.0, 0.0, 0.0, 1e308, f64::MAX],
            &[false; 9],
            &opts(Workers::Fixed(2), 0.0),
        )
        .unwrap_or_else(|e| panic!("{e}"));
        plan.check_invariants(&units)
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(plan.tests, 7);
        assert_eq!(
            plan.total_seconds,
            3.0 + 2.0 * MAX_UNIT_SECONDS,
            "first `a` (2 s) kept; NaN and -1 count as 0; 1e308 and f64::MAX count as the cap"
        );
        for x in [plan.predicted_wall_seconds, plan.job_seconds] {
            assert!(x.is_finite(), "{x}");
        }
        assert_eq!(
            plan.warnings,
            vec![
                "test `a` is listed more than once; it runs once".to_string(),
                "test `e\u{FFFD}::x` is listed more than once; it runs once".to_string(),
                "test `b` has an invalid duration (NaN); counted as 0 s".to_string(),
                "test `c` has an invalid duration (-1); counted as 0 s".to_string(),
                format!(
                    "test `f` has a duration of 1e308 s, above the limit of 2000000000000 s; counted as \
                     2000000000000 s"
                ),
                format!(
                    "test `g` has a duration of 1.7976931348623157e308 s, above the limit of 2000000000000 s; \
                     counted as 2000000000000 s"
                ),
            ]
        );
    }

    #[test]
    fn many_warnings_are_summarised() {
        let units: Vec<TestKey> = (0..30).map(|_| TestKey::file_only("same")).collect();
        let plan = build(
            &units,
            &[1.0; 30],
            &[false; 30],
            &opts(Workers::Fixed(1), 0.0),
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(plan.warnings.len(), MAX_WARNINGS_PER_KIND + 1);
        assert_eq!(
            plan.warnings.last().map(String::as_str),
            Some("9 more duplicate tests not listed")
        );
    }

    #[test]
    fn build_failures() {
        let units = keys(&["a", "b"]);
        let cases: [(&[f64], &[bool]); 3] = [
            (&[1.0], &[false, false]),
            (&[1.0, 2.0], &[false]),
            (&[], &[]),
        ];
        for (secs, flags) in cases {
            let err = build(&units, secs, flags, &opts(Workers::Fixed(1), 0.0))
                .err()
                .unwrap_or_else(|| panic!("accepted"));
            assert_eq!(input_error(&err).0, "tests");
        }
    }

    #[test]
    fn auto_takes_the_smallest_n_meeting_the_target() {
        // Ten 10 s files, 5 s overhead: a wall of ≤ 30 s needs ≤ 2 files a group → 5 workers.
        let ids: Vec<String> = (0..10).map(|i| format!("f{i}")).collect();
        let units: Vec<TestKey> = ids
            .iter()
            .map(|id| TestKey::file_only(id.clone()))
            .collect();
        let cases = [
            (30.0, 5, "5 workers: the smallest N whose predicted wall time (25.0 s = 20.0 s tests + 5.00 s overhead) meets the target of 30.0 s"),
            (105.0, 1, "1 worker: the smallest N whose predicted wall time (105 s = 100 s tests + 5.00 s overhead) meets the target of 105 s"),
            (15.0, 10, "10 workers: the smallest N whose predicted wall time (15.0 s = 10.0 s tests + 5.00 s overhead) meets the target of 15.0 s"),
        ];
        for (target, want, reason) in cases {
            let o = opts(
                Workers::Auto {
                    target_seconds: target,
                    max_workers: 256,
                },
                5.0,
            );
            let plan =
                build(&units, &[10.0; 10], &[false; 10], &o).unwrap_or_else(|e| panic!("{e}"));
            plan.check_invariants(&units)
                .unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(plan.workers, want, "target {target}");
            assert_eq!(plan.auto.as_ref().map(|a| a.reason.as_str()), Some(reason));
            assert_eq!(plan.requested_workers, RequestedWorkers::Auto);
            // Candidates: chosen, neighbours, 1; none smaller than the chosen one meets the target.
            assert!(plan.candidates.iter().any(|c| c.workers == want));
            assert!(plan
                .candidates
                .iter()
                .filter(|c| c.workers < want)
                .all(|c| c.wall_seconds > target));
        }
    }

    #[test]
    fn auto_without_a_feasible_n_takes_the_smallest_near_best() {
        // One 100 s file dominates: the best wall is 100 s + overhead from N = 2 on (the rest fits beside it).
        let units = keys(&["big", "a", "b", "c", "d"]);
        let secs = [100.0, 20.0, 20.0, 20.0, 20.0];
        let o = opts(
            Workers::Auto {
                target_seconds: 50.0,
                max_workers: 4,
            },
            10.0,
        );
        let plan = build(&units, &secs, &[false; 5], &o).unwrap_or_else(|e| panic!("{e}"));
        plan.check_invariants(&units)
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(plan.workers, 2);
        assert_eq!(
            plan.auto.map(|a| a.reason),
            Some("2 workers: no N up to 4 meets the target of 50.0 s; 2 is the smallest N within 1 % of the lowest predicted wall time (110 s = 100 s tests + 10.0 s overhead)".to_string())
        );

        // The overhead alone exceeds the target; the cap is the number of units.
        let o = opts(
            Workers::Auto {
                target_seconds: 5.0,
                max_workers: 256,
            },
            10.0,
        );
        let plan = build(&units, &secs, &[false; 5], &o).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(plan.workers, 2);
        assert!(plan.auto.map(|a| a.reason).is_some_and(
            |r| r.contains("the job overhead alone (10.0 s) reaches the target of 5.00 s")
        ));

        // Equal files, nothing feasible: the cap wins, and the reason says why it is the cap.
        let units = keys(&["a", "b", "c"]);
        let o = opts(
            Workers::Auto {
                target_seconds: 1.0,
                max_workers: 8,
            },
            0.0,
        );
        let plan = build(&units, &[2.0; 3], &[false; 3], &o).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(plan.workers, 3);
        assert!(plan
            .auto
            .map(|a| a.reason)
            .is_some_and(|r| r.contains("no N up to 3 (one per test file) meets")));
    }

    #[test]
    fn a_perfect_split_is_never_shown_below_its_lower_bound() {
        // From the plan_path fuzz target: two groups of exactly 1.0015 s, summed in different orders.
        let w = [0.0005, 0.0005, 0.0005, 1.0, 0.0005, 1.0, 0.0005, 0.0005];
        let units: Vec<TestKey> = (0..w.len())
            .map(|i| TestKey::file_only(format!("t{i}")))
            .collect();
        let plan = build(&units, &w, &[false; 8], &opts(Workers::Fixed(2), 0.0))
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(
            plan.predicted_seconds >= plan.lower_bound_seconds,
            "{} < {}",
            plan.predicted_seconds,
            plan.lower_bound_seconds
        );
        plan.check_invariants(&units)
            .unwrap_or_else(|e| panic!("{e}"));
    }

    #[test]
    fn json_shape_and_rounding() {
        let units = keys(&["x", "y", "z"]);
        let o = opts(Workers::Fixed(2), 60.0);
        let plan = build(
            &units,
            &[0.1, 0.2, 0.30000000000000004],
            &[true, false, false],
            &o,
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let json = serde_json::to_string(&plan).unwrap_or_default();
        assert_eq!(
            json,
            concat!(
                r#"{"version":1,"workers":2,"requested_workers":2,"granularity":"file","tests":3,"estimated_tests":1,"#,
                r#""lower_bound_seconds":0.3,"predicted_seconds":0.3,"total_seconds":0.6,"job_overhead_seconds":60.0,"#,
                r#""predicted_wall_seconds":60.3,"job_seconds":120.6,"#,
                r#""groups":[{"index":1,"tests":["x","y"],"predicted_seconds":0.3,"estimated_tests":1},"#,
                r#"{"index":2,"tests":["z"],"predicted_seconds":0.3,"estimated_tests":0}],"#,
                r#""candidates":[{"workers":1,"predicted_seconds":0.6,"wall_seconds":60.6,"job_seconds":60.6},"#,
                r#"{"workers":2,"predicted_seconds":0.3,"wall_seconds":60.3,"job_seconds":120.6},"#,
                r#"{"workers":3,"predicted_seconds":0.3,"wall_seconds":60.3,"job_seconds":180.6}],"#,
                r#""auto":null,"warnings":[]}"#
            )
        );
        let back: Plan = serde_json::from_str(&json).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(back, plan);

        let o = opts(
            Workers::Auto {
                target_seconds: 300.0,
                max_workers: 256,
            },
            0.0,
        );
        let plan = build(&units, &[1.0; 3], &[false; 3], &o).unwrap_or_else(|e| panic!("{e}"));
        let value = serde_json::to_value(&plan).unwrap_or_default();
        assert_eq!(value["requested_workers"], "auto");
        assert_eq!(value["auto"]["max_workers"], 256);
        assert_eq!(value["auto"]["target_seconds"], 300.0);
    }

    #[test]
    fn check_invariants_catches_broken_plans() {
        let units = keys(&["a", "b", "c", "d"]);
        let good = build(
            &units,
            &[4.0, 3.0, 2.0, 1.0],
            &[false; 4],
            &opts(Workers::Fixed(2), 0.0),
        )
        .unwrap_or_else(|e| panic!("{e}"));
        good.check_invariants(&units)
            .unwrap_or_else(|e| panic!("{e}"));
        type Breaker = fn(&mut Plan);
        let breakers: [(&str, Breaker); 10] = [
            ("duplicate", |p| p.groups[1].tests.push("a".into())),
            ("missing", |p| {
                p.groups[0].tests.pop();
            }),
            ("unknown", |p| p.groups[0].tests.push("zz".into())),
            ("empty group", |p| {
                p.groups.push(Group {
                    index: 3,
                    tests: vec![],
                    predicted_seconds: 0.0,
                    estimated_tests: 0,
                });
                p.workers = 3;
            }),
            ("bad index", |p| p.groups[1].index = 5),
            ("worker count", |p| p.workers = 3),
            ("sum", |p| p.groups[1].predicted_seconds += 1.0),
            ("slowest", |p| p.predicted_seconds += 1.0),
            ("estimated", |p| p.estimated_tests = 1),
            ("tests count", |p| p.tests = 5),
        ];
        for (what, breaker) in breakers {
            let mut plan = good.clone();
            breaker(&mut plan);
            assert!(plan.check_invariants(&units).is_err(), "{what} not caught");
        }
        // Against other units.
        assert!(good.check_invariants(&keys(&["a", "b", "c"])).is_err());
        assert!(good
            .check_invariants(&keys(&["a", "b", "c", "d", "e"]))
            .is_err());
    }

    #[test]
    fn same_input_same_bytes() {
        let ids: Vec<String> = (0..500).map(|i| format!("tests/t{i}.py")).collect();
        let units: Vec<TestKey> = ids
            .iter()
            .map(|id| TestKey::file_only(id.clone()))
            .collect();
        let secs: Vec<f64> = (0..500)
            .map(|i| ((i * 7919) % 1000) as f64 / 37.0)
            .collect();
        let o = opts(
            Workers::Auto {
                target_seconds: 600.0,
                max_workers: 64,
            },
            45.0,
        );
        let a = serde_json::to_string(
            &build(&units, &secs, &vec![false; 500], &o).unwrap_or_else(|e| panic!("{e}")),
        );
        let b = serde_json::to_string(
            &build(&units, &secs, &vec![false; 500], &o).unwrap_or_else(|e| panic!("{e}")),
        );
        assert_eq!(a.ok(), b.ok());
    }
}
