"""Optimizers and learning-rate schedules, each a small pure function.

An update takes a parameter, its gradient and the optimizer's state for it, and returns the new
parameter and the new state; nothing is changed in place, so a step can be read (and tested)
like the formula it implements. Hyperparameters are plain arguments.

    v = momentum * v - lr * (dw + wd * w)          SGD with momentum; Nesterov looks ahead:
    w = w + v                                      w = w + momentum * v - lr * (dw + wd * w)

    m = b1 m + (1 - b1) dw;  v = b2 v + (1 - b2) dw^2           Adam (Kingma & Ba 2015), with
    w = w - lr * (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + eps)   decoupled weight decay (AdamW),
    w = w - lr * wd * w                                           applied after the step
"""
import math

from ..errors import ArgumentError

OPTIMIZERS = ("sgd", "adam")
SCHEDULES = ("constant", "step", "cosine")


def sgd(w, dw, state, lr, momentum=0.9, nesterov=False, weight_decay=0.0):
    """One SGD step. state: {"v": velocity shaped like w} or {} at the first step.
    Weight decay adds wd * w to the gradient (L2 regularization of wd/2 * |w|^2)."""
    g = dw + weight_decay * w if weight_decay else dw
    v = momentum * state["v"] - lr * g if "v" in state else -lr * g
    step = momentum * v - lr * g if nesterov else v
    return w + step, {"v": v}


def adam(w, dw, state, lr, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.0):
    """One Adam step. state: {"m", "v", "t"} or {} at the first step. Weight decay is decoupled
    (AdamW): it shrinks w directly instead of entering the moment estimates."""
    t = state.get("t", 0) + 1
    m = beta1 * state["m"] + (1 - beta1) * dw if "m" in state else (1 - beta1) * dw
    v = beta2 * state["v"] + (1 - beta2) * dw * dw if "v" in state else (1 - beta2) * dw * dw
    m_hat, v_hat = m / (1 - beta1 ** t), v / (1 - beta2 ** t)
    w = w - lr * m_hat / (v_hat ** 0.5 + eps)
    if weight_decay:
        w = w - lr * weight_decay * w
    return w, {"m": m, "v": v, "t": t}


def update(name, w, dw, state, lr, weight_decay=0.0, momentum=0.9, nesterov=False):
    """The update of optimizer ``name`` ("sgd" or "adam")."""
    if name == "sgd":
        return sgd(w, dw, state, lr, momentum, nesterov, weight_decay)
    if name == "adam":
        return adam(w, dw, state, lr, weight_decay=weight_decay)
    raise ArgumentError(f"unknown optimizer {name!r}; expected one of {', '.join(OPTIMIZERS)}")


def learning_rate(schedule, base, epoch, epochs, step_every=10, gamma=0.1):
    """The learning rate for ``epoch`` (0-based) of ``epochs``.

    constant: base.  step: base * gamma ** (epoch // step_every).
    cosine: base * (1 + cos(pi * epoch / epochs)) / 2, from base down towards 0.
    """
    if schedule == "constant":
        return base
    if schedule == "step":
        return base * gamma ** (epoch // step_every)
    if schedule == "cosine":
        return base * 0.5 * (1 + math.cos(math.pi * epoch / epochs))
    raise ArgumentError(f"unknown learning-rate schedule {schedule!r}; expected one of {', '.join(SCHEDULES)}")
