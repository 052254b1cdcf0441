"""The long texts under prompts/ (the LLM's instructions, the standard report, curated answers), read
once per process. Markdown and TOML; their `$name` placeholders are filled by the modules using them."""

from __future__ import annotations

import tomllib
from functools import cache

from assistant.settings import PROJECT_ROOT

PROMPTS_DIR = PROJECT_ROOT / "prompts"


@cache
def prompt_text(name: str) -> str:
    """prompts/<name> without its surrounding whitespace; `name` may contain a sub-folder."""
    return (PROMPTS_DIR / name).read_text(encoding="utf-8").strip()


@cache
def prompt_data(name: str) -> dict:
    return tomllib.loads(prompt_text(name))
