"""Tests of the harness itself (scoring, readers, targets), run in the bench venv:

    .tools/bench-venv/bin/python -m pytest -q bench/test_bench.py
"""

import json
import math
import os
import sys

import pytest

from common import (
    BenchError,
    Timeshard,
    excess,
    lower_bound,
    makespan,
    pytest_split_groups,
    read_flat_timings,
    read_store_timings,
)
from report import render, targets
from timing import spread, timed_run


@pytest.mark.parametrize(
    "weights, n, expected",
    [
        ([3, 3, 2, 2, 2], 2, 6.0),  # S/N
        ([10, 1, 1], 2, 10.0),  # p_max
        ([5, 5, 5], 2, 10.0),  # p_N + p_(N+1) beats S/N = 7.5
        ([4, 4], 2, 4.0),  # no p_(N+1) when units == N
        ([1, 2, 3], 8, 3.0),  # more workers than units
        ([], 4, 0.0),
    ],
)
def test_lower_bound(weights, n, expected):
    assert lower_bound(weights, n) == pytest.approx(expected)


def test_lower_bound_rejects_zero_workers():
    with pytest.raises(ValueError):
        lower_bound([1.0], 0)


TRUTH = {"a": 3.0, "b": 2.0, "c": 1.0}


def test_makespan_is_the_heaviest_group():
    assert makespan([["a"], ["b", "c"]], TRUTH, "t") == 3.0
    assert makespan([["c", "a"], ["b"], []], TRUTH, "t") == 4.0


@pytest.mark.parametrize(
    "groups, message",
    [
        ([["a", "b"], ["b", "c"]], "in two groups"),
        ([["a", "b"]], "missing"),
        ([["a", "b", "c", "d"]], "not one of"),
    ],
)
def test_makespan_rejects_bad_plans(groups, message):
    with pytest.raises(BenchError, match=message):
        makespan(groups, TRUTH, "t")


def test_excess():
    assert excess(11.0, 10.0) == pytest.approx(0.1)
    assert excess(0.0, 0.0) == 0.0
    assert math.isinf(excess(1.0, 0.0))


def test_read_json_keeps_order(tmp_path):
    p = tmp_path / "d.json"
    p.write_text('{"z.py::t": 1.5, "a.py::t": 0.5}')
    assert read_flat_timings(p) == [("z.py::t", 1.5), ("a.py::t", 0.5)]


def test_read_log_splits_at_last_colon_and_sums_repeats(tmp_path):
    p = tmp_path / "runtime.log"
    p.write_text("spec/a_spec.rb:1.5\nspec/b:c_spec.rb:2\n\nspec/a_spec.rb:0.5\n")
    assert read_flat_timings(p) == [("spec/a_spec.rb", 2.0), ("spec/b:c_spec.rb", 2.0)]


@pytest.mark.parametrize(
    "name, text, message",
    [
        ("bad.log", "spec/a_spec.rb 1.5\n", "line 1"),
        ("neg.json", '{"a": -1}', "invalid duration"),
        ("list.json", "[1, 2]", "JSON object"),
        ("r.xml", "<testsuite/>", "JUnit"),
    ],
)
def test_read_flat_timings_failures(tmp_path, name, text, message):
    p = tmp_path / name
    p.write_text(text)
    with pytest.raises(BenchError, match=message):
        read_flat_timings(p)


def test_pytest_split_least_duration_is_lpt():
    durations = {"a": 5.0, "b": 4.0, "c": 3.0, "d": 3.0, "e": 1.0}
    groups = pytest_split_groups("least_duration", 2, list(durations), durations)
    assert sorted(sum(durations[t] for t in g) for g in groups) == [8.0, 8.0]


def test_pytest_split_unknown_tests_get_the_mean_of_the_known():
    # known: a=4, b=2 -> mean 3; the unknown c weighs 3, so LPT puts a alone and b+c together.
    groups = pytest_split_groups("least_duration", 2, ["a", "b", "c"], {"a": 4.0, "b": 2.0, "gone": 100.0})
    assert sorted(map(sorted, groups)) == [["a"], ["b", "c"]]


def test_pytest_split_chunks_are_contiguous():
    durations = {t: 1.0 for t in "abcdef"}
    groups = pytest_split_groups("duration_based_chunks", 3, list(durations), durations)
    assert groups == [["a", "b"], ["c", "d"], ["e", "f"]]


