"""assistant.core.runtime: what the server process sets up once."""

from __future__ import annotations

import asyncio
import gc
import sys

from assistant.core.runtime import close_abandoned_generators


async def test_an_abandoned_generator_is_closed_in_a_task_of_its_own() -> None:
    """Under `ham10k serve` (nest_asyncio: no async-generator hooks) a generator left unfinished was closed
    by the garbage collector synchronously, where its cleanup cannot await; with the loop's hooks put back
    its cleanup runs, and awaits, in a task of its own."""
    cleaned: list[str] = []

    async def answer():
        try:
            yield "first"
            yield "second"
        finally:
            await asyncio.sleep(0)  # closing a response awaits
            cleaned.append("closed")

    hooks = sys.get_asyncgen_hooks()
    unraisable: list[object] = []
    old_hook, sys.unraisablehook = sys.unraisablehook, unraisable.append
    sys.set_asyncgen_hooks(firstiter=None, finalizer=None)  # what nest_asyncio's loop leaves
    try:
        close_abandoned_generators()
        stream = answer()
        assert await anext(stream) == "first"
        del stream  # the client left
        gc.collect()
        for _ in range(10):
            await asyncio.sleep(0)
    finally:
        sys.set_asyncgen_hooks(*hooks)
        sys.unraisablehook = old_hook
    assert (cleaned, unraisable) == (["closed"], [])
