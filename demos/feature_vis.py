"""Class models and units, old and new: Yosinski et al.'s regularized ascent on the pixels beside
feature visualization (Olah et al. 2017: a 1/f Fourier spectrum, decorrelated colours, random
transformations, Adam), for the same classes and units, with the time each took.

    python demos/feature_vis.py [--model squeezenet1_1] [-o out] [--steps 512]
    python demos/feature_vis.py --model digits       # the default model: digits 0, 3, 7, 8, its own settings
"""
import time

from minicnn import display, viz
from minicnn.gallery import yosinski_preset

import common
from class_models import CLASSES


def main():
    ap = common.parser(__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, default=512, help="feature visualization's Adam steps (Lucid's 512)")
    ap.add_argument("--iterations", type=int, default=None, help="Yosinski's steps (default: the preset's: "
                    "yosinski3 1000, progress 300)")
    args = ap.parse_args()
    net = common.model(args)
    imagenet = len(net.classes) == 1000
    classes = CLASSES if imagenet else [0, 3, 7, 8]
    photo = common.photo(net, "coffee.png") if imagenet else net.space.preprocess(net.samples.images[0])
    preset = yosinski_preset(net)                  # yosinski3 for ImageNet models, progress for the digits
    maps = viz.map_layers(net)
    maps = [n for n in maps if net.layers[n]["type"] == "concat"] or maps
    units = []
    for layer in [maps[i * (len(maps) - 1) // 3] for i in range(4)]:      # four depths, as class_models.py
        out = net.forward(photo, end=layer)[0]
        cy, cx = out.shape[1] // 2, out.shape[2] // 2
        units.append((layer, int(out[:, cy, cx].argmax()), cy, cx))
    old, new, seconds = [], [], {preset: 0.0, "fourier": 0.0}
    for what in [{"target": c} for c in classes] + [{"layer": L, "unit": (c, y, x)} for L, c, y, x in units]:
        start = time.perf_counter()
        old.append(viz.run("classviz", net, preset=preset, iterations=args.iterations, **what))
        seconds[preset] += time.perf_counter() - start
        start = time.perf_counter()
        # A unit: its channel's mean over the map (Olah et al.) on ImageNet; on the digits' 28x28
        # maps a channel's best image is a flat field or a texture, so the same centre neuron.
        new_what = what if "target" in what or not imagenet else {"layer": what["layer"], "unit": what["unit"][0]}
        new.append(viz.run("classviz", net, param="fourier", iterations=args.steps, **new_what))
        seconds["fourier"] += time.perf_counter() - start
    n = len(old)
    print(f"mean time per image: Yosinski's ascent ({preset}) {seconds[preset] / n:.1f} s, feature visualization "
          f"{seconds['fourier'] / n:.1f} s")
    rows = [[display.class_model(net, r)[0] for r in results] for results in (old[:4], new[:4], old[4:], new[4:])]
    common.save(args, "feature_vis.png" if imagenet else f"feature_vis_{net.meta.get('name')}.png", rows, old + new,
                seconds_per_image={k: v / n for k, v in seconds.items()})


if __name__ == "__main__":
    main()
