"""t-SNE of codes: the codes are the layer's activations, every image gets exactly one cell."""
import numpy as np

from minicnn import viz
from minicnn.architecture import Architecture
from minicnn.backend import to_numpy
from minicnn.models import squeezenet1_1, vgg16
from minicnn.viz.codes import default_layer

from nets import grey_net


def test_every_image_is_placed_exactly_once_and_the_layout_is_kept():
    rng = np.random.RandomState(0)
    for n in (7, 30, 49, 50):
        points = rng.randn(n, 2)
        cells, side = viz.grid_cells(points)
        assert side == int(np.ceil(np.sqrt(n))) and len(set(cells)) == n and cells.min() >= 0
        assert cells.max() < side * side
    # four points at the corners of the plane land in the four corners of a 2x2 grid (y up)
    cells, _ = viz.grid_cells(np.array([[0, 0], [1, 0], [0, 1], [1, 1]], float))
    assert list(cells) == [2, 3, 0, 1]


def test_codes_are_the_layers_activations():
    net = grey_net(1)
    images = list(net.space.to_input(np.random.RandomState(2).uniform(0, 255, (9, 28, 28, 3)))[:, None])
    codes, averaged, _ = viz.codes(net, images, "pool1")
    expected = net.forward(np.concatenate(images), end="pool1").reshape(9, -1)
    assert not averaged and codes.shape == (9, 6 * 14 * 14)
    np.testing.assert_allclose(codes, to_numpy(expected))


def test_the_layer_before_the_classifier():
    class Shapes:
        def __init__(self, spec, shape):
            self.arch = Architecture(spec, shape)
            self.layer_names, self.layers, self.shapes = self.arch.layer_names, self.arch.layers, self.arch.shapes
            self.param_shapes = self.arch.param_shapes
    assert default_layer(Shapes(vgg16(), (3, 224, 224))) == "relu7"
    assert default_layer(Shapes(squeezenet1_1(), (3, 227, 227))) == "fire9/concat"


def test_the_default_models_digits_fall_into_their_classes():
    from minicnn import load
    net = load()
    r = viz.run("tsne", net)
    assert r.points.shape == (1000, 2) and r.labelled and r.layer == "relu3" and len(set(r.cells)) == 1000
    # nearest neighbours in the embedding mostly share a label
    d = ((r.points[:, None] - r.points[None]) ** 2).sum(axis=2)
    np.fill_diagonal(d, np.inf)
    assert (r.labels[d.argmin(axis=1)] == r.labels).mean() > 0.95


def test_crops_of_the_stored_samples_keep_their_labels_and_are_the_same_in_every_call():
    import minicnn
    from minicnn.images import Samples
    from minicnn.viz.image_set import image_list, load
    net = minicnn.load()
    net.samples = Samples(net.samples.images[:6], net.samples.labels[:6])
    r = viz.embed(net, crops=2, perplexity=3)
    np.testing.assert_array_equal(r.labels, np.repeat(net.samples.labels, 2))      # each image's crops together
    a, b = image_list(net, None, crops=2, seed=5), image_list(net, None, crops=2, seed=5)
    np.testing.assert_array_equal(load(net, a[3]), load(net, b[3]))
    assert not np.array_equal(load(net, a[2]), load(net, a[3]))


def test_identical_codes_are_refused_instead_of_crashing_t_sne():
    import pytest
    from minicnn.errors import ArgumentError
    with pytest.raises(ArgumentError, match="all 6 codes are the same"):
        viz.tsne(np.ones((6, 10)))
