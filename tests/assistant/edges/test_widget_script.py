"""The widget's script (assistant/edges/chat/widget.py): Chainlit's copilot bundle with public/ham10k.js after
it, served at /copilot/index.js ahead of Chainlit's own route. What the patch does in a browser:
tests/browser/test_accessibility.py."""

from __future__ import annotations

import os
from pathlib import Path

from fastapi import FastAPI
from fastapi.testclient import TestClient

from assistant.edges.chat import widget

ROOT = Path(__file__).resolve().parents[3]


def test_the_bundle_comes_first_then_the_patch_and_a_changed_patch_is_served(tmp_path: Path) -> None:
    (tmp_path / "index.js").write_bytes(b"copilot()")
    patch = tmp_path / "ham10k.js"
    patch.write_bytes(b"patch()")
    assert widget.widget_script(tmp_path, patch) == b"copilot()\n;\npatch()"
    patch.write_bytes(b"patched()")
    os.utime(patch, (patch.stat().st_atime, patch.stat().st_mtime + 5))
    assert widget.widget_script(tmp_path, patch).endswith(b"patched()")
    patch.unlink()
    assert widget.widget_script(tmp_path, patch) == b"copilot()\n;\n", "no patch: Chainlit's bundle alone"


def test_the_route_is_ahead_of_chainlits_and_carries_the_shipped_patch(monkeypatch, tmp_path: Path) -> None:
    import chainlit.config
    import chainlit.server

    (tmp_path / "index.js").write_bytes(b"copilot()")
    monkeypatch.setattr(chainlit.server, "copilot_build_dir", str(tmp_path))
    monkeypatch.setattr(chainlit.config, "APP_ROOT", str(ROOT))
    app = FastAPI()

    @app.get("/copilot/{filename:path}")
    async def chainlits(filename: str) -> dict:
        return {"chainlit": filename}

    widget.mount_widget_script(app)
    response = TestClient(app).get("/copilot/index.js")
    assert response.status_code == 200 and response.headers["content-type"].startswith("application/javascript")
    assert response.content == b"copilot()\n;\n" + (ROOT / "public" / "ham10k.js").read_bytes()
    assert TestClient(app).get("/copilot/assets/x.css").json() == {"chainlit": "assets/x.css"}


def test_a_pdf_is_an_attachment_under_its_name_and_images_stay_inline() -> None:
    assert widget.attachment("application/pdf", "report.pdf") == 'attachment; filename="report.pdf"'
    assert widget.attachment("application/pdf", "Rapport de dépistage, image 1.pdf") == \
        "attachment; filename*=utf-8''Rapport%20de%20d%C3%A9pistage%2C%20image%201.pdf"
    assert widget.attachment("image/png", "heatmap.png") is None
    assert widget.attachment("application/pdf", None) is None


def test_chainlits_file_answer_gets_the_header_only_for_a_sessions_pdf(monkeypatch) -> None:
    from types import SimpleNamespace

    from chainlit.session import WebsocketSession
    from fastapi.responses import Response

    files = {"f1": {"name": "Screening report, image 1.pdf"}, "f2": {"name": "photo.png"}}
    monkeypatch.setattr(WebsocketSession, "get_by_id",
                        lambda sid: SimpleNamespace(files=files) if sid == "s1" else None)
    app = FastAPI()

    @app.get("/project/file/{file_id}")
    async def chainlits(file_id: str) -> Response:
        return Response(b"%PDF-" if file_id == "f1" else b"png", media_type="application/pdf" if file_id == "f1" else "image/png")

    widget.mount_file_downloads(app)
    client = TestClient(app)
    disposition = client.get("/project/file/f1?session_id=s1").headers.get("content-disposition")
    assert disposition == "attachment; filename*=utf-8''Screening%20report%2C%20image%201.pdf"
    assert "content-disposition" not in client.get("/project/file/f2?session_id=s1").headers  # shown inline
    assert "content-disposition" not in client.get("/project/file/f1?session_id=other").headers  # not its file
