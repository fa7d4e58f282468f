"""Images in and out of a model's input space: the only module that knows about pixels.

A model sees arrays in its *input space*: channel order (RGB or BGR), a value range (0..255 or
0..1), minus a per-channel mean, divided by a per-channel std. An ``ImageSpace`` records that
convention (it is stored in every model file) and converts both ways:

    x = net.space.preprocess(load_image("cat.jpg"), size=256)   # (1, 3, H, W) float32
    img = net.space.deprocess(x)                                  # (H, W, 3) uint8 RGB

Anything that clips, steps or measures in pixel units (0..255 per RGB channel) asks the space
(``pixel_step``, ``bounds``) instead of assuming means or channel orders.
"""
import json
import warnings
from pathlib import Path
from dataclasses import asdict, dataclass

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from .errors import MinicnnError

MAX_PIXELS = 100_000_000      # refuse larger images outright (a decompression bomb, or a mistake)
MAX_SIDE = 4096               # downscale anything larger on load, with a warning


class ImageError(MinicnnError):
    """An image file that cannot be used."""


@dataclass(frozen=True)
class ImageSpace:
    """How a model wants its input. mean and std are per channel, in the model's channel order
    and value units (Caffe: BGR, 0..255, mean (104, 117, 123), std 1)."""
    channels: str = "RGB"
    pixel_max: float = 255.0          # the value of a full-intensity pixel: 255.0 or 1.0
    mean: tuple = (0.0, 0.0, 0.0)
    std: tuple = (1.0, 1.0, 1.0)
    size: tuple = (224, 224)          # (H, W) the model was trained at

    def __post_init__(self):
        if self.channels not in ("RGB", "BGR"):
            raise ImageError(f"ImageSpace: channels must be 'RGB' or 'BGR', got {self.channels!r}")
        if len(self.mean) != 3 or len(self.std) != 3 or min(self.std) <= 0 or self.pixel_max <= 0:
            raise ImageError(f"ImageSpace: need 3 means and 3 positive stds, got {self.mean}, {self.std}")
        object.__setattr__(self, "mean", tuple(float(v) for v in self.mean))
        object.__setattr__(self, "std", tuple(float(v) for v in self.std))
        object.__setattr__(self, "size", tuple(int(v) for v in self.size))

    # ---- conversions --------------------------------------------------------------------
    def _order(self):
        return [2, 1, 0] if self.channels == "BGR" else [0, 1, 2]

    def _column(self, values):
        return np.asarray(values, np.float64).reshape(1, 3, 1, 1)

    def to_input(self, rgb):
        """(H, W, 3) or (N, H, W, 3) RGB pixels (0..255, any float or uint8) -> (N, 3, H, W) float32."""
        rgb = np.asarray(rgb, np.float64)
        if rgb.ndim == 3:
            rgb = rgb[None]
        x = rgb[..., self._order()].transpose(0, 3, 1, 2) * (self.pixel_max / 255.0)
        return ((x - self._column(self.mean)) / self._column(self.std)).astype(np.float32)

    def to_pixels(self, x):
        """(N, 3, H, W) input-space array -> (N, H, W, 3) float RGB in 0..255 units, unclipped."""
        x = np.asarray(x, np.float64) * self._column(self.std) + self._column(self.mean)
        return (x * (255.0 / self.pixel_max)).transpose(0, 2, 3, 1)[..., self._order()]

    def deprocess(self, x):
        """(1, 3, H, W) or (3, H, W) input-space array -> (H, W, 3) uint8 RGB (rounded, clipped)."""
        x = np.asarray(x)
        if x.ndim == 3:
            x = x[None]
        if x.ndim != 4 or x.shape[:2] != (1, 3):
            raise ImageError(f"deprocess: expected one (1, 3, H, W) image, got shape {x.shape}")
        return np.clip(np.rint(self.to_pixels(x)[0]), 0, 255).astype(np.uint8)

    def preprocess(self, img, size=None, crop=None, exact=False):
        """An image (path, PIL image or (H, W, 3) uint8 RGB array) -> (1, 3, H, W) float32.

        The shorter side is resized to ``size`` (bilinear), then the centre is cropped to
        ``crop`` = (H, W) or an int; both default to the model's input size. exact=True
        resizes straight to the crop size instead, ignoring the aspect ratio.
        """
        crop = self.size if crop is None else ((crop, crop) if np.isscalar(crop) else tuple(crop))
        pil = _as_pil(img)
        if exact:
            pil = pil.resize((crop[1], crop[0]), Image.BILINEAR)
        else:
            size = min(crop) if size is None else int(size)
            w, h = pil.size
            scale = size / min(w, h)
            new = (max(crop[1], round(w * scale)), max(crop[0], round(h * scale)))
            if new != (w, h):
                pil = pil.resize(new, Image.BILINEAR)
            left, top = (pil.width - crop[1]) // 2, (pil.height - crop[0]) // 2
            pil = pil.crop((left, top, left + crop[1], top + crop[0]))
        return self.to_input(np.asarray(pil))

    # ---- pixel units --------------------------------------------------------------------
    def pixel_step(self):
        """(1, 3, 1, 1): how far one 0..255 pixel unit moves each channel of the input space."""
        return (self.pixel_max / 255.0) / self._column(self.std)

    def bounds(self):
        """(low, high), each (1, 3, 1, 1): the input-space values of pixel 0 and pixel 255."""
        low = (0.0 - self._column(self.mean)) / self._column(self.std)
        high = (self.pixel_max - self._column(self.mean)) / self._column(self.std)
        return low, high

    # ---- storage ------------------------------------------------------------------------
    def to_json(self):
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text):
        data = json.loads(text)
        if not isinstance(data, dict) or set(data) - set(cls.__dataclass_fields__):
            raise ImageError(f"not an ImageSpace description: {text[:200]}")
        return cls(**data)


