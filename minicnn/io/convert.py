"""Turning other frameworks' files into minicnn model files.

    convert(src, out, arch=None, prototxt=None, classes=None)

The source format is recognised from the file (a Keras HDF5 file, a PyTorch .pth, a Caffe
.caffemodel or .npz with a prototxt). The output is written under a temporary name and renamed
only when complete, so a failed conversion leaves nothing at ``out``.
"""
from pathlib import Path

import numpy as np

from ..errors import MinicnnError
from ..images import CAFFE, TORCHVISION, ImageSpace
from ..net import Net
from . import caffe, default_classes, keras, provenance, read_classes, save, torchvision
from .pth import load_state_dict


def convert_caffe(prototxt, weights, out, classes=None, name=None):
    """deploy.prototxt + (.caffemodel | .npz) -> model file. ImageSpace: BGR, 0..255, mean (104, 117, 123)."""
    spec, input_shape = caffe.spec_from_prototxt(Path(prototxt).read_text(encoding="utf-8"))
    weights = Path(weights)
    blobs = caffe.read_npz(weights) if weights.suffix == ".npz" else caffe.read_caffemodel(weights)
    params = caffe.params_from_blobs(spec, input_shape, blobs)
    space = ImageSpace(**CAFFE, size=input_shape[1:])
    return _write(spec, input_shape, params, space, classes, out, name, provenance(prototxt, weights, format="caffe"))


def convert_torchvision(pth, out, arch=None, classes=None, name=None):
    """A torchvision state_dict (.pth) -> model file. ImageSpace: RGB, 0..1, ImageNet mean/std."""
    state = load_state_dict(pth)
    arch = arch or torchvision.detect_arch(state)
    spec, input_shape, params = torchvision.params_from_state_dict(state, arch)
    space = ImageSpace(**TORCHVISION, size=input_shape[1:])
    return _write(spec, input_shape, params, space, classes, out, name or arch,
                  provenance(pth, format="torchvision", arch=arch))


def convert_keras(h5, out, arch=None, classes=None, name=None):
    """A Keras VGG weights file -> model file. ImageSpace: BGR, 0..255, Keras's Caffe means."""
    layers = keras.read_layers(h5)
    arch = arch or keras.detect_arch(layers)
    spec, input_shape, params = keras.params_from_layers(layers, arch)
    space = ImageSpace(channels="BGR", pixel_max=255.0, mean=keras.KERAS_VGG_MEAN_BGR, size=input_shape[1:])
    top = spec[-1]["type"] == "softmax"
    return _write(spec, input_shape, params, space, classes, out, name or (arch if top else f"{arch}_notop"),
                  provenance(h5, format="keras", arch=arch), classifier=top)


def _write(spec, input_shape, params, space, classes, out, name, prov, classifier=True):
    net = Net(spec, input_shape, params=params, space=space)
    if not classifier:                   # a feature extractor: its outputs are not classes
        return save(net, out, name=name, provenance=prov)
    n_out = int(np.prod(net.shapes[net.layer_names[-1]]))
    names = read_classes(classes) if classes else default_classes(n_out)
    if len(names) != n_out:
        raise MinicnnError(f"{len(names)} class names for a model with {n_out} outputs")
    net.classes = names
    return save(net, out, name=name or Path(out).stem, provenance=prov)


def convert(src, out, arch=None, prototxt=None, classes=None, name=None):
    """Convert any supported file; see the module docstring. Returns the output path."""
    src = Path(src)
    if not src.exists():
        raise MinicnnError(f"no such file: {src}")
    if prototxt or src.suffix in (".caffemodel", ".npz"):
        if not prototxt:
            raise MinicnnError(f"{src.name}: Caffe weights need the network definition: --prototxt deploy.prototxt")
        return convert_caffe(prototxt, src, out, classes, name)
    if src.suffix in (".pth", ".pt"):
        return convert_torchvision(src, out, arch, classes, name)
    if src.suffix in (".h5", ".hdf5"):
        return convert_keras(src, out, arch, classes, name)
    raise MinicnnError(f"{src}: unrecognised model file (expected a Keras .h5, a torchvision .pth, "
                       "or Caffe weights with --prototxt)")
