"""Saliency maps (Simonyan, Vedaldi & Zisserman 2014).

The saliency of pixel (i, j) for class c is how strongly the unnormalized class score S_c
reacts to it: M_ij = max over colour channels of |dS_c / dI_cij|, one backward pass from a
one-hot gradient at the score layer. The gradient is taken with respect to the image's pixel
values (0..255 units, through the model's ImageSpace), so the map means the same for every
input convention.

Raw maps are speckled pixel by pixel. SmoothGrad (Smilkov et al. 2017) averages the maps of
``samples`` copies of the image with Gaussian noise added (its standard deviation a fraction
``noise`` of the image's pixel range): the speckle averages out, the object stays.
"""
from dataclasses import dataclass

import numpy as np

from ..backend import get_array_module, is_gpu_array, to_device, to_numpy
from ..layers import softmax_forward
from ..progress import progress_bar
from . import image_step, technique
from .targets import ClassRef, class_ref, explained, in_numbers, refuse_overflow, resolve_target, score_layer
from ..settings import option


def score_gradient(scores, c, objective="score"):
    """The gradient, at the class scores (N, K) (or (N, K, 1, 1)), of class c's unnormalized
    score (objective "score") or of its log-probability ("logprob"), for every example; shaped
    like scores, on their device."""
    s = scores.reshape(scores.shape[0], -1)
    d = get_array_module(s).zeros_like(s) if objective == "score" else -softmax_forward(s)[0]
    d[:, c] += 1                                  # d log p_c / ds = onehot(c) - softmax(s)
    return d.reshape(scores.shape)


def class_gradient(net, x, c, objective="score", mode="backprop"):
    """d(objective)/dx in input space for images x (N, C, H, W), each its own, as a float64 array
    on the net's device (NumPy on the CPU), with the ReLU rule ``mode`` (backprop: the gradient).
    objective: as score_gradient. One forward pass to the class scores and one backward pass
    from score_gradient there (image_step.gradient does both, in float64)."""
    def at_the_scores(out):
        if not is_gpu_array(out):
            refuse_overflow(out)
        return None, score_gradient(out, c, objective)
    return image_step.gradient(net, to_device(x, np.float64), at_the_scores, score_layer(net), mode=mode)[1]


def saliency_map(g):
    """g (N, C, H, W): image gradients -> (N, H, W): each pixel's largest |gradient| over its
    colour channels."""
    return np.abs(g).max(axis=1)


def image_gradient(net, x, target, mode="backprop"):
    """dS_target / dx in pixel units: (N, C, H, W) NumPy array, with the ReLU rule ``mode``
    (backprop: the gradient; deconvnet and guided: their images)."""
    return to_numpy(class_gradient(net, x, resolve_target(net, target), mode=mode)) * net.space.pixel_step()


def saliency(net, x, target, samples=0, noise=0.15, seed=0, batch=10, progress=False):
    """(H, W) float map: max over channels of |dS_target/dpixel| for the image x (1, C, H, W);
    with samples > 0, the SmoothGrad mean of that map over noisy copies of x (progress: a bar
    over them, progress.py)."""
    c = resolve_target(net, target)
    if not samples:
        return saliency_map(image_gradient(net, x, c))[0]
    total = 0.0
    with progress_bar(desc="SmoothGrad", progress=progress, total=samples, unit="copies") as bar:
        for noisy in noisy_copies(net, x, samples, noise, seed, batch):
            total = total + saliency_map(image_gradient(net, noisy, c)).sum(axis=0)
            bar.update(len(noisy))
    return total / samples


def noisy_copies(net, x, samples, noise, seed=0, batch=10):
    """SmoothGrad's inputs: ``samples`` copies of x (1, C, H, W) with Gaussian noise of standard
    deviation ``noise`` times the image's pixel range, in batches (n, C, H, W), seeded."""
    step = net.space.pixel_step()
    pixels = np.asarray(x, np.float64) / step
    sigma = noise * float(pixels.max() - pixels.min())
    rng = np.random.RandomState(seed)
    for start in range(0, samples, batch):
        n = min(batch, samples - start)
        yield (pixels + sigma * rng.randn(n, *pixels.shape[1:])) * step


@dataclass(frozen=True)
class Settings(technique.Settings):
    target: object = option(None, "class index or (part of) a class name (default: the predicted class)",
                            kind="target")
    samples: int = option(0, "SmoothGrad: average the map over this many noisy copies (0: the plain map)",
                          ge=0, le=1000)
    noise: float = option(0.15, "SmoothGrad's noise, as a fraction of the image's pixel range", gt=0, le=1)
    seed: int = option(0, "seed for SmoothGrad's noise", ge=0, le=2**32 - 1)


@dataclass(frozen=True, kw_only=True)
class Saliency(technique.Result):
    x: np.ndarray              # (1, C, H, W) the image, in input space
    map: np.ndarray            # (H, W) max over channels of |dS/dpixel|
    target: ClassRef
    probability: float         # the target's probability on the image
    predicted: ClassRef        # the class the network gives the image
    max: float                 # the map's largest value (score units per pixel unit)

    def summary(self):
        return f"saliency for {in_numbers(self.target, self.probability, self.predicted)}: max {self.max:.3g}"


def run(net, x, settings):
    c, probability, predicted = explained(net, x, settings.target)
    s = saliency(net, x, c, settings.samples, settings.noise, settings.seed, progress=None)
    return Saliency(settings=settings, x=np.asarray(x), map=s, target=class_ref(net, c), probability=probability,
                    predicted=class_ref(net, predicted), max=float(s.max()))
