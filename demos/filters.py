"""A network's weights (the lecture's "layer 1 / 2 weights"): the first layer's filters as colour
images, and a deeper layer's as grey kernels per input channel.

    python demos/filters.py [--model squeezenet1_1] [-o out]
"""
from minicnn import display, viz

import common


def main():
    args = common.parser(__doc__.splitlines()[0]).parse_args()
    net = common.model(args)
    deeper = [n for n in net.layer_names[1:] if net.layers[n]["type"] == "conv" and net.params[n]["W"].shape[2] > 1]
    results = [viz.run("filters", net), viz.run("filters", net, layer=deeper[0], max_filters=16, max_channels=32)]
    common.save(args, "filters.png", [display.filters(net, r) for r in results], results)


if __name__ == "__main__":
    main()
