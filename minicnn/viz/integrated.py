"""Gradient x input and Integrated Gradients (Sundararajan, Taly & Yan 2017).

A pixel's share of the class score S_c, measured from a baseline image x' (the "absence" of the
image) along the straight path x' + a (x - x'), a from 0 to 1:

    IG_i = (x_i - x'_i) * integral_0^1 dS_c/dx_i (x' + a (x - x'))  da

Completeness: the shares add up to the score's change, sum_i IG_i = S_c(x) - S_c(x'), because
the integral of a gradient along a path is the difference of the endpoints. The integral is a
sum over ``steps`` points a_k with weights w_k (a quadrature rule), each point one backward pass:

    left / right / middle   a_k = k/m, (k+1)/m, (k+1/2)/m for k < m; w_k = 1/m    (Riemann sums)
    trapezoid               a_k = k/m for k <= m; w_k = 1/m, halved at both ends
    gauss-legendre          the m Legendre nodes and weights on [0, 1]: exact for polynomials of
                            degree 2m-1, so on a smooth model it needs far fewer steps

A ReLU network's gradient jumps along the path, so no rule is exact; every result reports the
completeness gap |sum IG - (S(x) - S(x'))| / |S(x) - S(x')|, and steps="auto" doubles the steps
until it is under 1 % at two step counts running. Gradient x input, x * dS/dx, is one term of that sum: IG from the mean
image (zero in input space) with one right-Riemann step. Baselines (in input space): "black"
(pixel 0), "mean" (the model's mean image), "blur" (the image blurred, sigma a tenth of its
shorter side), "noise" (uniform over the pixel range, seeded).
"""
from dataclasses import dataclass

import numpy as np
from scipy.ndimage import gaussian_filter
from scipy.special import logsumexp

from ..backend import to_numpy
from ..errors import ArgumentError
from ..progress import progress_bar
from ..settings import option
from . import technique
from .saliency import class_gradient
from .targets import ClassRef, class_ref, explained, in_numbers, scores

BASELINES = ("black", "mean", "blur", "noise")
RULES = ("left", "right", "middle", "trapezoid", "gauss-legendre")
AUTO_GAP, AUTO_MAX_STEPS = 0.01, 1024


def baseline(net, x, kind, seed=0):
    """(1, C, H, W) input-space baseline of kind ``kind`` (BASELINES) for the image x, in x's
    dtype: a black pixel of a float32 image and of its black baseline are then the same number,
    and x - x' is exactly 0 there (not float32 rounding, which IG would multiply into noise)."""
    x = np.asarray(x)
    low, high = net.space.bounds()
    if kind == "black":
        out = np.broadcast_to(low, x.shape)
    elif kind == "mean":
        out = np.zeros(x.shape)
    elif kind == "blur":
        sigma = min(x.shape[2:]) / 10
        out = np.stack([gaussian_filter(ch, sigma, mode="nearest") for ch in x[0].astype(np.float64)])[None]
    elif kind == "noise":
        out = np.random.RandomState(seed).uniform(size=x.shape) * (high - low) + low
    else:
        raise ArgumentError(f"unknown baseline {kind!r}; known: {', '.join(BASELINES)}")
    return out.astype(x.dtype if x.dtype.kind == "f" else np.float64)


def quadrature(rule, m):
    """(points a_k, weights w_k) of ``rule`` with m steps on [0, 1] (module docstring)."""
    k = np.arange(m, dtype=np.float64)
    if rule == "left":
        return k / m, np.full(m, 1 / m)
    if rule == "right":
        return (k + 1) / m, np.full(m, 1 / m)
    if rule == "middle":
        return (k + 0.5) / m, np.full(m, 1 / m)
    if rule == "trapezoid":
        w = np.full(m + 1, 1 / m)
        w[[0, -1]] /= 2
        return np.arange(m + 1) / m, w
    if rule == "gauss-legendre":
        t, w = np.polynomial.legendre.leggauss(m)          # on [-1, 1]
        return (t + 1) / 2, w / 2
    raise ArgumentError(f"unknown rule {rule!r}; known: {', '.join(RULES)}")


