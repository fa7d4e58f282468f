"""Concatenation along channels: how SqueezeNet's fire modules join their two expand branches.

The backward pass simply cuts the gradient back into the pieces the inputs contributed.
"""
from ..backend import get_array_module
from ..errors import ShapeError


def concat_forward(xs):
    """xs: a list of arrays (N, C_i, H, W) that agree in every axis but 1.

    Returns out (N, sum C_i, H, W) and cache = the list of C_i.
    """
    if len(xs) == 0:
        raise ShapeError("concat_forward: needs at least one input")
    first = xs[0]
    for i, x in enumerate(xs):
        if x.ndim < 2 or x.ndim != first.ndim or x.shape[:1] + x.shape[2:] != first.shape[:1] + first.shape[2:]:
            shapes = ", ".join(str(tuple(a.shape)) for a in xs)
            raise ShapeError(f"concat_forward: inputs must agree in every axis but the channel "
                             f"axis 1; got shapes {shapes}")
    xp = get_array_module(*xs)
    return xp.concatenate(xs, axis=1), [x.shape[1] for x in xs]


def concat_backward(dout, cache):
    """dout: (N, sum C_i, ...). Returns a list of gradients, one (N, C_i, ...) per input."""
    sizes = cache
    if dout.shape[1] != sum(sizes):
        raise ShapeError(f"concat_backward: dout has {dout.shape[1]} channels (shape {dout.shape}), "
                         f"the inputs had {sum(sizes)}")
    pieces, start = [], 0
    for c in sizes:
        pieces.append(dout[:, start:start + c])
        start += c
    return pieces
