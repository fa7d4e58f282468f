"""Helpers for the layer tests: a gradient check that names the failing configuration."""
import numpy as np

from minicnn.gradcheck import THRESHOLD, numerical_gradient, rel_error


def assert_gradients(forward, backward, inputs, config, seed=0, h=1e-5):
    """forward(**inputs) -> (out, cache); backward(dout, cache) -> {name: grad}. float64 only."""
    out, cache = forward(**inputs)
    dout = np.random.RandomState(seed).randn(*out.shape)
    analytic = backward(dout, cache)
    for name, value in inputs.items():
        num = numerical_gradient(lambda v: forward(**{**inputs, name: v})[0], value, dout, h)
        err = rel_error(analytic[name], num)
        assert err <= THRESHOLD, f"d{name} relative error {err:.2e} for {config}"