def test_read_store_timings_rejects_unknown_layout(tmp_path):
    p = tmp_path / "store.json"
    p.write_text(json.dumps({"version": 1, "something": {}}))
    with pytest.raises(BenchError, match="store format"):
        read_store_timings(p, what="t")


def test_timeshard_wrapper_reports_failures():
    ts = Timeshard(sys.executable, cli="-c")  # `python -c split ...` fails: a NameError, exit 1
    with pytest.raises(BenchError, match="exited 1"):
        ts.run(["split"], what="t")


def test_timed_run_measures_a_process(tmp_path):
    out = tmp_path / "o.txt"
    run = timed_run([sys.executable, "-c", "import sys; print('hi'); sum(range(3_000_000)); sys.exit(3)"], str(out))
    assert run.returncode == 3 and run.seconds > 0 and run.max_rss_kb > 0
    assert 0 < run.cpu_seconds < run.seconds * 4
    assert out.read_text() == "hi\n"


def test_timed_run_passes_the_environment_given(tmp_path):
    out = tmp_path / "o.txt"
    code = "import os; print(os.environ.get('TIMESHARD_PARSE_THREADS', 'unset'))"
    env = {**os.environ, "TIMESHARD_PARSE_THREADS": "0"}
    assert timed_run([sys.executable, "-c", code], str(out), env=env).returncode == 0
    assert out.read_text() == "0\n"
    timed_run([sys.executable, "-c", code], str(out), env={k: v for k, v in os.environ.items()
                                                             if k != "TIMESHARD_PARSE_THREADS"})
    assert out.read_text() == "unset\n"


def test_spread():
    assert spread([3.0, 1.0, 2.0]) == {"median": 2.0, "min": 1.0, "max": 3.0, "runs": 3}


def _meta():
    return {"date": "2026-01-01 00:00 UTC", "commit": "abc", "loadavg": "0 0 0", "quick": False, "command": "c",
            "versions": {"timeshard": "0", "node": "v24", "python": "3.11", "pytest_split": "0.11.0"},
            "machine": {"cpu": "x", "cores": 2, "memory": "1 GiB RAM", "os": "y", "kernel": "z"}}


def test_targets_met_and_missed():
    parts = {
        "replay": {"meta": _meta(), "ns": [4], "summary": {"errors": [], "suites": {
            "good": {"ratio": 0.5, "steps": 1, "cases": 1, "team_baseline": None, "worst_vs_baseline": [],
                     **{a: {"mean_excess": 0.01, "worst_excess": 0.02, "worst_case": "k=1 N=4"}
                        for a in ("timeshard", "least_duration", "duration_based_chunks")}},
            "bad": {"ratio": 0.96, "steps": 1, "cases": 1, "team_baseline": 0.1, "worst_vs_baseline": [],
                    **{a: {"mean_excess": 0.01, "worst_excess": 0.02, "worst_case": "k=1 N=4"}
                       for a in ("timeshard", "least_duration", "duration_based_chunks")}},
        }}, "cases": []},
        "coldstart": {"meta": _meta(), "reps": 1, "dist": {"bytes": 1_600_000, "wasm_bytes": 1_000_000, "files": {}},
                      "commands": {"node -e 0": {"seconds": spread([0.04]), "over_node": 0.0},
                                   "node dist/cli.js split tiny": {"seconds": spread([0.1]), "over_node": 0.06},
                                   "node dist/index.js (the action)": {"seconds": spread([0.2]),
                                                                       "over_node": 0.16}}},
    }
    rows = {r["target"].split(":")[0]: r for r in targets(parts)}
    assert rows["Replay good"]["met"] is True
    assert rows["Replay bad"]["met"] is False and "1.20×" in rows["Replay bad"]["miss"]
    assert rows["Cold start"]["met"] is True
    # The action's own start is a target row of its own (here 160 ms over node: missed by 10 ms).
    action = rows["Cold start of the action"]
    assert action["met"] is False and "by 10 ms" in action["miss"], action
    assert rows["Size of dist/ (all files)"]["met"] is False
    md = render({"schema": 1, "parts": parts})
    assert "**missed**" in md and "## 2. Replay" in md and "## 4. Cold start" in md
