"""Bounded load on loopback: concurrent API conversations, then concurrent browser-socket chats, against a
real `ham10k serve` started here (shipped weights, no LLM answering: standard reports, curated answers).

    python benchmarks/load.py [--conversations 20] [--chats 20] [--port P] [--json OUT]

Each API conversation: POST /api/v1/conversations with a photo (Server-Sent Events), then two follow-ups
on /api/v1/conversations/{id}/messages. Each socket chat speaks the browser's own protocol: socket.io on
/ws/socket.io, the photo uploaded to /project/file, then `client_message` events; a turn ends at the
server's `task_end`. The photos of tests/assets/ are dealt round-robin, so neighbouring conversations
have different images and top classes; a conversation is "crossed" when its result card, report or a
follow-up answer does not name its own photo's closest match and confidence, as /api/v1/predict gave
them before the load. Prints p50/p95 per step, errors, crossed, and the server's memory (VmRSS)."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import csv
import datetime as dt
import json
import os
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.servers import free_port, ham10k_server  # noqa: E402

ASSETS = ROOT / "tests" / "assets"
FOLLOW_UPS = ("What does this result mean?", "How sure is it?")
# Model loading, one warm-up pass and Chainlit's start on 2 busy cores.
START_TIMEOUT_S = 240
TURN_TIMEOUT_S = 300


@dataclass(frozen=True)
class Photo:
    name: str
    data: bytes
    dx: str  # the dataset's label, for the record only: the check uses what the classifier said
    display_name: str = ""
    confidence: float = 0.0

    @property
    def confidence_pct(self) -> int:
        return round(self.confidence * 100)  # as the result card rounds it

    def named_in(self, text: str) -> bool:
        """Does a reply state this photo's result (closest match and its confidence, as the text formats it)?"""
        return self.display_name in text and f"{self.confidence:.0%}" in text


def load_photos() -> list[Photo]:
    with open(ASSETS / "labels.csv", newline="") as f:
        return [Photo(r["file"], (ASSETS / r["file"]).read_bytes(), r["dx"]) for r in csv.DictReader(f)]


# ---------------------------------------------------------------- the server


@dataclass
class Server:
    url: str
    pid: int
    log: Path

    def memory_mb(self) -> dict[str, float]:
        """Resident now (VmRSS) and the process's lifetime peak (VmHWM), from /proc: no psutil needed."""
        out = {}
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                out[key] = round(int(value.split()[0]) / 1024, 1)
        return out


@contextlib.contextmanager
def serving(port: int | None = None, queue_limit: int = 8) -> Iterator[Server]:
    """`ham10k serve` on loopback with the shipped weights and an LLM address where nothing listens;
    yields once GET /ready says 200. `queue_limit`: API_QUEUE_LIMIT, so N concurrent photos wait rather
    than being refused with 503 (the default 8 refuses the 10th)."""
    env = {"LLM_BASE_URL": f"http://127.0.0.1:{free_port()}/v1", "API_QUEUE_LIMIT": str(queue_limit),
           "API_RATE_LIMIT": "0", "API_KEYS": ""}
    log_path = Path(tempfile.mkstemp(prefix="ham10k-load-", suffix=".log")[1])
    with ham10k_server(env, log_path=log_path, port=port, start_timeout_s=START_TIMEOUT_S) as (url, proc):
        yield Server(url, proc.pid, log_path)


async def expected_results(client: httpx.AsyncClient, photos: list[Photo]) -> list[Photo]:
    """Each photo's result from a single POST /api/v1/predict (TTA on, as in the chat), before any load."""
    out = []
    for p in photos:
        r = await client.post("/api/v1/predict", files={"file": (p.name, p.data, "image/jpeg")})
        r.raise_for_status()
        body = r.json()
        out.append(Photo(p.name, p.data, p.dx, body["display_name"], body["confidence"]))
    return out


# ---------------------------------------------------------------- one conversation's record


@dataclass
class Record:
    photo: str
    steps: dict[str, float] = field(default_factory=dict)  # seconds per step
    error: str | None = None
    crossed: list[str] = field(default_factory=list)  # what did not name its own photo's result


