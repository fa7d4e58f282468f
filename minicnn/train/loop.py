"""Training a Net with its own hand-written backward passes.

Every step is the lecture's loop, written out:

    scores = net.forward(x, end=score layer, train=True)     # dropout on, reproducible masks
    loss, dscores = softmax_loss(scores, y)                  # mean cross-entropy and its gradient
    net.backward(dscores, params=True)                       # every weight and bias gradient
    w, state = update(optimizer, w, dw, state, lr)           # one pure update per parameter

Minibatches are shuffled and shifted by up to ``shift`` pixels (seeded), and the held-out
digits are classified after every epoch. The best epoch's weights are kept: they are what the
net holds when training ends, whether it finished, was stopped by Ctrl-C, or met NaN scores.

With ``random_labels`` (the data randomization test of Adebayo et al. 2018, "Sanity Checks for
Saliency Maps") the net learns a seeded permutation of the training labels. The held-out
accuracy then stays near chance and says nothing, so the training digits, classified in
inference mode against the labels learned, choose the epoch, and training stops as soon as the
net fits them (accuracy > FIT).
"""
import time
from dataclasses import dataclass, replace

import numpy as np

from ..backend import to_device, to_numpy
from ..errors import ArgumentError
from ..layers import softmax_loss
from ..progress import progress_bar
from ..settings import Settings, option
from ..viz.targets import score_layer
from . import optim
from .data import permute_labels, shift

FIT = 0.95          # random labels count as learned above this training accuracy (Adebayo et al.'s 95 %)


@dataclass(frozen=True)
class TrainSettings(Settings):
    """How to train; None means the default of the mode (normal or random labels): resolved()."""
    epochs: int = option(None, "passes over the training digits (default 30; with --random-labels up to 200, "
                               "stopping once the training digits are fitted)", kind="int", ge=1, le=10_000)
    batch: int = option(64, "digits per step", ge=1, le=4096)
    optimizer: str = option("adam", "the update rule", choices=optim.OPTIMIZERS)
    lr: float = option(None, "learning rate (default: 0.002 for adam, 0.05 for sgd)", kind="float", gt=0, le=10)
    schedule: str = option("cosine", "how the learning rate falls over the epochs", choices=optim.SCHEDULES)
    momentum: float = option(0.9, "SGD momentum", ge=0, lt=1)
    nesterov: bool = option(False, "SGD with Nesterov momentum")
    weight_decay: float = option(1e-4, "weight decay (L2 for SGD, decoupled for Adam)", ge=0, le=1)
    shift: int = option(None, "augmentation: random shifts of up to this many pixels (default 2; 0 with "
                              "--random-labels, where the point is to memorize)", kind="int", ge=0, le=8)
    seed: int = option(0, "seed for the initial weights, the order of the digits, shifts, dropout and the "
                          "label permutation", ge=0, le=2**32 - 1)
    random_labels: bool = option(False, "train on a seeded permutation of the training labels, until the net "
                                        f"fits them (training accuracy without dropout > {FIT:g}): Adebayo et al.'s "
                                        "data randomization test. The training accuracy, not the held-out one, "
                                        "chooses the epoch (default -o digits_random_labels.h5)")

    def learning_rate(self):
        return self.lr if self.lr is not None else {"adam": 0.002, "sgd": 0.05}[self.optimizer]

    def resolved(self):
        """These settings with every default of the mode filled in (what training runs with)."""
        return replace(self, lr=self.learning_rate(),
                       epochs=self.epochs if self.epochs is not None else (200 if self.random_labels else 30),
                       shift=self.shift if self.shift is not None else (0 if self.random_labels else 2))


@dataclass(frozen=True)
class History:
    """What training measured: per epoch, the mean training loss, the training accuracy (with
    dropout and shifts on) and the held-out accuracy; with random labels also the fit (the
    training digits in inference mode, against the labels learned); which epoch was kept, by
    which accuracy; how it ended."""
    loss: list
    train_accuracy: list
    held_out_accuracy: list
    best_epoch: int                  # 1-based; 0 when no epoch finished
    best_accuracy: float             # of the kept epoch: held-out, or the fit with random labels
    seconds: float
    stopped: str                     # "finished", "fitted" (random labels: > FIT), "interrupted", or why the
    steps: int                       # loss could not go on
    fit_accuracy: list = ()          # random labels only: accuracy(net, the training digits, permuted labels)


def to_input(net, images):
    """uint8 pixels (N, H, W) -> (N, C, H, W) in the net's input space, on its device."""
    return to_device(net.space.to_input(np.repeat(images[..., None], 3, axis=-1)), net.dtype)


