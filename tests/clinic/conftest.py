"""The clinic's fixtures: an in-process app (the real routes, no model loaded) whose conversations are given
analyses with a standard report, and the helpers the server tests share."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from PIL import Image

from assistant.conversation.orchestrator import Conversation, Services
from assistant.core.settings import Settings
from assistant.edges.api import mount
from assistant.llm.client import LLMClient, LLMConfig
from assistant.report.model import Analysis
from assistant.report.standard import standard_report
from tests.assistant.factories import classification

STAFF_KEY, PATIENT_KEY = "staff-key-1", "patient-key-1"
ASSETS = Path(__file__).resolve().parents[1] / "assets"
PHOTO = ASSETS / "ISIC_0025450.jpg"


def png(color: str = "red") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 64), color).save(out, "PNG")
    return out.getvalue()


def analysis(label: str = "melanoma", locale: str = "en") -> Analysis:
    result = classification(label)
    return Analysis(result=result, report=standard_report(result, locale=locale), photo=PHOTO.read_bytes(),
                    heatmap_png=png(), locale=locale)


class App:
    """A bare FastAPI app with the real routes; `conversation()` opens one holding a reported photo."""

    def __init__(self, settings: Settings) -> None:
        self.services = Services(settings=settings, classifier=None, llm=LLMClient(LLMConfig.from_settings(settings)))
        self.fastapi = FastAPI()
        self.api = mount(self.fastapi, lambda: self.services)
        self.client = TestClient(self.fastapi)

    def conversation(self, *analyses: Analysis) -> str:
        conversation = Conversation(self.services)
        conversation.analyses.extend(analyses or [analysis()])
        conversation.history.extend([("user", "what does it show?"), ("assistant", "a report")])
        return self.api.store.add(conversation)


@pytest.fixture
def make_app(tmp_path: Path) -> Callable[..., App]:
    def make(**overrides) -> App:
        values = {"clinic_handoff": True, "database_url": f"sqlite:///{tmp_path / 'cases.sqlite3'}",
                  "staff_api_keys": [STAFF_KEY], "api_keys": [PATIENT_KEY], "llm_base_url": "http://127.0.0.1:9/v1",
                  **overrides}
        return App(Settings(**values))

    return make


def patient(key: str = PATIENT_KEY, **extra: str) -> dict:
    return {"X-API-Key": key, **extra}


def staff(key: str = STAFF_KEY) -> dict:
    return {"Authorization": f"Bearer {key}"}


CONSENT = {"consent": True, "name": "Ada Lovelace", "contact": "ada@example.org", "message": "Please call me.",
           "include_conversation": True}


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    """A private PostgreSQL 15 cluster for the whole session (skipped where PostgreSQL is not installed)."""
    from tests.clinic.postgres import pg_bin, postgres_cluster

    if pg_bin() is None:
        pytest.skip("PostgreSQL is missing: apt-get install -y postgresql (scripts/test installs it)")
    with postgres_cluster() as url:
        yield url
