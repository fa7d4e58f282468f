"""Inverted dropout: zero each input with probability p while training, and scale the rest by
1/(1-p), so that the expected output equals the input and inference is just the identity.
"""
from .. import checks
from ..backend import get_array_module


def dropout_forward(x, p=0.5, train=False, seed=None):
    """x: any shape. p: drop probability in [0, 1). train=False (inference) returns x unchanged.

    Returns out (shape of x) and cache = the scaled keep-mask (None at inference).
    seed: an int for a reproducible mask.
    """
    p = checks.probability("dropout_forward", "p", p)
    if not train or p == 0:
        return x, None
    xp = get_array_module(x)
    keep = xp.random.RandomState(seed).random_sample(x.shape) >= p
    mask = keep.astype(x.dtype) / x.dtype.type(1 - p)
    return x * mask, mask


def dropout_backward(dout, cache):
    """dout: shape of x. Returns dx: dout through the same mask (unchanged at inference)."""
    mask = cache
    return dout if mask is None else dout * mask
