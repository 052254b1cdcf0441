"""Process-wide shared services: the ensemble is loaded once and used by every chat session."""

from __future__ import annotations

import asyncio
import sys
import threading

from assistant.core.settings import Settings, get_settings
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


def close_abandoned_generators() -> None:
    """Call from the server's event loop at startup. Chainlit runs uvicorn under nest_asyncio, whose loop
    installs no async-generator hooks: an async generator left unfinished (a client gone while its answer
    streamed) is then closed by the garbage collector synchronously, in whatever task happens to run, where
    its cleanup cannot await ("async generator ignored GeneratorExit") and leaves an anyio cancel scope open
    in that task, which then fails ("Attempted to exit a cancel scope that isn't the current task's current
    cancel scope"). The loop's own hooks, as plain asyncio installs them, close it in a task of its own."""
    loop = asyncio.get_running_loop()
    if sys.get_asyncgen_hooks().finalizer is None and isinstance(loop, asyncio.BaseEventLoop):
        sys.set_asyncgen_hooks(firstiter=loop._asyncgen_firstiter_hook,  # noqa: SLF001  # asyncio's own hooks
                               finalizer=loop._asyncgen_finalizer_hook)  # noqa: SLF001
