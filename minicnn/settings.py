"""Options with declared types and ranges: a frozen dataclass that checks itself when made.

    @dataclass(frozen=True)
    class Settings(settings.Settings):
        stride: int = option(8, "step between positions, pixels", ge=1)
        target: object = option(None, "class index or (part of) a class name", kind="target")

A bad value is refused before any work, with the same message from Python and from the
command line (which builds its flags from the fields: name, type, help, bounds, choices).
The techniques (viz/) and training (train/) take their options this way.
"""
import dataclasses
import numbers
import re

import numpy as np

from .errors import ArgumentError

KINDS = ("int", "float", "str", "bool", "target", "unit")


def option(default, help, *, kind=None, ge=None, gt=None, le=None, lt=None, choices=None, required=False):
    """A setting: its default, its help text, its kind ("int", "float", "str", "bool", "target"
    for a class index or name, "unit" for a channel or "c,y,x"; default: the default's type) and
    its allowed values (bounds ge/gt/le/lt, or a list of choices)."""
    kind = kind or type(default).__name__
    if kind not in KINDS:
        raise TypeError(f"option: unknown kind {kind!r}")
    meta = dict(help=help, kind=kind, ge=ge, gt=gt, le=le, lt=lt, choices=choices, required=required)
    return dataclasses.field(default=default, metadata=meta)


@dataclasses.dataclass(frozen=True)
class Settings:
    """A technique's options. Subclasses add fields made with option(); each is checked here."""

    def __post_init__(self):
        for f in dataclasses.fields(self):
            value = _checked(f.name, getattr(self, f.name), f.metadata)
            object.__setattr__(self, f.name, value)
        self.check()

    def check(self):
        """Checks that involve several fields (override)."""


def _checked(name, value, m):
    if value is None:
        if m.get("required"):
            raise ArgumentError(f"{name} is required")
        return None
    kind = m.get("kind", "str")
    if kind == "bool":
        if not isinstance(value, (bool, np.bool_)):
            raise ArgumentError(f"{name} must be true or false, got {value!r}")
        return bool(value)
    if kind == "int":
        if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
            raise ArgumentError(f"{name} must be a whole number, got {value!r}")
        value = int(value)
    elif kind == "float":
        if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real) or not np.isfinite(value):
            raise ArgumentError(f"{name} must be a finite number, got {value!r}")
        value = float(value)
    elif kind == "target":
        if isinstance(value, (bool, np.bool_)) or not isinstance(value, (str, numbers.Integral)):
            raise ArgumentError(f"{name} must be a class index or (part of) a class name, got {value!r}")
        value = int(value) if isinstance(value, numbers.Integral) else value
    elif kind == "unit":
        value = parse_unit(name, value)
    elif not isinstance(value, str):
        raise ArgumentError(f"{name} must be text, got {value!r}")
    if m.get("choices") is not None and value not in m["choices"]:
        raise ArgumentError(f"{name} must be one of {', '.join(map(str, m['choices']))}, got {value!r}")
    for bound, holds, word in (("ge", lambda b: value >= b, ">="), ("gt", lambda b: value > b, ">"),
                               ("le", lambda b: value <= b, "<="), ("lt", lambda b: value < b, "<")):
        if m.get(bound) is not None and not holds(m[bound]):
            raise ArgumentError(f"{name} must be {word} {m[bound]:,}, got {value!r}")
    return value


PLAIN_INT = re.compile(r"[+-]?[0-9]+")           # not \d, which matches every script's digits


def plain_int(text):
    """The int that text spells in plain ASCII digits ("12", "-3", " 7 "), else None. Python's
    int() also takes "\u0663" (Arabic-Indic 3), "\uff13" (full-width 3) and "1_2": a user typing a
    class or a unit does not mean those as indices (and "\u00b2" would crash int())."""
    text = text.strip()
    return int(text) if PLAIN_INT.fullmatch(text) else None


def parse_unit(name, value):
    """A unit of a layer: a channel c (int) or a position (c, y, x), from an int, a tuple or text
    such as "12" or "12,3,4"."""
    given, parsed = value, value
    if isinstance(value, str):
        parsed = tuple(plain_int(p) for p in value.replace(",", " ").split())
        if None in parsed:
            parsed = None
        elif len(parsed) == 1:
            parsed = parsed[0]
    if isinstance(parsed, numbers.Integral) and not isinstance(parsed, (bool, np.bool_)) and parsed >= 0:
        return int(parsed)
    if (isinstance(parsed, (tuple, list)) and len(parsed) == 3
            and all(isinstance(v, numbers.Integral) and not isinstance(v, bool) and v >= 0 for v in parsed)):
        return tuple(int(v) for v in parsed)
    raise ArgumentError(f"{name} must be a channel (a whole number >= 0) or 'c,y,x', got {given!r}")
