"""`ham10k`: the command line. Parses arguments, calls the tools, formats for the terminal."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import NoReturn

from assistant.core.settings import APP_FILE, PROJECT_ROOT, get_settings

DEFAULT_LABELS = PROJECT_ROOT.parent / "shared" / "data" / "ham10000_224" / "labels.csv"


def cmd_train(args: argparse.Namespace) -> int:
    from tools.training.profiles import PROFILES
    from tools.training.train import train_member

    recipes = PROFILES[args.profile].recipes
    if not recipes:
        raise ValueError(f"{args.profile} trains nothing: its members are another profile's, recalibrated by "
                         "`ham10k calibrate` (see weights/README.md).")
    if args.member not in ("all", *recipes):
        raise ValueError(f"{args.profile} trains member(s) {', '.join(recipes)} only; its other member is shipped "
                         "unchanged from another profile (see weights/README.md).")
    names = list(recipes) if args.member == "all" else [args.member]
    for name in names:
        recipe = recipes[name]
        if args.epochs:
            recipe = recipe.model_copy(update={"epochs": args.epochs})
        train_member(recipe, args.labels, args.split, args.out / args.profile, seed=args.seed, device=get_settings().device,
                     threads=args.threads, weights_dir=get_settings().weights_dir)
    return 0


def cmd_calibrate(args: argparse.Namespace) -> int:
    from tools.training.finalize import finalize

    report = finalize(args.runs / args.profile, args.weights, args.labels, args.split, profile_id=args.profile,
                      make_default=not args.keep_default)
    print(json.dumps({k: v for k, v in report.items() if k != "ood"} | {"ood": {
        k: v for k, v in report["ood"].items() if k != "non_skin_scores"}}, indent=2))
    return 0


def cmd_evaluate(args: argparse.Namespace) -> int:
    from assistant.core.runtime import get_ensemble
    from tools.evaluate import evaluate, headline_table
    from tools.training.data import read_labels

    rows = read_labels(args.labels)
    if args.only:
        import csv

        with open(args.split_file, newline="", encoding="utf-8") as fh:
            keep = {r["image_id"] for r in csv.DictReader(fh) if r["split"] == args.only}
        rows = [r for r in rows if r["image_id"] in keep]
    if args.limit:
        rows = rows[: args.limit]
    report = evaluate(get_ensemble(), rows, args.batch_size)
    print(headline_table(report))
    if args.json:
        args.json.write_text(json.dumps(report, indent=2) + "\n")
        print(f"written: {args.json}")
    return 0


def _format_table(path: str, result) -> str:
    lines = [f"{path}"]
    if result.status == "not_a_lesion":
        lines.append(f"  Not a lesion image: {result.ood.reason}")
        return "\n".join(lines)
    lines += [
        f"  {result.display_name} ({result.dx}): {result.confidence:.1%} confidence ({result.confidence_band})",
        f"  Urgency: {result.triage.title}. {result.triage.action}",
        f"  Why: {result.triage.reason}",
        f"  Malignant classes together: {result.malignant_probability:.1%}; members agree: {result.agreement:.0%}",
    ]
    for label, p in sorted(result.probabilities.items(), key=lambda kv: -kv[1]):
        lines.append(f"    {label:<32} {p:7.2%}  {'#' * round(p * 30)}")
    lines.append(f"  ({result.profile}, {result.timings.total_ms:.0f} ms)")
    return "\n".join(lines)


def cmd_classify(args: argparse.Namespace) -> int:
    from assistant.core.runtime import get_ensemble, intake_limits
    from tools.intake import IntakeError, load_image_file

    ensemble = get_ensemble()
    failed = 0
    for path in args.images:
        try:
            checked = load_image_file(path, intake_limits())
            result = ensemble.classify(checked, tta=not args.no_tta)
        except (IntakeError, OSError) as exc:
            print(f"{path}: {exc}", file=sys.stderr)
            failed += 1
            continue
        if args.cam and result.status == "ok":
            from tools.saliency import heatmap_png
            from tools.catalogue import catalogue

            cam_path = args.cam if len(args.images) == 1 else args.cam.with_name(f"{args.cam.stem}_{path.stem}{args.cam.suffix}")
            cam_path.write_bytes(heatmap_png(ensemble, checked.image, catalogue().labels.index(result.label)))
            print(f"heat-map: {cam_path}", file=sys.stderr)
        if args.json:
            print(json.dumps({"file": str(path), **result.model_dump(mode="json")}), flush=True)
        else:
            print(_format_table(str(path), result), flush=True)
    return 1 if failed else 0


def cmd_weights(args: argparse.Namespace) -> int:
    from assistant.core.runtime import active_profile
    from assistant.edges.weights_download import download_seed_weights
    from tools.checkpoints import CheckpointError, verify_sha256
    from tools.manifest import WeightsNotFound

    settings = get_settings()
    if args.action == "download":
        dest = args.dest or settings.weights_dir
        try:
            paths = download_seed_weights(args.repo or settings.hf_repo, dest, args.endpoint)
        except Exception as exc:  # network, auth, missing repo: all end the command the same way
            print(f"error: download failed: {exc}", file=sys.stderr)
            return 1
        for path in paths:
            print(f"downloaded {path}")
        print("Use them with PROFILE=seed-seresnext101 (or MODEL_A_PATH / MODEL_B_PATH).")
        return 0
    profile = active_profile()
    print(f"profile: {profile.id}  {profile.description}")
    status = 0
    files = [(m.name, m.file, m.sha256, f"{m.architecture} @{m.input_size}px, T={m.temperature:g}, weight {m.weight:g}")
             for m in profile.members]
    if profile.ood:
        files.append(("ood", profile.ood.file, profile.ood.sha256, f"OOD gate on member {profile.ood.member}"))
    for name, file, sha, about in files:
        try:
            path = profile.locate(file)
            if args.action == "verify":
                verify_sha256(path, sha)
            state = "ok" if args.action == "verify" and sha else "found"
            print(f"  {name}: {path}  [{state}]  {about}")
        except (WeightsNotFound, CheckpointError) as exc:
            print(f"  {name}: {exc}")
            status = 1
    return status


def cmd_report(args: argparse.Namespace) -> int:
    """Classify one image, then stream the nine-section report to stdout, section by section as each is
    checked (so `> report.md` keeps the final text); who wrote it and what was repaired go to stderr."""
    import asyncio

    from assistant.llm.client import LLMClient, LLMConfig
    from assistant.report.writer import Report, ReportChunk, build_report, stream_report
    from assistant.core.runtime import get_ensemble, intake_limits
    from tools.intake import IntakeError, load_image

    ensemble = get_ensemble()
    try:
        image_bytes = args.image.read_bytes()
        result = ensemble.classify(load_image(image_bytes, intake_limits()))
    except (IntakeError, OSError) as exc:
        print(f"{args.image}: {exc}", file=sys.stderr)
        return 1
    if result.status != "ok":
        print(f"{args.image}: no report, this does not look like a skin-lesion photo: {result.ood.reason}", file=sys.stderr)
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

    from assistant.report.references import new_reference
    from assistant.report.pdf import render_pdf
    from assistant.core.runtime import intake_limits
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

    from assistant.conversation import intents

    from assistant.safety import redteam
    from assistant.llm.client import LLMClient, LLMConfig
    from assistant.conversation.orchestrator import Services
    from assistant.text.prompts import PROMPTS_DIR, prompt_data

    cases = redteam.load_cases(args.cases or redteam.CASE_FILES)
    if args.fit:
        dev = [c for c in cases if c.split == "dev"]  # the fit never sees the test split
        margins, second, min_relevance = redteam.fit(dev)
        path = PROMPTS_DIR / "intents" / "thresholds.toml"
        redteam.write_thresholds(margins, second, min_relevance, path, f"{len(dev)} dev cases.")
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


def cmd_serve(args: argparse.Namespace) -> NoReturn:
    """Run the chat: `chainlit run assistant/edges/chat/app.py` from PROJECT_ROOT (the checkout, or the installed
    package's resources/), so the shipped .chainlit/config.toml, public/ and chainlit.md are the ones used,
    wherever this is started from.
    The process becomes Chainlit (exec), so signals and the exit code are the server's own."""
    import os

    settings = get_settings()
    host, port = args.host or settings.host, args.port or settings.port
    command = [sys.executable, "-m", "chainlit", "run", str(APP_FILE),
               "--headless", "--host", host, "--port", str(port)]
    shown = "localhost" if host in ("127.0.0.1", "0.0.0.0") else host
    print(f"Starting the chat on http://{shown}:{port} (it answers once the models are loaded).", flush=True)
    os.chdir(PROJECT_ROOT)
    os.execve(sys.executable, command, {**os.environ, "CHAINLIT_APP_ROOT": str(PROJECT_ROOT)})


def build_parser() -> argparse.ArgumentParser:
    from assistant.text.locale import LOCALES
    from tools.training.profiles import PROFILES  # pydantic models only: cheap

    parser = argparse.ArgumentParser(prog="ham10k", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    train = sub.add_parser("train", help="fine-tune the default ensemble members")
    train.add_argument("--profile", choices=sorted(PROFILES), default="ham10k-lite-v1")
    train.add_argument("--member", choices=sorted({n for p in PROFILES.values() for n in p.recipes}) + ["all"], default="all")
    train.add_argument("--labels", type=Path, default=DEFAULT_LABELS, help="labels.csv of the training pool")
    train.add_argument("--split", type=Path, default=PROJECT_ROOT / "weights" / "split.csv",
                       help="saved split (image ids); created on first use")
    train.add_argument("--out", type=Path, default=PROJECT_ROOT / "runs")
    train.add_argument("--epochs", type=int, help="override the recipe's epoch count")
    train.add_argument("--seed", type=int, default=0)
    train.add_argument("--threads", type=int, help="CPU threads for torch")
    train.set_defaults(func=cmd_train)

    calibrate = sub.add_parser("calibrate", help="after training: temperatures, triage thresholds, OOD gate, export")
    calibrate.add_argument("--profile", choices=sorted(PROFILES), default="ham10k-lite-v1")
    calibrate.add_argument("--keep-default", action="store_true", help="add the profile without making it the default")
    calibrate.add_argument("--runs", type=Path, default=PROJECT_ROOT / "runs")
    calibrate.add_argument("--weights", type=Path, default=PROJECT_ROOT / "weights")
    calibrate.add_argument("--labels", type=Path, default=DEFAULT_LABELS)
    calibrate.add_argument("--split", type=Path, default=PROJECT_ROOT / "weights" / "split.csv")
    calibrate.set_defaults(func=cmd_calibrate)

    evaluate = sub.add_parser("evaluate", help="measure the active profile on a labelled CSV (file, dx)")
    evaluate.add_argument("labels", type=Path)
    evaluate.add_argument("--json", type=Path, help="write the full report here")
    evaluate.add_argument("--only", choices=["train", "calibration", "holdout"],
                          help="keep only the rows of this split (from --split-file)")
    evaluate.add_argument("--split-file", type=Path, default=PROJECT_ROOT / "weights" / "split.csv")
    evaluate.add_argument("--limit", type=int, help="first N rows only")
    evaluate.add_argument("--batch-size", type=int, default=32)
    evaluate.set_defaults(func=cmd_evaluate)

    classify = sub.add_parser("classify", help="classify dermatoscopic images")
    classify.add_argument("images", nargs="+", type=Path)
    classify.add_argument("--json", action="store_true", help="one JSON object per image")
    classify.add_argument("--no-tta", action="store_true", help="identity view only")
    classify.add_argument("--cam", type=Path, metavar="OUT.png",
                          help="write a Grad-CAM overlay of the top class (several images: OUT_<image>.png)")
    classify.set_defaults(func=cmd_classify)

    weights = sub.add_parser("weights", help="show, verify or download weight files")
    weights.add_argument("action", choices=["list", "verify", "download"], nargs="?", default="list")
    weights.add_argument("--repo", help="Hugging Face repo of the seed's weights (download)")
    weights.add_argument("--dest", type=Path, help="where to put downloaded files (default: weights/)")
    weights.add_argument("--endpoint", help="hub endpoint or mirror URL (default: HF_ENDPOINT or huggingface.co)")
    weights.set_defaults(func=cmd_weights)

    report = sub.add_parser("report", help="classify one image and write the nine-section screening report")
    report.add_argument("image", type=Path)
    report.add_argument("--llm-base-url", help="OpenAI-compatible server, e.g. http://localhost:1234/v1 (default: LLM_BASE_URL)")
    report.add_argument("--model", help="model id on that server (default: LLM_MODEL, else the server's only model)")
    report.add_argument("--json", action="store_true", help="print classification and report as one JSON object")
    report.add_argument("--pdf", type=Path, metavar="OUT.pdf", help="also write the report as a PDF to show a doctor")
    report.add_argument("--locale", choices=LOCALES, default="en", help="the report's language (default: en)")
    report.set_defaults(func=cmd_report)

    redteam = sub.add_parser("redteam", help="run the red-team prompts through the conversation logic")
    redteam.add_argument("--llm-base-url", help="OpenAI-compatible server (default: LLM_BASE_URL; none: curated answers)")
    redteam.add_argument("--model", help="model id on that server")
    redteam.add_argument("--split", choices=["dev", "test", "all"], default="test", help="which cases (default: test)")
    redteam.add_argument("--cases", type=Path, nargs="+", help="case files (default: tests/redteam/cases.jsonl and blind.jsonl)")
    redteam.add_argument("--reports", type=int, default=0, help="also audit the reports of this many photos")
    redteam.add_argument("--photos", type=Path, default=PROJECT_ROOT / "tests" / "assets", help="folder of .jpg photos")
    redteam.add_argument("--fit", action="store_true", help="fit the router's margins on the dev split first")
    redteam.add_argument("--rules-only", action="store_true", help="without the semantic layer: what the rules alone catch")
    redteam.add_argument("--json", type=Path, help="write rates and failures here")
    redteam.set_defaults(func=cmd_redteam)

    serve = sub.add_parser("serve", help="run the chat app (Chainlit)")
    serve.add_argument("--host", help="interface to listen on (default: HOST, else 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port (default: PORT, else 8000)")
    serve.set_defaults(func=cmd_serve)

    token = sub.add_parser("token", help="mint a short-lived widget access token (needs CHAINLIT_AUTH_SECRET)")
    token.add_argument("--user", default="widget-visitor", help="identifier the token carries")
    token.add_argument("--minutes", type=float, default=15, help="lifetime in minutes (default 15)")
    token.set_defaults(func=cmd_token)
    return parser


def mint_token(secret: str, user: str = "widget-visitor", minutes: float = 15) -> str:
    """What a clinic's backend does for each page view: an HS256 JWT Chainlit's /auth/jwt accepts."""
    import datetime as dt

    import jwt

    now = dt.datetime.now(dt.timezone.utc)
    claims = {"identifier": user, "display_name": None, "metadata": {"source": "widget"},
              "iat": now, "exp": now + dt.timedelta(minutes=minutes)}
    return jwt.encode(claims, secret, algorithm="HS256")


def cmd_token(args: argparse.Namespace) -> int:
    import os

    secret = os.environ.get("CHAINLIT_AUTH_SECRET")
    if not secret:
        raise ValueError("CHAINLIT_AUTH_SECRET is not set (make one with: chainlit create-secret)")
    print(mint_token(secret, args.user, args.minutes))
    return 0


def main(argv: list[str] | None = None) -> int:
    from tools.checkpoints import CheckpointError
    from tools.manifest import WeightsNotFound

    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except (WeightsNotFound, CheckpointError, ValueError) as exc:  # set-up problems: one clear line, no traceback
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
