"""The messages the LLM receives for a report: the system rules, the result's facts in the patient's
locale, the section guides, and the photo for a multimodal model."""

from __future__ import annotations

from string import Template

from openai.types.chat import ChatCompletionContentPartParam, ChatCompletionMessageParam

from assistant.llm.client import image_part
from assistant.report.model import (
    HEADING,
)
from assistant.report.sections import _writable, sections
from assistant.text.lexicon import LANGUAGE_NAMES
from assistant.text.prompts import prompt_text
from assistant.text.result import facts
from tools.result import ClassificationResult
from tools.text import DEFAULT_LOCALE


def build_messages(result: ClassificationResult, image_bytes: bytes | None = None,
                   locale: str = DEFAULT_LOCALE) -> list[ChatCompletionMessageParam]:
    """System and user messages. The rules go in both: Gemma folds the system text into the user turn
    and small models weigh the last instructions most. The headings, their guides and the facts are in
    the patient's language, and the model is told to write in it."""
    rules = prompt_text("report_rules.md")
    listing = "\n\n".join(
        HEADING.format(number=s.number, title=s.title) + "\n" + s.guide for s in sections(locale)
    )
    writable = _writable()
    user = Template(prompt_text("report_user.md")).substitute(
        facts(result, locale),
        rules=rules,
        sections=listing,
        language_name=LANGUAGE_NAMES.get(locale, LANGUAGE_NAMES[DEFAULT_LOCALE]),
        first_title=sections(locale)[0].title,
        last_written=str(writable[-1]),
        image_note=prompt_text("report_image.md") + "\n" if image_bytes else "",
    )
    content: str | list[ChatCompletionContentPartParam] = user
    if image_bytes:
        content = [{"type": "text", "text": user}, image_part(image_bytes)]
    return [
        {"role": "system", "content": Template(prompt_text("report_system.md")).substitute(rules=rules)},
        {"role": "user", "content": content},
    ]
