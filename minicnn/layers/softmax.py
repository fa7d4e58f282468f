"""Softmax as a layer (the networks' final "prob"), and the softmax cross-entropy loss.

    p = exp(s - max s) / sum exp(s - max s)        (subtracting the max changes nothing but
                                                   keeps exp from overflowing)
Backward of the layer, for any upstream gradient g:  ds = p * (g - sum(g * p)).
Backward of the loss -log p_y averaged over N:       ds = (p - onehot(y)) / N.
"""
import numpy as np

from .. import checks
from ..backend import get_array_module
from ..errors import ArgumentError, ShapeError


def _softmax(xp, s, axis):
    e = xp.exp(s - s.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def softmax_forward(x, axis=1):
    """x: (N, K) or (N, K, 1, 1) class scores. Returns probabilities p (same shape), cache = p."""
    checks.floating("softmax_forward", "x", x)
    if x.ndim < 2:
        raise ShapeError(f"softmax_forward: x must be (N, K, ...), got shape {x.shape}")
    p = _softmax(get_array_module(x), x, axis)
    return p, (p, axis)


def softmax_backward(dout, cache):
    """dout: gradient with respect to p (shape of x). Returns dx (shape of x)."""
    p, axis = cache
    checks.same_shape("softmax_backward", "dout", dout, p.shape)
    return p * (dout - (dout * p).sum(axis=axis, keepdims=True))


def softmax_loss(scores, y):
    """Mean cross-entropy of softmax(scores) against integer labels.

    scores: (N, K) unnormalized class scores; y: (N,) integer labels in [0, K).
    Returns (loss, dscores) with loss a Python float and dscores (N, K).
    """
    fn = "softmax_loss"
    checks.rank(fn, "scores", scores, 2)
    checks.floating(fn, "scores", scores)
    checks.finite(fn, "scores", scores)
    xp = get_array_module(scores)
    N, K = scores.shape
    y = xp.asarray(y)
    if y.shape != (N,) or not np.issubdtype(y.dtype, np.integer):
        raise ShapeError(f"{fn}: y must be {N} integer labels (shape ({N},)), got shape {y.shape} "
                         f"dtype {y.dtype}")
    if N and (int(y.min()) < 0 or int(y.max()) >= K):
        raise ArgumentError(f"{fn}: labels must be in [0, {K}), got range [{int(y.min())}, {int(y.max())}]")
    shifted = scores - scores.max(axis=1, keepdims=True)
    log_p = shifted - xp.log(xp.exp(shifted).sum(axis=1, keepdims=True))
    rows = xp.arange(N)
    loss = -float(log_p[rows, y].sum()) / N
    dscores = xp.exp(log_p)
    dscores[rows, y] -= 1
    return loss, dscores / N
