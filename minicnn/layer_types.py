"""How each layer type of a network description calls the pure layer functions.

A network is described by data only: a list of layer specs such as

    {"name": "conv1_1", "type": "conv", "out_channels": 64, "kernel": 3, "pad": 1}
    {"name": "relu1_1", "type": "relu"}
    {"name": "pool1",   "type": "maxpool", "size": 2, "stride": 2}
    {"name": "fire2/concat", "type": "concat",
     "inputs": ["fire2/relu_expand1x1", "fire2/relu_expand3x3"]}

Each type below says which keys a spec may have, the shapes of its parameters, its output
shape and receptive field (computed from shapes alone, by the layer module's own geometry
function), and how its forward and backward call the functions in ``minicnn.layers``. Shapes
here are per example: (C, H, W) for maps, (D,) for vectors. Run-time options reach forward and
backward by keyword (``train``, ``seed``, ``params``, ``relu_mode``); each type takes the ones
it uses. The fast engine's twins (fast/engine.py) are subclasses that compute the same layers
with other functions.
"""
import numpy as np

from . import checks
from . import layers as L
from .errors import ArgumentError, ShapeError, SpecError
from .layers.concat import concat_shape
from .layers.conv import conv_geometry
from .layers.pool_common import window_geometry
from .receptive_field import ReceptiveField


class LayerType:
    """Defaults: one input, no parameters, output shaped like the input, same receptive field."""
    keys = {}            # allowed hyperparameter keys -> (check, default)
    required = ()
    n_inputs = 1

    def param_shapes(self, spec, in_shapes):
        return {}

    def out_shape(self, spec, in_shapes):
        return in_shapes[0]

    def receptive_field(self, spec, in_fields, in_shapes):
        return in_fields[0]

    def forward(self, spec, params, inputs, **options):
        """Returns (output, cache)."""
        raise NotImplementedError

    def backward(self, spec, dout, cache, **options):
        """Returns (list of input gradients, dict of parameter gradients or None)."""
        raise NotImplementedError

    def relevance(self, spec, params, R, cache, inputs, out, rule=None, **rule_options):
        """LRP: the relevance R at the output -> a list of relevances at the inputs. By default
        it passes through unchanged (ReLU, dropout at inference: out is the input or zero)."""
        return [R]


def _map_shape(kind, shape):
    if len(shape) != 3:
        raise ShapeError(f"{kind} needs a (C, H, W) input, got per-example shape {shape}")
    return shape


# How each kind of hyperparameter is checked: (fn, key, value) -> its canonical value.
def POSITIVE(fn, key, value):
    return checks.integer(fn, key, value, 1)


def PAIR1(fn, key, value):
    """An int or (h, w) pair >= 1; equal pairs are written as one int, so specs stay short."""
    h, w = checks.pair(fn, key, value, 1)
    return h if h == w else (h, w)


def PAIR0(fn, key, value):
    h, w = checks.pair(fn, key, value, 0)
    return h if h == w else (h, w)


class Conv(LayerType):
    keys = {"out_channels": (POSITIVE, None), "kernel": (PAIR1, None), "stride": (PAIR1, 1), "pad": (PAIR0, 0)}
    required = ("out_channels", "kernel")

    def _geometry(self, spec, in_shape):
        C, H, W = _map_shape("conv", in_shape)
        return conv_geometry("conv", H, W, spec["kernel"], spec["stride"], spec["pad"])

    def param_shapes(self, spec, in_shapes):
        (kh, kw), _, _, _ = self._geometry(spec, in_shapes[0])
        return {"W": (spec["out_channels"], in_shapes[0][0], kh, kw), "b": (spec["out_channels"],)}

    def out_shape(self, spec, in_shapes):
        return (spec["out_channels"],) + self._geometry(spec, in_shapes[0])[3]

    def receptive_field(self, spec, in_fields, in_shapes):
        k, s, p, _ = self._geometry(spec, in_shapes[0])
        return in_fields[0].through(k, s, p)

    def forward(self, spec, params, inputs, **_):
        return L.conv_forward(inputs[0], params["W"], params["b"], spec["stride"], spec["pad"])

    def backward(self, spec, dout, cache, params=False, **_):
        dx, dw, db = L.conv_backward(dout, cache, params=params)
        return [dx], ({"W": dw, "b": db} if params else None)

    def relevance(self, spec, params, R, cache, inputs, out, rule="0", **rule_options):
        return [L.conv_relevance(R, cache, params["b"], rule, **rule_options)]


class Linear(LayerType):
    keys = {"out_features": (POSITIVE, None)}
    required = ("out_features",)

    def param_shapes(self, spec, in_shapes):
        return {"W": (spec["out_features"], int(np.prod(in_shapes[0]))), "b": (spec["out_features"],)}

    def out_shape(self, spec, in_shapes):
        return (spec["out_features"],)

    def receptive_field(self, spec, in_fields, in_shapes):
        return in_fields[0].whole(in_shapes[0])

    def forward(self, spec, params, inputs, **_):
        return L.linear_forward(inputs[0], params["W"], params["b"])

    def backward(self, spec, dout, cache, params=False, **_):
        dx, dw, db = L.linear_backward(dout, cache, params=params)
        return [dx], ({"W": dw, "b": db} if params else None)

    def relevance(self, spec, params, R, cache, inputs, out, rule="0", **rule_options):
        return [L.linear_relevance(R, cache, params["b"], rule, **rule_options)]


class Relu(LayerType):
    def forward(self, spec, params, inputs, **_):
        return L.relu_forward(inputs[0])

    def backward(self, spec, dout, cache, relu_mode="backprop", **_):
        return [L.relu_backward(dout, cache, relu_mode)], None


