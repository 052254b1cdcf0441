"""The model's stream through the real HTTP conversation API (`ham10k serve`, JSON and Server-Sent Events):
however an answer ends (stopped by an output check, replaced by the curated answer, timed out, the client
gone) the client gets a complete response, the model's stream is closed, and the server logs no traceback.

Issue 19 part 6: under `ham10k serve` (Chainlit runs uvicorn under nest_asyncio) a model stream left to the
garbage collector was closed synchronously inside a request's task, which then failed with "Attempted to
exit a cancel scope that isn't the current task's current cancel scope" and reset the connection. Only the
real server shows it: the app in a test client runs on a plain asyncio loop, which hides it."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.api.conftest import parse_sse
from tests.fault_llm_server import FaultLLMServer, Script
from tests.servers import ham10k_server

SSE = {"Accept": "text/event-stream"}
# What a failed request leaves in the server's log (issue 19: the first three, then a reset connection).
LOG_PROBLEMS = re.compile(r"Traceback|GeneratorExit|cancel scope|Exception ignored|Exception in ASGI")

GOOD = ("A dermatoscope is a small handheld magnifier with its own light. A doctor holds it against the skin "
        "to see the patterns inside a spot that the eye alone cannot see. ")
LATER = "It helps the doctor decide whether a spot needs a closer look. "
LONG = GOOD + LATER + ("The light and the lens show colours and shapes below the surface. Some doctors take pictures "
                       "through it to compare them at the next visit. Looking through it does not hurt at all. ") * 3
# One app, one LLM address: the fault server answers each question with its own script.
STOPPED = "what does a dermatoscope show"  # good sentences, then a diagnosis: stopped there, the rest curated
REPLACED = "does a biopsy hurt"  # the first sentence fails: the whole answer is the curated one
STALLED = "what does a dermatologist look for"  # the reply stalls past LLM_STALL_TIMEOUT_S
SLOW = "what is dermatoscopy used for"  # the first text comes late: the client leaves first
HOLLOW = "is a biopsy painful"  # SmolLM2's answer: says nothing, replaced whole
STREAMING = "how does dermatoscopy work"  # a long answer in small pieces: the client leaves while it streams
SCRIPTS = {
    STOPPED: Script(reply=GOOD + "You definitely have melanoma. " + LATER * 20, chunk_chars=12, chunk_delay_s=0.05),
    REPLACED: Script(reply="You definitely have melanoma. " + LATER * 20, chunk_chars=12, chunk_delay_s=0.05),
    STALLED: Script(reply=GOOD + LATER * 4, chunk_chars=12, stall_after_chunks=4, stall_s=3),
    SLOW: Script(reply=GOOD, first_token_delay_s=3),
    HOLLOW: Script(reply="The answer to the question above is: Yes."),
    STREAMING: Script(reply=LONG, chunk_chars=4, chunk_delay_s=0.01),
}


class App:
    def __init__(self, url: str, log: Path, llm_url: str) -> None:
        self.url, self.log, self.llm_url = url, log, llm_url

    def log_problems(self) -> list[str]:
        return [line for line in self.log.read_text(errors="replace").splitlines() if LOG_PROBLEMS.search(line)]


@pytest.fixture(scope="module")
def fault_app(fault_llm: FaultLLMServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[App]:
    llm_url = fault_llm.add(Script(reply=GOOD, when=SCRIPTS))
    log = tmp_path_factory.mktemp("serve") / "server.log"
    env = {"LLM_BASE_URL": llm_url, "LLM_STALL_TIMEOUT_S": "1", "API_RATE_LIMIT": "0", "API_KEYS": ""}
    with ham10k_server(env, log_path=log) as (url, _):
        yield App(url, log, llm_url)


def ask(app: App, question: str, *, sse: bool) -> dict:
    """One question in a new conversation; the reply's TextFinished event, after checking the response is
    complete (SSE: the streamed deltas spell out the final text, and the stream ends with `done`)."""
    with httpx.Client(base_url=app.url, timeout=60) as client:
        r = client.post("/api/v1/conversations", json={"text": question}, headers=SSE if sse else {})
    assert r.status_code == 200, r.text[:300]
    if sse:
        events = parse_sse(r.text)
        assert events[-1][0] == "done"
        finished = [data for name, data in events if name == "text_finished"]
        assert len(finished) == 1
        assert "".join(data["text"] for name, data in events if name == "text_delta") == finished[0]["markdown"]
        return finished[0]
    finished = [e for e in r.json()["events"] if e["type"] == "TextFinished"]
    assert len(finished) == 1
    return finished[0]


def wait_closed(fault_llm: FaultLLMServer, app: App, count: int, timeout_s: float = 10) -> int:
    """The fault server's count of replies closed before their end, once it reaches `count` (or the timeout)."""
    deadline = time.monotonic() + timeout_s
    while fault_llm.closed(app.llm_url) < count and time.monotonic() < deadline:
        time.sleep(0.1)
    return fault_llm.closed(app.llm_url)


