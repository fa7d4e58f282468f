"""Grad-CAM, Grad-CAM++ and guided Grad-CAM on a net small enough to work out by hand, and the
backward pass that stops at a layer (Net.backward's until=)."""
import numpy as np
import pytest

from minicnn import Net, io, viz
from minicnn.backend import to_numpy
from minicnn.images import ImageSpace
from minicnn.viz import gradcam

from nets import fire_style, vgg_style

# x (1, 1, 3, 3) -> conv1 1x1: A_0 = relu(x), A_1 = relu(2x - 1) -> global average -> fc (2 classes)
SPEC = [{"name": "conv1", "type": "conv", "out_channels": 2, "kernel": 1},
        {"name": "relu1", "type": "relu"},
        {"name": "gap", "type": "avgpool"},
        {"name": "fc", "type": "linear", "out_features": 2},
        {"name": "prob", "type": "softmax"}]
X = np.array([[[[0.2, 0.9, 0.4], [0.0, 1.5, 0.3], [0.7, 0.1, 2.0]]]])
V = np.array([[3.0, -1.0], [-2.0, 4.0]])             # fc weights: class c's score = sum_k V[c, k] mean(A_k)


def hand_net():
    params = {"conv1": {"W": np.array([1.0, 2.0]).reshape(2, 1, 1, 1), "b": np.array([0.0, -1.0])},
              "fc": {"W": V, "b": np.zeros(2)}}
    return Net(SPEC, (1, 3, 3), params=params, dtype=np.float64, classes=["a", "b"],
               space=ImageSpace.identity((1, 3, 3)))


@pytest.mark.parametrize("c", [0, 1])
def test_gradcam_by_hand(c):
    net = hand_net()
    A = np.stack([np.maximum(X[0, 0], 0), np.maximum(2 * X[0, 0] - 1, 0)])
    # dS_c/dA_k[i, j] = V[c, k] / 9 everywhere, so alpha_k = V[c, k] / 9
    expected = np.maximum(V[c, 0] / 9 * A[0] + V[c, 1] / 9 * A[1], 0)
    A_net, g = gradcam.layer_and_gradient(net, X, c, "relu1")
    np.testing.assert_allclose(A_net, A, rtol=0, atol=1e-15)
    np.testing.assert_allclose(g, np.broadcast_to((V[c] / 9)[:, None, None], g.shape), rtol=0, atol=1e-15)
    np.testing.assert_allclose(gradcam.gradcam_map(A_net, g), expected, rtol=0, atol=1e-15)
    # Grad-CAM++ with a constant gradient g_k = V[c, k]/9: a = g^2 / (2 g^2 + sum(A_k) g^3) = 1 / (2 + sum(A_k) g),
    # alpha_k = 9 a relu(g_k)
    gk = V[c] / 9
    alpha = np.array([9 * max(gk[k], 0) / (2 + A[k].sum() * gk[k]) for k in range(2)])
    np.testing.assert_allclose(gradcam.gradcam_pp_map(A_net, g), np.maximum(np.tensordot(alpha, A, axes=1), 0),
                               rtol=1e-14, atol=1e-15)


def test_class_b_ignores_a_negative_channel_and_the_map_is_the_known_one():
    r = viz.run("gradcam", hand_net(), X, target="b", layer="relu1")
    # class b: alpha = (-2/9, 4/9); the map at the centre pixel (1.5): relu(-2/9*1.5 + 4/9*2.0) = 0.5556
    assert r.coarse[1, 1] == pytest.approx(-2 / 9 * 1.5 + 4 / 9 * 2.0, abs=1e-14)
    assert r.coarse[0, 0] == 0.0                           # -2/9 * 0.2 + 4/9 * 0 < 0: cut by the ReLU
    assert r.top_channels[0] == 1 and r.positive_weights == 1
    np.testing.assert_array_equal(r.guided_cam, r.guided * r.cam)            # guided Grad-CAM is the product
    net = hand_net()
    scores = net.forward(X, end="fc")
    d = np.zeros_like(scores)
    d[0, 1] = 1
    with net.relu_mode("guided"):
        np.testing.assert_allclose(r.guided, to_numpy(net.backward(d))[0], rtol=0, atol=1e-15)


def test_enlarge_keeps_a_constant_map_and_its_range():
    np.testing.assert_allclose(gradcam.enlarge(np.full((3, 3), 0.7), (28, 28)), 0.7, rtol=1e-6)
    m = np.random.RandomState(0).rand(7, 7)
    big = gradcam.enlarge(m, (28, 28))
    assert big.shape == (28, 28) and m.min() - 1e-6 <= big.min() and big.max() <= m.max() + 1e-6


@pytest.mark.parametrize("spec, shape, layer", [(vgg_style(), (3, 8, 8), "pool1"),
                                                (fire_style(), (3, 15, 15), "fire2/relu_squeeze1x1")])
def test_backward_until_a_layer_is_the_chain_rule_cut_there(spec, shape, layer):
    """The gradient at a layer, sent on from there, gives the whole backward pass: also where the
    layer feeds two branches (the fire module's squeeze), whose gradients must add first."""
    net = Net(spec, shape, dtype=np.float64, seed=3)
    x = np.random.RandomState(1).randn(2, *shape)
    out = net.forward(x, end=net.layer_names[-2])
    d = np.random.RandomState(2).randn(*out.shape)
    whole = to_numpy(net.backward(d))
    at_layer = net.backward(d, until=layer)
    assert at_layer.shape == net.outputs[layer].shape
    np.testing.assert_allclose(to_numpy(net.backward(at_layer, start=layer)), whole, rtol=1e-12, atol=1e-14)


def test_default_layer_is_the_last_map_before_the_classifier():
    assert gradcam.default_layer(io.load("digits")) == "relu2_2"
    net = Net(fire_style(), (3, 15, 15))                   # conv10 has one map per class: the classifier
    assert gradcam.default_layer(net) == "fire2/concat"


def test_a_layer_without_a_map_is_refused():
    from minicnn.errors import ArgumentError
    with pytest.raises(ArgumentError, match="no spatial map"):
        viz.run("gradcam", hand_net(), X, layer="fc")


def test_on_the_default_model_the_map_covers_the_digit():
    """Grad-CAM of the predicted class puts more of its weight on the strokes than off them."""
    net = io.load("digits")
    inside = []
    for i in range(6):
        x = net.space.preprocess(net.samples.images[i])
        r = viz.run("gradcam", net, x)
        assert r.target.index == int(net.samples.labels[i])
        ink = net.samples.images[i] > 64
        near = np.zeros_like(ink)
        for dy in (-2, -1, 0, 1, 2):
            for dx in (-2, -1, 0, 1, 2):
                near |= np.roll(np.roll(ink, dy, 0), dx, 1)
        inside.append(r.cam[near].sum() / r.cam.sum())
    assert np.mean(inside) > 0.8, inside
