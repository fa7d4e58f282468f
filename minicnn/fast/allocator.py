"""Keep freed large buffers inside the process instead of handing them back to the kernel, and
fault new ones in as small pages.

Every step of a visualization allocates the same big arrays again: each layer's output, the
Winograd tiles and products, the gradients on the way back. glibc's malloc serves such big
requests with fresh mmap'ed pages and returns them to the kernel on free, so the next step
page-faults every one of them back in. Raising malloc's mmap threshold to its largest value
(32 MiB on 64-bit glibc) and its trim threshold keeps buffers up to that size in the heap for
the next step; larger ones are still mapped afresh (buffers.py keeps those). The process then
keeps that memory until it exits.

New memory costs most in a loop's first step, which touches all of a step's working memory for
the first time. NumPy asks the kernel for transparent huge pages (madvise) for every array of
4 MiB or more. A virtual machine that hands free memory back to its host does so in 2 MiB
blocks (free page reporting), so there a huge page is always a block the host must provide
afresh, which costs several times what 4 KiB pages do; a loop reuses its arrays from step to
step, and what huge pages would save later (TLB misses) did not show in a steady step
(docs/speed.md). So the same first fast step also turns NumPy's hint off for the arrays made
from then on (the weights, loaded before, keep theirs). With the kernel's THP setting at
"always" the hint changes nothing.

Applied once, when a Net first takes the fast engine (engine.py): the thresholds on glibc
only, the pages on Linux only, and each not where the user chose through the environment
(glibc's MALLOC_MMAP_THRESHOLD_ or MALLOC_TRIM_THRESHOLD_, NumPy's NUMPY_MADVISE_HUGEPAGE).
"""
import ctypes
import os
import sys

M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3       # mallopt parameters (malloc.h)
MMAP_THRESHOLD = 32 << 20                          # glibc's maximum on 64-bit systems
TRIM_THRESHOLD = 1 << 30

applied = None                                     # None: not tried yet; then whether it took effect
small_pages = None                                 # the same for NumPy's huge-page hint turned off


def keep_big_buffers():
    """Set the thresholds, once, if this is glibc and nobody chose otherwise, and turn NumPy's
    huge-page hint off; return whether the thresholds were set."""
    global applied, small_pages
    if applied is None:
        applied = _set_thresholds()
        small_pages = _small_pages()
    return applied


def _small_pages():
    """Turn NumPy's huge-page hint off for the arrays made from now on; whether it was."""
    if not sys.platform.startswith("linux") or "NUMPY_MADVISE_HUGEPAGE" in os.environ:
        return False
    try:
        from numpy._core import multiarray                        # NumPy 2
    except ImportError:
        from numpy.core import multiarray                         # NumPy 1
    set_hint = getattr(multiarray, "_set_madvise_hugepage", None)
    if set_hint is None:                                         # a NumPy without the hint
        return False
    set_hint(False)
    return True


def _set_thresholds():
    if (not sys.platform.startswith("linux")
            or any(name in os.environ for name in ("MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_"))):
        return False
    try:
        mallopt = ctypes.CDLL(None).mallopt         # the C library already loaded into this process
    except (OSError, AttributeError):              # not glibc (musl has no mallopt): leave malloc alone
        return False
    return bool(mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD)) and bool(mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD))