@pytest.mark.parametrize("sse", [False, True], ids=["json", "sse"])
def test_an_answer_stopped_by_a_check_ends_with_the_curated_answer(fault_app: App, fault_llm: FaultLLMServer,
                                                                   sse: bool) -> None:
    closed = fault_llm.closed(fault_app.llm_url)
    answer = ask(fault_app, STOPPED + "?", sse=sse)
    assert answer["source"] == "curated" and answer["markdown"].startswith("A dermatoscope is")
    assert "melanoma" not in answer["markdown"].split("*")[0]  # the failing sentence was never shown
    assert wait_closed(fault_llm, fault_app, closed + 1) == closed + 1  # not read to its end: closed
    assert fault_app.log_problems() == []


@pytest.mark.parametrize("sse", [False, True], ids=["json", "sse"])
def test_an_answer_replaced_from_its_first_sentence(fault_app: App, fault_llm: FaultLLMServer, sse: bool) -> None:
    closed = fault_llm.closed(fault_app.llm_url)
    answer = ask(fault_app, REPLACED + "?", sse=sse)
    assert answer["source"] == "curated" and answer["markdown"].startswith("*")  # the note, then the curated text
    assert "definitely" not in answer["markdown"]
    assert wait_closed(fault_llm, fault_app, closed + 1) == closed + 1
    assert fault_app.log_problems() == []


@pytest.mark.parametrize("sse", [False, True], ids=["json", "sse"])
def test_a_hollow_answer_is_replaced_whole(fault_app: App, sse: bool) -> None:
    answer = ask(fault_app, HOLLOW + "?", sse=sse)
    assert answer["source"] == "curated" and "question above" not in answer["markdown"]
    assert fault_app.log_problems() == []


@pytest.mark.parametrize("sse", [False, True], ids=["json", "sse"])
def test_an_answer_that_stalls_times_out_into_the_curated_answer(fault_app: App, fault_llm: FaultLLMServer,
                                                                 sse: bool) -> None:
    closed = fault_llm.closed(fault_app.llm_url)
    answer = ask(fault_app, STALLED + "?", sse=sse)
    assert answer["source"] == "curated"
    assert wait_closed(fault_llm, fault_app, closed + 1) == closed + 1  # the stalled reply was closed
    assert fault_app.log_problems() == []


def model_requests(fault_llm: FaultLLMServer, app: App) -> int:
    return sum(hit.method == "POST" for hit in fault_llm.hits(app.llm_url))


def test_a_client_gone_mid_answer_closes_the_models_stream(fault_app: App, fault_llm: FaultLLMServer) -> None:
    closed, asked = fault_llm.closed(fault_app.llm_url), model_requests(fault_llm, fault_app)
    with httpx.Client(base_url=fault_app.url, timeout=60) as client:
        with client.stream("POST", "/api/v1/conversations", json={"text": SLOW + "?"}, headers=SSE) as r:
            lines = r.iter_lines()
            key = json.loads(next(line for line in lines if line.startswith("data: "))[6:])["id"]
            next(line for line in lines if line == "event: text_started")
            deadline = time.monotonic() + 10
            while model_requests(fault_llm, fault_app) == asked and time.monotonic() < deadline:
                time.sleep(0.05)
            assert model_requests(fault_llm, fault_app) == asked + 1  # the model is answering: leave
        # The model's stream is closed (the fault server sees it at its next write), not read to its end...
        assert wait_closed(fault_llm, fault_app, closed + 1) == closed + 1
        # ...and the conversation goes on.
        r = client.post(f"/api/v1/conversations/{key}/messages", json={"text": "thanks"})
        assert r.status_code == 200 and r.json()["events"]
    assert fault_app.log_problems() == []


