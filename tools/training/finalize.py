"""After training: choose the TTA views, calibrate each member (temperature), choose triage thresholds
and fit the OOD gate on the calibration split, then ship fp16 safetensors and the profile in the
manifest. The holdout split is not read here: it stays for `ham10k evaluate`."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import torch
from safetensors.torch import load_file, save_file

from tools.catalogue import catalogue
from tools.checkpoints import load_into, sha256_file
from tools.classifier import Member, build_model, combine, ensemble_probabilities, probabilities
from tools.evaluation.evaluate import infer, operating_points
from tools.evaluation.metrics import ece, summary
from tools.manifest import MemberSpec, OODSpec, PriorCorrection, ProfileSpec, TriagePolicy, View, resolve_profile
from tools.ood import OODGate
from tools.preprocess import prepare
from tools.training.backbones import LITE_MEAN, LITE_STD
from tools.training.data import load_or_make_split, read_labels
from tools.training.nonskin import all_non_skin
from tools.training.choose import ALL_VIEWS, choose, fit_ensemble_temperature, fit_temperature, member_nll, nll, training_priors
from tools.training.profiles import PROFILES, TrainedProfile
from tools.training.recipes import Recipe

OOD_QUANTILE = 0.99
OOD_MEMBER = "A"
OOD_LAYERS = [3, 4, 5, 6]  # outputs of blocks 2-5 of tf_efficientnet_lite0
LOW_CONFIDENCE = 0.60


def largest_threshold(flagged_by, scores: np.ndarray, positives: np.ndarray, target: float, grid) -> tuple[float, float]:
    """The largest threshold whose sensitivity on the positives still reaches the target."""
    best = (float(grid[0]), float((flagged_by | (scores >= grid[0]))[positives].mean()))
    for t in grid:
        sens = float((flagged_by | (scores >= t))[positives].mean())
        if sens >= target:
            best = (round(float(t), 3), sens)
    return best


def choose_triage(probs: np.ndarray, y: np.ndarray, mel_sensitivity: float = 0.95,
                  malignant_sensitivity: float = 0.90) -> tuple[TriagePolicy, dict]:
    cat = catalogue()
    mel = cat.by_dx("mel").index
    malignant = [c.index for c in cat.classes if c.malignant]
    top = probs.argmax(1)
    mel_t, mel_sens = largest_threshold(top == mel, probs[:, mel], y == mel, mel_sensitivity, np.arange(0.05, 0.51, 0.01))
    high_or_more = np.isin(top, [c.index for c in cat.classes if cat.tier(c.tier).rank >= cat.tier("high").rank])
    mal_t, mal_sens = largest_threshold(high_or_more | (probs[:, mel] >= mel_t), probs[:, malignant].sum(1),
                                        np.isin(y, malignant), malignant_sensitivity, np.arange(0.20, 0.61, 0.01))
    policy = TriagePolicy(melanoma_escalation=mel_t, malignant_escalation=mal_t, low_confidence=LOW_CONFIDENCE)
    non_mel = y != mel
    info = {
        "melanoma_escalation": mel_t, "melanoma_flag_sensitivity": mel_sens,
        "non_melanoma_flagged_urgent": float(((top == mel) | (probs[:, mel] >= mel_t))[non_mel].mean()),
        "malignant_escalation": mal_t, "malignant_flag_sensitivity": mal_sens,
        "targets": {"melanoma": mel_sensitivity, "malignant": malignant_sensitivity},
    }
    return policy, info


def run_recipe(run_dir: Path, name: str) -> Recipe:
    """A trained member's recipe: from its own log (`ham10k train`) or from the accelerator run's sweep.json."""
    single = run_dir / f"member_{name}.json"
    if single.is_file():
        return Recipe(**json.loads(single.read_text())["recipe"])
    return Recipe(**json.loads((run_dir / "sweep.json").read_text())["runs"][name]["recipe"])


def spec_from_recipe(recipe: Recipe, name: str, file: str, sha256: str | None = None) -> MemberSpec:
    """A trained member's spec: its preprocessing from its recipe, every view (the choice comes later)."""
    return MemberSpec(name=name, architecture=recipe.architecture, file=file, sha256=sha256,
                      input_size=recipe.input_size, mean=LITE_MEAN, std=LITE_STD,
                      colour_constancy=recipe.colour_constancy, tta_views=ALL_VIEWS, weight=0.5)


