"""Argument checks shared by the layers and by the network description: every message names
the function (or layer) and the values it was given."""
import numbers

import numpy as np

from .backend import get_array_module
from .errors import ArgumentError, ShapeError


def rank(fn, name, a, ndim):
    """Refuse an array of the wrong rank, e.g. an image of shape (H, W, 3) given to a conv."""
    if getattr(a, "ndim", None) != ndim:
        shape = getattr(a, "shape", type(a).__name__)
        raise ShapeError(f"{fn}: {name} must have {ndim} dimensions, got shape {shape}")


def floating(fn, name, a):
    if not np.issubdtype(a.dtype, np.floating):
        raise ShapeError(f"{fn}: {name} must be a float array, got dtype {a.dtype}")


def _is_int(v):
    return isinstance(v, numbers.Integral) and not isinstance(v, (bool, np.bool_))


def integer(fn, name, value, minimum):
    """A Python int >= minimum (a layer's width, a window's size)."""
    if not _is_int(value) or value < minimum:
        raise ShapeError(f"{fn}: {name} must be an int >= {minimum}, got {value!r}")
    return int(value)


def pair(fn, name, value, minimum):
    """An int or (h, w) pair of ints >= minimum, as a tuple of two Python ints."""
    items = tuple(value) if isinstance(value, (tuple, list)) else (value, value)
    if len(items) != 2 or not all(_is_int(v) and v >= minimum for v in items):
        raise ShapeError(f"{fn}: {name} must be an int >= {minimum} or a pair of them, got {value!r}")
    return tuple(int(v) for v in items)


def probability(fn, name, value):
    """A float in [0, 1) (a dropout rate)."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real) or not 0 <= value < 1:
        raise ArgumentError(f"{fn}: {name} must be in [0, 1), got {value!r}")
    return float(value)


def choice(fn, name, value, allowed):
    if value not in allowed:
        raise ArgumentError(f"{fn}: unknown {name} {value!r}; expected one of {', '.join(map(str, allowed))}")
    return value


def same_shape(fn, name, a, shape):
    if tuple(a.shape) != tuple(shape):
        raise ShapeError(f"{fn}: {name} has shape {tuple(a.shape)}, expected {tuple(shape)}")


def finite(fn, name, a):
    """Refuse NaN/inf where it would silently poison everything downstream."""
    xp = get_array_module(a)
    if not bool(xp.isfinite(a).all()):
        raise ArgumentError(f"{fn}: {name} (shape {tuple(a.shape)}) contains NaN or inf")


def boolean(fn, name, value):
    if not isinstance(value, (bool, np.bool_)):
        raise ShapeError(f"{fn}: {name} must be true or false, got {value!r}")
    return bool(value)
