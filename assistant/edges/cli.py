"""`ham10k`: the command line. Parses arguments, calls the tools, formats for the terminal."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import NoReturn

from assistant.core.settings import APP_FILE, PROJECT_ROOT, get_settings
from assistant.edges.cli_report import cmd_redteam, cmd_report
from assistant.edges.cli_training import DEFAULT_LABELS, cmd_calibrate, cmd_evaluate, cmd_train


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
            from tools.catalogue import catalogue
            from tools.saliency import heatmap_png

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
