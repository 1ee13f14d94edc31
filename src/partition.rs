//! Splits weighted items into `n` groups so that the heaviest group (the *makespan*) is as light as possible.
//!
//! This is multiway number partitioning (`P||Cmax` scheduling), which is NP-hard; the module gives a good answer
//! quickly and says how far from perfect it can be:
//!
//! * [`lower_bound`] — no assignment can beat `max(S/n, p₁, pₙ + pₙ₊₁)` (items sorted by weight, descending;
//!   the last term only when there are more than `n` items, because then two of the `n + 1` largest share a group).
//! * [`lpt`] — *longest processing time first*: the largest item onto the least-loaded group, with a binary heap.
//!   `O(m log m + m log n)` for `m` items. Within 4/3 of optimal in the worst case, usually within one small item of
//!   `S/n` when items ≫ groups. This is what every peer tool uses.
//! * [`partition`] — LPT, then a bounded local search (moves and pairwise swaps between the heaviest group and the
//!   others), and for tiny instances an exact branch-and-bound search; the best result is kept, so it is never
//!   worse than [`lpt`]. All work is bounded by a [`Budget`] counted in operations, not time.
//! * [`partition_hedged`] — for a mix of measured and estimated items: a greedy like LPT that charges a group for
//!   the estimated items it holds (their error is of the order of their own size), so such a group counts as fuller
//!   than its load and further items, estimated ones included, rather go elsewhere; then the same local search,
//!   which evens the loads out again. No exact search, so on tiny instances it may predict a larger makespan than [`partition`];
//!   see [`HEDGE`] for what it gains on real histories.
//!
//! What it does not do: it does not know about test ids or worker-count choice, nor of estimates more than which
//! items are uncertain (that is
//! [`crate::plan`]); it does not shrink `n` when there are fewer items than groups — then some groups stay empty and
//! the caller decides what that means. `n = 0` is treated as `n = 1`. Weights that are negative, NaN or infinite
//! are treated as 0 (the caller validates its inputs; this module never panics on them).
//!
//! ## Determinism
//!
//! Same weights and `n` (and budget) → the same assignment, bit for bit, on every platform including wasm: loads
//! are `f64` sums built only from `+`/`-` in a fixed order, no fused multiply-add, no transcendental functions, no
//! clock, no hash-map iteration (the hedged greedy's charges also use `*` and `sqrt`, which IEEE 754 rounds exactly,
//! wasm's `f64.sqrt` included). Tie-breaks, in the order they apply:
//!
//! 1. Items are taken by weight descending, equal weights in input order (lower index first).
//! 2. LPT gives the first `n` items one group each (group `k` gets the `k`-th largest item), then each next item goes
//!    to the least-loaded group; equal loads → the lowest group index.
//! 3. Local search always works on the heaviest group (equal loads → lowest index) and takes the step that leaves
//!    the lighter of the two touched groups' maxima smallest; equal steps → the one found first, scanning the other
//!    groups from lightest to heaviest (equal loads → lower index), moves before swaps, items by weight ascending
//!    (equal weights → higher index first, the reverse of rule 1).
//! 4. A refined result replaces an earlier one only if its makespan is strictly smaller; so equal-makespan results
//!    keep the earlier candidate (LPT first, then local search, then exact search).
//! 5. [`partition_hedged`]'s greedy takes items in the order of rule 1, gives the first `n` one group each, then
//!    each item to the group with the smallest charged load; equal values → the lowest group index. Its local
//!    search follows rule 3.
//!
//! Loads in the returned [`Partition`] are recomputed at the end by summing each group's items in input order, so
//! they do not depend on the path the search took.

use std::cmp::Ordering;
use std::collections::BinaryHeap;

/// Relative tolerance: a step must lower the heaviest group by more than this fraction of its load to count as an
/// improvement, so rounding noise can never make the search cycle.
const REL_EPS: f64 = 1e-9;

