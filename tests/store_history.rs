//! The timing store over the real histories in `shared/bench/history`: every version of each suite is recorded as
//! one CI run, and after each run the store's promises are checked (nothing recent lost, pruning, byte-identical
//! round trip, determinism, a missing shard loses nothing, a future version is refused), and the next version is
//! planned from the store the way the action plans it (estimates for the new tests, estimated units spread).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use timeshard::estimate::estimate;
use timeshard::plan::{build, PlanOptions, Workers};
use timeshard::report::Sample;
use timeshard::store::{RecordOptions, Store};
use timeshard::{Granularity, TestKey};

/// `(suite name, versions)`, each version a list of samples sorted by id; `None` (with a note) when the histories
/// are not there.
fn histories() -> Option<Vec<(String, Vec<Vec<Sample>>)>> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/bench/history");
    let Ok(entries) = std::fs::read_dir(&dir) else {
        eprintln!(
            "note: {} not found; skipping the history tests",
            dir.display()
        );
        return None;
    };
    let mut suites: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_dir())
        .collect();
    suites.sort();
    let mut out = Vec::new();
    for suite in suites {
        let mut files: Vec<PathBuf> = std::fs::read_dir(&suite)
            .expect("readable history folder")
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "json"))
            .collect();
        files.sort();
        let versions: Vec<Vec<Sample>> = files
            .iter()
            .map(|f| {
                let map: BTreeMap<String, f64> =
                    serde_json::from_slice(&std::fs::read(f).expect("readable file"))
                        .expect("an {id: seconds} file");
                map.into_iter()
                    .map(|(id, seconds)| Sample {
                        key: TestKey::from_id(&id, &[]),
                        seconds,
                    })
                    .collect()
            })
            .collect();
        let name = suite
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        out.push((name, versions));
    }
    assert!(!out.is_empty(), "no suites under {}", dir.display());
    Some(out)
}

fn ids(samples: &[Sample]) -> BTreeSet<String> {
    samples.iter().map(|s| s.key.id.clone()).collect()
}

fn stored_ids(store: &Store) -> BTreeSet<String> {
    store.iter().map(|t| t.key.id).collect()
}

#[test]
fn recording_every_version_keeps_the_promises() {
    let Some(histories) = histories() else { return };
    let opts = RecordOptions {
        prune_after_runs: 3,
    };
    for (name, versions) in &histories {
        let mut store = Store::new();
        let mut twin = Store::new();
        let mut pruned_total = 0;
        for (run, version) in versions.iter().enumerate() {
            let before = stored_ids(&store);
            let summary = store.record_run(std::slice::from_ref(version), &opts);
            twin.record_run(std::slice::from_ref(version), &opts);
            let now = stored_ids(&store);
            let seen = ids(version);

            assert_eq!(summary.runs, run as u64 + 1, "{name} run {}", run + 1);
            assert_eq!(
                (summary.recorded, summary.tests),
                (seen.len(), now.len()),
                "{name} run {}",
                run + 1
            );
            assert_eq!(
                summary.new_tests,
                seen.difference(&before).count(),
                "{name} run {}",
                run + 1
            );
            let missing: BTreeSet<String> = before.difference(&seen).cloned().collect();
            assert_eq!(
                summary.missing.iter().cloned().collect::<BTreeSet<_>>(),
                missing,
                "{name} run {}",
                run + 1
            );
            // Nothing seen in the last `prune_after_runs` runs is lost; everything older is gone.
            let recent: BTreeSet<String> = versions[run.saturating_sub(2)..=run]
                .iter()
                .flat_map(|v| ids(v))
                .collect();
            assert_eq!(
                now,
                recent,
                "{name} run {}: the store holds exactly the tests of the last 3 runs",
                run + 1
            );
            pruned_total += summary.pruned_tests.len();

            // Byte-identical round trip and determinism.
            let json = store.to_json();
            let (back, warnings) = Store::load(json.as_bytes()).expect("own output loads");
            assert!(warnings.is_empty(), "{name}: {warnings:?}");
            assert_eq!(back.to_json(), json, "{name} run {}: round trip", run + 1);
            assert_eq!(back, store);
            assert_eq!(twin.to_json(), json, "{name} run {}: determinism", run + 1);

            let timings = store.timings();
            assert!(
                timings.windows(2).all(|w| w[0].key.id < w[1].key.id),
                "{name}: timings sorted by id"
            );
            assert!(
                timings
                    .iter()
                    .all(|t| t.seconds.is_finite() && t.seconds >= 0.0),
                "{name}"
            );
        }
        let json = store.to_json();
        eprintln!(
            "{name}: {} runs, {} tests, {} pruned over the history, store {} bytes ({:.0} bytes a test)",
            store.runs(),
            store.len(),
            pruned_total,
            json.len(),
            json.len() as f64 / store.len().max(1) as f64
        );
    }
}

