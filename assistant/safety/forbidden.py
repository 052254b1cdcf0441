"""What no screening text may say, sentence by sentence, with or without context: a diagnosis claim
(negation-aware), a medicine or a dose, advice to skip or delay care, false reassurance. `scrub` and
`drop_sentences` remove the sentences that say it, keeping list markers."""

from __future__ import annotations

import re
from collections.abc import Iterator

from assistant.safety.violations import Violation, ViolationKind
from assistant.text.lexicon import fold, patterns

# The words are data: prompts/lexicon/<language>.toml, templates and units in prompts/lexicon/common.toml.
_DRUG = re.compile(patterns("drug"), re.I)
# Mass and volume amounts are never appropriate in a screening text, with or without a drug name.
_AMOUNT = re.compile(patterns("mass_or_volume"), re.I)
# A strength or a schedule only counts as a dose next to a drug (sunscreen "every two hours" is fine)...
_STRENGTH = re.compile(patterns("strength"), re.I)
_SCHEDULE = re.compile(patterns("schedule"), re.I)
# ...or a strength of a cream, gel or ointment ("a 5% cream").
_PREPARATION = re.compile(patterns("preparation"), re.I)
# "you have a melanoma", "this is definitely ...", "this spot is benign", in the six languages.
_DIAGNOSIS = re.compile(patterns("claim_diagnosis"), re.I)
# Words that make a "you have ..." conditional or reported rather than a statement about the reader.
# "I can't say it's harmless", "never assume it is fine": a denial of the reassurance is not one.
_NEGATED_BEFORE = re.compile(patterns("negated_before"), re.I)
# "Most vascular lesions are harmless", "usually fine": about a kind of spot, not about this one.
_HEDGED_BEFORE = re.compile(patterns("hedged_before"), re.I)
_CONDITIONAL = re.compile(patterns("conditional"), re.I)
# Advice to skip or delay care.
_DISMISSAL = re.compile(patterns("dismissal"), re.I)
# Telling the reader a spot is fine: a screening result can never rule anything out.
_REASSURANCE = re.compile(patterns("reassurance"), re.I)


# Sentences: split after . ! ? followed by space, and at line ends (list items are sentences too).
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|\n")


def _sentence_spans(text: str) -> Iterator[tuple[int, int]]:
    start = 0
    for m in _SENTENCE_END.finditer(text):
        if m.start() > start:
            yield start, m.start()
        start = m.end()
    if start < len(text):
        yield start, len(text)


def _sentence_violations(original: str, offset: int) -> Iterator[Violation]:
    text = fold(original)  # same offsets; patterns are written once, accent-free

    def hit(kind: ViolationKind, m: re.Match[str]) -> Violation:
        return Violation(kind=kind, text=original[m.start() : m.end()], start=offset + m.start(), end=offset + m.end())

    for m in _DIAGNOSIS.finditer(text):
        if not _CONDITIONAL.search(text[: m.start()]):
            yield hit("diagnosis", m)
    for m in _DISMISSAL.finditer(text):
        yield hit("dismissal", m)
    for m in _REASSURANCE.finditer(text):
        before = text[: m.start()]
        if not (_NEGATED_BEFORE.search(before) or _CONDITIONAL.search(before) or _HEDGED_BEFORE.search(text[: m.end()])):
            yield hit("reassurance", m)
    drugs = list(_DRUG.finditer(text))
    doses = list(_AMOUNT.finditer(text)) + list(_PREPARATION.finditer(text))
    if drugs:
        doses += list(_STRENGTH.finditer(text)) + list(_SCHEDULE.finditer(text))
    seen: set[tuple[int, int]] = set()
    for m in sorted(doses, key=lambda m: m.start()):
        if m.span() not in seen:
            seen.add(m.span())
            yield hit("dose", m)
    for m in drugs:
        yield hit("drug", m)


def find_forbidden(text: str) -> list[Violation]:
    """Every forbidden phrase in `text` (diagnosis, dose, drug, dismissal, false reassurance), in order of
    position. Empty list: nothing found. `check_output` adds the checks that need context."""
    found = [v for s, e in _sentence_spans(text) for v in _sentence_violations(text[s:e], s)]
    return sorted(found, key=lambda v: (v.start, v.end))


_LINE_LEAD = re.compile(r"\s*(?:[-*+]\s+|\d+[.)]\s+)?")


def drop_sentences(text: str, spans: list[tuple[int, int]]) -> str:
    """Remove every sentence that overlaps one of `spans`. Works line by line so that list markers
    survive when a later sentence of the item is kept, and an item left empty disappears."""
    out: list[str] = []
    pos = 0
    for line in text.split("\n"):
        start, end = pos, pos + len(line)
        pos = end + 1
        if not any(a < end and start < b for a, b in spans):
            out.append(line)
            continue
        lead = _LINE_LEAD.match(line).group(0)  # type: ignore[union-attr]  # matches the empty string
        body = start + len(lead)
        kept = [
            text[body + s : body + e].strip()
            for s, e in _sentence_spans(text[body:end])
            if not any(a < body + e and body + s < b for a, b in spans)
        ]
        if kept:
            out.append(lead + " ".join(kept))
    return re.sub(r"\n{3,}", "\n\n", "\n".join(out)).strip()


def scrub(text: str) -> str:
    """`text` without the sentences that contain forbidden content."""
    return drop_sentences(text, [(v.start, v.end) for v in find_forbidden(text)])
