"""Would new members beat a shipped profile? Each candidate member set gets the same post-hoc choices
(tools/training/choose.py) on the calibration split, and its balanced accuracy is compared with the
reference set's on the same bootstrap resamples. A set ships only if the paired 95% interval is above 0.

    python -m tools.training.compare ../shared/data/ham10000_224/labels.csv --runs RUN_DIR \\
        [--reference ham10k-lite-v1] --sets "run:A+run:B" "run:B+run:C" "ref:A+ref:B+run:C"

`ref:X` is member X of the reference profile, `run:X` the run's `member_X.safetensors` (its recipe from
`member_X.json` or the run's `sweep.json`). The holdout is not read."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import torch

from tools.catalogue import catalogue
from tools.checkpoints import load_into
from tools.classifier import Member, build_model
from tools.evaluation.evaluate import infer
from tools.manifest import resolve_profile
from tools.training.choose import choose, paired_difference, resamples, training_priors
from tools.training.data import load_or_make_split, read_labels
from tools.training.finalize import reuse_member, run_recipe, spec_from_recipe
from tools.training.profiles import V2_VIEW_SETS


def run_member(run_dir: Path, name: str) -> Member:
    spec = spec_from_recipe(run_recipe(run_dir, name), name, f"member_{name}.safetensors")
    model = build_model(spec)
    load_into(model, run_dir / spec.file)
    return Member.wrap(spec, model, [])


def compare(sets: list[str], run_dir: Path, weights_dir: Path, reference: str, labels_csv: Path,
            split_csv: Path) -> list[dict]:
    cat = catalogue()
    rows = read_labels(labels_csv)
    split = load_or_make_split(rows, split_csv)
    calib = [r for r in rows if split[r["image_id"]] == "calibration"]
    y = torch.tensor([cat.by_dx(r["dx"]).index for r in calib])
    priors = training_priors([cat.by_dx(r["dx"]).index for r in rows if split[r["image_id"]] == "train"], len(cat.classes))
    ref_names = [m.name for m in resolve_profile(weights_dir, reference).members]
    wanted = {f"ref:{n}" for n in ref_names} | {key for s in sets for key in s.split("+")}
    logits: dict[str, torch.Tensor] = {}
    for key in sorted(wanted):
        source, name = key.split(":")
        member = reuse_member(weights_dir, reference, name)[1] if source == "ref" else run_member(run_dir, name)
        logits[key] = infer([member], [r["path"] for r in calib], desc=key).logits[0]
    idx = resamples(y.numpy())
    base, _ = choose([logits[f"ref:{n}"] for n in ref_names], y, priors, V2_VIEW_SETS)
    base_pred = base.probs.argmax(1).numpy()
    out = []
    for s in sets:
        chosen, _ = choose([logits[k] for k in s.split("+")], y, priors, V2_VIEW_SETS)
        point, lo, hi = paired_difference(chosen.probs.argmax(1).numpy(), base_pred, y.numpy(), idx)
        out.append({"members": s, "views": len(chosen.views), "weights": chosen.weights, "tau": chosen.tau,
                    "balanced_accuracy": chosen.balanced_accuracy, "melanoma_recall": chosen.melanoma_recall,
                    "minus_reference": [point, lo, hi], "ships": lo > 0})
    print(f"reference {reference}: {base.balanced_accuracy:.3f} ({len(base.views)} views, tau {base.tau})")
    for row in out:
        point, lo, hi = row["minus_reference"]
        print(f"{row['members']:<28}{row['balanced_accuracy']:>7.3f}  {point:+.3f} ({lo:+.3f}, {hi:+.3f})  "
              f"{'ships' if row['ships'] else 'within the noise or worse: not shipped'}")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("labels", type=Path, help="labels.csv of the pool (its calibration split is read)")
    parser.add_argument("--runs", type=Path, required=True)
    parser.add_argument("--sets", nargs="+", required=True)
    parser.add_argument("--reference", default="ham10k-lite-v1")
    parser.add_argument("--weights", type=Path, default=Path("weights"))
    parser.add_argument("--split", type=Path, default=Path("weights/split.csv"))
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    rows = compare(args.sets, args.runs, args.weights, args.reference, args.labels, args.split)
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()
