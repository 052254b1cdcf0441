"""After training: calibrate each member (temperature), choose triage thresholds and fit the OOD
gate on the calibration split, then ship fp16 safetensors and the manifest's default profile.
The holdout split is not read here: it stays for `ham10k evaluate`."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import torch
from safetensors.torch import load_file, save_file

from tools.catalogue import catalogue
from tools.checkpoints import load_into, sha256_file
from tools.classifier import Member, build_model, combine, probabilities
from tools.evaluate import infer
from tools.manifest import MemberSpec, OODSpec, ProfileSpec, TriagePolicy
from tools.ood import OODGate
from tools.preprocess import prepare
from tools.training.backbones import LITE_MEAN, LITE_STD
from tools.training.data import load_or_make_split, read_labels
from tools.training.nonskin import all_non_skin
from tools.training.recipes import Recipe

PROFILE_ID = "ham10k-lite-v1"
TTA_VIEWS = ["identity", "hflip", "vflip", "rot90"]
MEL_SENSITIVITY = 0.95
MALIGNANT_SENSITIVITY = 0.90
OOD_QUANTILE = 0.99
OOD_MEMBER = "A"
OOD_LAYERS = [3, 4, 5, 6]  # outputs of blocks 2-5 of tf_efficientnet_lite0
LOW_CONFIDENCE = 0.60


def nll(logits: torch.Tensor, y: torch.Tensor, temperature: float) -> float:
    """Negative log-likelihood of the view-averaged, temperature-scaled probabilities."""
    return float(-probabilities(logits, temperature).clamp_min(1e-12).log()[torch.arange(len(y)), y].mean())


def fit_temperature(logits: torch.Tensor, y: torch.Tensor) -> float:
    """Grid search for the temperature minimising the NLL."""
    grid = torch.exp(torch.linspace(math.log(0.25), math.log(6.0), 400))
    return round(float(grid[int(np.argmin([nll(logits, y, float(t)) for t in grid]))]), 4)


def largest_threshold(flagged_by, scores: np.ndarray, positives: np.ndarray, target: float, grid) -> tuple[float, float]:
    """The largest threshold whose sensitivity on the positives still reaches the target."""
    best = (float(grid[0]), float((flagged_by | (scores >= grid[0]))[positives].mean()))
    for t in grid:
        sens = float((flagged_by | (scores >= t))[positives].mean())
        if sens >= target:
            best = (round(float(t), 3), sens)
    return best


def choose_triage(probs: np.ndarray, y: np.ndarray) -> tuple[TriagePolicy, dict]:
    cat = catalogue()
    mel = cat.by_dx("mel").index
    malignant = [c.index for c in cat.classes if c.malignant]
    top = probs.argmax(1)
    mel_t, mel_sens = largest_threshold(top == mel, probs[:, mel], y == mel, MEL_SENSITIVITY, np.arange(0.05, 0.51, 0.01))
    high_or_more = np.isin(top, [c.index for c in cat.classes if cat.tier(c.tier).rank >= cat.tier("high").rank])
    mal_t, mal_sens = largest_threshold(high_or_more | (probs[:, mel] >= mel_t), probs[:, malignant].sum(1),
                                        np.isin(y, malignant), MALIGNANT_SENSITIVITY, np.arange(0.20, 0.61, 0.01))
    policy = TriagePolicy(melanoma_escalation=mel_t, malignant_escalation=mal_t, low_confidence=LOW_CONFIDENCE)
    non_mel = y != mel
    info = {
        "melanoma_escalation": mel_t, "melanoma_flag_sensitivity": mel_sens,
        "non_melanoma_flagged_urgent": float(((top == mel) | (probs[:, mel] >= mel_t))[non_mel].mean()),
        "malignant_escalation": mal_t, "malignant_flag_sensitivity": mal_sens,
        "targets": {"melanoma": MEL_SENSITIVITY, "malignant": MALIGNANT_SENSITIVITY},
    }
    return policy, info


def export_member(run_dir: Path, name: str, weights_dir: Path) -> tuple[MemberSpec, Member]:
    meta = json.loads((run_dir / f"member_{name}.json").read_text())
    recipe = Recipe(**meta["recipe"])
    state = load_file(str(run_dir / f"member_{name}.safetensors"))
    out = weights_dir / f"ham10k_lite_{name}.safetensors"
    save_file({k: v.half() if v.is_floating_point() else v for k, v in state.items()}, str(out))
    spec = MemberSpec(
        name=name, architecture=recipe.architecture, file=out.name, sha256=sha256_file(out),
        input_size=recipe.input_size, mean=LITE_MEAN, std=LITE_STD, tta_views=TTA_VIEWS, weight=0.5,
    )
    model = build_model(spec)
    load_into(model, out)  # the shipped fp16 file, as the app will read it
    return spec, Member.wrap(spec, model, OOD_LAYERS if name == OOD_MEMBER else [])


def finalize(run_dir: Path, weights_dir: Path, labels_csv: Path, split_csv: Path, batch_size: int = 32) -> dict:
    cat = catalogue()
    rows = read_labels(labels_csv)
    split = load_or_make_split(rows, split_csv)
    train = [r for r in rows if split[r["image_id"]] == "train"]
    calib = [r for r in rows if split[r["image_id"]] == "calibration"]
    y_cal = torch.tensor([cat.by_dx(r["dx"]).index for r in calib])

    exported = [export_member(run_dir, name, weights_dir) for name in ("A", "B")]
    members = [m for _, m in exported]
    cal = infer(members, [r["path"] for r in calib], batch_size, desc="calibration split")

    report: dict = {"profile": PROFILE_ID, "calibration_images": len(calib), "members": {}}
    specs = []
    for (spec, member), logits in zip(exported, cal.logits):
        t = fit_temperature(logits, y_cal)
        report["members"][spec.name] = {"temperature": t, "nll_before": nll(logits, y_cal, 1.0),
                                        "nll_after": nll(logits, y_cal, t)}
        spec = spec.model_copy(update={"temperature": t})
        member.spec = spec
        specs.append(spec)
    probs = combine(torch.stack([m.probabilities(lg) for m, lg in zip(members, cal.logits)]), [s.weight for s in specs])
    policy, report["triage"] = choose_triage(probs.numpy(), y_cal.numpy())

    # OOD gate on member A's intermediate features: Gaussians fitted on training images, scales and
    # threshold from the calibration split.
    train_out = infer(members[:1], [r["path"] for r in train], batch_size, desc="training features (OOD)", tta=False)
    dims = [2 * m.shape[1] for m in members[0].model.forward_intermediates(
        torch.zeros(1, 3, 64, 64), indices=OOD_LAYERS, extra_blocks=True, intermediates_only=True)]
    gate = OODGate.fit(train_out.features[0], cal.features[0], dims, OOD_QUANTILE)
    ood_file = weights_dir / "ham10k_lite_ood_A.safetensors"
    gate.save(ood_file)
    cal_scores = gate.scores(cal.features[0])
    non_skin = all_non_skin()
    with torch.inference_mode():
        ns_scores = gate.scores(torch.cat([members[0].logits(prepare(img, specs[0], tta=False)[None])[1]
                                           for _, img in non_skin]))
    report["ood"] = {
        "member": OOD_MEMBER, "layers": OOD_LAYERS, "threshold": round(gate.threshold, 4), "quantile": OOD_QUANTILE,
        "calibration_false_rejection": float((cal_scores > gate.threshold).float().mean()),
        "non_skin_rejected": float((ns_scores > gate.threshold).float().mean()),
        "non_skin_scores": {name: round(float(s), 2) for (name, _), s in zip(non_skin, ns_scores)},
    }
    profile = ProfileSpec(
        id=PROFILE_ID,
        description="Two EfficientNet-Lite members fine-tuned on HAM10000 (224 px pool) in this repository; "
                    "temperature-scaled, with an out-of-distribution gate. See weights/README.md.",
        members=specs, triage=policy,
        ood=OODSpec(member=OOD_MEMBER, layers=OOD_LAYERS, file=ood_file.name, sha256=sha256_file(ood_file),
                    threshold=round(gate.threshold, 4)),
    )
    manifest_path = weights_dir / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    manifest["default_profile"] = PROFILE_ID
    manifest["profiles"][PROFILE_ID] = profile.model_dump(mode="json", exclude={"id", "search_dirs"})
    manifest_path.write_text(json.dumps(manifest, indent=2) + "\n")
    (weights_dir / "calibration.json").write_text(json.dumps(report, indent=2) + "\n")
    return report
