//! Property tests of the splitter: the promises of `partition` and `plan` on random inputs.

use proptest::prelude::*;
use timeshard::partition::{lower_bound, lpt, partition, Budget, Partition};
use timeshard::plan::{build, PlanOptions, Workers};
use timeshard::{Granularity, TestKey};

/// Weights with the shapes that matter: continuous, small integers (many ties), zeros mixed in, heavy-tailed.
fn weights(max_len: usize) -> impl Strategy<Value = Vec<f64>> {
    prop_oneof![
        prop::collection::vec(0.0f64..100.0, 0..max_len),
        prop::collection::vec((1u32..6).prop_map(f64::from), 0..max_len),
        prop::collection::vec(prop_oneof![Just(0.0), 0.0f64..5.0], 0..max_len),
        prop::collection::vec(
            (0.0f64..1.0).prop_map(|u| 0.001 / (0.0001 + u * u)),
            0..max_len
        ),
    ]
}

/// The optimum by trying every assignment (tiny inputs only).
fn brute_force(w: &[f64], n: usize) -> f64 {
    let mut best = f64::INFINITY;
    let mut assign = vec![0usize; w.len()];
    loop {
        let mut loads = vec![0.0; n];
        for (&g, &x) in assign.iter().zip(w) {
            loads[g] += x;
        }
        let nonempty = w.len() < n || (0..n).all(|g| assign.contains(&g));
        if nonempty {
            best = best.min(loads.iter().copied().fold(0.0, f64::max));
        }
        // Next assignment in base n.
        let mut k = 0;
        loop {
            if k == assign.len() {
                return best;
            }
            assign[k] += 1;
            if assign[k] < n {
                break;
            }
            assign[k] = 0;
            k += 1;
        }
    }
}

fn bits(p: &Partition) -> (Vec<usize>, Vec<u64>) {
    (
        p.assignment.clone(),
        p.loads.iter().map(|x| x.to_bits()).collect(),
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn partition_promises(w in weights(120), n in 1usize..20) {
        let budget = Budget::default();
        let p = partition(&w, n, &budget);
        let l = lpt(&w, n);

        // Every item exactly once, in a valid group.
        prop_assert_eq!(p.assignment.len(), w.len());
        prop_assert_eq!(p.loads.len(), n);
        prop_assert!(p.assignment.iter().all(|&g| g < n));
        // No empty group when there are enough items.
        let groups = p.groups();
        if n <= w.len() {
            prop_assert!(groups.iter().all(|g| !g.is_empty()));
            prop_assert!(l.groups().iter().all(|g| !g.is_empty()));
        }
        // Loads are the input-order sums of each group.
        for (g, items) in groups.iter().enumerate() {
            let sum = items.iter().fold(0.0, |acc, &i| acc + w[i]);
            prop_assert_eq!(p.loads[g].to_bits(), sum.to_bits());
        }
        // Never worse than LPT, never better than the lower bound.
        prop_assert!(p.makespan() <= l.makespan());
        let lb = lower_bound(&w, n);
        prop_assert!(p.makespan() >= lb * (1.0 - 1e-9), "makespan {} below bound {}", p.makespan(), lb);
        // Same input, same bits.
        prop_assert_eq!(bits(&partition(&w, n, &budget)), bits(&p));
        prop_assert_eq!(bits(&lpt(&w, n)), bits(&l));
    }

    #[test]
    fn tiny_instances_are_solved_exactly(w in prop::collection::vec((1u32..30).prop_map(f64::from), 1..10), n in 1usize..4) {
        let p = partition(&w, n, &Budget::default());
        prop_assert_eq!(p.makespan(), brute_force(&w, n));
    }

    #[test]
    fn bad_weights_do_not_break_promises(
        w in prop::collection::vec(prop_oneof![Just(f64::NAN), Just(-1.0), Just(f64::INFINITY), 0.0f64..10.0], 0..40),
        n in 1usize..8,
    ) {
        let p = partition(&w, n, &Budget::default());
        prop_assert_eq!(p.assignment.len(), w.len());
        prop_assert!(p.makespan().is_finite());
        prop_assert!(p.makespan() <= lpt(&w, n).makespan());
        if n <= w.len() {
            prop_assert!(p.groups().iter().all(|g| !g.is_empty()));
        }
    }

    #[test]
    fn plan_invariants_hold(
        w in weights(150),
        dup in prop::collection::vec(any::<bool>(), 150),
        est in prop::collection::vec(any::<bool>(), 150),
        workers in prop_oneof![
            (1usize..=256).prop_map(Workers::Fixed),
            (1.0f64..500.0, 1usize..=256).prop_map(|(t, m)| Workers::Auto { target_seconds: t, max_workers: m }),
        ],
        overhead in prop_oneof![Just(0.0), 0.0f64..120.0],
    ) {
        // Some ids repeat the previous one, to exercise de-duplication.
        let mut ids: Vec<String> = Vec::with_capacity(w.len());
        for i in 0..w.len() {
            let id = if i > 0 && dup[i] { ids[i - 1].clone() } else { format!("tests/test_{i}.py") };
            ids.push(id);
        }
        let units: Vec<TestKey> = ids.iter().map(|id| TestKey::file_only(id.clone())).collect();
        let estimated = &est[..w.len()];
        let opts = PlanOptions::new(workers, overhead, Granularity::File);
        let plan = build(&units, &w, estimated, &opts).map_err(|e| TestCaseError::fail(e.to_string()))?;
        plan.check_invariants(&units).map_err(|e| TestCaseError::fail(e.to_string()))?;

        // Units inside a group keep the input order.
        for g in &plan.groups {
            let positions: Vec<usize> =
                g.tests.iter().filter_map(|t| ids.iter().position(|id| id == t)).collect();
            prop_assert!(positions.windows(2).all(|p| p[0] < p[1]));
        }
        // Fixed: as requested, unless there are fewer units.
        if let Workers::Fixed(k) = workers {
            prop_assert_eq!(plan.workers, k.min(plan.tests));
        }
        // Auto: no listed candidate smaller than the choice meets the target when the choice does.
        if let Workers::Auto { target_seconds, max_workers } = workers {
            prop_assert!(plan.workers <= max_workers);
            if plan.tests > 0 && plan.predicted_wall_seconds <= target_seconds {
                for c in plan.candidates.iter().filter(|c| c.workers < plan.workers) {
                    prop_assert!(c.wall_seconds > target_seconds - 0.001, "{:?}", c);
                }
            }
        }
        // Same input, same bytes.
        let again = build(&units, &w, estimated, &opts).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(serde_json::to_string(&again).ok(), serde_json::to_string(&plan).ok());
    }
}
