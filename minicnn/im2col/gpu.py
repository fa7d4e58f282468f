"""im2col / col2im as CUDA kernels through CuPy: the GPU versions.

Same layout and meaning as ``reference.py``. One CUDA thread per output element:

* im2col: a thread per entry of cols computes which pixel of x it copies (or ``fill``).
* col2im: a thread per pixel of dx *gathers* every column entry that was copied from it.
  Gathering instead of scattering means no atomics, and the sum is deterministic.

Only imported when CuPy is in use; the kernels are compiled on first call (CuPy caches them).
"""
import cupy

_im2col_kernel = cupy.ElementwiseKernel(
    "raw T x, int32 C, int32 H, int32 W, int32 kh, int32 kw, int32 sh, int32 sw, "
    "int32 ph, int32 pw, int32 Ho, int32 Wo, T fill",
    "T col",
    """
    // i indexes cols (N, C*kh*kw, Ho*Wo) in C order.
    const int L = Ho * Wo, K = C * kh * kw;
    const int l = i % L, row = (i / L) % K, n = i / (L * K);
    const int c = row / (kh * kw), ki = (row / kw) % kh, kj = row % kw;
    const int h = (l / Wo) * sh - ph + ki, w = (l % Wo) * sw - pw + kj;
    col = (h >= 0 && h < H && w >= 0 && w < W) ? x[((n * C + c) * H + h) * W + w] : fill;
    """,
    "minicnn_im2col",
)

_col2im_kernel = cupy.ElementwiseKernel(
    "raw T cols, int32 C, int32 H, int32 W, int32 kh, int32 kw, int32 sh, int32 sw, "
    "int32 ph, int32 pw, int32 Ho, int32 Wo",
    "T dx",
    """
    // i indexes dx (N, C, H, W) in C order.
    const int w = i % W, h = (i / W) % H, c = (i / (W * H)) % C, n = i / (W * H * C);
    const int L = Ho * Wo, K = C * kh * kw;
    T acc = 0;
    for (int ki = 0; ki < kh; ++ki) {
        const int th = h + ph - ki;              // = oh * sh for a window that covers row h
        if (th < 0 || th % sh != 0 || th / sh >= Ho) continue;
        for (int kj = 0; kj < kw; ++kj) {
            const int tw = w + pw - kj;
            if (tw < 0 || tw % sw != 0 || tw / sw >= Wo) continue;
            acc += cols[(n * K + (c * kh + ki) * kw + kj) * L + (th / sh) * Wo + tw / sw];
        }
    }
    dx = acc;
    """,
    "minicnn_col2im",
)


def im2col(x, kh, kw, stride, pad, out_hw, fill=0.0):
    """x (N, C, H, W) -> cols (N, C*kh*kw, Ho*Wo); see reference.im2col."""
    x = cupy.ascontiguousarray(x)
    N, C, H, W = x.shape
    (sh, sw), (ph, pw), (Ho, Wo) = stride, pad, out_hw
    cols = cupy.empty((N, C * kh * kw, Ho * Wo), dtype=x.dtype)
    _im2col_kernel(x, C, H, W, kh, kw, sh, sw, ph, pw, Ho, Wo, x.dtype.type(fill), cols)
    return cols


def col2im(cols, x_shape, kh, kw, stride, pad, out_hw):
    """cols (N, C*kh*kw, Ho*Wo) -> dx (N, C, H, W); see reference.col2im."""
    cols = cupy.ascontiguousarray(cols)
    N, C, H, W = x_shape
    (sh, sw), (ph, pw), (Ho, Wo) = stride, pad, out_hw
    dx = cupy.empty(x_shape, dtype=cols.dtype)
    _col2im_kernel(cols, C, H, W, kh, kw, sh, sw, ph, pw, Ho, Wo, dx)
    return dx
