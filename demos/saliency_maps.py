"""Saliency maps and the segmentations GrabCut grows from them (Simonyan et al. 2014), seeded by
SmoothGrad (Smilkov et al. 2017): the whole photo, resized to the network's input.

    python demos/saliency_maps.py [--model squeezenet1_1] [-o out] [--samples 25]
"""
from minicnn import display, viz

import common

PHOTOS = ("coffee.png", "rocket.jpg", "chelsea.png", "astronaut.png")


def main():
    ap = common.parser(__doc__.splitlines()[0])
    ap.add_argument("--samples", type=int, default=25, help="SmoothGrad copies (0: the plain saliency map)")
    args = ap.parse_args()
    net = common.model(args)
    results = [viz.run("segment", net, common.photo(net, name, whole=True), samples=args.samples)
               for name in PHOTOS]
    common.save(args, "saliency_maps.png", [display.segment(net, r) for r in results], results)


if __name__ == "__main__":
    main()
