"""DeepDream (Mordvintsev, Olah & Tyka 2015): amplify whatever a layer already sees in an image.

The lecture's ``make_step``, step for step:

    ox, oy = random jitter                       roll the image by (ox, oy) pixels
    forward to the layer                         f = the layer's activations
    objective: l2_activation(f)                  its gradient is f itself ("set dx = x")
    backward from the layer                      g = d objective / d image, in pixel units
    image += step_size / mean|g| * g             a normalized ascent step (step_size pixel units)
    roll back, clip to valid pixels

Octaves run the steps at several scales, smallest first; the detail the network added at one
scale is enlarged and carried to the next (the image keeps its size in the end). A guide image
changes the objective: each position's features are pulled toward the guide's features they
match best (the largest dot product).
"""
from dataclasses import dataclass, replace

import numpy as np

from ..backend import get_array_module, ndimage, to_device, to_floats, to_numpy
from ..errors import ArgumentError, MinicnnError
from ..objectives import l2_activation
from ..progress import progress_bar
from ..settings import option
from . import image_step, technique


@dataclass(frozen=True)
class Settings(technique.Settings):
    layer: str = option(None, "the layer to amplify (default: two thirds of the way up the map layers)", kind="str")
    iterations: int = option(10, "steps per octave", ge=1, le=10_000)
    octaves: int = option(4, "scales, each octave_scale times smaller than the next", ge=1, le=12)
    octave_scale: float = option(1.4, "size ratio between octaves", ge=1.0, le=4.0)
    step_size: float = option(1.5, "ascent step, pixel units (mean absolute change per step)", gt=0, le=255)
    jitter: int = option(None, "random shift before each step, pixels (default: an eighth of the shorter side, "
                               "at most 32)", kind="int", ge=0, le=256)
    guide: str = option(None, "an image whose features guide the dream (default: none, plain L2)", kind="str")
    seed: int = option(0, "seed for the jitter", ge=0, le=2**32 - 1)


@dataclass(frozen=True, kw_only=True)
class DeepDream(technique.Result):
    x: np.ndarray              # (1, C, H, W) the image it started from, in input space
    image: np.ndarray          # (1, C, H, W) the dream, in input space
    layer: str
    octave_sizes: list         # (H, W) of each octave, smallest first
    memory: int                # bytes the run was estimated to need (memory.py)
    objective: list            # 1/2 |f|^2 at the layer (or the guide's dot product), before every step
    jitter: int
    guided: bool

    def summary(self):
        return (f"a step used about {self.memory / 2**20:,.1f} MiB; "
                f"{self.layer}: {len(self.octave_sizes)} octaves x {self.settings.iterations} steps, objective "
                f"{self.objective[0]:.4g} -> {self.objective[-1]:.4g}" + (" (guided)" if self.guided else ""))


