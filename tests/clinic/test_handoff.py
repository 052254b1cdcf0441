"""The hand-off's decisions (consent, contact, idempotency) and the patient's routes, in process."""

from __future__ import annotations

import pytest

from assistant.clinic.handoff import HandoffRequest, contact_of, decide, idempotency_key, same_contact
from assistant.report.references import is_reference
from tests.clinic.conftest import CONSENT, analysis, patient, staff


@pytest.mark.parametrize("text, expected", [
    ("ada@example.org", ("email", "ada@example.org")), (" Ada@Example.ORG ", ("email", "Ada@example.org")),
    ("+33 6 12 34 56 78", ("phone", "+33612345678")), ("(030) 1234-5678", ("phone", "03012345678")),
    ("ada@", None), ("@example.org", None), ("ada@example", None), ("12345", None), ("call me", None),
    ("+1 234 567 890 123 456 7", None), ("ada@exa mple.org", None), ("", None),
])
def test_a_contact_is_an_email_or_a_phone(text, expected) -> None:
    assert contact_of(text) == expected


def test_decisions_come_in_order_and_as_codes() -> None:
    ok = HandoffRequest(**CONSENT)
    assert decide(ok, enabled=False, has_report=True) == "off"
    assert decide(ok.model_copy(update={"consent": False}), enabled=True, has_report=True) == "no_consent"
    assert decide(ok, enabled=True, has_report=False) == "no_report"
    assert decide(ok.model_copy(update={"name": " \x00 "}), enabled=True, has_report=True) == "bad_name"
    assert decide(ok.model_copy(update={"contact": "nope"}), enabled=True, has_report=True) == "bad_contact"
    assert decide(ok.model_copy(update={"message": "x" * 2001}), enabled=True, has_report=True) == "message_too_long"
    accepted = decide(ok.model_copy(update={"name": "  Ada\tLovelace\x07 "}), enabled=True, has_report=True)
    assert accepted.name == "Ada Lovelace" and accepted.contact_kind == "email"
    assert same_contact("+33612345678", "+33 6 12 34 56 78") and not same_contact("+33612345678", "+33612345679")
    assert idempotency_key(None, "c1") is None and idempotency_key("k", "c1") != idempotency_key("k", "c2")


def test_off_by_default_is_a_404(make_app) -> None:
    app = make_app(clinic_handoff=False)
    reply = app.client.post(f"/api/v1/conversations/{app.conversation()}/handoff", json=CONSENT, headers=patient())
    assert reply.status_code == 404 and reply.json()["error"]["code"] == "handoff_off"


def test_no_consent_no_case(make_app) -> None:
    app = make_app()
    key = app.conversation()
    for body in ({**CONSENT, "consent": False}, {k: v for k, v in CONSENT.items() if k != "consent"}):
        reply = app.client.post(f"/api/v1/conversations/{key}/handoff", json=body, headers=patient())
        assert reply.status_code == 422 and reply.json()["error"]["code"] == "no_consent"
    reply = app.client.post(f"/api/v1/conversations/{key}/handoff", json={**CONSENT, "contact": "x"}, headers=patient())
    assert reply.status_code == 422 and "e-mail" in reply.json()["error"]["message"]
    reply = app.client.post(f"/api/v1/conversations/{key}/handoff", content=b"[", headers=patient())
    assert reply.status_code == 422 and reply.json()["error"]["code"] == "bad_json"
    assert app.api.clinic.store().counts() == (0, 0)


def test_a_retry_makes_one_case(make_app) -> None:
    app = make_app()
    key = app.conversation()
    first = app.client.post(f"/api/v1/conversations/{key}/handoff", json=CONSENT, headers=patient())
    assert first.status_code == 201 and is_reference(first.json()["reference"])
    again = app.client.post(f"/api/v1/conversations/{key}/handoff", json=CONSENT, headers=patient())
    assert again.status_code == 200 and again.json() == first.json()
    # The same Idempotency-Key on another photo of the conversation: still the first case.
    other = app.conversation(analysis(), analysis("basal_cell_carcinoma"))
    a = app.client.post(f"/api/v1/conversations/{other}/handoff", json={**CONSENT, "image": 1},
                        headers=patient(**{"Idempotency-Key": "k1"}))
    b = app.client.post(f"/api/v1/conversations/{other}/handoff", json={**CONSENT, "image": 2},
                        headers=patient(**{"Idempotency-Key": "k1"}))
    assert a.status_code == 201 and b.status_code == 200 and a.json() == b.json()
    assert app.api.clinic.store().counts() == (2, 4)


def test_a_patient_withdraws_with_reference_and_contact(make_app) -> None:
    app = make_app()
    sent = app.client.post(f"/api/v1/conversations/{app.conversation()}/handoff",
                           json={**CONSENT, "contact": "+33 6 12 34 56 78"}, headers=patient()).json()
    wrong = app.client.post("/api/v1/cases/withdraw", json={"reference": sent["reference"], "contact": "+33612345670"},
                            headers=patient())
    assert wrong.status_code == 404
    right = app.client.post("/api/v1/cases/withdraw", json={"reference": sent["reference"].lower(),
                                                            "contact": "+33 612 345 678"}, headers=patient())
    assert right.status_code == 200 and right.json() == {"withdrawn": True}
    assert app.client.get(f"/api/v1/cases/{sent['case_id']}", headers=staff()).status_code == 404
    assert app.api.clinic.store().counts() == (0, 0)
    assert [e.action for e in app.api.clinic.store().audit(sent["case_id"])] == ["create", "withdraw"]
