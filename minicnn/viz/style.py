"""Neural style (Gatys, Ecker & Bethge 2015): the content of one image in the style of another.

Content is the activations of the content image at a layer; style is the Gram matrices of the
style image's activations at several layers (which features occur together, wherever they
are). The image x is found by minimizing, in pixel units,

    alpha * sum_content content_loss(F_l(x), P_l) + beta * sum_style w_l style_loss(F_l(x), A_l) + tv * tv_loss(x)

(objectives.py; the paper's eq. 1, 4, 5 and 7, with w_l = 1 / number of style layers and
alpha / beta = 1e-3), with L-BFGS (scipy, the pixel bounds as box constraints) or Adam. Several
style images mix their Gram targets with weights. ``original_colors`` keeps the content image's
colours: the result's luminance with the content's chrominance (Gatys et al. 2016).
"""
from dataclasses import dataclass

import numpy as np

from ..backend import get_array_module, to_device, to_floats, to_numpy
from ..errors import ArgumentError
from ..objectives import content_loss, gram_forward, style_loss, tv_loss
from ..progress import progress_bar
from ..settings import option
from ..train import optim
from . import image_step, technique

STARTS = ("content", "style", "noise")
YIQ = np.array([[0.299, 0.587, 0.114], [0.596, -0.274, -0.322], [0.211, -0.523, 0.312]])


@dataclass(frozen=True)
class Settings(technique.Settings):
    style: str = option(None, "style image(s), comma-separated", kind="str", required=True)
    style_weights: str = option(None, "how much of each style image, comma-separated (default: equal)", kind="str")
    content_layers: str = option(None, "comma-separated (default: VGG's relu4_2 or its like)", kind="str")
    style_layers: str = option(None, "comma-separated (default: the first layer at each resolution, as VGG's "
                                     "relu1_1 ... relu5_1)", kind="str")
    content_weight: float = option(1.0, "alpha, the content loss's weight", ge=0)
    style_weight: float = option(1000.0, "beta, the style loss's weight (alpha / beta = 1e-3 in the paper)", ge=0)
    tv_weight: float = option(0.0, "weight of a total-variation smoothness term (in pixel units)", ge=0)
    optimizer: str = option("lbfgs", "L-BFGS (scipy) or Adam", choices=("lbfgs", "adam"))
    iterations: int = option(300, "optimizer iterations", ge=1, le=100_000)
    lr: float = option(4.0, "Adam's learning rate, pixel units", gt=0, le=255)
    init: str = option("content", "start from the content image, the style image or noise", choices=STARTS)
    original_colors: bool = option(False, "keep the content image's colours (transfer luminance only)")
    print_every: int = option(0, "print the losses every this many evaluations of them (0: never; L-BFGS "
                                 "evaluates more than once per iteration)", ge=0)
    save_every: int = option(0, "keep a snapshot every this many evaluations of the losses (0: none)", ge=0)
    seed: int = option(0, "seed for the noise start", ge=0, le=2**32 - 1)

    def check(self):
        for name in ("content_layers", "style_layers"):
            if getattr(self, name) is not None and not _names(getattr(self, name)):
                raise ArgumentError(f"style: no layers given in --{name.replace('_', '-')} {getattr(self, name)!r}")
        n = len(_names(self.style) or [])
        if not n:
            raise ArgumentError("style: give at least one style image")
        if self.style_weights is not None:
            try:
                weights = [float(w) for w in _names(self.style_weights)]
            except ValueError:
                weights = []
            if (len(weights) != n or min(weights) < 0 or not np.isfinite(weights).all()
                    or not 0 < sum(weights) < np.inf):
                raise ArgumentError(f"style: give {n} non-negative weights for {n} style image(s), comma-separated, "
                                    f"got {self.style_weights!r}")


@dataclass(frozen=True, kw_only=True)
class StyleTransfer(technique.Result):
    x: np.ndarray              # (1, C, H, W) the content image, in input space
    styles: np.ndarray         # (S, C, H, W) the style images, in input space
    image: np.ndarray          # (1, C, H, W) the result, in input space
    snapshots: np.ndarray      # (K, C, H, W) the image every save_every iterations
    content_layers: list
    style_layers: list
    style_weights: list
    losses: dict               # per evaluation: "total", "content", "style", "tv"
    memory: int                # bytes the run was estimated to need (memory.py)
    evaluations: int

    def summary(self):
        first, last = self.losses["total"][0], self.losses["total"][-1]
        return (f"a step used about {self.memory / 2**20:,.1f} MiB; style transfer: loss {first:.4g} -> {last:.4g} in {self.evaluations} evaluations (content "
                f"{self.losses['content'][-1]:.3g}, style {self.losses['style'][-1]:.3g})")


