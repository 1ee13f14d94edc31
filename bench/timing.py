"""Timing whole processes: wall time from spawn to exit, the child's CPU time (user + system, all its threads) and
peak RSS (wait4 rusage of that child only)."""

from __future__ import annotations

import os
import statistics
import subprocess
import tempfile
import time
from dataclasses import dataclass


@dataclass
class Run:
    """One finished process."""

    seconds: float
    cpu_seconds: float
    max_rss_kb: int
    returncode: int
    stderr: str


def timed_run(argv: list[str], stdout_path: str | None = None, cwd: str | None = None,
              env: dict[str, str] | None = None) -> Run:
    """Run `argv` to completion (with `env` as its whole environment when given); stdout goes to `stdout_path` (or
    /dev/null) so a large output never blocks a pipe."""
    if cwd:
        os.makedirs(cwd, exist_ok=True)
    with open(stdout_path or os.devnull, "wb") as out, tempfile.TemporaryFile() as err:
        t0 = time.perf_counter()
        proc = subprocess.Popen(argv, stdout=out, stderr=err, cwd=cwd, env=env)
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - t0
        proc.returncode = os.waitstatus_to_exitcode(status)  # reaped by wait4: tell Popen so it never waits again
        err.seek(0)
        stderr = err.read().decode("utf-8", errors="replace")
    return Run(seconds, usage.ru_utime + usage.ru_stime, usage.ru_maxrss, proc.returncode, stderr)


def spread(values: list[float]) -> dict:
    """median, min, max and the number of values."""
    return {"median": statistics.median(values), "min": min(values), "max": max(values), "runs": len(values)}
