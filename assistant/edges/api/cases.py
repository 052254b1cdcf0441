"""The clinic's HTTP side: the patient's hand-off and withdrawal (behind API_KEYS, like the conversation they
come from), and the staff's case routes (behind STAFF_API_KEYS only: a patient's key gets 403). Mounted by
`server.mount`; the staff page is `staff_page.py`. Nothing here logs a name, a contact, a message or an image."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import logging
import threading
from datetime import datetime, timezone
from typing import Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field, ValidationError

from assistant.clinic.handoff import Accepted, HandoffRequest, decide, idempotency_key, same_contact
from assistant.clinic.models import STATUSES, Case
from assistant.clinic.retention import Retention
from assistant.clinic.store import CaseDraft, CaseFields, CaseStore
from assistant.core.settings import Settings
from assistant.edges.api.conversations import reported
from assistant.edges.api.errors import ApiError
from assistant.edges.api.limits import presented_key
from assistant.report.model import Analysis
from assistant.report.pdf import analysis_pdf
from tools.text import msg, term

log = logging.getLogger(__name__)
_WWW = {"WWW-Authenticate": "Bearer"}


class Clinic:
    """The case store, opened once per process (migrations run then), and its retention."""

    def __init__(self, settings_of) -> None:
        self._settings_of, self._lock = settings_of, threading.Lock()
        self._store: CaseStore | None = None
        self.retention: Retention | None = None

    @property
    def settings(self) -> Settings:
        return self._settings_of()

    @property
    def wanted(self) -> bool:
        return self.settings.clinic_handoff or bool(self.settings.staff_api_keys)

    def store(self) -> CaseStore:
        """The open store (opened now when it is not yet); purges expired cases at most every ten minutes."""
        with self._lock:
            if self._store is None:
                s = self.settings
                self._store = CaseStore(s.case_database_url)
                self.retention = Retention(self._store, s.case_retention_days)
                log.info("case database ready (%s)", self._store.engine.url.render_as_string(hide_password=True))
        assert self.retention is not None
        self.retention.maybe_purge()
        return self._store

    async def run(self, work, *args, **kwargs):
        """`work(store, ...)` in a thread: the store is synchronous SQLAlchemy."""
        return await asyncio.to_thread(lambda: work(self.store(), *args, **kwargs))


def key_matches(key: str, keys: list[str]) -> bool:
    return any(hmac.compare_digest(key.encode(), k.encode()) for k in keys)


def staff_actor_for_key(key: str | None, settings: Settings) -> str:
    """'staff:<fingerprint>' for a staff key; 401 for none or a wrong one, 403 for a patient's key.
    No staff keys configured: nobody is staff."""
    if not settings.staff_api_keys:
        raise ApiError(401, "unauthorized", msg("clinic.staff_off"), headers=_WWW)
    if key is None:
        raise ApiError(401, "unauthorized", msg("clinic.staff_no_key"), headers=_WWW)
    if key_matches(key, settings.staff_api_keys):
        return "staff:" + hashlib.sha256(key.encode()).hexdigest()[:12]  # never the key itself
    if key_matches(key, settings.api_keys):
        raise ApiError(403, "forbidden", msg("clinic.staff_forbidden"))
    raise ApiError(401, "unauthorized", msg("clinic.staff_bad_key"), headers=_WWW)


# ------------------------------------------------------------ shapes


class CaseSummary(CaseFields):
    id: str
    created_at: datetime
    status: str


class CaseDetail(CaseSummary):
    updated_at: datetime
    message: str | None
    staff_note: str | None
    image_number: int
    result: dict
    report: dict | None
    report_markdown: str | None
    conversation: list | None
    photo_base64: str | None
    heatmap_png_base64: str | None


class CasePatch(BaseModel):
    status: Literal["new", "contacted", "closed"] | None = None
    staff_note: str | None = Field(None, max_length=5000)


class Withdrawal(BaseModel):
    reference: str = Field(max_length=40)
    contact: str = Field(max_length=400)


def _utc(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)  # SQLite gives naive UTC back


def summary(case: Case) -> CaseSummary:
    return CaseSummary(id=case.id, reference=case.reference, created_at=_utc(case.created_at), status=case.status,
                       urgency=case.urgency, top_class=case.top_class, locale=case.locale, name=case.name,
                       contact=case.contact, contact_kind=case.contact_kind)


def stored_analysis(case: Case) -> Analysis:
    """The case's Analysis again, with its photo and heat-map: what its PDF is made from."""
    return Analysis.model_validate({**case.analysis["analysis"], "photo": case.image("photo"),
                                    "heatmap_png": case.image("heatmap")})


def detail(case: Case) -> CaseDetail:
    analysis = stored_analysis(case)
    photo, heatmap = case.image("photo"), case.image("heatmap")
    return CaseDetail(
        **summary(case).model_dump(), updated_at=_utc(case.updated_at), message=case.message,
        staff_note=case.staff_note, image_number=case.analysis["number"], result=case.analysis["analysis"]["result"],
        report=case.analysis["analysis"].get("report"),
        report_markdown=analysis.report.markdown if analysis.report else None, conversation=case.conversation,
        photo_base64=base64.b64encode(photo).decode() if photo else None,
        heatmap_png_base64=base64.b64encode(heatmap).decode() if heatmap else None)


