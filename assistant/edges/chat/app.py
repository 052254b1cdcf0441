"""The Chainlit edge: thin handlers that turn a chat message into a `Turn` for the orchestrator and its
events into Chainlit messages, steps and elements. Started by `ham10k serve` (chainlit run, with the
project root as the app root so `.chainlit/`, `public/` and `chainlit.md` are the committed ones)."""

from __future__ import annotations

import asyncio
import base64
import logging
import tempfile
from pathlib import Path

import chainlit as cl
from babel import Locale
from chainlit.config import config as chainlit_config
from chainlit.input_widget import Select
from chainlit.utils import utc_now

from assistant.conversation.orchestrator import Attachment, Conversation, Services, Turn
from assistant.core import metrics
from assistant.core.events import (
    ChatEvent,
    Heatmap,
    Notice,
    ProbabilityChart,
    ResultCard,
    TextDelta,
    TextFinished,
    TextStarted,
    ToolFinished,
    ToolStarted,
)
from assistant.core.logs import configure_logging
from assistant.core.runtime import close_abandoned_generators
from assistant.core.settings import get_settings
from assistant.edges.chat import handoff as clinic_handoff
from assistant.report.pdf import analysis_pdf
from assistant.text.charts import chart_content, probability_figure
from assistant.text.faq import faqs
from assistant.text.locale import CHAINLIT_TAGS, LOCALES, LocaleChoice, accept_language, from_tags
from tools.text import t

log = logging.getLogger("assistant.edges.chat.app")  # chainlit loads this file by path, not as a module
settings = get_settings()
configure_logging(settings)


def _apply_settings() -> None:
    """Our settings win over config.toml where both speak, so the browser's first filter matches ours."""
    uploads = chainlit_config.features.spontaneous_file_upload
    uploads.max_files = settings.chat_max_files_per_message
    uploads.max_size_mb = settings.max_image_mb
    if settings.allowed_origins:
        # chainlit.server built its CORS middleware from this very list before importing us: edit in place.
        chainlit_config.project.allow_origins[:] = settings.allowed_origins


def _private_files_dir() -> None:
    """Chainlit keeps uploads in APP_ROOT/.files and deletes that folder when it stops: replicas sharing an
    app root would delete each other's uploads. Each process gets its own folder instead."""
    import chainlit.config
    import chainlit.server

    folder = settings.files_dir or Path(tempfile.mkdtemp(prefix="ham10k-files-"))
    folder.mkdir(parents=True, exist_ok=True)
    chainlit.config.FILES_DIRECTORY = chainlit.server.FILES_DIRECTORY = folder


def _chainlit_words_per_language() -> None:
    """Chainlit reads chainlit_<tag>.md for the browser's exact tag only, and translations/<tag>.json for the
    exact tag or a file named by its base language: a de-AT or pt-BR browser got the English "About" page and
    English controls beside a German or Portuguese chat, and a Dutch one Dutch controls beside an English chat.
    Each tag gets the page and the controls of the locale the chat speaks to it; public/ham10k.js asks again
    with the conversation's locale when the patient switches."""
    import chainlit.server
    from chainlit.config import ChainlitConfig
    from chainlit.markdown import get_markdown_str

    def chainlit_tag(language: str) -> str:
        return CHAINLIT_TAGS[from_tags([language], "browser").locale]

    def markdown(root: str, language: str) -> str | None:
        return get_markdown_str(root, chainlit_tag(language))

    load_translation = ChainlitConfig.load_translation
    chainlit.server.get_markdown_str = markdown
    ChainlitConfig.load_translation = lambda self, language: load_translation(self, chainlit_tag(language))


_apply_settings()
_private_files_dir()
_chainlit_words_per_language()

