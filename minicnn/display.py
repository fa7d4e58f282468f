"""Turning the raw arrays of minicnn.viz into pictures: colour maps, shared scales, grids, PNGs.

Nothing here changes what a technique computed; it only maps numbers to colours. When maps
are compared side by side they should share one scale (``shared_scale``).
"""
import json
from pathlib import Path

import numpy as np

from .figures import _atomic_write


def normalize(a, low=None, high=None):
    """Map [low, high] (default: the array's own range) to [0, 1], clipping outside."""
    a = np.asarray(a, np.float64)
    low = a.min() if low is None else low
    high = a.max() if high is None else high
    return np.clip((a - low) / (high - low), 0, 1) if high > low else np.zeros_like(a)


def shared_scale(*arrays):
    """(low, high) covering all arrays: one scale for maps that are compared."""
    return min(float(np.min(a)) for a in arrays), max(float(np.max(a)) for a in arrays)


def colorize(values, cmap="hot", low=None, high=None):
    """An (H, W) map -> (H, W, 3) uint8 RGB through a matplotlib colour map."""
    import matplotlib
    rgba = matplotlib.colormaps[cmap](normalize(values, low, high))
    return (rgba[..., :3] * 255 + 0.5).astype(np.uint8)


def robust_scale(a, q=99.5):
    """The q-th percentile of |a| over its non-zero entries: a display scale that a few extreme
    values cannot dominate, and that a mostly-zero map (a small receptive field) does not shrink."""
    a = np.abs(np.asarray(a))
    nonzero = a[a > 0]
    return float(np.percentile(nonzero, q)) if nonzero.size else 1.0


def signed_to_rgb(g, space=None, scale=None):
    """A signed (1, 3, H, W) image-space gradient -> (H, W, 3) uint8 RGB with 0 shown as mid-grey.

    Channels are put in RGB order through ``space``; ``scale`` (default: the largest |value|)
    maps to full intensity, so several gradients can share one scale.
    """
    g = np.asarray(g, np.float64)[0]
    if space is not None and space.channels == "BGR":
        g = g[::-1]
    scale = float(np.abs(g).max()) if scale is None else scale
    img = 0.5 + 0.5 * g / scale if scale > 0 else np.full_like(g, 0.5)
    return (np.clip(img, 0, 1).transpose(1, 2, 0) * 255 + 0.5).astype(np.uint8)


def centered(x, space):
    """A (1, 3, H, W) input-space image shown as its deviation from the mean colour, stretched so
    the largest deviation reaches full contrast (mid-grey = the mean). For optimized images
    (class models, fooling images), whose raw contrast depends on the network's gradient scale."""
    d = space.to_pixels(np.asarray(x, np.float64))[0] - space.to_pixels(np.zeros((1, 3, 1, 1)))[0]
    scale = float(np.abs(d).max())
    return np.clip(128 + d * (127 / scale if scale > 0 else 0), 0, 255).astype(np.uint8)


def overlay(image, heat, alpha=0.5, cmap="jet"):
    """Blend an (H, W) map (coloured) over an (H, W, 3) uint8 image."""
    return (image * (1 - alpha) + colorize(heat, cmap) * alpha).astype(np.uint8)


def grid(images, cols=None, pad=2, fill=255):
    """Tile equally sized (H, W, 3) uint8 images into one, row by row."""
    images = [np.asarray(im, np.uint8) for im in images]
    n = len(images)
    cols = cols or int(np.ceil(np.sqrt(n)))
    rows = int(np.ceil(n / cols))
    h, w = images[0].shape[:2]
    out = np.full((rows * h + (rows + 1) * pad, cols * w + (cols + 1) * pad, 3), fill, np.uint8)
    for i, im in enumerate(images):
        r, c = divmod(i, cols)
        out[pad + r * (h + pad):pad + r * (h + pad) + h, pad + c * (w + pad):pad + c * (w + pad) + w] = im
    return out


def save_png(rgb, path, params):
    """Write an (H, W, 3) uint8 image and its JSON sidecar (the parameters that made it)."""
    from .images import save_image
    path = Path(path)
    save_image(rgb, path)
    _atomic_write(path.with_name(path.name + ".json"),
                  lambda tmp: tmp.write_text(json.dumps(params, indent=2, default=_plain) + "\n"))
    return path


def _plain(v):
    if isinstance(v, np.generic):
        return v.item()
    if isinstance(v, np.ndarray):
        return v.tolist()
    return str(v)
