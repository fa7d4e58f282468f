"""How far a float32 image gradient is from the float64 truth: minicnn's two engines and PyTorch.

    python benchmarks/truth.py [--draws 6] [--batch 1]

On random VGG16s (He-normal weights, biases 0.05 N(0, 1), images 50 N(0, 1); the draws of
tests/test_truth.py), for four cases (the class score fc8[281] under backprop, a conv5_3 unit
under backprop and guided backprop, a conv4_2 unit under the deconvnet rule), each float32 path
is compared with minicnn's float64 readable pass in two ways, as max |g32 - g64| / max |g64|:

- plainly: where a ReLU's input or two pooling inputs sit within rounding of a tie, float32
  may decide otherwise than float64 and the gradient then takes another linear piece (a few
  percent of its largest value); so this number is small in some draws and large in others;
- through the same decisions: float64 arithmetic through the float32 pass's own ReLU masks and
  pooling winners (tests/test_truth.py's decided_backward), which measures the arithmetic alone.

Also the largest forward error of any layer (as a fraction of that layer's largest output),
which bounds how close to a tie a path can decide wrongly. The paths: minicnn's fast engine
(the default), its readable engine (MINICNN_FAST=0), and PyTorch's float32 CPU build
(channels_last, oneDNN) where it is installed.
"""
import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from minicnn import backend  # noqa: E402
from test_truth import CASES, decided_backward, random_vgg16, relative, unit_gradient  # noqa: E402


def minicnn_path(net32, x, fast):
    """{case: image gradient}, {layer: float32 output} of a float32 pass of minicnn's engine."""
    with backend.fast_paths(fast):
        net32.forward(x.astype(np.float32), end="fc8")
        outputs = {k: v.copy() for k, v in net32.outputs.items()}
        grads = {}
        for end, unit, mode in CASES:
            out = net32.forward(x.astype(np.float32), end=end)
            with net32.relu_mode(mode):
                grads[end, mode] = net32.backward(unit_gradient(out, unit)).astype(np.float64)
    return grads, outputs


def torch_path(net32, x):
    """The same for PyTorch's float32 (channels_last), its ReLUs under each rule."""
    import torch
    F = torch.nn.functional

    class Relu(torch.autograd.Function):
        mode = "backprop"

        @staticmethod
        def forward(ctx, z):
            ctx.save_for_backward(z)
            return z.clamp(min=0)

        @staticmethod
        def backward(ctx, g):
            z, = ctx.saved_tensors
            keep = {"backprop": z > 0, "deconvnet": g > 0, "guided": (z > 0) & (g > 0)}[Relu.mode]
            return torch.where(keep, g, torch.zeros_like(g))

    params = {n: {k: torch.from_numpy(np.asarray(v)) for k, v in p.items()} for n, p in net32.params.items()}

    def run(end):
        h = torch.from_numpy(x.astype(np.float32)).contiguous(memory_format=torch.channels_last).requires_grad_(True)
        image, outputs = h, {}
        for name in net32.layer_names:
            spec, p = net32.layers[name], params.get(name)
            if spec["type"] == "conv":
                h = F.conv2d(h, p["W"].contiguous(memory_format=torch.channels_last), p["b"], padding=spec["pad"])
            elif spec["type"] == "relu":
                h = Relu.apply(h)
            elif spec["type"] == "maxpool":
                h = F.max_pool2d(h, spec["size"], spec["stride"])
            elif spec["type"] == "linear":
                h = F.linear(h.flatten(1), p["W"], p["b"])
            outputs[name] = h
            if name == end:
                return image, h, outputs

    _, _, outputs = run("fc8")
    outputs = {k: v.detach().numpy().copy() for k, v in outputs.items()}
    grads = {}
    for end, unit, mode in CASES:
        Relu.mode = mode
        image, out, _ = run(end)
        out.backward(torch.from_numpy(unit_gradient(out.detach().numpy(), unit)))
        grads[end, mode] = image.grad.numpy().astype(np.float64)
    return grads, outputs


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--draws", type=int, default=6, help="random VGG16s (seeds 0, 1, ...)")
    ap.add_argument("--batch", type=int, default=1)
    args = ap.parse_args()
    try:
        import torch  # noqa: F401
        paths = ["fast", "readable", "PyTorch"]
    except ImportError:
        paths = ["fast", "readable"]
        print("PyTorch is not installed: minicnn's two engines only")
    names = [f"{end} {mode}" for end, _, mode in CASES]
    rows = {p: [] for p in paths}
    for seed in range(args.draws):
        net64, net32, x, out64 = random_vgg16(seed, args.batch)
        truth = {}
        with backend.fast_paths(False):
            for end, unit, mode in CASES:
                net64.forward(x, end=end)
                with net64.relu_mode(mode):
                    truth[end, mode] = net64.backward(unit_gradient(net64.outputs[end], unit))
        for path in paths:
            grads, out32 = (torch_path(net32, x) if path == "PyTorch" else
                            minicnn_path(net32, x, fast=path == "fast"))
            forward = max(relative(out32[n], out64[n]) for n in out64 if n != "data")
            plain = [relative(grads[c[0], c[2]], truth[c[0], c[2]]) for c in CASES]
            decided = [relative(grads[end, mode],
                                decided_backward(net64, out64, out32, end, unit_gradient(out64[end], unit), mode))
                       for end, unit, mode in CASES]
            rows[path].append((forward, plain, decided))
            print(f"draw {seed} {path:9s} forward {forward:.1e}  plain " + "  ".join(f"{e:.1e}" for e in plain)
                  + "  | same decisions " + "  ".join(f"{e:.1e}" for e in decided), flush=True)
    print(f"\nbatch {args.batch}, {args.draws} draws: largest forward error; per case, the draws within 3e-6 "
          "plainly, and the largest error through the same decisions")
    print(f"{'path':10s}{'forward':>10s}" + "".join(f"{n:>28s}" for n in names))
    for path, r in rows.items():
        cells = [f"{sum(d[1][i] <= 3e-6 for d in r)}/{len(r)} plain, {max(d[2][i] for d in r):.1e}"
                 for i in range(len(CASES))]
        print(f"{path:10s}{max(d[0] for d in r):10.1e}" + "".join(f"{c:>28s}" for c in cells))


if __name__ == "__main__":
    main()