class MaxPool(LayerType):
    keys = {"size": (PAIR1, None), "stride": (PAIR1, None), "pad": (PAIR0, 0), "ceil_mode": (checks.boolean, False)}
    required = ("size",)

    def _geometry(self, spec, in_shape):
        C, H, W = _map_shape(spec["type"], in_shape)
        return window_geometry(spec["type"], H, W, spec["size"], spec["stride"], spec["pad"], spec["ceil_mode"])

    def out_shape(self, spec, in_shapes):
        return (in_shapes[0][0],) + self._geometry(spec, in_shapes[0])[3]

    def receptive_field(self, spec, in_fields, in_shapes):
        k, s, p, _ = self._geometry(spec, in_shapes[0])
        return in_fields[0].through(k, s, p)

    def forward(self, spec, params, inputs, **_):
        return L.maxpool_forward(inputs[0], spec["size"], spec["stride"], spec["pad"], spec["ceil_mode"])

    def backward(self, spec, dout, cache, **_):
        return [L.maxpool_backward(dout, cache)], None

    def relevance(self, spec, params, R, cache, inputs, out, rule="wta", **_):
        return [L.maxpool_relevance(R, cache, rule)]


class AvgPool(MaxPool):
    """Average pooling; without "size" it is global average pooling, (C, H, W) -> (C, 1, 1)."""
    required = ()

    def out_shape(self, spec, in_shapes):
        if spec["size"] is None:
            return (_map_shape("avgpool", in_shapes[0])[0], 1, 1)
        return super().out_shape(spec, in_shapes)

    def receptive_field(self, spec, in_fields, in_shapes):
        if spec["size"] is None:
            return in_fields[0].whole(in_shapes[0])
        return super().receptive_field(spec, in_fields, in_shapes)

    def forward(self, spec, params, inputs, **_):
        return L.avgpool_forward(inputs[0], spec["size"], spec["stride"], spec["pad"], spec["ceil_mode"])

    def backward(self, spec, dout, cache, **_):
        return [L.avgpool_backward(dout, cache)], None

    def relevance(self, spec, params, R, cache, inputs, out, **_):
        return [L.avgpool_relevance(R, cache, inputs[0], out)]


class Concat(LayerType):
    n_inputs = None      # any number >= 1

    def out_shape(self, spec, in_shapes):
        return concat_shape("concat", in_shapes, axis=0)

    def receptive_field(self, spec, in_fields, in_shapes):
        return ReceptiveField.union(in_fields)

    def forward(self, spec, params, inputs, **_):
        return L.concat_forward(inputs)

    def backward(self, spec, dout, cache, **_):
        return L.concat_backward(dout, cache), None

    def relevance(self, spec, params, R, cache, inputs, out, **_):
        return L.concat_relevance(R, cache)


class Dropout(LayerType):
    keys = {"p": (checks.probability, 0.5)}

    def forward(self, spec, params, inputs, train=False, seed=None, **_):
        return L.dropout_forward(inputs[0], spec["p"], train=train, seed=seed)

    def backward(self, spec, dout, cache, **_):
        return [L.dropout_backward(dout, cache)], None


class Softmax(LayerType):
    def forward(self, spec, params, inputs, **_):
        return L.softmax_forward(inputs[0], axis=1)

    def backward(self, spec, dout, cache, **_):
        return [L.softmax_backward(dout, cache)], None

    def relevance(self, spec, params, R, cache, inputs, out, **_):
        raise ArgumentError("relevance starts at the class scores, below the softmax")


TYPES = {"conv": Conv(), "linear": Linear(), "relu": Relu(), "maxpool": MaxPool(),
         "avgpool": AvgPool(), "concat": Concat(), "dropout": Dropout(), "softmax": Softmax()}


def normalize_spec(raw, index):
    """Check one layer spec (a dict) and return a copy with every default filled in."""
    if not isinstance(raw, dict):
        raise SpecError(f"layer #{index}: a layer spec must be a dict, got {type(raw).__name__}")
    name = raw.get("name")
    if not isinstance(name, str) or not name or name == "data":
        raise SpecError(f"layer #{index}: needs a non-empty string name other than 'data', got {name!r}")
    kind = raw.get("type")
    if not isinstance(kind, str) or kind not in TYPES:
        raise SpecError(f"layer {name!r}: unknown layer type {kind!r}; known types: {', '.join(TYPES)}")
    t = TYPES[kind]
    unknown = set(raw) - {"name", "type", "inputs"} - set(t.keys)
    if unknown:
        raise SpecError(f"layer {name!r} ({kind}): unknown keys {sorted(unknown)}; allowed: {sorted(t.keys) or 'none'}")
    missing = [k for k in t.required if k not in raw]
    if missing:
        raise SpecError(f"layer {name!r} ({kind}): missing {', '.join(missing)}")
    spec = {"name": name, "type": kind}
    for key, (check, default) in t.keys.items():
        value = raw.get(key, default)
        spec[key] = None if value is None else check(f"layer {name!r}", key, value)
    if "inputs" in raw:
        inputs = raw["inputs"]
        if isinstance(inputs, str):
            inputs = [inputs]
        if not isinstance(inputs, (list, tuple)) or not inputs or not all(isinstance(i, str) for i in inputs):
            raise SpecError(f"layer {name!r}: inputs must be a non-empty list of layer names, got {inputs!r}")
        spec["inputs"] = list(inputs)
    if t.n_inputs is not None and len(spec.get("inputs", [None])) != t.n_inputs:
        raise SpecError(f"layer {name!r} ({kind}) takes exactly one input, got {spec['inputs']}")
    return spec
