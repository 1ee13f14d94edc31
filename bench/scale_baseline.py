"""The pytest-split side of the speed benchmark, as its own process: load a durations JSON, split with least_duration.

usage: scale_baseline.py DURATIONS_JSON GROUPS

Prints one JSON object: the algorithm call alone (`algorithm_seconds`, perf_counter around the call), the load time,
the number of tests and groups. The whole process is timed by the caller. Tests are given in the file's order, as
pytest would collect them; building the item objects is counted in neither the load nor the algorithm time.
"""

import json
import sys
import time


class Item:
    """The one attribute of a pytest item that pytest-split reads."""

    __slots__ = ("nodeid",)

    def __init__(self, nodeid):
        self.nodeid = nodeid

    def __repr__(self):
        return self.nodeid


def main(argv):
    if len(argv) != 3:
        sys.exit("usage: scale_baseline.py DURATIONS_JSON GROUPS")
    path, groups = argv[1], int(argv[2])
    t0 = time.perf_counter()
    from pytest_split import algorithms

    with open(path, encoding="utf-8") as fh:
        durations = json.load(fh)
    t1 = time.perf_counter()
    items = [Item(i) for i in durations]
    t2 = time.perf_counter()
    result = algorithms.Algorithms.least_duration.value(groups, items, durations)
    t3 = time.perf_counter()
    loads = [g.duration for g in result]
    json.dump(
        {
            "load_seconds": t1 - t0,
            "items_seconds": t2 - t1,
            "algorithm_seconds": t3 - t2,
            "tests": len(items),
            "groups": len(result),
            "assigned": sum(len(g.selected) for g in result),
            "max_group_seconds": max(loads),
        },
        sys.stdout,
    )
    sys.stdout.write("\n")


if __name__ == "__main__":
    main(sys.argv)
