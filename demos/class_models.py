"""Class model visualization (Simonyan et al. 2014) with the regularizers of Yosinski et al. 2015:
images that maximize class scores, and units along the way to the top.

    python demos/class_models.py [--model squeezenet1_1] [-o out] [--iterations 300]
"""
from minicnn import display, viz
from minicnn.viz.class_model import settings_dict

import common

CLASSES = ["flamingo", "goldfish", "school bus", "strawberry"]


def main():
    ap = common.parser(__doc__.splitlines()[0])
    ap.add_argument("--iterations", type=int, default=300)
    ap.add_argument("--preset", default="yosinski3", choices=sorted(viz.PRESETS))
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    net = common.model(args)
    score = viz.score_layer(net)
    fig, axes = common.figure(2, len(CLASSES))
    params = {"preset": settings_dict(args.preset, iterations=args.iterations), "seed": args.seed,
              "classes": [], "units": []}
    for ax, name in zip(axes[0], CLASSES):
        c = viz.resolve_target(net, name)
        x = viz.class_model(net, score, c, args.preset, seed=args.seed, iterations=args.iterations, progress=True)
        ax.imshow(display.centered(x, net.space))
        ax.set_title(net.classes[c].split(",")[0], fontsize=9)
        params["classes"].append({"class": c, "name": net.classes[c]})
    # Units along the way to the top: in four layers, the channel that responds most strongly,
    # at the centre of the map, to a real photo (many SqueezeNet units never fire at all).
    _, photo = common.photo(net, "coffee.png")
    maps = [n for n in net.layer_names if net.layers[n]["type"] == "concat"]
    for ax, layer in zip(axes[1], [maps[1], maps[3], maps[5], maps[-1]]):
        out = net.forward(photo, end=layer)[0]
        cy, cx = out.shape[1] // 2, out.shape[2] // 2
        unit = (int(out[:, cy, cx].argmax()), cy, cx)
        x = viz.class_model(net, layer, unit, args.preset, seed=args.seed, iterations=args.iterations, progress=True)
        ax.imshow(display.centered(x, net.space))
        ax.set_title(f"{layer} #{unit[0]}", fontsize=9)
        params["units"].append({"layer": layer, "unit": list(unit)})
    common.save(fig, args, "class_models.png", params)


if __name__ == "__main__":
    main()
