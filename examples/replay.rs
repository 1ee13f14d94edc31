//! Replays the real timing histories in `shared/bench/history` to measure how well the store's statistic, the
//! estimates for new tests and the placement predict the next run.
//!
//! For every history and every k: versions 1..=k are recorded into a [`Store`] as runs, the tests of version k+1
//! are estimated with [`estimate_with`] at test granularity, planned as the product plans them ([`plan::build`]
//! with a fixed worker count: LPT, local search, exact search for tiny instances, estimated units spread by
//! `partition::partition_hedged`) into N ∈ {4, 8, 16, 32} groups, and the plan is scored with version k+1's true
//! durations: realized makespan / lower bound − 1 ("excess"). The baseline is what pytest-split does: LPT over
//! version k's times alone, unknown tests at the mean of the known ones. Each row gives, per history, the mean
//! excess %, the worst excess % and the ratio of the mean to the baseline's; then the worst and the mean ratio.
//!
//! ```text
//! cargo run --release --example replay                  # the chosen statistic and estimate vs the baseline
//! cargo run --release --example replay -- --candidates  # each candidate statistic, each estimate rule
//! cargo run --release --example replay -- --grid        # every statistic × every estimate rule (slow)
//! cargo run --release --example replay -- --oracles     # what perfect knowledge would reach (upper bounds)
//! cargo run --release --example replay -- --dir PATH    # another history folder (one sub-folder per suite)
//! cargo run --release --example replay -- --explore     # oracle floors and experimental rules (below)
//! cargo run --release --example replay -- --explore --worst  # + the tests behind the worst cases
//! cargo run --release --example replay -- --hedge       # the factor of partition_hedged, with placebo controls
//! cargo run --release --example replay -- --variance    # other uncertainty-aware placements (rejected)
//! cargo run --release --example replay -- --lpt         # our estimates planned with plain LPT instead
//! SHUFFLES=8 cargo run …  -- --explore    # each case also under 8 random test orders (LPT tie-breaks), averaged
//! DETAIL=ewma cargo run … -- --explore    # per-(k, N) excess of the explorations whose name contains `ewma`
//! ONLY=sibl cargo run … -- --explore      # only the rows whose name contains `sibl` (--explore: no oracles)
//! JITTER=64 cargo run …                   # each case also planned from 64 jittered estimates, averaged (`score`)
//! JITTER=64 JITTER_OFFSET=64 cargo run …  # other jitter draws: how far results move between draw sets
//! DIAG=1 cargo run … -- --hedge           # how concentrated the estimated seconds are per plan
//! ```
//!
//! Use `JITTER` to compare methods: one plan is a single draw of where the unforeseeable errors land, and on these
//! histories (hypha above all) two draws differ by more than most methods do.
//!
//! The history files are `{id: seconds}` JSON objects, read here with serde_json directly.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use timeshard::estimate::{estimate_with, name_tokens, EstimateOptions, PoolStat};
use timeshard::partition::{self, Budget};
use timeshard::plan::{self, PlanOptions, Workers};
use timeshard::report::Sample;
use timeshard::store::{RecordOptions, Statistic, Store};
use timeshard::{Granularity, TestKey};

const WORKERS: [usize; 4] = [4, 8, 16, 32];

struct History {
    name: String,
    versions: Vec<Vec<(TestKey, f64)>>,
}

fn load_histories(dir: &Path) -> Result<Vec<History>, String> {
    let mut suites: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| format!("{}: {e}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_dir())
        .collect();
    suites.sort();
    let mut out = Vec::new();
    for suite in suites {
        let mut files: Vec<PathBuf> = std::fs::read_dir(&suite)
            .map_err(|e| format!("{}: {e}", suite.display()))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "json"))
            .collect();
        files.sort();
        let mut versions = Vec::new();
        for f in files {
            let text = std::fs::read(&f).map_err(|e| format!("{}: {e}", f.display()))?;
            let map: BTreeMap<String, f64> =
                serde_json::from_slice(&text).map_err(|e| format!("{}: {e}", f.display()))?;
            versions.push(
                map.into_iter()
                    .map(|(id, s)| (TestKey::from_id(&id, &[]), s))
                    .collect(),
            );
        }
        let name = suite
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        if versions.len() >= 2 {
            out.push(History { name, versions });
        }
    }
    Ok(out)
}

/// Plain LPT: heaviest first (ties: lower index first) onto the least-loaded group (ties: lower group).
fn lpt(weights: &[f64], n: usize) -> Vec<usize> {
    let mut order: Vec<usize> = (0..weights.len()).collect();
    order.sort_by(|&a, &b| weights[b].total_cmp(&weights[a]).then(a.cmp(&b)));
    let mut loads = vec![0.0f64; n];
    let mut assignment = vec![0; weights.len()];
    for i in order {
        let mut g = 0;
        for (j, l) in loads.iter().enumerate() {
            if *l < loads[g] {
                g = j;
            }
        }
        loads[g] += weights[i];
        assignment[i] = g;
    }
    assignment
}

fn lower_bound(w: &[f64], n: usize) -> f64 {
    let mut s = w.to_vec();
    s.sort_by(|a, b| b.total_cmp(a));
    let total: f64 = s.iter().sum();
    let mut lb = (total / n as f64).max(s.first().copied().unwrap_or(0.0));
    if s.len() > n {
        lb = lb.max(s[n - 1] + s[n]);
    }
    lb
}

/// How a replayed plan is made from the estimates.
#[derive(Clone, Copy, PartialEq)]
enum Planner {
    /// Plain LPT (what pytest-split's `least_duration` does); the baseline always uses it.
    Lpt,
    /// What the product does: [`plan::build`] with a fixed worker count and the default budget (LPT + local search
    /// + exact search for tiny instances), told which durations are estimated.
    Product,
}

/// The planner for our methods: the product's unless `--lpt` is given.
fn planner() -> Planner {
    if std::env::args().any(|a| a == "--lpt") {
        Planner::Lpt
    } else {
        Planner::Product
    }
}

/// The group of each unit in a plan for `n` workers.
fn assign(
    planner: Planner,
    units: &[TestKey],
    est: &[f64],
    estimated: &[bool],
    n: usize,
) -> Vec<usize> {
    if planner == Planner::Lpt {
        return lpt(est, n);
    }
    let opts = PlanOptions::new(Workers::Fixed(n), 0.0, Granularity::Test);
    let plan = match plan::build(units, est, estimated, &opts) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("plan::build failed: {e}");
            std::process::exit(1);
        }
    };
    let group: BTreeMap<&str, usize> = plan
        .groups
        .iter()
        .enumerate()
        .flat_map(|(g, grp)| grp.tests.iter().map(move |t| (t.as_str(), g)))
        .collect();
    units
        .iter()
        .map(|u| group.get(u.id.as_str()).copied().unwrap_or(0))
        .collect()
}

