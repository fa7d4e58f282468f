"""ReLU, with the three backward rules compared in the lecture.

Forward is always out = max(x, 0). Backward differs in which signal is allowed through:

    backprop   dx = (x > 0) * dout               the true gradient: the forward mask
    deconvnet  dx = (dout > 0) * dout            Zeiler & Fergus: ignores the forward mask,
                                                 passes only positive upstream signal
    guided     dx = (x > 0) * (dout > 0) * dout  Springenberg et al.: both masks at once

Only "backprop" is a gradient; the other two are the rules that make deconvnet and guided
backpropagation images. At x == 0 the ReLU's derivative is taken to be 0.

Relevance (LRP) passes through a ReLU unchanged (R_in = R): the layer below already shared it
out in proportion to the ReLU's output, which is its input where it is not zero.
"""
from .. import checks
from ..backend import get_array_module

RELU_MODES = ("backprop", "deconvnet", "guided")


def relu_forward(x):
    """x: any shape. Returns out = max(x, 0) (same shape) and cache = the mask x > 0."""
    checks.floating("relu_forward", "x", x)
    return get_array_module(x).maximum(x, 0), x > 0


def relu_backward(dout, cache, mode="backprop"):
    """dout: the upstream gradient, same shape as x. Returns dx (same shape) under ``mode``."""
    mask = cache
    checks.same_shape("relu_backward", "dout", dout, mask.shape)
    checks.choice("relu_backward", "mode", mode, RELU_MODES)
    xp = get_array_module(dout)
    # where(..., dout, 0) rather than dout * mask: a blocked negative gradient becomes 0, not -0.
    if mode == "backprop":
        return xp.where(mask, dout, 0)
    if mode == "deconvnet":
        return xp.where(dout > 0, dout, 0)
    return xp.where(mask & (dout > 0), dout, 0)             # guided
