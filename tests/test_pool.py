import numpy as np
import pytest

from minicnn.errors import ShapeError
from minicnn.gradcheck import assert_backward, distinct_values, rel_error
from minicnn.layers import (avgpool_backward, avgpool_forward, maxpool_backward, maxpool_forward,
                            pool_output_size)


def caffe_out(size, k, s, p, ceil_mode):
    """Caffe's PoolingLayer::Reshape, transcribed, except that the guard against a last window
    starting past the image also applies when p == 0 (as in PyTorch; Caffe's omission makes
    empty windows when k < s)."""
    if ceil_mode:
        out = int(np.ceil((size + 2 * p - k) / s)) + 1
        if (out - 1) * s >= size + p:
            out -= 1
        return out
    return int(np.floor((size + 2 * p - k) / s)) + 1


def naive_pool(x, k, s, p, ceil_mode, kind):
    """Caffe's pooling forward, one window at a time: windows clipped to the image."""
    N, C, H, W = x.shape
    Ho, Wo = caffe_out(H, k, s, p, ceil_mode), caffe_out(W, k, s, p, ceil_mode)
    out = np.zeros((N, C, Ho, Wo))
    for i in range(Ho):
        for j in range(Wo):
            h0, w0 = i * s - p, j * s - p
            h1, w1 = min(h0 + k, H + p), min(w0 + k, W + p)
            area = (h1 - h0) * (w1 - w0)          # avg: padding counts, overhang does not
            h0, w0, h1, w1 = max(h0, 0), max(w0, 0), min(h1, H), min(w1, W)
            win = x[:, :, h0:h1, w0:w1]
            out[:, :, i, j] = win.max(axis=(2, 3)) if kind == "max" else win.sum(axis=(2, 3)) / area
    return out


