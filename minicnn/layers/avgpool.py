"""Average pooling, including global average pooling (SqueezeNet's pool10).

Each output is the mean of its window; the gradient is shared equally by the window's inputs.
As in Caffe and PyTorch, zero padding counts in the divisor, but the part of a ceil-mode
window that overhangs the padded input does not.

Relevance (LRP) is shared among a window's inputs in proportion to their values:
R_in = x * avgpool_backward(R / z), z the window's mean (the divisors cancel).
"""
from .. import checks, im2col
from ..backend import get_array_module
from .pool_common import pool_geometry
from .relevance import divide


def _divisors(xp, dtype, H, W, k, s, p, Ho, Wo):
    """(Ho*Wo,) number of cells of each window inside the padded input [-p, size + p)."""
    def counts(size, k, s, p, n):
        start = xp.arange(n) * s - p
        return xp.minimum(start + k, size + p) - start
    return (counts(H, k[0], s[0], p[0], Ho)[:, None] * counts(W, k[1], s[1], p[1], Wo)[None, :]
            ).reshape(-1).astype(dtype)


def avgpool_forward(x, size=None, stride=None, pad=0, ceil_mode=False):
    """x: (N, C, H, W). size=None means global average pooling: out (N, C, 1, 1).

    Otherwise size, stride (default: size), pad are an int or (h, w) pair; out (N, C, Ho, Wo).
    Returns (out, cache).
    """
    fn = "avgpool_forward"
    if size is None:
        checks.rank(fn, "x", x, 4)
        checks.floating(fn, "x", x)
        return x.mean(axis=(2, 3), keepdims=True), (x.shape, None)
    k, s, p, (Ho, Wo) = pool_geometry(fn, x, size, stride, pad, ceil_mode)
    N, C, H, W = x.shape
    xp = get_array_module(x)
    div = _divisors(xp, x.dtype, H, W, k, s, p, Ho, Wo)
    cols = im2col.im2col(x.reshape(N * C, 1, H, W), k[0], k[1], s, p, (Ho, Wo))
    out = (cols.sum(axis=1) / div).reshape(N, C, Ho, Wo)
    return out, (x.shape, (k, s, p, (Ho, Wo), div))


def avgpool_backward(dout, cache):
    """dout: (N, C, Ho, Wo) (or (N, C, 1, 1) for global pooling). Returns dx (N, C, H, W)."""
    x_shape, geometry = cache
    N, C, H, W = x_shape
    xp = get_array_module(dout)
    if geometry is None:
        checks.same_shape("avgpool_backward", "dout", dout, (N, C, 1, 1))
        return xp.broadcast_to(dout / (H * W), x_shape).copy()
    k, s, p, (Ho, Wo), div = geometry
    checks.same_shape("avgpool_backward", "dout", dout, (N, C, Ho, Wo))
    share = dout.reshape(N * C, 1, Ho * Wo) / div                        # each input's share
    dcols = xp.broadcast_to(share, (N * C, k[0] * k[1], Ho * Wo))
    dx = im2col.col2im(dcols, (N * C, 1, H, W), k[0], k[1], s, p, (Ho, Wo))
    return dx.reshape(x_shape)


def avgpool_relevance(R, cache, x, out):
    """R (N, C, Ho, Wo) at the output ``out`` -> R_in shaped like x (N, C, H, W), the pooled
    input: each window's relevance shared in proportion to its inputs' values."""
    checks.same_shape("avgpool_relevance", "R", R, out.shape)
    return x * avgpool_backward(divide(R, out), cache)