@dataclass(frozen=True)
class Path:
    """Integrated Gradients along one path, with its completeness check."""
    attributions: np.ndarray   # (C, H, W) each input's share of the score change
    steps: int                 # m, the rule's steps
    gradients: int             # gradients evaluated (m, or m + 1 for the trapezoid)
    score: float               # S_c(x)
    baseline_score: float      # S_c(x')
    total: float               # sum of the attributions
    gap: float                 # |total - (score - baseline_score)| / |score - baseline_score|


def integrated_gradients(net, x, c, x0, steps=64, rule="trapezoid", batch=16, progress=False, objective="score"):
    """Integrated Gradients of class c's score for the image x from the baseline x0, each
    (1, C, H, W) in input space, with ``steps`` points of quadrature ``rule``. objective:
    "score" (S_c) or "logprob" (log softmax_c: smooth where the scores are). Returns a Path."""
    x, x0 = np.asarray(x, np.float64), np.asarray(x0, np.float64)
    points, weights = quadrature(rule, steps)
    average = path_average(net, x, c, x0, points, weights, batch, progress, objective)
    return _path(net, x, c, x0, average, steps, len(points), objective)


def path_average(net, x, c, x0, points, weights, batch=16, progress=False, objective="score"):
    """The gradient averaged along the straight path from x0 to x, each (1, C, H, W) in input
    space: (C, H, W) sum_k w_k dS/dx at x0 + a_k (x - x0), for the points a_k and weights w_k of
    a quadrature rule, S class c's score or log-probability (class_gradient's objective); the
    gradients taken ``batch`` points at a time (progress: progress_bar over the points)."""
    total = np.zeros(x.shape[1:])
    with progress_bar(desc="Integrated Gradients", progress=progress, total=len(points), unit="steps") as bar:
        for start in range(0, len(points), batch):
            a = points[start:start + batch, None, None, None]
            g = class_gradient(net, x0 + a * (x - x0), c, objective)
            total += np.tensordot(weights[start:start + batch], to_numpy(g), axes=1)
            bar.update(len(a))
    return total


def _path(net, x, c, x0, average, steps, gradients, objective="score"):
    """The Path of the path-averaged gradient ``average`` (C, H, W): attributions and their gap."""
    attributions = (x - x0)[0] * average
    s = scores(net, np.concatenate([x, x0]))
    s = (s - logsumexp(s, axis=1, keepdims=True) if objective == "logprob" else s)[:, c]
    change, summed = float(s[0] - s[1]), float(attributions.sum())
    gap = abs(summed - change) / abs(change) if change != 0 else float("inf") if summed != 0 else 0.0
    return Path(attributions, steps, gradients, float(s[0]), float(s[1]), summed, gap)


NESTED = ("left", "right", "trapezoid")      # rules whose 2m points hold their m points


