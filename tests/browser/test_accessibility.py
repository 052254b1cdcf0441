"""WCAG 2.1 AA in a real browser (issue 23): axe-core's WCAG 2.1 A/AA rules on the chat page (welcome and after
a report, English and French, light and dark), on a clinic page whose widget has shown a report, plus what
axe cannot judge: names in the conversation's language, `<html lang>` and the widget root's `lang`, the
chart's table, the polite live region, the result card on a phone and at 200% zoom, Escape closing the
widget, and the whole flow with the keyboard only.

axe-core is vendored (tests/browser/vendor/axe.min.js, 4.14.1 from the npm registry, MPL-2.0, licence beside
it): the tests run offline and always with the same rules. One app per module serves both pages (its
ALLOWED_ORIGINS names the clinic page's origin); no LLM server answers, so reports are the standard ones.
Screenshots: test-artifacts/a11y-*.png.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.browser.conftest import DEFAULT_WEIGHTS, _serve, screenshot
from tests.browser.test_languages import clinic, readme_embed  # noqa: F401  (clinic: the clinic page fixture)
from tests.clinic.conftest import CONSENT, PATIENT_KEY, STAFF_KEY
from tests.clinic.test_server import call, conversation_with_photo, server_env
from tests.servers import free_port
from tools.text import t

ROOT = Path(__file__).resolve().parents[2]
AXE = Path(__file__).with_name("vendor") / "axe.min.js"
PHOTO = ROOT / "tests" / "assets" / "ISIC_0025450.jpg"  # a melanoma; closest class a mole, urgent
ASSISTANT = '[data-step-type="assistant_message"]'
WCAG_21_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
# Icon-only controls that must carry a name, with the translation key of that name.
NAMED = {"#new-chat-button": "navigation.newChat.button", "#upload-button": "chat.input.actions.attachFiles",
         "#chat-submit": "chat.input.actions.send", "#chat-settings-open-modal": "a11y.settings"}


def translation(tag: str, key: str) -> str:
    node = json.loads((ROOT / ".chainlit" / "translations" / f"{tag}.json").read_text(encoding="utf-8"))
    for part in key.split("."):
        node = node[part]
    return node


# Resolves once the page (and the widget's shadow root) has not changed for 300 ms, at most 5 s, and two frames
# later: a control that has just appeared (Chainlit's "scroll to the latest" button, after the chart's table
# opened) gets its name from public/ham10k.js on the next frame, as a patient would meet it.
SETTLED = """() => new Promise(resolve => {
    let timer = null;
    const roots = [document, document.querySelector('#chainlit-copilot')?.shadowRoot].filter(Boolean);
    const done = () => { observer.disconnect(); clearTimeout(cap);
                         requestAnimationFrame(() => requestAnimationFrame(resolve)); };
    const observer = new MutationObserver(() => { clearTimeout(timer); timer = setTimeout(done, 300); });
    for (const root of roots) observer.observe(root, {subtree: true, childList: true, attributes: true});
    timer = setTimeout(done, 300);
    const cap = setTimeout(() => { clearTimeout(timer); done(); }, 5000);
})"""


def axe(page) -> list[dict]:
    """axe-core's WCAG 2.1 A/AA violations on the page once it has settled (open shadow roots included)."""
    page.evaluate(SETTLED)
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.add_script_tag(path=str(AXE))
    return page.evaluate(
        """tags => axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})
               .then(r => r.violations.map(v => ({id: v.id, help: v.help,
                   nodes: v.nodes.map(n => ({target: n.target, html: n.html.slice(0, 200)}))})))""",
        WCAG_21_AA)


def assert_no_violations(page, where: str) -> None:
    found = axe(page)
    assert not found, f"{where}: " + json.dumps(found, indent=1, ensure_ascii=False)


def sections(page) -> list[str]:
    """The last report's sections as the page finally shows them: each h2 and what follows it."""
    return page.locator(f"{ASSISTANT}:has(h2)").last.evaluate(
        """message => { const out = []; let current = null;
               for (const child of message.querySelector('h2').parentElement.children) {
                   if (child.tagName === 'H2') { current = []; out.push(current); }
                   const text = child.innerText.trim();
                   if (current && text) current.push(text);
               }
               return out.map(lines => lines.join('\\n')); }""")


