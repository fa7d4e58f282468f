"""DeepDream (Mordvintsev et al. 2015): a photo's dream at a middle and a higher layer, and one
guided by another photo.

    python demos/deepdream.py [--model squeezenet1_1] [-o out]
"""
from minicnn import display, viz

import common


def main():
    ap = common.parser(__doc__.splitlines()[0])
    ap.add_argument("--image", default="coffee.png")
    ap.add_argument("--guide", default="astronaut.png")
    ap.add_argument("--iterations", type=int, default=10)
    args = ap.parse_args()
    net = common.model(args)
    x = common.photo(net, args.image)
    maps = viz.map_layers(net)
    maps = [n for n in maps if net.layers[n]["type"] == "concat"] or maps     # SqueezeNet: its fire modules
    results = [viz.run("deepdream", net, x, layer=maps[len(maps) // 2], iterations=args.iterations),
               viz.run("deepdream", net, x, iterations=args.iterations),
               viz.run("deepdream", net, x, guide=str(common.PHOTOS / args.guide), iterations=args.iterations)]
    row = display.deepdream(net, results[0]) + [display.deepdream(net, r)[1] for r in results[1:]]
    common.save(args, "deepdream.png", row, results, image=args.image, guide=args.guide)


if __name__ == "__main__":
    main()
