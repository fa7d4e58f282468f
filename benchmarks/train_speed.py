"""A training step of the default model (digits), minicnn against PyTorch on the same CPU.

    python benchmarks/train_speed.py [--batch 64] [--rounds 3] [--steps 30]

The step `minicnn train` repeats: forward with dropout, softmax loss, backward with weight
gradients, an Adam update of every parameter. Both sides start from the same random weights
(He-normal, seed 0) and the same batch of random 28x28 inputs and labels, each in its own
processes, alternated (side_by_side.py); PyTorch (when installed) uses channels_last tensors and
torch.optim.AdamW with minicnn's default learning rate and weight decay. Agreement is checked
first in float64 without dropout: the loss's gradients with respect to every weight.
"""
import argparse
import os
import sys
import tempfile
from pathlib import Path

import numpy as np

import twins
from side_by_side import CLEAN_ENV, alternate, minicnn_env, report, summarize, table, timed_steps

HERE = Path(__file__).resolve().parent
LR, WEIGHT_DECAY = 0.002, 1e-4              # minicnn train's defaults for Adam


def prepare(folder, batch):
    from minicnn.models import digits
    twins.save(folder, digits(), (1, 28, 28))
    rng = np.random.default_rng(0)
    np.save(folder / "x.npy", rng.uniform(-1, 1, (batch, 1, 28, 28)).astype(np.float32))
    np.save(folder / "y.npy", rng.integers(0, 10, size=batch))


def minicnn_worker(args):
    from minicnn.layers import softmax_loss
    from minicnn.train import optim
    net = twins.minicnn_net(args.folder)
    x, y = np.load(args.folder / "x.npy"), np.load(args.folder / "y.npy")
    states = {(n, k): {} for n, ps in net.params.items() for k in ps}

    def step():
        scores = net.forward(x, end="fc4", train=True, seed=1)
        _, dscores = softmax_loss(scores, y)
        net.backward(dscores, params=True)
        for name, grads in net.grads.items():
            for key, g in grads.items():
                net.params[name][key], states[name, key] = optim.update(
                    "adam", net.params[name][key], g, states[name, key], LR, WEIGHT_DECAY)
    first = timed_steps(step, 1)[0]
    timed_steps(step, 2)
    report(first=first, step=timed_steps(step, args.steps))


def torch_worker(args):
    import torch
    model = twins.torch_model(args.folder, end="fc4").train()
    x = torch.from_numpy(np.load(args.folder / "x.npy")).contiguous(memory_format=torch.channels_last)
    y = torch.from_numpy(np.load(args.folder / "y.npy"))
    opt = torch.optim.AdamW(model.parameters(), lr=LR, weight_decay=WEIGHT_DECAY)

    def step():
        opt.zero_grad()
        torch.nn.functional.cross_entropy(model(x), y).backward()
        opt.step()
    first = timed_steps(step, 1)[0]
    timed_steps(step, 2)
    report(first=first, step=timed_steps(step, args.steps), torch=torch.__version__)


def agreement(folder):
    """Largest relative difference of the weight gradients of the loss, float64, dropout off."""
    import torch
    from minicnn.layers import softmax_loss
    net = twins.minicnn_net(folder).astype(np.float64)
    model = twins.torch_model(folder, end="fc4").double()
    x, y = np.load(folder / "x.npy").astype(np.float64), np.load(folder / "y.npy")
    _, dscores = softmax_loss(net.forward(x, end="fc4"), y)
    net.backward(dscores, params=True)
    torch.nn.functional.cross_entropy(model(torch.from_numpy(x).contiguous(memory_format=torch.channels_last)),
                                      torch.from_numpy(y)).backward()
    named = [m for m in model if isinstance(m, (torch.nn.Conv2d, torch.nn.Linear))]
    layers = [n for n in net.layer_names if n in net.grads]
    worst = 0.0
    for name, m in zip(layers, named):
        for key, p in (("W", m.weight), ("b", m.bias)):
            g = p.grad.numpy()
            worst = max(worst, float(np.abs(net.grads[name][key] - g).max() / np.abs(g).max()))
    return worst


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--steps", type=int, default=30)
    ap.add_argument("--worker", choices=["minicnn", "torch"], help=argparse.SUPPRESS)
    ap.add_argument("--folder", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--round", type=int, default=0, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        return (minicnn_worker if args.worker == "minicnn" else torch_worker)(args)

    import importlib.util
    have_torch = importlib.util.find_spec("torch") is not None
    print(f"default model (digits) training step, batch {args.batch}, float32, CPU, "
          f"{len(os.sched_getaffinity(0))} cores: forward with dropout, loss, backward with weight gradients, Adam")
    with tempfile.TemporaryDirectory() as tmp:
        prepare(Path(tmp), args.batch)
        def argv(side):
            return [str(HERE / "train_speed.py"), "--worker", side, "--folder", tmp, "--steps", str(args.steps)]
        workers = {"minicnn": (argv("minicnn"), minicnn_env())}
        if have_torch:
            worst = agreement(Path(tmp))
            print(f"  agreement with PyTorch (float64, no dropout): weight gradients within {worst:.1e}")
            if worst > 1e-4:
                sys.exit("minicnn and PyTorch disagree by more than 1e-4: the timings would compare different work")
            workers["PyTorch"] = (argv("torch"), CLEAN_ENV)
        results = alternate(workers, args.rounds)
        summaries = {name: summarize(runs) for name, runs in results.items()}
        print(f"  {args.rounds} rounds x {args.steps} steps per side")
        print("\n".join(table(summaries, "PyTorch" if have_torch else "minicnn")))


if __name__ == "__main__":
    main()
