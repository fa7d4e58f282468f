"""A VGG16 gradient-ascent step, minicnn against PyTorch on the same CPU (or GPU), side by side.

    python benchmarks/vgg16_speed.py [--batch 1 8] [--rounds 3] [--steps 8] [--split] [--device gpu]

The step is what every visualization of the lecture repeats: forward to fc8, backward from a
class score to the image, no weight gradients. minicnn runs it as the techniques' loops do,
keeping no output but fc8's (Net.forward's keep=()), letting each cache go on the way back
(Net.backward's once=True), with the weights frozen (Net.frozen). Both sides get the same random weights (He-normal,
seed 0) and input, saved once to a temporary folder, and run in their own processes, alternated
(side_by_side.py). PyTorch (when installed) is the CPU build with channels_last tensors (oneDNN),
what a user would otherwise pick. First the two are checked to agree: logits and image gradient
within 1e-4 of their largest value. Then, per batch size: median step and forward times with
their range, the ratios, the first step (against a steady one) and each side's peak RSS, and
for minicnn the time net.frozen() takes to get Numba's kernels going before the first step,
with --split minicnn's time per layer and the path each layer took (Winograd, im2col, Numba).
MINICNN_FAST=0 in the environment times minicnn's readable path instead.

With --device gpu both sides run on the GPU: minicnn on CuPy (cuBLAS products, the Numba CUDA
im2col/col2im), PyTorch on cuDNN with cudnn.benchmark on (it picks each layer's fastest
algorithm) and TF32 off, so that both compute in float32. Each step ends when the device is
done (synchronized); instead of RSS, each side's peak device memory is what its caching
allocator held (CuPy's memory pool, PyTorch's reserved memory). The float64 agreement is
checked on the GPU too.
"""
import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

import twins
from side_by_side import CLEAN_ENV, alternate, minicnn_env, report, summarize, table, timed_steps

HERE = Path(__file__).resolve().parent
SIZE = 224


def prepare(folder, batches):
    """Write the network (twins.save) and for each batch size an input and a dout."""
    from minicnn.models import vgg16
    twins.save(folder, vgg16(), (3, SIZE, SIZE))
    for b in batches:
        rng = np.random.default_rng(b)
        np.save(folder / f"x{b}.npy", rng.standard_normal((b, 3, SIZE, SIZE), dtype=np.float32))
        dout = np.zeros((b, 1000), np.float32)
        dout[np.arange(b), rng.integers(0, 1000, size=b)] = 1          # one class score per image
        np.save(folder / f"dout{b}.npy", dout)


def load_inputs(folder, batch):
    return np.load(folder / f"x{batch}.npy"), np.load(folder / f"dout{batch}.npy")


def minicnn_worker(args):
    from minicnn import backend
    backend.use(args.device)
    net = twins.minicnn_net(args.folder)                  # its weights on the device
    x, dout = (backend.to_device(a) for a in load_inputs(args.folder, args.batch))
    t = time.perf_counter()
    with net.frozen():                   # as minicnn.viz.run runs every technique
        start = 1e3 * (time.perf_counter() - t)      # Numba's start, once per process (minicnn/fast/warm.py)
        minicnn_steps(net, x, dout, args, start)


def minicnn_steps(net, x, dout, args, start):
    """Time the first step, steady steps and forward passes (and with --split each layer), and report
    them with ``start``, the milliseconds entering net.frozen() took."""
    from minicnn import backend
    def step():
        net.forward(x, end="fc8", keep=())
        return net.backward(dout, once=True)
    sync = backend.synchronize                                            # the GPU's work done
    first = timed_steps(step, 1, sync)[0]
    if args.round == 0:
        np.savez(args.folder / f"minicnn{args.batch}.npz", logits=backend.to_numpy(net.forward(x, end="fc8", keep=())),
                 dx=backend.to_numpy(step()))
    timed_steps(step, 1, sync)                                            # warm-up, not counted
    steps = timed_steps(step, args.steps, sync)
    forward = timed_steps(lambda: net.forward(x, end="fc8", keep=()), args.steps, sync)
    split = layer_split(net, step, sync) if args.split and args.round == 0 else None
    device = {}
    if args.device == "gpu":
        cupy = backend.array_module()
        device = {"peak_device_mib": cupy.get_default_memory_pool().total_bytes() / 2**20, "cupy": cupy.__version__}
    report(start=start, first=first, step=steps, forward=forward, split=split, **device)