/// Excess of a plan over version k+1's lower bound, for each N.
///
/// With `JITTER=j` in the environment, each case is also planned from `j` jittered copies of the estimates (each
/// multiplied by a pseudo-random factor in [1 − 10⁻³, 1 + 10⁻³], seeded, so runs repeat) and the excess is the mean
/// over the j + 1 plans. The jitter is far below any estimate's error, but it moves items between groups, so the
/// mean is the expected excess over where the unforeseeable errors (a test that spikes, a new test that is much
/// slower than its neighbours) happen to land — one plan is a single draw of that, which is what makes single-run
/// comparisons between close methods noisy.
fn score(
    planner: Planner,
    units: &[TestKey],
    est: &[f64],
    estimated: &[bool],
    truth: &[f64],
) -> Vec<f64> {
    let jitter: u64 = std::env::var("JITTER")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    WORKERS
        .iter()
        .map(|&n| {
            let mut sum = 0.0;
            for seed in 0..=jitter {
                let w = jittered(est, seed);
                let a = assign(planner, units, &w, estimated, n);
                sum += excess_of(&a, truth, n);
            }
            sum / (jitter + 1) as f64
        })
        .collect()
}

/// `est` with each value multiplied by a factor in [1 − 10⁻³, 1 + 10⁻³] drawn from `seed` (0: unchanged).
fn jittered(est: &[f64], seed: u64) -> Vec<f64> {
    if seed == 0 {
        return est.to_vec();
    }
    // `JITTER_OFFSET=k` draws other jitters (seeds k+1..): how much a result moves between two sets of draws.
    let offset: u64 = std::env::var("JITTER_OFFSET")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let mut x = (seed + offset).wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    est.iter()
        .map(|&e| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let u = (x >> 11) as f64 / (1u64 << 53) as f64; // [0, 1)
            e * (1.0 + 1e-3 * (2.0 * u - 1.0))
        })
        .collect()
}

/// Realized makespan of an assignment under the true times, over the lower bound, minus 1.
fn excess_of(a: &[usize], truth: &[f64], n: usize) -> f64 {
    let mut loads = vec![0.0; n];
    for (i, g) in a.iter().enumerate() {
        loads[*g] += truth[i];
    }
    loads.iter().cloned().fold(0.0, f64::max) / lower_bound(truth, n) - 1.0
}

#[derive(Clone, Copy)]
enum Method {
    Baseline,
    /// Not a method: version k's times for known tests and the TRUE times for new ones (what perfect new-test
    /// estimates could reach).
    OracleNew,
    /// Not a method: each test's mean over ALL versions, future ones included (a perfect long-run average).
    OracleMean,
    Ours(Statistic, EstimateOptions),
}

/// (mean, worst) excess over all k and N.
fn replay(h: &History, m: Method) -> (f64, f64) {
    let mut excess = Vec::new();
    let mut store = Store::new();
    for k in 0..h.versions.len() - 1 {
        let next = &h.versions[k + 1];
        let units: Vec<TestKey> = next.iter().map(|p| p.0.clone()).collect();
        let truth: Vec<f64> = next.iter().map(|p| p.1).collect();
        let mut estimated = vec![false; units.len()];
        let est = match m {
            Method::Baseline => {
                let prev: BTreeMap<&str, f64> = h.versions[k]
                    .iter()
                    .map(|p| (p.0.id.as_str(), p.1))
                    .collect();
                let known: Vec<f64> = units
                    .iter()
                    .filter_map(|u| prev.get(u.id.as_str()).copied())
                    .collect();
                let mean = if known.is_empty() {
                    1.0
                } else {
                    known.iter().sum::<f64>() / known.len() as f64
                };
                units
                    .iter()
                    .map(|u| prev.get(u.id.as_str()).copied().unwrap_or(mean))
                    .collect()
            }
            Method::OracleNew => {
                let prev: BTreeMap<&str, f64> = h.versions[k]
                    .iter()
                    .map(|p| (p.0.id.as_str(), p.1))
                    .collect();
                next.iter()
                    .map(|(u, t)| prev.get(u.id.as_str()).copied().unwrap_or(*t))
                    .collect()
            }
            Method::OracleMean => {
                let mut all: BTreeMap<&str, (f64, f64)> = BTreeMap::new();
                for v in &h.versions {
                    for (key, s) in v {
                        let e = all.entry(key.id.as_str()).or_insert((0.0, 0.0));
                        e.0 += s;
                        e.1 += 1.0;
                    }
                }
                units
                    .iter()
                    .map(|u| all.get(u.id.as_str()).map_or(1.0, |e| e.0 / e.1))
                    .collect()
            }
            Method::Ours(stat, opts) => {
                let run: Vec<Sample> = h.versions[k]
                    .iter()
                    .map(|(key, s)| Sample {
                        key: key.clone(),
                        seconds: *s,
                    })
                    .collect();
                store.record_run(&[run], &RecordOptions::default());
                let e = estimate_with(
                    &units,
                    &[],
                    &store.timings_with(stat),
                    Granularity::Test,
                    &opts,
                );
                estimated = e.basis.iter().map(|b| b.is_estimated()).collect();
                e.seconds
            }
        };
        let planner = match m {
            Method::Baseline => Planner::Lpt,
            _ => planner(),
        };
        excess.extend(score(planner, &units, &est, &estimated, &truth));
    }
    let mean = excess.iter().sum::<f64>() / excess.len().max(1) as f64;
    (
        mean * 100.0,
        excess.iter().cloned().fold(0.0, f64::max) * 100.0,
    )
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let default_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/bench/history");
    let dir = args
        .iter()
        .position(|a| a == "--dir")
        .and_then(|i| args.get(i + 1))
        .map(PathBuf::from)
        .unwrap_or(default_dir);
    let histories = match load_histories(&dir) {
        Ok(h) if !h.is_empty() => h,
        Ok(_) => {
            eprintln!("no histories under {}", dir.display());
            std::process::exit(2);
        }
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(2);
        }
    };
    let base: Vec<(f64, f64)> = histories
        .iter()
        .map(|h| replay(h, Method::Baseline))
        .collect();
    print!("{:<34}", "method: mean% (worst%) [ratio]");
    for h in &histories {
        print!(" | {:>28}", h.name);
    }
    println!(" | worst ratio | mean ratio");
    print_row("baseline (pytest-split)", &base, &base);
    if args.iter().any(|a| a == "--hedge") {
        explore_hedge(&histories, &base);
        return;
    }
    if args.iter().any(|a| a == "--variance") {
        explore_variance(&histories, &base);
        return;
    }
    if args.iter().any(|a| a == "--explore") {
        explore(&histories, &base, args.iter().any(|a| a == "--worst"));
        return;
    }
    let default = EstimateOptions::default();
    let mut methods: Vec<(String, Method)> = vec![(
        format!("{} + {}", Statistic::DEFAULT, describe(&default)),
        Method::Ours(Statistic::DEFAULT, default),
    )];
    if args.iter().any(|a| a == "--oracles") {
        methods.push(("oracle: last + true new tests".into(), Method::OracleNew));
        methods.push(("oracle: mean over all versions".into(), Method::OracleMean));
    }
    let flag = |f: &str| args.iter().any(|a| a == f);
    if flag("--grid") {
        for stat in candidates() {
            for opts in estimate_candidates() {
                methods.push((
                    format!("{stat} + {}", describe(&opts)),
                    Method::Ours(stat, opts),
                ));
            }
        }
    } else if flag("--candidates") {
        for stat in candidates() {
            methods.push((
                format!("{stat} + {}", describe(&default)),
                Method::Ours(stat, default),
            ));
        }
        for opts in estimate_candidates() {
            methods.push((
                format!("{} + {}", Statistic::DEFAULT, describe(&opts)),
                Method::Ours(Statistic::DEFAULT, opts),
            ));
        }
    }
    for (name, m) in methods {
        let r: Vec<(f64, f64)> = histories.iter().map(|h| replay(h, m)).collect();
        print_row(&name, &r, &base);
    }
}

