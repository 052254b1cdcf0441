"""The class catalogue (tools/catalogue.toml) as typed, immutable data, with each class's and tier's words
from the text catalogue of a locale (English unless asked)."""

from __future__ import annotations

import tomllib
from functools import cache
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict

from tools.text import DEFAULT_LOCALE, render, term

Tier = Literal["low", "moderate", "high", "urgent"]

CATALOGUE_FILE = Path(__file__).with_name("catalogue.toml")


class TierInfo(BaseModel):
    model_config = ConfigDict(frozen=True)
    name: Tier
    rank: int
    title: str
    action: str


class LesionClass(BaseModel):
    model_config = ConfigDict(frozen=True)
    index: int
    label: str
    dx: str
    display_name: str
    tier: Tier
    malignant: bool
    description: str


class Catalogue(BaseModel):
    model_config = ConfigDict(frozen=True)
    classes: tuple[LesionClass, ...]
    tiers: dict[str, TierInfo]

    @property
    def labels(self) -> list[str]:
        return [c.label for c in self.classes]

    @property
    def dx_codes(self) -> list[str]:
        return [c.dx for c in self.classes]

    def by_label(self, label: str) -> LesionClass:
        for c in self.classes:
            if c.label == label:
                return c
        raise KeyError(label)

    def by_dx(self, dx: str) -> LesionClass:
        for c in self.classes:
            if c.dx == dx:
                return c
        raise KeyError(dx)

    def tier(self, name: str) -> TierInfo:
        return self.tiers[name]


@cache
def catalogue(locale: str = DEFAULT_LOCALE) -> Catalogue:
    raw = tomllib.loads(CATALOGUE_FILE.read_text(encoding="utf-8"))
    return Catalogue(
        classes=tuple(LesionClass(index=i, display_name=render(term("lesion_name", c["dx"]), locale),
                                  description=render(term("lesion_description", c["dx"]), locale), **c)
                      for i, c in enumerate(raw["classes"])),
        tiers={name: TierInfo(name=name, title=render(term("tier_title", name), locale),
                              action=render(term("tier_action", name), locale), **t)
               for name, t in raw["tiers"].items()},
    )
