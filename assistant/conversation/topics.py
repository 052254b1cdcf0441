"""What a follow-up question is about: its topics (ABCDE, self-check, prevention, a class, the
percentages, a comparison...), the images it names, and whether it needs a screening result."""

from __future__ import annotations

import re

from assistant.safety.rules import normalise

_TOPICS: dict[str, str] = {
    "compare": r"\bcompar\w*|\bdifferen\w*|\bboth\s+(?:images|photos|pictures|spots)\b|\b(?:image|photo|picture)\s*#?\d"
    r"|\b(?:first|second|third|previous|earlier|last|other|older|newer)\s+(?:image|photo|picture|one|spot)\b"
    r"|\btwo\s+(?:images|photos|pictures|spots)\b|\bvergleich\w*|\bconfront\w*",
    "percent": r"%|\bpercent\w*|\bper\s+cent\b|\bconfiden\w*|\bprobab\w*|\bnumbers?\b|\bscores?\b|\baccura\w*|\breliab\w*"
    r"|\btrust\b|\bwrong\b|\bmistakes?\b|\bhow\s+sure\b|\bporcentaje|\bpourcentage|\bprozent|\bpercentual|\bconfianza"
    r"|\bconfiance|\bfiducia|\bconfianca|\bwahrscheinlich",
    "urgency": r"\burgen\w*|\bhow\s+soon\b|\bwhy\s+(?:so\s+|is\s+it\s+)?(?:high|low|moderate)\b|\btier\b|\bpriority\b|\bdringend",
    "worry": r"\bworr\w*|\bscared\b|\bafraid\b|\banxious\b|\bfrighten\w*|\bserious\b|\bdangerous\b|\bdeadly\b|\bpreocup\w*"
    r"|\binquiet\w*|\bsorgen?\b|\bpreoccup\w*|\bmiedo\b|\bpeur\b|\bangst\b|\bpaura\b|\bmedo\b|\bgrave\b|\bgefahrlich"
    r"|\bpericolos\w*|\bperigos\w*|\bpeligros\w*|\bdangereu\w*",
    "abcde": r"\babcde?\b|\basymmetr\w*|\bborders?\b|\bwarning\s+signs?\b|\bsigns?\b|\bsymptoms?\b|\blook\s+for\b"
    r"|\bfeatures\b|\blook\s+like\b|\bsenales\b|\bsignes\b|\banzeichen\b|\bsegnali\b|\bsinais\b",
    "self_check": r"\bcheck\s+(?:my\s+|your\s+|the\s+)?(?:own\s+)?(?:skin|body|moles|spots)\b|\bself[- ]?(?:check|exam\w*|monitor\w*)"
    r"|\bexamine\s+(?:my|your)\b|\bmonitor\w*|\bkeep\s+an\s+eye\b|\bwatch\s+(?:it|the|my)\b|\bskin\s+checks?\b"
    r"|\bautoexam\w*|\bautocontrol\w*|\bselbstuntersuch\w*|\bkontrollier\w*|\bcontrollare\b|\bverificar\b|\bvigiar\b|\bsurveiller\b",
    "see_doctor": r"\b(?:see|visit|go\s+to|call|contact|book|need)\s+(?:a|my|the)\s+(?:doctor|dermatologist|gp|physician|clinic)\b"
    r"|\bwhen\s+(?:should|do|must)\s+i\s+(?:see|go|get)\b|\bneed\s+to\s+see\b|\bappointment\b|\bmedico\b|\bmedecin\b|\barzt\b",
    "visit": r"\bdermatolog\w*\s+(?:visit|appointment)|\bwhat\s+happens\s+(?:at|during|next)\b|\bat\s+the\s+(?:dermatologist|doctor)\b"
    r"|\bbiops\w*|\bdermatoscop\w*|\bexpect\b|\bprepare\b|\bbring\b|\bwhat\s+will\s+the\s+doctor\b|\bquestions\s+to\s+ask\b"
    r"|\bconsulta\b|\brendez-vous\b|\btermin\b|\bvisita\b",
    "treatment": r"\btreat\w*|\bremov\w*|\bsurgery\b|\bcured?\b|\btherap\w*|\btratamiento|\btraitement|\bbehandlung|\btrattamento"
    r"|\btratamento|\bcirug\w*|\bchirurg\w*",
    "prevention": r"\bsun\s*screens?\b|\bsun\s*blocks?\b|\bspf\b|\bsun\b|\bprevent\w*|\bprotect\w*|\buv\b|\btann\w*|\bsunbeds?\b"
    r"|\bprotector\s+solar|\bcreme\s+solaire|\bsonnencreme|\bcrema\s+solare|\bprotetor\s+solar|\bsol\b|\bsoleil\b|\bsonne\b",
}


