"""OpenAI-compatible chat client (LM Studio, Ollama, vLLM, llama.cpp server): model discovery, a cached
reachability probe, and streaming with every wait bounded.

Failures of any kind surface as one exception type, `LLMError(kind, message)`, so callers have a single
place to fall back. Nothing here knows about reports; `assistant/report/writer.py` builds the messages.
"""

from __future__ import annotations

import asyncio
import base64
import io
import logging
import time
from collections.abc import AsyncGenerator, Callable
from typing import Any, Literal
from urllib.parse import urlsplit

import openai
from openai import AsyncOpenAI
from openai.types.chat import ChatCompletionContentPartImageParam, ChatCompletionMessageParam
from PIL import Image, ImageOps
from pydantic import BaseModel, ConfigDict

from assistant.core import metrics
from assistant.core.settings import Settings

log = logging.getLogger(__name__)

DEFAULT_BASE_URL = "http://localhost:1234/v1"  # LM Studio's default, as in the seed
IMAGE_SIDE = 896  # MedGemma's (Gemma 3's SigLIP) input size: larger photos only cost upload time

ErrorKind = Literal[
    "unreachable", "timeout", "first_token_timeout", "stall", "http_status", "bad_stream", "empty", "model_not_found"
]


class LLMError(Exception):
    """Any failure to get a reply. `kind` is stable for code and logs; the message names the cause."""

    def __init__(self, kind: ErrorKind, message: str) -> None:
        super().__init__(message)
        self.kind = kind


FailureKind = Literal["unavailable", "timeout", "empty", "error"]
_FAILURE_KINDS: dict[str, FailureKind] = {
    "unreachable": "unavailable",
    "model_not_found": "unavailable",
    "timeout": "timeout",
    "first_token_timeout": "timeout",
    "stall": "timeout",
    "empty": "empty",
}


def failure_kind(error: BaseException | None) -> FailureKind:
    """What to tell a person about a failed reply: the server could not be reached (or does not serve
    the model), it was too slow, it answered with nothing, or anything else went wrong."""
    return _FAILURE_KINDS.get(getattr(error, "kind", ""), "error")


def base_url_from_endpoint(endpoint: str) -> str:
    """The seed's LM_STUDIO_ENDPOINT is a full chat-completions URL; the SDK wants the base ('.../v1')."""
    url = endpoint.strip().rstrip("/")
    for suffix in ("/chat/completions", "/completions"):
        if url.endswith(suffix):
            url = url[: -len(suffix)].rstrip("/")
            break
    if urlsplit(url).path in ("", "/"):
        url += "/v1"
    return url


class LLMConfig(BaseModel):
    model_config = ConfigDict(frozen=True, protected_namespaces=())

    base_url: str = DEFAULT_BASE_URL
    model: str | None = None  # None: use the server's only model
    api_key: str = "not-needed"
    connect_timeout_s: float = 5.0
    first_token_timeout_s: float = 90.0
    stall_timeout_s: float = 30.0
    total_timeout_s: float = 180.0
    max_tokens: int = 1200
    temperature: float = 0.2
    send_image: bool = False
    probe_cache_s: float = 30.0

    @classmethod
    def from_settings(cls, s: Settings, *, base_url: str | None = None, model: str | None = None) -> LLMConfig:
        """Explicit arguments win, then LLM_BASE_URL / LLM_MODEL, then the seed's LM_STUDIO_* variables."""
        if base_url is None:
            base_url = s.llm_base_url or (base_url_from_endpoint(s.lm_studio_endpoint) if s.lm_studio_endpoint else None)
        return cls(
            base_url=(base_url or DEFAULT_BASE_URL).rstrip("/"),
            model=model or s.llm_model or s.lm_studio_model,
            api_key=s.llm_api_key,
            connect_timeout_s=s.llm_connect_timeout_s,
            first_token_timeout_s=s.llm_first_token_timeout_s,
            stall_timeout_s=s.llm_stall_timeout_s,
            total_timeout_s=s.llm_total_timeout_s,
            max_tokens=s.llm_max_tokens,
            temperature=s.llm_temperature,
            send_image=s.llm_send_image,
            probe_cache_s=s.llm_probe_cache_s,
        )


class Probe(BaseModel):
    """What a GET /models said. `models` is None when the server answered but lists no models."""

    reachable: bool
    models: list[str] | None = None
    error: str | None = None


