"""Reader for Keras VGG weight files (vgg16_weights_tf_dim_ordering_tf_kernels[_notop].h5 and
vgg19's): read(path, arch=None) -> Net.

The file is walked through its own index rather than by guessing dataset names: the root's
``layer_names`` attribute lists the layers, each layer group's ``weight_names`` its tensors
(spelled "block1_conv1/kernel:0" in newer files, "block1_conv1_W_1:0" in older ones; kernel first,
then bias). What has to change, and nothing else:

    blockB_convI kernel  (kh, kw, in, out) "HWIO"  -> convB_I/W (out, in, kh, kw): transpose (3, 2, 0, 1)
    fc1 kernel           (25088, 4096)             -> fc6/W (4096, 25088): transpose, and permute the
                                                      25088 inputs from Keras's flatten order (h, w, c) of
                                                      the 7x7x512 map to minicnn's (c, h, w)
    fc2, predictions     (in, out)                 -> fc7/W, fc8/W (out, in): transpose
    biases                                         -> unchanged

The input convention (Caffe's: BGR, 0..255, Keras's means) comes from minicnn.models.
"""
import h5py
import numpy as np

from ..architecture import Architecture
from ..errors import FormatError
from ..models import MODELS, default_classes
from ..net import Net
from .provenance import provenance

SUFFIXES = (".h5", ".hdf5")
DENSE = {"fc1": "fc6", "fc2": "fc7", "predictions": "fc8"}


def _text(values):
    return [v.decode("utf-8") if isinstance(v, bytes) else str(v) for v in values]


def read_layers(path):
    """{keras layer name: [arrays in weight_names order]} for layers that have weights."""
    try:
        f = h5py.File(path, "r")
    except OSError as e:
        raise FormatError(f"{path}: not a readable HDF5 file: {e}") from None
    with f:
        root = f["model_weights"] if "model_weights" in f else f
        if "layer_names" not in root.attrs:
            raise FormatError(f"{path}: not a Keras weights file (no layer_names attribute)")
        out = {}
        try:
            for layer in _text(root.attrs["layer_names"]):
                g = root[layer]
                weight_names = _text(g.attrs.get("weight_names", []))
                if weight_names:
                    out[layer] = [g[w][()] for w in weight_names]
        except (KeyError, OSError, TypeError) as e:
            raise FormatError(f"{path}: a damaged Keras weights file ({e})") from None
    return out


def detect_arch(layers):
    convs = [n for n in layers if "_conv" in n]
    if len(convs) not in (13, 16):
        raise FormatError(f"not a Keras VGG16/VGG19 file ({len(convs)} convolution layers)")
    return {13: "vgg16", 16: "vgg19"}[len(convs)]


def _ours(name):
    """block3_conv2 -> conv3_2; fc1 -> fc6; ..."""
    if name in DENSE:
        return DENSE[name]
    block, conv = name.split("_")
    return f"conv{block[len('block'):]}_{conv[len('conv'):]}"


def architecture(arch, top):
    """The Keras source's architecture; _notop files hold only the convolutional part, to pool5."""
    source = MODELS[arch].sources["keras"]
    spec = source.layers()
    if not top:
        spec = spec[:[s["name"] for s in spec].index("pool5") + 1]
    return Architecture(spec, (3,) + source.input_size), source.space()


def params_from_layers(layers, arch):
    """Keras tensors -> (Architecture, ImageSpace, minicnn parameters), asserting every shape."""
    if arch not in MODELS or "keras" not in MODELS[arch].sources:
        raise FormatError(f"a Keras weights file holds VGG16 or VGG19, not {arch!r}")
    architecture_, space = architecture(arch, top="fc1" in layers)
    wanted = architecture_.param_shapes
    params = {}
    for name, tensors in layers.items():
        if len(tensors) != 2:
            raise FormatError(f"Keras layer {name!r} has {len(tensors)} tensors, expected kernel and bias")
        if not all(np.issubdtype(np.asarray(t).dtype, np.floating) for t in tensors):
            raise FormatError(f"Keras layer {name!r} holds something other than floating-point numbers")
        kernel, bias = (np.asarray(t, np.float32) for t in tensors)
        if kernel.ndim not in (2, 4) or bias.ndim != 1:
            raise FormatError(f"Keras layer {name!r}: a kernel of shape {kernel.shape} and a bias of shape "
                              f"{bias.shape} are not a VGG layer's")
        try:
            ours = _ours(name)
        except ValueError:
            raise FormatError(f"unexpected Keras layer {name!r} in a VGG file") from None
        if ours not in wanted:
            raise FormatError(f"Keras layer {name!r} ({ours}) is not part of {arch}")
        if kernel.ndim == 4:
            W = kernel.transpose(3, 2, 0, 1)                     # HWIO -> OIHW
        elif ours == "fc6":
            C, H, Wd = architecture_.shapes["pool5"]
            if kernel.shape[0] != H * Wd * C:
                raise FormatError(f"fc1 kernel has shape {kernel.shape}, expected ({H * Wd * C}, 4096)")
            # rows are (h, w, c) of the map; minicnn flattens (c, h, w)
            W = kernel.reshape(H, Wd, C, -1).transpose(3, 2, 0, 1).reshape(kernel.shape[1], -1)
        else:
            W = kernel.T                                          # (in, out) -> (out, in)
        for key, value in (("W", W), ("b", bias)):
            if value.shape != wanted[ours][key]:
                raise FormatError(f"Keras {name} {'kernel' if key == 'W' else 'bias'} gives {ours}/{key} of "
                                  f"shape {value.shape}, the architecture needs {wanted[ours][key]}")
        params[ours] = {"W": np.ascontiguousarray(W), "b": bias}
    missing = set(wanted) - set(params)
    if missing:
        raise FormatError(f"the Keras file has no weights for {sorted(missing)}")
    return architecture_, space, params


def read(path, arch=None):
    """A Keras VGG weights file -> Net (named vgg16, vgg19, or vgg16_notop / vgg19_notop)."""
    layers = read_layers(path)
    arch = arch or detect_arch(layers)
    architecture_, space, params = params_from_layers(layers, arch)
    top = "fc1" in layers
    return Net(architecture_, params=params, space=space,
               classes=default_classes(1000) if top else [],
               meta={"name": arch if top else f"{arch}_notop",
                     "provenance": provenance(path, format="keras", arch=arch)})
