"""Pack what a training run on a lent accelerator needs into one small folder that travels with the
working tree: the training split's photos (re-encoded JPEG, no calibration or holdout photo ever leaves),
their labels, and the ImageNet bodies exported from the weight wheels (the machine there has no wheels)."""

from __future__ import annotations

import argparse
import csv
from pathlib import Path

from PIL import Image

from tools.training.backbones import export_imagenet
from tools.training.data import load_or_make_split, read_labels

JPEG_QUALITY = 85  # the pool's own JPEGs are about quality 90: a re-encode at 85 keeps the folder under 40 MB


def pack(labels_csv: Path, split_csv: Path, out: Path, variants: tuple[int, ...] = (0, 1, 2)) -> Path:
    rows = read_labels(labels_csv)
    split = load_or_make_split(rows, split_csv)
    train = [r for r in rows if split[r["image_id"]] == "train"]
    images = out / "pool" / "images"
    images.mkdir(parents=True, exist_ok=True)
    with open(out / "pool" / "labels.csv", "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["image_id", "file", "dx"])
        for row in train:
            name = f"{row['image_id']}.jpg"
            with Image.open(row["path"]) as img:
                img.convert("RGB").save(images / name, "JPEG", quality=JPEG_QUALITY)
            writer.writerow([row["image_id"], f"images/{name}", row["dx"]])
    for variant in variants:
        export_imagenet(variant, out / "imagenet")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("labels", type=Path)
    parser.add_argument("--split", type=Path, default=Path("weights/split.csv"))
    parser.add_argument("--out", type=Path, default=Path(".gpu"))
    args = parser.parse_args()
    print(pack(args.labels, args.split, args.out))


if __name__ == "__main__":
    main()
