"""Feature inversion (Mahendran & Vedaldi 2015): the photo rebuilt from its codes at four depths,
and four reconstructions from random starts that one layer cannot tell apart.

    python demos/inversion.py [--model squeezenet1_1] [-o out] [--iterations 400]
"""
from minicnn import display, viz

import common


def main():
    ap = common.parser(__doc__.splitlines()[0])
    ap.add_argument("--image", default="coffee.png")
    ap.add_argument("--iterations", type=int, default=400)
    args = ap.parse_args()
    net = common.model(args)
    x = common.photo(net, args.image)
    layers = viz.inversion.default_layers(net)
    depths = viz.run("invert", net, x, iterations=args.iterations)
    same = viz.run("invert", net, x, layers=layers[2], restarts=4, iterations=args.iterations)
    rows = display.inversion(net, depths) + [display.inversion(net, same)[1]]
    common.save(args, "inversion.png", rows, [depths, same], image=args.image)


if __name__ == "__main__":
    main()
