"""In this assignment the fast engine's twin of layers/relu.py is that layer itself: the Numba
original would give relu_backward away."""
from ..layers.relu import relu_backward as _relu_backward
from ..layers.relu import relu_forward as _relu_forward


def relu_forward(x, overwrite=False):
    """As relu.relu_forward; the output is a new array either way."""
    return _relu_forward(x)


def relu_backward(dout, cache, mode="backprop", overwrite=False):
    """As relu.relu_backward; dx is a new array either way."""
    return _relu_backward(dout, cache, mode)
