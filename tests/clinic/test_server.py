"""The real server (`ham10k serve`) on a SQLite file: a case sent through the API outlives a restart and is
returned whole to staff; SIGKILL in the middle of a hand-off leaves the whole case or none; DELETE erases."""

from __future__ import annotations

import json
import os
import signal
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.clinic.conftest import CONSENT, PATIENT_KEY, PHOTO, STAFF_KEY
from tests.servers import ham10k_server

pytestmark = pytest.mark.server
ASSETS = PHOTO.parent


def call(url: str, method: str = "GET", body: dict | bytes | None = None, headers: dict | None = None,
         content_type: str = "application/json") -> tuple[int, bytes]:
    data = json.dumps(body).encode() if isinstance(body, dict) else body
    request = urllib.request.Request(url, data=data, method=method,
                                     headers={**({"Content-Type": content_type} if data else {}), **(headers or {})})
    try:
        with urllib.request.urlopen(request, timeout=120) as reply:
            return reply.status, reply.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def conversation_with_photo(base: str, photo: Path, key: str = PATIENT_KEY) -> str:
    boundary = "ham10kboundary"
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"p.jpg\"\r\n"
            f"Content-Type: image/jpeg\r\n\r\n").encode() + photo.read_bytes() + f"\r\n--{boundary}--\r\n".encode()
    status, reply = call(f"{base}/api/v1/conversations", "POST", body, {"X-API-Key": key},
                         content_type=f"multipart/form-data; boundary={boundary}")
    assert status == 200, reply[:300]
    return json.loads(reply)["id"]


def server_env(database_url: str) -> dict[str, str]:
    return {"CLINIC_HANDOFF": "on", "DATABASE_URL": database_url, "STAFF_API_KEYS": STAFF_KEY,
            "API_KEYS": PATIENT_KEY, "LLM_BASE_URL": "http://127.0.0.1:9/v1", "SHOW_HEATMAP": "true"}


def staff_get(base: str, path: str, key: str | None = STAFF_KEY) -> tuple[int, bytes]:
    return call(f"{base}{path}", headers={"X-API-Key": key} if key else {})


def test_a_case_outlives_a_restart_and_a_kill(tmp_path: Path) -> None:
    env = server_env(f"sqlite:///{tmp_path / 'data' / 'cases.sqlite3'}")
    with ham10k_server(env, log_path=tmp_path / "first.log") as (base, proc):
        key = conversation_with_photo(base, PHOTO)
        status, sent = call(f"{base}/api/v1/conversations/{key}/handoff", "POST", CONSENT,
                            {"X-API-Key": PATIENT_KEY, "Idempotency-Key": "retry-1"})
        assert status == 201, sent
        case = json.loads(sent)
        again = call(f"{base}/api/v1/conversations/{key}/handoff", "POST", CONSENT,
                     {"X-API-Key": PATIENT_KEY, "Idempotency-Key": "retry-1"})
        assert again[0] == 200 and json.loads(again[1]) == case
        # A second photo's hand-off, with the server killed while it runs.
        other = conversation_with_photo(base, sorted(ASSETS.glob("ISIC_*.jpg"))[0])
        thread = threading.Thread(target=call, args=(f"{base}/api/v1/conversations/{other}/handoff", "POST",
                                                     {**CONSENT, "contact": "+33 6 12 34 56 78"},
                                                     {"X-API-Key": PATIENT_KEY}), daemon=True)
        thread.start()
        time.sleep(0.05)
        os.kill(proc.pid, signal.SIGKILL)
        thread.join(5)
    log = (tmp_path / "first.log").read_text(errors="replace")
    assert "ada@example.org" not in log and "Ada Lovelace" not in log and "Please call me" not in log

    with ham10k_server(env, log_path=tmp_path / "second.log") as (base, _):
        for headers_key, expected in ((None, 401), (PATIENT_KEY, 403), ("nope", 401)):
            assert staff_get(base, "/api/v1/cases", headers_key)[0] == expected
            assert staff_get(base, f"/api/v1/cases/{case['case_id']}", headers_key)[0] == expected
        assert call(f"{base}/staff/case/list")[0] == 401
        status, listed = staff_get(base, "/api/v1/cases")
        cases = json.loads(listed)
        assert status == 200 and case["case_id"] in [c["id"] for c in cases] and len(cases) in (1, 2)
        for summary in cases:  # the killed hand-off: the whole case, or none
            detail = json.loads(staff_get(base, f"/api/v1/cases/{summary['id']}")[1])
            assert detail["photo_base64"] and detail["heatmap_png_base64"] and detail["report"]["sections"]
        detail = json.loads(staff_get(base, f"/api/v1/cases/{case['case_id']}")[1])
        assert detail["contact"] == "ada@example.org" and detail["reference"] == case["reference"]
        assert detail["result"]["probabilities"] and len(detail["report"]["sections"]) == 9
        status, pdf = staff_get(base, f"/api/v1/cases/{case['case_id']}/report.pdf")
        assert status == 200 and pdf.startswith(b"%PDF")
        assert call(f"{base}/api/v1/cases/{case['case_id']}", "DELETE", headers={"X-API-Key": STAFF_KEY})[0] == 204
        assert staff_get(base, f"/api/v1/cases/{case['case_id']}")[0] == 404
