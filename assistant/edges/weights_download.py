"""`ham10k weights download`: fetch the seed's published checkpoints from the Hugging Face hub."""

from __future__ import annotations

from pathlib import Path

from tools.manifest import SEED_FILES


def download_seed_weights(repo_id: str, dest: Path, endpoint: str | None = None) -> list[Path]:
    from huggingface_hub import hf_hub_download

    dest.mkdir(parents=True, exist_ok=True)
    return [Path(hf_hub_download(repo_id, name, local_dir=dest, endpoint=endpoint)) for name in SEED_FILES]
