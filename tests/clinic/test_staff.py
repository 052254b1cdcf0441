"""The staff side in process: every staff route and the /staff page refuse without a staff login; the API
lists, returns, changes and erases cases; every read and change is audited."""

from __future__ import annotations

import dataclasses
import time

import pytest
from pypdf import PdfReader

from tests.clinic.conftest import CONSENT, PATIENT_KEY, STAFF_KEY, analysis, patient, staff

ROUTES = [("get", "/api/v1/cases"), ("get", "/api/v1/cases/{id}"), ("get", "/api/v1/cases/{id}/report.pdf"),
          ("patch", "/api/v1/cases/{id}"), ("delete", "/api/v1/cases/{id}")]


def send(app, *analyses, **extra) -> dict:
    reply = app.client.post(f"/api/v1/conversations/{app.conversation(*analyses)}/handoff",
                            json={**CONSENT, **extra}, headers=patient())
    assert reply.status_code == 201, reply.text
    return reply.json()


@pytest.mark.parametrize("headers, status", [
    ({}, 401), (patient(), 403), ({"X-API-Key": PATIENT_KEY}, 403), (staff("wrong"), 401),
    ({"Authorization": "Basic " + STAFF_KEY}, 401)])
def test_every_staff_route_refuses_without_a_staff_key(make_app, headers, status) -> None:
    app = make_app()
    case_id = send(app)["case_id"]
    for method, path in ROUTES:
        reply = app.client.request(method, path.format(id=case_id), headers=headers, json={"status": "closed"})
        assert reply.status_code == status, (method, path, reply.text)
        assert "error" in reply.json()
    assert app.client.get(f"/api/v1/cases/{case_id}", headers=staff()).status_code == 200


def test_no_staff_keys_means_no_staff_access(make_app) -> None:
    app = make_app(staff_api_keys=[])
    assert app.client.get("/api/v1/cases", headers=staff()).status_code == 401
    assert app.client.get("/staff/").status_code == 404 or "ham10k_staff" not in app.client.get("/staff/").headers.get(
        "set-cookie", "")


def test_staff_list_get_pdf_patch_delete(make_app) -> None:
    app = make_app()
    low = send(app, analysis("melanocytic_nevi"))
    high = send(app, analysis("melanoma", locale="fr"), include_conversation=False)
    listed = app.client.get("/api/v1/cases", headers=staff()).json()
    assert [c["id"] for c in listed] == [high["case_id"], low["case_id"]]  # newest first
    urgent = {c["urgency"] for c in listed if c["id"] == high["case_id"]}
    only = app.client.get("/api/v1/cases", params={"urgency": urgent.pop()}, headers=staff()).json()
    assert high["case_id"] in [c["id"] for c in only] and low["case_id"] not in [c["id"] for c in only]
    case = app.client.get(f"/api/v1/cases/{low['case_id']}", headers=staff()).json()
    assert case["contact"] == "ada@example.org" and case["name"] == "Ada Lovelace"
    assert case["result"]["label"] == "melanocytic_nevi" and case["report"]["sections"] and case["report_markdown"]
    assert case["photo_base64"] and case["heatmap_png_base64"] and case["message"] == "Please call me."
    assert case["conversation"] == [["user", "what does it show?"], ["assistant", "a report"]]
    assert app.client.get(f"/api/v1/cases/{high['case_id']}", headers=staff()).json()["conversation"] is None
    pdf = app.client.get(f"/api/v1/cases/{high['case_id']}/report.pdf", headers=staff())
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    text = "".join(p.extract_text() for p in PdfReader(__import__("io").BytesIO(pdf.content)).pages)
    assert high["reference"] in text and "diagnostic" in text.lower()  # French: the case's own language
    patched = app.client.patch(f"/api/v1/cases/{low['case_id']}", json={"status": "contacted", "staff_note": "rang"},
                               headers=staff())
    assert patched.status_code == 200 and patched.json()["status"] == "contacted"
    assert app.client.patch(f"/api/v1/cases/{low['case_id']}", json={"status": "lost"}, headers=staff()).status_code == 422
    contacted = app.client.get("/api/v1/cases", params={"status": "contacted"}, headers=staff()).json()
    assert [c["id"] for c in contacted] == [low["case_id"]]
    assert app.client.delete(f"/api/v1/cases/{low['case_id']}", headers=staff()).status_code == 204
    for method, path in ROUTES[1:]:
        assert app.client.request(method, path.format(id=low["case_id"]), headers=staff(),
                                  json={}).status_code == 404
    assert app.api.clinic.store().counts() == (1, 2)
    actions = [(e.actor.split(":")[0], e.action) for e in app.api.clinic.store().audit(low["case_id"])]
    assert actions == [("patient", "create"), ("staff", "read"), ("staff", "update"), ("staff", "delete")]
    assert all(STAFF_KEY not in e.actor and "ada" not in (e.detail or "") for e in app.api.clinic.store().audit())


