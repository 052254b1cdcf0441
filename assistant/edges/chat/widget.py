"""The clinic widget's script: Chainlit's /copilot/index.js with the app's browser patch (public/ham10k.js)
appended, so that the README's two-line embed also gets what the chat page gets from custom_js (accessible
names, the widget root's language, Escape closing the panel, the live region). Chainlit's copilot loads
no custom_js of its own. Also the report's PDF as a download from the widget (`mount_file_downloads`)."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.responses import Response

# Files Chainlit serves that the patient takes away (the report); photos and heat-maps stay inline.
DOWNLOADED = ("application/pdf",)

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


def attachment(content_type: str, name: str | None) -> str | None:
    """The Content-Disposition that downloads a session file under its element's name, or None to leave
    the answer as it is (not a document, or no name known). Any language's name: RFC 6266's filename*."""
    if not name or content_type.split(";", 1)[0].strip().lower() not in DOWNLOADED:
        return None
    quoted = quote(name, safe="")
    return f'attachment; filename="{name}"' if quoted == name else f"attachment; filename*=utf-8''{quoted}"


def mount_file_downloads(app: FastAPI) -> None:
    """In the widget the PDF link points at the app's origin, not the clinic page's: Chromium ignores a
    cross-origin link's `download` attribute, so the patient got the PDF opened in a tab under its file id
    instead of downloaded under its name, as on the chat page. Chainlit's own /project/file answer, once it
    has checked the session, gets the attachment header here."""
    from chainlit.session import WebsocketSession

    @app.middleware("http")
    async def _download_documents(request: Request, call_next):
        response = await call_next(request)
        if request.method == "GET" and response.status_code == 200 and request.url.path.startswith("/project/file/"):
            session = WebsocketSession.get_by_id(request.query_params.get("session_id", ""))
            file = session.files.get(request.url.path.rsplit("/", 1)[-1]) if session else None
            header = attachment(response.headers.get("content-type", ""), file and file.get("name"))
            if header:
                response.headers["Content-Disposition"] = header
        return response
