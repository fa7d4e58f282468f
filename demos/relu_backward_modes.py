"""The lecture's comparison of the three ReLU backward rules, on one small example.

    python demos/relu_backward_modes.py [-o out/relu_backward_modes.png]

A 3x3 ReLU input (forward), an upstream gradient arriving from above (backward), and what each
rule sends down: backprop masks by the forward input, deconvnet by the sign of the upstream
signal, guided backprop by both. Every number in the picture comes from
minicnn.layers.relu_backward.
"""
import argparse

import minicnn  # noqa: F401
import numpy as np

from minicnn.display import plt, save_figure
from minicnn.layers import RELU_MODES, relu_backward, relu_forward

X = np.array([[1.0, -1.0, 5.0], [2.0, -5.0, -7.0], [-3.0, 2.0, 4.0]])
DOUT = np.array([[-2.0, 3.0, -1.0], [6.0, -3.0, 1.0], [2.0, -1.0, 3.0]])
RULES = {"backprop": "(x > 0) · dout", "deconvnet": "(dout > 0) · dout", "guided": "(x > 0) · (dout > 0) · dout"}


def compute():
    out, cache = relu_forward(X[None, None])
    grads = {m: relu_backward(DOUT[None, None], cache, m)[0, 0] for m in RELU_MODES}
    return out[0, 0], grads


def draw(panels):
    fig, axes = plt.subplots(1, len(panels), figsize=(3.1 * len(panels), 3.6))
    for ax, (title, values) in zip(axes, panels):
        ax.imshow(np.sign(values), cmap="coolwarm", vmin=-2, vmax=2)
        for (i, j), v in np.ndenumerate(values):
            ax.text(j, i, f"{v:g}", ha="center", va="center", fontsize=15)
        ax.set_title(title, fontsize=10)
        ax.set_xticks([]), ax.set_yticks([])
    return fig


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-o", "--output", default="out/relu_backward_modes.png")
    args = ap.parse_args()
    out, grads = compute()
    panels = [("forward input x", X), ("forward output max(x, 0)", out), ("upstream gradient dout", DOUT)]
    panels += [(f"{m}\n{RULES[m]}", grads[m]) for m in RELU_MODES]
    params = {"demo": "relu_backward_modes", "x": X.tolist(), "dout": DOUT.tolist(),
              "results": {m: g.tolist() for m, g in grads.items()}}
    png = save_figure(draw(panels), args.output, params)
    print(f"wrote {png}")


if __name__ == "__main__":
    main()
