"""The small layers: fully connected, concatenation, dropout, softmax and the softmax loss."""
import numpy as np
import pytest

from minicnn.errors import ArgumentError, ShapeError
from minicnn.gradcheck import assert_backward, rel_error
from minicnn.layers import (concat_backward, concat_forward, dropout_backward, dropout_forward,
                            linear_backward, linear_forward, softmax_backward, softmax_forward,
                            softmax_loss)



@pytest.mark.parametrize("x_shape, M", [((3, 7), 5), ((2, 3, 4, 5), 6), ((1, 1), 1), ((4, 2, 1, 1), 3)])
def test_linear(x_shape, M):
    rng = np.random.RandomState(0)
    D = int(np.prod(x_shape[1:]))
    inputs = {"x": rng.randn(*x_shape), "w": rng.randn(M, D), "b": rng.randn(M)}
    out, _ = linear_forward(**inputs)
    # flattening follows C, H, W (row-major) order
    expected = np.array([[sum(inputs["x"][n].ravel()[d] * inputs["w"][m, d] for d in range(D)) + inputs["b"][m]
                          for m in range(M)] for n in range(x_shape[0])])
    assert rel_error(out, expected) < 1e-12
    assert_backward(linear_forward, lambda d, c: dict(zip("xwb", linear_backward(d, c))), inputs,
                    f"linear x{x_shape} M={M}")


def test_linear_bad_shapes():
    with pytest.raises(ShapeError, match=r"linear_forward: x of shape \(2, 3, 4, 4\) has 48 features .* expects 50"):
        linear_forward(np.zeros((2, 3, 4, 4)), np.zeros((10, 50)), np.zeros(10))
    with pytest.raises(ShapeError, match="linear_forward: w must have 2 dimensions"):
        linear_forward(np.zeros((2, 3)), np.zeros((10, 3, 1)), np.zeros(10))


def test_concat():
    rng = np.random.RandomState(1)
    inputs = {f"x{i}": rng.randn(2, c, 3, 4) for i, c in enumerate((2, 3, 1))}
    out, _ = concat_forward(list(inputs.values()))
    np.testing.assert_array_equal(out[:, 2:5], inputs["x1"])
    assert_backward(lambda **xs: concat_forward(list(xs.values())),
                    lambda d, c: {f"x{i}": g for i, g in enumerate(concat_backward(d, c))}, inputs, "concat")


def test_concat_refuses_mismatched_maps():
    with pytest.raises(ShapeError, match=r"concat_forward: .*\(1, 2, 3, 3\), \(1, 2, 4, 3\)"):
        concat_forward([np.zeros((1, 2, 3, 3)), np.zeros((1, 2, 4, 3))])


def test_dropout_is_identity_at_inference():
    x = np.random.RandomState(2).randn(3, 4)
    out, cache = dropout_forward(x, 0.5)
    assert out is x and dropout_backward(x, cache) is x


def test_dropout_in_training_keeps_the_expectation():
    x = np.ones((200, 500))
    out, cache = dropout_forward(x, 0.3, train=True, seed=0)
    kept = out != 0
    assert abs(kept.mean() - 0.7) < 0.01
    np.testing.assert_allclose(out[kept], 1 / 0.7)
    assert abs(out.mean() - 1) < 0.01
    np.testing.assert_array_equal(dropout_backward(np.ones_like(x), cache), out)
    assert_backward(lambda x: dropout_forward(x, 0.3, train=True, seed=1),
                    lambda d, c: {"x": dropout_backward(d, c)}, {"x": np.random.randn(4, 5)}, "dropout")


@pytest.mark.parametrize("p", [-0.1, 1.0, 2])
def test_dropout_bad_probability(p):
    with pytest.raises(ArgumentError, match="dropout_forward: p must be in"):
        dropout_forward(np.zeros(3), p)


def test_softmax():
    x = np.array([[1.0, 2.0, 3.0], [1000.0, 1000.0, 1000.0]])     # large scores must not overflow
    p, _ = softmax_forward(x)
    e = np.exp([1.0, 2.0, 3.0])
    np.testing.assert_allclose(p[0], e / e.sum())
    np.testing.assert_allclose(p[1], [1 / 3] * 3)
    for shape in [(3, 7), (2, 5, 1, 1)]:
        assert_backward(softmax_forward, lambda d, c: {"x": softmax_backward(d, c)},
                        {"x": np.random.RandomState(3).randn(*shape)}, f"softmax {shape}")


def test_softmax_loss_known_values_and_gradient():
    loss, d = softmax_loss(np.zeros((4, 10)), np.array([0, 1, 2, 3]))
    assert abs(loss - np.log(10)) < 1e-12                       # uniform prediction: log K
    np.testing.assert_allclose(d.sum(axis=1), 0, atol=1e-15)
    rng = np.random.RandomState(4)
    scores, y = rng.randn(5, 7), rng.randint(7, size=5)
    num = np.zeros_like(scores)
    for i in np.ndindex(*scores.shape):
        s = scores.copy(); s[i] += 1e-6; up = softmax_loss(s, y)[0]
        s[i] -= 2e-6; down = softmax_loss(s, y)[0]
        num[i] = (up - down) / 2e-6
    assert rel_error(softmax_loss(scores, y)[1], num) < 1e-7


@pytest.mark.parametrize("scores, y, error, message", [
    (np.zeros((2, 3)), np.array([0, 3]), ArgumentError, r"labels must be in \[0, 3\)"),
    (np.zeros((2, 3)), np.array([0.0, 1.0]), ShapeError, "integer labels"),
    (np.zeros((2, 3)), np.array([0]), ShapeError, "integer labels"),
    (np.array([[0.0, np.nan, 1.0]]), np.array([0]), ArgumentError, "NaN or inf"),
    (np.zeros(3), np.array([0]), ShapeError, "2 dimensions"),
])
def test_softmax_loss_bad_input(scores, y, error, message):
    with pytest.raises(error, match=message):
        softmax_loss(scores, y)
