"""A ClassificationResult as the chat shows it: the result card, the heat-map and the chart's bars (pure data)."""

from __future__ import annotations

import base64

from assistant.events import CardLabels, ChartBar, Heatmap, ProbabilityChart, ResultCard
from tools.catalogue import catalogue
from tools.result import ClassificationResult
from tools.text import t, term


def result_card(number: int, result: ClassificationResult) -> ResultCard:
    # A harmless-sounding description under an "Urgent" badge must not read as a contradiction. Raised by
    # the probabilities (to high or urgent), not merely by low confidence (which stops at moderate).
    raised = result.triage.escalated and result.triage.tier in ("high", "urgent")
    return ResultCard(
        image_number=number,
        heading=t("chat.result_heading", number=number),
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
        caution=t("chat.card_raised", tier_title=result.triage.title) if raised else "",
        labels=CardLabels(
            eyebrow=t("card.eyebrow", number=number),
            percent=t("card.percent", confidence=result.confidence),
            match=t("card.match", band=term("confidence_band", result.confidence_band)),
            urgency=t("card.urgency", tier_title=result.triage.title),
            why=t("card.why", reason=result.triage.reason),
            footer=t("card.footer"),
        ),
    )


def heatmap(number: int, result: ClassificationResult, png: bytes) -> Heatmap:
    return Heatmap(
        image_number=number,
        heading=t("chat.heatmap_heading", number=number),
        caption=t("chat.heatmap_caption", display_name=result.display_name),
        png_base64=base64.b64encode(png).decode("ascii"),
    )


def probability_chart(number: int, result: ClassificationResult) -> ProbabilityChart:
    cat = catalogue()
    bars = [
        ChartBar(label=cat.by_label(label).display_name, probability=p,
                 value=t("chart.under_one_percent") if p < 0.01 else t("chart.percent", p=p),
                 tier=cat.by_label(label).tier, top=label == result.label)
        for label, p in sorted(result.probabilities.items(), key=lambda kv: -kv[1])
    ]
    return ProbabilityChart(
        image_number=number,
        heading=t("chat.chart_heading", number=number),
        title=t("chat.chart_title", number=number),
        bars=bars,
    )


def tool_summary(result: ClassificationResult) -> str:
    if result.status == "not_a_lesion":
        return t("chat.tool_output_not_a_lesion")
    return t("chat.tool_output", display_name=result.display_name, confidence=result.confidence,
             tier_title=result.triage.title)
