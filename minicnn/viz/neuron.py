"""What a single neuron responds to in an image: backprop, deconvnet and guided backprop.

Forward the image, set the gradient at one unit of a layer to 1 and everything else to 0,
and send it back to the image under one of the three ReLU rules (minicnn.layers.relu):
plain backprop (a saliency-like gradient), deconvnet (Zeiler & Fergus 2013) or guided
backpropagation (Springenberg et al. 2015). The unit is a channel (then its strongest position
in this image is used) or (channel, y, x); ``receptive_crop`` cuts out the part of the image
that unit can see.
"""
from dataclasses import dataclass

import numpy as np

from ..backend import to_numpy
from ..layers import RELU_MODES
from . import technique
from .targets import unit_gradient
from ..settings import option


def neuron_gradient(net, x, layer, unit, mode="guided"):
    """Returns (image gradient (1, C, H, W) as a NumPy array, the unit (c, y, x) used)."""
    out = net.forward(x, end=layer)
    d, where = unit_gradient(out, unit)
    with net.relu_mode(mode):
        dx = net.backward(d)
    return to_numpy(dx), where


def all_modes(net, x, layer, unit, modes=RELU_MODES):
    """({mode: image gradient}, the unit (c, y, x) used) for the same unit under each rule."""
    out, where = {}, unit
    for mode in modes:
        out[mode], where = neuron_gradient(net, x, layer, where if np.ndim(where) == 0 or where[1] is not None
                                           else where[0], mode)
    return out, where


def receptive_box(net, layer, where, image_hw):
    """(top, left, bottom, right) of the input pixels unit ``where`` = (c, y, x) can see,
    bottom/right exclusive (a slice)."""
    _, y, x = where
    if y is None:                               # a fully connected unit sees everything
        return (0, 0) + tuple(image_hw)
    return net.receptive_field(layer).window(y, x, image_hw)


def receptive_crop(net, layer, where, array):
    """The part of an (H, W, ...) image or (1, C, H, W) gradient under the unit's receptive field."""
    hw = array.shape[-2:] if array.ndim == 4 else array.shape[:2]
    top, left, bottom, right = receptive_box(net, layer, where, hw)
    return array[..., top:bottom, left:right] if array.ndim == 4 else array[top:bottom, left:right]


@dataclass(frozen=True)
class Settings(technique.Settings):
    layer: str = option(None, "layer name, e.g. conv5_3 or fire9/concat", kind="str", required=True)
    unit: object = option(None, "channel (its strongest position is used) or 'c,y,x'", kind="unit", required=True)
    mode: str = option("all", "ReLU backward rule", choices=("all",) + RELU_MODES)


@dataclass(frozen=True, kw_only=True)
class Neuron(technique.Result):
    x: np.ndarray              # (1, C, H, W) the image, in input space
    gradients: dict            # {mode: (1, C, H, W) image-space gradient}
    layer: str
    unit: tuple                # (c, y, x) used; y, x are None for a vector layer
    receptive_field: dict      # {"rows": [first, last], "columns": [first, last]} in input pixels, inclusive
    activation: float          # the unit's value on this image
    blank: list                # the rules under which no gradient reaches the image (a unit that is off)
    strongest_channel: int     # the layer's most active channel on this image

    def summary(self):
        rf = self.receptive_field
        unit = self.unit[0] if self.unit[1] is None else self.unit
        line = (f"{self.layer} unit {unit}: activation {self.activation:.3g}; receptive field rows "
                f"{rf['rows'][0]}..{rf['rows'][1]}, columns {rf['columns'][0]}..{rf['columns'][1]}")
        if self.blank:
            line += (f"\nnote: no gradient reaches the image from this unit under {', '.join(self.blank)} (it is "
                     f"{'off' if self.activation <= 0 else 'cut off'} on this image), so those pictures are blank; "
                     f"channel {self.strongest_channel} is the most active here")
        return line


def run(net, x, settings):
    layer = net.arch.check_layer(settings.layer, "neuron")
    net.arch.check_unit(layer, settings.unit, "neuron")
    modes = RELU_MODES if settings.mode == "all" else (settings.mode,)
    grads, where = all_modes(net, x, layer, settings.unit, modes)
    out = to_numpy(net.forward(x, end=layer))[0]
    c, y, xx = where
    activation = float(out[c] if y is None else out[c, y, xx])
    top, left, bottom, right = receptive_box(net, layer, where, x.shape[2:])
    return Neuron(settings=settings, x=np.asarray(x), gradients=grads, layer=layer, unit=where,
                  receptive_field={"rows": [top, bottom - 1], "columns": [left, right - 1]},
                  activation=activation, blank=[m for m, g in grads.items() if not np.any(g)],
                  strongest_channel=int(out.reshape(out.shape[0], -1).max(axis=1).argmax()))