/// How much [`partition_hedged`] pays for spreading uncertain items: an item goes to the group that minimises
/// `load + HEDGE · sqrt(V)` after taking it, where `V` is the sum of the squared weights of the group's uncertain
/// items (an estimate's error is taken to be about as large as the estimate: a new test is often several times
/// slower or faster than its neighbours' median). So a group holding uncertain work counts as fuller than its load
/// and gets less further work.
///
/// Chosen by replaying the four real histories of `shared/bench/history` (examples/replay.rs: record versions
/// 1..=k, estimate version k+1's tests with the store's default statistic, split into N ∈ {4, 8, 16, 32}, score
/// the realized makespan with version k+1's true times over its lower bound). Mean excess as a ratio to
/// pytest-split's `least_duration`, each case averaged over 65 plans from estimates jittered by ±0.1 % — one plan is
/// a single draw of where the unforeseeable errors land, and on these histories the draws differ by more than the
/// rules compared. Command: `JITTER=64 cargo run --release --example replay -- --hedge`; the last two columns repeat
/// the worst / mean ratio with other draws (`JITTER_OFFSET=64`, `=128`):
///
/// ```text
/// factor             conda-linux  hypha  identity-idp  onegov-cloud  worst / mean  other draws
/// none (partition)   0.78         1.12   0.87          1.00          1.12 / 0.94   1.18 / 0.96   1.14 / 0.95
/// 0.25               0.75         1.11   0.85          0.99          1.11 / 0.93   1.11 / 0.93   1.11 / 0.93
/// 0.5                0.74         1.09   0.85          0.97          1.09 / 0.91   1.12 / 0.93   1.10 / 0.92
/// 0.75 (chosen)      0.75         1.09   0.79          0.97          1.09 / 0.90   1.10 / 0.91   1.10 / 0.91
/// 1                  0.75         1.09   0.81          0.98          1.09 / 0.91   1.10 / 0.91   1.07 / 0.91
/// 1.5                0.76         1.08   0.80          0.99          1.08 / 0.91   1.10 / 0.92   1.08 / 0.91
/// 0.5, greedy only   0.77         1.09   0.86          0.97          1.09 / 0.92
/// placebo, random    0.77         1.14   0.93          1.00          1.14 / 0.96
/// placebo, same size 0.75         1.11   0.84          0.99          1.11 / 0.92
/// ```
///
/// Every factor beats no hedging on every history in every set of draws. Rule: the smallest worst ratio over the
/// histories, ratios within 0.01 tying, then the smallest mean ratio — over the three sets 0.75 and 1 are level
/// (hypha's ratio moves by up to 0.06 between sets of 65 draws) and 0.75 has the lower mean ratio. The placebos
/// flag other units with the same count (random ones; the measured unit nearest in size to each estimated one):
/// the one matched by size gets conda-linux's gain too, so there the gain comes from where units of that size go,
/// but on identity-idp, hypha and onegov-cloud flagging the estimated units is what helps. Without jitter (the one
/// plan the benchmark scores), 0.75 gives 0.75 / 1.06 / 0.87 / 0.90 against 0.79 / 1.01 / 0.92 / 0.95 for no
/// hedging; hypha, where about 12 tests a version take ~38 s instead of ~0.1 s, is a lottery either way (see
/// [`crate::store::Statistic`]). The local search evens the loads out again afterwards (the predicted makespan
/// stays at the lower bound on these histories), so what remains is which units share a group.
pub const HEDGE: f64 = 0.75;

/// An assignment of items to groups.
#[derive(Debug, Clone, PartialEq)]
pub struct Partition {
    /// The group (0-based) of each input item, in input order.
    pub assignment: Vec<usize>,
    /// The load (sum of weights) of each group; `loads.len()` is the number of groups.
    pub loads: Vec<f64>,
}

impl Partition {
    /// The heaviest group's load (0 when there are no groups).
    pub fn makespan(&self) -> f64 {
        self.loads.iter().copied().fold(0.0, f64::max)
    }

    /// The items (input indices, ascending) of every group.
    pub fn groups(&self) -> Vec<Vec<usize>> {
        let mut groups = vec![Vec::new(); self.loads.len()];
        for (item, &g) in self.assignment.iter().enumerate() {
            if let Some(group) = groups.get_mut(g) {
                group.push(item);
            }
        }
        groups
    }

    /// Builds a partition from an assignment, computing the loads by summing each group in input order.
    fn from_assignment(weights: &[f64], assignment: Vec<usize>, n: usize) -> Partition {
        let mut loads = vec![0.0; n];
        for (&w, &g) in weights.iter().zip(&assignment) {
            if let Some(load) = loads.get_mut(g) {
                *load += w;
            }
        }
        Partition { assignment, loads }
    }
}

/// How much work [`partition`] may do beyond LPT. Counted in iterations and elementary operations (items looked
/// at), never in time, so a result does not depend on the machine's speed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Budget {
    /// Most improving steps (one move or swap each) of the local search.
    pub max_iterations: usize,
    /// Most item comparisons the local search may make in total; it stops at the first step past this.
    pub max_operations: u64,
    /// The exact search runs only when there are at most this many items (0 disables it).
    pub exact_max_items: usize,
    /// Most search-tree nodes the exact search may visit; it keeps the best assignment found so far when it stops.
    pub exact_max_nodes: u64,
}

impl Default for Budget {
    /// Generous enough that every benchmark suite and 200,000 random items reach their local optimum (the most
    /// seen was 4.6 million operations), small enough to bound the worst case to tens of milliseconds: 100,000
    /// steps, 20 million operations. Exact search up to 40 items and 50,000 nodes (≤ 10 ms natively; on random
    /// 10–40 item instances it lowers the makespan by 0.21 % on average over local search alone, 4× the nodes
    /// only by 0.23 %).
    fn default() -> Self {
        Budget {
            max_iterations: 100_000,
            max_operations: 20_000_000,
            exact_max_items: 40,
            exact_max_nodes: 50_000,
        }
    }
}

/// A weight that is usable: finite and positive, else 0.
fn clean(w: f64) -> f64 {
    if w.is_finite() && w > 0.0 {
        w
    } else {
        0.0
    }
}

/// Item indices by weight descending, equal weights by index ascending (tie-break 1).
fn order_desc(w: &[f64]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..w.len()).collect();
    order.sort_unstable_by(|&a, &b| w[b].total_cmp(&w[a]).then(a.cmp(&b)));
    order
}

/// The lower bound from weights already cleaned and sorted descending, and their sum.
fn lower_bound_sorted(sorted: &[f64], total: f64, n: usize) -> f64 {
    let n = n.max(1);
    let mut lb = total / n as f64;
    if let Some(&p1) = sorted.first() {
        lb = lb.max(p1);
    }
    if let (Some(&pn), Some(&pn1)) = (sorted.get(n - 1), sorted.get(n)) {
        lb = lb.max(pn + pn1);
    }
    lb
}

/// A precomputed view of the weights that several calls (one per candidate worker count) can share.
#[derive(Debug, Clone)]
pub(crate) struct Prepared {
    /// Cleaned weights, input order.
    w: Vec<f64>,
    /// Item indices, weight descending (tie-break 1).
    order: Vec<usize>,
    /// Cleaned weights in `order`.
    sorted: Vec<f64>,
    /// Sum of the cleaned weights (input order).
    total: f64,
}

