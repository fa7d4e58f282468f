"""Net.frozen() gets the fast CPU path's Numba kernels going before a loop's first step
(minicnn/fast/warm.py): afterwards no step loads or compiles a kernel, whichever path a layer takes."""
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from fake_gpu import fake_gpu  # noqa: F401  (a fixture)
from minicnn import Net, backend
from minicnn.fast import warm as _warm

pytestmark = pytest.mark.cpu          # Numba's CPU kernels

# Run in a fresh interpreter, where no kernel has been loaded yet: load_kernels, then a forward and
# a backward (every ReLU rule) through a net whose layers take every variant of every fast kernel,
# in float32 and float64; print the signatures each Numba dispatcher had at each point.
EVERY_PATH = r"""
import json
import numpy as np
import minicnn
from minicnn import Net, backend
from minicnn.im2col import cpu as im2col_cpu
from minicnn.fast import conv_winograd
from minicnn.fast import maxpool as maxpool_cpu
from minicnn.fast import relu as relu_cpu
from minicnn.fast.winograd import cpu as winograd_cpu
from numba.core.dispatcher import Dispatcher

dispatchers = {f"{m.__name__}.{name}": d for m in (im2col_cpu, relu_cpu, maxpool_cpu, winograd_cpu)
               for name, d in vars(m).items() if isinstance(d, Dispatcher)}
def signatures():
    return {name: sorted(map(str, d.signatures)) for name, d in dispatchers.items()}

conv_winograd.MIN_WORK = 0                  # Winograd on these small layers too
spec = [
    {"name": "conv1", "type": "conv", "out_channels": 16, "kernel": 3, "pad": 1},   # 3 channels: im2col
    {"name": "relu1", "type": "relu"},
    {"name": "conv2", "type": "conv", "out_channels": 16, "kernel": 3, "pad": 1},   # Winograd, a block per core
    {"name": "relu2", "type": "relu"},
    {"name": "conv3", "type": "conv", "out_channels": 144, "kernel": 3, "pad": 1},  # Winograd, spread
    {"name": "relu3", "type": "relu"},
    {"name": "pool3", "type": "maxpool", "size": 3, "stride": 1, "pad": 1},         # the general pooling
    {"name": "pool4", "type": "maxpool", "size": 2, "stride": 2},                   # VGG's 2x2
    {"name": "conv5", "type": "conv", "out_channels": 16, "kernel": 3, "pad": 1},   # Winograd, spread
    {"name": "relu5", "type": "relu"},
    {"name": "conv6", "type": "conv", "out_channels": 16, "kernel": 3, "pad": 1},   # Winograd, a block per core
    {"name": "fc", "type": "linear", "out_features": 3},
]
before = signatures()
with backend.fast_paths(True):
    net32 = Net(spec, (3, 48, 48), seed=0)
    nets = (net32, net32.astype(np.float64))
    x = np.random.default_rng(0).standard_normal((2, 3, 48, 48))
    with nets[0].frozen(), nets[1].frozen():
        loaded = signatures()
        paths = {}
        for net in nets:
            for mode in ("backprop", "deconvnet", "guided"):
                out = net.forward(x)
                paths.update({n: t or ("im2col" if net.layers[n]["type"] == "conv" else "readable")
                              for n, t in net._pass.plan.twins.items()})
                with net.relu_mode(mode):
                    net.backward(np.ones_like(out))
print(json.dumps({"before": before, "loaded": loaded, "after": signatures(), "paths": paths}))
"""


@pytest.fixture(scope="module")
def every_path():
    root = Path(__file__).resolve().parents[1]
    r = subprocess.run([sys.executable, "-c", EVERY_PATH], capture_output=True, text=True, cwd=root, timeout=600,
                       env={**os.environ, "MINICNN_DEVICE": "cpu"})
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout.strip().splitlines()[-1])


def test_the_net_takes_every_fast_path(every_path):
    """The check below means something only if the layers took every path."""
    paths = every_path["paths"]
    assert paths["conv1"] == "im2col"
    assert all(paths[f"conv{i}"] == "winograd" for i in (2, 3, 5, 6))


def test_entering_frozen_loads_the_kernels_the_steps_need(every_path):
    before, loaded, after = every_path["before"], every_path["loaded"], every_path["after"]
    assert not any(before.values()), "a kernel was loaded before any step: the check would see nothing"
    new = {name: sorted(set(after[name]) - set(loaded[name])) for name in after}
    new = {name: sigs for name, sigs in new.items() if sigs}
    assert not new, f"loaded during the steps, not on entering Net.frozen(): {new}"
    for name in ("_im2col", "_col2im", "_input_tiles", "_input_tiles_one_core", "_output_tiles",
                 "_output_tiles_one_core", "_forward_2x2"):
        assert any(name == key.rsplit(".", 1)[1] and sigs for key, sigs in loaded.items()), name


def calls(monkeypatch):
    seen = []
    monkeypatch.setattr("minicnn.fast.frozen.load_kernels", seen.append)
    return seen


def relu_net(shape, dtype=np.float32):
    """A 1x1 convolution and a ReLU: the ReLU takes Numba's path at 65536 values or more."""
    return Net([{"name": "conv", "type": "conv", "out_channels": 1, "kernel": 1},
                {"name": "relu", "type": "relu"}], shape, dtype=dtype)


def small_net(dtype=np.float32):
    return relu_net((1, 256, 256), dtype)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_frozen_loads_the_kernels_of_the_nets_dtype(monkeypatch, dtype):
    seen = calls(monkeypatch)
    net = small_net(dtype)
    with backend.fast_paths(True), net.frozen(), net.frozen():      # a nested block: once
        assert seen == [np.dtype(dtype)]


def test_frozen_loads_nothing_with_the_fast_paths_off(monkeypatch):
    seen = calls(monkeypatch)
    net = small_net()
    with backend.fast_paths(False), net.frozen():
        assert seen == []


def test_frozen_loads_nothing_where_no_layer_takes_a_fast_path(monkeypatch):
    """As in the default model at batch 1: Numba would start for nothing."""
    seen = calls(monkeypatch)
    net = relu_net((1, 255, 256))
    with backend.fast_paths(True), net.frozen():
        assert seen == []


def test_frozen_loads_nothing_on_the_gpu(monkeypatch, fake_gpu):  # noqa: F811
    seen = calls(monkeypatch)
    net = small_net()
    with backend.fast_paths(True), net.frozen():
        assert seen == []


def test_load_kernels_runs_once_per_dtype(monkeypatch):
    ran = []
    monkeypatch.setattr(_warm, "_loaded", set())
    monkeypatch.setattr(_warm, "_im2col", ran.append)
    for dtype in (np.float32, np.float32, np.float64, np.int64):      # integers take no fast path
        _warm.load_kernels(dtype)
    assert ran == [np.dtype(np.float32), np.dtype(np.float64)]
