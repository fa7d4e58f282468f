"""How each layer type of a network description calls the pure layer functions.

A network is described by data only: a list of layer specs such as

    {"name": "conv1_1", "type": "conv", "out_channels": 64, "kernel": 3, "pad": 1}
    {"name": "relu1_1", "type": "relu"}
    {"name": "pool1",   "type": "maxpool", "size": 2, "stride": 2}
    {"name": "fire2/concat", "type": "concat",
     "inputs": ["fire2/relu_expand1x1", "fire2/relu_expand3x3"]}

Each type below says which keys a spec may have, the shapes of its parameters, its output
shape and receptive field (computed from shapes alone, without running anything), and how its
forward and backward call the functions in ``minicnn.layers``. Shapes here are per example:
(C, H, W) for maps, (D,) for vectors.
"""
import numbers
from dataclasses import dataclass

import numpy as np

from . import layers as L
from .errors import ShapeError
from .layers.conv import check_kernel_fits
from .layers.pool_common import window_geometry


@dataclass(frozen=True)
class ReceptiveField:
    """Which input pixels a unit sees, per axis as (h, w) pairs, in input-pixel units.

    Unit (y, x) of the layer sees input rows offset[0] + y*stride[0] ... + size[0] - 1 (and
    likewise columns). offset can be negative: windows start in the padding.
    """
    size: tuple = (1, 1)
    stride: tuple = (1, 1)
    offset: tuple = (0, 0)

    def window(self, y, x, image_hw=None):
        """(top, left, bottom, right) input rectangle of unit (y, x), bottom/right exclusive;
        clipped to the image when image_hw = (H, W) is given."""
        top = self.offset[0] + y * self.stride[0]
        left = self.offset[1] + x * self.stride[1]
        box = [top, left, top + self.size[0], left + self.size[1]]
        if image_hw is not None:
            H, W = image_hw
            box = [max(box[0], 0), max(box[1], 0), min(box[2], H), min(box[3], W)]
        return tuple(box)

    def through(self, k, s, p):
        """The field after a window of k (h, w) cells, stride s, padding p applied on top."""
        return ReceptiveField(
            size=tuple(self.size[a] + (k[a] - 1) * self.stride[a] for a in (0, 1)),
            stride=tuple(self.stride[a] * s[a] for a in (0, 1)),
            offset=tuple(self.offset[a] - p[a] * self.stride[a] for a in (0, 1)),
        )


def _pair(value):
    return tuple(value) if isinstance(value, (tuple, list)) else (value, value)


class LayerType:
    """Defaults: one input, no parameters, output shaped like the input, same receptive field."""
    keys = {}            # allowed hyperparameter keys -> (kind, default); kind "int", "pair", ...
    required = ()
    n_inputs = 1

    def param_shapes(self, spec, in_shapes):
        return {}

    def out_shape(self, spec, in_shapes):
        return in_shapes[0]

    def receptive_field(self, spec, in_fields, in_shapes):
        return in_fields[0]

    def forward(self, spec, params, inputs, train):
        raise NotImplementedError

    def backward(self, spec, dout, cache, relu_mode, need_params):
        """Returns (list of input gradients, dict of parameter gradients or None)."""
        raise NotImplementedError


def _map_shape(fn, shape):
    if len(shape) != 3:
        raise ShapeError(f"{fn} needs a (C, H, W) input, got per-example shape {shape}")
    return shape


class Conv(LayerType):
    keys = {"out_channels": ("posint", None), "kernel": ("pair1", None),
            "stride": ("pair1", 1), "pad": ("pair0", 0)}
    required = ("out_channels", "kernel")

    def param_shapes(self, spec, in_shapes):
        C = _map_shape("conv", in_shapes[0])[0]
        kh, kw = _pair(spec["kernel"])
        return {"W": (spec["out_channels"], C, kh, kw), "b": (spec["out_channels"],)}

    def out_shape(self, spec, in_shapes):
        C, H, W = _map_shape("conv", in_shapes[0])
        (kh, kw), s, p = _pair(spec["kernel"]), _pair(spec["stride"]), _pair(spec["pad"])
        check_kernel_fits("conv", H, W, kh, kw, p)
        return (spec["out_channels"],) + L.conv_output_size(H, W, kh, kw, s, p)

    def receptive_field(self, spec, in_fields, in_shapes):
        return in_fields[0].through(_pair(spec["kernel"]), _pair(spec["stride"]), _pair(spec["pad"]))

    def forward(self, spec, params, inputs, train):
        return L.conv_forward(inputs[0], params["W"], params["b"], spec["stride"], spec["pad"])

    def backward(self, spec, dout, cache, relu_mode, need_params):
        dx, dw, db = L.conv_backward(dout, cache, params=need_params)
        return [dx], ({"W": dw, "b": db} if need_params else None)


