"""The real ImageNet SqueezeNet v1.1 from ../shared (skipped with a reason where it is absent)."""
import numpy as np
import pytest

from minicnn.backend import to_numpy
from minicnn.images import load_image

from conftest import shared_or_skip

REFERENCE = {  # ../shared/README.md: shorter side 256 (bilinear), centre crop 227, BGR, minus mean
    "chelsea.png": [(285, 0.4389), (281, 0.3003), (282, 0.2536)],
    "coffee.png": [(967, 0.9664), (925, 0.0302), (968, 0.0010)],
}


@pytest.mark.parametrize("image", sorted(REFERENCE))
def test_top3_classes_and_probabilities(squeezenet, image):
    x = squeezenet.space.preprocess(load_image(shared_or_skip("images", image)), size=256)
    p = squeezenet.forward(x)[0, :, 0, 0]
    top = np.argsort(-p)[:3]
    assert [int(i) for i in top] == [c for c, _ in REFERENCE[image]]
    for (c, expected), i in zip(REFERENCE[image], top):
        assert abs(p[i] - expected) <= 0.002, (image, c, float(p[i]), expected)


def test_car_as_the_weights_source_recorded(squeezenet):
    """car.png resized straight to 227x227, no mean subtracted: 817 sports car 0.836, 511
    convertible 0.095, 479 car wheel 0.042. The source resized without antialiasing (OpenCV's
    bilinear), which matters when 787x259 is squeezed to 227x227; done the same way here."""
    rgb = load_image(shared_or_skip("images", "car.png")).astype(np.float64)
    H, W = rgb.shape[:2]
    ys = np.clip((np.arange(227) + 0.5) * H / 227 - 0.5, 0, H - 1)
    xs = np.clip((np.arange(227) + 0.5) * W / 227 - 0.5, 0, W - 1)
    y0, x0 = np.floor(ys).astype(int), np.floor(xs).astype(int)
    y1, x1 = np.minimum(y0 + 1, H - 1), np.minimum(x0 + 1, W - 1)
    wy, wx = (ys - y0)[:, None, None], (xs - x0)[None, :, None]
    small = ((1 - wy) * ((1 - wx) * rgb[y0][:, x0] + wx * rgb[y0][:, x1])
             + wy * ((1 - wx) * rgb[y1][:, x0] + wx * rgb[y1][:, x1]))
    x = small[None].transpose(0, 3, 1, 2)[:, ::-1].astype(np.float32)      # BGR, 0..255, no mean
    p = to_numpy(squeezenet.forward(np.ascontiguousarray(x))[0, :, 0, 0])
    top = np.argsort(-p)[:3]
    assert [int(i) for i in top] == [817, 511, 479]
    np.testing.assert_allclose(p[top], [0.836, 0.095, 0.042], atol=0.005)


def test_the_file_knows_its_classes_space_and_source(squeezenet):
    assert squeezenet.classes[285] == "Egyptian cat" and len(squeezenet.classes) == 1000
    assert squeezenet.space.channels == "BGR" and squeezenet.space.mean == (104.0, 117.0, 123.0)
    sources = squeezenet.meta["provenance"]["sources"]
    assert [s["file"] for s in sources] == ["deploy.prototxt", "weights_fp16.npz"]
    assert all(len(s["sha256"]) == 64 for s in sources)


def test_the_default_preprocessing_is_the_standard_evaluation_crop(squeezenet):
    """What every command does with a photo (no --size): the published numbers, not a variant."""
    x = squeezenet.space.preprocess(load_image(shared_or_skip("images", "chelsea.png")))
    p = squeezenet.forward(x)[0, :, 0, 0]
    assert int(p.argmax()) == 285 and abs(p[285] - 0.4389) <= 0.002, float(p[285])
