"""Occlusion experiments (Zeiler & Fergus 2013): slide a grey square over the image and watch
the correct class's probability, and a feature map, fall where the square hides what matters.

The square is filled with the model's mean colour (zero in its input space). All positions
are evaluated in batches, so the cost is a few large forward passes, not one per position.
"""
from dataclasses import dataclass

import numpy as np
from tqdm import tqdm

from ..backend import get_array_module, to_numpy
from .targets import probabilities, resolve_target


@dataclass
class Occlusion:
    prob: np.ndarray          # (rows, cols) probability of the target class with the square there
    feature: np.ndarray       # (rows, cols) total activation of the strongest map of ``layer``
    base_prob: float          # the unoccluded image's values, for comparison
    base_feature: float
    channel: int              # the strongest map of ``layer`` on the unoccluded image
    tops: np.ndarray          # the square's top-left corners, in input pixels
    lefts: np.ndarray


def occlusion(net, x, target, layer=None, size=32, stride=8, batch=16, progress=False):
    """Occlude x (1, 3, H, W) with a size x size mean-coloured square every ``stride`` pixels.

    layer: the layer whose strongest feature map is also recorded (default: the first whose
    output is a map at a quarter of the input's resolution or coarser).
    """
    c = resolve_target(net, target)
    xp = get_array_module(x)
    H, W = x.shape[2:]
    tops, lefts = np.arange(0, H - size + 1, stride), np.arange(0, W - size + 1, stride)
    positions = [(t, l) for t in tops for l in lefts]
    layer = layer or _default_layer(net)

    base_prob = float(to_numpy(probabilities(net, x))[0, c])
    feats = net.outputs[layer]
    channel = int(to_numpy(feats[0].reshape(feats.shape[1], -1).sum(axis=1)).argmax())
    base_feature = float(to_numpy(feats[0, channel]).sum())

    prob, feature = np.zeros(len(positions)), np.zeros(len(positions))
    for start in tqdm(range(0, len(positions), batch), desc="occlusion", disable=not progress):
        chunk = positions[start:start + batch]
        xs = xp.repeat(x, len(chunk), axis=0)
        for i, (t, l) in enumerate(chunk):
            xs[i, :, t:t + size, l:l + size] = 0        # the mean colour is 0 in input space
        prob[start:start + len(chunk)] = to_numpy(probabilities(net, xs))[:, c]
        f = net.outputs[layer][:, channel]
        feature[start:start + len(chunk)] = to_numpy(f.reshape(len(chunk), -1).sum(axis=1))
    shape = (len(tops), len(lefts))
    return Occlusion(prob.reshape(shape), feature.reshape(shape), base_prob, base_feature, channel, tops, lefts)


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
