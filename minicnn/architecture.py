"""A network's architecture as data: its layers, their wiring and every shape, with no weights.

    arch = Architecture(vgg16(), input_shape=(3, 224, 224))
    arch.shapes["pool5"]             # (512, 7, 7): output shape of one example
    arch.param_shapes["fc6"]         # {"W": (4096, 25088), "b": (4096,)}
    arch.receptive_field("conv5_3")  # size 196, stride 16, offset -90 (input pixels)
    print(arch.summary())

Layers run in the order of the spec; each takes the previous layer's output unless its spec
names "inputs" (the network input is called "data"). Everything here is computed from shapes
alone, so converters and the model-file reader use it to learn what parameters a file must
hold, and a Net (architecture + parameters + run state) is built on top of it.
"""
import difflib
from dataclasses import dataclass

import numpy as np

from .errors import ArgumentError, ShapeError, SpecError
from .layer_types import TYPES, normalize_spec
from .receptive_field import ReceptiveField

INPUT = "data"


@dataclass(frozen=True)
class LayerInfo:
    """One row of summary(): the output shape is per example, without the batch axis."""
    name: str
    type: str
    inputs: tuple
    shape: tuple
    params: int
    field: ReceptiveField


class Architecture:
    def __init__(self, spec, input_shape):
        """spec: list of layer dicts (layer_types.py); input_shape: (C, H, W) of one example."""
        if not isinstance(spec, (list, tuple)):
            raise SpecError(f"an architecture is a list of layer specs, got {type(spec).__name__}")
        if (not isinstance(input_shape, (list, tuple)) or len(input_shape) != 3
                or not all(isinstance(d, (int, np.integer)) and not isinstance(d, bool) and d > 0
                           for d in input_shape)):
            raise ShapeError(f"input_shape must be (C, H, W), three positive ints, got {input_shape!r}")
        self.input_shape = tuple(int(d) for d in input_shape)
        self.spec = [normalize_spec(s, i) for i, s in enumerate(spec)]
        if not self.spec:
            raise SpecError("a network needs at least one layer")
        self.layer_names = [s["name"] for s in self.spec]
        self._infer()

    def _infer(self):
        """Wire inputs, then compute every layer's output shape, receptive field and parameter shapes."""
        self.layers, self.shapes, self.fields = {}, {INPUT: self.input_shape}, {INPUT: ReceptiveField()}
        self.param_shapes, self.ancestors = {}, {INPUT: frozenset()}
        previous = INPUT
        for spec in self.spec:
            name = spec["name"]
            if name in self.layers:
                raise SpecError(f"layer name {name!r} is used twice")
            spec.setdefault("inputs", [previous])
            for i in spec["inputs"]:
                if i not in self.shapes:
                    raise SpecError(f"layer {name!r}: input {i!r} is not an earlier layer (or 'data')")
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
            self.ancestors[name] = frozenset().union(*({i} | self.ancestors[i] for i in spec["inputs"]))
            previous = name

    @property
    def output_shape(self):
        """Output shape of the last layer, per example."""
        return self.shapes[self.layer_names[-1]]

    def check_layer(self, name, what):
        """Refuse a layer name that is not in the network, listing those that are."""
        if name not in self.layers:
            lower = [n.lower() for n in self.layer_names]
            close = difflib.get_close_matches(str(name).lower(), lower, n=1)
            meant = f" (did you mean {self.layer_names[lower.index(close[0])]!r}?)" if close else ""
            raise ArgumentError(f"{what}: no layer named {name!r}{meant}; layers are {', '.join(self.layer_names)}")
        return name

    def check_unit(self, layer, unit, what):
        """Refuse a unit that is not in ``layer``'s output: a channel c (of a map or a vector) or
        a position (c, y, x) of a (C, H, W) map. The message names the unit as given and the
        layer's real shape."""
        shape = self.shapes[self.check_layer(layer, what)]
        if np.ndim(unit) == 0:
            if not 0 <= unit < shape[0]:
                kind = "channels" if len(shape) == 3 else "outputs"
                raise ArgumentError(f"{what}: unit {unit} is outside {layer}: it has {shape[0]} {kind}, 0 to "
                                    f"{shape[0] - 1} (output shape {shape})")
            return int(unit)
        unit = tuple(int(v) for v in unit)
        if len(shape) != 3:
            raise ArgumentError(f"{what}: unit {unit} is a position, but {layer} outputs a vector of {shape[0]}; "
                                "give one index")
        if len(unit) != 3 or not all(0 <= v < n for v, n in zip(unit, shape)):
            raise ArgumentError(f"{what}: unit {unit} is outside {layer}'s output of shape {shape} (channels 0 to "
                                f"{shape[0] - 1}, rows 0 to {shape[1] - 1}, columns 0 to {shape[2] - 1})")
        return unit

    def kept(self, end, keep):
        """The outputs a pass to ``end`` keeps: "data", ``end`` and those in ``keep`` (layer
        names, or one name), checked; None when keep is None (every output)."""
        if keep is None:
            return None
        keep = (keep,) if isinstance(keep, str) else keep
        return {INPUT, end} | {k if k == INPUT else self.check_layer(k, "keep") for k in keep}

    def pass_plan(self, end, keep=None):
        """The layers a forward pass to ``end`` runs, in order, and {layer: the outputs nobody
        reads after it}, which a pass that keeps only ``keep`` (as kept()) can let go of."""
        end = self.check_layer(end, "forward")
        needed = [n for n in self.layer_names if n in self.ancestors[end] | {end}]
        stay = self.kept(end, keep)
        if stay is None:
            return needed, {}
        last_reader = {i: name for name in needed for i in self.layers[name]["inputs"]}
        drop = {}
        for out, reader in last_reader.items():
            if out not in stay:
                drop.setdefault(reader, []).append(out)
        return needed, drop

    def upto(self, end, hw=None, what="resized"):
        """The part of this architecture that layer ``end`` needs, on inputs of size hw (H, W)
        (default: this one's). Convolutions and pooling work at any size; a fully connected
        layer's weights fix its input's size, so at another size ``end`` must come before one.
        what: the caller named in errors."""
        end = self.check_layer(end, what)
        hw = self.input_shape[1:] if hw is None else tuple(hw)
        keep = (self.ancestors[end] | {end}) - {INPUT}
        fixed = [n for n in self.layer_names if n in keep and self.layers[n]["type"] == "linear"]
        if fixed and hw != self.input_shape[1:]:
            raise ArgumentError(f"{end!r} needs the fully connected layer {fixed[0]!r}, whose weights fix the input "
                                f"at {self.input_shape[1]}x{self.input_shape[2]}; choose a layer before it")
        return Architecture([s for s in self.spec if s["name"] in keep], (self.input_shape[0],) + hw)

    def blocks(self):
        """[(block, its weighted layers, its last layer)] from the input up. A block is a layer
        with weights, or the layers whose names share a part before "/" (SqueezeNet's fire5/...),
        whose last layer (fire5/concat) holds every branch: what the sanity checks randomize
        together and LRP's composite gives one rule."""
        weighted = {}
        for name in self.layer_names:
            if name in self.param_shapes:
                weighted.setdefault(name.split("/")[0], []).append(name)
        return [(b, layers, [n for n in self.layer_names if n.split("/")[0] == b][-1])
                for b, layers in weighted.items()]

    def receptive_field(self, name):
        """The ReceptiveField of a unit of layer ``name``, in input pixels."""
        return self.fields[self.check_layer(name, "receptive_field")]

    def info(self):
        """A LayerInfo per layer, in order: output shape, parameter count, receptive field."""
        return [LayerInfo(n, self.layers[n]["type"], tuple(self.layers[n]["inputs"]), self.shapes[n],
                          sum(int(np.prod(s)) for s in self.param_shapes.get(n, {}).values()), self.fields[n])
                for n in self.layer_names]

    def summary(self, dtype=None):
        """A printable table of info(): shapes, parameter counts and receptive fields."""
        def pair(p):
            return str(p[0]) if p[0] == p[1] else f"{p[0]}x{p[1]}"
        rows = [("layer", "type", "output", "params", "rf size", "rf stride", "rf offset")]
        info = self.info()
        for i in info:
            rows.append((i.name, i.type, "x".join(map(str, i.shape)), f"{i.params:,}",
                         pair(i.field.size), pair(i.field.stride), pair(i.field.offset)))
        widths = [max(len(r[c]) for r in rows) for c in range(len(rows[0]))]
        lines = ["  ".join(v.ljust(w) if c < 3 else v.rjust(w) for c, (v, w) in enumerate(zip(r, widths)))
                 for r in rows]
        lines.insert(1, "-" * len(lines[0]))
        lines.append(f"input {'x'.join(map(str, self.input_shape))}, {sum(i.params for i in info):,} parameters"
                     + (f", {np.dtype(dtype)}" if dtype is not None else ""))
        return "\n".join(lines)
