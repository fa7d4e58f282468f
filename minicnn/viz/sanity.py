"""Sanity checks for saliency maps (Adebayo et al. 2018): does a map change when what it claims
to explain is destroyed?

    model-parameter randomization   re-draw the weights of the top block, then of the next one
                                    down too, and so on (cascading), or of one block at a time
                                    (independent), and redraw every method's map each time
    data randomization              the same architecture trained on permuted labels (`minicnn
                                    train --random-labels`): it has learnt no digit, only the
                                    training set by heart

A map that explains the model must change with it. Each map is compared with the original one
by the rank correlation (Spearman) of the absolute and of the signed maps, SSIM and the
correlation of their HOG descriptors (similarity.py). The paper found that gradients and
Grad-CAM fall apart as layers are randomized, while guided backpropagation (and deconvnet)
barely change: they show edges of the image, whatever the weights above.

A block is a weighted layer, or the layers sharing a name before "/" (a SqueezeNet fire
module); randomizing it re-initializes its weights as a new network's are (He-normal, seeded by
the block's position) and its biases to zero. The class explained stays the original model's.
"""
from dataclasses import dataclass

import numpy as np

from ..errors import ArgumentError
from ..net import Net
from ..params import make_params
from ..progress import progress_bar
from ..settings import option
from . import technique
from .attribution import METHODS, QUICK, SETTINGS, absolute_map, attribute, method_list, signed_map
from .similarity import compare, spearman
from .targets import ClassRef, class_ref, explained, in_numbers

MEASURES = ("spearman_abs", "spearman_signed", "ssim", "hog")
MODES = ("cascade", "independent")


def blocks(net):
    """[(block, [its weighted layers])] from the top of the network down (Architecture.blocks)."""
    return [(b, layers) for b, layers, _ in reversed(net.arch.blocks())]


def randomized(net, layers, seed=0):
    """A copy of ``net`` whose ``layers`` have new random weights and zero biases, drawn as a new
    network's are (params.make_params: He-normal, each from the seed and the layer's position);
    every other parameter is the original's. Drawn in float64, then cast to the net's dtype."""
    params = make_params(net.arch, {n: None if n in layers else p for n, p in net.params.items()}, np.float64, seed)
    return Net(net.arch, params=params, dtype=net.dtype, space=net.space, classes=net.classes, meta=net.meta)


def stages(net, mode):
    """[(label, layers randomized)]: the original, then each step of the cascade (top down) or
    each block alone."""
    out, above = [("original", [])], []
    for block, layers in blocks(net):
        above = above + layers
        out.append((block, list(above) if mode == "cascade" else list(layers)))
    return out


def attributions(net, x, c, methods, quick, seed):
    """[(C, H, W) attribution of class c for x] by each method."""
    return [attribute(net, x, m, c, quick=quick, seed=seed) for m in methods]


def completeness_gap(net, x, c, attributions):
    """|sum IG - (S(x) - S(black))| / |S(x) - S(black)| for IG attributions from the black baseline
    (attribute()'s), on this (perhaps randomized) net."""
    from .integrated import baseline
    from .targets import scores
    s = scores(net, np.concatenate([np.asarray(x, np.float64), baseline(net, x, "black").astype(np.float64)]))[:, c]
    change = float(s[0] - s[1])
    return abs(float(np.sum(attributions)) - change) / abs(change) if change else 0.0


def brightness(net, x):
    """(H, W) the image's pixel values summed over colour channels: what a map that only copies
    the image would look like (the floor the input-multiplied maps sit on)."""
    return net.space.to_pixels(np.asarray(x, np.float64))[0].sum(axis=-1)


@dataclass(frozen=True)
class Settings(technique.Settings):
    target: object = option(None, "class index or (part of) a class name (default: the predicted class)",
                            kind="target")
    mode: str = option("cascade", "randomize the blocks from the top down, adding one each time, or one at a time",
                       choices=MODES)
    methods: str = option(None, f"comma-separated attribution methods (default: all: {', '.join(METHODS)})",
                          kind="str")
    random_labels: str = option(None, "data randomization: a model of the same architecture trained on permuted "
                                "labels (a name or file), whose maps are compared with this model's", kind="str")
    quick: bool = option(False, "fewer SmoothGrad samples and Integrated Gradients steps")
    seed: int = option(0, "seed for the new random weights and SmoothGrad's noise", ge=0, le=2**32 - 1)

    def check(self):
        method_list(self.methods)