if settings.widget_tokens or settings.staff_auth_header:
    # Any auth callback makes Chainlit require a login (and CHAINLIT_AUTH_SECRET): the widget then logs in
    # with its accessToken through /auth/jwt; the full app through the proxy's trusted header.
    @cl.header_auth_callback
    async def staff_from_header(headers) -> cl.User | None:
        name = headers.get(settings.staff_auth_header) if settings.staff_auth_header else None
        return cl.User(identifier=name, metadata={"role": "staff"}) if name else None
_services: Services | None = None


@cl.on_app_startup
async def load_services() -> None:
    """Weights load and warm up in a thread; the server answers HTTP only once this is done."""
    global _services
    configure_logging(settings)  # again: uvicorn set up its own loggers after this module was imported
    close_abandoned_generators()
    _services = await asyncio.to_thread(Services.load)
    probe = await _services.llm.probe()
    log.info("ready: classifier %s; intent router %s; AI writer at %s %s", "loaded" if _services.classifier else
             f"UNAVAILABLE ({_services.classifier_error})", _services.router_status, _services.llm.config.base_url,
             f"serves {probe.models}" if probe.reachable else "is not answering (standard reports)")


@cl.set_chat_profiles
async def chat_profiles(user: cl.User | None = None, language: str | None = None) -> list[cl.ChatProfile]:
    # A single profile is how Chainlit shows a description and starters on its welcome screen; `language`
    # is the browser's.
    lang = from_tags([language or ""], "browser").locale
    starters = [cl.Starter(label=f.label, message=f.label, icon=f.icon) for f in faqs(lang)]
    return [cl.ChatProfile(name=t("chat.product_name", lang), markdown_description=t("chat.welcome", lang),
                           icon="/public/favicon.svg", default=True, starters=starters)]


def _browser_locale() -> LocaleChoice:
    """The browser's languages, as its socket's Accept-Language header gives them (the page and the widget)."""
    environ = getattr(cl.context.session, "environ", None) or {}
    return from_tags(accept_language(environ.get("HTTP_ACCEPT_LANGUAGE")), "browser")


@cl.on_chat_start
async def start() -> None:
    assert _services is not None  # on_app_startup ran before the first connection
    conversation = Conversation(_services, _browser_locale())
    cl.user_session.set("conversation", conversation)
    metrics.CHAT_SESSIONS.inc()
    if getattr(cl.context.session, "client_type", None) == "copilot":
        # The widget has no welcome screen: Chainlit's copilot shows neither the chat profile's description
        # nor its starters. Its first message is the welcome instead, in the conversation's language.
        await cl.Message(content=t("chat.welcome", conversation.lang)).send()
    await _language_setting(conversation.lang)


async def _language_setting(lang: str) -> None:
    names = {Locale.parse(code).get_display_name(code).capitalize(): code for code in LOCALES}
    await cl.ChatSettings([Select(id="locale", label=t("chat.setting_language", lang), items=names,
                                  initial_value=lang)]).send()


async def _page_language(lang: str) -> None:
    """Tells the page (public/ham10k.js) the conversation's new language: its <html lang>, or the widget root's,
    and the browser's own words follow it. Chainlit posts this to the page's window."""
    await cl.send_window_message({"ham10k_locale": lang})


@cl.on_settings_update
async def settings_changed(values: dict) -> None:
    conversation: Conversation = cl.user_session.get("conversation")
    if values.get("locale") and values["locale"] != conversation.lang and conversation.choose(values["locale"]):
        await _page_language(conversation.lang)
        await cl.Message(content=t("chat.language_set", conversation.lang)).send()
        await _language_setting(conversation.lang)


@cl.on_chat_end
async def end() -> None:
    metrics.CHAT_SESSIONS.dec()


@cl.on_message
async def on_message(message: cl.Message) -> None:
    conversation: Conversation = cl.user_session.get("conversation")
    files = [e for e in message.elements if e.path]
    contents = await asyncio.gather(*(asyncio.to_thread(Path(e.path).read_bytes) for e in files))
    turn = Turn(
        text=message.content or "",
        attachments=[Attachment(name=e.name, mime=e.mime, data=data) for e, data in zip(files, contents)],
    )
    view = ChainlitView(conversation)
    lang = conversation.lang
    async for event in conversation.handle(turn):
        if conversation.lang != lang:  # the patient's words moved the conversation to another language
            lang = conversation.lang
            await _page_language(lang)
        await view.show(event)