#[test]
fn a_missing_shard_loses_nothing() {
    let Some(histories) = histories() else { return };
    let opts = RecordOptions::default();
    for (name, versions) in &histories {
        let (Some(first), Some(second)) = (versions.first(), versions.get(1)) else {
            continue;
        };
        let mut store = Store::new();
        store.record_run(std::slice::from_ref(first), &opts);
        let before: BTreeMap<String, Vec<f64>> = store
            .iter()
            .map(|t| (t.key.id, t.samples.to_vec()))
            .collect();
        // The second version as 4 shards (round robin by id); shard 3's report never arrives.
        let mut shards: Vec<Vec<Sample>> = vec![Vec::new(); 4];
        for (i, s) in second.iter().enumerate() {
            shards[i % 4].push(s.clone());
        }
        let lost = shards.remove(2);
        let summary = store.record_run(&shards, &opts);
        let arrived: BTreeSet<String> = shards.iter().flat_map(|s| ids(s)).collect();
        for (id, samples) in &before {
            let now = store
                .iter()
                .find(|t| &t.key.id == id)
                .map(|t| t.samples.to_vec());
            if arrived.contains(id) {
                assert_eq!(
                    now.map(|s| s.len()),
                    Some(samples.len() + 1),
                    "{name}: {id} gained a sample"
                );
            } else {
                assert_eq!(now.as_ref(), Some(samples), "{name}: {id} kept its data");
            }
        }
        let want_missing: BTreeSet<String> = before
            .keys()
            .filter(|id| !arrived.contains(*id))
            .cloned()
            .collect();
        assert_eq!(
            summary.missing.iter().cloned().collect::<BTreeSet<_>>(),
            want_missing,
            "{name}"
        );
        assert!(ids(&lost)
            .iter()
            .filter(|id| before.contains_key(*id))
            .all(|id| want_missing.contains(id)));
        assert!(summary.pruned_tests.is_empty(), "{name}");
        // A shard uploaded twice changes nothing.
        let mut doubled = store.clone();
        let mut again = store.clone();
        doubled.record_run(&[shards[0].clone(), shards[0].clone()], &opts);
        again.record_run(&[shards[0].clone()], &opts);
        assert_eq!(doubled.to_json(), again.to_json(), "{name}");
    }
}

#[test]
fn a_store_from_a_newer_build_is_refused_clearly() {
    let Some(histories) = histories() else { return };
    let (_, versions) = &histories[0];
    let mut store = Store::new();
    store.record_run(&versions[..1], &RecordOptions::default());
    let future = store
        .to_json()
        .replacen("\"version\":1", "\"version\":7", 1);
    let err = Store::load(future.as_bytes()).expect_err("a future version must not load");
    assert_eq!(
        err.to_string(),
        "timing store: format version 7 is newer than this build (1); update timeshard to use this store (starting \
         from an empty store)"
    );
    // A truncated store (e.g. an interrupted cache upload) is an error that says where.
    let json = store.to_json();
    let err = Store::load(&json.as_bytes()[..json.len() / 2]).expect_err("truncated");
    assert!(
        err.to_string()
            .starts_with("timing store: not valid JSON: ")
            && err.to_string().contains("line "),
        "{err}"
    );
}

#[test]
fn the_next_version_is_planned_from_the_store() {
    let Some(histories) = histories() else { return };
    for (name, versions) in &histories {
        let mut store = Store::new();
        for (k, version) in versions.iter().enumerate().take(versions.len() - 1) {
            store.record_run(std::slice::from_ref(version), &RecordOptions::default());
            let next = &versions[k + 1];
            let units: Vec<TestKey> = next.iter().map(|s| s.key.clone()).collect();
            let est = estimate(&units, &[], &store.timings(), Granularity::Test);
            let estimated: Vec<bool> = est.basis.iter().map(|b| b.is_estimated()).collect();
            // Exactly the tests the store has not seen are estimated.
            let known = stored_ids(&store);
            let new: Vec<bool> = units.iter().map(|u| !known.contains(&u.id)).collect();
            assert_eq!(estimated, new, "{name} k={}", k + 1);
            for n in [4, 32] {
                let opts = PlanOptions::new(Workers::Fixed(n), 0.0, Granularity::Test);
                let plan = build(&units, &est.seconds, &estimated, &opts)
                    .unwrap_or_else(|e| panic!("{name} k={} N={n}: {e}", k + 1));
                plan.check_invariants(&units)
                    .unwrap_or_else(|e| panic!("{name} k={} N={n}: {e}", k + 1));
                assert_eq!(plan.workers, n);
                assert_eq!(
                    plan.estimated_tests,
                    new.iter().filter(|&&x| x).count(),
                    "{name} k={} N={n}",
                    k + 1
                );
                // Spreading the estimated tests costs the prediction nothing measurable: within 1 % of the bound.
                assert!(
                    plan.predicted_seconds <= plan.lower_bound_seconds * 1.01,
                    "{name} k={} N={n}: predicted {} vs bound {}",
                    k + 1,
                    plan.predicted_seconds,
                    plan.lower_bound_seconds
                );
                // Same input, same plan.
                let again = build(&units, &est.seconds, &estimated, &opts)
                    .unwrap_or_else(|e| panic!("{e}"));
                assert_eq!(again, plan, "{name} k={} N={n}", k + 1);
            }
        }
    }
}
