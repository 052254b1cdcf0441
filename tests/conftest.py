"""Fixtures shared by all test folders: the shipped ensemble (loaded once per session), real LLM servers
(started only when a test asks for one); and the markers that say what a test starts (llm, browser, server)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from assistant.core.settings import PROJECT_ROOT
from tests.fault_llm_server import FaultLLMServer
from tests.servers import llama_server, smollm2_gguf
from tools.classifier import Ensemble
from tools.manifest import resolve_profile


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


@pytest.fixture(scope="session")
def ensemble() -> Ensemble:
    """The shipped default ensemble, on the CPU, loaded once for the whole run."""
    return Ensemble.load(resolve_profile(PROJECT_ROOT / "weights"), "cpu")


# What a test starts, by its folder or the fixtures it asks for: `-m "not browser"`, `-m llm`, ...
_BY_FOLDER = {"browser": "browser", "deploy": "server"}
_BY_FIXTURE = {"llama_base_url": "llm", "chat_url_with_llm": "llm", "llama_app": "llm", "fault_llm": "server"}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        parts = item.path.parts
        for folder, marker in _BY_FOLDER.items():
            if folder in parts:
                item.add_marker(marker)
        for fixture in getattr(item, "fixturenames", ()):
            if fixture in _BY_FIXTURE:
                item.add_marker(_BY_FIXTURE[fixture])
