"""Architectures as data: functions returning the layer list a Net is built from.

    from minicnn.models import ARCHITECTURES
    spec, input_shape = ARCHITECTURES["vgg16"]()
"""
from pathlib import Path

from .squeezenet import squeezenet1_1
from .vgg import vgg16, vgg19

ARCHITECTURES = {
    "vgg16": lambda: (vgg16(), (3, 224, 224)),
    "vgg19": lambda: (vgg19(), (3, 224, 224)),
    "squeezenet1_1": lambda: (squeezenet1_1(), (3, 227, 227)),
}

IMAGENET_CLASSES_FILE = Path(__file__).with_name("imagenet_classes.txt")


def imagenet_classes():
    """The 1000 ImageNet class names in the order of the classifiers' outputs (Caffe, Keras and
    torchvision agree), e.g. 285 -> "Egyptian cat"."""
    lines = IMAGENET_CLASSES_FILE.read_text(encoding="utf-8").splitlines()
    return [line.split(" ", 1)[1] for line in lines if line.strip()]


__all__ = ["vgg16", "vgg19", "squeezenet1_1", "ARCHITECTURES", "imagenet_classes"]
