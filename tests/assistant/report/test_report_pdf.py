"""The report as a PDF (assistant/report/pdf.py), read back with pypdf: it opens, has one to four A4 pages,
holds real text in the report's language (the nine headings, the card, the seven shares, the reference,
the not-a-diagnosis note, accents and umlauts intact) and is tagged for screen readers (structure tree,
/MarkInfo, /Lang, headings, a table, every picture with alternative text)."""

from __future__ import annotations

import io
import re
import subprocess
from datetime import datetime, timezone
from pathlib import Path

import pytest
from PIL import Image
from pypdf import PdfReader
from pypdf.generic import DictionaryObject

from assistant.report.model import Report, ReportSection
from assistant.report.pdf import render_pdf
from assistant.report.references import ALPHABET, is_reference, new_reference
from assistant.report.sections import sections
from assistant.report.standard import standard_report
from assistant.text.locale import LOCALES
from assistant.text.result import worded
from tests.assistant.factories import classification
from tools.catalogue import catalogue
from tools.text import LOCALES_DIR, fill, t

ASSETS = Path(__file__).resolve().parents[2] / "assets"
PHOTO = (ASSETS / "ISIC_0025450.jpg").read_bytes()
CREATED = datetime(2026, 12, 4, 18, 54, 41, tzinfo=timezone.utc)
A4 = (595.28, 841.89)  # points
RESULT = classification("melanocytic_nevi", 0.57, runner_up="melanoma", escalate_to="urgent")


def png(size: int = 512) -> bytes:
    buffer = io.BytesIO()
    Image.radial_gradient("L").resize((size, size)).convert("RGB").save(buffer, "PNG")
    return buffer.getvalue()


def words(text: str) -> str:
    """Text as a reader gets it, whatever the line breaks: single spaces (no-break ones too)."""
    return " ".join(text.replace("\u202f", " ").replace("\xa0", " ").split())


def plain(markdown: str) -> str:
    return words(re.sub(r"[*_]", "", markdown))


class Pdf:
    def __init__(self, data: bytes) -> None:
        self.data = data
        self.reader = PdfReader(io.BytesIO(data))
        self.root = self.reader.trailer["/Root"]
        self.text = words(" ".join(page.extract_text() for page in self.reader.pages))

    def elements(self) -> list[DictionaryObject]:
        """Every structure element, in the tree's (reading) order."""
        found: list[DictionaryObject] = []

        def walk(node: object) -> None:
            node = node.get_object() if hasattr(node, "get_object") else node
            if isinstance(node, list):
                for child in node:
                    walk(child)
            elif isinstance(node, DictionaryObject):
                if "/S" in node:
                    found.append(node)
                if "/K" in node:
                    walk(node["/K"])

        walk(self.root["/StructTreeRoot"])
        return found

    def tags(self, name: str) -> list[DictionaryObject]:
        return [e for e in self.elements() if e["/S"] == name]

    def image_count(self) -> int:
        """Pictures in the document (its pages may share one resource dictionary: each counted once)."""
        found = set()
        for page in self.reader.pages:
            xobjects = page["/Resources"].get_object().get("/XObject", {})
            for ref in xobjects.get_object().values():
                if ref.get_object().get("/Subtype") == "/Image":
                    found.add(ref.idnum)
        return len(found)


def make(locale: str = "en", *, result=RESULT, report: Report | None = None, photo: bytes | None = PHOTO,
         heatmap: bytes | None = None, reference: str = "HK-7Q4M-2K9D", number: int = 1) -> Pdf:
    report = report or standard_report(result, locale=locale)
    return Pdf(render_pdf(report, result, photo=photo, heatmap_png=png() if heatmap is None else heatmap or None,
                          locale=locale, reference=reference, created=CREATED, profile=result.profile, number=number))


@pytest.fixture(scope="module")
def pdfs() -> dict[str, Pdf]:
    return {locale: make(locale) for locale in LOCALES}


