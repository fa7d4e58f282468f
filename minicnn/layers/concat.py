"""Concatenation along channels: how SqueezeNet's fire modules join their two expand branches.

The backward pass simply cuts the gradient back into the pieces the inputs contributed, and
relevance (LRP) is cut the same way: each channel's relevance belongs to the input it came from.
"""
from ..backend import get_array_module
from ..errors import ShapeError


def concat_shape(fn, shapes, axis):
    """The shape of the concatenation of arrays of these shapes along ``axis``; they must agree
    in every other axis. axis is 1 for batches (N, C, H, W), 0 for single examples (C, H, W)."""
    if len(shapes) == 0:
        raise ShapeError(f"{fn}: needs at least one input")
    first = tuple(shapes[0])
    if any(len(s) <= axis or len(s) != len(first) or s[:axis] + s[axis + 1:] != first[:axis] + first[axis + 1:]
           for s in map(tuple, shapes)):
        raise ShapeError(f"{fn}: inputs must agree in every axis but the channel axis {axis}; "
                         f"got shapes {', '.join(str(tuple(s)) for s in shapes)}")
    return first[:axis] + (sum(s[axis] for s in shapes),) + first[axis + 1:]


def concat_forward(xs):
    """xs: a list of arrays (N, C_i, H, W) that agree in every axis but 1.

    Returns out (N, sum C_i, H, W) and cache = the list of C_i.
    """
    concat_shape("concat_forward", [x.shape for x in xs], axis=1)
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


concat_relevance = concat_backward        # R (N, sum C_i, ...) -> a list of R_i (N, C_i, ...)
