"""Fixtures shared by all test folders: real LLM servers (started only when a test asks for one)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.fault_llm_server import FaultLLMServer
from tests.servers import llama_server, smollm2_gguf


@pytest.fixture(scope="session")
def llama_base_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A llama.cpp server with SmolLM2-135M (2 threads, 4k context); yields its '.../v1' base URL."""
    log = tmp_path_factory.mktemp("llama") / "server.log"
    with llama_server(smollm2_gguf(), log_path=log) as url:
        yield url


@pytest.fixture(scope="session")
def fault_llm() -> Iterator[FaultLLMServer]:
    """The scriptable fault server; `fault_llm.add(Script(...))` returns a base URL."""
    with FaultLLMServer() as server:
        yield server
