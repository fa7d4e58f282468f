"""The arrays a student's copy is graded against: minicnn's own functions, run here on fixed
inputs, saved in the copy as tests/reference/PART.npz. Arrays only: the copy holds no code of
an answer. Where a common mistake is known, what it gives on the same inputs is saved too
(under "mistake: ..."), so that a failing test can say which mistake it is.

Each function returns {name: array}; the grading tests (grading/) read the same names.
"""
import io

import numpy as np

# (x shape, kh, kw, stride, pad, output size): odd sizes, strides, padding, a window that
# overhangs the bottom-right edge (ceil-mode pooling), a non-square kernel
IM2COL_GEOMETRIES = [((2, 3, 7, 7), 3, 3, (1, 1), (1, 1), (7, 7)),
                     ((1, 2, 9, 7), 3, 3, (2, 2), (1, 1), (5, 4)),
                     ((1, 2, 7, 7), 3, 3, (2, 2), (0, 0), (4, 4)),
                     ((2, 2, 8, 9), 3, 5, (2, 1), (0, 2), (3, 9)),
                     ((1, 1, 5, 5), 1, 1, (1, 1), (0, 0), (5, 5))]

# max pooling on inputs with many ties (small whole numbers): (N, C, H, W), size, stride, pad, ceil
TIE_POOLS = [((2, 2, 6, 6), 2, 2, 0, False), ((1, 3, 7, 7), 3, 2, 1, True), ((1, 2, 5, 6), 3, 1, 0, False)]


def im2col():
    from ..im2col import reference
    out = {}
    for g, (shape, kh, kw, stride, pad, hw) in enumerate(IM2COL_GEOMETRIES):
        rng = np.random.RandomState(g)
        x = rng.randn(*shape)
        cols = rng.randn(shape[0], shape[1] * kh * kw, hw[0] * hw[1])
        out[f"{g}/x"], out[f"{g}/cols"] = x, cols
        for fill in (0.0, -np.inf):
            out[f"{g}/im2col fill {fill}"] = reference.im2col(x, kh, kw, stride, pad, hw, fill)
        out[f"{g}/col2im"] = reference.col2im(cols, shape, kh, kw, stride, pad, hw)
        # mistakes: the padding filled with 0 whatever ``fill`` says; the rows in (i, j, c) order
        out[f"{g}/mistake: padding read as 0, not fill"] = reference.im2col(x, kh, kw, stride, pad, hw, 0.0)
        C = shape[1]
        out[f"{g}/mistake: rows ordered (i, j, c), not (c, i, j)"] = out[f"{g}/im2col fill 0.0"].reshape(
            shape[0], C, kh * kw, -1).transpose(0, 2, 1, 3).reshape(shape[0], C * kh * kw, -1)
        out[f"{g}/mistake: overlapping windows overwrite instead of adding up"] = _col2im_overwriting(
            cols, shape, kh, kw, stride, pad, hw)
    return out


def _col2im_overwriting(cols, shape, kh, kw, stride, pad, hw):
    """col2im with = instead of += across kernel offsets: the mistake, for its message."""
    from ..im2col.reference import _padded_extent
    N, C, H, W = shape
    (sh, sw), (ph, pw), (Ho, Wo) = stride, pad, hw
    dxp = np.zeros((N, C, _padded_extent(H, kh, sh, ph, Ho), _padded_extent(W, kw, sw, pw, Wo)))
    c = cols.reshape(N, C, kh, kw, Ho, Wo)
    for i in range(kh):
        for j in range(kw):
            dxp[:, :, i:i + sh * Ho:sh, j:j + sw * Wo:sw] = c[:, :, i, j]
    return dxp[:, :, ph:ph + H, pw:pw + W]


def relu():
    from ..layers import relu_backward, relu_forward
    rng = np.random.RandomState(0)
    x, dout = rng.randn(2, 3, 4, 5), rng.randn(2, 3, 4, 5)
    x[0, 0, 0, :2] = 0.0                                   # the derivative at 0 is taken to be 0
    _, cache = relu_forward(x)
    out = {"x": x, "dout": dout}
    for mode in ("backprop", "deconvnet", "guided"):
        out[mode] = relu_backward(dout, cache, mode=mode)
    return out


def maxpool():
    from ..im2col import reference
    from ..layers import maxpool_backward, maxpool_forward
    from ..layers.maxpool import _windows
    out = {}
    for g, (shape, size, stride, pad, ceil) in enumerate(TIE_POOLS):
        rng = np.random.RandomState(g)
        x = rng.randint(0, 3, shape).astype(np.float64)                # ties in almost every window
        y, cache = maxpool_forward(x, size, stride, pad, ceil)
        dout = rng.randn(*y.shape)
        out[f"{g}/x"], out[f"{g}/dout"], out[f"{g}/dx"] = x, dout, maxpool_backward(dout, cache)
        # the mistake: the gradient to every input equal to the window's max
        x_, _, k, s, p, hw = cache
        N, C, H, W = x.shape
        cols = _windows(x_, k, s, p, hw)
        every = (cols == y.reshape(N * C, 1, -1)) * dout.reshape(N * C, 1, -1)
        out[f"{g}/mistake: the gradient goes to every tied maximum, not the first"] = reference.col2im(
            every, (N * C, 1, H, W), k[0], k[1], s, p, hw).reshape(x.shape)
    return out


def optimizers():
    from ..train import optim
    w, g = np.array([1.0, -2.0, 0.5, 3.0]), np.array([0.5, -1.0, 0.0, 2.0])
    out = {"w": w, "g": g}

    def steps(update, **kw):
        w1, s = update(w, g, {}, **kw)
        w2, _ = update(w1, 2 * g, s, **kw)
        return np.stack([w1, w2])
    out["sgd momentum"] = steps(optim.sgd, lr=0.1, momentum=0.9)
    out["sgd nesterov weight decay"] = steps(optim.sgd, lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.01)
    out["adam"] = steps(optim.adam, lr=0.01)
    out["adam weight decay"] = steps(optim.adam, lr=0.01, weight_decay=0.1)
    # mistakes, on the same steps
    out["sgd momentum/mistake: the velocity not kept from step to step"] = steps(optim.sgd, lr=0.1, momentum=0.0)
    out["adam/mistake: no bias correction"] = steps(_adam_uncorrected, lr=0.01)
    out["adam weight decay/mistake: weight decay added to the gradient (L2), not decoupled"] = steps(
        lambda w, g, s, lr: optim.adam(w, g + 0.1 * w, s, lr), lr=0.01)
    return out


def _adam_uncorrected(w, g, state, lr, beta1=0.9, beta2=0.999, eps=1e-8):
    """Adam without its bias correction: the mistake, for its message."""
    m = beta1 * state.get("m", 0) + (1 - beta1) * g
    v = beta2 * state.get("v", 0) + (1 - beta2) * g * g
    return w - lr * m / (np.sqrt(v) + eps), {"m": m, "v": v}


PARTS = {"im2col": im2col, "relu": relu, "maxpool": maxpool, "optimizers": optimizers}


def npz(part):
    """The part's arrays as the bytes of an .npz file."""
    buffer = io.BytesIO()
    np.savez(buffer, **PARTS[part]())
    return buffer.getvalue()
