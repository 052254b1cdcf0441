"""The patient's language end to end in a real browser (issue 20): a French browser on the chat page, and a
German browser on a clinic page that mounts the widget with exactly the README's two-line embed.

Each visible part (welcome, placeholder, starters, result card, chart labels, heat-map caption, report,
follow-up answer) is checked sentence by sentence with lingua, restricted to the six languages the app
speaks, not by comparing strings with the catalogue only. One app per module serves both pages (its
ALLOWED_ORIGINS names the clinic page's origin); no LLM server answers, so reports are the standard ones.
Screenshots: test-artifacts/lang-*.png; what `<html lang>` said: test-artifacts/lang-*-html-lang.txt.
"""

from __future__ import annotations

import functools
import http.server
import json
import re
import shutil
import tempfile
import threading
import tomllib
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.browser.conftest import ARTIFACTS, DEFAULT_WEIGHTS, _serve, screenshot
from tests.servers import free_port
from tools.text import catalogue, t

ROOT = Path(__file__).resolve().parents[2]
LOCALES = ROOT / "prompts" / "locales"
PHOTO = ROOT / "tests" / "assets" / "ISIC_0025450.jpg"  # a melanoma; closest class a mole, urgent
ASSISTANT = '[data-step-type="assistant_message"]'
CLASSES = ("akiec", "bcc", "bkl", "df", "nv", "mel", "vasc")
# Names that are the same in every language: the product's. Removed before detecting a sentence's language.
PROPER_NAMES = ("HAM10K Skin Check", "HAM10K")
MIN_WORDS = 3  # shorter fragments ("Urgent", "Mélanome 23 %") say too little for any detector
FOREIGN_RATIO = 2.0


@functools.cache
def _detector():
    from lingua import IsoCode639_1, LanguageDetectorBuilder

    codes = [getattr(IsoCode639_1, code) for code in ("EN", "FR", "DE", "ES", "IT", "PT")]
    return LanguageDetectorBuilder.from_iso_codes_639_1(*codes).build()


def sentences(text: str) -> list[str]:
    """The sentences of a visible text, lines first (headings, list items, labels), then sentence ends."""
    found = []
    for line in text.replace("\xa0", " ").replace("\u202f", " ").splitlines():
        for proper in PROPER_NAMES:
            line = line.replace(proper, " ")
        found += [s.strip() for s in re.split(r"(?<=[.!?])\s+", line) if s.strip()]
    return found


def foreign(text: str, lang: str) -> list[tuple[str, str]]:
    """The sentences of `text` (at least MIN_WORDS words) that lingua does not read as `lang`, with the
    language it read instead."""
    wrong = []
    for sentence in sentences(text):
        if len(re.findall(r"[^\W\d_]{2,}", sentence)) < MIN_WORDS:
            continue
        values = {v.language.iso_code_639_1.name.lower(): v.value
                  for v in _detector().compute_language_confidence_values(sentence)}
        top = max(values, key=values.get)
        # Lingua hesitates between close languages on short sentences ("Ce n'est pas un diagnostic.": es 0.20,
        # pt 0.20, fr 0.19): a sentence is foreign when another language is at least twice as likely.
        if top != lang and values[top] >= FOREIGN_RATIO * values.get(lang, 0.0):
            wrong.append((sentence, f"{top} {values[top]:.2f}, {lang} {values.get(lang, 0.0):.2f}"))
    return wrong


def assert_in_language(parts: dict[str, str], lang: str) -> None:
    """Every part has something to read, and every sentence of it is in `lang`."""
    assert all(text.strip() for text in parts.values()), {k: v for k, v in parts.items() if not v.strip()}
    leaks = {name: wrong for name, text in parts.items() if (wrong := foreign(text, lang))}
    assert not leaks, f"sentences not in {lang!r}: " + json.dumps(leaks, ensure_ascii=False, indent=1)


def plain(text: str) -> str:
    """Spaces as spaces: French typography puts no-break spaces before ':' and '?'."""
    return " ".join(text.replace("\xa0", " ").replace("\u202f", " ").split())


