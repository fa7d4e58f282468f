"""Adversarial examples of linear models: why a small, aligned change moves a high-dimensional score.

``logistic_example`` is the lecture's binary logistic regression: x·w = -3, P(class 1) = 0.0474;
adding 0.5·sign(w) to x changes every term by 0.5 in the same direction, so the score rises by
0.5·Σ|w_i| = 5 to 2, and P = 0.88.

``train_linear_classifier`` and ``break_linear`` reproduce "breaking linear classifiers": a
softmax classifier (minicnn's own linear layer and softmax loss) is trained on small images,
and adding ε times one class's weight template to an image flips the prediction to that class.
"""
from dataclasses import dataclass

import numpy as np

from ..layers import linear_backward, linear_forward, softmax_loss
from . import technique
from ..progress import progress_bar
from ..settings import option

LECTURE_X = np.array([2, -1, 3, -2, 2, 2, 1, -4, 5, 1], np.float64)
LECTURE_W = np.array([-1, -1, 1, -1, 1, -1, 1, 1, -1, 1], np.float64)


def _sigmoid(s):
    return 1.0 / (1.0 + np.exp(-s))


def logistic_example(x=LECTURE_X, w=LECTURE_W, epsilon=0.5):
    """{score, p, x_adv, score_adv, p_adv} for P(class 1 | x) = σ(w·x), attacked with ε·sign(∂score/∂x)."""
    score, cache = linear_forward(x[None], w[None], np.zeros(1))
    dx, _, _ = linear_backward(np.ones((1, 1)), cache, params=False)        # ∂score/∂x = w
    x_adv = x + epsilon * np.sign(dx[0])
    score_adv = linear_forward(x_adv[None], w[None], np.zeros(1))[0]
    return {"score": float(score[0, 0]), "p": float(_sigmoid(score[0, 0])), "x_adv": x_adv,
            "score_adv": float(score_adv[0, 0]), "p_adv": float(_sigmoid(score_adv[0, 0]))}


def train_linear_classifier(X, y, classes, epochs=300, lr=0.5, reg=1e-4, seed=0, progress=False):
    """Full-batch gradient descent on the softmax loss of scores X w^T + b (X: (N, D)).
    Returns (w (classes, D), b (classes,), final loss)."""
    rng = np.random.RandomState(seed)
    w, b = 0.001 * rng.randn(classes, X.shape[1]), np.zeros(classes)
    loss = np.inf
    for _ in progress_bar(range(epochs), "training", progress):
        scores, cache = linear_forward(X, w, b)
        loss, dscores = softmax_loss(scores, y)
        _, dw, db = linear_backward(dscores, cache)
        w -= lr * (dw + 2 * reg * w)
        b -= lr * db
        loss += reg * float((w * w).sum())
    return w, b, loss


def break_linear(x, w, b, target, max_epsilon=10.0, steps=200):
    """The smallest ε on a grid up to ``max_epsilon`` for which x + ε·w[target]/‖w[target]‖∞ is
    classified as ``target``. Returns (ε or None, the changed image, its predicted class)."""
    template = w[target] / np.abs(w[target]).max()
    for eps in np.linspace(0, max_epsilon, steps + 1)[1:]:
        changed = x + eps * template
        predicted = int((changed @ w.T + b).argmax())
        if predicted == target:
            return float(eps), changed, predicted
    return None, x + max_epsilon * template, int(((x + max_epsilon * template) @ w.T + b).argmax())


def digits():
    """scikit-learn's bundled 8x8 handwritten digits: (X (1797, 64) in 0..1, y, images (1797, 8, 8))."""
    from sklearn.datasets import load_digits
    d = load_digits()
    return d.data / 16.0, d.target, d.images / 16.0


@dataclass(frozen=True)
class Settings(technique.Settings):
    epsilon: float = option(0.5, "the change of every input, along sign(w)", gt=0, le=100)


@dataclass(frozen=True, kw_only=True)
class LogisticExample(technique.Result):
    x: np.ndarray             # (10,) the lecture's input
    w: np.ndarray             # (10,) its weights
    x_adv: np.ndarray         # x + epsilon * sign(w)
    score: float              # w . x
    p: float                  # P(class 1) = sigmoid(w . x)
    score_adv: float
    p_adv: float

    def summary(self):
        eps = self.settings.epsilon
        return "\n".join([
            "binary logistic regression, P(class 1 | x) = sigmoid(w . x)",
            f"x      = {self.x.astype(int).tolist()}",
            f"w      = {self.w.astype(int).tolist()}",
            f"w . x  = {self.score:g}        P(class 1) = {self.p:.4f}",
            f"x_adv  = x + {eps:g} * sign(w) = {self.x_adv.tolist()}",
            f"w . x_adv = {self.score_adv:g}     P(class 1) = {self.p_adv:.4f}"])


def run(net, x, settings):
    """The lecture's example (no network needed)."""
    r = logistic_example(epsilon=settings.epsilon)
    return LogisticExample(settings=settings, x=LECTURE_X, w=LECTURE_W, x_adv=r["x_adv"], score=r["score"], p=r["p"],
                           score_adv=r["score_adv"], p_adv=r["p_adv"])


@dataclass(frozen=True)
class BreakSettings(technique.Settings):
    epochs: int = option(300, "full-batch gradient steps of the softmax classifier", ge=1, le=100_000)
    lr: float = option(0.5, "its learning rate", gt=0, le=100)
    digit: int = option(0, "the class of the digit to break", ge=0, le=9)
    seed: int = option(0, "seed for the initial weights", ge=0, le=2**32 - 1)


@dataclass(frozen=True, kw_only=True)
class BrokenLinear(technique.Result):
    templates: np.ndarray      # (10, 8, 8) the classifier's weight rows, as images
    original: np.ndarray       # (8, 8) the digit, pixel values 0..1
    changed: np.ndarray        # (9, 8, 8) the digit plus epsilon times each other class's template
    epsilons: list             # the smallest epsilon that flips it to each other class (None: not reached)
    predicted: list            # what the classifier then says
    train_accuracy: float
    loss: float

    def summary(self):
        flipped = sum(e is not None for e in self.epsilons)
        return (f"a softmax classifier on scikit-learn's 8x8 digits ({100 * self.train_accuracy:.1f} % training "
                f"accuracy): a {self.settings.digit} flips to {flipped} of the 9 other classes")


def run_break(net, x, settings):
    """Train a softmax classifier on scikit-learn's digits and break it (no network needed)."""
    X, y, images = digits()
    w, b, loss = train_linear_classifier(X, y, 10, settings.epochs, settings.lr, seed=settings.seed)
    predictions = (X @ w.T + b).argmax(axis=1)
    start = int(np.where((predictions == y) & (y == settings.digit))[0][0])
    others = [t for t in range(10) if t != settings.digit]
    flips = [break_linear(X[start], w, b, t) for t in others]
    return BrokenLinear(settings=settings, templates=w.reshape(10, 8, 8), original=images[start],
                        changed=np.stack([c.reshape(8, 8) for _, c, _ in flips]),
                        epsilons=[e for e, _, _ in flips], predicted=[p for _, _, p in flips],
                        train_accuracy=float((predictions == y).mean()), loss=float(loss))
