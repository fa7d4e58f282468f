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
    dp          = param.backward(robust.backward(dview, tc), pc)
    p           = adam(p, -dp)                      (ascent)

Objectives read layers and return (value, {layer: gradient}); they add and scale like numbers:
``channel("fire6/concat", 3) - 100 * diversity("fire6/concat")``. A unit after a ReLU is pushed
before it (class_model.pre_activation): its gradient is never cut off.
"""
from dataclasses import dataclass

import numpy as np

from ..backend import get_array_module, to_device, to_numpy
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
        return Objective(self.layers, fn, f"{w:g} {self.name}")

    __rmul__ = __mul__

    def __neg__(self):
        return self * -1.0

    def __sub__(self, other):
        return self + (-other)


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


def diversity(layer):
    """Lucid's diversity term: the mean over the batch of each image's summed cosine similarity
    with the others, of their Gram matrices at ``layer`` (subtract it to push images apart).

    With G_n = V_n V_n^T (V_n: the map as (C, H W)) and U_n = G_n / |G_n|, the value is
    (|sum_n U_n|^2 - sum_n |U_n|^2) / N; d/dU_n = 2 (S - U_n) / N with S = sum U; through the
    normalization dG = (dU - U <U, dU>) / |G|; through the Gram matrix dV = (dG + dG^T) V."""
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


def render(net, objective, param="fourier", robust=True, steps=512, lr=0.05, batch=1, seed=0, progress=False,
           transforms=None):
    """Maximize ``objective`` over a batch of images of the net's input size (module docstring).
    param: "pixel" or "fourier"; robust: apply the transforms (``transforms``: a Robust, default
    Lucid's, in proportion to the image's size). Returns Rendered."""
    hw = net.input_shape[1:]
    parameterization = Param(param, net.space)
    transforms = transforms or Robust.for_size(hw)
    layers = objective.layers
    end = max(layers, key=net.layer_names.index)
    memory = image_step.fits(net, end, "feature visualization", keep=tuple(layers))
    rng = np.random.default_rng(seed)
    p = to_device(parameterization.init(batch, hw, rng))
    grey = to_device(parameterization._to_input(np.full((1, net.space.n_channels, 1, 1), 0.5)))
    state, values = {}, []
    for _ in progress_bar(range(steps), f"feature visualization of {objective.name}", progress):
        x, pc = parameterization.forward(p, hw)
        view, tc = transforms.forward(x, rng, hw, grey) if robust else (x, [])
        net.forward(view.astype(net.dtype), end=end, keep=tuple(layers))
        value, grads = objective({layer: net.outputs[layer] for layer in layers})
        values.append(value)
        dview = net.backward(grads, once=True).astype(np.float64)
        dp = parameterization.backward(transforms.backward(dview, tc) if robust else dview, pc)
        p, state = adam(p, -dp, state, lr)
    images, _ = parameterization.forward(p, hw)
    return Rendered(to_numpy(images), [float(to_numpy(v)) for v in values], steps, memory)