fn candidates() -> Vec<Statistic> {
    let mut v = vec![Statistic::Last];
    for w in [2, 3, 4, 5] {
        v.push(Statistic::Mean { window: w });
        v.push(Statistic::Median { window: w });
        v.push(Statistic::TrimmedMean { window: w });
        v.push(Statistic::RecencyMedian { window: w });
        v.push(Statistic::Quantile { q: 0.75, window: w });
    }
    for alpha in [0.3, 0.5, 0.6, 0.7, 0.8, 0.9] {
        v.push(Statistic::Ewma { alpha });
    }
    v
}

fn estimate_candidates() -> Vec<EstimateOptions> {
    let mut v = Vec::new();
    for pool in [PoolStat::Median, PoolStat::Mean] {
        for undiscovered_neighbours in [true, false] {
            for neighbours in [true, false] {
                for similar_names in [true, false] {
                    if similar_names && !neighbours {
                        continue; // names are only compared within a file
                    }
                    v.push(EstimateOptions {
                        pool,
                        undiscovered_neighbours,
                        neighbours,
                        similar_names,
                    });
                }
            }
        }
    }
    v
}

fn describe(o: &EstimateOptions) -> String {
    format!(
        "{}{}{}{}",
        match o.pool {
            PoolStat::Median => "median",
            PoolStat::Mean => "mean",
        },
        if o.neighbours {
            " file/dir/suite"
        } else {
            " suite"
        },
        if o.undiscovered_neighbours {
            " +undisc"
        } else {
            ""
        },
        if o.similar_names { " +names" } else { "" }
    )
}

fn print_row(name: &str, r: &[(f64, f64)], base: &[(f64, f64)]) {
    print!("{name:<34}");
    let mut worst: f64 = 0.0;
    let mut sum = 0.0;
    for ((mean, max), (bm, _)) in r.iter().zip(base) {
        let ratio = if *bm > 0.0 { mean / bm } else { 0.0 };
        worst = worst.max(ratio);
        sum += ratio;
        print!(" | {:>7.2} ({:>6.1}) [{:>4.2}]", mean, max, ratio);
    }
    println!(" | {worst:.2} | {:.2}", sum / r.len().max(1) as f64);
}

// ---------------------------------------------------------------------------------------------------------------
// Exploration (`--explore`): statistics and new-test rules written here as closures over the store's samples, so
// that losing ideas never reach src/.

/// One replay step: the store after versions 1..=k, version k+1's tests and true times.
struct Step {
    k: usize,
    /// Every stored test's samples, oldest first.
    stored: Vec<(TestKey, Vec<f64>)>,
    units: Vec<TestKey>,
    truth: Vec<f64>,
}

fn steps(h: &History) -> Vec<Step> {
    let mut store = Store::new();
    let mut out = Vec::new();
    for k in 0..h.versions.len() - 1 {
        let run: Vec<Sample> = h.versions[k]
            .iter()
            .map(|(key, s)| Sample {
                key: key.clone(),
                seconds: *s,
            })
            .collect();
        store.record_run(&[run], &RecordOptions::default());
        let next = &h.versions[k + 1];
        out.push(Step {
            k,
            stored: store
                .iter()
                .map(|t| (t.key.clone(), t.samples.to_vec()))
                .collect(),
            units: next.iter().map(|p| p.0.clone()).collect(),
            truth: next.iter().map(|p| p.1).collect(),
        });
    }
    out
}

type StatFn = Box<dyn Fn(&[f64]) -> f64>;

/// How tests without a record are estimated in an exploration.
#[derive(Clone, Copy)]
enum NewRule {
    /// `estimate_with` with these options.
    Lib(EstimateOptions),
    /// The q-quantile of the same-file neighbours (then directory, suite), like `Lib` otherwise.
    Quantile(f64),
    /// Most similar names first: the known tests of the same file sharing the most name tokens with the new one
    /// (`jaccard`: by |A∩B|/|A∪B|, else by |A∩B|), their median; at least `min_shared` tokens shared, else the
    /// library rule.
    Similar {
        jaccard: bool,
        min_shared: usize,
        min_score: f64,
    },
    /// The library rule, then for units whose file has no known unit: the known units of the same directory whose
    /// ids (after the directory) share the largest fraction of name tokens with the new one, their median, if that
    /// fraction reaches the given score (a new spec file next to a similarly named one).
    Siblings(f64),
    /// Hierarchical shrinkage for units without a record whose estimate is a pool median (not a similar name):
    /// from the suite's median down through each parent directory to the file, each level's estimate is
    /// `(n·median + k·parent estimate) / (n + k)` with `n` the level's pool size — small pools lean on their parent.
    Shrink(f64),
}

struct Explorer {
    name: String,
    stat: StatFn,
    new: NewRule,
    /// Not a method: estimates computed from the step itself (its true times); `stat`/`new` are ignored.
    oracle: Option<OracleFn>,
    /// Experimental: the EWMA's alpha estimated from the step's stored samples (`stat` is then ignored).
    step_alpha: Option<fn(&Step) -> f64>,
}

type OracleFn = Box<dyn Fn(&Step) -> Vec<f64>>;

fn q_of(v: &mut [f64], q: f64) -> f64 {
    v.sort_by(f64::total_cmp);
    let pos = q * (v.len().saturating_sub(1)) as f64;
    let lo = pos.floor() as usize;
    let frac = pos - lo as f64;
    match (v.get(lo), v.get(lo + 1)) {
        (Some(&a), Some(&b)) => a + (b - a) * frac,
        (Some(&a), None) => a,
        _ => 0.0,
    }
}

/// The distinct alphanumeric tokens of a test's id after its file (the core's similar-name tokens).
fn tokens(k: &TestKey) -> Vec<String> {
    name_tokens(&k.file, &k.id)
}

