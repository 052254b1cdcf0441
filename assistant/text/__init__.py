"""Every sentence a user reads comes from here: `t(message_id, locale, **params)` over the catalogue of
each locale (locales/<locale>/messages.toml), `render(Message)` for what deciders return, the starter
questions' answers, and the long texts under prompts/."""

from assistant.text.catalogue import DEFAULT_LOCALE, catalogue, placeholders, render, t
from assistant.text.faq import Faq, faq_answer, faqs
from assistant.text.markdown import escape_markdown
from assistant.text.message import Message, msg, term
from assistant.text.prompts import PROMPTS_DIR, prompt_data, prompt_text

__all__ = ["DEFAULT_LOCALE", "PROMPTS_DIR", "Faq", "Message", "catalogue", "escape_markdown", "faq_answer", "faqs",
           "msg", "placeholders", "prompt_data", "prompt_text", "render", "t", "term"]
