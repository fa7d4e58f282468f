"""Why linear models are easy to fool: the lecture's logistic regression in numbers, and
"breaking linear classifiers": adding a little of one class's weight template to an image
flips a softmax classifier (trained here by minicnn's own layers on scikit-learn's digits).

    python demos/linear_adversarial.py [-o out]
"""
import argparse
from pathlib import Path

import numpy as np

from minicnn import display, viz
from minicnn.viz.linear import digits


def signed(a):
    """A signed 8x8 map in red (positive) and blue (negative), 0 white."""
    scale = float(np.abs(a).max()) or 1.0
    return display.colorize(a.reshape(8, 8), "RdBu_r", -scale, scale)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-o", "--out", default="out")
    args = ap.parse_args()
    example = viz.run("linear-example", None)
    print(example.summary())

    X, y, images = digits()
    epochs, lr = 300, 0.5
    w, b, loss = viz.train_linear_classifier(X, y, 10, epochs=epochs, lr=lr, progress=True)
    accuracy = float(((X @ w.T + b).argmax(axis=1) == y).mean())
    start = int(np.where(((X @ w.T + b).argmax(axis=1) == y) & (y == 0))[0][0])
    flips = [viz.break_linear(X[start], w, b, t) for t in range(1, 10)]
    low = min(0.0, min(float(c.min()) for _, c, _ in flips))
    high = max(1.0, max(float(c.max()) for _, c, _ in flips))          # one grey scale for all digits

    def grey(a):
        return display.colorize(a.reshape(8, 8), "gray", low, high)
    rows = [[display.Panel(f"template {t}", signed(w[t])) for t in range(10)],
            [display.Panel("a 0, classified 0", grey(images[start]))]
            + [display.Panel(f"classified {p}", grey(c)) for _, c, p in flips],
            [None] + [display.Panel(f"added {eps:.2f} x tmpl {t}", signed(c - X[start]))
                      for t, (eps, c, _) in enumerate(flips, start=1)]]
    png = display.save(rows, Path(args.out) / "linear_adversarial.png", {
        "logistic": example.sidecar(),
        "classifier": {"train_accuracy": accuracy, "loss": loss, "epochs": epochs, "lr": lr},
        "start_index": start, "flips": [{"target": t, "epsilon": eps, "predicted": p}
                                        for t, (eps, _, p) in enumerate(flips, start=1)]})
    print(f"wrote {png}")


if __name__ == "__main__":
    main()
