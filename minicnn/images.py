"""Images in and out of a model's input space: the only module that knows about pixels.

A model sees arrays in its *input space*: channel order (RGB, BGR, or one grey channel), a
value range (0..255 or 0..1), minus a per-channel mean, divided by a per-channel std. An
``ImageSpace`` records that convention (it is stored in every model file) and converts both ways:

    x = net.space.preprocess(load_image("cat.jpg"))   # (1, C, H, W) float32: resize, centre crop
    img = net.space.deprocess(x)                       # (H, W, 3) uint8 RGB

Anything that clips, steps or measures in pixel units (0..255 per RGB channel) asks the space
(``pixel_step``, ``bounds``) instead of assuming means or channel orders.
"""
import json
import warnings
from dataclasses import asdict, dataclass

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from .errors import ImageError
from .files import atomic_write
from .settings import plain_int

MAX_PIXELS = 100_000_000      # refuse larger images outright (a decompression bomb, or a mistake)
MAX_SIDE = 4096               # downscale anything larger on load, with a warning

# A model's input channels, by name: colour (RGB, BGR), grey (L), or "raw" for an input that is
# not an image at all (any number of channels; it cannot be converted to or from pixels).
CHANNELS = {"RGB": [0, 1, 2], "BGR": [2, 1, 0], "L": None, "raw": None}
GREY_WEIGHTS = (0.299, 0.587, 0.114)     # ITU-R 601 luma, what Pillow's convert("L") uses


