"""Follow-up answers that are not answers: filler about "the answer", the question put back, an answer that
opens with a question, a conversation written on ("Person: ..."), too few words of their own (empty or
tautological), and a class called by another class's name."""

from __future__ import annotations

import difflib
import re

from assistant.safety.forbidden import _sentence_spans
from assistant.safety.violations import Violation
from assistant.text.lexicon import WORD, fold, pattern_table, patterns, word_runs
from assistant.text.lexicon import words as word_list
from assistant.text.locale import LOCALES

# Talk about the answer instead of an answer, in a small model's words under the follow-up prompt (whose
# last line is "Answer the question above in English"): "The answer to the question above is:", "The answer
# is: ...", "This answer is based on the rules of your previous question", "**English answer in English:**",
# a "## Answer" heading. The words are data (prompts/lexicon/en.toml).
_FILLER = re.compile(patterns("filler"), re.I | re.M)


# A small model writing the conversation on after its answer: a line that opens with a speaker's label, the
# prompt's history labels ("Person:", "Assistant:") or a language's own (prompts/lexicon/<lang>.toml).
_TRANSCRIPT = re.compile(patterns("transcript"), re.I | re.M)


# Words that carry no answer, in the six languages (prompts/lexicon/<language>.toml `empty`).
_EMPTY_WORDS = frozenset().union(*(word_list("empty", language) for language in LOCALES))


_SUFFIXES = ("ing", "ed", "es", "s", "ful", "ly")
STEM_CHARS = 5  # "biopsy"/"biopsies", "melanoma"/"melanomas", "check"/"checking" meet at their first five letters
EMPTY_WORDS = 2  # an answer with fewer content words than this is empty...
HOLLOW_NEW_WORDS = 3  # ...and one with fewer than this many the question did not already have says nothing new
ECHO_SHARE = 0.5  # a question in the answer that has this share of the question's content words puts it back
ECHO_SIMILARITY = 0.8  # a sentence this similar to the question (word by word) is the question
QUOTED_WORDS = 8  # a run this long of the question's own words is the question quoted, not answered


def _stem(word: str) -> str:
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            word = word[: -len(suffix)]
            break
    return word[:STEM_CHARS]


def _content(text: str) -> list[str]:
    """The stems of the words of `text` that say something (not `_EMPTY_WORDS`, not numbers)."""
    return [_stem(w) for w in WORD.findall(fold(text)) if w not in _EMPTY_WORDS and not w.isdigit() and len(w) > 1]


def find_filler(text: str) -> list[Violation]:
    return [Violation(kind="filler", text=text[m.start() : m.end()], start=m.start(), end=m.end())
            for m in _FILLER.finditer(fold(text))]


def find_transcript(text: str) -> list[Violation]:
    return [Violation(kind="transcript", text=text[m.start() : m.end()], start=m.start(), end=m.end())
            for m in _TRANSCRIPT.finditer(fold(text))]


_EMPHASIS = re.compile(r"[*_]")  # one character for one: the offsets stay the text's


def find_question_first(text: str) -> list[Violation]:
    """An answer whose first sentence is a question: SmolLM2 opened with a question of its own, a curated
    heading it had read ("**What should I do if it ever starts bleeding?**") or the patient's own, garbled
    ("¿Puedo echarme crema solar en la luna?"), then wrote on from there."""
    plain = _EMPHASIS.sub(" ", text)  # "**A question?** - The answer ...": the question ends before the stars
    first = next(_sentence_spans(plain), None)
    if first is None:
        return []
    s, e = first
    sentence = plain[s:e].strip().strip("#>-• \t")
    if sentence.endswith("?") or sentence.startswith("¿"):
        return [Violation(kind="question_first", text=text[s:e], start=s, end=e)]
    return []


def find_echoed_question(text: str, question: str) -> list[Violation]:
    """Sentences that put the question back: the question itself (ECHO_SIMILARITY), a question that shares
    ECHO_SHARE of its content words, or QUOTED_WORDS of its words in a row ('je vais répondre à la question
    "ma mère vient de s'effondrer dans le salon"')."""
    asked, asked_words = set(_content(question)), WORD.findall(fold(question))
    quoted = set(word_runs(asked_words, QUOTED_WORDS))
    found = []
    for s, e in _sentence_spans(text):
        sentence = text[s:e]
        words = WORD.findall(fold(sentence))
        if not words:
            continue
        same = difflib.SequenceMatcher(None, words, asked_words).ratio() >= ECHO_SIMILARITY
        shared = len(asked & set(_content(sentence)))
        quotes = not quoted.isdisjoint(word_runs(words, QUOTED_WORDS))
        if same or quotes or (sentence.rstrip(" *_").endswith("?") and asked and shared >= ECHO_SHARE * len(asked)):
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


# The seven classes as an English text names them (accent-free, as after `fold`; prompts/lexicon/en.toml
# `[class_names]`); "lentigo maligna" is a melanoma, not a lentigo.
_CLASS_NAMES = pattern_table("class_names")
_CLASS_NAME = re.compile(
    r"\b(?:" + "|".join(f"(?P<c{i}>{p})" for i, p in enumerate(_CLASS_NAMES.values())) + r")\b", re.I
)
_CLASS_OF_GROUP = {f"c{i}": label for i, label in enumerate(_CLASS_NAMES)}
# What, between two class names, makes the second a name for the first: "Dermatofibroma (mole)", "X, also
# called Y", "X is a (harmless) Y", "X is a type of Y", "X is the same as Y"; not "X is not a Y", "X is
# rarer than Y".
_NAMING = re.compile(patterns("naming"), re.I)


def find_wrong_class(text: str) -> list[Violation]:
    """One of the seven classes called by another's name: "Dermatofibroma (mole)", "a basal cell carcinoma
    is a melanoma"."""
    found = []
    folded = fold(text)
    for s, e in _sentence_spans(folded):
        if folded[s:e].rstrip(" *_").endswith("?"):  # "¿un carcinoma basocelular es lo mismo que un melanoma?"
            continue  # asks, does not say
        names = list(_CLASS_NAME.finditer(folded, s, e))
        for a, b in zip(names, names[1:]):
            if _CLASS_OF_GROUP[a.lastgroup] != _CLASS_OF_GROUP[b.lastgroup] and _NAMING.fullmatch(folded, a.end(), b.start()):
                found.append(Violation(kind="wrong_class", text=text[a.start() : b.end()], start=a.start(), end=b.end()))
    return found
