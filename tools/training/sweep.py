"""One prepared run on a lent accelerator: the candidate members on the whole training split, then
k-fold cross-validation of the recipes (the candidates' and v1's own) over the training split, as many
jobs side by side on the one GPU as fit, within a time budget.

Everything lands in --out as it finishes, so a run cut short still returns what it finished:
- `member_<name>.safetensors`: each candidate member (fp16, what `ham10k calibrate` ships from);
- `sweep.json`: every job's recipe and per-epoch history, and the cross-validation's out-of-fold probabilities.
A job still running at the deadline stops after its epoch and is marked truncated (never shipped or counted).

    python -m tools.training.sweep --pool .gpu/pool --imagenet .gpu/imagenet --out $OUT
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

from safetensors.torch import load_file, save_file

from tools.training.recipes import RECIPES_GPU, RECIPES_V1_AS_IS, Recipe

ALL_RECIPES: dict[str, Recipe] = RECIPES_GPU | {r.name: r for r in RECIPES_V1_AS_IS.values()}


def plan(folds: int, cv_recipes: list[str]) -> list[tuple[str, int | None]]:
    """Candidates first (they are what may ship), then the folds one after another, each over every recipe:
    a run cut short has whole folds to compare, not one recipe's five against another's one."""
    jobs: list[tuple[str, int | None]] = [(name, None) for name in RECIPES_GPU]
    jobs += [(name, k) for k in range(folds) for name in cv_recipes]
    return jobs


def job_command(name: str, fold: int | None, folds: int, pool: Path, runs: Path, deadline: float,
                epochs: int | None = None) -> list[str]:
    cmd = [sys.executable, "-m", "tools.training.sweep", "job", name, "--pool", str(pool), "--runs", str(runs),
           "--deadline", str(deadline)] + (["--epochs", str(epochs)] if epochs else [])
    return cmd + (["--fold", str(fold), "--folds", str(folds)] if fold is not None else [])


def run_job(args: argparse.Namespace) -> None:
    from tools.training.train import train_member

    fold = (args.fold, args.folds) if args.fold is not None else None
    recipe = ALL_RECIPES[args.name]
    if args.epochs:  # a smoke run: the recipe as the device would scale it, but this many epochs
        recipe = recipe.for_device("cuda").model_copy(update={"epochs": args.epochs, "scale_on_accelerator": False})
    train_member(recipe, args.pool / "labels.csv", args.pool / "split.csv", args.runs,
                 fold=fold, deadline=args.deadline, threads=2)


def collect(runs: Path, out: Path, shipped: set[str]) -> dict:
    """Gather every finished log; copy each finished candidate's weights to --out in fp16."""
    logs = {}
    for path in sorted(runs.glob("member_*.json")):
        run = path.stem.removeprefix("member_")
        log = json.loads(path.read_text())
        logs[run] = log
        done = len(log["history"]) == log["recipe"]["epochs"] and not log["truncated"]
        if log["fold"] is None and done and run not in shipped:
            state = load_file(str(runs / f"member_{run}.safetensors"))
            save_file({k: v.half() if v.is_floating_point() else v for k, v in state.items()},
                      str(out / f"member_{run}.safetensors"))
            shipped.add(run)
    return logs


def sweep(args: argparse.Namespace) -> None:
    started = time.time()
    deadline = started + args.budget_s
    args.out.mkdir(parents=True, exist_ok=True)
    runs = args.runs or Path("/tmp/ham10k-sweep")
    runs.mkdir(parents=True, exist_ok=True)
    # The pool folder holds the training split only; its split file says so.
    with open(args.pool / "split.csv", "w", encoding="utf-8") as fh:
        fh.write("image_id,dx,split\n")
        for line in (args.pool / "labels.csv").read_text().splitlines()[1:]:
            image_id, _, dx = line.split(",")
            fh.write(f"{image_id},{dx},train\n")
    env = os.environ | {"HAM10K_IMAGENET_DIR": str(args.imagenet.resolve()), "PYTHONUNBUFFERED": "1", "TQDM_DISABLE": "1"}
    queue = plan(args.folds, args.cv_recipes)
    running: list[tuple[subprocess.Popen, str, float]] = []
    shipped: set[str] = set()
    skipped = []
    log_file = open(args.out / "sweep.log", "a", encoding="utf-8")
    while queue or running:
        for proc, label, t0 in list(running):
            if proc.poll() is not None:
                running.remove((proc, label, t0))
                print(f"{time.time() - started:6.0f}s  {label} ended ({proc.returncode}) after {time.time() - t0:.0f}s",
                      flush=True)
                collect(runs, args.out, shipped)
        while queue and len(running) < args.workers:
            name, fold = queue.pop(0)
            label = name if fold is None else f"{name}_fold{fold}"
            if time.time() > deadline - args.min_job_s:
                skipped.append(label)
                continue
            cmd = job_command(name, fold, args.folds, args.pool, runs, deadline, args.epochs)
            running.append((subprocess.Popen(cmd, env=env, stdout=log_file, stderr=subprocess.STDOUT), label, time.time()))
            print(f"{time.time() - started:6.0f}s  {label} started", flush=True)
        time.sleep(1)
    logs = collect(runs, args.out, shipped)
    summary = {"budget_s": args.budget_s, "wall_s": round(time.time() - started), "workers": args.workers,
               "folds": args.folds, "skipped": skipped, "runs": logs}
    (args.out / "sweep.json").write_text(json.dumps(summary))
    print(f"done in {time.time() - started:.0f}s; candidates shipped: {sorted(shipped)}; skipped: {skipped}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command")
    job = sub.add_parser("job")
    job.add_argument("name", choices=sorted(ALL_RECIPES))
    job.add_argument("--pool", type=Path, required=True)
    job.add_argument("--runs", type=Path, required=True)
    job.add_argument("--deadline", type=float)
    job.add_argument("--fold", type=int)
    job.add_argument("--folds", type=int, default=5)
    job.add_argument("--epochs", type=int)
    parser.add_argument("--pool", type=Path, default=Path(".gpu/pool"))
    parser.add_argument("--imagenet", type=Path, default=Path(".gpu/imagenet"))
    parser.add_argument("--out", type=Path, default=Path("runs/sweep"))
    parser.add_argument("--runs", type=Path, help="where jobs write as they train (default /tmp/ham10k-sweep)")
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--cv-recipes", nargs="+", default=["v1A", "A", "v1B", "B", "C"])
    parser.add_argument("--epochs", type=int, help="override every recipe's epochs (a smoke run)")
    parser.add_argument("--workers", type=int, default=6, help="jobs side by side on the one GPU")
    parser.add_argument("--budget-s", type=float, default=420)
    parser.add_argument("--min-job-s", type=float, default=60, help="no job starts with less than this left")
    args = parser.parse_args()
    if args.command == "job":
        run_job(args)
    else:
        sweep(args)


if __name__ == "__main__":
    main()
