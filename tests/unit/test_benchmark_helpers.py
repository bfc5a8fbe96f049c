"""The pure helpers of the benchmarks: object sizes counted once (percentiles: test_bench_figures.py)."""

from __future__ import annotations

import sys

from benchmarks.residents import deep_size
from gridalert.streams.records import DetectorState


def test_deep_size_counts_an_object_shared_by_two_residents_once():
    shared = "x" * 1000
    first, second, seen = [shared], [shared], set()
    assert deep_size(first, seen) == sys.getsizeof(first) + sys.getsizeof(shared)
    assert deep_size(second, seen) == sys.getsizeof(second)


def test_deep_size_of_a_record_includes_its_fields():
    state = {"days": [[739577, 3, 0]], "note": "y" * 500}
    record = DetectorState(detector="activity", subject="activity:r-1", state=state, seen=["e-1"])
    assert deep_size(record) > deep_size(state) + 500


def test_deep_size_leaves_out_what_every_process_shares():
    assert deep_size([None, True, 7]) == sys.getsizeof([None, True, 7])


