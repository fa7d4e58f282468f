"""The same network on both sides of a benchmark: written to a folder once, loaded by each worker.

    save(folder, spec, input_shape)         # minicnn draws the weights (He-normal, seed 0)
    net = minicnn_net(folder)               # a minicnn Net with those weights
    model = torch_model(folder, end="fc8")  # a torch.nn.Sequential with the same weights

torch_model never imports minicnn (whose thread and allocator settings would change PyTorch's
timings); it reads the layer list from spec.json: conv, linear, relu, maxpool (unpadded, floor
mode), dropout.
"""
import json

import numpy as np


def save(folder, spec, input_shape):
    from minicnn import Net
    net = Net(spec, input_shape, seed=0)
    (folder / "spec.json").write_text(json.dumps({"spec": spec, "input_shape": list(input_shape)}))
    np.savez(folder / "weights.npz", **{f"{n}/{k}": v for n, ps in net.params.items() for k, v in ps.items()})


def _weights(folder):
    data = np.load(folder / "weights.npz")
    params = {}
    for key in data.files:
        name, k = key.rsplit("/", 1)
        params.setdefault(name, {})[k] = data[key]
    return params


def minicnn_net(folder):
    from minicnn import Net
    saved = json.loads((folder / "spec.json").read_text())
    return Net(saved["spec"], tuple(saved["input_shape"]), params=_weights(folder))


def torch_model(folder, end):
    """nn.Sequential of the layers up to ``end``, channels_last, in eval mode, weights as saved
    (trainable: call .requires_grad_(False) for a visualization step)."""
    import torch
    saved = json.loads((folder / "spec.json").read_text())
    params = _weights(folder)
    mods, channels = [], saved["input_shape"][0]
    for s in saved["spec"]:
        kind = s["type"]
        if kind == "conv":
            m = torch.nn.Conv2d(channels, s["out_channels"], s["kernel"], stride=s.get("stride", 1),
                                padding=s.get("pad", 0))
            channels = s["out_channels"]
        elif kind == "linear":
            mods.append(torch.nn.Flatten())
            m = torch.nn.Linear(1, 1)
        elif kind == "relu":
            m = torch.nn.ReLU()
        elif kind == "maxpool":
            if s.get("pad", 0) or s.get("ceil_mode", False):
                raise ValueError(f"torch_model: {s['name']}: padded or ceil-mode pooling has no twin here")
            m = torch.nn.MaxPool2d(s["size"], s.get("stride") or s["size"])
        elif kind == "dropout":
            m = torch.nn.Dropout(s.get("p", 0.5))
        else:
            raise ValueError(f"torch_model: no PyTorch twin for layer type {kind!r}")
        if kind in ("conv", "linear"):
            m.weight = torch.nn.Parameter(torch.from_numpy(params[s["name"]]["W"]))
            m.bias = torch.nn.Parameter(torch.from_numpy(params[s["name"]]["b"]))
        mods.append(m)
        if s["name"] == end:
            break
    return torch.nn.Sequential(*mods).eval().to(memory_format=torch.channels_last)
