"""The ensemble: members built from the manifest, all TTA views of a member in one forward pass,
temperature-scaled softmax per view, mean over views, weighted mean over members."""

from __future__ import annotations

import asyncio
import math
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import timm
import torch
from torch import nn

from tools.catalogue import catalogue
from tools.checkpoints import load_into, verify_sha256
from tools.intake import CheckedImage
from tools.manifest import MemberSpec, ProfileSpec
from tools.ood import OODGate, channel_stats
from tools.preprocess import prepare
from tools.result import ClassificationResult, ImageInfo, MemberResult, OODVerdict, Timings, Uncertainty
from tools.triage import confidence_band, triage

# One worker: the forward pass already uses every core, so concurrent chats queue here
# instead of thrashing each other, and the event loop never runs a model.
_EXECUTOR = ThreadPoolExecutor(max_workers=1, thread_name_prefix="ham10k-classifier")


def pick_device(requested: str = "auto") -> torch.device:
    if requested == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if requested == "cuda" and not torch.cuda.is_available():
        raise RuntimeError("DEVICE=cuda was requested, but PyTorch sees no CUDA device.")
    return torch.device(requested)


def build_model(spec: MemberSpec) -> nn.Module:
    return timm.create_model(spec.architecture, pretrained=False, num_classes=spec.num_classes)


def logits_and_features(model: nn.Module, x: torch.Tensor, layers: list[int]) -> tuple[torch.Tensor, torch.Tensor]:
    """One forward pass giving the logits and, when layers are asked for, the OOD gate's features."""
    if not layers:
        return model(x), x.new_zeros((len(x), 0))
    final, maps = model.forward_intermediates(x, indices=layers, extra_blocks=True)
    return model.forward_head(final), channel_stats(maps)


@dataclass
class Member:
    spec: MemberSpec
    model: nn.Module
    order: torch.Tensor  # catalogue index -> this member's output index
    feature_layers: list[int]  # non-empty for the member the OOD gate reads

    @classmethod
    def load(cls, spec: MemberSpec, profile: ProfileSpec, device: torch.device) -> Member:
        model = build_model(spec)
        load_into(model, profile.locate(spec.file), spec.sha256)
        return cls.wrap(spec, model.to(device), profile.ood.layers if profile.ood and profile.ood.member == spec.name else [])

    @classmethod
    def wrap(cls, spec: MemberSpec, model: nn.Module, feature_layers: list[int]) -> Member:
        order = torch.tensor([spec.class_order.index(label) for label in catalogue().labels])
        return cls(spec, model.eval(), order, feature_layers)

    @torch.inference_mode()
    def logits(self, batch: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """NVCHW (images x TTA views) -> (NVK raw logits in catalogue order, NxD identity-view OOD features).

        All views of all images go through the network in one forward pass."""
        n, v = batch.shape[:2]
        device = next(self.model.parameters()).device
        logits, features = logits_and_features(self.model, batch.flatten(0, 1).to(device), self.feature_layers)
        logits = logits.float().cpu().view(n, v, -1)[..., self.order]
        return logits, features.float().cpu().view(n, v, -1)[:, 0]

    def probabilities(self, logits: torch.Tensor) -> torch.Tensor:
        """NVK logits -> NK: temperature-scaled softmax per view, mean over views."""
        return probabilities(logits, self.spec.temperature)


def probabilities(logits: torch.Tensor, temperature: float) -> torch.Tensor:
    return (logits / temperature).softmax(-1).mean(-2)


def combine(member_probs: torch.Tensor, weights: list[float]) -> torch.Tensor:
    """MNK member probabilities -> NK ensemble probabilities (weighted mean)."""
    w = torch.tensor(weights, dtype=member_probs.dtype)
    return (member_probs * (w / w.sum())[:, None, None]).sum(0)


class Ensemble:
    def __init__(self, profile: ProfileSpec, members: list[Member], ood: OODGate | None):
        self.profile, self.members, self.ood = profile, members, ood
        names = [m.spec.name for m in members]
        self.ood_member_index = names.index(profile.ood.member) if ood else None

    @classmethod
    def load(cls, profile: ProfileSpec, device: str = "auto") -> Ensemble:
        dev = pick_device(device)
        members = [Member.load(spec, profile, dev) for spec in profile.members]
        ood = None
        if profile.ood:
            path = profile.locate(profile.ood.file)
            verify_sha256(path, profile.ood.sha256)
            ood = OODGate.load(path, profile.ood.threshold)
        return cls(profile, members, ood)

    def classify(self, checked: CheckedImage, tta: bool = True) -> ClassificationResult:
        started = time.perf_counter()
        batches = [prepare(checked.image, m.spec, tta)[None] for m in self.members]
        prepared = time.perf_counter()
        outputs = [m.logits(b) for m, b in zip(self.members, batches)]
        inferred = time.perf_counter()

        member_probs = torch.stack([m.probabilities(logits) for m, (logits, _) in zip(self.members, outputs)])
        probs = combine(member_probs, [m.spec.weight for m in self.members])[0]
        member_probs = member_probs[:, 0]
        verdict = OODVerdict(checked=False)
        if self.ood:
            verdict = self.ood.verdict(outputs[self.ood_member_index][1][0])
        done = time.perf_counter()
        return self._result(checked, probs, member_probs, verdict, Timings(
            preprocess_ms=round((prepared - started) * 1000, 1),
            inference_ms=round((inferred - prepared) * 1000, 1),
            total_ms=round((done - started) * 1000, 1),
        ))

    async def aclassify(self, checked: CheckedImage, tta: bool = True) -> ClassificationResult:
        return await self.on_worker(self.classify, checked, tta)

    async def on_worker(self, fn, *args):
        """Runs model work (a forward pass, a heat-map) on the classifier's single worker, off the loop."""
        return await asyncio.get_running_loop().run_in_executor(_EXECUTOR, fn, *args)

    def _result(self, checked, probs, member_probs, verdict, timings) -> ClassificationResult:
        cat = catalogue()
        labels = cat.labels
        probabilities = {label: round(float(p), 6) for label, p in zip(labels, probs)}
        ranked = probs.sort(descending=True).values
        top = cat.classes[int(probs.argmax())]
        entropy = float(-(probs.clamp_min(1e-12) * probs.clamp_min(1e-12).log()).sum() / math.log(len(labels)))
        members = [
            MemberResult(
                name=m.spec.name, architecture=m.spec.architecture, top_label=labels[int(p.argmax())],
                confidence=round(float(p.max()), 6), probabilities={l: round(float(v), 6) for l, v in zip(labels, p)},
            )
            for m, p in zip(self.members, member_probs)
        ]
        policy = self.profile.triage
        return ClassificationResult(
            profile=self.profile.id,
            status="ok" if verdict.is_lesion else "not_a_lesion",
            label=top.label, display_name=top.display_name, dx=top.dx,
            confidence=round(float(ranked[0]), 6),
            confidence_band=confidence_band(float(ranked[0])),
            probabilities=probabilities,
            malignant_probability=round(sum(probabilities[c.label] for c in cat.classes if c.malignant), 6),
            members=members,
            agreement=sum(m.top_label == top.label for m in members) / len(members),
            uncertainty=Uncertainty(entropy=round(entropy, 4), margin=round(float(ranked[0] - ranked[1]), 6),
                                    low_confidence=float(ranked[0]) < policy.low_confidence),
            triage=triage(probabilities, policy),
            description=top.description,
            ood=verdict,
            image=ImageInfo(format=checked.format, width=checked.width, height=checked.height),
            timings=timings,
        )
