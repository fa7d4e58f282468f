"""Adversarial examples (Szegedy et al. 2014), the fast gradient sign method (Goodfellow et al.
2015) and fooling images (Nguyen et al. 2015).

    python demos/adversarial.py [--model squeezenet1_1] [-o out]
"""
from minicnn import display, viz

import common


def main():
    args = common.parser(__doc__.splitlines()[0]).parse_args()
    net = common.model(args)
    rows, results = [], []
    for name in ("coffee.png", "chelsea.png"):
        x = common.photo(net, name)
        to_ostrich = viz.run("adversarial", net, x, target="ostrich", step=0.25)
        one_step = viz.run("fgsm", net, x, epsilon=1.0)
        rows.append(display.adversarial(net, to_ostrich) + display.adversarial(net, one_step)[1:2])
        results += [to_ostrich, one_step]
    fooled = [viz.run("fool", net, target=t) for t in ("goldfish", "flamingo", "school bus", "strawberry")]
    rows.append([display.fooling(net, r)[0] for r in fooled])
    common.save(args, "adversarial.png", rows, results + fooled)


if __name__ == "__main__":
    main()
