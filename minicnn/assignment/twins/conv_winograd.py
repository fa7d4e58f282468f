"""In this assignment the fast engine's twin of layers/conv.py is that layer itself, and never
taken (pays is always False): the Winograd original would give conv_backward away."""
from ..layers.conv import conv_backward, conv_forward  # noqa: F401

MIN_CHANNELS = 16


def pays(x_shape, w_shape, stride, pad):
    return False


def keeps_filters(x_shape, pad):
    return False
