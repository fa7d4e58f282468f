"""Keep freed large buffers inside the process instead of handing them back to the kernel.

Every step of a visualization allocates the same big arrays again: each layer's output, the
Winograd tiles and products, the gradients on the way back. glibc's malloc serves such big
requests with fresh mmap'ed pages and returns them to the kernel on free, so the next step
page-faults every one of them back in (VGG16 at batch 1 spent about a tenth of a step there).
Raising malloc's mmap threshold to its largest value (32 MiB on 64-bit glibc) and its trim
threshold keeps buffers up to that size in the heap for the next step; larger ones (a batch of
8 224x224 maps) are still mapped afresh. The process then keeps that memory until it exits.

Applied once, when a Net first takes a fast CPU path (layer_types.py), on glibc only, and never
if the user set either threshold through glibc's environment variables.
"""
import ctypes
import os
import sys

M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3       # mallopt parameters (malloc.h)
MMAP_THRESHOLD = 32 << 20                          # glibc's maximum on 64-bit systems
TRIM_THRESHOLD = 1 << 30

applied = None                                     # None: not tried yet; then whether it took effect


def keep_big_buffers():
    """Set the thresholds, once, if this is glibc and nobody chose otherwise; return whether set."""
    global applied
    if applied is None:
        applied = _set_thresholds()
    return applied


def _set_thresholds():
    if (not sys.platform.startswith("linux")
            or any(name in os.environ for name in ("MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_"))):
        return False
    try:
        mallopt = ctypes.CDLL(None).mallopt         # the C library already loaded into this process
    except (OSError, AttributeError):              # not glibc (musl has no mallopt): leave malloc alone
        return False
    return bool(mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD)) and bool(mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD))
