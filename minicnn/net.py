"""A network: a named graph of layers, built from a description that is pure data.

    net = Net(spec, input_shape=(3, 224, 224))     # spec: a list of layer dicts (layer_types.py)
    scores = net.forward(x)                        # x (N, 3, 224, 224) -> output of the last layer
    feats = net.forward(x, end="conv4_3")          # ... or of any layer (only what it needs is run)
    dx = net.backward(dfeats)                      # gradient at conv4_3 -> gradient at the image
    with net.relu_mode("guided"):                  # change every ReLU's backward rule
        dx = net.backward(dfeats)

Layers run in the order of the spec; each takes the previous layer's output unless its spec
names "inputs" (the network input is called "data"). A layer's output may feed several
layers (SqueezeNet's squeeze feeds two expand branches); their gradients add up.
"""
import contextlib
from dataclasses import dataclass

import numpy as np

from .backend import get_array_module, to_device
from .errors import ShapeError
from .layer_types import TYPES, ReceptiveField, normalize_spec
from .layers import RELU_MODES
from .layers._check import finite

INPUT = "data"


@dataclass(frozen=True)
class LayerInfo:
    """One row of net.summary(): the output shape is per example, without the batch axis."""
    name: str
    type: str
    inputs: tuple
    shape: tuple
    params: int
    field: ReceptiveField