def announced(page) -> list[str]:
    return page.locator("#ham-live p").all_text_contents()


def wait_for_reply(page, before: int, timeout_s: float = 120) -> None:
    """Until the turn's assistant messages are all there (the paperclip is back once a reply has ended)."""
    page.wait_for_function(
        """n => { const host = document.querySelector('#chainlit-copilot');
                  const root = host && host.shadowRoot ? host.shadowRoot : document;
                  return root.querySelectorAll('[data-step-type="assistant_message"]').length > n
                         && root.querySelector('#upload-button'); }""",
        arg=before, timeout=timeout_s * 1000)


def send_photo(page) -> None:
    before = page.locator(ASSISTANT).count()
    page.set_input_files("#upload-button-input", str(PHOTO))
    page.wait_for_selector("#chat-submit:enabled", timeout=30_000)
    page.click("#chat-submit")
    wait_for_reply(page, before)
    page.locator(".js-plotly-plot").first.wait_for(timeout=20_000)
    page.locator(ASSISTANT).filter(has=page.locator("a.inline-file[download]")).first.wait_for(timeout=30_000)
    page.wait_for_timeout(300)  # the patch's next animation frame


def assert_named(page, tag: str) -> None:
    for selector, key in NAMED.items():
        assert page.get_attribute(selector, "aria-label") == translation(tag, key), selector


def assert_chart_has_its_table(page, lang: str) -> None:
    table = page.locator(".ham-chart-table").first
    assert table.get_attribute("lang") == lang
    # Behind its toggle, closed: the table is there for a screen reader's table commands once opened.
    assert table.locator("table th[scope=col]").all_text_contents() == [t("chart.column_kind", lang),
                                                                       t("chart.column_match", lang)]
    assert table.locator("tbody tr").count() == 7, "the seven shares, one row each"
    assert table.locator("summary").inner_text() == t("chart.table_toggle", lang)
    heat = page.locator(f"{ASSISTANT} img[alt^='{t('chat.heatmap_alt', lang, number=1, display_name='X')[:12]}']")
    assert heat.count() == 1, "the heat-map's alternative text is the catalogue's"


def assert_card_fits(page, where: str) -> None:
    """The card and the chart's table are read without scrolling sideways, nothing cut off."""
    width = page.evaluate("() => document.documentElement.clientWidth")
    for selector in (".ham-result-card", ".ham-chart-table"):
        box = page.locator(selector).first.evaluate(
            "e => { const r = e.getBoundingClientRect(); return {left: r.left, right: r.right, over: e.scrollWidth - e.clientWidth}; }")
        assert box["left"] >= 0 and box["right"] <= width + 1 and box["over"] <= 1, f"{where}: {selector} {box}"


# ---------------------------------------------------------------------------------------------- servers


@pytest.fixture(scope="module")
def app_url(clinic: dict) -> Iterator[str]:
    env = DEFAULT_WEIGHTS | {"LLM_BASE_URL": f"http://127.0.0.1:{free_port()}/v1", "ALLOWED_ORIGINS": clinic["origin"]}
    for url in _serve("server-a11y", env):
        server = url.rstrip("/")
        # An accessible clinic page of its own (language, title, a main landmark): axe judges the widget.
        (clinic["folder"] / "index.html").write_text(
            '<!doctype html>\n<html lang="en">\n<head><meta charset="utf-8"><title>Riverside Skin Clinic</title></head>\n'
            "<body>\n<main><h1>Riverside Skin Clinic</h1><p>Open Monday to Friday, 8:00 to 18:00.</p></main>\n"
            f"{readme_embed(server)}\n</body>\n</html>\n", encoding="utf-8")
        yield server


@pytest.fixture
def context_for(browser) -> Iterator:
    contexts = []

    def make(locale: str, **options):
        context = browser.new_context(locale=locale, **({"viewport": {"width": 1280, "height": 900}} | options))
        contexts.append(context)
        return context

    yield make
    for context in contexts:
        context.close()


# ------------------------------------------------------------------------------------------------ tests


