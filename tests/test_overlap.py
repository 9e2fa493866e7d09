"""evidence.overlap: steps in threads, results in input order, errors raised in order, clean stops."""

from __future__ import annotations

import threading
import time

import pytest

from evidence.overlap import Batched, overlapped


def step_threads() -> list[str]:
    return [t.name for t in threading.enumerate() if t.name.startswith("evidence-")]


def test_results_come_in_input_order_through_every_step():
    def slow_when_even(x: int) -> int:
        time.sleep(0.002 if x % 2 == 0 else 0)
        return x * 10

    assert list(overlapped(range(50), slow_when_even, lambda x: x + 1)) == [x * 10 + 1 for x in range(50)]
    assert list(overlapped(iter([]), str)) == []
    assert step_threads() == []


def test_steps_run_at_the_same_time():
    seen: list[tuple[str, int]] = []
    lock = threading.Lock()

    def note(name: str):
        def step(x: int) -> int:
            with lock:
                seen.append((name, x))
            time.sleep(0.01)
            return x
        return step

    assert list(overlapped(range(6), note("a"), note("b"))) == list(range(6))
    # step a is on item 1 before step b has finished item 0 and the caller has it: they overlap
    assert seen.index(("a", 1)) < seen.index(("b", 1))
    assert seen.index(("a", 2)) < seen.index(("b", 2))


def test_a_batched_step_gets_the_items_n_at_a_time_and_the_rest_at_the_end():
    calls: list[list[int]] = []

    def pairs(items: list[int]) -> list[int]:
        calls.append(list(items))
        return [x * 10 for x in items]

    assert list(overlapped(range(7), Batched(pairs, 2), lambda x: x + 1)) == [x * 10 + 1 for x in range(7)]
    assert calls == [[0, 1], [2, 3], [4, 5], [6]]
    assert list(overlapped(iter([]), Batched(pairs, 2))) == [] and len(calls) == 4
    assert step_threads() == []


def boom(x: int) -> int:
    if x == 3:
        raise ValueError("item 3 is bad")
    return x


@pytest.mark.parametrize("then", [lambda x: x, Batched(lambda items: items, 2)], ids=["plain", "batched"])
def test_an_error_in_a_step_comes_after_the_items_before_it(then):
    """A later step, batched or not, finishes the items before the failing one; then the error."""
    got = []
    with pytest.raises(ValueError, match="item 3 is bad"):
        for x in overlapped(range(10), boom, then):
            got.append(x)
    assert got == [0, 1, 2]
    assert step_threads() == []


def test_an_error_in_the_source_is_raised_and_the_source_closed():
    closed = []

    def source():
        try:
            yield 1
            yield 2
            raise OSError("disk gone")
        finally:
            closed.append(True)

    got = []
    with pytest.raises(OSError, match="disk gone"):
        for x in overlapped(source(), lambda x: -x):
            got.append(x)
    assert got == [-1, -2] and closed == [True]
    assert step_threads() == []


def test_a_caller_that_stops_early_stops_the_threads_and_closes_the_source():
    closed = []
    produced = []

    def source():
        try:
            for i in range(10_000):
                produced.append(i)
                yield i
        finally:
            closed.append(True)

    for x in overlapped(source(), lambda x: x):
        if x == 5:
            break
    assert step_threads() == [] and closed == [True]
    assert len(produced) < 20  # bounded: each step holds at most one finished item
