"""`ham10k train`, `calibrate` and `evaluate`: the classifier's recipes, run from the command line
(tools/training/, tools/evaluation/evaluate.py do the work)."""

from __future__ import annotations

import argparse
import json

from assistant.core.settings import PROJECT_ROOT, get_settings

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
    from tools.evaluation.evaluate import evaluate, headline_table
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
