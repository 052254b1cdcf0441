"""`ham10k weights download` against a local hub mirror (never the network)."""

from __future__ import annotations

import hashlib
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.tools.conftest import run_cli

FILES = {"best_model_A_tuned.pth": b"A" * 1000, "best_model_B_tuned.pth": b"B" * 2000}
COMMIT = "0123456789abcdef0123456789abcdef01234567"


class MirrorHandler(BaseHTTPRequestHandler):
    """Answers /{repo}/resolve/{revision}/{file} the way the hub does for plain (non-LFS) files."""

    def _file(self):
        name = self.path.split("?")[0].rsplit("/", 1)[-1]
        return FILES.get(name) if "/resolve/" in self.path else None

    def _respond(self, with_body: bool):
        body = self._file()
        if body is None:
            self.send_response(404)
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("ETag", f'"{hashlib.sha1(body).hexdigest()}"')
        self.send_header("X-Repo-Commit", COMMIT)
        self.end_headers()
        if with_body:
            self.wfile.write(body)

    def do_HEAD(self):
        self._respond(with_body=False)

    def do_GET(self):
        self._respond(with_body=True)

    def log_message(self, *args):
        pass


@pytest.fixture
def mirror():
    server = ThreadingHTTPServer(("127.0.0.1", 0), MirrorHandler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_download_from_mirror(mirror, tmp_path):
    dest = tmp_path / "weights"
    proc = run_cli("weights", "download", "--endpoint", mirror, "--dest", str(dest),
                   env={"HF_HUB_OFFLINE": "0", "HF_HOME": str(tmp_path / "hf")}, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    for name, body in FILES.items():
        assert (dest / name).read_bytes() == body


def test_download_failure_is_one_clear_line(tmp_path):
    proc = run_cli("weights", "download", "--endpoint", "http://127.0.0.1:9", "--dest", str(tmp_path),
                   env={"HF_HUB_OFFLINE": "0", "HF_HOME": str(tmp_path / "hf")}, cwd=tmp_path)
    assert proc.returncode != 0
    assert "download failed" in proc.stderr and "Traceback" not in proc.stderr
