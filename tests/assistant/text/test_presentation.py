"""What the chat shows of a result: the card's words come rendered from the catalogue, and the card
component (public/elements/ResultCard.jsx) holds none of its own."""

from __future__ import annotations

import re
from pathlib import Path

from assistant.core.events import CardLabels
from assistant.text.charts import probability_figure
from assistant.text.presentation import probability_chart, result_card
from tests.assistant.factories import classification

CARD_JSX = Path(__file__).resolve().parents[3] / "public" / "elements" / "ResultCard.jsx"


def test_the_card_carries_its_words() -> None:
    result = classification("melanocytic_nevi", 0.625, escalate_to="urgent")
    card = result_card(2, result)
    assert card.labels == CardLabels(
        eyebrow="Closest match · image 2",
        percent="62%",
        match="match · moderate confidence",
        urgency="Urgency: Urgent",
        why=f"Why: {result.triage.reason}",
        footer="Screening result only, not a diagnosis. Only a clinician who examines the spot can say what it is.",
    )
    assert card.labels.percent == f"{card.confidence_pct}%", "the same rounding as the number it shows"
    assert "more serious kind of spot" in card.caution


def jsx_words(source: str) -> list[str]:
    """Text the component writes itself: JSX text between tags, outside {expressions}, with letters."""
    source = re.sub(r"//[^\n]*", "", source)
    markup = source[source.index("return (") :]  # the JSX, not the constants above it
    found = [t.strip() for t in re.findall(r"[>}]([^<>{}]*)(?=[<{])", markup)]
    return [t for t in found if re.search(r"[A-Za-z]", t) and not t.endswith("=")]  # "style=": an attribute


def test_the_card_component_writes_no_words_of_its_own() -> None:
    source = CARD_JSX.read_text(encoding="utf-8")
    assert jsx_words(source) == []
    assert set(re.findall(r"props\.labels\.(\w+)", source)) == set(CardLabels.model_fields)
    seen = jsx_words('return (<div>\n  Urgency: {props.tier_title}\n</div>{" "}match · {props.band}<b/>)')
    assert seen == ["Urgency:", "match ·"], "the check sees words"


def test_the_chart_bars_carry_their_text() -> None:
    result = classification("melanoma", 0.62)
    probabilities = dict(result.probabilities, vascular_lesions=0.004, dermatofibroma=0.0464)
    chart = probability_chart(1, result.model_copy(update={"probabilities": probabilities}))
    assert [b.value for b in chart.bars] == [f"{b.probability:.0%}" if b.probability >= 0.01 else "<1%"
                                            for b in chart.bars]
    assert chart.bars[0].value == "62%" and any(b.value == "<1%" for b in chart.bars)
    assert probability_figure(chart).data[0].text == tuple(b.value for b in reversed(chart.bars))
