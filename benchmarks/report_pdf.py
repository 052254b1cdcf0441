"""Time to write one report PDF (assistant/report/pdf.py), the way the chat and the API write it.

    python benchmarks/report_pdf.py [--repeats 5] [--locales en,fr,de,es,it,pt] [--json OUT]

For each locale: a melanoma result raised to urgent (the longest standard report), its standard report,
a real photo from tests/assets and a 512-pixel heat-map, rendered `--repeats` times. It prints the first
PDF of the process (WeasyPrint's import and font set-up), then per locale the median and slowest time,
pages and size, and the median over all. Target (issue 21): median <= 1 s per PDF on the 2-core machine.
No classifier or LLM is loaded."""

from __future__ import annotations

import argparse
import io
import json
import statistics
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

TARGET_S = 1.0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--locales", default="en,fr,de,es,it,pt")
    parser.add_argument("--json", type=Path, help="write the figures here")
    args = parser.parse_args(argv)

    from PIL import Image
    from pypdf import PdfReader

    from assistant.report.references import new_reference
    from assistant.report.standard import standard_report
    from assistant.report.pdf import render_pdf
    from tests.assistant.factories import classification

    photo = (ROOT / "tests" / "assets" / "ISIC_0025450.jpg").read_bytes()
    buffer = io.BytesIO()
    Image.radial_gradient("L").resize((512, 512)).convert("RGB").save(buffer, "PNG")
    heatmap = buffer.getvalue()
    result = classification("melanocytic_nevi", 0.57, runner_up="melanoma", escalate_to="urgent")

    def one(locale: str) -> tuple[float, bytes]:
        report = standard_report(result, locale=locale)
        started = time.perf_counter()
        pdf = render_pdf(report, result, photo=photo, heatmap_png=heatmap, locale=locale, reference=new_reference(),
                         created=datetime.now(timezone.utc), profile=result.profile)
        return time.perf_counter() - started, pdf

    first, _ = one("en")
    print(f"first PDF of the process: {first:.3f} s (import and font set-up included)")
    rows, every = [], []
    for locale in args.locales.split(","):
        times, pdf = [], b""
        for _ in range(args.repeats):
            seconds, pdf = one(locale)
            times.append(seconds)
        every += times
        pages = len(PdfReader(io.BytesIO(pdf)).pages)
        rows.append({"locale": locale, "median_s": statistics.median(times), "max_s": max(times), "pages": pages,
                     "kb": len(pdf) / 1024})
        print(f"{locale}: median {rows[-1]['median_s']:.3f} s, slowest {rows[-1]['max_s']:.3f} s, "
              f"{pages} pages, {rows[-1]['kb']:.0f} KB")
    median = statistics.median(every)
    print(f"all: median {median:.3f} s over {len(every)} PDFs (target <= {TARGET_S:.1f} s: "
          f"{'met' if median <= TARGET_S else 'NOT met'})")
    if args.json:
        args.json.write_text(json.dumps({"first_s": first, "median_s": median, "locales": rows}, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
