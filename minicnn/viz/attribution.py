"""Every attribution method minicnn has, behind one call, for the checks that compare them
(sanity.py: randomization; faithfulness.py: deletion and insertion).

    a = attribute(net, x, "integrated-gradients", c)     # (C, H, W) float64, signed
    signed_map(a), absolute_map(a)                        # (H, W) each

Gradient methods give d score / d pixel (pixel units); gradient x input, Integrated Gradients
and LRP give each input's share of the score (score units); Grad-CAM gives one channel, its
map enlarged to the image. The checks only rank and compare maps, so the units do not matter.
Each method runs with the settings below (QUICK: fewer samples and steps, for tests and the
quick gallery); the technique modules hold the methods themselves.
"""
import numpy as np

from ..errors import ArgumentError
from . import gradcam, integrated, lrp
from .saliency import image_gradient, noisy_copies

METHODS = ("saliency", "smoothgrad", "deconvnet", "guided", "gradient-input", "integrated-gradients", "gradcam",
           "guided-gradcam", "lrp")
SETTINGS = {"smoothgrad": {"samples": 25, "noise": 0.15}, "integrated-gradients": {"steps": 32}}
QUICK = {"smoothgrad": {"samples": 8, "noise": 0.15}, "integrated-gradients": {"steps": 16}}


def attribute(net, x, method, c, quick=False, seed=0):
    """(C, H, W) float64 attribution of class c's score for the image x (1, C, H, W) by
    ``method`` (one of METHODS; (1, H, W) for Grad-CAM)."""
    options = (QUICK if quick else SETTINGS).get(method, {})
    if method == "saliency":
        return image_gradient(net, x, c)[0]
    if method == "smoothgrad":
        return smoothgrad(net, x, c, seed=seed, **options)
    if method in ("deconvnet", "guided"):
        return image_gradient(net, x, c, mode=method)[0]
    if method == "gradient-input":
        return integrated.gradient_input(net, x, c)
    if method == "integrated-gradients":
        return integrated.integrated_gradients(net, x, c, integrated.baseline(net, x, "black"), **options).attributions
    if method in ("gradcam", "guided-gradcam"):
        layer = gradcam.default_layer(net)
        cam = gradcam.enlarge(gradcam.gradcam_map(*gradcam.layer_and_gradient(net, x, c, layer)), net.input_shape[1:])
        return cam[None] if method == "gradcam" else gradcam.guided_backprop(net, x, c) * cam
    if method == "lrp":
        return lrp.lrp(net, x, c).relevance
    raise ArgumentError(f"unknown attribution method {method!r}; known: {', '.join(METHODS)}")


def method_list(text, net=None):
    """A comma-separated list of METHODS (None: all that ``net`` can show: Grad-CAM needs a
    spatial map) -> a tuple in the order given, each once; unknown names are refused."""
    if text is None:
        return METHODS if net is None or gradcam.has_map(net) else tuple(m for m in METHODS if "gradcam" not in m)
    names = [t.strip() for t in text.split(",") if t.strip()]
    unknown = [n for n in names if n not in METHODS]
    if unknown or not names:
        raise ArgumentError(f"unknown method {', '.join(map(repr, unknown)) or '(none given)'}; known: "
                            f"{', '.join(METHODS)}")
    return tuple(dict.fromkeys(names))


def smoothgrad(net, x, c, samples=25, noise=0.15, seed=0, batch=10):
    """(C, H, W) SmoothGrad of the signed gradient (Smilkov et al. 2017): the mean image gradient
    over ``samples`` noisy copies of x (noise: a fraction of the image's pixel range)."""
    return sum(image_gradient(net, noisy, c).sum(axis=0)
               for noisy in noisy_copies(net, x, samples, noise, seed, batch)) / samples


def signed_map(a):
    """(H, W): the attribution summed over channels."""
    return np.asarray(a, np.float64).sum(axis=0)


def absolute_map(a):
    """(H, W): the absolute attribution summed over channels (how much each pixel matters)."""
    return np.abs(np.asarray(a, np.float64)).sum(axis=0)
