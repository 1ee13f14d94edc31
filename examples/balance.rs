//! How close to the lower bound the splitter gets on real timing data, and how fast it is.
//!
//! ```text
//! cargo run --release --example balance [-- DIR]        # DIR defaults to /work/shared/bench/timings
//! ```
//!
//! For every flat JSON timing file (`{"id": seconds, ...}`: pytest-split `.test_durations`, conda durations,
//! Knapsack reports) and every parallel_tests log (`path:seconds` lines, `*.log`) in DIR, the units are the keys
//! as given, and for N ∈ {2, 4, 8, 16, 32, 64} with N ≤ units it prints the excess of the makespan over the lower
//! bound for plain LPT and for `partition`, then the mean and worst excess over all cases, and the time per case.
//! Finally it times `partition` on 200,000 random weights with N = 64 and N = 256, and `plan::build` on them as
//! 200,000 tests (fixed 64 workers, and `auto` with a reachable and an unreachable target).
//!
//! The files are parsed here, simply, so that this example depends only on the partition module.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use timeshard::partition::{lower_bound, lpt, partition, Budget, Partition};
use timeshard::plan::{build, PlanOptions, Workers};
use timeshard::{Granularity, TestKey};

const NS: [usize; 6] = [2, 4, 8, 16, 32, 64];

fn main() {
    let dir = std::env::args()
        .nth(1)
        .map(PathBuf::from)
        .unwrap_or_else(|| "/work/shared/bench/timings".into());
    let mut files: Vec<PathBuf> = match std::fs::read_dir(&dir) {
        Ok(entries) => entries.filter_map(|e| e.ok().map(|e| e.path())).collect(),
        Err(err) => {
            eprintln!("cannot read {}: {err}", dir.display());
            std::process::exit(1);
        }
    };
    files.sort();

    let budget = Budget::default();
    let mut lpt_excess = Vec::new();
    let mut part_excess = Vec::new();
    let mut worst_lpt = (0.0, String::new());
    let mut worst_part = (0.0, String::new());
    let mut total_time = Duration::ZERO;
    let mut slowest = (Duration::ZERO, String::new());
    let mut at_bound = 0;

    println!(
        "{:<72} {:>5} {:>3} {:>10} {:>10} {:>10} {:>9}",
        "file", "units", "N", "LB s", "LPT %", "part %", "ms"
    );
    for path in &files {
        let Some(weights) = read_timings(path) else {
            continue;
        };
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        for n in NS.into_iter().filter(|&n| n <= weights.len()) {
            let lb = lower_bound(&weights, n);
            let plain = lpt(&weights, n);
            let started = Instant::now();
            let refined = partition(&weights, n, &budget);
            let took = started.elapsed();
            check(&refined, &plain, weights.len(), n, &name);
            let (el, ep) = (excess(&plain, lb), excess(&refined, lb));
            let case = format!("{name} N={n}");
            if el > worst_lpt.0 {
                worst_lpt = (el, case.clone());
            }
            if ep > worst_part.0 {
                worst_part = (ep, case.clone());
            }
            if took > slowest.0 {
                slowest = (took, case);
            }
            if ep == 0.0 {
                at_bound += 1;
            }
            lpt_excess.push(el);
            part_excess.push(ep);
            total_time += took;
            let ms = took.as_secs_f64() * 1e3;
            println!(
                "{name:<72} {:>5} {n:>3} {lb:>10.3} {el:>10.5} {ep:>10.5} {ms:>9.3}",
                weights.len()
            );
        }
    }
    let cases = part_excess.len();
    if cases == 0 {
        println!("no timing files in {}", dir.display());
        return;
    }
    let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
    println!();
    println!(
        "{cases} cases from {}; excess of the makespan over the lower bound:",
        dir.display()
    );
    println!(
        "  LPT:       mean {:.5} %, worst {:.4} % ({})",
        mean(&lpt_excess),
        worst_lpt.0,
        worst_lpt.1
    );
    println!(
        "  partition: mean {:.5} %, worst {:.4} % ({})",
        mean(&part_excess),
        worst_part.0,
        worst_part.1
    );
    println!("  partition at the lower bound: {at_bound} of {cases} cases");
    println!(
        "  partition time: mean {:.3} ms per case, slowest {:.3} ms ({})",
        total_time.as_secs_f64() * 1e3 / cases as f64,
        slowest.0.as_secs_f64() * 1e3,
        slowest.1
    );

    println!();
    let weights = random_weights(200_000, 0x5eed_1234_abcd_ef01);
    for n in [64, 256] {
        let lb = lower_bound(&weights, n);
        let started = Instant::now();
        let plain = lpt(&weights, n);
        let lpt_time = started.elapsed();
        let started = Instant::now();
        let refined = partition(&weights, n, &budget);
        let took = started.elapsed();
        check(&refined, &plain, weights.len(), n, "random");
        println!(
            "200,000 random weights, N = {n:>3}: lpt {:>7.2} ms ({:.6} % over LB), partition {:>7.2} ms ({:.6} % over LB)",
            lpt_time.as_secs_f64() * 1e3,
            excess(&plain, lb),
            took.as_secs_f64() * 1e3,
            excess(&refined, lb)
        );
    }

    // The whole plan, including `auto` (which partitions for several worker counts).
    let units: Vec<TestKey> = (0..weights.len())
        .map(|i| TestKey::file_only(format!("tests/test_{i}.py")))
        .collect();
    let estimated = vec![false; weights.len()];
    let total: f64 = weights.iter().sum();
    let overhead = 60.0;
    let settings = [
        ("fixed 64", Workers::Fixed(64)),
        (
            "auto, ~100 workers meet the target",
            Workers::Auto {
                target_seconds: total / 100.0 + overhead,
                max_workers: 256,
            },
        ),
        (
            "auto, target out of reach",
            Workers::Auto {
                target_seconds: 600.0,
                max_workers: 256,
            },
        ),
    ];
    for (label, workers) in settings {
        let opts = PlanOptions::new(workers, overhead, Granularity::File);
        let started = Instant::now();
        match build(&units, &weights, &estimated, &opts) {
            Ok(plan) => {
                let took = started.elapsed();
                if let Err(err) = plan.check_invariants(&units) {
                    panic!("{label}: {err}");
                }
                println!(
                    "plan::build, 200,000 tests, {label}: {:.1} ms → {} workers, {:.6} % over LB",
                    took.as_secs_f64() * 1e3,
                    plan.workers,
                    (plan.predicted_seconds - plan.lower_bound_seconds) / plan.lower_bound_seconds
                        * 100.0
                );
            }
            Err(err) => panic!("{label}: {err}"),
        }
    }
}

