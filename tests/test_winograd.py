"""Winograd F(2x2, 3x3): equal to the im2col layer it replaces, gradient-checked, and its float32
rounding error measured against a float64 reference and bounded by im2col's own."""
import numpy as np
import pytest

from minicnn import Net, backend
from minicnn.architecture import Architecture
from minicnn.errors import ShapeError
from minicnn.fast import conv_winograd, winograd
from minicnn.fast import relu as relu_cpu
from minicnn.fast.winograd import cpu, reference
from minicnn.gradcheck import assert_backward, check_net, rel_error
from minicnn.layers import conv as im2col_conv
from minicnn.models import vgg16
from nets import path, safe_input

pytestmark = pytest.mark.cpu          # the CPU's Winograd convolution


def configs(n, seed):
    """Random 3x3 stride-1 layers: odd and even sizes, 1-pixel images, each padding 0..2."""
    rng = np.random.RandomState(seed)
    out = []
    for _ in range(n):
        ph, pw = rng.randint(0, 3, size=2)
        H, W = rng.randint(max(1, 3 - 2 * ph), 10), rng.randint(max(1, 3 - 2 * pw), 10)
        out.append(((rng.randint(1, 4), rng.randint(1, 6), H, W), rng.randint(1, 6), (int(ph), int(pw))))
    return out


