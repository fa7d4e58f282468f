"""Convolution (really cross-correlation, as in every deep-learning library) via im2col + GEMM.

    out[n, f, oh, ow] = b[f] + sum_{c,i,j} w[f, c, i, j] * xpad[n, c, oh*sh + i, ow*sw + j]

im2col copies every receptive window of x into a column, so the whole layer is one matrix
product per image: (F, C*kh*kw) @ (C*kh*kw, Ho*Wo).
The backward pass is two more products:
    dcols = w^T @ dout   (then col2im adds the columns back onto the pixels -> dx)
    dw    = dout @ cols^T
Relevance (LRP, relevance.py) goes back the way dx does, in proportion to each input's share:
    R_in = x * (w'^T @ (R / z'))  with z' = conv_forward(x, w', b') for the rule's weights w'
"""
from .. import checks, im2col
from ..backend import get_array_module
from ..errors import ShapeError
from .relevance import weighted_relevance


def conv_output_size(H, W, kh, kw, stride, pad):
    """Output height and width of a convolution with zero padding ``pad`` on every side."""
    (sh, sw), (ph, pw) = stride, pad
    return (H + 2 * ph - kh) // sh + 1, (W + 2 * pw - kw) // sw + 1


def conv_geometry(fn, H, W, kernel, stride, pad):
    """Check a kernel, stride and padding on an H x W input; return (kh, kw), stride, pad as
    (h, w) pairs and the output size (Ho, Wo). Refuses a kernel larger than the zero-padded
    input (it would have no valid position)."""
    (kh, kw) = checks.pair(fn, "kernel", kernel, 1)
    stride, pad = checks.pair(fn, "stride", stride, 1), checks.pair(fn, "pad", pad, 0)
    if kh > H + 2 * pad[0] or kw > W + 2 * pad[1]:
        raise ShapeError(f"{fn}: kernel {kh}x{kw} is larger than the padded input "
                         f"{H + 2 * pad[0]}x{W + 2 * pad[1]} (input {H}x{W}, pad {pad})")
    return (kh, kw), stride, pad, conv_output_size(H, W, kh, kw, stride, pad)


def check_inputs(fn, x, w, b, stride, pad):
    """Check a conv layer's x (N, C, H, W), w (F, C, kh, kw), b (F,), stride and pad; return
    stride and pad as (h, w) pairs and the output size (Ho, Wo)."""
    checks.rank(fn, "x", x, 4)
    checks.rank(fn, "w", w, 4)
    checks.floating(fn, "x", x)
    C, (F, Cw, kh, kw) = x.shape[1], w.shape
    if Cw != C:
        raise ShapeError(f"{fn}: x has {C} channels (shape {x.shape}) but w expects {Cw} (shape {w.shape})")
    checks.same_shape(fn, "b", b, (F,))
    _, stride, pad, out_hw = conv_geometry(fn, x.shape[2], x.shape[3], (kh, kw), stride, pad)
    return stride, pad, out_hw


def _is_pointwise(kh, kw, stride, pad):
    """A 1x1, stride-1, unpadded conv needs no im2col: cols is x itself, reshaped."""
    return (kh, kw, stride, pad) == (1, 1, (1, 1), (0, 0))


def conv_forward(x, w, b, stride=1, pad=0):
    """Forward pass of a convolutional layer.

    x: (N, C, H, W) input; w: (F, C, kh, kw) filters; b: (F,) biases.
    stride, pad: int or (h, w) pair; padding is zeros, the same on both sides.
    Returns out (N, F, Ho, Wo) with Ho = (H + 2*ph - kh) // sh + 1 (likewise Wo),
    and cache = (x, w, stride, pad) for conv_backward.
    """
    stride, pad, (Ho, Wo) = check_inputs("conv_forward", x, w, b, stride, pad)
    N, C, H, W = x.shape
    F, _, kh, kw = w.shape
    xp = get_array_module(x)
    if _is_pointwise(kh, kw, stride, pad):
        cols = x.reshape(N, C, H * W)
    else:
        cols = im2col.im2col(x, kh, kw, stride, pad, (Ho, Wo))
    out = xp.matmul(w.reshape(F, -1), cols)            # (N, F, Ho*Wo): one GEMM per image
    out += b.reshape(F, 1)
    return out.reshape(N, F, Ho, Wo), (x, w, stride, pad)


def conv_backward(dout, cache, params=True):
    """Backward pass of a convolutional layer.

    dout: (N, F, Ho, Wo) upstream gradient; cache from conv_forward.
    Returns (dx, dw, db) with the shapes of x (N, C, H, W), w (F, C, kh, kw) and b (F,).
    With params=False only dx is computed (dw, db are None): visualizations need nothing else,
    and skipping dw saves an im2col and a GEMM per layer.
    """
    x, w, stride, pad = cache
    N, C, H, W = x.shape
    F, _, kh, kw = w.shape
    Ho, Wo = conv_output_size(H, W, kh, kw, stride, pad)
    checks.same_shape("conv_backward", "dout", dout, (N, F, Ho, Wo))
    xp = get_array_module(dout)
    d = dout.reshape(N, F, Ho * Wo)
    pointwise = _is_pointwise(kh, kw, stride, pad)

    dcols = xp.matmul(w.reshape(F, -1).T, d)            # (N, C*kh*kw, Ho*Wo)
    if pointwise:
        dx = dcols.reshape(N, C, H, W)
    else:
        dx = im2col.col2im(dcols, x.shape, kh, kw, stride, pad, (Ho, Wo))
    if not params:
        return dx, None, None

    # Recomputing cols here costs one im2col but keeps every layer's cols out of memory
    # between forward and backward (most backward passes here never need dw).
    cols = x.reshape(N, C, H * W) if pointwise else im2col.im2col(x, kh, kw, stride, pad, (Ho, Wo))
    dw = xp.matmul(d, cols.transpose(0, 2, 1)).sum(axis=0).reshape(w.shape)
    db = d.sum(axis=(0, 2))
    return dx, dw, db


def conv_relevance(R, cache, b, rule="0", **rule_options):
    """Relevance propagation through a convolution: R (N, F, Ho, Wo) at the output -> R_in
    (N, C, H, W) at the input, under ``rule`` (relevance.py; rule_options: eps, gamma, alpha,
    low, high). The same two halves as backward: this layer's forward with the rule's weights,
    and conv_backward's way from output values back to input values."""
    x, w, stride, pad = cache
    checks.same_shape("conv_relevance", "R", R, (x.shape[0], w.shape[0]) + conv_output_size(
        x.shape[2], x.shape[3], w.shape[2], w.shape[3], stride, pad))
    return weighted_relevance(
        R, x, w, b,
        forward=lambda a, w_, b_: conv_forward(a, w_, b_, stride, pad)[0],
        transpose=lambda s, w_: conv_backward(s, (x, w_, stride, pad), params=False)[0],
        rule=rule, **rule_options)
