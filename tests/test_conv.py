import numpy as np
import pytest

from minicnn.errors import ShapeError
from minicnn.gradcheck import assert_backward, rel_error
from minicnn.layers import conv_backward, conv_forward


def naive_conv(x, w, b, stride, pad):
    """The definition, one output at a time."""
    (sh, sw), (ph, pw) = stride, pad
    N, C, H, W = x.shape
    F, _, kh, kw = w.shape
    xp = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    Ho, Wo = (H + 2 * ph - kh) // sh + 1, (W + 2 * pw - kw) // sw + 1
    out = np.zeros((N, F, Ho, Wo))
    for n in range(N):
        for f in range(F):
            for i in range(Ho):
                for j in range(Wo):
                    out[n, f, i, j] = (xp[n, :, i * sh:i * sh + kh, j * sw:j * sw + kw] * w[f]).sum() + b[f]
    return out


def random_conv_configs(n, seed):
    rng = np.random.RandomState(seed)
    out = []
    for _ in range(n):
        N, C, F = rng.randint(1, 3), rng.randint(1, 4), rng.randint(1, 4)
        H, W = rng.randint(1, 9), rng.randint(1, 9)
        ph, pw = rng.randint(0, 3), rng.randint(0, 3)
        kh, kw = rng.randint(1, H + 2 * ph + 1), rng.randint(1, W + 2 * pw + 1)
        kh, kw = min(kh, 5), min(kw, 5)
        sh, sw = rng.randint(1, 4), rng.randint(1, 4)
        out.append(((N, C, H, W), (F, C, kh, kw), (sh, sw), (ph, pw)))
    return out


CONFIGS = random_conv_configs(30, seed=3) + [
    ((2, 3, 5, 5), (4, 3, 1, 1), (1, 1), (0, 0)),     # pointwise shortcut
    ((1, 4, 7, 6), (2, 4, 1, 1), (2, 2), (0, 0)),     # 1x1 with stride: the general path
    ((1, 2, 4, 4), (3, 2, 4, 4), (1, 1), (0, 0)),     # kernel covers the whole input
]


def ids(c):
    return f"x{c[0]}-w{c[1]}-s{c[2]}-p{c[3]}"


@pytest.mark.parametrize("config", CONFIGS, ids=ids)
def test_conv_forward_matches_definition(config):
    x_shape, w_shape, stride, pad = config
    rng = np.random.RandomState(0)
    x, w, b = rng.randn(*x_shape), rng.randn(*w_shape), rng.randn(w_shape[0])
    out, _ = conv_forward(x, w, b, stride, pad)
    assert rel_error(out, naive_conv(x, w, b, stride, pad)) < 1e-12, ids(config)


@pytest.mark.parametrize("config", CONFIGS, ids=ids)
def test_conv_gradients(config):
    x_shape, w_shape, stride, pad = config
    rng = np.random.RandomState(1)
    inputs = {"x": rng.randn(*x_shape), "w": rng.randn(*w_shape), "b": rng.randn(w_shape[0])}
    assert_backward(lambda x, w, b: conv_forward(x, w, b, stride, pad),
                    lambda d, c: dict(zip("xwb", conv_backward(d, c))), inputs, ids(config))


def test_conv_float32_stays_float32_and_agrees_with_float64():
    rng = np.random.RandomState(2)
    x, w, b = rng.randn(2, 3, 9, 9), rng.randn(5, 3, 3, 3), rng.randn(5)
    out64, c64 = conv_forward(x, w, b, 2, 1)
    out32, c32 = conv_forward(*(a.astype(np.float32) for a in (x, w, b)), 2, 1)
    assert out32.dtype == np.float32
    assert rel_error(out32, out64) < 1e-6
    d = rng.randn(*out64.shape)
    for g32, g64 in zip(conv_backward(d.astype(np.float32), c32), conv_backward(d, c64)):
        assert g32.dtype == np.float32 and rel_error(g32, g64) < 1e-6


def test_params_false_skips_parameter_gradients():
    rng = np.random.RandomState(3)
    x, w, b = rng.randn(1, 2, 5, 5), rng.randn(3, 2, 3, 3), rng.randn(3)
    out, cache = conv_forward(x, w, b, 1, 1)
    d = rng.randn(*out.shape)
    dx, dw, db = conv_backward(d, cache, params=False)
    assert dw is None and db is None
    np.testing.assert_array_equal(dx, conv_backward(d, cache)[0])


def test_a_known_answer():
    """A 3x3 averaging filter over a ramp, zero-padded: interior values are the ramp itself."""
    x = np.arange(16.0).reshape(1, 1, 4, 4)
    w = np.full((1, 1, 3, 3), 1 / 9)
    out, _ = conv_forward(x, w, np.array([0.5]), 1, 1)
    np.testing.assert_allclose(out[0, 0, 1:3, 1:3], x[0, 0, 1:3, 1:3] + 0.5)
    np.testing.assert_allclose(out[0, 0, 0, 0], (0 + 1 + 4 + 5) / 9 + 0.5)


@pytest.mark.parametrize("args, message", [
    (((3, 5, 5), (2, 3, 3, 3)), "x must have 4 dimensions, got shape (3, 5, 5)"),
    (((1, 3, 5, 5), (2, 4, 3, 3)), "x has 3 channels"),
    (((1, 3, 2, 2), (2, 3, 5, 5)), "kernel 5x5 is larger than the padded input 2x2"),
])
def test_bad_shapes_name_the_layer_and_shapes(args, message):
    x_shape, w_shape = args
    with pytest.raises(ShapeError, match="conv_forward") as e:
        conv_forward(np.zeros(x_shape), np.zeros(w_shape), np.zeros(w_shape[0]))
    assert message in str(e.value)


@pytest.mark.parametrize("stride, pad", [(0, 0), (-1, 0), (1, -1), (1.5, 0), (np.inf, 0), ((1, 2, 3), 0)])
def test_bad_strides_and_pads(stride, pad):
    with pytest.raises(ValueError, match="conv_forward: (stride|pad)"):
        conv_forward(np.zeros((1, 1, 5, 5)), np.zeros((1, 1, 3, 3)), np.zeros(1), stride, pad)


def test_bias_of_wrong_shape():
    with pytest.raises(ShapeError, match=r"b has shape \(3,\), expected \(2,\)"):
        conv_forward(np.zeros((1, 1, 5, 5)), np.zeros((2, 1, 3, 3)), np.zeros(3))


def test_integer_input_refused():
    with pytest.raises(ShapeError, match="float"):
        conv_forward(np.zeros((1, 1, 5, 5), dtype=np.uint8), np.zeros((2, 1, 3, 3)), np.zeros(2))
