"""One gradient step on an image: what every optimizing technique of the lecture repeats.

DeepDream, class models, feature inversion and style transfer, and the class-score gradients of
saliency maps, adversarial and fooling images, all do the same at every step:

    forward the image to a layer, keeping only the outputs the objective reads
    the objective at that layer: its value, and its gradient there
    backward from the layer under a ReLU rule, each cache let go as the pass leaves it
    the gradient at the image, in pixel units when the image is

``gradient`` is that step; ``fits`` refuses, before the first step, a loop whose passes would
not fit in memory (memory.py), and says what size would; ``pixel_units`` gives the loop its
step size and bounds in pixel units, moved to the device once.
"""
import numpy as np

from ..backend import get_array_module, on_device
from ..memory import check_fits


def gradient(net, p, objective, end, step=1.0, keep=(), mode="backprop"):
    """The objective's value at the image p * step, and its gradient with respect to p.

    p: (N, C, H, W) float64 on the net's device: pixel-unit offsets from the mean image, with
    ``step`` the (1, C, 1, 1) input-space size of a pixel unit (ImageSpace.pixel_step, on the
    device), or an input-space image with step 1.
    objective(f) -> (value, df): f is the output of layer ``end`` in float64, df the gradient
    of the value there, or {layer: gradient} to start from several layers at once (those
    layers' outputs, read from net.outputs, must be in ``keep``).
    mode: the ReLU rule of the backward pass ("backprop": the true gradient).
    Returns (value, d value / d p), the gradient float64 on the net's device.
    """
    xp = get_array_module(p)
    f = net.forward((p * step).astype(net.dtype), end=end, keep=keep)
    value, df = objective(f.astype(xp.float64))
    with net.relu_mode(mode):           # backward casts the gradients to the net's dtype, in a copy
        dx = net.backward(df if isinstance(df, dict) else {end: df}, once=True)
    return value, dx.astype(xp.float64) * step


def pixel_units(space):
    """(pixel step, low, high) of an ImageSpace: the input-space size of one pixel unit and the
    bounds of valid pixels, each (1, C, 1, 1) float64 on the current device."""
    return on_device(space.pixel_step(), *space.bounds(), dtype=np.float64)


def fits(net, end, what, size=None, keep=(), **copies):
    """memory.check_fits for a loop of ``gradient`` steps to ``end`` at image size (H, W)
    (default: the net's), keeping ``keep``; copies: check_fits' image_copies and layer_copies.
    Returns the bytes a step was estimated to need."""
    size = net.input_shape[1:] if size is None else size
    return check_fits(net, end, size, what, keep=keep, once=True, **copies)
