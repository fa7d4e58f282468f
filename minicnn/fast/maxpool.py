"""The max pooling of layers/maxpool.py as Numba loops: one pass forward, one scatter backward.

layers/maxpool.py (read it first) goes through im2col and finds each window's winner again in the
backward pass. Here the forward remembers where each maximum came from (its flat index in the
channel's H*W map) and the backward adds each upstream gradient there. Same windows, same ties
(the first maximum in row-major order within the window wins), same numbers as maxpool.py
(where windows overlap, their gradients add in another order: equal up to rounding). The fast
engine takes it on large maps (engine.py).
"""
import numpy as np
from numba import njit, prange

from .. import checks
from ..layers.pool_common import pool_geometry
from . import buffers


@njit(parallel=True, cache=True, nogil=True)
def _forward(x, kh, kw, sh, sw, ph, pw, out, where):
    N, C, H, W = x.shape
    Ho, Wo = out.shape[2], out.shape[3]
    for plane in prange(N * C):                     # each (image, channel) map on its own
        n, c = plane // C, plane % C
        for oh in range(Ho):
            h_lo, h_hi = max(oh * sh - ph, 0), min(oh * sh - ph + kh, H)     # the window, clipped to x
            for ow in range(Wo):
                w_lo, w_hi = max(ow * sw - pw, 0), min(ow * sw - pw + kw, W)
                best, at = x[n, c, h_lo, w_lo], h_lo * W + w_lo
                nan = False
                for h in range(h_lo, h_hi):
                    for w in range(w_lo, w_hi):
                        v = x[n, c, h, w]
                        nan |= v != v
                        if v > best:                # strict: the first maximum wins
                            best, at = v, h * W + w
                # A NaN anywhere in the window makes the output NaN, as np.max does (a flag, not a
                # test inside the comparison, which would keep the loop from vectorising).
                out[n, c, oh, ow], where[n, c, oh, ow] = (x.dtype.type(np.nan) if nan else best), at


@njit(parallel=True, cache=True, nogil=True)
def _forward_2x2(x, out, where):
    """_forward for 2x2 windows, stride 2, no padding, every window inside x (VGG's pooling): the
    four comparisons written out, which the compiler turns into straight-line code."""
    W = x.shape[3]
    C, Ho, Wo = out.shape[1], out.shape[2], out.shape[3]
    for plane in prange(out.shape[0] * C):
        n, c = plane // C, plane % C
        for oh in range(Ho):
            h = 2 * oh
            for ow in range(Wo):
                w = 2 * ow
                a, b, d, e = x[n, c, h, w], x[n, c, h, w + 1], x[n, c, h + 1, w], x[n, c, h + 1, w + 1]
                best, at = a, h * W + w                      # row-major order, strict >: the first max wins
                if b > best:
                    best, at = b, h * W + w + 1
                if d > best:
                    best, at = d, (h + 1) * W + w
                if e > best:
                    best, at = e, (h + 1) * W + w + 1
                nan = (a != a) | (b != b) | (d != d) | (e != e)
                out[n, c, oh, ow], where[n, c, oh, ow] = (x.dtype.type(np.nan) if nan else best), at


@njit(parallel=True, cache=True, nogil=True)
def _backward(dout, where, W, dx):
    N, C = dout.shape[0], dout.shape[1]
    Ho, Wo = dout.shape[2], dout.shape[3]
    for plane in prange(N * C):                     # a plane's windows only touch that plane: no races
        n, c = plane // C, plane % C
        dx[n, c] = 0
        for oh in range(Ho):
            for ow in range(Wo):
                at = where[n, c, oh, ow]
                dx[n, c, at // W, at % W] += dout[n, c, oh, ow]


@njit(parallel=True, cache=True, nogil=True)
def _backward_2x2(dout, where, zero, dx):
    """_backward for 2x2 windows, stride 2, that tile x exactly (H = 2 Ho, W = 2 Wo): each pixel
    lies in one window, so it is written once, with its window's gradient if it won and 0 if not,
    and dx needs no pass to zero it first."""
    C, Ho, Wo, W = dout.shape[1], dout.shape[2], dout.shape[3], dx.shape[3]
    for plane in prange(dout.shape[0] * C):
        n, c = plane // C, plane % C
        for oh in range(Ho):
            h = 2 * oh
            for ow in range(Wo):
                w, at, g = 2 * ow, where[n, c, oh, ow], zero + dout[n, c, oh, ow]    # 0 + g, as _backward adds
                dx[n, c, h, w] = g if at == h * W + w else zero
                dx[n, c, h, w + 1] = g if at == h * W + w + 1 else zero
                dx[n, c, h + 1, w] = g if at == (h + 1) * W + w else zero
                dx[n, c, h + 1, w + 1] = g if at == (h + 1) * W + w + 1 else zero


def maxpool_forward(x, size, stride=None, pad=0, ceil_mode=False):
    """As maxpool.maxpool_forward: x (N, C, H, W) -> out (N, C, Ho, Wo) and a cache that holds
    the winners' flat indices (N, C, Ho, Wo), int32, into each H*W map, and whether the windows
    tile x exactly (2x2, stride 2, even H and W: the backward's own kernel)."""
    k, s, p, out_hw = pool_geometry("maxpool_forward", x, size, stride, pad, ceil_mode)
    x = np.ascontiguousarray(x)
    out = buffers.empty(x.shape[:2] + out_hw, x.dtype)
    where = np.empty(x.shape[:2] + out_hw, dtype=np.int32)        # H*W < 2**31: MAX_PIXELS is far below
    if k == s == (2, 2) and p == (0, 0) and 2 * out_hw[0] <= x.shape[2] and 2 * out_hw[1] <= x.shape[3]:
        _forward_2x2(x, out, where)
    else:
        _forward(x, k[0], k[1], s[0], s[1], p[0], p[1], out, where)
    tiled = k == s == (2, 2) and p == (0, 0) and 2 * out_hw[0] == x.shape[2] and 2 * out_hw[1] == x.shape[3]
    return out, (x.shape, where, tiled)


def maxpool_backward(dout, cache):
    """As maxpool.maxpool_backward: dout (N, C, Ho, Wo) -> dx (N, C, H, W)."""
    x_shape, where, tiled = cache
    checks.same_shape("maxpool_backward", "dout", dout, where.shape)
    dx = buffers.empty(x_shape, dout.dtype)
    if tiled:
        _backward_2x2(np.ascontiguousarray(dout), where, dout.dtype.type(0), dx)
    else:
        _backward(np.ascontiguousarray(dout), where, x_shape[3], dx)
    return dx
