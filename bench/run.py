#!/usr/bin/env python3
"""The benchmark command: runs the parts, writes bench/results.json and renders BENCHMARKS.md.

usage: python3 bench/run.py [--only balance,replay,speed,coldstart] [--quick] [--runs N] [--node PATH]
                            [--out-dir DIR] [--report-only]

Parts (see each module's docstring): balance, replay, speed, coldstart. Parts not run keep their previous results
from the results file, so one part can be refreshed alone. --quick is a smoke run (fewer N, steps and repetitions)
and writes to bench/out/quick/ unless --out-dir says otherwise, so smoke numbers never replace the real ones.

On first use this creates the venv .tools/bench-venv with bench/requirements.txt (pytest-split, pinned) and then runs
itself inside it.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import shlex
import subprocess
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
VENV = ROOT / ".tools" / "bench-venv"
REQUIREMENTS = BENCH / "requirements.txt"
PARTS = ("balance", "replay", "speed", "coldstart")


def pinned_version() -> str:
    for line in REQUIREMENTS.read_text().splitlines():
        if line.startswith("pytest-split=="):
            return line.split("==", 1)[1].strip()
    raise SystemExit("bench/requirements.txt does not pin pytest-split")


def ensure_venv() -> Path:
    """The venv's python, creating the venv and installing the pinned requirements when needed."""
    py = VENV / "bin" / "python"
    if not py.exists():
        print(f"[bench] creating {VENV.relative_to(ROOT)}", file=sys.stderr)
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
    probe = subprocess.run([str(py), "-c", "import importlib.metadata as m; print(m.version('pytest-split'))"],
                           capture_output=True, text=True)
    if probe.returncode != 0 or probe.stdout.strip() != pinned_version():
        print(f"[bench] installing {REQUIREMENTS.relative_to(ROOT)} into the venv", file=sys.stderr)
        subprocess.run([str(py), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "-r",
                        str(REQUIREMENTS)], check=True)
    return py


def in_venv() -> bool:
    return Path(sys.prefix).resolve() == VENV.resolve()


def log(msg: str) -> None:
    print(f"[bench] {msg}", file=sys.stderr, flush=True)


def git(*args: str) -> str:
    proc = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True)
    return proc.stdout.strip() if proc.returncode == 0 else ""


def machine() -> dict:
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    mem = "memory unknown"
    try:
        with open("/proc/meminfo") as fh:
            kb = int(fh.readline().split()[1])
            mem = f"{kb / 1024 / 1024:.0f} GiB RAM"
    except (OSError, ValueError, IndexError):
        pass
    os_name = platform.system()
    try:
        with open("/etc/os-release") as fh:
            for line in fh:
                if line.startswith("PRETTY_NAME="):
                    os_name = line.split("=", 1)[1].strip().strip('"')
    except OSError:
        pass
    return {"cpu": cpu, "cores": os.cpu_count(), "memory": mem, "os": os_name, "kernel": platform.release()}


def commit_label() -> str:
    """HEAD, and whether the sources or dist/ differ from it (taken when dist/ is snapshotted)."""
    dirty = git("status", "--porcelain", "--", "src", "js", "dist", "Cargo.toml", "package.json")
    commit = git("rev-parse", "--short", "HEAD") or "unknown"
    return commit + (" (with uncommitted changes in src/ js/ dist/)" if dirty else "")


def meta(ts, command: str, quick: bool, commit: str) -> dict:
    from importlib.metadata import version

    from common import dist_digest, node_version

    return {
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "commit": commit,
        "versions": {"timeshard": ts.version(), "node": node_version(ts.node), "python": platform.python_version(),
                     "pytest_split": version("pytest-split")},
        "machine": machine(),
        "loadavg": " ".join(f"{x:.2f}" for x in os.getloadavg()),
        "quick": quick,
        "command": command,
        "dist_sha256": dist_digest(ts.cli.parent),
    }


