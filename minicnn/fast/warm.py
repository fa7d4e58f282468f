"""Get the fast engine's Numba kernels going before a loop's first step, not inside it.

Numba keeps each kernel's machine code in its on-disk cache (cache=True), yet every new process
pays to get going again: the first kernel call sets up Numba's typing and lowering registries
(importing numba.np and, through it, scipy.linalg), and each kernel is then read from the cache
and linked. Left to the first call, all of that lands in a technique's first step. Net.frozen(),
which every technique's loop runs in, calls load_kernels on entering (frozen.py). The work is
the same, once per process and dtype, only done before the loop: a single step waits as long as
before. docs/speed.md gives the times.

Each kernel is called through the function the layers call, on arrays a few values large, so
that the signatures loaded are those a step asks for. Where the layers choose between two
variants of a kernel, spread over the cores or on one core (Winograd's by-blocks layers), both
are loaded. Where no compiled kernel is in the cache yet (a fresh install) this compiles them,
as the first step would have.
"""
import numpy as np

from ..im2col import cpu as im2col_cpu
from . import maxpool as maxpool_cpu
from . import relu as relu_cpu
from .winograd import cpu as winograd_cpu

_loaded = set()                 # the dtypes whose kernels this process has loaded


def load_kernels(dtype):
    """Load (or compile) every fast CPU kernel for arrays of ``dtype``, once per process."""
    dtype = np.dtype(dtype)
    if dtype in _loaded or dtype.kind != "f":
        return
    _im2col(dtype)
    _relu(dtype)
    _maxpool(dtype)
    _winograd(dtype)
    _loaded.add(dtype)


def _im2col(dtype):
    x = np.zeros((1, 1, 3, 3), dtype)
    cols = im2col_cpu.im2col(x, 3, 3, (1, 1), (1, 1), (3, 3))
    im2col_cpu.col2im(cols, x.shape, 3, 3, (1, 1), (1, 1), (3, 3))


def _relu(dtype):
    out, cache = relu_cpu.relu_forward(np.zeros(4, dtype))
    relu_cpu.relu_backward(out, cache)              # one kernel for the three rules (an argument)


def _maxpool(dtype):
    x = np.zeros((1, 1, 4, 4), dtype)
    for size, stride in ((2, 2), (3, 1)):            # VGG's 2x2 windows have a kernel of their own
        out, cache = maxpool_cpu.maxpool_forward(x, size, stride)
        maxpool_cpu.maxpool_backward(out, cache)


def _winograd(dtype):
    # The backward pass runs the same kernels as the forward, on the gradients.
    for channels in (1, winograd_cpu.BY_BLOCKS_MAX_CHANNELS + 1):    # a block per core, or spread
        x = np.zeros((1, channels, 4, 4), dtype)
        w, b = np.zeros((channels, channels, 3, 3), dtype), np.zeros(channels, dtype)
        winograd_cpu.conv_forward(x, winograd_cpu.transform_filters(w), b, (1, 1))
