//! Times `api::plan` and `api::record` natively on report files given on the command line (a profiling aid).
//! Usage: cargo run --release --example profile_plan -- GRANULARITY WORKERS REPORT...
//! (`PLAN_ONLY=1` skips the record part; `PARSE_ONLY=1` only parses the reports; `PLAN_OUT=path` writes the plan
//! JSON there, to check that a change keeps plans byte-identical.)
use std::time::Instant;
use timeshard::api::{self, PlanRequest, RecordRequest, Source};
use timeshard::plan::{PlanOptions, Workers};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let g = args[0].parse().expect("granularity");
    let n: usize = args[1].parse().expect("workers");
    let t = Instant::now();
    let timings: Vec<Source> = args[2..]
        .iter()
        .map(|p| Source {
            name: p.clone(),
            data: std::fs::read(p).expect("read"),
        })
        .collect();
    eprintln!("read {:?}", t.elapsed());
    if std::env::var_os("PARSE_ONLY").is_some() {
        let t = Instant::now();
        let opts = timeshard::report::ParseOptions::default();
        let cases: usize = timings
            .iter()
            .map(|s| {
                timeshard::report::parse(&s.name, &s.data, &opts).map_or(0, |r| r.samples.len())
            })
            .sum();
        eprintln!("parse {:?} ({cases} samples)", t.elapsed());
        return;
    }
    let t = Instant::now();
    let req = PlanRequest {
        tests: None,
        sizes: vec![],
        timings: timings.clone(),
        store: None,
        roots: vec![],
        options: PlanOptions::new(Workers::Fixed(n), 60.0, g),
    };
    let plan = api::plan(&req).expect("plan");
    eprintln!(
        "plan {:?} ({} units, {} groups)",
        t.elapsed(),
        plan.tests,
        plan.workers
    );
    let t = Instant::now();
    let json = serde_json::to_string(&plan).expect("json");
    eprintln!("plan json {:?} ({} bytes)", t.elapsed(), json.len());
    if let Some(out) = std::env::var_os("PLAN_OUT") {
        std::fs::write(out, &json).expect("write PLAN_OUT");
    }
    if std::env::var_os("PLAN_ONLY").is_some() {
        return;
    }
    let t = Instant::now();
    let rec = api::record(&RecordRequest {
        store: None,
        reports: timings,
        roots: vec![],
        prune_after_runs: 30,
    })
    .expect("record");
    eprintln!("record {:?} ({} bytes)", t.elapsed(), rec.store.len());
}