def load_results(path: Path) -> dict:
    if path.exists():
        try:
            data = json.loads(path.read_text())
            if data.get("schema") == 1:
                return data
            log(f"{path}: unknown schema, starting afresh")
        except json.JSONDecodeError:
            log(f"{path}: not JSON, starting afresh")
    return {"schema": 1, "parts": {}}


def rounded(obj):
    """Floats to 9 significant digits so results.json diffs show real changes, not float noise."""
    if isinstance(obj, float):
        return float(f"{obj:.9g}")
    if isinstance(obj, dict):
        return {k: rounded(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [rounded(v) for v in obj]
    return obj


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(prog="python3 bench/run.py", description=__doc__.split("\n\n")[0])
    ap.add_argument("--only", default=",".join(PARTS), help="comma-separated parts: " + ", ".join(PARTS))
    ap.add_argument("--quick", action="store_true", help="smoke run; writes to bench/out/quick/ by default")
    ap.add_argument("--runs", type=int, help="speed: runs per command (default 5, --quick 1)")
    ap.add_argument("--node", help="node binary (default: .tools/node24, else node on PATH)")
    ap.add_argument("--out-dir", help="where results.json and BENCHMARKS.md go (default: bench/ and the repo root)")
    ap.add_argument("--report-only", action="store_true", help="re-render BENCHMARKS.md from results.json")
    args = ap.parse_args(argv)
    parts = [p.strip() for p in args.only.split(",") if p.strip()]
    unknown = [p for p in parts if p not in PARTS]
    if unknown:
        ap.error(f"unknown part(s) {', '.join(unknown)}; expected some of {', '.join(PARTS)}")
    if args.runs is not None and args.runs < 1:
        ap.error("--runs must be >= 1")

    if args.out_dir:
        out_dir = Path(args.out_dir).resolve()
        results_path, md_path = out_dir / "results.json", out_dir / "BENCHMARKS.md"
    elif args.quick:
        out_dir = BENCH / "out" / "quick"
        results_path, md_path = out_dir / "results.json", out_dir / "BENCHMARKS.md"
    else:
        results_path, md_path = BENCH / "results.json", ROOT / "BENCHMARKS.md"
    results_path.parent.mkdir(parents=True, exist_ok=True)

    import report

    results = load_results(results_path)
    if args.report_only:
        md_path.write_text(report.render(results))
        log(f"wrote {md_path}")
        return 0

    import balance
    import coldstart
    import replay
    import speed
    from common import BenchError, Timeshard, find_node, snapshot_dist

    command = "python3 bench/run.py" + "".join(f" {shlex.quote(a)}" for a in argv)
    try:
        commit = commit_label()
        ts = Timeshard(find_node(args.node), snapshot_dist())
        ts.version()
        modules = {"balance": balance, "replay": replay, "speed": speed, "coldstart": coldstart}
        for name in PARTS:
            if name not in parts:
                continue
            log(f"{name} ...")
            t0 = time.monotonic()
            m = meta(ts, command, args.quick, commit)
            if name == "speed":
                res = speed.run(ts, args.quick, log, runs=args.runs)
            else:
                res = modules[name].run(ts, args.quick, log)
            m["seconds"] = round(time.monotonic() - t0, 1)
            res["meta"] = m
            results["parts"][name] = rounded(res)
            log(f"{name} done in {m['seconds']} s")
            # Written after every part so an interrupted run keeps what it measured.
            results["parts"] = {p: results["parts"][p] for p in PARTS if p in results["parts"]}
            results_path.write_text(json.dumps(results, indent=1, ensure_ascii=False) + "\n")
            md_path.write_text(report.render(results))
    except BenchError as err:
        log(f"error: {err}")
        return 2
    log(f"wrote {results_path} and {md_path}")
    for row in report.targets(results["parts"]):
        log(f"  {'met   ' if row['met'] else 'MISSED'} {row['target']}: {row['measured']} (goal {row['goal']})")
    return 0


if __name__ == "__main__":
    if not in_venv():
        py = ensure_venv()
        os.execv(str(py), [str(py), str(Path(__file__).resolve()), *sys.argv[1:]])
    sys.exit(main(sys.argv[1:]))
