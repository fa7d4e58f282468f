"""Transformation robustness (Olah et al. 2017; Lucid's ``standard_transforms``): before each
step the image is padded, shifted, scaled and rotated a little at random, so that the optimizer
cannot win with a pattern that only works at one exact position and scale. Each transform is a
forward and a backward, written out like a layer and gradient-checked:

    pad        (N, C, H, W) -> (N, C, H + 2p, W + 2p), the border a constant; backward: the middle
    crop       a window of the image (jitter: a random one); backward: the gradient put back in
               place, zero elsewhere
    resample   bilinear sampling at a grid of source positions (scale and rotation about the
               centre, and a resize to the model's input size, are all one affine grid);
               backward: each output's gradient shared among its four source pixels with the
               same weights (the adjoint of the interpolation), added up

Positions outside the image read its nearest edge pixel, so the four weights always sum to one.
"""
import numpy as np

from ..backend import get_array_module


def pad_forward(x, p, value):
    """x (N, C, H, W) -> padded by p on every side with ``value`` ((1, C, 1, 1) or a number)."""
    xp = get_array_module(x)
    N, C, H, W = x.shape
    out = xp.empty((N, C, H + 2 * p, W + 2 * p), dtype=x.dtype)
    out[...] = value
    out[:, :, p:p + H, p:p + W] = x
    return out, (p, x.shape)


def pad_backward(dout, cache):
    p, (N, C, H, W) = cache
    return dout[:, :, p:p + H, p:p + W]


def crop_forward(x, top, left, hw):
    """The window (hw) of x whose top-left corner is (top, left)."""
    return x[:, :, top:top + hw[0], left:left + hw[1]], (top, left, x.shape)


def crop_backward(dout, cache):
    top, left, shape = cache
    dx = get_array_module(dout).zeros(shape, dtype=dout.dtype)
    dx[:, :, top:top + dout.shape[2], left:left + dout.shape[3]] = dout
    return dx


def affine_grid(in_hw, out_hw, scale=1.0, degrees=0.0):
    """(ys, xs), each (Ho, Wo): where each output pixel samples the input (pixel centres, in input
    pixels) to scale the image by ``scale`` and rotate it by ``degrees`` about its centre, onto an
    output of size out_hw whose whole extent maps onto the input's (a resize when they differ).
    Positive degrees turn the picture clockwise (rows grow downwards)."""
    (H, W), (Ho, Wo) = in_hw, out_hw
    i, j = np.meshgrid(np.arange(Ho, dtype=np.float64), np.arange(Wo, dtype=np.float64), indexing="ij")
    v, u = (i + 0.5) * H / Ho - H / 2, (j + 0.5) * W / Wo - W / 2         # from the centre, input pixels
    a = np.deg2rad(degrees)
    ys = (np.cos(a) * v - np.sin(a) * u) / scale + H / 2 - 0.5             # the inverse rotation and scale
    xs = (np.sin(a) * v + np.cos(a) * u) / scale + W / 2 - 0.5
    return ys, xs


def resample_forward(x, ys, xs):
    """x (N, C, H, W) sampled bilinearly at (ys, xs), each (Ho, Wo) -> (N, C, Ho, Wo)."""
    xp = get_array_module(x)
    H, W = x.shape[2:]
    ys, xs = np.clip(ys, 0, H - 1), np.clip(xs, 0, W - 1)                 # outside: the nearest edge
    y0, x0 = np.minimum(np.floor(ys).astype(int), H - 2 if H > 1 else 0), np.minimum(
        np.floor(xs).astype(int), W - 2 if W > 1 else 0)
    y1, x1 = np.minimum(y0 + 1, H - 1), np.minimum(x0 + 1, W - 1)
    wy, wx = ys - y0, xs - x0
    corners = [(y0, x0, (1 - wy) * (1 - wx)), (y0, x1, (1 - wy) * wx), (y1, x0, wy * (1 - wx)), (y1, x1, wy * wx)]
    corners = [(xp.asarray(r * W + c), xp.asarray(w.astype(x.dtype))) for r, c, w in corners]
    flat = x.reshape(x.shape[0], x.shape[1], H * W)
    out = sum(flat[:, :, idx] * w for idx, w in corners)
    return out, (corners, x.shape)


def resample_backward(dout, cache):
    """dout (N, C, Ho, Wo) -> dx (N, C, H, W): each output's gradient to its four source pixels."""
    corners, shape = cache
    xp = get_array_module(dout)
    N, C, H, W = shape
    d = dout.reshape(N * C, -1)
    # One bincount per image channel (a few): the four corners' shares, added up per source pixel.
    rows = [sum(xp.bincount(idx.ravel(), weights=row * w.ravel(), minlength=H * W) for idx, w in corners)
            for row in d]
    return xp.stack(rows).reshape(shape).astype(dout.dtype)


class Robust:
    """Lucid's standard transforms, drawn at random each step and undone in the backward pass:
    pad, jitter, scale, rotate, jitter again, then resize to the model's input size."""

    def __init__(self, pad=12, jitter=8, scales=(0.9, 1.1), degrees=10, jitter2=4):
        self.pad, self.jitter, self.scales, self.degrees, self.jitter2 = pad, jitter, scales, degrees, jitter2

    @classmethod
    def for_size(cls, hw):
        """Lucid's numbers (pad 12, jitter 8 and 4 pixels) are for 224-pixel images: a smaller
        image gets them in proportion (28-pixel digits: pad 2, jitter 1 and 1)."""
        f = min(hw) / 224
        return cls(pad=max(1, round(12 * f)), jitter=max(1, round(8 * f)), jitter2=max(1, round(4 * f)))

    def forward(self, x, rng, out_hw, value):
        """x (N, C, H, W) -> (N, C) + out_hw, and what backward needs. value: the border's colour."""
        caches = []
        t, c = pad_forward(x, self.pad, value)
        caches.append((pad_backward, c))
        for d in (self.jitter, None, self.jitter2):
            if d is None:                         # scale and rotation about the centre, same size
                s = float(rng.uniform(*self.scales))
                a = float(rng.uniform(-self.degrees, self.degrees))
                t, c = resample_forward(t, *affine_grid(t.shape[2:], t.shape[2:], s, a))
                caches.append((resample_backward, c))
            elif d:
                top, left = (int(v) for v in rng.integers(0, d + 1, size=2))
                t, c = crop_forward(t, top, left, (t.shape[2] - d, t.shape[3] - d))
                caches.append((crop_backward, c))
        if tuple(t.shape[2:]) != tuple(out_hw):
            t, c = resample_forward(t, *affine_grid(t.shape[2:], out_hw))
            caches.append((resample_backward, c))
        return t, caches

    @staticmethod
    def backward(dout, caches):
        for backward, cache in reversed(caches):
            dout = backward(dout, cache)
        return dout