def export_member(run_dir: Path, name: str, weights_dir: Path, file_prefix: str) -> tuple[MemberSpec, Member]:
    recipe = run_recipe(run_dir, name)
    state = load_file(str(run_dir / f"member_{name}.safetensors"))
    out = weights_dir / f"{file_prefix}_{name}.safetensors"
    save_file({k: v.half() if v.is_floating_point() else v for k, v in state.items()}, str(out))
    spec = spec_from_recipe(recipe, name, out.name, sha256_file(out))
    model = build_model(spec)
    load_into(model, out)  # the shipped fp16 file, as the app will read it
    return spec, Member.wrap(spec, model, OOD_LAYERS if name == OOD_MEMBER else [])


def reuse_member(weights_dir: Path, profile_id: str, name: str) -> tuple[MemberSpec, Member]:
    """A member of a shipped profile, as the app reads it (its file is shared, not copied)."""
    profile = resolve_profile(weights_dir, profile_id)
    spec = next(m for m in profile.members if m.name == name)
    spec = spec.model_copy(update={"tta_views": ALL_VIEWS, "weight": 0.5, "temperature": 1.0})
    model = build_model(spec)
    load_into(model, profile.locate(spec.file), spec.sha256)
    return spec, Member.wrap(spec, model, OOD_LAYERS if name == OOD_MEMBER else [])


def choose_views(logits: list[torch.Tensor], y: torch.Tensor, view_sets: list[list[View]]) -> tuple[list[View], list[dict]]:
    """Per candidate view set (a prefix-free pick from ALL_VIEWS' order): temperatures refitted, then the
    ensemble's calibration balanced accuracy and NLL. More views must earn their cost: +0.005 at least."""
    rows, best = [], None
    for views in view_sets:
        idx = [ALL_VIEWS.index(v) for v in views]
        temps = [fit_temperature(lg[:, idx], y) for lg in logits]
        probs = combine(torch.stack([probabilities(lg[:, idx], t) for lg, t in zip(logits, temps)]), [0.5] * len(logits))
        m = summary(probs.numpy(), y.numpy(), catalogue().dx_codes, catalogue().by_dx("mel").index,
                    [c.index for c in catalogue().classes if c.malignant])
        row = {"views": views, "balanced_accuracy": m["balanced_accuracy"], "melanoma_recall": m["melanoma_recall"],
               "ece": m["ece"], "nll": nll(probs, y)}
        rows.append(row)
        if best is None or row["balanced_accuracy"] > best["balanced_accuracy"] + 0.005:
            best = row
    return best["views"], rows


