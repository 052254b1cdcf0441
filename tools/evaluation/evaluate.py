"""Batched inference over a labelled image list, and the evaluation report `ham10k evaluate` prints."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from tqdm import tqdm

from tools.catalogue import catalogue
from tools.classifier import Ensemble, Member, ensemble_probabilities, probabilities
from tools.evaluation.metrics import bootstrap_intervals, summary
from tools.intake import load_image_file
from tools.manifest import TriagePolicy
from tools.preprocess import prepare
from tools.triage import triage


@dataclass
class DatasetOutputs:
    logits: list[torch.Tensor]    # per member: N x V x K raw logits, catalogue order
    features: list[torch.Tensor]  # per member: N x D identity-view features


def infer(members: list[Member], paths: list[str], batch_size: int = 32, desc: str = "images",
          tta: bool = True) -> DatasetOutputs:
    """Every image goes through the same intake and preprocessing as in the app; images are batched
    with all their TTA views so each member runs one forward pass per batch."""
    logits: list[list[torch.Tensor]] = [[] for _ in members]
    features: list[list[torch.Tensor]] = [[] for _ in members]
    with tqdm(total=len(paths), desc=desc, unit="img") as bar:
        for i in range(0, len(paths), batch_size):
            images = [load_image_file(p).image for p in paths[i : i + batch_size]]
            for k, member in enumerate(members):
                batch = torch.stack([prepare(img, member.spec, tta) for img in images])
                lg, ft = member.logits(batch)
                logits[k].append(lg)
                features[k].append(ft)
            bar.update(len(images))
    return DatasetOutputs([torch.cat(x) for x in logits], [torch.cat(x) for x in features])


def metrics(probs: torch.Tensor, y: np.ndarray) -> dict:
    cat = catalogue()
    return summary(probs.numpy(), y, cat.dx_codes, cat.by_dx("mel").index, [c.index for c in cat.classes if c.malignant])


def evaluate(ensemble: Ensemble, rows: list[dict[str, str]], batch_size: int = 32) -> dict:
    """Headline metrics are the app's own path (ensemble, TTA, calibrated); `variants` has the
    ensemble without TTA and every member with and without TTA."""
    cat = catalogue()
    y = np.array([cat.by_dx(r["dx"]).index for r in rows])
    out = infer(ensemble.members, [r["path"] for r in rows], batch_size, desc="evaluating")
    weights = [m.spec.weight for m in ensemble.members]
    correction = ensemble.profile.prior_correction
    per_member, combined = {}, {}
    for mode, views in (("tta", None), ("no_tta", 1)):
        raw = torch.stack([probabilities(lg[:, :views], m.spec.temperature) for m, lg in zip(ensemble.members, out.logits)])
        members, combined[mode] = ensemble_probabilities(raw, weights, correction)
        per_member[mode] = list(members)
    shown = combined["tta"]
    report = {"profile": ensemble.profile.id, **metrics(shown, y)}
    report["bootstrap_95"] = bootstrap_intervals(shown.numpy(), y, len(cat.classes))
    try:
        from tools.evaluation.challenge_score import challenge_score

        report["challenge_scorer"] = challenge_score([r["image_id"] for r in rows], shown.numpy(), y)
    except ImportError:  # the scorer is a dev extra
        report["challenge_scorer"] = None
    variants = {"ensemble_no_tta": metrics(combined["no_tta"], y)}
    for mode, probs in per_member.items():
        for member, p in zip(ensemble.members, probs):
            variants[f"member_{member.spec.name}_{mode}"] = metrics(p, y)
    report["variants"] = variants
    report["triage"] = triage_rates(shown, y, ensemble.profile.triage)
    report["operating_points"] = operating_points(shown.numpy(), y, sorted(
        {round(float(t), 2) for t in np.arange(0.05, 0.505, 0.01)} | {ensemble.profile.triage.melanoma_escalation}))
    report["melanoma_escalation"] = ensemble.profile.triage.melanoma_escalation
    report["targets"] = target_check(report)
    if ensemble.ood:
        scores = ensemble.ood.scores(out.features[ensemble.ood_member_index])
        report["ood_rejected"] = int((scores > ensemble.ood.threshold).sum())
    return report


# The screening targets a default profile is held to on the holdout split (issue 11, weights/README.md):
# (what, dotted key in the report, "min" or "max", bound).
TARGETS: list[tuple[str, str, str, float]] = [
    ("balanced accuracy", "balanced_accuracy", "min", 0.80),
    ("melanoma recall (top class)", "melanoma_recall", "min", 0.80),
    ("melanomas flagged urgent", "triage.melanoma_flagged_urgent", "min", 0.90),
    ("benign lesions flagged urgent", "triage.benign_flagged_urgent", "max", 0.15),
    ("ECE", "ece", "max", 0.04),
]


def target_check(report: dict) -> list[dict]:
    """Each target with its measured value and whether it is met; a value the report lacks is not met."""
    rows = []
    for what, key, side, bound in TARGETS:
        value = report
        for part in key.split("."):
            value = value.get(part) if isinstance(value, dict) else None
        value = None if value is None else float(value)  # numpy scalars would not go into the JSON report
        met = value is not None and (value >= bound if side == "min" else value <= bound)
        rows.append({"target": what, "measured": value, "bound": f"{'>=' if side == 'min' else '<='} {bound:.2f}",
                     "met": met})
    return rows


def triage_rates(probs: torch.Tensor, y: np.ndarray, policy: TriagePolicy) -> dict:
    """How often the urgency tier the user sees sends each group to a doctor soon enough."""
    cat = catalogue()
    tiers = np.array([cat.tier(triage(dict(zip(cat.labels, p.tolist())), policy).tier).rank for p in probs])
    urgent, high = cat.tier("urgent").rank, cat.tier("high").rank
    mel = y == cat.by_dx("mel").index
    malignant = np.isin(y, [c.index for c in cat.classes if c.malignant])
    return {
        "melanoma_flagged_urgent": float((tiers[mel] >= urgent).mean()) if mel.any() else None,
        "malignant_flagged_high_or_urgent": float((tiers[malignant] >= high).mean()) if malignant.any() else None,
        "benign_flagged_urgent": float((tiers[~malignant] >= urgent).mean()) if (~malignant).any() else None,
    }


def operating_points(probs: np.ndarray, y: np.ndarray, thresholds=None) -> list[dict]:
    """The urgent flag's curve: per melanoma-escalation threshold, the share of melanomas flagged urgent (the top
    class is melanoma, or its probability reaches the threshold) against the share of benign lesions flagged."""
    cat = catalogue()
    mel_index = cat.by_dx("mel").index
    mel = y == mel_index
    benign = ~np.isin(y, [c.index for c in cat.classes if c.malignant])
    top_is_mel = probs.argmax(1) == mel_index
    rows = []
    for t in np.round(np.arange(0.05, 0.505, 0.01), 2) if thresholds is None else thresholds:
        flagged = top_is_mel | (probs[:, mel_index] >= t)
        rows.append({"threshold": float(t),
                     "melanoma_flagged_urgent": float(flagged[mel].mean()) if mel.any() else None,
                     "benign_flagged_urgent": float(flagged[benign].mean()) if benign.any() else None})
    return rows


def curve_table(points: list[dict], shipped: float | None = None, every: float = 0.05) -> list[str]:
    """The curve at round thresholds, plus the profile's own threshold (marked)."""
    lines = [f"{'melanoma threshold':<22}{'melanomas urgent':>18}{'benign urgent':>16}"]
    for p in points:
        t = p["threshold"]
        own = shipped is not None and abs(t - shipped) < 1e-9
        if own or abs(t / every - round(t / every)) < 1e-6:
            lines.append(f"{t:<22.2f}{p['melanoma_flagged_urgent'] or 0:>18.3f}{p['benign_flagged_urgent'] or 0:>16.3f}"
                         + ("   <- this profile" if own else ""))
    return lines