/// Estimates for the step's units and whether each is estimated (oracles: none is).
fn predict(step: &Step, e: &Explorer) -> (Vec<f64>, Vec<bool>) {
    if let Some(o) = &e.oracle {
        return (o(step), vec![false; step.units.len()]);
    }
    let alpha = e.step_alpha.map(|f| f(step));
    if let Some(a) = alpha {
        if std::env::var("SHOW_ALPHA").is_ok() {
            eprintln!("{} k={} alpha={a:.3}", e.name, step.k);
        }
    }
    let known: Vec<Sample> = step
        .stored
        .iter()
        .map(|(key, s)| Sample {
            key: key.clone(),
            seconds: alpha.map_or_else(|| (e.stat)(s), |a| ewma(s, a)),
        })
        .collect();
    let opts = match e.new {
        NewRule::Lib(o) => o,
        NewRule::Siblings(_) | NewRule::Shrink(_) => EstimateOptions::default(),
        NewRule::Quantile(_) | NewRule::Similar { .. } => EstimateOptions {
            similar_names: false,
            ..EstimateOptions::default()
        },
    };
    let est = estimate_with(&step.units, &[], &known, Granularity::Test, &opts);
    let mut out = est.seconds;
    match e.new {
        NewRule::Lib(_) => {}
        NewRule::Shrink(k) => {
            let mut pools: BTreeMap<&str, Vec<f64>> = BTreeMap::new();
            let mut all = Vec::new();
            for kn in &known {
                let f = kn.key.file.as_str();
                pools.entry(f).or_default().push(kn.seconds);
                for (i, _) in f.rmatch_indices('/') {
                    pools.entry(&f[..i]).or_default().push(kn.seconds);
                }
                all.push(kn.seconds);
            }
            let stats: BTreeMap<&str, (f64, f64)> = pools
                .into_iter()
                .map(|(p, mut v)| (p, (v.len() as f64, q_of(&mut v, 0.5))))
                .collect();
            let suite = q_of(&mut all, 0.5);
            // Which units the library estimated from a pool median rather than a similar name: recompute the
            // library's file/dir/suite answer and compare.
            let plain = estimate_with(
                &step.units,
                &[],
                &known,
                Granularity::Test,
                &EstimateOptions {
                    similar_names: false,
                    ..EstimateOptions::default()
                },
            );
            for (i, u) in step.units.iter().enumerate() {
                if !est.basis[i].is_estimated() || out[i] != plain.seconds[i] {
                    continue;
                }
                let f = u.file.as_str();
                let mut levels: Vec<&str> = f.rmatch_indices('/').map(|(j, _)| &f[..j]).collect();
                levels.reverse(); // top directory first
                levels.push(f);
                let mut e = suite;
                for l in levels {
                    if let Some(&(n, m)) = stats.get(l) {
                        e = (n * m + k * e) / (n + k);
                    }
                }
                out[i] = e.max(0.001);
            }
        }
        NewRule::Siblings(min_score) => {
            fn dir_of(f: &str) -> &str {
                f.rfind('/').map_or("", |i| &f[..i])
            }
            let after_dir = |k: &TestKey| -> Vec<String> { name_tokens(dir_of(&k.file), &k.id) };
            let mut by_dir: BTreeMap<&str, Vec<(Vec<String>, f64)>> = BTreeMap::new();
            let known_files: std::collections::BTreeSet<&str> =
                known.iter().map(|k| k.key.file.as_str()).collect();
            for k in &known {
                by_dir
                    .entry(dir_of(&k.key.file))
                    .or_default()
                    .push((after_dir(&k.key), k.seconds));
            }
            for (i, u) in step.units.iter().enumerate() {
                if !est.basis[i].is_estimated() || known_files.contains(u.file.as_str()) {
                    continue;
                }
                let Some(cands) = by_dir.get(dir_of(&u.file)) else {
                    continue;
                };
                let mine = after_dir(u);
                let mut best = (0.0f64, Vec::new());
                for (t, v) in cands {
                    let shared = mine.iter().filter(|x| t.contains(x)).count();
                    if shared == 0 {
                        continue;
                    }
                    let score = shared as f64 / (mine.len() + t.len() - shared).max(1) as f64;
                    if score > best.0 {
                        best = (score, vec![*v]);
                    } else if score == best.0 {
                        best.1.push(*v);
                    }
                }
                if !best.1.is_empty() && best.0 >= min_score {
                    out[i] = q_of(&mut best.1, 0.5).max(0.001);
                }
            }
        }
        NewRule::Quantile(q) => {
            let mut by_file: BTreeMap<&str, Vec<f64>> = BTreeMap::new();
            let mut all = Vec::new();
            for k in &known {
                by_file
                    .entry(k.key.file.as_str())
                    .or_default()
                    .push(k.seconds);
                all.push(k.seconds);
            }
            let suite = q_of(&mut all, q);
            for (i, u) in step.units.iter().enumerate() {
                if est.basis[i].is_estimated() {
                    out[i] = by_file
                        .get_mut(u.file.as_str())
                        .map_or(suite, |v| q_of(v, q))
                        .max(0.001);
                }
            }
        }
        NewRule::Similar {
            jaccard,
            min_shared,
            min_score,
        } => {
            let mut by_file: BTreeMap<&str, Vec<(Vec<String>, f64)>> = BTreeMap::new();
            for k in &known {
                by_file
                    .entry(k.key.file.as_str())
                    .or_default()
                    .push((tokens(&k.key), k.seconds));
            }
            for (i, u) in step.units.iter().enumerate() {
                if !est.basis[i].is_estimated() {
                    continue;
                }
                let Some(cands) = by_file.get(u.file.as_str()) else {
                    continue;
                };
                let mine = tokens(u);
                let mut best = (0.0f64, Vec::new());
                for (t, v) in cands {
                    let shared = mine.iter().filter(|x| t.contains(x)).count();
                    if shared < min_shared {
                        continue;
                    }
                    let score = if jaccard {
                        shared as f64 / (mine.len() + t.len() - shared).max(1) as f64
                    } else {
                        shared as f64
                    };
                    if score > best.0 {
                        best = (score, vec![*v]);
                    } else if score == best.0 {
                        best.1.push(*v);
                    }
                }
                if !best.1.is_empty() && best.0 >= min_score {
                    out[i] = q_of(&mut best.1, 0.5).max(0.001);
                }
            }
        }
    }
    let flags = est.basis.iter().map(|b| b.is_estimated()).collect();
    (out, flags)
}

/// Per (k, N): excess; and the mean.
///
/// With `SHUFFLES=s` in the environment, each case is also scored under `s` random orders of the tests (LPT breaks
/// ties between equal estimates by order), and the excess is the mean over the orders: the expected value rather
/// than one draw of where equal-looking tests land.
fn explore_one(h: &History, steps: &[Step], e: &Explorer) -> Vec<(usize, usize, f64)> {
    let _ = h;
    let shuffles: u64 = std::env::var("SHUFFLES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let mut out = Vec::new();
    for st in steps {
        let (est, flags) = predict(st, e);
        let mut acc = score(planner(), &st.units, &est, &flags, &st.truth);
        for seed in 1..=shuffles {
            let mut order: Vec<usize> = (0..est.len()).collect();
            let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15);
            for i in (1..order.len()).rev() {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                order.swap(i, (x % (i as u64 + 1)) as usize);
            }
            let e2: Vec<f64> = order.iter().map(|&i| est[i]).collect();
            let t2: Vec<f64> = order.iter().map(|&i| st.truth[i]).collect();
            let f2: Vec<bool> = order.iter().map(|&i| flags[i]).collect();
            let u2: Vec<TestKey> = order.iter().map(|&i| st.units[i].clone()).collect();
            for (a, b) in acc.iter_mut().zip(score(planner(), &u2, &e2, &f2, &t2)) {
                *a += b;
            }
        }
        for (n, x) in WORKERS.iter().zip(acc) {
            out.push((st.k, *n, x / (shuffles + 1) as f64));
        }
    }
    out
}

