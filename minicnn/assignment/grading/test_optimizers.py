"""The optimizers' first steps, written out (minicnn/train/optim.py)."""
import numpy as np
import pytest

from minicnn.train import optim

W, G = np.array([1.0, -2.0, 0.5]), np.array([0.5, -1.0, 0.0])


def test_sgd_with_momentum_two_steps():
    """optimizers: v = momentum v - lr g; w = w + v, with v = 0 before the first step."""
    w1, s = optim.sgd(W, G, {}, lr=0.1, momentum=0.9)
    np.testing.assert_allclose(w1, W - 0.1 * G)
    w2, s = optim.sgd(w1, G, s, lr=0.1, momentum=0.9)
    np.testing.assert_allclose(w2, w1 + 0.9 * (-0.1 * G) - 0.1 * G)


def test_sgd_nesterov_and_weight_decay():
    """optimizers: Nesterov steps by momentum v - lr g; weight decay adds wd w to the gradient."""
    w1, s = optim.sgd(W, G, {}, lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.01)
    g = G + 0.01 * W
    np.testing.assert_allclose(w1, W + 0.9 * (-0.1 * g) - 0.1 * g)


def test_adam_first_steps():
    """optimizers: after bias correction Adam's first step is lr g / (|g| + eps) in every entry."""
    w1, s = optim.adam(W, G, {}, lr=0.01)
    np.testing.assert_allclose(w1, W - 0.01 * G / (np.abs(G) + 1e-8))
    w2, s = optim.adam(w1, 2 * G, s, lr=0.01)
    m, v = 0.9 * 0.1 * G + 0.1 * 2 * G, 0.999 * 0.001 * G ** 2 + 0.001 * 4 * G ** 2
    m_hat, v_hat = m / (1 - 0.9 ** 2), v / (1 - 0.999 ** 2)
    np.testing.assert_allclose(w2, w1 - 0.01 * m_hat / (np.sqrt(v_hat) + 1e-8))
    assert s["t"] == 2


@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
def test_a_quadratic_is_minimized(optimizer):
    """optimizers: 200 steps on 1/2 |w - 3|^2 end near w = 3."""
    w, state = np.zeros(4), {}
    for _ in range(200):
        w, state = optim.update(optimizer, w, w - 3.0, state, lr=0.1)
    np.testing.assert_allclose(w, 3.0, atol=1e-3)