@dataclass(frozen=True, kw_only=True)
class Sanity(technique.Result):
    x: np.ndarray              # (1, C, H, W) the image, in input space
    maps: np.ndarray           # (M, S, H, W) signed maps (summed over channels): method x stage, original first
    absolute_maps: np.ndarray  # (M, S, H, W) absolute maps (sum over channels of |attribution|)
    random_label_maps: np.ndarray  # (M, H, W) absolute maps on the random-label model, or (0,)
    methods: list
    stages: list               # ["original", then the block randomized at each stage]
    randomized: list           # [[the layers random at each stage]]
    similarity: dict           # {method: {measure: [value per stage]}} against the original map
    image_correlation: dict    # {method: [Spearman of |map| with the image's brightness, per stage]}
    constant: dict             # {method: [stages whose map is constant: its similarities are 0 by convention]}
    data_randomization: dict   # {method: {measure: value}}: original model against the random-label one
    random_label_model: str    # the random-label model's name or path, or None
    method_settings: dict      # {method: its settings}: SmoothGrad samples, IG steps, Grad-CAM layer, LRP rules
    ig_gaps: list              # Integrated Gradients' completeness gap at each stage (empty without IG)
    target: ClassRef
    probability: float
    predicted: ClassRef

    def summary(self):
        last = {m: self.similarity[m]["spearman_abs"][-1] for m in self.methods}
        where = ("once all are random" if self.settings.mode == "cascade" else
                 f"with only {self.stages[-1]} random")
        lines = [f"{self.settings.mode} randomization of {len(self.stages) - 1} blocks for "
                 f"{in_numbers(self.target, self.probability, self.predicted)}; rank correlation of |map| with "
                 f"the original {where} (and with the image itself, trained / random):"]
        lines += [f"  {m:22s} {v:+.2f}   ({self.image_correlation[m][0]:+.2f} / {self.image_correlation[m][-1]:+.2f})"
                  for m, v in sorted(last.items(), key=lambda kv: -kv[1])]
        if self.data_randomization:
            lines.append(f"data randomization ({self.random_label_model}): rank correlation of |map| "
                         "between the two models:")
            lines += [f"  {m:22s} {d['spearman_abs']:+.2f}" for m, d in sorted(
                self.data_randomization.items(), key=lambda kv: -kv[1]["spearman_abs"])]
        loose = [f"{self.stages[i]} {100 * g:.1f} %" for i, g in enumerate(self.ig_gaps) if g >= 0.01]
        if loose:
            lines.append("note: Integrated Gradients' completeness gap is 1 % or more at " + ", ".join(loose))
        flat = {m: s for m, s in self.constant.items() if s}
        if flat:
            lines.append("note: constant maps (scored 0 by convention): " + "; ".join(
                f"{m} at {', '.join(self.stages[i] for i in s)}" for m, s in flat.items()))
        return "\n".join(lines)


def run(net, x, settings):
    methods = method_list(settings.methods, net)
    other = None
    if settings.random_labels is not None:
        from ..io import load
        other = load(settings.random_labels)
        if other.arch.spec != net.arch.spec or other.input_shape != net.input_shape:
            raise ArgumentError(f"{settings.random_labels}: not the same architecture as the model explained")
    c, probability, predicted = explained(net, x, settings.target)
    plan, image = stages(net, settings.mode), brightness(net, x)
    signed, absolute, similarity = [], [], {m: {k: [] for k in MEASURES} for m in methods}
    original, ig_gaps = None, []                        # the trained model's attributions (stage 0)
    with progress_bar(desc=f"{settings.mode} randomization", progress=None, total=len(plan), unit="stages") as bar:
        for label, layers in plan:
            changed = randomized(net, set(layers), settings.seed) if layers else net
            with changed.frozen():
                found = attributions(changed, x, c, methods, settings.quick, settings.seed)
                if "integrated-gradients" in methods:
                    ig_gaps.append(completeness_gap(changed, x, c, found[methods.index("integrated-gradients")]))
            original = found if original is None else original
            for m, a, a0 in zip(methods, found, original):
                for k, v in compare(a0, a).items():
                    similarity[m][k].append(v)
            signed.append([signed_map(a) for a in found])
            absolute.append([absolute_map(a) for a in found])
            bar.update(1)
    absolute = np.asarray(absolute).transpose(1, 0, 2, 3)                           # (M, S, H, W)
    data, other_maps = {}, np.zeros(0)
    if other is not None:
        with other.frozen():
            found = attributions(other, x, c, methods, settings.quick, settings.seed)
        data = {m: compare(a0, a) for m, a0, a in zip(methods, original, found)}
        other_maps = np.stack([absolute_map(a) for a in found]).astype(np.float32)
    return Sanity(settings=settings, x=np.asarray(x), maps=np.asarray(signed, np.float32).transpose(1, 0, 2, 3),
                  absolute_maps=absolute.astype(np.float32), random_label_maps=other_maps, methods=list(methods),
                  stages=[label for label, _ in plan], randomized=[layers for _, layers in plan],
                  similarity=similarity, image_correlation={m: [spearman(a, image) for a in absolute[i]]
                                                            for i, m in enumerate(methods)},
                  constant={m: [s for s in range(len(plan)) if not np.ptp(absolute[i, s]) > 0]
                            for i, m in enumerate(methods)},
                  data_randomization=data, random_label_model=settings.random_labels,
                  method_settings=method_settings(net, methods, settings.quick), ig_gaps=ig_gaps,
                  target=class_ref(net, c),
                  probability=probability, predicted=class_ref(net, predicted))


def method_settings(net, methods, quick):
    """{method: the settings attribute() runs it with}, for the sidecar."""
    from . import gradcam
    out = {m: dict((QUICK if quick else SETTINGS).get(m, {})) for m in methods}
    for m in methods:
        if "gradcam" in m:
            out[m]["layer"] = gradcam.default_layer(net)
        if m == "integrated-gradients":
            out[m].update(baseline="black", rule="trapezoid")
        if m == "lrp":
            out[m].update(rule="composite", pool="wta")
    return out
