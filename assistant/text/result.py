"""A classification result as words: the facts every template may say about it (report prompt, standard
report, follow-up answers), with numbers and lists written for the locale, and `worded`: the result with
its own texts (name, description, urgency, reasons) in a locale, from the codes it carries."""

from __future__ import annotations

from tools.catalogue import catalogue
from tools.result import ClassificationResult
from tools.text import DEFAULT_LOCALE, fill, render, t, term

UNDER_ONE_PERCENT = 0.005  # below this a share reads "under 1%": "0%" would sound like "impossible"


def percent(p: float, locale: str = DEFAULT_LOCALE) -> str:
    return t("result.under_one_percent", locale) if p < UNDER_ONE_PERCENT else t("result.percent", locale, p=p)


def worded(result: ClassificationResult, locale: str = DEFAULT_LOCALE) -> ClassificationResult:
    """The result as a patient in `locale` reads it. The classifier words it in English; every text here
    is rebuilt from the codes (dx, tier, triage reasons, the refusal), so nothing is translated twice."""
    if locale == DEFAULT_LOCALE:
        return result
    cls, tier = catalogue(locale).by_dx(result.dx), catalogue(locale).tier(result.triage.tier)
    triage = result.triage.model_copy(update={
        "title": tier.title, "action": tier.action,
        "reason": " ".join(render(r, locale) for r in result.triage.reasons) or result.triage.reason})
    ood = result.ood
    if ood.refusal is not None:
        ood = ood.model_copy(update={"reason": render(ood.refusal, locale)})
    return result.model_copy(update={"display_name": cls.display_name, "description": cls.description,
                                     "triage": triage, "ood": ood})


def _shares(labels_probs: list[tuple[str, float]], locale: str) -> str:
    cat = catalogue(locale)
    shares = [t("result.share", locale, name=cat.by_label(label).display_name, percent=percent(p, locale))
              for label, p in labels_probs]
    return fill("{shares:list-unit}", locale, shares=shares) if shares else t("result.none", locale)


def facts(result: ClassificationResult, locale: str = DEFAULT_LOCALE) -> dict[str, str]:
    """Everything the templates may say about the result, already worded."""
    result = worded(result, locale)
    return {
        "display_name": result.display_name,
        "dx": result.dx,
        "confidence_pct": percent(result.confidence, locale),
        "confidence_band": render(term("confidence_band", result.confidence_band), locale),
        "top3": _shares(result.top(3), locale),
        "runners_up": _shares(result.top(3)[1:], locale),
        "malignant_pct": percent(result.malignant_probability, locale),
        "malignant_names": fill("{names:list}", locale,
                                names=[c.display_name for c in catalogue(locale).classes if c.malignant]),
        "entropy": fill("{entropy:0.00}", locale, entropy=result.uncertainty.entropy),
        "margin_pct": percent(result.uncertainty.margin, locale),
        "low_confidence": t("result.yes", locale) if result.uncertainty.low_confidence else t("result.no", locale),
        "tier_title": result.triage.title,
        "tier_action": result.triage.action,
        "triage_reason": result.triage.reason,
        "description": result.description,
    }
