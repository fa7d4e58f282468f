"""t-SNE of codes (van der Maaten & Hinton 2008; the lecture's embedding of CNN codes): what the
network thinks is near what.

The code of an image is its activation at one layer (by default the one before the classifier,
VGG's relu7: 4,096 numbers). t-SNE (scikit-learn's) places the codes of a set of images in the
plane so that images with similar codes land close together. The picture shows the points
coloured by class, and the images themselves snapped to a grid: every image gets one cell, the
cells chosen to keep the embedding's layout (a linear assignment, scipy's).
"""
import contextlib
import io
import re
from dataclasses import dataclass, replace

import numpy as np

from ..backend import to_device, to_numpy
from ..errors import ArgumentError
from ..memory import check_batch_fits
from ..progress import progress_bar
from ..settings import option
from . import technique
from .targets import score_layer
from .image_set import image_list, load

MAX_CODE = 4096            # larger map codes are averaged over positions (one number per channel)
MAX_POINTS = 5000          # the grid's assignment costs N x N numbers (200 MB here) and O(N^3) time


@dataclass(frozen=True)
class Settings(technique.Settings):
    images: str = option(None, "a folder of images, or image files comma-separated (default: the images stored "
                               "with the model)", kind="str")
    layer: str = option(None, "the layer whose activations are the codes (default: the one before the classifier)",
                        kind="str")
    crops: int = option(0, "use this many random crops of each image (a few photos become many points)", ge=0,
                        le=10_000)
    perplexity: float = option(30.0, "t-SNE's perplexity: roughly, how many neighbours each point has", gt=1, le=200)
    seed: int = option(0, "seed for the crops and t-SNE", ge=0, le=2**32 - 1)


@dataclass(frozen=True, kw_only=True)
class Embedding(technique.Result):
    points: np.ndarray         # (N, 2) the t-SNE embedding
    cells: np.ndarray          # (N,) each image's cell in a side x side grid, row-major, all different
    thumbnails: np.ndarray     # (N, h, w, 3) uint8: the images, small
    labels: np.ndarray         # (N,) each image's class: its label where the images carry labels, else predicted
    predicted: np.ndarray      # (N,) the class the network gives each image
    layer: str
    code_size: int             # numbers per code
    averaged: bool             # the codes are maps averaged over positions
    side: int                  # the grid's side
    labelled: bool             # labels are the images' own (True) or predictions (False)
    perplexity: float          # the perplexity used: the one asked for, or less for few points (perplexity_for)
    points_used: int           # images times crops (files that are not images are skipped)
    class_names: list

    def summary(self):
        what = "their labels" if self.labelled else "the predicted classes"
        agree = f"; {100 * (self.labels == self.predicted).mean():.1f} % predicted as labelled" if self.labelled \
            else ""
        lowered = self.perplexity < self.settings.perplexity
        return (f"t-SNE of {len(self.points)} codes of {self.layer} ({self.code_size} numbers"
                f"{', averaged over positions' if self.averaged else ''}), perplexity {self.perplexity:.3g}"
                f"{' (at most (N - 1) / 3 for N points)' if lowered else ''}, coloured by {what}{agree}")


def default_layer(net):
    """The layer before the classifier (the last layer with weights on the way to the scores, VGG's
    fc8, SqueezeNet's conv10): the last ReLU or concatenation that feeds it (relu7, fire9/concat)."""
    scores = score_layer(net)
    path = net.arch.ancestors[scores] | {scores}
    classifier = [n for n in net.layer_names if n in path and n in net.param_shapes][-1]
    before = [n for n in net.layer_names if n in net.arch.ancestors[classifier]
              and net.layers[n]["type"] in ("relu", "concat")]
    return before[-1] if before else classifier


def codes(net, images, layer, batch=32, progress=False):
    """The codes of ``layer`` for a list of images (image_list): (N, D), whether map codes were
    averaged over positions (when they have more than MAX_CODE numbers), and the class the
    network predicts for each image (N,), from the same forward passes."""
    shape, scores = net.shapes[layer], score_layer(net)
    average = len(shape) == 3 and int(np.prod(shape)) > MAX_CODE
    check_batch_fits(net, scores, min(batch, len(images)), "codes", keep=(layer,))
    out, predicted = [], []
    with progress_bar(desc="codes", progress=progress, total=len(images), unit="images") as bar:
        for start in range(0, len(images), batch):
            x = np.concatenate([load(net, im) for im in images[start:start + batch]])
            s = to_numpy(net.forward(to_device(x, net.dtype), end=scores, keep=(layer,)))
            f = to_numpy(net.outputs[layer]).astype(np.float64)
            out.append(f.mean(axis=(2, 3)) if average else f.reshape(len(f), -1))
            predicted.append(s.reshape(len(s), -1).argmax(axis=1))
            bar.update(len(x))
    return np.concatenate(out), average, np.concatenate(predicted)


