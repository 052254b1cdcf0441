"""The screening report as a PDF to take to a doctor: `render_pdf(report, result, ...) -> bytes`.

One to four A4 pages, in the report's locale: the title, date and time, reference number and screening
model; the not-a-diagnosis note; the photo and the heat-map; the result card (closest match, confidence,
urgency, action, reason); the seven shares as a table with a bar each; the nine sections. Every word is the
catalogue's (prompts/locales/<locale>/messages.toml: `pdf.*`, and the chat's own card, chart and heat-map
texts); the sections come as the report wrote them, Markdown turned into HTML with raw HTML, links and
images off.

HTML, styled by report_pdf.css, laid out by WeasyPrint and written as PDF/UA-1: a tagged PDF (headings,
paragraphs, lists, the tables, figures with their alternative text, in reading order) with the document's
language and title, and real text in DejaVu Sans, which carries every character of the six locales. WeasyPrint fetches nothing:
the pictures are data: URIs and every other scheme is refused.
"""

from __future__ import annotations

import base64
import html
import io
import logging
import threading
from datetime import datetime
from functools import cache
from importlib import metadata
from pathlib import Path

from markdown_it import MarkdownIt
from PIL import Image

from assistant.report.model import Analysis, Report
from assistant.text.charts import TIER_COLOURS
from assistant.text.result import worded
from tools.catalogue import catalogue
from tools.intake import IntakeError, IntakeLimits, load_image
from tools.result import ClassificationResult
from tools.text import fill, t, term

log = logging.getLogger(__name__)

MAX_PAGES = 4
FONT_SIZES_PT = (9.2, 8.4, 7.6)  # the next is tried when a long report runs over MAX_PAGES
PHOTO_SIDE_PX = 900  # the pictures' longer side in the PDF: sharp at their printed 41 mm, small files
JPEG_QUALITY = 85
# Urgency colours: TIER_COLOURS, the card's and the chart's palette (4.5:1 on white; tests check the ratios).
NO_TIER_COLOUR = "#334155"  # a class without a tier: slate, as the card's default border (pdf.css)
PDF_VARIANT = "pdf/ua-1"  # tagged, with /Lang, /MarkInfo and the title shown; what screen readers need
# The photo was checked when it was analysed: here only its decoding, EXIF turn and colour mode matter.
_ANY_SIZE = IntakeLimits(max_bytes=1 << 40, max_pixels=1 << 40, min_side=1)
# One PDF at a time per process: WeasyPrint's font machinery (Pango, fontconfig) is not promised to be
# thread-safe, and two layouts at once would only share the same cores.
_one_at_a_time = threading.Lock()

CSS_FILE = Path(__file__).with_name("pdf.css")


@cache
def _weasyprint() -> tuple:
    """WeasyPrint's classes, imported once without its side effect on the upload check.

    Importing weasyprint sets Pillow's process-wide LOAD_TRUNCATED_IMAGES; left on, a half-uploaded photo
    would be classified instead of refused (tools/intake.py), so the flag is put back as it was.
    """
    from PIL import ImageFile

    before = ImageFile.LOAD_TRUNCATED_IMAGES
    try:
        from weasyprint import CSS, HTML
        from weasyprint.text.fonts import FontConfiguration
        from weasyprint.urls import URLFetcher
    finally:
        ImageFile.LOAD_TRUNCATED_IMAGES = before
    return CSS, HTML, FontConfiguration, URLFetcher


def render_pdf(report: Report, result: ClassificationResult, *, photo: bytes | None, heatmap_png: bytes | None,
               locale: str, reference: str, created: datetime, profile: str, number: int = 1) -> bytes:
    """The report of image `number` as PDF bytes (blocking: about 0.2-0.5 s; call it in a thread)."""
    CSS, HTML, FontConfiguration, URLFetcher = _weasyprint()

    document = _html(report, worded(result, locale), photo=photo, heatmap_png=heatmap_png, locale=locale,
                     reference=reference, created=created, profile=profile, number=number)
    fetcher = URLFetcher(allowed_protocols={"data"})
    options = {"pdf_variant": PDF_VARIANT, "pdf_tags": True}
    with _one_at_a_time:
        for size in FONT_SIZES_PT:
            fonts = FontConfiguration()
            own = CSS(string=_own_css(locale, reference, size, result.triage.tier), font_config=fonts,
                      url_fetcher=fetcher)
            rendered = HTML(string=document, url_fetcher=fetcher).render(
                stylesheets=[_stylesheet(fonts, fetcher), own], font_config=fonts, **options)
            if len(rendered.pages) <= MAX_PAGES:
                break
            log.info("report PDF ran to %d pages at %s pt: smaller type", len(rendered.pages), size)
        return rendered.write_pdf(**options)


