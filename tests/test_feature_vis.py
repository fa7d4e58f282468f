"""Feature visualization (Olah et al. 2017): the parameterizations, transforms and objectives on
known answers (their gradients are checked with every layer's, in test_gradcheck.py), and
classviz with --param."""
import numpy as np
import pytest

from minicnn import viz
from minicnn.errors import ArgumentError
from minicnn.images import CAFFE, ImageSpace
from minicnn.viz import feature_vis as FV
from minicnn.viz import param as P
from minicnn.viz import transforms as T

from minicnn.gradcheck import numerical_gradient, rel_error

from nets import grey_net, make


def test_a_constant_spectrum_is_a_flat_image_and_high_frequencies_are_damped():
    h, w = 6, 8
    scale = P.fourier_scale(h, w)
    spectrum = np.zeros((1, 1, 2, h, w // 2 + 1))
    spectrum[0, 0, 0, 0, 0] = 2.0
    image, _ = P.fourier_forward(spectrum, scale, (h, w))
    np.testing.assert_allclose(image, 2.0 * scale[0, 0] / (h * w))
    f = P.frequencies(h, w)
    assert scale[0, 0] == pytest.approx(np.sqrt(h * w) / 4 * max(h, w))          # 1/f capped at 1/max(h, w)
    np.testing.assert_allclose(scale[f > 0] * f[f > 0], np.sqrt(h * w) / 4)    # 1/f elsewhere


def test_the_colour_matrix_and_the_start_image():
    assert np.linalg.norm(P.COLOR_MATRIX, axis=0).max() == pytest.approx(1.0)
    space = ImageSpace(**CAFFE, size=(5, 5))
    for kind in P.PARAMS:
        param = P.Param(kind, space)
        x, _ = param.forward(np.zeros(param.shape(1, (5, 5))), (5, 5))
        np.testing.assert_allclose(space.to_pixels(x), 127.5)                 # sigmoid(0) = 0.5: mid-grey


def test_resampling_is_exact_where_it_should_be():
    x = np.random.RandomState(0).randn(2, 3, 6, 6)
    np.testing.assert_allclose(T.resample_forward(x, *T.affine_grid((6, 6), (6, 6)))[0], x, atol=1e-12)
    turned, _ = T.resample_forward(x, *T.affine_grid((6, 6), (6, 6), degrees=90))
    np.testing.assert_allclose(turned, np.rot90(x, k=-1, axes=(2, 3)), atol=1e-12)     # 90 degrees clockwise
    half, _ = T.resample_forward(x, *T.affine_grid((6, 6), (3, 3)))           # a resize by 2: window means
    np.testing.assert_allclose(half, x.reshape(2, 3, 3, 2, 3, 2).mean(axis=(3, 5)), atol=1e-12)


def test_lucids_transforms_scale_with_the_image():
    r = T.Robust.for_size((224, 224))
    assert (r.pad, r.jitter, r.jitter2, r.scales, r.degrees) == (12, 8, 4, (0.9, 1.1), 10)
    r = T.Robust.for_size((28, 28))
    assert (r.pad, r.jitter, r.jitter2) == (2, 1, 1)
    x = np.random.RandomState(1).randn(1, 3, 28, 28)
    out, _ = r.forward(x, np.random.default_rng(0), (28, 28), 0.0)
    assert out.shape == x.shape


def test_objectives_add_and_scale_and_diversity_has_known_values():
    f = np.random.RandomState(2).randn(3, 4, 5, 5)
    (v1, g1), (v2, g2) = FV.channel("L", 1)({"L": f}), FV.diversity("L")({"L": f})
    v, g = (FV.channel("L", 1) - 2 * FV.diversity("L"))({"L": f})
    assert v == pytest.approx(v1 - 2 * v2) and np.allclose(g["L"], g1["L"] - 2 * g2["L"])
    assert v1 == pytest.approx(f[:, 1].mean(axis=(1, 2)).sum())
    same = np.repeat(f[:1], 3, axis=0)
    assert FV.diversity("L")({"L": same})[0] == pytest.approx(2.0)           # N - 1: every pair alike
    apart = np.zeros((2, 2, 1, 1))
    apart[0, 0], apart[1, 1] = 1.0, 1.0                                      # Gram matrices orthogonal
    assert FV.diversity("L")({"L": apart})[0] == pytest.approx(0.0)


@pytest.mark.parametrize("kind", P.PARAMS)
def test_a_whole_step_is_the_gradient_of_its_objective(kind):
    """Parameters -> image -> random transforms -> net -> a unit minus the L1 prior, backward by
    hand through all of it: equal to the numerical gradient in float64 (the same transforms)."""
    net = make("vgg_style", space=ImageSpace(**CAFFE, size=(8, 8)))
    param, robust = P.Param(kind, net.space), T.Robust.for_size((8, 8))
    border = param._to_input(np.full((1, 3, 1, 1), 0.5))
    objective = FV.channel("conv2_1", 1) - 0.01 * FV.l1(P.mean_colour(net.space))
    p = np.random.default_rng(0).standard_normal(param.shape(1, (8, 8)))

    def value(p):
        return FV.step_gradient(net, objective, param, p, robust, np.random.default_rng(3), border)[0]
    _, dp = FV.step_gradient(net, objective, param, p, robust, np.random.default_rng(3), border)
    assert rel_error(dp, numerical_gradient(value, p)) < 1e-7


def test_the_l1_prior_pulls_towards_the_mean_colour_and_only_there():
    space = ImageSpace(**CAFFE, size=(4, 4))
    mean = P.mean_colour(space)
    np.testing.assert_allclose(mean, np.array([123.0, 117.0, 104.0]) / 255)          # Caffe's BGR mean, as RGB
    param = P.Param("pixel", space)
    np.testing.assert_allclose(param._to_input(mean.reshape(1, 3, 1, 1)), 0.0, atol=1e-12)   # input 0 is the mean
    u = np.random.default_rng(0).uniform(size=(1, 3, 4, 4))
    np.testing.assert_allclose(param.to_unit(param._to_input(u)), u)
    value, grads = FV.l1(mean)({FV.INPUT: u})
    assert value == pytest.approx(np.abs(u - mean.reshape(1, 3, 1, 1)).sum())
    assert (-0.1 * FV.l1(mean)).name == "-0.1 L1" and (FV.channel("c", 1) - FV.l1(mean)).name == "c:1 - L1"
    with pytest.raises(ArgumentError, match="reads no layer"):
        FV.render(grey_net(), FV.l1([0.0]), steps=1)


def test_the_l1_prior_draws_digits_as_strokes_on_the_background():
    """On the digits model the render without the prior fills the image with ink; with the
    digits' default (0.1) most pixels stay at the background and the class still wins."""
    from minicnn import load
    from minicnn.models import DEFAULT_MODEL, MODELS
    net = load(DEFAULT_MODEL)
    assert MODELS[DEFAULT_MODEL].viz_defaults["classviz"]["l1"] == 0.1
    with net.frozen():
        ink = {}
        for l1 in (0.0, 0.1):
            r = viz.run("classviz", net, target=3, l1=l1, iterations=128)
            ink[l1] = np.mean(P.Param("fourier", net.space).to_unit(r.x) > 0.5)
            assert int(np.argmax(net.forward(r.x.astype(net.dtype)))) == 3
    assert ink[0.1] < 0.3 < ink[0.0]


def test_render_raises_the_objective_and_diversity_makes_different_images():
    net = grey_net()
    with net.frozen():
        r = FV.render(net, FV.unit_objective(net, "fc", 3), steps=40, lr=0.05)
        assert r.values[-1] > r.values[0] + 1.0 and r.images.shape == (1, 1, 28, 28)
        two = FV.render(net, FV.channel("conv1", 2) - 10.0 * FV.diversity("conv1"), steps=20, batch=2, seed=1)
    assert two.images.shape == (2, 1, 28, 28) and not np.allclose(two.images[0], two.images[1])


def test_classviz_with_param(tmp_path):
    net = grey_net()
    r = viz.run("classviz", net, target=3, param="fourier", iterations=10)
    assert r.param == "fourier" and r.robust and r.preset is None and len(r.history) == 10
    r = viz.run("classviz", net, layer="relu1", unit=2, param="pixel", robust="off", batch=2, diversity=50.0,
                iterations=5)
    assert r.images.shape == (2, 1, 28, 28) and not r.robust and r.pushed == {"layer": "conv1", "unit": 2}
    from minicnn import display
    assert len(display.class_model(net, r)) == 2
    with pytest.raises(ArgumentError, match="give one"):
        viz.run("classviz", net, target=3, param="fourier", preset="yosinski3")
    with pytest.raises(ArgumentError, match="go with --param"):
        viz.run("classviz", net, target=3, batch=2)


def test_a_models_feature_visualization_default_yields_to_a_preset_given():
    net = grey_net()
    net.meta["name"] = "squeezenet1_1"            # its registry entry prefers feature visualization
    assert viz.run("classviz", net, target=3, iterations=3).param == "fourier"
    r = viz.run("classviz", net, target=3, iterations=3, preset="yosinski3")
    assert r.param is None and r.preset == "yosinski3"


def test_a_model_names_a_default_for_each_way_and_the_callers_way_wins():
    """The digits name the render with its L1 prior and a Yosinski preset: without a choice the
    render; a preset drops the render's settings; one of the render's keeps the others."""
    net = grey_net()
    net.meta["name"] = "digits"
    def used(**given):
        s = viz.run("classviz", net, target=3, iterations=2, **given).settings
        return s.param, s.l1, s.preset
    assert used() == ("fourier", 0.1, None)
    assert used(preset="yosinski3") == (None, None, "yosinski3")
    assert used(l1=0.5) == ("fourier", 0.5, None)
    assert used(param="pixel") == ("pixel", 0.1, None)


def test_the_class_model_function_takes_a_param():
    net = grey_net()
    values = []
    with net.frozen():
        image = viz.class_model(net, "fc", 3, param="fourier", steps=15, history=values)
    assert image.shape == (1, 1, 28, 28) and len(values) == 15 and values[-1] > values[0]
