from __future__ import annotations

from pathlib import Path

import pytest

ASSETS = Path(__file__).resolve().parents[1] / "assets"


@pytest.fixture
def lesion_jpeg() -> bytes:
    return (ASSETS / "ISIC_0024306.jpg").read_bytes()
