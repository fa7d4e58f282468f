"""The fast engine's plan of a pass, and the layers it hands the Net.

For a pass to ``end``, keeping ``keep`` (Net.forward's), over a batch of N examples, ``plan``
decides once, from the architecture alone:

* the twin each layer takes: a Winograd convolution (conv_winograd.py) where ``pays`` says so,
  the Numba ReLU and max pooling (relu.py, maxpool.py) on at least NUMBA_MIN_SIZE values; the
  other layers, and smaller ones, run as layers/ writes them;
* which ReLUs write their output over their input: a Numba ReLU (or one fused, below) whose input
  is a convolution's or linear layer's output that nothing else reads and the caller does not keep;
* which of those the Winograd convolution before them applies itself while writing its output
  (one pass over memory fewer); the ReLU then passes that array on.

A ``Pass`` holds the plan's layers: objects with the forward and backward of layer_types.py,
so that Net.forward and Net.backward call them in the same way. An ``Engine`` (one per Net)
keeps a Pass for each (end, keep, N) it has seen, and what a frozen() block keeps (frozen.py).
"""
from dataclasses import dataclass

import numpy as np

from .. import layer_types
from . import conv_winograd, frozen, maxpool, relu
from .allocator import keep_big_buffers

NUMBA_MIN_SIZE = 1 << 16   # values; below this, starting Numba's threads costs more than NumPy's loops


def twin(arch, name, batch):
    """The twin layer ``name`` of Architecture ``arch`` takes for a batch of ``batch``
    examples: "winograd", "numba", or None for the readable layer."""
    spec = arch.layers[name]
    x_shape = (batch,) + tuple(arch.shapes[spec["inputs"][0]])
    if spec["type"] in ("relu", "maxpool"):
        return "numba" if int(np.prod(x_shape)) >= NUMBA_MIN_SIZE else None
    if spec["type"] == "conv" and conv_winograd.pays(x_shape, arch.param_shapes[name]["W"], spec["stride"],
                                                     spec["pad"]):
        return "winograd"
    return None


@dataclass(frozen=True)
class Plan:
    twins: dict              # {layer: "winograd", "numba" or None}, for every layer the pass runs
    overwrite: frozenset     # the ReLUs that write their output over their input
    fused: frozenset         # ... of which those the Winograd convolution before them applies


def plan(arch, end, keep, batch):
    """The Plan of a pass of ``batch`` examples to ``end``, keeping ``keep`` (as Net.forward's,
    or as Architecture.kept returns it)."""
    needed, _ = arch.pass_plan(end, keep)
    twins = {name: twin(arch, name, batch) for name in needed}
    stay = arch.kept(end, keep)
    readers = {}
    for name in needed:
        for i in arch.layers[name]["inputs"]:
            readers[i] = readers.get(i, 0) + 1
    overwrite = set()
    if stay is not None:               # keep=None keeps every output: nothing may be written over
        for name in needed:
            source = arch.layers[name]["inputs"][0]
            if (arch.layers[name]["type"] == "relu" and source not in stay and readers[source] == 1
                    and arch.layers.get(source, {}).get("type") in ("conv", "linear")
                    and (twins[name] or twins[source] == "winograd")):
                overwrite.add(name)
    fused = {r for r in overwrite if twins[arch.layers[r]["inputs"][0]] == "winograd"}
    return Plan(twins, frozenset(overwrite), frozenset(fused))


class Engine:
    """The fast engine of one Net (its Architecture): a Pass for each (end, keep, batch) it is
    asked for, and what a frozen() block keeps (frozen.Kept)."""

    def __init__(self, arch):
        self.arch, self.passes, self.kept = arch, {}, frozen.Kept()

    def pass_for(self, end, keep, batch):
        """keep: as Architecture.kept returns it (None, or a set of layer names)."""
        key = (end, None if keep is None else tuple(sorted(keep)), batch)
        if key not in self.passes:
            self.passes[key] = Pass(self.arch, plan(self.arch, end, keep, batch), self.kept)
        return self.passes[key]


class Pass:
    """The layers of one Plan, by name: a twin where the plan gives one, else the readable layer."""

    def __init__(self, arch, plan, kept):
        self.plan = plan
        self.layers = {}
        for name, path in plan.twins.items():
            kind = arch.layers[name]["type"]
            if name in plan.fused:
                self.layers[name] = FusedRelu()
            elif path == "winograd":
                self.layers[name] = WinogradConv(kept, name, rectify=any(
                    arch.layers[r]["inputs"][0] == name for r in plan.fused))
            elif path == "numba":
                self.layers[name] = NumbaRelu(name in plan.overwrite) if kind == "relu" else NumbaMaxPool()
            else:
                self.layers[name] = layer_types.TYPES[kind]
        if any(plan.twins.values()):
            keep_big_buffers()                 # once per process: freed large arrays stay for the next step

    def layer(self, name):
        return self.layers[name]


class WinogradConv(layer_types.Conv):
    """layer_types.Conv computed by conv_winograd.py; rectify: it also applies the ReLU after it."""

    def __init__(self, kept, name, rectify):
        self.kept, self.name, self.rectify = kept, name, rectify

    def forward(self, spec, params, inputs, **_):
        return conv_winograd.conv_forward(inputs[0], params["W"], params["b"], spec["stride"], spec["pad"],
                                          memo=frozen.memo(self.kept, self.name, params["W"]), rectify=self.rectify)

    def backward(self, spec, dout, cache, params=False, **_):
        dx, dw, db = conv_winograd.conv_backward(dout, cache, params=params)
        return [dx], ({"W": dw, "b": db} if params else None)


class NumbaRelu(layer_types.Relu):
    """layer_types.Relu computed by relu.py; overwrite: its output is written over its input.
    The backward always writes over dout: every gradient a backward pass hands a layer is its own
    (Net.backward copies the ones it is given)."""

    def __init__(self, overwrite):
        self.overwrite = overwrite

    def forward(self, spec, params, inputs, **_):
        return relu.relu_forward(inputs[0], overwrite=self.overwrite)

    def backward(self, spec, dout, cache, relu_mode="backprop", **_):
        return [relu.relu_backward(dout, cache, relu_mode, overwrite=True)], None


class FusedRelu(NumbaRelu):
    """A ReLU the convolution before it applied: its input is already max(x, 0), and is passed
    on as the output (and as the cache relu.py's backward reads)."""

    def __init__(self):
        super().__init__(overwrite=True)

    def forward(self, spec, params, inputs, **_):
        return inputs[0], inputs[0]


class NumbaMaxPool(layer_types.MaxPool):
    """layer_types.MaxPool computed by maxpool.py."""

    def forward(self, spec, params, inputs, **_):
        return maxpool.maxpool_forward(inputs[0], spec["size"], spec["stride"], spec["pad"], spec["ceil_mode"])

    def backward(self, spec, dout, cache, **_):
        return [maxpool.maxpool_backward(dout, cache)], None