def login(client, key: str):
    return client.post("/staff/login", data={"username": "nurse", "password": key}, follow_redirects=False)


def test_the_staff_page_needs_a_valid_unexpired_login(make_app, monkeypatch) -> None:
    app = make_app()
    sent = send(app)
    pages = ["/staff/", "/staff/case/list", f"/staff/case/details/{sent['case_id']}", f"/staff/case/edit/{sent['case_id']}",
             "/staff/audit-entry/list"]
    for page in pages:
        reply = app.client.get(page, follow_redirects=False)
        assert reply.status_code == 401 and "Ada" not in reply.text, page
    for key in ("wrong", PATIENT_KEY, ""):
        assert login(app.client, key).status_code == 401
        assert app.client.get("/staff/case/list", follow_redirects=False).status_code == 401
    assert login(app.client, STAFF_KEY).status_code == 302
    listed = app.client.get("/staff/case/list")
    assert listed.status_code == 200 and sent["reference"] in listed.text and "ada@example.org" in listed.text
    details = app.client.get(f"/staff/case/details/{sent['case_id']}")
    assert details.status_code == 200 and "data:image/jpeg;base64," in details.text and "data:image/png" in details.text
    edit = app.client.post(f"/staff/case/edit/{sent['case_id']}", data={"status": "closed", "staff_note": "done"},
                           follow_redirects=False)
    assert edit.status_code in (302, 303), edit.text[:500]
    assert app.client.get(f"/api/v1/cases/{sent['case_id']}", headers=staff()).json()["status"] == "closed"
    # An expired login is refused again.
    real = time.time
    monkeypatch.setattr(time, "time", lambda: real() + 61 * 60)
    assert app.client.get("/staff/case/list", follow_redirects=False).status_code == 401
    monkeypatch.setattr(time, "time", real)
    assert login(app.client, STAFF_KEY).status_code == 302
    deleted = app.client.delete(f"/staff/case/delete?pks={sent['case_id']}", follow_redirects=False)
    assert deleted.status_code in (200, 302, 303), deleted.text[:300]
    assert app.client.get(f"/api/v1/cases/{sent['case_id']}", headers=staff()).status_code == 404
    actions = [e.action for e in app.api.clinic.store().audit() if e.actor.startswith("staff")]
    assert {"login", "list", "read", "update", "delete"} <= set(actions)


def test_a_changed_staff_key_ends_the_login(make_app) -> None:
    app = make_app()
    assert login(app.client, STAFF_KEY).status_code == 302
    assert app.client.get("/staff/case/list").status_code == 200
    app.services = dataclasses.replace(app.services, settings=app.services.settings.model_copy(
        update={"staff_api_keys": ["another-key"]}))
    assert app.client.get("/staff/case/list", follow_redirects=False).status_code == 401


def test_the_staff_page_links_a_cases_pdf_for_logged_in_staff_only(make_app) -> None:
    """The detail page's link gives logged-in staff the case's PDF; without a login (or with a patient's key
    as a header) it is the login form, never the PDF; each download is audited."""
    app = make_app()
    sent = send(app, analysis("melanoma", locale="fr"))
    link = f"/staff/case/{sent['case_id']}/report.pdf"
    for headers in ({}, patient(), staff()):  # the page's route takes no API key: only its own login
        refused = app.client.get(link, headers=headers, follow_redirects=False)
        assert refused.status_code == 401 and not refused.content.startswith(b"%PDF"), headers
    assert login(app.client, "wrong").status_code == 401
    assert app.client.get(link, follow_redirects=False).status_code == 401
    assert login(app.client, STAFF_KEY).status_code == 302
    details = app.client.get(f"/staff/case/details/{sent['case_id']}")
    assert f'href="{link}"' in details.text
    pdf = app.client.get(link)
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    text = "".join(p.extract_text() for p in PdfReader(__import__("io").BytesIO(pdf.content)).pages)
    assert sent["reference"] in text and "diagnostic" in text.lower()  # the case's own PDF, in its language
    assert app.client.get("/staff/case/nope/report.pdf").status_code == 404
    actions = [e.action for e in app.api.clinic.store().audit(sent["case_id"]) if e.actor.startswith("staff")]
    assert "report" in actions
