"""Data randomization (Adebayo et al. 2018, "Sanity Checks for Saliency Maps"): the default
architecture trained on permuted labels, fitted by its training accuracy, and the shipped
random-label model."""
import shlex

import numpy as np
import pytest

from minicnn import Net, cli
from minicnn.images import MNIST, ImageSpace, Samples
from minicnn.io import load, model_dir
from minicnn.models import RANDOM_LABELS_MODEL, digits
from minicnn.train import TrainSettings, accuracy, data, train
from minicnn.train.loop import FIT
from minicnn.train.recipe import HELD_OUT, SPLIT_SEED, command

from cli_helpers import assert_one_line_error
from test_train import digits_or_skip, small_csv, train_cli, write_csv  # noqa: F401 (small_csv: a fixture)

SHIPPED = model_dir() / f"{RANDOM_LABELS_MODEL}.h5"


def test_the_labels_are_a_seeded_permutation_of_the_true_ones():
    rng = np.random.RandomState(0)
    true = Samples(rng.randint(0, 256, (200, 28, 28)).astype(np.uint8), rng.permutation(np.arange(200) % 10))
    permuted = data.permute_labels(true, seed=4)
    assert permuted.images is true.images                                                  # the same digits
    np.testing.assert_array_equal(np.bincount(permuted.labels, minlength=10), np.bincount(true.labels, minlength=10))
    assert (permuted.labels != true.labels).mean() > 0.8                                   # chance keeps ~10 %
    np.testing.assert_array_equal(data.permute_labels(true, seed=4).labels, permuted.labels)
    assert (data.permute_labels(true, seed=5).labels != permuted.labels).mean() > 0.5


def fit_run(epochs, seed=0):
    """A narrow digits net (no dropout) trained on 200 digits with random labels: it fits them
    in about ten epochs."""
    digits_ = digits_or_skip()
    train_set, held_out = data.split(digits_, 1000)
    small = Samples(train_set.images[:200], train_set.labels[:200])
    held_out = Samples(held_out.images[:300], held_out.labels[:300])
    settings = TrainSettings(random_labels=True, epochs=epochs, batch=20, lr=0.005, schedule="constant", seed=seed)
    net = Net(digits(widths=(4, 8), hidden=64, dropout=0.0), (1, 28, 28), space=ImageSpace(**MNIST, size=(28, 28)),
              classes=[str(i) for i in range(10)], seed=seed)
    lines = []
    history = train(net, small, held_out, settings, progress=False, report=lines.append)
    return net, history, small, settings, lines


def test_training_on_random_labels_stops_once_the_training_digits_are_fitted():
    net, history, small, settings, lines = fit_run(epochs=100)
    fit = history.fit_accuracy
    assert history.stopped == "fitted" and len(fit) == len(history.held_out_accuracy) < settings.epochs
    assert fit[-1] > FIT and max(fit[:-1]) <= FIT, fit                         # stopped at the first fitted epoch
    assert history.best_epoch == len(fit) and history.best_accuracy == fit[-1]
    assert accuracy(net, data.permute_labels(small, settings.seed)) == fit[-1]  # inference mode, the kept weights
    assert accuracy(net, small) < 0.4 and max(history.held_out_accuracy) < 0.3  # the true labels: near chance
    assert f"fit {100 * fit[-1]:.2f} %" in lines[-1] and len(lines) == len(fit)


@pytest.mark.parametrize("random_labels, kept", [(True, 2), (False, 3)])
def test_the_epoch_kept_is_chosen_by_the_training_accuracy_with_random_labels(monkeypatch, random_labels, kept):
    """Measured accuracies scripted per epoch: training digits 0.3, 0.6, 0.5 (never fitted) and
    held-out digits 0.2, 0.1, 0.3. With random labels epoch 2 is kept, else epoch 3; the net ends
    with that epoch's weights."""
    from minicnn.train import loop
    rng = np.random.RandomState(0)
    train_set = Samples(rng.randint(0, 256, (40, 28, 28)).astype(np.uint8), np.arange(40) % 10)
    held_out = Samples(train_set.images[:10], np.arange(10))
    scripted = {len(train_set): iter([0.3, 0.6, 0.5]), len(held_out): iter([0.2, 0.1, 0.3])}
    monkeypatch.setattr(loop, "accuracy", lambda net, samples: next(scripted[len(samples)]))
    net = Net(digits(widths=(2, 2), hidden=4, dropout=0.0), (1, 28, 28), space=ImageSpace(**MNIST, size=(28, 28)),
              classes=[str(i) for i in range(10)])
    weights = []
    history = train(net, train_set, held_out, TrainSettings(random_labels=random_labels, epochs=3, batch=20),
                    progress=False, report=lambda line: weights.append(np.copy(net.params["fc4"]["W"])))
    assert history.stopped == "finished" and history.best_epoch == kept
    assert history.fit_accuracy == ([0.3, 0.6, 0.5] if random_labels else [])
    assert history.best_accuracy == (0.6 if random_labels else 0.3)
    np.testing.assert_array_equal(net.params["fc4"]["W"], weights[kept - 1])
    assert not np.array_equal(weights[1], weights[2])


def test_random_labels_default_to_no_shifts_and_more_epochs():
    normal, randomized = TrainSettings().resolved(), TrainSettings(random_labels=True).resolved()
    assert (normal.epochs, normal.shift, normal.lr) == (30, 2, 0.002)
    assert (randomized.epochs, randomized.shift, randomized.lr) == (200, 0, 0.002)
    assert TrainSettings(random_labels=True, shift=1, epochs=7).resolved().shift == 1


@pytest.mark.parametrize("settings", [TrainSettings(random_labels=True), TrainSettings(random_labels=True, seed=3,
                                      epochs=9, shift=1), TrainSettings()])
