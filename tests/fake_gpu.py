"""A pretend GPU for machines without one, to hold the GPU path to "no copies between host and
device inside a step" (tests/test_device_copies.py).

minicnn.backend tells a GPU array by ``isinstance(a, cupy.ndarray)`` and moves arrays with
``cupy.asarray`` / ``cupy.asnumpy``. The ``fake_gpu`` fixture puts in CuPy's place a module whose
ndarray is DeviceArray (a NumPy array that says it lives on the device) and whose functions are
NumPy's, and counts, as CuPy would make them:

* uploads: ``asarray`` of a host array;
* downloads: ``asnumpy``;
* reads: turning a device array into a Python number (float, int, bool, item, tolist), which
  waits for the device and copies the value back.

Like CuPy, a device array refuses to be mixed with a host array in arithmetic, NumPy functions
or assignment into it (TypeError): that would be a hidden copy. Reductions give 0-d device
arrays, as CuPy's do, so a loss that stays on the device costs nothing until someone reads it.
The GPU kernels (im2col/cuda.py) run under Numba's CUDA simulator, which conftest.py turns on.
"""
import contextlib
import sys
import types

import numpy as np
import pytest
import scipy.ndimage

from minicnn import backend
from minicnn.im2col import cuda as cuda_kernels


class Transfers:
    """Counts of copies between host and device, with where each happened (for the message)."""

    def __init__(self):
        self.reset()

    def reset(self):
        self.up, self.down, self.reads, self.log = 0, 0, 0, []

    def count(self, direction, what):
        import traceback
        setattr(self, direction, getattr(self, direction) + 1)
        helpers = ("fake_gpu", "backend.py", "checks.py")          # report the caller of these
        frame = [f for f in traceback.extract_stack()[:-2] if not f.filename.endswith(helpers)][-1]
        self.log.append(f"{direction} {what} at {frame.filename.split('/')[-1]}:{frame.lineno} {frame.line}")

    @property
    def copies(self):
        """Arrays moved either way."""
        return self.up + self.down

    @property
    def total(self):
        return self.up + self.down + self.reads


TRANSFERS = Transfers()


def _host(a):
    """A device array's memory as a plain NumPy array (no copy, not counted: the fake's own view)."""
    return a.view(np.ndarray) if isinstance(a, DeviceArray) else a


def _device(r):
    """Results of NumPy's functions, put back on the device: arrays and scalars alike."""
    if isinstance(r, DeviceArray):
        return r
    if isinstance(r, np.ndarray):
        return r.view(DeviceArray)
    if isinstance(r, np.generic):
        return np.asarray(r).view(DeviceArray)
    if isinstance(r, (tuple, list)):
        return type(r)(_device(v) for v in r)
    return r


def _refuse_host_arrays(what, values, smallest=1):
    """TypeError for a host array of ``smallest`` dimensions or more among ``values``: CuPy's
    ufuncs refuse even a 0-d one (smallest=0), its other functions and assignment only larger
    ones; NumPy scalars pass everywhere."""
    for v in values:
        if isinstance(v, (list, tuple)):
            _refuse_host_arrays(what, v, smallest)
        elif isinstance(v, np.ndarray) and not isinstance(v, DeviceArray) and v.ndim >= smallest:
            raise TypeError(f"{what}: a host array mixed with device arrays (a hidden copy)")


class DeviceArray(np.ndarray):
    """A NumPy array standing for a CuPy array."""

    def __array_ufunc__(self, ufunc, method, *inputs, out=None, **kwargs):
        _refuse_host_arrays(ufunc.__name__, inputs + (out or ()), smallest=0)
        if out is not None:
            kwargs["out"] = tuple(_host(o) for o in out)
        result = getattr(ufunc, method)(*(_host(a) for a in inputs), **kwargs)
        if out is not None:
            return out[0] if len(out) == 1 else out
        return _device(result)

    def __array_function__(self, func, types_, args, kwargs):
        _refuse_host_arrays(func.__name__, list(args) + list(kwargs.values()))
        unwrap = lambda v: type(v)(unwrap(a) for a in v) if isinstance(v, (list, tuple)) else _host(v)  # noqa: E731
        return _device(func(*(unwrap(a) for a in args), **{k: unwrap(v) for k, v in kwargs.items()}))

    def __getitem__(self, key):
        return _device(super().__getitem__(key))

    def __setitem__(self, key, value):
        # CuPy refuses a host array here ("non-scalar numpy.ndarray cannot be used for fill")
        _refuse_host_arrays("setitem", [value])
        super().__setitem__(key, _host(value))

    # A device value read on the host: CuPy waits for the device and copies it back.
    def __float__(self):
        TRANSFERS.count("reads", "float()")
        return float(_host(self))

    def __int__(self):
        TRANSFERS.count("reads", "int()")
        return int(_host(self))

    def __bool__(self):
        TRANSFERS.count("reads", "bool()")
        return bool(_host(self))

    def __index__(self):
        TRANSFERS.count("reads", "an index")
        return _host(self).__index__()

    def item(self, *args):
        TRANSFERS.count("reads", "item()")
        return _host(self).item(*args)

    def tolist(self):
        TRANSFERS.count("reads", "tolist()")
        return _host(self).tolist()


