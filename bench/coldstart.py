"""Part 4, cold start and size: what a fresh `node dist/cli.js` costs over a bare `node`, and the size of dist/.

Three commands, REPS runs each, round-robin: `node -e 0` (the floor), `node dist/cli.js --version`, and a tiny split
(3 tests from a 3-entry timings file, 2 workers, test granularity, --json), which must load and instantiate the wasm
and run the core. No network is used. The cost of timeshard is the median of a command minus the median of `node -e 0`.
"""

from __future__ import annotations

import json
from pathlib import Path

from common import CWD, OUT, BenchError, Timeshard
from timing import spread, timed_run

REPS = 20
QUICK_REPS = 5
TINY = {"tests/test_a.py::test_one": 1.0, "tests/test_b.py::test_two": 2.0, "tests/test_c.py::test_three": 3.0}


def dist_size(dist: Path) -> dict:
    """Total bytes of dist/ (every file, recursively) and of its wasm module (`.wasm`, or `.wasm.br` as shipped
    brotli-compressed since 2026-11-27), with the file list."""
    files = sorted(p for p in dist.rglob("*") if p.is_file())
    return {
        "bytes": sum(p.stat().st_size for p in files),
        "wasm_bytes": sum(p.stat().st_size for p in files if p.name.endswith((".wasm", ".wasm.br"))),
        "files": {str(p.relative_to(dist)): p.stat().st_size for p in files},
    }


def run(ts: Timeshard, quick: bool, log) -> dict:
    reps = QUICK_REPS if quick else REPS
    work = OUT / "coldstart"
    work.mkdir(parents=True, exist_ok=True)
    tiny = work / "tiny.json"
    tiny.write_text(json.dumps(TINY, indent=2) + "\n")
    node, cli = ts.node, str(ts.cli)
    commands = {
        "node -e 0": [node, "-e", "0"],
        "node dist/cli.js --version": [node, cli, "--version"],
        "node dist/cli.js split --timings tiny.json --workers 2 --granularity test --json": [
            node, cli, "split", "--timings", str(tiny), "--workers", "2", "--granularity", "test", "--json"],
    }
    # One untimed run of each: the first start after a build reads files from disk, later ones from the page cache.
    for argv in commands.values():
        timed_run(argv, cwd=str(CWD))
    secs: dict[str, list[float]] = {k: [] for k in commands}
    for _ in range(reps):
        for name, argv in commands.items():
            out = work / "out.txt"
            res = timed_run(argv, str(out), cwd=str(CWD))
            if res.returncode != 0:
                raise BenchError(f"coldstart `{name}`: exited {res.returncode}: {res.stderr.strip()[-300:]}")
            if "split" in name:
                plan = json.loads(Path(out).read_text())
                if sorted(t for g in plan["groups"] for t in g["tests"]) != sorted(TINY):
                    raise BenchError("coldstart tiny split: the plan does not hold the 3 tests once each")
            secs[name].append(res.seconds)
    floor = spread(secs["node -e 0"])["median"]
    rows = {}
    for name, values in secs.items():
        s = spread(values)
        rows[name] = {"seconds": s, "over_node": s["median"] - floor}
    log("  " + ", ".join(f"{k}: {1000 * v['seconds']['median']:.0f} ms" for k, v in rows.items()))
    return {"reps": reps, "commands": rows, "dist": dist_size(ts.cli.parent)}
