"""Fine-tune one ensemble member on the training split (the other splits never take a step)."""

from __future__ import annotations

import json
import math
import random
import time
from pathlib import Path

import numpy as np
import torch
import timm.data
import timm.utils
import torch.nn.functional as F
from safetensors.torch import save_file
from tqdm import tqdm

from tools.catalogue import catalogue
from tools.checkpoints import load_into
from tools.classifier import pick_device
from tools.metrics import summary
from tools.preprocess import shades_of_gray
from tools.training.backbones import LITE_MEAN, LITE_STD, pretrained_lite
from tools.training.data import augmentation, load_or_make_split, normalise, preload, read_labels
from tools.training.recipes import Recipe


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def class_weights(labels: torch.Tensor, power: float) -> torch.Tensor:
    counts = torch.bincount(labels, minlength=len(catalogue().classes)).float().clamp(min=1)
    w = counts.pow(-power)
    return w / (w * counts).sum() * counts.sum()


@torch.inference_mode()
def predict(model, images: torch.Tensor, size: int, device, batch: int = 64) -> np.ndarray:
    model.eval()
    out = []
    for i in range(0, len(images), batch):
        x = normalise(images[i : i + batch], LITE_MEAN, LITE_STD)
        x = F.interpolate(x, size=(size, size), mode="bilinear", antialias=True, align_corners=False)
        out.append(model(x.to(device).contiguous(memory_format=torch.channels_last)).softmax(-1).float().cpu())
    return torch.cat(out).numpy()


