"""Deletion and insertion (Petsiuk, Das & Saenko 2018, "RISE", section 4.2): does an attribution
map name the pixels the network really uses?

Take the pixels in the map's order, most important first, and move them, a chunk at a time,
from one image to another while watching the class's probability:

    deletion    from the image toward a substitute: a faithful map makes the probability
                fall at once, so the area under the curve is small (lower is better)
    insertion   from the substitute toward the image: the probability should rise at once,
                so the area is large (higher is better)

The substitute is the model's mean image (0 in its input space) or the image blurred; RISE
deletes toward a constant and inserts into a blurred canvas, the defaults here. A map is
only as good as it beats the floor: random orders of the same pixels, on the same images.

    order = order_of(absolute_map(a))                 # (H*W,) pixel indices, most important first
    p = curve(net, x, substitute(x, "mean"), order, c, steps=28)   # (29,) deletion curve
    area(p)                                           # in [0, 1]

The technique runs every attribution method (attribution.py) on a set of images (the image
given, then the first of the model's own, or of a folder), each for its own predicted class, and
ranks the methods by their mean insertion area minus deletion area.
"""
from dataclasses import dataclass

import numpy as np

from ..backend import to_numpy
from ..errors import ArgumentError
from ..memory import check_batch_fits
from ..progress import progress_bar
from ..settings import option
from . import technique
from .attribution import METHODS, absolute_map, attribute, method_list, signed_map
from .image_set import image_list, load
from .targets import class_ref, explained, probabilities, resolve_target, score_layer

SUBSTITUTES = ("mean", "blur")
DEFAULT_TOWARD = {"deletion": "mean", "insertion": "blur"}      # RISE's choices
# Methods whose maps are each pixel's share of the score: ranked by the signed share, evidence
# for the class first (a large negative share is evidence against it, and deleting it early would
# raise the probability). The others are sensitivities, whose sign says only which way a change
# moves the score: ranked by magnitude.
CONTRIBUTIONS = ("gradient-input", "integrated-gradients", "gradcam", "lrp")
RANKS = ("auto", "absolute", "signed")
RANDOM = "random"                # the floor's key among the methods' curves and areas


# ---- the measure ------------------------------------------------------------------------------

def order_of(importance):
    """(H*W,) pixel indices of an (H, W) importance map, most important first; equal values in
    index order (a stable sort), so the same map always gives the same order."""
    return np.argsort(-np.asarray(importance, np.float64).ravel(), kind="stable")


def random_order(hw, seed):
    """A random permutation of hw pixel indices (seed: an int or a sequence of ints)."""
    return np.random.RandomState(seed).permutation(hw)


def substitute(x, toward, sigma=None):
    """What the pixels are replaced by, (1, C, H, W) like x: "mean" the model's mean image (0 in
    input space), "blur" x blurred by a Gaussian of standard deviation ``sigma`` pixels (default
    a tenth of the shorter side) in each channel."""
    x = np.asarray(to_numpy(x), np.float64)
    if toward == "mean":
        return np.zeros_like(x)
    if toward == "blur":
        from scipy.ndimage import gaussian_filter
        sigma = default_sigma(x.shape[2:]) if sigma is None else sigma
        return gaussian_filter(x, sigma=(0, 0, sigma, sigma), mode="nearest")     # within each channel only
    raise ArgumentError(f"substitute: {toward!r} is not one of {', '.join(SUBSTITUTES)}")


def default_sigma(hw):
    return min(hw) / 10


def moved_counts(hw, steps):
    """(steps + 1,) how many pixels have moved at each point: 0, about hw/steps, ..., hw."""
    return np.rint(np.linspace(0, hw, steps + 1)).astype(int)


def curve(net, start, end, order, c, steps, batch=64):
    """(steps + 1,) probability of class c as the pixels move, in ``order`` (H*W,) and in ``steps``
    equal chunks, from ``start`` to ``end`` (1, C, H, W), all channels of a pixel together: point
    k has the first k/steps of the order taken from ``end``, the rest from ``start``.
    Deletion: start x, end the substitute; insertion: the other way round."""
    start, end = np.asarray(to_numpy(start), np.float64), np.asarray(to_numpy(end), np.float64)
    _, _, H, W = start.shape
    order = np.asarray(order)
    if not np.array_equal(np.sort(order), np.arange(H * W)):
        raise ValueError(f"curve: order must be a permutation of the {H * W} pixel indices")
    place = np.empty(H * W, int)
    place[order] = np.arange(H * W)                      # each pixel's place in the order
    counts = moved_counts(H * W, steps)
    p = np.empty(steps + 1)
    for first in range(0, steps + 1, batch):
        k = counts[first:first + batch]
        moved = (place[None] < k[:, None]).reshape(len(k), 1, H, W)
        p[first:first + len(k)] = probabilities(net, np.where(moved, end, start))[:, c]
    return p


