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
                v.push(EstimateOptions {
                    pool,
                    undiscovered_neighbours,
                    neighbours,
                });
            }
        }
    }
    v
}

fn describe(o: &EstimateOptions) -> String {
    format!(
        "{}{}{}",
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
        }
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
