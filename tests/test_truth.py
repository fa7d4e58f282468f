"""A whole float32 pass of the default (fast) engine against the float64 truth, end to end, on a
random VGG16: every layer's output, and the image gradient of a class score and of a unit under
each ReLU rule, at batch 1 and 8, plain, keeping nothing (keep=(), once=True) and frozen.

A float32 pass can differ from the float64 one in two ways:
- its arithmetic: the same linear pieces, rounded. The image gradient of a ReLU network is a
  product of linear maps chosen by the forward pass's decisions (which ReLUs are on, which
  pooling input won); given those decisions, float32 is held to 3e-6 of the float64 gradient's
  largest value (PyTorch's float32 CPU build comes within 2.5e-6 on these cases).
- its decisions: where a ReLU's input or two pooling inputs are within rounding of a tie,
  float32 may decide otherwise than float64, and the gradient then takes another piece: a few
  percent of its largest value. No float32 computation escapes that: on random VGG16s at batch
  1, PyTorch's float32 and minicnn's readable engine both do it in most draws. What a
  computation controls is how close to a tie it can decide wrongly, and that is its forward
  error: every layer's output is held to 3e-6 of its largest value (the readable engine's
  float32 is at about 1.2e-6, PyTorch's at 3.2e-6 to 3.7e-6, Winograd F(4x4) was at 6e-6 to 7e-6).
The decisions of the float32 pass are then given to a float64 backward written here from the
readable layer functions, and the two gradients compared. docs/speed.md has the measurements
(benchmarks/truth.py).
"""
import numpy as np
import pytest

from minicnn import Net, backend
from minicnn import layers as L
from minicnn.models import vgg16

pytestmark = pytest.mark.cpu          # the CPU's fast engine

BOUND = 3e-6
# (layer, unit, ReLU rule): the class score fc8[281], a conv5_3 unit under backprop and guided
# backprop, a conv4_2 unit under the deconvnet rule.
CASES = [("fc8", (281,), "backprop"), ("conv5_3", (0, 7, 7), "backprop"),
         ("conv5_3", (0, 7, 7), "guided"), ("conv4_2", (0, 14, 14), "deconvnet")]


def random_vgg16(seed=0, batch=8):
    """VGG16 in float64 (He-normal weights, biases 0.05 N(0, 1)), its float32 copy, and ``batch``
    images of 50 N(0, 1) with their float64 outputs at every layer (the readable engine)."""
    net64 = Net(vgg16(), (3, 224, 224), dtype=np.float64, seed=seed)
    rng = np.random.default_rng(seed + 1)
    for p in net64.params.values():
        p["b"][...] = 0.05 * rng.standard_normal(p["b"].shape)
    x = 50 * rng.standard_normal((batch, 3, 224, 224))
    with backend.fast_paths(False):
        net64.forward(x, end="fc8")
    return net64, net64.astype(np.float32), x, dict(net64.outputs)


@pytest.fixture(scope="module")
def vgg():
    return random_vgg16()


def relative(a, b):
    """max |a - b| / max |b|."""
    return float(np.abs(np.asarray(a, np.float64) - b).max() / np.abs(b).max())


def unit_gradient(out, unit):
    d = np.zeros_like(out)
    d[(slice(None),) + unit] = 1
    return d


def decided_backward(net64, out64, out32, end, dout, mode):
    """The image gradient in float64 through the decisions of a float32 pass: each ReLU's mask and
    each max pooling's winners are read off the float32 outputs ``out32``; the linear maps
    (convolutions, fully connected layers) are the float64 net's."""
    grads = {end: dout}
    for name in reversed(net64.layer_names[:net64.layer_names.index(end) + 1]):
        spec, g = net64.layers[name], grads.pop(name)
        source, p = spec["inputs"][0], net64.params.get(name)
        if spec["type"] == "conv":
            d = L.conv_backward(g, (out64[source], p["W"], (spec["stride"],) * 2, (spec["pad"],) * 2), params=False)[0]
        elif spec["type"] == "linear":
            d = L.linear_backward(g, (out64[source], p["W"]), params=False)[0]
        elif spec["type"] == "relu":
            d = L.relu_backward(g, out32[name] > 0, mode)
        elif spec["type"] == "maxpool":
            x, out = out32[source].astype(np.float64), out32[name].astype(np.float64)
            d = L.maxpool_backward(g, (x, out, (2, 2), (2, 2), (0, 0), out.shape[2:]))
        else:
            assert spec["type"] == "dropout"
            d = g                                            # inference: the identity
        grads[source] = d
    return grads["data"]


def fast_pass(net, x, end, unit, mode, lean):
    """The float32 image gradient of ``unit`` at ``end``: every output kept, or (lean) as the
    techniques run it, keeping nothing and letting each cache go on the way back."""
    out = net.forward(x, end=end, keep=() if lean else None)
    with net.relu_mode(mode):
        return net.backward(unit_gradient(out, unit), once=lean)


@pytest.mark.parametrize("batch", [1, 8])
def test_a_whole_pass_is_as_close_to_float64_as_the_readable_engine(vgg, batch):
    net64, net32, x, out64 = vgg
    x, out64 = x[:batch], {k: v[:batch] for k, v in out64.items()}
    x32 = x.astype(np.float32)
    with backend.fast_paths(True):
        net32.forward(x32, end="fc8")
        out32 = dict(net32.outputs)
        forward = {n: relative(out32[n], out64[n]) for n in net32.layer_names if n in out64}
        print(f"\nbatch {batch}: largest float32 forward error {max(forward.values()):.1e} "
              f"({max(forward, key=forward.get)})")
        assert max(forward.values()) <= BOUND, {n: f"{e:.1e}" for n, e in forward.items() if e > BOUND}
        for end, unit, mode in CASES:
            plain = fast_pass(net32, x32, end, unit, mode, lean=False)
            truth = decided_backward(net64, out64, out32, end, unit_gradient(out64[end], unit), mode)
            error = relative(plain, truth)
            print(f"  {end} {unit} {mode}: image gradient {error:.1e} from float64 through the same decisions")
            assert error <= BOUND, (end, mode, error)
            # Keeping nothing, and in a frozen net, is the same arithmetic: the same numbers, bit for bit.
            np.testing.assert_array_equal(fast_pass(net32, x32, end, unit, mode, lean=True), plain)
            with net32.frozen():
                for _ in range(2):                    # the second pass reuses what the first kept
                    np.testing.assert_array_equal(fast_pass(net32, x32, end, unit, mode, lean=True), plain)
