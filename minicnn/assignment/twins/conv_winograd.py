"""In this assignment the fast twin of layers/conv.py is that layer itself: the Winograd
original would give conv_backward away. The Net never chooses it (pays is always False)."""
from .conv import conv_backward, conv_forward  # noqa: F401

MIN_CHANNELS = 16


def pays(x_shape, w_shape, stride, pad):
    return False
