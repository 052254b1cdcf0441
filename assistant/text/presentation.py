"""A ClassificationResult as the chat shows it, in the conversation's locale: the result card, the heat-map
and the chart's bars (pure data)."""

from __future__ import annotations

import base64

from assistant.core.events import (
    CardLabels,
    ChartBar,
    ChartTableLabels,
    Heatmap,
    ProbabilityChart,
    ResultCard,
)
from assistant.text.result import worded
from tools.catalogue import catalogue
from tools.result import ClassificationResult
from tools.text import DEFAULT_LOCALE, t, term


def result_card(number: int, result: ClassificationResult, locale: str = DEFAULT_LOCALE) -> ResultCard:
    result = worded(result, locale)
    # A harmless-sounding description under an "Urgent" badge must not read as a contradiction. Raised by
    # the probabilities (to high or urgent), not merely by low confidence (which stops at moderate).
    raised = result.triage.escalated and result.triage.tier in ("high", "urgent")
    return ResultCard(
        image_number=number,
        heading=t("chat.result_heading", locale, number=number),
        display_name=result.display_name,
        dx=result.dx,
        confidence_pct=round(result.confidence * 100),
        confidence_band=result.confidence_band,
        tier=result.triage.tier,
        tier_title=result.triage.title,
        action=result.triage.action,
        reason=result.triage.reason,
        description=result.description,
        low_confidence=result.uncertainty.low_confidence,
        caution=t("chat.card_raised", locale, tier_title=result.triage.title) if raised else "",
        labels=CardLabels(
            eyebrow=t("card.eyebrow", locale, number=number),
            percent=t("card.percent", locale, confidence=result.confidence),
            match=t("card.match", locale, band=term("confidence_band", result.confidence_band)),
            urgency=t("card.urgency", locale, tier_title=result.triage.title),
            why=t("card.why", locale, reason=result.triage.reason),
            footer=t("card.footer", locale),
        ),
        lang=locale,
    )


def heatmap(number: int, result: ClassificationResult, png: bytes, locale: str = DEFAULT_LOCALE) -> Heatmap:
    display_name = worded(result, locale).display_name
    return Heatmap(
        image_number=number,
        heading=t("chat.heatmap_heading", locale, number=number),
        caption=t("chat.heatmap_caption", locale, display_name=display_name),
        png_base64=base64.b64encode(png).decode("ascii"),
        alt=t("chat.heatmap_alt", locale, number=number, display_name=display_name),
    )


def probability_chart(number: int, result: ClassificationResult, locale: str = DEFAULT_LOCALE) -> ProbabilityChart:
    cat = catalogue(locale)
    bars = [
        ChartBar(label=cat.by_label(label).display_name, probability=p,
                 value=t("chart.under_one_percent", locale) if p < 0.01 else t("chart.percent", locale, p=p),
                 tier=cat.by_label(label).tier, top=label == result.label)
        for label, p in sorted(result.probabilities.items(), key=lambda kv: -kv[1])
    ]
    top, second = bars[0], bars[1]
    return ProbabilityChart(
        image_number=number,
        heading=t("chat.chart_heading", locale, number=number),
        title=t("chat.chart_title", locale, number=number),
        bars=bars,
        summary=t("chart.summary", locale, top_name=top.label, top_value=top.value, second_name=second.label,
                  second_value=second.value),
        table=ChartTableLabels(toggle=t("chart.table_toggle", locale), column_kind=t("chart.column_kind", locale),
                               column_match=t("chart.column_match", locale)),
        lang=locale,
    )


def tool_summary(result: ClassificationResult, locale: str = DEFAULT_LOCALE) -> str:
    if result.status == "not_a_lesion":
        return t("chat.tool_output_not_a_lesion", locale)
    result = worded(result, locale)
    return t("chat.tool_output", locale, display_name=result.display_name, confidence=result.confidence,
             tier_title=result.triage.title)
