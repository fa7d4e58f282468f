"""What single neurons respond to: backprop, deconvnet and guided backprop side by side, for
units at several depths, with the image patch each unit can see (Zeiler & Fergus 2013;
Springenberg et al. 2015).

    python demos/deconv_guided.py [--model squeezenet1_1] [-o out] [--image coffee.png]
"""
from minicnn import display, viz

import common


def main():
    ap = common.parser(__doc__.splitlines()[0])
    ap.add_argument("--image", default="coffee.png")
    args = ap.parse_args()
    net = common.model(args)
    x = common.photo(net, args.image)
    maps = viz.map_layers(net)
    results = []
    for layer in (maps[len(maps) // 4], maps[len(maps) // 2], maps[-2]):
        out = net.forward(x, end=layer)[0]
        channel = int(out.reshape(out.shape[0], -1).max(axis=1).argmax())      # the most active map
        results.append(viz.run("neuron", net, x, layer=layer, unit=channel))
    common.save(args, "deconv_guided.png", [display.neuron(net, r) for r in results], results, image=args.image)


if __name__ == "__main__":
    main()
