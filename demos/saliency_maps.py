"""Saliency maps and the segmentations GrabCut grows from them (Simonyan et al. 2014).

    python demos/saliency_maps.py [--model squeezenet1_1] [-o out]
"""
import numpy as np

from minicnn import viz

import common


def main():
    args = common.parser(__doc__.splitlines()[0]).parse_args()
    net = common.model(args)
    names = ["chelsea.png", "coffee.png", "rocket.jpg"]
    fig, axes = common.figure(len(names), 3)
    params = {"images": names, "segment": {"smooth": 3.0, "fg_percentile": 95, "bg_percentile": 30}, "classes": []}
    for row, name in zip(axes, names):
        img, x = common.photo(net, name)
        c = int(viz.probabilities(net, x).argmax())
        s = viz.saliency(net, x, c)
        mask = viz.segment(img, s)
        shown = img.copy()
        shown[~mask] //= 4
        row[0].imshow(img)
        row[0].set_title(net.classes[c].split(",")[0], fontsize=9)
        row[1].imshow(s, cmap="gray", vmin=0, vmax=np.percentile(s, 99))
        row[1].set_title("saliency max_c |dS/dI|", fontsize=9)
        row[2].imshow(shown)
        row[2].set_title("GrabCut from saliency seeds", fontsize=9)
        params["classes"].append({"image": name, "class": c, "name": net.classes[c]})
    common.save(fig, args, "saliency_maps.png", params)


if __name__ == "__main__":
    main()
