"""benchmarks/routing.py on a handful of messages: it measures the router's encoder in a fresh process and
prints its latency, memory and verdict against the targets. A smoke test; the figures are the benchmark's
(README "Safety"), never asserted here on a shared machine."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[3]


def _load_benchmark() -> ModuleType:
    # benchmarks/ is a folder of scripts, not a package.
    spec = importlib.util.spec_from_file_location("benchmarks_routing", ROOT / "benchmarks" / "routing.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


routing = _load_benchmark()


def test_the_benchmark_measures_the_encoder_on_a_few_messages(capsys: pytest.CaptureFixture[str]) -> None:
    assert routing.main(["--encoders", "e5", "--limit", "5", "--repeats", "1", "--cores", "1"]) == 0
    out = capsys.readouterr().out
    assert "5 red-team messages x 1" in out
    row = next(line for line in out.splitlines() if line.startswith("e5 "))
    p50, p95, _rules, added_mb = (float(x) for x in row.split()[1:5])
    assert 0 < p50 <= p95 and added_mb > 0
    assert "e5: p95 <= 30 ms and <= 150 MB added:" in out


def test_a_missing_encoder_is_reported_not_fatal() -> None:
    rows = [{"encoder": "minilm", "missing": "No module named 'sentence_transformers'"},
            {"encoder": "e5", "messages": 5, "repeats": 1, "load_s": 1.0, "p50_ms": 10.0, "p95_ms": 12.0,
             "rules_p50_ms": 0.2, "added_mb": 60.0, "cpus": 2}]
    text = routing.report(rows)
    assert "minilm   not measured" in text and "e5: p95 <= 30 ms and <= 150 MB added: met" in text
