"""The ensemble: members built from the manifest, all TTA views of a member in one forward pass,
temperature-scaled softmax per view, mean over views, weighted mean over members.

Speed (benchmarks/pipeline.py): analyses from different chats are micro-batched (tools/batching.py),
and a profile may declare bf16 weights, used where the CPU has native bf16 (AVX-512 BF16, AMX)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import timm
import torch
from torch import nn

from tools.backends import OpenVINOModel, pick_backend
from tools.batching import BatchPolicy, MicroBatcher
from tools.catalogue import catalogue
from tools.checkpoints import file_identity, load_into, verify_sha256
from tools.devices import bf16_is_native, pick_device
from tools.intake import CheckedImage
from tools.manifest import Backend, BackendChoice, MemberSpec, Precision, PrecisionChoice, PriorCorrection, ProfileSpec
from tools.ood import OODGate, channel_stats
from tools.postprocess import member_result, result_from_probabilities
from tools.preprocess import prepare
from tools.result import ClassificationResult, ImageInfo, OODVerdict, Timings

# One worker: the forward pass already uses every core, so concurrent chats queue here
# instead of thrashing each other, and the event loop never runs a model.
_EXECUTOR = ThreadPoolExecutor(max_workers=1, thread_name_prefix="ham10k-classifier")


def pick_precision(requested: PrecisionChoice, declared: Precision, device: torch.device) -> Precision:
    """`auto`: the profile's declared precision (declared only where measured to hold against fp32),
    and bf16 only on hardware that runs it natively; an explicit choice is obeyed."""
    if requested != "auto":
        return requested
    return "bf16" if declared == "bf16" and bf16_is_native(device) else "fp32"


class Bf16Model(nn.Module):
    """A timm model with bf16 weights in channels-last layout (oneDNN's fast convolutions). It takes and
    returns fp32, so the ensemble, Grad-CAM and the OOD gate never see bf16 tensors."""

    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        self.inner = model.to(torch.bfloat16, memory_format=torch.channels_last)

    @staticmethod
    def _in(x: torch.Tensor) -> torch.Tensor:
        return x.to(torch.bfloat16, memory_format=torch.channels_last) if x.dim() == 4 else x.to(torch.bfloat16)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.inner(self._in(x)).float()

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        return self.inner.forward_features(self._in(x)).float()

    def forward_head(self, x: torch.Tensor, **kwargs) -> torch.Tensor:
        return self.inner.forward_head(self._in(x), **kwargs).float()

    def forward_intermediates(self, x: torch.Tensor, **kwargs):
        final, maps = self.inner.forward_intermediates(self._in(x), **kwargs)
        return final.float(), [m.float() for m in maps]


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
    def load(cls, spec: MemberSpec, profile: ProfileSpec, device: torch.device, precision: Precision = "fp32",
             backend: Backend = "torch") -> Member:
        model = build_model(spec)
        if precision == "bf16":  # before the weights arrive: loading then holds one fp32 copy (the file's), not two
            model = model.to(torch.bfloat16)
        path = profile.locate(spec.file)
        load_into(model, path, spec.sha256)
        model = model.to(device)
        layers = profile.ood.layers if profile.ood and profile.ood.member == spec.name else []
        if precision == "bf16":
            model = Bf16Model(model)
        elif backend == "openvino":
            model = OpenVINOModel(model, spec.input_size, layers, weights_id=spec.sha256 or file_identity(path))
        return cls.wrap(spec, model, layers)

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


def correct_priors(probs: torch.Tensor, correction: PriorCorrection | None) -> torch.Tensor:
    """...K probabilities -> the same with log p - tau * log prior, renormalised (none: unchanged)."""
    if correction is None or correction.tau == 0:
        return probs
    log_prior = torch.tensor(correction.priors, dtype=probs.dtype).log()
    return (probs.clamp_min(1e-12).log() - correction.tau * log_prior).softmax(-1)


def ensemble_probabilities(member_probs: torch.Tensor, weights: list[float],
                           correction: PriorCorrection | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """MNK calibrated member probabilities -> (MNK as shown per member, NK the ensemble's): the one place the
    profile's prior correction and its temperature are applied, for the app, the API, the CLI and evaluation."""
    member_probs = correct_priors(member_probs, correction)
    probs = combine(member_probs, weights)
    if correction is not None and correction.temperature != 1.0:
        probs = (probs.clamp_min(1e-12).log() / correction.temperature).softmax(-1)
    return member_probs, probs


Outcome = ClassificationResult | Exception  # per image of a batch: its result, or what failed it


class Ensemble:
    def __init__(self, profile: ProfileSpec, members: list[Member], ood: OODGate | None,
                 precision: Precision = "fp32", batching: BatchPolicy = BatchPolicy(), backend: Backend = "torch"):
        self.profile, self.members, self.ood, self.precision, self.backend = profile, members, ood, precision, backend
        names = [m.spec.name for m in members]
        self.ood_member_index = names.index(profile.ood.member) if ood else None
        # Chats' analyses meet here and share forward passes; the policy may be replaced (settings).
        self.batcher: MicroBatcher[tuple[CheckedImage, bool], ClassificationResult] = MicroBatcher(
            self.classify_batch, _EXECUTOR, batching)

    @classmethod
    def load(cls, profile: ProfileSpec, device: str = "auto",
             precision: PrecisionChoice = "auto", batching: BatchPolicy | tuple[float | None, int | None] = (None, None),
             backend: BackendChoice = "auto") -> Ensemble:
        """`batching`: a policy, or (window_s, max_items) where None takes the chosen backend's default."""
        dev = pick_device(device)
        chosen = pick_precision(precision, profile.precision, dev)
        runtime = pick_backend(backend, chosen, dev, profile.backend)
        members = [Member.load(spec, profile, dev, chosen, runtime) for spec in profile.members]
        ood = None
        if profile.ood:
            path = profile.locate(profile.ood.file)
            verify_sha256(path, profile.ood.sha256)
            ood = OODGate.load(path, profile.ood.threshold)
        policy = batching if isinstance(batching, BatchPolicy) else BatchPolicy.for_backend(runtime, *batching)
        return cls(profile, members, ood, chosen, policy, runtime)

    def classify(self, checked: CheckedImage, tta: bool = True) -> ClassificationResult:
        (outcome,) = self.classify_batch([(checked, tta)])
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    def classify_batch(self, items: Sequence[tuple[CheckedImage, bool]]) -> list[Outcome]:
        """Several analyses (from different chats) with one forward pass per member and TTA setting.
        Each image's outcome is its own: one that fails fails only itself."""
        outcomes: list[Outcome | None] = [None] * len(items)
        for tta in (True, False):
            chosen = [i for i, (_, t) in enumerate(items) if t == tta]
            for i, outcome in zip(chosen, self._classify_group([items[i][0] for i in chosen], tta)):
                outcomes[i] = outcome
        return outcomes  # type: ignore[return-value]  # every index was in one group

    def _classify_group(self, images: list[CheckedImage], tta: bool) -> list[Outcome]:
        if not images:
            return []
        started = time.perf_counter()
        outcomes: list[Outcome | None] = [None] * len(images)
        inputs: dict[int, list[torch.Tensor]] = {}  # image index -> per member VCHW
        prep_ms: dict[int, float] = {}
        for i, checked in enumerate(images):
            t = time.perf_counter()
            try:
                inputs[i] = [prepare(checked.image, m.spec, tta) for m in self.members]
            except Exception as exc:  # e.g. an image the resampler rejects: only its caller hears of it
                outcomes[i] = exc
            prep_ms[i] = (time.perf_counter() - t) * 1000
        ok = list(inputs)
        prepared = time.perf_counter()
        try:
            outputs = [m.logits(torch.stack([inputs[i][k] for i in ok])) for k, m in enumerate(self.members)]
        except Exception as exc:
            if len(ok) == 1:
                outcomes[ok[0]] = exc
                return outcomes  # type: ignore[return-value]
            # Which image broke the batch is unknown: each one alone, so the others still get results.
            for i in ok:
                outcomes[i] = self._classify_group([images[i]], tta)[0]
            return outcomes  # type: ignore[return-value]
        inferred = time.perf_counter()

        member_probs, probs = ensemble_probabilities(
            torch.stack([m.probabilities(logits) for m, (logits, _) in zip(self.members, outputs)]),
            [m.spec.weight for m in self.members], self.profile.prior_correction)
        for row, i in enumerate(ok):
            try:
                verdict = OODVerdict(checked=False)
                if self.ood:
                    verdict = self.ood.verdict(outputs[self.ood_member_index][1][row])
                timings = Timings(preprocess_ms=round(prep_ms[i], 1),
                                  inference_ms=round((inferred - prepared) * 1000, 1),
                                  total_ms=round((time.perf_counter() - started) * 1000, 1))
                outcomes[i] = self._result(images[i], probs[row], member_probs[:, row], verdict, timings)
            except Exception as exc:
                outcomes[i] = exc
        return outcomes  # type: ignore[return-value]

    async def aclassify(self, checked: CheckedImage, tta: bool = True) -> ClassificationResult:
        """Off the event loop, micro-batched with the analyses other chats ask for at the same time."""
        return await self.batcher.submit((checked, tta))

    async def on_worker(self, fn, *args):
        """Runs model work (a forward pass, a heat-map) on the classifier's single worker, off the loop."""
        return await asyncio.get_running_loop().run_in_executor(_EXECUTOR, fn, *args)

    def _result(self, checked: CheckedImage, probs: torch.Tensor, member_probs: torch.Tensor, verdict: OODVerdict,
                timings: Timings) -> ClassificationResult:
        """One image's K ensemble and MK member probabilities -> its result (tools/postprocess.py)."""
        members = [member_result(m.spec.name, m.spec.architecture, p) for m, p in zip(self.members, member_probs)]
        return result_from_probabilities(
            probs, members, self.profile.triage, self.profile.id, ood=verdict,
            image=ImageInfo(format=checked.format, width=checked.width, height=checked.height), timings=timings)