impl Prepared {
    /// Cleans and sorts the weights once: `O(m log m)`.
    pub(crate) fn new(weights: &[f64]) -> Prepared {
        let w: Vec<f64> = weights.iter().map(|&x| clean(x)).collect();
        let order = order_desc(&w);
        let sorted = order.iter().map(|&i| w[i]).collect();
        let total = w.iter().sum();
        Prepared {
            w,
            order,
            sorted,
            total,
        }
    }

    /// Sum of all weights.
    pub(crate) fn total(&self) -> f64 {
        self.total
    }

    /// [`lower_bound`] for `n` groups in `O(1)`.
    pub(crate) fn lower_bound(&self, n: usize) -> f64 {
        lower_bound_sorted(&self.sorted, self.total, n)
    }

    /// [`lpt`] without sorting again.
    pub(crate) fn lpt(&self, n: usize) -> Partition {
        let n = n.max(1);
        Partition::from_assignment(&self.w, lpt_assign(&self.w, &self.order, n), n)
    }

    /// [`partition`] without sorting again.
    pub(crate) fn partition(&self, n: usize, budget: &Budget) -> Partition {
        let n = n.max(1);
        let w = &self.w;
        let start = lpt_assign(w, &self.order, n);
        let mut best = Partition::from_assignment(w, start.clone(), n);
        let lb = self.lower_bound(n);
        if is_at_bound(best.makespan(), lb) || self.w.len() <= n {
            return best;
        }

        let mut search = LocalSearch::new(w, &self.order, start, n);
        search.run(budget);
        let refined = Partition::from_assignment(w, search.assign, n);
        if refined.makespan() < best.makespan() {
            best = refined;
        }

        if w.len() <= budget.exact_max_items && !is_at_bound(best.makespan(), lb) {
            if let Some(exact) = exact_search(
                w,
                &self.order,
                n,
                best.makespan(),
                lb,
                budget.exact_max_nodes,
            ) {
                let exact = Partition::from_assignment(w, exact, n);
                if exact.makespan() < best.makespan() {
                    best = exact;
                }
            }
        }
        best
    }
}

impl Prepared {
    /// [`partition_hedged`] without sorting again.
    pub(crate) fn partition_hedged(
        &self,
        uncertain: &[bool],
        n: usize,
        budget: &Budget,
        hedge: f64,
    ) -> Partition {
        let n = n.max(1);
        let hedge = if hedge.is_finite() {
            hedge.max(0.0)
        } else {
            0.0
        };
        let w = &self.w;
        let is_uncertain = |i: usize| uncertain.get(i).copied().unwrap_or(false);
        let count = (0..w.len()).filter(|&i| is_uncertain(i)).count();
        if count == 0
            || count == w.len()
            || w.len() <= n
            || (count as u64).saturating_mul(n as u64) > budget.max_operations
        {
            return self.partition(n, budget);
        }
        let start = hedged_assign(w, &self.order, &is_uncertain, n, hedge);
        let mut search = LocalSearch::new(w, &self.order, start, n);
        search.run(budget);
        Partition::from_assignment(w, search.assign, n)
    }
}

/// The greedy start of [`partition_hedged`] with factor `hedge` (finite, ≥ 0); `n ≥ 1`.
///
/// Measured items go to the group with the smallest `load + hedge · sqrt(V)` (adding a measured item does not
/// change `V`, so that key decides), found with a heap whose stale entries are skipped; uncertain items look at
/// every group.
fn hedged_assign(
    w: &[f64],
    order: &[usize],
    uncertain: &dyn Fn(usize) -> bool,
    n: usize,
    hedge: f64,
) -> Vec<usize> {
    let mut assign = vec![0; w.len()];
    let mut load = vec![0.0f64; n];
    let mut var = vec![0.0f64; n];
    let key = |load: f64, var: f64| load + hedge * var.sqrt();
    for (g, &item) in order.iter().take(n).enumerate() {
        assign[item] = g;
        load[g] = w[item];
        if uncertain(item) {
            var[g] = w[item] * w[item];
        }
    }
    // Entries carry the key they were pushed with; one that no longer matches its group's key is stale.
    let mut heap: BinaryHeap<HeapKey> = (0..n)
        .map(|g| HeapKey {
            load: key(load[g], var[g]),
            group: g,
        })
        .collect();
    for &item in order.iter().skip(n) {
        let x = w[item];
        let g = if uncertain(item) {
            let u = x * x;
            let mut best = 0;
            let mut best_value = f64::INFINITY;
            for g in 0..n {
                let v = load[g] + hedge * (var[g] + u).sqrt();
                if v < best_value {
                    best_value = v;
                    best = g;
                }
            }
            var[best] += u;
            best
        } else {
            loop {
                match heap.pop() {
                    Some(top) if top.load == key(load[top.group], var[top.group]) => {
                        break top.group
                    }
                    Some(_) => continue,
                    None => break 0, // unreachable: every group always has a current entry
                }
            }
        };
        assign[item] = g;
        load[g] += x;
        heap.push(HeapKey {
            load: key(load[g], var[g]),
            group: g,
        });
    }
    assign
}

/// True when `makespan` is within rounding of the lower bound: no search can do better.
fn is_at_bound(makespan: f64, lb: f64) -> bool {
    makespan <= lb * (1.0 + REL_EPS)
}