def draft_of(number: int, analysis: Analysis, accepted: Accepted, history: list, key: str | None) -> CaseDraft:
    return CaseDraft(
        reference=analysis.reference, idempotency_key=key, urgency=analysis.result.triage.tier,
        top_class=analysis.result.label, locale=analysis.locale, name=accepted.name, contact=accepted.contact,
        contact_kind=accepted.contact_kind, message=accepted.message,
        analysis={"number": number, "analysis": analysis.model_dump(mode="json", exclude={"photo", "heatmap_png"})},
        conversation=[list(m) for m in history] if accepted.include_conversation else None,
        photo=analysis.photo, heatmap=analysis.heatmap_png)


def refusal(code: str) -> ApiError:
    status = 404 if code in ("off", "no_report") else 422
    return ApiError(status, "handoff_off" if code == "off" else code, term("clinic.refused", code))


# ------------------------------------------------------------ routes


def clinic_router(api: Any, clinic: Clinic) -> APIRouter:
    router = APIRouter(tags=["clinic"])
    patient = APIRouter(dependencies=[Depends(api.guard)])

    async def staff(request: Request) -> str:
        return staff_actor_for_key(presented_key(request), api.settings())

    staffed = APIRouter(dependencies=[Depends(staff)])

    @patient.post("/api/v1/conversations/{key}/handoff", status_code=201)
    async def handoff(key: str, request: Request) -> JSONResponse:
        """Sends a reported photo to the clinic with the patient's consent; 201 `{"case_id", "reference"}`,
        200 with the same for a retry (the `Idempotency-Key` header, or the same conversation and photo)."""
        settings = api.settings()
        if not settings.clinic_handoff:
            raise refusal("off")
        try:
            body = HandoffRequest.model_validate_json(await request.body() or b"{}")
        except ValidationError:
            raise ApiError(422, "bad_json", msg("clinic.bad_body")) from None
        conversation = api.store.get(key)
        try:
            number, analysis = reported(conversation, body.image)
        except ApiError:
            if body.image is not None:
                raise
            number, analysis = 0, None
        verdict = decide(body, enabled=True, has_report=analysis is not None)
        if isinstance(verdict, str):
            raise refusal(verdict)
        draft = draft_of(number, analysis, verdict, list(conversation.history),
                         idempotency_key(request.headers.get("idempotency-key"), key))
        case, created = await clinic.run(CaseStore.create, draft)
        log.info("hand-off: case %s %s (%s)", case.id, "stored" if created else "already stored", case.urgency)
        return JSONResponse({"case_id": case.id, "reference": case.reference}, status_code=201 if created else 200)

    @patient.post("/api/v1/cases/withdraw")
    async def withdraw(body: Withdrawal) -> dict:
        """Erases the case with this reference number when the contact matches the one given with it."""
        erased = await clinic.run(CaseStore.withdraw, body.reference, lambda stored: same_contact(stored, body.contact))
        if not erased:
            raise ApiError(404, "not_found", msg("clinic.withdraw_refused"))
        log.info("withdrawal: a case was erased at the patient's request")
        return {"withdrawn": True}

    @staffed.get("/api/v1/cases", response_model=list[CaseSummary])
    async def list_cases(actor: str = Depends(staff), status: Literal["new", "contacted", "closed"] | None = None,
                         urgency: Literal["low", "moderate", "high", "urgent"] | None = None,
                         limit: int = Query(100, ge=1, le=500), offset: int = Query(0, ge=0)) -> list[CaseSummary]:
        """Newest first; `?status=` and `?urgency=` filter."""
        cases = await clinic.run(CaseStore.list, actor, status=status, urgency=urgency, limit=limit, offset=offset)
        return [summary(c) for c in cases]

    async def one(actor: str, case_id: str, action: str) -> Case:
        case = await clinic.run(CaseStore.get, case_id, actor, action)
        if case is None:
            raise ApiError(404, "not_found", msg("clinic.no_case"))
        return case

    @staffed.get("/api/v1/cases/{case_id}", response_model=CaseDetail)
    async def get_case(case_id: str, actor: str = Depends(staff)) -> CaseDetail:
        """Everything stored: result, report, contact, message, conversation (when sent), photo and heat-map."""
        return detail(await one(actor, case_id, "read"))

    @staffed.get("/api/v1/cases/{case_id}/report.pdf", response_class=Response)
    async def case_pdf(case_id: str, actor: str = Depends(staff)) -> Response:
        case = await one(actor, case_id, "report")
        pdf = await asyncio.to_thread(analysis_pdf, stored_analysis(case), case.analysis["number"])
        return Response(pdf, media_type="application/pdf",
                        headers={"Content-Disposition": f'inline; filename="{case.reference}.pdf"'})

    @staffed.patch("/api/v1/cases/{case_id}", response_model=CaseDetail)
    async def patch_case(case_id: str, body: CasePatch, actor: str = Depends(staff)) -> CaseDetail:
        """Status (new, contacted, closed) and a staff note."""
        assert body.status is None or body.status in STATUSES
        case = await clinic.run(CaseStore.update, case_id, actor, status=body.status,
                                note=body.staff_note)
        if case is None:
            raise ApiError(404, "not_found", msg("clinic.no_case"))
        return detail(case)

    @staffed.delete("/api/v1/cases/{case_id}", status_code=204)
    async def delete_case(case_id: str, actor: str = Depends(staff)) -> Response:
        """Erases the case and its images; afterwards it is a 404."""
        if not await clinic.run(CaseStore.delete, case_id, actor):
            raise ApiError(404, "not_found", msg("clinic.no_case"))
        return Response(status_code=204)

    router.include_router(patient)
    router.include_router(staffed)
    return router