def test_its_font_carries_every_character_of_the_six_locales(pdfs: dict[str, Pdf]) -> None:
    """Every text under prompts/locales/ in DejaVu Sans, the only font the PDFs use (no fallback, no gaps)."""
    from fontTools.ttLib import TTFont

    used = {str(f.get_object()["/BaseFont"]).split("+")[-1] for pdf in pdfs.values()
            for page in pdf.reader.pages for f in page["/Resources"]["/Font"].values()}
    assert used and all(name.startswith("DejaVu-Sans") for name in used), used
    found = subprocess.run(["fc-match", "-f", "%{file}", "DejaVu Sans"], capture_output=True, text=True, check=True)
    assert Path(found.stdout).name == "DejaVuSans.ttf", "fontconfig finds DejaVu Sans itself"
    cmap = TTFont(found.stdout).getBestCmap()
    chars = {c for path in LOCALES_DIR.rglob("*") if path.is_file() for c in path.read_text(encoding="utf-8")}
    assert not sorted(c for c in chars - set("\n\r\t") if ord(c) not in cmap)


def test_it_opens_with_one_to_four_a4_pages(pdfs: dict[str, Pdf]) -> None:
    pdf = pdfs["en"]
    assert pdf.data.startswith(b"%PDF-")
    assert 1 <= len(pdf.reader.pages) <= 4
    for page in pdf.reader.pages:
        assert (float(page.mediabox.width), float(page.mediabox.height)) == pytest.approx(A4, abs=0.5)


@pytest.mark.parametrize("locale", LOCALES)
def test_its_text_is_the_report_in_the_locale(pdfs: dict[str, Pdf], locale: str) -> None:
    pdf, result = pdfs[locale], worded(RESULT, locale)
    for section in sections(locale):
        assert words(f"{section.number}. {section.title}") in pdf.text, section.title
    assert "HK-7Q4M-2K9D" in pdf.text
    assert plain(t("pdf.not_a_diagnosis", locale)) in pdf.text
    assert words(t("pdf.title", locale)) in pdf.text
    assert words(fill("{created:datetime}", locale, created=CREATED)) in pdf.text
    assert result.profile in pdf.text
    # the card: closest match, confidence, urgency, action, reason
    assert words(result.display_name) in pdf.text
    assert words(t("card.percent", locale, confidence=result.confidence)) in pdf.text
    assert words(t("card.urgency", locale, tier_title=result.triage.title)) in pdf.text
    assert words(result.triage.action) in pdf.text
    assert words(t("card.why", locale, reason=result.triage.reason)) in pdf.text


@pytest.mark.parametrize("locale", LOCALES)
def test_the_seven_shares_are_text(pdfs: dict[str, Pdf], locale: str) -> None:
    pdf = pdfs[locale]
    for label, p in RESULT.probabilities.items():
        name = words(catalogue(locale).by_label(label).display_name)
        value = t("chart.under_one_percent", locale) if p < 0.01 else t("chart.percent", locale, p=p)
        assert f"{name} {words(value)}" in pdf.text, (name, value)


def test_french_and_german_keep_their_accents(pdfs: dict[str, Pdf]) -> None:
    french, german = pdfs["fr"].text, pdfs["de"].text
    for word in ("dépistage", "Mélanome", "diagnostic", "Numéro de référence", "médecin"):
        assert word in french
    for word in ("Übereinstimmung", "ausschließen", "Ärztin", "Größte Übereinstimmung"):
        assert word in german
    assert "\ufffd" not in french + german


@pytest.mark.parametrize("locale", LOCALES)
def test_it_is_tagged_with_its_language(pdfs: dict[str, Pdf], locale: str) -> None:
    pdf = pdfs[locale]
    assert "/StructTreeRoot" in pdf.root
    assert bool(pdf.root["/MarkInfo"]["/Marked"])
    assert pdf.root["/Lang"] == locale
    assert pdf.reader.metadata.title == t("pdf.title", locale)


def test_headings_table_and_pictures_are_tagged_in_reading_order(pdfs: dict[str, Pdf]) -> None:
    pdf = pdfs["en"]
    order = [str(e["/S"]) for e in pdf.elements() if e["/S"] in ("/H1", "/H2", "/H3", "/Figure", "/Table")]
    # title, its facts (date, reference, model), the result with photo, heat-map and chart, then the report
    assert order[:7] == ["/H1", "/Table", "/H2", "/Figure", "/Figure", "/Table", "/H2"]
    assert order[7:] == ["/H3"] * 9, "the nine sections sit under the report's heading"
    assert len(pdf.tags("/TH")) == 3 + 2 + 7, "every row and column of the tables has its header cell"