class Net:
    def __init__(self, spec, input_shape, params=None, dtype=np.float32, seed=0, allocate=True,
                 space=None, classes=None, meta=None):
        """spec: list of layer dicts; input_shape: (C, H, W) of one example.

        params: {layer: {"W": array, "b": array}} with exactly the shapes the spec implies;
        None draws random ones (He-normal weights, zero biases) from ``seed``.
        Parameters are cast to ``dtype`` and put on the current device (minicnn.backend).
        allocate=False builds a net that can only describe itself (summary, receptive
        fields) without the memory for its parameters.
        space: the ImageSpace its inputs live in; classes: the names of its outputs;
        meta: anything else worth keeping (a model file's name and provenance).
        ``net.param_shapes`` is {layer: {"W": shape, "b": shape}}: what the architecture requires.
        """
        self.space, self.classes, self.meta = space, list(classes or []), dict(meta or {})
        self.dtype = np.dtype(dtype)
        self.input_shape = tuple(int(d) for d in input_shape)
        self.spec = [normalize_spec(s, i) for i, s in enumerate(spec)]
        if not self.spec:
            raise ShapeError("a Net needs at least one layer")
        self.layer_names = [s["name"] for s in self.spec]
        self._infer_graph()
        self.params = {}
        for name, shapes in (self.param_shapes if allocate else {}).items():
            given = None if params is None else params.get(name)
            self.params[name] = self._make_params(name, shapes, given, seed)
        if params is not None:
            extra = set(params) - set(self.param_shapes)
            if extra:
                raise ShapeError(f"parameters given for layers that have none or do not exist: {sorted(extra)}")
        self._relu_modes = {n: "backprop" for n in self.layer_names if self.layers[n]["type"] == "relu"}
        self.outputs, self._caches, self._end = {}, {}, None
        self.grads = {}

    # ---- building -------------------------------------------------------------------------
    def _infer_graph(self):
        """Wire inputs, then compute every layer's output shape and receptive field from shapes."""
        self.layers, self.shapes, self.fields = {}, {INPUT: self.input_shape}, {INPUT: ReceptiveField()}
        self.param_shapes, self._ancestors = {}, {INPUT: frozenset()}
        previous = INPUT
        for spec in self.spec:
            name = spec["name"]
            if name in self.layers:
                raise ShapeError(f"layer name {name!r} is used twice")
            spec.setdefault("inputs", [previous])
            for i in spec["inputs"]:
                if i not in self.shapes:
                    raise ShapeError(f"layer {name!r}: input {i!r} is not an earlier layer (or 'data')")
            t, in_shapes = TYPES[spec["type"]], [self.shapes[i] for i in spec["inputs"]]
            try:
                self.shapes[name] = tuple(t.out_shape(spec, in_shapes))
                self.fields[name] = t.receptive_field(spec, [self.fields[i] for i in spec["inputs"]], in_shapes)
                shapes = t.param_shapes(spec, in_shapes)
            except ShapeError as e:
                raise ShapeError(f"layer {name!r} ({spec['type']}): {e}") from None
            if min(self.shapes[name]) < 1:
                raise ShapeError(f"layer {name!r} ({spec['type']}): output shape {self.shapes[name]} is empty")
            if shapes:
                self.param_shapes[name] = shapes
            self.layers[name] = spec
            self._ancestors[name] = frozenset().union(*({i} | self._ancestors[i] for i in spec["inputs"]))
            previous = name

    def _make_params(self, name, shapes, given, seed):
        out = {}
        for key, shape in shapes.items():
            if given is None:
                rng = np.random.default_rng([seed, self.layer_names.index(name)])
                draw = np.float64 if self.dtype == np.float64 else np.float32
                std = np.sqrt(2.0 / int(np.prod(shape[1:])))       # He initialisation
                value = rng.standard_normal(shape, dtype=draw) * draw(std) if key == "W" else np.zeros(shape, draw)
            else:
                if key not in given:
                    raise ShapeError(f"layer {name!r}: parameter {key} is missing")
                value = given[key]
                if tuple(value.shape) != tuple(shape):
                    raise ShapeError(f"layer {name!r}: parameter {key} has shape {tuple(value.shape)}, "
                                     f"the architecture needs {tuple(shape)}")
                finite(f"layer {name!r}", key, value)
            out[key] = to_device(value, self.dtype)
        return out

    def astype(self, dtype):
        """A copy of this net with parameters cast to dtype (float64 for gradient checks)."""
        return Net(self.spec, self.input_shape, params=self.params, dtype=dtype,
                   space=self.space, classes=self.classes, meta=self.meta)

    # ---- running --------------------------------------------------------------------------
    def _check_layer(self, name, what):
        if name not in self.layers:
            raise ShapeError(f"{what}: no layer named {name!r}; layers are {', '.join(self.layer_names)}")

    def forward(self, x, end=None, train=False):
        """x: (N, C, H, W) = (N,) + input_shape. Returns the output of layer ``end`` (default the last).

        Only the layers ``end`` depends on are run. Every output is kept in ``net.outputs``
        (by layer name, plus "data"), and what backward needs in the layers' caches.
        train=True turns dropout on. x is cast to the net's dtype.
        """
        end = self.layer_names[-1] if end is None else end
        self._check_layer(end, "forward")
        if getattr(x, "ndim", None) != 4 or tuple(x.shape[1:]) != self.input_shape:
            raise ShapeError(f"forward: input must have shape (N,) + {self.input_shape}, "
                             f"got {getattr(x, 'shape', type(x).__name__)}")
        x = x.astype(self.dtype, copy=False)
        finite("forward", "the input", x)
        if len(self.params) != len(self.param_shapes):
            raise ShapeError("forward: this net was built with allocate=False and has no parameters")
        needed = self._ancestors[end] | {end}
        self.outputs, self._caches = {INPUT: x}, {}
        for name in self.layer_names:
            if name not in needed:
                continue
            spec = self.layers[name]
            inputs = [self.outputs[i] for i in spec["inputs"]]
            try:
                out, cache = TYPES[spec["type"]].forward(spec, self.params.get(name), inputs, train)
            except ShapeError as e:
                raise ShapeError(f"layer {name!r} ({spec['type']}): {e}") from None
            self.outputs[name], self._caches[name] = out, cache
            if name == end:
                break
        self._end = end
        return self.outputs[end]

    def backward(self, dout, start=None, params=False):
        """Backpropagate to the network's input. Returns dx, shaped like the last forward's x.

        dout: the gradient at the output of layer ``start`` (default: where forward stopped).
        It may also be a dict {layer name: gradient} to start from several layers at once
        (e.g. a loss on several layers' features); the gradients add up where paths meet.
        params=True also computes parameter gradients into ``net.grads[layer]["W"/"b"]``.
        Each ReLU uses its current backward rule (see relu_mode).
        """
        if self._end is None:
            raise ShapeError("backward: call forward first")
        starts = dout if isinstance(dout, dict) else {self._end if start is None else start: dout}
        grads = {}
        for name, g in starts.items():
            self._check_layer(name, "backward")
            if name not in self.outputs:
                raise ShapeError(f"backward: layer {name!r} was not computed by the last forward "
                                 f"(it stopped at {self._end!r})")
            if tuple(g.shape) != tuple(self.outputs[name].shape):
                raise ShapeError(f"backward: the gradient at {name!r} has shape {tuple(g.shape)}, "
                                 f"the layer's output has shape {tuple(self.outputs[name].shape)}")
            grads[name] = g.astype(self.dtype, copy=False)
        if params:
            self.grads = {}
        for name in reversed(self.layer_names):
            if name not in grads:
                continue                       # no gradient flows through this layer
            spec = self.layers[name]
            dins, dparams = TYPES[spec["type"]].backward(
                spec, grads.pop(name), self._caches[name], self._relu_modes.get(name), params)
            if dparams is not None:
                self.grads[name] = dparams
            for i, d in zip(spec["inputs"], dins):
                grads[i] = grads[i] + d if i in grads else d
        x = self.outputs[INPUT]
        return grads.get(INPUT, get_array_module(x).zeros_like(x))

    # ---- ReLU backward rules --------------------------------------------------------------
    @contextlib.contextmanager
    def relu_mode(self, mode, upto=None):
        """Within the block, ReLUs backpropagate with ``mode`` ("backprop", "deconvnet", "guided").

        upto: only the ReLUs at or below this layer (the ones it depends on, and itself if it
        is a ReLU) switch; the others keep their rule. The previous rules come back afterwards.
        """
        if mode not in RELU_MODES:
            raise ShapeError(f"relu_mode: unknown mode {mode!r}; expected one of {', '.join(RELU_MODES)}")
        if upto is not None:
            self._check_layer(upto, "relu_mode")
        below = None if upto is None else self._ancestors[upto] | {upto}
        saved = dict(self._relu_modes)
        for name in self._relu_modes:
            if below is None or name in below:
                self._relu_modes[name] = mode
        try:
            yield self
        finally:
            self._relu_modes = saved

    @property
    def relu_modes(self):
        """{relu layer name: its current backward rule}."""
        return dict(self._relu_modes)

    # ---- description ----------------------------------------------------------------------
    def receptive_field(self, name):
        """The ReceptiveField of a unit of layer ``name``, in input pixels."""
        self._check_layer(name, "receptive_field")
        return self.fields[name]

    def info(self):
        """A LayerInfo per layer, in order: output shape, parameter count, receptive field."""
        return [LayerInfo(n, self.layers[n]["type"], tuple(self.layers[n]["inputs"]), self.shapes[n],
                          sum(int(np.prod(s)) for s in self.param_shapes.get(n, {}).values()),
                          self.fields[n])
                for n in self.layer_names]

    def summary(self):
        """A printable table of info()."""
        def pair(p):
            return str(p[0]) if p[0] == p[1] else f"{p[0]}x{p[1]}"
        rows = [("layer", "type", "output", "params", "rf size", "rf stride", "rf offset")]
        for i in self.info():
            rows.append((i.name, i.type, "x".join(map(str, i.shape)), f"{i.params:,}",
                         pair(i.field.size), pair(i.field.stride), pair(i.field.offset)))
        total = sum(i.params for i in self.info())
        widths = [max(len(r[c]) for r in rows) for c in range(len(rows[0]))]
        lines = ["  ".join(v.ljust(w) if c < 3 else v.rjust(w) for c, (v, w) in enumerate(zip(r, widths)))
                 for r in rows]
        lines.insert(1, "-" * len(lines[0]))
        lines.append(f"input {'x'.join(map(str, self.input_shape))}, {total:,} parameters, {self.dtype}")
        return "\n".join(lines)
