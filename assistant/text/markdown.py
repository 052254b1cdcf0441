"""Text from outside (a user's file name) placed inside our Markdown."""

from __future__ import annotations

import re


def escape_markdown(name: str) -> str:
    """A user's file name shown inside our Markdown must not turn into formatting or links."""
    return re.sub(r"([\\`*_{}\[\]()#+\-.!<>|~])", r"\\\1", name)
