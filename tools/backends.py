"""Where a member's convolutional body runs: PyTorch, or OpenVINO's CPU runtime in fp32.

OpenVINO computes the same fp32 function (logits within about 1e-6 relative of PyTorch's), but its CPU
kernels are several times faster on these networks: EfficientNet-Lite's depthwise convolutions are
slow in PyTorch on a CPU, and the seed's SE-ResNeXt gains too (`benchmarks/pipeline.py`). Only the
body is compiled: the head (global pooling + linear) stays in PyTorch, so Grad-CAM still takes its
gradient with respect to the last feature map, and the body's PyTorch weights are released."""

from __future__ import annotations

import hashlib
import importlib.util
import os
import tempfile
import threading
from pathlib import Path

import torch
from torch import nn

from tools.manifest import Backend, BackendChoice, Precision


def default_cache_dir() -> Path:
    """Converted bodies are kept here: converting takes seconds per member, reading the result a fraction."""
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "ham10k-assistant" / "openvino"


def openvino_available() -> bool:
    return importlib.util.find_spec("openvino") is not None


def pick_backend(requested: BackendChoice, precision: Precision, device: torch.device,
                 declared: Backend = "openvino") -> Backend:
    """`auto`: the profile's declared backend, OpenVINO only for fp32 on a CPU when it is installed;
    PyTorch otherwise (GPU, bf16). An explicit choice is obeyed or refused with the reason."""
    if requested == "openvino":
        if not openvino_available():
            raise RuntimeError("INFERENCE_BACKEND=openvino, but the openvino package is not installed "
                               "(pip install openvino).")
        if device.type != "cpu" or precision != "fp32":
            raise RuntimeError("INFERENCE_BACKEND=openvino runs fp32 on the CPU only: set DEVICE=cpu and "
                               "INFERENCE_PRECISION=fp32 (or auto).")
        return "openvino"
    if requested == "torch":
        return "torch"
    usable = device.type == "cpu" and precision == "fp32" and openvino_available()
    return "openvino" if declared == "openvino" and usable else "torch"


class _Body(nn.Module):
    """What OpenVINO compiles: the body up to the last feature map, plus the OOD gate's intermediate maps."""

    def __init__(self, model: nn.Module, layers: list[int]) -> None:
        super().__init__()
        self.model, self.layers = model, layers

    def forward(self, x: torch.Tensor):
        if not self.layers:
            return self.model.forward_features(x)
        final, maps = self.model.forward_intermediates(x, indices=self.layers, extra_blocks=True)
        return (final, *maps)


def _release_all_but_head(model: nn.Module, feature_shape: tuple[int, ...]) -> None:
    """Empty every parameter and buffer that `forward_head` does not use: OpenVINO holds the body's own copy."""
    used: set[str] = set()
    hooks = [m.register_forward_pre_hook(lambda _m, _i, name=name: used.add(name)) for name, m in model.named_modules()]
    try:
        with torch.no_grad():
            model.forward_head(torch.zeros(feature_shape))
    finally:
        for h in hooks:
            h.remove()
    for name, module in model.named_modules():
        if name in used:
            continue
        for tensor in list(module.parameters(recurse=False)) + list(module.buffers(recurse=False)):
            tensor.data = torch.empty(0, dtype=tensor.dtype)


def _cached_body(model: nn.Module, input_size: int, layers: list[int], weights_id: str, cache_dir: Path) -> Path:
    """The body converted to OpenVINO's IR once per weights and versions; written atomically (replicas share it)."""
    import openvino as ov
    import timm

    arch = model.default_cfg.get("architecture", type(model).__name__) if hasattr(model, "default_cfg") else type(model).__name__
    key = hashlib.sha256(repr((arch, weights_id, input_size, layers, ov.__version__, timm.__version__,
                               torch.__version__)).encode()).hexdigest()[:24]
    xml = cache_dir / f"{arch}-{key}.xml"
    if xml.exists() and xml.with_suffix(".bin").exists():
        return xml
    body = _Body(model, layers)
    example = torch.zeros(1, 3, input_size, input_size)
    with torch.no_grad():
        converted = ov.convert_model(body, example_input=example,
                                     input=[ov.PartialShape([-1, 3, input_size, input_size])])
    cache_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=cache_dir) as tmp:
        staged = Path(tmp) / xml.name
        ov.save_model(converted, str(staged), compress_to_fp16=False)  # fp16 storage would change the outputs
        os.replace(staged.with_suffix(".bin"), xml.with_suffix(".bin"))
        os.replace(staged, xml)  # the .xml last: its presence means both files are whole
    _prune(cache_dir, arch)
    return xml


KEEP_PER_ARCHITECTURE = 4  # seed checkpoints are keyed by path and mtime: each new copy adds a body


def _prune(cache_dir: Path, arch: str) -> None:
    """Oldest converted bodies of one architecture beyond KEEP_PER_ARCHITECTURE are deleted."""
    bodies = sorted(cache_dir.glob(f"{arch}-*.xml"), key=lambda p: p.stat().st_mtime, reverse=True)
    for old in bodies[KEEP_PER_ARCHITECTURE:]:
        for f in (old, old.with_suffix(".bin")):
            f.unlink(missing_ok=True)


class OpenVINOModel(nn.Module):
    """A timm model whose body runs in OpenVINO (fp32); the same methods as the model, fp32 tensors in and out."""

    def __init__(self, model: nn.Module, input_size: int, layers: list[int], weights_id: str,
                 cache_dir: Path | None = None) -> None:
        """`weights_id` names the weights (their sha256): with the architecture, input size, layers and the
        library versions it keys the converted body in `cache_dir` (None: `default_cache_dir()`)."""
        super().__init__()
        import openvino as ov

        model = model.eval()
        path = _cached_body(model, input_size, layers, weights_id, cache_dir or default_cache_dir())
        self.compiled = ov.Core().compile_model(str(path), "CPU", {
            "INFERENCE_PRECISION_HINT": "f32", "PERFORMANCE_HINT": "LATENCY"})
        self._request = self.compiled.create_infer_request()
        self._lock = threading.Lock()  # one request object: calls from several threads take turns
        self.layers = layers
        final_shape = self.compiled.outputs[0].get_partial_shape()
        _release_all_but_head(model, (1, *(d.get_length() for d in list(final_shape)[1:])))
        self.inner = model  # only its head still holds weights

    def _run(self, x: torch.Tensor) -> list[torch.Tensor]:
        with self._lock:
            # infer() hands back copies of the outputs (share_outputs=False), so the next call cannot overwrite them.
            result = self._request.infer({0: x.detach().float().contiguous().numpy()})
            return [torch.from_numpy(result[out]) for out in self.compiled.outputs]

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        return self._run(x)[0]

    def forward_head(self, x: torch.Tensor, **kwargs) -> torch.Tensor:
        return self.inner.forward_head(x, **kwargs)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.forward_head(self.forward_features(x))

    def forward_intermediates(self, x: torch.Tensor, indices: list[int] | None = None, **kwargs):
        if list(indices or []) != self.layers:
            raise ValueError(f"compiled for intermediate layers {self.layers}, asked for {indices}")
        final, *maps = self._run(x)
        return final, maps
