"""Every backward pass against centered differences of its forward pass, in float64, over odd
sizes, strides, padding, ceil mode and non-square kernels (the configurations of
`python -m minicnn gradcheck`). A failure names the configuration, each input's relative
error, and the entry where your gradient and the numerical one differ most."""
import numpy as np
import pytest

from minicnn.gradcheck import assert_backward, cases

# which part of the assignment each configuration tests (a Gram matrix's backward is also used
# by the style loss)
PART = {"conv": "conv", "relu": "relu", "maxpool": "maxpool", "avgpool": "avgpool", "linear": "linear",
        "concat": "concat", "dropout": "dropout", "softmax": "softmax", "gram": "gram", "style_loss": "gram"}
CASES = [c for c in cases() if c.layer in PART]


@pytest.mark.parametrize("case", CASES, ids=[f"{PART[c.layer]}: {c.layer} {c.config}" for c in CASES])
def test_backward(case):
    assert_backward(case.forward, case.backward, case.inputs, config=f"{case.layer} {case.config}")


@pytest.mark.parametrize("mode", ["deconvnet", "guided"], ids=["relu: deconvnet rule", "relu: guided rule"])
def test_relu_rules_that_are_not_gradients(mode):
    """The deconvnet passes the upstream gradient where it is positive; guided backprop where
    it is positive and the forward input was too. Neither is a gradient, so they are checked
    against their definitions."""
    from minicnn.layers import relu_backward, relu_forward
    rng = np.random.RandomState(0)
    x, dout = rng.randn(2, 3, 4, 5), rng.randn(2, 3, 4, 5)
    _, cache = relu_forward(x)
    expected = np.where(dout > 0, dout, 0) if mode == "deconvnet" else np.where((x > 0) & (dout > 0), dout, 0)
    np.testing.assert_array_equal(relu_backward(dout, cache, mode=mode), expected,
                                  err_msg=f"relu_backward mode={mode}")
