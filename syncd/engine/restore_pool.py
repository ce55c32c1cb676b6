"""Run one step per item on a bounded pool of threads, results handed back in item order.

A restore downloads several files at once, but everything the user sees (progress
ticks, the outcome's lists, the ``--json`` summary, the index rows of an in-place
restore) is produced by the calling thread from the results taken in the plan's
order, so it stays as deterministic as when one file went at a time. At most
``2 x workers`` items are in flight or waiting to be taken: a plan of a million
files never becomes a million futures. With one worker there are no threads at all.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from types import TracebackType
from typing import Generic, TypeVar

T = TypeVar("T")
R = TypeVar("R")


class OrderedPool(Generic[T, R]):
    """``step`` over ``items`` on ``workers`` threads; a context manager whose exit
    cancels what has not started and waits for what has."""

    def __init__(self, step: Callable[[T], R], workers: int, *, name: str) -> None:
        self._step = step
        self._workers = max(1, workers)
        self._pool: ThreadPoolExecutor | None = None
        if self._workers > 1:
            self._pool = ThreadPoolExecutor(max_workers=self._workers, thread_name_prefix=name)

    def results(self, items: Iterable[T]) -> Iterator[tuple[T, Callable[[], R]]]:
        """Each item with a callable that returns its step's result or raises its
        step's exception, in the order of ``items``."""
        if self._pool is None:
            for item in items:
                yield item, _deferred(self._step, item)
            return
        window: deque[tuple[T, Future[R]]] = deque()
        source = iter(items)
        for item in source:
            window.append((item, self._pool.submit(self._step, item)))
            if len(window) >= 2 * self._workers:
                break
        while window:
            item, future = window.popleft()
            for nxt in source:  # refill the window by one, if anything is left
                window.append((nxt, self._pool.submit(self._step, nxt)))
                break
            yield item, future.result

    def __enter__(self) -> OrderedPool[T, R]:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)


def _deferred(step: Callable[[T], R], item: T) -> Callable[[], R]:
    """Run ``step(item)`` when called (the one-worker case: in the caller's thread)."""
    return lambda: step(item)
