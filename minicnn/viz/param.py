"""Image parameterizations (Olah, Mordvintsev & Schubert 2017, "Feature Visualization"; Mordvintsev
et al. 2018, "Differentiable Image Parameterizations"): the image an optimizer changes need not be
its pixels. Each step here is a forward (parameters -> image) and a backward (the gradient at the
image -> the gradient at the parameters), written out like a layer and gradient-checked:

    fourier       spectrum (N, C, 2, H, Wf) -> (N, C, H, W): the real and imaginary parts of a
                  2-D real FFT, each frequency scaled by 1 / max(f, 1/max(H, W)), times
                  sqrt(H W) / 4 (Lucid's constants), through an inverse real FFT (irfft2). Low frequencies get
                  large steps and high ones small: Adam's step is the same size for every
                  parameter, so in pixels it would make high-frequency noise; here it makes the
                  1/f spectrum of natural images.
    decorrelate   (N, 3, H, W) -> (N, 3, H, W): each pixel's colour vector times the square root
                  of ImageNet's colour covariance (its SVD square root, Lucid's numbers, scaled so
                  that its largest column has norm 1): a unit step moves along natural colours,
                  not along red, green and blue apart.
    sigmoid       (N, C, H, W) -> values in (0, 1): always a valid image, without clipping.

``Param`` chains them: parameters -> fourier (or nothing: pixels) -> decorrelate (3 channels)
-> sigmoid -> RGB in [0, 1] -> the model's input space (ImageSpace: channel order, mean, std).
"""
from dataclasses import dataclass

import numpy as np
import scipy.fft

from ..backend import get_array_module
from ..errors import ArgumentError

PARAMS = ("pixel", "fourier")

# Lucid's square root of ImageNet's colour covariance (rows: R, G, B).
COLOR_CORRELATION_SVD_SQRT = np.array([[0.26, 0.09, 0.02],
                                       [0.27, 0.00, -0.05],
                                       [0.27, -0.09, 0.03]])
COLOR_MATRIX = COLOR_CORRELATION_SVD_SQRT / np.max(np.linalg.norm(COLOR_CORRELATION_SVD_SQRT, axis=0))


def frequencies(h, w):
    """(h, w // 2 + 1) spatial frequency of each entry of a real 2-D FFT, cycles per pixel."""
    fy = np.fft.fftfreq(h)[:, None]
    fx = np.fft.rfftfreq(w)[None, :]
    return np.sqrt(fx * fx + fy * fy)


def fourier_scale(h, w, decay_power=1.0):
    """(h, w // 2 + 1): the factor each frequency's coefficient is multiplied by (module docstring)."""
    return np.sqrt(h * w) / 4 / np.maximum(frequencies(h, w), 1.0 / max(h, w)) ** decay_power


def _rfft2(a):
    """rfft2 over the last two axes: scipy.fft's on the CPU (on every core: twice numpy.fft's
    speed at 227x227), CuPy's on the GPU."""
    xp = get_array_module(a)
    return scipy.fft.rfft2(a, workers=-1) if xp is np else xp.fft.rfft2(a)


def _irfft2(a, hw):
    xp = get_array_module(a)
    return scipy.fft.irfft2(a, s=hw, workers=-1) if xp is np else xp.fft.irfft2(a, s=hw)


def fourier_forward(spectrum, scale, hw):
    """spectrum (N, C, 2, h, w // 2 + 1): real and imaginary parts; scale (h, w // 2 + 1).
    Returns the image (N, C, h, w) = irfft2(scale * (re + i im)) and a cache."""
    if spectrum.ndim != 5 or spectrum.shape[2] != 2 or spectrum.shape[3:] != scale.shape:
        raise ArgumentError(f"fourier_forward: spectrum must be (N, C, 2) + {scale.shape}, got {spectrum.shape}")
    xp = get_array_module(spectrum)
    coefficients = xp.asarray(scale) * (spectrum[:, :, 0] + 1j * spectrum[:, :, 1])
    return _irfft2(coefficients, tuple(hw)), (scale, hw)


def fourier_backward(dimage, cache):
    """dimage (N, C, h, w) -> dspectrum (N, C, 2, h, w // 2 + 1).

    irfft2 is linear in the real and imaginary parts. Its transpose is rfft2 divided by h w, with
    the columns that stand for two conjugate frequencies (all but the first, and the last when w
    is even) counted twice; an imaginary part that irfft2 ignores (the first and that last
    column's) gets no gradient, and rfft2 of a real image gives it none."""
    scale, (h, w) = cache
    xp = get_array_module(dimage)
    g = _rfft2(dimage) / (h * w)
    twice = xp.full(scale.shape[1], 2.0)
    twice[0] = 1.0
    if w % 2 == 0:
        twice[-1] = 1.0
    g = g * twice * xp.asarray(scale)
    return xp.stack([g.real, g.imag], axis=2)


