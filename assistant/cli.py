"""`ham10k`: the command line. Parses arguments, calls the tools, formats for the terminal."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from assistant.settings import PROJECT_ROOT, get_settings

DEFAULT_LABELS = PROJECT_ROOT.parent / "shared" / "data" / "ham10000_224" / "labels.csv"


def cmd_train(args: argparse.Namespace) -> int:
    from tools.training.recipes import RECIPES
    from tools.training.train import train_member

    names = list(RECIPES) if args.member == "all" else [args.member]
    for name in names:
        recipe = RECIPES[name]
        if args.epochs:
            recipe = recipe.model_copy(update={"epochs": args.epochs})
        train_member(recipe, args.labels, args.split, args.out, seed=args.seed, device=get_settings().device,
                     threads=args.threads)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="ham10k", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    train = sub.add_parser("train", help="fine-tune the default ensemble members")
    train.add_argument("--member", choices=["A", "B", "all"], default="all")
    train.add_argument("--labels", type=Path, default=DEFAULT_LABELS, help="labels.csv of the training pool")
    train.add_argument("--split", type=Path, default=PROJECT_ROOT / "weights" / "split.csv",
                       help="saved split (image ids); created on first use")
    train.add_argument("--out", type=Path, default=PROJECT_ROOT / "runs")
    train.add_argument("--epochs", type=int, help="override the recipe's epoch count")
    train.add_argument("--seed", type=int, default=0)
    train.add_argument("--threads", type=int, help="CPU threads for torch")
    train.set_defaults(func=cmd_train)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
