"""The API in the patient's language: Accept-Language, the `locale` field, or the patient's own words."""

from __future__ import annotations

from lingua import IsoCode639_1, LanguageDetectorBuilder

from tests.api.conftest import photo_file
from tools.text import t

DETECTOR = LanguageDetectorBuilder.from_iso_codes_639_1(
    *(getattr(IsoCode639_1, c) for c in ("EN", "FR", "DE", "ES", "IT", "PT"))).build()


def language_of(text: str) -> str:
    return DETECTOR.detect_language_of(text).iso_code_639_1.name.lower()


def events_of(body: dict, kind: str) -> list[dict]:
    return [e for e in body["events"] if e["kind"] == kind]


def test_a_conversation_started_with_accept_language_pt_is_portuguese(client) -> None:
    r = client.post("/api/v1/conversations", files=photo_file(), headers={"Accept-Language": "pt-PT,pt;q=0.9,en;q=0.5"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["locale"] == "pt"
    card = events_of(body, "result_card")[0]
    assert card["heading"] == t("chat.result_heading", "pt", number=1)
    assert card["labels"]["footer"] == t("card.footer", "pt")
    assert language_of(card["description"] + " " + card["action"] + " " + card["reason"]) == "pt"
    bars = events_of(body, "probability_chart")[0]["bars"]
    assert {b["label"] for b in bars} == {t(f"lesion_name.{dx}", "pt") for dx in ("mel", "nv", "bcc", "akiec", "bkl", "df", "vasc")}
    report = events_of(body, "text_finished")[0]["markdown"]
    assert language_of(report) == "pt" and "## 1. " in report
    answer = client.post(f"/api/v1/conversations/{body['id']}/messages", json={"text": "O que significa a segunda barra?"})
    finished = events_of(answer.json(), "text_finished")[0]["markdown"]
    assert language_of(finished) == "pt"


def test_portuguese_text_turns_an_english_conversation_portuguese(client) -> None:
    r = client.post("/api/v1/conversations", files=photo_file(), headers={"Accept-Language": "en"})
    assert r.json()["locale"] == "en"
    key = r.json()["id"]
    m = client.post(f"/api/v1/conversations/{key}/messages", json={"text": "Posso pôr protetor solar em cima da mancha?"})
    assert m.json()["locale"] == "pt"
    assert language_of(events_of(m.json(), "text_finished")[0]["markdown"]) == "pt"


def test_the_locale_field_is_a_choice_that_sticks(client) -> None:
    r = client.post("/api/v1/conversations", json={"text": "Hello, how do I check my skin?", "locale": "de"})
    assert r.status_code == 200 and r.json()["locale"] == "de"
    key = r.json()["id"]
    m = client.post(f"/api/v1/conversations/{key}/messages", json={"text": "What does urgency mean for me?"})
    assert m.json()["locale"] == "de", "an explicit choice outranks the detector"
    bad = client.post(f"/api/v1/conversations/{key}/messages", json={"text": "hi", "locale": "klingon"})
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "bad_locale"


def test_an_unsupported_language_gets_english_and_one_sentence_saying_so(client) -> None:
    r = client.post("/api/v1/conversations", json={"text": "How do I check my skin?"}, headers={"Accept-Language": "nl-NL"})
    notices = [e["markdown"] for e in events_of(r.json(), "notice")]
    assert notices[0] == t("chat.english_only_locale", asked="nl") and "Dutch" in notices[0]
    again = client.post(f"/api/v1/conversations/{r.json()['id']}/messages", json={"text": "How do I check my skin?"})
    assert not [e for e in events_of(again.json(), "notice") if "Dutch" in e["markdown"]], "said once"


def test_errors_meant_for_patients_follow_accept_language(client) -> None:
    r = client.post("/api/v1/conversations/nope/messages", json={"text": "hi"}, headers={"Accept-Language": "fr-FR"})
    assert r.status_code == 404 and r.json()["error"] == {"code": "not_found", "message": t("api.not_found", "fr")}
    bad = client.post("/api/v1/predict", files={"file": ("x.txt", b"hello", "text/plain")}, headers={"Accept-Language": "it"})
    assert bad.status_code == 422 and language_of(bad.json()["error"]["message"]) == "it"


def test_predict_and_interpret_words_follow_accept_language(client) -> None:
    p = client.post("/api/v1/predict", files=photo_file(), headers={"Accept-Language": "es-MX"})
    result = p.json()
    assert result["display_name"] == t(f"lesion_name.{result['dx']}", "es")
    en = client.post("/api/v1/predict", files=photo_file()).json()
    assert en["probabilities"] == result["probabilities"], "only the words change"
    report = client.post("/api/v1/interpret", json=en, headers={"Accept-Language": "es"}).json()
    assert language_of(report["markdown"]) == "es"


def test_the_browsers_words_come_from_the_catalogue(client) -> None:
    body = client.get("/api/v1/ui-texts", params={"locale": "de-AT"}).json()
    assert body["locale"] == "de"
    assert set(body["texts"]) == {"wrong_type", "too_many", "too_large", "connecting", "layout_floating", "layout_sidebar"}
    assert body["texts"]["too_many"] == t("browser.too_many", "de")
    assert client.get("/api/v1/ui-texts", headers={"Accept-Language": "nl"}).json()["locale"] == "en"
