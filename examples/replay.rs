//! Replays the real timing histories in `shared/bench/history` to measure how well the store's statistic and the
//! estimates for new tests predict the next run.
//!
//! For every history and every k: versions 1..=k are recorded into a [`Store`] as runs, the tests of version k+1
//! are estimated with [`estimate_with`] at test granularity, split with a plain LPT into N ∈ {4, 8, 16, 32} groups,
//! and the plan is scored with version k+1's true durations: realized makespan / lower bound − 1 ("excess").
//! The baseline is what pytest-split does: LPT over version k's times alone, unknown tests at the mean of the
//! known ones.
//!
//! ```text
//! cargo run --release --example replay                  # the chosen statistic and estimate vs the baseline
//! cargo run --release --example replay -- --candidates  # each candidate statistic, each estimate rule
//! cargo run --release --example replay -- --grid        # every statistic × every estimate rule (slow: ~2 min)
//! cargo run --release --example replay -- --oracles     # what perfect knowledge would reach (upper bounds)
//! cargo run --release --example replay -- --dir PATH    # another history folder (one sub-folder per suite)
//! cargo run --release --example replay -- --explore     # oracle floors and experimental rules (below)
//! cargo run --release --example replay -- --explore --worst  # + the tests behind the worst cases
//! SHUFFLES=8 cargo run …  -- --explore    # each case also under 8 random test orders (LPT tie-breaks), averaged
//! DETAIL=ewma cargo run … -- --explore    # per-(k, N) excess of the explorations whose name contains `ewma`
//! ```
//!
//! The history files are `{id: seconds}` JSON objects, read here with serde_json directly.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use timeshard::estimate::{estimate_with, EstimateOptions, PoolStat};
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

/// Excess of a plan over version k+1's lower bound, for each N.
fn score(estimates: &[f64], truth: &[f64]) -> Vec<f64> {
    WORKERS
        .iter()
        .map(|&n| {
            let a = lpt(estimates, n);
            let mut loads = vec![0.0; n];
            for (i, g) in a.iter().enumerate() {
                loads[*g] += truth[i];
            }
            let makespan = loads.iter().cloned().fold(0.0, f64::max);
            makespan / lower_bound(truth, n) - 1.0
        })
        .collect()
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
                estimate_with(
                    &units,
                    &[],
                    &store.timings_with(stat),
                    Granularity::Test,
                    &opts,
                )
                .seconds
            }
        };
        excess.extend(score(&est, &truth));
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
    println!(" | worst ratio");
    print_row("baseline (pytest-split)", &base, &base);
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
    for ((mean, max), (bm, _)) in r.iter().zip(base) {
        let ratio = if *bm > 0.0 { mean / bm } else { 0.0 };
        worst = worst.max(ratio);
        print!(" | {:>7.2} ({:>6.1}) [{:>4.2}]", mean, max, ratio);
    }
    println!(" | {worst:.2}");
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
}

struct Explorer {
    name: String,
    stat: StatFn,
    new: NewRule,
    /// Not a method: estimates computed from the step itself (its true times); `stat`/`new` are ignored.
    oracle: Option<OracleFn>,
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

/// The distinct alphanumeric tokens of a test's id after its file.
fn tokens(k: &TestKey) -> Vec<String> {
    let mut v: Vec<String> =
        k.id.get(k.file.len()..)
            .unwrap_or("")
            .split(|c: char| !c.is_alphanumeric())
            .filter(|t| !t.is_empty())
            .map(str::to_lowercase)
            .collect();
    v.sort();
    v.dedup();
    v
}

fn predict(step: &Step, e: &Explorer) -> Vec<f64> {
    if let Some(o) = &e.oracle {
        return o(step);
    }
    let known: Vec<Sample> = step
        .stored
        .iter()
        .map(|(key, s)| Sample {
            key: key.clone(),
            seconds: (e.stat)(s),
        })
        .collect();
    let opts = match e.new {
        NewRule::Lib(o) => o,
        NewRule::Quantile(_) | NewRule::Similar { .. } => EstimateOptions {
            similar_names: false,
            ..EstimateOptions::default()
        },
    };
    let est = estimate_with(&step.units, &[], &known, Granularity::Test, &opts);
    let mut out = est.seconds;
    match e.new {
        NewRule::Lib(_) => {}
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
    out
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
        let est = predict(st, e);
        let mut acc = score(&est, &st.truth);
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
            for (a, b) in acc.iter_mut().zip(score(&e2, &t2)) {
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
    let Some((&first, rest)) = samples.split_first() else {
        return 0.0;
    };
    let far = |x: f64, s: f64| -> i8 {
        if x > factor * s && x > s + margin {
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
    }];
    let m = med.clone();
    v.push(Explorer {
        name: "oracle: true times, spikes unknown".into(),
        stat: Box::new(|_| 0.0),
        new: NewRule::Lib(EstimateOptions::default()),
        oracle: Some(Box::new(move |st| unspiked(&m, st))),
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
        });
    }
    v
}

fn explore(histories: &[History], base: &[(f64, f64)], worst: bool) {
    let all_steps: Vec<Vec<Step>> = histories.iter().map(steps).collect();
    let n_oracles = oracles(&histories[0]).len();
    for i in 0..n_oracles {
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
    let est = predict(st, e);
    let a = lpt(&est, n);
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
