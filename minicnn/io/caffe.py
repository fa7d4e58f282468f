"""Reader for Caffe models: read(weights, prototxt=...) -> Net. The architecture comes from a
deploy.prototxt (prototxt.py); the weights from a binary .caffemodel or from an .npz holding
the same blobs keyed "<layer>/W", "<layer>/b".

The .caffemodel is read by the wire-format reader in protobuf.py. Caffe's conv and
InnerProduct weights are already (out, in, kh, kw) and (out, in), as in minicnn, so nothing
is transposed; every shape is still checked against the architecture. Input convention:
Caffe's (BGR, 0..255, mean (104, 117, 123)) at the prototxt's input size.
"""
import zipfile
from pathlib import Path

import numpy as np

from ..architecture import Architecture
from ..errors import FormatError, MinicnnError
from ..images import CAFFE, ImageSpace
from ..models import default_classes, imagenet_space
from ..net import Net
from . import protobuf
from .provenance import provenance
from .prototxt import spec_from_prototxt

SUFFIXES = (".caffemodel", ".npz")


def _blob(buf):
    """A BlobProto -> float32/float64 array in its stored shape."""
    f = protobuf.fields(buf)
    if 7 in f:                                          # BlobShape { repeated int64 dim = 1 [packed] }
        shape = tuple(protobuf.packed_varints(protobuf.fields(f[7][-1]).get(1, [])))
    else:                                               # the legacy num, channels, height, width
        shape = tuple(protobuf.packed_varints(f.get(k, [0]))[-1] for k in (1, 2, 3, 4))
    if 5 in f:
        data = np.concatenate([np.frombuffer(bytes(v), "<f4") for v in f[5]])
    elif 8 in f:
        data = np.concatenate([np.frombuffer(bytes(v), "<f8") for v in f[8]])
    else:
        data = np.zeros(0, np.float32)
    if int(np.prod(shape)) != data.size:
        raise FormatError(f"a blob of shape {shape} holds {data.size} values")
    return data.reshape(shape)


def read_caffemodel(path):
    """{layer name: [blob arrays]} for every layer of a binary .caffemodel that has blobs."""
    try:
        buf = memoryview(open(path, "rb").read())
    except OSError as e:
        raise FormatError(f"cannot read {path}: {e}") from None
    try:
        net = protobuf.fields(buf)
        out = {}
        for layer in net.get(100, []):                  # LayerParameter: name 1, blobs 7
            f = protobuf.fields(layer)
            if 7 in f:
                out[protobuf.string(f.get(1, []))] = [_blob(b) for b in f[7]]
        for layer in net.get(2, []):                    # V1LayerParameter (old files): name 4, blobs 6
            f = protobuf.fields(layer)
            if 6 in f:
                out[protobuf.string(f.get(4, []))] = [_blob(b) for b in f[6]]
    except (FormatError, UnicodeDecodeError) as e:
        raise FormatError(f"{path}: not a valid .caffemodel: {e}") from None
    if not out:
        raise FormatError(f"{path}: no layer with weights found (is it a .caffemodel?)")
    return out


def read_npz(path):
    """{layer: [W, b]} from an .npz keyed "<layer>/W", "<layer>/b" (pickles refused)."""
    try:
        with np.load(path, allow_pickle=False) as z:
            items = {k: z[k] for k in z.files}
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as e:
        raise FormatError(f"cannot read {path} as an .npz of arrays (empty, truncated or not an .npz?): {e}") from None
    out = {}
    for key, value in items.items():
        layer, _, which = key.rpartition("/")
        if which not in ("W", "b") or not layer:
            raise FormatError(f"{path}: unexpected key {key!r} (expected '<layer>/W' and '<layer>/b')")
        out.setdefault(layer, [None, None])[0 if which == "W" else 1] = value
    return out


def params_from_blobs(architecture, blobs, without_bias=()):
    """Match Caffe blobs to minicnn parameters, asserting every shape.

    A legacy 4-d InnerProduct blob (1, 1, M, D) is the (M, D) matrix written the old way and
    is reshaped; any other disagreement is an error naming the layer and both shapes. Layers in
    ``without_bias`` (bias_term: false) get a zero bias; any other layer must have one.
    """
    wanted = architecture.param_shapes
    extra = set(blobs) - set(wanted)
    if extra:
        raise FormatError(f"weights for layers the prototxt has not (or that take none): {sorted(extra)[:5]}")
    params = {}
    for layer, shapes in wanted.items():
        if layer not in blobs:
            raise FormatError(f"no weights for layer {layer!r}")
        got = list(blobs[layer]) + [None] * 2
        W, b = got[0], got[1]
        if b is None and layer in without_bias:
            b = np.zeros(shapes["b"], np.float32)
        elif b is None:
            raise FormatError(f"no bias for layer {layer!r} (the prototxt does not say bias_term: false)")
        if W is not None and W.ndim == 4 and W.shape[:2] == (1, 1) and len(shapes["W"]) == 2:
            W = W.reshape(W.shape[2:])
        for key, value in (("W", W), ("b", b.reshape(-1) if b.ndim > 1 and b.size == b.shape[-1] else b)):
            if value is not None and not np.issubdtype(value.dtype, np.floating):
                raise FormatError(f"layer {layer!r}: {key} holds {value.dtype}, not floating-point numbers")
            if value is None or tuple(value.shape) != tuple(shapes[key]):
                raise FormatError(f"layer {layer!r}: {key} has shape {None if value is None else tuple(value.shape)}, "
                                 f"the architecture needs {tuple(shapes[key])}")
            params.setdefault(layer, {})[key] = np.asarray(value, np.float32)
    return params


def read(path, arch=None, prototxt=None):
    """Caffe weights (.caffemodel or .npz) + deploy.prototxt -> Net (named after the weights file)."""
    if prototxt is None:
        raise FormatError(f"{Path(path).name}: Caffe weights need the network definition: --prototxt deploy.prototxt")
    try:
        text = Path(prototxt).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise FormatError(f"cannot read the prototxt {prototxt}: {e}") from None
    if arch is not None:
        raise FormatError("--arch is for Keras and torchvision files: a Caffe model's architecture is its prototxt")
    spec, input_shape, without_bias = spec_from_prototxt(text)
    blobs = read_npz(path) if Path(path).suffix == ".npz" else read_caffemodel(path)
    try:
        architecture = Architecture(spec, input_shape)
    except MinicnnError as e:
        raise FormatError(f"{prototxt}: {e}") from None
    n_out = int(np.prod(architecture.output_shape))
    space = imagenet_space(CAFFE, input_shape[1:]) if n_out == 1000 else ImageSpace(**CAFFE, size=input_shape[1:])
    return Net(architecture, params=params_from_blobs(architecture, blobs, without_bias), space=space,
               classes=default_classes(n_out),
               meta={"name": Path(path).stem, "provenance": provenance(prototxt, path, format="caffe")})
