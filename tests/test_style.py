"""Neural style: the loss falls, the layers and targets are the paper's, colours can be kept."""
import numpy as np
import pytest

from minicnn import viz
from minicnn.errors import ArgumentError
from minicnn.models import vgg16
from minicnn.architecture import Architecture
from minicnn.viz.style import YIQ, default_layers, luminance_transfer

from nets import make


def images(net, seed):
    rng = np.random.RandomState(seed)
    return [net.space.to_input(rng.uniform(0, 255, (15, 15, 3))).astype(np.float64) for _ in range(2)]


@pytest.mark.parametrize("optimizer", ["adam", "lbfgs"])
def test_the_loss_falls_over_the_first_steps(optimizer):
    net = make("fire_style", seed=1)
    content, style = images(net, 2)
    r = viz.style_transfer(net, content, style, content_layers=["fire2/concat"], style_layers=["relu_conv1", "fire2/concat"],
                           optimizer=optimizer, iterations=12, lr=0.5)
    total = r.losses["total"]
    assert total[-1] < 0.8 * total[0]
    if optimizer == "adam":
        assert all(b < a for a, b in zip(total[:6], total[1:7])), total
    low, high = net.space.bounds()
    assert (r.image >= low - 1e-6).all() and (r.image <= high + 1e-6).all()


def test_gatys_layers_for_vgg16():
    class Shapes:                          # only the architecture is needed to choose layers
        arch = Architecture(vgg16(), (3, 224, 224))
        layer_names, layers, shapes = arch.layer_names, arch.layers, arch.shapes
    assert default_layers(Shapes) == (["relu4_2"], ["relu1_1", "relu2_1", "relu3_1", "relu4_1", "relu5_1"])


def test_style_weights_mix_the_gram_targets():
    net = make("fire_style", seed=3)
    content, style = images(net, 4)
    one = viz.style_transfer(net, content, style, iterations=3, optimizer="adam")
    twice = viz.style_transfer(net, content, np.concatenate([style, style]), [0.3, 0.7], iterations=3,
                               optimizer="adam")
    np.testing.assert_allclose(one.losses["total"], twice.losses["total"], rtol=1e-10)
    with pytest.raises(ArgumentError, match="as many non-negative weights"):
        viz.style_transfer(net, content, style, [0.5, 0.5], iterations=1)


def test_original_colors_keep_the_contents_chrominance():
    net = make("fire_style", seed=5)
    content, result = images(net, 6)
    mixed = luminance_transfer(net.space, content, result)
    yiq = lambda a: net.space.to_pixels(a)[0] @ YIQ.T          # noqa: E731
    inside = (net.space.to_pixels(mixed)[0] > 1).all(axis=-1) & (net.space.to_pixels(mixed)[0] < 254).all(axis=-1)
    assert inside.mean() > 0.5                                   # most pixels need no clipping
    np.testing.assert_allclose(yiq(mixed)[inside][..., 0], yiq(result)[inside][..., 0], atol=1e-3)   # float32 input
    np.testing.assert_allclose(yiq(mixed)[inside][..., 1:], yiq(content)[inside][..., 1:], atol=1e-3)


def test_bad_style_weights_are_refused_before_any_work():
    with pytest.raises(ArgumentError, match="give 2 non-negative weights"):
        viz.run("style", None, np.zeros((1, 3, 8, 8)), style="a.png,b.png", style_weights="1,x")
