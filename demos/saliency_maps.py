"""Saliency maps and the segmentations GrabCut grows from them (Simonyan et al. 2014).

    python demos/saliency_maps.py [--model squeezenet1_1] [-o out]
"""
from minicnn import display, viz

import common


def main():
    args = common.parser(__doc__.splitlines()[0]).parse_args()
    net = common.model(args)
    results = [viz.run("segment", net, common.photo(net, name)) for name in ("chelsea.png", "coffee.png", "rocket.jpg")]
    common.save(args, "saliency_maps.png", [display.segment(net, r) for r in results], results)


if __name__ == "__main__":
    main()