def accuracy(net, samples, batch=500):
    """The fraction of ``samples`` the net classifies as labelled (inference: dropout off)."""
    correct, layer = 0, score_layer(net)
    for start in range(0, len(samples), batch):
        scores = net.forward(to_input(net, samples.images[start:start + batch]), end=layer)
        correct += int((to_numpy(scores).reshape(len(scores), -1).argmax(axis=1)
                        == samples.labels[start:start + batch]).sum())
    return correct / max(len(samples), 1)


def train(net, train_set, held_out, settings, progress=None, report=print):
    """Train ``net`` in place on ``train_set``; returns a History. The net ends with the weights
    of the epoch that classified ``held_out`` best, or with random labels of the epoch that fitted
    the training digits best (training stops once that is > FIT). report(line) is called after
    every epoch. NaN or infinite scores stop training at once; History.stopped names the step."""
    if net.input_shape[1:] != train_set.images.shape[1:3]:
        raise ArgumentError(f"the net takes {net.input_shape[1:]} images, the digits are {train_set.images.shape[1:3]}")
    s, layer = settings.resolved(), score_layer(net)
    if s.random_labels:
        train_set = permute_labels(train_set, s.seed)
    rng = np.random.RandomState(s.seed)
    states = {(name, key): {} for name, ps in net.params.items() for key in ps}
    losses, train_acc, held_acc, fit_acc = [], [], [], []
    best = (0, -1.0, {n: {k: v.copy() for k, v in ps.items()} for n, ps in net.params.items()})
    stopped, start, step = "finished", time.perf_counter(), 0
    try:
        for epoch in range(s.epochs):
            lr = optim.learning_rate(s.schedule, s.learning_rate(), epoch, s.epochs)
            order = rng.permutation(len(train_set))
            bar = progress_bar(range(0, len(order), s.batch), f"epoch {epoch + 1}/{s.epochs}", progress)
            total, right, seen = 0.0, 0, 0
            for first in bar:
                idx = order[first:first + s.batch]
                x = to_input(net, shift(train_set.images[idx], s.shift, rng))
                y = train_set.labels[idx]
                scores = net.forward(x, end=layer, train=True, seed=int(rng.randint(2**31)))
                step += 1
                if not np.isfinite(to_numpy(scores)).all():      # diverged: keep the epochs that finished
                    stopped = (f"the scores became NaN or inf at epoch {epoch + 1}, step {step} "
                               f"(learning rate {lr:g}: too high?)")
                    break
                loss, dscores = softmax_loss(scores.reshape(len(idx), -1), y)
                net.backward(dscores.reshape(scores.shape), params=True)
                for name, grads in net.grads.items():
                    for key, g in grads.items():
                        net.params[name][key], states[name, key] = optim.update(
                            s.optimizer, net.params[name][key], g, states[name, key], lr,
                            s.weight_decay, s.momentum, s.nesterov)
                total += loss * len(idx)
                right += int((to_numpy(scores).reshape(len(idx), -1).argmax(axis=1) == y).sum())
                seen += len(idx)
                if hasattr(bar, "set_postfix"):
                    bar.set_postfix(loss=f"{total / seen:.3f}", accuracy=f"{right / seen:.3f}")
            if stopped != "finished":
                break
            losses.append(total / seen)
            train_acc.append(right / seen)
            held_acc.append(accuracy(net, held_out))
            if s.random_labels:
                fit_acc.append(accuracy(net, train_set))
            chosen = fit_acc[-1] if s.random_labels else held_acc[-1]
            if chosen > best[1]:
                best = (epoch + 1, chosen, {n: {k: v.copy() for k, v in ps.items()} for n, ps in net.params.items()})
            report(f"epoch {epoch + 1}/{s.epochs}: lr {lr:.2g}, loss {losses[-1]:.4f}, training accuracy "
                   f"{100 * train_acc[-1]:.2f} %, held-out accuracy {100 * held_acc[-1]:.2f} %"
                   + (f", fit {100 * fit_acc[-1]:.2f} % (training digits, dropout off)" if s.random_labels else ""))
            if s.random_labels and fit_acc[-1] > FIT:
                stopped = "fitted"
                break
    except KeyboardInterrupt:
        stopped = "interrupted"
    finally:
        for name, ps in best[2].items():             # the best epoch's weights (the start if none finished)
            net.params[name] = ps
    return History(losses, train_acc, held_acc, best[0], max(best[1], 0.0), time.perf_counter() - start, stopped,
                   step, fit_acc)