def layer_split(net, step, sync, repeat=5):
    """{layer: [path, forward ms, backward ms]}: medians over `repeat` steps, each layer timed inside
    the Net: the layers of the fast engine's pass, or layer_types.TYPES with MINICNN_FAST=0."""
    from minicnn import layer_types
    times = {}

    class Timed:
        def __init__(self, layer):
            self.layer = layer

        def forward(self, spec, *a, **k):
            return self.timed(self.layer.forward, spec, "forward", a, k)

        def backward(self, spec, *a, **k):
            return self.timed(self.layer.backward, spec, "backward", a, k)

        def timed(self, fn, spec, which, a, k):
            sync()
            t = time.perf_counter()
            result = fn(spec, *a, **k)
            sync()
            times.setdefault((spec["name"], which), []).append(1e3 * (time.perf_counter() - t))
            return result
    step()                                            # the fast engine's pass exists from here
    fast = net._pass
    table = fast.layers if fast else layer_types.TYPES
    originals = dict(table)
    table.update({name: Timed(layer) for name, layer in originals.items()})
    try:
        for _ in range(repeat):
            step()
    finally:
        table.update(originals)

    def path(name):
        twin = fast.plan.twins.get(name) if fast else None
        return twin or ("im2col" if net.layers[name]["type"] == "conv" else net.layers[name]["type"])
    return {n: [path(n), float(np.median(times[n, "forward"])), float(np.median(times.get((n, "backward"), [0.0])))]
            for n in net.layer_names if (n, "forward") in times}


def torch_device(name):
    """The torch.device for "cpu" or "gpu"; on the GPU, cuDNN picks each layer's fastest algorithm
    and TF32 is off (minicnn computes in plain float32)."""
    import torch
    if name == "cpu":
        return torch.device("cpu")
    torch.backends.cudnn.benchmark = True
    torch.backends.cudnn.allow_tf32 = torch.backends.cuda.matmul.allow_tf32 = False
    return torch.device("cuda")


def torch_worker(args):
    import torch
    device = torch_device(args.device)
    model = twins.torch_model(args.folder, end="fc8").requires_grad_(False).to(device)
    x, dout = load_inputs(args.folder, args.batch)
    x = torch.from_numpy(x).to(device).contiguous(memory_format=torch.channels_last)
    dout = torch.from_numpy(dout).to(device)
    sync = torch.cuda.synchronize if args.device == "gpu" else (lambda: None)

    def step():
        xg = x.clone().requires_grad_(True)
        logits = model(xg)
        logits.backward(dout)
        return logits, xg.grad

    def forward():
        with torch.no_grad():
            model(x)
    first = timed_steps(step, 1, sync)[0]
    if args.round == 0:
        logits, dx = step()
        np.savez(args.folder / f"torch{args.batch}.npz", logits=logits.detach().cpu().numpy(), dx=dx.cpu().numpy())
    timed_steps(step, 1, sync)
    steps = timed_steps(step, args.steps, sync)
    forward = timed_steps(forward, args.steps, sync)
    device = {}
    if args.device == "gpu":
        device = {"peak_device_mib": torch.cuda.max_memory_reserved() / 2**20,
                  "gpu": torch.cuda.get_device_name(), "cuda": torch.version.cuda,
                  "cudnn": torch.backends.cudnn.version()}
    report(first=first, step=steps, forward=forward, torch=torch.__version__, **device)


