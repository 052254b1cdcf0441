"""What no screening text may say, sentence by sentence, with or without context: a diagnosis claim
(negation-aware), a medicine or a dose, advice to skip or delay care, false reassurance. `scrub` and
`drop_sentences` remove the sentences that say it, keeping list markers."""

from __future__ import annotations

import re
from collections.abc import Iterator

from assistant.safety.violations import Violation, ViolationKind
from assistant.text.lexicon import DRUGS, fold

_DRUG = re.compile(r"(?<![\w-])(?:" + "|".join(re.escape(d) for d in DRUGS) + r")(?![\w-])", re.I)
_NUM = r"\d+(?:[.,]\d+)?"


# Mass and volume amounts are never appropriate in a screening text, with or without a drug name.
_AMOUNT = re.compile(
    rf"\b{_NUM}\s?(?:mg|mcg|µg|μg|g|ml|iu|milligrams?|micrograms?|grams?|millilit(?:er|re)s?|units?)(?![\w])",
    re.I,
)


# A strength or a schedule only counts as a dose next to a drug (sunscreen "every two hours" is fine)...
_STRENGTH = re.compile(rf"\b{_NUM}\s?(?:%|percent|per ?cent)", re.I)


_SCHEDULE = re.compile(
    r"\b(?:once|twice|three times|\d+\s*times)\s+(?:a|per|each)\s+(?:day|night|week)\b"
    r"|\b(?:once|twice)\s+(?:daily|weekly)\b|\bevery\s+\d+\s+hours\b|\bfor\s+\d+\s+(?:days|weeks)\b",
    re.I,
)


# ...or a strength of a cream, gel or ointment ("a 5% cream").
_PREPARATION = re.compile(
    rf"\b{_NUM}\s?(?:%|percent|per ?cent)\s+(?:[a-z-]+\s+){{0,2}}(?:cream|gel|ointment|lotion|solution)\b", re.I
)


_CONDITION = (
    r"(?:skin\s+cancer|cancer|melanoma|carcinoma|basal\s+cell|squamous\s+cell|bcc|keratos[ie]s|nev(?:us|i)"
    r"|moles?|dermatofibroma|angioma|lentig(?:o|ines)|malignan\w*|tumou?r|benign\b)"
)


# The seven classes and "cancer" as the other five languages write them (accent-free, as after `fold`).
_CONDITION_ALL = (
    rf"(?:{_CONDITION}|cancer|cancro|krebs|hautkrebs|melanom[ae]?|carcinom[ae]|karzinom|nevus|nevo|naevus|neo|lunar"
    r"|muttermal|grain\s+de\s+beaute|maligno|maligna|malin|bosartig\w*|benigno|benigna|benin|gutartig\w*|tumor|tumeur|tumore)"
)


_HEDGE = r"(?:likely|probably|possibly|unlikely|maybe|most|more|less)\b"


