"""Feature visualization as Olah, Mordvintsev & Schubert (2017) and Lucid's ``render_vis`` do it:
maximize an objective by Adam, not in pixels but in a better parameterization (param.py:
a 1/f-scaled Fourier spectrum, decorrelated colours, a sigmoid), with the image asked to keep
its effect under small random transformations at every step (transforms.py).

One step, each part with its hand-written backward pass:

    image, pc   = param.forward(p)                  spectrum -> colours -> sigmoid -> input space
    view, tc    = robust.forward(image)             pad, jitter, scale, rotate, jitter, resize
    f           = net.forward(view, end=layer)
    value, df   = objective(f)                      channel, neuron, class, direction, diversity
    dview       = net.backward(df)
    dp          = param.backward(robust.backward(dview, tc), pc)      (all of it: step_gradient)
    p           = adam(p, -dp)                      (ascent)

Objectives read layers and return (value, {layer: gradient}); they add and scale like numbers:
``channel("fire6/concat", 3) - 100 * diversity("fire6/concat")``. A unit after a ReLU is pushed
before it (class_model.pre_activation): its gradient is never cut off. The layer INPUT is the
image itself, in [0, 1] before the transforms: ``- 0.1 * l1(mean)`` is a prior that every pixel
away from the dataset's mean colour costs something. A small grey network (the digits) needs it:
without it the render fills the whole image with saturated strokes, which such a network scores
higher than any digit it was trained on.
"""
from dataclasses import dataclass

import numpy as np

from ..backend import get_array_module, to_device, to_numpy
from ..errors import ArgumentError
from ..objectives import gram_backward, gram_forward
from ..progress import progress_bar
from ..train.optim import adam
from . import image_step
from .class_model import pre_activation
from .param import Param
from .transforms import Robust


class Objective:
    """A function of some layers' outputs: (value, {layer: d value / d output})."""

    def __init__(self, layers, fn, name):
        self.layers, self.fn, self.name = list(layers), fn, name

    def __call__(self, outputs):
        return self.fn(outputs)

    def __add__(self, other):
        def fn(outputs):
            (va, ga), (vb, gb) = self(outputs), other(outputs)
            return va + vb, {k: ga.get(k, 0) + gb.get(k, 0) for k in set(ga) | set(gb)}
        return Objective(dict.fromkeys(self.layers + other.layers), fn, f"{self.name} + {other.name}")

    def __mul__(self, w):
        def fn(outputs):
            v, g = self(outputs)
            return w * v, {k: w * d for k, d in g.items()}
        return Objective(self.layers, fn, f"{w:g} {self.name}" if w != -1 else f"-{self.name}")

    __rmul__ = __mul__

    def __neg__(self):
        return self * -1.0

    def __sub__(self, other):
        difference = self + (-1.0 * other)
        difference.name = f"{self.name} - {other.name}"
        return difference


def channel(layer, c):
    """The mean of channel c of a (N, C, H, W) layer, summed over the batch."""
    def fn(out):
        f = out[layer]
        g = get_array_module(f).zeros_like(f)
        g[:, c] = 1.0 / (f.shape[2] * f.shape[3])
        return f[:, c].mean(axis=(1, 2)).sum(), {layer: g}
    return Objective([layer], fn, f"{layer}:{c}")


