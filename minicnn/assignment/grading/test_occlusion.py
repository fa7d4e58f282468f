"""Occlusion (minicnn/viz/occlusion.py): occlude's map of the class probability against
reference arrays, its positions, and a square as large as the image."""
import numpy as np

from grading import assert_matches, digits, mistakes, reference
from minicnn.viz.occlusion import occlude
from minicnn.viz.targets import probabilities

REF = reference("occlusion")


def measure(net, c):
    return lambda xs: (probabilities(net, xs)[:, c],)


def test_occlusion_map():
    """occlusion: a 7x7 square every 3 pixels over sample 0, the probability of its class."""
    net, x, c = digits(), REF["x"], int(REF["c"])
    tops, lefts, maps = occlude(x, 7, 3, measure(net, c), batch=5)
    assert list(tops) == list(range(0, 22, 3)) and list(lefts) == list(range(0, 22, 3)), \
        f"occlusion: the squares' corners are at rows {list(tops)} and columns {list(lefts)}; a 7x7 square " \
        "every 3 pixels fits at 0, 3, ..., 21 in a 28x28 image"
    assert_matches("occlusion", f"occlude(sample 0, 7, 3, the probability of class {c})", maps[0], REF["map"],
                   mistakes(REF, "map"), atol=1e-12)


def test_a_square_as_large_as_the_image_leaves_the_mean_image():
    """occlusion: one position, and the measure of the mean image (0 in input space)."""
    net, x, c = digits(), REF["x"], int(REF["c"])
    tops, lefts, (m,) = occlude(x, 28, 1, measure(net, c))
    expected = probabilities(net, np.zeros_like(x))[0, c]
    assert m.shape == (1, 1) and np.isclose(m[0, 0], expected, rtol=1e-12), \
        f"occlusion: a 28x28 square over a 28x28 image gave {m}, the mean image's probability is {expected:.6g}"
