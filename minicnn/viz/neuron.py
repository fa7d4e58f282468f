"""What a single neuron responds to in an image: backprop, deconvnet and guided backprop.

Forward the image, set the gradient at one unit of a layer to 1 and everything else to 0,
and send it back to the image under one of the three ReLU rules (minicnn.layers.relu):
plain backprop (a saliency-like gradient), deconvnet (Zeiler & Fergus 2013) or guided
backpropagation (Springenberg et al. 2015). The unit is a channel (then its strongest position
in this image is used) or (channel, y, x); ``receptive_crop`` cuts out the part of the image
that unit can see.
"""
from ..backend import to_numpy
from ..layers import RELU_MODES
from .targets import unit_gradient


def neuron_gradient(net, x, layer, unit, mode="guided"):
    """Returns (image gradient (1, 3, H, W) as a NumPy array, the unit (c, y, x) used)."""
    out = net.forward(x, end=layer)
    d, where = unit_gradient(out, unit)
    with net.relu_mode(mode):
        dx = net.backward(d)
    return to_numpy(dx), where


def all_modes(net, x, layer, unit):
    """{mode: image gradient} for backprop, deconvnet and guided at the same unit."""
    first, where = neuron_gradient(net, x, layer, unit, RELU_MODES[0])
    out = {RELU_MODES[0]: first}
    for mode in RELU_MODES[1:]:
        out[mode] = neuron_gradient(net, x, layer, where if where[1] is not None else where[0], mode)[0]
    return out, where


def receptive_box(net, layer, where, image_hw):
    """(top, left, bottom, right) of the input pixels unit ``where`` = (c, y, x) can see."""
    _, y, x = where
    if y is None:                               # a fully connected unit sees everything
        return (0, 0) + tuple(image_hw)
    return net.receptive_field(layer).window(y, x, image_hw)


def receptive_crop(net, layer, where, array):
    """The part of an (H, W, ...) image or (1, C, H, W) gradient under the unit's receptive field."""
    hw = array.shape[-2:] if array.ndim == 4 else array.shape[:2]
    top, left, bottom, right = receptive_box(net, layer, where, hw)
    return array[..., top:bottom, left:right] if array.ndim == 4 else array[top:bottom, left:right]
