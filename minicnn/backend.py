"""One place that decides where arrays live: NumPy on the CPU or CuPy on the GPU.

Layer code never imports numpy or cupy directly for computation; it asks for the array module
of the arrays it was given (``get_array_module(x)``), so the same line of code runs on both.
This module only decides where *new* arrays (inputs, parameters) are put:

    minicnn.backend.use("gpu")          # or MINICNN_DEVICE=gpu in the environment
    x = minicnn.to_device(x_numpy)      # numpy -> cupy (no-op on the CPU)
    y = minicnn.to_numpy(y)             # cupy -> numpy (no-op for numpy arrays)

Asking for the GPU when it cannot be used is an error, never a silent fallback to the CPU.
Arrays are float32 unless a function is handed float64 (gradient checks use float64).

It also holds the one switch between the CPU's two engines (the results agree to rounding):

    minicnn.backend.use_fast(False)     # or MINICNN_FAST=0: the readable engine, exactly the code
                                        # of layers/, im2col/reference.py and net.py
    minicnn.backend.use_fast(True)      # the default: the fast engine (minicnn/fast/): Winograd
                                        # F(2x2, 3x3) convolutions, Numba ReLU, max pooling, im2col
    with minicnn.backend.fast_paths(False): ...    # for one block, e.g. to compare
"""
import contextlib
import os

import numpy as np

from .errors import BackendError

DEVICES = ("cpu", "gpu")
DEFAULT_DTYPE = np.float32

FAST_BY_DEFAULT = True   # an assignment's copy says False: its Net then runs the student's layers

_device = None   # resolved lazily, so that `import minicnn` never fails because of the GPU
_cupy = None
_fast = None


def _load_cupy():
    """Import CuPy and check that a CUDA device is there; raise BackendError naming what is missing."""
    global _cupy
    if _cupy is not None:
        return _cupy
    try:
        import cupy
    except ImportError as e:
        raise BackendError(
            "the GPU was requested but CuPy is not installed "
            "(pip install -e \".[cuda12]\" or \".[cuda13]\", matching your CUDA driver): " + str(e)
        ) from None
    try:
        count = cupy.cuda.runtime.getDeviceCount()
    except Exception as e:  # CUDA driver missing or broken: cupy raises its own runtime error types
        raise BackendError(f"the GPU was requested but CuPy cannot reach a CUDA device: {e}") from None
    if count < 1:
        raise BackendError("the GPU was requested but CuPy found no CUDA device")
    _cupy = cupy
    return cupy


def use(device):
    """Choose where new arrays go: "cpu" or "gpu". Returns the array module (numpy or cupy)."""
    global _device
    device = str(device).strip().lower()
    if device not in DEVICES:
        raise BackendError(f"unknown device {device!r}: expected one of {', '.join(DEVICES)}")
    if device == "gpu":
        _load_cupy()
    _device = device
    return array_module()


def device():
    """The current device name; the first call reads MINICNN_DEVICE (default "cpu")."""
    if _device is None:
        use(os.environ.get("MINICNN_DEVICE", "cpu") or "cpu")
    return _device


def array_module():
    """numpy or cupy: the module that creates arrays on the current device."""
    return _cupy if device() == "gpu" else np


def get_array_module(*arrays):
    """The array module the given arrays belong to (cupy if any is a cupy array, else numpy)."""
    if _cupy is not None:
        for a in arrays:
            if isinstance(a, _cupy.ndarray):
                return _cupy
    return np


def is_gpu_array(a):
    return _cupy is not None and isinstance(a, _cupy.ndarray)


def to_device(a, dtype=None):
    """Move an array (or anything array-like) to the current device, optionally casting it."""
    xp = array_module()
    if xp is np:
        a = to_numpy(a)
        return a if dtype is None else a.astype(dtype, copy=False)
    return xp.asarray(a, dtype=dtype)


def beside(a, like, dtype, copy=False):
    """``a`` cast to ``dtype`` on the device where the array ``like`` lives (copied over from the
    other device if need be); like=None leaves it where it is. copy=True: always a new array."""
    if like is not None and is_gpu_array(a) != is_gpu_array(like):
        a = get_array_module(like).asarray(a) if is_gpu_array(like) else to_numpy(a)
    return a.astype(dtype, copy=copy)


def on_device(*arrays, dtype=None):
    """The arrays moved to the current device (and cast to dtype), as a tuple: a loop's constants
    (an ImageSpace's pixel step and bounds), moved once rather than at every step."""
    return tuple(to_device(a, dtype) for a in arrays)


def to_numpy(a):
    """A NumPy array with the same values (copies from the GPU when needed)."""
    if is_gpu_array(a):
        return _cupy.asnumpy(a)
    return np.asarray(a)


def to_floats(values):
    """Python floats from a list of numbers a loop recorded (0-d device arrays, NumPy or Python
    numbers), read back from the device in one copy rather than one per value."""
    if not values:
        return []
    return [float(v) for v in to_numpy(get_array_module(*values).stack(values))]


def ndimage(a):
    """scipy.ndimage, or its CuPy twin (cupyx.scipy.ndimage) for an array on the GPU: zoom,
    gaussian_filter and the like, computed where the array lives."""
    if is_gpu_array(a):
        import cupyx.scipy.ndimage
        return cupyx.scipy.ndimage
    import scipy.ndimage
    return scipy.ndimage


def synchronize():
    """Wait for queued GPU work (needed for honest timings); a no-op on the CPU."""
    if _cupy is not None and device() == "gpu":
        _cupy.cuda.get_current_stream().synchronize()


def use_fast(on):
    """Take the fast CPU paths (True, the default) or compute every layer the readable way (False)."""
    global _fast
    if not isinstance(on, bool):
        raise BackendError(f"use_fast: expected True or False, got {on!r}")
    _fast = on


def fast():
    """Whether the fast paths are on; the first call reads MINICNN_FAST ("1" or "0"; the default
    is FAST_BY_DEFAULT)."""
    if _fast is None:
        default = "1" if FAST_BY_DEFAULT else "0"
        value = os.environ.get("MINICNN_FAST", default).strip() or default
        if value not in ("0", "1"):
            raise BackendError(f"MINICNN_FAST must be 0 or 1, got {value!r}")
        use_fast(value == "1")
    return _fast


@contextlib.contextmanager
def fast_paths(on):
    """Within the block, the fast paths are on or off; the previous choice comes back afterwards."""
    saved = fast()
    use_fast(on)
    try:
        yield
    finally:
        use_fast(saved)
