"""Reading weight files safely and tolerantly: plain state_dicts, common wrappers, `module.`
prefixes and safetensors; a mismatch names the file and the offending keys."""

from __future__ import annotations

import hashlib
from pathlib import Path

import torch
from torch import nn

WRAPPER_KEYS = ("state_dict", "model_state_dict", "model")


class CheckpointError(Exception):
    pass


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def file_identity(path: Path) -> str:
    """A cheap stand-in for the sha256 of a checkpoint the manifest does not pin (the seed's files)."""
    st = path.stat()
    return hashlib.sha256(f"{path.resolve()}|{st.st_size}|{st.st_mtime_ns}".encode()).hexdigest()


def verify_sha256(path: Path, expected: str | None) -> None:
    if expected and (actual := sha256_file(path)) != expected:
        raise CheckpointError(
            f"{path}: sha256 {actual} does not match the manifest's {expected}. The file is damaged or a different version."
        )


def read_state_dict(path: Path) -> dict[str, torch.Tensor]:
    if path.suffix == ".safetensors":
        from safetensors.torch import load_file

        state = load_file(str(path), device="cpu")
    else:
        try:
            state = torch.load(path, map_location="cpu", weights_only=True)
        except Exception as exc:  # the unpickler raises many types for foreign or damaged files
            raise CheckpointError(f"{path}: cannot be read as a PyTorch weights file ({exc}).") from exc
    for key in WRAPPER_KEYS:
        if isinstance(state, dict) and isinstance(state.get(key), dict):
            state = state[key]
            break
    if not isinstance(state, dict) or not all(isinstance(v, torch.Tensor) for v in state.values()):
        raise CheckpointError(f"{path}: does not hold a state_dict (a mapping of names to tensors).")
    if state and all(k.startswith("module.") for k in state):
        state = {k.removeprefix("module."): v for k, v in state.items()}
    return state


def load_into(model: nn.Module, path: Path, sha256: str | None = None) -> None:
    verify_sha256(path, sha256)
    state = read_state_dict(path)
    expected = model.state_dict()
    missing = sorted(set(expected) - set(state))
    unexpected = sorted(set(state) - set(expected))
    misshaped = sorted(
        f"{k} (file {tuple(state[k].shape)}, model {tuple(expected[k].shape)})"
        for k in set(state) & set(expected)
        if state[k].shape != expected[k].shape
    )
    if missing or unexpected or misshaped:
        parts = [
            f"{label} keys ({len(keys)}): {', '.join(keys[:8])}{' …' if len(keys) > 8 else ''}"
            for label, keys in (("missing", missing), ("unexpected", unexpected), ("mis-shaped", misshaped))
            if keys
        ]
        raise CheckpointError(f"{path} does not fit the model: " + "; ".join(parts))
    model.load_state_dict({k: v.to(expected[k].dtype) for k, v in state.items()}, strict=True)