def _check(record: Record, what: str, ok: bool) -> None:
    if not ok:
        record.crossed.append(what)


# ---------------------------------------------------------------- the API


async def _sse(response: httpx.Response) -> AsyncIterator[tuple[str, dict]]:
    event = ""
    async for line in response.aiter_lines():
        if line.startswith("event:"):
            event = line[6:].strip()
        elif line.startswith("data:"):
            yield event, json.loads(line[5:])


async def api_conversation(client: httpx.AsyncClient, photo: Photo) -> Record:
    """A photo (streamed events), then the follow-ups (JSON), each timed from the request's start."""
    rec = Record(photo.name)
    try:
        started = time.perf_counter()
        key, card, report = "", None, None
        headers = {"Accept": "text/event-stream"}
        files = {"file": (photo.name, photo.data, "image/jpeg")}
        async with client.stream("POST", "/api/v1/conversations", files=files, headers=headers) as r:
            if r.status_code != 200:
                raise RuntimeError(f"photo: HTTP {r.status_code} {(await r.aread())[:200]!r}")
            async for event, data in _sse(r):
                now = time.perf_counter() - started
                if event == "conversation":
                    key = data["id"]
                elif event == "result_card":
                    card, rec.steps["photo_to_result"] = data, now
                elif event == "text_finished" and report is None:
                    report, rec.steps["photo_to_report"] = data["markdown"], now
        rec.steps["photo_total"] = time.perf_counter() - started
        _check(rec, "result card", card is not None and card["display_name"] == photo.display_name
               and card["confidence_pct"] == photo.confidence_pct)
        _check(rec, "report", report is not None and photo.display_name in report)
        for i, question in enumerate(FOLLOW_UPS, 1):
            started = time.perf_counter()
            r = await client.post(f"/api/v1/conversations/{key}/messages", json={"text": question})
            rec.steps[f"follow_up_{i}"] = time.perf_counter() - started
            if r.status_code != 200:
                raise RuntimeError(f"follow-up {i}: HTTP {r.status_code} {r.text[:200]}")
            body = r.json()
            _check(rec, f"follow-up {i} id", body["id"] == key)
            answer = " ".join(e.get("markdown", "") for e in body["events"] if e["type"] in ("TextFinished", "Notice"))
            _check(rec, f"follow-up {i}", photo.named_in(answer))
    except Exception as exc:
        rec.error = f"{type(exc).__name__}: {exc}"[:300]
    return rec


# ---------------------------------------------------------------- the browser's socket


class SocketChat:
    """One browser tab as Chainlit's frontend speaks it: socket.io auth {sessionId, clientType, ...},
    `connection_successful`, uploads to /project/file?session_id=..., `client_message` with fileReferences."""

    def __init__(self, base: str, http: httpx.AsyncClient) -> None:
        import socketio  # python-socketio, a Chainlit dependency; its websocket client runs on aiohttp

        self.base, self.http = base, http
        self.session_id = str(uuid.uuid4())
        self.sio = socketio.AsyncClient(reconnection=False)
        self.events: asyncio.Queue[tuple[float, str, object]] = asyncio.Queue()

        @self.sio.on("*")
        async def _any(event: str, *args: object) -> None:
            await self.events.put((time.perf_counter(), event, args[0] if args else None))

    async def connect(self) -> None:
        auth = {"sessionId": self.session_id, "clientType": "webapp", "threadId": "", "userEnv": "{}", "chatProfile": ""}
        await self.sio.connect(self.base, socketio_path="/ws/socket.io", transports=["websocket"], auth=auth,
                               wait_timeout=30)
        await self.sio.emit("connection_successful")
        # connection_successful answers with a task_end, then on_chat_start runs as its own task: the chat
        # is ready once that run's task_end has come.
        while True:
            events = await self._until_task_end()
            if any(isinstance(d, dict) and d.get("name") == "on_chat_start" for _, _, d in events):
                return

    async def _until_task_end(self) -> list[tuple[float, str, object]]:
        got = []
        while True:
            item = await asyncio.wait_for(self.events.get(), TURN_TIMEOUT_S)
            got.append(item)
            if item[1] == "task_end":
                return got

    async def send(self, text: str, photo: Photo | None = None) -> list[tuple[float, str, object]]:
        refs = []
        if photo is not None:
            r = await self.http.post("/project/file", params={"session_id": self.session_id},
                                     files={"file": (photo.name, photo.data, "image/jpeg")})
            r.raise_for_status()
            refs = [{"id": r.json()["id"]}]
        message = {"threadId": "", "id": str(uuid.uuid4()), "name": "User", "type": "user_message", "output": text,
                   "createdAt": dt.datetime.now(dt.timezone.utc).isoformat(), "metadata": {}}
        await self.sio.emit("client_message", {"message": message, "fileReferences": refs})
        return await self._until_task_end()

    async def close(self) -> None:
        with contextlib.suppress(Exception):
            await self.sio.emit("clear_session")  # the server drops the session and its files at once
            await self.sio.disconnect()