def train_member(
    recipe: Recipe,
    labels_csv: Path,
    split_csv: Path,
    out_dir: Path,
    seed: int = 0,
    device: str = "auto",
    threads: int | None = None,
    weights_dir: Path | None = None,
) -> Path:
    seed_everything(seed)
    if threads:
        torch.set_num_threads(threads)
    dev = pick_device(device)
    recipe = recipe.for_device(dev.type)
    cat = catalogue()
    rows = read_labels(labels_csv)
    split = load_or_make_split(rows, split_csv, seed)
    train_rows = [r for r in rows if split[r["image_id"]] == "train"]
    # Validation watches the calibration split only: the holdout is never read while training.
    val_rows = [r for r in rows if split[r["image_id"]] == "calibration"]
    t0 = time.time()
    train_x, train_y = preload(train_rows)
    val_x, val_y = preload(val_rows)
    if recipe.colour_constancy == "shades_of_gray":
        # On the 224 px squashed images, before augmentation: what inference does after its resize.
        train_x, val_x = shades_of_gray(train_x), shades_of_gray(val_x)
    tqdm.write(f"[{recipe.name}] {len(train_rows)} train / {len(val_rows)} validation images loaded in {time.time() - t0:.0f}s on {dev}")

    model = pretrained_lite(recipe.variant, len(cat.classes), recipe.drop_rate)
    if recipe.init_from:
        if weights_dir is None:
            raise ValueError(f"recipe {recipe.name} starts from {recipe.init_from}: pass the weights folder")
        load_into(model, weights_dir / recipe.init_from)
    model = model.to(dev).to(memory_format=torch.channels_last)
    head = list(model.get_classifier().parameters())
    head_ids = {id(p) for p in head}
    body = [p for p in model.parameters() if id(p) not in head_ids]
    optimiser = torch.optim.AdamW(
        [{"params": body, "lr": recipe.lr_body}, {"params": head, "lr": recipe.lr_head}],
        weight_decay=recipe.weight_decay,
    )
    steps_per_epoch = math.ceil(len(train_rows) / recipe.batch_size)
    total = steps_per_epoch * recipe.epochs
    warmup = min(100, total // 10)
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimiser, lambda s: (s + 1) / warmup if s < warmup else 0.5 * (1 + math.cos(math.pi * (s - warmup) / (total - warmup)))
    )
    sampler = torch.utils.data.WeightedRandomSampler(
        class_weights(train_y, recipe.sampling_power)[train_y].double(), num_samples=len(train_rows), replacement=True
    )
    loss_weights = class_weights(train_y, recipe.loss_power).to(dev)
    # Balanced softmax: the prior the sampler shows the model is n_class ** (1 - sampling_power).
    counts = torch.bincount(train_y, minlength=len(cat.classes)).float().clamp(min=1)
    shown = counts.pow(1 - recipe.sampling_power)
    logit_shift = (recipe.logit_adjust * (shown / shown.sum()).log()).to(dev)
    ema = timm.utils.ModelEmaV3(model, decay=recipe.ema_decay, use_warmup=True) if recipe.ema_decay else None
    augment = augmentation(recipe.input_size, recipe.crop_scale, recipe.jitter, recipe.rotate)
    # Mixed batches train on soft targets; the mixer also applies the label smoothing then.
    mixer = timm.data.Mixup(mixup_alpha=0.2, cutmix_alpha=1.0, prob=recipe.mixup, switch_prob=0.5, mode="batch",
                            label_smoothing=recipe.label_smoothing, num_classes=len(cat.classes)) if recipe.mixup else None

    out_dir.mkdir(parents=True, exist_ok=True)
    history = []
    for epoch in range(1, recipe.epochs + 1):
        model.train()
        order = list(sampler)
        started = time.time()
        bar = tqdm(range(0, len(order), recipe.batch_size), desc=f"[{recipe.name}] epoch {epoch}/{recipe.epochs}", unit="batch")
        running = 0.0
        for n, i in enumerate(bar, 1):
            idx = order[i : i + recipe.batch_size]
            x = torch.stack([augment(train_x[j]) for j in idx])
            x = normalise(x, LITE_MEAN, LITE_STD).to(dev).contiguous(memory_format=torch.channels_last)
            y = train_y[idx].to(dev)
            target, smoothing = y, recipe.label_smoothing
            if mixer is not None and len(idx) % 2 == 0:  # timm mixes a batch with its reverse: even sizes only
                x, target = mixer(x, y)
                smoothing = 0.0  # already in the mixer's soft targets
            loss = F.cross_entropy(model(x) + logit_shift, target, weight=loss_weights, label_smoothing=smoothing)
            optimiser.zero_grad(set_to_none=True)
            loss.backward()
            optimiser.step()
            schedule.step()
            if ema is not None:
                ema.update(model, step=(epoch - 1) * steps_per_epoch + n)
            running += (loss.item() - running) / min(n, 20)
            bar.set_postfix(loss=f"{running:.3f}", lr=f"{schedule.get_last_lr()[0]:.1e}")
        epoch_s = time.time() - started
        entry = {"epoch": epoch, "seconds": round(epoch_s), "loss": running}
        # Both the raw and the EMA weights are measured on calibration: the EMA ablation comes for free.
        for tag, net in [("", model)] + ([("ema_", ema.module)] if ema is not None else []):
            m = summary(predict(net, val_x, recipe.input_size, dev), val_y.numpy(), cat.dx_codes,
                        cat.by_dx("mel").index, [c.index for c in cat.classes if c.malignant])
            entry |= {f"{tag}val_balanced_accuracy": m["balanced_accuracy"],
                      f"{tag}val_melanoma_recall": m["melanoma_recall"], f"{tag}val_accuracy": m["accuracy"]}
        history.append(entry)
        tqdm.write(f"[{recipe.name}] epoch {epoch}: {epoch_s:.0f}s, loss {running:.3f}, calibration balanced accuracy "
                   f"{entry['val_balanced_accuracy']:.3f} (EMA {entry.get('ema_val_balanced_accuracy', float('nan')):.3f}), "
                   f"melanoma recall {entry['val_melanoma_recall']:.3f}")
        # The last epoch is the one shipped (its EMA when the recipe has one): validation only watches.
        weights_path = out_dir / f"member_{recipe.name}.safetensors"
        shipped = ema.module if ema is not None else model
        save_file({k: v.detach().float().cpu().contiguous() for k, v in shipped.state_dict().items()}, str(weights_path))
        (out_dir / f"member_{recipe.name}.json").write_text(json.dumps(
            {"recipe": recipe.model_dump(), "seed": seed, "device": str(dev), "history": history}, indent=2))
    return weights_path
