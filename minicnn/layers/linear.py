"""Fully connected (affine) layer: out = x w^T + b.

w has shape (M, D), outputs first, like a conv's (F, C, kh, kw): a fully connected layer is a
convolution whose kernel covers its whole input. An (N, C, H, W) input is flattened in
C, H, W order (row-major), the order Caffe and PyTorch use.

Backward: dx = dout @ w.
Relevance (LRP, relevance.py): R_in = x * ((R / z') @ w'), z' = x w'^T + b' (the rule's w').
"""
from .. import checks
from ..errors import ShapeError
from .relevance import weighted_relevance


def linear_forward(x, w, b):
    """x: (N, D) or (N, d1, d2, ...) with d1*d2*... = D; w: (M, D); b: (M,).

    Returns out (N, M) and cache = (x, w) for linear_backward.
    """
    fn = "linear_forward"
    checks.rank(fn, "w", w, 2)
    checks.floating(fn, "x", x)
    if x.ndim < 2:
        raise ShapeError(f"{fn}: x must be (N, D) or (N, C, H, W), got shape {x.shape}")
    M, D = w.shape
    N = x.shape[0]
    if x[0].size != D:
        raise ShapeError(f"{fn}: x of shape {x.shape} has {x[0].size} features per example "
                         f"but w of shape {w.shape} expects {D}")
    checks.same_shape(fn, "b", b, (M,))
    out = x.reshape(N, D) @ w.T + b
    return out, (x, w)


def linear_backward(dout, cache, params=True):
    """dout: (N, M). Returns (dx, dw, db) shaped like x, w (M, D) and b (M,).

    With params=False, dw and db are None (only dx is computed).
    """
    x, w = cache
    N, (M, D) = x.shape[0], w.shape
    checks.same_shape("linear_backward", "dout", dout, (N, M))
    dx = (dout @ w).reshape(x.shape)
    if not params:
        return dx, None, None
    return dx, dout.T @ x.reshape(N, D), dout.sum(axis=0)


def linear_relevance(R, cache, b, rule="0", **rule_options):
    """Relevance propagation through a fully connected layer: R (N, M) at the output -> R_in
    shaped like x, under ``rule`` (relevance.py; rule_options: eps, gamma, alpha, low, high)."""
    x, w = cache
    checks.same_shape("linear_relevance", "R", R, (x.shape[0], w.shape[0]))
    return weighted_relevance(
        R, x, w, b,
        forward=lambda a, w_, b_: linear_forward(a, w_, b_)[0],
        transpose=lambda s, w_: linear_backward(s, (x, w_), params=False)[0],
        rule=rule, **rule_options)
