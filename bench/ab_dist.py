"""Two builds of the CLI side by side on the scale suite: whole `split` processes, alternating, same machine and
same minutes, so the ratio holds even when the machine's speed drifts (the speed part's absolute times move with load).

usage: python3 bench/ab_dist.py OLD_CLI NEW_CLI [ROUNDS]      e.g. an old dist from `git archive REV dist | tar -x -C /tmp/old`

Prints, per granularity (file, test; N=64, from the 8 JUnit reports of bench/out/scale), the median and minimum of
each build and the ratio of the medians (old / new). Needs the scale suite (python3 bench/run.py --only speed makes it)
and Node 24 in .tools (scripts/setup.sh).
"""

import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NODE = ROOT / ".tools" / "node24" / "node_modules" / "node" / "bin" / "node"
REPORTS = "bench/out/scale/junit/*.xml"


def main(argv: list[str]) -> None:
    if len(argv) not in (3, 4):
        sys.exit(__doc__)
    builds = {"old": argv[1], "new": argv[2]}
    rounds = int(argv[3]) if len(argv) == 4 else 8
    times: dict[tuple[str, str], list[float]] = {(b, g): [] for b in builds for g in ("file", "test")}
    for _ in range(rounds):
        for g in ("file", "test"):
            for b, cli in builds.items():
                t0 = time.perf_counter()
                subprocess.run([str(NODE), cli, "split", "--timings", REPORTS, "--workers", "64", "--granularity", g,
                                "--json"], cwd=ROOT, stdout=subprocess.DEVNULL, check=True)
                times[(b, g)].append(time.perf_counter() - t0)
    for g in ("file", "test"):
        med = {b: statistics.median(times[(b, g)]) for b in builds}
        cells = ", ".join(f"{b} {med[b]:.3f} s (min {min(times[(b, g)]):.3f})" for b in builds)
        print(f"{g}: {cells}; old/new {med['old'] / med['new']:.2f}x ({rounds} rounds)")


if __name__ == "__main__":
    main(sys.argv)