_DIAGNOSIS = re.compile(
    "|".join(
        [
            # "you have / you've got / you definitely have (a) ... melanoma"; also the all-clear "you don't have"
            rf"\byou(?:'ve|\s+have)?\s+(?:definitely\s+|certainly\s+|clearly\s+|do\s+|do\s+not\s+|don't\s+)?"
            rf"(?:have|got|are\s+suffering\s+from|suffer\s+from)\s+(?:an?\s+)?(?:[a-z-]+\s+){{0,2}}?{_CONDITION}",
            # "this is definitely ...", "it's certainly ...", "the spot is clearly ..."
            r"\b(?:this|it|that|your\s+\w+|the\s+(?:spot|lesion|mole|growth|mark|patch|bump))(?:\s+is|'s|\s+looks)\s+"
            r"(?:definitely|certainly|clearly|undoubtedly|surely|absolutely|100\s?%|without\s+(?:a\s+|any\s+)?doubt)\b",
            # "this spot is a melanoma", "your mole is benign"
            rf"\b(?:this|your|the)\s+(?:spot|lesion|mole|growth|mark|patch|bump)(?:\s+is|'s)\s+(?:not\s+)?"
            rf"(?:an?\s+)?(?:(?!{_HEDGE})[a-z-]+\s+)?{_CONDITION}",
            r"\b(?:your|the)\s+diagnosis\s+is\b|\byou(?:'ve|\s+have)?\s+(?:been\s+)?diagnosed\s+with\b|\bdiagnosis\s*:",
            # "this is a diagnosis" (but "this is not a diagnosis" passes: no pattern allows the "not")
            r"\b(?:this|it|that)(?:\s+is|'s)\s+(?:a|your|the|my)\s+(?:\w+\s+)?diagnosis\b",
            # es / fr / de / it / pt: "(esto) es un melanoma", "cela est un nevus", "Sie haben ein Melanom" ...
            rf"\b(?:esto|eso|este\s+lunar|esta\s+mancha|la\s+mancha|el\s+lunar|usted\s+tiene|tienes|tiene\s+usted)\s+"
            rf"(?:es\s+)?(?:definitivamente\s+|claramente\s+|seguramente\s+)?(?:un|una)\s+(?:\w+\s+)?{_CONDITION_ALL}",
            rf"\b(?:cela|ceci|ca|c'\s?|la\s+tache|le\s+grain\s+de\s+beaute|vous\s+avez|tu\s+as)\s*(?:est\s+)?"
            rf"(?:definitivement\s+|clairement\s+|certainement\s+)?(?:un|une)\s+(?:\w+\s+)?{_CONDITION_ALL}",
            rf"\b(?:das|dies|es|der\s+fleck|das\s+muttermal)\s+ist\s+(?:definitiv\s+|eindeutig\s+|sicher\s+)?(?:ein|eine)\s+(?:\w+\s+)?{_CONDITION_ALL}"
            rf"|\b(?:sie\s+haben|du\s+hast)\s+(?:definitiv\s+|eindeutig\s+)?(?:ein|eine|einen)\s+(?:\w+\s+)?{_CONDITION_ALL}",
            rf"\b(?:questo|questa|la\s+macchia|il\s+neo)\s+e\s+(?:sicuramente\s+|chiaramente\s+)?(?:un|una|uno)\s+(?:\w+\s+)?{_CONDITION_ALL}"
            rf"|\b(?:hai|lei\s+ha)\s+(?:sicuramente\s+)?(?:un|una|uno)\s+(?:\w+\s+)?{_CONDITION_ALL}",
            rf"\b(?:isto|isso|esta\s+mancha|a\s+mancha|esta\s+pinta)\s+e\s+(?:definitivamente\s+|claramente\s+)?(?:um|uma)\s+(?:\w+\s+)?{_CONDITION_ALL}"
            rf"|\b(?:voce\s+tem|tu\s+tens)\s+(?:definitivamente\s+)?(?:um|uma)\s+(?:\w+\s+)?{_CONDITION_ALL}",
        ]
    ),
    re.I,
)


# Words that make a "you have ..." conditional or reported rather than a statement about the reader.
# "I can't say it's harmless", "never assume it is fine": a denial of the reassurance is not one.
_NEGATED_BEFORE = re.compile(r"\b(?:can'?t|cannot|not|never|no\s+one\s+can|impossible\s+to)\s+(?:\w+\s+){0,3}$", re.I)


# "Most vascular lesions are harmless", "usually fine": about a kind of spot, not about this one.
_HEDGED_BEFORE = re.compile(r"\b(?:most|many|usually|generally|often|mostly|typically|normally|almost\s+always)\b[^.!?]*$", re.I)


_CONDITIONAL = re.compile(r"\b(?:if|whether|when|unless|that|think|worry|believe|fear|feel|do)\s*$", re.I)


