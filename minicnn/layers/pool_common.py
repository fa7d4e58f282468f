"""What max and average pooling share: window geometry and Caffe's ceil-mode rounding."""
from .. import checks
from ..errors import ShapeError


def pool_output_size(size, k, s, p, ceil_mode):
    """Number of windows along one axis of length ``size`` (kernel k, stride s, padding p).

    floor mode (the default everywhere): (size + 2p - k) // s + 1 windows, all inside the
    padded input. ceil mode (Caffe): round up instead, so a last, partial window overhangs the
    bottom/right edge; but never start a window past the last real pixel. Caffe applies that
    guard only when p > 0, so with k < s (1x1 stride 2) it makes a window holding no pixel at
    all; like PyTorch, minicnn applies it always. The two agree whenever Caffe's is meaningful.
    """
    if not ceil_mode:
        return (size + 2 * p - k) // s + 1
    out = -(-(size + 2 * p - k) // s) + 1
    if (out - 1) * s >= size + p:
        out -= 1
    return out


def window_geometry(fn, H, W, size, stride, pad, ceil_mode):
    """Check a pooling window on an H x W map; return (k, s, p, (Ho, Wo)), each an (h, w) pair."""
    k = checks.pair(fn, "size", size, 1)
    s = checks.pair(fn, "stride", k if stride is None else stride, 1)
    p = checks.pair(fn, "pad", pad, 0)
    if p[0] > k[0] // 2 or p[1] > k[1] // 2:
        # A larger pad would allow windows made only of padding.
        raise ShapeError(f"{fn}: pad {p} must be at most half the window {k}")
    if k[0] > H + 2 * p[0] or k[1] > W + 2 * p[1]:
        raise ShapeError(f"{fn}: window {k[0]}x{k[1]} is larger than the padded input "
                         f"{H + 2 * p[0]}x{W + 2 * p[1]} (input {H}x{W}, pad {p})")
    out_hw = (pool_output_size(H, k[0], s[0], p[0], ceil_mode),
              pool_output_size(W, k[1], s[1], p[1], ceil_mode))
    return k, s, p, out_hw


def pool_geometry(fn, x, size, stride, pad, ceil_mode):
    """Check a pooling layer's input and arguments; see window_geometry."""
    checks.rank(fn, "x", x, 4)
    checks.floating(fn, "x", x)
    return window_geometry(fn, x.shape[2], x.shape[3], size, stride, pad, ceil_mode)
