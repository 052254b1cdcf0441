"""The clinic widget's script: Chainlit's /copilot/index.js with the app's browser patch (public/ham10k.js)
appended, so that the README's two-line embed also gets what the chat page gets from custom_js (accessible
names, the widget root's language, Escape closing the panel, the live region). Chainlit's copilot loads
no custom_js of its own."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import Response

_cache: dict[tuple[float, float], bytes] = {}


def widget_script(copilot_dir: Path, patch: Path) -> bytes:
    """The copilot bundle, then the patch; rebuilt when either file changes."""
    bundle = copilot_dir / "index.js"
    key = (bundle.stat().st_mtime, patch.stat().st_mtime if patch.is_file() else 0.0)
    if key not in _cache:
        _cache.clear()
        extra = patch.read_bytes() if patch.is_file() else b""
        _cache[key] = bundle.read_bytes() + b"\n;\n" + extra
    return _cache[key]


def mount_widget_script(app: FastAPI) -> None:
    """GET /copilot/index.js, ahead of Chainlit's own route for the copilot's files."""
    import chainlit.config
    import chainlit.server

    copilot_dir = Path(chainlit.server.copilot_build_dir)
    patch = Path(chainlit.config.APP_ROOT) / "public" / "ham10k.js"

    async def copilot_index() -> Response:
        return Response(widget_script(copilot_dir, patch), media_type="application/javascript",
                        headers={"Cache-Control": "no-cache"})

    before = len(app.router.routes)
    app.add_api_route("/copilot/index.js", copilot_index, methods=["GET"], include_in_schema=False)
    new = app.router.routes[before:]
    del app.router.routes[before:]
    app.router.routes[:0] = new
