"""Shared pieces of the benchmark harness: paths, the timeshard CLI wrapper, reading timing files, scoring.

Scoring never trusts a plan's own numbers: a split is a list of groups of unit ids, and its makespan is computed here
from the true durations of those units. Every plan is also checked to contain each unit exactly once.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
SHARED = (ROOT / ".." / "shared").resolve()
TIMINGS_DIR = SHARED / "bench" / "timings"
HISTORY_DIR = SHARED / "bench" / "history"
SCALE_TOOL = SHARED / "bench" / "tools" / "make_scale_suite.py"
OUT = BENCH / "out"
CLI = ROOT / "dist" / "cli.js"
NODE24 = ROOT / ".tools" / "node24" / "node_modules" / "node" / "bin" / "node"
# The CLI runs in an empty directory: it strips its cwd from report paths and looks up test files there (sizes), so a
# fixed empty cwd keeps every run independent of where the harness was started.
CWD = OUT / "cwd"


class BenchError(Exception):
    """A failure that stops the benchmark with a message (no traceback needed)."""


def rel(path: Path) -> str:
    """`path` relative to the repository root when inside it or inside the sibling shared/, else absolute."""
    path = Path(path).resolve()
    for base, prefix in ((ROOT, ""), (SHARED.parent, "../")):
        try:
            return prefix + str(path.relative_to(base))
        except ValueError:
            pass
    return str(path)


# --------------------------------------------------------------------------------------------------------------------
# Timing files


def file_kind(path: Path) -> str:
    """`junit`, `log` or `json` from the content's first non-blank character (not the name)."""
    with open(path, "rb") as fh:
        head = fh.read(4096).lstrip()
    if head.startswith(b"<"):
        return "junit"
    if head.startswith((b"{", b"[")):
        return "json"
    return "log"


def read_flat_timings(path: Path) -> list[tuple[str, float]]:
    """(id, seconds) in file order for a pytest-split / Knapsack JSON object or a parallel_tests runtime log.

    JSON: `{"id": seconds}`. Log: one `path:seconds` per line, split at the LAST colon. Repeated ids are summed, at the
    position of their first appearance (the same rule as timeshard's parsers).
    """
    kind = file_kind(path)
    pairs: list[tuple[str, float]] = []
    if kind == "json":
        with open(path, encoding="utf-8") as fh:
            data = json.load(fh)
        if not isinstance(data, dict):
            raise BenchError(f"{rel(path)}: expected a JSON object of id -> seconds")
        pairs = [(k, float(v)) for k, v in data.items()]
    elif kind == "log":
        with open(path, encoding="utf-8") as fh:
            for lineno, line in enumerate(fh, 1):
                line = line.strip()
                if not line:
                    continue
                name, sep, secs = line.rpartition(":")
                if not sep:
                    raise BenchError(f"{rel(path)}, line {lineno}: expected `path:seconds`")
                pairs.append((name, float(secs)))
    else:
        raise BenchError(f"{rel(path)}: JUnit files are read through timeshard (record), not here")
    merged: dict[str, float] = {}
    for name, secs in pairs:
        if not math.isfinite(secs) or secs < 0:
            raise BenchError(f"{rel(path)}: {name!r} has an invalid duration {secs!r}")
        merged[name] = merged.get(name, 0.0) + secs
    return list(merged.items())


def history_versions(suite_dir: Path) -> list[Path]:
    """The versions of one history, oldest first (the `NN-` prefix sorts them)."""
    return sorted(p for p in suite_dir.iterdir() if p.suffix == ".json")


# --------------------------------------------------------------------------------------------------------------------
# Scoring


def lower_bound(weights: list[float], n: int) -> float:
    """max(S/n, p_max, p_n + p_(n+1)) with p sorted descending (the last term only when there are > n units)."""
    if n < 1:
        raise ValueError("n must be >= 1")
    if not weights:
        return 0.0
    p = sorted(weights, reverse=True)
    lb = max(math.fsum(p) / n, p[0])
    if len(p) > n:
        lb = max(lb, p[n - 1] + p[n])
    return lb


def makespan(groups: list[list[str]], truth: dict[str, float], what: str) -> float:
    """The largest group total under `truth`, after checking that the groups hold every unit of `truth` exactly once."""
    seen: set[str] = set()
    loads = []
    for group in groups:
        for unit in group:
            if unit in seen:
                raise BenchError(f"{what}: unit {unit!r} is in two groups")
            if unit not in truth:
                raise BenchError(f"{what}: unit {unit!r} is not one of the suite's units")
            seen.add(unit)
        loads.append(math.fsum(truth[u] for u in group))
    if len(seen) != len(truth):
        missing = sorted(set(truth) - seen)
        raise BenchError(f"{what}: {len(missing)} unit(s) missing from the plan, e.g. {missing[0]!r}")
    return max(loads) if loads else 0.0


def excess(span: float, lb: float) -> float:
    """Relative excess of a makespan over the lower bound (0.0 when both are 0)."""
    if lb <= 0:
        return 0.0 if span <= 0 else math.inf
    return span / lb - 1.0


# --------------------------------------------------------------------------------------------------------------------
# pytest-split


class Item:
    """The one attribute of a pytest item that pytest_split.algorithms reads (`nodeid`); str() is the id, which the
    least_duration algorithm uses for its name sort (pytest's own str() would be `<Function name>`)."""

    __slots__ = ("nodeid",)

    def __init__(self, nodeid: str):
        self.nodeid = nodeid

    def __repr__(self) -> str:
        return self.nodeid


