"""Filters and activation maps: the numbers drawn are the network's own, in the right order."""
import numpy as np
import pytest

from minicnn import Net, viz
from minicnn.backend import to_numpy
from minicnn.errors import ArgumentError
from minicnn.images import CAFFE, ImageSpace

from nets import grey_net, put, small_net


def test_filters_are_the_layers_weights_and_bgr_is_shown_as_rgb():
    net = small_net()                                             # a Caffe space: BGR input
    W = np.zeros((4, 3, 3, 3))
    W[0, 0] = 1.0                                                 # filter 0 looks at the first (blue) channel
    put(net.params["conv1_1"]["W"], W)
    r = viz.run("filters", net)
    assert r.layer == "conv1_1" and r.colour and r.shape == (4, 3, 3, 3)
    np.testing.assert_array_equal(r.weights, W)
    picture = viz.TECHNIQUES["filters"].picture(net, r)[0].image
    first = picture[2:10, 2:10]                                  # the first tile, inside its margin
    assert (first[..., 2] > 200).all() and (first[..., :2] < 50).all()          # blue, in RGB order


def test_deeper_filters_are_grey_kernels_per_input_channel():
    net = small_net()
    r = viz.run("filters", net, layer="conv2_1", max_filters=5, max_channels=3)
    assert not r.colour and r.weights.shape == (5, 3, 3, 3) and r.shape == (6, 4, 3, 3)
    np.testing.assert_array_equal(r.weights, to_numpy(net.params["conv2_1"]["W"][:5, :3]))
    with pytest.raises(ArgumentError, match="'relu1_1' is a relu layer"):
        viz.run("filters", net, layer="relu1_1")


def test_activation_maps_are_the_layers_output():
    net = grey_net()
    x = net.space.preprocess(np.random.RandomState(0).randint(0, 256, (28, 28)).astype(np.uint8))
    r = viz.run("activations", net, x, layer="relu1", scale="per-map")
    np.testing.assert_array_equal(r.maps, to_numpy(net.forward(x, end="relu1")[0]))
    assert r.zero_maps == int((r.maps.reshape(6, -1).max(axis=1) == 0).sum())
    assert r.maxima == [float(m.max()) for m in r.maps]
    with pytest.raises(ArgumentError, match="outputs a vector"):
        viz.run("activations", net, x, layer="fc")


def test_a_raw_input_model_has_no_colour_filters():
    net = Net([{"name": "c", "type": "conv", "out_channels": 2, "kernel": 3}], (2, 5, 5))
    r = viz.run("filters", net)
    assert not r.colour and r.weights.shape == (2, 2, 3, 3)
    assert ImageSpace(**CAFFE, size=(5, 5)).channels == "BGR"