def markdown_text(markdown: str) -> str:
    return markdown.replace("**", "")


def section_titles(lang: str) -> list[str]:
    data = tomllib.loads((LOCALES / lang / "report" / "sections.toml").read_text(encoding="utf-8"))
    return [s["title"] for s in data["sections"]]


def translation(tag: str, *path: str) -> str:
    node = json.loads((ROOT / ".chainlit" / "translations" / f"{tag}.json").read_text(encoding="utf-8"))
    for key in path:
        node = node[key]
    return node


def lesion_names(lang: str) -> set[str]:
    return {t(f"lesion_name.{code}", lang) for code in CLASSES}


def readme_embed(server: str) -> str:
    """The README's two lines ("Embed in your website"), exactly, with its example address replaced."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Embed in your website", 1)[1]
    block = re.search(r"```html\n(.*?)```", section, re.S).group(1).strip()
    lines = block.splitlines()
    assert len(lines) == 2 and "/copilot/index.js" in lines[0] and "mountChainlitWidget" in lines[1], lines
    assert "customCssUrl" not in block
    return block.replace("https://chat.clinic.example", server)


# ---------------------------------------------------------------------------------------------- servers


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass


@pytest.fixture(scope="module")
def clinic() -> Iterator[dict]:
    """A German clinic's page on its own loopback origin (reached as localhost); index.html is written
    once the app's address is known."""
    folder = Path(tempfile.mkdtemp(prefix="ham10k-clinic-"))
    port = free_port()
    handler = functools.partial(_QuietHandler, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield {"folder": folder, "origin": f"http://localhost:{port}"}
    server.shutdown()
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="module")
def app_url(clinic: dict) -> Iterator[str]:
    """The app with no LLM server answering, allowing the clinic page's origin; yields its URL (no slash)."""
    env = DEFAULT_WEIGHTS | {"LLM_BASE_URL": f"http://127.0.0.1:{free_port()}/v1",
                             "ALLOWED_ORIGINS": clinic["origin"]}
    for url in _serve("server-languages", env):
        server = url.rstrip("/")
        (clinic["folder"] / "index.html").write_text(
            '<!doctype html>\n<html lang="de">\n'
            '<head><meta charset="utf-8"><title>Hautarztpraxis am Fluss</title></head>\n'
            "<body>\n<h1>Hautarztpraxis am Fluss</h1>\n<p>Sprechzeiten Montag bis Freitag, 8 bis 18 Uhr.</p>\n"
            f"{readme_embed(server)}\n</body>\n</html>\n", encoding="utf-8")
        yield server


def _note_html_lang(name: str, where: str, value: str) -> None:
    """`<html lang>` is another issue's: noted (test-artifacts/NAME-html-lang.txt), not asserted."""
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / f"{name}-html-lang.txt").write_text(f"{where}: <html lang={value!r}>\n", encoding="utf-8")


# ---------------------------------------------------------------------------------------------- helpers


def wait_for_reply(page, before: int, timeout_s: float = 120) -> list[str]:
    """Until the turn's assistant messages are all there (the paperclip is back once a reply has ended)."""
    page.wait_for_function(
        """n => { const host = document.querySelector('#chainlit-copilot');
                  const root = host && host.shadowRoot ? host.shadowRoot : document;
                  return root.querySelectorAll('[data-step-type="assistant_message"]').length > n
                         && root.querySelector('#upload-button'); }""",
        arg=before, timeout=timeout_s * 1000)
    return page.locator(ASSISTANT).all_inner_texts()[before:]


def send_photo(page) -> list[str]:
    before = page.locator(ASSISTANT).count()
    page.set_input_files("#upload-button-input", str(PHOTO))
    page.wait_for_selector("#chat-submit:enabled", timeout=30_000)
    page.click("#chat-submit")
    return wait_for_reply(page, before)


def ask(page, text: str) -> str:
    before = page.locator(ASSISTANT).count()
    page.fill("#chat-input", text)
    page.click("#chat-submit")
    return "\n".join(wait_for_reply(page, before, 60))