/// The best possible makespan for `weights` in `n` groups is at least this: `max(S/n, p₁, pₙ + pₙ₊₁)` with `p`
/// sorted descending (the last term only when there are more than `n` items). 0 for no items. `O(m log m)`.
pub fn lower_bound(weights: &[f64], n: usize) -> f64 {
    let mut sorted: Vec<f64> = weights.iter().map(|&x| clean(x)).collect();
    sorted.sort_unstable_by(|a, b| b.total_cmp(a));
    let total = weights.iter().map(|&x| clean(x)).sum();
    lower_bound_sorted(&sorted, total, n)
}

/// Longest processing time first: items by weight descending onto the least-loaded of `n` groups (ties: see the
/// module docs). Every group gets an item when `n ≤ weights.len()`. `O(m log m + m log n)`.
pub fn lpt(weights: &[f64], n: usize) -> Partition {
    Prepared::new(weights).lpt(n)
}

/// LPT followed by local search and, for tiny instances, exact search, within `budget`. Never worse than [`lpt`]
/// (same makespan or smaller), never leaves a group empty when `n ≤ weights.len()`, deterministic (module docs).
///
/// Cost: `O(m log m + m log n)` for LPT plus, per local-search step, `O(n log n)` to order the groups and
/// `O(|heaviest| + |other|)` per other group looked at; groups that cannot beat the best step found are skipped
/// (usually all but one or two).
pub fn partition(weights: &[f64], n: usize, budget: &Budget) -> Partition {
    Prepared::new(weights).partition(n, budget)
}

/// [`partition`] for items of which some are `uncertain` (estimated rather than measured): the start is a greedy
/// that takes items by weight descending (tie-break 1), gives the first `n` one group each, and puts each next item
/// where `load + w + HEDGE · sqrt(V + u)` is smallest (`V`: the group's sum of squared uncertain weights; `u`: the
/// item's squared weight if it is uncertain, else 0; equal values → the lowest group index); then the local search
/// of [`partition`] runs from there (it only ever lowers the heaviest group). No exact search: it would undo the
/// spreading for the sake of the predicted makespan.
///
/// Falls back to [`partition`] when nothing is to be gained or the work would exceed the budget: no uncertain
/// item, only uncertain items (then they are all alike and `V` only adds noise), at most `n` items, or
/// `uncertain items × n` above `budget.max_operations`. `uncertain` shorter than `weights` counts the missing
/// entries as measured. Never leaves a group empty when `n ≤ weights.len()`; deterministic.
///
/// Cost: `O(m log m + m log n)` plus `O(n)` per uncertain item, plus the local search.
pub fn partition_hedged(
    weights: &[f64],
    uncertain: &[bool],
    n: usize,
    budget: &Budget,
) -> Partition {
    Prepared::new(weights).partition_hedged(uncertain, n, budget, HEDGE)
}

/// [`partition_hedged`] with another factor than [`HEDGE`] (for the replay benchmark that chose it; 0 gives the
/// greedy LPT order with local search). A factor that is negative or not finite counts as 0.
pub fn partition_hedged_with(
    weights: &[f64],
    uncertain: &[bool],
    n: usize,
    budget: &Budget,
    hedge: f64,
) -> Partition {
    Prepared::new(weights).partition_hedged(uncertain, n, budget, hedge)
}

/// A group's load as a heap key: smaller load first, then lower index (tie-break 2).
#[derive(Debug, Clone, Copy, PartialEq)]
struct HeapKey {
    load: f64,
    group: usize,
}

impl Eq for HeapKey {}

impl Ord for HeapKey {
    /// Reversed so that `BinaryHeap` (a max-heap) pops the least-loaded, lowest-index group.
    fn cmp(&self, other: &Self) -> Ordering {
        other
            .load
            .total_cmp(&self.load)
            .then(other.group.cmp(&self.group))
    }
}

impl PartialOrd for HeapKey {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// LPT on cleaned weights and their descending order; `n ≥ 1`.
fn lpt_assign(w: &[f64], order: &[usize], n: usize) -> Vec<usize> {
    let mut assign = vec![0; w.len()];
    // The first n items open one group each; this keeps every group non-empty even when weights are 0.
    let mut heap: BinaryHeap<HeapKey> = BinaryHeap::with_capacity(n);
    for (g, &item) in order.iter().take(n).enumerate() {
        assign[item] = g;
        heap.push(HeapKey {
            load: w[item],
            group: g,
        });
    }
    for g in order.len()..n {
        heap.push(HeapKey {
            load: 0.0,
            group: g,
        });
    }
    // The least-loaded group takes the item and sinks to its place (one sift instead of a pop and a push; the
    // order of `HeapKey`s is total, so the result is the same).
    for &item in order.iter().skip(n) {
        if let Some(mut top) = heap.peek_mut() {
            assign[item] = top.group;
            top.load += w[item];
        }
    }
    assign
}

/// One improving step of the local search.
#[derive(Debug, Clone, Copy)]
struct Step {
    /// The larger of the two touched groups' loads after the step.
    value: f64,
    /// The lighter group taking part.
    group: usize,
    /// The item leaving the heaviest group.
    out: usize,
    /// The item coming back from `group` (a swap), or none (a move).
    back: Option<usize>,
}

/// Local search state: assignment, loads and every group's items sorted by weight ascending, equal weights by
/// index descending (the reverse of the global order, so the lists come out sorted without sorting).
struct LocalSearch<'a> {
    w: &'a [f64],
    assign: Vec<usize>,
    loads: Vec<f64>,
    members: Vec<Vec<usize>>,
    operations: u64,
}