@dataclass(frozen=True)
class ImageSpace:
    """How a model wants its input. mean and std have one value per input channel, in the model's
    channel order and value units (Caffe: BGR, 0..255, mean (104, 117, 123), std 1).

    channels: "RGB", "BGR", "L" (one grey channel: colour images are converted to grey) or
    "raw" (not an image: as many channels as means; pixel conversions refuse it).
    resize: the shorter side an image is resized to before the centre crop to ``size``, the
    model's standard evaluation (ImageNet models: 256); None means the crop's shorter side.
    """
    channels: str = "RGB"
    pixel_max: float = 255.0          # the value of a full-intensity pixel: 255.0 or 1.0
    mean: tuple = (0.0, 0.0, 0.0)
    std: tuple = (1.0, 1.0, 1.0)
    size: tuple = (224, 224)          # (H, W) the model was trained at
    resize: int = None

    def __post_init__(self):
        if not isinstance(self.channels, str) or self.channels not in CHANNELS:
            raise ImageError(f"ImageSpace: channels must be one of {', '.join(CHANNELS)}, got {self.channels!r}")
        try:
            mean, std = tuple(float(v) for v in self.mean), tuple(float(v) for v in self.std)
            size = tuple(int(v) for v in self.size)
            pixel_max = float(self.pixel_max)
            resize = None if self.resize is None else int(self.resize)
        except (TypeError, ValueError):
            raise ImageError(f"ImageSpace: mean, std, size, pixel_max and resize must be numbers, got {self}") from None
        n = len(mean) if self.channels == "raw" else self.n_channels
        if (len(mean) != n or len(std) != n or n < 1 or not np.isfinite(mean + std + (pixel_max,)).all()
                or min(std) <= 0 or not pixel_max > 0):
            raise ImageError(f"ImageSpace: {self.channels} needs {n} finite means, {n} positive stds and a positive "
                             f"pixel_max, got {mean}, {std}, {pixel_max}")
        if len(size) != 2 or min(size) < 1 or (resize is not None and not min(size) <= resize <= MAX_SIDE):
            raise ImageError(f"ImageSpace: size must be (H, W) >= 1 and resize from its shorter side to {MAX_SIDE}, "
                             f"got size {self.size}, resize {self.resize}")
        for key, value in (("mean", mean), ("std", std), ("size", size), ("pixel_max", pixel_max), ("resize", resize)):
            object.__setattr__(self, key, value)

    @classmethod
    def identity(cls, input_shape):
        """The space of a model that takes pixel values as they are, for an input (C, H, W):
        RGB for 3 channels, grey for 1, raw otherwise."""
        C, H, W = input_shape
        channels = {3: "RGB", 1: "L"}.get(C, "raw")
        return cls(channels=channels, mean=(0.0,) * C, std=(1.0,) * C, size=(H, W))

    @property
    def n_channels(self):
        return {"L": 1, "raw": len(self.mean)}.get(self.channels, 3)

    def _image_only(self, what):
        if self.channels == "raw":
            raise ImageError(f"{what}: this model's input ({len(self.mean)} raw channels) is not an image")

    # ---- conversions --------------------------------------------------------------------
    def _column(self, values):
        return np.asarray(values, np.float64).reshape(1, -1, 1, 1)

    def to_input(self, rgb):
        """(H, W, 3) or (N, H, W, 3) RGB pixels (0..255, any float or uint8) -> (N, C, H, W) float32.
        A grey model takes the colour image's luma."""
        self._image_only("to_input")
        rgb = np.asarray(rgb, np.float64)
        if rgb.ndim == 3:
            rgb = rgb[None]
        if rgb.ndim != 4 or rgb.shape[-1] != 3:
            raise ImageError(f"to_input: expected (H, W, 3) or (N, H, W, 3) RGB pixels, got shape {rgb.shape}")
        order = CHANNELS[self.channels]
        values = rgb[..., order] if order is not None else (rgb @ np.asarray(GREY_WEIGHTS))[..., None]
        x = values.transpose(0, 3, 1, 2) * (self.pixel_max / 255.0)
        return ((x - self._column(self.mean)) / self._column(self.std)).astype(np.float32)

    def to_pixels(self, x):
        """(N, C, H, W) input-space array -> (N, H, W, 3) float RGB in 0..255 units, unclipped
        (a grey model's one channel is repeated into three)."""
        self._image_only("to_pixels")
        x = np.asarray(x, np.float64)
        if x.ndim != 4 or x.shape[1] != self.n_channels:
            raise ImageError(f"to_pixels: expected (N, {self.n_channels}, H, W), got shape {x.shape}")
        x = (x * self._column(self.std) + self._column(self.mean)) * (255.0 / self.pixel_max)
        order = CHANNELS[self.channels]
        x = x[:, order] if order is not None else np.repeat(x, 3, axis=1)
        return x.transpose(0, 2, 3, 1)

    def channels_to_rgb(self, a):
        """(N, C, H, W) values in the model's channel order -> (N, 3, H, W) in RGB order, values
        unchanged (a gradient, shown channel by channel; grey is repeated)."""
        self._image_only("channels_to_rgb")
        order = CHANNELS[self.channels]
        return np.asarray(a)[:, order] if order is not None else np.repeat(np.asarray(a), 3, axis=1)

    def deprocess(self, x):
        """(1, C, H, W) or (C, H, W) input-space array -> (H, W, 3) uint8 RGB (rounded, clipped)."""
        x = np.asarray(x)
        if x.ndim == 3:
            x = x[None]
        if x.ndim != 4 or x.shape[0] != 1:
            raise ImageError(f"deprocess: expected one (1, C, H, W) image, got shape {x.shape}")
        return np.clip(np.rint(self.to_pixels(x)[0]), 0, 255).astype(np.uint8)

    def preprocess(self, img, size=None, crop=None, exact=False):
        """An image (path, PIL image or (H, W, 3) uint8 RGB array) -> (1, C, H, W) float32.

        The shorter side is resized to ``size`` (bilinear; default: the space's ``resize``),
        then the centre is cropped to ``crop`` = (H, W) or an int (default: the model's input
        size). exact=True resizes straight to the crop size instead, ignoring the aspect ratio.
        """
        crop = self.size if crop is None else ((crop, crop) if np.isscalar(crop) else tuple(crop))
        pil = _as_pil(img)
        if exact:
            pil = pil.resize((crop[1], crop[0]), Image.BILINEAR)
        else:
            size = check_resize(size or self.resize or min(crop))
            if size < min(crop):
                raise ImageError(f"cannot resize the shorter side to {size}: the crop is {crop[0]}x{crop[1]}")
            w, h = pil.size
            scale = max(size / min(w, h), crop[0] / h, crop[1] / w)      # keep the aspect ratio, cover the crop
            new = (max(crop[1], round(w * scale)), max(crop[0], round(h * scale)))
            if new != (w, h):
                pil = pil.resize(new, Image.BILINEAR)
            left, top = (pil.width - crop[1]) // 2, (pil.height - crop[0]) // 2
            pil = pil.crop((left, top, left + crop[1], top + crop[0]))
        return self.to_input(np.asarray(pil))

    # ---- pixel units --------------------------------------------------------------------
    def pixel_step(self):
        """(1, C, 1, 1): how far one 0..255 pixel unit moves each channel of the input space."""
        return (self.pixel_max / 255.0) / self._column(self.std)

    def bounds(self):
        """(low, high), each (1, C, 1, 1): the input-space values of pixel 0 and pixel 255."""
        low = (0.0 - self._column(self.mean)) / self._column(self.std)
        high = (self.pixel_max - self._column(self.mean)) / self._column(self.std)
        return low, high

    # ---- storage ------------------------------------------------------------------------
    def to_json(self):
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text):
        try:
            data = json.loads(text)
        except (TypeError, ValueError):
            data = None
        return cls.from_dict(data)

    @classmethod
    def from_dict(cls, data):
        """An ImageSpace from stored data, refusing anything that is not one."""
        if not isinstance(data, dict) or set(data) - set(cls.__dataclass_fields__):
            raise ImageError(f"not an ImageSpace description: {str(data)[:200]}")
        return cls(**data)


