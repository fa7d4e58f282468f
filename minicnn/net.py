"""A network: an architecture (architecture.py) with its parameters and the state of its last run.

    net = Net(spec, input_shape=(3, 224, 224))     # spec: a list of layer dicts (layer_types.py)
    scores = net.forward(x)                        # x (N, 3, 224, 224) -> output of the last layer
    feats = net.forward(x, end="conv4_3")          # ... or of any layer (only what it needs is run)
    dx = net.backward(dfeats)                      # gradient at conv4_3 -> gradient at the image
    with net.relu_mode("guided"):                  # change every ReLU's backward rule
        dx = net.backward(dfeats)
    dA = net.backward(dscores, until="conv5_3")    # ... or stop at a layer: the gradient at its output
    with net.lrp_rule("epsilon", upto="conv4_3"):  # relevance (LRP) instead of the gradient
        R = net.relevance(scores * onehot)         # (on a forward made with the fast paths off)

forward is a loop over the layers: each makes its output from its inputs' and keeps a cache.
backward is the same loop reversed: each layer turns the gradient at its output into gradients
at its inputs, which add up where an output feeds several layers (SqueezeNet's squeeze feeds two
expand branches). relevance is that loop again with each layer's relevance rule in place of its
backward (layers/relevance.py). On the CPU with the fast paths on, both loops take their layers from the fast
engine (fast/): the same layers, computed faster; with MINICNN_FAST=0, and on the GPU, they are
layer_types.py's.
"""
import contextlib
import dataclasses

import numpy as np

from . import backend, checks
from .architecture import INPUT, Architecture
from .backend import beside, get_array_module, is_gpu_array
from .errors import ArgumentError, ShapeError
from .fast.engine import Engine
from .fast.frozen import frozen as frozen_weights
from .images import ImageSpace
from .layer_types import TYPES
from .layers import POOL_RULES, RELU_MODES, WEIGHTED_RULES
from .params import make_params


