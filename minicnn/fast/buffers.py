"""Large arrays kept from one step to the next and handed out again.

glibc serves requests above 32 MiB (the most its mmap threshold can be raised to, see
allocator.py) with fresh pages from the kernel and gives them back on free, and a loop of steps
at batch 8 asks for the same few such arrays at every step (each of VGG16's first-block maps and
gradients is 98 MiB). Fresh pages are faulted in and zeroed on first touch, which on a virtual
machine that returns freed memory to its host is slow (docs/speed.md). The fast engine's
kernels therefore take their large outputs from ``empty``, which keeps every large array it
made: one that nobody but this pool refers to any more (its reference count says so) is free
to hand out again.

When none of the size asked for is free, the free ones of other sizes are let go before new
memory is taken: the pool then never holds more than a step has in use at its fullest (peak
memory stays what it would be without it), and what it saves is the faulting-in of the arrays
whose size comes back while the others of that size are still free. Like allocator.py this
only runs in the fast engine (backend.use_fast).
"""
import sys
import threading

import numpy as np

from ..backend import fast

MIN_BYTES = 32 << 20           # smaller arrays malloc itself reuses (allocator.py)

_kept = []                     # flat uint8 arrays
_lock = threading.Lock()       # two threads must not both find the same array free


def empty(shape, dtype):
    """np.empty(shape, dtype), reusing a large array that is no longer referenced elsewhere."""
    dtype = np.dtype(dtype)
    nbytes = int(np.prod(shape)) * dtype.itemsize
    if nbytes < MIN_BYTES or not fast():
        return np.empty(shape, dtype)
    with _lock:
        for i in range(len(_kept)):
            if _kept[i].nbytes == nbytes and _free(i):
                return _kept[i].view(dtype).reshape(shape)
        _clear()
        buf = np.empty(nbytes, np.uint8)
        _kept.append(buf)
        return buf.view(dtype).reshape(shape)


def _free(i):
    """Whether nothing but the list refers to _kept[i]. References counted: the list's and
    getrefcount's argument; any view handed out and still alive adds one (a view's base is the
    array that owns the memory, however it was made)."""
    return sys.getrefcount(_kept[i]) == 2


def clear():
    """Let go of every kept array that is free (its memory goes back to the system)."""
    with _lock:
        _clear()


def _clear():
    _kept[:] = [_kept[i] for i in range(len(_kept)) if not _free(i)]
