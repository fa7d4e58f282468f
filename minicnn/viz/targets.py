"""Choosing what to explain: a class by index or name, a unit of a layer, its score layer."""
import difflib
import unicodedata
from dataclasses import dataclass

import numpy as np

from ..backend import get_array_module, is_gpu_array, to_device, to_numpy
from ..errors import ArgumentError
from ..layers import softmax_forward
from ..settings import plain_int


@dataclass(frozen=True)
class ClassRef:
    """A class as a result records it: its index and its name."""
    index: int
    name: str


def class_ref(net, c):
    return ClassRef(int(c), net.class_name(int(c)))


def map_layers(net):
    """The layers whose outputs are activation maps to look at, in order: ReLUs and concatenations
    with (C, H, W) outputs (what demos and the gallery choose low, middle and high layers from)."""
    return [n for n in net.layer_names if net.layers[n]["type"] in ("relu", "concat") and len(net.shapes[n]) == 3]


def score_layer(net):
    """The layer holding the unnormalized class scores: the input of a final softmax, else the last layer."""
    last = net.layer_names[-1]
    spec = net.layers[last]
    return spec["inputs"][0] if spec["type"] == "softmax" else last


def resolve_target(net, target):
    """A class index (an int, or text in plain ASCII digits) or (part of) a class name -> the class index."""
    n = int(np.prod(net.shapes[score_layer(net)]))
    if target is None or (isinstance(target, str) and not target.strip()):
        raise ArgumentError("no target class given (a class index or part of a class name)")
    index = target if isinstance(target, (int, np.integer)) else plain_int(str(target))
    if index is not None:
        if not 0 <= index < n:
            raise ArgumentError(f"class {index} is out of range: the model has {n} classes (0 to {n - 1})")
        return int(index)
    if not net.classes:
        raise ArgumentError(f"this model has no class names: give the target as an index (0 to {n - 1})")
    text = " ".join(str(target).split()).lower()
    matches = [i for i, name in enumerate(net.classes) if text in " ".join(name.split()).lower()]
    exact = [i for i in matches if text in [part.strip().lower() for part in net.classes[i].split(",")]]
    if len(exact) == 1:
        return exact[0]
    if len(matches) == 1:
        return matches[0]
    if not matches:
        raise ArgumentError(f"no class name contains {target!r}; {_closest(net, str(target).strip())}")
    shown = ", ".join(f"{i} {net.classes[i]!r}" for i in matches[:6])
    raise ArgumentError(f"{target!r} matches {len(matches)} classes ({shown}{', ...' if len(matches) > 6 else ''}); "
                       "give the index or a longer name")


def _closest(net, text):
    """What the user may have meant by a name no class contains: the index that digits of
    another script spell, else the closest class names."""
    digits = [unicodedata.digit(ch, None) for ch in text]
    if None not in digits:
        index = int("".join(map(str, digits)))
        meant = f"class {index} {net.classes[index]!r}" if index < len(net.classes) else f"class {index}"
        return f"for {meant}, write {index} in ASCII digits"
    parts = {part.strip().lower(): i for i, name in enumerate(net.classes) for part in name.split(",")}
    close = dict.fromkeys(parts[p] for p in difflib.get_close_matches(text.lower(), parts, n=6, cutoff=0.5))
    if not close:
        return f"no name is close; `minicnn info` lists the model's {len(net.classes):,} classes"
    return "closest names: " + ", ".join(f"{i} {net.classes[i]!r}" for i in list(close)[:3])


def explained(net, x, target):
    """The class a picture of x explains, in numbers: (its index: ``target``, else the class the
    network predicts; its probability on x; the predicted class). The target is checked first."""
    c = None if target is None else resolve_target(net, target)
    p = probabilities(net, x)[0]
    predicted = int(p.argmax())
    c = predicted if c is None else c
    return c, float(p[c]), predicted


def in_numbers(target, probability, predicted):
    """'7 'seven', probability 0.981, the predicted class' (ClassRefs), for a summary line."""
    line = f"{target.index} {target.name!r}, probability " + (f"{probability:.3f}" if probability >= 1e-3 else
                                                              f"{probability:.2g}")
    return line + (", the predicted class" if predicted == target else
                   f"; the network predicts {predicted.index} {predicted.name!r}")


def target_or_predicted(net, x, target):
    """The class ``target`` names, or the class the network predicts for x when it is None."""
    if target is None:
        return int(scores(net, x)[0].argmax())
    return resolve_target(net, target)


def scores(net, x, keep=None):
    """(N, classes) unnormalized class scores of x, as a float64 NumPy array. Scores that
    overflow (a model whose weights are too large for float32) are refused here, before they
    turn every picture into NaN. keep: the other layers' outputs to keep (Net.forward)."""
    s = to_numpy(scores_on_device(net, x, keep))
    refuse_overflow(s)
    return s


def scores_on_device(net, x, keep=None):
    """As scores, as a float64 array on the net's device. On the GPU overflow is not looked for
    here (that would stop the device to read a bool back): NaN shows in what is computed from them."""
    out = net.forward(to_device(x, net.dtype), end=score_layer(net), keep=keep)
    s = out.reshape(out.shape[0], -1).astype(np.float64)
    if not is_gpu_array(s):
        refuse_overflow(s)
    return s


def refuse_overflow(s):
    if not np.isfinite(s).all():
        raise ArgumentError("the model's class scores overflow to inf or NaN on this input "
                            "(are its weights sane?)")


def probabilities(net, x, on_device=False):
    """(N, classes) softmax probabilities of x: a NumPy array, or with on_device=True one on the net's device."""
    if on_device:
        return softmax_forward(scores_on_device(net, x))[0]
    return softmax_forward(scores(net, x))[0]


def unit_gradient(out, unit, n=0):
    """A gradient that is 1 at one unit of a layer's output and 0 elsewhere.

    out: the layer's output (N, C, H, W) or (N, D); unit: a channel c (then the strongest
    position of that channel in example n), or (c, y, x). Returns (gradient, (c, y, x)); y and x
    are None for a vector output.
    """
    xp = get_array_module(out)
    d = xp.zeros_like(out)
    flat = out.reshape(out.shape[0], out.shape[1], -1)
    if np.ndim(unit) == 0:
        c = int(unit)
        if not 0 <= c < out.shape[1]:
            raise ArgumentError(f"unit {c} is out of range: the layer has {out.shape[1]} channels")
        if out.ndim == 2 or flat.shape[2] == 1:
            y = x = None if out.ndim == 2 else 0
        else:
            y, x = divmod(int(to_numpy(flat[n, c].argmax())), out.shape[3])
    else:
        c, y, x = (int(v) for v in unit)
        if out.ndim != 4 or not (0 <= c < out.shape[1] and 0 <= y < out.shape[2] and 0 <= x < out.shape[3]):
            raise ArgumentError(f"unit {tuple(unit)} is outside the layer's output of shape {tuple(out.shape[1:])}")
    if out.ndim == 2:
        d[n, c] = 1
    else:
        d[n, c, y, x] = 1
    return d, (c, y, x)
