"""The fast gradient sign method (Goodfellow et al. 2015): one step of size epsilon (pixel
units) along the sign of the gradient of the log-probability: away from the true class, or,
targeted, toward another class. ‖x_adv - x‖∞ <= epsilon, and x_adv stays a valid image.
"""
from dataclasses import dataclass, replace

import numpy as np

from ..backend import to_device, to_numpy
from ..errors import ArgumentError
from . import technique
from .adversarial import fits, result, sign_step
from .targets import resolve_target, target_or_predicted
from ..settings import option


@dataclass(frozen=True)
class Settings(technique.Settings):
    label: object = option(None, "the true class: step away from it (default: the predicted one)", kind="target")
    target: object = option(None, "step toward this class instead (targeted FGSM; no --label)", kind="target")
    epsilon: float = option(2.0, "step size, pixel units (0..255 scale)", ge=0.01, le=255)
    magnify: float = option(None, "magnification of the difference image (default: the largest change at full "
                                  "contrast)", kind="float", ge=1, le=1000)

    def check(self):
        if self.label is not None and self.target is not None:
            raise ArgumentError("fgsm: give --label (a step away from it) or --target (a step toward it), not both")


def fgsm(net, x, label, epsilon=2.0, target=None):
    """One fast-gradient-sign step of ``epsilon`` pixel units: away from ``label`` (untargeted),
    or toward ``target``. Returns an Adversarial whose ``success`` says whether the prediction
    left ``label`` (untargeted) or reached ``target``."""
    settings = Settings(label=label if target is None else None, target=target, epsilon=epsilon)
    memory = fits(net, "fgsm")
    x0 = to_numpy(x).astype(np.float64)
    label = resolve_target(net, label)
    if target is None:
        x_adv, success = sign_step(net, to_device(x0), label, epsilon, toward=False), (lambda p: p != label)
    else:
        target = resolve_target(net, target)
        x_adv, success = sign_step(net, to_device(x0), target, epsilon), (lambda p: p == target)
    x_adv = to_numpy(x_adv)
    return result(net, settings, x0, x_adv, 1, target, success, label=None if target is not None else label,
                  memory=memory)


def run(net, x, settings):
    label = target_or_predicted(net, x, settings.label)
    return replace(fgsm(net, x, label, settings.epsilon, settings.target), settings=settings)