def auto_steps(net, x, c, x0, rule="trapezoid", start=8, progress=False):
    """Integrated Gradients with the steps doubled from ``start`` until the completeness gap is
    under AUTO_GAP at two step counts running (a ReLU network's gap does not fall steadily: one
    count can land on a lucky cancellation), or AUTO_MAX_STEPS is reached. Returns (the last
    Path, [(steps, gap) tried]). For the rules in NESTED the points of m steps are half of
    those of 2m: the sum at 2m is half the sum at m plus half the midpoint rule's at m, so only
    the m new midpoints are evaluated (Path.gradients counts all evaluated so far)."""
    x, x0 = np.asarray(x, np.float64), np.asarray(x0, np.float64)
    tried, m, average, evaluated = [], start, None, 0
    while True:
        if average is not None and rule in NESTED:
            middle = path_average(net, x, c, x0, *quadrature("middle", m // 2), progress=progress)
            average, evaluated = (average + middle) / 2, evaluated + m // 2
        else:
            points, weights = quadrature(rule, m)
            average = path_average(net, x, c, x0, points, weights, progress=progress)
            evaluated += len(points)
        path = _path(net, x, c, x0, average, m, evaluated)
        tried.append((m, path.gap))
        if (len(tried) > 1 and max(g for _, g in tried[-2:]) < AUTO_GAP) or 2 * m > AUTO_MAX_STEPS:
            return path, tried
        m *= 2


def gradient_input(net, x, c):
    """(C, H, W) gradient x input: x * dS_c/dx in input space (the image's share of the score as
    a linear model at x would split it, the mean image scoring the bias)."""
    return np.asarray(x, np.float64)[0] * to_numpy(class_gradient(net, x, c))[0]


def parse_steps(text):
    """--steps: a whole number from 1 to AUTO_MAX_STEPS, or "auto"."""
    from ..settings import plain_int
    if text == "auto":
        return "auto"
    n = plain_int(str(text))
    if n is None or not 1 <= n <= AUTO_MAX_STEPS:
        raise ArgumentError(f"steps must be a whole number from 1 to {AUTO_MAX_STEPS} or 'auto', got {text!r}")
    return n


@dataclass(frozen=True)
class Settings(technique.Settings):
    target: object = option(None, "class index or (part of) a class name (default: the predicted class)",
                            kind="target")
    baseline: str = option("black", "the image the path starts from", choices=BASELINES)
    steps: str = option("64", "points on the path, 1 to 1024, or 'auto': doubled from 8 until the completeness "
                        "gap is under 1 % twice running", kind="str")
    rule: str = option("trapezoid", "how the integral is summed", choices=RULES)
    seed: int = option(0, "seed for the noise baseline", ge=0, le=2**32 - 1)

    def check(self):
        object.__setattr__(self, "steps", str(parse_steps(self.steps)))


@dataclass(frozen=True, kw_only=True)
class IntegratedGradients(technique.Result):
    x: np.ndarray              # (1, C, H, W) the image, in input space
    baseline_image: np.ndarray  # (1, C, H, W) the baseline, in input space
    attributions: np.ndarray   # (C, H, W) Integrated Gradients (score units)
    gradient_input: np.ndarray  # (C, H, W) gradient x input (score units)
    target: ClassRef
    probability: float
    predicted: ClassRef
    steps: int                 # the steps of the result shown
    gradients: int             # the gradients they took (with --steps auto: all the tries took)
    score: float               # S_c(x)
    baseline_score: float      # S_c(x')
    total: float               # sum of the attributions
    gap: float                 # the completeness gap, relative
    tried: list                # [(steps, gap)] of --steps auto; one entry otherwise
    gradient_input_total: float  # sum of gradient x input, against S_c(x) - S_c(mean image)
    mean_score: float          # S_c of the mean image

    def summary(self):
        line = (f"Integrated Gradients for {in_numbers(self.target, self.probability, self.predicted)} from the "
                f"{self.settings.baseline} baseline, {self.steps} steps ({self.settings.rule}, {self.gradients} gradients): sum {self.total:.4g} "
                f"against S(x) - S(x') = {self.score - self.baseline_score:.4g}, completeness gap "
                f"{100 * self.gap:.2f} %")
        if self.settings.steps == "auto" and max(g for _, g in self.tried[-2:]) >= AUTO_GAP:
            line += f"\nnote: the gap was not under {100 * AUTO_GAP:g} % twice running by {self.steps} steps"
        return line


def run(net, x, settings):
    c, probability, predicted = explained(net, x, settings.target)
    x0 = baseline(net, x, settings.baseline, settings.seed)
    if settings.steps == "auto":
        path, tried = auto_steps(net, x, c, x0, settings.rule, progress=None)
    else:
        path = integrated_gradients(net, x, c, x0, int(settings.steps), settings.rule, progress=None)
        tried = [(int(settings.steps), path.gap)]
    gi = gradient_input(net, x, c)
    return IntegratedGradients(
        settings=settings, x=np.asarray(x), baseline_image=x0, attributions=path.attributions, gradient_input=gi,
        target=class_ref(net, c), probability=probability, predicted=class_ref(net, predicted), steps=path.steps,
        gradients=path.gradients,
        score=path.score, baseline_score=path.baseline_score, total=path.total, gap=path.gap,
        tried=[[m, g] for m, g in tried], gradient_input_total=float(gi.sum()),
        mean_score=float(scores(net, np.zeros_like(np.asarray(x, np.float64)))[0, c]))