class Linear(LayerType):
    keys = {"out_features": ("posint", None)}
    required = ("out_features",)

    def param_shapes(self, spec, in_shapes):
        return {"W": (spec["out_features"], int(np.prod(in_shapes[0]))), "b": (spec["out_features"],)}

    def out_shape(self, spec, in_shapes):
        return (spec["out_features"],)

    def receptive_field(self, spec, in_fields, in_shapes):
        return _whole_input(in_fields[0], in_shapes[0])

    def forward(self, spec, params, inputs, train):
        return L.linear_forward(inputs[0], params["W"], params["b"])

    def backward(self, spec, dout, cache, relu_mode, need_params):
        dx, dw, db = L.linear_backward(dout, cache, params=need_params)
        return [dx], ({"W": dw, "b": db} if need_params else None)


def _whole_input(field, shape):
    """A unit connected to every position of a (C, H, W) map sees the union of their fields."""
    if len(shape) != 3:
        return field
    H, W = shape[1:]
    return ReceptiveField(size=(field.size[0] + (H - 1) * field.stride[0],
                                field.size[1] + (W - 1) * field.stride[1]),
                          stride=(field.stride[0] * H, field.stride[1] * W), offset=field.offset)


class Relu(LayerType):
    def forward(self, spec, params, inputs, train):
        return L.relu_forward(inputs[0])

    def backward(self, spec, dout, cache, relu_mode, need_params):
        return [L.relu_backward(dout, cache, relu_mode)], None


class MaxPool(LayerType):
    keys = {"size": ("pair1", None), "stride": ("pair1", None), "pad": ("pair0", 0),
            "ceil_mode": ("bool", False)}
    required = ("size",)

    def out_shape(self, spec, in_shapes):
        C, H, W = _map_shape(spec["type"], in_shapes[0])
        _, _, _, out_hw = window_geometry(spec["type"], H, W, spec["size"], spec["stride"], spec["pad"],
                                          spec["ceil_mode"])
        return (C,) + out_hw

    def receptive_field(self, spec, in_fields, in_shapes):
        k = _pair(spec["size"])
        s = _pair(spec["stride"] if spec["stride"] is not None else spec["size"])
        return in_fields[0].through(k, s, _pair(spec["pad"]))

    def forward(self, spec, params, inputs, train):
        return L.maxpool_forward(inputs[0], spec["size"], spec["stride"], spec["pad"], spec["ceil_mode"])

    def backward(self, spec, dout, cache, relu_mode, need_params):
        return [L.maxpool_backward(dout, cache)], None


class AvgPool(MaxPool):
    """Average pooling; without "size" it is global average pooling, (C, H, W) -> (C, 1, 1)."""
    required = ()

    def out_shape(self, spec, in_shapes):
        if spec["size"] is None:
            return (_map_shape("avgpool", in_shapes[0])[0], 1, 1)
        return super().out_shape(spec, in_shapes)

    def receptive_field(self, spec, in_fields, in_shapes):
        if spec["size"] is None:
            return _whole_input(in_fields[0], in_shapes[0])
        return super().receptive_field(spec, in_fields, in_shapes)

    def forward(self, spec, params, inputs, train):
        return L.avgpool_forward(inputs[0], spec["size"], spec["stride"], spec["pad"], spec["ceil_mode"])

    def backward(self, spec, dout, cache, relu_mode, need_params):
        return [L.avgpool_backward(dout, cache)], None


