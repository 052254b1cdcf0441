"""The words of each language, to tell a real word from an invented one ("Wachshwartzzahl", "habituelde",
"Prostitto": a small model writing a language it barely knows). A word is known when wordfreq's large list
for the language has it (a few hundred thousand words seen in real text), when the app's own texts use it
in any locale (class names, the standard reports: "basalioma", "angiokératome"), or when the language's
lexicon file lists it under `known` (medical words the general list lacks) or among the medicine names. Each language's words are
kept as sorted 64-bit hashes (about 2.5 MB a language, built once, on first use).

What is not judged: words shorter than MIN_LETTERS, acronyms, and, outside German (where every noun is
capitalised), a capitalised word inside a sentence: a name. Spanish and Italian pronouns written onto a
verb ("arrástrela", "grattarla") and German compounds of two known words ("Ergebnisliste") are known.
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache

import numpy as np
import wordfreq

from assistant.text.lexicon import DRUGS
from assistant.text.lexicon import words as lexicon_words
from assistant.text.locale import LOCALES
from tools.text import LOCALES_DIR

MIN_LETTERS = 4  # shorter words are too often abbreviations, and too short to be invented convincingly
ACRONYM_LETTERS = 6  # an all-capitals word up to this long is an acronym (SPF, ABCDE, HEIC)

_WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)*")
# The end of a sentence, a line or a list mark: a capitalised word after it is not a name.
_OPENING = re.compile(r"(?:^|[.!?:;\n*#>•–—-]|\d[.)])[\s\"«“„(]*$")
# Pronouns written onto a verb: "muéstresela" (muestre + se + la), "grattarla" (grattare + la).
_CLITICS = {
    "es": ("selas", "selos", "sela", "selo", "nos", "les", "los", "las", "le", "lo", "la", "me", "te", "se"),
    "it": ("gliela", "glielo", "gliele", "glieli", "mela", "melo", "tela", "telo", "sela", "selo", "cela", "celo",
           "gli", "la", "lo", "li", "le", "ne", "ci", "si", "mi", "ti", "vi"),
}
_LINKS = ("", "s", "n", "en", "es")  # German compounds join their parts bare or with these (Lebensstil)


def _key(word: str) -> str:
    """A word as it is looked up: case-folded ("ß" -> "ss"), without accents, straight apostrophes."""
    decomposed = unicodedata.normalize("NFKD", word.casefold().replace("’", "'"))
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _hashes(words) -> np.ndarray:
    return np.unique(np.fromiter((hash(_key(w)) for w in words), dtype=np.int64))


@cache
def _app_words() -> np.ndarray:
    """Every word of every locale's catalogue and texts: medical and class names in all six languages."""
    found: set[str] = set()
    for path in sorted(LOCALES_DIR.rglob("*")):
        if path.suffix in (".md", ".toml"):
            found.update(_WORD.findall(path.read_text(encoding="utf-8")))
    return _hashes(found)


@cache
def _known(language: str) -> np.ndarray:
    general = _hashes(wordfreq.iter_wordlist(language, "large"))
    wordfreq.get_frequency_list.cache_clear()  # wordfreq keeps its whole list cached; the hashes are enough
    # Medicine names are words too: the output checks' drug check says what is wrong with them.
    lexicon = _hashes([*lexicon_words("known", language), *(w for name in DRUGS for w in name.split())])
    return np.union1d(np.union1d(general, _app_words()), lexicon)


def _has(key: str, known: np.ndarray) -> bool:
    h = hash(key)
    i = int(np.searchsorted(known, h))
    return i < len(known) and known[i] == h


def is_known(word: str, language: str) -> bool:
    """Is `word` a word of `language` (or too short to judge)?"""
    known = _known(language if language in LOCALES else "en")
    key = _key(word)
    if len(key) < MIN_LETTERS or _has(key, known):
        return True
    key = max(key.split("'"), key=len)  # "dell'amore", "l'aspect": the word after the article
    if len(key) < MIN_LETTERS or _has(key, known):
        return True
    for clitic in _CLITICS.get(language, ()):
        stem = key[: -len(clitic)]
        if key.endswith(clitic) and len(stem) >= 3 and (_has(stem, known) or (language == "it" and _has(stem + "e", known))):
            return True
    if language == "de":
        return any(_has(key[i:], known) and any(key[:i].endswith(link) and _has(key[: i - len(link)], known)
                                                 for link in _LINKS if i - len(link) >= 3)
                   for i in range(3, len(key) - 2))
    return False


def unknown_words(text: str, language: str) -> list[tuple[int, int]]:
    """(start, end) of each word of `text` that `language` does not know, in order."""
    found = []
    for m in _WORD.finditer(text):
        word = m.group(0)
        if word.isupper() and len(word) <= ACRONYM_LETTERS:
            continue
        if language != "de" and word[0].isupper() and not _OPENING.search(text, max(m.start() - 8, 0), m.start()):
            continue
        if not is_known(word, language):
            found.append((m.start(), m.end()))
    return found


def warm_up(languages: tuple[str, ...] = LOCALES) -> None:
    """Build the word lists now (about a second a language) rather than in the first model answer."""
    for language in languages:
        _known(language)
