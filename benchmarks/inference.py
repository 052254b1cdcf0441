"""Inference speed of the default ensemble, with glibc's default allocator and with the tuned one,
side by side in one run. Each variant runs in a fresh process (the allocator setting is process-wide).

    python benchmarks/inference.py [--images N] [--repeats R]

Prints seconds for: one-photo latency (median of R, the chat's path: 2 members x 4 TTA views) and
the throughput of `ham10k evaluate`'s batched path over N images; then the ratios."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

CHILD = r"""
import json, statistics, sys, time
from pathlib import Path
tune, n, repeats = sys.argv[1] == "tuned", int(sys.argv[2]), int(sys.argv[3])
if tune:
    from tools.allocator import keep_freed_memory
    keep_freed_memory()
from tools.classifier import Ensemble
from tools.evaluation.evaluate import infer
from tools.intake import load_image_file
from tools.manifest import resolve_profile
root = Path(sys.argv[4])
ensemble = Ensemble.load(resolve_profile(root / "weights"), "cpu")
assets = sorted((root / "tests" / "assets").glob("*.jpg"))
paths = [str(assets[i % len(assets)]) for i in range(n)]
photo = load_image_file(assets[0])
ensemble.classify(photo)  # warm-up
latency = []
for _ in range(repeats):
    t = time.perf_counter(); ensemble.classify(photo); latency.append(time.perf_counter() - t)
t = time.perf_counter(); infer(ensemble.members, paths, desc="batched"); batched = time.perf_counter() - t
print(json.dumps({"latency_s": statistics.median(latency), "batched_s": batched}))
"""


def run(variant: str, images: int, repeats: int) -> dict:
    out = subprocess.run([sys.executable, "-c", CHILD, variant, str(images), str(repeats), str(ROOT)],
                         cwd=ROOT, capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--images", type=int, default=128)
    parser.add_argument("--repeats", type=int, default=10)
    args = parser.parse_args()
    results = {v: run(v, args.images, args.repeats) for v in ("default", "tuned")}
    print(f"{'':<34}{'default malloc':>16}{'tuned malloc':>16}{'ratio':>8}")
    for key, label in (("latency_s", "one photo, median (s)"), ("batched_s", f"{args.images} images batched (s)")):
        d, t = results["default"][key], results["tuned"][key]
        print(f"{label:<34}{d:>16.3f}{t:>16.3f}{d / t:>8.2f}")
    d, t = results["default"]["batched_s"], results["tuned"]["batched_s"]
    print(f"{'images per second':<34}{args.images / d:>16.1f}{args.images / t:>16.1f}")


if __name__ == "__main__":
    main()
