"""Feature inversion (Mahendran & Vedaldi 2015): which images does a layer think are the same?

Starting from random noise, find an image x' whose code at a layer matches the code of the
original image, with two natural-image priors, by minimizing (in pixel units)

    E(x') = |Phi(x') - Phi_0|^2 / |Phi_0|^2  +  (lambda_alpha/2 alpha_norm(x') + lambda_tv/2 tv_loss(x')) / sigma^2

where sigma is the Euclidean norm of the mean-subtracted image (the scale of natural images) and
x' starts as noise of that norm. The priors are the authors' released settings for CaffeNet:
alpha = 6 with lambda 8e-10, TV with beta = 2 and lambda 1, 10 or 100 for the lower, middle
and upper layers. They descended the gradient (times sigma^2) with momentum 0.9 for 400 steps
at a learning rate of 0.004, falling tenfold after 100 and again after 300 steps; that rate is
tuned to CaffeNet's gradients and diverges on other networks, so the default here is Adam, whose
steps are in pixel units whatever the gradient's scale (optimizer "sgd" with lr 0.004 is theirs).
Several random starts give several reconstructions the network cannot tell apart.
"""
from dataclasses import dataclass

import numpy as np

from ..backend import get_array_module, to_device, to_floats, to_numpy
from ..errors import ArgumentError
from ..objectives import alpha_norm, content_loss, tv_loss
from ..progress import progress_bar
from ..settings import option
from ..train import optim
from . import image_step, technique

SCHEDULE = ((100, 1.0), (200, 0.1), (100, 0.01))          # (steps, factor of lr): 400 steps in all


@dataclass(frozen=True)
class Settings(technique.Settings):
    layers: str = option(None, "layers to invert, comma-separated (default: four, from low to high)", kind="str")
    restarts: int = option(1, "reconstructions from different random starts, per layer", ge=1, le=16)
    iterations: int = option(400, "steps (the learning rate falls tenfold after a quarter and three quarters)",
                             ge=1, le=100_000)
    optimizer: str = option("adam", "adam, or sgd with momentum (the authors')", choices=optim.OPTIMIZERS)
    lr: float = option(None, "learning rate (default: 16 pixel units for adam, 0.004 for sgd)", kind="float",
                       gt=0, le=100)
    momentum: float = option(0.9, "sgd's momentum", ge=0, lt=1)
    alpha: float = option(6.0, "the alpha-norm's power", ge=1, le=12)
    lambda_alpha: float = option(8e-10, "weight of the alpha-norm prior", ge=0)
    beta: float = option(2.0, "the TV prior's power", gt=0, le=4)
    lambda_tv: float = option(None, "weight of the TV prior (default: 1, 10 or 100 by the layer's depth, "
                                    "times tv_scale)", kind="float", ge=0)
    tv_scale: float = option(None, "factor on the default TV weights (default 1)",
                             kind="float", gt=0, le=1000)
    seed: int = option(0, "seed for the random starts", ge=0, le=2**32 - 1)


@dataclass(frozen=True, kw_only=True)
class Inversion(technique.Result):
    x: np.ndarray              # (1, C, H, W) the image whose codes are inverted, in input space
    images: np.ndarray         # (layers, restarts, C, H, W) the reconstructions, in input space
    layers: list
    errors: list               # per layer, per restart: the final |Phi(x') - Phi_0|^2 / |Phi_0|^2
    lambda_tv: list            # the TV weight used for each layer
    lr: float                  # the learning rate used (before the schedule's factors)
    memory: int                # bytes the run was estimated to need (memory.py)
    energy: list               # per layer, the first restart's objective at every step

    def summary(self):
        return f"a step used about {self.memory / 2**20:,.1f} MiB; " + "; ".join(f"{layer}: code error {min(e):.3g}" + (f"..{max(e):.3g}" if len(e) > 1 else "")
                         for layer, e in zip(self.layers, self.errors))


def default_layers(net, hw=None):
    """Up to four layers from low to high: a tenth, two fifths and seven tenths of the way up
    the ReLU, concatenation and pooling layers, and the last (fewer where there are fewer); for
    an image of another size hw, of those the network computes at that size (none after a linear layer)."""
    names = [n for n in net.layer_names if net.layers[n]["type"] in ("relu", "concat", "maxpool")] or net.layer_names
    if hw is not None and tuple(hw) != net.input_shape[1:]:
        names = [n for n in names if not any(net.layers.get(a, {}).get("type") == "linear"
                                             for a in net.arch.ancestors[n] | {n})]
        if not names:
            raise ArgumentError(f"invert: every layer of this model comes after a linear layer, which fixes the input "
                                f"at {net.input_shape[1]}x{net.input_shape[2]}; give no --size")
    return list(dict.fromkeys(names[int(f * (len(names) - 1))] for f in (0.1, 0.4, 0.7, 1.0)))


def learning_rate(optimizer, lr=None):
    """lr, or the optimizer's default: 16 pixel units for adam, the authors' 0.004 for sgd."""
    return {"adam": 16.0, "sgd": 0.004}[optimizer] if lr is None else lr


def default_lambda_tv(net, layer):
    """The authors' TV weight for CaffeNet's layers 1-6, 7-12 and 13-20, by relative depth."""
    depth = (net.layer_names.index(layer) + 1) / len(net.layer_names)
    return 1.0 if depth <= 0.3 else 10.0 if depth <= 0.6 else 100.0