def finalize(run_dir: Path, weights_dir: Path, labels_csv: Path, split_csv: Path, batch_size: int = 32,
             profile_id: str = "ham10k-lite-v2", make_default: bool = True) -> dict:
    shipping = PROFILES[profile_id]
    cat = catalogue()
    rows = read_labels(labels_csv)
    split = load_or_make_split(rows, split_csv)
    train = [r for r in rows if split[r["image_id"]] == "train"]
    calib = [r for r in rows if split[r["image_id"]] == "calibration"]
    y_cal = torch.tensor([cat.by_dx(r["dx"]).index for r in calib])

    names = sorted(set(shipping.reused) | (set(shipping.recipes) - set(shipping.reused)))
    exported = [reuse_member(weights_dir, shipping.reused[name], name) if name in shipping.reused
                else export_member(run_dir, name, weights_dir, shipping.file_prefix) for name in names]
    members = [m for _, m in exported]
    cal = infer(members, [r["path"] for r in calib], batch_size, desc="calibration split")
    correction = None
    if shipping.post_hoc:
        priors = training_priors([cat.by_dx(r["dx"]).index for r in train], len(cat.classes))
        chosen, tables = choose(cal.logits, y_cal, priors, shipping.view_sets)
        views, weights = chosen.views, chosen.weights
        view_table = {"rule": "views with equal weights, then weights; the cheapest within the paired bootstrap "
                              "noise of the best", **tables, "tau_curve": chosen.tau_curve}
        correction = PriorCorrection(priors=priors, tau=chosen.tau)
    else:
        views, view_table = choose_views(cal.logits, y_cal, shipping.view_sets)
        weights = [0.5] * len(members)
    keep = [ALL_VIEWS.index(v) for v in views]
    cal.logits = [lg[:, keep] for lg in cal.logits]

    report: dict = {"profile": profile_id, "calibration_images": len(calib), "tta_views": views,
                    "tta_choice": view_table, "members": {}}
    specs = []
    for (spec, member), logits, weight in zip(exported, cal.logits, weights):
        spec = spec.model_copy(update={"tta_views": views})
        t = fit_temperature(logits, y_cal)
        report["members"][spec.name] = {"temperature": t, "weight": weight, "nll_before": member_nll(logits, y_cal, 1.0),
                                        "nll_after": member_nll(logits, y_cal, t)}
        spec = spec.model_copy(update={"temperature": t, "weight": weight})
        member.spec = spec
        specs.append(spec)
    member_probs = torch.stack([m.probabilities(lg) for m, lg in zip(members, cal.logits)])
    if correction is not None:
        _, corrected = ensemble_probabilities(member_probs, weights, correction)
        correction = correction.model_copy(update={"temperature": fit_ensemble_temperature(corrected, y_cal)})
        report["prior_correction"] = correction.model_dump() | {
            "ece_before": ece(corrected.numpy(), y_cal.numpy()),
            "ece_after": ece(ensemble_probabilities(member_probs, weights, correction)[1].numpy(), y_cal.numpy())}
    _, probs = ensemble_probabilities(member_probs, weights, correction)
    policy, report["triage"] = choose_triage(probs.numpy(), y_cal.numpy(), shipping.mel_sensitivity,
                                             shipping.malignant_sensitivity)
    report["operating_points"] = operating_points(probs.numpy(), y_cal.numpy())

    if OOD_MEMBER in shipping.reused:  # the same member, the same identity view: its profile's gate as it is
        ood = resolve_profile(weights_dir, shipping.reused[OOD_MEMBER]).ood
        report["ood"] = {"reused_from": shipping.reused[OOD_MEMBER], "threshold": ood.threshold}
        return write_profile(weights_dir, profile_id, shipping, specs, policy, ood, correction, make_default, report)
    # OOD gate on member A's intermediate features: Gaussians fitted on training images, scales and
    # threshold from the calibration split.
    train_out = infer(members[:1], [r["path"] for r in train], batch_size, desc="training features (OOD)", tta=False)
    dims = [2 * m.shape[1] for m in members[0].model.forward_intermediates(
        torch.zeros(1, 3, 64, 64), indices=OOD_LAYERS, extra_blocks=True, intermediates_only=True)]
    gate = OODGate.fit(train_out.features[0], cal.features[0], dims, OOD_QUANTILE)
    ood_file = weights_dir / f"{shipping.file_prefix}_ood_{OOD_MEMBER}.safetensors"
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
    ood = OODSpec(member=OOD_MEMBER, layers=OOD_LAYERS, file=ood_file.name, sha256=sha256_file(ood_file),
                  threshold=round(gate.threshold, 4))
    return write_profile(weights_dir, profile_id, shipping, specs, policy, ood, correction, make_default, report)


def write_profile(weights_dir: Path, profile_id: str, shipping: TrainedProfile, specs: list[MemberSpec], policy: TriagePolicy, ood: OODSpec,
                  correction: PriorCorrection | None, make_default: bool, report: dict) -> dict:
    profile = ProfileSpec(id=profile_id, description=shipping.description, members=specs, triage=policy, ood=ood,
                          prior_correction=correction)
    manifest_path = weights_dir / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    if make_default:
        manifest["default_profile"] = profile_id
    manifest["profiles"][profile_id] = profile.model_dump(mode="json", exclude={"id", "search_dirs"}, exclude_none=True)
    manifest_path.write_text(json.dumps(manifest, indent=2) + "\n")
    (weights_dir / shipping.report_file).write_text(json.dumps(report, indent=2) + "\n")
    return report
