"""Layer-wise relevance propagation (Bach et al. 2015; Montavon et al. 2019, "Layer-Wise
Relevance Propagation: An Overview").

The class score S_c is put on its own unit and shared out, layer by layer down to the pixels,
each layer giving its inputs shares in proportion to what they contributed (Net.relevance; the
rules sit beside each layer's backward pass in minicnn/layers/). The rules chosen per layer
range make a preset:

    "0", "epsilon", "gamma", "zplus", "alphabeta"   that rule at every convolution and fully
                                                    connected layer
    "composite"   Montavon et al.'s recommendation: z^B at the first layer (pixels between black
                  and white), gamma in the lower half of the convolution blocks, epsilon (0.25 of
                  each layer's root mean square, as in their tutorial) in the upper half, LRP-0 at
                  the classifier on top (the fully connected layers, or SqueezeNet's conv10).
                  Ranges end at a block's last layer (fire5/concat), so both branches of a fire
                  module get one rule

Max pooling passes relevance to its winner ("wta") or shares it in proportion ("proportional");
average pooling and concatenation share it in proportion; ReLU passes it through.

Conservation: with no biases, LRP-0, gamma, z+ and z^B hand on all they receive, so the relevance
at the pixels adds up to the score. Biases, epsilon and zero denominators keep some; alpha-beta
can create some (layers/relevance.py). Each result reports the sum at the input against the
score, and what every layer absorbed (negative: created). The pass
runs on the readable layers in float64 (the rules read their caches; sums of many shares are
compared with the score).
"""
import contextlib
from dataclasses import dataclass

import numpy as np

from ..backend import fast_paths, get_array_module, on_device, to_device, to_numpy
from ..layers import POOL_RULES
from ..settings import option
from . import technique
from .targets import ClassRef, class_ref, explained, in_numbers, score_layer

PRESETS = ("composite", "0", "epsilon", "gamma", "zplus", "alphabeta")


@dataclass(frozen=True)
class Relevance:
    relevance: np.ndarray      # (C, H, W) at the input (score units)
    score: float               # S_c(x), the relevance put in at the top
    total: float               # sum of the relevance at the input
    absorbed: dict             # {layer: relevance it did not pass on}, non-zero ones only
    rules: dict                # {layer: "rule (options)"} as used


