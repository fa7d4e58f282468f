"""Class model visualization (Simonyan et al. 2014) with the regularizers of Yosinski et al. 2015.

Find an image I that maximizes a unit's activation S(I) (a class score, or any neuron of any
layer) by gradient ascent from the mean image (zeros in input space). A unit behind ReLUs that are
all off there has no gradient at all; then noise of 2, 4, 8, 16, 32 pixel units is tried in turn
before giving up (MAX_RESTARTS). Plain Simonyan: maximize S(I) - λ‖I‖².
Yosinski et al. add, after each step, in this order:

    decay       I <- (1 - decay) I                          (L2 decay)
    blur        Gaussian blur of radius ``blur_radius`` every ``blur_every`` steps
    norm clip   zero the pixels whose colour vector norm is below the ``norm_pct`` percentile
    contrib     zero the pixels whose |contribution| |Σ_c I_c g_c| is below the ``contrib_pct`` percentile

and a learning rate that is either constant or "progress": lr = min(max_lr, desired / ‖g‖²), a
step expected to raise S by ``desired``. PRESETS are the four settings of their Table 1.

The image is optimized in pixel units (0..255 per RGB channel, through the model's ImageSpace),
which for a Caffe model is exactly the papers' setting, and clipped to valid pixel values.
Jitter (a random shift of up to ``jitter`` pixels before each step, undone after) is optional.
"""
from dataclasses import asdict, dataclass, replace

import numpy as np

from ..backend import get_array_module, ndimage, to_device, to_floats, to_numpy
from ..errors import ArgumentError
from ..progress import progress_bar
from ..settings import option
from . import image_step, technique
from .param import PARAMS, mean_colour
from .targets import ClassRef, class_ref, resolve_target, score_layer, unit_gradient


@dataclass(frozen=True)
class Ascent:
    """How the image is optimized: one row of Yosinski et al.'s Table 1 (or Simonyan's plain ascent)."""
    iterations: int = 200
    lr: float = 100.0                # constant learning rate (pixel units per unit gradient)
    progress: float = 0.0            # > 0: "progress" policy, desired gain per step
    max_lr: float = 100.0
    l2: float = 0.0                  # Simonyan's λ: the gradient of -λ‖I‖² is added to each step
    decay: float = 0.0
    blur_radius: float = 0.0
    blur_every: int = 0
    norm_pct: float = 0.0
    contrib_pct: float = 0.0
    jitter: int = 0
    clip: bool = True                # keep pixels in 0..255
    init_std: float = 0.0            # start at the mean image plus noise of this std (pixel units)


MAX_RESTARTS = 5

PRESETS = {   # Yosinski et al. 2015, Table 1, in its order
    "yosinski1": Ascent(iterations=500, progress=2.0, max_lr=100.0, blur_radius=0.5, blur_every=4, norm_pct=50),
    "yosinski2": Ascent(iterations=750, lr=100.0, decay=0.3, norm_pct=20),
    "yosinski3": Ascent(iterations=1000, lr=100.0, decay=0.0001, blur_radius=1.0, blur_every=4),
    "yosinski4": Ascent(iterations=1000, progress=2.0, max_lr=1e8, blur_radius=0.5, blur_every=4, contrib_pct=90),
    "simonyan": Ascent(iterations=200, lr=1.0, l2=1e-3, clip=False),
    # yosinski1 without its learning-rate cap: the step adapts to the gradient's scale, for networks
    # whose pixel gradients are far smaller than CaffeNet's (the default digits model's, ~1e-5).
    "progress": Ascent(iterations=300, progress=2.0, max_lr=1e8, blur_radius=0.5, blur_every=4, norm_pct=50),
}


def pre_activation(net, layer, unit):
    """The (layer, unit) whose value a ReLU (and concatenations) pass on as ``unit`` of ``layer``.

    A ReLU's output has no gradient while it is off; its input always has one, equal wherever
    the unit is on. So a unit after a ReLU is pushed through the value before it.
    """
    while net.layers[layer]["type"] in ("relu", "concat"):
        spec = net.layers[layer]
        if spec["type"] == "relu":
            layer = spec["inputs"][0]
            continue
        c = unit[0] if np.ndim(unit) else unit
        for source in spec["inputs"]:
            width = net.shapes[source][0]
            if c < width:
                break
            c -= width
        unit = (c,) + tuple(unit[1:]) if np.ndim(unit) else c
        layer = source
    return layer, unit


