"""Micro-batching across chat sessions: analyses that arrive within a short window (or while the
worker is busy) run as one forward pass, off the event loop, and each caller gets only its own result.

One forward over N images costs less than N forwards (the convolutions' weights are read once per
batch, and small batches leave the cores idle), so under load throughput rises while a lone request
waits only `window_s` more. The batch is bounded so activations, hence memory, stay bounded too.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T")
R = TypeVar("R")

# Runs on the worker thread: one outcome per item, in order; an exception instance fails only its own item.
BatchFn = Callable[[Sequence[T]], Sequence["R | BaseException"]]


@dataclass(frozen=True)
class BatchPolicy:
    window_s: float = 0.005  # how long the first arrival waits for company; negligible next to a forward pass
    max_items: int = 4  # bounds the activations held at once (memory) and the wait of the last in a batch

    def __post_init__(self) -> None:
        if self.window_s < 0 or self.max_items < 1:
            raise ValueError(f"bad batch policy: window_s={self.window_s}, max_items={self.max_items}")

    @classmethod
    def for_backend(cls, backend: str, window_s: float | None = None, max_items: int | None = None) -> BatchPolicy:
        """The default follows what benchmarks/pipeline.py measured for each runtime; a set value wins.
        OpenVINO's CPU runtime already spreads one image over every core, and batches of its compiled bodies
        lost throughput (4 sessions: 12.3 analyses/s batched against 22.9 one at a time), so it runs each
        analysis alone. PyTorch keeps batches of up to 4: the seed pair gained a little from them on a CPU
        (0.75 against 0.67 analyses/s for 4 sessions), and on a GPU N chats become one forward pass."""
        default = BACKEND_DEFAULTS.get(backend, cls())
        return cls(default.window_s if window_s is None else window_s,
                   default.max_items if max_items is None else max_items)


BACKEND_DEFAULTS = {"openvino": BatchPolicy(window_s=0.0, max_items=1), "torch": BatchPolicy()}


class MicroBatcher(Generic[T, R]):
    """`await submit(item)` -> that item's result. All state lives on the event loop's thread; only
    `run_batch` runs on the executor, and one batch at a time: arrivals during a batch form the next."""

    def __init__(self, run_batch: BatchFn, executor: Executor, policy: BatchPolicy = BatchPolicy()) -> None:
        self.run_batch, self.executor, self.policy = run_batch, executor, policy
        self._loop: asyncio.AbstractEventLoop | None = None
        self._pending: list[tuple[T, asyncio.Future[R]]] = []
        self._timer: asyncio.TimerHandle | None = None
        self._busy = False
        self.batch_sizes: list[int] = []  # what ran, for benchmarks and tests (bounded below)

    async def submit(self, item: T) -> R:
        loop = asyncio.get_running_loop()
        if self._loop is not loop:  # a new loop (tests, a CLI's asyncio.run): state of an old one is void
            self._loop, self._pending, self._timer, self._busy = loop, [], None, False
        future: asyncio.Future[R] = loop.create_future()
        self._pending.append((item, future))
        if len(self._pending) >= self.policy.max_items:
            self._dispatch()
        elif self._timer is None and not self._busy:
            self._timer = loop.call_later(self.policy.window_s, self._dispatch)
        return await future

    def _dispatch(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if self._busy:
            return  # the running batch's completion takes the next one
        # Callers that gave up (a closed chat) cost no forward pass.
        self._pending = [(i, f) for i, f in self._pending if not f.cancelled()]
        batch, self._pending = self._pending[: self.policy.max_items], self._pending[self.policy.max_items :]
        if not batch:
            return
        self._busy = True
        self.batch_sizes = [*self.batch_sizes[-999:], len(batch)]
        assert self._loop is not None
        work = self._loop.run_in_executor(self.executor, self.run_batch, [item for item, _ in batch])
        work.add_done_callback(lambda done: self._finish(batch, done))

    def _finish(self, batch: list[tuple[T, asyncio.Future[R]]], done: asyncio.Future) -> None:
        self._busy = False
        error = done.exception() if not done.cancelled() else asyncio.CancelledError()
        outcomes: Sequence[R | BaseException] = [error] * len(batch) if error else done.result()
        if len(outcomes) != len(batch):  # a broken batch function must not leave callers waiting forever
            outcomes = [RuntimeError(f"batch of {len(batch)} gave {len(outcomes)} outcomes")] * len(batch)
        for (_, future), outcome in zip(batch, outcomes):
            if future.done():
                continue
            if isinstance(outcome, BaseException):
                future.set_exception(outcome)
            else:
                future.set_result(outcome)
        if self._pending:  # they have waited for a whole batch already: no second window
            self._dispatch()
