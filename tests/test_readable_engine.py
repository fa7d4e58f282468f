"""With the fast paths off (MINICNN_FAST=0, backend.use_fast(False)) a pass runs exactly the code
the reading order names: the Net, layer_types.py, the layer pairs and the NumPy im2col of
im2col/reference.py; nothing of the fast engine (minicnn/fast/: Winograd, the Numba twins, the
buffer pool, the allocator), the Numba im2col (im2col/cpu.py) or any Numba kernel. Every Python
function a forward and a backward call is traced (sys.setprofile), and every Numba kernel in
minicnn is replaced by a wrapper that records its calls."""
import sys
from pathlib import Path

import numpy as np
import pytest
from numba.core.dispatcher import Dispatcher

import minicnn
from minicnn import Net, backend
from minicnn.layers import RELU_MODES
from test_keep import wide_chain

PACKAGE = Path(minicnn.__file__).resolve().parent

pytestmark = pytest.mark.cpu          # the CPU's two engines


def where(code):
    """A function's file, relative to the package (or its full path outside it), and its name."""
    path = Path(code.co_filename).resolve()
    return (str(path.relative_to(PACKAGE)) if path.is_relative_to(PACKAGE) else str(path)), code.co_name


def traced(fn):
    """The Python functions fn() calls, each with its caller's caller: [((file, name), (file, name))]."""
    calls = []

    def profile(frame, event, arg):
        if event == "call":
            up = frame.f_back.f_back if frame.f_back is not None and frame.f_back.f_back is not None else frame
            calls.append((where(frame.f_code), where(up.f_code)))
    sys.setprofile(profile)
    try:
        fn()
    finally:
        sys.setprofile(None)
    return calls


@pytest.fixture
def kernel_calls(monkeypatch):
    """Every Numba kernel of minicnn, wrapped: the list of the names of those called."""
    called = []
    for name, module in list(sys.modules.items()):
        if name.startswith("minicnn"):
            for attr, value in list(vars(module).items()):
                if isinstance(value, Dispatcher):
                    def wrapper(*args, _kernel=value, _name=f"{name}.{attr}"):
                        called.append(_name)
                        return _kernel(*args)
                    monkeypatch.setattr(module, attr, wrapper)
    return called


def a_pass(net, x):
    """A forward to the scores and a backward under each ReLU rule; with a weight gradient too."""
    out = net.forward(x)
    for mode in RELU_MODES:
        with net.relu_mode(mode):
            net.backward(np.ones_like(out))
    net.forward(x, keep=())
    net.backward(np.ones_like(out), params=True, once=True)


@pytest.fixture(scope="module")
def wide():
    """Large enough that with the fast paths on, conv1_2 is Winograd's and the ReLUs and pooling Numba's."""
    return Net(wide_chain(), (3, 64, 64), seed=0), np.random.RandomState(0).randn(3, 3, 64, 64).astype(np.float32)


def test_the_readable_engine_runs_only_what_a_student_reads(wide, kernel_calls):
    net, x = wide
    with backend.fast_paths(False):
        calls = traced(lambda: a_pass(net, x))
    files = {f for (f, _), _ in calls}
    assert not [f for f in files if f.startswith("fast/")], sorted(f for f in files if f.startswith("fast/"))
    assert "im2col/cpu.py" not in files and "im2col/cuda.py" not in files
    assert kernel_calls == []
    functions = {c for c, _ in calls}
    for f in [("net.py", "forward"), ("net.py", "backward"), ("layer_types.py", "forward"),
              ("layers/conv.py", "conv_forward"), ("layers/conv.py", "conv_backward"),
              ("layers/relu.py", "relu_backward"), ("layers/maxpool.py", "maxpool_backward"),
              ("layers/linear.py", "linear_backward"), ("im2col/reference.py", "im2col")]:
        assert f in functions, f
    # A breakpoint in conv_backward steps into col2im: the reference's, called from there
    # (through im2col/__init__.py, which chose it).
    assert (("im2col/reference.py", "col2im"), ("layers/conv.py", "conv_backward")) in calls


def test_the_fast_engine_runs_its_twins(wide, kernel_calls):
    """The same trace with the fast paths on sees the engine: the check above can fail."""
    net, x = wide
    with backend.fast_paths(True):
        calls = traced(lambda: a_pass(net, x))
    files = {f for (f, _), _ in calls}
    assert {"fast/engine.py", "fast/conv_winograd.py", "fast/winograd/cpu.py", "fast/relu.py", "fast/maxpool.py",
            "fast/buffers.py", "im2col/cpu.py"} <= files
    assert "im2col/reference.py" not in files
    assert {"minicnn.fast.relu._forward", "minicnn.fast.maxpool._forward_2x2", "minicnn.im2col.cpu._im2col",
            "minicnn.fast.winograd.cpu._input_tiles_one_core"} <= set(kernel_calls)


def test_both_engines_compute_the_same(wide):
    net, x = wide
    results = []
    for fast in (False, True):
        with backend.fast_paths(fast):
            out = net.forward(x)
            results.append((out, net.backward(np.cos(out))))
    for a, b in zip(*results):
        np.testing.assert_allclose(a, b, rtol=0, atol=2e-6 * np.abs(a).max())
