"""A picture's JSON sidecar records what the run used, field by field: the perplexity t-SNE
ran with, the size an any-size technique ran at, the probability of the class explained."""
import json

import numpy as np
import pytest
from PIL import Image

import minicnn
from minicnn import cli, viz
from minicnn.layers import softmax_forward


def run(capsys, *args):
    rc = cli.main([str(a) for a in args])
    out, err = capsys.readouterr()
    assert rc == 0, err
    return out


def sidecar(png):
    return json.loads(png.with_name(png.name + ".json").read_text())


def classified(tiny):
    """(model file, image file, net, x, the class probabilities of x), computed here, not by a verb."""
    _, model, image = tiny
    net = minicnn.load(model)
    x = net.space.preprocess(minicnn.images.load_image(image))
    return model, image, net, x, viz.probabilities(net, x)[0]


@pytest.fixture(scope="module")
def photos(tmp_path_factory):
    d = tmp_path_factory.mktemp("photos")
    for i in range(8):
        Image.fromarray(np.random.RandomState(i).randint(0, 256, (40, 60, 3)).astype(np.uint8)).save(d / f"{i}.png")
    return d


def test_t_sne_records_the_perplexity_it_ran_with(tmp_path, capsys, monkeypatch, tiny, photos):
    from sklearn import manifold
    used = []

    class Spy(manifold.TSNE):
        def fit_transform(self, X, y=None):
            used.append(self.perplexity)
            return super().fit_transform(X)

    monkeypatch.setattr(manifold, "TSNE", Spy)
    out = tmp_path / "t.png"
    line = run(capsys, "tsne", "--images", photos, "--model", tiny[1], "--perplexity", "30", "-o", out)
    record = sidecar(out)
    assert used == [pytest.approx(7 / 3)] and record["perplexity"] == used[0]     # 8 points: (8 - 1) / 3
    assert record["settings"]["perplexity"] == 30.0                               # what was asked
    assert "perplexity 2.33 (at most (N - 1) / 3 for N points)" in line
    used.clear()
    run(capsys, "tsne", "--perplexity", "12", "-o", out)                          # the 1,000 stored digits
    assert used == [12.0] and sidecar(out)["perplexity"] == 12.0


@pytest.mark.parametrize("verb, extra", [("deepdream", ["--iterations", "2", "--octaves", "2"]),
                                         ("invert", ["--layers", "relu2", "--iterations", "3"]),
                                         ("style", ["--style", "{image}", "--iterations", "3"])])
def test_a_technique_that_works_at_any_size_runs_at_size(tmp_path, capsys, tiny, verb, extra):
    _, model, image = tiny                                      # an 80x100 photo; the model takes 32x32
    out = tmp_path / "x.png"
    run(capsys, verb, image, "--model", model, "--size", "48", *[a.format(image=image) for a in extra], "-o", out)
    record = sidecar(out)
    assert record["size"] == 48 and record["input_size"] == [48, 60]              # the whole photo, shorter side 48
    if verb == "deepdream":
        assert record["octave_sizes"][-1] == [48, 60]
    with Image.open(out) as picture:                                              # panels of the photo's shape
        assert picture.width > 1.1 * picture.height
    run(capsys, verb, image, "--model", model, *[a.format(image=image) for a in extra], "-o", out)
    assert sidecar(out)["input_size"] == [32, 32]                                 # default: the model's crop


def test_cropping_techniques_record_the_crop_they_ran_on(tmp_path, capsys, tiny):
    _, model, image = tiny
    out = tmp_path / "s.png"
    run(capsys, "saliency", image, "--model", model, "--size", "64", "-o", out)
    assert sidecar(out)["input_size"] == [32, 32] and sidecar(out)["size"] == 64


def test_saliency_records_and_prints_the_probability_it_explains(tmp_path, capsys, tiny):
    _, model, image = tiny
    net = minicnn.load(model)
    x = net.space.preprocess(minicnn.images.load_image(image))
    p = softmax_forward(net.forward(x.astype(np.float64), end="fc").astype(np.float64))[0][0]
    for target in (None, int(p.argmin())):
        out = tmp_path / "s.png"
        args = ["saliency", image, "--model", model, "-o", out] + ([] if target is None else ["--target", target])
        line = run(capsys, *args)
        record, c = sidecar(out), int(p.argmax()) if target is None else target
        assert record["target"]["index"] == c and record["predicted"]["index"] == int(p.argmax())
        assert record["probability"] == pytest.approx(p[c], rel=1e-5)
        assert f"{c} {net.classes[c]!r}, probability " in line
        assert ("the predicted class" in line) == (target is None)


def test_segment_and_adversarial_record_the_probabilities_they_start_from(tmp_path, capsys, tiny):
    model, image, net, x, p = classified(tiny)
    out = tmp_path / "x.png"
    run(capsys, "segment", image, "--model", model, "--samples", "2", "-o", out)
    assert sidecar(out)["probability"] == pytest.approx(p.max(), rel=1e-5)
    line = run(capsys, "adversarial", image, "--model", model, "--target", int(p.argmin()), "-o", out)
    assert sidecar(out)["start_confidence"] == pytest.approx(p.max(), rel=1e-5)
    assert f"started as {net.classes[int(p.argmax())]!r} ({p.max():.3f})" in line


def test_fgsm_records_the_probability_of_the_class_it_moves_from(tmp_path, capsys, tiny):
    model, image, net, x, p0 = classified(tiny)
    out = tmp_path / "f.png"
    line = run(capsys, "fgsm", image, "--model", model, "--label", 3, "--epsilon", 8, "-o", out)
    aimed = sidecar(out)["aimed"]
    assert aimed["index"] == 3 and aimed["name"] == net.classes[3]
    assert aimed["start"] == pytest.approx(p0[3], rel=1e-5)
    assert f"({net.classes[3]!r} {p0[3]:.3g} -> {aimed['end']:.3g})" in line
    r = viz.run("fgsm", net, x, label=3, epsilon=8)                      # the same run, in Python
    assert r.aimed["end"] == pytest.approx(viz.probabilities(net, r.x)[0][3], rel=1e-5) == aimed["end"]


def test_inversion_records_the_learning_rate_it_used(tmp_path, capsys, tiny):
    _, model, image = tiny
    out = tmp_path / "i.png"
    run(capsys, "invert", image, "--model", model, "--layers", "relu1", "--iterations", "2", "-o", out)
    assert sidecar(out)["lr"] == 16.0 and sidecar(out)["settings"]["lr"] is None
    run(capsys, "invert", image, "--model", model, "--layers", "relu1", "--iterations", "2", "--optimizer", "sgd",
        "-o", out)
    assert sidecar(out)["lr"] == 0.004


def test_help_gives_the_defaults_models_set_of_their_own(capsys):
    from minicnn import cli
    with pytest.raises(SystemExit):
        cli.main(["fgsm", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "(default 2.0; the model's own for digits: 64)" in text


@pytest.mark.parametrize("verb", ["gallery", "train", "info", "fetch", "convert", "gradcheck", "assignment"] +
                         sorted(__import__("minicnn.viz", fromlist=["TECHNIQUES"]).TECHNIQUES))
def test_every_verb_has_help(verb, capsys):
    """--help prints the verb's usage and every flag's text (argparse formats it: a '%' in a
    setting's help must not break it), and exits 0."""
    from minicnn import cli
    with pytest.raises(SystemExit) as e:
        cli.main([verb, "--help"])
    out = capsys.readouterr().out
    assert e.value.code == 0 and out.startswith(f"usage: minicnn {verb}")
