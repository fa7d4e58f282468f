"""Adversarial examples (Szegedy et al. 2014): change a correctly classified image, by small
steps up the target class's log-probability, until the network says ``target``; stop as soon
as it does. fgsm.py and fooling.py are the one-step and from-noise variants, with the same result.

All steps and bounds are in pixel units (0..255 per RGB channel) through the model's
ImageSpace, and every result stays a valid image.
"""
from dataclasses import dataclass, replace

import numpy as np

from ..backend import get_array_module, to_device, to_numpy
from ..progress import progress_bar
from ..settings import option
from . import image_step, technique
from .saliency import class_gradient
from .targets import ClassRef, class_ref, probabilities, resolve_target, score_layer


@dataclass(frozen=True, kw_only=True)
class Adversarial(technique.Result):
    x: np.ndarray            # (1, C, H, W) the result, in input space
    x0: np.ndarray           # (1, C, H, W) where it started
    start: ClassRef          # the class the network gives the start
    start_confidence: float  # its probability
    target: ClassRef         # the class aimed for (None: away from ``label``)
    label: ClassRef          # the true class a step away from it starts from (untargeted FGSM), else None
    steps: int               # gradient steps taken
    success: bool
    predicted: int           # the class the network gives the result
    predicted_name: str
    confidence: float        # its probability
    linf: float              # max |change| in pixel units (0..255)
    l2: float                # Euclidean norm of the change in pixel units
    aimed: dict              # the class aimed for or away from: {"index", "name", "start", "end": its probabilities}
    memory: int              # bytes a step was estimated to need (memory.py)

    def summary(self):
        if self.target is not None:
            aim = f"toward {self.target.name!r}: " + ("reached" if self.success else "NOT reached")
        else:
            aim = (f"away from {self.label.name!r}" + ("" if self.label == self.start else
                                                       f" (the network said {self.start.name!r})") + ": "
                   + ("still classified so" if not self.success else "now classified otherwise"
                      if self.label == self.start else "not classified so (it was not at the start either)"))
        if self.aimed is not None:
            aim += f" ({self.aimed['name']!r} {self.aimed['start']:.3g} -> {self.aimed['end']:.3g})"
        return (f"a step used about {self.memory / 2**20:,.1f} MiB; started as {self.start.name!r} "
                f"({self.start_confidence:.3f}); {aim} after {self.steps} step{'s' * (self.steps != 1)}; classified as {self.predicted_name!r} "
                f"({self.confidence:.3f}); change: L-inf {self.linf:.2f}, L2 {self.l2:.1f} pixel units")


def clip(space, x):
    """x with every pixel inside 0..255 (in input space)."""
    low, high = space.bounds()
    return np.clip(x, low, high)


def predict(net, x):
    """(class, probability, every class's probability) the network gives the image x (1, C, H, W)."""
    p = probabilities(net, x)[0]
    return int(p.argmax()), float(p.max()), p


def fits(net, what):
    """image_step.fits for a loop of class-score gradients on one image: refuses early."""
    return image_step.fits(net, score_layer(net), what)


def result(net, settings, x0, x, steps, target, success, label=None, memory=0):
    """The Adversarial result of moving x0 to x; ``success`` is a function of the predicted class."""
    start, start_confidence, p0 = predict(net, x0)
    c, confidence, p = predict(net, x)
    aimed = target if target is not None else label
    diff = net.space.to_pixels(x) - net.space.to_pixels(x0)
    return Adversarial(settings=settings, x=x, x0=x0, start=class_ref(net, start), start_confidence=start_confidence,
                       target=None if target is None else class_ref(net, target),
                       label=None if label is None else class_ref(net, label), steps=steps,
                       success=bool(success(c)), predicted=c, predicted_name=net.class_name(c),
                       confidence=confidence, linf=float(np.abs(diff).max()), l2=float(np.sqrt((diff ** 2).sum())),
                       aimed=None if aimed is None else {"index": aimed, "name": net.class_name(aimed),
                                                         "start": float(p0[aimed]), "end": float(p[aimed])},
                       memory=memory)


@dataclass(frozen=True)
class Settings(technique.Settings):
    target: object = option(None, "the class the network should see: index or (part of) a name", kind="target",
                            required=True)
    step: float = option(0.25, "change per step, pixel units", ge=0.01, le=255)
    max_steps: int = option(200, "give up after this many steps", ge=1, le=100_000)
    magnify: float = option(None, "magnification of the difference image (default: the largest change at full "
                                  "contrast)", kind="float", ge=1, le=1000)


def to_target(net, x, target, step=0.25, max_steps=200, progress=False):
    """Push x toward class ``target`` until the network predicts it, then stop.

    Each step moves every pixel by ``step`` pixel units along the sign of the gradient of the
    target's log-probability (an iterated fast-gradient-sign step toward the target), so after
    n steps the change is at most n * step in every pixel: the smallest change the steps find.
    Returns an Adversarial.
    """
    settings = Settings(target=target, step=step, max_steps=max_steps)
    c = resolve_target(net, target)
    memory = fits(net, "adversarial")
    x0 = to_numpy(x).astype(np.float64)
    x, steps = fool(net, to_device(x0), c, step, max_steps, progress)
    return result(net, settings, x0, to_numpy(x), steps, c, lambda p: p == c, memory=memory)


def fool(net, x, c, step, max_steps, progress=False):
    """The loop of to_target: x (1, C, H, W), input space, float64 on the net's device, pushed by
    sign_step of ``step`` pixel units toward class c, until the net predicts c (checked before
    every step: an image already of class c takes no step) or ``max_steps`` steps are taken.
    Returns (the image, on the device; the number of steps taken)."""
    # The image stays on the net's device; each step reads back one number, the predicted class.
    units = image_step.pixel_units(net.space)            # copied to the device once, not every step
    for i in progress_bar(range(max_steps), "adversarial", progress, unit="steps"):
        if int(probabilities(net, x, on_device=True)[0].argmax()) == c:
            return x, i
        x = sign_step(net, x, c, step, units=units)
    return x, max_steps


def sign_step(net, x, c, size, toward=True, units=None):
    """x (N, C, H, W), input space, float64 on the net's device, moved by ``size`` pixel units in
    every pixel along the sign of the gradient of class c's log-probability (class_gradient):
    toward c, or away from it with toward=False; then clipped to valid pixels. units: (a pixel
    unit's size, the low and the high bound), image_step.pixel_units(net.space), which a loop
    passes once for all its steps."""
    unit, low, high = image_step.pixel_units(net.space) if units is None else units
    xp = get_array_module(x)
    g = class_gradient(net, x, c, "logprob")
    return xp.clip(x + (size if toward else -size) * unit * xp.sign(g), low, high)


def run(net, x, settings):
    return replace(to_target(net, x, settings.target, settings.step, settings.max_steps, progress=None),
                   settings=settings)