def chart_labels(page) -> list[str]:
    """The chart's class labels as drawn (a wrapped name's lines joined by a space), top to bottom."""
    return page.locator(".js-plotly-plot").first.evaluate(
        """plot => [...plot.querySelectorAll('.ytick text')].map(text => {
               const lines = text.querySelectorAll('tspan.line');
               return (lines.length ? [...lines].map(l => l.textContent) : [text.textContent]).join(' ');
           }).reverse()""")


def result_parts(page, lang: str) -> dict[str, str]:
    """The photo turn's parts as the patient reads them, checked for what each must contain."""
    card = page.locator(".ham-result-card").first
    card.wait_for(timeout=10_000)
    assert card.locator(".ham-result-name").inner_text() in lesion_names(lang)
    urgency = card.locator(".ham-urgency").inner_text()
    tier = card.get_attribute("data-tier")
    expected = t("card.urgency", lang, tier_title=t(f"tier_title.{tier}", lang))
    assert plain(urgency).startswith(plain(expected)), urgency
    heatmap = page.locator(f"{ASSISTANT}:has(img)").filter(has_not=page.locator(".ham-result-card")).first
    page.locator(".js-plotly-plot .ytick text").first.wait_for(timeout=20_000)
    labels = chart_labels(page)
    assert set(labels) == lesion_names(lang), labels
    chart_message = page.locator(f"{ASSISTANT}:has(.js-plotly-plot)").first
    chart_heading = chart_message.inner_text().split("\n", 1)[0]
    headings = page.locator(f"{ASSISTANT} h2").all_inner_texts()
    expected = [f"{n}. {title}" for n, title in enumerate(section_titles(lang), 1)]
    assert [plain(h) for h in headings] == [plain(h) for h in expected], headings
    report = page.locator(f"{ASSISTANT}:has(h2)").last.inner_text()
    return {
        "card": card.inner_text(),
        "heat-map caption": heatmap.inner_text(),
        "chart heading": chart_heading,
        # One text of seven names: enough words to tell the language; a single name is not.
        "chart labels": ", ".join(labels) + ".",
        "report headings": "\n".join(headings),
        "report": report,
    }


# ------------------------------------------------------------------------------------------------ tests


def test_french_browser_gets_french_everywhere_on_the_chat_page(browser, app_url: str) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="fr-FR")
    page = context.new_page()
    try:
        page.goto(app_url + "/")
        page.wait_for_selector("#starters button:enabled", timeout=30_000)
        _note_html_lang("lang-fr", "chat page, fr-FR browser", page.evaluate("document.documentElement.lang"))
        welcome = page.locator("#welcome-screen").inner_text()
        placeholder = page.get_attribute("#chat-input", "placeholder") or ""
        starters = page.locator("#starters button").all_inner_texts()
        screenshot(page, "lang-fr-welcome")

        send_photo(page)
        parts = result_parts(page, "fr")
        screenshot(page, "lang-fr-result", at=f"{ASSISTANT}:has(.ham-result-card)")
        screenshot(page, "lang-fr-report", at=f"{ASSISTANT}:has(h2)")

        answer = ask(page, "Que signifient les pourcentages de ce résultat ?")
        screenshot(page, "lang-fr-answer", at='[data-step-type="user_message"]')
        # Every part first, so that one run names every leak.
        assert_in_language({"welcome": welcome, "placeholder": placeholder, "starters": "\n".join(starters)}
                           | parts | {"follow-up answer": answer}, "fr")
        assert plain(markdown_text(t("chat.welcome", "fr"))) in plain(welcome)
        assert plain(placeholder) == plain(translation("fr-FR", "chat", "input", "placeholder"))
        assert [plain(s) for s in starters] == [plain(faq["label"]) for faq in catalogue("fr").data["faq"]]
        assert "57" in answer and "%" in answer, "the answer explains this result's numbers"
    finally:
        context.close()


