"""The deterministic input rules: red-flag, crisis, decline and off-topic phrases in the six languages
(their words in prompts/lexicon/<language>.toml, the rules and their order in prompts/lexicon/common.toml),
fast and precise, with hypothetical or negated framing ("what should I do if it keeps bleeding?") left to the
answer engine. `check_rules(text) -> Verdict`; assistant/safety/input_rails.py runs them first, then the
semantic layer. Patterns are matched on `lexicon.normalise(text)`: lower case, accents removed, "ß" -> "ss"."""

from __future__ import annotations

import re

from assistant.safety.verdict import Route, Verdict
from assistant.text.lexicon import detect_language, input_rules, normalise, patterns, patterns_each

# ---------------------------------------------------------------- routing tables
#
# The rules and their words are data (prompts/lexicon/common.toml `[[rules]]`, the patterns in
# prompts/lexicon/<language>.toml). Each rule: (route, category, patterns, guarded). A rule fires when ALL its
# patterns match the message. `guarded`: the first pattern's match does not count when the sentence frames it
# as a hypothetical ("what should I do if it keeps bleeding?") or negates it ("it is not growing fast"): those
# are questions for the answer engine, whose curated text says when to get care.

_Rule = tuple[Route, str, tuple[str, ...], bool]


def _rules() -> tuple[_Rule, ...]:
    rules: list[_Rule] = []
    for rule in input_rules():
        route, category, guarded = Route(rule["route"]), rule["category"], rule["guarded"]
        if "all" in rule:
            rules.append((route, category, tuple(patterns(name) for name in rule["all"]), guarded))
        else:
            rules += [(route, category, (p,), guarded) for name in rule["each"] for p in patterns_each(name)]
    return tuple(rules)


_RULES = _rules()
# Each has its line before the emergency reply: emergency_lead.<category>.
EMERGENCY_CATEGORIES = tuple(dict.fromkeys(cat for route, cat, _, _ in _RULES if route is Route.EMERGENCY))
# Whose reply says to call the emergency number now and nothing gentler (reply.emergency_now).
CALL_NOW_CATEGORIES = frozenset(rule["category"] for rule in input_rules() if rule.get("call_now"))
_COMPILED = tuple((route, cat, tuple(re.compile(p) for p in pats), guarded) for route, cat, pats, guarded in _RULES)
# Off-topic words count only when the message has no skin word ("is the sun strong in this weather?" stays in
# scope); sunscreen and everyday care (moisturiser, make-up) are not a prescription ("which sunscreen should I use?").
_OFF_TOPIC_WEAK_RE = (re.compile(patterns("off_topic_weak")),)
_SKIN_RE = re.compile(patterns("skin"))
_SUNSCREEN_RE = re.compile(patterns("sunscreen"))
_DRUG_OR_AMOUNT_RE = re.compile(patterns("drug_or_amount"))
# Hypothetical or negated framing just before a red-flag phrase (same sentence).
_HYPOTHETICAL = re.compile(patterns("hypothetical"))
_NEGATED = re.compile(patterns("negated"))


def _framed_away(text: str, m: re.Match[str]) -> bool:
    """Is this match hypothetical or negated within its sentence?"""
    sentence_start = max(text.rfind(c, 0, m.start()) for c in ".!?\n;") + 1
    before = text[sentence_start : m.start()]
    return bool(_HYPOTHETICAL.search(before) or _NEGATED.search(before))


def _fires(text: str, compiled: tuple[re.Pattern[str], ...], guarded: bool) -> bool:
    first = [m for m in compiled[0].finditer(text) if not (guarded and _framed_away(text, m))]
    return bool(first) and all(p.search(text) for p in compiled[1:])


def check_rules(text: str) -> Verdict:
    """The deterministic layer alone. Order matters: safety first (self-harm, then red flags), then what
    we decline, then off-topic; everything else is IN_SCOPE."""
    norm = normalise(text)
    language = detect_language(text)
    sunscreen_only = bool(_SUNSCREEN_RE.search(norm)) and not _DRUG_OR_AMOUNT_RE.search(norm)
    for route, category, compiled, guarded in _COMPILED:
        if sunscreen_only and category in ("prescription", "dose"):
            continue
        if _fires(norm, compiled, guarded):
            return Verdict(route=route, category=category, language=language, layer="rules")
    if any(p.search(norm) for p in _OFF_TOPIC_WEAK_RE) and not _SKIN_RE.search(norm):
        return Verdict(route=Route.OFF_TOPIC, category="off_topic", language=language, layer="rules")
    if sunscreen_only:  # decided here: the sentence model hears "cream ... on it" as a treatment request
        return Verdict(route=Route.IN_SCOPE, category="skin_care", language=language, layer="rules")
    return Verdict(route=Route.IN_SCOPE, category="question", language=language)


# ---------------------------------------------------------------- fixed replies