def learning_rates(lr, iterations):
    """The step-wise falling learning rate, stretched over ``iterations`` steps."""
    total = sum(n for n, _ in SCHEDULE)
    rates = [lr * f for n, f in SCHEDULE for _ in range(n)]
    return [rates[min(int(i * total / iterations), total - 1)] for i in range(iterations)]


def inversion_objective(net, p, step, layer, target, target_norm2, sigma, alpha, lambda_alpha, beta, lambda_tv):
    """Mahendran & Vedaldi's objective at the image p (1, C, H, W) in pixel units (``step``, as
    image_step.gradient takes it), float64 on the net's device, and its gradient with respect to p:

        |Phi(p) - Phi_0|^2 / |Phi_0|^2  +  (lambda_alpha N_alpha(p) + lambda_tv TV_beta(p)) / (2 sigma^2)

    Phi the code at ``layer``, Phi_0 = ``target`` (target_norm2 = |Phi_0|^2), N_alpha =
    objectives.alpha_norm, TV_beta = objectives.tv_loss. Returns (value, gradient shaped like p)."""
    code, dp = image_step.gradient(net, p, lambda f: content_loss(f, target), layer, step)   # 1/2 |Phi - Phi_0|^2
    a, da = alpha_norm(p, alpha)
    tv, dtv = tv_loss(p, beta)
    prior = 2 * sigma ** 2
    return 2 * code / target_norm2 + (lambda_alpha * a + lambda_tv * tv) / prior, \
        2 * dp / target_norm2 + (lambda_alpha * da + lambda_tv * dtv) / prior


def invert(net, x, layer, restarts=1, iterations=400, optimizer="adam", lr=None, momentum=0.9, alpha=6.0,
           lambda_alpha=8e-10, beta=2.0, lambda_tv=None, seed=0, progress=False):
    """Reconstructions (restarts, C, H, W) in input space of x's code at ``layer``, and their final
    normalized code errors and the first one's objective at every step."""
    net.arch.check_layer(layer, "invert")
    if x.shape[2:] != net.input_shape[1:]:              # an image of another size (refused below a linear layer)
        net = net.resized(x.shape[2:], end=layer)
    if optimizer not in optim.OPTIMIZERS:
        raise ArgumentError(f"invert: optimizer must be one of {', '.join(optim.OPTIMIZERS)}, got {optimizer!r}")
    lambda_tv = default_lambda_tv(net, layer) if lambda_tv is None else lambda_tv
    lr = learning_rate(optimizer, lr)
    step = to_device(net.space.pixel_step(), np.float64)
    target = net.forward(to_device(x, net.dtype), end=layer, keep=()).astype(np.float64)
    target_norm2 = float((target * target).sum())            # read once: it scales every step
    if target_norm2 == 0:
        raise ArgumentError(f"invert: the code of {layer!r} is zero for this image; there is nothing to match")
    pixels = to_device(x, np.float64) / step
    sigma = float(get_array_module(pixels).sqrt((pixels * pixels).sum())) or 1.0
    rng, images, errors, energy = np.random.RandomState(seed), [], [], []
    for r in range(restarts):
        p = to_device(rng.randn(*pixels.shape))                 # the image stays on the net's device from here
        p *= sigma / get_array_module(p).sqrt((p * p).sum())    # noise with the norm of a natural image
        state, previous_lr = {}, None
        for rate in progress_bar(learning_rates(lr, iterations), f"invert {layer} ({r + 1}/{restarts})", progress):
            value, grad = inversion_objective(net, p, step, layer, target, target_norm2, sigma, alpha, lambda_alpha,
                                              beta, lambda_tv)
            if r == 0:
                energy.append(value)
            if rate != previous_lr and optimizer == "sgd":      # a new rate: the old momentum would overshoot
                state = {}
            previous_lr = rate
            # the objective times sigma^2 (the authors' scaling) sets the size of the steps
            p, state = optim.update(optimizer, p, sigma ** 2 * grad, state, rate, momentum=momentum)
        f = net.forward((p * step).astype(net.dtype), end=layer, keep=()).astype(np.float64)
        errors.append(float(((f - target) ** 2).sum()) / target_norm2)
        images.append(to_numpy(p * step)[0])
    return np.stack(images), errors, to_floats(energy), lambda_tv


def run(net, x, settings):
    layers = default_layers(net, x.shape[2:]) if settings.layers is None else [
        net.arch.check_layer(name.strip(), "invert") for name in settings.layers.split(",") if name.strip()]
    if not layers:
        raise ArgumentError(f"invert: no layers given in --layers {settings.layers!r}")
    memory = max(image_step.fits(net, layer, "invert", x.shape[2:], layer_copies={layer: 3})    # target, f, df
                 for layer in layers)
    tv = [settings.lambda_tv if settings.lambda_tv is not None
          else (settings.tv_scale or 1.0) * default_lambda_tv(net, layer) for layer in layers]
    results = [invert(net, x, layer, settings.restarts, settings.iterations, settings.optimizer, settings.lr,
                      settings.momentum, settings.alpha, settings.lambda_alpha, settings.beta, lambda_tv,
                      settings.seed, progress=None) for layer, lambda_tv in zip(layers, tv)]
    return Inversion(settings=settings, x=to_numpy(x), images=np.stack([r[0] for r in results]), layers=layers,
                     errors=[r[1] for r in results], lambda_tv=[r[3] for r in results], memory=memory,
                     lr=learning_rate(settings.optimizer, settings.lr),
                     energy=[r[2] for r in results])