@pytest.mark.parametrize(("tag", "lang"), [("en-US", "en"), ("fr-FR", "fr")])
def test_chat_page_meets_wcag_21_aa_at_welcome_and_after_a_report(context_for, app_url: str, tag: str, lang: str) -> None:
    page = context_for(tag).new_page()
    page.goto(app_url + "/")
    page.wait_for_selector("#starters button:enabled", timeout=30_000)
    page.wait_for_function("() => document.querySelector('#chat-submit')?.getAttribute('aria-label')", timeout=10_000)
    assert page.evaluate("document.documentElement.lang") == lang
    assert_named(page, tag)
    assert_no_violations(page, f"{lang} welcome")

    send_photo(page)
    assert_chart_has_its_table(page, lang)
    assert page.locator(".ham-result-card").get_attribute("lang") == lang
    assert page.locator(".ham-result-card h3.ham-result-name").count() == 1, "the closest match is a heading"
    # The live region spoke each finished section once, whole (never a part of one), and nothing else of them.
    spoken, shown = announced(page), sections(page)
    assert len(shown) == 9 and [s for s in shown if s not in spoken] == [], json.dumps([spoken, shown], indent=1)
    assert len([s for s in spoken if s.startswith("1. ")]) == 1
    assert page.locator("#ham-live").get_attribute("aria-live") == "polite"
    page.locator(".ham-chart-table summary").first.press("Enter")  # the table open, as a patient would
    assert page.locator(".ham-chart-table table").first.is_visible()
    assert_no_violations(page, f"{lang} after a report")
    screenshot(page, f"a11y-{lang}-report", at=".ham-result-card")

    if lang == "en":
        # Dark theme (Chainlit's own toggle stores it): contrast holds there too.
        page.evaluate("() => localStorage.setItem('vite-ui-theme', 'dark')")
        page.evaluate("() => document.documentElement.classList.replace('light', 'dark')")
        page.wait_for_timeout(200)
        assert page.evaluate("document.documentElement.classList.contains('dark')")
        assert_no_violations(page, "en after a report, dark theme")
        screenshot(page, "a11y-en-report-dark", at=".ham-result-card")
        # 200% zoom of a 1280x900 window: the same page in a 640x450 CSS-pixel window, drawn at twice the scale.
        page.set_viewport_size({"width": 640, "height": 450})
        page.wait_for_timeout(300)
        assert_card_fits(page, "200% zoom")
    else:
        # A 390x844 phone.
        page.set_viewport_size({"width": 390, "height": 844})
        page.wait_for_timeout(300)
        assert_card_fits(page, "390x844")
        screenshot(page, "a11y-fr-phone", at=".ham-result-card")


def test_widget_on_a_clinic_page_meets_wcag_21_aa_and_closes_with_escape(context_for, app_url: str, clinic: dict) -> None:
    """A German browser on an English clinic page: the widget's root says German, the page keeps English."""
    page = context_for("de-DE").new_page()
    page.goto(clinic["origin"] + "/")
    page.wait_for_function("() => typeof window.toggleChainlitCopilot === 'function'", timeout=30_000)
    toggle = page.locator("#chainlit-copilot-button")
    page.wait_for_function(
        "() => document.querySelector('#chainlit-copilot').shadowRoot.querySelector('#chainlit-copilot-button')"
        "?.getAttribute('aria-label')", timeout=10_000)
    assert toggle.get_attribute("aria-label") == translation("de-DE", "a11y.openChat")
    toggle.focus()
    page.keyboard.press("Enter")
    page.wait_for_selector("#upload-button", timeout=30_000)
    page.locator(ASSISTANT).first.wait_for(timeout=30_000)
    assert toggle.get_attribute("aria-label") == translation("de-DE", "a11y.closeChat")
    assert page.evaluate("document.documentElement.lang") == "en"
    assert page.get_attribute("#chainlit-copilot", "lang") == "de"
    send_photo(page)
    assert_named(page, "de-DE")
    assert_chart_has_its_table(page, "de")
    assert_no_violations(page, "widget after a report")
    screenshot(page, "a11y-widget-report")

    # The layout menu's entries are the catalogue's German words, not Chainlit's English ones.
    page.click("#display-mode-button")
    items = page.locator('[role="menuitemradio"]')
    items.first.wait_for(timeout=5_000)
    page.wait_for_timeout(300)  # the patch's next animation frame
    assert [i.strip() for i in items.all_inner_texts()] == [t("browser.layout_floating", "de"),
                                                             t("browser.layout_sidebar", "de")]
    assert_no_violations(page, "widget's layout menu")
    page.keyboard.press("Escape")
    items.first.wait_for(state="detached", timeout=5_000)

    page.focus("#chat-input")
    page.keyboard.press("Escape")
    page.wait_for_function(
        "() => document.querySelector('#chainlit-copilot').shadowRoot"
        ".querySelector('#chainlit-copilot-button').getAttribute('aria-expanded') === 'false'", timeout=5_000)
    page.wait_for_selector("#chat-input", state="hidden", timeout=5_000)  # the panel is gone
    assert page.evaluate("() => document.querySelector('#chainlit-copilot').shadowRoot.activeElement?.id") == \
        "chainlit-copilot-button", "focus is back on the widget's button"


