"""Part 2, replay: plan from past runs, score on the next run's real durations.

For each history (consecutive versions of one real duration file) and each k: versions 1..k are recorded into a
timeshard store, one `record` call per version in order (as if each were one CI run's report); the tests of version
k+1 are split (`--tests-file`, `--store`, `--granularity test`) and the plan is scored with version k+1's durations:
realized makespan / LB(k+1) - 1. Recording is incremental: the store after version k is a copy of the store after
version k-1 with version k recorded into it, which is exactly what 1..k recorded in order produces.

Baselines, planned from version k ALONE (the committed durations file that pytest-split reads) with version k+1's
tests in file order, unknown tests at the mean of the known ones (pytest-split's rule): least_duration (LPT, the
baseline of the target) and duration_based_chunks (pytest-split's default, for information).
"""

from __future__ import annotations

import shutil
import statistics
import tempfile
from pathlib import Path

from common import (
    HISTORY_DIR,
    BenchError,
    Timeshard,
    excess,
    history_versions,
    lower_bound,
    makespan,
    pytest_split_groups,
    read_flat_timings,
    write_lines,
)

NS = (4, 8, 16, 32)
QUICK_NS = (4, 16)
QUICK_STEPS = 2  # --quick: only the last steps of each history
BASELINES = ("least_duration", "duration_based_chunks")
# Mean excess of least_duration per history as measured by the team before this harness (design notes / brief).
TEAM_BASELINE = {"conda-linux": 0.081, "onegov-cloud": 0.065, "identity-idp-knapsack": 0.092, "hypha": 0.74}
TARGET_RATIO = 0.8


def histories() -> list[Path]:
    return sorted(p for p in HISTORY_DIR.iterdir() if p.is_dir())


def run(ts: Timeshard, quick: bool, log) -> dict:
    ns = QUICK_NS if quick else NS
    cases = []
    for suite in histories():
        versions = history_versions(suite)
        data = [dict(read_flat_timings(v)) for v in versions]
        orders = [[i for i, _ in read_flat_timings(v)] for v in versions]
        last_k = len(versions) - 1
        first_k = max(1, last_k - QUICK_STEPS + 1) if quick else 1
        with tempfile.TemporaryDirectory(prefix="timeshard-replay-") as tmp:
            tmpdir = Path(tmp)
            store = tmpdir / "store.json"
            for k in range(1, last_k + 1):  # k is 1-based: versions[k - 1] is version k
                what = f"replay {suite.name} record version {k}"
                staged = tmpdir / f"store-{k}.json"
                if store.exists():
                    shutil.copyfile(store, staged)
                ts.record(staged, [versions[k - 1]], what=what)
                if not staged.exists():
                    raise BenchError(f"{what}: record did not write the store {staged}")
                store = staged
                if k < first_k:
                    continue
                nxt, prev = data[k], data[k - 1]
                tests_file = tmpdir / f"tests-{k + 1}.txt"
                write_lines(tests_file, orders[k])
                new_tests = sum(1 for t in nxt if t not in prev)
                for n in ns:
                    lb = lower_bound(list(nxt.values()), n)
                    case = {"suite": suite.name, "k": k, "n": n, "tests": len(nxt), "new_tests": new_tests, "lb": lb}
                    tag = f"{suite.name} k={k} N={n}"
                    try:
                        plan = ts.split(
                            ["--tests-file", str(tests_file), "--store", str(store), "--granularity", "test",
                             "--workers", str(n)],
                            what=f"replay {tag}",
                        )
                        span = makespan([g["tests"] for g in plan["groups"]], nxt, f"timeshard {tag}")
                        case["timeshard"] = {"makespan": span, "excess": excess(span, lb)}
                        for algo in BASELINES:
                            s = makespan(pytest_split_groups(algo, n, orders[k], prev), nxt, f"{algo} {tag}")
                            case[algo] = {"makespan": s, "excess": excess(s, lb)}
                    except BenchError as err:
                        case["error"] = str(err)
                    cases.append(case)
        mine = [c for c in cases if c["suite"] == suite.name and "error" not in c]
        if mine:
            ours = statistics.fmean(c["timeshard"]["excess"] for c in mine)
            base = statistics.fmean(c["least_duration"]["excess"] for c in mine)
            log(f"  {suite.name}: {len(mine)} cases, mean excess timeshard {100 * ours:.2f} %, "
                f"least_duration {100 * base:.2f} %")
    return {"ns": list(ns), "quick_steps": QUICK_STEPS if quick else None, "summary": summarize(cases),
            "cases": cases}


def summarize(cases: list[dict]) -> dict:
    out: dict = {"errors": [f"{c['suite']} k={c['k']} N={c['n']}: {c['error']}" for c in cases if "error" in c],
                 "suites": {}}
    for suite in sorted({c["suite"] for c in cases}):
        sub = [c for c in cases if c["suite"] == suite and "error" not in c]
        if not sub:
            continue
        row: dict = {"cases": len(sub), "steps": len({c["k"] for c in sub})}
        for algo in ("timeshard", *BASELINES):
            worst = max(sub, key=lambda c: c[algo]["excess"])
            row[algo] = {
                "mean_excess": statistics.fmean(c[algo]["excess"] for c in sub),
                "worst_excess": worst[algo]["excess"],
                "worst_case": f"k={worst['k']} N={worst['n']}",
            }
        base = row["least_duration"]["mean_excess"]
        row["ratio"] = row["timeshard"]["mean_excess"] / base if base > 0 else None
        row["team_baseline"] = TEAM_BASELINE.get(suite)
        # The cases where timeshard does worst relative to the baseline, for whoever looks into a miss.
        row["worst_vs_baseline"] = [
            f"k={c['k']} N={c['n']}: timeshard {100 * c['timeshard']['excess']:.2f} % vs least_duration "
            f"{100 * c['least_duration']['excess']:.2f} %"
            for c in sorted(sub, key=lambda c: (c["least_duration"]["excess"] - c["timeshard"]["excess"],
                                                c["k"], c["n"]))[:5]
        ]
        out["suites"][suite] = row
    return out