def test_german_browser_on_a_clinic_page_with_the_two_line_embed(browser, app_url: str, clinic: dict) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="de-DE")
    page = context.new_page()
    try:
        page.goto(clinic["origin"] + "/")
        page.wait_for_function("() => typeof window.toggleChainlitCopilot === 'function'", timeout=30_000)
        page.click("#chainlit-copilot-button")  # the widget's own round button: the page has no other
        page.wait_for_selector("#chat-input", timeout=30_000)  # Playwright's CSS pierces the shadow root
        page.wait_for_selector("#upload-button", timeout=30_000)
        page.locator(ASSISTANT).first.wait_for(timeout=30_000)  # the welcome: the session has started
        _note_html_lang("lang-de-widget", "clinic page (its own lang='de'), de-DE browser",
                        page.evaluate("document.documentElement.lang"))
        screenshot(page, "lang-de-widget-open")
        placeholder = page.get_attribute("#chat-input", "placeholder") or ""
        welcome = page.locator(ASSISTANT).first.inner_text()
        # Whatever else the panel shows before a message (Chainlit's watermark, its buttons' labels).
        panel = page.locator("#chainlit-copilot-chat").inner_text().replace(welcome, "")

        send_photo(page)
        parts = result_parts(page, "de")

        # The README's two lines alone (no customCssUrl): all seven labels drawn, inside the panel, nothing over them.
        plot = page.locator(".js-plotly-plot").first
        plot.scroll_into_view_if_needed()
        page.wait_for_timeout(500)
        screenshot(page, "lang-de-widget-chart")
        assert page.locator(".js-plotly-plot .bars .point").count() == 7, "one bar per class"
        modebars = page.locator(".modebar")
        assert modebars.count() == 0 or not any(modebars.nth(i).is_visible() for i in range(modebars.count())), \
            "Plotly's mode bar is drawn over the chart"
        geometry = plot.evaluate(
            """plot => { const root = plot.getRootNode(); const box = plot.getBoundingClientRect();
                   const panel = root.querySelector('#chainlit-copilot-chat').getBoundingClientRect();
                   return [...plot.querySelectorAll('.ytick text')].map(text => {
                       const r = text.getBoundingClientRect();
                       const hit = root.elementFromPoint(r.x + r.width / 2, r.y + r.height / 2);
                       return {label: text.textContent, width: r.width, inChart: r.left >= box.left - 1,
                               inPanel: r.left >= panel.left && box.right <= panel.right + 1,
                               seen: !!(hit && plot.contains(hit)),
                               underModebar: !!(hit && hit.closest('.modebar-container, .modebar'))};
                   }); }""")
        assert len(geometry) == 7, geometry
        for tick in geometry:
            assert tick["width"] > 0 and tick["inChart"] and tick["inPanel"], f"label cut off: {tick}"
            assert tick["seen"] and not tick["underModebar"], f"something is drawn over the label: {tick}"

        answer = ask(page, "Was bedeuten die Prozentzahlen bei diesem Ergebnis?")
        screenshot(page, "lang-de-widget-answer", at='[data-step-type="user_message"]')
        assert_in_language({"welcome": welcome, "placeholder": placeholder, "panel": panel}
                           | parts | {"follow-up answer": answer}, "de")
        assert plain(markdown_text(t("chat.welcome", "de"))) == plain(welcome)
        assert plain(placeholder) == plain(translation("de-DE", "chat", "input", "placeholder"))
        assert "57" in answer and "%" in answer, "the answer explains this result's numbers"
    finally:
        context.close()


@pytest.mark.parametrize(("tag", "file"), [("de-AT", "de-DE"), ("pt-BR", "pt-PT"), ("fr-CA", "fr-FR"),
                                           ("es-MX", "es"), ("nl-NL", "en-US")])
def test_a_regional_browser_gets_the_controls_of_the_chats_locale(app_url: str, tag: str, file: str) -> None:
    """Chainlit alone gave de-AT and pt-BR browsers English controls beside a German or Portuguese chat, and a
    Dutch one Dutch controls beside an English chat."""
    body = httpx.get(f"{app_url}/project/translations", params={"language": tag}, timeout=10).json()
    assert body["translation"]["chat"]["input"]["placeholder"] == translation(file, "chat", "input", "placeholder")
