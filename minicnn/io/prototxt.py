"""Caffe network definitions (deploy.prototxt) -> minicnn layer lists.

The protobuf text format is parsed by a small tokenizer into nested dicts; no Caffe and no
protobuf compiler are needed. In-place layers (Caffe's ReLU and Dropout with top == bottom)
become layers of their own, and each layer reads whichever layer last wrote its bottom blob.
"""
import re

from ..errors import FormatError

_TOKEN = re.compile(r'\s*(?:#[^\n]*|("(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\')|([{}:])|([^\s{}:#"\']+))')


def parse_prototxt(text):
    """Protobuf text format -> nested dicts; every key maps to the list of its values."""
    tokens = []
    pos = 0
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m or m.end() == pos:
            if text[pos:].strip():
                raise FormatError(f"prototxt: cannot parse near {text[pos:pos + 40]!r}")
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
                    raise FormatError("prototxt: unbalanced '}'")
                return out, i + 1
            if kind != "word":
                raise FormatError(f"prototxt: expected a field name, got {value or kind!r}")
            key, i = value, i + 1
            if i < len(tokens) and tokens[i][0] == ":":
                i += 1
            if i < len(tokens) and tokens[i][0] == "{":
                value, i = message(i + 1, True)
            elif i < len(tokens) and tokens[i][0] in ("word", "str"):
                value = _scalar(*tokens[i])
                i += 1
            else:
                raise FormatError(f"prototxt: field {key!r} has no value")
            out.setdefault(key, []).append(value)
        if closing:
            raise FormatError("prototxt: missing '}' at the end")
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
    """A deploy.prototxt -> (minicnn layer list, input shape (C, H, W), the names of the layers
    declared without a bias (bias_term: false), whose weight files hold no bias blob).

    Layers that modify a blob in place (Caffe's ReLU and Dropout with top == bottom) become
    layers of their own, and each layer reads whichever layer last wrote its bottom blob.
    """
    try:
        return _spec(parse_prototxt(text))
    except (TypeError, ValueError, AttributeError, IndexError, KeyError) as e:     # a field of the wrong kind
        raise FormatError(f"prototxt: not a network definition minicnn can read ({type(e).__name__}: {e})") from None


def _spec(net):
    producer, spec, input_shape, without_bias = {}, [], None, set()
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
            raise FormatError(f"prototxt layer {name!r}: bottom blob {missing[0]!r} is not produced by any earlier layer")
        entry = {"name": name, "inputs": [producer[b] for b in bottoms]}
        entry.update(_layer(name, kind, layer))
        spec.append(entry)
        params = _one(layer, "convolution_param") or _one(layer, "inner_product_param") or {}
        if _one(params, "bias_term", True) is False:
            without_bias.add(name)
        for t in tops:
            producer[t] = name
    if input_shape is None:
        raise FormatError("prototxt: no input shape (an Input layer with input_param { shape { dim ... } })")
    return spec, tuple(int(d) for d in input_shape), without_bias


def _layer(name, kind, layer):
    """The minicnn type and hyperparameters of one Caffe layer."""
    if kind == "Convolution":
        p = _one(layer, "convolution_param", {})
        if int(_one(p, "group", 1)) != 1 or int(_one(p, "dilation", 1)) != 1:
            raise FormatError(f"layer {name!r}: grouped or dilated convolutions are not supported")
        return {"type": "conv", "out_channels": int(_one(p, "num_output")),
                "kernel": _hw(p, "kernel", None), "stride": _hw(p, "stride", 1), "pad": _hw(p, "pad", 0)}
    if kind == "InnerProduct":
        return {"type": "linear", "out_features": int(_one(_one(layer, "inner_product_param", {}), "num_output"))}
    if kind == "ReLU":
        if float(_one(_one(layer, "relu_param", {}), "negative_slope", 0)) != 0:
            raise FormatError(f"layer {name!r}: leaky ReLU is not supported")
        return {"type": "relu"}
    if kind == "Pooling":
        p = _one(layer, "pooling_param", {})
        pool = _one(p, "pool", "MAX")
        if pool not in ("MAX", "AVE", 0, 1):
            raise FormatError(f"layer {name!r}: pooling {pool!r} is not supported")
        kind = "maxpool" if pool in ("MAX", 0) else "avgpool"
        if _one(p, "global_pooling", False):
            if kind == "maxpool":
                raise FormatError(f"layer {name!r}: global max pooling is not supported")
            return {"type": "avgpool"}
        return {"type": kind, "size": _hw(p, "kernel", None), "stride": _hw(p, "stride", 1),
                "pad": _hw(p, "pad", 0), "ceil_mode": _one(p, "round_mode", "CEIL") == "CEIL"}
    if kind == "Concat":
        p = _one(layer, "concat_param", {})
        if int(_one(p, "axis", _one(p, "concat_dim", 1))) != 1:
            raise FormatError(f"layer {name!r}: only concatenation along channels is supported")
        return {"type": "concat"}
    if kind == "Dropout":
        return {"type": "dropout", "p": float(_one(_one(layer, "dropout_param", {}), "dropout_ratio", 0.5))}
    if kind == "Softmax":
        return {"type": "softmax"}
    raise FormatError(f"layer {name!r}: unknown layer type {kind!r} (minicnn converts Convolution, "
                     "InnerProduct, ReLU, Pooling, Concat, Dropout, Softmax)")