def pytest_split_groups(algorithm: str, splits: int, ids: list[str], durations: dict[str, float]) -> list[list[str]]:
    """Groups (lists of ids) from pytest-split's own algorithm `least_duration` or `duration_based_chunks`.

    `ids` are the tests to split, in collection order; `durations` the stored durations, which may miss some of them
    (pytest-split then uses the mean of the known durations of the tests being split) or hold extra ones (ignored).
    """
    from pytest_split import algorithms  # imported late: only inside the bench venv

    algo = algorithms.Algorithms[algorithm].value
    groups = algo(splits, [Item(i) for i in ids], durations)
    return [[item.nodeid for item in g.selected] for g in groups]


# --------------------------------------------------------------------------------------------------------------------
# timeshard CLI


@dataclass
class Timeshard:
    """Runs `node dist/cli.js ...` and returns parsed results; any non-zero exit becomes a BenchError with stderr."""

    node: str
    cli: Path = CLI

    def run(self, args: list[str], *, what: str) -> str:
        CWD.mkdir(parents=True, exist_ok=True)
        proc = subprocess.run([self.node, str(self.cli), *args], capture_output=True, text=True, cwd=CWD)
        if proc.returncode != 0:
            tail = (proc.stderr or proc.stdout).strip().splitlines()[-5:]
            raise BenchError(f"{what}: timeshard exited {proc.returncode}: " + " | ".join(tail))
        return proc.stdout

    def version(self) -> str:
        """The version `--version` prints, without the leading program name."""
        text = self.run(["--version"], what="timeshard --version").strip()
        return text.removeprefix("timeshard").strip()

    def split(self, args: list[str], *, what: str) -> dict:
        out = self.run(["split", *args, "--json"], what=what)
        try:
            plan = json.loads(out)
        except json.JSONDecodeError as err:
            raise BenchError(f"{what}: split --json did not print JSON ({err})") from None
        if not isinstance(plan.get("groups"), list):
            raise BenchError(f"{what}: plan JSON has no `groups` list")
        return plan

    def record(self, store: Path, reports: list[Path], *, what: str, out: Path | None = None) -> str:
        args = ["record", "--store", str(store)]
        if out is not None:
            args += ["--out", str(out)]
        return self.run([*args, *map(str, reports)], what=what)

    def store_timings(self, reports: list[Path], *, what: str) -> dict[str, float]:
        """Per-unit durations as timeshard sees them: the reports recorded as one run into a fresh store, read back."""
        with tempfile.TemporaryDirectory(prefix="timeshard-bench-") as tmp:
            store = Path(tmp) / "store.json"
            self.record(store, reports, what=what)
            return read_store_timings(store, what=what)


def read_store_timings(store: Path, *, what: str) -> dict[str, float]:
    """The id -> seconds of a store holding ONE run (where the robust statistic is that run's value)."""
    with open(store, encoding="utf-8") as fh:
        data = json.load(fh)
    tests = data.get("tests") if isinstance(data, dict) else None
    if not isinstance(tests, dict):
        raise BenchError(f"{what}: store {rel(store)} has no `tests` object (store format changed?)")
    out: dict[str, float] = {}
    for tid, entry in tests.items():
        secs = store_entry_seconds(entry)
        if secs is None:
            raise BenchError(f"{what}: cannot read a duration for {tid!r} in the store (store format changed?)")
        out[tid] = secs
    return out


def store_entry_seconds(entry) -> float | None:
    """The latest sample of one store entry: a number, or an object with a list of samples (newest last)."""
    if isinstance(entry, (int, float)):
        return float(entry)
    if isinstance(entry, dict):
        for key in ("samples", "runs", "seconds"):
            val = entry.get(key)
            if isinstance(val, (int, float)):
                return float(val)
            if isinstance(val, list) and val:
                last = val[-1]
                if isinstance(last, (int, float)):
                    return float(last)
                if isinstance(last, dict) and isinstance(last.get("seconds"), (int, float)):
                    return float(last["seconds"])
    return None


def find_node(explicit: str | None) -> str:
    """The node binary: --node, else the project's Node 24, else `node` on PATH."""
    if explicit:
        return explicit
    if NODE24.exists():
        return str(NODE24)
    found = shutil.which("node")
    if not found:
        raise BenchError("no node binary: run scripts/setup.sh (installs Node 24 into .tools/node24) or pass --node")
    return found


def snapshot_dist() -> Path:
    """A copy of dist/ in bench/out/dist/, which the whole run uses: a rebuild of dist/ while the benchmark runs (other
    work on the same tree) then cannot mix two builds into one result. Returns the copy's cli.js."""
    if not CLI.exists():
        raise BenchError(f"{rel(CLI)} is missing: run npm run build first")
    snap = OUT / "dist"
    if snap.exists():
        shutil.rmtree(snap)
    shutil.copytree(CLI.parent, snap)
    return snap / CLI.name


def dist_digest(dist: Path) -> str:
    """A short sha256 over dist/'s file names and contents, to tell builds apart in the results."""
    h = hashlib.sha256()
    for p in sorted(q for q in dist.rglob("*") if q.is_file()):
        h.update(str(p.relative_to(dist)).encode() + b"\0" + p.read_bytes())
    return h.hexdigest()[:12]


def write_lines(path: Path, lines: list[str]) -> None:
    with open(path, "w", encoding="utf-8", newline="\n") as fh:
        for line in lines:
            fh.write(line + "\n")


def node_version(node: str) -> str:
    return subprocess.run([node, "--version"], capture_output=True, text=True, check=True).stdout.strip()


