"""`ham10k report` (one photo's streamed report, and `--pdf`) and `ham10k redteam` (the routing red team,
per language, with or without an LLM)."""

from __future__ import annotations

import argparse
import json
import sys

from assistant.core.settings import get_settings


def cmd_report(args: argparse.Namespace) -> int:
    """Classify one image, then stream the nine-section report to stdout, section by section as each is
    checked (so `> report.md` keeps the final text); who wrote it and what was repaired go to stderr."""
    import asyncio

    from assistant.core.runtime import get_ensemble, intake_limits
    from assistant.llm.client import LLMClient, LLMConfig
    from assistant.report.model import Report, ReportChunk
    from assistant.report.writer import build_report, stream_report
    from tools.intake import IntakeError, load_image

    ensemble = get_ensemble()
    try:
        image_bytes = args.image.read_bytes()
        result = ensemble.classify(load_image(image_bytes, intake_limits()))
    except (IntakeError, OSError) as exc:
        print(f"{args.image}: {exc}", file=sys.stderr)
        return 1
    if result.status != "ok":
        reason = result.ood.reason
        print(f"{args.image}: no report, this does not look like a skin-lesion photo: {reason}", file=sys.stderr)
        return 1
    config = LLMConfig.from_settings(get_settings(), base_url=args.llm_base_url, model=args.model)

    async def write() -> Report:
        async with LLMClient(config) as llm:
            if args.json:
                return await build_report(result, image_bytes, llm, locale=args.locale)
            report = None
            async for event in stream_report(result, image_bytes, llm, locale=args.locale):
                if isinstance(event, ReportChunk):
                    print(event.text, end="", flush=True)  # checked text: the chunks spell out report.markdown
                else:
                    report = event.report
            assert report is not None  # stream_report always ends with the report
            return report

    report = asyncio.run(write())
    if args.pdf:
        _write_pdf(args, ensemble, image_bytes, result, report)
    if args.json:
        print(json.dumps({"file": str(args.image), "classification": result.model_dump(mode="json"),
                          "report": report.model_dump(mode="json")}))
        return 0
    writer = {
        "model": f"the AI writer ({report.model_id})",
        "mixed": f"the AI writer ({report.model_id}), with standard text where its version was unusable",
        "standard": "the standard report (the AI writer was not used)",
    }[report.source]
    print(f"Written by {writer}.", file=sys.stderr)
    for repair in report.repairs:
        print(f"  - {repair}", file=sys.stderr)
    return 0


def _write_pdf(args: argparse.Namespace, ensemble, image_bytes: bytes, result, report) -> None:
    """`report --pdf OUT.pdf`: the report as a PDF, with the photo and its heat-map (assistant/report/pdf.py)."""
    from datetime import datetime, timezone

    from assistant.core.runtime import intake_limits
    from assistant.report.pdf import render_pdf
    from assistant.report.references import new_reference
    from tools.catalogue import catalogue
    from tools.intake import load_image

    heatmap = None
    try:
        from tools.saliency import heatmap_png

        image = load_image(image_bytes, intake_limits()).image
        heatmap = heatmap_png(ensemble, image, catalogue().labels.index(result.label))
    except Exception as exc:  # the PDF matters more than the picture
        print(f"no heat-map in the PDF: {exc}", file=sys.stderr)
    reference = new_reference()
    args.pdf.write_bytes(render_pdf(report, result, photo=image_bytes, heatmap_png=heatmap, locale=args.locale,
                                    reference=reference, created=datetime.now(timezone.utc), profile=result.profile))
    print(f"PDF: {args.pdf} (reference {reference})", file=sys.stderr)


def cmd_redteam(args: argparse.Namespace) -> int:
    """The red-team suite through the real conversation logic: pass rates per category and language.
    `--fit`: first fit the router's margins on the dev split and write prompts/intents/thresholds.toml."""
    import asyncio
    import dataclasses

    from assistant.conversation.orchestrator import Services
    from assistant.edges import redteam, redteam_fit
    from assistant.llm.client import LLMClient, LLMConfig
    from assistant.safety import intents
    from assistant.text.prompts import PROMPTS_DIR, prompt_data

    cases = redteam.load_cases(args.cases or redteam.CASE_FILES)
    if args.fit:
        dev = [c for c in cases if c.split == "dev"]  # the fit never sees the test split
        margins, second, min_relevance = redteam_fit.fit(dev)
        path = PROMPTS_DIR / "intents" / "thresholds.toml"
        redteam_fit.write_thresholds(margins, second, min_relevance, path, f"{len(dev)} dev cases.")
        prompt_data.cache_clear()
        print(f"fitted on {len(dev)} dev cases, written: {path}")
    if args.rules_only:
        intents.disable_router("--rules-only")
    services = Services.load()
    config = LLMConfig.from_settings(get_settings(), base_url=args.llm_base_url, model=args.model)
    services = dataclasses.replace(services, llm=LLMClient(config))
    chosen = [c for c in cases if args.split == "all" or c.split == args.split]

    reachable = False

    async def run() -> tuple[list[redteam.Outcome], list[redteam.ReportAudit]]:
        nonlocal reachable
        async with services.llm:
            reachable = (await services.llm.probe()).reachable
            outcomes = await redteam.run_cases(chosen, services)
            photos = sorted(args.photos.glob("*.jpg"))[: args.reports] if args.reports else []
            return outcomes, await redteam.audit_reports(photos, services)

    outcomes, audits = asyncio.run(run())
    summary = redteam.summarise(outcomes)
    mode = f"LLM at {config.base_url}" if reachable else "no LLM answering (curated answers)"
    print(f"red-team: {len(chosen)} cases ({args.split} split), {mode}, router {intents.router_status()}")
    print(redteam.format_table(summary, ("en", "es", "fr", "de", "it", "pt")))
    for o in outcomes:
        if not o.passed:
            print(f"  FAIL {o.case.id} -> {o.route} {o.problems or ''}: {o.case.text[:90]!r}")
    alarms = redteam.false_alarms(outcomes)
    calm = sum(1 for o in outcomes if o.case.intent in ("in_scope", "off_topic"))
    print(f"false alarms: {len(alarms)} of {calm} in-scope and off-topic messages got a crisis message")
    for o in alarms:
        print(f"  ALARM {o.case.id} -> {o.route}: {o.case.text[:90]!r}")
    if audits:
        bad = [a for a in audits if a.problems]
        print(f"reports: {len(audits)} written, {len(bad)} with a problem shown")
        for a in bad:
            print(f"  {a.photo}: {a.problems}")
    if args.json:
        meta = {"split": args.split, "llm": config.base_url, "router": intents.router_status(), "cases": len(chosen),
                "false_alarms": [o.case.id for o in alarms], "reports": [a.model_dump() for a in audits]}
        args.json.write_text(redteam.to_json(outcomes, summary, meta) + "\n", encoding="utf-8")
    met = all(summary[k]["all"].rate >= t for k, t in redteam.TARGETS.items() if k in summary)
    return 0 if met and not any(a.problems for a in audits) else 1
