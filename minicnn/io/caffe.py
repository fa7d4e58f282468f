"""Caffe models: a deploy.prototxt for the architecture, and the weights from a binary
.caffemodel or from an .npz holding the same blobs keyed "<layer>/W", "<layer>/b".

No Caffe and no protobuf compiler are needed: the prototxt is parsed by a small text-format
parser and the .caffemodel by the wire-format reader in protobuf.py. Caffe's conv and
InnerProduct weights are already (out, in, kh, kw) and (out, in), as in minicnn, so nothing
is transposed; every shape is still checked against the architecture.
"""
import re

import numpy as np

from ..errors import MinicnnError
from . import protobuf


class CaffeError(MinicnnError):
    """A prototxt or caffemodel minicnn cannot convert."""


# ---- text format -------------------------------------------------------------------------

_TOKEN = re.compile(r'\s*(?:#[^\n]*|("(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\')|([{}:])|([^\s{}:#"\']+))')


def parse_prototxt(text):
    """Protobuf text format -> nested dicts; every key maps to the list of its values."""
    tokens = []
    pos = 0
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m or m.end() == pos:
            if text[pos:].strip():
                raise CaffeError(f"prototxt: cannot parse near {text[pos:pos + 40]!r}")
            break
        pos = m.end()
        if m.group(1):
            tokens.append(("str", m.group(1)[1:-1]))
        elif m.group(2):
            tokens.append((m.group(2), None))
        elif m.group(3):
            tokens.append(("word", m.group(3)))

    def message(i, closing):
        out = {}
        while i < len(tokens):
            kind, value = tokens[i]
            if kind == "}":
                if not closing:
                    raise CaffeError("prototxt: unbalanced '}'")
                return out, i + 1
            if kind != "word":
                raise CaffeError(f"prototxt: expected a field name, got {value or kind!r}")
            key, i = value, i + 1
            if i < len(tokens) and tokens[i][0] == ":":
                i += 1
            if i < len(tokens) and tokens[i][0] == "{":
                value, i = message(i + 1, True)
            elif i < len(tokens) and tokens[i][0] in ("word", "str"):
                value = _scalar(*tokens[i])
                i += 1
            else:
                raise CaffeError(f"prototxt: field {key!r} has no value")
            out.setdefault(key, []).append(value)
        if closing:
            raise CaffeError("prototxt: missing '}' at the end")
        return out, i
    return message(0, False)[0]


def _scalar(kind, value):
    if kind == "str":
        return value
    for cast in (int, float):
        try:
            return cast(value)
        except ValueError:
            pass
    return {"true": True, "false": False}.get(value, value)      # enums stay words (MAX, AVE)


def _one(d, key, default=None):
    values = d.get(key, [])
    return values[-1] if values else default


def _hw(p, key, default):
    """Caffe's kernel_size / stride / pad, or their _h/_w forms, as an int or (h, w) pair."""
    h, w = _one(p, f"{key}_h"), _one(p, f"{key}_w")
    if h is not None or w is not None:
        return (int(h if h is not None else default), int(w if w is not None else default))
    return int(_one(p, key, _one(p, "kernel_size" if key == "kernel" else key, default)))


def spec_from_prototxt(text):
    """A deploy.prototxt -> (minicnn layer list, input shape (C, H, W)).

    Layers that modify a blob in place (Caffe's ReLU and Dropout with top == bottom) become
    layers of their own, and each layer reads whichever layer last wrote its bottom blob.
    """
    net = parse_prototxt(text)
    producer, spec, input_shape = {}, [], None
    for name in net.get("input", []):                                  # the old top-level input form
        producer[name] = "data"
        dims = net.get("input_dim") or (_one(net, "input_shape") or {}).get("dim", [])
        input_shape = tuple(dims[-3:]) if len(dims) >= 3 else input_shape
    for layer in net.get("layer", []) or net.get("layers", []):
        name, kind = _one(layer, "name"), _one(layer, "type")
        bottoms, tops = layer.get("bottom", []), layer.get("top", [])
        if kind in ("Input", "Data", "ImageData", "DummyData"):
            shape = (_one(layer, "input_param") or {}).get("shape", [{}])[0].get("dim", [])
            input_shape = tuple(shape[-3:]) if len(shape) >= 3 else input_shape
            for t in tops:
                producer[t] = "data"
            continue
        missing = [b for b in bottoms if b not in producer]
        if missing:
            raise CaffeError(f"prototxt layer {name!r}: bottom blob {missing[0]!r} is not produced by any earlier layer")
        entry = {"name": name, "inputs": [producer[b] for b in bottoms]}
        entry.update(_layer(name, kind, layer))
        spec.append(entry)
        for t in tops:
            producer[t] = name
    if input_shape is None:
        raise CaffeError("prototxt: no input shape (an Input layer with input_param { shape { dim ... } })")
    return spec, tuple(int(d) for d in input_shape)


