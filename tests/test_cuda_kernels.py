"""The GPU im2col/col2im (im2col/cuda.py) against the NumPy reference. Without a GPU, Numba's CUDA
simulator runs the very same kernels on the CPU (conftest.py turns it on), so CI checks them;
with MINICNN_DEVICE=gpu they run on the device with CuPy arrays."""
import os

import numba
import numpy as np
import pytest

from minicnn import backend
from minicnn.im2col import cuda as kernels
from minicnn.im2col import reference

from test_im2col import CONFIGS, describe

ON_GPU = os.environ.get("MINICNN_DEVICE", "cpu") == "gpu"
# The simulator runs each CUDA thread as a Python thread: twenty shapes (strides, padding,
# ceil-mode overhang, -inf fill) keep it to seconds; on a GPU every shape of test_im2col.
SHAPES = CONFIGS if ON_GPU else CONFIGS[:20]


@pytest.fixture(scope="module", autouse=True)
def device():
    if ON_GPU:
        pytest.importorskip("cupy", exc_type=ImportError)
        backend.use("gpu")
        yield
        backend.use("cpu")
    else:
        assert numba.config.ENABLE_CUDASIM, "conftest.py should have turned Numba's CUDA simulator on"
        yield


def on_device(a):
    return backend.to_device(a) if ON_GPU else a


def test_the_shapes_cover_what_matters():
    assert {c[-1] for c in SHAPES} == {0.0, -np.inf}
    assert any(max(c[3]) > 1 for c in SHAPES) and any(max(c[4]) > 0 for c in SHAPES)
    overhang = [c for c in SHAPES if c[-1] == -np.inf
                and (c[5][0] - 1) * c[3][0] + c[1] > c[0][2] + c[4][0]]      # last window reaches past
    assert overhang


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("config", SHAPES, ids=describe)
def test_cuda_im2col_equals_the_reference(config, dtype):
    shape, kh, kw, s, p, out, fill = config
    x = np.random.RandomState(0).randn(*shape).astype(dtype)
    got = backend.to_numpy(kernels.im2col(on_device(x), kh, kw, s, p, out, fill))
    assert got.dtype == dtype
    np.testing.assert_array_equal(got, reference.im2col(x, kh, kw, s, p, out, fill), err_msg=describe(config))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("config", SHAPES, ids=describe)
def test_cuda_col2im_equals_the_reference(config, dtype):
    shape, kh, kw, s, p, out, fill = config
    cols = np.random.RandomState(1).randn(shape[0], shape[1] * kh * kw, out[0] * out[1]).astype(dtype)
    got = backend.to_numpy(kernels.col2im(on_device(cols), shape, kh, kw, s, p, out))
    assert got.dtype == dtype
    want = reference.col2im(cols, shape, kh, kw, s, p, out)
    # The kernel adds a pixel's copies in another order than np.add.at: equal up to rounding.
    np.testing.assert_allclose(got, want, rtol=0, atol=8 * np.finfo(dtype).eps * np.abs(cols).max() * kh * kw)


def test_a_launch_smaller_than_the_array_still_covers_it(monkeypatch):
    """Each thread steps by the whole grid: one block of the kernel fills a larger array."""
    monkeypatch.setattr(kernels, "MAX_BLOCKS", 1)
    monkeypatch.setattr(kernels, "THREADS", 8)
    shape, kh, kw, s, p, out, fill = CONFIGS[0]                   # a convolution's, filled with 0
    x = np.random.RandomState(0).randn(*shape)
    cols = kernels.im2col(on_device(x), kh, kw, s, p, out, fill)
    assert cols.size > 8 and np.prod(shape) > 8
    np.testing.assert_array_equal(backend.to_numpy(cols), reference.im2col(x, kh, kw, s, p, out, fill))
    dx = backend.to_numpy(kernels.col2im(cols, shape, kh, kw, s, p, out))
    np.testing.assert_allclose(dx, reference.col2im(backend.to_numpy(cols), shape, kh, kw, s, p, out),
                               rtol=1e-12, atol=1e-12)


def test_an_empty_batch_launches_nothing():
    x = np.zeros((0, 2, 5, 5))
    assert kernels.im2col(on_device(x), 3, 3, (1, 1), (1, 1), (5, 5)).shape == (0, 18, 25)
    assert kernels.col2im(on_device(np.zeros((0, 18, 25))), (0, 2, 5, 5), 3, 3, (1, 1), (1, 1), (5, 5)).shape \
        == (0, 2, 5, 5)
