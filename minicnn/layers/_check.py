"""Argument checks shared by the layers: every message names the function and the shapes."""
import numbers

import numpy as np

from ..backend import get_array_module
from ..errors import ShapeError


def rank(fn, name, a, ndim):
    """Refuse an array of the wrong rank, e.g. an image of shape (H, W, 3) given to a conv."""
    if getattr(a, "ndim", None) != ndim:
        shape = getattr(a, "shape", type(a).__name__)
        raise ShapeError(f"{fn}: {name} must have {ndim} dimensions, got shape {shape}")


def floating(fn, name, a):
    if not np.issubdtype(a.dtype, np.floating):
        raise ShapeError(f"{fn}: {name} must be a float array, got dtype {a.dtype}")


def pair(fn, name, value, minimum):
    """An int or (h, w) pair of ints >= minimum, as a tuple of two Python ints."""
    items = value if isinstance(value, (tuple, list)) else (value, value)
    if len(items) != 2:
        raise ShapeError(f"{fn}: {name} must be an int or a pair of ints, got {value!r}")
    out = []
    for v in items:
        if isinstance(v, (bool, np.bool_)) or not isinstance(v, numbers.Integral):
            raise ShapeError(f"{fn}: {name} must be an int or a pair of ints, got {value!r}")
        if v < minimum:
            raise ShapeError(f"{fn}: {name} must be >= {minimum}, got {value!r}")
        out.append(int(v))
    return tuple(out)


def same_shape(fn, name, a, shape):
    if tuple(a.shape) != tuple(shape):
        raise ShapeError(f"{fn}: {name} has shape {tuple(a.shape)}, expected {tuple(shape)}")


def finite(fn, name, a):
    """Refuse NaN/inf where it would silently poison everything downstream."""
    xp = get_array_module(a)
    if not bool(xp.isfinite(a).all()):
        raise ShapeError(f"{fn}: {name} (shape {tuple(a.shape)}) contains NaN or inf")
