"""The API's fixtures: the shipped weights loaded once for every test module here, and a fresh bare
FastAPI app (its own limits, queue and conversations) per test module or test."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from assistant.edges.api import mount
from assistant.conversation.orchestrator import Services

ASSETS = Path(__file__).resolve().parents[1] / "assets"
PHOTOS = sorted(ASSETS.glob("ISIC_*.jpg"))


@pytest.fixture(scope="session")
def services() -> Services:
    return Services.load()


@pytest.fixture(scope="session")
def make_client(services: Services) -> Callable[..., TestClient]:
    """`make_client(API_KEYS=[...], ...)`: a client for a new app whose settings have those overrides."""

    def make(**overrides) -> TestClient:
        s = services
        if overrides:
            s = dataclasses.replace(services, settings=services.settings.model_copy(update=overrides))
        app = FastAPI()
        app.state.api = mount(app, lambda: s)
        return TestClient(app)

    return make


@pytest.fixture(scope="module")
def client(make_client) -> TestClient:
    return make_client()


def photo_file(path: Path | None = None, name: str | None = None) -> dict:
    path = path or PHOTOS[0]
    return {"file": (name or path.name, path.read_bytes(), "image/jpeg")}


def parse_sse(text: str) -> list[tuple[str, dict]]:
    """A Server-Sent Events body as (event, data) pairs."""
    events = []
    for block in text.strip().split("\n\n"):
        fields = dict(line.split(": ", 1) for line in block.splitlines() if ": " in line)
        events.append((fields["event"], json.loads(fields["data"])))
    return events