/// Robust EWMA: a sample `factor`× and `margin` s away from the running level is held back as a suspect; the next
/// sample confirms it (also far, same side: regime change, level = the mean of the two) or not (the suspect is
/// dropped). A suspect still pending at the end enters with weight `w_pending`.
fn robust_ewma(samples: &[f64], alpha: f64, factor: f64, margin: f64, w_pending: f64) -> f64 {
    robust_ewma_sided(samples, alpha, factor, margin, w_pending, true)
}

/// [`robust_ewma`] that holds back only sudden drops when `up` is false (a run where the test took next to no
/// time — skipped, deselected, failed early — is suspect; a slowdown is taken at once, as the plain EWMA does).
fn robust_ewma_sided(
    samples: &[f64],
    alpha: f64,
    factor: f64,
    margin: f64,
    w_pending: f64,
    up: bool,
) -> f64 {
    let Some((&first, rest)) = samples.split_first() else {
        return 0.0;
    };
    let far = |x: f64, s: f64| -> i8 {
        if up && x > factor * s && x > s + margin {
            1
        } else if x * factor < s && x < s - margin {
            -1
        } else {
            0
        }
    };
    let mut s = first;
    let mut pending: Option<(f64, i8)> = None;
    for &x in rest {
        if let Some((p, side)) = pending.take() {
            if far(x, s) == side {
                s = (p + x) / 2.0;
                continue;
            }
        }
        let side = far(x, s);
        if side != 0 {
            pending = Some((x, side));
        } else {
            s = alpha * x + (1.0 - alpha) * s;
        }
    }
    if let Some((p, _)) = pending {
        s = w_pending * p + (1.0 - w_pending) * s;
    }
    s
}

/// Experimental: the steady-state Kalman gain of a local-level model (a random-walk level plus noise) fitted to all
/// stored samples of the step, pooled over tests: lag-1 and lag-2 squared differences within each test's window give
/// `V1 = q + 2r` and `V2 = 2q + 2r`, so `q = V2 − V1` and `r = V1 − V2/2`. `space`: 0 seconds, 1 log seconds,
/// 2 log seconds weighted by the test's mean seconds. Before two lags exist: 0.8.
fn kalman_alpha(step: &Step, space: u8) -> f64 {
    let (mut v1, mut w1, mut v2, mut w2) = (0.0, 0.0, 0.0, 0.0);
    for (_, s) in &step.stored {
        let mean = s.iter().sum::<f64>() / s.len().max(1) as f64;
        let (x, w): (Vec<f64>, f64) = match space {
            0 => (s.clone(), 1.0),
            1 => (s.iter().map(|v| v.max(0.001).ln()).collect(), 1.0),
            _ => (s.iter().map(|v| v.max(0.001).ln()).collect(), mean),
        };
        for p in x.windows(2) {
            v1 += w * (p[1] - p[0]).powi(2);
            w1 += w;
        }
        for p in x.windows(3) {
            v2 += w * (p[2] - p[0]).powi(2);
            w2 += w;
        }
    }
    if w2 == 0.0 || w1 == 0.0 {
        return 0.8;
    }
    let (v1, v2) = (v1 / w1, v2 / w2);
    let q = (v2 - v1).max(0.0);
    let r = (v1 - v2 / 2.0).max(1e-12);
    let l = q / r;
    ((-l + (l * l + 4.0 * l).sqrt()) / 2.0).clamp(0.3, 1.0)
}

fn ewma(samples: &[f64], alpha: f64) -> f64 {
    Statistic::Ewma { alpha }.apply(samples)
}

fn explorers() -> Vec<Explorer> {
    let d = EstimateOptions::default();
    let mut v: Vec<Explorer> = Vec::new();
    let mk = |name: String, stat: StatFn, new: NewRule| Explorer {
        name,
        stat,
        new,
        oracle: None,
        step_alpha: None,
    };
    v.push(mk(
        "ewma/0.8 (default)".into(),
        Box::new(|s| ewma(s, 0.8)),
        NewRule::Lib(d),
    ));
    let no_names = EstimateOptions {
        similar_names: false,
        ..d
    };
    v.push(mk(
        "ewma/0.8 file median".into(),
        Box::new(|s| ewma(s, 0.8)),
        NewRule::Lib(no_names),
    ));
    for (alpha, factor, margin, wp) in [
        (0.8, 3.0, 1.0, 0.0),
        (0.8, 3.0, 1.0, 0.3),
        (0.8, 3.0, 1.0, 0.5),
        (0.8, 2.0, 1.0, 0.0),
        (0.8, 2.0, 1.0, 0.3),
        (0.8, 3.0, 5.0, 0.0),
        (0.8, 3.0, 0.3, 0.0),
        (0.8, 5.0, 1.0, 0.0),
        (0.7, 3.0, 1.0, 0.0),
        (0.9, 3.0, 1.0, 0.0),
        (1.0, 3.0, 1.0, 0.0),
    ] {
        v.push(mk(
            format!("robust a{alpha} f{factor} m{margin} w{wp}"),
            Box::new(move |s| robust_ewma(s, alpha, factor, margin, wp)),
            NewRule::Lib(d),
        ));
    }
    for (factor, margin, wp) in [
        (3.0, 1.0, 0.0),
        (3.0, 1.0, 0.3),
        (10.0, 1.0, 0.0),
        (3.0, 0.3, 0.0),
    ] {
        v.push(mk(
            format!("drop-robust a0.8 f{factor} m{margin} w{wp}"),
            Box::new(move |s| robust_ewma_sided(s, 0.8, factor, margin, wp, false)),
            NewRule::Lib(d),
        ));
    }
    for (name, f) in [
        (
            "kalman abs",
            (|st: &Step| kalman_alpha(st, 0)) as fn(&Step) -> f64,
        ),
        ("kalman log", |st: &Step| kalman_alpha(st, 1)),
        ("kalman logw", |st: &Step| kalman_alpha(st, 2)),
    ] {
        v.push(Explorer {
            step_alpha: Some(f),
            ..mk(name.into(), Box::new(|s| ewma(s, 0.8)), NewRule::Lib(d))
        });
    }
    for alpha in [0.6, 0.7, 0.75, 0.8, 0.85, 0.9, 1.0] {
        v.push(mk(
            format!("ewma/{alpha} lib"),
            Box::new(move |s| ewma(s, alpha)),
            NewRule::Lib(d),
        ));
    }
    for k in [1.0, 3.0, 10.0] {
        v.push(mk(
            format!("ewma/0.8 shrink k{k}"),
            Box::new(|s| ewma(s, 0.8)),
            NewRule::Shrink(k),
        ));
    }
    for score in [0.34, 0.5, 0.67] {
        v.push(mk(
            format!("ewma/0.8 siblings s{score}"),
            Box::new(|s| ewma(s, 0.8)),
            NewRule::Siblings(score),
        ));
    }
    for q in [0.25, 0.4, 0.5, 0.75] {
        v.push(mk(
            format!("ewma/0.8 new q{q}"),
            Box::new(|s| ewma(s, 0.8)),
            NewRule::Quantile(q),
        ));
    }
    for (alpha, jaccard, min_shared, min_score) in [
        (0.8, true, 1, 0.0),
        (0.8, true, 2, 0.0),
        (0.8, false, 1, 0.0),
        (0.8, false, 2, 0.0),
        (0.8, true, 3, 0.0),
        (0.8, true, 1, 0.34),
        (0.8, true, 1, 0.5),
        (0.8, true, 1, 0.67),
        (0.7, true, 1, 0.0),
        (0.7, true, 1, 0.5),
        (0.9, true, 1, 0.5),
        (1.0, true, 1, 0.5),
    ] {
        v.push(mk(
            format!("ewma/{alpha} similar j{jaccard} n{min_shared} s{min_score}"),
            Box::new(move |s| ewma(s, alpha)),
            NewRule::Similar {
                jaccard,
                min_shared,
                min_score,
            },
        ));
    }
    v
}

