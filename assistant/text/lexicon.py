"""The one lexicon: how text is normalised, which language it is in, the medicine names that no
screening text may carry, and the word patterns of the safety checks and the follow-up topics. Input routing
(assistant/safety/rules.py, assistant/safety/intents.py), the output checks (assistant/safety/forbidden.py,
assistant/safety/answer_checks.py) and assistant/conversation/topics.py all read it from here, so a word added
here counts everywhere. The patterns' words live in prompts/lexicon/<language>.toml, one file per language;
prompts/lexicon/common.toml holds what no one language owns: the input rules' table, the templates that
join the languages' words into one pattern, numbers and units, and the cognates several languages share."""

from __future__ import annotations

import re
import unicodedata
from functools import cache

import tomllib

from assistant.text.locale import LOCALES, guess
from assistant.text.prompts import PROMPTS_DIR

LANGUAGES: tuple[str, ...] = LOCALES  # the six, declared once in assistant/text/locale.py
LANGUAGE_NAMES: dict[str, str] = {
    "en": "English",
    "es": "Spanish (español)",
    "fr": "French (français)",
    "de": "German (Deutsch)",
    "it": "Italian (italiano)",
    "pt": "Portuguese (português)",
}



# A word of normalised or folded text (lower case, no accents): the unit of the output checks.
WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")


def word_runs(words: list[str], n: int) -> list[tuple[str, ...]]:
    """Every run of `n` consecutive words, in order (shingles): what the output checks compare to find
    copied, quoted or looping text."""
    return [tuple(words[i : i + n]) for i in range(len(words) - n + 1)]


_SPELLINGS = {"ß": "ss", "’": "'", "‘": "'", "´": "'"}  # folded alike however they are typed


def normalise(text: str) -> str:
    """Lower case without accents ("fièvre" -> "fievre", "Größe" -> "grosse"), straight apostrophes,
    single spaces: people type with and without accents, and the patterns are written once, in ASCII."""
    return re.sub(r"\s+", " ", "".join(map(_fold_char, text))).strip()


def _fold_char(c: str) -> str:
    return "".join(x for x in unicodedata.normalize("NFKD", _SPELLINGS.get(c, c).lower()) if not unicodedata.combining(x))


def without(name: str, text: str) -> str:
    """`text` as written, minus the spans that pattern `name` matches on its folded form ("Estou só a matar
    tempo" -> "Estou só a"): the patterns are written for folded text, the sentence model reads text as
    written, so each folded character remembers the written one it came from."""
    folded, source = [], []
    for i, c in enumerate(text):
        for x in _fold_char(c):
            folded.append(x)
            source.append(i)
    drop: set[int] = set()
    for m in re.finditer(patterns(name), "".join(folded)):
        if m.end() > m.start():
            drop.update(range(source[m.start()], source[m.end() - 1] + 1))
    return " ".join("".join(c for i, c in enumerate(text) if i not in drop).split()) if drop else text


def detect_language(text: str) -> str:
    """The message's language among en, es, fr, de, it, pt (lingua, assistant/text/locale.py); "en" when it
    cannot tell (short or mixed messages), since the app's own texts are English first."""
    return guess(text)


# Medicines a skin-screening text could plausibly name: topical and systemic skin-cancer drugs,
# steroids, retinoids, antibiotics, painkillers. Brand names that are common words are left out.
DRUGS = tuple(dict.fromkeys((
    "imiquimod", "aldara", "fluorouracil", "5-fluorouracil", "5-fu", "efudex", "diclofenac", "ingenol",
    "tirbanibulin", "aminolevulinic", "aminolaevulinic", "methyl aminolevulinate", "podophyllin",
    "cantharidin", "methotrexate", "vismodegib", "sonidegib", "cemiplimab", "pembrolizumab", "nivolumab",
    "ipilimumab", "relatlimab", "dabrafenib", "trametinib", "vemurafenib", "encorafenib", "binimetinib",
    "interferon", "hydrocortisone", "cortisone", "clobetasol", "betamethasone", "triamcinolone",
    "mometasone", "fluocinonide", "prednisone", "prednisolone", "dexamethasone", "tretinoin",
    "isotretinoin", "adapalene", "tacrolimus", "pimecrolimus", "ibuprofen", "paracetamol",
    "acetaminophen", "aspirin", "naproxen", "codeine", "tramadol", "lidocaine", "doxycycline",
    "minocycline", "cephalexin", "amoxicillin", "clindamycin", "mupirocin", "fusidic acid", "neomycin",
    "bacitracin", "propranolol", "timolol", "salicylic acid",
    # the same medicines as written in es / fr / de / it / pt (after `normalise`: no accents)
    "imiquimode", "imiquimodo", "fluorouracilo", "fluorouracile", "fluorouracil", "diclofenaco", "diclofenac",
    "hidrocortisona", "hydrocortisone", "idrocortisone", "hydrocortison", "cortisona", "cortisone", "kortison",
    "cortisone", "clobetasol", "betametasona", "betamethasone", "betametasone", "betamethason", "prednisona",
    "prednison", "prednisolona", "prednisolon", "dexametasona", "dexamethason", "desametasone", "tretinoina",
    "tretinoine", "tretinoin", "isotretinoina", "isotretinoine", "ibuprofeno", "ibuprofene", "paracetamolo",
    "acetaminofen", "acetaminofeno", "aspirina", "aspirine", "naproxeno", "naproxene", "codeina", "codeine",
    "kodein", "tramadolo", "lidocaina", "lidocaine", "lidocain", "doxiciclina", "doxycyclin", "doxycycline",
    "doxiciclina", "minociclina", "cefalexina", "cefalessina", "amoxicilina", "amoxicilline", "amoxicillin",
    "amoxicillina", "clindamicina", "clindamycine", "clindamycin", "mupirocina", "mupirocine", "mupirocin",
    "acido fusidico", "acide fusidique", "fusidinsaure", "neomicina", "neomycine", "neomycin", "bacitracina",
    "propranolo", "propranolol", "acido salicilico", "acide salicylique", "salicylsaure", "acido salicilico",
    "metotrexato", "methotrexate", "metotressato", "interferon", "interferone", "interferao",
    # home remedies people put on spots: naming one reads as advice to use it
    "hydrogen peroxide", "tea tree oil", "apple cider vinegar", "bleach", "agua oxigenada", "eau oxygenee",
    "wasserstoffperoxid", "acqua ossigenata", "aceite de arbol de te", "huile d'arbre a the", "teebaumol",
    "olio di tea tree", "oleo de melaleuca", "vinagre de manzana", "vinaigre de cidre", "apfelessig",
    "aceto di mele", "vinagre de maca", "lejia", "javel", "candeggina", "lixivia",
)))


