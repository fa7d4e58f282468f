"""Adversarial examples and fooling images: small or strange inputs that move a network's decision.

* ``to_target`` (Szegedy et al. 2014): change a correctly classified image, by small steps up
  the target class's log-probability, until the network says ``target``; stops as soon as it does.
* ``fgsm`` (Goodfellow et al. 2015): one step of size ε (pixel units) along the sign of the gradient.
* ``fooling`` (Nguyen et al. 2015): from noise or zeros to a confident (> 99.6 %) prediction of a class.

All steps and bounds are in pixel units (0..255 per RGB channel) through the model's
ImageSpace, and every result stays a valid image.
"""
from dataclasses import dataclass

import numpy as np
from tqdm import tqdm

from ..backend import to_device, to_numpy
from .targets import class_gradient, probabilities, resolve_target


@dataclass
class Adversarial:
    x: np.ndarray            # (1, 3, H, W) the result, in input space
    steps: int               # gradient steps taken
    success: bool
    predicted: int           # the class the network gives the result
    confidence: float        # its probability
    linf: float              # max |change| in pixel units (0..255)
    l2: float                # Euclidean norm of the change in pixel units


def _pixels(space, x):
    return space.to_pixels(to_numpy(x))


def _clip(space, x):
    low, high = space.bounds()
    return np.clip(x, low, high)


def _result(net, x0, x, steps, c, success):
    p = to_numpy(probabilities(net, to_device(x, net.dtype)))[0]
    diff = _pixels(net.space, x) - _pixels(net.space, x0)
    return Adversarial(x, steps, success, int(p.argmax()), float(p.max()),
                       float(np.abs(diff).max()), float(np.sqrt((diff ** 2).sum())))


def to_target(net, x, target, step=0.25, max_steps=200, progress=False):
    """Push x toward class ``target`` until the network predicts it, then stop.

    Each step moves every pixel by ``step`` pixel units along the sign of the gradient of the
    target's log-probability (an iterated fast-gradient-sign step toward the target), so after
    n steps the change is at most n * step in every pixel: the smallest change the steps find.
    """
    c = resolve_target(net, target)
    x0 = to_numpy(x).astype(np.float64)
    x = x0.copy()
    unit = net.space.pixel_step()
    for i in tqdm(range(max_steps + 1), desc="adversarial", disable=not progress):
        if int(to_numpy(probabilities(net, to_device(x, net.dtype))).argmax()) == c:
            return _result(net, x0, x, i, c, True)
        if i == max_steps:
            break
        x = _clip(net.space, x + step * unit * np.sign(class_gradient(net, x, c, "logprob")))
    return _result(net, x0, x, max_steps, c, False)


def fgsm(net, x, label, epsilon=2.0, target=None):
    """One fast-gradient-sign step of ``epsilon`` pixel units: away from ``label`` (untargeted),
    or toward ``target``. ‖x_adv - x‖∞ <= epsilon in pixel units, and x_adv stays a valid image."""
    x0 = to_numpy(x).astype(np.float64)
    if target is None:
        g = -class_gradient(net, x0, resolve_target(net, label), "logprob")
    else:
        g = class_gradient(net, x0, resolve_target(net, target), "logprob")
    x_adv = _clip(net.space, x0 + epsilon * net.space.pixel_step() * np.sign(g))
    result = _result(net, x0, x_adv, 1, None, False)
    result.success = (result.predicted != resolve_target(net, label) if target is None
                      else result.predicted == resolve_target(net, target))
    return result


def fooling(net, target, start="noise", confidence=0.996, step=1.0, max_steps=200, seed=0, progress=False):
    """From uniform noise (start="noise"), the mean image ("zeros") or a given (1, 3, H, W)
    input-space image to > ``confidence`` probability of ``target``, by gradient ascent on its
    log-probability; each step changes the image by ``step`` pixel units RMS."""
    c = resolve_target(net, target)
    rng = np.random.RandomState(seed)
    H, W = net.input_shape[1:]
    if isinstance(start, str) and start == "noise":
        x0 = net.space.to_input(rng.uniform(0, 255, (H, W, 3))).astype(np.float64)
    elif isinstance(start, str) and start == "zeros":
        x0 = np.zeros((1, 3, H, W))
    else:
        x0 = to_numpy(start).astype(np.float64)
    x, unit = x0.copy(), net.space.pixel_step()
    for i in tqdm(range(max_steps + 1), desc="fooling", disable=not progress):
        if float(to_numpy(probabilities(net, to_device(x, net.dtype)))[0, c]) > confidence:
            return _result(net, x0, x, i, c, True)
        if i == max_steps:
            break
        g = class_gradient(net, x, c, "logprob") * unit
        x = _clip(net.space, x + step * unit * g / np.sqrt((g * g).mean()))
    return _result(net, x0, x, max_steps, c, False)