def _final_messages(events: list[tuple[float, str, object]]) -> list[tuple[float, dict]]:
    """The assistant's messages of a turn in their final form (`new_message`; a streamed one ends with it)."""
    return [(t, d) for t, e, d in events
            if e == "new_message" and isinstance(d, dict) and d.get("type") == "assistant_message"]


async def socket_chat(base: str, http: httpx.AsyncClient, photo: Photo) -> Record:
    rec = Record(photo.name)
    chat = SocketChat(base, http)
    shown: list[tuple[float, str, object]] = []
    try:
        await chat.connect()
        started = time.perf_counter()
        events = await chat.send("", photo)  # the clock includes the upload, as the browser's does
        shown += events
        rec.steps["photo_total"] = events[-1][0] - started
        cards = [(t, d) for t, e, d in events if e == "element" and isinstance(d, dict) and d.get("name") == "ResultCard"]
        if cards:
            rec.steps["photo_to_result"] = cards[0][0] - started
        streamed = {d["id"] for _, e, d in events if e == "stream_start" and isinstance(d, dict)}
        reports = [(t, d) for t, d in _final_messages(events) if d["id"] in streamed]
        if reports:
            rec.steps["photo_to_report"] = reports[0][0] - started
        props = cards[0][1].get("props", {}) if cards else {}
        _check(rec, "result card", props.get("display_name") == photo.display_name
               and props.get("confidence_pct") == photo.confidence_pct)
        _check(rec, "report", bool(reports) and photo.display_name in reports[0][1].get("output", ""))
        for i, question in enumerate(FOLLOW_UPS, 1):
            started = time.perf_counter()
            events = await chat.send(question)
            shown += events
            rec.steps[f"follow_up_{i}"] = events[-1][0] - started
            answer = " ".join(d.get("output", "") for _, d in _final_messages(events))
            _check(rec, f"follow-up {i}", photo.named_in(answer))
        errors = [d for _, e, d in shown if e == "new_message" and isinstance(d, dict) and d.get("isError")]
        if errors:
            raise RuntimeError(f"error message: {errors[0].get('output', '')[:200]}")
    except Exception as exc:
        rec.error = f"{type(exc).__name__}: {exc}"[:300]
    finally:
        await chat.close()
    return rec


# ---------------------------------------------------------------- the run


def percentile(values: list[float], q: float) -> float:
    """Linear interpolation between closest ranks (as numpy's default); fine for 1 value too."""
    s = sorted(values)
    k = (len(s) - 1) * q
    lo = int(k)
    hi = min(lo + 1, len(s) - 1)
    return s[lo] + (s[hi] - s[lo]) * (k - lo)


def summarise(records: list[Record], wall_s: float) -> dict:
    steps: dict[str, dict[str, float]] = {}
    for name in ("photo_to_result", "photo_to_report", "photo_total", "follow_up_1", "follow_up_2"):
        values = [r.steps[name] for r in records if name in r.steps]
        if values:
            steps[name] = {"n": len(values), "p50_s": round(percentile(values, 0.5), 3),
                           "p95_s": round(percentile(values, 0.95), 3), "max_s": round(max(values), 3)}
    return {
        "conversations": len(records), "wall_s": round(wall_s, 2), "steps": steps,
        "errors": sum(r.error is not None for r in records),
        "crossed": sum(bool(r.crossed) for r in records),
        "problems": [{"photo": r.photo, "error": r.error, "crossed": r.crossed} for r in records if r.error or r.crossed],
    }