def test_every_picture_has_alternative_text(pdfs: dict[str, Pdf]) -> None:
    pdf, result = pdfs["en"], worded(RESULT, "en")
    figures = pdf.tags("/Figure")
    assert len(figures) == pdf.image_count() == 2
    alts = [str(f["/Alt"]) for f in figures]
    assert alts == [t("pdf.photo_alt", "en", number=1),
                    t("chat.heatmap_caption", "en", display_name=result.display_name)]


@pytest.mark.parametrize("locale", LOCALES)
def test_every_picture_has_alternative_text_in_the_reports_language(pdfs: dict[str, Pdf], locale: str) -> None:
    """Issue 23 (WCAG 2.1 AA): in each locale, as many /Figure elements as pictures, each with its /Alt in
    the locale's words, in a document whose /Lang is that locale."""
    pdf, result = pdfs[locale], worded(RESULT, locale)
    figures = pdf.tags("/Figure")
    assert pdf.root["/Lang"] == locale and len(figures) == pdf.image_count() == 2
    assert [str(f["/Alt"]) for f in figures] == [t("pdf.photo_alt", locale, number=1),
                                                 t("chat.heatmap_caption", locale, display_name=result.display_name)]


def test_without_a_heatmap_or_photo_it_still_writes_the_report() -> None:
    no_heatmap = make(heatmap=b"")
    assert no_heatmap.image_count() == len(no_heatmap.tags("/Figure")) == 1
    unreadable = make(photo=b"not a picture at all", heatmap=b"")
    assert unreadable.image_count() == 0 and not unreadable.tags("/Figure")
    assert words(f"1. {sections()[0].title}") in unreadable.text


def test_a_long_ai_report_stays_within_four_pages() -> None:
    """As long as the AI writer may write (LLM_MAX_TOKENS 1200: about 900 words), and then some."""
    sentence = "The spot should be shown to a doctor who can examine it with a dermatoscope and compare it over time. "
    standard = standard_report(RESULT)
    long = standard.model_copy(update={"source": "model", "sections": [
        ReportSection(number=s.number, title=s.title, source="model",
                      body=s.body + "\n\n" + sentence * 7 + "\n\n- " + "\n- ".join([sentence] * 3))
        for s in standard.sections]})
    assert len(long.markdown.split()) > 1500
    pdf = make(report=long)
    assert 1 <= len(pdf.reader.pages) <= 4
    assert words(f"9. {sections()[8].title}") in pdf.text


def test_the_reports_markdown_is_text_and_never_markup() -> None:
    """Raw HTML is shown as text, links and images are not followed: the PDF points to and fetches nothing."""
    standard = standard_report(RESULT)
    bodies = [s.model_copy(update={"body": s.body + '\n\n<img src="file:///etc/passwd"> <b>raw</b> '
                                              "[see this](https://example.com/x) ![pic](https://example.com/p.png)\n\n"
                                              "# A heading inside a section"}) for s in standard.sections]
    pdf = make(report=standard.model_copy(update={"sections": bodies}), heatmap=b"")
    assert '<img src="file:///etc/passwd">' in pdf.text and "<b>raw</b>" in pdf.text
    assert pdf.image_count() == 1, "only the photo"
    annotations = [a.get_object() for page in pdf.reader.pages for a in page.get("/Annots", [])]
    assert not [a for a in annotations if "/A" in a and "/URI" in a["/A"]], "no link out"
    assert not pdf.tags("/H1")[1:], "a heading inside a section sits below the section's own"
    assert len(pdf.tags("/H4")) == 9


def test_bold_and_bullets_become_structure() -> None:
    pdf = make(heatmap=b"")
    assert pdf.tags("/L") and pdf.tags("/LI"), "the sections' bullet lists are lists"
    assert "**" not in pdf.text, "bold is type, not asterisks"


def test_the_image_number_is_the_chats() -> None:
    pdf = make(number=3, heatmap=b"")
    assert words(t("card.eyebrow", "en", number=3)) in pdf.text
    assert words(t("chat.chart_title", "en", number=3)) in pdf.text


