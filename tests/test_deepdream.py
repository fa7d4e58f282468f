"""DeepDream: the lecture's make_step, octaves and the guide objective on small networks."""
import numpy as np
import pytest

from minicnn import Net, viz
from minicnn.backend import to_device
from minicnn.errors import ArgumentError
from minicnn.images import CAFFE, ImageSpace
from minicnn.objectives import l2_activation
from minicnn.viz.deepdream import guide_objective, make_step

from nets import fire_style, grey_net, small_net


def conv_net(seed=0):
    spec = [s for s in fire_style() if s["name"] in ("conv1", "relu_conv1", "pool1", "fire2/squeeze1x1",
                                                     "fire2/relu_squeeze1x1")]
    net = Net(spec, (3, 15, 15), dtype=np.float64, seed=seed, space=ImageSpace(**CAFFE, size=(15, 15)))
    for p in net.params.values():
        p["b"][...] = 0.5
    return net


def test_each_small_step_raises_the_layers_l2_norm():
    net = conv_net()
    rng = np.random.RandomState(0)
    p = to_device(rng.uniform(-20, 20, (1, 3, 15, 15)))         # on the net's device, as deepdream keeps it
    step, values = to_device(net.space.pixel_step()), []
    for _ in range(15):
        p, value = make_step(net, p, step, "fire2/relu_squeeze1x1", l2_activation, 0.05, 0, rng)
        values.append(value)
    assert all(b > a for a, b in zip(values, values[1:])), values


def test_octaves_keep_the_input_size_and_the_image_valid():
    net = grey_net()
    x = net.space.preprocess(np.random.RandomState(1).randint(0, 256, (28, 28)).astype(np.uint8))
    r = viz.run("deepdream", net, x, layer="relu1", octaves=3, iterations=4)
    assert r.image.shape == x.shape and r.octave_sizes == [[14, 14], [20, 20], [28, 28]]
    low, high = net.space.bounds()
    assert (r.image >= low - 1e-9).all() and (r.image <= high + 1e-9).all()
    assert len(r.objective) == 12 and r.objective[-1] > r.objective[0]
    assert r.jitter == 3                                            # an eighth of 28


def test_the_guide_pulls_each_position_toward_its_best_matching_guide_feature():
    guide = np.array([[1.0, 0.0, 2.0], [0.0, 1.0, 2.0]])              # three guide vectors in 2 channels
    f = np.array([[3.0, -1.0], [0.5, 4.0]]).reshape(1, 2, 1, 2)     # two positions: (3, 0.5) and (-1, 4)
    value, g = guide_objective(guide)(f)
    # position 0: dot products 3, 0.5, 7 -> guide 2; position 1: -1, 4, 6 -> guide 2
    np.testing.assert_array_equal(g.reshape(2, 2), [[2.0, 2.0], [2.0, 2.0]])
    assert value == pytest.approx(7 + 6)


def test_vector_layers_are_refused():
    net = small_net()
    x = np.random.RandomState(2).randn(1, 3, 8, 8)
    with pytest.raises(ArgumentError, match="'fc4' outputs a vector"):
        viz.run("deepdream", net, x, layer="fc4", octaves=2)
