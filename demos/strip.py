"""The README's strip: one small picture from each of eight techniques, on the default model
and its held-out digits, or on an ImageNet model and the demo photos.

    python demos/strip.py [--model digits] [-o out]            # out/strip_digits.png
    python demos/strip.py --model squeezenet1_1 [-o out]      # out/strip_squeezenet1_1.png
"""
import numpy as np
from PIL import Image

from minicnn import display, to_numpy, viz

import common

SIDE = 112          # every panel is scaled to this many pixels on its longer side


def to_side(rgb):
    """Small pictures enlarged by whole pixels, large ones shrunk, to about SIDE pixels."""
    if max(rgb.shape[:2]) <= SIDE // 2:
        return display.enlarge(rgb, SIDE // max(rgb.shape[:2]))
    scale = SIDE / max(rgb.shape[:2])
    return np.asarray(Image.fromarray(rgb).resize((round(rgb.shape[1] * scale), round(rgb.shape[0] * scale)),
                                                  Image.LANCZOS))


def main():
    ap = common.parser(__doc__.splitlines()[0])
    ap.set_defaults(model="digits")
    args = ap.parse_args()
    net = common.model(args)
    digits = net.samples is not None
    if digits:
        x, y = (net.space.preprocess(net.samples.images[i]) for i in (0, 1))
    else:
        x, y = common.photo(net, "chelsea.png"), common.photo(net, "coffee.png")
    layer = viz.map_layers(net)[-1]                                 # the last map: its units see the most
    unit = int(to_numpy(net.forward(x, end=layer))[0].reshape(net.shapes[layer][0], -1).max(axis=1).argmax())
    wanted = (3, 8, 5) if digits else ("flamingo", "ostrich", "goldfish")
    runs = [("SmoothGrad", "saliency", x, {"samples": 25}, 1),
            ("guided backprop", "neuron", x, {"layer": layer, "unit": unit, "mode": "guided"}, 1),
            ("occlusion", "occlusion", y, {}, 1),
            (f"class: {wanted[0]}", "classviz", None, {"target": wanted[0]}, 0),
            ("DeepDream", "deepdream", y, {}, 1),
            ("inversion", "invert", x, {"iterations": 200}, 2),
            (f"adversarial: {wanted[1]}", "adversarial", y, {"target": wanted[1]}, 1),
            (f"fooling: {wanted[2]}", "fool", None, {"target": wanted[2]}, 0)]
    panels, results = [], []
    for title, name, image, options, which in runs:
        r = viz.run(name, net, image, **options)
        picture = viz.TECHNIQUES[name].picture(net, r)
        panel = (picture[0] if isinstance(picture[0], list) else picture)[which]
        panels.append(display.Panel(title, to_side(panel.image)))
        results.append(r)
    name = f"strip_{net.meta.get('name')}.png"
    fig = display.figure([panels], size=1.2)
    png = display.save_figure(fig, f"{args.out}/{name}", {"model": args.model,
                                                          "results": [r.sidecar() for r in results]})
    print(f"wrote {png}")


if __name__ == "__main__":
    main()
