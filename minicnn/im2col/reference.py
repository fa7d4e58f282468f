"""im2col / col2im in plain NumPy: the readable definition the fast kernels are tested against.

Layout (shared by every implementation):

    x     (N, C, H, W)
    cols  (N, C*kh*kw, Ho*Wo)    cols[n, (c*kh + i)*kw + j, oh*Wo + ow]
                                   = x[n, c, oh*sh - ph + i, ow*sw - pw + j]   (``fill`` outside x)

so that a convolution is one matrix product per image: w.reshape(F, C*kh*kw) @ cols[n].
The output size (Ho, Wo) is given by the caller, which is how windows may overhang the
bottom/right edge (Caffe's ceil-mode pooling): whatever lies outside x reads as ``fill``.
col2im is the adjoint: it adds every column entry back onto the pixel it was copied from and
drops entries that came from outside x.

Both loop over the kh*kw kernel offsets only; each step moves a whole strided slice at once.
"""
import numpy as np


def _padded_extent(size, k, s, p, out):
    """Rows needed to hold x after top padding p and every window (the last may overhang)."""
    return max(size + p, (out - 1) * s + k)


def im2col(x, kh, kw, stride, pad, out_hw, fill=0.0):
    """x (N, C, H, W) -> cols (N, C*kh*kw, Ho*Wo)."""
    N, C, H, W = x.shape
    (sh, sw), (ph, pw), (Ho, Wo) = stride, pad, out_hw
    Hp, Wp = _padded_extent(H, kh, sh, ph, Ho), _padded_extent(W, kw, sw, pw, Wo)
    xp = np.full((N, C, Hp, Wp), fill, dtype=x.dtype)
    xp[:, :, ph:ph + H, pw:pw + W] = x
    cols = np.empty((N, C, kh, kw, Ho, Wo), dtype=x.dtype)
    for i in range(kh):
        for j in range(kw):
            cols[:, :, i, j] = xp[:, :, i:i + sh * Ho:sh, j:j + sw * Wo:sw]
    return cols.reshape(N, C * kh * kw, Ho * Wo)


def col2im(cols, x_shape, kh, kw, stride, pad, out_hw):
    """cols (N, C*kh*kw, Ho*Wo) -> dx (N, C, H, W), summing overlapping windows."""
    N, C, H, W = x_shape
    (sh, sw), (ph, pw), (Ho, Wo) = stride, pad, out_hw
    Hp, Wp = _padded_extent(H, kh, sh, ph, Ho), _padded_extent(W, kw, sw, pw, Wo)
    dxp = np.zeros((N, C, Hp, Wp), dtype=cols.dtype)
    cols = cols.reshape(N, C, kh, kw, Ho, Wo)
    for i in range(kh):
        for j in range(kw):
            # For a fixed offset (i, j) the strided slice hits distinct pixels, so += is exact.
            dxp[:, :, i:i + sh * Ho:sh, j:j + sw * Wo:sw] += cols[:, :, i, j]
    return np.ascontiguousarray(dxp[:, :, ph:ph + H, pw:pw + W])