def objective_gradient(net, p, step, layer, unit):
    """The unit's activation at the image with pixel-unit offset p, and its gradient in pixel
    units; p and step (float64) and both results on the net's device."""
    def activation(out):
        d, where = unit_gradient(out, unit)
        return out[(0,) + tuple(v for v in where if v is not None)].copy(), d   # a view would keep all of out
    return image_step.gradient(net, p, activation, layer, step)


def regularized_step(p, g, lr, ascent, it):
    """One step of Yosinski et al.'s regularized ascent: p (1, C, H, W), pixel-unit offsets from
    the mean image, on the net's device; g the objective's gradient there (its L2 term included);
    lr the step's size; ascent an Ascent; it the step's index (0-based). In this order:

        p + lr * g                       the ascent step
        times (1 - ascent.decay)         L2 decay
        a Gaussian blur of sigma ascent.blur_radius over H and W (ndimage(p).gaussian_filter),
                                         at the steps where it % ascent.blur_every == 0
        0 where a pixel's norm over its colour channels is below the ascent.norm_pct percentile
        0 where a pixel's contribution |sum over channels of -p g| is below the
                                         ascent.contrib_pct percentile
    (a setting of 0 skips its part). Returns the new p."""
    xp, nd = get_array_module(p), ndimage(p)
    p = (p + lr * g) * (1 - ascent.decay)
    if ascent.blur_every and ascent.blur_radius > 0 and it % ascent.blur_every == 0:
        p = nd.gaussian_filter(p, sigma=(0, 0, ascent.blur_radius, ascent.blur_radius))
    if ascent.norm_pct > 0:
        norms = xp.sqrt((p * p).sum(axis=1, keepdims=True))
        p = p * (norms >= xp.percentile(norms, ascent.norm_pct))
    if ascent.contrib_pct > 0:
        contribution = xp.abs((-p * g).sum(axis=1, keepdims=True))
        p = p * (contribution >= xp.percentile(contribution, ascent.contrib_pct))
    return p


def ascend(net, layer, unit, ascent, seed=0, progress=False, what="class model"):
    """Gradient ascent on the image for one unit (see the module docstring).

    Returns (image (1, C, H, W) in input space, the value pushed at every step, restarts, the
    bytes a step was estimated to need): for a unit after a ReLU the value pushed is the one
    before it (see pre_activation). Refuses, before any step, a pass that would not fit (saying
    ``what`` does not fit).
    """
    memory = image_step.fits(net, layer, what)
    # The image stays on the net's device; each step reads back one bool, whether any gradient
    # reached the image (else it starts again), and the values pushed are read at the end.
    step, low, high = image_step.pixel_units(net.space)
    s = ascent
    rng = np.random.RandomState(seed)
    p = to_device(s.init_std * rng.randn(1, *net.input_shape))   # pixel-unit offset from the mean image
    xp = get_array_module(p)
    history, restarts = [], 0
    for it in progress_bar(range(s.iterations), f"{what} {layer} {unit}", progress):
        dy, dx = (int(v) for v in rng.randint(-s.jitter, s.jitter + 1, size=2)) if s.jitter else (0, 0)
        p = xp.roll(p, (dy, dx), axis=(2, 3))
        value, g = objective_gradient(net, p, step, layer, unit)
        history.append(value)
        g = g - 2 * s.l2 * p
        norm2 = (g * g).sum()
        if norm2 == 0:
            # The unit sits behind ReLUs that are all off here: no gradient at all. Start again
            # from stronger noise (each restart counts as a step), or give up.
            restarts += 1
            if restarts > MAX_RESTARTS:
                break
            p = to_device(2.0 ** restarts * rng.randn(*p.shape))
            if s.clip:
                p = xp.clip(p * step, low, high) / step
            continue
        lr = xp.minimum(s.max_lr, s.progress / norm2) if s.progress > 0 else s.lr
        p = regularized_step(p, g, lr, s, it)
        p = xp.roll(p, (-dy, -dx), axis=(2, 3))
        if s.clip:
            p = xp.clip(p * step, low, high) / step
    return to_numpy(p * step), to_floats(history), restarts, memory