def test_the_recorded_command_makes_the_same_settings_again(settings):
    line = command(settings, out="weights/m.h5")
    assert ("--random-labels" in line.split()) == settings.random_labels
    args = cli.build_parser().parse_args(shlex.split(line)[1:])
    again = TrainSettings(**cli.given(args, TrainSettings))
    assert again == settings.resolved() and again.resolved() == settings.resolved() and args.output == "weights/m.h5"


@pytest.fixture
def separable_csv(tmp_path):
    """120 digits that a net tells apart easily (each image its own noise), labels 0..9."""
    rng = np.random.RandomState(1)
    labels = np.arange(120) % 10
    return write_csv(tmp_path / "digits.csv", rng.randint(0, 256, (120, 28, 28)).astype(np.uint8), labels)


def test_train_random_labels_writes_its_own_file_with_the_fit_and_the_true_samples(separable_csv, tmp_path,
                                                                                   monkeypatch, capsys):
    monkeypatch.setattr("minicnn.train.recipe.HELD_OUT", 20)
    monkeypatch.chdir(tmp_path)
    rc = train_cli("--random-labels", "--epochs", 60, "--batch", 20, "--lr", 0.005, "--data", separable_csv)
    printed = capsys.readouterr().out
    out = tmp_path / f"{RANDOM_LABELS_MODEL}.h5"
    assert rc == 0 and out.is_file() and not (tmp_path / "digits.h5").exists(), printed
    net = load(out)
    prov = net.meta["provenance"]
    assert net.meta["name"] == RANDOM_LABELS_MODEL and prov["random_labels"] is True and prov["fitted"] is True
    assert prov["stopped"] == "fitted" and prov["best_epoch"] == prov["epochs_run"] < 60
    train_set, held_out = data.split(data.load(separable_csv), 20, SPLIT_SEED)
    fitted = accuracy(net, data.permute_labels(train_set, 0))
    assert prov["training_accuracy"] == fitted == prov["history"]["fit_accuracy"][-1] > FIT
    np.testing.assert_array_equal(net.samples.labels, held_out.labels)               # the true labels
    assert prov["held_out_accuracy"] == accuracy(net, net.samples)
    assert "--random-labels" in prov["command"].split() and "--shift 0" in prov["command"]
    assert f"training accuracy {100 * fitted:.2f} %" in printed


def test_train_random_labels_that_do_not_fit_say_so_and_keep_the_file(separable_csv, tmp_path, monkeypatch, capsys):
    monkeypatch.setattr("minicnn.train.recipe.HELD_OUT", 20)
    out = tmp_path / "rl.h5"
    rc = train_cli("--random-labels", "--epochs", 2, "--batch", 20, "--data", separable_csv, "-o", out)
    assert_one_line_error(rc, capsys.readouterr().err, "did not fit the random labels", "after 2 epochs",
                          f"in {out}")
    prov = load(out).meta["provenance"]
    assert prov["fitted"] is False and prov["training_accuracy"] <= FIT and prov["epochs_run"] == 2


@pytest.mark.parametrize("args, fragment", [
    (["--random-labels", "-o", "{home}/digits.h5"], "it is the shipped digits model, not one trained on random"),
    (["-o", "{home}/digits_random_labels.h5"], "it is the shipped digits_random_labels model"),
    (["--random-labels", "yes", "-o", "{tmp}/m.h5"], "unrecognized arguments: yes"),
    (["--random-labels=yes", "-o", "{tmp}/m.h5"], "ignored explicit argument"),
])
def test_train_random_labels_refuses_bad_flags_and_the_other_models_file(small_csv, tmp_path, monkeypatch, capsys, args, fragment):
    home = tmp_path / "home"
    home.mkdir()
    (home / "digits.h5").write_bytes(b"the true-label model")
    monkeypatch.setenv("MINICNN_HOME", str(home))
    rc = train_cli(*[a.format(home=home, tmp=tmp_path) for a in args], "--data", small_csv)
    captured = capsys.readouterr()
    assert_one_line_error(rc, captured.err, fragment)
    assert "epoch" not in captured.out and (home / "digits.h5").read_bytes() == b"the true-label model"
    assert sorted(p.name for p in home.iterdir()) == ["digits.h5"] and not (tmp_path / "m.h5").exists()


def test_the_shipped_random_label_model_fits_its_permuted_labels_and_nothing_else():
    if not SHIPPED.is_file():
        pytest.skip(f"{SHIPPED} is not there (`minicnn train --random-labels -o {SHIPPED}` makes it)")
    net = load(RANDOM_LABELS_MODEL)
    prov = net.meta["provenance"]
    assert net.meta["name"] == RANDOM_LABELS_MODEL and prov["random_labels"] is True and prov["fitted"] is True
    assert prov["training_accuracy"] > FIT and prov["held_out_accuracy"] < 0.3
    assert prov["held_out_accuracy"] == pytest.approx(accuracy(net, net.samples), abs=1e-9)
    assert "--random-labels" in prov["command"].split() and prov["data"]["train"] == 4000
    reference = load()                                      # the same held-out digits, with their true labels
    np.testing.assert_array_equal(net.samples.images, reference.samples.images)
    np.testing.assert_array_equal(net.samples.labels, reference.samples.labels)
    digits_ = digits_or_skip()
    train_set, _ = data.split(digits_, HELD_OUT, SPLIT_SEED)
    permuted = data.permute_labels(train_set, prov["settings"]["seed"])
    assert accuracy(net, permuted) == pytest.approx(prov["training_accuracy"], abs=1e-9)
    assert accuracy(net, train_set) < 0.3                   # it learned the permutation, not the digits
