"""The report against a misbehaving OpenAI-compatible server: whatever happens, the user gets nine
sections in order, quickly, and is told when (part of) it is the standard text."""

from __future__ import annotations

import time

import pytest

from assistant.llm import LLMClient, LLMConfig, LLMError
from assistant.report import Report, ReportChunk, ReportReady, build_report, stream_report
from tests.assistant.checks import STANDARD_NOTE, assert_complete, reply
from tests.assistant.factories import classification
from tests.fault_llm_server import FaultLLMServer, Script
from tests.servers import free_port

FAST = {"connect_timeout_s": 1.0, "first_token_timeout_s": 1.5, "stall_timeout_s": 1.0, "total_timeout_s": 5.0}
SLACK_S = 2.0  # what a user may wait beyond the timeout that fired
RESULT = classification("melanoma", 0.62)


def llm(url: str, model: str | None = "medgemma-4b-it", **kw: object) -> LLMClient:
    return LLMClient(LLMConfig(base_url=url, model=model, **(FAST | kw)))  # type: ignore[arg-type]


async def run(client: LLMClient) -> tuple[list[str], Report, float]:
    """Stream a report; returns the live chunks, the final report and the seconds it took."""
    start = time.monotonic()
    chunks: list[str] = []
    final: list[Report] = []
    async with client:
        async for event in stream_report(RESULT, None, client):
            assert not final, "the validated report is the last event"
            if isinstance(event, ReportChunk):
                chunks.append(event.text)
            else:
                assert isinstance(event, ReportReady)
                final.append(event.report)
    assert len(final) == 1
    assert_complete(final[0], RESULT)
    return chunks, final[0], time.monotonic() - start


def assert_standard(report: Report) -> None:
    assert report.source == "standard"
    assert report.markdown.splitlines()[0] in (STANDARD_NOTE, "*This is the standard report for this result; the AI writer's text could not be used.*")


async def test_good_server_streams_and_is_used(fault_llm: FaultLLMServer) -> None:
    url = fault_llm.add(Script(reply=reply()))
    chunks, report, _ = await run(llm(url))
    assert len(chunks) > 10 and "".join(chunks) == reply()
    assert (report.source, report.model_id) == ("model", "medgemma-4b-it")
    (post,) = [h for h in fault_llm.hits(url) if h.method == "POST"]
    assert post.body is not None
    assert (post.body["stream"], post.body["temperature"], post.body["max_tokens"]) == (True, 0.2, 1200)
    assert isinstance(post.body["messages"][1]["content"], str), "no photo unless LLM_SEND_IMAGE is on"


async def test_connection_refused() -> None:
    chunks, report, elapsed = await run(llm(f"http://127.0.0.1:{free_port()}/v1"))
    assert chunks == [] and report.markdown.startswith(STANDARD_NOTE)
    assert elapsed < FAST["connect_timeout_s"] + SLACK_S


async def test_dropped_connection_is_retried_once_then_remembered(fault_llm: FaultLLMServer) -> None:
    url = fault_llm.add(Script(reply=reply(), drop_connection=True))
    async with llm(url) as client:
        first = await build_report(RESULT, None, client)
        second = await build_report(RESULT, None, client)
    assert first.markdown.startswith(STANDARD_NOTE) and second.markdown.startswith(STANDARD_NOTE)
    assert [h.method for h in fault_llm.hits(url)] == ["GET", "POST", "POST"], "one retry; then the probe cache says down"


@pytest.mark.parametrize("where", ["before_headers", "after_headers"])
async def test_no_first_token(fault_llm: FaultLLMServer, where: str) -> None:
    delay = {"headers_delay_s": 30} if where == "before_headers" else {"first_token_delay_s": 30}
    url = fault_llm.add(Script(reply=reply(), **delay))
    chunks, report, elapsed = await run(llm(url))
    assert chunks == []
    assert_standard(report)
    assert any("no text within 1.5 s" in r for r in report.repairs)
    assert elapsed < FAST["first_token_timeout_s"] + SLACK_S


