"""The one lexicon: how text is normalised, which language it is in, and the medicine names that no
screening text may carry. Input routing (assistant/guardrails.py, assistant/intents.py) and the output
checks (assistant/safety.py) all read it from here, so a word added here counts everywhere.
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache
from typing import Literal

Language = Literal["en", "es", "fr", "de", "it", "pt"]
LANGUAGES: tuple[Language, ...] = ("en", "es", "fr", "de", "it", "pt")
LANGUAGE_NAMES: dict[str, str] = {
    "en": "English",
    "es": "Spanish (español)",
    "fr": "French (français)",
    "de": "German (Deutsch)",
    "it": "Italian (italiano)",
    "pt": "Portuguese (português)",
}



def normalise(text: str) -> str:
    """Lower case without accents ("fièvre" -> "fievre", "Größe" -> "grosse"), straight apostrophes,
    single spaces: people type with and without accents, and the patterns are written once, in ASCII."""
    text = text.replace("ß", "ss").replace("’", "'").replace("‘", "'").replace("´", "'")
    text = unicodedata.normalize("NFKD", text.lower())
    text = "".join(c for c in text if not unicodedata.combining(c))
    return re.sub(r"\s+", " ", text).strip()


# Frequent function words per language (accent-free, as after `normalise`). A word shared by several
# languages counts for each of them by 1/(number of languages), so distinctive words decide.
_STOPWORDS: dict[str, str] = {
    "en": "the a an is are was were be i you it my me what how why should do does did can could this that "
    "these and of to in with have has will would not if about mean means on for am get at or there",
    "es": "el la los las un una es son que de del y en mi me por para con no si se lo como esta estoy "
    "tengo debo puedo muy pero mas este esto eso significa hay cuando porque ya le su al algo deberia",
    "fr": "le la les un une des est et je j ai mon ma mes que qu quoi ce cette c il elle pas ne de du en "
    "pour avec sur dans vous tu comment pourquoi dois au aux ca est-ce veut dire suis moi faire",
    "de": "der die das ein eine einen ist und ich mein meine was wie warum soll sollte nicht mit auf fur "
    "zu es sie du haben habe bedeutet sehr auch wenn kann den dem des mir mich bin sind oder muss will",
    "it": "il lo la gli le un una uno e che di del della per con non mio mia cosa come perche sono ho "
    "devo posso questo questa molto significa mi ma anche nel sul cos dovrei al faccio fa dal della alla sei ci",
    "pt": "o a os as um uma e que de do da dos das em no na meu minha com nao por para como porque tenho "
    "devo posso isso isto este esta muito significa voce eu ao ele ela deveria",
}
# Letters only one of our languages uses (checked before accents are removed).
_MARKS = {"es": "ñ¿¡", "pt": "ãõ", "de": "ßäöü"}
_MARK_WEIGHT = 2.0
_MIN_SCORE = 1.0  # below this the message is too short to tell: English


@cache
def _stopword_weights() -> dict[str, dict[str, float]]:
    owners: dict[str, list[str]] = {}
    for lang, words in _STOPWORDS.items():
        for w in set(words.split()):
            owners.setdefault(w, []).append(lang)
    return {lang: {w: 1 / len(owners[w]) for w in set(words.split())} for lang, words in _STOPWORDS.items()}


def detect_language(text: str) -> str:
    """The message's language among en, es, fr, de, it, pt, by weighted stopword counts; "en" when
    nothing decides (short or mixed messages), since the app's own texts are English first."""
    weights = _stopword_weights()
    tokens = re.findall(r"[a-z]+(?:-[a-z]+)?", normalise(text))
    scores = {lang: sum(weights[lang].get(t, 0.0) for t in tokens) for lang in LANGUAGES}
    lowered = text.lower()
    for lang, marks in _MARKS.items():
        if any(m in lowered for m in marks):
            scores[lang] += _MARK_WEIGHT
    best = max(LANGUAGES, key=lambda lang: (scores[lang], lang == "en"))
    return best if scores[best] >= _MIN_SCORE and scores[best] > scores["en"] else "en"



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