def map_layers(net):
    """Layers whose output is a map, grouped by resolution: [[names at the first size], ...]; in
    each group the concatenations where there are any (fire modules), else the ReLUs."""
    groups = []
    for name in net.layer_names:
        shape = net.shapes[name]
        if len(shape) != 3 or net.layers[name]["type"] not in ("relu", "concat"):
            continue
        if not groups or net.shapes[groups[-1][0]][1:] != shape[1:]:
            groups.append([])
        groups[-1].append(name)
    return [[n for n in g if net.layers[n]["type"] == "concat"] or g for g in groups]


def default_layers(net):
    """(content layers, style layers): VGG's relu4_2 and relu1_1 ... relu5_1 (Gatys et al.), and
    their like in other networks: the second layer at the fourth resolution (or the deepest
    there is), and the first layer at each resolution, up to five."""
    groups = map_layers(net)
    if not groups:
        raise ArgumentError("style: this model has no layers with maps to take content and style from")
    content = groups[min(3, len(groups) - 1)]
    return [content[min(1, len(content) - 1)]], [g[0] for g in groups[:5]]


def luminance_transfer(space, content, result):
    """The result's luminance with the content's chrominance (YIQ), as an input-space image."""
    c, r = (space.to_pixels(a)[0] @ YIQ.T for a in (content, result))
    mixed = np.concatenate([r[..., :1], c[..., 1:]], axis=-1) @ np.linalg.inv(YIQ).T
    return space.to_input(np.clip(mixed, 0, 255)).astype(np.float64)


