"""Every sentence a user reads comes from here: `t(message_id, locale, **params)` over the catalogue of
each locale (locales/<locale>/messages.toml) and `render(Message)` for what deciders return. The starter
questions (text.faq) and the long texts under prompts/ (text.prompts) are submodules, kept out of this
import because tools/ reads its words through it and settings reads tools/."""

from assistant.text.catalogue import DEFAULT_LOCALE, catalogue, has, placeholders, render, t
from assistant.text.message import Message, msg, term

__all__ = ["DEFAULT_LOCALE", "Message", "catalogue", "has", "msg", "placeholders", "render", "t", "term"]
