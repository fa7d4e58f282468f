"""Net.frozen(): the weights cannot change within the block, so a Winograd layer keeps its
transformed filters from one pass to the next; the numbers stay exactly those of a net that is
not frozen."""
import dataclasses

import numpy as np
import pytest

from minicnn import Net, backend, viz
from minicnn.fast import conv_winograd
from minicnn.fast.frozen import memo as _memo


def memo(net, name):
    """The dict in which layer ``name`` of ``net`` keeps work between passes, or None."""
    return _memo(net._fast.kept, name, net.params[name]["W"])
from minicnn.viz import registry
from nets import path

pytestmark = pytest.mark.cpu          # read-only host arrays, Winograd's kept work


def small_map_net():
    """Two 16-channel 3x3 layers on 14x14 maps: at batch 1, 49 tiles each, so Winograd F(2x2)
    that keeps its transformed filters for the backward (with MIN_WORK out of the way)."""
    return Net([{"name": "conv1", "type": "conv", "out_channels": 16, "kernel": 3, "pad": 1},
                {"name": "relu1", "type": "relu"},
                {"name": "conv2", "type": "conv", "out_channels": 16, "kernel": 3, "pad": 1},
                {"name": "relu2", "type": "relu"},
                {"name": "fc", "type": "linear", "out_features": 5}], (16, 14, 14), seed=3)


@pytest.fixture
def net(monkeypatch):
    monkeypatch.setattr(conv_winograd, "MIN_WORK", 0)
    with backend.fast_paths(True):
        yield small_map_net()


def step(net, x):
    """Forward and backward from class 2; returns (scores, image gradient, conv2's U)."""
    out = net.forward(x, keep=()).copy()
    U = net._caches["conv2"][4]
    d = np.zeros_like(out)
    d[:, 2] = 1
    return out, net.backward(d), U


def image():
    return np.random.RandomState(0).randn(1, 16, 14, 14).astype(np.float32)


def test_the_weights_are_read_only_within_the_block_and_writable_after(net):
    W = net.params["conv1"]["W"]
    net.params["fc"]["b"].flags.writeable = False           # read-only before: stays so
    with net.frozen():
        assert not any(a.flags.writeable for p in net.params.values() for a in p.values())
        with pytest.raises(ValueError, match="read-only"):
            W[0, 0, 0, 0] = 1.0
        with net.frozen():                                   # blocks nest
            pass
        assert not W.flags.writeable                         # the inner block left it frozen
    W[0, 0, 0, 0] = 1.0
    assert W[0, 0, 0, 0] == 1.0 and not net.params["fc"]["b"].flags.writeable
    assert not net.is_frozen


def test_a_frozen_net_reuses_the_transformed_filters_and_computes_the_same(net):
    x = image()
    assert conv_winograd.keeps_filters(x.shape, 1)
    plain = [step(net, x) for _ in range(2)]
    assert path(net, "conv2") == "winograd"
    assert plain[0][2] is not plain[1][2]                      # made again at every pass
    with net.frozen():
        frozen = [step(net, x) for _ in range(3)]
    assert frozen[0][2] is frozen[1][2] is frozen[2][2]       # made once
    for out, dx, _ in frozen:
        np.testing.assert_array_equal(out, plain[0][0])
        np.testing.assert_array_equal(dx, plain[0][1])
    assert step(net, x)[2] is not frozen[0][2]                 # let go after the block


def test_weights_replaced_within_the_block_are_not_mistaken_for_the_old(net):
    x = image()
    new_W = np.random.RandomState(5).randn(*net.params["conv2"]["W"].shape).astype(np.float32) * 0.1
    with net.frozen():
        before = step(net, x)
        net.params["conv2"]["W"] = new_W.copy()                 # a new array: a new memo
        after = step(net, x)
        net.params["conv2"]["W"].flags.writeable = False        # ... even a read-only one
        again = step(net, x)
    assert not np.array_equal(after[0], before[0])
    fresh = small_map_net()
    fresh.params["conv2"]["W"] = new_W
    want = step(fresh, x)
    for got in (after, again):
        np.testing.assert_array_equal(got[0], want[0])
        np.testing.assert_array_equal(got[1], want[1])


def test_a_resized_net_made_in_the_block_is_frozen_with_it_and_shares_the_kept_filters(net):
    x = image()
    with net.frozen():
        _, _, U = step(net, x)
        small = net.resized((16, 16), end="relu2")             # 64 tiles of 2x2: keeps U too
        assert small.is_frozen
        small.forward(np.ones((1, 16, 16, 16), np.float32), keep=())
        assert small._caches["conv2"][4] is U
    assert not net.is_frozen and memo(small, "conv2") is None  # writable again: nothing kept
    assert not small.is_frozen                                  # ... and the resized net knows it


def test_a_parameter_that_is_a_view_is_frozen_with_the_array_it_views(net):
    """As when weights come from a file's buffer: the owner could change the view's values."""
    base = np.concatenate([net.params["conv2"]["W"]] * 2)
    net.params["conv2"]["W"] = base[:16]
    with net.frozen():
        with pytest.raises(ValueError, match="read-only"):
            base[0, 0, 0, 0] = 1.0
        assert memo(net, "conv2") is not None
    base[0, 0, 0, 0] = 1.0
    assert net.params["conv2"]["W"][0, 0, 0, 0] == 1.0 and net.params["conv2"]["W"].flags.writeable


def test_every_technique_run_by_the_registry_runs_frozen(net, monkeypatch):
    seen = []
    t = registry.TECHNIQUES["saliency"]

    def spy(net, x, settings):
        seen.append([a.flags.writeable for p in net.params.values() for a in p.values()])
        return t.run(net, x, settings)
    monkeypatch.setitem(registry.TECHNIQUES, "saliency", dataclasses.replace(t, run=spy))
    viz.run("saliency", net, image(), target=1)
    assert seen == [[False] * 6]
    assert all(a.flags.writeable for p in net.params.values() for a in p.values())