def configs(n, seed):
    rng = np.random.RandomState(seed)
    out = []
    for i in range(n):
        k = rng.randint(1, 5)
        p = rng.randint(0, k // 2 + 1)
        H, W = rng.randint(max(1, k - 2 * p), 12), rng.randint(max(1, k - 2 * p), 12)
        out.append(((rng.randint(1, 3), rng.randint(1, 4), H, W), k, rng.randint(1, 4), p, bool(i % 2)))
    return out


CONFIGS = configs(40, seed=4) + [((1, 2, 113, 113), 3, 2, 0, True), ((1, 1, 7, 7), 3, 2, 1, True)]


def ids(c):
    return f"x{c[0]}-k{c[1]}-s{c[2]}-p{c[3]}-{'ceil' if c[4] else 'floor'}"


@pytest.mark.parametrize("kind", ["max", "avg"])
@pytest.mark.parametrize("config", CONFIGS, ids=ids)
def test_pool_forward_matches_caffe(config, kind):
    shape, k, s, p, ceil_mode = config
    x = np.random.RandomState(0).randn(*shape)
    fwd = maxpool_forward if kind == "max" else avgpool_forward
    out, _ = fwd(x, k, s, p, ceil_mode)
    assert out.shape == naive_pool(x, k, s, p, ceil_mode, kind).shape, ids(config)
    assert rel_error(out, naive_pool(x, k, s, p, ceil_mode, kind)) < 1e-12, ids(config)


@pytest.mark.parametrize("config", [c for c in CONFIGS if np.prod(c[0]) < 500], ids=ids)
def test_maxpool_gradients(config):
    shape, k, s, p, ceil_mode = config
    x = distinct_values(np.random.RandomState(1), shape)    # no ties: the gradient is defined
    assert_backward(lambda x: maxpool_forward(x, k, s, p, ceil_mode),
                    lambda d, c: {"x": maxpool_backward(d, c)}, {"x": x}, ids(config))


@pytest.mark.parametrize("config", [c for c in CONFIGS if np.prod(c[0]) < 500], ids=ids)
def test_avgpool_gradients(config):
    shape, k, s, p, ceil_mode = config
    x = np.random.RandomState(2).randn(*shape)
    assert_backward(lambda x: avgpool_forward(x, k, s, p, ceil_mode),
                    lambda d, c: {"x": avgpool_backward(d, c)}, {"x": x}, ids(config))


def test_global_average_pooling():
    x = np.random.RandomState(3).randn(2, 3, 5, 7)
    out, cache = avgpool_forward(x)
    np.testing.assert_allclose(out[:, :, 0, 0], x.mean(axis=(2, 3)))
    assert_backward(avgpool_forward, lambda d, c: {"x": avgpool_backward(d, c)}, {"x": x}, "global")
    np.testing.assert_allclose(avgpool_backward(np.ones((2, 3, 1, 1)), cache), np.full(x.shape, 1 / 35))


def test_squeezenet_sizes_need_ceil_mode():
    """SqueezeNet v1.1 at 227: conv1 gives 113, then 3x3/2 pools give 56, 28, 14 (floor: 56, 27, 13)."""
    assert [pool_output_size(n, 3, 2, 0, True) for n in (113, 56, 28)] == [56, 28, 14]
    assert [pool_output_size(n, 3, 2, 0, False) for n in (113, 56, 28)] == [56, 27, 13]


def test_ties_send_the_gradient_to_the_first_maximum_only():
    x = np.array([[[[1.0, 5.0], [5.0, 5.0]]]])
    out, cache = maxpool_forward(x, 2, 2)
    assert out[0, 0, 0, 0] == 5.0
    dx = maxpool_backward(np.array([[[[2.0]]]]), cache)
    np.testing.assert_array_equal(dx[0, 0], [[0, 2], [0, 0]])


def test_overlapping_windows_add_up_at_a_shared_maximum():
    x = np.array([[[[0.0, 1.0, 9.0, 1.0, 0.0]]]])
    out, cache = maxpool_forward(x, (1, 3), (1, 1))
    np.testing.assert_array_equal(out[0, 0, 0], [9, 9, 9])
    np.testing.assert_array_equal(maxpool_backward(np.ones((1, 1, 1, 3)), cache)[0, 0, 0], [0, 0, 3, 0, 0])


def test_no_window_lies_wholly_outside_the_image():
    """1x1 windows with stride 2 on 4 pixels: ceil((4-1)/2)+1 = 3 by Caffe's formula, but the
    third would start at pixel 4, past the image; the guard drops it."""
    assert pool_output_size(4, 1, 2, 0, True) == 2
    out, _ = maxpool_forward(np.arange(4.0).reshape(1, 1, 1, 4), (1, 1), (1, 2), 0, ceil_mode=True)
    np.testing.assert_array_equal(out[0, 0, 0], [0, 2])


def test_overhanging_window_sees_only_real_pixels():
    """Ceil mode adds a window over the last column alone; it must not pick the padding."""
    x = -np.arange(1.0, 6.0).reshape(1, 1, 1, 5)            # all negative: a 0 or -inf would show
    out, _ = maxpool_forward(x, (1, 2), (1, 2), 0, ceil_mode=True)
    np.testing.assert_array_equal(out[0, 0, 0], [-1, -3, -5])
    out, _ = avgpool_forward(x, (1, 2), (1, 2), 0, ceil_mode=True)
    np.testing.assert_array_equal(out[0, 0, 0], [-1.5, -3.5, -5])


@pytest.mark.parametrize("fn", [maxpool_forward, avgpool_forward])
@pytest.mark.parametrize("args, message", [
    (((2, 5, 5), 2, 2, 0), "must have 4 dimensions"),
    (((1, 1, 5, 5), 0, 1, 0), "size must be an int >= 1"),
    (((1, 1, 5, 5), 2, 0, 0), "stride must be an int >= 1"),
    (((1, 1, 5, 5), 2, -2, 0), "stride must be an int >= 1"),
    (((1, 1, 5, 5), 3, 1, 2), "pad (2, 2) must be at most half the window"),
    (((1, 1, 2, 2), 5, 1, 0), "window 5x5 is larger than the padded input 2x2"),
])
def test_bad_arguments(fn, args, message):
    shape, k, s, p = args
    with pytest.raises(ShapeError) as e:
        fn(np.zeros(shape), k, s, p)
    assert message in str(e.value) and fn.__name__ in str(e.value)


def test_non_finite_inputs_propagate_rather_than_vanish():
    """A NaN in a window must not be silently replaced by a neighbour (it would hide a bug upstream)."""
    x = np.zeros((1, 1, 2, 2))
    x[0, 0, 1, 1] = np.nan
    out, _ = maxpool_forward(x, 2, 2)
    assert np.isnan(out).all()