def area(curve, fractions=None):
    """The area under a curve over [0, 1] by the trapezoid rule; its points at ``fractions``
    (default: equally spaced)."""
    curve = np.asarray(curve, np.float64)
    fractions = np.linspace(0, 1, len(curve)) if fractions is None else np.asarray(fractions, np.float64)
    trapezoid = getattr(np, "trapezoid", None) or np.trapz          # NumPy 2 renamed trapz
    return float(trapezoid(curve, fractions))


def importance(a, method, rank="auto"):
    """(H, W) what a method's (C, H, W) attribution says of each pixel, to order them by:
    rank "signed" the signed map, "absolute" its magnitude, "auto" signed for CONTRIBUTIONS."""
    signed = rank == "signed" or (rank == "auto" and method in CONTRIBUTIONS)
    return signed_map(a) if signed else absolute_map(a)


# ---- the technique ----------------------------------------------------------------------------

@dataclass(frozen=True)
class Settings(technique.Settings):
    target: object = option(None, "class index or (part of) a class name (default: each image's predicted class)",
                            kind="target")
    methods: str = option(None, f"attribution methods, comma-separated (default: all: {', '.join(METHODS)})",
                          kind="str")
    images: str = option(None, "a folder of images, or image files comma-separated, to add to the image given "
                               "(default: the images stored with the model, if any)", kind="str")
    n: int = option(8, "images in all: the one given, then the first of the set", ge=1, le=10_000)
    steps: int = option(None, "chunks the pixels move in (default: the image's shorter side, at most 50: "
                              "28 at 28x28)", kind="int", ge=1)
    toward: str = option(None, "the substitute for both curves: mean (the mean image) or blur (the image "
                               "blurred); default: deletion toward mean, insertion from blur, as RISE",
                         kind="str", choices=SUBSTITUTES)
    sigma: float = option(None, "the blur's standard deviation, pixels (default: a tenth of the shorter side)",
                          kind="float", gt=0)
    rank: str = option("auto", "order pixels by the signed map, its magnitude, or auto: signed for shares of the "
                               "score (gradient x input, Integrated Gradients, Grad-CAM, LRP), magnitude for "
                               "gradients", choices=RANKS)
    seeds: int = option(3, "random orders per image for the floor", ge=1, le=100)
    quick: bool = option(False, "fewer SmoothGrad samples and Integrated Gradients steps")
    seed: int = option(0, "seed for the random orders and SmoothGrad's noise", ge=0, le=2**32 - 1)
    batch: int = option(64, "images per forward pass", ge=1, le=4096)

    def check(self):
        self.method_list()

    def method_list(self, net=None):
        """The methods asked for, in the order given, each once (all that net can show: None)."""
        return list(method_list(self.methods, net))


@dataclass(frozen=True, kw_only=True)
class Faithfulness(technique.Result):
    x: np.ndarray              # (1, C, H, W) the image given, in input space
    fractions: np.ndarray      # (steps + 1,) share of the pixels moved at each point, 0 to 1
    deletion: dict             # {method: (steps + 1,) probability of the class, mean over the images}, and "random"
    insertion: dict
    deletion_area: dict        # {method: mean area under its deletion curve}, "random" too: lower is better
    insertion_area: dict       # {method: mean area under its insertion curve}: higher is better
    per_image: dict            # {method: {"deletion": [area per image], "insertion": [...]}}
    targets: list              # the class explained in each image (ClassRef)
    images_used: int
    steps: int
    toward: dict               # {"deletion": what the pixels become, "insertion": what they start as}
    sigma: float               # the blur's standard deviation, pixels (where a curve uses the blur)

    def ranking(self):
        """The methods and the floor, best first: by insertion area minus deletion area."""
        return sorted(self.deletion_area, key=lambda m: self.deletion_area[m] - self.insertion_area[m])

    def summary(self):
        classes = sorted({t.index for t in self.targets})
        head = (f"deletion (toward {self.toward['deletion']}) and insertion (from {self.toward['insertion']}) "
                f"over {self.images_used} image{'s' * (self.images_used > 1)} (class "
                f"{', '.join(map(str, classes))}), {self.steps} steps; areas, ranked by insertion - deletion:")
        names = {m: m + " (floor)" if m == RANDOM else m for m in self.deletion_area}
        width = max(map(len, names.values()))
        lines = [head]
        for m in self.ranking():
            inserted, deleted = self.insertion_area[m], self.deletion_area[m]
            lines.append(f"  {names[m]:<{width}}  insertion {inserted:.3f}  deletion {deleted:.3f}  "
                         f"difference {inserted - deleted:+.3f}")
        return "\n".join(lines)


