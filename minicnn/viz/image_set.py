"""A set of images for the techniques that look at many (top patches, t-SNE of codes): a folder,
a list of files or ``sample:INDEX`` names, arrays, or the images stored with the model, each
optionally as random crops.

    items = image_list(net, "photos/", crops=20)      # 20 crop descriptions per photo, nothing loaded
    x = load(net, items[7])                           # (1, C, H, W) in input space, made on demand

Items are light (a file name, an array, or a Crop that says how to cut one), so a list of many
thousands costs little memory and can be sent to worker processes; pixels are made in load().
"""
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from ..errors import ArgumentError

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tif", ".tiff", ".webp")
MAX_ITEMS = 1_000_000          # images and crops in one set (each costs a little memory before it is loaded)


@dataclass(frozen=True)
class Crop:
    """The ``index``-th random crop of ``source`` (an image name or an input-space array), drawn
    by its own random stream (seed, source number, index): the same crop in every process."""
    source: object
    stream: tuple


def image_list(net, images, crops=0, seed=0, who="top patches"):
    """The images as a list the techniques index: file or sample names, input-space arrays
    (1, C, H, W), or with crops > 0 that many Crops of each. ``who`` names the caller in errors."""
    items = _sources(net, images, who)
    if crops and len(items) * crops > MAX_ITEMS:
        raise ArgumentError(f"{who}: {len(items)} images x {crops} crops is more than {MAX_ITEMS:,} inputs; "
                            "use fewer crops")
    if not crops:
        return items
    return [Crop(item, (seed, i, j)) for i, item in enumerate(items) for j in range(crops)]


def _sources(net, images, who):
    if images is None:
        if net.samples is None:
            raise ArgumentError(f"{who}: give images (a folder or files); this model stores none")
        return [net.space.preprocess(im) for im in net.samples.images]
    if isinstance(images, np.ndarray):
        return list(images[:, None]) if images.ndim == 4 else [images]
    if isinstance(images, (str, Path)):
        if Path(images).is_dir():
            return [str(p) for p in image_files(images, who)]
        images = [p.strip() for p in str(images).split(",") if p.strip()]
    items = [im if isinstance(im, np.ndarray) else str(im) for im in images]
    if not items:
        raise ArgumentError(f"{who}: no images given")
    return items


def image_files(folder, who):
    """The image files of a folder, sorted by name; refused when there are none or it cannot be read."""
    folder = Path(folder)
    if not folder.is_dir():
        raise ArgumentError(f"{who}: {folder} is not a folder")
    try:
        files = sorted(p for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
    except OSError as e:
        raise ArgumentError(f"{who}: cannot read {folder}: {e.strerror}") from None
    if not files:
        raise ArgumentError(f"{who}: no images ({', '.join(IMAGE_SUFFIXES)}) in {folder}")
    return files


def load(net, item):
    """One item of an image_list as (1, C, H, W) in the model's input space."""
    if isinstance(item, Crop):
        from ..images import random_crops
        return random_crops(net.space, _pixels(net, item.source), 1, np.random.RandomState(list(item.stream)))
    if isinstance(item, np.ndarray):
        return item.reshape((1,) + net.input_shape)
    return net.space.preprocess(_named(item, net.samples))


def _pixels(net, source):
    return net.space.deprocess(source) if isinstance(source, np.ndarray) else _named(source, net.samples)


def _named(name, samples):
    from ..images import SAMPLE, load_named
    return load_named(name, samples) if name.startswith(SAMPLE) else _file(name)


@lru_cache(maxsize=2)          # the crops of one photo come one after another: decode it once
def _file(path):
    from ..images import load_image
    return load_image(path)
