"""Class model visualization (Simonyan et al. 2014) with the regularizers of Yosinski et al. 2015:
images that maximize class scores, and units along the way to the top.

    python demos/class_models.py [--model squeezenet1_1] [-o out] [--iterations 300]
"""
from minicnn import display, viz

import common

CLASSES = ["flamingo", "goldfish", "school bus", "strawberry"]


def main():
    ap = common.parser(__doc__.splitlines()[0])
    ap.add_argument("--iterations", type=int, default=300)
    ap.add_argument("--preset", default="yosinski3", choices=sorted(viz.PRESETS))
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    net = common.model(args)
    options = dict(preset=args.preset, iterations=args.iterations, seed=args.seed)
    classes = [viz.run("classviz", net, target=name, **options) for name in CLASSES]
    # Units along the way to the top: in four layers, the channel that responds most strongly,
    # at the centre of the map, to a real photo (many SqueezeNet units never fire at all).
    photo = common.photo(net, "coffee.png")
    maps = viz.map_layers(net)
    maps = [n for n in maps if net.layers[n]["type"] == "concat"] or maps     # SqueezeNet: its fire modules
    units = []
    for layer in [maps[i * (len(maps) - 1) // 3] for i in range(4)]:
        out = net.forward(photo, end=layer)[0]
        cy, cx = out.shape[1] // 2, out.shape[2] // 2
        units.append(viz.run("classviz", net, layer=layer, unit=(int(out[:, cy, cx].argmax()), cy, cx), **options))
    rows = [[p for r in results for p in display.class_model(net, r)[:1]] for results in (classes, units)]
    common.save(args, "class_models.png", rows, classes + units)


if __name__ == "__main__":
    main()
