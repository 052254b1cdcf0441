"""Reading the text and TOML files under prompts/ (read once per process, then cached)."""

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
