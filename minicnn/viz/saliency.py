"""Saliency maps (Simonyan, Vedaldi & Zisserman 2014).

The saliency of pixel (i, j) for class c is how strongly the unnormalized class score S_c
reacts to it: M_ij = max over colour channels of |dS_c / dI_cij|, one backward pass from a
one-hot gradient at the score layer. The gradient is taken with respect to the image's pixel
values (0..255 units, through the model's ImageSpace), so the map means the same for every
input convention.
"""
from dataclasses import dataclass

import numpy as np

from . import technique
from .targets import ClassRef, class_gradient, class_ref, resolve_target, target_or_predicted
from ..settings import option


def image_gradient(net, x, target):
    """dS_target / dx in pixel units: (1, C, H, W) NumPy array (backprop ReLU rule)."""
    return class_gradient(net, x, resolve_target(net, target)) * net.space.pixel_step()


def saliency(net, x, target):
    """(H, W) float map: max over channels of |dS_target/dpixel| for the image x (1, C, H, W)."""
    return np.abs(image_gradient(net, x, target)[0]).max(axis=0)


@dataclass(frozen=True)
class Settings(technique.Settings):
    target: object = option(None, "class index or (part of) a class name (default: the predicted class)",
                            kind="target")


@dataclass(frozen=True, kw_only=True)
class Saliency(technique.Result):
    x: np.ndarray              # (1, C, H, W) the image, in input space
    map: np.ndarray            # (H, W) max over channels of |dS/dpixel|
    target: ClassRef
    max: float                 # the map's largest value (score units per pixel unit)

    def summary(self):
        return f"saliency for {self.target.index} {self.target.name!r}: max {self.max:.3g}"


def run(net, x, settings):
    c = target_or_predicted(net, x, settings.target)
    s = saliency(net, x, c)
    return Saliency(settings=settings, x=np.asarray(x), map=s, target=class_ref(net, c), max=float(s.max()))
