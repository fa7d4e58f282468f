"""The visualization commands: each writes a non-blank PNG and a JSON sidecar with its parameters."""
import json

import numpy as np
import pytest
from PIL import Image

from minicnn import cli

from cli_helpers import assert_one_line_error, run_cli
from nets import IMAGENET_FIRST_TEN as CLASSES

@pytest.fixture(scope="module")
def files(tiny):
    return tiny


def run(args, capsys):
    rc = cli.main([str(a) for a in args])
    out = capsys.readouterr()
    assert rc == 0, out.err
    return out.out


def check_output(path, **expected):
    """A non-blank PNG whose sidecar records the inputs (image, model) and the settings expected."""
    with Image.open(path) as im:
        assert np.asarray(im.convert("L")).std() > 5, "blank picture"
    params = json.loads(path.with_name(path.name + ".json").read_text())
    for key, value in expected.items():
        got = params[key] if key in ("image", "model") else params["settings"][key]
        assert got == value, (key, got)
    return params


@pytest.mark.parametrize("verb, extra, expected", [
    ("saliency", ["--target", "goldfish"], {"target": "goldfish"}),
    ("segment", ["--target", "3"], {"fg": 95}),
    ("neuron", ["--layer", "relu2", "--unit", "5"], {"layer": "relu2", "mode": "all"}),
    ("occlusion", ["--patch", "8", "--stride", "4", "--target", "ostrich"], {"patch": 8, "stride": 4}),
    ("adversarial", ["--target", "ostrich", "--step", "0.5"], {"step": 0.5}),
    ("fgsm", ["--epsilon", "3"], {"epsilon": 3.0}),
])
def test_image_commands(files, capsys, verb, extra, expected):
    d, model, image = files
    out = d / f"{verb}.png"
    printed = run([verb, image, "--model", model, "-o", out] + extra, capsys)
    params = check_output(out, image=str(image), model=str(model), **expected)
    assert f"wrote {out}" in printed
    if isinstance(params.get("target"), dict):
        assert params["target"]["name"] == CLASSES[params["target"]["index"]]


def test_fgsm_sidecar_reports_the_change_within_epsilon(files, capsys):
    d, model, image = files
    run(["fgsm", image, "--model", model, "--epsilon", "2", "-o", d / "f.png"], capsys)
    result = json.loads((d / "f.png.json").read_text())
    assert 0 < result["linf"] <= 2 + 1e-9


def test_classviz_and_fool(files, capsys):
    d, model, _ = files
    run(["classviz", "--model", model, "--target", "hen", "--iterations", "20", "--seed", "3", "-o", d / "c.png"], capsys)
    params = check_output(d / "c.png", seed=3)
    assert params["preset"] == "yosinski3"                         # the default for a model minicnn does not know
    assert params["unit"] == 8 and params["target"]["name"] == "hen"
    assert params["settings"]["iterations"] == 20 and params["final_value"] > params["start_value"]
    run(["fool", "--model", model, "--target", "tench", "--max-steps", "100", "-o", d / "fool.png"], capsys)
    assert check_output(d / "fool.png")["predicted_name"] == "tench"


def test_linear_example_prints_the_lecture_numbers(capsys):
    printed = run(["linear-example"], capsys)
    assert "w . x  = -3        P(class 1) = 0.0474" in printed
    assert "w . x_adv = 2     P(class 1) = 0.8808" in printed


def test_bad_arguments_are_one_line_errors(files, tmp_path):
    d, model, image = files
    rc, _, err = run_cli("neuron", image, "--model", model, "--layer", "conv99", "--unit", "1", "-o", tmp_path / "a.png")
    assert_one_line_error(rc, err, "no layer named 'conv99'")
    rc, _, err = run_cli("saliency", image, "--model", model, "--target", "zebra", "-o", tmp_path / "b.png")
    assert_one_line_error(rc, err, "no class name contains 'zebra'")
    bad = tmp_path / "bad.jpg"
    bad.write_bytes(b"not an image")
    rc, _, err = run_cli("saliency", bad, "--model", model, "-o", tmp_path / "c.png")
    assert_one_line_error(rc, err, "cannot read image")
    assert not list(tmp_path.glob("*.png"))


SECOND_HALF = [
    ("filters", []), ("filters", ["--layer", "conv2_1"]),
    ("activations", ["sample:1", "--layer", "relu1_2"]),
    ("deepdream", ["sample:2", "--octaves", "2", "--iterations", "3"]),
    ("invert", ["sample:3", "--iterations", "10", "--layers", "relu1_1,pool2"]),
    ("style", ["sample:4", "--style", "{image}", "--iterations", "5"]),
    ("top-patches", ["--k", "3", "--units", "0,1", "--guided"]),
    ("tsne", ["--perplexity", "10"]),
]


@pytest.mark.parametrize("verb, extra", SECOND_HALF, ids=[f"{v} {' '.join(e[:3])}" for v, e in SECOND_HALF])
def test_the_second_half_on_the_default_model(files, capsys, tmp_path, verb, extra):
    _, _, image = files
    out = tmp_path / f"{verb}.png"
    printed = run([verb, *[e.format(image=image) for e in extra], "-o", out], capsys)
    params = check_output(out)
    assert params["technique"] == verb and params["model_name"] == "digits" and f"wrote {out}" in printed
