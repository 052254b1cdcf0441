"""assistant.safety.checked_stream: one model reply through one checker, its stream closed however it ends."""

from __future__ import annotations

import asyncio
from contextlib import aclosing

from assistant.llm.client import LLMClient, LLMConfig, LLMError
from assistant.safety.checked_stream import AnswerChecker, CheckedStream
from assistant.safety.output_checks import OutputContext
from tests.fault_llm_server import FaultLLMServer, Script

GOOD = "A dermatoscope is a small magnifier with its own light. A doctor uses it to look closely at a spot. "
SLOW = {"chunk_chars": 8, "chunk_delay_s": 0.05}


async def closed(server: FaultLLMServer, url: str) -> int:
    """The replies the client closed before their end, once the server has tried its next write."""
    for _ in range(60):
        if server.closed(url):
            break
        await asyncio.sleep(0.05)
    return server.closed(url)


async def read(url: str, checker: AnswerChecker, *, leave_after: int | None = None) -> tuple[list[str], CheckedStream]:
    shown: list[str] = []
    async with LLMClient(LLMConfig(base_url=url, stall_timeout_s=0.5)) as llm:
        checked = CheckedStream(llm.stream([{"role": "user", "content": "hi"}]), checker, what="test")
        async with aclosing(checked):
            async for text in checked:
                shown.append(text)
                if leave_after is not None and len(shown) >= leave_after:
                    break
    return shown, checked


def checker(question: str = "What does a dermatoscope show?") -> AnswerChecker:
    return AnswerChecker(OutputContext(question=question))


async def test_a_check_that_fails_stops_and_closes_the_models_stream(fault_llm: FaultLLMServer) -> None:
    url = fault_llm.add(Script(reply=GOOD + "You definitely have melanoma. " + GOOD * 10, **SLOW))
    answer = checker()
    shown, checked = await read(url, answer)
    assert "".join(shown) == GOOD.strip() and answer.problem == "diagnosis" and checked.failure is None
    assert await closed(fault_llm, url) == 1  # not read to its end


async def test_a_reader_that_leaves_closes_the_models_stream(fault_llm: FaultLLMServer) -> None:
    url = fault_llm.add(Script(reply=GOOD * 10, **SLOW))
    shown, _ = await read(url, checker(), leave_after=1)
    assert shown and await closed(fault_llm, url) == 1


async def test_a_stalled_reply_is_a_failure_and_closed(fault_llm: FaultLLMServer) -> None:
    url = fault_llm.add(Script(reply=GOOD * 2, chunk_chars=8, stall_after_chunks=3, stall_s=2))
    shown, checked = await read(url, checker())
    assert shown == [] and checked.received and isinstance(checked.failure, LLMError)
    assert await closed(fault_llm, url) == 1


async def test_a_hollow_answer_is_judged_whole_at_its_end(fault_llm: FaultLLMServer) -> None:
    url = fault_llm.add(Script(reply="Yes, a biopsy can hurt."))
    answer = checker("Does a biopsy hurt?")
    shown, checked = await read(url, answer)
    assert shown == [] and answer.problem is None  # held: too short to judge before its end
    assert answer.finish() == "" and answer.problem == "tautology"
