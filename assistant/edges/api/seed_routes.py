"""The seed's own routes, kept for its clients: `/predict`, `/interpret` and `/analyze`, with its field names
(assistant/edges/api/seed.py converts), behind the same key, limits and errors as /api/v1."""

from __future__ import annotations

from fastapi import APIRouter, Request
from pydantic import ValidationError

from assistant.core import metrics
from assistant.core.runtime import active_profile
from assistant.edges.api import seed
from assistant.edges.api.errors import ApiError
from assistant.edges.api.requests import JSON_OBJECT, image_form, request_locale
from assistant.edges.api.state import Api
from assistant.report.writer import build_report
from tools.result import ClassificationResult
from tools.text import msg

SEED_PATHS = ("/predict", "/interpret", "/analyze")


def add_seed_routes(router: APIRouter, api: Api) -> None:
    """The seed's three routes on `router` (the guarded one)."""

    async def seed_predict(request: Request, use_tta: bool) -> tuple[seed.SeedPrediction, ClassificationResult, bytes]:
        result, data, use_tta = await api.classify_upload(request, "use_tta", use_tta)
        if result.status != "ok":
            raise ApiError(422, "not_a_lesion", result.ood.refusal or msg("api.not_a_lesion"))
        return seed.to_seed(result, use_tta=use_tta, size_bytes=len(data)), result, data

    @router.post("/predict", tags=["seed"], openapi_extra=image_form("use_tta"), response_model=seed.SeedPrediction)
    async def seed_predict_route(request: Request, use_tta: bool = True) -> seed.SeedPrediction:
        """The seed's /predict: multipart `file`, form or query `use_tta`."""
        return (await seed_predict(request, use_tta))[0]

    @router.post("/interpret", tags=["seed"], openapi_extra=JSON_OBJECT, response_model=seed.SeedInterpretation)
    async def seed_interpret(request: Request) -> seed.SeedInterpretation:
        """The seed's /interpret: its /predict JSON in, the report out."""
        s = api.services()
        try:
            prediction = seed.SeedPrediction.model_validate(await request.json())
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first.get("loc", ())) or "body"
            raise ApiError(422, "bad_prediction", f"{where}: {first.get('msg', 'invalid')}"[:300]) from None
        except Exception:
            raise ApiError(422, "bad_json", msg("api.seed_body")) from None
        profile = active_profile(s.settings)
        result = seed.from_seed(prediction, profile.triage, profile.id)
        report = await build_report(result, None, s.llm, locale=request_locale(request).locale)
        metrics.record_report(report.source)
        return seed.SeedInterpretation(interpretation=report.markdown, report_source=report.source,
                                       sections=[x.model_dump(mode="json") for x in report.sections])

    @router.post("/analyze", tags=["seed"], openapi_extra=image_form("use_tta"), response_model=seed.SeedAnalysis)
    async def seed_analyze(request: Request, use_tta: bool = True) -> seed.SeedAnalysis:
        """The seed's /analyze: a file in, the /predict fields and the report out."""
        prediction, result, data = await seed_predict(request, use_tta)
        report = await build_report(result, data, api.services().llm, locale=request_locale(request).locale)
        metrics.record_report(report.source)
        return seed.SeedAnalysis(**prediction.model_dump(), interpretation=report.markdown,
                                 report_source=report.source)