def fold(text: str) -> str:
    """Lower case without accents, character for character (same length as `text`), so that a match
    found in the folded text has the same offsets in the original."""
    out = []
    for c in text.lower():
        base = unicodedata.normalize("NFKD", c)
        base = "".join(b for b in base if not unicodedata.combining(b))
        out.append(base if len(base) == 1 else c)
    return "".join(out)


@cache
def words(name: str, language: str = "en") -> frozenset[str]:
    """A word list from prompts/lexicon/<language>.toml, folded as the checks fold text."""
    return frozenset(fold(w) for w in _lexicon_file(language)[name].split())


# ---------------------------------------------------------------- word patterns (prompts/lexicon/*.toml)
#
# In a language's file, `[patterns]` maps a name to that language's alternatives (a string, or a list of
# strings joined with "|"). `patterns(name)` joins every file's alternatives for the name, common.toml's first,
# then the languages in common.toml's `order`; a name in common.toml's `[templates]` is that template instead.
# `${name}` inside a pattern is replaced by `patterns(name)` (`${drug_names}`: the DRUGS above, escaped).
_REFERENCE = re.compile(r"\$\{(\w+)\}")


@cache
def _lexicon_file(name: str) -> dict:
    return tomllib.loads((PROMPTS_DIR / "lexicon" / f"{name}.toml").read_text(encoding="utf-8"))


def _files() -> tuple[str, ...]:
    """common.toml, then the languages in the order their alternatives are joined."""
    return ("common", *_lexicon_file("common")["order"])


def _joined(value: str | list[str]) -> str:
    return value if isinstance(value, str) else "|".join(value)


def _expand(pattern: str) -> str:
    return _REFERENCE.sub(lambda m: patterns(m.group(1)), pattern)


@cache
def patterns(name: str) -> str:
    """One pattern: every file's alternatives for `name` joined with "|" (or common.toml's template), with
    `${...}` references expanded. KeyError when no file has the name."""
    if name == "drug_names":
        return "|".join(re.escape(d) for d in DRUGS)
    template = _lexicon_file("common").get("templates", {}).get(name)
    if template is not None:
        return _expand(_joined(template))
    found = [_joined(t[name]) for f in _files() if name in (t := _lexicon_file(f).get("patterns", {}))]
    if not found:
        raise KeyError(f"no lexicon pattern {name!r}")
    return _expand("|".join(found))


@cache
def patterns_each(name: str) -> tuple[str, ...]:
    """One pattern per file that has `name` (common.toml's first, then the languages in order)."""
    return tuple(_expand(_joined(t[name])) for f in _files() if name in (t := _lexicon_file(f).get("patterns", {})))


@cache
def pattern_table(name: str) -> dict[str, str]:
    """A table of patterns by key (`[name]` in the files): per key, every file's alternatives joined with "|",
    keys in the order the languages first give them (the order matters: topics are listed in it)."""
    keys = dict.fromkeys(k for f in (*_files()[1:], "common") for k in _lexicon_file(f).get(name, {}))
    return {key: _expand("|".join(_joined(t[key]) for f in _files() if key in (t := _lexicon_file(f).get(name, {}))))
            for key in keys}


def input_rules() -> list[dict]:
    """The input rules in the order they are tried (common.toml's `[[rules]]`): route, category, guarded, and
    either `each` (one rule per pattern of `patterns_each(name)`, name by name) or `all` (one rule whose
    patterns must all match)."""
    return list(_lexicon_file("common")["rules"])
