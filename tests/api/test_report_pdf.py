"""`GET /api/v1/conversations/{id}/report.pdf`: the latest photo's report, or `?image=N`, as a PDF in the
conversation's language; a 404 error JSON for an unknown conversation, an image that does not exist and
one without a report. The classifier and the heat-map are stand-ins (a fixed result per photo), the LLM
a closed port (standard reports): what is tested is the conversation's keeping and the route."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from PIL import Image
from pypdf import PdfReader

from assistant.edges.api import mount
from assistant.llm.client import LLMClient, LLMConfig
from assistant.conversation.orchestrator import Services
from assistant.report.references import is_reference
from assistant.report.sections import sections
from assistant.core.settings import Settings
from tests.assistant.factories import classification
from tests.servers import free_port
from tools.result import ClassificationResult
from tools.text import t

ASSETS = Path(__file__).resolve().parents[1] / "assets"
MOLE = (ASSETS / "ISIC_0024306.jpg").read_bytes()
BCC = (ASSETS / "ISIC_0024795.jpg").read_bytes()
NOT_SKIN = b"\x89PNG not a skin spot"


def _png() -> bytes:
    buffer = io.BytesIO()
    Image.radial_gradient("L").convert("RGB").save(buffer, "PNG")
    return buffer.getvalue()


class StandIn:
    """The classifier or heat-map tool's `ainvoke`, without weights: a fixed answer per photo."""

    def __init__(self, answer) -> None:
        self.answer = answer

    async def ainvoke(self, payload: dict):
        return self.answer(payload["image"])


def _classify(data: bytes) -> ClassificationResult:
    if data == NOT_SKIN:
        return classification().model_copy(update={"status": "not_a_lesion"})
    return classification("basal_cell_carcinoma", 0.91) if data == BCC else classification("melanocytic_nevi", 0.97)


@pytest.fixture(scope="module")
def client() -> TestClient:
    settings = Settings(_env_file=None, llm_base_url=f"http://127.0.0.1:{free_port()}/v1", api_keys=[])
    services = Services(settings=settings, classifier=StandIn(_classify), heatmap=StandIn(lambda _: _png()),
                        llm=LLMClient(LLMConfig.from_settings(settings).model_copy(update={"connect_timeout_s": 1.0})))
    app = FastAPI()
    mount(app, lambda: services)
    return TestClient(app)


def start(client: TestClient, photo: bytes, locale: str = "en") -> str:
    response = client.post("/api/v1/conversations", files={"file": ("spot.jpg", photo, "image/jpeg")},
                           data={"locale": locale})
    assert response.status_code == 200, response.text
    return response.json()["id"]


def send(client: TestClient, key: str, photo: bytes) -> None:
    response = client.post(f"/api/v1/conversations/{key}/messages", files={"file": ("spot.jpg", photo, "image/jpeg")})
    assert response.status_code == 200, response.text


def text_of(data: bytes) -> str:
    reader = PdfReader(io.BytesIO(data))
    return " ".join(" ".join(page.extract_text() for page in reader.pages).split())


def error(response) -> str:
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()["error"]
    assert body["message"]
    return body["code"]


def test_the_latest_report_as_a_pdf(client: TestClient) -> None:
    key = start(client, MOLE)
    send(client, key, BCC)
    response = client.get(f"/api/v1/conversations/{key}/report.pdf")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/pdf"
    assert response.content.startswith(b"%PDF-")
    disposition = response.headers["content-disposition"]
    reference = disposition.split('filename="')[1].split(".pdf")[0]
    assert is_reference(reference) and "filename*=UTF-8''" in disposition
    text = text_of(response.content)
    assert "Closest match · image 2" in text and "Basal cell carcinoma" in text and reference in text
    assert all(f"{s.number}. {s.title}" in text for s in sections())
    reader = PdfReader(io.BytesIO(response.content))
    assert 1 <= len(reader.pages) <= 4 and reader.trailer["/Root"]["/Lang"] == "en"


