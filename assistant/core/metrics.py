"""Every Prometheus metric of the app, in one dedicated registry (served at GET /metrics, read by tests).

Recorded from the orchestrator's events (`observe_event`), the API routes (`record_result`,
`record_report`), the LLM client (`llm_error`) and the Chainlit edge (`CHAT_SESSIONS`). Labels are
bounded sets (route templates, classes, tiers, sources, error kinds), never raw paths or text."""

from __future__ import annotations

from prometheus_client import CONTENT_TYPE_LATEST as CONTENT_TYPE  # noqa: N811
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

from assistant.core.events import ResultCard, TextFinished
from tools.result import ClassificationResult

REGISTRY = CollectorRegistry(auto_describe=True)

HTTP_REQUESTS = Counter("ham10k_http_requests", "HTTP requests by route template, method and status.",
                        ["route", "method", "status"], registry=REGISTRY)
HTTP_LATENCY = Histogram("ham10k_http_request_duration_seconds", "HTTP request latency by route template.",
                         ["route", "method"], registry=REGISTRY,
                         buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120))
ANALYSES = Counter("ham10k_analyses", "Photos classified as skin spots, by top class and urgency tier.",
                   ["top_class", "urgency"], registry=REGISTRY)
OOD_REFUSALS = Counter("ham10k_ood_refusals", "Photos refused as not a skin spot (out of distribution).",
                       registry=REGISTRY)
REPORTS = Counter("ham10k_reports", "Reports by who wrote them: model, standard or mixed.", ["source"],
                  registry=REGISTRY)
LLM_ERRORS = Counter("ham10k_llm_errors", "Failed LLM replies by error kind.", ["kind"], registry=REGISTRY)
FOLLOWUPS = Counter("ham10k_followups", "Follow-up questions by the route that decided them.", ["route"],
                    registry=REGISTRY)
CHAT_SESSIONS = Gauge("ham10k_chat_sessions_active", "Open Chainlit chat sessions.", registry=REGISTRY)


def observe_event(event: object) -> None:
    """Count what a conversation event says: an analysis, a report's source, a follow-up's route."""
    if isinstance(event, ResultCard):
        ANALYSES.labels(top_class=event.dx, urgency=event.tier).inc()
    elif isinstance(event, TextFinished):
        if event.route is None:  # a report (answers always carry their route)
            REPORTS.labels(source=event.source).inc()
        else:
            FOLLOWUPS.labels(route=event.route).inc()


def record_result(result: ClassificationResult) -> None:
    """A classification made outside a conversation (the API's predict / analyze)."""
    if result.status == "ok":
        ANALYSES.labels(top_class=result.dx, urgency=result.triage.tier).inc()
    else:
        OOD_REFUSALS.inc()


def record_report(source: str) -> None:
    REPORTS.labels(source=source).inc()


def ood_refusal() -> None:
    OOD_REFUSALS.inc()


def llm_error(kind: str) -> None:
    LLM_ERRORS.labels(kind=kind).inc()


def exposition() -> bytes:
    return generate_latest(REGISTRY)


__all__ = ["CONTENT_TYPE", "REGISTRY", "exposition", "observe_event", "record_result", "record_report",
           "ood_refusal", "llm_error"]