CONFIGS = configs(25, seed=5) + [((2, 3, 224 // 8, 224 // 8), 4, (1, 1)),   # several tile rows per image
                                 ((1, 2, 1, 1), 3, (1, 1))]                  # a single pixel: one partial tile


def ids(c):
    return f"x{c[0]}-F{c[1]}-p{c[2]}"


def layer(config, dtype=np.float64, seed=0):
    x_shape, F, pad = config
    rng = np.random.RandomState(seed)
    x = rng.randn(*x_shape).astype(dtype)
    w = rng.randn(F, x_shape[1], 3, 3).astype(dtype)
    b = rng.randn(F).astype(dtype)
    return x, w, b, pad


@pytest.fixture(params=["side by side", "a block per core"])
def scheme(request, monkeypatch):
    """Run the kernels' 16 products side by side, or each core's blocks on their own (cpu.py)."""
    monkeypatch.setattr(cpu, "BY_BLOCKS_MAX_CHANNELS", 0 if request.param == "side by side" else 10**6)
    return request.param


@pytest.mark.parametrize("config", CONFIGS, ids=ids)
def test_reference_and_kernels_equal_the_im2col_layer(config, scheme):
    """Forward and input gradient: NumPy reference, Numba kernels and im2col agree in float64."""
    x, w, b, pad = layer(config)
    out, cache = im2col_conv.conv_forward(x, w, b, 1, pad)
    dout = np.random.RandomState(1).randn(*out.shape)
    dx = im2col_conv.conv_backward(dout, cache, params=False)[0]
    U, R = cpu.transform_filters(w), cpu.transform_filters(w, rotated=True)
    rotated_w = w[:, :, ::-1, ::-1]
    for got, want in ((U, reference.transform_filters(w)), (R, reference.transform_filters(rotated_w))):
        assert np.abs(got - want).max() <= 1e-15 * np.abs(want).max()
    # the shortcut: U's positions swapped, nothing computed
    assert max(np.abs(r - R[a]).max() for a, r in enumerate(cpu.rotated(U))) <= 1e-15 * np.abs(R).max()
    w32 = w.astype(np.float32)                   # float32 filters are transformed in float32 too
    U32 = cpu.transform_filters(w32)
    assert U32.dtype == np.float32
    assert np.abs(U32 - reference.transform_filters(w32.astype(np.float64))).max() <= 1e-6 * np.abs(U).max()
    for got, want in ((reference.conv_forward(x, w, b, pad), out), (cpu.conv_forward(x, U, b, pad), out),
                      (reference.conv_backward_input(dout, w, pad), dx), (cpu.conv_backward_input(dout, R, pad), dx)):
        assert got.shape == want.shape and got.dtype == want.dtype
        assert np.abs(got - want).max() <= 1e-12 * max(1.0, np.abs(want).max()), ids(config)


def test_the_transforms_are_the_papers_matrices():
    """A known answer: a single tile of F(2x2) done by hand with B^T, G and A^T gives the direct
    3x3 convolution; A^T has the tile's 2 rows, B^T is square."""
    rng = np.random.RandomState(7)
    BT, G, AT = reference.BT2, reference.G2, reference.AT2
    d, g = rng.randn(4, 4), rng.randn(3, 3)
    direct = np.array([[np.sum(d[i:i + 3, j:j + 3] * g) for j in range(2)] for i in range(2)])
    assert AT.shape == (2, 4) and BT.shape == (4, 4) and G.shape == (4, 3)
    np.testing.assert_allclose(AT @ ((G @ g @ G.T) * (BT @ d @ BT.T)) @ AT.T, direct, rtol=0, atol=1e-12)


@pytest.mark.parametrize("config", CONFIGS[:12], ids=ids)
def test_winograd_layer_gradients(config):
    """conv_winograd's (dx, dw, db) against numerical gradients, and equal to conv.py's."""
    x, w, b, pad = layer(config)
    assert_backward(lambda x, w, b: conv_winograd.conv_forward(x, w, b, 1, pad),
                    lambda d, c: dict(zip("xwb", conv_winograd.conv_backward(d, c))), {"x": x, "w": w, "b": b},
                    ids(config))
    out, c1 = conv_winograd.conv_forward(x, w, b, 1, pad)
    _, c2 = im2col_conv.conv_forward(x, w, b, 1, pad)
    d = np.random.RandomState(2).randn(*out.shape)
    for g1, g2 in zip(conv_winograd.conv_backward(d, c1), im2col_conv.conv_backward(d, c2)):
        assert np.abs(g1 - g2).max() <= 1e-12 * max(1.0, np.abs(g2).max())


def test_the_relu_in_the_output_transform(scheme):
    """rectify=True gives relu_cpu's max(out, 0) bit for bit, NaN included (NaN stays NaN)."""
    x, w, b, pad = layer(((2, 5, 13, 11), 6, (1, 1)), np.float32)
    x[1, 2, 4, 4] = np.nan
    U = cpu.transform_filters(w)
    plain = cpu.conv_forward(x, U, b, pad)
    assert np.isnan(plain).any() and (plain < 0).any() and (plain > 0).any()
    np.testing.assert_array_equal(cpu.conv_forward(x, U, b, pad, rectify=True), relu_cpu.relu_forward(plain)[0])


def test_blocks_of_tile_rows_change_nothing(monkeypatch, scheme):
    """Working a few tile rows at a time gives what one block gives (up to BLAS rounding, which
    may differ with the number of columns in a product); with a block per core, the cores take
    turns over 7 blocks, the last one shorter."""
    x, w, b, pad = layer(((2, 5, 13, 11), 6, (1, 1)), np.float32)
    U, R = cpu.transform_filters(w), cpu.transform_filters(w, rotated=True)
    dout = np.random.RandomState(4).randn(2, 6, 13, 11).astype(np.float32)
    whole = cpu.conv_forward(x, U, b, pad), cpu.conv_backward_input(dout, R, pad)
    tw = -(-11 // 2)
    row = 16 * 6 * tw * 4                                                # V or M of one tile row, bytes
    monkeypatch.setattr(cpu, "BLOCK_BYTES", 1)                           # one tile row per block
    monkeypatch.setattr(cpu, "CORE_BLOCK_BYTES", 2 * row)                # two: 2 * th rows in th blocks
    blocked = cpu.conv_forward(x, U, b, pad), cpu.conv_backward_input(dout, R, pad)
    for a, c in zip(whole, blocked):
        np.testing.assert_allclose(a, c, rtol=0, atol=1e-6 * np.abs(a).max())


def test_float32_rounding_error_is_bounded():
    """Winograd's float32 error against a float64 reference, on VGG-like layers (He-initialised
    filters, ReLU'd inputs), for the output and the input gradient: at most 2.5x im2col's own
    (as a fraction of the largest output, or input gradient), so that the fast path flips a
    ReLU or a pooling winner near a tie about as rarely as the readable one."""
    rng = np.random.default_rng(0)
    for C, K, H in ((64, 64, 56), (256, 256, 28), (512, 512, 14)):
        x = np.maximum(rng.standard_normal((1, C, H, H)), 0)
        w = rng.standard_normal((K, C, 3, 3)) * np.sqrt(2 / (9 * C))
        b = rng.standard_normal(K) * 0.1
        exact = im2col_conv.conv_forward(x, w, b, 1, 1)[0]
        x32, w32, b32 = (a.astype(np.float32) for a in (x, w, b))
        fast = cpu.conv_forward(x32, cpu.transform_filters(w32), b32, (1, 1))
        plain = im2col_conv.conv_forward(x32, w32, b32, 1, 1)[0]
        scale = np.abs(exact).max()
        err_fast, err_plain = np.abs(fast - exact).max() / scale, np.abs(plain - exact).max() / scale
        dout = rng.standard_normal(exact.shape)
        exact_dx = im2col_conv.conv_backward(dout, (x, w, (1, 1), (1, 1)), params=False)[0]
        fast_dx = cpu.conv_backward_input(dout.astype(np.float32), cpu.transform_filters(w32, True), (1, 1))
        plain_dx = im2col_conv.conv_backward(dout.astype(np.float32), (x32, w32, (1, 1), (1, 1)), params=False)[0]
        err_dx = np.abs(fast_dx - exact_dx).max() / np.abs(exact_dx).max()
        err_plain_dx = np.abs(plain_dx - exact_dx).max() / np.abs(exact_dx).max()
        print(f"C={C} K={K} {H}x{H}: float32 max error / max |out|: Winograd {err_fast:.1e} "
              f"(input gradient {err_dx:.1e}), im2col {err_plain:.1e} ({err_plain_dx:.1e})")
        assert err_fast < 2.5 * err_plain and err_dx < 2.5 * err_plain_dx, (C, err_fast, err_dx)
        assert err_fast > err_plain / 4                    # computed in float32, not quietly in float64


def test_the_net_takes_winograd_where_it_pays_and_im2col_when_asked(monkeypatch):
    monkeypatch.setattr(conv_winograd, "MIN_WORK", 0)      # small enough to check, yet on the Winograd path
    monkeypatch.setattr(conv_winograd, "MIN_TILES", 0)
    net = Net(_small_net(), (3, 12, 12), dtype=np.float64)
    x = safe_input(net, 3)
    with backend.fast_paths(True):                         # whatever MINICNN_FAST says
        fast = net.forward(x)
    paths = {name: path(net, name) for name in net.layer_names if net.layers[name]["type"] == "conv"}
    assert paths == {"conv1": "im2col",            # 3 input channels: fewer than MIN_CHANNELS
                     "conv2": "winograd", "conv3": "im2col", "conv4": "winograd"}   # conv3 has stride 2
    with backend.fast_paths(False):
        plain = net.forward(x)
        assert all(path(net, n) == "im2col" for n in paths)
    assert rel_error(fast, plain) < 1e-12
    with backend.fast_paths(True):
        errors = check_net(net, x, params=True)             # the whole net, Winograd included
        assert path(net, "conv2") == "winograd"
    assert max(errors.values()) < 1e-6, errors


def _small_net():
    wide = conv_winograd.MIN_CHANNELS
    return [{"name": "conv1", "type": "conv", "out_channels": wide, "kernel": 3, "pad": 1},
            {"name": "relu1", "type": "relu"},
            {"name": "conv2", "type": "conv", "out_channels": wide, "kernel": 3, "pad": 1},
            {"name": "relu2", "type": "relu"},
            {"name": "conv3", "type": "conv", "out_channels": wide, "kernel": 3, "stride": 2},
            {"name": "relu3", "type": "relu"},
            {"name": "conv4", "type": "conv", "out_channels": 3, "kernel": 3, "pad": 2},
            {"name": "fc", "type": "linear", "out_features": 4}]


@pytest.mark.parametrize("kernel, stride, pad, expected", [
    ((3, 3), (1, 1), (1, 1), True), ((3, 3), (1, 1), (0, 2), True), ((3, 3), (2, 2), (1, 1), False),
    ((5, 5), (1, 1), (2, 2), False), ((3, 3), (1, 1), (3, 3), False), ((1, 1), (1, 1), (0, 0), False)])
def test_which_layers_winograd_takes(kernel, stride, pad, expected):
    assert winograd.supports(kernel, stride, pad) is expected


def test_conv_winograd_refuses_a_layer_it_cannot_do():
    with pytest.raises(ShapeError, match="Winograd.*stride"):
        conv_winograd.conv_forward(np.zeros((1, 1, 6, 6)), np.zeros((1, 1, 3, 3)), np.zeros(1), 2, 1)


def test_an_empty_batch_and_integer_filters():
    w, b = np.random.RandomState(0).randint(-3, 4, size=(4, 16, 3, 3)), np.zeros(4)
    out, cache = conv_winograd.conv_forward(np.zeros((0, 16, 5, 5)), w, b, 1, 1)
    assert out.shape == (0, 4, 5, 5) and conv_winograd.conv_backward(out, cache)[0].shape == (0, 16, 5, 5)
    x = np.random.RandomState(1).randn(2, 16, 5, 5)
    got, want = conv_winograd.conv_forward(x, w, b, 1, 1)[0], im2col_conv.conv_forward(x, w, b, 1, 1)[0]
    assert got.dtype == want.dtype == np.float64           # promoted as conv.py promotes, not truncated
    assert np.abs(got - want).max() < 1e-12 * np.abs(want).max()


@pytest.mark.parametrize("x_shape, w_shape, pad, expected", [
    ((1, 64, 224, 224), (64, 64, 3, 3), 1, True),      # VGG16 conv1_2
    ((1, 512, 28, 28), (512, 512, 3, 3), 1, True),     # VGG16 conv4_2
    ((1, 512, 14, 14), (512, 512, 3, 3), 1, True),     # VGG16 conv5_2: 49 tiles, just enough
    ((1, 3, 224, 224), (64, 3, 3, 3), 1, False),       # VGG16 conv1_1: 3 channels
    ((1, 16, 28, 28), (16, 16, 3, 3), 1, False),       # the digits model's conv1_2, one image: too small
    ((64, 16, 28, 28), (16, 16, 3, 3), 1, True),       # ... a training batch of 64
    ((1, 512, 7, 7), (512, 512, 3, 3), 1, False),      # 16 tiles: BLAS products too thin
    ((1, 64, 56, 56), (64, 64, 3, 3), 3, False),       # pad 3: not a Winograd layer at all
])
def test_when_winograd_pays(x_shape, w_shape, pad, expected):
    assert conv_winograd.pays(x_shape, w_shape, 1, pad) is expected


@pytest.mark.parametrize("keep_below", [0, 10**9], ids=["filters made again", "filters kept"])
def test_the_backward_remakes_the_filters_it_did_not_keep(monkeypatch, keep_below):
    """Past KEEP_FILTERS_BELOW tiles the cache drops U and the backward transforms w again: same dx."""
    monkeypatch.setattr(conv_winograd, "KEEP_FILTERS_BELOW", keep_below)
    x, w, b, pad = layer(((2, 5, 9, 8), 4, 1))
    out, cache = conv_winograd.conv_forward(x, w, b, 1, pad)
    assert (cache[4] is None) == (keep_below == 0)
    d = np.random.RandomState(3).randn(*out.shape)
    _, c2 = im2col_conv.conv_forward(x, w, b, 1, pad)
    for g1, g2 in zip(conv_winograd.conv_backward(d, cache), im2col_conv.conv_backward(d, c2)):
        assert np.abs(g1 - g2).max() <= 1e-12 * max(1.0, np.abs(g2).max())


def test_which_layers_keep_their_filters():
    """VGG16 at batch 1 keeps U for conv4 and conv5 (few tiles, where remaking it would cost most)
    and remakes it for the others; at batch 8 it remakes it everywhere."""
    assert _vgg16_convs_where(conv_winograd.keeps_filters, 1) == ["conv4_1", "conv4_2", "conv4_3",
                                                                  "conv5_1", "conv5_2", "conv5_3"]
    assert _vgg16_convs_where(conv_winograd.keeps_filters, 8) == []


def _vgg16_convs_where(rule, batch):
    """The names of VGG16's Winograd convolutions for which rule(input shape, pad) holds."""
    net = Architecture(vgg16_convs(), (3, 224, 224))
    return sorted(n for n in net.layer_names if net.layers[n]["type"] == "conv" and n != "conv1_1"
                  and rule((batch,) + net.shapes[net.layers[n]["inputs"][0]], 1))


def vgg16_convs():
    spec = vgg16()
    return spec[:[s["name"] for s in spec].index("pool5") + 1]
