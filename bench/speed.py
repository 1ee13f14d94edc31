"""Part 3, speed at scale: whole-process time and peak RSS of timeshard on a 201,355-case suite, against pytest-split.

The suite is made once by shared/bench/tools/make_scale_suite.py into bench/out/scale/ (8 JUnit reports, 47 MB, and
the matching durations JSON) and reused. Every command runs RUNS times, round-robin (one run of each command per
round, so background load hits all of them alike); each output is checked (group count, every unit planned once).
The pytest-split baseline runs in the same rounds: a Python process that loads the durations JSON and calls
least_duration with 64 groups, timed as a whole and, separately, around the algorithm call alone.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from common import CWD, OUT, SCALE_TOOL, BENCH, BenchError, Timeshard, rel
from timing import spread, timed_run

RUNS = 5
QUICK_RUNS = 1
BASELINE_GROUPS = 64


def ensure_suite(log) -> Path:
    """bench/out/scale with the generated suite; made on first use (a marker file records a finished generation)."""
    out = OUT / "scale"
    marker = out / ".complete"
    if marker.exists():
        return out
    if out.exists():
        shutil.rmtree(out)
    log(f"  generating the scale suite into {rel(out)} (once)")
    proc = subprocess.run([sys.executable, str(SCALE_TOOL), str(out)], capture_output=True, text=True)
    if proc.returncode != 0:
        raise BenchError(f"make_scale_suite.py failed: {proc.stderr.strip()[-500:]}")
    marker.write_text(proc.stdout)
    return out


def _warm(paths: list[Path]) -> None:
    """Read the inputs once so every timed run starts from the page cache."""
    for p in paths:
        with open(p, "rb") as fh:
            while fh.read(1 << 20):
                pass


def run(ts: Timeshard, quick: bool, log, runs: int | None = None) -> dict:
    runs = runs or (QUICK_RUNS if quick else RUNS)
    suite = ensure_suite(log)
    reports = sorted((suite / "junit").glob("*.xml"))
    durations = suite / "durations.json"
    with open(durations, encoding="utf-8") as fh:
        ids = list(json.load(fh))
    n_tests, n_files = len(ids), len({i.split("::", 1)[0] for i in ids})
    _warm([*reports, durations])
    work = OUT / "speed"
    work.mkdir(parents=True, exist_ok=True)
    store = work / "store.json"

    timings_args = [a for r in reports for a in ("--timings", str(r))]
    node, cli = ts.node, str(ts.cli)
    commands: list[dict] = []
    for gran, units in (("file", n_files), ("test", n_tests)):
        for n in (64, 256):
            commands.append({
                "name": f"split-{gran}-{n}",
                "argv": [node, cli, "split", *timings_args, "--workers", str(n), "--granularity", gran, "--json"],
                "display": f"node dist/cli.js split --timings junit/report-0.xml ... --timings junit/report-7.xml "
                           f"--workers {n} --granularity {gran} --json",
                "check": ("plan", n, units),
            })
    # The same split on the main thread alone: what a runner with one free core gets (the parse threads need a
    # second one; on a busy machine they gain little), and how much of the row above the threads are.
    commands.append({
        "name": "split-file-64-one-thread",
        "argv": [node, cli, "split", *timings_args, "--workers", "64", "--granularity", "file", "--json"],
        "env": {**os.environ, "TIMESHARD_PARSE_THREADS": "0"},
        "display": "TIMESHARD_PARSE_THREADS=0 node dist/cli.js split --timings junit/report-0.xml ... "
                   "--timings junit/report-7.xml --workers 64 --granularity file --json",
        "check": ("plan", 64, n_files),
    })
    commands.append({
        "name": "record",
        "argv": [node, cli, "record", "--store", str(store), *map(str, reports)],
        "display": "node dist/cli.js record --store STORE(new) junit/report-0.xml ... junit/report-7.xml",
        "check": ("store",),
    })
    # What the action's steps do on a suite this size: split from the timing store (restored from the cache), and
    # record a run into a store that already holds every test. The store is made once, before the rounds.
    history = work / "history.json"
    history.unlink(missing_ok=True)
    made = subprocess.run([node, cli, "record", "--store", str(history), *map(str, reports)], capture_output=True,
                          text=True, cwd=str(CWD))
    if made.returncode != 0 or not history.exists():
        raise BenchError(f"speed: making the store failed: {made.stderr.strip()[-500:]}")
    _warm([history])
    commands.append({
        "name": "split-store-file-64",
        "argv": [node, cli, "split", "--store", str(history), "--workers", "64", "--granularity", "file", "--json"],
        "display": "node dist/cli.js split --store STORE(the 8 reports) --workers 64 --granularity file --json",
        "check": ("plan", 64, n_files),
    })
    # The action's split step with its discovered tests (a list file here, as its `tests-file` input gives them;
    # from globs it would be the files): every test file of the suite at file granularity, every test id by test.
    files_list, ids_list = work / "files.txt", work / "tests.txt"
    files_list.write_text("".join(f"{f}\n" for f in sorted({i.split("::", 1)[0] for i in ids})), encoding="utf-8")
    ids_list.write_text("".join(f"{i}\n" for i in ids), encoding="utf-8")
    for gran, listed, units, what in (("file", files_list, n_files, f"FILES({n_files:,} files)"),
                                      ("test", ids_list, n_tests, f"IDS({n_tests:,} ids)")):
        commands.append({
            "name": f"split-discovered-{gran}-64",
            "argv": [node, cli, "split", "--tests-file", str(listed), "--store", str(history), "--workers", "64",
                     "--granularity", gran, "--json"],
            "display": f"node dist/cli.js split --tests-file {what} --store STORE(the 8 reports) --workers 64 "
                       f"--granularity {gran} --json",
            "check": ("plan", 64, units),
        })
    into = work / "record-into.json"
    commands.append({
        "name": "record-into",
        "argv": [node, cli, "record", "--store", str(history), "--out", str(into), *map(str, reports)],
        "display": "node dist/cli.js record --store STORE(the 8 reports) --out NEW junit/report-0.xml ... "
                   "junit/report-7.xml",
        "check": ("store", into),
    })
    commands.append({
        "name": f"pytest-split-least_duration-{BASELINE_GROUPS}",
        "argv": [sys.executable, str(BENCH / "scale_baseline.py"), str(durations), str(BASELINE_GROUPS)],
        "display": f"python bench/scale_baseline.py durations.json {BASELINE_GROUPS}",
        "check": ("baseline",),
    })

    samples: dict[str, dict[str, list]] = {c["name"]: {"seconds": [], "cpu": [], "rss": [], "algo": []}
                                           for c in commands}
    for r in range(runs):
        for c in commands:
            written = c["check"][1] if c["check"][0] == "store" and len(c["check"]) > 1 else store
            if c["check"][0] == "store" and written.exists():
                written.unlink()
            out_path = work / f"{c['name']}.out"
            res = timed_run(c["argv"], str(out_path), cwd=str(CWD), env=c.get("env"))
            if res.returncode != 0:
                raise BenchError(f"speed {c['name']}: exited {res.returncode}: {res.stderr.strip()[-500:]}")
            algo = _check(c, out_path, store, n_tests)
            s = samples[c["name"]]
            s["seconds"].append(res.seconds)
            s["cpu"].append(res.cpu_seconds)
            s["rss"].append(res.max_rss_kb)
            if algo is not None:
                s["algo"].append(algo)
        log(f"  round {r + 1}/{runs}: " + ", ".join(f"{c['name']} {samples[c['name']]['seconds'][-1]:.2f}s"
                                                      for c in commands))
    results = {}
    for c in commands:
        s = samples[c["name"]]
        row = {"command": c["display"], "seconds": spread(s["seconds"]), "cpu_seconds": spread(s["cpu"]),
               "max_rss_mb": max(s["rss"]) / 1024}
        if s["algo"]:
            row["algorithm_seconds"] = spread(s["algo"])
        results[c["name"]] = row
    base = results[f"pytest-split-least_duration-{BASELINE_GROUPS}"]
    ratios = {}
    for name, row in results.items():
        if name.startswith("split-"):
            ours = row["seconds"]["median"]
            ratios[name] = {"vs_algorithm": base["algorithm_seconds"]["median"] / ours,
                            "vs_process": base["seconds"]["median"] / ours}
    return {"runs": runs, "suite": {"tests": n_tests, "files": n_files, "reports": len(reports),
                                    "bytes": sum(p.stat().st_size for p in reports),
                                    "store_bytes": history.stat().st_size,
                                    "made_by": "python3 ../shared/bench/tools/make_scale_suite.py bench/out/scale"},
            "commands": results, "ratios": ratios}


def _check(c: dict, out_path: Path, store: Path, n_tests: int) -> float | None:
    """Validate one run's output; returns the baseline's algorithm time (None for the others)."""
    kind = c["check"][0]
    if kind == "plan":
        _, n, units = c["check"]
        with open(out_path, encoding="utf-8") as fh:
            plan = json.load(fh)
        groups = plan.get("groups", [])
        planned = sum(len(g["tests"]) for g in groups)
        if len(groups) != n or planned != units:
            raise BenchError(f"speed {c['name']}: expected {n} groups and {units} units, got {len(groups)} groups "
                             f"and {planned} units")
        return None
    if kind == "store":
        written = c["check"][1] if len(c["check"]) > 1 else store
        if not written.exists() or written.stat().st_size == 0:
            raise BenchError(f"speed {c['name']}: no store written")
        return None
    with open(out_path, encoding="utf-8") as fh:
        info = json.load(fh)
    if info["assigned"] != n_tests or info["groups"] != BASELINE_GROUPS:
        raise BenchError(f"speed {c['name']}: baseline assigned {info['assigned']} of {n_tests} tests")
    return float(info["algorithm_seconds"])
