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
from tools.devices import pick_device
from tools.evaluation.metrics import summary
from tools.preprocess import shades_of_gray
from tools.training.backbones import LITE_MEAN, LITE_STD, pretrained_lite
from tools.training.batch_augment import augment_batch
from tools.training.data import assign_folds, augmentation, load_or_make_split, normalise, preload, read_labels
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
    fold: tuple[int, int] | None = None,
    deadline: float | None = None,
    augment_on_device: bool | None = None,
) -> Path:
    """Train one member. `fold=(i, k)`: a cross-validation run that trains on the training split less its
    i-th of k stratified folds and validates on that fold (out-of-fold probabilities kept in the log).
    `deadline` (a time.time()): stop after the epoch that passes it, marked truncated in the log.
    `augment_on_device`: keep the pool on the device and augment whole batches there (default: on a GPU)."""
    seed_everything(seed)
    if threads:
        torch.set_num_threads(threads)
    dev = pick_device(device)
    recipe = recipe.for_device(dev.type)
    cat = catalogue()
    rows = read_labels(labels_csv)
    split = load_or_make_split(rows, split_csv, seed)
    train_rows = [r for r in rows if split.get(r["image_id"]) == "train"]
    # Validation watches the calibration split only (or a fold of the training split): the holdout is never
    # read while training. A pool without calibration rows (packed for an accelerator) trains unwatched.
    val_rows = [r for r in rows if split.get(r["image_id"]) == "calibration"]
    if fold is not None:
        folds = assign_folds(train_rows, fold[1], seed)
        val_rows = [r for r in train_rows if folds[r["image_id"]] == fold[0]]
        train_rows = [r for r in train_rows if folds[r["image_id"]] != fold[0]]
    run_name = recipe.name if fold is None else f"{recipe.name}_fold{fold[0]}"
    t0 = time.time()
    train_x, train_y = preload(train_rows)
    val_x, val_y = preload(val_rows) if val_rows else (train_x[:0], train_y[:0])
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
    # On an accelerator the pool lives on the device and each batch is augmented there in one go.
    batched = dev.type == "cuda" if augment_on_device is None else augment_on_device
    if batched:
        train_x = train_x.to(dev)
    if dev.type == "cuda":
        torch.backends.cudnn.benchmark = True
    autocast = torch.autocast(dev.type, dtype=torch.bfloat16, enabled=dev.type == "cuda")
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
            if batched:
                x = augment_batch(train_x[torch.tensor(idx, device=dev)], recipe.input_size, recipe.crop_scale,
                                  recipe.jitter, recipe.rotate)
                x = ((x - 0.5) / 0.5).contiguous(memory_format=torch.channels_last)  # LITE_MEAN / LITE_STD
            else:
                x = torch.stack([augment(train_x[j]) for j in idx])
                x = normalise(x, LITE_MEAN, LITE_STD).to(dev).contiguous(memory_format=torch.channels_last)
            y = train_y[idx].to(dev)
            target, smoothing = y, recipe.label_smoothing
            if mixer is not None and len(idx) % 2 == 0:  # timm mixes a batch with its reverse: even sizes only
                x, target = mixer(x, y)
                smoothing = 0.0  # already in the mixer's soft targets
            with autocast:
                logits = model(x)
            loss = F.cross_entropy(logits.float() + logit_shift, target, weight=loss_weights, label_smoothing=smoothing)
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
        last_probs = None
        for tag, net in ([("", model)] + ([("ema_", ema.module)] if ema is not None else [])) if len(val_y) else []:
            probs = predict(net, val_x, recipe.input_size, dev)
            m = summary(probs, val_y.numpy(), cat.dx_codes, cat.by_dx("mel").index,
                        [c.index for c in cat.classes if c.malignant])
            entry |= {f"{tag}val_balanced_accuracy": m["balanced_accuracy"],
                      f"{tag}val_melanoma_recall": m["melanoma_recall"], f"{tag}val_accuracy": m["accuracy"]}
            last_probs = probs  # the shipped weights' (EMA when there is one, listed last)
        history.append(entry)
        watched = (f", {'fold' if fold else 'calibration'} balanced accuracy {entry['val_balanced_accuracy']:.3f} "
                   f"(EMA {entry.get('ema_val_balanced_accuracy', float('nan')):.3f}), melanoma recall "
                   f"{entry['val_melanoma_recall']:.3f}") if "val_balanced_accuracy" in entry else ""
        tqdm.write(f"[{run_name}] epoch {epoch}: {epoch_s:.0f}s, loss {running:.3f}{watched}")
        truncated = deadline is not None and time.time() > deadline and epoch < recipe.epochs
        # The last epoch is the one shipped (its EMA when the recipe has one): validation only watches.
        weights_path = out_dir / f"member_{run_name}.safetensors"
        shipped = ema.module if ema is not None else model
        save_file({k: v.detach().float().cpu().contiguous() for k, v in shipped.state_dict().items()}, str(weights_path))
        log = {"recipe": recipe.model_dump(), "seed": seed, "device": str(dev), "fold": fold,
               "truncated": truncated, "history": history}
        if fold is not None and last_probs is not None:  # out-of-fold predictions, for comparing recipes
            log["validation"] = {"image_ids": [r["image_id"] for r in val_rows], "labels": val_y.tolist(),
                                 "probabilities": last_probs.round(5).tolist()}
        (out_dir / f"member_{run_name}.json").write_text(json.dumps(log, indent=2))
        if truncated:
            tqdm.write(f"[{run_name}] stopped after epoch {epoch}: past the deadline")
            break
    return weights_path