def test_html_lang_follows_a_language_the_patient_switches_to(context_for, app_url: str) -> None:
    """An English browser, a patient who writes in French: the answer, <html lang> and the names of Chainlit's
    controls turn French."""
    page = context_for("en-US").new_page()
    page.goto(app_url + "/")
    page.wait_for_selector("#starters button:enabled", timeout=30_000)
    page.wait_for_function("() => document.documentElement.lang === 'en'", timeout=10_000)
    before = page.locator(ASSISTANT).count()
    page.fill("#chat-input", "Bonjour, comment dois-je surveiller mes grains de beauté chaque mois ?")
    page.keyboard.press("Enter")
    wait_for_reply(page, before, 60)
    page.wait_for_function("() => document.documentElement.lang === 'fr'", timeout=10_000)
    for selector, key in NAMED.items():
        page.wait_for_function("([s, name]) => document.querySelector(s)?.getAttribute('aria-label') === name",
                               arg=[selector, translation("fr-FR", key)], timeout=10_000)
    assert_no_violations(page, "after switching to French")


# ------------------------------------------------------------------------------------------- keyboard only


# Chromium's paperclip opens the File System Access picker (react-dropzone), which Playwright cannot answer;
# without that API (as in Firefox and Safari) the same key press opens the <input type=file> chooser, which it can.
NO_MOUSE = """
delete Window.prototype.showOpenFilePicker; delete window.showOpenFilePicker;
window.__mouse = 0;
for (const type of ['mousedown', 'mouseup', 'pointerdown', 'pointerup', 'mousemove', 'wheel'])
    window.addEventListener(type, (e) => { if (e.isTrusted) window.__mouse++; }, true);
"""


def tab_to(page, predicate: str, limit: int = 120, backwards: bool = False) -> None:
    """Tab (or Shift+Tab) until the focused element satisfies `predicate` (a JS function of it); checks that
    where it stops the focus is visible (an outline or a ring)."""
    for _ in range(limit):
        if page.evaluate(f"() => {{ const e = document.activeElement; return !!e && ({predicate})(e); }}"):
            ring = page.evaluate("""() => { const s = getComputedStyle(document.activeElement);
                return (s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) > 0) || s.boxShadow !== 'none'; }""")
            assert ring, f"no visible focus on {page.evaluate('document.activeElement.outerHTML.slice(0, 120)')}"
            return
        page.keyboard.press("Shift+Tab" if backwards else "Tab")
    raise AssertionError(f"Tab never reached {predicate}")


