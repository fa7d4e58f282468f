"""The Numba im2col/col2im kernels against the readable NumPy reference, and col2im as the
exact adjoint of im2col."""
import numpy as np
import pytest

from minicnn import im2col
from minicnn.im2col import cpu, reference
from minicnn.layers import conv_output_size, pool_output_size


def random_configs(n, seed):
    """(x_shape, kh, kw, stride, pad, out_hw, fill): conv-style and ceil-mode (overhanging) windows."""
    rng = np.random.RandomState(seed)
    configs = []
    for i in range(n):
        N, C = rng.randint(1, 4), rng.randint(1, 5)
        H, W = rng.randint(3, 12), rng.randint(3, 12)
        kh, kw = rng.randint(1, min(H, 5) + 1), rng.randint(1, min(W, 5) + 1)
        sh, sw = rng.randint(1, 4), rng.randint(1, 4)
        if i % 2:   # pooling-style: pad <= k // 2, ceil mode, fill -inf
            ph, pw = rng.randint(0, kh // 2 + 1), rng.randint(0, kw // 2 + 1)
            out = (pool_output_size(H, kh, sh, ph, True), pool_output_size(W, kw, sw, pw, True))
            fill = -np.inf
        else:
            ph, pw = rng.randint(0, 3), rng.randint(0, 3)
            out = conv_output_size(H, W, kh, kw, (sh, sw), (ph, pw))
            fill = 0.0
        configs.append(((N, C, H, W), kh, kw, (sh, sw), (ph, pw), out, fill))
    return configs


CONFIGS = random_configs(40, seed=1)


def describe(c):
    shape, kh, kw, s, p, out, fill = c
    return f"x{shape}-k{kh}x{kw}-s{s}-p{p}-out{out}-fill{fill}"


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("config", CONFIGS, ids=describe)
def test_numba_im2col_equals_reference(config, dtype):
    shape, kh, kw, s, p, out, fill = config
    x = np.random.RandomState(0).randn(*shape).astype(dtype)
    expected = reference.im2col(x, kh, kw, s, p, out, fill)
    got = cpu.im2col(x, kh, kw, s, p, out, fill)
    assert got.dtype == dtype
    np.testing.assert_array_equal(got, expected, err_msg=describe(config))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("config", CONFIGS, ids=describe)
def test_numba_col2im_equals_reference(config, dtype):
    shape, kh, kw, s, p, out, fill = config
    N, C = shape[:2]
    cols = np.random.RandomState(1).randn(N, C * kh * kw, out[0] * out[1]).astype(dtype)
    expected = reference.col2im(cols, shape, kh, kw, s, p, out)
    got = cpu.col2im(cols, shape, kh, kw, s, p, out)
    assert got.dtype == dtype
    # The two add overlapping windows in different orders: equal up to float rounding.
    tol = 1e-6 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(got, expected, rtol=tol, atol=tol, err_msg=describe(config))


@pytest.mark.parametrize("config", [c for c in CONFIGS if c[-1] == 0.0], ids=describe)
def test_col2im_is_the_adjoint_of_im2col(config):
    """<im2col(x), c> == <x, col2im(c)> for every x and c: what makes conv_backward a gradient."""
    shape, kh, kw, s, p, out, _ = config
    rng = np.random.RandomState(2)
    x = rng.randn(*shape)
    c = rng.randn(shape[0], shape[1] * kh * kw, out[0] * out[1])
    lhs = (im2col.im2col(x, kh, kw, s, p, out) * c).sum()
    rhs = (x * im2col.col2im(c, shape, kh, kw, s, p, out)).sum()
    assert abs(lhs - rhs) <= 1e-10 * (abs(lhs) + abs(rhs)), describe(config)


def test_im2col_layout_by_hand():
    """One 3x3 image, 2x2 windows, stride 1: the columns are the four windows, row-major."""
    x = np.arange(9.0).reshape(1, 1, 3, 3)
    cols = im2col.im2col(x, 2, 2, (1, 1), (0, 0), (2, 2))
    np.testing.assert_array_equal(cols[0], [[0, 1, 3, 4], [1, 2, 4, 5], [3, 4, 6, 7], [4, 5, 7, 8]])
    # col2im of all ones counts how many windows cover each pixel
    counts = im2col.col2im(np.ones_like(cols), x.shape, 2, 2, (1, 1), (0, 0), (2, 2))
    np.testing.assert_array_equal(counts[0, 0], [[1, 2, 1], [2, 4, 2], [1, 2, 1]])


def test_overhanging_windows_read_fill():
    """A ceil-mode window past the last column reads the fill value, never memory beyond x."""
    x = np.arange(1.0, 6.0).reshape(1, 1, 1, 5)
    cols = im2col.im2col(x, 1, 2, (1, 2), (0, 0), (1, 3), fill=-np.inf)
    np.testing.assert_array_equal(cols[0], [[1, 3, 5], [2, 4, -np.inf]])


def test_kernel_dispatch_keeps_numpy_on_the_cpu():
    x = np.zeros((1, 1, 4, 4), np.float32)
    assert isinstance(im2col.im2col(x, 3, 3, (1, 1), (1, 1), (4, 4)), np.ndarray)
