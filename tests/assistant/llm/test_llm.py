"""assistant.llm.client: configuration, model choice, the probe cache, the photo part."""

from __future__ import annotations

import base64
import io

import pytest
from PIL import Image

from assistant.llm.client import (
    DEFAULT_BASE_URL,
    IMAGE_SIDE,
    LLMClient,
    LLMConfig,
    LLMError,
    Probe,
    base_url_from_endpoint,
    choose_model,
    image_part,
)
from assistant.core.settings import Settings
from tests.fault_llm_server import FaultLLMServer, Script


@pytest.mark.parametrize(
    ("endpoint", "base"),
    [
        ("http://localhost:1234/v1/chat/completions", "http://localhost:1234/v1"),
        ("http://localhost:1234/v1/chat/completions/", "http://localhost:1234/v1"),
        ("  http://gpu-box:8000/v1  ", "http://gpu-box:8000/v1"),
        ("http://localhost:11434", "http://localhost:11434/v1"),
        ("https://gateway.example/openai/v1/chat/completions", "https://gateway.example/openai/v1"),
    ],
)
def test_lm_studio_endpoint_becomes_base_url(endpoint: str, base: str) -> None:
    assert base_url_from_endpoint(endpoint) == base


def _settings(**kw: object) -> Settings:
    fields = ("llm_base_url", "llm_model", "lm_studio_endpoint", "lm_studio_model")
    return Settings(_env_file=None, **({f: None for f in fields} | kw))  # type: ignore[arg-type]


def test_config_precedence() -> None:
    seed = _settings(lm_studio_endpoint="http://box:1234/v1/chat/completions", lm_studio_model="medgemma-4b-it")
    assert (LLMConfig.from_settings(seed).base_url, LLMConfig.from_settings(seed).model) == ("http://box:1234/v1", "medgemma-4b-it")
    ours = _settings(llm_base_url="http://ollama:11434/v1/", llm_model="medgemma:4b", lm_studio_endpoint="http://box:1234/v1/chat/completions")
    assert (LLMConfig.from_settings(ours).base_url, LLMConfig.from_settings(ours).model) == ("http://ollama:11434/v1", "medgemma:4b")
    cli = LLMConfig.from_settings(ours, base_url="http://cli:1/v1", model="x")
    assert (cli.base_url, cli.model) == ("http://cli:1/v1", "x")
    default = LLMConfig.from_settings(_settings())
    assert (default.base_url, default.model, default.temperature, default.send_image) == (DEFAULT_BASE_URL, None, 0.2, False)
    assert default.max_tokens >= 1000


def test_choose_model() -> None:
    served = Probe(reachable=True, models=["medgemma-4b-it", "llama-3"])
    assert choose_model("llama-3", served, "u") == "llama-3"
    assert choose_model("medgemma", Probe(reachable=True, models=["only-one"]), "u") == "only-one"
    assert choose_model("mine", Probe(reachable=True, models=None), "u") == "mine"
    with pytest.raises(LLMError, match="'medgemma' is not served by u; it serves: medgemma-4b-it, llama-3") as e:
        choose_model("medgemma", served, "u")
    assert e.value.kind == "model_not_found"
    with pytest.raises(LLMError, match="No model is configured"):
        choose_model(None, served, "u")


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def test_probe_is_cached(fault_llm: FaultLLMServer) -> None:
    url = fault_llm.add(Script(models=["a"]))
    clock = FakeClock()
    async with LLMClient(LLMConfig(base_url=url, probe_cache_s=30), clock=clock) as llm:
        assert await llm.probe() == Probe(reachable=True, models=["a"])
        clock.now += 29
        assert await llm.resolve_model() == "a"
        assert len(fault_llm.hits(url)) == 1, "one GET /models within the cache period"
        clock.now += 2
        await llm.probe()
        assert len(fault_llm.hits(url)) == 2


async def test_probe_of_a_server_without_a_model_list(fault_llm: FaultLLMServer) -> None:
    url = fault_llm.add(Script(models_status=404))
    async with LLMClient(LLMConfig(base_url=url, model="m")) as llm:
        probe = await llm.probe()
        assert probe.reachable and probe.models is None
        assert await llm.resolve_model() == "m"


def test_image_part_is_a_small_upright_jpeg() -> None:
    buf = io.BytesIO()
    Image.new("RGBA", (2000, 1000), (200, 50, 50, 128)).save(buf, "PNG")
    url = image_part(buf.getvalue())["image_url"]["url"]
    prefix = "data:image/jpeg;base64,"
    assert url.startswith(prefix)
    with Image.open(io.BytesIO(base64.b64decode(url[len(prefix) :]))) as im:
        assert (im.format, im.size) == ("JPEG", (IMAGE_SIDE, IMAGE_SIDE // 2))


async def test_a_reply_closed_early_ends_its_response_in_the_callers_task(fault_llm: FaultLLMServer) -> None:
    """What `ham10k serve` does (Chainlit's nest_asyncio loop installs no async-generator hooks), where a
    reply left to the garbage collector is closed synchronously in whatever task runs and leaves an anyio
    cancel scope open there: `aclose` ends the reply now, in the caller's task, with nothing left over."""
    import asyncio
    import gc
    import sys
    from contextlib import aclosing

    url = fault_llm.add(Script(reply="A long and slow reply. " * 40, chunk_chars=8, chunk_delay_s=0.05))
    hooks = sys.get_asyncgen_hooks()
    unraisable: list[object] = []
    old_hook, sys.unraisablehook = sys.unraisablehook, unraisable.append
    sys.set_asyncgen_hooks(firstiter=None, finalizer=None)
    try:
        async with LLMClient(LLMConfig(base_url=url)) as llm:
            stream = llm.stream([{"role": "user", "content": "hi"}])
            async with aclosing(stream):
                async for _ in stream:
                    break  # an output check stopped it
            gc.collect()
            for _ in range(100):  # the server notices the closed socket at its next write
                if fault_llm.closed(url):
                    break
                await asyncio.sleep(0.05)
    finally:
        sys.set_asyncgen_hooks(*hooks)
        sys.unraisablehook = old_hook
    assert fault_llm.closed(url) == 1
    assert unraisable == []
    with pytest.raises(StopAsyncIteration):
        await anext(aiter(stream))  # closed for good
