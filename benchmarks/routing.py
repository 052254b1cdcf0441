"""Cost of routing one chat message, layer by layer, side by side in one run.

    python benchmarks/routing.py [--repeats R]

Prints the median and p95 milliseconds per message of: the deterministic rules alone, the semantic
layer alone (one sentence embedding + the nearest exemplars), and the whole `check_message`, over the
red-team test cases; and the ratio of the whole to the 20 ms budget."""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

BUDGET_MS = 20.0


def timings(fn, texts: list[str], repeats: int) -> list[float]:
    out = []
    for _ in range(repeats):
        for text in texts:
            start = time.perf_counter()
            fn(text)
            out.append((time.perf_counter() - start) * 1000)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=2)
    args = parser.parse_args()

    from assistant.guardrails import check_message, check_rules
    from assistant.intents import get_router
    from assistant.redteam import load_cases

    started = time.perf_counter()
    router = get_router()
    if router is None:
        sys.exit("the intent router did not load; see the log")
    load_s = time.perf_counter() - started
    texts = [c.text for c in load_cases(split="test") if c.text]
    router.classify("warm-up")
    rows = [
        ("rules only", timings(check_rules, texts, args.repeats)),
        ("semantic only", timings(router.classify, texts, args.repeats)),
        ("check_message", timings(lambda t: check_message(t, router), texts, args.repeats)),
    ]
    print(f"{len(texts)} messages x {args.repeats}; router load {load_s:.1f} s")
    print(f"{'layer':<15} {'median ms':>10} {'p95 ms':>8} {'p95 / budget':>13}")
    for name, values in rows:
        p95 = statistics.quantiles(values, n=20)[-1]
        print(f"{name:<15} {statistics.median(values):>10.2f} {p95:>8.2f} {p95 / BUDGET_MS:>12.2f}x")


if __name__ == "__main__":
    main()
