"""Server-Sent Events: /api/v1/interpret?stream=true (one event per checked section, then `done`) and
the conversation routes with `Accept: text/event-stream` (one event per conversation event)."""

from __future__ import annotations


from tests.api.conftest import parse_sse, photo_file

SSE = {"Accept": "text/event-stream"}


def test_interpret_streams_one_event_per_section(client):
    prediction = client.post("/api/v1/predict", files=photo_file(), data={"tta": "false"}).json()
    r = client.post("/api/v1/interpret?stream=true", json=prediction)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/event-stream")
    events = parse_sse(r.text)
    sections = [data for name, data in events if name == "section"]
    assert [s["number"] for s in sections] == list(range(1, 10))
    assert all(s["title"] and s["body"] and s["source"] in ("model", "standard") for s in sections)
    assert events[-1][0] == "done" and [n for n, _ in events].count("done") == 1
    done = events[-1][1]
    assert [s["body"] for s in done["report"]["sections"]] == [s["body"] for s in sections]
    plain = client.post("/api/v1/interpret", json=prediction).json()
    assert plain["markdown"] == done["markdown"]


def test_interpret_stream_bad_input_is_json(client):
    r = client.post("/api/v1/interpret?stream=true", json={"nope": 1})
    assert r.status_code == 422 and r.json()["error"]["code"] == "bad_result"
    r = client.post("/api/v1/interpret?stream=maybe", json={})
    assert r.status_code == 422 and r.json()["error"]["code"]


def test_conversation_as_sse(client):
    r = client.post("/api/v1/conversations", files=photo_file(), headers=SSE)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/event-stream")
    events = parse_sse(r.text)
    assert events[0][0] == "conversation" and events[-1] == ("done", {"id": events[0][1]["id"], "locale": "en"})
    kinds = [name for name, _ in events[1:-1]]
    assert kinds[:2] == ["tool_started", "tool_finished"] and "result_card" in kinds and "text_finished" in kinds
    assert all(data["kind"] == name for name, data in events[1:-1])
    key = events[0][1]["id"]
    m = client.post(f"/api/v1/conversations/{key}/messages", json={"text": "What does image 1 show?"}, headers=SSE)
    assert m.status_code == 200
    names = [n for n, _ in parse_sse(m.text)]
    assert names[0] in ("text_started", "notice") and names[-1] == "done"
    # JSON when the client does not ask for a stream
    j = client.post(f"/api/v1/conversations/{key}/messages", json={"text": "Thanks"})
    assert j.headers["content-type"].startswith("application/json") and j.json()["events"]


def test_conversation_sse_errors_are_json(client):
    r = client.post("/api/v1/conversations/nope/messages", json={"text": "hi"}, headers=SSE)
    assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"
    r = client.post("/api/v1/conversations", content=b"{oops", headers={**SSE, "content-type": "application/json"})
    assert r.status_code == 422 and r.json()["error"]["code"] == "bad_json"
