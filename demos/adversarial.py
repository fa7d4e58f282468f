"""Adversarial examples (Szegedy et al. 2014), the fast gradient sign method (Goodfellow et al.
2015) and fooling images (Nguyen et al. 2015).

    python demos/adversarial.py [--model squeezenet1_1] [-o out]
"""
import numpy as np

from minicnn import display, viz

import common


def main():
    args = common.parser(__doc__.splitlines()[0]).parse_args()
    net = common.model(args)
    fig, axes = common.figure(3, 4)
    params = {}
    for row, name in zip(axes[:2], ["coffee.png", "chelsea.png"]):
        img, x = common.photo(net, name)
        c = int(viz.probabilities(net, x).argmax())
        r = viz.to_target(net, x, "ostrich", step=0.25, max_steps=200)
        diff = net.space.to_pixels(r.x)[0] - net.space.to_pixels(x)[0]
        row[0].imshow(img)
        row[0].set_title(f"{net.classes[c].split(',')[0]}", fontsize=9)
        row[1].imshow(net.space.deprocess(r.x))
        row[1].set_title(f"{net.classes[r.predicted].split(',')[0]} ({r.confidence:.2f})", fontsize=9)
        row[2].imshow(np.clip(128 + 10 * diff, 0, 255).astype(np.uint8))
        row[2].set_title(f"difference x10\nL-inf {r.linf:.2f}, L2 {r.l2:.0f} px", fontsize=8)
        f = viz.fgsm(net, x, c, epsilon=1.0)
        row[3].imshow(net.space.deprocess(f.x))
        row[3].set_title(f"FGSM eps=1 px: {net.classes[f.predicted].split(',')[0]}", fontsize=8)
        params[name] = {"to_ostrich": {"steps": r.steps, "linf": r.linf, "l2": r.l2, "predicted": r.predicted},
                        "fgsm_eps_1": {"predicted": f.predicted, "confidence": f.confidence}}
    for ax, target in zip(axes[2], ["goldfish", "flamingo", "school bus", "strawberry"]):
        r = viz.fooling(net, target, start="noise", seed=0)
        ax.imshow(display.centered(r.x, net.space))
        ax.set_title(f"{net.classes[r.predicted].split(',')[0]} {100 * r.confidence:.1f}%", fontsize=9)
        params[f"fooling_{target}"] = {"steps": r.steps, "confidence": r.confidence}
    common.save(fig, args, "adversarial.png", params)


if __name__ == "__main__":
    main()
