"""Fooling images (Nguyen et al. 2015): from noise (or the mean image, or any image) to a
confident (> 99.6 %) prediction of a class, by gradient ascent on its log-probability.
Steps are in pixel units through the model's ImageSpace, and the image stays valid.
"""
from dataclasses import dataclass, replace

import numpy as np

from ..backend import get_array_module, to_device, to_numpy
from ..errors import ArgumentError
from ..progress import progress_bar
from ..settings import option
from . import image_step, technique
from .adversarial import fits, result
from .saliency import class_gradient
from .targets import probabilities, resolve_target

STARTS = ("noise", "zeros", "image")


@dataclass(frozen=True)
class Settings(technique.Settings):
    target: object = option(None, "the class the network should see: index or (part of) a name", kind="target",
                            required=True)
    start: str = option("noise", "noise, zeros (the mean image) or an image file (or give IMAGE)", choices=STARTS)
    confidence: float = option(0.996, "stop at this probability of the target (>= 0.5: then it is the prediction)",
                               ge=0.5, lt=1)
    step: float = option(1.0, "RMS change per step, pixel units", ge=0.01, le=255)
    max_steps: int = option(200, "give up after this many steps", ge=1, le=100_000)
    seed: int = option(0, "seed for the noise", ge=0, le=2**32 - 1)


def start_image(net, start, seed):
    """The (1, C, H, W) start in input space: uniform noise over 0..255, or the mean image (zeros)."""
    if start == "zeros":
        return np.zeros((1,) + net.input_shape)
    rng = np.random.RandomState(seed)
    H, W = net.input_shape[1:]
    return net.space.to_input(rng.uniform(0, 255, (H, W, 3))).astype(np.float64)


def fooling(net, target, start="noise", confidence=0.996, step=1.0, max_steps=200, seed=0, progress=False):
    """From uniform noise (start="noise"), the mean image ("zeros") or a given (1, C, H, W)
    input-space image to > ``confidence`` probability of ``target``, by gradient ascent on its
    log-probability; each step changes the image by ``step`` pixel units RMS. Returns an Adversarial."""
    given = not isinstance(start, str)
    settings = Settings(target=target, start="image" if given else start, confidence=confidence, step=step,
                        max_steps=max_steps, seed=seed)
    c = resolve_target(net, target)
    memory = fits(net, "fool")
    x0 = to_numpy(start).astype(np.float64) if given else start_image(net, start, seed)
    # The image stays on the net's device; each step reads back one number, the target's
    # probability, to know whether to stop.
    x = to_device(x0)
    unit, low, high = image_step.pixel_units(net.space)
    xp = get_array_module(x)
    def reached(x):
        return float(probabilities(net, x, on_device=True)[0, c]) > confidence

    for i in progress_bar(range(max_steps), "fooling", progress, unit="steps"):
        if reached(x):
            return result(net, settings, x0, to_numpy(x), i, c, lambda p: True, memory=memory)
        g = class_gradient(net, x, c, "logprob") * unit
        rms = xp.sqrt((g * g).mean())
        if i == 0 and rms == 0:
            raise ArgumentError("fooling: no gradient reaches the image from this start (the scores do not "
                                "depend on it there); start from noise")
        x = xp.clip(x + step * unit * g / xp.where(rms > 0, rms, 1.0), low, high)
    return result(net, settings, x0, to_numpy(x), max_steps, c, lambda p: reached(x), memory=memory)


def run(net, x, settings):
    if settings.start == "image" and x is None:
        raise ArgumentError("fool: start 'image' needs an image")
    start = x if settings.start == "image" else settings.start
    return replace(fooling(net, settings.target, start, settings.confidence, settings.step, settings.max_steps,
                           settings.seed, progress=None), settings=settings)
