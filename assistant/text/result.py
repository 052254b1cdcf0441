"""A classification result as words: the facts every template may say about it (report prompt, standard
report, follow-up answers), with numbers and lists written for the locale. The result's own texts
(name, description, urgency) are used as the result carries them."""

from __future__ import annotations

from tools.catalogue import catalogue
from tools.result import ClassificationResult
from tools.text import DEFAULT_LOCALE, fill, t

UNDER_ONE_PERCENT = 0.005  # below this a share reads "under 1%": "0%" would sound like "impossible"


def percent(p: float, locale: str = DEFAULT_LOCALE) -> str:
    return t("result.under_one_percent", locale) if p < UNDER_ONE_PERCENT else t("result.percent", locale, p=p)


def _shares(labels_probs: list[tuple[str, float]], locale: str) -> str:
    cat = catalogue()
    shares = [t("result.share", locale, name=cat.by_label(label).display_name, percent=percent(p, locale))
              for label, p in labels_probs]
    return fill("{shares:list-unit}", locale, shares=shares) if shares else t("result.none", locale)


def facts(result: ClassificationResult, locale: str = DEFAULT_LOCALE) -> dict[str, str]:
    """Everything the templates may say about the result, already worded."""
    return {
        "display_name": result.display_name,
        "dx": result.dx,
        "confidence_pct": percent(result.confidence, locale),
        "confidence_band": result.confidence_band,
        "top3": _shares(result.top(3), locale),
        "runners_up": _shares(result.top(3)[1:], locale),
        "malignant_pct": percent(result.malignant_probability, locale),
        "malignant_names": fill("{names:list}", locale,
                                names=[c.display_name for c in catalogue().classes if c.malignant]),
        "entropy": fill("{entropy:0.00}", locale, entropy=result.uncertainty.entropy),
        "margin_pct": percent(result.uncertainty.margin, locale),
        "low_confidence": t("result.yes", locale) if result.uncertainty.low_confidence else t("result.no", locale),
        "tier_title": result.triage.title,
        "tier_action": result.triage.action,
        "triage_reason": result.triage.reason,
        "description": result.description,
    }
