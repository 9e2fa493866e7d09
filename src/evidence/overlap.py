"""Run the steps of a load side by side in threads of one process, results in input order.

``overlapped(chunks, normalise, extract)`` parses chunks in one thread, normalises them in a
second and extracts (polars) in a third while the caller loads (DuckDB): polars and DuckDB release
the GIL while they work, so on 2 cores the Python steps overlap with them instead of taking turns. At 100,000 records this is as
fast as the two worker processes of ``evidence.workers`` and about 250 MB smaller (no second copy
of the interpreter, polars and the extractors' compiled patterns, nothing pickled); the workers
remain for machines with more cores, where the Python step, which holds the GIL, would be the limit.

A step wrapped in ``Batched(step, n)`` is given the items n at a time (a list; fewer at the end)
and returns their results in a list, in order: for a step with a fixed cost per call.

Each step holds at most ``depth`` finished items waiting for the next one, so memory is bounded
by a few chunks however big the input. An exception in a step is raised in the caller, in order
(after the items before it); if the caller stops early, the threads stop after their current item.
"""

from __future__ import annotations

import queue
import threading
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Iterator

_END = object()
_POLL = 0.1  # seconds between checks for a stop while a queue is full or empty


@dataclass(frozen=True)
class Batched:
    """A step that takes up to ``size`` items at once (a list) and returns their results (a list, in order)."""

    step: Callable[[list[Any]], list[Any]]
    size: int


class _Failed:
    def __init__(self, exc: BaseException) -> None:
        self.exc = exc


def overlapped(source: Iterable[Any], *steps: Callable[[Any], Any] | Batched, depth: int = 1) -> Iterator[Any]:
    """Items of ``source`` passed through ``steps`` in turn, each step in its own thread."""
    stop = threading.Event()
    queues: list[queue.Queue[Any]] = [queue.Queue(maxsize=depth) for _ in range(len(steps) + 1)]

    def put(q: queue.Queue[Any], item: Any) -> bool:
        while not stop.is_set():
            try:
                q.put(item, timeout=_POLL)
                return True
            except queue.Full:
                continue
        return False

    def get(q: queue.Queue[Any]) -> Any:
        while not stop.is_set():
            try:
                return q.get(timeout=_POLL)
            except queue.Empty:
                continue
        return _END

    def feed() -> None:
        it = iter(source)
        try:
            for item in it:
                if not put(queues[0], item):
                    return
            put(queues[0], _END)
        except BaseException as exc:  # raised again in the caller
            put(queues[0], _Failed(exc))
        finally:
            close = getattr(it, "close", None)
            if close is not None:  # a generator's own clean-up runs here, not whenever it is collected
                close()

    def work(step: Callable[[Any], Any] | Batched, inbox: queue.Queue[Any], outbox: queue.Queue[Any]) -> None:
        size = step.size if isinstance(step, Batched) else 1
        while True:
            items: list[Any] = []
            last = None  # the end, or an earlier step's failure, met while gathering a batch
            while len(items) < size:
                item = get(inbox)
                if item is _END or isinstance(item, _Failed):
                    last = item
                    break
                items.append(item)
            del item
            if items:
                try:
                    results = step.step(items) if isinstance(step, Batched) else [step(items[0])]
                except BaseException as exc:
                    put(outbox, _Failed(exc))
                    return
                del items
                while results:  # each handed on (and let go of here) in turn
                    if not put(outbox, results.pop(0)):
                        return
            if last is not None:
                put(outbox, last)
                return

    threads = [threading.Thread(target=feed, name="evidence-read", daemon=True)]
    threads += [threading.Thread(target=work, args=(step, queues[i], queues[i + 1]), name=f"evidence-step-{i + 1}",
                                 daemon=True) for i, step in enumerate(steps)]
    for t in threads:
        t.start()
    try:
        while True:
            item = queues[-1].get()
            if item is _END:
                return
            if isinstance(item, _Failed):
                raise item.exc
            yield item
            del item
    finally:
        stop.set()
        for t in threads:
            t.join()
