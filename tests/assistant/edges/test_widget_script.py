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