/// Percent above the lower bound (0 when the bound is 0).
fn excess(p: &Partition, lb: f64) -> f64 {
    if lb > 0.0 {
        (p.makespan() - lb) / lb * 100.0
    } else {
        0.0
    }
}

/// The promises the benchmark relies on; a broken one aborts the run loudly.
fn check(refined: &Partition, plain: &Partition, items: usize, n: usize, name: &str) {
    assert!(
        refined.makespan() <= plain.makespan(),
        "{name} N={n}: partition worse than LPT"
    );
    assert_eq!(
        refined.assignment.len(),
        items,
        "{name} N={n}: wrong assignment length"
    );
    assert!(
        refined.groups().iter().all(|g| !g.is_empty()),
        "{name} N={n}: empty group"
    );
}

/// The seconds of a flat JSON object or a `path:seconds` log, or `None` for any other file.
fn read_timings(path: &Path) -> Option<Vec<f64>> {
    let name = path.file_name()?.to_string_lossy().into_owned();
    let text = std::fs::read_to_string(path).ok()?;
    if name.ends_with(".log") {
        // parallel_tests: `spec/x_spec.rb:12.5`, split at the last ':'.
        let weights: Vec<f64> = text
            .lines()
            .filter_map(|line| line.rsplit_once(':'))
            .filter_map(|(_, secs)| secs.trim().parse::<f64>().ok())
            .collect();
        return (!weights.is_empty()).then_some(weights);
    }
    if !(name.ends_with(".json") || name.ends_with(".test_durations")) {
        return None;
    }
    let value: serde_json::Value = serde_json::from_str(&text).ok()?;
    let object = value.as_object()?;
    // Keys in file order are not kept by serde_json's default map (sorted), which is fine: units are the keys.
    let weights: Vec<f64> = object.values().filter_map(|v| v.as_f64()).collect();
    (!weights.is_empty()).then_some(weights)
}

/// Heavy-tailed pseudo-random test durations (xorshift64*; log-uniform over 1 ms … 100 s), reproducible.
fn random_weights(count: usize, mut state: u64) -> Vec<f64> {
    (0..count)
        .map(|_| {
            state ^= state >> 12;
            state ^= state << 25;
            state ^= state >> 27;
            let x = state.wrapping_mul(0x2545_f491_4f6c_dd1d);
            let u = (x >> 11) as f64 / (1u64 << 53) as f64;
            1e-3 * 10f64.powf(5.0 * u)
        })
        .collect()
}