async def test_stall_mid_stream_keeps_the_finished_sections(fault_llm: FaultLLMServer) -> None:
    text = reply()
    url = fault_llm.add(Script(reply=text, chunk_chars=20, stall_after_chunks=len(text) // 40, stall_s=30))
    chunks, report, elapsed = await run(llm(url))
    assert chunks and report.source == "mixed"
    assert report.sections[0].source == "model" and report.sections[7].source == "standard"
    assert "stalled" in report.repairs[0]
    assert elapsed < FAST["stall_timeout_s"] + SLACK_S


async def test_slow_trickle_hits_the_overall_timeout(fault_llm: FaultLLMServer) -> None:
    url = fault_llm.add(Script(reply=reply(), chunk_chars=8, chunk_delay_s=0.3))
    chunks, report, elapsed = await run(llm(url, total_timeout_s=2.5))
    assert chunks and report.source in ("mixed", "standard")
    assert "longer than 2.5 s" in report.repairs[0]
    assert elapsed < 2.5 + SLACK_S


@pytest.mark.parametrize("status", [500, 429])
async def test_http_errors(fault_llm: FaultLLMServer, status: int) -> None:
    url = fault_llm.add(Script(reply=reply(), status=status))
    chunks, report, elapsed = await run(llm(url))
    assert chunks == [] and report.markdown.startswith(STANDARD_NOTE)
    assert any(f"HTTP {status}" in r for r in report.repairs)
    assert elapsed < SLACK_S


@pytest.mark.parametrize("after", [0, 8])
async def test_malformed_sse(fault_llm: FaultLLMServer, after: int) -> None:
    url = fault_llm.add(Script(reply=reply(), malformed_after_chunks=after))
    chunks, report, _ = await run(llm(url))
    assert len(chunks) == after
    assert report.source == ("standard" if after == 0 else "mixed")
    assert "unreadable stream" in report.repairs[0]


async def test_empty_content(fault_llm: FaultLLMServer) -> None:
    url = fault_llm.add(Script(reply=""))
    chunks, report, _ = await run(llm(url))
    assert chunks == [] and report.markdown.startswith(STANDARD_NOTE)
    assert any("returned no text" in r for r in report.repairs)


async def test_unknown_model_with_one_served_uses_it(fault_llm: FaultLLMServer) -> None:
    url = fault_llm.add(Script(models=["google/medgemma-4b-it:q4"], reply=reply()))
    _, report, _ = await run(llm(url, model="medgemma-4b-it"))
    assert (report.source, report.model_id) == ("model", "google/medgemma-4b-it:q4")


async def test_unknown_model_with_several_served(fault_llm: FaultLLMServer) -> None:
    url = fault_llm.add(Script(models=["llama-3.2-3b", "qwen2.5-7b"], reply=reply()))
    with pytest.raises(LLMError, match="it serves: llama-3.2-3b, qwen2.5-7b. Set LLM_MODEL"):
        async with llm(url) as client:
            await client.resolve_model()
    chunks, report, _ = await run(llm(url))
    assert chunks == [] and report.markdown.startswith(STANDARD_NOTE)
    assert "llama-3.2-3b, qwen2.5-7b" in report.repairs[0]
    assert all(h.method == "GET" for h in fault_llm.hits(url)), "no request to a model that is not there"


@pytest.mark.parametrize(
    ("text", "replaced"),
    [
        (reply([1, 2, 3, 5, 8]), {4, 6, 7}),  # missing
        (reply([1, 2, 3, 4, 4, 5, 6, 7, 8]), {4}),  # duplicated
        (reply([1, 2, 5, 3, 4, 6, 7, 8]), {5}),  # reordered
        (reply(bodies={5: "Take 400 mg ibuprofen every 6 hours if it hurts."}), {5}),  # dose
        (reply(bodies={1: "You have melanoma. This is definitely cancer."}), {1}),  # definitive diagnosis
    ],
    ids=["missing", "duplicated", "reordered", "dose", "diagnosis"],
)
async def test_bad_structure_or_content_is_replaced(fault_llm: FaultLLMServer, text: str, replaced: set[int]) -> None:
    url = fault_llm.add(Script(reply=text))
    _, report, _ = await run(llm(url))
    assert {s.number for s in report.sections if s.source == "standard"} == replaced | {9}
    assert report.source == "mixed" and report.note and "standard text" in report.note
    for gone in ("400 mg", "ibuprofen", "You have melanoma", "definitely"):
        assert gone not in report.markdown


async def test_photo_is_sent_when_enabled(fault_llm: FaultLLMServer, lesion_jpeg: bytes) -> None:
    url = fault_llm.add(Script(reply=reply()))
    async with llm(url, send_image=True) as client:
        report = await build_report(RESULT, lesion_jpeg, client)
    assert report.source == "model"
    (post,) = [h for h in fault_llm.hits(url) if h.method == "POST"]
    assert post.body is not None
    parts = post.body["messages"][1]["content"]
    assert parts[1]["image_url"]["url"].startswith("data:image/jpeg;base64,")


async def test_no_llm_configured() -> None:
    events = [e async for e in stream_report(RESULT, None, None)]
    assert len(events) == 1 and isinstance(events[0], ReportReady)
    assert_complete(events[0].report, RESULT)
    assert events[0].report.markdown.startswith(STANDARD_NOTE)


async def test_reply_cut_by_max_tokens_loses_its_last_section(fault_llm: FaultLLMServer) -> None:
    url = fault_llm.add(Script(reply=reply(), finish_reason="length"))
    _, report, _ = await run(llm(url))
    assert [s.number for s in report.sections if s.source == "standard"] == [8, 9]
    assert any("Section 8" in r and "cut off" in r for r in report.repairs)
