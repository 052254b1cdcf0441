"""The report against a misbehaving OpenAI-compatible server: whatever happens, the user gets nine
sections in order, quickly, sees only checked text while it streams, and is told when (part of) it is
the standard text, and why."""

from __future__ import annotations

import re
import time

import pytest

from assistant.llm.client import LLMClient, LLMConfig, LLMError
from assistant.report.model import Report, ReportChunk, ReportReady
from assistant.report.writer import build_report, stream_report
from assistant.safety.forbidden import find_forbidden
from tests.assistant.checks import ERROR_NOTE, STANDARD_NOTE, TIMEOUT_NOTE, UNUSABLE_NOTE, assert_complete, reply
from tests.assistant.factories import classification
from tests.fault_llm_server import FaultLLMServer, Script
from tests.servers import free_port

FAST = {"connect_timeout_s": 1.0, "first_token_timeout_s": 1.5, "stall_timeout_s": 1.0, "total_timeout_s": 5.0}
SLACK_S = 2.0  # what a user may wait beyond the timeout that fired
RESULT = classification("melanoma", 0.62)


def llm(url: str, model: str | None = "medgemma-4b-it", **kw: object) -> LLMClient:
    return LLMClient(LLMConfig(base_url=url, model=model, **(FAST | kw)))  # type: ignore[arg-type]


async def run(client: LLMClient) -> tuple[list[str], Report, float]:
    """Stream a report; returns the chunks, the final report and the seconds it took. Whatever the
    server does, every chunk shown is checked, and the chunks, joined, are the final report."""
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
    assert "".join(chunks) == final[0].markdown, "what was shown is the report"
    shown = ""
    for chunk in chunks:
        shown += chunk
        assert find_forbidden(shown) == [], (find_forbidden(shown), chunk)
    return chunks, final[0], time.monotonic() - start


def assert_standard(report: Report, note: str) -> None:
    """The standard report from the start: the note saying why is its first line."""
    assert report.source == "standard" and not report.note_at_end
    assert report.markdown.splitlines()[0] == note


async def test_good_server_streams_and_is_used(fault_llm: FaultLLMServer) -> None:
    url = fault_llm.add(Script(reply=reply()))
    chunks, report, _ = await run(llm(url))
    assert [re.findall(r"^## (\d)\.", c, flags=re.M) for c in chunks] == [["1"], ["2"], ["3"], ["4"], ["5"], ["6"], ["7"], ["8"], ["9"]], (
        "a section's heading as soon as the one before is shown, its text once it is complete"
    )
    assert (report.source, report.model_id) == ("model", "medgemma-4b-it")
    (post,) = [h for h in fault_llm.hits(url) if h.method == "POST"]
    assert post.body is not None
    assert (post.body["stream"], post.body["temperature"], post.body["max_tokens"]) == (True, 0.2, 1200)
    assert isinstance(post.body["messages"][1]["content"], str), "no photo unless LLM_SEND_IMAGE is on"


async def test_connection_refused() -> None:
    _, report, _ = await run(llm(f"http://127.0.0.1:{free_port()}/v1"))
    assert_standard(report, STANDARD_NOTE)


async def test_dropped_connection_is_retried_once_then_remembered(fault_llm: FaultLLMServer) -> None:
    url = fault_llm.add(Script(reply=reply(), drop_connection=True))
    async with llm(url) as client:
        first = await build_report(RESULT, None, client)
        second = await build_report(RESULT, None, client)
    assert_standard(first, STANDARD_NOTE)
    assert_standard(second, STANDARD_NOTE)
    assert [h.method for h in fault_llm.hits(url)] == ["GET", "POST", "POST"], "one retry; then the probe cache says down"


@pytest.mark.parametrize("where", ["before_headers", "after_headers"])
async def test_no_first_token(fault_llm: FaultLLMServer, where: str) -> None:
    delay = {"headers_delay_s": 30} if where == "before_headers" else {"first_token_delay_s": 30}
    url = fault_llm.add(Script(reply=reply(), **delay))
    _, report, _ = await run(llm(url))
    assert_standard(report, TIMEOUT_NOTE)
    assert any("no text within 1.5 s" in r for r in report.repairs)