def choose_model(configured: str | None, probe: Probe, base_url: str) -> str:
    """The model id to request: the configured one if served, else the server's only one."""
    served = probe.models
    if served is None:
        if configured:
            return configured
        raise LLMError("model_not_found", f"{base_url} does not list its models; set LLM_MODEL to the model id.")
    if configured in served:
        return configured  # type: ignore[return-value]  # `in` ruled out None
    if len(served) == 1:
        if configured:
            log.warning("model %r is not served by %s; using its only model %r", configured, base_url, served[0])
        return served[0]
    wanted = f"Model {configured!r} is not served" if configured else "No model is configured"
    listing = ", ".join(served) if served else "none"
    raise LLMError("model_not_found", f"{wanted} by {base_url}; it serves: {listing}. Set LLM_MODEL to one of them.")


def image_part(image: bytes) -> ChatCompletionContentPartImageParam:
    """The photo as an OpenAI `image_url` part: re-encoded as a JPEG (upright, no metadata, at most
    IMAGE_SIDE pixels a side), so any format intake accepts (HEIC too) reaches the model."""
    with Image.open(io.BytesIO(image)) as im:
        rgb = ImageOps.exif_transpose(im).convert("RGB")
    rgb.thumbnail((IMAGE_SIDE, IMAGE_SIDE))
    buf = io.BytesIO()
    rgb.save(buf, "JPEG", quality=90)
    url = "data:image/jpeg;base64," + base64.b64encode(buf.getvalue()).decode("ascii")
    return {"type": "image_url", "image_url": {"url": url}}


def _field(obj: Any, name: str) -> Any:
    """Read a chunk field whether the SDK gave an object or (for an odd server) a plain dict."""
    return obj.get(name) if isinstance(obj, dict) else getattr(obj, name, None)


