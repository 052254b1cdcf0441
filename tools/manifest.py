"""The weights manifest: each ensemble member's architecture, weight file and the preprocessing
that travels with it (as timm's pretrained configs do), plus per-profile triage and OOD settings.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from tools.catalogue import catalogue

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
SEED_PROFILE = "seed-seresnext101"
SEED_FILES = ("best_model_A_tuned.pth", "best_model_B_tuned.pth")

View = Literal["identity", "hflip", "vflip", "rot90", "rot180", "rot270"]
Precision = Literal["fp32", "bf16"]
PrecisionChoice = Literal["auto", "fp32", "bf16"]  # a setting: "auto" follows the profile's declared precision
Backend = Literal["torch", "openvino"]
BackendChoice = Literal["auto", "torch", "openvino"]  # a setting: "auto" is OpenVINO for fp32 on a CPU when installed


class WeightsNotFound(Exception):
    """No weight files where we looked; the message says where and how to get them."""


class MemberSpec(BaseModel):
    model_config = ConfigDict(frozen=True, protected_namespaces=())
    name: str
    architecture: str
    num_classes: int = 7
    class_order: list[str] = Field(default_factory=lambda: catalogue().labels)
    file: str
    sha256: str | None = None
    input_size: int = 224
    resize: Literal["squash", "shorter_side_crop"] = "squash"
    interpolation: Literal["bilinear", "bicubic"] = "bilinear"
    mean: tuple[float, float, float] = IMAGENET_MEAN
    std: tuple[float, float, float] = IMAGENET_STD
    colour_constancy: Literal["none", "shades_of_gray"] = "none"  # after resizing (tools/preprocess.py)
    tta_views: list[View] = Field(default_factory=lambda: ["identity", "hflip", "vflip"])
    weight: float = 1.0
    temperature: float = 1.0

    @model_validator(mode="after")
    def _classes_match(self) -> MemberSpec:
        if len(self.class_order) != self.num_classes:
            raise ValueError(f"member {self.name}: class_order has {len(self.class_order)} labels, num_classes is {self.num_classes}")
        unknown = set(self.class_order) - set(catalogue().labels)
        if unknown:
            raise ValueError(f"member {self.name}: unknown labels {sorted(unknown)}")
        return self


class TriagePolicy(BaseModel):
    """Probability thresholds for triage; chosen on the calibration split for trained profiles."""

    model_config = ConfigDict(frozen=True)
    melanoma_escalation: float = 0.30
    malignant_escalation: float = 0.50
    low_confidence: float = 0.60


class PriorCorrection(BaseModel):
    """Post-hoc logit adjustment: each member's view-averaged log-probabilities minus tau times the log of the
    training split's class shares, so decisions lean toward the rarer (and more dangerous) classes; then one
    temperature on the combined probabilities, refitted after the correction (it never changes the top class).
    Fitted on the calibration split (tools/training/choose.py)."""

    model_config = ConfigDict(frozen=True)
    priors: list[float] = Field(description="training split's class shares, in catalogue order")
    tau: float = Field(ge=0)
    temperature: float = Field(default=1.0, gt=0)

    @model_validator(mode="after")
    def _one_prior_per_class(self) -> PriorCorrection:
        if len(self.priors) != len(catalogue().labels) or min(self.priors) <= 0:
            raise ValueError(f"prior_correction needs {len(catalogue().labels)} positive class shares")
        return self


class OODSpec(BaseModel):
    model_config = ConfigDict(frozen=True)
    member: str
    layers: list[int] = Field(description="indices for timm's forward_intermediates(extra_blocks=True)")
    file: str
    sha256: str | None = None
    threshold: float


class ProfileSpec(BaseModel):
    model_config = ConfigDict(frozen=True)
    id: str
    description: str = ""
    members: list[MemberSpec]
    triage: TriagePolicy = TriagePolicy()
    ood: OODSpec | None = None
    prior_correction: PriorCorrection | None = None  # None: the members' calibrated probabilities as they are
    # bf16 only where measured to hold against fp32 on the holdout split (top-1 agreement >= 99.5%,
    # probabilities within 0.01: benchmarks/pipeline.py); INFERENCE_PRECISION overrides it.
    precision: Precision = "fp32"
    # The runtime INFERENCE_BACKEND=auto picks for fp32 on a CPU (tools/backends.py), where measured faster.
    backend: Backend = "openvino"
    # Where relative weight files are looked for, in order.
    search_dirs: list[Path] = Field(default_factory=list)

    def locate(self, file: str) -> Path:
        path = Path(file)
        if path.is_absolute():
            if path.is_file():
                return path
            raise WeightsNotFound(f"Weight file {path} does not exist.")
        for folder in self.search_dirs:
            if (folder / path).is_file():
                return folder / path
        looked = ", ".join(str(d) for d in self.search_dirs)
        hint = (
            "Run `ham10k weights download` (needs internet) or set MODEL_A_PATH and MODEL_B_PATH."
            if self.id == SEED_PROFILE
            else "The default weights ship with the repository: check that weights/ is complete (git status)."
        )
        raise WeightsNotFound(f"Weight file '{file}' for profile '{self.id}' not found (looked in: {looked}). {hint}")


class Manifest(BaseModel):
    default_profile: str
    profiles: dict[str, ProfileSpec]


def read_manifest(weights_dir: Path) -> Manifest:
    path = weights_dir / "manifest.json"
    if not path.is_file():
        raise WeightsNotFound(f"No weights manifest at {path}: check WEIGHTS_DIR (it should be the project's weights/ folder).")
    raw = json.loads(path.read_text(encoding="utf-8"))
    for pid, prof in raw["profiles"].items():
        prof.setdefault("id", pid)
    return Manifest.model_validate(raw)


def seed_profile(
    model_a_path: Path | None,
    model_b_path: Path | None,
    model_name: str,
    num_classes: int,
    search_dirs: list[Path],
) -> ProfileSpec:
    """The seed's two-model profile, honouring its MODEL_A_PATH / MODEL_B_PATH / MODEL_NAME / NUM_CLASSES."""
    files = (str(model_a_path) if model_a_path else SEED_FILES[0], str(model_b_path) if model_b_path else SEED_FILES[1])
    labels = catalogue().labels
    if num_classes != len(labels):
        raise ValueError(f"NUM_CLASSES={num_classes}, but the class catalogue has {len(labels)} classes.")
    members = [
        MemberSpec(name=name, architecture=model_name, num_classes=num_classes, file=f, weight=0.5)
        for name, f in zip(("A", "B"), files)
    ]
    return ProfileSpec(
        id=SEED_PROFILE,
        description="The seed system's SE-ResNeXt-101 pair (best_model_A_tuned.pth / best_model_B_tuned.pth).",
        members=members,
        # OpenVINO gains this pair only ~1.1x (its fp32 loop is already near the matmul peak) for twice the
        # resident memory (benchmarks/pipeline.py); INFERENCE_BACKEND=openvino still selects it.
        backend="torch",
        search_dirs=search_dirs,
    )


def resolve_profile(
    weights_dir: Path,
    profile: str = "auto",
    model_a_path: Path | None = None,
    model_b_path: Path | None = None,
    model_name: str = "seresnext101_32x8d",
    num_classes: int = 7,
) -> ProfileSpec:
    """Pick the profile the app uses: the seed's when its variables are set (or asked for by name),
    otherwise the manifest's default."""
    search_dirs = [weights_dir, Path.cwd()]
    manifest = read_manifest(weights_dir)
    pid = manifest.default_profile if profile == "auto" else profile
    if (model_a_path and model_b_path and profile == "auto") or pid == SEED_PROFILE:
        return seed_profile(model_a_path, model_b_path, model_name, num_classes, search_dirs)
    if pid not in manifest.profiles:
        raise ValueError(f"Unknown profile '{pid}'. Known: {', '.join([SEED_PROFILE, *manifest.profiles])}.")
    return manifest.profiles[pid].model_copy(update={"search_dirs": search_dirs})
