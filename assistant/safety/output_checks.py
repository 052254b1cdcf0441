"""The output checks: what model-written text must never say, each check named, with its action.

One set of checks, used by the report writer (assistant/report/writer.py, per section) and the follow-up
answers (assistant/conversation/followup.py, per answer so far) alike. Each check has a name, what it catches and
what happens to text that fails it (`CHECKS`):
- "drop_sentence": the sentence goes, the rest stays (figures the model made up);
- "replace_section" / "replace_answer": the section (report) or the answer (follow-up) is replaced by
  the app's curated text.
Checks: diagnosis claims (negation-aware), medicine names and doses in the six languages, advice to skip
or delay care, false reassurance, prompt echo (a run of `ECHO_WORDS` words from any instruction text),
headings of other sections, figures, invented phone numbers, a reply in another language than the
user's, filler that describes the text instead of saying anything, degenerate repetition, and an answer unrelated to the question (similarity in the intent router's embedding space).
Follow-up answers must also be answers (`find_filler`, `find_echoed_question`, `find_hollow`: no talk about
"the answer to the question above", no question put back, more than the question's own words), and no
text may call one of the seven classes by another's name (`find_wrong_class`).
Patterns run on `lexicon.fold(text)` (lower case, no accents, same offsets as the text).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Iterator
from functools import cache
from typing import Literal

from pydantic import BaseModel, ConfigDict

from assistant.text.lexicon import DRUGS, fold, normalise, words as word_list
from assistant.text.locale import detect
from tools.text import Message, render, term

ViolationKind = Literal[
    "diagnosis", "dose", "drug", "dismissal", "reassurance", "echo", "heading", "figure", "phone", "language",
    "unrelated", "repetition", "empty", "tautology", "echoed_question", "filler", "wrong_class",
]
Action = Literal["drop_sentence", "replace_section", "replace_answer"]


class OutputCheck(BaseModel):
    model_config = ConfigDict(frozen=True)
    name: ViolationKind
    action: Action

    @property
    def reason(self) -> Message:
        """What the text contained, worded by the catalogue (check_reason.*): completes "it contained ..."."""
        return term("check_reason", self.name)


CHECKS: dict[ViolationKind, OutputCheck] = {
    c.name: c
    for c in (
        OutputCheck(name="diagnosis", action="replace_section"),
        OutputCheck(name="dose", action="replace_section"),
        OutputCheck(name="drug", action="replace_section"),
        OutputCheck(name="dismissal", action="replace_section"),
        OutputCheck(name="reassurance", action="replace_section"),
        OutputCheck(name="echo", action="replace_section"),
        OutputCheck(name="heading", action="replace_section"),
        OutputCheck(name="figure", action="drop_sentence"),
        OutputCheck(name="phone", action="replace_answer"),
        OutputCheck(name="language", action="replace_answer"),
        OutputCheck(name="unrelated", action="replace_answer"),
        OutputCheck(name="repetition", action="replace_section"),
        OutputCheck(name="empty", action="replace_answer"),
        OutputCheck(name="tautology", action="replace_answer"),
        OutputCheck(name="echoed_question", action="replace_answer"),
        OutputCheck(name="filler", action="replace_answer"),
        OutputCheck(name="wrong_class", action="replace_section"),
    )
}


class Violation(BaseModel):
    model_config = ConfigDict(frozen=True)
    kind: ViolationKind
    text: str
    start: int
    end: int

    @property
    def reason(self) -> str:
        """In the default locale (AnswerCheck.problems, logs); a patient reads it through a note."""
        return render(CHECKS[self.kind].reason)

    @property
    def action(self) -> Action:
        return CHECKS[self.kind].action


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


# ---------------------------------------------------------------- checks that need context

ECHO_WORDS = 6  # a run of this many words from an instruction text is the prompt copied back
_WORDS = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")
# Figures in model text: the app shows the real numbers, so a model's own (often wrong) ones go.
_FIGURE = re.compile(r"\d+(?:[.,]\d+)?\s?(?:%|percent\b|per cent\b)|\b0?\.\d{2,}\b", re.I)
# A model must not invent helplines: anything that looks like a phone number (7+ digits).
_PHONE = re.compile(r"(?<![\w.])\+?\d(?:[\s().-]?\d){6,}(?![\w.])")
LANGUAGE_MIN_WORDS = 6  # a sentence shorter than this cannot tell its language reliably
LANGUAGE_CONFIDENCE = 0.7  # lingua's confidence that a sentence is in another language
_MARKUP = re.compile(r"[*_`#>|\[\]()-]+")  # emphasis and list marks say nothing about the language


def _template_words(text: str) -> list[list[str]]:
    """The word runs of an instruction text, split at its $placeholders (filled with other text) and
    without its quoted examples ("a doctor can confirm"): those are wording the model may use."""
    return [_WORDS.findall(normalise(part)) for part in re.split(r"\$\w+|\$\{\w+\}|\"[^\"\n]*\"", text)]


@cache
def _shingles(instructions: tuple[str, ...]) -> frozenset[tuple[str, ...]]:
    out: set[tuple[str, ...]] = set()
    for text in instructions:
        for words in _template_words(text):
            out.update(tuple(words[i : i + ECHO_WORDS]) for i in range(len(words) - ECHO_WORDS + 1))
    return frozenset(out)


# Instructions about writing, in the model's own words ("do not use numbered lists unless...", "the above
# section has been added by the app"): no patient text talks about sections, headings or prompts.
_META = re.compile(
    r"\b(?:do\s+not|don'?t|never|please)\s+(?:use|write|repeat|include|add|start|number)\b[^.!?\n]{0,60}?"
    r"\b(?:lists?|sections?|headings?|headers?|instructions?|prompts?|markdown|bullets?)\b"
    r"|\b(?:this|the\s+(?:above|following|previous|next))\s+section\s+(?:has\s+been|was|is|will\s+be)\s+(?:added|written|provided)"
    r"|\b(?:as\s+(?:instructed|requested)|according\s+to\s+(?:the|my|your)\s+(?:rules|instructions))\b"
    # Filler that describes the text instead of saying anything: "This is a detailed and concise
    # description of what this screening result means", "This section explains ...".
    r"|\bthis\s+is\s+(?:a|an|the|my)\s+(?:[a-z]+\s+){0,4}?(?:description|summary|explanation|overview|paragraph|response"
    r"|section|answer|text)\s+(?:of|about|for|on|that|which|explaining|describing)\b"
    r"|\bthis\s+(?:section|paragraph|part|response)\s+(?:describes|explains|provides|contains|gives|covers|summari[sz]es)\b",
    re.I,
)

# Degenerate output: a weak model loops ("the spot the spot the spot", one line over and over).
REPEAT_RUN_WORDS = 4  # a run of this many words...
REPEAT_RUN_TIMES = 4  # ...seen this many times is a loop, not writing
REPEAT_LINE_TIMES = 3  # the same sentence or line this many times


def find_repetition(text: str) -> list[Violation]:
    """A sentence repeated REPEAT_LINE_TIMES times, or a run of REPEAT_RUN_WORDS words repeated
    REPEAT_RUN_TIMES times: the first repeat is reported, whole text replaced."""
    seen: dict[str, int] = {}
    for s, e in _sentence_spans(text):
        key = " ".join(_WORDS.findall(fold(text[s:e])))
        if len(key.split()) >= 2:
            seen[key] = seen.get(key, 0) + 1
            if seen[key] >= REPEAT_LINE_TIMES:
                return [Violation(kind="repetition", text=text[s:e], start=s, end=e)]
    words = [(m.group(0), m.start(), m.end()) for m in _WORDS.finditer(fold(text))]
    runs: dict[tuple[str, ...], int] = {}
    for i in range(len(words) - REPEAT_RUN_WORDS + 1):
        run = tuple(w for w, _, _ in words[i : i + REPEAT_RUN_WORDS])
        runs[run] = runs.get(run, 0) + 1
        if runs[run] >= REPEAT_RUN_TIMES:
            start, end = words[i][1], words[i + REPEAT_RUN_WORDS - 1][2]
            return [Violation(kind="repetition", text=text[start:end], start=start, end=end)]
    return []


def find_echo(text: str, instructions: tuple[str, ...]) -> list[Violation]:
    """Runs of ECHO_WORDS words that also appear in any of the instruction texts, and sentences that
    are instructions about the writing itself."""
    shingles = _shingles(instructions)
    folded = fold(text)
    words = [(m.group(0), m.start(), m.end()) for m in _WORDS.finditer(folded)]
    found: list[Violation] = [Violation(kind="echo", text=text[m.start() : m.end()], start=m.start(), end=m.end())
                              for m in _META.finditer(folded)]
    i = 0
    while i <= len(words) - ECHO_WORDS:
        if tuple(w for w, _, _ in words[i : i + ECHO_WORDS]) in shingles:
            start, end = words[i][1], words[i + ECHO_WORDS - 1][2]
            found.append(Violation(kind="echo", text=text[start:end], start=start, end=end))
            i += ECHO_WORDS
        else:
            i += 1
    return found


def find_headings(text: str, titles: Iterable[str]) -> list[Violation]:
    """Lines that are, or start with, one of `titles` (another section's heading; a prompt heading)."""
    found = []
    wanted = [" ".join(_WORDS.findall(normalise(t))) for t in titles]
    pos = 0
    for line in text.split("\n"):
        key = " ".join(_WORDS.findall(normalise(re.sub(r"^[\s#>*_\d.)-]+", "", line))))
        if key and any(w and (key == w or key.startswith(w + " ")) for w in wanted):
            found.append(Violation(kind="heading", text=line.strip(), start=pos, end=pos + len(line)))
        pos += len(line) + 1
    return found


def find_figures(text: str) -> list[Violation]:
    return [Violation(kind="figure", text=m.group(0), start=m.start(), end=m.end()) for m in _FIGURE.finditer(text)]


def find_phones(text: str) -> list[Violation]:
    return [Violation(kind="phone", text=m.group(0), start=m.start(), end=m.end()) for m in _PHONE.finditer(text)]


def sentence_languages(text: str) -> list[tuple[int, int, str | None]]:
    """(start, end, language) of each sentence of at least LANGUAGE_MIN_WORDS words; the language is None
    where the detector is not confident (markup aside)."""
    out = []
    for s, e in _sentence_spans(text):
        sentence = text[s:e]
        if len(_WORDS.findall(fold(sentence))) >= LANGUAGE_MIN_WORDS:
            found = detect(_MARKUP.sub(" ", sentence), min_words=LANGUAGE_MIN_WORDS, min_confidence=LANGUAGE_CONFIDENCE)
            out.append((s, e, found))
    return out


def find_language(text: str, language: str) -> list[Violation]:
    """Sentences placed with confidence in another language than `language`: unsure is not wrong."""
    return [Violation(kind="language", text=text[s:e], start=s, end=e)
            for s, e, found in sentence_languages(text) if found is not None and found != language]


# ---------------------------------------------------------------- answers that say nothing, or the wrong thing

# Talk about the answer instead of an answer, in a small model's words under the follow-up prompt (whose
# last line is "Answer the question above in English"): "The answer to the question above is:", "The answer
# is: ...", "This answer is based on the rules of your previous question", "**English answer in English:**",
# a "## Answer" heading.
_LANGUAGE_NAMES = r"(?:english|spanish|french|german|italian|portuguese)"
_FILLER = re.compile(
    r"\b(?:the|this|my|an?)\s+answer\s+to\s+(?:the|your|this|that)\s+question\b"
    r"|\b(?:the|this|my)\s+(?:final\s+|correct\s+)?answer\s+(?:is|would\s+be)\s*(?::|\"|'|yes\b|no\b|based\b|as\s+follows\b)"
    r"|^\W*answer\s*(?::|\()|^\s*#{1,6}\s*answer\b"
    rf"|\b{_LANGUAGE_NAMES}\s+answer\b|\banswer(?:ed)?\s+in\s+{_LANGUAGE_NAMES}\b"
    r"|\b(?:based\s+on|according\s+to|following)\s+(?:the|your|these|my)\s+rules\b"
    r"|\b(?:your|the|this)\s+(?:previous|last|above|earlier)\s+question\b|\bthe\s+question\s+(?:above|below)\b",
    re.I | re.M,
)
# Words that carry no answer (prompts/lexicon/en.toml).
_EMPTY_WORDS = word_list("empty")
_SUFFIXES = ("ing", "ed", "es", "s", "ful", "ly")
STEM_CHARS = 5  # "biopsy"/"biopsies", "melanoma"/"melanomas", "check"/"checking" meet at their first five letters
EMPTY_WORDS = 2  # an answer with fewer content words than this is empty...
HOLLOW_NEW_WORDS = 3  # ...and one with fewer than this many the question did not already have says nothing new
ECHO_SHARE = 0.5  # a question in the answer that has this share of the question's content words puts it back
ECHO_SIMILARITY = 0.8  # a sentence this similar to the question (word by word) is the question


def _stem(word: str) -> str:
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            word = word[: -len(suffix)]
            break
    return word[:STEM_CHARS]


def _content(text: str) -> list[str]:
    """The stems of the words of `text` that say something (not `_EMPTY_WORDS`, not numbers)."""
    return [_stem(w) for w in _WORDS.findall(fold(text)) if w not in _EMPTY_WORDS and not w.isdigit() and len(w) > 1]


def find_filler(text: str) -> list[Violation]:
    return [Violation(kind="filler", text=text[m.start() : m.end()], start=m.start(), end=m.end())
            for m in _FILLER.finditer(fold(text))]


def find_echoed_question(text: str, question: str) -> list[Violation]:
    """Sentences that put the question back: the question itself (ECHO_SIMILARITY), or a question that shares
    ECHO_SHARE of its content words."""
    asked, asked_words = set(_content(question)), _WORDS.findall(fold(question))
    found = []
    for s, e in _sentence_spans(text):
        sentence = text[s:e]
        words = _WORDS.findall(fold(sentence))
        if not words:
            continue
        same = difflib.SequenceMatcher(None, words, asked_words).ratio() >= ECHO_SIMILARITY
        shared = len(asked & set(_content(sentence)))
        if same or (sentence.rstrip(" *_").endswith("?") and asked and shared >= ECHO_SHARE * len(asked)):
            found.append(Violation(kind="echoed_question", text=sentence, start=s, end=e))
    return found


def find_hollow(text: str, question: str) -> list[Violation]:
    """A whole answer that says nothing: fewer than EMPTY_WORDS content words ("empty"), or fewer than
    HOLLOW_NEW_WORDS that the question did not already have ("tautology": "Yes, a biopsy is painful.")."""
    content = _content(text)
    if len(content) < EMPTY_WORDS:
        return [Violation(kind="empty", text=text, start=0, end=len(text))]
    if len(set(content) - set(_content(question))) < HOLLOW_NEW_WORDS:
        return [Violation(kind="tautology", text=text, start=0, end=len(text))]
    return []


# The seven classes as an English text names them (accent-free, as after `fold`); "lentigo maligna" is a
# melanoma, not a lentigo.
_CLASS_NAMES = {
    "melanoma": r"melanomas?",
    "melanocytic_nevi": r"(?:melanocytic\s+)?n(?:a)?ev(?:us|i)|moles?|beauty\s+marks?",
    "basal_cell_carcinoma": r"basal\s+cell\s+(?:carcinoma|cancer)s?|bccs?|rodent\s+ulcers?",
    "actinic_keratoses": r"(?:actinic|solar)\s+kerato(?:sis|ses)|bowen'?s\s+disease|intraepithelial\s+carcinomas?",
    "benign_keratosis-like_lesions": r"seborr?ho?eic\s+kerato(?:sis|ses)|benign\s+kerato(?:sis|ses)(?:-like\s+lesions?)?"
    r"|(?:solar\s+)?lentig(?:o|ines)(?!\s+maligna)|(?:age|liver)\s+spots?|lichen[- ]planus[- ]like\s+kerato(?:sis|ses)",
    "dermatofibroma": r"dermatofibromas?",
    "vascular_lesions": r"vascular\s+lesions?|(?:cherry\s+)?h?a?emangiomas?|(?:cherry\s+)?angio(?:kerato)?mas?"
    r"|pyogenic\s+granulomas?",
}
_CLASS_NAME = re.compile(
    r"\b(?:" + "|".join(f"(?P<c{i}>{p})" for i, p in enumerate(_CLASS_NAMES.values())) + r")\b", re.I
)
_CLASS_OF_GROUP = {f"c{i}": label for i, label in enumerate(_CLASS_NAMES)}
# What, between two class names, makes the second a name for the first: "Dermatofibroma (mole)", "X, also
# called Y", "X is a (harmless) Y", "X is a type of Y", "X is the same as Y"; not "X is not a Y", "X is
# rarer than Y".
_NOT_A_NAME = r"(?:not|never|no|than|unlike|like|from|and|or|but|as|with|in|on|to|of|that|which)\b"
_NAMING = re.compile(
    r"\s*\(\s*(?:also\s+called\s+|i\.?e\.?,?\s+)?(?:an?\s+)?"
    r"|,?\s+(?:also\s+(?:called|known\s+as)|known\s+as|aka|i\.?e\.?,?)\s+(?:an?\s+)?"
    r"|\s+(?:is|are)\s+(?:just\s+|simply\s+|basically\s+|really\s+)?(?:the\s+same(?:\s+thing)?\s+as\s+|an?\s+|the\s+)?"
    rf"(?:(?:kind|type|form|sort|variety)\s+of\s+)?(?:an?\s+)?(?:(?!{_NOT_A_NAME})[a-z-]+\s+){{0,2}}?",
    re.I,
)


def find_wrong_class(text: str) -> list[Violation]:
    """One of the seven classes called by another's name: "Dermatofibroma (mole)", "a basal cell carcinoma
    is a melanoma"."""
    found = []
    folded = fold(text)
    for s, e in _sentence_spans(folded):
        names = list(_CLASS_NAME.finditer(folded, s, e))
        for a, b in zip(names, names[1:]):
            if _CLASS_OF_GROUP[a.lastgroup] != _CLASS_OF_GROUP[b.lastgroup] and _NAMING.fullmatch(folded, a.end(), b.start()):
                found.append(Violation(kind="wrong_class", text=text[a.start() : b.end()], start=a.start(), end=b.end()))
    return found


class OutputContext(BaseModel):
    """What the context-dependent checks compare a text with. Empty fields switch their check off."""

    model_config = ConfigDict(frozen=True)
    instructions: tuple[str, ...] = ()  # every instruction text the model was given (prompt echo)
    headings: tuple[str, ...] = ()  # headings that must not appear in this text
    language: str | None = None  # the language the reply must be in
    figures: bool = False  # model figures are dropped (report sections)
    phones: bool = False  # phone numbers are refused (follow-up answers)
    question: str | None = None  # the question answered (follow-up answers): not echoed, and said more than


def check_output(text: str, context: OutputContext = OutputContext()) -> list[Violation]:
    """Every check that applies, in order of position: `find_forbidden` plus the context's checks."""
    found = find_forbidden(text) + find_repetition(text)
    if context.instructions:
        found += find_echo(text, context.instructions)
    if context.headings:
        found += find_headings(text, context.headings)
    if context.figures:
        found += find_figures(text)
    if context.phones:
        found += find_phones(text)
    if context.language:
        found += find_language(text, context.language)
    if context.question is not None:
        found += find_filler(text) + find_echoed_question(text, context.question)
    return sorted(found + find_wrong_class(text), key=lambda v: (v.start, v.end))


class AnswerCheck(BaseModel):
    """`ok`: the text may be shown. `problems`: one readable line per failed check."""

    ok: bool
    problems: list[str] = []
    violations: list[Violation] = []


def check_answer(text: str, context: OutputContext = OutputContext(phones=True), *, whole: bool = True) -> AnswerCheck:
    """May this model-written answer be shown? Every check, any failure refuses it. `whole`: `text` is the
    answer (or enough of it to judge) rather than its first sentences, so it must also say something
    (`find_hollow`, with the context's question)."""
    found = check_output(text, context)
    if whole and context.question is not None:
        found += find_hollow(text, context.question)
    return AnswerCheck(ok=not found, problems=[f"{v.reason} ({v.text!r})" for v in found], violations=found)


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


_BLOCK = re.compile(r"<(script|style|iframe|object|embed|svg)\b.*?(?:</\1\s*>|$)", re.I | re.S)
_COMMENT = re.compile(r"<!--.*?(?:-->|$)", re.S)
_TAG = re.compile(r"</?[A-Za-z][^<>]*>")
_TARGET = r"\((?:[^()\s]|\([^()]*\))*\)"  # a link target, allowing one level of parentheses
_IMAGE = re.compile(r"!\[[^\]]*\]" + _TARGET)
_LINK = re.compile(r"\[([^\]]+)\]" + _TARGET)
_FENCE = re.compile(r"^\s*(?:```|~~~).*$", re.M)


def clean_markdown(text: str) -> str:
    """Model Markdown made safe to render: no HTML (tags stripped, leftovers escaped), no images or
    links (a remote image is a tracking pixel; a link could go anywhere), no code fences."""
    text = _COMMENT.sub("", _BLOCK.sub("", text))
    text = _TAG.sub("", text)
    text = re.sub(r"<(?=[A-Za-z/!?])", r"\\<", text)  # an unclosed tag must not become one later
    text = _LINK.sub(r"\1", _IMAGE.sub("", text))
    text = _FENCE.sub("", text)
    return re.sub(r"\n{3,}", "\n\n", text).strip()