impl<'a> LocalSearch<'a> {
    /// `order` is the global order (weight descending, index ascending); walking it backwards fills every
    /// group's list already sorted.
    fn new(w: &'a [f64], order: &[usize], assign: Vec<usize>, n: usize) -> Self {
        let mut members = vec![Vec::with_capacity(order.len() / n + 1); n];
        let mut loads = vec![0.0; n];
        for &item in order.iter().rev() {
            let g = assign[item];
            members[g].push(item);
            loads[g] += w[item];
        }
        LocalSearch {
            w,
            assign,
            loads,
            members,
            operations: 0,
        }
    }

    /// Position of `item` (or where it would go) in a member list (weight ascending, index descending).
    fn position(&self, group: usize, item: usize) -> std::result::Result<usize, usize> {
        let w = self.w;
        self.members[group].binary_search_by(|&x| w[x].total_cmp(&w[item]).then(item.cmp(&x)))
    }

    fn remove(&mut self, group: usize, item: usize) {
        if let Ok(pos) = self.position(group, item) {
            self.members[group].remove(pos);
        }
    }

    fn insert(&mut self, group: usize, item: usize) {
        if let Err(pos) = self.position(group, item) {
            self.members[group].insert(pos, item);
        }
    }

    /// Repeats the best move/swap out of the heaviest group while it lowers that group by more than rounding.
    fn run(&mut self, budget: &Budget) {
        let n = self.loads.len();
        let mut by_load: Vec<usize> = (0..n).collect();
        for _ in 0..budget.max_iterations {
            if self.operations >= budget.max_operations {
                break;
            }
            let Some(h) = self.heaviest() else { break };
            let lh = self.loads[h];
            let tol = lh * REL_EPS;
            let loads = &self.loads;
            by_load.sort_unstable_by(|&a, &b| loads[a].total_cmp(&loads[b]).then(a.cmp(&b)));
            let mut best: Option<Step> = None;
            for &g in &by_load {
                if g == h {
                    continue;
                }
                let d = lh - self.loads[g];
                if d <= tol {
                    break; // every remaining group is as heavy as h
                }
                // No step with g can leave both groups below the pair's mean; later groups are heavier.
                if best.is_some_and(|b| b.value <= lh - d * 0.5) {
                    break;
                }
                self.best_move(h, g, d, &mut best);
                self.best_swap(h, g, d, &mut best);
            }
            match best {
                Some(step) if step.value < lh - tol => self.apply(h, step),
                _ => break,
            }
        }
    }

    /// The heaviest group, lowest index on ties.
    fn heaviest(&self) -> Option<usize> {
        let mut best: Option<usize> = None;
        for (g, &load) in self.loads.iter().enumerate() {
            if best.map_or(true, |b| load > self.loads[b]) {
                best = Some(g);
            }
        }
        best
    }

    /// Offers `step` if it beats the current best (strictly: earlier finds win ties).
    fn offer(best: &mut Option<Step>, step: Step) {
        if best.map_or(true, |b| step.value < b.value) {
            *best = Some(step);
        }
    }

    /// Best single item to move from `h` to `g` (load gap `d`): the weight nearest `d/2`, strictly inside `(0, d)`.
    fn best_move(&mut self, h: usize, g: usize, d: f64, best: &mut Option<Step>) {
        let items = &self.members[h];
        if items.len() < 2 {
            return; // never empty a group
        }
        let w = self.w;
        let lh = self.loads[h];
        let half = d * 0.5;
        let pos = items.partition_point(|&i| w[i] < half);
        self.operations += 1 + items.len().max(1).ilog2() as u64;
        for cand in [pos.checked_sub(1), Some(pos)].into_iter().flatten() {
            if let Some(&item) = items.get(cand) {
                let x = w[item];
                if x > 0.0 && x < d {
                    Self::offer(
                        best,
                        Step {
                            value: lh - x.min(d - x),
                            group: g,
                            out: item,
                            back: None,
                        },
                    );
                }
            }
        }
    }

    /// Best pair to swap between `h` and `g` (load gap `d`): a weight difference nearest `d/2`, inside `(0, d)`.
    /// Two pointers over both sorted lists: `O(|h| + |g|)`.
    fn best_swap(&mut self, h: usize, g: usize, d: f64, best: &mut Option<Step>) {
        let w = self.w;
        let lh = self.loads[h];
        let half = d * 0.5;
        let (hi, lo) = (&self.members[h], &self.members[g]);
        self.operations += (hi.len() + lo.len()) as u64;
        let mut p = 0;
        for &out in hi {
            let target = w[out] - half; // the ideal weight coming back
            while p < lo.len() && w[lo[p]] < target {
                p += 1;
            }
            for cand in [p.checked_sub(1), Some(p)].into_iter().flatten() {
                if let Some(&back) = lo.get(cand) {
                    let delta = w[out] - w[back];
                    if delta > 0.0 && delta < d {
                        Self::offer(
                            best,
                            Step {
                                value: lh - delta.min(d - delta),
                                group: g,
                                out,
                                back: Some(back),
                            },
                        );
                    }
                }
            }
        }
    }

    fn apply(&mut self, h: usize, step: Step) {
        let w = self.w;
        self.remove(h, step.out);
        self.insert(step.group, step.out);
        self.assign[step.out] = step.group;
        self.loads[h] -= w[step.out];
        self.loads[step.group] += w[step.out];
        if let Some(back) = step.back {
            self.remove(step.group, back);
            self.insert(h, back);
            self.assign[back] = h;
            self.loads[step.group] -= w[back];
            self.loads[h] += w[back];
        }
    }
}

