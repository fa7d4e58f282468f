"""Winograd F(2x2, 3x3): the fast path for 3x3, stride-1 convolutions on the CPU (NumPy arrays).

reference.py defines it in NumPy (read that); cpu.py runs it with Numba transforms around
BLAS products; fast/conv_winograd.py is the layer built on them. The fast engine takes it where
``conv_winograd.pays`` says so (fast/engine.py).
"""
from . import cpu, reference  # noqa: F401  (reference is part of the public story)


def supports(kernel, stride, pad):
    """Whether a convolution with this (kh, kw), stride and pad (as pairs) can take this path:
    3x3 filters, stride 1, padding 0..2 (so that the backward's 2 - pad is a padding too)."""
    return tuple(kernel) == (3, 3) and tuple(stride) == (1, 1) and all(0 <= p <= 2 for p in pad)


transform_filters = cpu.transform_filters
rotated = cpu.rotated
conv_forward = cpu.conv_forward
conv_backward_input = cpu.conv_backward_input
