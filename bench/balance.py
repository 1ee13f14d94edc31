"""Part 1, balance: how close each splitter gets to the lower bound when the true durations are known.

For every real timing file, every N in NS with N <= units: timeshard (`split --timings FILE --granularity test`),
pytest-split least_duration (LPT) and pytest-split duration_based_chunks (its default) split the same units with the
same durations; each split is scored here from those durations: makespan / LB - 1.

Units and durations: JSON and log files are read here (ids as written, repeated ids summed) and must be exactly the
units timeshard reports. JUnit files are recorded by timeshard into a temporary store and read back, so the baselines
get the ids and durations timeshard derives from the XML; since the store keeps 4 significant digits, timeshard then
splits from that store (`--store`) rather than from the XML, so that all three see the very same durations. The
baselines' input order (which duration_based_chunks depends on) is the file order for JSON/log and timeshard's
one-worker order for JUnit (`split --timings FILE --workers 1`: groups keep the input order).
"""

from __future__ import annotations

import statistics
import tempfile
from pathlib import Path

from common import (
    TIMINGS_DIR,
    BenchError,
    Timeshard,
    excess,
    file_kind,
    lower_bound,
    makespan,
    pytest_split_groups,
    read_flat_timings,
    read_store_timings,
)

NS = (2, 4, 8, 16, 32, 64)
QUICK_NS = (4, 32)
ALGOS = ("timeshard", "least_duration", "duration_based_chunks")
# Relative tolerance when comparing two makespans of the same units (float summation order differs).
TIE = 1e-9


def timing_files() -> list:
    return sorted(p for p in TIMINGS_DIR.iterdir() if p.is_file() and p.suffix != ".md")


def units_of(ts: Timeshard, path, tmp: Path) -> tuple[list[str], dict[str, float], list[str]]:
    """(ordered unit ids, id -> seconds, the split arguments that give timeshard those durations) for one file."""
    what = f"balance {path.name}"
    if file_kind(path) == "junit":
        store = tmp / "store.json"
        ts.record(store, [path], what=what)
        truth = read_store_timings(store, what=what)
        plan = ts.split(["--timings", str(path), "--workers", "1", "--granularity", "test"], what=what)
        order = [t for g in plan["groups"] for t in g["tests"]]
        if sorted(order) != sorted(truth):
            raise BenchError(f"{what}: the one-worker plan and the recorded store disagree on the units")
        return order, truth, ["--store", str(store)]
    pairs = read_flat_timings(path)
    return [p[0] for p in pairs], dict(pairs), ["--timings", str(path)]


def run(ts: Timeshard, quick: bool, log) -> dict:
    ns = QUICK_NS if quick else NS
    cases = []
    for path in timing_files():
        kind = file_kind(path)
        group = "junit" if kind == "junit" else "json_log"
        with tempfile.TemporaryDirectory(prefix="timeshard-balance-") as tmp:
            try:
                order, truth, source = units_of(ts, path, Path(tmp))
            except BenchError as err:
                log(f"  {path.name}: ERROR {err}")
                cases.append({"file": path.name, "group": group, "error": str(err)})
                continue
            cases += _cases(ts, path, group, order, truth, source, ns)
        done = [c for c in cases if c["file"] == path.name and "error" not in c]
        if done:
            worst = max(done, key=lambda c: c["timeshard"]["excess"])
            log(f"  {path.name}: {len(done)} N, worst timeshard excess {100 * worst['timeshard']['excess']:.4f} % "
                f"(N={worst['n']})")
    return {"ns": list(ns), "summary": summarize(cases), "cases": cases}


def _cases(ts: Timeshard, path: Path, group: str, order: list[str], truth: dict[str, float], split_args: list[str],
           ns) -> list[dict]:
    """The cases of one file: each N <= units, the three splits scored on `truth`."""
    cases = []
    weights = list(truth.values())
    source = "file" if split_args[0] == "--timings" else "record"
    for n in ns:
        if n > len(order):
            continue
        lb = lower_bound(weights, n)
        case = {"file": path.name, "group": group, "units": len(order), "n": n, "lb": lb, "durations": source}
        tag = f"{path.name} N={n}"
        try:
            plan = ts.split([*split_args, "--workers", str(n), "--granularity", "test"], what=f"balance {tag}")
            groups = [g["tests"] for g in plan["groups"]]
            span = makespan(groups, truth, f"timeshard {tag}")
            case["timeshard"] = {"makespan": span, "excess": excess(span, lb),
                                 "predicted": plan.get("predicted_seconds"), "groups": len(groups)}
            for algo in ALGOS[1:]:
                s = makespan(pytest_split_groups(algo, n, order, truth), truth, f"{algo} {tag}")
                case[algo] = {"makespan": s, "excess": excess(s, lb)}
        except BenchError as err:
            case["error"] = str(err)
        cases.append(case)
    return cases


def _worse_line(c: dict) -> str:
    ours, lpt = c["timeshard"]["makespan"], c["least_duration"]["makespan"]
    over = 100 * (ours / lpt - 1)
    return f"{c['file']} N={c['n']}: timeshard {ours:.6f} s > least_duration {lpt:.6f} s (+{over:.5f} %)"


def _stats(cases: list[dict], algo: str) -> dict:
    vals = [c[algo]["excess"] for c in cases]
    worst = max(cases, key=lambda c: c[algo]["excess"])
    return {
        "mean_excess": statistics.fmean(vals),
        "worst_excess": worst[algo]["excess"],
        "worst_case": f"{worst['file']} N={worst['n']}",
    }


def summarize(cases: list[dict]) -> dict:
    ok = [c for c in cases if "error" not in c]
    out: dict = {"cases": len(ok), "errors": [f"{c['file']} N={c.get('n', '-')}: {c['error']}" for c in cases
                                             if "error" in c]}
    for group in ("json_log", "junit"):
        sub = [c for c in ok if c["group"] == group]
        if not sub:
            continue
        out[group] = {"files": len({c["file"] for c in sub}), "cases": len(sub)}
        for algo in ALGOS:
            out[group][algo] = _stats(sub, algo)
    worse = [c for c in ok if c["timeshard"]["makespan"] > c["least_duration"]["makespan"] * (1 + TIE)]
    gaps = [c["timeshard"]["makespan"] - c["least_duration"]["makespan"] for c in worse]
    out["timeshard_le_lpt"] = {
        "count": len(ok) - len(worse),
        "of": len(ok),
        # Context for the misses: timeshard floors durations at 1 ms and prints seconds to the millisecond.
        "within_1ms": len(ok) - sum(1 for g in gaps if g > 0.001),
        "max_gap_seconds": max(gaps) if gaps else 0.0,
        "max_gap_relative": max((c["timeshard"]["makespan"] / c["least_duration"]["makespan"] - 1 for c in worse),
                                default=0.0),
        "worse": [_worse_line(c) for c in worse],
    }
    # The plan's own prediction is never used for scoring; with true durations it should equal the realized makespan.
    diffs = [abs(c["timeshard"]["predicted"] - c["timeshard"]["makespan"]) / max(c["timeshard"]["makespan"], 1e-12)
             for c in ok if isinstance(c["timeshard"].get("predicted"), (int, float))]
    out["max_prediction_gap"] = max(diffs) if diffs else None
    return out