class Concat(LayerType):
    n_inputs = None      # any number >= 1

    def out_shape(self, spec, in_shapes):
        first = in_shapes[0]
        if any(len(s) != len(first) or s[1:] != first[1:] for s in in_shapes):
            raise ShapeError(f"inputs must agree in every axis but channels, got {list(in_shapes)}")
        return (sum(s[0] for s in in_shapes),) + tuple(first[1:])

    def receptive_field(self, spec, in_fields, in_shapes):
        # The union of the branches' fields (e.g. SqueezeNet's 1x1 and 3x3 expand branches).
        top = tuple(min(f.offset[a] for f in in_fields) for a in (0, 1))
        end = tuple(max(f.offset[a] + f.size[a] for f in in_fields) for a in (0, 1))
        return ReceptiveField(size=(end[0] - top[0], end[1] - top[1]),
                              stride=in_fields[0].stride, offset=top)

    def forward(self, spec, params, inputs, train):
        return L.concat_forward(inputs)

    def backward(self, spec, dout, cache, relu_mode, need_params):
        return L.concat_backward(dout, cache), None


class Dropout(LayerType):
    keys = {"p": ("prob", 0.5)}

    def forward(self, spec, params, inputs, train):
        return L.dropout_forward(inputs[0], spec["p"], train=train)

    def backward(self, spec, dout, cache, relu_mode, need_params):
        return [L.dropout_backward(dout, cache)], None


class Softmax(LayerType):
    def forward(self, spec, params, inputs, train):
        return L.softmax_forward(inputs[0], axis=1)

    def backward(self, spec, dout, cache, relu_mode, need_params):
        return [L.softmax_backward(dout, cache)], None


TYPES = {"conv": Conv(), "linear": Linear(), "relu": Relu(), "maxpool": MaxPool(),
         "avgpool": AvgPool(), "concat": Concat(), "dropout": Dropout(), "softmax": Softmax()}


def _value(layer, key, kind, value):
    """Check one hyperparameter of a spec; return it in canonical form."""
    def bad(expected):
        return ShapeError(f"layer {layer!r}: {key} must be {expected}, got {value!r}")
    if kind == "bool":
        if not isinstance(value, (bool, np.bool_)):
            raise bad("true or false")
        return bool(value)
    if kind == "prob":
        if isinstance(value, bool) or not isinstance(value, numbers.Real) or not 0 <= value < 1:
            raise bad("a probability in [0, 1)")
        return float(value)
    minimum = 0 if kind == "pair0" else 1
    items = value if isinstance(value, (list, tuple)) and kind != "posint" else [value]
    if not 1 <= len(items) <= 2 or any(isinstance(v, bool) or not isinstance(v, numbers.Integral)
                                       or v < minimum for v in items):
        raise bad(f"an int >= {minimum}" + (" or a pair of them" if kind != "posint" else ""))
    items = [int(v) for v in items]
    return items[0] if len(items) == 1 else tuple(items)


def normalize_spec(raw, index):
    """Check one layer spec (a dict) and return a copy with every default filled in."""
    if not isinstance(raw, dict):
        raise ShapeError(f"layer #{index}: a layer spec must be a dict, got {type(raw).__name__}")
    name = raw.get("name")
    if not isinstance(name, str) or not name or name == "data":
        raise ShapeError(f"layer #{index}: needs a non-empty string name other than 'data', got {name!r}")
    kind = raw.get("type")
    if kind not in TYPES:
        raise ShapeError(f"layer {name!r}: unknown layer type {kind!r}; known types: {', '.join(TYPES)}")
    t = TYPES[kind]
    unknown = set(raw) - {"name", "type", "inputs"} - set(t.keys)
    if unknown:
        raise ShapeError(f"layer {name!r} ({kind}): unknown keys {sorted(unknown)}; "
                         f"allowed: {sorted(t.keys) or 'none'}")
    missing = [k for k in t.required if k not in raw]
    if missing:
        raise ShapeError(f"layer {name!r} ({kind}): missing {', '.join(missing)}")
    spec = {"name": name, "type": kind}
    for key, (vkind, default) in t.keys.items():
        value = raw.get(key, default)
        spec[key] = None if value is None else _value(name, key, vkind, value)
    if "inputs" in raw:
        inputs = raw["inputs"]
        if isinstance(inputs, str):
            inputs = [inputs]
        if not isinstance(inputs, (list, tuple)) or not inputs or not all(isinstance(i, str) for i in inputs):
            raise ShapeError(f"layer {name!r}: inputs must be a non-empty list of layer names, got {inputs!r}")
        spec["inputs"] = list(inputs)
    if t.n_inputs is not None and len(spec.get("inputs", [None])) != t.n_inputs:
        raise ShapeError(f"layer {name!r} ({kind}) takes exactly one input, got {spec['inputs']}")
    return spec
