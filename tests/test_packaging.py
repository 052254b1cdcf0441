"""A plain (non-editable) `pip install` of this project is a working product: from another folder,
`ham10k classify`, `ham10k report` and `ham10k serve` find the prompts, the chat's public files and
Chainlit config, and the shipped weights inside the installed package, not in the source checkout.

Fast but honest: the project is built and installed from a `git ls-files` copy of the tree into a fresh
venv; only its dependencies (torch, chainlit, ...) come from the dev venv, through a .pth path line."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import tomllib
import urllib.request
from pathlib import Path

import pytest
from setuptools import find_packages

from tests.servers import free_port, stop, wait_for_http

REPO = Path(__file__).resolve().parents[1]
LESION = REPO / "tests" / "assets" / "ISIC_0024306.jpg"
SECTIONS = [s["title"] for s in tomllib.loads((REPO / "prompts" / "locales" / "en" / "report" / "sections.toml").read_text("utf-8"))["sections"]]


def test_pyproject_lists_every_package() -> None:
    """pyproject lists its packages (for the mapped assistant.resources and tools.locales): a new sub-package
    must be added there."""
    listed = tomllib.loads((REPO / "pyproject.toml").read_text("utf-8"))["tool"]["setuptools"]["packages"]
    assert set(listed) == {*find_packages(str(REPO), include=["assistant*", "tools*"]), "assistant.resources",
                           "tools.locales"}


def _run(cmd: list[str | Path], cwd: Path, env: dict[str, str], timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(c) for c in cmd], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, dict[str, str]]:
    """(venv, work folder holding a copy of the photo, environment) after `pip install --no-deps <copy>`."""
    root = tmp_path_factory.mktemp("packaging")
    src, venv, work = root / "src", root / "venv", root / "work"
    # The working tree as git sees it: tracked files plus new ones not yet added, never the ignored
    # (.venv/, runs/, *.egg-info/, build/, Chainlit's stock translations).
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                            cwd=REPO, capture_output=True, check=True).stdout
    for name in filter(None, listed.decode().split("\0")):
        if (REPO / name).is_file():  # tracked but deleted in the working tree: skip
            (src / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(REPO / name, src / name)
    work.mkdir()
    shutil.copy2(LESION, work / LESION.name)

    env = {k: v for k, v in os.environ.items() if k not in {
        "PYTHONPATH", "VIRTUAL_ENV", "CHAINLIT_APP_ROOT", "WEIGHTS_DIR", "PROFILE", "MODEL_A_PATH", "MODEL_B_PATH",
        "LLM_BASE_URL", "LM_STUDIO_ENDPOINT"}}
    env |= {"HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "OMP_NUM_THREADS": "1", "PYTHONNOUSERSITE": "1"}
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, env=env)
    python = venv / "bin" / "python"
    site = Path(_run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], root, env).stdout.strip())
    # A plain path line: the dev venv's .pth files (its editable finder for this project) are not run.
    (site / "_dev_venv_dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n", encoding="utf-8")
    pip = _run([python, "-m", "pip", "install", "--no-deps", "--no-build-isolation", "--ignore-installed",
                "--no-index", "--disable-pip-version-check", src], root, env)
    assert pip.returncode == 0, pip.stdout + pip.stderr
    return venv, work, env


@pytest.mark.slow
def test_installed_package_is_self_contained(installed: tuple[Path, Path, dict[str, str]]) -> None:
    venv, work, env = installed
    probe = ("import json, assistant, tools, tools.text, assistant.core.settings as s; print(json.dumps({'assistant': "
             "assistant.__file__, 'tools': tools.__file__, 'root': str(s.PROJECT_ROOT), 'app': str(s.APP_FILE), "
             "'weights': str(s.get_settings().weights_dir), 'locales': str(tools.text.LOCALES_DIR)}))")
    done = _run([venv / "bin" / "python", "-c", probe], work, env)
    assert done.returncode == 0, done.stderr
    paths = {k: Path(v) for k, v in json.loads(done.stdout).items()}
    for name, path in paths.items():
        assert path.is_relative_to(venv.resolve()), f"{name} comes from {path}, not the new venv"
    assert paths["root"] == paths["assistant"].parent / "resources"
    for shipped in ("prompts/report_system.md", "prompts/lexicon/en.toml", "prompts/intents/exemplars/pt.toml", "public/ham10k.css", ".chainlit/config.toml", "chainlit.md",
                    "weights/manifest.json", "weights/calibration.json", "weights/ham10k_lite_A.safetensors"):
        assert (paths["root"] / shipped).is_file(), shipped
    assert paths["locales"] == paths["tools"].parent / "locales"
    for shipped in ("en/messages.toml", "en/report/sections.toml", "fr/report/fallback/akiec.md", "de/followup/snippets.toml"):
        assert (paths["locales"] / shipped).is_file(), shipped
    assert not (paths["root"] / "prompts" / "locales").exists()
    for template in ("base.html", "login.html", "_macros.html", "ham10k.css"):  # the staff page's WCAG fixes
        assert (paths["assistant"].parent / "edges" / "api" / "staff_templates" / "sqladmin" / template).is_file(), template


@pytest.mark.slow
def test_classify_and_report_from_another_folder(installed: tuple[Path, Path, dict[str, str]]) -> None:
    venv, work, env = installed
    ham10k = venv / "bin" / "ham10k"
    classify = _run([ham10k, "classify", LESION.name], work, env)
    assert classify.returncode == 0, classify.stderr
    assert classify.stdout.startswith(LESION.name) and "Urgency:" in classify.stdout

    nobody = f"http://127.0.0.1:{free_port()}/v1"
    report = _run([ham10k, "report", LESION.name, "--llm-base-url", nobody], work, env)
    assert report.returncode == 0, report.stderr
    for i, title in enumerate(SECTIONS, 1):
        assert f"## {i}. {title}" in report.stdout
    assert "Written by the standard report" in report.stderr


@pytest.mark.slow
def test_serve_from_another_folder(installed: tuple[Path, Path, dict[str, str]]) -> None:
    venv, work, env = installed
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with open(work / "serve.log", "wb") as log:
        proc = subprocess.Popen([str(venv / "bin" / "ham10k"), "serve", "--port", str(port)], cwd=work, env=env,
                                stdout=log, stderr=subprocess.STDOUT)
        try:
            try:
                wait_for_http(base + "/health", proc, timeout_s=240)
            except (RuntimeError, TimeoutError) as exc:
                pytest.fail(f"{exc}\n{(work / 'serve.log').read_text(errors='replace')[-4000:]}")
            with urllib.request.urlopen(base + "/", timeout=10) as r:
                assert r.status == 200 and "HAM10K Skin Check" in r.read().decode()  # our .chainlit/config.toml
            with urllib.request.urlopen(base + "/public/ham10k.css", timeout=10) as r:
                assert r.status == 200  # our public/
            with urllib.request.urlopen(base + "/project/settings?language=en-US", timeout=10) as r:
                assert "screening aid" in json.loads(r.read())["markdown"]  # our chainlit.md
        finally:
            stop(proc, timeout=20)

