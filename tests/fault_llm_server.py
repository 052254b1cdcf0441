"""A scriptable OpenAI-compatible server on loopback, for fault tests: slow, stalled, broken, wrong.

One server (a thread) serves many scripts at once; each script gets its own base URL
(`http://127.0.0.1:PORT/s/<id>/v1`), so tests never share state. It speaks what the SDK needs:
`GET /v1/models`, and `POST /v1/chat/completions` with `stream: true` as server-sent events.

    with FaultLLMServer() as server:
        url = server.add(Script(reply="## 1. Condition Overview\n..."))
"""

from __future__ import annotations

import json
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from pydantic import BaseModel


class Script(BaseModel):
    """How the server answers one base URL."""

    models: list[str] = ["medgemma-4b-it"]
    models_status: int = 200  # status of GET /models (404: a server without a listing)
    status: int = 200  # status of POST /chat/completions; non-200 sends an OpenAI-style error body
    drop_connection: bool = False  # close the socket without answering the POST
    reply: str = ""  # streamed as content deltas of `chunk_chars` characters
    chunk_chars: int = 24
    chunk_delay_s: float = 0.0  # between text chunks (a slow trickle)
    headers_delay_s: float = 0.0  # before the response starts (llama.cpp: until the first token)
    first_token_delay_s: float = 0.0  # after the role chunk, before the first text
    stall_after_chunks: int | None = None  # stop sending after this many text chunks...
    stall_s: float = 0.0  # ...for this long
    malformed_after_chunks: int | None = None  # send a data line that is not JSON after this many
    finish_reason: str = "stop"
    # Another script for a request whose messages contain the key (the first that matches), so one app
    # with one LLM address can meet a different fault per question.
    when: dict[str, Script] = {}

    def for_request(self, body: dict[str, Any]) -> Script:
        text = json.dumps(body.get("messages", []), ensure_ascii=False)
        return next((script for key, script in self.when.items() if key in text), self)


class Hit(BaseModel):
    method: str
    path: str
    body: dict[str, Any] | None = None


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.0"  # the body ends when the connection closes: simplest for streaming

    def log_message(self, *args: object) -> None:  # keep test output clean
        pass

    def _script(self) -> tuple[str, Script, str] | None:
        m = re.match(r"^/s/([^/]+)/v1(/.*)$", self.path)
        if not m or m.group(1) not in self.server.scripts:
            self._json(404, {"error": {"message": f"no script for {self.path}"}})
            return None
        return m.group(1), self.server.scripts[m.group(1)], m.group(2)

    def _json(self, status: int, body: dict[str, Any]) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:
        found = self._script()
        if not found:
            return
        sid, script, rest = found
        self.server.hits[sid].append(Hit(method="GET", path=rest))
        if rest != "/models" or script.models_status != 200:
            self._json(script.models_status if rest == "/models" else 404, {"error": {"message": "not found"}})
            return
        self._json(200, {"object": "list", "data": [{"id": m, "object": "model", "owned_by": "test"} for m in script.models]})

    def do_POST(self) -> None:
        found = self._script()
        if not found:
            return
        sid, script, rest = found
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
        self.server.hits[sid].append(Hit(method="POST", path=rest, body=body))
        script = script.for_request(body)
        if rest != "/chat/completions":
            self._json(404, {"error": {"message": "not found"}})
        elif script.drop_connection:
            self.close_connection = True  # returning without a response closes the socket
        elif body.get("model") not in script.models:
            self._json(404, {"error": {"message": f"model {body.get('model')!r} not found", "type": "invalid_request_error"}})
        elif script.status != 200:
            self._json(script.status, {"error": {"message": f"scripted HTTP {script.status}", "type": "server_error"}})
        else:
            try:
                self._stream(script, body["model"])
            except (BrokenPipeError, ConnectionResetError):  # the client gave up: expected in timeout tests
                self.server.closed[sid] += 1

    def _event(self, data: str) -> None:
        self.wfile.write(f"data: {data}\n\n".encode())

    def _chunk(self, model: str, delta: dict[str, str], finish: str | None = None) -> None:
        self._event(json.dumps({
            "id": "chatcmpl-test", "object": "chat.completion.chunk", "created": 0, "model": model,
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
        }))

    def _stream(self, script: Script, model: str) -> None:
        wait = self.server.stopping.wait  # sleeps that end at once when the server shuts down
        wait(script.headers_delay_s)
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.end_headers()
        self._chunk(model, {"role": "assistant"})
        wait(script.first_token_delay_s)
        pieces = [script.reply[i : i + script.chunk_chars] for i in range(0, len(script.reply), script.chunk_chars)]
        for i, piece in enumerate(pieces):
            if i == script.stall_after_chunks and wait(script.stall_s):
                return
            if i and wait(script.chunk_delay_s):
                return
            if i == script.malformed_after_chunks:
                self._event('{"choices": [{"delta": {"content": "unterminated')
            self._chunk(model, {"content": piece})
        self._chunk(model, {}, finish=script.finish_reason)
        self._event("[DONE]")


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.scripts: dict[str, Script] = {}
        self.hits: dict[str, list[Hit]] = {}
        self.closed: dict[str, int] = {}  # replies the client closed before their end
        self.stopping = threading.Event()


class FaultLLMServer:
    """Context manager running the server in a background thread."""

    def __init__(self) -> None:
        self._server = _Server()
        self._thread = threading.Thread(target=self._server.serve_forever, name="fault-llm", daemon=True)
        self._lock = threading.Lock()

    @property
    def port(self) -> int:
        return self._server.server_address[1]

    def add(self, script: Script) -> str:
        """Register a script; returns the base URL that plays it."""
        with self._lock:
            sid = f"{len(self._server.scripts) + 1}"
            self._server.scripts[sid] = script
            self._server.hits[sid] = []
            self._server.closed[sid] = 0
        return f"http://127.0.0.1:{self.port}/s/{sid}/v1"

    def hits(self, base_url: str) -> list[Hit]:
        """Requests received so far for the script behind `base_url`."""
        return list(self._server.hits[base_url.rstrip("/").split("/")[-2]])

    def closed(self, base_url: str) -> int:
        """Replies to `base_url` that the client closed before they ended (it stopped reading them)."""
        return self._server.closed[base_url.rstrip("/").split("/")[-2]]

    def __enter__(self) -> FaultLLMServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.stopping.set()
        self._server.shutdown()
        self._server.server_close()
