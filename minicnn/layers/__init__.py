"""The layer library: pure functions, one module per layer.

Every layer is a pair

    out, cache = <layer>_forward(x, ...)     cache holds what the backward pass needs
    dx, ...    = <layer>_backward(dout, cache)
    R_in       = <layer>_relevance(R, cache, ...)   relevance (LRP) for layers that share it out

with every shape given in the docstrings. Nothing here keeps state; ``minicnn.net.Net``
wires the functions into a network.
"""
from .avgpool import avgpool_backward, avgpool_forward, avgpool_relevance
from .concat import concat_backward, concat_forward, concat_relevance
from .conv import conv_backward, conv_forward, conv_output_size, conv_relevance
from .dropout import dropout_backward, dropout_forward
from .linear import linear_backward, linear_forward, linear_relevance
from .maxpool import maxpool_backward, maxpool_forward, maxpool_relevance
from .pool_common import pool_output_size
from .relevance import POOL_RULES, WEIGHTED_RULES
from .relu import RELU_MODES, relu_backward, relu_forward
from .softmax import softmax_backward, softmax_forward, softmax_loss

__all__ = [
    "conv_forward", "conv_backward", "conv_output_size",
    "relu_forward", "relu_backward", "RELU_MODES",
    "maxpool_forward", "maxpool_backward", "avgpool_forward", "avgpool_backward", "pool_output_size",
    "linear_forward", "linear_backward",
    "concat_forward", "concat_backward",
    "dropout_forward", "dropout_backward",
    "softmax_forward", "softmax_backward", "softmax_loss",
    "conv_relevance", "linear_relevance", "maxpool_relevance", "avgpool_relevance", "concat_relevance",
    "WEIGHTED_RULES", "POOL_RULES",
]
