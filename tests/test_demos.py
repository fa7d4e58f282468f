import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from minicnn.display import plt, save_figure

DEMOS = Path(__file__).resolve().parents[1] / "demos"


def test_relu_demo_writes_the_picture_and_the_rules_numbers(tmp_path):
    out = tmp_path / "relu.png"
    r = subprocess.run([sys.executable, str(DEMOS / "relu_backward_modes.py"), "-o", str(out)],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    with Image.open(out) as im:
        assert im.format == "PNG" and im.width > 600
        assert np.asarray(im.convert("L")).std() > 20          # not a blank picture
    params = json.loads(out.with_name("relu.png.json").read_text())
    x, d = np.array(params["x"]), np.array(params["dout"])
    res = {k: np.array(v) for k, v in params["results"].items()}
    np.testing.assert_array_equal(res["backprop"], np.where(x > 0, d, 0))
    np.testing.assert_array_equal(res["deconvnet"], np.where(d > 0, d, 0))
    np.testing.assert_array_equal(res["guided"], np.where((x > 0) & (d > 0), d, 0))


def test_save_figure_is_atomic_and_leaves_no_temporary_files(tmp_path):
    fig = plt.figure()
    plt.plot([0, 1], [1, 0])
    png = save_figure(fig, tmp_path / "sub" / "a.png", {"seed": 3})
    assert json.loads(png.with_name("a.png.json").read_text()) == {"seed": 3}
    assert sorted(p.name for p in (tmp_path / "sub").iterdir()) == ["a.png", "a.png.json"]


DEMO_ARGS = {     # the demos drawn with an ImageNet model, with settings that keep the test short
    "saliency_maps.py": ["--samples", "4"], "deconv_guided.py": [], "occlusion.py": ["--stride", "24"],
    "class_models.py": ["--iterations", "10"], "adversarial.py": [], "filters.py": [], "activations.py": [],
    "top_patches.py": ["--crops", "3", "--units", "1,2"], "deepdream.py": ["--iterations", "2"],
    "inversion.py": ["--iterations", "4"], "style.py": ["--iterations", "3"],
    "feature_vis.py": ["--steps", "4", "--iterations", "4"],
}
STANDALONE = ["linear_adversarial.py", "tsne.py", "strip.py"]     # no ImageNet model needed


@pytest.mark.parametrize("demo", sorted(DEMO_ARGS))
def test_every_demo_draws_its_figure(squeezenet_file, tmp_path, demo):
    draws_its_figure([DEMOS / demo, "-o", tmp_path, "--model", squeezenet_file] + DEMO_ARGS[demo], tmp_path)


@pytest.mark.parametrize("demo", sorted(STANDALONE))
def test_the_demos_that_need_no_imagenet_model(tmp_path, demo):
    draws_its_figure([DEMOS / demo, "-o", tmp_path], tmp_path)


def test_every_demo_is_tested():
    assert {p.name for p in DEMOS.glob("*.py")} - {"common.py"} == set(DEMO_ARGS) | set(STANDALONE) | {
        "relu_backward_modes.py", "notebooks.py"}                   # notebooks.py: tests/test_notebooks.py


def draws_its_figure(args, out):
    r = subprocess.run([sys.executable, *map(str, args)], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-2000:]
    pngs = list(out.glob("*.png"))
    assert len(pngs) == 1 and (out / (pngs[0].name + ".json")).exists()
    with Image.open(pngs[0]) as im:
        assert np.asarray(im.convert("L")).std() > 20
