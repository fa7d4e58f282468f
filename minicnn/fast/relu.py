"""The ReLU of layers/relu.py as Numba loops: one pass over memory each way, no temporaries.

layers/relu.py (read it first) builds a boolean mask and lets ``where`` allocate the result.
Here the forward keeps its own output as the cache (out > 0 exactly where x > 0: no mask to
make or keep) and each backward rule is one loop spread over the cores. Same results as
layers/relu.py, bit for bit; the fast engine takes it on large maps (engine.py).
"""
import numpy as np
from numba import njit, prange

from .. import checks
from ..layers.relu import RELU_MODES
from . import buffers

_BACKPROP, _DECONVNET, _GUIDED = range(3)


@njit(parallel=True, cache=True, nogil=True)
def _forward(x, zero, out):
    for i in prange(x.size):
        out[i] = zero if x[i] <= 0 else x[i]        # NaN stays NaN, as with np.maximum


@njit(parallel=True, cache=True, nogil=True)
def _backward(dout, out, rule, zero, dx):
    for i in prange(dout.size):
        d = dout[i]
        if rule == _BACKPROP:
            dx[i] = d if out[i] > 0 else zero
        elif rule == _DECONVNET:
            dx[i] = d if d > 0 else zero
        else:
            dx[i] = d if out[i] > 0 and d > 0 else zero


def relu_forward(x, overwrite=False):
    """As relu.relu_forward for a NumPy array x (any shape): returns out = max(x, 0) and cache = out.
    overwrite=True writes out over x when x is contiguous (the Net does so when nothing else reads x)."""
    checks.floating("relu_forward", "x", x)
    x = np.ascontiguousarray(x)
    out = x if overwrite else buffers.empty(x.shape, x.dtype)
    _forward(x.reshape(-1), x.dtype.type(0), out.reshape(-1))
    return out, out


def relu_backward(dout, cache, mode="backprop", overwrite=False):
    """As relu.relu_backward: dout shaped like x -> dx under ``mode``.
    overwrite=True writes dx over dout when dout is contiguous (each element is read before written)."""
    out = cache
    checks.same_shape("relu_backward", "dout", dout, out.shape)
    checks.choice("relu_backward", "mode", mode, RELU_MODES)
    dout = np.ascontiguousarray(dout)
    dx = dout if overwrite else buffers.empty(dout.shape, dout.dtype)
    _backward(dout.reshape(-1), out.reshape(-1), RELU_MODES.index(mode), dout.dtype.type(0), dx.reshape(-1))
    return dx
