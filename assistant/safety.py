"""What model-written text must never say, and how to make it safe to render.

Used on the report's sections and, later, on the chat's follow-up answers. Patterns catch the usual
phrasings of four things a screening assistant must not write:
- "diagnosis": a definitive diagnosis or all-clear ("you have melanoma", "this is definitely benign");
- "dose": a medicine amount, strength or schedule ("take 400 mg", "apply 5% imiquimod twice daily");
- "drug": a named medicine, even without a dose (the report's rules forbid drug names);
- "dismissal": telling the reader a doctor is unnecessary ("no need to see a doctor").
This is a keyword net, not meaning-level matching: it is a backstop behind the prompt's rules.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Literal

from pydantic import BaseModel, ConfigDict

ViolationKind = Literal["diagnosis", "dose", "drug", "dismissal"]

_REASONS: dict[ViolationKind, str] = {
    "diagnosis": "a definitive diagnosis",
    "dose": "a medicine dose or schedule",
    "drug": "a medicine name",
    "dismissal": "advice that a doctor is not needed",
}


class Violation(BaseModel):
    model_config = ConfigDict(frozen=True)
    kind: ViolationKind
    text: str
    start: int
    end: int

    @property
    def reason(self) -> str:
        return _REASONS[self.kind]


# Medicines a skin-screening text could plausibly name: topical and systemic skin-cancer drugs,
# steroids, retinoids, antibiotics, painkillers. Brand names that are common words are left out.
DRUGS = (
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
)
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
        ]
    ),
    re.I,
)
# Words that make a "you have ..." conditional or reported rather than a statement about the reader.
_CONDITIONAL = re.compile(r"\b(?:if|whether|when|unless|that|think|worry|believe|fear|feel|do)\s*$", re.I)

_DISMISSAL = re.compile(
    "|".join(
        [
            r"\bno\s+need\s+(?:for\s+(?:an?\s+)?(?:doctor|dermatologist|physician|gp|medical|professional|appointment)"
            r"|to\s+(?:see|visit|consult|contact|go\s+to|get\s+(?:it|this)\s+checked|have\s+(?:it|this)\s+checked))",
            r"\b(?:do\s+not|don't|dont|won't|will\s+not|doesn't|does\s+not)\s+(?:really\s+)?need\s+"
            r"(?:to\s+(?:see|visit|consult|contact)\s+)?(?:an?\s+|any\s+|your\s+)?"
            r"(?:doctor|dermatologist|physician|gp|medical\s+(?:attention|care|advice)|check(?:-?up)?|appointment)",
            r"\b(?:not|un)\s?necessary\s+to\s+(?:see|visit|consult)\b",
            r"\bcan\s+(?:safely\s+)?(?:be\s+)?ignored?\b",
            r"\bnothing\s+to\s+worry\s+about\b",
            r"\bskip\s+(?:the|your|a)\s+(?:doctor|appointment|check)",
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


def _sentence_violations(text: str, offset: int) -> Iterator[Violation]:
    def hit(kind: ViolationKind, m: re.Match[str]) -> Violation:
        return Violation(kind=kind, text=m.group(0), start=offset + m.start(), end=offset + m.end())

    for m in _DIAGNOSIS.finditer(text):
        if not _CONDITIONAL.search(text[: m.start()]):
            yield hit("diagnosis", m)
    for m in _DISMISSAL.finditer(text):
        yield hit("dismissal", m)
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
    """Every forbidden phrase in `text`, in order of position. Empty list: nothing found."""
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