/// A spike: more than `SPIKE_FACTOR` times and `SPIKE_MARGIN` s above the test's median over every version.
const SPIKE_FACTOR: f64 = 3.0;
const SPIKE_MARGIN: f64 = 1.0;

/// Each test's median over ALL versions of a history (future ones included).
fn medians(h: &History) -> BTreeMap<String, f64> {
    let mut all: BTreeMap<String, Vec<f64>> = BTreeMap::new();
    for v in &h.versions {
        for (k, s) in v {
            all.entry(k.id.clone()).or_default().push(*s);
        }
    }
    all.into_iter()
        .map(|(id, mut v)| (id, q_of(&mut v, 0.5)))
        .collect()
}

fn oracles(h: &History) -> Vec<Explorer> {
    let med = std::rc::Rc::new(medians(h));
    let unspiked = |med: &BTreeMap<String, f64>, st: &Step| -> Vec<f64> {
        st.units
            .iter()
            .zip(&st.truth)
            .map(|(u, &t)| {
                let m = med.get(&u.id).copied().unwrap_or(t);
                if t > SPIKE_FACTOR * m && t > m + SPIKE_MARGIN {
                    m
                } else {
                    t
                }
            })
            .collect()
    };
    let mut v = vec![Explorer {
        name: "oracle: true times (LPT floor)".into(),
        stat: Box::new(|_| 0.0),
        new: NewRule::Lib(EstimateOptions::default()),
        oracle: Some(Box::new(|st| st.truth.clone())),
        step_alpha: None,
    }];
    let m = med.clone();
    v.push(Explorer {
        name: "oracle: true times, spikes unknown".into(),
        stat: Box::new(|_| 0.0),
        new: NewRule::Lib(EstimateOptions::default()),
        oracle: Some(Box::new(move |st| unspiked(&m, st))),
        step_alpha: None,
    });
    for lambda in [0.5, 1.0, 2.0] {
        let m = med.clone();
        v.push(Explorer {
            name: format!("oracle: spikes unknown, hedged x{lambda}"),
            stat: Box::new(|_| 0.0),
            new: NewRule::Lib(EstimateOptions::default()),
            oracle: Some(Box::new(move |st| {
                let u = unspiked(&m, st);
                let spike_mass: f64 = st.truth.iter().zip(&u).map(|(t, x)| t - x).sum();
                let c = lambda * spike_mass / st.truth.len().max(1) as f64;
                u.iter().map(|x| x + c).collect()
            })),
            step_alpha: None,
        });
    }
    v
}

fn explore(histories: &[History], base: &[(f64, f64)], worst: bool) {
    let all_steps: Vec<Vec<Step>> = histories.iter().map(steps).collect();
    let n_oracles = oracles(&histories[0]).len();
    let only = std::env::var("ONLY").unwrap_or_default();
    for i in (0..n_oracles).filter(|_| only.is_empty()) {
        let mut name = String::new();
        let r: Vec<(f64, f64)> = histories
            .iter()
            .zip(&all_steps)
            .map(|(h, st)| {
                let os = oracles(h);
                let e = &os[i];
                name = e.name.clone();
                let x = explore_one(h, st, e);
                let mean = x.iter().map(|p| p.2).sum::<f64>() / x.len().max(1) as f64;
                let max = x.iter().map(|p| p.2).fold(0.0, f64::max);
                (mean * 100.0, max * 100.0)
            })
            .collect();
        print_row(&name, &r, base);
    }
    for e in explorers() {
        if !e.name.contains(only.as_str()) {
            continue;
        }
        let r: Vec<(f64, f64)> = histories
            .iter()
            .zip(&all_steps)
            .map(|(h, st)| {
                let x = explore_one(h, st, &e);
                let mean = x.iter().map(|p| p.2).sum::<f64>() / x.len().max(1) as f64;
                let max = x.iter().map(|p| p.2).fold(0.0, f64::max);
                (mean * 100.0, max * 100.0)
            })
            .collect();
        print_row(&e.name, &r, base);
        if std::env::var("DETAIL").is_ok_and(|d| e.name.contains(d.as_str())) {
            for (h, st) in histories.iter().zip(&all_steps) {
                let x = explore_one(h, st, &e);
                let cells: Vec<String> = x.iter().map(|p| format!("{:.0}", p.2 * 100.0)).collect();
                println!("    {}: {}", h.name, cells.join(" "));
            }
        }
    }
    if worst {
        let e = &explorers()[0];
        for (h, st) in histories.iter().zip(&all_steps) {
            let mut x = explore_one(h, st, e);
            x.sort_by(|a, b| b.2.total_cmp(&a.2));
            for &(k, n, ex) in x.iter().take(4) {
                explain(h, &st[k], e, n, ex);
            }
        }
    }
}

/// Prints the tests of the makespan group of one case whose true time most exceeds the estimate.
fn explain(h: &History, st: &Step, e: &Explorer, n: usize, ex: f64) {
    let (est, flags) = predict(st, e);
    let a = assign(planner(), &st.units, &est, &flags, n);
    let mut loads = vec![0.0; n];
    let mut pred = vec![0.0; n];
    for (i, g) in a.iter().enumerate() {
        loads[*g] += st.truth[i];
        pred[*g] += est[i];
    }
    let (g, ms) = loads
        .iter()
        .enumerate()
        .fold((0, 0.0), |b, (i, &l)| if l > b.1 { (i, l) } else { b });
    let lb = lower_bound(&st.truth, n);
    println!(
        "\n{} k={} (plan from v1..=v{}, score v{}) N={n}: excess {:.1}%, makespan {ms:.1} (predicted {:.1}), LB {lb:.1}",
        h.name,
        st.k + 1,
        st.k + 1,
        st.k + 2,
        ex * 100.0,
        pred[g]
    );
    let hist: BTreeMap<&str, &Vec<f64>> =
        st.stored.iter().map(|(k, s)| (k.id.as_str(), s)).collect();
    let mut members: Vec<usize> = (0..st.units.len()).filter(|&i| a[i] == g).collect();
    members.sort_by(|&x, &y| (st.truth[y] - est[y]).total_cmp(&(st.truth[x] - est[x])));
    for &i in members.iter().take(5) {
        let id = &st.units[i].id;
        println!(
            "  true {:>8.2} est {:>8.2} samples {:?}  {}",
            st.truth[i],
            est[i],
            hist.get(id.as_str()).map(|v| v.as_slice()).unwrap_or(&[]),
            id.chars().take(110).collect::<String>()
        );
    }
}

