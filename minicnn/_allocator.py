"""Keep freed large buffers inside the process instead of handing them back to the kernel.

Every step of a visualization allocates the same big arrays again: each layer's output, the
Winograd tiles and products, the gradients on the way back. glibc's malloc serves such big
requests with fresh mmap'ed pages and returns them to the kernel on free, so the next step
page-faults every one of them back in (VGG16 at batch 1 spends about a tenth of a step there).
Raising malloc's mmap threshold to its largest value (32 MiB on 64-bit glibc) and its trim
threshold keeps those buffers in the heap for the next step; the process then keeps its peak
memory until it exits.

Applied when minicnn is imported, on glibc only, unless the user set either threshold through
glibc's environment variables, or turned the fast paths off with MINICNN_FAST=0.
"""
import ctypes
import ctypes.util
import os
import sys

M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3       # mallopt parameters (malloc.h)
MMAP_THRESHOLD = 32 << 20                          # glibc's maximum on 64-bit systems
TRIM_THRESHOLD = 1 << 30


def apply():
    """Set the thresholds if this is glibc and nobody chose otherwise; return whether they were set."""
    if (not sys.platform.startswith("linux") or os.environ.get("MINICNN_FAST", "1").strip() == "0"
            or any(name in os.environ for name in ("MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_"))):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):              # not glibc (musl has no mallopt): leave malloc alone
        return False
    return bool(mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD)) and bool(mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD))


applied = apply()