def decorrelate_forward(t):
    """t (N, 3, H, W) -> each pixel's colour vector times COLOR_MATRIX; cache for backward."""
    xp = get_array_module(t)
    return xp.einsum("ij,njhw->nihw", xp.asarray(COLOR_MATRIX), t), None


def decorrelate_backward(dout, cache):
    """dout (N, 3, H, W) -> dt: the transposed matrix on every pixel."""
    xp = get_array_module(dout)
    return xp.einsum("ij,nihw->njhw", xp.asarray(COLOR_MATRIX), dout)


def sigmoid_forward(t):
    """t -> 1 / (1 + exp(-t)) (same shape), computed without overflow; the output is the cache."""
    xp = get_array_module(t)
    e = xp.exp(-xp.abs(t))
    out = xp.where(t >= 0, 1 / (1 + e), e / (1 + e))
    return out, out


def sigmoid_backward(dout, cache):
    """dt = dout * s (1 - s)."""
    return dout * cache * (1 - cache)


def mean_colour(space):
    """(C,) the dataset's mean colour of an ImageSpace in [0, 1], RGB order (or grey)."""
    m = np.asarray(space.mean, np.float64) / space.pixel_max
    return m[::-1] if space.channels == "BGR" else m


@dataclass(frozen=True)
class Param:
    """An image as parameters: kind "pixel" (the values before the sigmoid) or "fourier" (the
    spectrum), decorrelated colours for a 3-channel model, squashed by a sigmoid; ``space`` maps
    the RGB (or grey) result into the model's input space."""
    kind: str
    space: object               # the model's ImageSpace
    decorrelate: bool = True

    def __post_init__(self):
        if self.kind not in PARAMS:
            raise ArgumentError(f"param must be one of {', '.join(PARAMS)}, got {self.kind!r}")

    @property
    def colour(self):
        return self.space.n_channels == 3 and self.space.channels in ("RGB", "BGR")

    def shape(self, n, hw):
        """The parameters' shape for n images of size hw."""
        c = self.space.n_channels
        return (n, c, 2, hw[0], hw[1] // 2 + 1) if self.kind == "fourier" else (n, c) + tuple(hw)

    def init(self, n, hw, rng, sd=0.01):
        """Random parameters (Lucid's: normal with standard deviation sd)."""
        return sd * rng.standard_normal(self.shape(n, hw))

    def forward(self, p, hw):
        """p -> (N, C, H, W) input-space image, and the caches of each step."""
        caches = []
        t = p
        if self.kind == "fourier":
            t, cache = fourier_forward(p, fourier_scale(*hw), tuple(hw))
            caches.append(("fourier", cache))
        if self.decorrelate and self.colour:
            t, cache = decorrelate_forward(t)
            caches.append(("decorrelate", cache))
        rgb, cache = sigmoid_forward(t)
        caches.append(("sigmoid", cache))
        return self._to_input(rgb), caches

    def backward(self, dx, caches):
        """dx (N, C, H, W) at the input-space image -> the gradient at the parameters."""
        backward = {"fourier": fourier_backward, "decorrelate": decorrelate_backward, "sigmoid": sigmoid_backward}
        d = self._to_input_backward(dx)
        for name, cache in reversed(caches):
            d = backward[name](d, cache)
        return d

    def _factors(self, xp):
        """(order, a, b): input = (rgb in model order) * a + b, with a, b per channel (1, C, 1, 1)."""
        s = self.space
        std, mean = (xp.asarray(np.asarray(v, np.float64).reshape(1, -1, 1, 1)) for v in (s.std, s.mean))
        order = [2, 1, 0] if s.channels == "BGR" else None
        return order, s.pixel_max / std, -mean / std

    def _to_input(self, rgb):
        """(N, C, H, W) values in [0, 1] in RGB order (or grey) -> the model's input space."""
        order, a, b = self._factors(get_array_module(rgb))
        return (rgb[:, order] if order else rgb) * a + b

    def to_unit(self, x):
        """The inverse of _to_input: an input-space image -> values in [0, 1], RGB order (or grey)."""
        order, a, b = self._factors(get_array_module(x))
        u = (x - b) / a
        return u[:, order] if order else u

    def to_unit_backward(self, du):
        order, a, _ = self._factors(get_array_module(du))
        return (du[:, order] if order else du) / a

    def _to_input_backward(self, dx):
        order, a, _ = self._factors(get_array_module(dx))
        d = dx * a
        return d[:, order] if order else d        # the order [2, 1, 0] is its own inverse
