"""The one registry of profiles trained or calibrated in this repository: each profile's member recipes
(`ham10k train`) and its calibration plan (`ham10k calibrate`). The shipped result of each lives in
weights/manifest.json. Pydantic models only: the CLI reads it without loading torch."""

from __future__ import annotations

from pydantic import BaseModel

from tools.manifest import View
from tools.training.recipes import RECIPES_GPU, RECIPES_V1, RECIPES_V2, RECIPES_V2_CYCLE2, Recipe


class TrainedProfile(BaseModel):
    """A profile trained or calibrated here: its members' recipes (`ham10k train`) and what `ham10k calibrate`
    produces for it."""
    recipes: dict[str, Recipe] = {}
    file_prefix: str
    description: str
    # Candidate TTA view sets; the one with the best calibration balanced accuracy ships (ties: fewer views).
    view_sets: list[list[View]]
    mel_sensitivity: float      # target share of calibration melanomas the urgent flag catches
    malignant_sensitivity: float = 0.90
    report_file: str
    # Members shipped unchanged from another profile (same file), by name: recalibrated here with the rest.
    # A profile whose members are all reused (v1.1) trains nothing.
    reused: dict[str, str] = {}
    # The post-hoc choices of tools/training/choose.py: views then member weights held to the bootstrap noise,
    # a prior correction with its temperature. False: the view set with the best balanced accuracy, equal weights.
    post_hoc: bool = False


V2_VIEW_SETS: list[list[View]] = [
    ["identity"], ["identity", "hflip"], ["identity", "hflip", "vflip"], ["identity", "hflip", "vflip", "rot90"],
    ["identity", "hflip", "vflip", "rot90", "rot180", "rot270"]]

PROFILES: dict[str, TrainedProfile] = {
    "ham10k-lite-v1": TrainedProfile(
        recipes=RECIPES_V1, file_prefix="ham10k_lite", report_file="calibration.json",
        description="Two EfficientNet-Lite members fine-tuned on HAM10000 (224 px pool) in this repository; "
                    "temperature-scaled, with an out-of-distribution gate. See weights/README.md.",
        view_sets=[["identity", "hflip", "vflip", "rot90"]], mel_sensitivity=0.95),
    "ham10k-lite-v2": TrainedProfile(
        recipes=RECIPES_V2, file_prefix="ham10k_lite_v2", report_file="calibration_v2.json",
        description="v1's two EfficientNet-Lite recipes trained longer with EMA weights (member B with mixup / CutMix); "
                    "temperature-scaled, TTA views chosen on the calibration split, with an out-of-distribution gate. "
                    "See weights/README.md.",
        view_sets=V2_VIEW_SETS, mel_sensitivity=0.92),
    "ham10k-lite-v2-cycle2": TrainedProfile(
        recipes=RECIPES_V2_CYCLE2, file_prefix="ham10k_lite_v2c", report_file="calibration_v2c.json",
        description="v1's member A beside member B trained for a second cycle at 224 px with EMA weights; "
                    "temperature-scaled, TTA views chosen on the calibration split, with an out-of-distribution gate. "
                    "See weights/README.md.",
        reused={"A": "ham10k-lite-v1"}, view_sets=V2_VIEW_SETS, mel_sensitivity=0.92),
    "ham10k-lite-v1.1": TrainedProfile(
        file_prefix="ham10k_lite", report_file="calibration_v1.1.json",
        description="v1's two EfficientNet-Lite members with the post-hoc choices made on the calibration split: "
                    "the TTA views and member weights held to the bootstrap noise, a prior (logit) correction toward "
                    "the rarer classes, recalibrated, and the urgent flag's operating point. See weights/README.md.",
        reused={"A": "ham10k-lite-v1", "B": "ham10k-lite-v1"}, view_sets=V2_VIEW_SETS, mel_sensitivity=0.92,
        post_hoc=True),
    "ham10k-lite-v3": TrainedProfile(
        recipes=RECIPES_GPU, file_prefix="ham10k_lite_v3", report_file="calibration_v3.json",
        description="Three EfficientNet-Lite members (lite0, lite1, lite2) trained on a lent GPU, longer and at higher "
                    "resolution, with the post-hoc choices of v1.1. See weights/README.md.",
        view_sets=V2_VIEW_SETS, mel_sensitivity=0.92, post_hoc=True),
}
