"""Max pooling: each output is the largest input in its window; the gradient goes to that input.

Implemented with the same im2col as convolution: every channel is treated as a one-channel
image, each window becomes a column, and the max is taken down the column. Padding (and the
overhang of Caffe's ceil mode) reads as -inf, so windows that stick out past the edge only
ever pick a real pixel.

Ties: when several inputs in a window share the maximum, the whole gradient goes to exactly
one of them, the first in row-major order within the window (what argmax returns). Overlapping
windows may each pick the same pixel; their gradients add.
"""
import numpy as np

from .. import kernels
from ..backend import get_array_module
from . import _check
from .pool_common import pool_geometry


def maxpool_forward(x, size, stride=None, pad=0, ceil_mode=False):
    """x: (N, C, H, W). size, stride (default: size), pad: int or (h, w) pair.

    Returns out (N, C, Ho, Wo) and a cache for maxpool_backward. With ceil_mode the output
    size is rounded up (Caffe), e.g. 3x3 stride 2 on 112 pixels gives 56 windows, not 55.
    """
    k, s, p, (Ho, Wo) = pool_geometry("maxpool_forward", x, size, stride, pad, ceil_mode)
    N, C, H, W = x.shape
    planes = x.reshape(N * C, 1, H, W)                                    # one channel per "image"
    cols = kernels.im2col(planes, k[0], k[1], s, p, (Ho, Wo), fill=-np.inf)  # (N*C, kh*kw, L)
    arg = cols.argmax(axis=1)                                             # (N*C, L): first maximum
    out = cols.max(axis=1).reshape(N, C, Ho, Wo)
    return out, (x.shape, arg, k, s, p, (Ho, Wo))


def maxpool_backward(dout, cache):
    """dout: (N, C, Ho, Wo). Returns dx (N, C, H, W): each dout entry added to its window's max."""
    x_shape, arg, k, s, p, (Ho, Wo) = cache
    N, C, H, W = x_shape
    _check.same_shape("maxpool_backward", "dout", dout, (N, C, Ho, Wo))
    xp = get_array_module(dout)
    window = xp.arange(k[0] * k[1]).reshape(1, -1, 1)
    # Scatter each gradient to the row of its winner: a one-hot mask times dout.
    dcols = (window == arg[:, None, :]) * dout.reshape(N * C, 1, Ho * Wo)
    dx = kernels.col2im(dcols, (N * C, 1, H, W), k[0], k[1], s, p, (Ho, Wo))
    return dx.reshape(x_shape)
