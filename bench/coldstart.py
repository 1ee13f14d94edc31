"""Part 4, cold start and size: what a fresh `node dist/cli.js` and a fresh run of the action cost over a bare `node`,
and the size of dist/.

Four commands, REPS runs each, round-robin: `node -e 0` (the floor), `node dist/cli.js --version`, a tiny split
(3 tests from a 3-entry timings file, 2 workers, test granularity, --json), which must load and instantiate the wasm
and run the core, and the action itself (`node dist/index.js`, as a runner starts it: its inputs in INPUT_*
variables) splitting the same 3 tests (`tests-file`) with the same timings, which also loads the Actions toolkit
(@actions/core, @actions/cache and their HTTP stack), writes its outputs and summary, and looks for the cache
service. No network is used: the job has no cache service (no ACTIONS_CACHE_URL / ACTIONS_RESULTS_URL), so the action
says so in a warning and plans without a store. The cost of timeshard is the median of a command minus the median of
`node -e 0`.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from common import CWD, OUT, BenchError, Timeshard
from timing import spread, timed_run

REPS = 20
QUICK_REPS = 5
TINY = {"tests/test_a.py::test_one": 1.0, "tests/test_b.py::test_two": 2.0, "tests/test_c.py::test_three": 3.0}


ACTION = "node dist/index.js (the action: split mode, the same 3 tests from tests-file, no cache service)"


class _Action:
    """The environment a runner gives the action's split step (inputs as INPUT_* variables, the files it writes to),
    in `work`, and the check that it set a matrix holding the 3 tests once each."""

    def __init__(self, work: Path, tiny: Path):
        self.output = work / "github_output"
        self.summary = work / "step_summary"
        tests = work / "tests.txt"
        tests.write_text("".join(f"{t}\n" for t in TINY))
        (work / "runner_temp").mkdir(exist_ok=True)
        base = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG")}
        self.env = {**base, "GITHUB_WORKSPACE": str(work), "GITHUB_OUTPUT": str(self.output),
                    "GITHUB_STEP_SUMMARY": str(self.summary), "GITHUB_RUN_ID": "1", "GITHUB_RUN_ATTEMPT": "1",
                    "RUNNER_TEMP": str(work / "runner_temp"), "INPUT_TIMINGS": tiny.name,
                    "INPUT_TESTS-FILE": tests.name, "INPUT_WORKERS": "2", "INPUT_GRANULARITY": "test"}

    def reset(self) -> None:
        """Empty output files, as a runner gives each step (the action appends to them)."""
        self.output.write_text("")
        self.summary.write_text("")

    def check(self) -> None:
        """The `matrix` output (written as `matrix<<DELIMITER`, the value, DELIMITER) holds the 3 tests once each."""
        lines = self.output.read_text().splitlines()
        start = next((i for i, line in enumerate(lines) if line.startswith("matrix<<")), None)
        if start is None or start + 1 >= len(lines):
            raise BenchError("coldstart action: no matrix output")
        matrix = json.loads(lines[start + 1])
        tests = sorted(t for entry in matrix["include"] for t in entry["tests"].split())
        if tests != sorted(TINY):
            raise BenchError(f"coldstart action: the matrix does not hold the 3 tests once each: {tests}")


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
    action = _Action(work, tiny)
    commands = {
        "node -e 0": [node, "-e", "0"],
        "node dist/cli.js --version": [node, cli, "--version"],
        "node dist/cli.js split --timings tiny.json --workers 2 --granularity test --json": [
            node, cli, "split", "--timings", str(tiny), "--workers", "2", "--granularity", "test", "--json"],
        ACTION: [node, str(ts.cli.parent / "index.js")],
    }
    envs = {ACTION: action.env}
    # One untimed run of each: the first start after a build reads files from disk, later ones from the page cache.
    for name, argv in commands.items():
        action.reset()
        timed_run(argv, cwd=str(CWD), env=envs.get(name))
    secs: dict[str, list[float]] = {k: [] for k in commands}
    for _ in range(reps):
        for name, argv in commands.items():
            out = work / "out.txt"
            action.reset()
            res = timed_run(argv, str(out), cwd=str(work if name == ACTION else CWD), env=envs.get(name))
            if res.returncode != 0:
                raise BenchError(f"coldstart `{name}`: exited {res.returncode}: {res.stderr.strip()[-300:]}")
            if name == ACTION:
                action.check()
            elif "split" in name:
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