def test_references_are_short_and_unambiguous() -> None:
    refs = {new_reference() for _ in range(2000)}
    assert len(refs) == 2000
    assert all(is_reference(r) and len(r) == 12 for r in refs)
    assert not set("01ILOUV") & set(ALPHABET)
    assert is_reference(" hk-7q4m-2k9d ") and not is_reference("HK-7Q4M-2K9O")


# ---------------------------------------------------------------- what the conversation keeps for it


class StandIn:
    """A classifier or heat-map tool without weights: a fixed answer per photo."""

    def __init__(self, answer) -> None:
        self.answer = answer

    async def ainvoke(self, payload: dict):
        return self.answer(payload["image"])


async def test_each_analysed_photo_keeps_its_bytes_heatmap_reference_and_language() -> None:
    from assistant.conversation.orchestrator import Attachment, Conversation, Services, Turn
    from assistant.core.events import TextFinished
    from assistant.core.settings import Settings
    from assistant.llm.client import LLMClient, LLMConfig
    from assistant.text.locale import chosen
    from tests.servers import free_port

    refused = RESULT.model_copy(update={"status": "not_a_lesion"})
    heat = png(64)
    settings = Settings(_env_file=None, llm_base_url=f"http://127.0.0.1:{free_port()}/v1")  # type: ignore[call-arg]
    services = Services(settings=settings, classifier=StandIn(lambda data: refused if data == b"other" else RESULT),
                        heatmap=StandIn(lambda _: heat), llm=LLMClient(LLMConfig.from_settings(settings)))
    conversation = Conversation(services, chosen("fr"))
    events = []
    for data in (PHOTO, b"other"):
        events += [e async for e in conversation.handle(Turn(attachments=[Attachment(name="x.jpg", data=data)]))]
    first, second = conversation.analyses
    assert first.photo == PHOTO and first.heatmap_png == heat and first.report is not None
    assert first.locale == "fr" and is_reference(first.reference) and first.created.tzinfo is not None
    assert second.photo is None and second.heatmap_png is None and second.report is None, "refused: nothing kept"
    assert second.reference != first.reference
    assert [e.image_number for e in events if isinstance(e, TextFinished)] == [1], "the report says whose it is"


def test_making_a_pdf_leaves_the_upload_check_strict() -> None:
    # WeasyPrint turns Pillow's LOAD_TRUNCATED_IMAGES on when imported; a half-uploaded photo must still be refused.
    from PIL import ImageFile

    from assistant.report import pdf as report_pdf

    report_pdf._weasyprint()
    assert ImageFile.LOAD_TRUNCATED_IMAGES is False


def contrast(a: str, b: str) -> float:
    """WCAG 2.1's contrast ratio of two #rrggbb colours (relative luminance, sRGB)."""
    def luminance(colour: str) -> float:
        channels = [int(colour.lstrip("#")[i:i + 2], 16) / 255 for i in (0, 2, 4)]
        r, g, b = (c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels)
        return 0.2126 * r + 0.7152 * g + 0.0722 * b

    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_its_colours_meet_wcag_contrast_on_white() -> None:
    """Text 4.5:1 on white and on the note's tint; the bars and the card's urgency border (graphics) 3:1; the
    urgency colours are the chat's card and chart's, so the PDF never says an urgency in another colour."""
    from assistant.report import pdf
    from assistant.text.charts import TIER_COLOURS

    css = pdf.CSS_FILE.read_text(encoding="utf-8")
    texts = re.findall(r"(?<![-\w])color:\s*(#[0-9a-fA-F]{6})", css)
    note = re.search(r"\.note\s*{[^}]*background:\s*(#[0-9a-fA-F]{6})", css).group(1)
    assert len(texts) >= 5, texts
    for colour in texts:
        assert contrast(colour, "#ffffff") >= 4.5 and contrast(colour, note) >= 4.5, colour
    graphics = [*pdf.TIER_COLOURS.values(), pdf.NO_TIER_COLOUR]
    assert pdf.TIER_COLOURS == TIER_COLOURS, "the card's and the chart's palette"
    for colour in graphics:
        assert contrast(colour, "#ffffff") >= 3, colour
    # The bars are painted in those colours, one per urgency of the seven classes.
    html_bars = re.findall(r"background: (#[0-9a-fA-F]{6})", pdf._chart(RESULT, "en", 1))
    assert len(html_bars) == 7 and set(html_bars) <= set(graphics)
