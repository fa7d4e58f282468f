"""The three ReLU backward rules on hand-made arrays."""
import numpy as np
import pytest

from minicnn.errors import ArgumentError, ShapeError
from minicnn.gradcheck import assert_backward, away_from_kinks
from minicnn.layers import relu_backward, relu_forward

X = np.array([[-2.0, -1.0, 0.0, 1.0, 2.0]])
DOUT = np.array([[3.0, -3.0, 5.0, -4.0, 6.0]])


def test_forward():
    out, _ = relu_forward(X)
    np.testing.assert_array_equal(out, [[0, 0, 0, 1, 2]])


@pytest.mark.parametrize("mode, expected", [
    # backprop: keep where the forward input was positive       (x > 0) * dout
    ("backprop", [[0, 0, 0, -4, 6]]),
    # deconvnet: keep where the upstream signal is positive     (dout > 0) * dout
    ("deconvnet", [[3, 0, 5, 0, 6]]),
    # guided: both at once                                      (x > 0) * (dout > 0) * dout
    ("guided", [[0, 0, 0, 0, 6]]),
])
def test_backward_rules_by_hand(mode, expected):
    _, cache = relu_forward(X)
    np.testing.assert_array_equal(relu_backward(DOUT, cache, mode), expected)


def test_default_mode_is_backprop_and_is_the_gradient():
    x = away_from_kinks(np.random.RandomState(0).randn(3, 4, 5))
    assert_backward(relu_forward, lambda d, c: {"x": relu_backward(d, c)}, {"x": x}, "relu 3x4x5")


def test_deconvnet_ignores_the_forward_mask():
    rng = np.random.RandomState(1)
    d = rng.randn(4, 6)
    a, b = relu_forward(rng.randn(4, 6))[1], relu_forward(rng.randn(4, 6))[1]
    assert (a != b).any()
    np.testing.assert_array_equal(relu_backward(d, a, "deconvnet"), relu_backward(d, b, "deconvnet"))


def test_guided_is_backprop_of_the_positive_part():
    rng = np.random.RandomState(2)
    x, d = rng.randn(5, 7), rng.randn(5, 7)
    _, cache = relu_forward(x)
    np.testing.assert_array_equal(relu_backward(d, cache, "guided"), relu_backward(np.maximum(d, 0), cache))


def test_unknown_mode():
    with pytest.raises(ArgumentError, match="unknown mode 'guided_backprop'"):
        relu_backward(DOUT, relu_forward(X)[1], "guided_backprop")


def test_shape_mismatch():
    with pytest.raises(ShapeError, match=r"relu_backward: dout has shape \(5,\), expected \(1, 5\)"):
        relu_backward(np.ones(5), relu_forward(X)[1])
