"""Occlusion experiments (Zeiler & Fergus 2013): the class probability, and the strongest
feature map, as a grey square slides over the image.

    python demos/occlusion.py [--model squeezenet1_1] [-o out] [--patch 40] [--stride 8]
"""
from minicnn import display, viz

import common


def main():
    ap = common.parser(__doc__.splitlines()[0])
    ap.add_argument("--patch", type=int, default=40)
    ap.add_argument("--stride", type=int, default=8)
    args = ap.parse_args()
    net = common.model(args)
    results = [viz.run("occlusion", net, common.photo(net, name), patch=args.patch, stride=args.stride)
               for name in ("coffee.png", "chelsea.png")]
    common.save(args, "occlusion.png", [display.occlusion(net, r) for r in results], results)


if __name__ == "__main__":
    main()
