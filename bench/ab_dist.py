"""Two builds of the CLI side by side on the scale suite: whole processes, alternating, same machine and same
minutes, so the ratio holds even when the machine's speed drifts (the speed part's absolute times move with load).

usage: python3 bench/ab_dist.py OLD_CLI NEW_CLI [ROUNDS] [CASES]
       e.g. an old dist from `git archive REV dist | tar -x -C /tmp/old`; CASES is a comma-separated list of
       file, file-one-thread, test, store, record, record-into, discovered-file, discovered-test (default
       file,test)

Cases (N=64, file granularity unless said):
  file         split from the 8 JUnit reports of bench/out/scale
  file-one-thread
               the same on the main thread alone (TIMESHARD_PARSE_THREADS=0: no parse threads)
  test         the same, by test
  record       record the 8 reports into a new store (a scratch file, removed before each run)
  store        split from bench/out/speed/history.json (the store of those reports: what the action's split does)
  record-into  record the 8 reports into that store (--out a scratch file: what the action's record step does)
  discovered-file, discovered-test
               split from that store with every test file (16,030) or every test id (201,355) listed in
               --tests-file (bench/out/speed/files.txt, tests.txt), by file or by test: the action's split with
               its discovered tests

Prints, per case, the median and minimum wall time of each build, its median CPU time (user + system, all threads:
what parse threads add shows here even when a busy machine hides it from the wall time) and the ratio of the median
wall times (old / new). Needs the scale
suite and the store (python3 bench/run.py --only speed makes both) and Node 24 in .tools (scripts/setup.sh).
"""

import os
import statistics
import sys
import tempfile
from pathlib import Path

from timing import timed_run

ROOT = Path(__file__).resolve().parent.parent
NODE = ROOT / ".tools" / "node24" / "node_modules" / "node" / "bin" / "node"
# The reports one by one, as bench/speed.py passes them (a shell would expand a glob the same way).
REPORTS = sorted(str(p.relative_to(ROOT)) for p in (ROOT / "bench" / "out" / "scale" / "junit").glob("*.xml"))
STORE = ROOT / "bench" / "out" / "speed" / "history.json"
SPLIT = ["--workers", "64", "--json"]


def command(case: str, cli: str, scratch: Path) -> list[str]:
    if case in ("file", "file-one-thread", "test"):
        gran = "test" if case == "test" else "file"
        return [str(NODE), cli, "split", *(a for r in REPORTS for a in ("--timings", r)), "--granularity", gran, *SPLIT]
    if case == "record":
        return [str(NODE), cli, "record", "--store", str(scratch), *REPORTS]
    if case == "store":
        return [str(NODE), cli, "split", "--store", str(STORE), "--granularity", "file", *SPLIT]
    if case in ("discovered-file", "discovered-test"):
        gran = case.split("-")[1]
        listed = ROOT / "bench" / "out" / "speed" / ("files.txt" if gran == "file" else "tests.txt")
        return [str(NODE), cli, "split", "--tests-file", str(listed), "--store", str(STORE), "--granularity", gran,
                *SPLIT]
    if case == "record-into":
        reports = sorted(str(p) for p in (ROOT / "bench" / "out" / "scale" / "junit").glob("*.xml"))
        return [str(NODE), cli, "record", "--store", str(STORE), "--out", str(scratch), *reports]
    sys.exit(f"unknown case {case!r}\n\n{__doc__}")


def main(argv: list[str]) -> None:
    if len(argv) not in (3, 4, 5):
        sys.exit(__doc__)
    builds = {"old": argv[1], "new": argv[2]}
    rounds = int(argv[3]) if len(argv) >= 4 else 8
    cases = argv[4].split(",") if len(argv) == 5 else ["file", "test"]
    speed = ROOT / "bench" / "out" / "speed"
    needed = {"store": [STORE], "record-into": [STORE], "discovered-file": [STORE, speed / "files.txt"],
              "discovered-test": [STORE, speed / "tests.txt"]}
    for missing in sorted({p for c in cases for p in needed.get(c, []) if not p.exists()}):
        sys.exit(f"{missing.relative_to(ROOT)} is missing: run python3 bench/run.py --only speed once")
    times: dict[tuple[str, str], list[float]] = {(b, c): [] for b in builds for c in cases}
    cpu: dict[tuple[str, str], list[float]] = {(b, c): [] for b in builds for c in cases}
    one_thread = {**os.environ, "TIMESHARD_PARSE_THREADS": "0"}
    with tempfile.TemporaryDirectory() as tmp:
        scratch = Path(tmp) / "store.json"
        for _ in range(rounds):
            for c in cases:
                for b, cli in builds.items():
                    if c == "record":
                        scratch.unlink(missing_ok=True)
                    env = one_thread if c == "file-one-thread" else None
                    run = timed_run(command(c, cli, scratch), cwd=str(ROOT), env=env)
                    if run.returncode != 0:
                        sys.exit(f"{b} {c}: exited {run.returncode}: {run.stderr.strip()[-500:]}")
                    times[(b, c)].append(run.seconds)
                    cpu[(b, c)].append(run.cpu_seconds)
    for c in cases:
        med = {b: statistics.median(times[(b, c)]) for b in builds}
        cells = ", ".join(f"{b} {med[b]:.3f} s (min {min(times[(b, c)]):.3f}, CPU {statistics.median(cpu[(b, c)]):.3f})"
                          for b in builds)
        print(f"{c}: {cells}; old/new {med['old'] / med['new']:.2f}x ({rounds} rounds)")


if __name__ == "__main__":
    main(sys.argv)
