"""In this assignment the fast twin of layers/relu.py is that layer itself: the Numba original
would give relu_backward away."""
from .relu import relu_backward, relu_forward  # noqa: F401