def _asarray(a, dtype=None, **_):
    if isinstance(a, DeviceArray):
        return a if dtype is None else a.astype(dtype, copy=False)
    TRANSFERS.count("up", f"asarray of a {type(a).__name__}")
    return np.array(a, dtype=dtype).view(DeviceArray)


def _asnumpy(a, **_):
    if isinstance(a, DeviceArray):
        TRANSFERS.count("down", "asnumpy")
        return np.array(_host(a))
    return np.asarray(a)


class _Stream:
    ptr = 0

    def synchronize(self):
        pass


def _on_device_function(f):
    """NumPy's (or SciPy's) function f as CuPy's: device arrays in, device arrays out."""
    def on_device(*args, **kwargs):
        _refuse_host_arrays(f.__name__, list(args) + list(kwargs.values()))
        return _device(f(*(_host(a) for a in args), **{k: _host(v) for k, v in kwargs.items()}))
    return on_device


class _OnDevice:
    """A NumPy module, or an object such as a RandomState, seen as CuPy's: what it computes
    lands on the device."""

    def __init__(self, obj):
        self._obj = obj

    def __getattr__(self, name):
        value = getattr(self._obj, name)
        if isinstance(value, types.ModuleType):
            return _OnDevice(value)
        if isinstance(value, type):                    # cupy.random.RandomState(seed): its draws on the device
            return lambda *a, **k: _OnDevice(value(*a, **k))
        return _on_device_function(value) if callable(value) else value


def _fake_cupy():
    class FakeCupy(types.ModuleType):
        ndarray = DeviceArray
        asarray = staticmethod(_asarray)
        array = staticmethod(_asarray)
        asnumpy = staticmethod(_asnumpy)
        get_default_memory_pool = staticmethod(lambda: types.SimpleNamespace(free_bytes=lambda: 0))
        cuda = types.SimpleNamespace(
            get_current_stream=lambda: _Stream(),
            runtime=types.SimpleNamespace(memGetInfo=lambda: (8 << 30, 16 << 30), getDeviceCount=lambda: 1))

        def __getattr__(self, name):
            value = getattr(np, name)
            if isinstance(value, types.ModuleType):            # cupy.random, cupy.linalg, ...
                return _OnDevice(value)
            if callable(value) and not isinstance(value, type):
                return _on_device_function(value)
            return value                                       # dtypes and constants as they are
    return FakeCupy("cupy")


@contextlib.contextmanager
def pretend_gpu(simulate_kernels=True):
    """Within the block backend.use("gpu") runs on the pretend GPU; yields the transfer counts.
    simulate_kernels=False runs the GPU's im2col/col2im as the CPU's Numba kernels on the
    arrays' memory (the simulator runs a thread at a time: too slow for whole techniques)."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(backend, "_cupy", _fake_cupy())
        mp.setattr(backend, "_device", "gpu")
        # cupyx.scipy.ndimage (backend.ndimage): scipy's, on the pretend device's arrays.
        ndimage = types.ModuleType("cupyx.scipy.ndimage")
        ndimage.__getattr__ = lambda name: _on_device_function(getattr(scipy.ndimage, name))
        cupyx = types.ModuleType("cupyx")
        cupyx.scipy = types.ModuleType("cupyx.scipy")
        cupyx.scipy.ndimage = ndimage
        for name, module in (("cupyx", cupyx), ("cupyx.scipy", cupyx.scipy), ("cupyx.scipy.ndimage", ndimage)):
            mp.setitem(sys.modules, name, module)
        # A kernel reads and writes device memory where it is: the simulator gets the arrays' memory.
        launch = cuda_kernels._launch
        mp.setattr(cuda_kernels, "_launch", lambda kernel, size, like, *args:
                   launch(kernel, size, like, *(_host(a) for a in args)))
        if not simulate_kernels:
            from minicnn.im2col import cpu
            mp.setattr(cuda_kernels, "im2col", lambda x, *a: _device(cpu.im2col(_host(x), *a)))
            mp.setattr(cuda_kernels, "col2im", lambda cols, *a: _device(cpu.col2im(_host(cols), *a)))
        TRANSFERS.reset()
        yield TRANSFERS


@pytest.fixture
def fake_gpu():
    """The test runs on the pretend GPU; the fixture is the transfer counts (reset to zero)."""
    with pretend_gpu() as transfers:
        yield transfers