_DISMISSAL = re.compile(
    "|".join(
        [
            r"\bno\s+need\s+(?:for\s+(?:an?\s+)?(?:doctor|dermatologist|physician|gp|medical|professional|appointment)"
            r"|to\s+(?:see|visit|consult|contact|go\s+to|get\s+(?:it|this)\s+checked|have\s+(?:it|this)\s+checked|keep))",
            r"\b(?:do\s+not|don't|dont|won't|will\s+not|doesn't|does\s+not)\s+(?:really\s+)?need\s+"
            r"(?:to\s+(?:see|visit|consult|contact|keep|go\s+to)\s+)?(?:an?\s+|any\s+|your\s+|the\s+)?"
            r"(?:doctor|dermatologist|physician|gp|medical\s+(?:attention|care|advice)|check(?:-?up)?|appointment)",
            r"\b(?:not|un)\s?necessary\s+to\s+(?:see|visit|consult|keep)\b",
            r"\bcan\s+(?:safely\s+)?(?:be\s+)?ignored?\b",
            r"\b(?:skip|cancel|drop|postpone|delay|put\s+off)\s+(?:the|your|a|this)\s+(?:doctor|appointment|check|visit|consultation)",
            r"\byou\s+(?:can|could|may)\s+(?:safely\s+)?(?:skip|cancel|drop|postpone|delay|wait\s+and\s+see)\b",
            r"\bno\s+(?:necesitas?|hace\s+falta|es\s+necesario)\s+(?:ir\s+al|ver\s+(?:a\s+)?un|consultar)"
            r"|\bcancela[r]?\s+(?:la|tu|su)\s+cita\b",
            r"\b(?:pas|plus)\s+(?:besoin|la\s+peine)\s+de\s+(?:consulter|voir|aller)|\bannule[rz]?\s+(?:le|votre|ton)\s+rendez-vous\b",
            r"\b(?:kein|keinen)\s+(?:arzt|arztbesuch|termin)\s+(?:notig|erforderlich)|\bnicht\s+zum\s+arzt\b"
            r"|\btermin\s+(?:absagen|streichen)\b",
            r"\bnon\s+(?:serve|e\s+necessario|c'\s?e\s+bisogno\s+di)\s+(?:andare|vedere|consultare)|\bdisdire\s+l'\s?appuntamento\b",
            r"\bnao\s+(?:precisa|e\s+necessario)\s+(?:de\s+)?(?:ir|ver|consultar)|\bcancelar\s+a\s+consulta\b",
        ]
    ),
    re.I,
)


# Telling the reader a spot is fine: a screening result can never rule anything out.
_REASSURANCE = re.compile(
    "|".join(
        [
            r"\bnothing\s+(?:to\s+worry\s+about|serious|to\s+be\s+(?:worried|concerned)\s+about|to\s+fear)\b",
            r"\b(?:this|it|that|these|they|those|your|the)\b[^.!?,;:]{0,25}?(?:\bis|\bare|'s|\blooks?|\bseems?)\s+"
            r"(?:completely\s+|totally\s+|perfectly\s+|absolutely\s+|definitely\s+)?"
            r"(?:not\s+(?:worrying|worrisome|concerning|dangerous|serious)|harmless|fine)\b(?!\s+to\b)",
            r"\b(?:no|not\s+a)\s+(?:cause|reason)\s+(?:for|to)\s+(?:concern|worry|alarm)\b",
            r"\byou(?:'re|\s+are)\s+(?:fine|safe|ok|okay)\b",
            r"\bno\s+te\s+preocupes\b|\bno\s+se\s+preocupe\b|\bnada\s+(?:de\s+que\s+preocuparse|grave|serio)\b"
            r"|\b(?:es|son)\s+inofensiv[oa]s?\b",
            r"\bne\s+vous\s+inquietez\s+pas\b|\bne\s+t'\s?inquiete\s+pas\b|\brien\s+de\s+grave\b|\bpas\s+d'\s?inquietude\b"
            r"|\best\s+(?:inoffensi\w+|sans\s+danger)\b",
            r"\bkeine\s+sorge\b|\bnichts\s+(?:schlimmes|ernstes|gefahrliches)\b(?![^.!?]{0,20}\bausschl)|\bist\s+(?:harmlos|ungefahrlich|unbedenklich)\b",
            r"\bnon\s+(?:preoccuparti|si\s+preoccupi)\b|\bniente\s+di\s+(?:grave|preoccupante)\b|\be\s+innocu[oa]\b",
            r"\bnao\s+se\s+preocupe\b|\bnao\s+(?:te\s+)?preocupes\b|\bnada\s+(?:grave|preocupante)\b|\be\s+inofensiv[oa]\b",
        ]
    ),
    re.I,
)


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