_TOPIC_RE = {k: re.compile(v) for k, v in _TOPICS.items()}


# A short "thanks" / "ok" gets a short reply; a "hello" gets the result summary and the menu.
_THANKS = re.compile(r"^(?:thanks?|thank\s+you|thx|ok(?:ay)?|great|cool|got\s+it|gracias|merci|danke|grazie|obrigad[oa])\b")


# Names people use for the seven classes (normalised). "mole" is only a class question when asked
# as one ("what is a mole?"): otherwise "my mole" is just the spot.
_CLASS_ALIASES: dict[str, str] = {
    "melanoma": r"\bmelanom\w*",
    "melanocytic_nevi": r"\bnev(?:us|i)\b|\bnaev(?:us|i)\b|\bmelanocytic\b|\bnevo\b|\bneo\b|\bgrain\s+de\s+beaute\b|\bmuttermal\b|\bleberfleck\b",
    "basal_cell_carcinoma": r"\bbasal\b|\bbcc\b|\bbasaliom\w*|\bbasocelular\b|\bbasocellul\w*|\bbasalzell\w*",
    "actinic_keratoses": r"\bactinic\b|\bakiec\b|\bsolar\s+kerato\w*|\bactinica\b|\bactinique\b|\baktinisch\w*|\battinic\w*",
    "benign_keratosis-like_lesions": r"\bseborr?h?\w*|\bbenign\s+kerato\w*|\bbkl\b|\bkeratosis-like\b|\blentig\w*|\bage\s+spots?\b|\bliver\s+spots?\b",
    "dermatofibroma": r"\bdermatofibrom\w*",
    "vascular_lesions": r"\bvascular\b|\bangioma\w*|\bangiokeratom\w*|\bcherry\b|\bh(?:a)?emangiom\w*|\bvasc\b",
}


_CLASS_RE = {k: re.compile(v) for k, v in _CLASS_ALIASES.items()}
_MOLE_QUESTION = re.compile(r"\bwhat\s+(?:is|are)\s+(?:a\s+)?moles?\b")


_DEFINITION = re.compile(
    r"\bwhat(?:'s|\s+is|\s+are|\s+does|\s+do)\b|\bmean\w*|\bexplain\w*|\btell\s+me\s+about\b|\bdefin\w*|\bque\s+es\b"
    r"|\bqu'?\s?est-ce\b|\bc'?\s?est\s+quoi\b|\bwas\s+ist\b|\bcos'?\s?e\b|\bche\s+cos\w*|\bo\s+que\s+e\b|\bsignifi\w*|\bbedeute\w*"
)


# Topics that can be answered without any photo; anything else about "my spot" needs one.
_GENERAL_TOPICS = frozenset({"abcde", "self_check", "see_doctor", "visit", "treatment", "prevention", "thanks"})


_IMAGE_NUMBER = re.compile(r"\b(?:image|photo|picture|imagen|foto|bild|immagine|imagem)\s*#?(\d{1,3})\b")
_ORDINALS = {"first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5}
_ORDINAL_RE = re.compile(r"\b(first|second|third|fourth|fifth)\s+(?:image|photo|picture|one)\b")
_PERCENT_IN_QUESTION = re.compile(r"(\d{1,3}(?:[.,]\d+)?)\s?%")
COMPARE_MAX = 6  # images listed in a comparison when none are named


def topics(question: str) -> list[str]:
    """What the question asks about, in answer order: topic keys and "class:<label>" entries."""
    norm = normalise(question)
    found = [k for k, r in _TOPIC_RE.items() if r.search(norm)]
    definitional = bool(_DEFINITION.search(norm)) or not found
    classes = [label for label, r in _CLASS_RE.items() if r.search(norm)] if definitional else []
    if _MOLE_QUESTION.search(norm) and "melanocytic_nevi" not in classes:
        classes.append("melanocytic_nevi")
    if not found and not classes and _THANKS.match(norm) and len(norm.split()) <= 5:
        return ["thanks"]
    return found + [f"class:{label}" for label in classes]


def needs_result(question: str) -> bool:
    """Does answering need a screened photo? General topics (ABCDE, self-checks, class descriptions,
    sun protection, doctor visits) do not; questions about "my result", numbers, urgency, worry,
    comparisons, and anything unrecognised do."""
    found = topics(question)
    general = [t for t in found if t in _GENERAL_TOPICS or t.startswith("class:")]
    return not general or any(t in ("compare", "percent", "urgency", "worry") for t in found)