/// Exact branch and bound for tiny instances: items in descending order, each tried on the groups from least to
/// most loaded (equal loads tried once — they are symmetric), pruned when a group would reach `upper` (the best
/// makespan known) or the remaining items cannot fit under it, stopped at the lower bound or after `max_nodes`.
/// Returns an assignment strictly better than `upper`, if it found one.
fn exact_search(
    w: &[f64],
    order: &[usize],
    n: usize,
    upper: f64,
    lb: f64,
    max_nodes: u64,
) -> Option<Vec<usize>> {
    let mut bb = BranchAndBound {
        w,
        order,
        loads: vec![0.0; n],
        counts: vec![0; n],
        assign: vec![0; w.len()],
        // Only assignments better than this by more than rounding count.
        limit: upper * (1.0 - REL_EPS),
        lb,
        best: None,
        nodes: 0,
        max_nodes,
        suffix: Vec::with_capacity(order.len() + 1),
    };
    // suffix[k] = sum of the weights of order[k..].
    let mut acc = 0.0;
    bb.suffix.push(0.0);
    for &item in order.iter().rev() {
        acc += w[item];
        bb.suffix.push(acc);
    }
    bb.suffix.reverse();
    bb.dfs(0);
    bb.best
}

struct BranchAndBound<'a> {
    w: &'a [f64],
    order: &'a [usize],
    loads: Vec<f64>,
    counts: Vec<usize>,
    assign: Vec<usize>,
    limit: f64,
    lb: f64,
    best: Option<Vec<usize>>,
    nodes: u64,
    max_nodes: u64,
    suffix: Vec<f64>,
}

