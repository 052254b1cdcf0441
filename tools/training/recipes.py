"""The two default members' recipes. They differ in architecture, resolution, imbalance handling
and augmentation strength, so their errors differ and the ensemble beats each one."""

from __future__ import annotations

from pydantic import BaseModel


class Recipe(BaseModel):
    name: str
    variant: int            # tf_efficientnet_lite{variant}
    input_size: int
    epochs: int
    batch_size: int = 32
    lr_body: float = 3e-4
    lr_head: float = 1e-3
    weight_decay: float = 1e-4
    label_smoothing: float = 0.0
    sampling_power: float   # sample weight per image = n_class ** -power (1 = balanced, 0 = natural)
    loss_power: float       # CE class weight = n_class ** -power, normalised
    crop_scale: tuple[float, float]
    jitter: float
    rotate: float           # extra free rotation in degrees (0 = quarter turns only)
    drop_rate: float = 0.2

    @property
    def architecture(self) -> str:
        return f"tf_efficientnet_lite{self.variant}"

    def for_device(self, device_type: str) -> Recipe:
        """The CPU recipe fits ~1 hour on 2 cores; a GPU affords longer training at a higher resolution."""
        if device_type != "cuda":
            return self
        return self.model_copy(update={"epochs": self.epochs * 3, "input_size": self.input_size + 32, "batch_size": 64})


RECIPES = {
    "A": Recipe(name="A", variant=0, input_size=192, epochs=10, label_smoothing=0.1,
                sampling_power=1.0, loss_power=0.0, crop_scale=(0.7, 1.0), jitter=0.1, rotate=0),
    "B": Recipe(name="B", variant=1, input_size=208, epochs=9, label_smoothing=0.0,
                sampling_power=0.5, loss_power=0.5, crop_scale=(0.5, 1.0), jitter=0.2, rotate=30),
}
