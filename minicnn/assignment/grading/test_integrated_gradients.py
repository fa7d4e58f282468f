"""Integrated Gradients (minicnn/viz/integrated.py): quadrature's points and weights against
reference arrays; path_average exact on a linear model, complete on the digits model, and
against reference arrays."""
import numpy as np
import pytest

import minicnn
from grading import assert_matches, digits, mistakes, needs, ready, reference
from minicnn.viz.integrated import path_average, quadrature
from minicnn.viz.saliency import class_gradient
from minicnn.viz.targets import scores

REF = reference("integrated-gradients")
RULES = [(rule, m) for rule in ("left", "right", "middle", "trapezoid", "gauss-legendre") for m in (4, 5)]


@pytest.mark.parametrize("rule", RULES, ids=[f"integrated-gradients: {r} {m}" for r, m in RULES])
def test_quadrature(rule):
    rule, m = rule
    points, weights = quadrature(rule, m)
    for what, got in (("points", points), ("weights", weights)):
        key = f"{rule} {m} {what}"
        assert_matches("integrated-gradients", f"quadrature({rule!r}, {m})'s {what}", got, REF[key],
                       mistakes(REF, key), atol=1e-12)


def test_path_average_on_a_linear_model_is_the_weights():
    """integrated-gradients: on a linear model every gradient is the class's weights."""
    net = ready(minicnn.Net([{"name": "fc", "type": "linear", "out_features": 3}], (1, 4, 4), dtype=np.float64,
                            seed=0))
    rng = np.random.RandomState(1)
    x, x0 = rng.randn(1, 1, 4, 4), rng.randn(1, 1, 4, 4)
    needs(class_gradient, net, x, 2)
    points, weights = quadrature("trapezoid", 8)
    got = path_average(net, x, 2, x0, points, weights)
    expected = minicnn.to_numpy(net.params["fc"]["W"])[2].reshape(1, 4, 4)
    assert_matches("integrated-gradients", "path_average on a linear model (fc: 16 -> 3), class 2", got, expected,
                   atol=1e-12)


def test_path_average_is_complete_on_the_digits():
    """integrated-gradients: from black to sample 0, 64 trapezoid steps: the attributions add up
    to the change of the score within 1 %, and 16 steps give the reference."""
    net, x, x0 = digits(), REF["x"], REF["x0"]
    needs(class_gradient, net, x, 0)
    points, weights = quadrature("trapezoid", 16)
    assert_matches("integrated-gradients", "path_average(net, sample 0, 0, black, 16 trapezoid steps)",
                   path_average(net, x, 0, x0, points, weights, batch=5), REF["path_average trapezoid 16"],
                   mistakes(REF, "path_average trapezoid 16"), atol=1e-9)
    points, weights = quadrature("trapezoid", 64)
    total = float(((x - x0)[0] * path_average(net, x, 0, x0, points, weights)).sum())
    s = scores(net, np.concatenate([x, x0]))[:, 0]
    change = float(s[0] - s[1])
    assert abs(total - change) <= 0.01 * abs(change), \
        f"integrated-gradients: the attributions add up to {total:.6g}, the score changes by {change:.6g}"