def deletion_insertion(net, xs, settings, progress=False):
    """The deletion and insertion curves of every method of ``settings`` on each image of xs (a
    list of (1, C, H, W) input-space images), each for its own class; see the module docstring."""
    methods = settings.method_list(net)
    H, W = net.input_shape[1:]
    steps = settings.steps or min(H, W, 50)
    if steps > H * W:
        raise ArgumentError(f"deletion: steps ({steps}) is more than the image's {H * W} pixels")
    check_batch_fits(net, score_layer(net), min(settings.batch, steps + 1), "deletion")
    toward = {k: settings.toward or v for k, v in DEFAULT_TOWARD.items()}
    sigma = settings.sigma or default_sigma((H, W))
    fractions = moved_counts(H * W, steps) / (H * W)
    fixed = None if settings.target is None else resolve_target(net, settings.target)
    curves = {m: {"deletion": [], "insertion": []} for m in methods + [RANDOM]}
    targets = []

    def both(x, order, c, erased, canvas):
        """(deletion curve, insertion curve) of one order on one image."""
        return (curve(net, x, erased, order, c, steps, settings.batch),
                curve(net, canvas, x, order, c, steps, settings.batch))

    with progress_bar(desc="deletion", progress=progress, total=len(xs) * (len(methods) + 1), unit="maps") as bar:
        for i, x in enumerate(xs):
            x = np.asarray(to_numpy(x))
            c = explained(net, x, fixed)[0]
            targets.append(class_ref(net, c))
            erased, canvas = (substitute(x, toward[k], sigma) for k in ("deletion", "insertion"))
            for m in methods:
                a = attribute(net, x, m, c, quick=settings.quick, seed=settings.seed)
                found = both(x, order_of(importance(a, m, settings.rank)), c, erased, canvas)
                for kind, p in zip(("deletion", "insertion"), found):
                    curves[m][kind].append(p)
                bar.update(1)
            floor = [both(x, random_order(H * W, [settings.seed, i, s]), c, erased, canvas)
                     for s in range(settings.seeds)]
            for kind, runs in zip(("deletion", "insertion"), zip(*floor)):     # one curve per image
                curves[RANDOM][kind].append(np.mean(runs, axis=0))
            bar.update(1)
    per_image = {m: {k: [area(p, fractions) for p in v] for k, v in kinds.items()} for m, kinds in curves.items()}
    return Faithfulness(
        settings=settings, x=np.asarray(to_numpy(xs[0])), fractions=fractions,
        deletion={m: np.mean(v["deletion"], axis=0) for m, v in curves.items()},
        insertion={m: np.mean(v["insertion"], axis=0) for m, v in curves.items()},
        deletion_area={m: float(np.mean(v["deletion"])) for m, v in per_image.items()},
        insertion_area={m: float(np.mean(v["insertion"])) for m, v in per_image.items()},
        per_image=per_image, targets=targets, images_used=len(xs), steps=steps, toward=toward, sigma=float(sigma))


def image_set(net, x, images=None, n=8):
    """The images to measure on: x (1, C, H, W) first, then the first images of ``images`` (a
    folder or files; default: the images stored with the model, none if it has none) up to n in
    all, leaving out a copy of x."""
    xs = [] if x is None else [np.asarray(to_numpy(x))]
    if images is None and net.samples is None:
        if x is None:
            raise ArgumentError("deletion: give an image or images; this model stores none")
        return xs
    for item in image_list(net, images, who="deletion"):
        if len(xs) >= n:
            break
        im = load(net, item)
        if x is None or not np.array_equal(im, xs[0]):
            xs.append(im)
    return xs


def run(net, x, settings):
    return deletion_insertion(net, image_set(net, x, settings.images, settings.n), settings, progress=None)