def test_whole_flow_with_the_keyboard_only(context_for, app_url: str) -> None:
    """Attach, send, read the report, ask, download the PDF: Tab, Enter and typing, and the file chooser."""
    context = context_for("en-US")
    context.add_init_script(NO_MOUSE)
    page = context.new_page()
    # Playwright turns on its file-chooser interception without waiting for Chromium to confirm it: listening
    # from the start (not only inside expect_file_chooser) keeps a fast key press from racing past it.
    page.on("filechooser", lambda chooser: None)
    page.goto(app_url + "/")
    page.wait_for_selector("#starters button:enabled", timeout=30_000)
    page.wait_for_function("() => document.querySelector('#upload-button')?.getAttribute('aria-label')", timeout=10_000)

    tab_to(page, "e => e.id === 'upload-button'")
    with page.expect_file_chooser() as chooser:
        page.keyboard.press("Enter")
    chooser.value.set_files(str(PHOTO))
    page.wait_for_selector("#chat-submit:enabled", timeout=30_000)
    tab_to(page, "e => e.id === 'chat-submit'")
    before = page.locator(ASSISTANT).count()
    page.keyboard.press("Enter")
    wait_for_reply(page, before)
    page.locator(ASSISTANT).filter(has=page.locator("a.inline-file[download]")).first.wait_for(timeout=30_000)
    assert len(page.locator(f"{ASSISTANT} h2").all_inner_texts()) == 9, "the report is on the page"

    # The report can be reached and read: Tab lands on its message's controls (its copy button).
    tab_to(page, "e => e.id === 'chat-input'")
    page.keyboard.type("What do the percentages mean?")
    before = page.locator(ASSISTANT).count()
    page.keyboard.press("Enter")
    wait_for_reply(page, before, 60)
    answer = page.locator(ASSISTANT).last.inner_text()
    assert "%" in answer
    page.wait_for_timeout(300)  # the patch's next animation frame
    assert " ".join(answer.split()[:8]) in " ".join(announced(page)[-1].split()), "the answer was announced"

    tab_to(page, "e => e.matches('a.inline-file[download]')", backwards=True)
    with page.expect_download() as download:
        page.keyboard.press("Enter")
    path = download.value.path()
    assert Path(path).read_bytes()[:5] == b"%PDF-"
    assert page.evaluate("window.__mouse") == 0, "no mouse event was used"
    screenshot(page, "a11y-keyboard-end")


# ------------------------------------------------------------------------------------------- staff page


@pytest.fixture(scope="module")
def staff_case(tmp_path_factory) -> Iterator[tuple[str, dict]]:
    """The app with hand-off on (the clinic tests' environment) and one case sent through the API."""
    data = tmp_path_factory.mktemp("a11y-staff")
    for url in _serve("server-a11y-staff", DEFAULT_WEIGHTS | server_env(f"sqlite:///{data / 'cases.sqlite3'}")):
        server = url.rstrip("/")
        conversation = conversation_with_photo(server, PHOTO)
        status, sent = call(f"{server}/api/v1/conversations/{conversation}/handoff", "POST", CONSENT,
                            {"X-API-Key": PATIENT_KEY})
        assert status == 201, sent
        yield server, json.loads(sent)


def test_staff_page_meets_wcag_21_aa(context_for, staff_case: tuple[str, dict]) -> None:
    """The login form, the case list and a case's page (photo, heat-map, report, its PDF link)."""
    server, sent = staff_case
    page = context_for("en-US").new_page()
    page.goto(server + "/staff/")
    page.wait_for_selector("input[name=password]")
    assert page.evaluate("document.documentElement.lang") == "en"  # STAFF_LOCALE's
    assert_no_violations(page, "staff login")
    page.get_by_label(t("clinic.staff.username", "en")).fill("nurse")  # each field has its own label
    page.get_by_label(t("clinic.staff.password", "en")).fill(STAFF_KEY)
    page.keyboard.press("Enter")
    page.wait_for_selector("a[href$='/staff/logout']")
    page.goto(server + "/staff/case/list")
    assert page.get_by_text(sent["reference"]).count() == 1
    assert page.locator("#navbar-menu ul > li").count() == 2, "the menu is a list: cases, audit log"
    assert_no_violations(page, "staff case list")
    screenshot(page, "a11y-staff-list")
    page.goto(f"{server}/staff/case/details/{sent['case_id']}")
    page.wait_for_selector("figure img")
    assert_no_violations(page, "staff case details")
    screenshot(page, "a11y-staff-details")
    with page.expect_download() as download:
        page.get_by_role("link", name=t("clinic.staff.report_pdf", "en")).click()
    assert Path(download.value.path()).read_bytes()[:5] == b"%PDF-"
