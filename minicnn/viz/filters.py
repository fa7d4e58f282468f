"""Filters: what the weights themselves look like ("layer 1/2/3 weights" in the lecture).

A first layer's filters live in pixel space, so each (C, kh, kw) filter is shown as a small
colour image (RGB order, whatever the model's channel order) or a grey one for a grey model.
Deeper filters act on feature maps, not colours: each is shown as a row of grey kernels, one
per input channel. Each filter is stretched to full contrast on its own (the sidecar keeps the
raw ranges), so these pictures show patterns, not magnitudes.
"""
from dataclasses import dataclass

import numpy as np

from ..backend import to_numpy
from ..errors import ArgumentError
from ..settings import option
from . import technique


@dataclass(frozen=True)
class Settings(technique.Settings):
    layer: str = option(None, "a convolution layer (default: the first)", kind="str")
    max_filters: int = option(64, "show at most this many filters", ge=1, le=1024)
    max_channels: int = option(32, "for a deeper layer, at most this many input channels per filter", ge=1, le=1024)


@dataclass(frozen=True, kw_only=True)
class Filters(technique.Result):
    weights: np.ndarray        # (F, C, kh, kw) the layer's filters (the first max_filters, max_channels)
    layer: str
    shape: tuple               # the layer's whole weight shape
    colour: bool               # shown as colour images (a first layer on RGB or BGR input)
    ranges: list               # [min, max] of each filter shown

    def summary(self):
        F, C, kh, kw = self.shape
        shown = self.weights.shape
        how = ("as colour images" if self.colour else "as grey images" if C == 1
               else "as grey kernels, one row per filter")
        return f"{self.layer}: {F} filters of {C}x{kh}x{kw}; {shown[0]} shown {how}"


def conv_layers(net):
    return [n for n in net.layer_names if net.layers[n]["type"] == "conv"]


def filters(net, layer=None, max_filters=64, max_channels=32):
    """The weights of a convolution layer (default: the first) as a Filters result."""
    settings = Settings(layer=layer, max_filters=max_filters, max_channels=max_channels)
    convs = conv_layers(net)
    if not convs:
        raise ArgumentError("filters: this model has no convolution layer")
    layer = convs[0] if layer is None else net.arch.check_layer(layer, "filters")
    if net.layers[layer]["type"] != "conv":
        raise ArgumentError(f"filters: {layer!r} is a {net.layers[layer]['type']} layer; convolution layers are "
                            f"{', '.join(convs)}")
    W = to_numpy(net.params[layer]["W"]).astype(np.float64)
    first = net.layers[layer]["inputs"] == ["data"]
    colour = first and net.space.channels in ("RGB", "BGR")
    shown = W[:max_filters] if first else W[:max_filters, :max_channels]
    return Filters(settings=settings, weights=shown, layer=layer, shape=tuple(W.shape), colour=colour,
                   ranges=[[float(w.min()), float(w.max())] for w in shown])


def run(net, x, settings):
    return filters(net, settings.layer, settings.max_filters, settings.max_channels)
