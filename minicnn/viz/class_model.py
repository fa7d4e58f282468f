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
from scipy.ndimage import gaussian_filter
from tqdm import tqdm

from ..backend import to_device, to_numpy
from .targets import unit_gradient


@dataclass(frozen=True)
class Settings:
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
    "yosinski1": Settings(iterations=500, progress=2.0, max_lr=100.0, blur_radius=0.5, blur_every=4, norm_pct=50),
    "yosinski2": Settings(iterations=750, lr=100.0, decay=0.3, norm_pct=20),
    "yosinski3": Settings(iterations=1000, lr=100.0, decay=0.0001, blur_radius=1.0, blur_every=4),
    "yosinski4": Settings(iterations=1000, progress=2.0, max_lr=1e8, blur_radius=0.5, blur_every=4, contrib_pct=90),
    "simonyan": Settings(iterations=200, lr=1.0, l2=1e-3, clip=False),
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
    """The unit's activation at the image with pixel-unit offset p, and its gradient in pixel units."""
    x = to_device(p * step, net.dtype)
    out = net.forward(x, end=layer)
    d, where = unit_gradient(out, unit)
    value = float(to_numpy(out[(0,) + tuple(v for v in where if v is not None)]))
    with net.relu_mode("backprop"):
        g = to_numpy(net.backward(d)) * step
    return value, g


def class_model(net, layer, unit, settings="yosinski3", seed=0, progress=False, history=None, **overrides):
    """Gradient ascent on the image for one unit. Returns the image (1, 3, H, W) in input space.

    layer, unit: e.g. (score layer, class index), or ("conv5_3", 12): a channel of a conv layer
    is pushed at the centre of its map (as in Yosinski et al.), or give (c, y, x).
    settings: a PRESETS name or a Settings; keyword overrides replace single fields.
    history: a list to append the pushed value to at every step (for a unit after a ReLU, the
    value before it: see pre_activation).
    """
    s = PRESETS[settings] if isinstance(settings, str) else settings
    s = replace(s, **overrides) if overrides else s
    shape = net.shapes[layer]
    if np.ndim(unit) == 0 and len(shape) == 3 and shape[1] * shape[2] > 1:
        unit = (int(unit), shape[1] // 2, shape[2] // 2)
    layer, unit = pre_activation(net, layer, unit)
    space = net.space
    step = space.pixel_step() if space is not None else np.ones((1, 3, 1, 1))
    low, high = (space.bounds() if space is not None else (None, None))
    rng = np.random.RandomState(seed)
    p = s.init_std * rng.randn(1, 3, *net.input_shape[1:])  # pixel-unit offset from the mean image
    restarts = 0
    for it in tqdm(range(s.iterations), desc=f"{layer} {unit}", disable=not progress):
        dy, dx = rng.randint(-s.jitter, s.jitter + 1, size=2) if s.jitter else (0, 0)
        p = np.roll(p, (dy, dx), axis=(2, 3))
        value, g = objective_gradient(net, p, step, layer, unit)
        if history is not None:
            history.append(value)
        g = g - 2 * s.l2 * p
        norm2 = float((g * g).sum())
        if norm2 == 0:
            # The unit sits behind ReLUs that are all off here: no gradient at all. Start again
            # from stronger noise (each restart counts as a step), or give up.
            restarts += 1
            if restarts > MAX_RESTARTS:
                break
            p = 2.0 ** restarts * rng.randn(*p.shape)
            if s.clip and space is not None:
                p = np.clip(p * step, low, high) / step
            continue
        lr = min(s.max_lr, s.progress / norm2) if s.progress > 0 else s.lr
        p = p + lr * g
        p *= 1 - s.decay
        if s.blur_every and s.blur_radius > 0 and it % s.blur_every == 0:
            p = gaussian_filter(p, sigma=(0, 0, s.blur_radius, s.blur_radius))
        if s.norm_pct > 0:
            norms = np.sqrt((p * p).sum(axis=1, keepdims=True))
            p = p * (norms >= np.percentile(norms, s.norm_pct))
        if s.contrib_pct > 0:
            contribution = np.abs((-p * g).sum(axis=1, keepdims=True))
            p = p * (contribution >= np.percentile(contribution, s.contrib_pct))
        p = np.roll(p, (-dy, -dx), axis=(2, 3))
        if s.clip and space is not None:
            p = np.clip(p * step, low, high) / step
    return p * step


def settings_dict(settings, **overrides):
    s = PRESETS[settings] if isinstance(settings, str) else settings
    return asdict(replace(s, **overrides) if overrides else s)