def test_image_n_gives_that_photos_report_with_its_own_reference(client: TestClient) -> None:
    key = start(client, MOLE)
    send(client, key, BCC)
    first, second = (client.get(f"/api/v1/conversations/{key}/report.pdf", params={"image": n}) for n in (1, 2))
    assert first.status_code == second.status_code == 200
    assert "Closest match · image 1" in text_of(first.content) and "Melanocytic nevus" in text_of(first.content)
    assert first.headers["content-disposition"] != second.headers["content-disposition"]
    again = client.get(f"/api/v1/conversations/{key}/report.pdf", params={"image": 1})
    assert again.headers["content-disposition"] == first.headers["content-disposition"], "one reference per photo"


def test_the_pdf_speaks_the_conversations_language(client: TestClient) -> None:
    key = start(client, MOLE, locale="fr")
    response = client.get(f"/api/v1/conversations/{key}/report.pdf", headers={"Accept-Language": "de"})
    assert response.status_code == 200
    text = text_of(response.content)
    assert " ".join(t("pdf.title", "fr").split()) in text and "dépistage" in text
    assert all(" ".join(f"{s.number}. {s.title}".split()) in text for s in sections("fr"))
    assert PdfReader(io.BytesIO(response.content)).trailer["/Root"]["/Lang"] == "fr"


def test_an_unknown_conversation_is_a_404(client: TestClient) -> None:
    response = client.get("/api/v1/conversations/nope/report.pdf")
    assert response.status_code == 404 and error(response) == "not_found"


def test_images_out_of_bounds_are_404s(client: TestClient) -> None:
    key = start(client, MOLE)
    for n in (0, 2, -1, 10**6):
        response = client.get(f"/api/v1/conversations/{key}/report.pdf", params={"image": n})
        assert response.status_code == 404 and error(response) == "no_such_image", n
    response = client.get(f"/api/v1/conversations/{key}/report.pdf", params={"image": "two"})
    assert response.status_code == 422 and error(response) == "bad_request"


def test_a_photo_without_a_report_is_a_404(client: TestClient) -> None:
    key = start(client, NOT_SKIN)
    response = client.get(f"/api/v1/conversations/{key}/report.pdf")
    assert response.status_code == 404 and error(response) == "no_report"
    response = client.get(f"/api/v1/conversations/{key}/report.pdf", params={"image": 1},
                          headers={"Accept-Language": "de"})
    assert response.status_code == 404 and error(response) == "no_report"
    assert response.json()["error"]["message"] == t("api.no_report", "de", number=1), "worded for the request"
    send(client, key, MOLE)  # a report now exists: the latest photo that has one
    assert client.get(f"/api/v1/conversations/{key}/report.pdf").status_code == 200
    assert client.get(f"/api/v1/conversations/{key}/report.pdf", params={"image": 1}).status_code == 404


def test_a_conversation_without_photos_has_no_report(client: TestClient) -> None:
    response = client.post("/api/v1/conversations", json={})
    key = response.json()["id"]
    response = client.get(f"/api/v1/conversations/{key}/report.pdf")
    assert response.status_code == 404 and error(response) == "no_report"


def test_the_route_needs_the_api_key_when_keys_are_set() -> None:
    settings = Settings(_env_file=None, llm_base_url=f"http://127.0.0.1:{free_port()}/v1", api_keys=["k1"])
    keyed = Services(settings=settings, classifier=StandIn(_classify), llm=LLMClient(LLMConfig.from_settings(settings)))
    app = FastAPI()
    mount(app, lambda: keyed)
    client = TestClient(app)
    key = client.post("/api/v1/conversations", files={"file": ("spot.jpg", MOLE, "image/jpeg")},
                      headers={"X-API-Key": "k1"}).json()["id"]
    assert client.get(f"/api/v1/conversations/{key}/report.pdf").status_code == 401
    assert client.get(f"/api/v1/conversations/{key}/report.pdf", headers={"X-API-Key": "k1"}).status_code == 200