def style_transfer(net, content, styles, style_weights=None, content_layers=None, style_layers=None,
                   content_weight=1.0, style_weight=1000.0, tv_weight=0.0, optimizer="lbfgs", iterations=300,
                   lr=4.0, init="content", original_colors=False, print_every=0, save_every=0, seed=0,
                   progress=False):
    """content (1, C, H, W) and styles (S, C, H, W) in input space -> a StyleTransfer result."""
    if original_colors and net.space.channels not in ("RGB", "BGR"):
        raise ArgumentError(f"style: keeping the content's colours needs a colour model; this one sees "
                            f"{net.space.channels}")
    defaults = default_layers(net)
    content_layers = defaults[0] if content_layers is None else content_layers
    style_layers = defaults[1] if style_layers is None else style_layers
    if not style_layers:
        raise ArgumentError("style: give at least one style layer")
    for layer in content_layers + style_layers:
        net.arch.check_layer(layer, "style")
    for layer in style_layers:
        if len(net.shapes[layer]) != 3:               # a Gram matrix needs channels over positions
            raise ArgumentError(f"style: layer {layer!r} gives a vector {net.shapes[layer]}, not a (C, H, W) map")
    weights = np.ones(len(styles)) / len(styles) if style_weights is None else np.asarray(style_weights, float)
    if len(weights) != len(styles) or not (weights >= 0).all() or not 0 < weights.sum() < np.inf:
        raise ArgumentError(f"style: {len(styles)} style images need as many non-negative weights, got {list(weights)}")
    weights = weights / weights.sum()
    end = max(content_layers + style_layers, key=net.layer_names.index)
    # L-BFGS keeps 10 pairs of past steps and gradients, as float64 images
    layers = content_layers + style_layers
    memory = image_step.fits(net, end, "style", content.shape[2:], keep=layers,
                             image_copies=30 if optimizer == "lbfgs" else 10,
                             layer_copies={n: 4 for n in layers})               # target, F, dF, its cast
    run_net = net if content.shape[2:] == net.input_shape[1:] else net.resized(content.shape[2:], end=end)

    def kept_features():
        return {n: run_net.outputs[n].astype(np.float64) for n in set(layers)}

    def features(x):
        run_net.forward(to_device(x, net.dtype), end=end, keep=layers)
        return kept_features()

    targets = features(content)
    grams = {n: sum(w * gram_forward(features(s[None])[n])[0] for w, s in zip(weights, styles)) for n in style_layers}
    step, (low, high) = net.space.pixel_step(), net.space.bounds()
    start = {"content": content, "style": styles[:1],
             "noise": np.random.RandomState(seed).randn(*content.shape) * 64 * step}[init]
    # Everything below stays on the net's device; the losses are read back only to print them
    # and at the end. L-BFGS (SciPy's, on the host) takes the image and gradient back and forth.
    step_d = to_device(step, np.float64)
    losses = {"total": [], "content": [], "style": [], "tv": []}
    snapshots = []

    def content_and_style(_):
        """The content and style losses of the features the pass kept, and their gradients there."""
        feats = kept_features()
        grads, c_total, s_total = {}, 0.0, 0.0
        for n in content_layers:
            value, g = content_loss(feats[n], targets[n])
            c_total, grads[n] = c_total + value, content_weight * g
        for n in style_layers:
            value, g = style_loss(feats[n], grams[n])
            s_total += value / len(style_layers)
            grads[n] = grads.get(n, 0) + style_weight / len(style_layers) * g
        return (c_total, s_total), grads

    def evaluate(p):
        """The loss at pixel offsets p (1, C, H, W) and its gradient there, on the net's device."""
        (c_total, s_total), dp = image_step.gradient(run_net, p, content_and_style, end, step_d, keep=layers)
        tv, dtv = tv_loss(p) if tv_weight else (0.0, 0.0)
        total = content_weight * c_total + style_weight * s_total + tv_weight * tv
        for key, value in zip(losses, (total, c_total, s_total, tv)):
            losses[key].append(value)
        k = len(losses["total"])
        if print_every and k % print_every == 0:
            print(f"evaluation {k}: loss {float(total):.5g} (content {float(c_total):.4g}, "
                  f"style {float(s_total):.4g}, tv {float(tv):.4g})")
        if save_every and k % save_every == 0:
            snapshots.append(to_numpy(p * step_d)[0])
        return total, dp + tv_weight * dtv

    p0 = to_numpy(start).astype(np.float64) / step
    bounds_low, bounds_high = (np.broadcast_to(b / step, p0.shape) for b in (low, high))
    p0 = np.clip(p0, bounds_low, bounds_high)
    bar = progress_bar(range(iterations), "style", progress)
    if optimizer == "lbfgs":
        from scipy.optimize import minimize

        def host_evaluate(flat):
            total, g = evaluate(to_device(flat.reshape(p0.shape)))
            return float(total), to_numpy(g).ravel()
        ticks = iter(bar)
        result = minimize(host_evaluate, p0.ravel(), jac=True, method="L-BFGS-B",
                          bounds=list(zip(bounds_low.ravel(), bounds_high.ravel())),
                          callback=lambda _: next(ticks, None),
                          options={"maxiter": iterations, "maxfun": 2 * iterations, "ftol": 0, "gtol": 0})
        p = result.x.reshape(p0.shape)
    else:
        p, state = to_device(p0), {}
        low_d, high_d = to_device(bounds_low), to_device(bounds_high)
        xp = get_array_module(p)
        for _ in bar:
            _, g = evaluate(p)
            p, state = optim.adam(p, g, state, lr)
            p = xp.clip(p, low_d, high_d)
        p = to_numpy(p)
    losses = {key: to_floats(values) for key, values in losses.items()}
    image = p * step
    if original_colors:
        image = luminance_transfer(net.space, content, image)
    settings = Settings(style="(given as arrays)", content_weight=content_weight, style_weight=style_weight,
                        tv_weight=tv_weight, optimizer=optimizer, iterations=iterations, lr=lr, init=init,
                        original_colors=original_colors, print_every=print_every, save_every=save_every, seed=seed)
    return StyleTransfer(settings=settings, x=to_numpy(content), styles=to_numpy(styles),
                         image=image, snapshots=np.array(snapshots).reshape(-1, *content.shape[1:]),
                         content_layers=content_layers, style_layers=style_layers,
                         style_weights=[float(w) for w in weights], losses=losses, evaluations=len(losses["total"]),
                         memory=memory)


def _names(text):
    return None if text is None else [name.strip() for name in text.split(",") if name.strip()]


def run(net, x, settings):
    from dataclasses import replace

    from ..images import load_named
    size = max(net.space.resize or 0, min(x.shape[2:]))        # each style image covers the content image
    styles = np.concatenate([net.space.preprocess(load_named(name, net.samples), size=size, crop=x.shape[2:])
                             for name in _names(settings.style)])
    weights = None if settings.style_weights is None else [float(w) for w in _names(settings.style_weights)]
    r = style_transfer(net, x, styles, weights, _names(settings.content_layers), _names(settings.style_layers),
                       settings.content_weight, settings.style_weight, settings.tv_weight, settings.optimizer,
                       settings.iterations, settings.lr, settings.init, settings.original_colors,
                       settings.print_every, settings.save_every, settings.seed, progress=None)
    return replace(r, settings=settings)