@pytest.mark.parametrize("leave_after", [1, 3, 8])
def test_a_client_gone_while_the_answer_streams_closes_the_models_stream(fault_app: App, fault_llm: FaultLLMServer,
                                                                         leave_after: int) -> None:
    closed = fault_llm.closed(fault_app.llm_url)
    with httpx.Client(base_url=fault_app.url, timeout=60) as client:
        with client.stream("POST", "/api/v1/conversations", json={"text": STREAMING + "?"}, headers=SSE) as r:
            deltas = (line for line in r.iter_lines() if line == "event: text_delta")
            for _ in range(leave_after):
                next(deltas)
    assert wait_closed(fault_llm, fault_app, closed + 1) == closed + 1
    assert fault_app.log_problems() == []


def test_a_client_gone_from_a_json_request_leaves_the_server_answering(fault_app: App) -> None:
    with httpx.Client(base_url=fault_app.url, timeout=httpx.Timeout(60, read=1)) as client:
        with pytest.raises(httpx.ReadTimeout):
            client.post("/api/v1/conversations", json={"text": SLOW + "?"})  # leaves after 1 s of 3
    answer = ask(fault_app, STOPPED + "?", sse=False)
    assert answer["source"] == "curated"
    time.sleep(3)  # the abandoned request ends on the server
    assert fault_app.log_problems() == []


# ---------------------------------------------------------------- SmolLM2 answering (llama.cpp)
# Ordinary questions SmolLM2 answered with hollow or echoed text, and whose answers output checks stopped.
QUESTIONS = ["Is a biopsy painful?", "What should I bring to my dermatology appointment?",
             "can sunscreen prevent melanoma?", "what does a dermatologist look for?"]
_APP_NOTE = re.compile(r"^\*[^*\n]+\*$", re.M)


@pytest.fixture(scope="module")
def llama_app(llama_base_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[App]:
    log = tmp_path_factory.mktemp("serve-llama") / "server.log"
    env = {"LLM_BASE_URL": llama_base_url, "LLM_MAX_TOKENS": "200", "API_RATE_LIMIT": "0", "API_KEYS": ""}
    with ham10k_server(env, log_path=log) as (url, _):
        yield App(url, log, llama_base_url)


@pytest.mark.parametrize("sse", [False, True], ids=["json", "sse"])
def test_smollm2_answers_end_complete_and_say_something(llama_app: App, sse: bool) -> None:
    from assistant.conversation.followup import output_context
    from assistant.safety.output_checks import check_answer

    for question in QUESTIONS:
        answer = ask(llama_app, question, sse=sse)
        assert answer["source"] in ("model", "curated", "fixed") and answer["markdown"].strip(), question
        model_text = _APP_NOTE.sub("", answer["markdown"]).strip() if answer["source"] == "model" else ""
        if model_text:  # what was shown of the model's own text is an answer
            assert check_answer(model_text, output_context("en", question)).ok, (question, model_text)
    assert llama_app.log_problems() == []


def test_a_client_gone_while_smollm2_answers(llama_app: App) -> None:
    with httpx.Client(base_url=llama_app.url, timeout=120) as client:
        with client.stream("POST", "/api/v1/conversations", json={"text": QUESTIONS[0]}, headers=SSE) as r:
            lines = r.iter_lines()
            key = json.loads(next(line for line in lines if line.startswith("data: "))[6:])["id"]
            next(line for line in lines if line == "event: text_started")
            time.sleep(0.5)  # the model is answering: leave
        r = client.post(f"/api/v1/conversations/{key}/messages", json={"text": QUESTIONS[1]})
        assert r.status_code == 200 and [e for e in r.json()["events"] if e["type"] == "TextFinished"]
    assert llama_app.log_problems() == []
