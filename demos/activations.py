"""Activation maps: every channel of a low and of a higher layer for one photo.

    python demos/activations.py [--model squeezenet1_1] [-o out] [--image chelsea.png]
"""
from minicnn import display, viz

import common


def main():
    ap = common.parser(__doc__.splitlines()[0])
    ap.add_argument("--image", default="chelsea.png")
    args = ap.parse_args()
    net = common.model(args)
    x = common.photo(net, args.image)
    maps = viz.map_layers(net)
    results = [viz.run("activations", net, x, layer=maps[len(maps) // 4], max_maps=64),
               viz.run("activations", net, x, layer=maps[(3 * len(maps)) // 4], scale="per-map", max_maps=64)]
    common.save(args, "activations.png", [display.activations(net, r) for r in results], results, image=args.image)


if __name__ == "__main__":
    main()
