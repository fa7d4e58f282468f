"""im2col / col2im as Numba kernels: the CPU versions used on every hot path.

Same layout and meaning as ``reference.py`` (read that first). The loops are written out one
pixel at a time, which Numba compiles to tight machine code; ``prange`` spreads independent
work over the cores:

* im2col: one task per (image, row of cols); each task writes its own contiguous row.
* col2im: one task per (image, channel, input row); each task owns one row of dx, so no two
  tasks ever add into the same pixel and no atomics or locks are needed.
"""
import numpy as np
from numba import njit, prange

from ..fast import buffers


@njit(cache=True, inline="always")
def _valid_columns(j, sw, pw, W, Wo):
    """The range [lo, hi) of output columns ow whose input column ow*sw - pw + j lies in [0, W)."""
    lo = max(0, -((j - pw) // sw))                 # ceil((pw - j) / sw)
    hi = min(Wo, (W - 1 + pw - j) // sw + 1)
    return lo, max(lo, hi)


@njit(parallel=True, cache=True, nogil=True)
def _im2col(x, kh, kw, sh, sw, ph, pw, Ho, Wo, fill, cols):
    N, C, H, W = x.shape
    K = C * kh * kw
    for task in prange(N * K):
        n, row = task // K, task % K
        c, ij = row // (kh * kw), row % (kh * kw)
        i, j = ij // kw, ij % kw
        for oh in range(Ho):
            h = oh * sh - ph + i
            base = oh * Wo
            if h < 0 or h >= H:
                for ow in range(Wo):
                    cols[n, row, base + ow] = fill
                continue
            for ow in range(Wo):
                w = ow * sw - pw + j
                if 0 <= w < W:
                    cols[n, row, base + ow] = x[n, c, h, w]
                else:
                    cols[n, row, base + ow] = fill


@njit(parallel=True, cache=True, nogil=True)
def _col2im(cols, kh, kw, sh, sw, ph, pw, Ho, Wo, dx):
    N, C, H, W = dx.shape
    for task in prange(N * C * H):
        n, c, h = task // (C * H), (task // H) % C, task % H
        for w in range(W):
            dx[n, c, h, w] = 0
        for i in range(kh):
            t = h + ph - i                       # = oh * sh for the window that puts offset i on row h
            if t < 0 or t % sh != 0 or t // sh >= Ho:
                continue
            base = (t // sh) * Wo
            for j in range(kw):
                row = (c * kh + i) * kw + j
                lo, hi = _valid_columns(j, sw, pw, W, Wo)
                for ow in range(lo, hi):            # no bounds test inside the hot loop
                    dx[n, c, h, ow * sw - pw + j] += cols[n, row, base + ow]


def im2col(x, kh, kw, stride, pad, out_hw, fill=0.0):
    """x (N, C, H, W) -> cols (N, C*kh*kw, Ho*Wo); see reference.im2col."""
    x = np.ascontiguousarray(x)
    N, C = x.shape[:2]
    (sh, sw), (ph, pw), (Ho, Wo) = stride, pad, out_hw
    cols = buffers.empty((N, C * kh * kw, Ho * Wo), x.dtype)
    _im2col(x, kh, kw, sh, sw, ph, pw, Ho, Wo, x.dtype.type(fill), cols)
    return cols


def col2im(cols, x_shape, kh, kw, stride, pad, out_hw):
    """cols (N, C*kh*kw, Ho*Wo) -> dx (N, C, H, W); see reference.col2im."""
    cols = np.ascontiguousarray(cols)
    (sh, sw), (ph, pw), (Ho, Wo) = stride, pad, out_hw
    dx = buffers.empty(x_shape, cols.dtype)
    _col2im(cols, kh, kw, sh, sw, ph, pw, Ho, Wo, dx)
    return dx