impl BranchAndBound<'_> {
    /// Returns false to stop the whole search (node budget spent or the lower bound reached).
    fn dfs(&mut self, k: usize) -> bool {
        self.nodes += 1;
        if self.nodes > self.max_nodes {
            return false;
        }
        let Some(&item) = self.order.get(k) else {
            let makespan = self.loads.iter().copied().fold(0.0, f64::max);
            self.best = Some(self.assign.clone());
            self.limit = makespan * (1.0 - REL_EPS);
            return !is_at_bound(makespan, self.lb);
        };
        let n = self.loads.len();
        let remaining = self.order.len() - k;
        let empty = self.counts.iter().filter(|&&c| c == 0).count();
        // Room left under the limit must hold the remaining weight.
        let room: f64 = self.loads.iter().map(|&l| (self.limit - l).max(0.0)).sum();
        if room < self.suffix[k] {
            return true;
        }
        let wk = self.w[item];
        let mut groups: Vec<usize> = (0..n).collect();
        let loads = &self.loads;
        groups.sort_unstable_by(|&a, &b| loads[a].total_cmp(&loads[b]).then(a.cmp(&b)));
        let mut tried: Option<f64> = None;
        for g in groups {
            let load = self.loads[g];
            if load + wk >= self.limit {
                break; // groups are in ascending load order
            }
            // Every group must end non-empty: with as many empty groups as items left, only empty groups qualify.
            if empty >= remaining && self.counts[g] > 0 {
                continue;
            }
            if tried == Some(load) {
                continue; // the same load was just tried: symmetric
            }
            tried = Some(load);
            self.loads[g] += wk;
            self.counts[g] += 1;
            self.assign[item] = g;
            let go_on = self.dfs(k + 1);
            self.loads[g] -= wk;
            self.counts[g] -= 1;
            if !go_on {
                return false;
            }
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sorted_groups(p: &Partition, w: &[f64]) -> Vec<Vec<f64>> {
        let mut groups: Vec<Vec<f64>> = p
            .groups()
            .into_iter()
            .map(|g| g.into_iter().map(|i| w[i]).collect())
            .collect();
        for g in &mut groups {
            g.sort_by(f64::total_cmp);
        }
        groups.sort_by(|a, b| a.partial_cmp(b).unwrap_or(Ordering::Equal));
        groups
    }

    #[test]
    fn hedged_falls_back_to_partition() {
        let tiny_budget = Budget {
            max_operations: 5,
            ..Budget::default()
        };
        // (weights, uncertain, n, budget): nothing to hedge, or too much work → exactly `partition`.
        let w: &[f64] = &[2.0, 3.0, 3.0, 6.0, 4.0, 6.0];
        let cases: &[(&[f64], &[bool], usize, &Budget)] = &[
            (w, &[false; 6], 2, &Budget::default()), // nothing uncertain
            (w, &[true; 6], 2, &Budget::default()),  // everything uncertain
            (w, &[], 2, &Budget::default()),         // missing flags are measured
            (w, &[true, false, false, true], 6, &Budget::default()), // at most n items
            (w, &[true, false, false, true], 8, &Budget::default()),
            (w, &[true, true, true, false], 2, &tiny_budget), // 3 uncertain × 2 groups > 5 operations
            (&[], &[], 3, &Budget::default()),
        ];
        for &(w, u, n, b) in cases {
            assert_eq!(
                partition_hedged(w, u, n, b),
                partition(w, n, b),
                "weights {w:?}, uncertain {u:?}, n {n}"
            );
        }
        // Within the same tiny budget (2 × 2 ≤ 5) the hedge applies.
        let u = [true, false, false, true];
        assert_ne!(
            partition_hedged(w, &u, 2, &tiny_budget).assignment,
            partition(w, 2, &tiny_budget).assignment
        );
    }

    #[test]
    fn hedged_spreads_uncertain_items() {
        // (weights, uncertain, n, assignment, makespan). The plain partition puts both uncertain items (2 and 6)
        // in group 0 ({2, 6, 4} | {3, 3, 6}); the hedged one splits them at the same makespan.
        type Case<'a> = (&'a [f64], &'a [bool], usize, &'a [usize], f64);
        let cases: &[Case] = &[
            (
                &[2.0, 3.0, 3.0, 6.0, 4.0, 6.0],
                &[true, false, false, true, false, false],
                2,
                &[1, 0, 0, 0, 1, 1],
                12.0,
            ),
            // Missing flags count as measured.
            (
                &[2.0, 3.0, 3.0, 6.0, 4.0, 6.0],
                &[true, false, false, true],
                2,
                &[1, 0, 0, 0, 1, 1],
                12.0,
            ),
        ];
        for &(w, u, n, want, makespan) in cases {
            let plain = partition(w, n, &Budget::default());
            let together = (0..w.len())
                .filter(|&i| u.get(i).copied().unwrap_or(false))
                .map(|i| plain.assignment[i])
                .collect::<std::collections::BTreeSet<_>>();
            assert_eq!(
                together.len(),
                1,
                "the plain partition clusters them: {w:?}"
            );
            let p = partition_hedged(w, u, n, &Budget::default());
            assert_eq!(p.assignment, want, "weights {w:?}, uncertain {u:?}");
            assert_eq!(p.makespan(), makespan);
            assert_eq!(p.makespan(), plain.makespan());
        }
    }

    #[test]
    fn hedged_greedy_leaves_a_reserve_that_local_search_evens_out() {
        // One uncertain 10 s item, one measured 10 s item, twenty measured 1 s items, two groups. The greedy alone
        // stops filling the uncertain item's group while its load + 0.75 · 10 exceeds the other's load: 16 | 24.
        // The local search then balances the loads (20 | 20) and keeps the two 10 s items apart.
        let mut w = vec![10.0, 10.0];
        w.extend([1.0; 20]);
        let mut u = vec![true];
        u.extend([false; 21]);
        let greedy_only = Budget {
            max_iterations: 0,
            ..Budget::default()
        };
        let p = partition_hedged(&w, &u, 2, &greedy_only);
        let g = p.assignment[0];
        assert_ne!(p.assignment[1], g);
        assert_eq!((p.loads[g], p.loads[1 - g]), (16.0, 24.0));
        let p = partition_hedged(&w, &u, 2, &Budget::default());
        assert_eq!(p.makespan(), 20.0);
        assert_ne!(p.assignment[0], p.assignment[1]);
    }

    #[test]
    fn hedged_invariants_on_random_instances() {
        // Every item in a group, no empty group, loads are the input-order sums, never below the lower bound,
        // the same answer twice; bad weights and factors do not panic.
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut next = move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        for case in 0..200 {
            let m = 1 + (next() % 60) as usize;
            let n = 1 + (next() % 9) as usize;
            let w: Vec<f64> = (0..m)
                .map(|_| match next() % 20 {
                    0 => f64::NAN,
                    1 => -1.0,
                    2 => 0.0,
                    k => k as f64 * 0.37,
                })
                .collect();
            let u: Vec<bool> = (0..m).map(|_| next() % 3 == 0).collect();
            let hedge = [0.0, 0.75, 3.0, f64::NAN, -1.0][case % 5];
            let p = partition_hedged_with(&w, &u, n, &Budget::default(), hedge);
            assert_eq!(p.assignment.len(), m);
            assert!(p.assignment.iter().all(|&g| g < n));
            if m >= n {
                assert!(p.groups().iter().all(|g| !g.is_empty()), "{w:?} {u:?} {n}");
            }
            assert!(p.makespan() >= lower_bound(&w, n) * (1.0 - 1e-12));
            assert_eq!(
                p,
                partition_hedged_with(&w, &u, n, &Budget::default(), hedge)
            );
        }
    }

    #[test]
    fn lower_bound_cases() {
        let cases: &[(&[f64], usize, f64)] = &[
            (&[], 3, 0.0),
            (&[4.0, 4.0, 4.0], 3, 4.0),
            (&[10.0, 1.0, 1.0], 2, 10.0),                    // p_max
            (&[3.0, 3.0, 3.0, 3.0], 2, 6.0),                 // S/n (= p2 + p3 too)
            (&[5.0, 5.0, 5.0, 1.0, 1.0, 1.0], 2, 10.0),      // p2 + p3 beats S/n = 9
            (&[2.0, 2.0], 0, 4.0),                           // n = 0 is n = 1
            (&[f64::NAN, -3.0, f64::INFINITY, 2.0], 1, 2.0), // unusable weights count as 0
            (&[1.0, 2.0], 5, 2.0), // fewer items than groups: no pair term
        ];
        for &(w, n, want) in cases {
            assert_eq!(lower_bound(w, n), want, "weights {w:?}, n {n}");
        }
    }

    #[test]
    fn lpt_cases() {
        // (weights, n, expected assignment)
        let cases: &[(&[f64], usize, &[usize])] = &[
            (&[], 2, &[]),
            (&[1.0], 1, &[0]),
            // 5 → g0, 4 → g1, 3 → g1 (4 < 5), 2 → g0 (5 < 7)
            (&[3.0, 5.0, 2.0, 4.0], 2, &[1, 0, 0, 1]),
            // equal weights: input order, one group each, then lowest index among equal loads
            (&[1.0, 1.0, 1.0, 1.0, 1.0], 2, &[0, 1, 0, 1, 0]),
            // zero weights still open every group
            (&[0.0, 0.0, 0.0], 3, &[0, 1, 2]),
            // more groups than items: the rest stay empty
            (&[2.0, 1.0], 4, &[0, 1]),
        ];
        for &(w, n, want) in cases {
            let p = lpt(w, n);
            assert_eq!(p.assignment, want, "weights {w:?}, n {n}");
            assert_eq!(p.loads.len(), n.max(1));
        }
    }

    #[test]
    fn lpt_known_bad_case_is_fixed_by_partition() {
        // The classic LPT worst case for n = 2: LPT gives 7 (3+2+2 | 3+2) vs the optimum 6 (3+3 | 2+2+2).
        let w = [3.0, 3.0, 2.0, 2.0, 2.0];
        assert_eq!(lpt(&w, 2).makespan(), 7.0);
        let p = partition(&w, 2, &Budget::default());
        assert_eq!(p.makespan(), 6.0);
        assert_eq!(
            sorted_groups(&p, &w),
            vec![vec![2.0, 2.0, 2.0], vec![3.0, 3.0]]
        );
    }

    #[test]
    fn partition_reaches_optimum_on_small_cases() {
        // (weights, n, optimal makespan)
        let cases: &[(&[f64], usize, f64)] = &[
            (&[8.0, 7.0, 6.0, 5.0, 4.0], 2, 15.0),
            (&[7.0, 7.0, 6.0, 6.0, 5.0, 5.0, 4.0, 4.0, 4.0], 4, 12.0),
            // LPT for 3 groups: 2n+1 items 5,5,4,4,3,3,3 → 11; optimum 9 (5+4 | 5+4 | 3+3+3)
            (&[5.0, 5.0, 4.0, 4.0, 3.0, 3.0, 3.0], 3, 9.0),
            (&[10.0, 1.0, 1.0, 1.0], 3, 10.0),
            (&[1.0, 1.0, 1.0], 3, 1.0),
        ];
        for &(w, n, want) in cases {
            let p = partition(w, n, &Budget::default());
            assert_eq!(p.makespan(), want, "weights {w:?}, n {n}");
            assert!(p.makespan() <= lpt(w, n).makespan());
        }
    }

    #[test]
    fn local_search_alone_improves_on_lpt() {
        // Exact search off: the moves/swaps must find the improvement by themselves.
        let budget = Budget {
            exact_max_items: 0,
            ..Budget::default()
        };
        let w = [5.0, 5.0, 4.0, 4.0, 3.0, 3.0, 3.0];
        let p = partition(&w, 3, &budget);
        assert!(p.makespan() < lpt(&w, 3).makespan());
    }

    #[test]
    fn exact_search_beats_local_optima() {
        // (weights, n, local search alone, optimum): local search stops one short; exact search finds the optimum.
        let cases: &[(&[f64], usize, f64, f64)] = &[
            (&[8.0, 13.0, 25.0, 1.0, 5.0, 28.0, 9.0, 9.0], 2, 50.0, 49.0),
            (
                &[14.0, 19.0, 17.0, 2.0, 18.0, 29.0, 2.0, 3.0],
                2,
                53.0,
                52.0,
            ),
        ];
        let local_only = Budget {
            exact_max_items: 0,
            ..Budget::default()
        };
        for &(w, n, local, optimum) in cases {
            assert_eq!(partition(w, n, &local_only).makespan(), local, "{w:?}");
            assert_eq!(
                partition(w, n, &Budget::default()).makespan(),
                optimum,
                "{w:?}"
            );
        }
    }

    #[test]
    fn zero_budget_is_plain_lpt() {
        let budget = Budget {
            max_iterations: 0,
            max_operations: 0,
            exact_max_items: 0,
            exact_max_nodes: 0,
        };
        let w = [3.0, 3.0, 2.0, 2.0, 2.0];
        assert_eq!(partition(&w, 2, &budget), lpt(&w, 2));
    }

    #[test]
    fn never_empties_a_group() {
        let cases: &[(&[f64], usize)] = &[
            (&[0.0, 0.0, 0.0, 0.0], 4),
            (&[100.0, 0.0, 0.0, 0.0], 4),
            (&[9.0, 1.0, 1.0, 1.0, 1.0, 1.0], 5),
            (&[1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 50.0, 0.5], 10),
        ];
        for &(w, n) in cases {
            let p = partition(w, n, &Budget::default());
            assert!(
                p.groups().iter().all(|g| !g.is_empty()),
                "weights {w:?}, n {n}: {p:?}"
            );
        }
    }

    #[test]
    fn bad_weights_are_zero_and_do_not_panic() {
        let w = [f64::NAN, 2.0, -1.0, f64::INFINITY, 1.0, f64::NEG_INFINITY];
        let p = partition(&w, 2, &Budget::default());
        assert_eq!(p.assignment.len(), w.len());
        assert_eq!(p.makespan(), 2.0);
        assert_eq!(p.loads.iter().sum::<f64>(), 3.0);
    }

    #[test]
    fn n_zero_means_one_group() {
        let p = partition(&[1.0, 2.0], 0, &Budget::default());
        assert_eq!(p.loads, vec![3.0]);
        assert_eq!(p.assignment, vec![0, 0]);
    }

    #[test]
    fn loads_are_input_order_sums() {
        let w = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7];
        let p = partition(&w, 3, &Budget::default());
        for (g, items) in p.groups().iter().enumerate() {
            let sum = items.iter().fold(0.0, |acc, &i| acc + w[i]);
            assert_eq!(p.loads[g].to_bits(), sum.to_bits());
        }
    }

    #[test]
    fn deterministic_on_ties() {
        let w = vec![1.0; 37];
        let a = partition(&w, 5, &Budget::default());
        let b = partition(&w, 5, &Budget::default());
        assert_eq!(a, b);
        assert_eq!(a.makespan(), 8.0);
    }
}
