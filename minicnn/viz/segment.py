"""The lecture's segmentation from saliency (Simonyan et al. 2014, section 3.1): the most
salient pixels are object, the least salient background, and GrabCut (OpenCV) grows these
seeds into a mask.
"""
from dataclasses import dataclass

import numpy as np

from ..errors import ArgumentError
from ..progress import progress_bar
from . import technique
from .saliency import saliency
from .targets import ClassRef, class_ref, explained, in_numbers
from ..settings import option


def segment(image, saliency_map, smooth=3.0, fg_percentile=95, likely_percentile=70, bg_percentile=30,
            iterations=5, seed=0, progress=False):
    """GrabCut from saliency seeds. image: (H, W, 3) uint8 RGB; saliency_map: (H, W).

    Raw saliency is speckled pixel by pixel, so it is first smoothed (Gaussian, ``smooth``
    pixels). Then, by percentile of the smoothed map: above fg_percentile is foreground,
    likely_percentile..fg_percentile probable foreground, below bg_percentile background, the
    rest probable background. GrabCut fits colour models to these seeds and labels every pixel.
    Its colour models start from k-means, which draws from OpenCV's global random generator:
    seeded with ``seed`` here, so that the same inputs give the same mask. One call per
    iteration (the first fits the colour models to the seeds, the others go on from them)
    gives the same mask as one call for all, and a step for the progress bar.
    Returns an (H, W) bool mask (True: object).
    """
    import cv2
    from scipy.ndimage import gaussian_filter
    if image.shape[:2] != saliency_map.shape:
        raise ArgumentError(f"image {image.shape[:2]} and saliency map {saliency_map.shape} differ in size")
    s = gaussian_filter(np.asarray(saliency_map, np.float64), smooth) if smooth > 0 else saliency_map
    mask = np.full(s.shape, cv2.GC_PR_BGD, np.uint8)
    mask[s >= np.percentile(s, likely_percentile)] = cv2.GC_PR_FGD
    mask[s >= np.percentile(s, fg_percentile)] = cv2.GC_FGD
    mask[s <= np.percentile(s, bg_percentile)] = cv2.GC_BGD
    bgd, fgd = np.zeros((1, 65), np.float64), np.zeros((1, 65), np.float64)
    cv2.setRNGSeed(seed)
    bgr = np.ascontiguousarray(image[..., ::-1])
    for i in progress_bar(range(iterations), "GrabCut", progress):
        cv2.grabCut(bgr, mask, None, bgd, fgd, 1, cv2.GC_EVAL if i else cv2.GC_INIT_WITH_MASK)
    return (mask == cv2.GC_FGD) | (mask == cv2.GC_PR_FGD)


@dataclass(frozen=True)
class Settings(technique.Settings):
    target: object = option(None, "class index or (part of) a class name (default: the predicted class)",
                            kind="target")
    samples: int = option(25, "SmoothGrad copies behind the seeds (0: the plain saliency map)", ge=0, le=1000)
    noise: float = option(0.15, "SmoothGrad's noise, as a fraction of the image's pixel range", gt=0, le=1)
    seed: int = option(0, "seed for SmoothGrad's noise and GrabCut's k-means", ge=0, le=2**32 - 1)
    smooth: float = option(3.0, "Gaussian smoothing of the map, pixels", ge=0, le=50)
    fg: float = option(95.0, "saliency percentile above which is object", gt=0, lt=100)
    bg: float = option(30.0, "saliency percentile below which is background", gt=0, lt=100)

    def check(self):
        if not self.bg < self.fg:
            raise ArgumentError(f"segment: the background percentile must be below the object's, "
                                f"got bg {self.bg:g}, fg {self.fg:g}")


@dataclass(frozen=True, kw_only=True)
class Segmentation(technique.Result):
    x: np.ndarray              # (1, C, H, W) the image, in input space
    map: np.ndarray            # (H, W) the saliency map the seeds came from
    mask: np.ndarray           # (H, W) bool, True: object
    target: ClassRef
    probability: float         # the target's probability on the image
    predicted: ClassRef        # the class the network gives the image
    foreground_fraction: float

    def summary(self):
        return (f"segment for {in_numbers(self.target, self.probability, self.predicted)}: "
                f"{100 * self.foreground_fraction:.0f} % of the image is foreground")


def run(net, x, settings):
    c, probability, predicted = explained(net, x, settings.target)
    s = saliency(net, x, c, settings.samples, settings.noise, settings.seed, progress=None)
    mask = segment(net.space.deprocess(x), s, smooth=settings.smooth, fg_percentile=settings.fg,
                   bg_percentile=settings.bg, seed=settings.seed, progress=None)
    return Segmentation(settings=settings, x=np.asarray(x), map=s, mask=mask, target=class_ref(net, c),
                        probability=probability, predicted=class_ref(net, predicted),
                        foreground_fraction=float(mask.mean()))
