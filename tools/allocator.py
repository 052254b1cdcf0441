"""glibc's allocator returns large freed blocks to the OS at once and maps them again for the next
image batch; on these machines that page-fault churn cost more system time than the model itself
(benchmarks/inference.py: evaluating 128 images took 2.5x as long). Keeping freed memory mapped
trades up to 1 GiB of retained RSS for that time."""

from __future__ import annotations

import ctypes

M_TRIM_THRESHOLD = -1
M_MMAP_THRESHOLD = -3
_KEEP = 1 << 30


def keep_freed_memory() -> bool:
    """Tune glibc malloc for repeated large tensors; a no-op (False) on other C libraries."""
    try:
        libc = ctypes.CDLL("libc.so.6")
    except OSError:
        return False
    return bool(libc.mallopt(M_TRIM_THRESHOLD, _KEEP)) and bool(libc.mallopt(M_MMAP_THRESHOLD, _KEEP))
