"""What a chat turn produces, as small typed events. The orchestrator emits them; an edge (the
Chainlit app, a test, later an API) renders them. Nothing here knows about any UI toolkit."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, Field

from tools.catalogue import Tier


class ToolStarted(BaseModel):
    kind: Literal["tool_started"] = "tool_started"
    step_id: str
    tool: str  # the tool's machine name, e.g. "classify_skin_lesion"
    label: str  # what the patient reads while it runs


class ToolFinished(BaseModel):
    kind: Literal["tool_finished"] = "tool_finished"
    step_id: str
    label: str  # replaces the running label, with the timing
    output: str
    elapsed_ms: float
    ok: bool


class CardLabels(BaseModel):
    """The card's own words, rendered for the chat's locale: the component holds no text of its own."""

    eyebrow: str  # "Closest match · image 2"
    percent: str  # the confidence as the locale writes a percentage
    match: str  # what follows the percentage: "match · high confidence"
    urgency: str  # "Urgency: Urgent"
    why: str  # "Why: " and the triage reason
    footer: str  # the disclaimer under the card


class ResultCard(BaseModel):
    """The headline of one analysis: what a clinic would print on a card."""

    kind: Literal["result_card"] = "result_card"
    image_number: int
    heading: str
    display_name: str
    dx: str
    confidence_pct: int
    confidence_band: Literal["high", "moderate", "low"]
    tier: Tier
    tier_title: str
    action: str
    reason: str
    description: str
    low_confidence: bool
    caution: str = ""  # when the probabilities raised the urgency above the closest match's usual level
    labels: CardLabels
    lang: str = "en"  # the locale its words are in (the card's `lang` attribute, for screen readers)


class ChartBar(BaseModel):
    label: str
    probability: float
    value: str  # the probability as the bar's text says it ("23%", "<1%")
    tier: Tier  # the class's own urgency tier, for its colour
    top: bool


class ChartTableLabels(BaseModel):
    """The words of the chart's table: its toggle and its column headers."""

    toggle: str
    column_kind: str
    column_match: str


class ProbabilityChart(BaseModel):
    kind: Literal["probability_chart"] = "probability_chart"
    image_number: int
    heading: str
    title: str
    bars: list[ChartBar]  # all seven classes, most likely first
    summary: str = ""  # the chart in one or two sentences, for those who cannot see it
    table: ChartTableLabels | None = None  # the seven shares as a table (public/elements/ChartTable.jsx)
    lang: str = "en"


class Heatmap(BaseModel):
    """Grad-CAM overlay of the top class, shown beside the result card."""

    kind: Literal["heatmap"] = "heatmap"
    image_number: int
    heading: str
    caption: str  # what it shows and what it does not, in one plain sentence
    png_base64: str
    alt: str = ""  # the picture's text alternative


class TextStarted(BaseModel):
    """A message that will be streamed: `TextDelta`s, then `TextFinished`. Every delta is already
    checked text, to append to what is shown; `TextFinished.markdown` is all of them joined."""

    kind: Literal["text_started"] = "text_started"
    message_id: str
    purpose: Literal["report", "answer"]


class TextDelta(BaseModel):
    kind: Literal["text_delta"] = "text_delta"
    message_id: str
    text: str


class TextFinished(BaseModel):
    """The end of a streamed message: `markdown` is the whole message, equal to its deltas joined (for
    edges that do not stream, and the history)."""

    kind: Literal["text_finished"] = "text_finished"
    message_id: str
    markdown: str
    # Who wrote it. Reports: "model" (AI), "standard" (curated), "mixed". Answers: "model", "curated",
    # or "fixed" (the guardrails' own text, e.g. an emergency reply).
    source: Literal["model", "standard", "mixed", "curated", "fixed"]
    route: str | None = None  # answers: the input route that decided it ("emergency", "in_scope", ...)
    image_number: int | None = None  # reports: the photo's number ("image 2"), whose PDF an edge may offer


class Notice(BaseModel):
    """A complete message in the chat's own words: guidance, an upload problem, an explanation."""

    kind: Literal["notice"] = "notice"
    markdown: str


ChatEvent = Annotated[
    ToolStarted | ToolFinished | ResultCard | Heatmap | ProbabilityChart | TextStarted | TextDelta | TextFinished | Notice,
    Field(discriminator="kind"),
]
