"""Time every visualization technique on one model (default: SqueezeNet v1.1, 227x227, CPU).

    python benchmarks/techniques_speed.py [--model squeezenet1_1] [--image IMG]

Each time is also given as a ratio to one forward + backward pass to the image, measured in
the same run: the part above the network's own cost is Python overhead (or extra passes).
"""
import argparse
import time
from pathlib import Path

import minicnn  # noqa: F401  (thread settings before numpy)
import numpy as np

from minicnn import viz
from minicnn.images import load_image

DEFAULT_IMAGE = Path(__file__).resolve().parents[1] / "demos" / "photos" / "coffee.png"


def timed(fn, repeat=3):
    fn()
    best = np.inf
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    return best


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default="squeezenet1_1")
    ap.add_argument("--image", default=str(DEFAULT_IMAGE))
    args = ap.parse_args()
    net = minicnn.load(args.model)
    x = net.space.preprocess(load_image(args.image))
    c = int(viz.probabilities(net, x).argmax())
    img = net.space.deprocess(x)
    s = viz.saliency(net, x, c)
    layer = [n for n in net.layer_names if net.layers[n]["type"] == "concat"][-1]

    def pass_():
        out = net.forward(x, end=viz.score_layer(net))
        net.backward(out)

    base = timed(pass_)
    rows = [
        ("one forward + backward to the image", lambda: pass_()),
        ("saliency map", lambda: viz.saliency(net, x, c)),
        ("GrabCut segmentation (given the map)", lambda: viz.segment(img, s)),
        ("neuron view, three ReLU rules", lambda: viz.all_modes(net, x, layer, 3)),
        ("occlusion, 32 px square, stride 8 (625 positions)", lambda: viz.occlusion(net, x, c, size=32, stride=8)),
        ("class model, 100 steps (yosinski3)", lambda: viz.class_model(net, viz.score_layer(net), c, "yosinski3",
                                                                        iterations=100)),
        ("adversarial to 'ostrich' (until classified)", lambda: viz.to_target(net, x, "ostrich")),
        ("FGSM", lambda: viz.fgsm(net, x, c, epsilon=1.0)),
        ("fooling image from noise (to 99.6 %)", lambda: viz.fooling(net, "goldfish")),
        ("DeepDream, 4 octaves x 10 steps", lambda: viz.deepdream(net, x)),
        ("feature inversion of one layer, 400 steps", lambda: viz.invert(net, x, viz.inversion.default_layers(net)[1])),
        ("style transfer, 300 L-BFGS iterations", lambda: viz.style_transfer(net, x, x[:, :, ::-1].copy())),
        ("top patches: 8 units over 200 crops", lambda: viz.top_patches(net, x, crops=200)),
        ("t-SNE of 200 crops' codes", lambda: viz.embed(net, x, crops=200)),
    ]
    print(f"{net.meta.get('name')} {net.input_shape[1]}x{net.input_shape[2]}, {minicnn.backend.device()}, "
          f"float32; best of 3 runs\n")
    print(f"{'technique':52s} {'time':>9s} {'x pass':>8s}")
    for name, fn in rows:
        slow = any(w in name for w in ("class model", "occlusion", "DeepDream", "inversion", "style", "patches", "t-SNE"))
        t = base if name.startswith("one forward") else timed(fn, repeat=1 if slow else 3)
        print(f"{name:52s} {t * 1e3:8.0f}ms {t / base:8.1f}")


if __name__ == "__main__":
    main()