def default_layer(net):
    """Two thirds of the way up the layers that output maps (a mid-level layer, as in the lecture):
    the concatenations of a network that has them (SqueezeNet's fire modules), else its ReLUs."""
    maps = [n for n in net.layer_names if len(net.shapes[n]) == 3]
    maps = [n for n in maps if net.layers[n]["type"] == "concat"] or \
           [n for n in maps if net.layers[n]["type"] == "relu"] or maps
    return maps[(2 * len(maps)) // 3] if maps else net.layer_names[-1]


def guide_objective(guide_features):
    """The guided objective's gradient: at each position, the guide's feature vector that has
    the largest dot product with the one there. guide_features: (C, h * w), on the net's device."""
    def objective(f):
        x = f[0].reshape(f.shape[1], -1)                          # (C, H*W)
        best = (x.T @ guide_features).argmax(axis=1)              # per position, the best-matching guide column
        g = guide_features[:, best].reshape(f.shape)
        return (x * guide_features[:, best]).sum(), g
    return objective


def make_step(net, p, step, layer, objective, step_size, jitter, rng):
    """One DeepDream step on the image p (1, C, H, W) in pixel-unit offsets from the mean image
    (p * step is the input), float64 on the net's device like step (1, C, 1, 1). Returns (the new
    p, the objective's value before the step), both on that device: nothing is read back."""
    xp = get_array_module(p)
    oy, ox = (int(v) for v in rng.randint(-jitter, jitter + 1, size=2)) if jitter else (0, 0)
    p = xp.roll(p, (oy, ox), axis=(2, 3))                                  # jitter
    value, g = image_step.gradient(net, p, objective, layer, step)         # forward, objective, backward
    scale = xp.abs(g).mean()                                               # a step of step_size / mean|g|
    p = p + xp.where(scale > 0, step_size / xp.where(scale > 0, scale, 1.0), 0.0) * g    # (none if g is 0)
    return xp.roll(p, (-oy, -ox), axis=(2, 3)), value                      # unjitter


def deepdream(net, x, layer=None, iterations=10, octaves=4, octave_scale=1.4, step_size=1.5, jitter=None,
              guide=None, seed=0, progress=False):
    """The dream of ``layer`` for the image x (1, C, H, W) in input space. guide: an image
    (1, C, h, w) in input space whose features at the layer guide the dream. Returns a DeepDream.
    The image stays on the net's device from the first step to the last."""
    settings = Settings(layer=layer, iterations=iterations, octaves=octaves, octave_scale=octave_scale,
                        step_size=step_size, jitter=jitter, seed=seed)
    layer = default_layer(net) if layer is None else net.arch.check_layer(layer, "deepdream")
    if len(net.shapes[layer]) != 3:
        raise ArgumentError(f"deepdream: {layer!r} outputs a vector, not maps; choose a convolution, ReLU or "
                            "pooling layer")
    H, W = x.shape[2:]
    memory = image_step.fits(net, layer, "deepdream", (H, W), layer_copies={layer: 2})    # f, df: float64
    jitter = min(32, min(H, W) // 8) if jitter is None else jitter
    space, rng = net.space, np.random.RandomState(seed)
    step, low, high = image_step.pixel_units(space)
    base = to_device(x, np.float64) / step                        # pixel-unit offsets from the mean image
    xp, zoom = get_array_module(base), ndimage(base).zoom
    sizes = [(H, W)]
    for _ in range(octaves - 1):
        sizes.append(tuple(max(1, round(s / octave_scale)) for s in sizes[-1]))
    sizes = sizes[::-1]                                           # smallest first
    objective = l2_activation
    if guide is not None:
        g = net.resized(guide.shape[2:], end=layer).forward(to_device(guide, net.dtype), end=layer, keep=())
        objective = guide_objective(g[0].reshape(g.shape[1], -1).astype(xp.float64))
    detail, values = xp.zeros((1, x.shape[1]) + sizes[0]), []
    with progress_bar(desc="deepdream", progress=progress, total=len(sizes) * iterations) as bar:
        for size in sizes:
            try:
                at_size = net.resized(size, end=layer)
            except MinicnnError as e:                  # the layer's map vanishes at this size
                raise ArgumentError(f"deepdream at {size[0]}x{size[1]}: {e} (use fewer octaves or a larger image)") \
                    from None
            octave_base = zoom(base, (1, 1, size[0] / H, size[1] / W), order=1)
            detail = zoom(detail, (1, 1, size[0] / detail.shape[2], size[1] / detail.shape[3]), order=1)
            p = octave_base + detail
            for _ in range(iterations):
                p, value = make_step(at_size, p, step, layer, objective, step_size, jitter, rng)
                p = xp.clip(p * step, low, high) / step               # valid pixels only
                values.append(value)
                bar.update()
            detail = p - octave_base
    return DeepDream(settings=settings, x=to_numpy(x), image=to_numpy((base + detail) * step), layer=layer,
                     octave_sizes=[list(s) for s in sizes], memory=memory,
                     objective=to_floats(values), jitter=jitter, guided=guide is not None)


def run(net, x, settings):
    guide = None
    if settings.guide is not None:
        from ..images import load_named
        guide = net.space.preprocess(load_named(settings.guide, net.samples))
    r = deepdream(net, x, settings.layer, settings.iterations, settings.octaves, settings.octave_scale,
                  settings.step_size, settings.jitter, guide, settings.seed, progress=None)
    return replace(r, settings=settings)
