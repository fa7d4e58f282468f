"""Max pooling: each output is the largest input in its window; the gradient goes to that input.

Implemented with the same im2col as convolution: every channel is treated as a one-channel
image, each window becomes a column, and the max is taken down the column. Padding (and the
overhang of Caffe's ceil mode) reads as -inf, so windows that stick out past the edge only
ever pick a real pixel.

Ties: when several inputs in a window share the maximum, the whole gradient goes to exactly
one of them, the first in row-major order within the window (what argmax returns). Overlapping
windows may each pick the same pixel; their gradients add.

Relevance (LRP) through max pooling has two rules: "wta", winner-take-all, routes it exactly as
the gradient (to the max); "proportional" shares it among the window's inputs in proportion to
their values, as average pooling does (avgpool_relevance).
"""
import numpy as np

from .. import checks, im2col
from ..backend import get_array_module
from .pool_common import pool_geometry
from .relevance import POOL_RULES, divide


def _windows(x, k, s, p, out_hw):
    """(N*C, kh*kw, Ho*Wo): every window of every channel as a column; outside reads -inf."""
    N, C, H, W = x.shape
    return im2col.im2col(x.reshape(N * C, 1, H, W), k[0], k[1], s, p, out_hw, fill=-np.inf)


def maxpool_forward(x, size, stride=None, pad=0, ceil_mode=False):
    """x: (N, C, H, W). size, stride (default: size), pad: int or (h, w) pair.

    Returns out (N, C, Ho, Wo) and a cache for maxpool_backward. With ceil_mode the output
    size is rounded up (Caffe), e.g. 3x3 stride 2 on 56 pixels gives 28 windows, not 27.
    """
    k, s, p, out_hw = pool_geometry("maxpool_forward", x, size, stride, pad, ceil_mode)
    N, C = x.shape[:2]
    out = _windows(x, k, s, p, out_hw).max(axis=1).reshape(N, C, *out_hw)
    # Which element won is found again in the backward pass: that is cheaper than an argmax
    # here, and forward-only uses (features, classification) never pay for it.
    return out, (x, out, k, s, p, out_hw)


def maxpool_backward(dout, cache):
    """dout: (N, C, Ho, Wo). Returns dx (N, C, H, W): each dout entry added to its window's max."""
    x, out, k, s, p, out_hw = cache
    N, C, H, W = x.shape
    checks.same_shape("maxpool_backward", "dout", dout, out.shape)
    xp = get_array_module(dout)
    cols = _windows(x, k, s, p, out_hw)
    out, dout = out.reshape(N * C, -1), dout.reshape(N * C, -1)
    dcols = xp.empty_like(cols)
    unclaimed = xp.ones(out.shape, dtype=bool)         # windows whose max has no owner yet
    for r in range(cols.shape[1]):                      # window positions in row-major order
        wins = (cols[:, r] == out) & unclaimed          # the first position equal to the max
        dcols[:, r] = dout * wins
        unclaimed &= ~wins
    dx = im2col.col2im(dcols, (N * C, 1, H, W), k[0], k[1], s, p, out_hw)
    return dx.reshape(N, C, H, W)


def maxpool_relevance(R, cache, rule="wta"):
    """R (N, C, Ho, Wo) at the output -> R_in (N, C, H, W): to each window's max ("wta", the
    gradient's route), or shared in proportion to the window's inputs ("proportional")."""
    checks.choice("maxpool_relevance", "rule", rule, POOL_RULES)
    if rule == "wta":
        return maxpool_backward(R, cache)
    x, out, k, s, p, out_hw = cache
    N, C, H, W = x.shape
    checks.same_shape("maxpool_relevance", "R", R, out.shape)
    xp = get_array_module(R)
    cols = im2col.im2col(x.reshape(N * C, 1, H, W), k[0], k[1], s, p, out_hw)     # padding reads 0 here
    share = divide(R.reshape(N * C, 1, -1), cols.sum(axis=1, keepdims=True))     # R / (window's sum)
    dcols = xp.broadcast_to(share, cols.shape)
    return x * im2col.col2im(dcols, (N * C, 1, H, W), k[0], k[1], s, p, out_hw).reshape(x.shape)
