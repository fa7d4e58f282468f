"""A network's parameters: drawn at random or given, checked against the architecture, on the device.

    params = make_params(arch, None, np.float32, seed=0)      # He-normal weights, zero biases
    params = make_params(arch, loaded, np.float32)            # {layer: {"W": ..., "b": ...}} checked
"""
import numpy as np

from . import checks
from .backend import is_gpu_array, to_device
from .errors import ShapeError


def make_params(arch, given, dtype, seed=0):
    """{layer: {"W": array, "b": array}} for every layer of Architecture ``arch`` that has
    parameters, cast to ``dtype`` and put on the current device (minicnn.backend). given: the
    same dict with exactly the shapes the architecture implies; the layers it leaves out (all,
    with None) are drawn from ``seed``: He-normal weights (std sqrt(2 / fan-in)), zero biases."""
    if given is not None:
        extra = set(given) - set(arch.param_shapes)
        if extra:
            raise ShapeError(f"parameters given for layers that have none or do not exist: {sorted(extra)}")
    return {name: {key: to_device(_value(arch, name, key, shape, given, dtype, seed), dtype)
                   for key, shape in shapes.items()}
            for name, shapes in arch.param_shapes.items()}


def _value(arch, name, key, shape, given, dtype, seed):
    if given is None or given.get(name) is None:
        rng = np.random.default_rng([seed, arch.layer_names.index(name)])
        draw = np.float64 if np.dtype(dtype) == np.float64 else np.float32
        std = np.sqrt(2.0 / int(np.prod(shape[1:])))       # He initialisation
        return rng.standard_normal(shape, dtype=draw) * draw(std) if key == "W" else np.zeros(shape, draw)
    if key not in given[name]:
        raise ShapeError(f"layer {name!r}: parameter {key} is missing")
    value = given[name][key]
    if tuple(value.shape) != tuple(shape):
        raise ShapeError(f"layer {name!r}: parameter {key} has shape {tuple(value.shape)}, "
                         f"the architecture needs {tuple(shape)}")
    if not is_gpu_array(value):     # on the GPU the check would read a value back per parameter
        checks.finite(f"layer {name!r}", key, value)
    return value
