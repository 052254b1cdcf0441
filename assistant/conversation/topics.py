"""What a follow-up question is about: its topics (ABCDE, self-check, prevention, a class, the
percentages, a comparison...), the images it names, and whether it needs a screening result."""

from __future__ import annotations

import re

from assistant.safety.rules import normalise
from assistant.text.lexicon import pattern_table, patterns

# The words are data: prompts/lexicon/<language>.toml `[topics]`, `[class_aliases]` and `[patterns]`.
_TOPIC_RE = {k: re.compile(v) for k, v in pattern_table("topics").items()}
# A short "thanks" / "ok" gets a short reply; a "hello" gets the result summary and the menu.
_THANKS = re.compile(patterns("thanks"))
# Names people use for the seven classes (normalised). "mole" is only a class question when asked
# as one ("what is a mole?"): otherwise "my mole" is just the spot.
_CLASS_RE = {k: re.compile(v) for k, v in pattern_table("class_aliases").items()}
_MOLE_QUESTION = re.compile(patterns("mole_question"))
_DEFINITION = re.compile(patterns("definition"))
# Topics that can be answered without any photo; anything else about "my spot" needs one.
_GENERAL_TOPICS = frozenset({"abcde", "self_check", "see_doctor", "visit", "treatment", "prevention", "thanks"})
_IMAGE_NUMBER = re.compile(patterns("image_number"))
_ORDINALS = {"first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5}
_ORDINAL_RE = re.compile(patterns("ordinal_image"))
_PERCENT_IN_QUESTION = re.compile(r"(\d{1,3}(?:[.,]\d+)?)\s?%")
COMPARE_MAX = 6  # images listed in a comparison when none are named


def topics(question: str) -> list[str]:
    """What the question asks about, in answer order: topic keys and "class:<label>" entries."""
    norm = normalise(question)
    found = [k for k, r in _TOPIC_RE.items() if r.search(norm)]
    definitional = bool(_DEFINITION.search(norm)) or not found
    classes = [label for label, r in _CLASS_RE.items() if r.search(norm)] if definitional else []
    if _MOLE_QUESTION.search(norm) and "melanocytic_nevi" not in classes:
        classes.append("melanocytic_nevi")
    if not found and not classes and _THANKS.match(norm) and len(norm.split()) <= 5:
        return ["thanks"]
    return found + [f"class:{label}" for label in classes]


def needs_result(question: str) -> bool:
    """Does answering need a screened photo? General topics (ABCDE, self-checks, class descriptions,
    sun protection, doctor visits) do not; questions about "my result", numbers, urgency, worry,
    comparisons, and anything unrecognised do."""
    found = topics(question)
    general = [t for t in found if t in _GENERAL_TOPICS or t.startswith("class:")]
    return not general or any(t in ("compare", "percent", "urgency", "worry") for t in found)