def analysis_pdf(analysis: Analysis, number: int) -> bytes:
    """The PDF of a conversation's image `number` (1-based), which must have a report."""
    if analysis.report is None:
        raise ValueError(f"image {number} has no report")
    return render_pdf(analysis.report, analysis.result, photo=analysis.photo, heatmap_png=analysis.heatmap_png,
                      locale=analysis.locale, reference=analysis.reference, created=analysis.created,
                      profile=analysis.result.profile, number=number)


def app_version() -> str:
    try:
        return metadata.version("ham10k-assistant")
    except metadata.PackageNotFoundError:  # a checkout that was never installed
        return "0+unknown"


# ---------------------------------------------------------------- the document


def _html(report: Report, result: ClassificationResult, *, photo: bytes | None, heatmap_png: bytes | None,
          locale: str, reference: str, created: datetime, profile: str, number: int) -> str:
    e = html.escape
    title = t("pdf.title", locale)
    meta = [(t("pdf.created", locale), fill("{created:datetime}", locale, created=created)),
            (t("pdf.reference", locale), reference),
            (t("pdf.profile", locale), t("pdf.profile_value", locale, profile=profile, version=app_version()))]
    parts = [
        f'<!DOCTYPE html><html lang="{e(locale)}"><head><meta charset="utf-8"><title>{e(title)}</title>',
        f'<meta name="author" content="{e(t("chat.product_name", locale))}"></head><body>',
        f"<h1>{e(title)}</h1>",
        '<table class="meta">' + "".join(f'<tr><th scope="row">{e(k)}</th><td>{e(v)}</td></tr>' for k, v in meta)
        + "</table>",
        f'<div class="note">{_inline(t("pdf.not_a_diagnosis", locale), block=True)}</div>',
        f'<h2>{e(t("pdf.result_title", locale))}</h2>',
        '<div class="top">', _pictures(result, photo, heatmap_png, locale, number), _card(result, locale, number),
        "</div>",
        _chart(result, locale, number),
        f'<h2>{e(t("pdf.report_title", locale))}</h2>',
        _sections(report),
        "</body></html>",
    ]
    return "".join(parts)


def _pictures(result: ClassificationResult, photo: bytes | None, heatmap_png: bytes | None, locale: str,
              number: int) -> str:
    e = html.escape
    figures, note = [], ""
    if photo and (uri := _jpeg_uri(photo)):
        figures.append(f'<figure><img src="{uri}" alt="{e(t("pdf.photo_alt", locale, number=number))}">'
                       f'<figcaption>{e(t("pdf.photo_caption", locale, number=number))}</figcaption></figure>')
    if heatmap_png and (uri := _jpeg_uri(heatmap_png)):
        caption = t("chat.heatmap_caption", locale, display_name=result.display_name)
        figures.append(f'<figure><img src="{uri}" alt="{e(caption)}">'
                       f'<figcaption>{e(t("pdf.heatmap_title", locale))}</figcaption></figure>')
        note = f'<p class="small">{e(caption)}</p>'
    return f'<div class="pictures"><div class="row">{"".join(figures)}</div>{note}</div>' if figures else ""


def _card(result: ClassificationResult, locale: str, number: int) -> str:
    e = html.escape
    raised = result.triage.escalated and result.triage.tier in ("high", "urgent")  # as the chat's card says it
    lines = [
        f'<p class="eyebrow">{e(t("card.eyebrow", locale, number=number))}</p>',
        f'<p class="name">{e(result.display_name)}</p>',
        f'<p>{e(t("card.percent", locale, confidence=result.confidence))} '
        f'{e(t("card.match", locale, band=term("confidence_band", result.confidence_band)))}</p>',
        f'<p class="urgency">{e(t("card.urgency", locale, tier_title=result.triage.title))}</p>',
        f"<p>{e(result.triage.action)}</p>",
        f'<p>{e(t("card.why", locale, reason=result.triage.reason))}</p>',
    ]
    if raised:
        lines.append(f'<p>{e(t("chat.card_raised", locale, tier_title=result.triage.title))}</p>')
    lines += [f"<p>{e(result.description)}</p>", f'<p class="footer">{e(t("card.footer", locale))}</p>']
    return f'<div class="card">{"".join(lines)}</div>'


