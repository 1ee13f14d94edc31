"""Part 1, balance: how close each splitter gets to the lower bound when the true durations are known.

For every real timing file, every N in NS with N <= units: timeshard (`split --timings FILE --granularity test`),
pytest-split least_duration (LPT) and pytest-split duration_based_chunks (its default) split the same units with the
same durations; each split is scored here from those durations: makespan / LB - 1.

Units and durations: JSON and log files are read here (ids as written, repeated ids summed) and must be exactly the
units timeshard reports; JUnit files are recorded by timeshard into a temporary store and read back, so the baselines
get the ids and durations timeshard derives from the XML. The baselines' input order (which duration_based_chunks
depends on) is the file order for JSON/log and timeshard's one-worker order (input order) for JUnit.
"""

from __future__ import annotations

import statistics

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
    rel,
)

NS = (2, 4, 8, 16, 32, 64)
QUICK_NS = (4, 32)
ALGOS = ("timeshard", "least_duration", "duration_based_chunks")
# Relative tolerance when comparing two makespans of the same units (float summation order differs).
TIE = 1e-9


def timing_files() -> list:
    return sorted(p for p in TIMINGS_DIR.iterdir() if p.is_file() and p.suffix != ".md")


def units_of(ts: Timeshard, path) -> tuple[list[str], dict[str, float], str]:
    """(ordered unit ids, id -> seconds, source of the durations) for one timing file."""
    what = f"balance {path.name}"
    if file_kind(path) == "junit":
        truth = ts.store_timings([path], what=what)
        plan = ts.split(["--timings", str(path), "--workers", "1", "--granularity", "test"], what=what)
        order = [t for g in plan["groups"] for t in g["tests"]]
        if sorted(order) != sorted(truth):
            raise BenchError(f"{what}: the one-worker plan and the recorded store disagree on the units")
        return order, truth, "timeshard record"
    pairs = read_flat_timings(path)
    return [p[0] for p in pairs], dict(pairs), "file"


def run(ts: Timeshard, quick: bool, log) -> dict:
    ns = QUICK_NS if quick else NS
    cases = []
    for path in timing_files():
        kind = file_kind(path)
        group = "junit" if kind == "junit" else "json_log"
        try:
            order, truth, source = units_of(ts, path)
        except BenchError as err:
            log(f"  {path.name}: ERROR {err}")
            cases.append({"file": path.name, "group": group, "error": str(err)})
            continue
        weights = list(truth.values())
        for n in ns:
            if n > len(order):
                continue
            lb = lower_bound(weights, n)
            case = {"file": path.name, "group": group, "units": len(order), "n": n, "lb": lb, "source": source}
            try:
                plan = ts.split(
                    ["--timings", str(path), "--workers", str(n), "--granularity", "test"],
                    what=f"balance {path.name} N={n}",
                )
                groups = [g["tests"] for g in plan["groups"]]
                span = makespan(groups, truth, f"timeshard {path.name} N={n}")
                case["timeshard"] = {
                    "makespan": span,
                    "excess": excess(span, lb),
                    "predicted": plan.get("predicted_seconds"),
                    "groups": len(groups),
                }
                for algo in ALGOS[1:]:
                    g = pytest_split_groups(algo, n, order, truth)
                    s = makespan(g, truth, f"{algo} {path.name} N={n}")
                    case[algo] = {"makespan": s, "excess": excess(s, lb)}
            except BenchError as err:
                case["error"] = str(err)
            cases.append(case)
        done = [c for c in cases if c["file"] == path.name and "error" not in c]
        if done:
            worst = max(done, key=lambda c: c["timeshard"]["excess"])
            log(f"  {path.name}: {len(done)} N, worst timeshard excess {100 * worst['timeshard']['excess']:.4f} % "
                f"(N={worst['n']})")
    return {"ns": list(ns), "summary": summarize(cases), "cases": cases}


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
    out["timeshard_le_lpt"] = {"count": len(ok) - len(worse), "of": len(ok),
                               "worse": [f"{c['file']} N={c['n']}: timeshard {c['timeshard']['makespan']:.6g} s "
                                         f"> least_duration {c['least_duration']['makespan']:.6g} s" for c in worse]}
    # The plan's own prediction is never used for scoring; with true durations it should equal the realized makespan.
    diffs = [abs(c["timeshard"]["predicted"] - c["timeshard"]["makespan"]) / max(c["timeshard"]["makespan"], 1e-12)
             for c in ok if isinstance(c["timeshard"].get("predicted"), (int, float))]
    out["max_prediction_gap"] = max(diffs) if diffs else None
    return out

