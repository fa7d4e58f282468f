"""How alike two attribution maps are: the measures of Adebayo et al. 2018 ("Sanity Checks for
Saliency Maps"), which compare the map of a trained model with the map of a randomized one.

    compare(original, other)   # {"spearman_abs", "spearman_signed", "ssim", "hog"}: 1 = the same

Each measure takes two (H, W) float maps:

    spearman         rank correlation of the pixels (scipy): does the order of importance survive?
    ssim             structural similarity (scikit-image) of the maps, each scaled to [0, 1]
    hog_similarity   Pearson correlation of their HOG descriptors (scikit-image): do the edges survive?

A constant map has no order, no structure and no edges: every measure gives it 0.0, not NaN,
so that a method whose map a randomization flattens reads as "nothing left in common".
"""
import numpy as np

SSIM_WINDOW = 7                 # scikit-image's default window side


def spearman(a, b):
    """Spearman's rank correlation of the pixels of two (H, W) maps, in [-1, 1]; 0.0 if either
    map is constant (its ranks are all tied: the correlation is undefined)."""
    from scipy.stats import spearmanr
    a, b = _pair(a, b)
    if _constant(a) or _constant(b):
        return 0.0
    rho, _ = spearmanr(a.ravel(), b.ravel())
    return float(rho)


def ssim(a, b):
    """Structural similarity (Wang et al. 2004) of two (H, W) maps, each scaled to [0, 1] by its
    own minimum and maximum (so that only their shapes are compared, not their units), in
    [-1, 1]. The window is scikit-image's 7 x 7, or on a map smaller than that the largest odd
    side that fits; a constant map gives 0.0."""
    from skimage.metrics import structural_similarity
    a, b = _pair(a, b)
    if _constant(a) or _constant(b):
        return 0.0
    side = min(SSIM_WINDOW, *a.shape)
    side -= 1 - side % 2                                  # the window's side must be odd
    if side < 3:
        raise ValueError(f"ssim: a {a.shape[0]}x{a.shape[1]} map is too small for a 3x3 window")
    return float(structural_similarity(_unit(a), _unit(b), win_size=side, data_range=1.0))


def hog_similarity(a, b):
    """Pearson correlation of the HOG descriptors (Dalal & Triggs 2005, scikit-image) of two
    (H, W) maps, each scaled to [0, 1]: how alike their edges are, in [-1, 1]. Cells are an
    eighth of the shorter side (at least 4 pixels: 4 at 28 x 28, 28 at 224 x 224), so maps of any
    size give a descriptor of about the same length. 0.0 if either map or descriptor is constant."""
    from skimage.feature import hog
    a, b = _pair(a, b)
    if _constant(a) or _constant(b):
        return 0.0
    cell = max(4, min(a.shape) // 8)
    if cell > min(a.shape):
        raise ValueError(f"hog_similarity: a {a.shape[0]}x{a.shape[1]} map is smaller than one {cell}x{cell} cell")
    blocks = min(3, min(a.shape) // cell)                 # scikit-image's 3x3-cell blocks, fewer on small maps
    ha, hb = (hog(_unit(m), pixels_per_cell=(cell, cell), cells_per_block=(blocks, blocks)) for m in (a, b))
    if _constant(ha) or _constant(hb):
        return 0.0
    return float(np.corrcoef(ha, hb)[0, 1])


def compare(original, other):
    """Every measure between two attributions of the same image, (C, H, W) or (H, W): Spearman
    of the absolute maps (sum over channels of |a|) and of the signed ones (sum of a), SSIM and
    HOG of the absolute maps. {name: float}."""
    original, other = (np.asarray(a, np.float64) for a in (original, other))
    original, other = (a[None] if a.ndim == 2 else a for a in (original, other))
    signed, signed_other = _pair(original.sum(axis=0), other.sum(axis=0))
    magnitude, magnitude_other = np.abs(original).sum(axis=0), np.abs(other).sum(axis=0)
    return {"spearman_abs": spearman(magnitude, magnitude_other),
            "spearman_signed": spearman(signed, signed_other),
            "ssim": ssim(magnitude, magnitude_other),
            "hog": hog_similarity(magnitude, magnitude_other)}


def _pair(a, b):
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    if a.ndim != 2 or a.shape != b.shape:
        raise ValueError(f"similarity: expected two (H, W) maps of one shape, got {a.shape} and {b.shape}")
    if not (np.isfinite(a).all() and np.isfinite(b).all()):
        raise ValueError("similarity: the maps hold NaN or inf")
    return a, b


def _constant(a):
    return not np.ptp(a) > 0


def _unit(a):
    """The map scaled to [0, 1] by its own range (Adebayo et al. compare normalized maps)."""
    return (a - a.min()) / np.ptp(a)