// ---------------------------------------------------------------------------------------------------------------
// Uncertainty-aware placement (`--variance`): each unit gets a spread (standard deviation) besides its estimate, and
// the plan accounts for it — either by planning on `estimate + c·spread` with `partition::partition` (no hedge), or with a
// greedy that takes units by estimate descending and puts each where `load + c·sqrt(variance)` of the group after
// adding it is smallest (c = 0 is LPT).

/// A unit's spread: the root mean square deviation of its samples from the estimate when it has ≥ 2 samples; else
/// `rel` × the estimate, where `rel` is the median relative spread of the tests with ≥ 2 samples (a single sample
/// says nothing about its own noise); for a unit without a record, the root mean square deviation of its pool (the
/// same file's, else the suite's values) from the estimate.
fn spreads(st: &Step, est: &[f64], flags: &[bool]) -> Vec<f64> {
    let stat = Statistic::DEFAULT;
    let samples: BTreeMap<&str, &Vec<f64>> =
        st.stored.iter().map(|(k, s)| (k.id.as_str(), s)).collect();
    let mut rels: Vec<f64> = st
        .stored
        .iter()
        .filter(|(_, s)| s.len() >= 2)
        .map(|(_, s)| {
            let m = stat.apply(s);
            rms(s, m) / m.max(1e-9)
        })
        .collect();
    let rel = if rels.is_empty() {
        0.0
    } else {
        q_of(&mut rels, 0.5)
    };
    let mut by_file: BTreeMap<&str, Vec<f64>> = BTreeMap::new();
    let mut all = Vec::new();
    for (k, s) in &st.stored {
        let v = stat.apply(s);
        by_file.entry(k.file.as_str()).or_default().push(v);
        all.push(v);
    }
    st.units
        .iter()
        .enumerate()
        .map(|(i, u)| {
            if flags[i] {
                rms(by_file.get(u.file.as_str()).map_or(&all, |v| v), est[i])
            } else {
                match samples.get(u.id.as_str()) {
                    Some(s) if s.len() >= 2 => rms(s, est[i]),
                    _ => rel * est[i],
                }
            }
        })
        .collect()
}

fn rms(v: &[f64], center: f64) -> f64 {
    (v.iter().map(|x| (x - center) * (x - center)).sum::<f64>() / v.len().max(1) as f64).sqrt()
}

/// Greedy over estimates descending (ties: lower index): each unit to the group minimising
/// `load + est + c·sqrt(var + spread²)` (ties: lower group).
fn variance_greedy(est: &[f64], spread: &[f64], c: f64, n: usize) -> Vec<usize> {
    let mut order: Vec<usize> = (0..est.len()).collect();
    order.sort_by(|&a, &b| est[b].total_cmp(&est[a]).then(a.cmp(&b)));
    let mut load = vec![0.0f64; n];
    let mut var = vec![0.0f64; n];
    let mut out = vec![0; est.len()];
    for i in order {
        let v = spread[i] * spread[i];
        let mut best = (f64::INFINITY, 0);
        for g in 0..n {
            let x = load[g] + est[i] + c * (var[g] + v).sqrt();
            if x < best.0 {
                best = (x, g);
            }
        }
        load[best.1] += est[i];
        var[best.1] += v;
        out[i] = best.1;
    }
    out
}

fn explore_variance(histories: &[History], base: &[(f64, f64)]) {
    let jitter: u64 = std::env::var("JITTER")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let all_steps: Vec<Vec<Step>> = histories.iter().map(steps).collect();
    let default = Explorer {
        name: String::new(),
        stat: Box::new(|s| ewma(s, 0.8)),
        new: NewRule::Lib(EstimateOptions::default()),
        oracle: None,
        step_alpha: None,
    };
    // (name, how the assignment for n is made from (step, est, flags, spread))
    type Rule = Box<dyn Fn(&Step, &[f64], &[bool], &[f64], usize) -> Vec<usize>>;
    let mut rules: Vec<(String, Rule)> = vec![(
        "product plan (default)".into(),
        Box::new(|st, e, f, _, n| assign(Planner::Product, &st.units, e, f, n)),
    )];
    for c in [0.0, 0.5, 1.0, 2.0, 4.0] {
        rules.push((
            format!("variance greedy c={c}"),
            Box::new(move |_, e, _, sp, n| variance_greedy(e, sp, c, n)),
        ));
    }
    for c in [0.25, 0.5, 0.75, 1.0] {
        rules.push((
            format!("variance greedy c={c}, spread = est of new"),
            Box::new(move |_, e, f, _, n| {
                let sp: Vec<f64> = e
                    .iter()
                    .zip(f)
                    .map(|(x, new)| if *new { *x } else { 0.0 })
                    .collect();
                variance_greedy(e, &sp, c, n)
            }),
        ));
        rules.push((
            format!("variance greedy c={c}, recorded only"),
            Box::new(move |_, e, f, sp, n| {
                let sp: Vec<f64> = sp
                    .iter()
                    .zip(f)
                    .map(|(x, new)| if *new { 0.0 } else { *x })
                    .collect();
                variance_greedy(e, &sp, c, n)
            }),
        ));
    }
    for c in [0.25, 0.5, 1.0] {
        rules.push((
            format!("plan on est + {c}·spread"),
            Box::new(move |_, e, _, sp, n| {
                let w: Vec<f64> = e.iter().zip(sp).map(|(x, s)| x + c * s).collect();
                partition::partition(&w, n, &Budget::default()).assignment
            }),
        ));
        rules.push((
            format!("plan on est + {c}·spread, new only"),
            Box::new(move |_, e, f, sp, n| {
                let w: Vec<f64> = e
                    .iter()
                    .zip(sp)
                    .zip(f)
                    .map(|((x, s), new)| if *new { x + c * s } else { *x })
                    .collect();
                partition::partition(&w, n, &Budget::default()).assignment
            }),
        ));
    }
    for c in [0.25, 0.5] {
        rules.push((
            format!("plan::build (hedged) on est + {c}·spread, new only"),
            Box::new(move |st, e, f, sp, n| {
                let w: Vec<f64> = e
                    .iter()
                    .zip(sp)
                    .zip(f)
                    .map(|((x, s), new)| if *new { x + c * s } else { *x })
                    .collect();
                assign(Planner::Product, &st.units, &w, f, n)
            }),
        ));
    }
    type Prepared = Vec<Vec<(Vec<f64>, Vec<bool>, Vec<f64>)>>;
    let prepared: Prepared = all_steps
        .iter()
        .map(|sts| {
            sts.iter()
                .map(|st| {
                    let (e, f) = predict(st, &default);
                    let sp = spreads(st, &e, &f);
                    (e, f, sp)
                })
                .collect()
        })
        .collect();
    let only = std::env::var("ONLY").unwrap_or_default();
    for (name, rule) in &rules {
        if !name.contains(only.as_str()) {
            continue;
        }
        let r: Vec<(f64, f64)> = all_steps
            .iter()
            .zip(&prepared)
            .map(|(sts, pre)| {
                let mut x = Vec::new();
                for (st, (e, f, sp)) in sts.iter().zip(pre) {
                    for &n in &WORKERS {
                        let mut sum = 0.0;
                        for seed in 0..=jitter {
                            let w = jittered(e, seed);
                            sum += excess_of(&rule(st, &w, f, sp, n), &st.truth, n);
                        }
                        x.push(sum / (jitter + 1) as f64);
                    }
                }
                let mean = x.iter().sum::<f64>() / x.len().max(1) as f64;
                (mean * 100.0, x.iter().cloned().fold(0.0, f64::max) * 100.0)
            })
            .collect();
        print_row(name, &r, base);
    }
}

