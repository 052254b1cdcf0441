"""The staff page at /staff: SQLAdmin over the case database, behind a login whose password is a staff key
(STAFF_API_KEYS; the name is only shown). Cases are listed by urgency, then newest; a case shows its photo,
heat-map, report and contact; staff set its status and note, or delete it. Every page read and change is
written to the audit table. Without a valid, unexpired login every page answers 401 with the login form."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import logging
import time
from pathlib import Path
from typing import Any

from markdown_it import MarkdownIt
from markupsafe import Markup, escape
from sqladmin import Admin, ModelView
from sqladmin.authentication import AuthenticationBackend
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from wtforms import SelectField

from assistant.clinic.models import STATUSES, AuditEntry, Case
from assistant.clinic.store import CaseStore
from assistant.edges.api.cases import Clinic, key_matches, staff_actor_for_key, stored_analysis
from assistant.report.pdf import analysis_pdf
from tools.text import render, t, term

log = logging.getLogger(__name__)
BASE_URL = "/staff"
# SQLAdmin's templates where they miss WCAG 2.1 AA (lang, labels, list markup, contrast); the rest are its own.
TEMPLATES = Path(__file__).with_name("staff_templates")
_MARKDOWN = MarkdownIt("commonmark", {"html": False})  # a report's Markdown, raw HTML off


def _picture(data: bytes, alt: str) -> Markup:
    mime = "image/png" if data.startswith(b"\x89PNG") else "image/jpeg"
    return Markup('<figure><img src="data:{};base64,{}" alt="{}" style="max-width:320px"><figcaption>{}'
                  "</figcaption></figure>").format(mime, base64.b64encode(data).decode(), alt, alt)


def _pdf_link(case: Case) -> Markup:
    # Behind the page's own login (StaffAdmin.case_pdf): the staff API's route wants a key the browser lacks.
    return Markup('<p><a href="{}/case/{}/report.pdf" download="{}.pdf">{}</a></p>').format(
        BASE_URL, case.id, case.reference, _word("report_pdf", CaseView.staff_locale))


class CaseView(ModelView, model=Case):
    identity = "case"
    icon = "fa-solid fa-notes-medical"
    can_create = False
    can_export = False
    column_list = [Case.reference, Case.created_at, Case.urgency, Case.status, Case.top_class, Case.name, Case.contact]
    column_default_sort = [(Case.urgency_rank, False), (Case.created_at, True)]
    column_sortable_list = [Case.created_at, Case.urgency_rank, Case.status]
    column_details_list = [Case.reference, Case.created_at, Case.urgency, Case.status, Case.top_class, Case.locale,
                           Case.name, Case.contact, Case.message, Case.staff_note, Case.analysis, Case.conversation]
    form_columns = [Case.status, Case.staff_note]
    form_overrides = {"status": SelectField}
    form_args = {"status": {"choices": [(s, s) for s in STATUSES]}}
    column_formatters_detail = {
        # The photo and heat-map head the report's row (SQLAdmin shows a relationship as links, not pictures).
        Case.analysis: lambda m, a: _pdf_link(m) + Markup("").join(
            _picture(i.data, _word(i.kind, CaseView.staff_locale)) for i in m.images
        ) + Markup(_MARKDOWN.render(_report_markdown(m))),
        Case.conversation: lambda m, a: Markup("<br>").join(
            Markup("<b>{}</b>: {}").format(role, escape(text)) for role, text in (m.conversation or [])),
    }
    staff_locale = "en"


class AuditView(ModelView, model=AuditEntry):
    identity = "audit-entry"
    icon = "fa-solid fa-list-check"
    can_create = can_edit = can_delete = can_export = False
    column_list = [AuditEntry.at, AuditEntry.actor, AuditEntry.action, AuditEntry.case_id, AuditEntry.detail]
    column_default_sort = [(AuditEntry.id, True)]


def _report_markdown(case: Case) -> str:
    report = stored_analysis(case).report
    return report.markdown if report is not None else ""


# The page's labels (catalogue clinic.staff.<label>): every one the page may name, for the catalogue test.
STAFF_LABELS = ("title", "case", "cases", "audit", "reference", "created_at", "urgency", "status", "top_class",
                "locale", "name", "contact", "message", "staff_note", "photo", "heatmap", "report", "report_pdf",
                "conversation", "at", "actor", "action", "detail", "login_title", "username", "password", "login")


def _word(label: str, locale: str) -> str:
    return render(term("clinic.staff", label), locale)


def _label(view: type[ModelView], locale: str, singular: str, plural: str, columns: list[str]) -> None:
    view.name, view.name_plural = _word(singular, locale), _word(plural, locale)
    view.column_labels = {c: _word(c, locale) for c in columns}


class StaffLogin(AuthenticationBackend):
    """A session cookie, signed with a secret derived from the staff keys (replicas share it; changing the
    keys ends every login), holding the key's fingerprint and the login time."""

    def __init__(self, clinic: Clinic) -> None:
        self.clinic, self.admin = clinic, None
        s = clinic.settings
        secret = hashlib.sha256(("ham10k-staff-session\n" + "\n".join(sorted(s.staff_api_keys))).encode()).hexdigest()
        super().__init__(secret_key=secret, session_cookie="ham10k_staff", path=BASE_URL, same_site="strict",
                         max_age=s.staff_session_minutes * 60)

    async def _login_page(self, request: Request, error: str | None = None) -> Response:
        context = {"error": error} if error else {}
        return await self.admin.templates.TemplateResponse(request, "sqladmin/login.html", context, status_code=401)

    async def login(self, request: Request) -> Response | bool:
        form = await request.form()
        settings = self.clinic.settings
        key = str(form.get("password") or "")
        if not key or not key_matches(key, settings.staff_api_keys):
            log.warning("staff page: a login was refused")
            return await self._login_page(request, t("clinic.staff_bad_key", settings.staff_locale))
        request.session.update({"staff": staff_actor_for_key(key, settings), "at": time.time()})
        self.clinic.store().record(request.session["staff"], "login")
        return True

    async def logout(self, request: Request) -> Response | bool:
        request.session.clear()
        return False

    def actor(self, request: Request) -> str | None:
        """The logged-in staff member's fingerprint while the login is valid: not expired, and its key still
        among STAFF_API_KEYS."""
        s = self.clinic.settings
        who, at = request.session.get("staff"), request.session.get("at")
        if not s.staff_api_keys or not isinstance(who, str) or not isinstance(at, (int, float)):
            return None
        if time.time() - at > s.staff_session_minutes * 60:
            return None
        current = {"staff:" + hashlib.sha256(k.encode()).hexdigest()[:12] for k in s.staff_api_keys}
        return who if who in current else None

    async def authenticate(self, request: Request) -> Response | bool:
        if self.actor(request) is None:
            request.session.clear()
            return await self._login_page(request)
        return True