def neuron(layer, c, y=None, x=None):
    """One unit: channel c at (y, x) (default: the centre) of a map, or entry c of a vector."""
    def fn(out):
        f = out[layer]
        g = get_array_module(f).zeros_like(f)
        where = (slice(None), c) if f.ndim == 2 else (slice(None), c, f.shape[2] // 2 if y is None else y,
                                                       f.shape[3] // 2 if x is None else x)
        g[where] = 1.0
        return f[where].sum(), {layer: g}
    return Objective([layer], fn, f"{layer}:{c} neuron")


def direction(layer, v):
    """The mean over positions of the dot product of a (N, C, H, W) layer with the vector v (C,)."""
    def fn(out):
        f = out[layer]
        xp = get_array_module(f)
        w = xp.asarray(np.asarray(v, np.float64)).reshape(1, -1, 1, 1)
        g = xp.broadcast_to(w / (f.shape[2] * f.shape[3]), f.shape).astype(f.dtype)
        return (f * g).sum(), {layer: g}
    return Objective([layer], fn, f"{layer} direction")


INPUT = "input"             # the image itself (module docstring), not a layer of the net


def l1(constant):
    """Sum over pixels of |image - constant| (Lucid's ``objectives.L1`` on the input); constant:
    (C,) a colour in [0, 1], RGB order. Subtracted, it pulls every pixel that the objective does
    not need towards that colour."""
    def fn(out):
        u = out[INPUT]
        xp = get_array_module(u)
        d = u - xp.asarray(np.asarray(constant, np.float64)).reshape(1, -1, 1, 1)
        return xp.abs(d).sum(), {INPUT: xp.sign(d)}
    return Objective([INPUT], fn, "L1")


def diversity(layer):
    """Lucid's diversity term: the mean over the batch of each image's summed cosine similarity
    with the others, of their Gram matrices at ``layer`` (subtract it to push images apart).

    With G_n = V_n V_n^T (V_n: the map as (C, H W)) and U_n = G_n / |G_n|, the value is
    (|sum_n U_n|^2 - sum_n |U_n|^2) / N; d/dU_n = 2 (S - U_n) / N with S = sum U; through the
    normalization dG = (dU - U <U, dU>) / |G|; through the Gram matrix by gram_backward."""
    def fn(out):
        f = out[layer]
        xp, N = get_array_module(f), f.shape[0]
        G, cache = gram_forward(f.astype(np.float64))
        norm = xp.sqrt((G * G).sum(axis=(1, 2), keepdims=True)) + 1e-10
        U = G / norm
        S = U.sum(axis=0, keepdims=True)
        value = ((S * S).sum() - (U * U).sum()) / N
        dU = 2 * (S - U) / N
        dG = (dU - U * (U * dU).sum(axis=(1, 2), keepdims=True)) / norm
        return value, {layer: gram_backward(dG, cache).astype(f.dtype)}
    return Objective([layer], fn, f"diversity {layer}")


def unit_objective(net, layer, unit):
    """The objective for a class or unit as classviz names it: a class score (its neuron), a
    channel (its mean over the map), or (c, y, x); units after ReLUs pushed before them."""
    layer, unit = pre_activation(net, layer, unit)
    if np.ndim(unit):
        return neuron(layer, *unit)
    return channel(layer, unit) if len(net.shapes[layer]) == 3 else neuron(layer, unit)


@dataclass(frozen=True)
class Rendered:
    images: np.ndarray         # (N, C, H, W) input space, without the transforms
    values: list               # the objective at every step
    steps: int
    memory: int                # bytes a step was estimated to need (memory.py), checked before the first
    measured: tuple = None     # (start, end): ``measure`` on the first image, without the transforms


def render(net, objective, param="fourier", robust=True, steps=512, lr=0.05, batch=1, seed=0, progress=False,
           transforms=None, measure=None):
    """Maximize ``objective`` over a batch of images of the net's input size (module docstring).
    param: "pixel" or "fourier"; robust: apply the transforms (``transforms``: a Robust, default
    Lucid's, in proportion to the image's size). measure: an objective (the unit alone, without
    the priors) to report on the first image before and after. Returns Rendered."""
    hw = net.input_shape[1:]
    parameterization = Param(param, net.space)
    transforms = transforms or Robust.for_size(hw)
    layers = [layer for layer in objective.layers if layer != INPUT]
    if not layers:
        raise ArgumentError(f"the objective {objective.name} reads no layer of the network")
    end = max(layers, key=net.layer_names.index)
    memory = image_step.fits(net, end, "feature visualization", keep=tuple(layers))
    rng = np.random.default_rng(seed)
    p = to_device(parameterization.init(batch, hw, rng))
    grey = to_device(parameterization._to_input(np.full((1, net.space.n_channels, 1, 1), 0.5)))
    state, values = {}, []
    measured = [_value(net, measure, parameterization.forward(p[:1], hw)[0])] if measure else None
    for _ in progress_bar(range(steps), f"feature visualization of {objective.name}", progress):
        value, dp = step_gradient(net, objective, parameterization, p, transforms if robust else None, rng, grey)
        values.append(value)
        p, state = adam(p, -dp, state, lr)
    images, _ = parameterization.forward(p, hw)
    if measure:
        measured = (measured[0], _value(net, measure, images[:1]))
    return Rendered(to_numpy(images), [float(to_numpy(v)) for v in values], steps, memory, measured)


def step_gradient(net, objective, parameterization, p, transforms, rng, border):
    """One step's objective and its gradient at the parameters p: the image, transformed at
    random (transforms: a Robust, or None), through the net (module docstring)."""
    hw = net.input_shape[1:]
    layers = [layer for layer in objective.layers if layer != INPUT]
    x, pc = parameterization.forward(p, hw)
    view, tc = transforms.forward(x, rng, hw, border) if transforms else (x, [])
    net.forward(view.astype(net.dtype), end=max(layers, key=net.layer_names.index), keep=tuple(layers))
    outputs = {layer: net.outputs[layer] for layer in layers}
    if INPUT in objective.layers:
        outputs[INPUT] = parameterization.to_unit(x)
    value, grads = objective(outputs)
    dinput = grads.pop(INPUT, None)
    dx = net.backward(grads, once=True).astype(np.float64)
    dx = transforms.backward(dx, tc) if transforms else dx
    if dinput is not None:
        dx = dx + parameterization.to_unit_backward(dinput)
    return value, parameterization.backward(dx, pc)


def _value(net, objective, x):
    """The objective's value at an input-space image (the net's layers only)."""
    layers = tuple(objective.layers)
    net.forward(x.astype(net.dtype), end=max(layers, key=net.layer_names.index), keep=layers)
    return float(to_numpy(objective({layer: net.outputs[layer] for layer in layers})[0]))