class Net:
    def __init__(self, spec, input_shape=None, params=None, dtype=np.float32, seed=0,
                 space=None, classes=None, meta=None, samples=None):
        """spec: a list of layer dicts and input_shape (C, H, W), or an Architecture. params: {layer:
        {"W", "b"}}, the others random from ``seed`` (params.py), as ``dtype`` on the current device,
        where the net runs. space: the ImageSpace of its inputs; classes: its outputs' names; meta:
        anything else (provenance); samples: example inputs that travel with the model."""
        self.arch = spec if isinstance(spec, Architecture) else Architecture(spec, input_shape)
        self.dtype = np.dtype(dtype)
        self.space = space if space is not None else ImageSpace.identity(self.arch.input_shape)
        if (self.space.n_channels,) + self.space.size != self.arch.input_shape:
            raise ArgumentError(f"the ImageSpace is for {self.space.n_channels}x{self.space.size[0]}x"
                                f"{self.space.size[1]} inputs, the network takes {self.arch.input_shape}")
        self.classes, self.meta, self.samples = list(classes or []), dict(meta or {}), samples
        n_out = int(np.prod(self.arch.output_shape))
        if self.classes and len(self.classes) != n_out:
            raise ArgumentError(f"{len(self.classes)} class names for a network with {n_out} outputs")
        self.params = make_params(self.arch, params, self.dtype, seed)
        self._relu_modes = {n: "backprop" for n in self.layer_names if self.layers[n]["type"] == "relu"}
        self._lrp_rules = {n: ("0", {}) if t in ("conv", "linear") else ("wta", {}) for n in self.layer_names
                           if (t := self.layers[n]["type"]) in ("conv", "linear", "maxpool")}
        self.absorbed = {}      # relevance: {layer: (N,) relevance its rule did not pass on} of the last call
        self.outputs, self._caches, self._end, self.grads = {}, {}, None, {}
        self._fast, self._pass = Engine(self.arch), None   # the fast engine, and its layers for the last pass

    # The architecture's description, read through the net.
    spec = property(lambda self: self.arch.spec)
    input_shape = property(lambda self: self.arch.input_shape)
    layer_names = property(lambda self: self.arch.layer_names)
    layers = property(lambda self: self.arch.layers)
    shapes = property(lambda self: self.arch.shapes)
    fields = property(lambda self: self.arch.fields)
    param_shapes = property(lambda self: self.arch.param_shapes)

    def receptive_field(self, name):
        return self.arch.receptive_field(name)

    def info(self):
        return self.arch.info()

    def summary(self):
        return self.arch.summary(self.dtype)

    def class_name(self, c):
        """The name of output c, or "class c" for a model without names."""
        return self.classes[c] if self.classes else f"class {c}"

    def resized(self, hw, end=None):
        """This net on inputs of another size (H, W), sharing its parameters, with only the layers
        ``end`` (default: the last) needs (Architecture.upto): DeepDream and style transfer work
        on images of any size this way."""
        arch = self.arch.upto(self.layer_names[-1] if end is None else end, hw)
        net = Net(arch, params={n: self.params[n] for n in arch.param_shapes}, dtype=self.dtype,
                  space=dataclasses.replace(self.space, size=tuple(hw), resize=None), meta=self.meta)
        net._fast.kept = self._fast.kept     # the same weights: frozen with this net, sharing its kept work
        return net

    def astype(self, dtype):
        """A copy of this net with parameters cast to dtype (float64 for gradient checks)."""
        return Net(self.arch, params=self.params, dtype=dtype, space=self.space, classes=self.classes, meta=self.meta,
                   samples=self.samples)

    def forward(self, x, end=None, train=False, seed=None, keep=None):
        """x: (N, C, H, W) = (N,) + input_shape. Returns the output of layer ``end`` (default the last),
        running only the layers it depends on; outputs go to ``net.outputs`` (and "data"), what
        backward needs to the caches. keep: the outputs the caller will read or start a backward
        from (besides "data" and ``end``); the others go once no later layer reads them (default
        None: keep all). train=True: dropout on, its masks from ``seed`` + the layer's position."""
        end = self.layer_names[-1] if end is None else self.arch.check_layer(end, "forward")
        if getattr(x, "ndim", None) != 4 or tuple(x.shape[1:]) != self.input_shape:
            raise ShapeError(f"forward: input must have shape (N,) + {self.input_shape}, "
                             f"got {getattr(x, 'shape', type(x).__name__)}")
        if not is_gpu_array(x):        # on the GPU a NaN shows in the outputs instead of a stop to read it
            checks.finite("forward", "the input", x)
        x, keep = self._here(x), self.arch.kept(end, keep)
        needed, drop = self.arch.pass_plan(end, keep)
        # The fast engine: on the CPU with the fast paths on (backend.use_fast, MINICNN_FAST).
        self._pass = self._fast.pass_for(end, keep, len(x)) if backend.fast() and not is_gpu_array(x) else None
        self.outputs, self._caches, self._end = {INPUT: x}, {}, None
        for name in needed:
            spec = self.layers[name]
            layer = self._pass.layer(name) if self._pass else TYPES[spec["type"]]     # fast/: a faster twin
            inputs = [self.outputs[i] for i in spec["inputs"]]
            layer_seed = None if seed is None else (int(seed) + self.layer_names.index(name)) % 2**32
            try:
                out, cache = layer.forward(spec, self.params.get(name), inputs, train=train, seed=layer_seed)
            except ShapeError as e:
                raise ShapeError(f"layer {name!r} ({spec['type']}): {e}") from None
            self.outputs[name], self._caches[name] = out, cache
            for gone in drop.get(name, ()):             # keep=: outputs no later layer reads
                del self.outputs[gone]
        self._end = end
        return self.outputs[end]

    def backward(self, dout, start=None, params=False, once=False, until=None):
        """Backpropagate to the network's input. Returns dx, shaped like the last forward's x, or
        with ``until`` the gradient at that layer's output (the pass stops there).

        dout: the gradient at the output of layer ``start`` (default: where forward stopped), or a
        dict {layer: gradient} to start from several layers at once (copied, never written over).
        params=True also computes ``net.grads[layer]["W"/"b"]``. Each ReLU uses its current rule
        (relu_mode). once=True: no other backward will start from this forward, so each cache goes
        as soon as the pass is through its layer.
        """
        grads = self._start(dout, start)
        if until is not None and self.arch.check_layer(until, "backward") not in self.outputs:
            raise ArgumentError(f"backward: layer {until!r} was not computed by the last forward")
        if params:
            self.grads = {}
        for name in reversed(self.layer_names):
            if name == until:                  # every layer it feeds has passed its gradient back
                return grads.get(name, get_array_module(self.outputs[name]).zeros_like(self.outputs[name]))
            if name not in grads:
                continue                       # no gradient flows through this layer
            spec, g = self.layers[name], grads.pop(name)
            layer = self._pass.layer(name) if self._pass else TYPES[spec["type"]]     # fast/: a faster twin
            dins, dparams = layer.backward(spec, g, self._caches[name], params=params,
                                           relu_mode=self._relu_modes.get(name))
            if once:
                del self._caches[name]
            if dparams is not None:
                self.grads[name] = dparams
            for i, d in zip(spec["inputs"], dins):
                grads[i] = grads[i] + d if i in grads else d
        x = self.outputs[INPUT]
        if once:
            self._caches, self._end = {}, None
        return grads.get(INPUT, get_array_module(x).zeros_like(x))

    def relevance(self, R, start=None):
        """Layer-wise relevance propagation: backward's loop with each layer's relevance rule
        (lrp_rule) in place of its backward. R: the relevance at layer ``start``'s output
        (default: where forward stopped), usually the class score on its own unit. Returns the
        relevance at the input, shaped like x; ``net.absorbed`` gets what each layer kept back."""
        if self._pass is not None:
            raise ArgumentError("relevance: the last forward ran on the fast engine; run it with the "
                                "readable layers (backend.fast_paths(False)), whose caches the rules read")
        rel, self.absorbed = self._start(R, start), {}
        for name in reversed(self.layer_names):
            if name not in rel:
                continue
            spec, r = self.layers[name], rel.pop(name)
            rule, options = self._lrp_rules.get(name, (None, {}))
            inputs = [self.outputs[i] for i in spec["inputs"]]
            rins = TYPES[spec["type"]].relevance(spec, self.params.get(name), r, self._caches[name], inputs,
                                                 self.outputs[name], rule=rule, **options)
            self.absorbed[name] = _total(r) - sum(_total(ri) for ri in rins)
            for i, ri in zip(spec["inputs"], rins):
                rel[i] = rel[i] + ri if i in rel else ri
        x = self.outputs[INPUT]
        return rel.get(INPUT, get_array_module(x).zeros_like(x))

    def _start(self, dout, start):
        """backward's starting gradients, checked: {layer: a copy in the net's dtype, on its device}
        (the fast engine's layers write over the gradients of a pass, never over the caller's)."""
        if self._end is None:
            raise ArgumentError("backward: call forward first")
        starts = dout if isinstance(dout, dict) else {self._end if start is None else start: dout}
        for name, g in starts.items():
            self.arch.check_layer(name, "backward")
            if name not in self.outputs:
                raise ArgumentError(f"backward: layer {name!r} was not computed by the last forward "
                                    f"(it stopped at {self._end!r}) or not kept (its keep=)")
            if tuple(g.shape) != tuple(self.outputs[name].shape):
                raise ShapeError(f"backward: the gradient at {name!r} has shape {tuple(g.shape)}, "
                                 f"the layer's output has shape {tuple(self.outputs[name].shape)}")
        return {name: self._here(g, copy=True) for name, g in starts.items()}

    def _here(self, a, copy=False):
        """``a`` in this net's dtype, where its parameters are (the net runs there)."""
        return beside(a, next((v for p in self.params.values() for v in p.values()), None), self.dtype, copy)

    @contextlib.contextmanager
    def frozen(self):
        """A block in which the weights cannot change (they are read-only), so that the fast engine
        may keep work done on them between passes (fast/frozen.py). viz.run runs every technique so."""
        with frozen_weights(self.arch, self.params, self.dtype, self._fast.kept):
            yield self

    is_frozen = property(lambda self: self._fast.kept.open)      # in a frozen() block (memory.py asks)

    @contextlib.contextmanager
    def relu_mode(self, mode, upto=None):
        """Within the block, ReLUs backpropagate with ``mode`` ("backprop", "deconvnet", "guided"):
        all of them, or with ``upto`` those at or below that layer. The previous rules come back after."""
        checks.choice("relu_mode", "mode", mode, RELU_MODES)
        below = self._at_or_below(upto, "relu_mode")
        saved = dict(self._relu_modes)
        for name in self._relu_modes:
            if below is None or name in below:
                self._relu_modes[name] = mode
        try:
            yield self
        finally:
            self._relu_modes = saved

    relu_modes = property(lambda self: dict(self._relu_modes))     # {relu layer: its current backward rule}

    def _at_or_below(self, upto, what):
        """The layers a rule block with ``upto`` reaches: that layer and every one it reads from
        (None: all layers)."""
        return None if upto is None else self.arch.ancestors[self.arch.check_layer(upto, what)] | {upto}

    @contextlib.contextmanager
    def lrp_rule(self, rule, upto=None, **options):
        """Within the block, relevance() uses ``rule`` at every layer it applies to (a rule of
        WEIGHTED_RULES: convolutions and fully connected layers; of POOL_RULES: max pooling),
        or with ``upto`` at those at or below that layer; options: eps, gamma, alpha, or the
        input's low and high for "zb". Blocks nest, so a composite is the top rule with lower
        ranges inside it. The previous rules come back after."""
        checks.choice("lrp_rule", "rule", rule, WEIGHTED_RULES + POOL_RULES)
        kinds = ("conv", "linear") if rule in WEIGHTED_RULES else ("maxpool",)
        below = self._at_or_below(upto, "lrp_rule")
        saved = dict(self._lrp_rules)
        for name in self._lrp_rules:
            if self.layers[name]["type"] in kinds and (below is None or name in below):
                self._lrp_rules[name] = (rule, dict(options))
        try:
            yield self
        finally:
            self._lrp_rules = saved

    lrp_rules = property(lambda self: dict(self._lrp_rules))       # {layer: (its relevance rule, options)}


def _total(a):
    """(N,) float64 sums of a batch's relevance, one per example."""
    return a.reshape(a.shape[0], -1).sum(axis=1).astype(np.float64)