# Input conventions of the frameworks whose weights minicnn converts (models/ says which uses which).
CAFFE = dict(channels="BGR", pixel_max=255.0, mean=(104.0, 117.0, 123.0), std=(1.0, 1.0, 1.0))
KERAS_VGG = dict(channels="BGR", pixel_max=255.0, mean=(103.939, 116.779, 123.68), std=(1.0, 1.0, 1.0))
TORCHVISION = dict(channels="RGB", pixel_max=1.0, mean=(0.485, 0.456, 0.406), std=(0.229, 0.224, 0.225))
MNIST = dict(channels="L", pixel_max=1.0, mean=(0.1307,), std=(0.3081,))     # grey digits, white on black


@dataclass(frozen=True)
class Samples:
    """Example inputs that travel with a model (the default model's held-out digits): uint8
    images (N, H, W) grey or (N, H, W, 3) RGB, as pixels, and their integer labels (N,)."""
    images: np.ndarray
    labels: np.ndarray

    def __post_init__(self):
        images, labels = np.asarray(self.images), np.asarray(self.labels)
        if images.dtype != np.uint8 or images.ndim not in (3, 4) or (images.ndim == 4 and images.shape[3] != 3):
            raise ImageError(f"samples must be uint8 images (N, H, W) or (N, H, W, 3), got {images.dtype} "
                             f"{images.shape}")
        if not np.issubdtype(labels.dtype, np.integer) or labels.shape != images.shape[:1]:
            raise ImageError(f"samples need one integer label per image, got {labels.dtype} {labels.shape}")
        object.__setattr__(self, "images", images)
        object.__setattr__(self, "labels", labels.astype(np.int64))

    def __len__(self):
        return len(self.labels)


def random_crops(space, rgb, n, rng, smallest=0.35):
    """n views of one photo (H, W, 3): random squares from ``smallest`` of its shorter side to all
    of it, anywhere in it, each resized to the model's input: (n, C, H, W) in input space. A few
    photos become many inputs (for top patches and codes when only a few photos are at hand)."""
    H, W = rgb.shape[:2]
    views = []
    for _ in range(n):
        side = int(min(H, W) * rng.uniform(smallest, 1.0))
        top, left = rng.randint(0, H - side + 1), rng.randint(0, W - side + 1)
        views.append(space.preprocess(rgb[top:top + side, left:left + side], exact=True))
    return np.concatenate(views)


def resized_shape(hw, size):
    """(H, W) of an image of shape hw with its shorter side resized to ``size``, its aspect kept."""
    scale = check_resize(size) / min(hw)
    return max(1, round(hw[0] * scale)), max(1, round(hw[1] * scale))


def check_resize(size):
    """A shorter side to resize to: a whole number from 1 to MAX_SIDE."""
    if isinstance(size, bool) or not isinstance(size, (int, np.integer)) or not 1 <= size <= MAX_SIDE:
        raise ImageError(f"the size to resize to must be a whole number from 1 to {MAX_SIDE}, got {size!r}")
    return int(size)


def _as_pil(img):
    if isinstance(img, Image.Image):
        return to_rgb(img)
    if isinstance(img, np.ndarray):
        if img.ndim == 2:                                  # grey: repeated into three channels
            img = np.stack([img] * 3, axis=-1)
        if img.ndim != 3 or img.shape[2] != 3:
            raise ImageError(f"expected an (H, W, 3) RGB or (H, W) grey image array, got shape {img.shape}")
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
        with warnings.catch_warnings():          # minicnn's own limit (MAX_PIXELS) applies below
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            im = Image.open(path)
    except FileNotFoundError:
        raise ImageError(f"no such image file: {path}") from None
    except Image.DecompressionBombError as e:
        raise ImageError(f"image {path} is too large for minicnn ({e}); downscale it first") from None
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


SAMPLE = "sample:"      # an image name that means one of the images stored with a model


def load_named(name, samples=None):
    """The pixels an image name stands for: an image file, or ``sample:INDEX``, one of a model's
    stored samples (a Samples). (H, W, 3) uint8 RGB, or (H, W) uint8 grey for grey samples."""
    name = str(name)
    if not name.startswith(SAMPLE):
        return load_image(name)
    index, n = name[len(SAMPLE):], 0 if samples is None else len(samples)
    if not n:
        raise ImageError(f"{name}: this model holds no sample images")
    number = plain_int(index)
    if number is None or not 0 <= number < n:
        hint = "; write the index in ASCII digits" if index.strip().isdigit() and number is None else ""
        raise ImageError(f"{name}: the model holds samples 0 to {n - 1}{hint}")
    return samples.images[number]


def save_image(rgb, path):
    """Write an (H, W, 3) uint8 RGB array as a PNG (atomically)."""
    return atomic_write(path, lambda tmp: Image.fromarray(np.asarray(rgb, np.uint8), "RGB").save(tmp, format="PNG"))


__all__ = ["ImageSpace", "ImageError", "Samples", "load_image", "save_image", "to_rgb", "CAFFE", "KERAS_VGG",
           "TORCHVISION", "MNIST"]
