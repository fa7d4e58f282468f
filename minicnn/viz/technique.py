"""The shape every technique has: settings with declared ranges (settings.py), a result, a
registry entry.

    @dataclass(frozen=True)
    class Settings(technique.Settings):
        target: object = option(None, "class index or (part of) a class name", kind="target")
        stride: int = option(8, "step between positions, pixels", ge=1)

    @dataclass(frozen=True, kw_only=True)
    class Occlusion(technique.Result):
        prob: np.ndarray                     # arrays: what is drawn
        target: ClassRef                     # what was used
        base_prob: float                     # what was measured

    def run(net, x, settings) -> Occlusion

A Result's non-array fields are its JSON sidecar.
"""
import dataclasses

import numpy as np

from ..settings import Settings


@dataclasses.dataclass(frozen=True, kw_only=True)
class Result:
    """What a technique returns: arrays (maps, images in input space), what was used (resolved
    class, layer, unit, settings) and what was measured. ``seconds`` is filled in by the registry."""
    settings: Settings
    seconds: float = 0.0

    def summary(self):
        """One line for the terminal (override)."""
        return ""

    def sidecar(self):
        """Every field that is not an array (or a dict of arrays): the JSON sidecar."""
        from ..files import jsonable
        return {f.name: jsonable(getattr(self, f.name)) for f in dataclasses.fields(self)
                if not holds_arrays(getattr(self, f.name))}

    def arrays(self):
        """{field name: array} for every array field (for finiteness checks and saving)."""
        out = {}
        for f in dataclasses.fields(self):
            v = getattr(self, f.name)
            if isinstance(v, np.ndarray):
                out[f.name] = v
            elif holds_arrays(v):
                out.update({f"{f.name}.{k}": a for k, a in v.items()})
        return out


def holds_arrays(value):
    return isinstance(value, np.ndarray) or (isinstance(value, dict) and bool(value)
                                             and all(isinstance(v, np.ndarray) for v in value.values()))


@dataclasses.dataclass(frozen=True)
class Technique:
    """A registry entry: all the command line and the gallery need to know about a technique."""
    name: str                  # the command's verb
    run: object                # (net, x or None, settings) -> Result
    picture: object            # (net, result) -> list of display.Panel
    settings: type             # its Settings class
    image: str                 # "required", "optional" or "none": does it take an image?
    description: str           # one line, for --help
    paper: str                 # where it comes from
    image_setting: str = None  # a setting that may name the image instead (fool's --start FILE)
    model: bool = True         # does it run on a model? (the lecture's linear example does not)
    any_size: bool = False     # does it work on images of any size? (then --size S runs it on the whole
                               # image with its shorter side S, not on the model's centre crop)
