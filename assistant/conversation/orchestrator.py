"""One chat session's logic, free of any UI toolkit: a turn (text + attachments) in, events out.

- An attachment goes through the classifier tool (intake + ensemble), then the result card, the
  probability chart and the streamed nine-section report. Each photo the classifier looked at gets the
  next number ("image 2"), also one it rejects as not a skin spot, as the follow-up engine counts them.
- Text goes to the follow-up engine (assistant/conversation/followup.py: guardrails, then model or curated answer)
  with every result of the session in context; it also asks for a photo when a question needs one.
  The starter questions get the chat's own curated answers, instantly and the same every time.
- Nothing a user sends ends the conversation: bad files, rejected photos and failures become messages,
  and earlier results are kept.
- Everything is worded in the conversation's locale (assistant/text/locale.py): the edge's first guess,
  then the patient's own language once the detector is sure of it, or the one they chose.

Shared, expensive things (the ensemble, the LLM client, settings) live in `Services`, built once per
process and injected into every `Conversation`.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
import uuid
from collections import deque
from collections.abc import AsyncIterator
from dataclasses import dataclass

from langchain_core.tools import BaseTool
from PIL import Image
from pydantic import BaseModel, ConfigDict

from assistant.conversation import followup
from assistant.conversation.context import FollowupAnswer, FollowupContext
from assistant.core.events import (
    ChatEvent,
    Notice,
    TextDelta,
    TextFinished,
    TextStarted,
    ToolFinished,
    ToolStarted,
)
from assistant.core import metrics
from assistant.core.runtime import get_ensemble, intake_limits
from assistant.core.settings import Settings, get_settings
from assistant.llm.client import LLMClient, LLMConfig
from assistant.report.model import Analysis, Report, ReportChunk
from assistant.report.writer import stream_report
from assistant.safety.intents import get_router, router_status
from assistant.text import vocabulary
from assistant.text.faq import faq_answer
from assistant.text.locale import LocaleChoice, chosen, refine
from assistant.text.markdown import escape_markdown
from assistant.text.presentation import heatmap, probability_chart, result_card, tool_summary
from tools.classifier import Ensemble
from tools.intake import CheckedImage, IntakeError
from tools.lesion_tool import TOOL_NAME, make_heatmap_tool, make_lesion_tool
from tools.result import ClassificationResult
from tools.text import render, t

log = logging.getLogger(__name__)


class Attachment(BaseModel):
    model_config = ConfigDict(frozen=True)
    name: str
    mime: str | None = None  # as declared by the browser: shown to no one, trusted for nothing
    data: bytes


class Turn(BaseModel):
    text: str = ""
    attachments: list[Attachment] = []
    locale: str | None = None  # the patient's explicit choice from now on (a chat setting, the API's field)


@dataclass(frozen=True)
class Services:
    """Process-wide: loaded once at server start and shared by every session."""

    settings: Settings
    classifier: BaseTool | None  # None when the weights could not be loaded (see `classifier_error`)
    llm: LLMClient
    classifier_error: str | None = None
    # The semantic intent router (assistant/safety/intents.py): "loaded", or why not (the rules then run alone).
    router_status: str = "not loaded yet"
    heatmap: BaseTool | None = None  # Grad-CAM overlays beside the result card; None when SHOW_HEATMAP is off

    @classmethod
    def load(cls) -> Services:
        """The process's services from its settings. Blocking (weights load, one warm-up pass, the intent
        router's sentence model): call it in a thread."""
        settings = get_settings()
        llm = LLMClient(LLMConfig.from_settings(settings))
        router = get_router()
        if router is not None:
            router.classify("warm-up")  # the first patient must not pay for lazy initialisation
        # The output checks' word lists (a few seconds): built beside the weights, before the first model text.
        threading.Thread(target=vocabulary.warm_up, name="vocabulary", daemon=True).start()
        try:
            ensemble = get_ensemble()
        except Exception as exc:  # missing or broken weights: the chat still answers, and says so
            log.error("classifier unavailable: %s", exc)
            return cls(settings, None, llm, classifier_error=str(exc), router_status=router_status())
        warm_up(ensemble)
        limits = intake_limits(settings)
        return cls(settings, make_lesion_tool(ensemble, limits), llm, router_status=router_status(),
                   heatmap=make_heatmap_tool(ensemble, limits) if settings.show_heatmap else None)


def warm_up(ensemble: Ensemble) -> None:
    """One classification of a plain image, so the first patient does not pay for lazy initialisation."""
    image = Image.new("RGB", (256, 256), (176, 122, 104))
    ensemble.classify(CheckedImage(image=image, format="PNG", width=256, height=256))


