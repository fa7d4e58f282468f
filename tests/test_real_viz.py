"""Techniques on the real SqueezeNet from ../shared (skipped with a reason where it is absent)."""
import numpy as np
import pytest
from PIL import Image

from minicnn import viz
from minicnn.images import load_image

from conftest import shared_or_skip


def test_saliency_of_the_cat_lies_on_the_cat(squeezenet):
    """chelsea.png shrunk to 120x80 on a plain grey 227x227 canvas: the cat's box is 19 % of
    the image and must hold most of the saliency of class 285 (Egyptian cat)."""
    cat = np.asarray(Image.fromarray(load_image(shared_or_skip("images", "chelsea.png"))).resize((120, 80), Image.BILINEAR))
    canvas = np.full((227, 227, 3), 128, np.uint8)
    canvas[70:150, 50:170] = cat
    x = squeezenet.space.to_input(canvas)
    assert int(viz.probabilities(squeezenet, x).argmax()) == 285
    s = viz.saliency(squeezenet, x, "Egyptian cat")
    on_cat = s[70:150, 50:170].sum() / s.sum()
    assert on_cat > 0.5 and on_cat > 2.5 * (80 * 120) / 227 ** 2, on_cat


@pytest.mark.parametrize("target", [1, "flamingo", "sports car", 999])
def test_a_fooling_image_turns_coffee_into_any_class(squeezenet, target):
    x = squeezenet.space.preprocess(load_image(shared_or_skip("images", "coffee.png")), size=227)
    assert int(viz.probabilities(squeezenet, x).argmax()) == 967
    r = viz.fooling(squeezenet, target, start=x, max_steps=50)
    assert r.success and r.predicted == viz.resolve_target(squeezenet, target) and r.confidence > 0.996


def test_coffee_becomes_an_ostrich_with_an_imperceptible_change(squeezenet):
    x = squeezenet.space.preprocess(load_image(shared_or_skip("images", "coffee.png")), size=227)
    r = viz.to_target(squeezenet, x, "ostrich", step=0.25, max_steps=100)
    assert r.success and squeezenet.classes[r.predicted].startswith("ostrich")
    assert r.linf <= 4.0                                        # of 255


REAL_SECOND_HALF = [
    ("filters", []),
    ("activations", ["{photo}", "--layer", "fire3/concat"]),
    ("deepdream", ["{photo}", "--octaves", "2", "--iterations", "3"]),
    ("invert", ["{photo}", "--iterations", "20", "--layers", "fire2/relu_expand1x1"]),
    ("style", ["{photo}", "--style", "{style}", "--iterations", "5"]),
    ("top-patches", ["--images", "{photos}", "--crops", "4", "--k", "3", "--units", "0,30"]),
    ("tsne", ["--images", "{photos}", "--crops", "6", "--perplexity", "5"]),
]


@pytest.mark.parametrize("verb, extra", REAL_SECOND_HALF, ids=[v for v, _ in REAL_SECOND_HALF])
def test_the_second_half_on_squeezenet(squeezenet_file, tmp_path, verb, extra):
    """Every new verb on the real ImageNet network: a non-blank picture and its sidecar."""
    import json
    import shutil
    from minicnn import cli
    photos = tmp_path / "photos"
    photos.mkdir()
    for name in ("coffee.png", "chelsea.png"):
        shutil.copy(shared_or_skip("images", name), photos / name)
    values = {"photo": photos / "coffee.png", "style": shared_or_skip("images", "flower.jpg"), "photos": photos}
    out = tmp_path / f"{verb}.png"
    assert cli.main([verb, *[e.format(**values) for e in extra], "--model", str(squeezenet_file), "-o", str(out)]) == 0
    with Image.open(out) as im:
        assert np.asarray(im.convert("L")).std() > 5
    assert json.loads(out.with_name(out.name + ".json").read_text())["model_name"] == "squeezenet1_1"