// ---------------------------------------------------------------------------------------------------------------
// `--hedge`: the factor of `partition::partition_hedged` (how much a group pays for holding estimated units), with
// the default statistic and estimates, each case planned as `plan::build` plans it for a fixed worker count.

fn explore_hedge(histories: &[History], base: &[(f64, f64)]) {
    let jitter: u64 = std::env::var("JITTER")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let default = Explorer {
        name: String::new(),
        stat: Box::new(|s| Statistic::DEFAULT.apply(s)),
        new: NewRule::Lib(EstimateOptions::default()),
        oracle: None,
        step_alpha: None,
    };
    type Rule = Box<dyn Fn(&Step, &[f64], &[bool], usize) -> Vec<usize>>;
    let mut rules: Vec<(String, Rule)> = vec![
        (
            "partition (no hedge)".into(),
            Box::new(|_, e, _, n| partition::partition(e, n, &Budget::default()).assignment),
        ),
        (
            format!("plan::build (HEDGE = {})", partition::HEDGE),
            Box::new(|st, e, f, n| assign(Planner::Product, &st.units, e, f, n)),
        ),
    ];
    for h in [0.25, 0.5, 0.75, 1.0, 1.5] {
        rules.push((
            format!("hedge {h}"),
            Box::new(move |_, e, f, n| {
                partition::partition_hedged_with(e, f, n, &Budget::default(), h).assignment
            }),
        ));
    }
    // Controls: the same number of units flagged, but other ones (the recorded units right after each estimated
    // unit in id order... here: a seeded pseudo-random choice), and the estimated units' flags with the estimated
    // values' order scrambled — if these help as much, the gain is not about uncertainty.
    rules.push((
        "placebo: hedge 0.75 on random units".into(),
        Box::new(|_, e, f, n| {
            let count = f.iter().filter(|&&x| x).count();
            let mut idx: Vec<usize> = (0..e.len()).collect();
            let mut x: u64 = 0x2545_F491_4F6C_DD1D;
            for i in (1..idx.len()).rev() {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                idx.swap(i, (x % (i as u64 + 1)) as usize);
            }
            let mut g = vec![false; e.len()];
            for &i in idx.iter().take(count) {
                g[i] = true;
            }
            partition::partition_hedged_with(e, &g, n, &Budget::default(), 0.75).assignment
        }),
    ));
    rules.push((
        "placebo: hedge 0.75 on recorded units of similar size".into(),
        Box::new(|_, e, f, n| {
            // each estimated unit's flag moves to the recorded unit with the nearest estimate
            let mut rec: Vec<usize> = (0..e.len()).filter(|&i| !f[i]).collect();
            rec.sort_by(|&a, &b| e[a].total_cmp(&e[b]));
            let mut g = vec![false; e.len()];
            for i in (0..e.len()).filter(|&i| f[i]) {
                let p = rec
                    .partition_point(|&r| e[r] < e[i])
                    .min(rec.len().saturating_sub(1));
                if let Some(&r) = rec.get(p) {
                    g[r] = true;
                }
            }
            partition::partition_hedged_with(e, &g, n, &Budget::default(), 0.75).assignment
        }),
    ));
    rules.push((
        "hedge 0.5, no local search".into(),
        Box::new(move |_, e, f, n| {
            let b = Budget {
                max_iterations: 0,
                ..Budget::default()
            };
            partition::partition_hedged_with(e, f, n, &b, 0.5).assignment
        }),
    ));
    let all_steps: Vec<Vec<Step>> = histories.iter().map(steps).collect();
    let prepared: Vec<Vec<(Vec<f64>, Vec<bool>)>> = all_steps
        .iter()
        .map(|sts| sts.iter().map(|st| predict(st, &default)).collect())
        .collect();
    let only = std::env::var("ONLY").unwrap_or_default();
    let diag = std::env::var("DIAG").is_ok();
    for (name, rule) in &rules {
        if !name.contains(only.as_str()) {
            continue;
        }
        if diag {
            // How the estimated units and the predicted loads are spread, averaged over the cases: the largest
            // group's share of the estimated seconds × n (1 = even), and the predicted makespan over the
            // estimates' lower bound − 1.
            for (h, (sts, pre)) in histories.iter().zip(all_steps.iter().zip(&prepared)) {
                let (mut share, mut over, mut cases) = (0.0f64, 0.0f64, 0.0f64);
                for (st, (e, f)) in sts.iter().zip(pre) {
                    let total_new: f64 = e.iter().zip(f).filter(|p| *p.1).map(|p| p.0).sum();
                    if total_new <= 0.0 {
                        continue;
                    }
                    for &n in &WORKERS {
                        let a = rule(st, e, f, n);
                        let mut new_mass = vec![0.0; n];
                        let mut load = vec![0.0; n];
                        for (i, &g) in a.iter().enumerate() {
                            load[g] += e[i];
                            if f[i] {
                                new_mass[g] += e[i];
                            }
                        }
                        share +=
                            new_mass.iter().cloned().fold(0.0, f64::max) / total_new * n as f64;
                        over += load.iter().cloned().fold(0.0, f64::max) / lower_bound(e, n) - 1.0;
                        cases += 1.0;
                    }
                }
                println!(
                    "    {name} {}: estimated-seconds concentration {:.2}, predicted excess {:.3} %",
                    h.name,
                    share / cases.max(1.0),
                    over / cases.max(1.0) * 100.0
                );
            }
        }
        let r: Vec<(f64, f64)> = all_steps
            .iter()
            .zip(&prepared)
            .map(|(sts, pre)| {
                let mut x = Vec::new();
                for (st, (e, f)) in sts.iter().zip(pre) {
                    for &n in &WORKERS {
                        let mut sum = 0.0;
                        for seed in 0..=jitter {
                            let w = jittered(e, seed);
                            sum += excess_of(&rule(st, &w, f, n), &st.truth, n);
                        }
                        x.push(sum / (jitter + 1) as f64);
                    }
                }
                let mean = x.iter().sum::<f64>() / x.len().max(1) as f64;
                (mean * 100.0, x.iter().cloned().fold(0.0, f64::max) * 100.0)
            })
            .collect();
        print_row(name, &r, base);
    }
}