async def test_stall_mid_stream_keeps_the_finished_sections(fault_llm: FaultLLMServer) -> None:
    text = reply()
    url = fault_llm.add(Script(reply=text, chunk_chars=20, stall_after_chunks=len(text) // 40, stall_s=30))
    chunks, report, _ = await run(llm(url))
    assert chunks and report.source == "mixed"
    assert report.sections[0].source == "model" and report.sections[7].source == "standard"
    assert "stalled" in report.repairs[0]


async def test_slow_trickle_hits_the_overall_timeout(fault_llm: FaultLLMServer) -> None:
    url = fault_llm.add(Script(reply=reply(), chunk_chars=8, chunk_delay_s=0.3))
    chunks, report, _ = await run(llm(url, total_timeout_s=2.5))
    assert chunks and report.source in ("mixed", "standard")
    assert "longer than 2.5 s" in report.repairs[0]


@pytest.mark.parametrize("status", [500, 429])
async def test_http_errors(fault_llm: FaultLLMServer, status: int) -> None:
    url = fault_llm.add(Script(reply=reply(), status=status))
    _, report, _ = await run(llm(url))
    assert_standard(report, ERROR_NOTE)
    assert any(f"HTTP {status}" in r for r in report.repairs)


@pytest.mark.parametrize("after", [0, 8])
async def test_malformed_sse(fault_llm: FaultLLMServer, after: int) -> None:
    url = fault_llm.add(Script(reply=reply(), malformed_after_chunks=after))
    _, report, _ = await run(llm(url))
    if after == 0:
        assert_standard(report, ERROR_NOTE)
    else:
        assert report.source == "mixed" and report.sections[0].source == "model"
    assert "unreadable stream" in report.repairs[0]


async def test_empty_content(fault_llm: FaultLLMServer) -> None:
    url = fault_llm.add(Script(reply=""))
    _, report, _ = await run(llm(url))
    assert_standard(report, UNUSABLE_NOTE)
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
    _, report, _ = await run(llm(url))
    assert_standard(report, STANDARD_NOTE)
    assert "llama-3.2-3b, qwen2.5-7b" in report.repairs[0]
    assert all(h.method == "GET" for h in fault_llm.hits(url)), "no request to a model that is not there"


@pytest.mark.parametrize(
    ("text", "replaced"),
    [
        (reply([1, 2, 3, 5, 8]), {4, 6, 7}),  # missing
        (reply([1, 2, 5, 3, 4, 6, 7, 8]), {3, 4}),  # reordered: 3 and 4 skipped when 5 came; they come too late
        (reply(bodies={5: "Take 400 mg ibuprofen every 6 hours if it hurts."}), {5}),  # dose
        (reply(bodies={1: "You have melanoma. This is definitely cancer."}), {1}),  # definitive diagnosis
        (reply(bodies={8: "It is harmless, so there is no need to see a doctor."}), {8}),  # dismissal
    ],
    ids=["missing", "reordered", "dose", "diagnosis", "dismissal"],
)
async def test_bad_structure_or_content_is_replaced(fault_llm: FaultLLMServer, text: str, replaced: set[int]) -> None:
    url = fault_llm.add(Script(reply=text))
    _, report, _ = await run(llm(url))
    assert {s.number for s in report.sections if s.source == "standard"} == replaced | {9}
    assert report.source == "mixed" and report.note and "standard text" in report.note
    for gone in ("400 mg", "ibuprofen", "You have melanoma", "definitely", "no need to see"):
        assert gone not in report.markdown


async def test_a_second_copy_of_a_section_is_ignored(fault_llm: FaultLLMServer) -> None:
    text = reply([1, 2, 3, 4, 4, 5, 6, 7, 8], bodies={4: "Book a visit with a doctor and bring a photo of the spot."})
    url = fault_llm.add(Script(reply=text))
    _, report, _ = await run(llm(url))
    assert report.source == "model" and report.markdown.count("Book a visit with a doctor and bring a photo") == 1
    assert any("Section 4" in r and "appeared more than once" in r for r in report.repairs)


UNSAFE = {
    "dose": ("Take 400 mg ibuprofen every 6 hours if it hurts.", ["400 mg", "ibuprofen", "every 6 hours"]),
    "diagnosis": ("You have melanoma. This is definitely cancer.", ["You have melanoma", "definitely"]),
    "dismissal": ("It looks harmless and there is no need to see a doctor about it.", ["no need to see", "It looks harmless and"]),
}


@pytest.mark.parametrize("section", [1, 5, 8])
@pytest.mark.parametrize("kind", list(UNSAFE))
@pytest.mark.parametrize("chunk_chars", [3, 24])
async def test_unsafe_text_never_reaches_the_screen(fault_llm: FaultLLMServer, kind: str, section: int, chunk_chars: int) -> None:
    """Not even for a moment: no chunk, and no text shown so far, ever holds any of it."""
    body, fragments = UNSAFE[kind]
    url = fault_llm.add(Script(reply=reply(bodies={section: body}), chunk_chars=chunk_chars))
    chunks, report, _ = await run(llm(url))  # also checks every prefix with find_forbidden
    shown = ""
    for chunk in chunks:
        shown += chunk
        assert not [f for f in fragments if f in shown], chunk
    assert report.sections[section - 1].source == "standard"


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
    *chunks, last = [e async for e in stream_report(RESULT, None, None)]
    assert isinstance(last, ReportReady) and all(isinstance(c, ReportChunk) for c in chunks)
    assert_complete(last.report, RESULT)
    assert_standard(last.report, STANDARD_NOTE)
    assert "".join(c.text for c in chunks) == last.report.markdown


async def test_reply_cut_by_max_tokens_loses_its_last_section(fault_llm: FaultLLMServer) -> None:
    url = fault_llm.add(Script(reply=reply(), finish_reason="length"))
    _, report, _ = await run(llm(url))
    assert [s.number for s in report.sections if s.source == "standard"] == [8, 9]
    assert any("Section 8" in r and "cut off" in r for r in report.repairs)
