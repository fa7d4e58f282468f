"""Maximally activating patches (Girshick et al. 2014) for units of the last feature map, over
random crops of the demo photos, each beside its guided backpropagation (Springenberg et al.).

    python demos/top_patches.py [--model squeezenet1_1] [-o out] [--crops 60] [--units 30,60,90,120]
"""
from minicnn import display, viz

import common


def main():
    ap = common.parser(__doc__.splitlines()[0])
    ap.add_argument("--crops", type=int, default=60, help="random crops per photo")
    ap.add_argument("--units", default="30,60,90,120,150,180")
    ap.add_argument("--k", type=int, default=6)
    args = ap.parse_args()
    net = common.model(args)
    photos = ",".join(str(common.PHOTOS / n) for n in ("coffee.png", "chelsea.png", "rocket.jpg", "astronaut.png"))
    r = viz.run("top-patches", net, images=photos, crops=args.crops, units=args.units, k=args.k, guided=True)
    common.save(args, "top_patches.png", display.top_patches(net, r), [r])


if __name__ == "__main__":
    main()
