"""`ham10k report IMAGE`: the terminal streams the checked report section by section and says who wrote it.
The classifier is replaced by a fixed result; the LLM is the fault server."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from assistant.edges import cli
from tests.assistant.checks import STANDARD_NOTE, reply
from tests.assistant.factories import FixedEnsemble, classification
from tests.fault_llm_server import FaultLLMServer, Script
from tests.servers import free_port

LESION = Path(__file__).resolve().parents[2] / "assets" / "ISIC_0024306.jpg"


@pytest.fixture(autouse=True)
def fixed_classifier(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("assistant.core.runtime.get_ensemble", lambda: FixedEnsemble(classification("melanoma", 0.7)))


def test_report_streams_the_checked_report(fault_llm: FaultLLMServer, capsys: pytest.CaptureFixture[str]) -> None:
    url = fault_llm.add(Script(models=["medgemma-4b-it"], reply=reply()))
    assert cli.main(["report", str(LESION), "--llm-base-url", url, "--model", "medgemma-4b-it"]) == 0
    out, err = capsys.readouterr()
    assert out.startswith("## 1. Condition Overview") and "## 9. Important Disclaimers" in out
    assert out.count("## 1. Condition Overview") == 1, "shown once, as it was checked"
    assert "**Screening result:**" in out and "## " not in err
    assert "Written by the AI writer (medgemma-4b-it)." in err


def test_report_without_a_server_is_the_standard_one(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["report", str(LESION), "--llm-base-url", f"http://127.0.0.1:{free_port()}/v1", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["classification"]["label"] == "melanoma"
    assert data["report"]["source"] == "standard" and data["report"]["markdown"].startswith(STANDARD_NOTE)


def test_report_refuses_a_non_lesion(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    other = classification().model_copy(update={"status": "not_a_lesion"})
    monkeypatch.setattr("assistant.core.runtime.get_ensemble", lambda: FixedEnsemble(other))
    assert cli.main(["report", str(LESION)]) == 1
    assert "does not look like a skin-lesion photo" in capsys.readouterr().err