class StaffAdmin(Admin):
    """SQLAdmin with an audit row for every page read and change (who: the login's key fingerprint)."""

    clinic: Clinic
    login_backend: StaffLogin

    def _record(self, request: Request, action: str) -> None:
        who = self.login_backend.actor(request)
        if who is None:
            return  # refused before any read; nothing was shown
        identity = request.path_params.get("identity", "")
        pk = request.path_params.get("pk") or request.query_params.get("pks")
        case_id = pk if identity == "case" else None
        self.clinic.store().record(who, action, case_id, f"page:{identity}")

    async def index(self, request: Request) -> Response:
        # The first page after login is the case list.
        if self.login_backend.actor(request) is None:
            return await self.login_backend._login_page(request)
        return await super().index(request)

    async def list(self, request: Request) -> Response:
        response = await super().list(request)
        self._record(request, "list")
        return response

    async def details(self, request: Request) -> Response:
        response = await super().details(request)
        self._record(request, "read")
        return response

    async def edit(self, request: Request) -> Response:
        response = await super().edit(request)
        self._record(request, "update" if request.method == "POST" else "read")
        return response

    async def case_pdf(self, request: Request) -> Response:
        """A case's report PDF for the logged-in staff (audited as the API's "report"); no login: the form."""
        who = self.login_backend.actor(request)
        if who is None:
            return await self.login_backend._login_page(request)
        case = await self.clinic.run(CaseStore.get, request.path_params["pk"], who, "report")
        if case is None:
            raise HTTPException(404)
        pdf = await asyncio.to_thread(analysis_pdf, stored_analysis(case), case.analysis["number"])
        return Response(pdf, media_type="application/pdf",
                        headers={"Content-Disposition": f'attachment; filename="{case.reference}.pdf"'})

    async def delete(self, request: Request) -> Response:
        self._record(request, "delete")  # before: afterwards the case is gone, its id with it
        return await super().delete(request)


def mount_staff_page(app: Any, clinic: Clinic) -> StaffAdmin | None:
    """SQLAdmin at /staff, when staff keys are set and the store opens; else nothing (no page, no door)."""
    settings = clinic.settings
    if not settings.staff_api_keys:
        return None
    try:
        store = clinic.store()
    except Exception:
        log.exception("staff page not mounted: the case database could not be opened")
        return None
    locale = settings.staff_locale
    CaseView.staff_locale = locale
    _label(CaseView, locale, "case", "cases", ["reference", "created_at", "urgency", "status", "top_class", "locale",
                                                "name", "contact", "message", "staff_note", "conversation"])
    CaseView.column_labels["analysis"] = " · ".join(_word(k, locale) for k in ("photo", "heatmap", "report"))
    _label(AuditView, locale, "audit", "audit", ["at", "actor", "action", "detail"])
    AuditView.column_labels["case_id"] = t("clinic.staff.case", locale)
    backend = StaffLogin(clinic)
    admin = StaffAdmin(app, session_maker=store.sessions, base_url=BASE_URL, title=t("clinic.staff.title", locale),
                       authentication_backend=backend, templates_dir=str(TEMPLATES))
    admin.templates.env.globals.update(staff_lang=locale, staff_words={
        w: _word(w, locale) for w in ("login_title", "username", "password", "login")})
    admin.clinic, admin.login_backend, backend.admin = clinic, backend, admin
    # First, so that SQLAdmin's catch-all "/{identity}/{pk}/..." routes never take it.
    admin.admin.router.routes.insert(0, Route("/case/{pk}/report.pdf", admin.case_pdf, name="case_pdf"))
    admin.add_view(CaseView)
    admin.add_view(AuditView)
    return admin
