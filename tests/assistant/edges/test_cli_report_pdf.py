"""`ham10k report IMAGE --pdf OUT.pdf [--locale L]`: the report also as a PDF file, with the photo and its
heat-map. The classifier is a fixed result and the heat-map a stand-in; no LLM answers (standard report)."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image
from pypdf import PdfReader

from assistant.edges import cli
from assistant.report.references import is_reference
from assistant.report.sections import sections
from tests.assistant.factories import FixedEnsemble, classification
from tests.servers import free_port

LESION = Path(__file__).resolve().parents[2] / "assets" / "ISIC_0024306.jpg"


def _png(*_: object) -> bytes:
    buffer = io.BytesIO()
    Image.radial_gradient("L").convert("RGB").save(buffer, "PNG")
    return buffer.getvalue()


@pytest.fixture(autouse=True)
def fixed_classifier(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("assistant.core.runtime.get_ensemble", lambda: FixedEnsemble(classification("melanoma", 0.7)))
    monkeypatch.setattr("tools.saliency.heatmap_png", _png)


def closed() -> list[str]:
    return ["--llm-base-url", f"http://127.0.0.1:{free_port()}/v1"]


def test_report_writes_a_pdf(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "report.pdf"
    assert cli.main(["report", str(LESION), "--pdf", str(out), *closed()]) == 0
    captured = capsys.readouterr()
    assert captured.out.startswith("*This is the standard report"), "the Markdown still goes to stdout"
    reference = captured.err.split("(reference ")[1].split(")")[0]
    assert is_reference(reference) and f"PDF: {out}" in captured.err
    reader = PdfReader(out)
    text = " ".join(" ".join(p.extract_text() for p in reader.pages).split())
    assert 1 <= len(reader.pages) <= 4 and reference in text and "Melanoma" in text
    assert all(f"{s.number}. {s.title}" in text for s in sections())
    assert text.count("Your photo (image 1)") == 1 and "Where the model looked" in text


def test_report_in_another_language(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "bericht.pdf"
    assert cli.main(["report", str(LESION), "--pdf", str(out), "--locale", "de", "--json", *closed()]) == 0
    capsys.readouterr()
    reader = PdfReader(out)
    text = " ".join(" ".join(p.extract_text() for p in reader.pages).split())
    assert reader.trailer["/Root"]["/Lang"] == "de"
    assert all(" ".join(f"{s.number}. {s.title}".split()) in text for s in sections("de"))


def test_a_bad_locale_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        cli.main(["report", str(LESION), "--locale", "nl"])
    assert "invalid choice" in capsys.readouterr().err
