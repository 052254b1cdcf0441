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
user's, words the language does not have, filler that describes the text instead of saying anything, degenerate repetition, and an answer unrelated to the question (similarity in the intent router's embedding space).
Follow-up answers must also be answers (`find_filler`, `find_echoed_question`, `find_hollow`: no talk about
"the answer to the question above", no question put back, more than the question's own words), and no
text may call one of the seven classes by another's name (`find_wrong_class`).
Patterns run on `lexicon.fold(text)` (lower case, no accents, same offsets as the text).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import cache

from pydantic import BaseModel, ConfigDict

from assistant.safety.answer_checks import (find_echoed_question, find_filler, find_hollow, find_question_first,
                                             find_transcript, find_wrong_class)
from assistant.safety.forbidden import _sentence_spans, find_forbidden
from assistant.safety.violations import Violation, ViolationKind
from assistant.text.lexicon import WORD, fold, normalise, word_runs
from assistant.text.locale import detect
from assistant.text.vocabulary import unknown_words

# ---------------------------------------------------------------- checks that need context

ECHO_WORDS = 6  # a run of this many words from an instruction text is the prompt copied back
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
    return [WORD.findall(normalise(part)) for part in re.split(r"\$\w+|\$\{\w+\}|\"[^\"\n]*\"", text)]


def _runs(texts: tuple[str, ...]) -> frozenset[tuple[str, ...]]:
    """Every run of ECHO_WORDS words in `texts`."""
    out: set[tuple[str, ...]] = set()
    for text in texts:
        for words in _template_words(text):
            out.update(word_runs(words, ECHO_WORDS))
    return frozenset(out)


_shingles = cache(_runs)  # the instruction texts: a few sets for the process; a conversation's answers: never kept

# A short phrase of the prompt in quotes ('... della polizia («l'esame di un medico»)'): quotes mark words
# taken from somewhere, and a report or an answer has nothing of its prompt to quote.
QUOTED_ECHO_WORDS = 3
_QUOTED = re.compile(r'«([^»\n]{3,160})»|"([^"\n]{3,160})"|“([^”\n]{3,160})”|„([^“”\n]{3,160})[“”]')


def unquoted(text: str) -> str:
    """`text` without what it puts in quotes: words taken from somewhere, not written."""
    return _QUOTED.sub(" ", text)


@cache
def _phrases(texts: tuple[str, ...]) -> str:
    """The instruction texts' word runs as one string, a run per line with a space at both ends: a quoted
    phrase is looked up with one `in`."""
    return "\n".join(f" {' '.join(words)} " for text in texts for words in _template_words(text) if words)


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
REPEAT_OPENING_WORDS = 6  # an opening sentence this long written again: the model started over


_ITEM_NUMBER = re.compile(r"\d{1,2}[.)][ \t]*$")  # "2. " before a sentence: the sentence opens a list item


def _opens_line(text: str, start: int) -> bool:
    """Does `start` begin the text or a line: a paragraph, a heading or a list item ("- ", "* " are part of
    the sentence; "2. " is split off before it)? Looks back from `start` only: this runs for every sentence
    of every streamed check."""
    i = start
    while i and text[i - 1] in " \t":
        i -= 1
    number = _ITEM_NUMBER.search(text, max(i - 8, 0), start)
    if number:
        i = number.start()
        while i and text[i - 1] in " \t":
            i -= 1
    return i == 0 or text[i - 1] == "\n"


def find_repetition(text: str) -> list[Violation]:
    """A sentence repeated REPEAT_LINE_TIMES times, a run of REPEAT_RUN_WORDS words repeated
    REPEAT_RUN_TIMES times, or a sentence that opens a line (a paragraph, a list item; REPEAT_OPENING_WORDS
    words or more) written again: SmolLM2 wrote its first paragraph out again after the second, and its
    first bullet again as the last. (A sentence said twice inside the text is not a loop: a curated answer
    states the urgency line, then the result with it.)
    The first repeat is reported, whole text replaced."""
    seen: dict[str, int] = {}
    openings: set[str] = set()
    for s, e in _sentence_spans(text):
        key = " ".join(WORD.findall(fold(text[s:e])))
        if len(key.split()) >= 2:
            seen[key] = seen.get(key, 0) + 1
            if seen[key] >= REPEAT_LINE_TIMES or (seen[key] == 2 and key in openings):
                return [Violation(kind="repetition", text=text[s:e], start=s, end=e)]
        if len(key.split()) >= REPEAT_OPENING_WORDS and _opens_line(text, s):
            openings.add(key)
    words = [(m.group(0), m.start(), m.end()) for m in WORD.finditer(fold(text))]
    runs: dict[tuple[str, ...], int] = {}
    for i, run in enumerate(word_runs([w for w, _, _ in words], REPEAT_RUN_WORDS)):
        runs[run] = runs.get(run, 0) + 1
        if runs[run] >= REPEAT_RUN_TIMES:
            start, end = words[i][1], words[i + REPEAT_RUN_WORDS - 1][2]
            return [Violation(kind="repetition", text=text[start:end], start=start, end=end)]
    return []


def find_echo(text: str, instructions: tuple[str, ...]) -> list[Violation]:
    """Runs of ECHO_WORDS words that also appear in any of the instruction texts, a shorter phrase of them
    in quotes (QUOTED_ECHO_WORDS words or more), and sentences that are instructions about the writing
    itself."""
    folded = fold(text)
    meta = [Violation(kind="echo", text=text[m.start() : m.end()], start=m.start(), end=m.end())
            for m in _META.finditer(folded)]
    quoted = []
    for m in _QUOTED.finditer(folded):
        words = WORD.findall(next(g for g in m.groups() if g is not None))
        phrase = f" {' '.join(words)} "
        if len(words) >= QUOTED_ECHO_WORDS and phrase in _phrases(instructions):
            quoted.append(Violation(kind="echo", text=text[m.start() : m.end()], start=m.start(), end=m.end()))
    return meta + quoted + find_shared_runs(text, _shingles(instructions), "echo")


def find_shared_runs(text: str, shingles: frozenset[tuple[str, ...]], kind: ViolationKind) -> list[Violation]:
    """Runs of ECHO_WORDS words of `text` that are among `shingles` (`_runs` of other texts), as `kind`."""
    words = [(m.group(0), m.start(), m.end()) for m in WORD.finditer(fold(text))]
    runs = word_runs([w for w, _, _ in words], ECHO_WORDS)
    found: list[Violation] = []
    i = 0
    while i < len(runs):
        if runs[i] in shingles:
            start, end = words[i][1], words[i + ECHO_WORDS - 1][2]
            found.append(Violation(kind=kind, text=text[start:end], start=start, end=end))
            i += ECHO_WORDS
        else:
            i += 1
    return found


def find_headings(text: str, titles: Iterable[str]) -> list[Violation]:
    """Lines that are, or start with, one of `titles` (another section's heading; a prompt heading)."""
    found = []
    wanted = [" ".join(WORD.findall(normalise(t))) for t in titles]
    pos = 0
    for line in text.split("\n"):
        key = " ".join(WORD.findall(normalise(re.sub(r"^[\s#>*_\d.)-]+", "", line))))
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
        if len(WORD.findall(fold(sentence))) >= LANGUAGE_MIN_WORDS:
            found = detect(_MARKUP.sub(" ", sentence), min_words=LANGUAGE_MIN_WORDS, min_confidence=LANGUAGE_CONFIDENCE)
            out.append((s, e, found))
    return out


def find_invented(text: str, language: str) -> list[Violation]:
    """Words that `language` does not have (assistant/text/vocabulary.py): a small model writing a language it
    barely knows makes words up ("Wachshwartzzahl", "L'aspect habituelde (les égéments)") in sentences that
    pass every other check. One is enough: the app's texts have none, and a real medical word the lists lack
    belongs in the lexicon's `known` words."""
    return [Violation(kind="invented_word", text=text[s:e], start=s, end=e) for s, e in unknown_words(text, language)]


def find_language(text: str, language: str) -> list[Violation]:
    """Sentences placed with confidence in another language than `language`: unsure is not wrong."""
    return [Violation(kind="language", text=text[s:e], start=s, end=e)
            for s, e, found in sentence_languages(text) if found is not None and found != language]


# ---------------------------------------------------------------- answers that say nothing, or the wrong thing


class OutputContext(BaseModel):
    """What the context-dependent checks compare a text with. Empty fields switch their check off."""

    model_config = ConfigDict(frozen=True)
    instructions: tuple[str, ...] = ()  # every instruction text the model was given (prompt echo)
    headings: tuple[str, ...] = ()  # headings that must not appear in this text
    language: str | None = None  # the language the reply must be in
    figures: bool = False  # model figures are dropped (report sections)
    phones: bool = False  # phone numbers are refused (follow-up answers)
    question: str | None = None  # the question answered (follow-up answers): not echoed, and said more than
    earlier: tuple[str, ...] = ()  # the conversation's earlier messages: a small model wrote one out again


def check_output(text: str, context: OutputContext = OutputContext()) -> list[Violation]:
    """Every check that applies, in order of position: `find_forbidden` plus the context's checks."""
    found = find_forbidden(text) + find_repetition(text)
    if context.instructions:
        found += find_echo(text, context.instructions)
    if context.earlier:
        found += find_shared_runs(text, _runs(context.earlier), "earlier_answer")
    if context.headings:
        found += find_headings(text, context.headings)
    if context.figures:
        found += find_figures(text)
    if context.phones:
        found += find_phones(text)
    if context.language:
        found += find_language(text, context.language) + find_invented(text, context.language)
    if context.question is not None:
        found += (find_filler(text) + find_echoed_question(text, context.question) + find_transcript(text)
                  + find_question_first(text))
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