CAFFE = dict(channels="BGR", pixel_max=255.0, mean=(104.0, 117.0, 123.0), std=(1.0, 1.0, 1.0))
TORCHVISION = dict(channels="RGB", pixel_max=1.0, mean=(0.485, 0.456, 0.406), std=(0.229, 0.224, 0.225))


def _as_pil(img):
    if isinstance(img, Image.Image):
        return to_rgb(img)
    if isinstance(img, np.ndarray):
        if img.ndim != 3 or img.shape[2] != 3:
            raise ImageError(f"expected an (H, W, 3) RGB image array, got shape {img.shape}")
        return Image.fromarray(np.clip(img, 0, 255).astype(np.uint8), "RGB")
    return to_rgb(load_image(img, as_array=False))


def to_rgb(im):
    """Any Pillow mode -> RGB, by one documented rule:

    * transparency (RGBA, LA, PA, P with a transparent colour) is composited over white;
    * grey (L, 1) is repeated into three channels;
    * 16-bit and 32-bit grey (I;16, I) keep their top 8 bits (divided by 256); float (F) is
      taken as 0..1 if its values lie in 0..1, else as 0..255; values are clipped;
    * CMYK, YCbCr, LAB, HSV use Pillow's conversion.
    """
    try:
        return _to_rgb(im)
    except (ValueError, OSError) as e:
        raise ImageError(f"cannot convert an image of mode {im.mode} to RGB: {e}") from None


def _to_rgb(im):
    if im.mode == "RGB":
        return im
    if im.mode == "P":
        im = im.convert("RGBA" if "transparency" in im.info else "RGB")
    if im.mode in ("RGBA", "LA", "PA", "RGBa", "La"):
        rgba = im.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(white, rgba).convert("RGB")
    if im.mode.startswith("I") or im.mode == "F":
        a = np.asarray(im, dtype=np.float64)
        if im.mode == "F":
            a = a * 255.0 if a.size and a.min() >= 0 and a.max() <= 1 else a
        elif a.size and a.max() > 255:
            a = a / 256.0
        g = np.clip(np.rint(a), 0, 255).astype(np.uint8)
        return Image.fromarray(np.stack([g] * 3, axis=-1), "RGB")
    return im.convert("RGB")


def load_image(path, as_array=True):
    """Read any Pillow-readable image as RGB, upright (EXIF orientation applied).

    Returns an (H, W, 3) uint8 array (or a PIL image with as_array=False). Images over
    MAX_PIXELS are refused; images with a side over MAX_SIDE are downscaled with a warning.
    """
    try:
        im = Image.open(path)
    except FileNotFoundError:
        raise ImageError(f"no such image file: {path}") from None
    except (UnidentifiedImageError, OSError) as e:
        raise ImageError(f"cannot read image {path}: {e}") from None
    w, h = im.size
    if w * h > MAX_PIXELS:
        raise ImageError(f"image {path} is {w}x{h} = {w * h:,} pixels, more than the "
                         f"{MAX_PIXELS:,} minicnn accepts; downscale it first")
    try:
        if max(w, h) > MAX_SIDE:
            im.draft("RGB", (MAX_SIDE, MAX_SIDE))     # JPEG: decode at a reduced size directly
        im = ImageOps.exif_transpose(im)
        im.load()
    except (OSError, ValueError, Image.DecompressionBombError) as e:
        raise ImageError(f"cannot read image {path}: {e}") from None
    if max(im.size) > MAX_SIDE:
        warnings.warn(f"image {path} is {im.width}x{im.height}; downscaled to fit {MAX_SIDE} pixels")
        im.thumbnail((MAX_SIDE, MAX_SIDE), Image.BILINEAR)
    im = to_rgb(im)
    return np.asarray(im) if as_array else im


def save_image(rgb, path):
    """Write an (H, W, 3) uint8 RGB array as a PNG (atomically)."""
    from .figures import _atomic_write
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    _atomic_write(path, lambda tmp: Image.fromarray(np.asarray(rgb, np.uint8), "RGB").save(tmp, format="PNG"))
    return path


__all__ = ["ImageSpace", "ImageError", "load_image", "save_image", "to_rgb", "CAFFE", "TORCHVISION"]
