"""Time a VGG16-shaped network (random weights) on the current device.

    python benchmarks/vgg16_speed.py [--batch 1] [--repeat 5] [--size 224]

Prints the time of a forward pass to fc8 and of forward + backward to the image, then a
per-layer split: for each conv, the im2col, GEMM and col2im it runs (measured by calling the
same kernels with the same shapes), and the pooling layers. If PyTorch is installed, the same
network with the same weights is timed in the same run and the ratios are printed.
"""
import argparse
import time

import minicnn  # noqa: F401  (thread settings before numpy)
import numpy as np

from minicnn import Net, backend, im2col, layers
from minicnn.models import vgg16


def best(fn, repeat):
    """The fastest of `repeat` runs, in milliseconds (after one warm-up run)."""
    fn()
    backend.synchronize()
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        backend.synchronize()
        times.append(time.perf_counter() - t)
    return 1e3 * min(times)


def conv_split(net, name, repeat):
    """ms for this conv's im2col, forward GEMM, backward GEMM (dcols) and col2im."""
    xp = backend.array_module()
    spec, x, w = net.layers[name], net.outputs[net.layers[name]["inputs"][0]], net.params[name]["W"]
    N, C, H, W = x.shape
    F, _, kh, kw = w.shape
    s, p = (spec["stride"],) * 2, (spec["pad"],) * 2
    Ho, Wo = layers.conv_output_size(H, W, kh, kw, s, p)
    cols = im2col.im2col(x, kh, kw, s, p, (Ho, Wo))
    w2, d = w.reshape(F, -1), xp.ones((N, F, Ho * Wo), x.dtype)
    dcols = xp.matmul(w2.T, d)
    return {"im2col": best(lambda: im2col.im2col(x, kh, kw, s, p, (Ho, Wo)), repeat),
            "GEMM fwd": best(lambda: xp.matmul(w2, cols), repeat),
            "GEMM bwd": best(lambda: xp.matmul(w2.T, d), repeat),
            "col2im": best(lambda: im2col.col2im(dcols, x.shape, kh, kw, s, p, (Ho, Wo)), repeat)}


def layer_split(net, repeat):
    rows = []
    for name in net.layer_names[:net.layer_names.index("fc8") + 1]:
        spec = net.layers[name]
        if spec["type"] == "conv":
            rows.append((name, conv_split(net, name, repeat)))
        elif spec["type"] == "maxpool":
            x = net.outputs[spec["inputs"][0]]
            out, cache = layers.maxpool_forward(x, 2, 2)
            rows.append((name, {"pool fwd": best(lambda: layers.maxpool_forward(x, 2, 2), repeat),
                                "pool bwd": best(lambda: layers.maxpool_backward(out, cache), repeat)}))
    return rows


def torch_times(net, x, repeat):
    """The same network in PyTorch (CPU, same weights, same threads), or None if not installed."""
    try:
        import torch
    except ImportError:
        return None
    torch.set_num_threads(len(__import__("os").sched_getaffinity(0)))
    mods = []
    for spec in net.spec[:net.layer_names.index("fc8") + 1]:
        t = spec["type"]
        if t == "conv":
            m = torch.nn.Conv2d(1, 1, 1, padding=spec["pad"])
            m.weight = torch.nn.Parameter(torch.from_numpy(backend.to_numpy(net.params[spec["name"]]["W"])))
            m.bias = torch.nn.Parameter(torch.from_numpy(backend.to_numpy(net.params[spec["name"]]["b"])))
        elif t == "linear":
            m = torch.nn.Linear(1, 1)
            m.weight = torch.nn.Parameter(torch.from_numpy(backend.to_numpy(net.params[spec["name"]]["W"])))
            m.bias = torch.nn.Parameter(torch.from_numpy(backend.to_numpy(net.params[spec["name"]]["b"])))
            mods.append(torch.nn.Flatten())
        elif t == "relu":
            m = torch.nn.ReLU()
        elif t == "maxpool":
            m = torch.nn.MaxPool2d(2, 2)
        else:
            m = torch.nn.Identity()
        mods.append(m)
    model = torch.nn.Sequential(*mods).eval().requires_grad_(False)
    xt = torch.from_numpy(backend.to_numpy(x))

    def fwd():
        with torch.no_grad():
            model(xt)

    def fwd_bwd():
        xg = xt.clone().requires_grad_(True)
        model(xg).sum().backward()
    check = model(xt).detach().numpy()
    return best(fwd, repeat), best(fwd_bwd, repeat), check


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--batch", type=int, default=1)
    ap.add_argument("--size", type=int, default=224)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()

    net = Net(vgg16(), (3, args.size, args.size))
    x = backend.to_device(np.random.RandomState(0).randn(args.batch, 3, args.size, args.size), np.float32)
    dout = backend.array_module().ones((args.batch, 1000), np.float32)

    def fwd_bwd():
        net.forward(x, end="fc8")
        net.backward(dout)
    t_fwd = best(lambda: net.forward(x, end="fc8"), args.repeat)
    t_both = best(fwd_bwd, args.repeat)
    print(f"VGG16, batch {args.batch}, {args.size}x{args.size}, float32, {backend.device()}")
    print(f"  forward to fc8                 {t_fwd:8.1f} ms")
    print(f"  forward + backward to image    {t_both:8.1f} ms")

    ref = torch_times(net, x, args.repeat)
    if ref is not None:
        tf, tb, out = ref
        agree = np.abs(out - backend.to_numpy(net.forward(x, end="fc8"))).max() / np.abs(out).max()
        print(f"  PyTorch {__import__('torch').__version__} (same weights, max rel. difference {agree:.1e}):"
              f" forward {tf:.1f} ms, forward + backward {tb:.1f} ms")
        print(f"  ratio minicnn / PyTorch: forward {t_fwd / tf:.2f}x, forward + backward {t_both / tb:.2f}x")

    net.forward(x, end="fc8")
    rows = layer_split(net, args.repeat)
    keys = ["im2col", "GEMM fwd", "GEMM bwd", "col2im", "pool fwd", "pool bwd"]
    print("\nper-layer split (ms)\n  " + f"{'layer':10s}" + "".join(f"{k:>10s}" for k in keys))
    totals = dict.fromkeys(keys, 0.0)
    for name, parts in rows:
        print(f"  {name:10s}" + "".join(f"{parts[k]:10.2f}" if k in parts else " " * 10 for k in keys))
        for k, v in parts.items():
            totals[k] += v
    print(f"  {'total':10s}" + "".join(f"{totals[k]:10.2f}" for k in keys))


if __name__ == "__main__":
    main()
