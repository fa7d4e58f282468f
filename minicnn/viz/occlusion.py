"""Occlusion experiments (Zeiler & Fergus 2013): slide a grey square over the image and watch
the correct class's probability, and a feature map, fall where the square hides what matters.

The square is filled with the model's mean colour (zero in its input space). All positions
are evaluated in batches, so the cost is a few large forward passes, not one per position.
"""
from dataclasses import dataclass, replace

import numpy as np

from ..backend import get_array_module, to_numpy
from ..errors import ArgumentError
from ..memory import check_batch_fits
from . import technique
from .targets import ClassRef, class_ref, probabilities, resolve_target, score_layer, target_or_predicted
from ..progress import progress_bar
from ..settings import option


@dataclass(frozen=True)
class Settings(technique.Settings):
    target: object = option(None, "class index or (part of) a class name (default: the predicted class)",
                            kind="target")
    patch: int = option(None, "side of the grey square, pixels (default: a seventh of the image's shorter side, "
                              "32 at 227)", kind="int", ge=1)
    stride: int = option(None, "step between positions, pixels (default: a quarter of the square)", kind="int", ge=1)
    layer: str = option(None, "layer whose strongest feature map is also tracked (default: the first map at a "
                              "quarter of the input's resolution)", kind="str")
    batch: int = option(16, "positions per forward pass", ge=1, le=4096)


@dataclass(frozen=True, kw_only=True)
class Occlusion(technique.Result):
    x: np.ndarray             # (1, C, H, W) the image, in input space
    prob: np.ndarray          # (rows, cols) probability of the target class with the square there
    feature: np.ndarray       # (rows, cols) total activation of the strongest map of ``layer``
    tops: np.ndarray          # the square's top-left corners, in input pixels
    lefts: np.ndarray
    patch: int                # the square's side and the step between positions used, pixels
    stride: int
    target: ClassRef
    layer: str
    channel: int              # the strongest map of ``layer`` on the unoccluded image
    base_prob: float          # the unoccluded image's values, for comparison
    base_feature: float
    min_prob: float

    def summary(self):
        return (f"occlusion for {self.target.index} {self.target.name!r}: probability {self.base_prob:.3f} "
                f"unoccluded, {self.min_prob:.3f} at worst")


def occlusion(net, x, target, layer=None, size=None, stride=None, batch=16, progress=False):
    """Occlude x (1, C, H, W) with a size x size mean-coloured square every ``stride`` pixels
    (defaults: a seventh of the shorter side, and a quarter of that).

    layer: the layer whose strongest feature map is also recorded (default: the first whose
    output is a map at a quarter of the input's resolution or coarser). Returns an Occlusion.
    """
    settings = Settings(target=target, patch=size, stride=stride, layer=layer, batch=batch)
    c = resolve_target(net, target)
    H, W = x.shape[2:]
    size = size or max(1, round(min(H, W) / 7))
    stride = stride or max(1, size // 4)
    if size > min(H, W):
        raise ArgumentError(f"occlusion: the square ({size} pixels) is larger than the image ({H}x{W})")
    layer = net.arch.check_layer(layer, "occlusion") if layer else _default_layer(net)
    check_batch_fits(net, score_layer(net), batch, "occlusion")

    def measure(xs):
        """(probability of c, total of each channel of ``layer``) per image of xs."""
        p = probabilities(net, xs)[:, c]                 # a forward pass to the scores
        if layer not in net.outputs:                     # a layer past the scores (e.g. prob): one more
            net.forward(xs, end=layer)
        f = net.outputs[layer]
        return p, to_numpy(f.reshape(f.shape[0], f.shape[1], -1).sum(axis=2))

    base_prob, base_totals = measure(x)
    channel = int(base_totals[0].argmax())

    def occluded(xs):
        p, totals = measure(xs)
        return p, totals[:, channel]
    tops, lefts, (prob, feature) = occlude(x, size, stride, occluded, batch, progress)
    return Occlusion(settings=settings, x=to_numpy(x), prob=prob, feature=feature,
                     tops=tops, lefts=lefts, patch=size, stride=stride, target=class_ref(net, c), layer=layer,
                     channel=channel,
                     base_prob=float(base_prob[0]), base_feature=float(base_totals[0, channel]),
                     min_prob=float(prob.min()))


def occlude(x, size, stride, measure, batch=16, progress=False):
    """Slide a size x size square over x (1, C, H, W) in steps of ``stride`` pixels, its top-left
    corner at rows 0, stride, 2 stride, ... and the same columns, as long as it fits inside; fill
    it with the mean colour (0 in input space) and measure each occluded copy. measure(xs) takes
    up to ``batch`` copies (n, C, H, W) at a time and returns a tuple of arrays, each with one
    value per copy (n,). Returns (tops, lefts, a tuple of maps (len(tops), len(lefts)), one per
    array measure returns); progress: progress_bar over the batches."""
    xp = get_array_module(x)
    H, W = x.shape[2:]
    tops, lefts = np.arange(0, H - size + 1, stride), np.arange(0, W - size + 1, stride)
    positions = [(t, l) for t in tops for l in lefts]
    values = []
    for start in progress_bar(range(0, len(positions), batch), "occlusion", progress):
        chunk = positions[start:start + batch]
        xs = xp.repeat(x, len(chunk), axis=0)
        for i, (t, l) in enumerate(chunk):
            xs[i, :, t:t + size, l:l + size] = 0        # the mean colour is 0 in input space
        values.append([to_numpy(v) for v in measure(xs)])
    maps = tuple(np.concatenate(column).reshape(len(tops), len(lefts)) for column in zip(*values))
    return tops, lefts, maps


def _default_layer(net):
    H = net.input_shape[1]
    for name in net.layer_names:
        shape = net.shapes[name]
        if len(shape) == 3 and shape[1] <= H // 4 and net.layers[name]["type"] in ("relu", "concat", "maxpool"):
            return name
    return net.layer_names[-1]


def occlusion_map(result, image_hw, size):
    """Spread the per-position probabilities over the pixels each square covered (mean per pixel)."""
    total, count = np.zeros(image_hw), np.zeros(image_hw)
    for i, t in enumerate(result.tops):
        for j, l in enumerate(result.lefts):
            total[t:t + size, l:l + size] += result.prob[i, j]
            count[t:t + size, l:l + size] += 1
    return np.where(count > 0, total / np.maximum(count, 1), result.base_prob)


def run(net, x, settings):
    c = target_or_predicted(net, x, settings.target)
    r = occlusion(net, x, c, settings.layer, settings.patch, settings.stride, settings.batch, progress=None)
    return replace(r, settings=settings)