def _chart(result: ClassificationResult, locale: str, number: int) -> str:
    """The seven shares as a table a screen reader reads, each with its bar, most likely first."""
    e, cat = html.escape, catalogue(locale)
    rows = []
    for label, p in sorted(result.probabilities.items(), key=lambda kv: -kv[1]):
        kind = cat.by_label(label)
        value = t("chart.under_one_percent", locale) if p < 0.01 else t("chart.percent", locale, p=p)
        width = max(0.3, 60 * p)  # mm; the smallest share still shows a sliver
        rows.append(f'<tr{" class=best" if label == result.label else ""}><th scope="row">{e(kind.display_name)}</th>'
                    f'<td><span class="value">{e(value)}</span><span class="bar" style="width: {width:.1f}mm; '
                    f'background: {TIER_COLOURS.get(kind.tier, NO_TIER_COLOUR)}"></span></td></tr>')
    return (f'<div class="chart-box"><table class="chart">'
            f'<caption>{e(t("chat.chart_title", locale, number=number))}</caption>'
            f'<thead><tr><th scope="col">{e(t("pdf.chart_kind", locale))}</th>'
            f'<th scope="col">{e(t("pdf.chart_match", locale))}</th></tr></thead>'
            f'<tbody>{"".join(rows)}</tbody></table></div>')


def _sections(report: Report) -> str:
    """The nine sections as third-level headings and their bodies; a heading inside a body sits below them."""
    note = f'<div class="source-note">{_block(report.note)}</div>' if report.note else ""
    body = "".join(f"<h3>{html.escape(f'{s.number}. {s.title}')}</h3>{_block(s.body, min_level=4)}"
                   for s in report.sections)
    return body + note if report.note_at_end else note + body


# ---------------------------------------------------------------- Markdown and pictures


@cache
def _markdown() -> MarkdownIt:
    # Raw HTML is escaped (`html` off); links and images stay text: a PDF to hand a doctor fetches and
    # points to nothing.
    return MarkdownIt("commonmark", {"html": False}).disable(["image", "link"])


def _block(markdown: str, min_level: int = 4) -> str:
    md = _markdown()
    tokens = md.parse(markdown)
    for token in tokens:
        if token.type in ("heading_open", "heading_close"):
            token.tag = f"h{min(6, max(min_level, int(token.tag[1])))}"
    return md.renderer.render(tokens, md.options, {})


def _inline(markdown: str, block: bool = False) -> str:
    rendered = _markdown().renderInline(markdown.strip())
    return f"<p>{rendered}</p>" if block else rendered


def _jpeg_uri(data: bytes) -> str | None:
    """A picture as a data: URI of a JPEG at most PHOTO_SIDE_PX on its longer side (EXIF turn applied, any
    format the intake reads); None when it cannot be read, and the PDF goes without it."""
    try:
        image = load_image(data, _ANY_SIZE).image
    except IntakeError as exc:
        log.warning("a picture left out of the report PDF: %s", exc.code)
        return None
    image.thumbnail((PHOTO_SIDE_PX, PHOTO_SIDE_PX), Image.Resampling.LANCZOS)
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=JPEG_QUALITY, optimize=True)
    return "data:image/jpeg;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def _stylesheet(fonts, fetcher):
    CSS = _weasyprint()[0]
    return CSS(string=_css_text(), font_config=fonts, url_fetcher=fetcher)


@cache
def _css_text() -> str:
    return CSS_FILE.read_text(encoding="utf-8")


def _own_css(locale: str, reference: str, size: float, tier: str) -> str:
    """This report's part of the style: the footer's reference and page words, the type size, the urgency colour."""
    return (f"@page {{ @bottom-left {{ content: {_css_string(reference)} }} "
            f"@bottom-right {{ content: {_page_content(locale)} }} }} "
            f"html {{ font-size: {size}pt }} .card {{ border-left-color: {TIER_COLOURS.get(tier, NO_TIER_COLOUR)} }}")


def _page_content(locale: str) -> str:
    """`pdf.page` ("Page {page} of {pages}") as CSS `content`: its words as strings around the counters."""
    marks = {"page": "\ue000", "pages": "\ue001"}
    text = t("pdf.page", locale, **marks)
    out, rest = [], text
    while rest:
        cut = min((i for i in (rest.find(m) for m in marks.values()) if i >= 0), default=len(rest))
        if cut:
            out.append(_css_string(rest[:cut]))
        if cut < len(rest):
            out.append("counter(page)" if rest[cut] == marks["page"] else "counter(pages)")
            cut += 1
        rest = rest[cut:]
    return " ".join(out)


def _css_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ") + '"'