def perplexity_for(n, perplexity):
    """The perplexity t-SNE can use for n points: the one asked for, at most (n - 1) / 3
    (scikit-learn needs fewer than n neighbours, and takes 3 x perplexity of them)."""
    return min(perplexity, (n - 1) / 3)


TSNE_ITERATIONS = 1000        # scikit-learn's default


def tsne(codes, perplexity=30.0, seed=0, progress=False):
    """(N, D) codes -> (N, 2) t-SNE embedding (scikit-learn), with perplexity_for(N, perplexity).
    progress: a bar over its iterations, read from the lines scikit-learn prints every 50."""
    from sklearn.manifold import TSNE
    n = len(codes)
    if n < 5:
        raise ArgumentError(f"t-SNE needs at least 5 images, got {n} (--crops N takes N random crops of each)")
    if not np.isfinite(codes).all():
        raise ArgumentError("t-SNE: the codes hold NaN or inf (are the model's weights sane?)")
    # Equal up to rounding: the same image at another place in a batch may round differently
    # (the Winograd path works on all of a batch's tiles in one product).
    if np.ptp(codes, axis=0).max() <= 1e-6 * np.abs(codes).max():
        raise ArgumentError(f"t-SNE: all {n} codes are the same (the same image given {n} times?); there is "
                            "nothing to lay out")
    model = TSNE(n_components=2, perplexity=perplexity_for(n, perplexity), init="pca", random_state=seed,
                 learning_rate="auto", max_iter=TSNE_ITERATIONS, verbose=2 if progress is not False else 0)
    with progress_bar(desc="t-SNE", progress=progress, total=TSNE_ITERATIONS) as bar, \
            contextlib.redirect_stdout(_Iterations(bar)):
        return model.fit_transform(codes)


class _Iterations(io.TextIOBase):
    """Where scikit-learn's verbose t-SNE prints: "Iteration 150: ..." moves the bar to 150."""

    def __init__(self, bar):
        self.bar = bar

    def write(self, text):
        for done in re.findall(r"Iteration (\d+):", text):
            self.bar.update(int(done) - self.bar.n)
        return len(text)


def grid_cells(points):
    """Each point's cell in a side x side grid (side = ceil(sqrt(N))), every cell used at most
    once, so that the total squared distance from points to their cells is least."""
    from scipy.optimize import linear_sum_assignment
    n = len(points)
    side = int(np.ceil(np.sqrt(n)))
    span = np.ptp(points, axis=0)
    unit = (points - points.min(axis=0)) / np.where(span > 0, span, 1)         # into [0, 1]^2
    centres = (np.stack(np.meshgrid(np.arange(side), np.arange(side), indexing="ij"), -1).reshape(-1, 2) + 0.5) / side
    at = np.stack([1 - unit[:, 1], unit[:, 0]], axis=1)        # (row, col) of each point, y up as in a plot
    cost = ((at[:, None] - centres[None]) ** 2).sum(axis=2)
    rows, cells = linear_sum_assignment(cost)
    out = np.empty(n, int)
    out[rows] = cells
    return out, side


def embed(net, images=None, layer=None, crops=0, perplexity=30.0, seed=0, progress=False):
    """The t-SNE picture's data for a set of images; see the module docstring."""
    labels = None
    if images is None and net.samples is not None:
        labels = np.repeat(net.samples.labels, crops) if crops else net.samples.labels     # crops come per image
    items = image_list(net, images, crops, seed, who="tsne")
    if len(items) > MAX_POINTS:
        raise ArgumentError(f"tsne: {len(items):,} images (with their crops) is more than the {MAX_POINTS:,} the grid "
                            "of thumbnails can place; use fewer images or crops")
    layer = default_layer(net) if layer is None else net.arch.check_layer(layer, "tsne")
    data, averaged, predicted = codes(net, items, layer, progress=progress)
    points = tsne(data, perplexity, seed, progress=progress)
    cells, side = grid_cells(points)
    from PIL import Image
    thumbs = np.stack([np.asarray(Image.fromarray(net.space.deprocess(load(net, im))).resize((32, 32), Image.BILINEAR))
                       for im in progress_bar(items, "thumbnails", progress, unit="images")])
    return Embedding(settings=Settings(crops=crops, perplexity=perplexity, seed=seed), points=points, cells=cells,
                     thumbnails=thumbs, labels=predicted if labels is None else labels, predicted=predicted,
                     layer=layer, code_size=data.shape[1], averaged=averaged, side=side, labelled=labels is not None,
                     perplexity=perplexity_for(len(items), perplexity), points_used=len(items),
                     class_names=[net.class_name(c) for c in range(_classes(net))])


def _classes(net):
    return int(np.prod(net.shapes[score_layer(net)]))


def run(net, x, settings):
    r = embed(net, settings.images, settings.layer, settings.crops, settings.perplexity, settings.seed,
              progress=None)
    return replace(r, settings=settings)