def _layer(name, kind, layer):
    """The minicnn type and hyperparameters of one Caffe layer."""
    if kind == "Convolution":
        p = _one(layer, "convolution_param", {})
        if int(_one(p, "group", 1)) != 1 or int(_one(p, "dilation", 1)) != 1:
            raise CaffeError(f"layer {name!r}: grouped or dilated convolutions are not supported")
        return {"type": "conv", "out_channels": int(_one(p, "num_output")),
                "kernel": _hw(p, "kernel", None), "stride": _hw(p, "stride", 1), "pad": _hw(p, "pad", 0)}
    if kind == "InnerProduct":
        return {"type": "linear", "out_features": int(_one(_one(layer, "inner_product_param", {}), "num_output"))}
    if kind == "ReLU":
        if float(_one(_one(layer, "relu_param", {}), "negative_slope", 0)) != 0:
            raise CaffeError(f"layer {name!r}: leaky ReLU is not supported")
        return {"type": "relu"}
    if kind == "Pooling":
        p = _one(layer, "pooling_param", {})
        pool = _one(p, "pool", "MAX")
        if pool not in ("MAX", "AVE", 0, 1):
            raise CaffeError(f"layer {name!r}: pooling {pool!r} is not supported")
        kind = "maxpool" if pool in ("MAX", 0) else "avgpool"
        if _one(p, "global_pooling", False):
            if kind == "maxpool":
                raise CaffeError(f"layer {name!r}: global max pooling is not supported")
            return {"type": "avgpool"}
        return {"type": kind, "size": _hw(p, "kernel", None), "stride": _hw(p, "stride", 1),
                "pad": _hw(p, "pad", 0), "ceil_mode": _one(p, "round_mode", "CEIL") == "CEIL"}
    if kind == "Concat":
        p = _one(layer, "concat_param", {})
        if int(_one(p, "axis", _one(p, "concat_dim", 1))) != 1:
            raise CaffeError(f"layer {name!r}: only concatenation along channels is supported")
        return {"type": "concat"}
    if kind == "Dropout":
        return {"type": "dropout", "p": float(_one(_one(layer, "dropout_param", {}), "dropout_ratio", 0.5))}
    if kind == "Softmax":
        return {"type": "softmax"}
    raise CaffeError(f"layer {name!r}: unknown layer type {kind!r} (minicnn converts Convolution, "
                     "InnerProduct, ReLU, Pooling, Concat, Dropout, Softmax)")


# ---- weights -------------------------------------------------------------------------------

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
        raise CaffeError(f"a blob of shape {shape} holds {data.size} values")
    return data.reshape(shape)


def read_caffemodel(path):
    """{layer name: [blob arrays]} for every layer of a binary .caffemodel that has blobs."""
    try:
        buf = memoryview(open(path, "rb").read())
    except OSError as e:
        raise CaffeError(f"cannot read {path}: {e}") from None
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
    except (protobuf.ProtobufError, CaffeError) as e:
        raise CaffeError(f"{path}: not a valid .caffemodel: {e}") from None
    if not out:
        raise CaffeError(f"{path}: no layer with weights found (is it a .caffemodel?)")
    return out


def read_npz(path):
    """{layer: [W, b]} from an .npz keyed "<layer>/W", "<layer>/b" (pickles refused)."""
    try:
        with np.load(path, allow_pickle=False) as z:
            items = {k: z[k] for k in z.files}
    except (OSError, ValueError) as e:
        raise CaffeError(f"cannot read {path} as an .npz of arrays: {e}") from None
    out = {}
    for key, value in items.items():
        layer, _, which = key.rpartition("/")
        if which not in ("W", "b") or not layer:
            raise CaffeError(f"{path}: unexpected key {key!r} (expected '<layer>/W' and '<layer>/b')")
        out.setdefault(layer, [None, None])[0 if which == "W" else 1] = value
    return out


def params_from_blobs(spec, input_shape, blobs):
    """Match Caffe blobs to minicnn parameters, asserting every shape.

    A legacy 4-d InnerProduct blob (1, 1, M, D) is the (M, D) matrix written the old way and
    is reshaped; any other disagreement is an error naming the layer and both shapes.
    """
    from ..net import Net
    wanted = Net(spec, input_shape, allocate=False).param_shapes
    extra = set(blobs) - set(wanted)
    if extra:
        raise CaffeError(f"weights for layers the prototxt has not (or that take none): {sorted(extra)[:5]}")
    params = {}
    for layer, shapes in wanted.items():
        if layer not in blobs:
            raise CaffeError(f"no weights for layer {layer!r}")
        got = list(blobs[layer]) + [None] * 2
        W, b = got[0], got[1]
        if b is None:                                   # bias_term: false
            b = np.zeros(shapes["b"], np.float32)
        if W is not None and W.ndim == 4 and W.shape[:2] == (1, 1) and len(shapes["W"]) == 2:
            W = W.reshape(W.shape[2:])
        for key, value in (("W", W), ("b", b.reshape(-1) if b.ndim > 1 and b.size == b.shape[-1] else b)):
            if value is None or tuple(value.shape) != tuple(shapes[key]):
                raise CaffeError(f"layer {layer!r}: {key} has shape {None if value is None else tuple(value.shape)}, "
                                 f"the architecture needs {tuple(shapes[key])}")
            params.setdefault(layer, {})[key] = np.asarray(value, np.float32)
    return params
