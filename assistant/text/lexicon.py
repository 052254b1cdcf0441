"""The one lexicon: how text is normalised, which language it is in, and the medicine names that no
screening text may carry. Input routing (assistant/safety/rules.py, assistant/safety/intents.py) and the output
checks (assistant/safety/output_checks.py) all read it from here, so a word added here counts everywhere.
"""

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


def normalise(text: str) -> str:
    """Lower case without accents ("fièvre" -> "fievre", "Größe" -> "grosse"), straight apostrophes,
    single spaces: people type with and without accents, and the patterns are written once, in ASCII."""
    text = text.replace("ß", "ss").replace("’", "'").replace("‘", "'").replace("´", "'")
    text = unicodedata.normalize("NFKD", text.lower())
    text = "".join(c for c in text if not unicodedata.combining(c))
    return re.sub(r"\s+", " ", text).strip()


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
    path = PROMPTS_DIR / "lexicon" / f"{language}.toml"
    return frozenset(fold(w) for w in tomllib.loads(path.read_text(encoding="utf-8"))[name].split())
