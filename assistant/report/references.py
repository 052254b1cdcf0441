"""Reference numbers a patient reads out or types: `HK-7Q4M-2K9D`. Eight random characters from an
alphabet without the look-alikes 0/O, 1/I/L and U/V (29^8, about 5 x 10^11 values), in two groups of four."""

from __future__ import annotations

import re
import secrets

ALPHABET = "23456789ABCDEFGHJKMNPQRSTWXYZ"
PREFIX = "HK"
PATTERN = re.compile(rf"^{PREFIX}-[{ALPHABET}]{{4}}-[{ALPHABET}]{{4}}$")


def new_reference() -> str:
    chars = "".join(secrets.choice(ALPHABET) for _ in range(8))
    return f"{PREFIX}-{chars[:4]}-{chars[4:]}"


def is_reference(text: str) -> bool:
    """Whether `text` (as typed: any case, spaces around) is a reference in this form."""
    return bool(PATTERN.match(text.strip().upper()))