class ChainlitView:
    """One turn's events as Chainlit objects; steps and streamed messages are matched by their ids."""

    def __init__(self, conversation: Conversation | None = None) -> None:
        self.conversation = conversation  # whose reports are offered as PDF files
        self.steps: dict[str, cl.Step] = {}
        self.messages: dict[str, cl.Message] = {}

    async def show(self, event: ChatEvent) -> None:
        match event:
            case ToolStarted():
                # Under the turn's run step (as `async with cl.Step` would do), so it shows before the result.
                parent = cl.context.current_step
                step = cl.Step(name=event.label, type="tool", show_input=False, icon="scan-search",
                               parent_id=parent.id if parent else None)
                step.start = utc_now()
                self.steps[event.step_id] = step
                await step.send()
            case ToolFinished():
                step = self.steps.pop(event.step_id)
                step.name, step.output, step.is_error, step.end = event.label, event.output, not event.ok, utc_now()
                await step.update()
            case ResultCard():
                card = cl.CustomElement(name="ResultCard", props=event.model_dump(), display="inline")
                await cl.Message(content=event.heading, elements=[card]).send()
            case Heatmap():
                picture = cl.Image(name=event.alt or f"heatmap-{event.image_number}.png", content=base64.b64decode(event.png_base64),
                                   display="inline", size="medium")
                await cl.Message(content=f"{event.heading}\n\n{event.caption}", elements=[picture]).send()
            case ProbabilityChart():
                chart = cl.Plotly(name=event.title, figure=probability_figure(event), display="inline", size="large")
                chart.content = chart_content(chart.content)
                table = cl.CustomElement(name="ChartTable", props=event.model_dump(), display="inline")  # text alternative
                await cl.Message(content=event.heading, elements=[chart, table]).send()
            case TextStarted():
                self.messages[event.message_id] = cl.Message(content="")
            case TextDelta():
                await self.messages[event.message_id].stream_token(event.text)
            case TextFinished():
                # The streamed deltas were checked text and spell out `event.markdown`: nothing to replace.
                await self.messages.pop(event.message_id).send()  # ends the stream
                if event.image_number is not None:
                    await self.offer_pdf(event.image_number)
                    if self.conversation is not None:
                        await clinic_handoff.offer(self.conversation, event.image_number)
            case Notice():
                await cl.Message(content=event.markdown).send()


    async def offer_pdf(self, number: int) -> None:
        """The report of image `number` as a PDF file, in a message under it. Failing costs the file only."""
        if self.conversation is None:
            return
        analysis = self.conversation.analyses[number - 1]
        try:
            pdf = await asyncio.to_thread(analysis_pdf, analysis, number)
        except Exception:
            log.exception("report PDF failed")
            return
        file = cl.File(name=t("pdf.file_name", analysis.locale, number=number), content=pdf,
                       mime="application/pdf", display="inline")
        await cl.Message(content=t("pdf.download", analysis.locale, number=number), elements=[file]).send()


def _mount_api() -> None:
    """The integrator API and ops routes on Chainlit's own FastAPI app, ahead of its SPA catch-all."""
    from chainlit.server import app as server_app

    from assistant.edges.api import mount
    from assistant.edges.chat.widget import mount_file_downloads, mount_widget_script

    clinic_handoff.use(mount(server_app, lambda: _services).clinic)  # the chat's hand-off shares the API's store
    mount_widget_script(server_app)  # the widget's script carries public/ham10k.js (accessibility)
    mount_file_downloads(server_app)  # the widget's PDF link downloads the report, as the chat page's does


_mount_api()
