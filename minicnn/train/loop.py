"""Training a Net with its own hand-written backward passes.

Every step is the lecture's loop, written out:

    scores = net.forward(x, end=score layer, train=True)     # dropout on, reproducible masks
    loss, dscores = softmax_loss(scores, y)                  # mean cross-entropy and its gradient
    net.backward(dscores, params=True)                       # every weight and bias gradient
    w, state = update(optimizer, w, dw, state, lr)           # one pure update per parameter

Minibatches are shuffled and shifted by up to ``shift`` pixels (seeded), and the held-out
digits are classified after every epoch. The best epoch's weights are kept: they are what the
net holds when training ends, whether it finished, was stopped by Ctrl-C, or met NaN scores.
"""
import time
from dataclasses import dataclass

import numpy as np

from ..backend import to_device, to_numpy
from ..errors import ArgumentError
from ..layers import softmax_loss
from ..progress import progress_bar
from ..settings import Settings, option
from ..viz.targets import score_layer
from . import optim
from .data import shift


@dataclass(frozen=True)
class TrainSettings(Settings):
    epochs: int = option(30, "passes over the training digits", ge=1, le=10_000)
    batch: int = option(64, "digits per step", ge=1, le=4096)
    optimizer: str = option("adam", "the update rule", choices=optim.OPTIMIZERS)
    lr: float = option(None, "learning rate (default: 0.002 for adam, 0.05 for sgd)", kind="float", gt=0, le=10)
    schedule: str = option("cosine", "how the learning rate falls over the epochs", choices=optim.SCHEDULES)
    momentum: float = option(0.9, "SGD momentum", ge=0, lt=1)
    nesterov: bool = option(False, "SGD with Nesterov momentum")
    weight_decay: float = option(1e-4, "weight decay (L2 for SGD, decoupled for Adam)", ge=0, le=1)
    shift: int = option(2, "augmentation: random shifts of up to this many pixels", ge=0, le=8)
    seed: int = option(0, "seed for the initial weights, the order of the digits, shifts and dropout",
                       ge=0, le=2**32 - 1)

    def learning_rate(self):
        return self.lr if self.lr is not None else {"adam": 0.002, "sgd": 0.05}[self.optimizer]


@dataclass(frozen=True)
class History:
    """What training measured: per epoch, the mean training loss, the training accuracy (with
    dropout and shifts on) and the held-out accuracy; which epoch was kept; how it ended."""
    loss: list
    train_accuracy: list
    held_out_accuracy: list
    best_epoch: int                  # 1-based; 0 when no epoch finished
    best_accuracy: float
    seconds: float
    stopped: str                     # "finished", "interrupted", or why the loss could not go on
    steps: int


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
    of the epoch that classified ``held_out`` best. report(line) is called after every epoch.
    NaN or infinite scores stop training at once; History.stopped names the step."""
    if net.input_shape[1:] != train_set.images.shape[1:3]:
        raise ArgumentError(f"the net takes {net.input_shape[1:]} images, the digits are {train_set.images.shape[1:3]}")
    s, layer = settings, score_layer(net)
    rng = np.random.RandomState(s.seed)
    states = {(name, key): {} for name, ps in net.params.items() for key in ps}
    losses, train_acc, held_acc = [], [], []
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
            if held_acc[-1] > best[1]:
                best = (epoch + 1, held_acc[-1], {n: {k: v.copy() for k, v in ps.items()} for n, ps in net.params.items()})
            report(f"epoch {epoch + 1}/{s.epochs}: lr {lr:.2g}, loss {losses[-1]:.4f}, training accuracy "
                   f"{100 * train_acc[-1]:.2f} %, held-out accuracy {100 * held_acc[-1]:.2f} %")
    except KeyboardInterrupt:
        stopped = "interrupted"
    finally:
        for name, ps in best[2].items():             # the best epoch's weights (the start if none finished)
            net.params[name] = ps
    return History(losses, train_acc, held_acc, best[0], max(best[1], 0.0), time.perf_counter() - start, stopped,
                   step)
