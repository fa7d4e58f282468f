"""Saliency maps (minicnn/viz/saliency.py): score_gradient and saliency_map against reference
arrays; class_gradient against the numerical gradient of the class score and, for the
deconvnet and guided rules, reference arrays; the map of the saliency technique against the
numerical gradient, maxed over the colour channels."""
import numpy as np

from grading import assert_matches, digits, mistakes, reference
from minicnn import viz
from minicnn.viz.saliency import class_gradient, saliency_map, score_gradient
from minicnn.viz.targets import score_layer

REF = reference("saliency")


def numerical_score_gradient(net, x, c, h=1e-6):
    """d S_c / dx by centered differences, every pixel at once in one batch."""
    n = x.size
    shifts = np.eye(n).reshape((n,) + x.shape[1:]) * h
    plus = net.forward(x + shifts, end=score_layer(net)).reshape(n, -1)[:, c]
    minus = net.forward(x - shifts, end=score_layer(net)).reshape(n, -1)[:, c]
    return ((plus - minus) / (2 * h)).reshape(x.shape)


def test_score_gradient():
    """saliency: the gradient at the scores of class 3's score and of its log-probability."""
    for objective in ("score", "logprob"):
        key = f"score_gradient {objective}"
        assert_matches("saliency", f"score_gradient(scores of shape {REF['scores'].shape}, 3, {objective!r})",
                       score_gradient(REF["scores"], 3, objective), REF[key], mistakes(REF, key))


def test_class_gradient_is_the_gradient_of_the_score():
    """saliency: class_gradient equals the numerical gradient of the unnormalized class score."""
    net, x = digits(), REF["x"]
    numerical = numerical_score_gradient(net, x, 3)
    got = class_gradient(net, x, 3)
    assert_matches("saliency", "class_gradient(net, sample 0, 3) against centered differences of class 3's "
                   "score", got, numerical, mistakes(REF, "class_gradient backprop"),
                   atol=1e-6 * np.abs(numerical).max())


def test_class_gradient_under_the_relu_rules():
    """saliency: with mode="guided" or "deconvnet" the backward pass takes that ReLU rule."""
    net, x = digits(), REF["x"]
    for mode in ("backprop", "guided", "deconvnet"):
        assert_matches("saliency", f"class_gradient(net, sample 0, 3, mode={mode!r})",
                       class_gradient(net, x, 3, mode=mode), REF[f"class_gradient {mode}"], atol=1e-9)


def test_saliency_map():
    """saliency: each pixel's largest |gradient| over its channels."""
    assert_matches("saliency", f"saliency_map(g of shape {REF['g'].shape})", saliency_map(REF["g"]),
                   REF["saliency_map"], mistakes(REF, "saliency_map"))


def test_the_saliency_technique_is_the_numerical_gradient_maxed_over_channels():
    """saliency: `minicnn saliency`'s map, in pixel units, is max over channels of |dS/dpixel|."""
    net, x = digits(), REF["x"]
    expected = np.abs(numerical_score_gradient(net, x, 3) * net.space.pixel_step()).max(axis=1)[0]
    got = viz.run("saliency", net, x, target=3).map
    assert_matches("saliency", "the saliency technique's map for sample 0, class 3", got, expected,
                   atol=1e-6 * expected.max())