def agreement(folder, batch, dtype, device="cpu"):
    """max |minicnn - PyTorch| / max |PyTorch| of the logits and the image gradient. In float64
    (computed here) it checks that both run the same network. In float32 (the workers' first
    step) the image gradient can differ more: where two values of a max-pooling window, or a
    ReLU's input and 0, are within rounding of each other, the two sides may route the gradient
    differently, and random VGG16 weights make many such near-ties."""
    if dtype == np.float32:
        a, b = np.load(folder / f"minicnn{batch}.npz"), np.load(folder / f"torch{batch}.npz")
    else:
        import torch
        from minicnn import backend
        backend.use(device)
        net = twins.minicnn_net(folder).astype(np.float64)
        dev = torch_device(device)
        model = twins.torch_model(folder, end="fc8").double().requires_grad_(False).to(dev)
        x, dout = (v.astype(np.float64) for v in load_inputs(folder, batch))
        xd = backend.to_device(x)
        a = {"logits": net.forward(xd, end="fc8"), "dx": net.backward(backend.to_device(dout))}
        a = {k: backend.to_numpy(v) for k, v in a.items()}
        backend.use("cpu")
        xt = torch.from_numpy(x).to(dev).contiguous(memory_format=torch.channels_last).requires_grad_(True)
        logits = model(xt)
        logits.backward(torch.from_numpy(dout).to(dev))
        b = {"logits": logits.detach().cpu().numpy(), "dx": xt.grad.cpu().numpy()}
    return {k: float(np.abs(a[k] - b[k]).max() / np.abs(b[k]).max()) for k in ("logits", "dx")}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--batch", type=int, nargs="+", default=[1, 8])
    ap.add_argument("--rounds", type=int, default=3, help="alternations A B (each a fresh process per side)")
    ap.add_argument("--steps", type=int, default=8, help="timed steps per process, after one warm-up step")
    ap.add_argument("--split", action="store_true", help="also time each minicnn layer")
    ap.add_argument("--device", choices=["cpu", "gpu"], default="cpu", help="where both sides run (default cpu)")
    ap.add_argument("--worker", choices=["minicnn", "torch"], help=argparse.SUPPRESS)
    ap.add_argument("--folder", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--round", type=int, default=0, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        args.batch = args.batch[0]
        return (minicnn_worker if args.worker == "minicnn" else torch_worker)(args)

    if os.environ.get("MINICNN_DEVICE", "cpu").strip().lower() not in ("", "cpu"):
        sys.exit("vgg16_speed.py: choose the device with --device, not MINICNN_DEVICE")
    import importlib.util
    have_torch = importlib.util.find_spec("torch") is not None
    where = (f"CPU, {len(os.sched_getaffinity(0))} cores; minicnn fast paths "
             f"{'off (MINICNN_FAST=0)' if os.environ.get('MINICNN_FAST', '1').strip() == '0' else 'on'}"
             if args.device == "cpu" else "GPU")
    print(f"VGG16 gradient-ascent step (forward to fc8, backward to the image), {SIZE}x{SIZE}, float32, {where}")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        prepare(folder, args.batch)
        for batch in args.batch:
            def argv(side):
                return ([str(HERE / "vgg16_speed.py"), "--worker", side, "--folder", tmp, "--batch", str(batch),
                         "--steps", str(args.steps), "--device", args.device] + (["--split"] if args.split else []))
            workers = {"minicnn": (argv("minicnn"), minicnn_env())}
            print(f"\nbatch {batch}: {args.rounds} rounds x {args.steps} steps per side")
            if have_torch:
                exact = agreement(folder, batch, np.float64, args.device)
                if max(exact.values()) > 1e-4:
                    sys.exit(f"minicnn and PyTorch disagree by more than 1e-4 ({exact}): the timings would "
                             "compare different work")
                workers["PyTorch"] = (argv("torch"), CLEAN_ENV)
            results = alternate(workers, args.rounds)
            summaries = {name: summarize(runs) for name, runs in results.items()}
            if have_torch:
                timed = agreement(folder, batch, np.float32)
                first = results["PyTorch"][0]
                if args.device == "gpu":
                    print(f"  {first['gpu']}, CUDA {first['cuda']}, cuDNN {first['cudnn']}; "
                          f"CuPy {results['minicnn'][0]['cupy']}")
                print(f"  PyTorch {first['torch']}, channels_last; agreement (max difference / max "
                      f"value): float64 logits {exact['logits']:.1e}, image gradient {exact['dx']:.1e}; "
                      f"float32 logits {timed['logits']:.1e}, image gradient {timed['dx']:.1e}")
                print("\n".join(table(summaries, "PyTorch")))
            else:
                print("  PyTorch is not installed: minicnn alone")
                print("\n".join(table(summaries, "minicnn")[:2]))
            split = results["minicnn"][0].get("split")
            if split:
                print(f"\n  minicnn per layer (ms, median of 5 steps)\n  {'layer':10s}{'path':>10s}{'forward':>10s}"
                      f"{'backward':>10s}")
                for name, (path, f, b) in split.items():
                    print(f"  {name:10s}{path:>10s}{f:10.2f}{b:10.2f}")
                print(f"  {'total':10s}{'':10s}{sum(v[1] for v in split.values()):10.2f}"
                      f"{sum(v[2] for v in split.values()):10.2f}")


if __name__ == "__main__":
    main()