def rules_for(net, preset, eps=0.25, gamma=0.25, alpha=2.0):
    """[(rule, upto, options)] to enter in order (each a Net.lrp_rule block) for ``preset``."""
    options = {"epsilon": {"eps": eps, "rms": True}, "gamma": {"gamma": gamma}, "alphabeta": {"alpha": alpha}}
    if preset != "composite":
        return [(preset, None, options.get(preset, {}))]
    blocks = net.arch.blocks()
    linear = [b for b in blocks if net.layers[b[1][0]]["type"] == "linear"]
    top = len(blocks) - max(len(linear), 1)          # blocks[top:]: the classifier, LRP-0
    low, high = on_device(*net.space.bounds(), dtype=net.dtype)       # where the pixels will be
    plan = [("0", None, {})]
    if top > 0:
        plan.append(("epsilon", blocks[top - 1][2], options["epsilon"]))
    if top > 2:
        plan.append(("gamma", blocks[top // 2 - 1][2], options["gamma"]))
    plan.append(("zb", blocks[0][1][0], {"low": low, "high": high}))
    return plan


def lrp(net, x, c, preset="composite", pool="wta", eps=0.25, gamma=0.25, alpha=2.0):
    """Relevance of class c's score for the image x (1, C, H, W) under ``preset`` (PRESETS) and
    the max-pooling rule ``pool`` (POOL_RULES). Returns a Relevance."""
    exact = net.astype(np.float64) if net.dtype != np.float64 else net
    end = score_layer(net)
    with contextlib.ExitStack() as stack:
        for rule, upto, options in rules_for(exact, preset, eps, gamma, alpha):
            stack.enter_context(exact.lrp_rule(rule, upto, **options))
        stack.enter_context(exact.lrp_rule(pool))
        with fast_paths(False):
            out = exact.forward(to_device(x, np.float64), end=end)
        s = out.reshape(len(out), -1)
        R = get_array_module(out).zeros_like(out)
        R.reshape(len(R), -1)[:, c] = s[:, c]                   # the score, on its own unit
        rel = to_numpy(exact.relevance(R))[0]
        used = {n: _described(r, o) for n, (r, o) in exact.lrp_rules.items()}
    kept = {n: float(to_numpy(a)[0]) for n, a in exact.absorbed.items()}
    absorbed = {n: a for n, a in kept.items() if abs(a) > 1e-12 * max(abs(float(to_numpy(s)[0, c])), 1.0)}
    return Relevance(rel, float(to_numpy(s)[0, c]), float(rel.sum()), absorbed, used)


def _described(rule, options):
    """'epsilon (0.25 x RMS)', 'gamma (gamma=0.25)', 'zb (pixels -0.42 to 2.82)': a rule as used."""
    if rule == "epsilon":
        return f"epsilon ({options.get('eps', 0.25):g}{' x RMS' if options.get('rms') else ''})"
    if rule == "zb":
        low, high = (float(to_numpy(options[k]).min()) for k in ("low", "high"))
        return f"zb (pixels {low:.3g} to {high:.3g})"
    shown = {k: v for k, v in options.items() if k in ("gamma", "alpha")}
    return rule + (f" ({', '.join(f'{k}={v:g}' for k, v in shown.items())})" if shown else "")


@dataclass(frozen=True)
class Settings(technique.Settings):
    target: object = option(None, "class index or (part of) a class name (default: the predicted class)",
                            kind="target")
    rule: str = option("composite", "the rules per layer (a preset)", choices=PRESETS)
    pool: str = option("wta", "max pooling: to the winner, or in proportion to the inputs", choices=POOL_RULES)
    eps: float = option(0.25, "LRP-epsilon's stabilizer, as a fraction of each layer's root mean square",
                        gt=0, le=1e6)
    gamma: float = option(0.25, "LRP-gamma's weight on positive contributions", ge=0, le=1e6)
    alpha: float = option(2.0, "LRP-alpha-beta's alpha (beta = alpha - 1)", ge=1, le=100)


@dataclass(frozen=True, kw_only=True)
class LRP(technique.Result):
    x: np.ndarray              # (1, C, H, W) the image, in input space
    relevance: np.ndarray      # (C, H, W) relevance at the input
    target: ClassRef
    probability: float
    predicted: ClassRef
    score: float               # the class score: the relevance put in
    total: float               # the relevance that reached the input
    absorbed: dict             # {layer: relevance it kept}, where not zero
    absorbed_total: float
    rules: dict                # {layer: rule}

    def summary(self):
        return (f"LRP ({self.settings.rule}, max pooling {self.settings.pool}) for "
                f"{in_numbers(self.target, self.probability, self.predicted)}: score {self.score:.4g}, relevance at "
                f"the input {self.total:.4g} ({100 * self.total / self.score if self.score else 0:.1f} %), absorbed "
                f"{self.absorbed_total:.4g}" + (", most by " + ", ".join(
                    f"{n} {a:.3g}" for n, a in sorted(self.absorbed.items(), key=lambda kv: -abs(kv[1]))[:3])
                    if self.absorbed else ""))


def run(net, x, settings):
    c, probability, predicted = explained(net, x, settings.target)
    r = lrp(net, x, c, settings.rule, settings.pool, settings.eps, settings.gamma, settings.alpha)
    return LRP(settings=settings, x=np.asarray(x), relevance=r.relevance, target=class_ref(net, c),
               probability=probability, predicted=class_ref(net, predicted), score=r.score, total=r.total,
               absorbed=r.absorbed, absorbed_total=float(sum(r.absorbed.values())), rules=r.rules)
