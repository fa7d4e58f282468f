"""Keras VGG weight files (vgg16_weights_tf_dim_ordering_tf_kernels[_notop].h5 and vgg19's)
-> minicnn parameters.

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

Keras's VGG uses Caffe's preprocessing: BGR, 0..255, mean (103.939, 116.779, 123.68).
"""
import h5py
import numpy as np

from ..errors import MinicnnError
from ..models import vgg16, vgg19
from ..net import Net

KERAS_VGG_MEAN_BGR = (103.939, 116.779, 123.68)
DENSE = {"fc1": "fc6", "fc2": "fc7", "predictions": "fc8"}


def _text(values):
    return [v.decode("utf-8") if isinstance(v, bytes) else str(v) for v in values]


def read_layers(path):
    """{keras layer name: [arrays in weight_names order]} for layers that have weights."""
    try:
        f = h5py.File(path, "r")
    except OSError as e:
        raise MinicnnError(f"{path}: not a readable HDF5 file: {e}") from None
    with f:
        root = f["model_weights"] if "model_weights" in f else f
        if "layer_names" not in root.attrs:
            raise MinicnnError(f"{path}: not a Keras weights file (no layer_names attribute)")
        out = {}
        for layer in _text(root.attrs["layer_names"]):
            g = root[layer]
            weight_names = _text(g.attrs.get("weight_names", []))
            if weight_names:
                out[layer] = [g[w][()] for w in weight_names]
    return out


def detect_arch(layers):
    convs = [n for n in layers if "_conv" in n]
    if len(convs) not in (13, 16):
        raise MinicnnError(f"not a Keras VGG16/VGG19 file ({len(convs)} convolution layers); pass --arch")
    return {13: "vgg16", 16: "vgg19"}[len(convs)]


def _ours(name):
    """block3_conv2 -> conv3_2; fc1 -> fc6; ..."""
    if name in DENSE:
        return DENSE[name]
    block, conv = name.split("_")
    return f"conv{block[len('block'):]}_{conv[len('conv'):]}"


def architecture(arch, top):
    spec = {"vgg16": vgg16, "vgg19": vgg19}[arch]()
    if not top:                        # _notop files: the convolutional part only, ending at pool5
        spec = spec[:[s["name"] for s in spec].index("pool5") + 1]
    return spec, (3, 224, 224)


def params_from_layers(layers, arch):
    """Keras tensors -> minicnn parameters (see the module docstring), asserting every shape."""
    top = "fc1" in layers
    spec, input_shape = architecture(arch, top)
    shapes_only = Net(spec, input_shape, allocate=False)
    wanted = shapes_only.param_shapes
    params = {}
    for name, tensors in layers.items():
        if len(tensors) != 2:
            raise MinicnnError(f"Keras layer {name!r} has {len(tensors)} tensors, expected kernel and bias")
        kernel, bias = (np.asarray(t, np.float32) for t in tensors)
        try:
            ours = _ours(name)
        except ValueError:
            raise MinicnnError(f"unexpected Keras layer {name!r} in a VGG file") from None
        if ours not in wanted:
            raise MinicnnError(f"Keras layer {name!r} ({ours}) is not part of {arch}")
        if kernel.ndim == 4:
            W = kernel.transpose(3, 2, 0, 1)                     # HWIO -> OIHW
        elif ours == "fc6":
            C, H, Wd = shapes_only.shapes["pool5"]
            if kernel.shape[0] != H * Wd * C:
                raise MinicnnError(f"fc1 kernel has shape {kernel.shape}, expected ({H * Wd * C}, 4096)")
            # rows are (h, w, c) of the map; minicnn flattens (c, h, w)
            W = kernel.reshape(H, Wd, C, -1).transpose(3, 2, 0, 1).reshape(kernel.shape[1], -1)
        else:
            W = kernel.T                                          # (in, out) -> (out, in)
        for key, value in (("W", W), ("b", bias)):
            if value.shape != wanted[ours][key]:
                raise MinicnnError(f"Keras {name} {'kernel' if key == 'W' else 'bias'} gives {ours}/{key} of "
                                   f"shape {value.shape}, the architecture needs {wanted[ours][key]}")
        params[ours] = {"W": np.ascontiguousarray(W), "b": bias}
    missing = set(wanted) - set(params)
    if missing:
        raise MinicnnError(f"the Keras file has no weights for {sorted(missing)}")
    return spec, input_shape, params
