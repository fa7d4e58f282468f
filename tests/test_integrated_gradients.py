"""Integrated Gradients: completeness on the default model, exactness on a linear model, the
quadrature rules against each other, the baselines, and gradient x input."""
import numpy as np
import pytest

from minicnn import Net, io, viz
from minicnn.backend import to_numpy
from minicnn.errors import ArgumentError
from minicnn.images import ImageSpace
from minicnn.viz import integrated as ig


@pytest.fixture(scope="module")
def digits():
    return io.load("digits")


def test_completeness_within_one_percent_at_the_default_steps(digits):
    defaults = ig.Settings()
    for i in range(8):
        x = digits.space.preprocess(digits.samples.images[i])
        r = viz.run("integrated-gradients", digits, x)
        assert r.settings.steps == defaults.steps and r.steps == int(defaults.steps)
        assert r.gap < 0.01, (i, r.gap)
        assert r.total == pytest.approx(r.attributions.sum())
        assert abs(r.total - (r.score - r.baseline_score)) < 0.01 * abs(r.score - r.baseline_score)


def linear_net(classes=3, shape=(2, 4, 4), seed=0):
    spec = [{"name": "fc", "type": "linear", "out_features": classes}, {"name": "prob", "type": "softmax"}]
    rng = np.random.RandomState(seed)
    params = {"fc": {"W": rng.randn(classes, int(np.prod(shape))), "b": rng.randn(classes)}}
    return Net(spec, shape, params=params, dtype=np.float64, space=ImageSpace.identity(shape))


@pytest.mark.parametrize("rule", ig.RULES)
def test_on_a_linear_model_ig_is_the_gradient_times_the_difference(rule):
    net = linear_net()
    rng = np.random.RandomState(1)
    x, x0 = rng.randn(1, 2, 4, 4), rng.randn(1, 2, 4, 4)
    path = ig.integrated_gradients(net, x, 2, x0, steps=3, rule=rule)
    expected = to_numpy(net.params["fc"]["W"])[2].reshape(2, 4, 4) * (x - x0)[0]
    np.testing.assert_allclose(path.attributions, expected, rtol=1e-13, atol=1e-14)
    assert path.gap < 1e-12


def test_gauss_legendre_needs_fewer_steps_than_riemann_on_a_smooth_model():
    """On a smooth objective (the log-probability of a linear softmax model) Gauss-Legendre's
    error falls far faster than any Riemann sum's: the steps each needs for a gap under 1e-6."""
    net = linear_net(seed=4)
    rng = np.random.RandomState(5)
    x, x0 = 2 * rng.randn(1, 2, 4, 4), np.zeros((1, 2, 4, 4))

    def gap(rule, m):
        return ig.integrated_gradients(net, x, 0, x0, m, rule, objective="logprob").gap
    gl = next(m for m in range(1, 33) if gap("gauss-legendre", m) < 1e-6)      # 10 here
    for rule in ("left", "right", "middle", "trapezoid"):
        assert gap(rule, 10 * gl) > 1e-6, rule              # still short with ten times the steps


@pytest.mark.parametrize("rule, m, points", [("left", 4, [0, .25, .5, .75]), ("right", 4, [.25, .5, .75, 1]),
                                              ("middle", 2, [.25, .75]), ("trapezoid", 2, [0, .5, 1])])
def test_quadrature_points_and_weights(rule, m, points):
    a, w = ig.quadrature(rule, m)
    np.testing.assert_allclose(a, points)
    assert w.sum() == pytest.approx(1.0)
    if rule == "trapezoid":
        np.testing.assert_allclose(w, [.25, .5, .25])
    # exact on a polynomial of degree 2m-1 for Gauss-Legendre
    a, w = ig.quadrature("gauss-legendre", m)
    assert (w * a ** (2 * m - 1)).sum() == pytest.approx(1 / (2 * m), rel=1e-13)


def test_baselines(digits):
    x = digits.space.preprocess(digits.samples.images[0])
    low, high = digits.space.bounds()
    black = ig.baseline(digits, x, "black")
    np.testing.assert_allclose(black, np.broadcast_to(low, x.shape), rtol=1e-7)
    assert black.dtype == x.dtype and np.array_equal(x == black, digits.samples.images[0][None, None] == 0)
    np.testing.assert_array_equal(ig.baseline(digits, x, "mean"), 0)
    blur = ig.baseline(digits, x, "blur")
    assert blur.mean() == pytest.approx(x.mean(), abs=0.05) and blur.std() < 0.6 * x.std()
    noise = ig.baseline(digits, x, "noise", seed=3)
    assert noise.min() >= low.min() and noise.max() <= high.max() and noise.std() > 0.5
    np.testing.assert_array_equal(noise, ig.baseline(digits, x, "noise", seed=3))
    assert not np.array_equal(noise, ig.baseline(digits, x, "noise", seed=4))


def test_gradient_times_input_is_ig_from_the_mean_with_one_right_step(digits):
    x = digits.space.preprocess(digits.samples.images[1])
    path = ig.integrated_gradients(digits, x, 2, np.zeros_like(x), steps=1, rule="right")
    np.testing.assert_allclose(ig.gradient_input(digits, x, 2), path.attributions, rtol=1e-12, atol=1e-12)


def test_auto_doubles_until_the_gap_is_small(digits):
    x = digits.space.preprocess(digits.samples.images[0])
    r = viz.run("integrated-gradients", digits, x, steps="auto", rule="left")
    steps, gaps = [m for m, _ in r.tried], [g for _, g in r.tried]
    assert steps == [8 * 2 ** i for i in range(len(steps))] and len(steps) >= 2
    assert max(gaps[-2:]) < 0.01 and gaps[-1] == r.gap                 # under 1 % twice running ...
    assert all(max(a, b) >= 0.01 for a, b in zip(gaps[:-2], gaps[1:-1]))   # ... and not before


@pytest.mark.parametrize("steps", ["0", "abc", "2000", "-3", "８"])
def test_bad_steps_are_refused(steps):
    with pytest.raises(ArgumentError, match="steps must be"):
        ig.Settings(steps=steps)


@pytest.mark.parametrize("rule", ["left", "right", "trapezoid", "middle"])
def test_auto_reuses_the_points_a_doubling_keeps(digits, rule):
    """Doubling the steps of a nested rule evaluates only the new midpoints, and gives the sum a
    direct run of the final steps gives (in float64: float32 sums depend on how points are batched)."""
    net = digits.astype(np.float64)
    x = net.space.preprocess(net.samples.images[5]).astype(np.float64)
    x0 = ig.baseline(net, x, "black")
    path, tried = ig.auto_steps(net, x, 5, x0, rule)
    direct = ig.integrated_gradients(net, x, 5, x0, path.steps, rule)
    np.testing.assert_allclose(path.attributions, direct.attributions, rtol=1e-9, atol=1e-12)
    steps = [m for m, _ in tried]
    fresh = sum(len(ig.quadrature(rule, m)[0]) for m in steps)
    nested = len(ig.quadrature(rule, steps[0])[0]) + sum(m // 2 for m in steps[1:])
    assert path.gradients == (nested if rule in ig.NESTED else fresh)
