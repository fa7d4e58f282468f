"""The Numba ReLU and max pooling (fast/relu.py, fast/maxpool.py) give what the
readable layers give, for every ReLU rule and pooling geometry, ties included: bit for bit, except
where overlapping pooling windows add their gradients in another order."""
import numpy as np
import pytest

from minicnn import Net, backend
from minicnn.errors import ShapeError
from minicnn.fast import engine
from minicnn.fast import maxpool as maxpool_cpu
from minicnn.fast import relu as relu_cpu
from minicnn.layers import maxpool, relu
from nets import path
from test_pool import CONFIGS as POOL_CONFIGS
from test_pool import ids as pool_ids

pytestmark = pytest.mark.cpu          # the fast CPU paths


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("mode", relu.RELU_MODES)
def test_relu_equals_the_readable_relu(mode, dtype):
    rng = np.random.RandomState(0)
    x = rng.randn(2, 3, 5, 7).astype(dtype)
    x[0, 0, 0, :3] = 0                                        # the kink: derivative 0 there
    dout = rng.randn(*x.shape).astype(dtype)
    dout[1, 1, 1, :3] = 0
    out, cache = relu.relu_forward(x)
    fast_out, fast_cache = relu_cpu.relu_forward(x)
    np.testing.assert_array_equal(fast_out, out)
    assert fast_out.dtype == dtype
    fast_dx, dx = relu_cpu.relu_backward(dout, fast_cache, mode), relu.relu_backward(dout, cache, mode)
    np.testing.assert_array_equal(fast_dx, dx)
    assert not np.signbit(fast_dx[fast_dx == 0]).any()      # a blocked gradient is +0, as in relu.py


def test_relu_bad_input():
    out, cache = relu_cpu.relu_forward(np.ones((2, 3)))
    with pytest.raises(ShapeError, match="relu_backward"):
        relu_cpu.relu_backward(np.ones((3, 2)), cache)
    with pytest.raises(ValueError, match="mode"):
        relu_cpu.relu_backward(np.ones((2, 3)), cache, "sideways")


@pytest.mark.parametrize("config", POOL_CONFIGS, ids=pool_ids)
def test_maxpool_equals_the_readable_maxpool(config):
    shape, k, s, p, ceil_mode = config
    rng = np.random.RandomState(1)
    x = rng.randint(-2, 3, size=shape).astype(np.float64)    # few values: many ties
    out, cache = maxpool.maxpool_forward(x, k, s, p, ceil_mode)
    fast_out, fast_cache = maxpool_cpu.maxpool_forward(x, k, s, p, ceil_mode)
    np.testing.assert_array_equal(fast_out, out)
    dout = rng.randn(*out.shape)
    fast_dx, dx = maxpool_cpu.maxpool_backward(dout, fast_cache), maxpool.maxpool_backward(dout, cache)
    if s >= k:                                  # windows do not overlap: each dx entry is one dout
        np.testing.assert_array_equal(fast_dx, dx)
    else:                                       # overlapping windows' gradients add in another order
        np.testing.assert_allclose(fast_dx, dx, rtol=1e-15, atol=1e-15)
        np.testing.assert_array_equal(fast_dx != 0, dx != 0)


def test_maxpool_bad_input():
    _, cache = maxpool_cpu.maxpool_forward(np.ones((1, 1, 4, 4)), 2)
    with pytest.raises(ShapeError, match="maxpool_backward"):
        maxpool_cpu.maxpool_backward(np.ones((1, 1, 3, 3)), cache)
    with pytest.raises(ShapeError, match="maxpool_forward"):
        maxpool_cpu.maxpool_forward(np.ones((4, 4)), 2)


def test_the_net_uses_them_only_with_the_fast_paths_on(monkeypatch):
    monkeypatch.setattr(engine, "NUMBA_MIN_SIZE", 0)          # small enough to check, yet on the Numba path
    spec = [{"name": "conv", "type": "conv", "out_channels": 3, "kernel": 3, "pad": 1},
            {"name": "relu", "type": "relu"},
            {"name": "pool", "type": "maxpool", "size": 3, "stride": 2, "ceil_mode": True}]
    net = Net(spec, (2, 9, 9), dtype=np.float64)
    x = np.random.RandomState(2).randn(3, 2, 9, 9)
    for mode in relu.RELU_MODES:
        with net.relu_mode(mode), backend.fast_paths(True):
            fast_out = net.forward(x)
            assert {path(net, n) for n in ("relu", "pool")} == {"numba"}
            fast_dx = net.backward(np.cos(fast_out))
            with backend.fast_paths(False):
                out = net.forward(x)
                assert {path(net, n) for n in ("relu", "pool")} == {"readable"}
                dx = net.backward(np.cos(out))
        np.testing.assert_allclose(fast_out, out, rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(fast_dx, dx, rtol=1e-12, atol=1e-12)


def test_nan_comes_through_as_in_the_readable_layers():
    """A NaN must reach the scores, where training notices it and stops."""
    x = np.array([[[[1.0, np.nan, -2.0, 0.5], [3.0, 4.0, -1.0, -3.0]]]])
    np.testing.assert_array_equal(relu_cpu.relu_forward(x)[0], relu.relu_forward(x)[0])
    np.testing.assert_array_equal(maxpool_cpu.maxpool_forward(x, 2)[0], maxpool.maxpool_forward(x, 2)[0])


def test_small_arrays_stay_on_the_readable_layers():
    """Below NUMBA_MIN_SIZE values, starting Numba's threads would cost more than the work."""
    net = Net([{"name": "relu", "type": "relu"}, {"name": "pool", "type": "maxpool", "size": 2}], (16, 28, 28))
    with backend.fast_paths(True):
        net.forward(np.ones((1, 16, 28, 28)))
        assert {path(net, n) for n in net.layer_names} == {"readable"}
        net.forward(np.ones((64, 16, 28, 28)))
        assert {path(net, n) for n in net.layer_names} == {"numba"}


@pytest.mark.parametrize("shape, ceil_mode", [((2, 3, 8, 10), False), ((1, 2, 7, 9), False), ((1, 2, 7, 9), True),
                                              ((1, 1, 2, 2), False), ((3, 4, 3, 6), True)])
def test_the_2x2_stride_2_kernel_equals_the_readable_maxpool(shape, ceil_mode):
    """VGG's pooling has its own straight-line kernel; ceil mode's partial windows take the general one."""
    rng = np.random.RandomState(5)
    x = rng.randint(-1, 2, size=shape).astype(np.float32)             # -1, 0, 1: ties everywhere
    x.flat[rng.randint(0, x.size, size=2)] = np.nan                   # NaN anywhere in a window
    out, cache = maxpool.maxpool_forward(x, 2, 2, 0, ceil_mode)
    fast_out, fast_cache = maxpool_cpu.maxpool_forward(x, 2, 2, 0, ceil_mode)
    np.testing.assert_array_equal(fast_out, out)
    finite = np.isfinite(x)
    x = np.where(finite, x, 0).astype(np.float32)                       # gradients: without the NaNs
    out, cache = maxpool.maxpool_forward(x, 2, 2, 0, ceil_mode)
    _, fast_cache = maxpool_cpu.maxpool_forward(x, 2, 2, 0, ceil_mode)
    dout = rng.randn(*out.shape).astype(np.float32)
    np.testing.assert_array_equal(maxpool_cpu.maxpool_backward(dout, fast_cache), maxpool.maxpool_backward(dout, cache))
