"""benchmarks/load.py on a small sample against a real `ham10k serve`: concurrent API conversations and
browser-socket chats end without errors and each one's replies are about its own photo; and the
benchmark's check does see a crossed conversation."""

from __future__ import annotations

import dataclasses
import importlib.util
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[2]


def _load_benchmark() -> ModuleType:
    # benchmarks/ is a folder of scripts, not a package.
    spec = importlib.util.spec_from_file_location("benchmarks_load", ROOT / "benchmarks" / "load.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up by name
    spec.loader.exec_module(module)
    return module


load = _load_benchmark()


@pytest.fixture(scope="module")
def server() -> Iterator[object]:
    with load.serving() as s:
        yield s


async def test_concurrent_conversations_and_chats_are_not_crossed(server) -> None:
    result = await load.run_load(server, conversations=2, chats=2)
    for phase in ("api", "socket"):
        r = result[phase]
        assert (r["errors"], r["crossed"]) == (0, 0), r["problems"]
        assert r["steps"]["photo_to_report"]["n"] == 2 and r["steps"]["follow_up_2"]["n"] == 2
    assert result["memory_mb"]["after_socket"] > 0


async def test_a_reply_about_another_photo_counts_as_crossed(server) -> None:
    async with httpx.AsyncClient(base_url=server.url, timeout=120) as http:
        first, second = await load.expected_results(http, load.load_photos()[:2])
        assert first.display_name != second.display_name  # the two sample photos differ in their top class
        # The first photo's bytes, judged against the second's result: what a crossed reply looks like.
        record = await load.api_conversation(http, dataclasses.replace(second, data=first.data))
    assert record.error is None
    assert "result card" in record.crossed and "follow-up 1" in record.crossed
