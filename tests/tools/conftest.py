from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from PIL import Image
from torchvision import transforms

ASSETS = Path(__file__).resolve().parents[1] / "assets"
SEED_MEAN, SEED_STD = (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)


@pytest.fixture
def lesion_path() -> Path:
    return ASSETS / "ISIC_0024306.jpg"


def seed_reference_probs(models: list[torch.nn.Module], image: Image.Image) -> torch.Tensor:
    """The seed's inference written out independently: torchvision preprocessing, 3-view TTA,
    softmax per view, mean over views, equal-weight mean over models."""
    tf = transforms.Compose([transforms.Resize((224, 224)), transforms.ToTensor(), transforms.Normalize(SEED_MEAN, SEED_STD)])
    x = tf(image.convert("RGB"))[None]
    per_model = []
    with torch.inference_mode():
        for model in models:
            model.eval()
            views = [x, torch.flip(x, dims=[3]), torch.flip(x, dims=[2])]
            per_model.append(torch.stack([model(v).softmax(1)[0] for v in views]).mean(0))
    return torch.stack(per_model).mean(0)


def run_cli(*args: str, env: dict[str, str] | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess:
    full_env = {**os.environ, **(env or {})}
    return subprocess.run([sys.executable, "-m", "assistant.edges.cli", *args], capture_output=True, text=True,
                          env=full_env, cwd=cwd, timeout=600)
