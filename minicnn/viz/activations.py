"""Activation maps: every channel of one layer for one image, side by side.

Each channel is a map of where in the image its feature responds. With scale "shared" all maps
use one grey scale (0 to the layer's largest value), so strong and weak channels can be told
apart; with "per-map" each is stretched to its own maximum, so weak patterns show too.
"""
from dataclasses import dataclass

import numpy as np

from ..backend import to_numpy
from ..errors import ArgumentError
from ..settings import option
from . import technique


@dataclass(frozen=True)
class Settings(technique.Settings):
    layer: str = option(None, "a layer whose output is a (C, H, W) map", kind="str", required=True)
    scale: str = option("shared", "one grey scale for all maps, or each map its own", choices=("shared", "per-map"))
    max_maps: int = option(256, "show at most this many channels", ge=1, le=4096)


@dataclass(frozen=True, kw_only=True)
class Activations(technique.Result):
    x: np.ndarray              # (1, C, H, W) the image, in input space
    maps: np.ndarray           # (channels shown, h, w) the layer's output for the image
    layer: str
    scale: str                 # "shared" (one scale, 0 to the largest value) or "per-map"
    maxima: list               # the largest value of each map shown
    zero_maps: int             # maps that are zero everywhere on this image

    def summary(self):
        return (f"{self.layer}: {len(self.maps)} maps of {self.maps.shape[1]}x{self.maps.shape[2]}, {self.scale} "
                f"scale, largest value {max(self.maxima):.3g}; {self.zero_maps} are zero everywhere")


def activations(net, x, layer, scale="shared", max_maps=256):
    """The output of ``layer`` for the image x (1, C, H, W), as an Activations result."""
    settings = Settings(layer=layer, scale=scale, max_maps=max_maps)
    net.arch.check_layer(layer, "activations")
    if len(net.shapes[layer]) != 3:
        raise ArgumentError(f"activations: {layer!r} outputs a vector of {net.shapes[layer][0]}, not maps; "
                            "choose a convolution, ReLU or pooling layer")
    maps = to_numpy(net.forward(x, end=layer))[0, :max_maps].astype(np.float64)
    maxima = maps.reshape(len(maps), -1).max(axis=1)
    return Activations(settings=settings, x=to_numpy(x), maps=maps, layer=layer, scale=scale,
                       maxima=[float(m) for m in maxima], zero_maps=int((np.abs(maps).reshape(len(maps), -1)
                                                                         .max(axis=1) == 0).sum()))


def run(net, x, settings):
    return activations(net, x, settings.layer, settings.scale, settings.max_maps)