async def _peak_rss(server: Server, peak: list[float], stop_event: asyncio.Event) -> None:
    while not stop_event.is_set():
        with contextlib.suppress(OSError):
            peak[0] = max(peak[0], server.memory_mb()["VmRSS"])
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(stop_event.wait(), 0.25)


async def _phase(server: Server, coros: list) -> tuple[dict, float]:
    peak, done = [0.0], asyncio.Event()
    sampler = asyncio.create_task(_peak_rss(server, peak, done))
    started = time.perf_counter()
    records = await asyncio.gather(*coros)
    wall = time.perf_counter() - started
    done.set()
    await sampler
    return summarise(list(records), wall), peak[0]


async def run_load(server: Server, conversations: int, chats: int) -> dict:
    """The whole measurement against a running server: expected results, the API phase, the socket phase."""
    limits = httpx.Limits(max_connections=None, max_keepalive_connections=None)
    timeout = httpx.Timeout(TURN_TIMEOUT_S, connect=30)
    async with httpx.AsyncClient(base_url=server.url, limits=limits, timeout=timeout) as http:
        photos = await expected_results(http, load_photos())
        memory: dict[str, float] = {"before": server.memory_mb()["VmRSS"]}
        out: dict = {"photos": {p.name: {"dx": p.dx, "predicted": p.display_name, "confidence_pct": p.confidence_pct}
                                for p in photos}}
        if conversations:
            out["api"], memory["peak_api"] = await _phase(
                server, [api_conversation(http, photos[i % len(photos)]) for i in range(conversations)])
            memory["after_api"] = server.memory_mb()["VmRSS"]
        if chats:
            out["socket"], memory["peak_socket"] = await _phase(
                server, [socket_chat(server.url, http, photos[i % len(photos)]) for i in range(chats)])
            memory["after_socket"] = server.memory_mb()["VmRSS"]
        memory["lifetime_peak"] = server.memory_mb()["VmHWM"]
        out["memory_mb"] = memory
    return out


def print_table(result: dict) -> None:
    print(f"{'phase':<7} {'step':<16} {'n':>3} {'p50 s':>7} {'p95 s':>7} {'max s':>7}")
    for phase in ("api", "socket"):
        if phase not in result:
            continue
        r = result[phase]
        for step, v in r["steps"].items():
            print(f"{phase:<7} {step:<16} {v['n']:>3} {v['p50_s']:>7.2f} {v['p95_s']:>7.2f} {v['max_s']:>7.2f}")
        print(f"{phase:<7} {r['conversations']} concurrent, wall {r['wall_s']:.1f} s, errors {r['errors']}, "
              f"crossed {r['crossed']}")
        for p in r["problems"][:5]:
            print(f"        {p}")
    print("server RSS MB: " + ", ".join(f"{k} {v:.0f}" for k, v in result["memory_mb"].items()))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--conversations", type=int, default=20, help="concurrent API conversations")
    parser.add_argument("--chats", type=int, default=20, help="concurrent browser-socket chats")
    parser.add_argument("--port", type=int, help="port for the server (default: a free one)")
    parser.add_argument("--json", type=Path, help="write the figures here")
    args = parser.parse_args()

    load_at_start = round(os.getloadavg()[0], 2)  # the machine may be shared: say how busy it was
    started = time.perf_counter()
    with serving(args.port, queue_limit=max(8, args.conversations)) as server:
        start_s = time.perf_counter() - started
        result = asyncio.run(run_load(server, args.conversations, args.chats))
    result = {"date": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
              "command": "python benchmarks/load.py " + " ".join(sys.argv[1:]), "cpus": os.cpu_count(),
              "load_average_1m_at_start": load_at_start,
              "server_start_s": round(start_s, 1), "follow_ups": list(FOLLOW_UPS), **result}
    print_table(result)
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n")
    if any(result[p]["errors"] or result[p]["crossed"] for p in ("api", "socket") if p in result):
        sys.exit(1)


if __name__ == "__main__":
    main()