class Conversation:
    """Per session. Turns are handled one at a time, in order."""

    def __init__(self, services: Services, locale: LocaleChoice | None = None) -> None:
        self.services = services
        self.locale = locale or LocaleChoice()
        self._told_english = False  # a language we do not speak: said once, in English
        s = services.settings
        # Not a rolling window: "image N" must stay the same photo all conversation long.
        self.analyses: list[Analysis] = []
        self.history: deque[tuple[str, str]] = deque(maxlen=s.chat_history_messages)  # (role, text)
        self._lock = asyncio.Lock()

    async def handle(self, turn: Turn) -> AsyncIterator[ChatEvent]:
        async for event in self._handle(turn):
            metrics.observe_event(event)
            yield event

    def choose(self, tag: str) -> bool:
        """The patient's own choice of language; False (and nothing changed) when we do not speak it."""
        choice = chosen(tag)
        if choice is not None:
            self.locale = choice
        return choice is not None

    @property
    def lang(self) -> str:
        return self.locale.locale

    async def _handle(self, turn: Turn) -> AsyncIterator[ChatEvent]:
        async with self._lock:
            text = turn.text.strip()
            if turn.locale:
                self.choose(turn.locale)
            if text:
                self.locale = refine(self.locale, text)
            if self.locale.asked and not self._told_english and self.locale.source == "default":
                self._told_english = True
                yield self._say(t("chat.english_only_locale", self.lang, asked=self.locale.asked))
            if len(turn.attachments) > self.services.settings.chat_max_files_per_message:
                yield self._say(t("chat.too_many_files", self.lang, count=len(turn.attachments)))
            else:
                for attachment in turn.attachments:
                    async for event in self._analyse(attachment):
                        yield event
            if text:  # answered even after an upload problem: it may be an emergency
                async for event in self._reply(text):
                    yield event

    # ------------------------------------------------------------ images

    async def _analyse(self, attachment: Attachment) -> AsyncIterator[ChatEvent]:
        name = escape_markdown(attachment.name)
        tool = self.services.classifier
        if tool is None:
            yield self._say(t("chat.classifier_unavailable", self.lang))
            return
        if len(self.analyses) >= self.services.settings.chat_max_images:
            yield self._say(t("chat.too_many_images", self.lang, count=len(self.analyses)))
            return
        step_id = uuid.uuid4().hex
        yield ToolStarted(step_id=step_id, tool=TOOL_NAME, label=t("chat.tool_running", self.lang))
        started = time.perf_counter()
        try:
            result: ClassificationResult = await tool.ainvoke({"image": attachment.data})
        except IntakeError as exc:
            reason = render(exc.text, self.lang)
            yield self._tool_failed(step_id, started, reason)
            yield self._say(t("chat.upload_error", self.lang, name=name, message=reason))
            return
        except Exception:
            log.exception("analysis of an attachment failed")
            yield self._tool_failed(step_id, started, t("chat.tool_internal_error", self.lang))
            yield self._say(t("chat.analysis_failed", self.lang, name=name))
            return
        elapsed = (time.perf_counter() - started) * 1000
        yield ToolFinished(step_id=step_id, label=t("chat.tool_done", self.lang, seconds=elapsed / 1000),
                           output=tool_summary(result, self.lang), elapsed_ms=round(elapsed, 1), ok=True)
        self.analyses.append(Analysis(result=result, locale=self.lang,
                                      photo=attachment.data if result.status == "ok" else None))
        number = len(self.analyses)
        if result.status == "not_a_lesion":
            metrics.ood_refusal()
            yield self._say(t("chat.not_a_lesion", self.lang, number=number))
            return

        yield result_card(number, result, self.lang)
        if self.services.heatmap is not None:
            try:
                png = await self.services.heatmap.ainvoke({"image": attachment.data, "label": result.label})
                self.analyses[-1].heatmap_png = png
                yield heatmap(number, result, png, self.lang)
            except Exception:  # the result and the report matter more than the picture
                log.exception("heat-map failed")
        yield probability_chart(number, result, self.lang)

        message_id = uuid.uuid4().hex
        heading = t("chat.report_heading", self.lang, number=number)
        yield TextStarted(message_id=message_id, purpose="report")
        yield TextDelta(message_id=message_id, text=heading + "\n\n")
        report: Report | None = None
        async for event in stream_report(result, attachment.data, self.services.llm, locale=self.lang):
            if isinstance(event, ReportChunk):
                yield TextDelta(message_id=message_id, text=event.text)
            else:
                report = event.report
        assert report is not None  # stream_report always ends with the report
        self.analyses[-1].report = report  # before the event: an edge may offer its PDF on it
        yield TextFinished(message_id=message_id, markdown=heading + "\n\n" + report.markdown, source=report.source,
                           image_number=number)
        self.history.append(("assistant", t("chat.history_report", self.lang, number=number)))

    def _tool_failed(self, step_id: str, started: float, why: str) -> ToolFinished:
        elapsed = (time.perf_counter() - started) * 1000
        return ToolFinished(step_id=step_id, label=t("chat.tool_failed", self.lang), output=why,
                            elapsed_ms=round(elapsed, 1), ok=False)

    # ------------------------------------------------------------ text

    async def _reply(self, text: str) -> AsyncIterator[ChatEvent]:
        settings = self.services.settings
        context = FollowupContext(
            results=[a.result for a in self.analyses],
            reports=[a.report for a in self.analyses],
            history=list(self.history),
            max_image_mb=settings.max_image_mb,
        )
        self.history.append(("user", text))
        if (faq := faq_answer(text, max_image_mb=settings.max_image_mb, locale=self.lang)) is not None:
            yield self._say(faq)
            return
        message_id = uuid.uuid4().hex
        yield TextStarted(message_id=message_id, purpose="answer")
        answer: FollowupAnswer | None = None
        async for item in followup.answer(text, context, self.services.llm, locale=self.lang):
            if isinstance(item, FollowupAnswer):
                answer = item
            else:
                yield TextDelta(message_id=message_id, text=item)
        assert answer is not None  # the engine always ends with its answer
        log.info("follow-up answered: route=%s category=%s source=%s", answer.verdict.route.value,
                 answer.verdict.category, answer.source)
        yield TextFinished(message_id=message_id, markdown=answer.text, source=answer.source,
                           route=answer.verdict.route.value)
        self.history.append(("assistant", answer.text))

    def _say(self, markdown: str) -> Notice:
        self.history.append(("assistant", markdown))
        return Notice(markdown=markdown)
