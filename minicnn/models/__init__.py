"""Architectures as data: functions returning the layer list a Net is built from.

    from minicnn.models import ARCHITECTURES
    spec, input_shape = ARCHITECTURES["vgg16"]()
"""
from .vgg import vgg16, vgg19

ARCHITECTURES = {
    "vgg16": lambda: (vgg16(), (3, 224, 224)),
    "vgg19": lambda: (vgg19(), (3, 224, 224)),
}

__all__ = ["vgg16", "vgg19", "ARCHITECTURES"]