class LLMClient:
    """One per process (or chat session): holds the HTTP connection pool and the probe cache."""

    def __init__(self, config: LLMConfig, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.config = config
        self._clock = clock
        # Retries are ours (one, on connection errors); the SDK's would hide where the time went.
        self._client = AsyncOpenAI(
            base_url=config.base_url,
            api_key=config.api_key,
            max_retries=0,
            timeout=openai.Timeout(config.total_timeout_s, connect=config.connect_timeout_s),
        )
        self._probe: tuple[float, Probe] | None = None
        self._probe_lock = asyncio.Lock()

    async def __aenter__(self) -> LLMClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._client.close()

    async def probe(self, *, refresh: bool = False) -> Probe:
        """Is the server up, and which models does it serve? Reused for `probe_cache_s` seconds, so a
        busy chat asks once per interval, not once per message."""
        async with self._probe_lock:
            if not refresh and self._probe and self._clock() - self._probe[0] < self.config.probe_cache_s:
                return self._probe[1]
            probe = await self._fetch_probe()
            self._remember(probe)
            return probe

    def _remember(self, probe: Probe) -> None:
        self._probe = (self._clock(), probe)

    async def _fetch_probe(self) -> Probe:
        timeout = openai.Timeout(self.config.connect_timeout_s)
        try:
            page = await self._client.models.list(timeout=timeout)
            return Probe(reachable=True, models=[m.id for m in page.data])
        except openai.APIConnectionError as e:  # includes timeouts
            return Probe(reachable=False, error=f"{self.config.base_url} is not reachable ({type(e).__name__})")
        except (openai.APIError, ValueError, TypeError, AttributeError) as e:  # answered, but no usable listing
            return Probe(reachable=True, models=None, error=str(e))

    async def resolve_model(self) -> str:
        """The model id to request (see `choose_model`); raises LLMError when the server is down."""
        probe = await self.probe()
        if not probe.reachable:
            raise LLMError("unreachable", probe.error or f"{self.config.base_url} is not reachable")
        return choose_model(self.config.model, probe, self.config.base_url)

    def stream(self, messages: list[ChatCompletionMessageParam]) -> ChatStream:
        return ChatStream(self, messages)


class ChatStream:
    """One streamed reply. `async for text in stream` yields content as it arrives; afterwards
    `model_id` and `finish_reason` ("stop", "length", ...) are set. Raises LLMError on any failure.
    A reader that stops early closes it with `aclose()` (`async with aclosing(stream)`).

    Bounds: `connect_timeout_s` per connection; `first_token_timeout_s` from the start until the first
    text; `stall_timeout_s` between chunks after that; `total_timeout_s` for everything, probe included.
    """

    def __init__(self, llm: LLMClient, messages: list[ChatCompletionMessageParam]) -> None:
        self._llm = llm
        self._messages = messages
        self.model_id: str | None = None
        self.finish_reason: str | None = None
        self._replies: AsyncGenerator[str, None] | None = None
        self._started = 0.0  # loop time when the reply was requested

    def __aiter__(self) -> AsyncGenerator[str, None]:
        # One generator per stream, kept so that `aclose` can end it.
        if self._replies is None:
            self._replies = self._run()
        return self._replies

    async def aclose(self) -> None:
        """Close the reply's HTTP response now, in the caller's task; a no-op once it has ended.

        A reply the caller stops reading (an output check failed, the client left) must be closed this
        way, never left to the garbage collector: under `ham10k serve` (Chainlit runs uvicorn under
        nest_asyncio, whose loop installs no async-generator finalizer) the collector closes a generator
        synchronously inside whichever task is running, where closing the response cannot await; the
        response's anyio cancel scope is then left open in that task and the request fails with "Attempted
        to exit a cancel scope that isn't the current task's current cancel scope"."""
        if self._replies is not None:
            await self._replies.aclose()

    async def _run(self) -> AsyncGenerator[str, None]:
        # One generator, not one iterating another: `async for` never closes what it iterates, so an inner
        # generator would outlive this one's `aclose` and be left to the garbage collector (see `aclose`).
        try:
            stream = await self._start()
        except LLMError as e:
            metrics.llm_error(e.kind)
            raise
        cfg = self._llm.config
        loop = asyncio.get_running_loop()
        deadline = self._started + cfg.total_timeout_s
        first_deadline = min(deadline, self._started + cfg.first_token_timeout_s)
        chunks = stream.__aiter__()
        got_text = False
        try:
            while True:
                now = loop.time()
                limit = first_deadline if not got_text else min(deadline, now + cfg.stall_timeout_s)
                try:
                    chunk = await asyncio.wait_for(anext(chunks), max(0.0, limit - now))
                except StopAsyncIteration:
                    break
                except asyncio.TimeoutError:
                    raise self._timeout_error(got_text, overall=limit >= deadline) from None
                except openai.APIConnectionError as e:
                    raise LLMError("bad_stream", f"the connection broke mid-reply ({type(e).__name__})") from e
                except (openai.APIError, ValueError) as e:  # an error event, or a data line that is not JSON
                    raise LLMError("bad_stream", f"the server sent an unreadable stream: {e}") from e
                choices = _field(chunk, "choices") or []
                if not choices:
                    continue  # e.g. a usage-only chunk
                self.finish_reason = _field(choices[0], "finish_reason") or self.finish_reason
                text = _field(_field(choices[0], "delta"), "content")
                if isinstance(text, str) and text:
                    got_text = True
                    yield text
            if not got_text:
                raise LLMError("empty", f"{self.model_id} returned no text")
        except LLMError as e:
            metrics.llm_error(e.kind)
            raise
        finally:
            await stream.close()

    async def _start(self) -> openai.AsyncStream[Any]:
        """Resolve the model and send the request, within the first-token and total bounds."""
        cfg = self._llm.config
        loop = asyncio.get_running_loop()
        self._started = loop.time()
        deadline = self._started + cfg.total_timeout_s
        try:
            self.model_id = await asyncio.wait_for(self._llm.resolve_model(), deadline - loop.time())
        except asyncio.TimeoutError:
            raise LLMError("timeout", f"no answer from {cfg.base_url} within {cfg.total_timeout_s:g} s") from None
        return await self._open(self.model_id, min(deadline, self._started + cfg.first_token_timeout_s))

    def _timeout_error(self, got_text: bool, *, overall: bool) -> LLMError:
        cfg = self._llm.config
        if overall:
            return LLMError("timeout", f"the reply took longer than {cfg.total_timeout_s:g} s")
        if got_text:
            return LLMError("stall", f"the reply stalled for more than {cfg.stall_timeout_s:g} s")
        return LLMError("first_token_timeout", f"no text within {cfg.first_token_timeout_s:g} s")

    async def _open(self, model: str, first_deadline: float) -> openai.AsyncStream[Any]:
        """Send the request; one retry if the connection fails (a server restarting, a dropped socket)."""
        cfg = self._llm.config
        loop = asyncio.get_running_loop()
        retried = False
        while True:
            try:
                return await asyncio.wait_for(
                    self._llm._client.chat.completions.create(
                        model=model,
                        messages=self._messages,
                        stream=True,
                        max_tokens=cfg.max_tokens,
                        temperature=cfg.temperature,
                    ),
                    max(0.0, first_deadline - loop.time()),
                )
            except (asyncio.TimeoutError, openai.APITimeoutError):
                raise LLMError("first_token_timeout", f"no text within {cfg.first_token_timeout_s:g} s") from None
            except openai.APIConnectionError as e:
                if not retried:
                    log.info("LLM connection failed (%s); retrying once", e)
                    retried = True
                    await asyncio.sleep(0.2)
                    continue
                self._llm._remember(Probe(reachable=False, error=f"{cfg.base_url} is not reachable"))
                raise LLMError("unreachable", f"{cfg.base_url} is not reachable ({type(e).__name__})") from e
            except openai.APIStatusError as e:
                raise LLMError("http_status", f"{cfg.base_url} answered HTTP {e.status_code}: {e.message}") from e