def centre_unit(net, layer, unit):
    """A channel of a map layer is pushed at the centre of its map (as in Yosinski et al.)."""
    shape = net.shapes[layer]
    if np.ndim(unit) == 0 and len(shape) == 3 and shape[1] * shape[2] > 1:
        return (int(unit), shape[1] // 2, shape[2] // 2)
    return unit


def class_model(net, layer, unit, settings="yosinski3", seed=0, progress=False, history=None, param=None,
                **overrides):
    """Gradient ascent on the image for one unit. Returns the image (1, C, H, W) in input space.

    layer, unit: e.g. (score layer, class index), or ("conv5_3", 12): a channel of a conv layer
    is pushed at the centre of its map (as in Yosinski et al.), or give (c, y, x).
    settings: a PRESETS name or an Ascent; keyword overrides replace single fields.
    param: "pixel" or "fourier" for feature visualization instead (feature_vis.render, with
    Lucid's transforms; overrides: render's steps, lr, robust).
    history: a list to append the pushed value to at every step (the ClassModel result of
    ``run`` holds it too).
    """
    if param is not None:
        from . import feature_vis
        r = feature_vis.render(net, feature_vis.unit_objective(net, layer, unit), param, seed=seed,
                               progress=progress, **overrides)
        if history is not None:
            history.extend(r.values)
        return r.images[:1]
    ascent = resolve_ascent(settings, **overrides)
    pushed_layer, pushed_unit = pre_activation(net, layer, centre_unit(net, layer, unit))
    image, values, _, _ = ascend(net, pushed_layer, pushed_unit, ascent, seed, progress)
    if history is not None:
        history.extend(values)
    return image


def resolve_ascent(settings, **overrides):
    """A PRESETS name or an Ascent, with single fields replaced."""
    s = PRESETS[settings] if isinstance(settings, str) else settings
    return replace(s, **overrides) if overrides else s


def settings_dict(settings, **overrides):
    return asdict(resolve_ascent(settings, **overrides))


@dataclass(frozen=True)
class Settings(technique.Settings):
    # Two ways of optimizing: the caller's choice of one drops a model's defaults for the other;
    # without one, the first the model names is used.
    exclusive = ((("param", "l1"), ("preset",)),)
    target: object = option(None, "the class to visualize: index or (part of) a name (or give --unit instead)",
                            kind="target")
    layer: str = option(None, "layer of the unit (default: the class scores)", kind="str")
    unit: object = option(None, "unit of --layer: channel (pushed at the centre of its map) or 'c,y,x'", kind="unit")
    preset: str = option(None, "regularization of Yosinski et al. 2015, Table 1, plain Simonyan ascent, or "
                               "progress (default yosinski3)",
                         kind="str", choices=tuple(PRESETS))
    iterations: int = option(None, "steps (default: the preset's: yosinski1 500, yosinski2 750, yosinski3 and "
                                   "yosinski4 1000, simonyan 200, progress 300)", kind="int", ge=1, le=100_000)
    jitter: int = option(0, "random shift of up to this many pixels per step", ge=0, le=64)
    seed: int = option(0, "seed for jitter and restarts", ge=0, le=2**32 - 1)
    param: str = option(None, "feature visualization (Olah et al. 2017): Adam on the pixels behind a sigmoid, or "
                        "on a 1/f Fourier spectrum with decorrelated colours (feature_vis.py); not given: "
                        "Yosinski's ascent (--preset)", kind="str", choices=PARAMS)
    robust: str = option(None, "with --param: pad, jitter, scale and rotate the image at random before each "
                         "step (Lucid's transforms; default on)", kind="str", choices=("on", "off"))
    batch: int = option(1, "with --param: images optimized together", ge=1, le=64)
    diversity: float = option(0.0, "with --param and --batch: weight of the term that pushes the images' Gram "
                              "matrices apart (Lucid uses 100)", ge=0, le=1e6)
    lr: float = option(0.05, "with --param: Adam's learning rate", gt=0, le=10)
    l1: float = option(None, "with --param: weight of a prior that pulls every pixel towards the dataset's mean "
                       "colour (Lucid's L1 on the input; the digits model uses 0.1)", kind="float", ge=0, le=1e6)

    def check(self):
        if self.param is not None and self.preset is not None:
            raise ArgumentError("classviz: --preset is Yosinski's ascent on the pixels, --param the feature "
                                "visualization: give one")
        if self.preset is not None:
            self.feature_vis_only()
        if self.target is not None and self.layer is not None:
            raise ArgumentError("classviz: --target is a class of the class scores; for a unit of --layer give "
                                "--unit (a channel or 'c,y,x')")
        if (self.target is None) == (self.unit is None):
            raise ArgumentError("classviz: give either --target (a class) or --unit (of --layer, default the "
                                "class scores), not " + ("neither" if self.target is None else "both"))

    def feature_vis_only(self, why=""):
        """Refuse the feature visualization's options on Yosinski's ascent."""
        if self.batch > 1 or self.diversity or self.l1 or self.robust is not None:
            raise ArgumentError("classviz: --batch, --diversity, --l1 and --robust go with --param pixel or "
                                "fourier" + why)

    def ascent(self, preset):
        overrides = {"iterations": self.iterations} if self.iterations else {}
        return resolve_ascent(preset, **overrides, **({"jitter": self.jitter} if self.jitter else {}))


DEFAULT_PRESET = "yosinski3"


@dataclass(frozen=True, kw_only=True)
class ClassModel(technique.Result):
    x: np.ndarray              # (1, C, H, W) the image found, in input space
    layer: str
    unit: object               # the unit pushed: a class index, a channel or (c, y, x)
    target: ClassRef           # the class, when the unit is a class score (else None)
    pushed: dict               # {"layer", "unit"}: for a unit after a ReLU, the value before it
    preset: str                # the preset used
    ascent: Ascent             # every setting of the ascent actually used
    history: list              # the pushed value (feature visualization: the whole objective) at every step
    start_value: float         # the pushed value on the first image, at the start and the end
    final_value: float
    restarts: int              # restarts from noise when no gradient reached the image
    memory: int                # bytes a step was estimated to need (memory.py)
    images: np.ndarray = None  # (N, C, H, W) every image of a --batch (x is the first; x itself without one)
    param: str = None          # feature visualization's parameterization, or None (Yosinski's ascent)
    robust: bool = False       # feature visualization's transforms

    def summary(self):
        what = self.target.name if self.target else f"{self.layer} unit {self.unit}"
        n = len(self.history)
        return f"a step used about {self.memory / 2**20:,.1f} MiB; {what}: activation {self.start_value:.3g} -> {self.final_value:.3g} in {n} step{'s' * (n != 1)}"


def run(net, x, settings):
    layer = net.arch.check_layer(settings.layer, "classviz") if settings.layer else score_layer(net)
    unit = settings.unit if settings.unit is not None else resolve_target(net, settings.target)
    is_class = layer == score_layer(net) and np.ndim(unit) == 0
    unit = resolve_target(net, unit) if is_class else net.arch.check_unit(layer, unit, "classviz")
    unit = centre_unit(net, layer, unit)
    pushed_layer, pushed_unit = pre_activation(net, layer, unit)
    if settings.param is not None:
        return _feature_visualization(net, settings, layer, unit, is_class, pushed_layer, pushed_unit)
    settings.feature_vis_only(f" ({net.meta.get('name') or 'this model'}'s default is Yosinski's ascent)")
    preset = settings.preset or DEFAULT_PRESET
    ascent = settings.ascent(preset)
    image, history, restarts, memory = ascend(net, pushed_layer, pushed_unit, ascent, settings.seed, progress=None,
                                              what="classviz")
    return ClassModel(settings=settings, x=image, layer=layer, unit=unit,
                      target=class_ref(net, unit) if is_class else None,
                      pushed={"layer": pushed_layer, "unit": pushed_unit}, preset=preset, ascent=ascent,
                      history=history,
                      start_value=history[0], final_value=history[-1], restarts=restarts, memory=memory,
                      images=image)


FEATURE_VIS_STEPS = 512        # Lucid's and Lucent's render_vis default


def _feature_visualization(net, settings, layer, unit, is_class, pushed_layer, pushed_unit):
    """classviz with --param: feature_vis.render on the unit (a channel: its mean over the map,
    as Olah et al. do, not its centre), with the diversity term when asked."""
    from . import feature_vis
    target_unit = pushed_unit[0] if np.ndim(pushed_unit) and settings.unit is not None and np.ndim(settings.unit) == 0 \
        else pushed_unit
    objective = pushed = feature_vis.unit_objective(net, pushed_layer, target_unit)
    if settings.diversity and settings.batch > 1:
        objective = objective - settings.diversity * feature_vis.diversity(pushed_layer)
    if settings.l1:                         # None or 0: none
        objective = objective - settings.l1 * feature_vis.l1(mean_colour(net.space))
    robust = settings.robust != "off"
    r = feature_vis.render(net, objective, settings.param, robust, settings.iterations or FEATURE_VIS_STEPS,
                           settings.lr, settings.batch, settings.seed, progress=None, measure=pushed)
    return ClassModel(settings=settings, x=r.images[:1], layer=layer, unit=unit,
                      target=class_ref(net, unit) if is_class else None,
                      pushed={"layer": pushed_layer, "unit": target_unit}, preset=None, ascent=None,
                      history=r.values, start_value=r.measured[0], final_value=r.measured[1], restarts=0,
                      memory=r.memory,
                      images=r.images, param=settings.param, robust=robust)
