"""Why linear models are easy to fool: the lecture's logistic regression in numbers, and
"breaking linear classifiers": adding a little of one class's weight template to an image
flips a softmax classifier (trained here by minicnn's own layers on scikit-learn's digits).

    python demos/linear_adversarial.py [-o out]
"""
import argparse

import numpy as np

from minicnn import viz
from minicnn.viz.linear import digits

import common


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-o", "--out", default="out")
    args = ap.parse_args()
    args.model = None
    r = viz.logistic_example()
    print(f"w.x = {r['score']:g}, P(class 1) = {r['p']:.4f};  after x + 0.5 sign(w): "
          f"w.x = {r['score_adv']:g}, P = {r['p_adv']:.4f}")

    X, y, images = digits()
    w, b, loss = viz.train_linear_classifier(X, y, 10, progress=True)
    accuracy = float(((X @ w.T + b).argmax(axis=1) == y).mean())
    fig, axes = common.figure(3, 10, size=1.6)
    flips = []
    for t in range(10):
        axes[0, t].imshow(w[t].reshape(8, 8), cmap="RdBu_r")
        axes[0, t].set_title(f"template {t}", fontsize=7)
    start = int(np.where(((X @ w.T + b).argmax(axis=1) == y) & (y == 0))[0][0])
    results = [viz.break_linear(X[start], w, b, t) for t in range(1, 10)]
    low = min(0.0, min(float(c.min()) for _, c, _ in results))
    high = max(1.0, max(float(c.max()) for _, c, _ in results))          # one grey scale for all digits
    axes[1, 0].imshow(images[start], cmap="gray", vmin=low, vmax=high)
    axes[1, 0].set_title("a 0, classified 0", fontsize=7)
    for t, (eps, changed, predicted) in enumerate(results, start=1):
        axes[1, t].imshow(changed.reshape(8, 8), cmap="gray", vmin=low, vmax=high)
        axes[1, t].set_title(f"classified {predicted}", fontsize=7)
        axes[2, t].imshow((changed - X[start]).reshape(8, 8), cmap="RdBu_r")
        axes[2, t].set_title(f"added {eps:.2f} x tmpl {t}", fontsize=7)
        flips.append({"target": t, "epsilon": eps, "predicted": predicted})
    axes[2, 0].axis("off")
    fig.subplots_adjust(hspace=0.45)
    common.save(fig, args, "linear_adversarial.png",
                {"logistic": {k: (v.tolist() if hasattr(v, "tolist") else v) for k, v in r.items()},
                 "classifier": {"train_accuracy": accuracy, "loss": loss, "epochs": 300, "lr": 0.5},
                 "start_index": start, "flips": flips})


if __name__ == "__main__":
    main()
