"""Why linear models are easy to fool: the lecture's logistic regression in numbers, and
"breaking linear classifiers": adding a little of one class's weight template to an image
flips a softmax classifier (trained here by minicnn's own layers on scikit-learn's digits).

    python demos/linear_adversarial.py [-o out]
"""
import argparse
from pathlib import Path

from minicnn import display, viz


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-o", "--out", default="out")
    args = ap.parse_args()
    example = viz.run("linear-example", None)
    print(example.summary())
    broken = viz.run("break-linear", None)
    print(broken.summary())
    png = display.save(display.broken_linear(None, broken), Path(args.out) / "linear_adversarial.png",
                       {"logistic": example.sidecar(), "broken": broken.sidecar()})
    print(f"wrote {png}")


if __name__ == "__main__":
    main()
