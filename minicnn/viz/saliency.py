"""Saliency maps (Simonyan, Vedaldi & Zisserman 2014) and segmentation from them.

The saliency of pixel (i, j) for class c is how strongly the unnormalized class score S_c
reacts to it: M_ij = max over colour channels of |dS_c / dI_cij|, one backward pass from a
one-hot gradient at the score layer. The gradient is taken with respect to the image's pixel
values (0..255 units, through the model's ImageSpace), so the map means the same for every
input convention.

The lecture's segmentation: saliency picks seeds (the most salient pixels are object, the least
salient background) and GrabCut (OpenCV) grows them into a mask.
"""
import numpy as np

from ..errors import MinicnnError
from .targets import class_gradient, resolve_target


def image_gradient(net, x, target):
    """dS_target / dx in pixel units: (1, 3, H, W) NumPy array (backprop ReLU rule)."""
    step = net.space.pixel_step() if net.space is not None else 1.0
    return class_gradient(net, x, resolve_target(net, target)) * step


def saliency(net, x, target):
    """(H, W) float map: max over channels of |dS_target/dpixel| for the image x (1, 3, H, W)."""
    return np.abs(image_gradient(net, x, target)[0]).max(axis=0)


def segment(image, saliency_map, smooth=3.0, fg_percentile=95, likely_percentile=70, bg_percentile=30,
            iterations=5):
    """GrabCut from saliency seeds. image: (H, W, 3) uint8 RGB; saliency_map: (H, W).

    Raw saliency is speckled pixel by pixel, so it is first smoothed (Gaussian, ``smooth``
    pixels). Then, by percentile of the smoothed map: above fg_percentile is foreground,
    likely_percentile..fg_percentile probable foreground, below bg_percentile background, the
    rest probable background. GrabCut fits colour models to these seeds and labels every pixel.
    Returns an (H, W) bool mask (True: object).
    """
    try:
        import cv2
    except ImportError:
        raise MinicnnError("segmentation needs OpenCV: pip install opencv-python-headless "
                           "(or the project's [segment] extra)") from None
    from scipy.ndimage import gaussian_filter
    if image.shape[:2] != saliency_map.shape:
        raise MinicnnError(f"image {image.shape[:2]} and saliency map {saliency_map.shape} differ in size")
    s = gaussian_filter(np.asarray(saliency_map, np.float64), smooth) if smooth > 0 else saliency_map
    mask = np.full(s.shape, cv2.GC_PR_BGD, np.uint8)
    mask[s >= np.percentile(s, likely_percentile)] = cv2.GC_PR_FGD
    mask[s >= np.percentile(s, fg_percentile)] = cv2.GC_FGD
    mask[s <= np.percentile(s, bg_percentile)] = cv2.GC_BGD
    bgd, fgd = np.zeros((1, 65), np.float64), np.zeros((1, 65), np.float64)
    cv2.grabCut(np.ascontiguousarray(image[..., ::-1]), mask, None, bgd, fgd, iterations, cv2.GC_INIT_WITH_MASK)
    return (mask == cv2.GC_FGD) | (mask == cv2.GC_PR_FGD)