def headline_table(report: dict) -> str:
    keys = ["balanced_accuracy", "accuracy", "macro_f1", "melanoma_recall", "ece", "auroc_melanoma_vs_rest",
            "auroc_malignant_vs_benign"]
    columns = {"ensemble": report, **{name.removeprefix("member_").replace("ensemble_", "ens_"): m
                                       for name, m in report["variants"].items()}}
    lines = [f"{'metric (n=' + str(report['n']) + ')':<28}" + "".join(f"{name:>12}" for name in columns)]
    for k in keys:
        values = [m[k] if m[k] is not None else float("nan") for m in columns.values()]
        lines.append(f"{k:<28}" + "".join(f"{v:>12.3f}" for v in values))
    lines.append("")
    lines += [f"{k:<36}{v:>8.3f}" for k, v in report["triage"].items() if v is not None]
    lines.append("")
    boot = report.get("bootstrap_95")
    if boot:
        lo, hi = boot["balanced_accuracy"]
        lines.append(f"{'balanced accuracy 95% CI':<36}{lo:>8.3f} - {hi:.3f}")
    if report.get("challenge_scorer"):
        cs = report["challenge_scorer"]
        lines.append(f"{'ISIC scorer: balanced accuracy':<36}{cs['balanced_accuracy']:>8.3f}   macro AUC {cs['macro_auc']:.3f}")
    if report.get("operating_points"):
        lines.append("")
        lines += curve_table(report["operating_points"], report.get("melanoma_escalation"))
    lines.append("")
    lines.append(f"{'screening target':<36}{'measured':>9}{'target':>10}")
    for t in report.get("targets", []):
        measured = f"{t['measured']:.3f}" if t["measured"] is not None else "-"
        lines.append(f"{t['target']:<36}{measured:>9}{t['bound']:>10}   {'met' if t['met'] else 'NOT met'}")
    lines.append("")
    lines.append(f"{'per class (ensemble, TTA)':<26}{'precision':>10}{'recall':>10}{'f1':>10}{'support':>10}{'recall 95% CI':>18}")
    for i, (dx, pc) in enumerate(report["per_class"].items()):
        ci = boot["recall"][i] if boot and boot["recall"][i] else None
        ci_text = f"{ci[0]:.2f} - {ci[1]:.2f}" if ci else "-"
        lines.append(f"{dx:<26}{pc['precision']:>10.3f}{pc['recall']:>10.3f}{pc['f1']:>10.3f}{pc['support']:>10}{ci_text:>18}")
    return "\n".join(lines)
