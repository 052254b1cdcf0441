"""Process-wide shared services: the ensemble is loaded once and used by every chat session."""

from __future__ import annotations

import threading

from assistant.settings import Settings, get_settings
from tools.allocator import keep_freed_memory
from tools.classifier import Ensemble
from tools.intake import IntakeLimits
from tools.manifest import ProfileSpec, resolve_profile

_lock = threading.Lock()
_ensemble: Ensemble | None = None


def active_profile(settings: Settings | None = None) -> ProfileSpec:
    s = settings or get_settings()
    return resolve_profile(s.weights_dir, s.profile, s.model_a_path, s.model_b_path, s.model_name, s.num_classes)


def intake_limits(settings: Settings | None = None) -> IntakeLimits:
    s = settings or get_settings()
    return IntakeLimits(max_bytes=s.max_image_bytes, max_pixels=s.max_image_pixels, min_side=s.min_image_side)


def get_ensemble() -> Ensemble:
    global _ensemble
    with _lock:  # two sessions arriving together must not load the weights twice
        if _ensemble is None:
            s = get_settings()
            window_s = None if s.batch_window_ms is None else s.batch_window_ms / 1000
            _ensemble = Ensemble.load(active_profile(s), s.device, s.inference_precision,
                                      (window_s, s.batch_max_images), s.inference_backend)
            # Tuned after loading: the load's transient fp32 copies go back to the OS instead of staying mapped.
            keep_freed_memory()
        return _ensemble
