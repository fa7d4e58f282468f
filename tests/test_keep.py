"""Net.forward(keep=...): a pass that keeps only some outputs gives the same numbers, lets the others
go, and never writes over an array that anyone can still read."""
import numpy as np
import pytest

from minicnn import Net, backend, layer_types
from minicnn.architecture import Architecture
from minicnn.backend import to_numpy
from minicnn.errors import ArgumentError
from minicnn.fast import engine
from minicnn.layers import RELU_MODES

from nets import NETS, make, path, safe_input


def wide_chain():
    """Large enough at batch 3 on (3, 64, 64) for the fast paths: Numba ReLUs that may write over
    their convolution, Winograd for conv1_2, Numba pooling; im2col and NumPy further down."""
    return [{"name": "conv1_1", "type": "conv", "out_channels": 32, "kernel": 3, "pad": 1},
            {"name": "relu1_1", "type": "relu"},
            {"name": "conv1_2", "type": "conv", "out_channels": 32, "kernel": 3, "pad": 1},
            {"name": "relu1_2", "type": "relu"},
            {"name": "pool1", "type": "maxpool", "size": 2, "stride": 2},
            {"name": "conv2_1", "type": "conv", "out_channels": 8, "kernel": 3, "pad": 1},
            {"name": "relu2_1", "type": "relu"},
            {"name": "fc3", "type": "linear", "out_features": 16},
            {"name": "relu3", "type": "relu"},
            {"name": "fc4", "type": "linear", "out_features": 5}]


@pytest.fixture(scope="module")
def wide():
    net = Net(wide_chain(), (3, 64, 64), dtype=np.float64, seed=0)
    return net, np.random.RandomState(0).randn(3, 3, 64, 64)


def passes(net, x, end, keep, modes=RELU_MODES):
    """The output at ``end`` and the image gradient under each ReLU rule, two backward passes per
    forward (a technique may run several from one forward)."""
    out = net.forward(x, end=end, keep=keep).copy()
    d = np.random.RandomState(1).randn(*out.shape).astype(out.dtype)
    grads = []
    for mode in modes:
        with net.relu_mode(mode):
            grads.append(net.backward(d))
    return [out] + grads


# The fast paths are the CPU's: on the GPU every layer takes the readable one.
PATHS = [pytest.param(True, marks=pytest.mark.cpu, id="fast paths"), pytest.param(False, id="readable paths")]


@pytest.mark.parametrize("fast", PATHS)
def test_keeping_nothing_gives_the_same_numbers(wide, fast):
    net, x = wide
    with backend.fast_paths(fast):
        for end in ("relu1_2", "pool1", "fc4"):
            full, lean = passes(net, x, end, None), passes(net, x, end, ())
            for a, b in zip(full, lean):
                np.testing.assert_array_equal(a, b)
        if fast:                           # what this test is for: the paths that write over arrays
            net.forward(x, end="fc4", keep=())
            assert path(net, "conv1_2") == "winograd" and path(net, "relu1_2") == "numba"
            assert "relu1_2" in engine.plan(net.arch, "fc4", (), 3).overwrite
            # The Winograd convolution applied relu1_2 itself; conv1_1 (im2col) left relu1_1 its pass.
            assert "relu1_2" in net._pass.plan.fused and "relu1_1" not in net._pass.plan.fused
            net.forward(x, end="fc4")                      # keeping everything: conv1_2's own output too
            assert "relu1_2" not in net._pass.plan.fused


@pytest.mark.parametrize("kind", NETS)
def test_keeping_nothing_on_the_small_nets(kind):
    net = make(kind)
    x = safe_input(net, seed=0)
    end = net.layer_names[-2]                               # the scores, before the softmax
    for a, b in zip(passes(net, x, end, None), passes(net, x, end, ())):
        np.testing.assert_array_equal(to_numpy(a), to_numpy(b))


@pytest.mark.parametrize("fast", PATHS)
def test_outputs_hold_what_was_kept_unchanged(wide, fast):
    net, x = wide
    with backend.fast_paths(fast):
        net.forward(x, end="fc4")
        want = {n: net.outputs[n].copy() for n in ("conv1_2", "relu2_1")}
        assert (want["conv1_2"] < 0).any()                      # a ReLU writing over it would show
        net.forward(x, end="fc4", keep=("conv1_2", "relu2_1"))
        assert set(net.outputs) == {"data", "conv1_2", "relu2_1", "fc4"}
        assert path(net, "conv1_2") == ("winograd" if fast else "im2col")
        assert net._pass is None or "relu1_2" not in net._pass.plan.fused         # kept: no fused ReLU
        for n, a in want.items():
            np.testing.assert_array_equal(net.outputs[n], a)
    net.forward(x, end="fc4", keep="relu2_1")               # one name alone
    assert set(net.outputs) == {"data", "relu2_1", "fc4"}


def test_the_callers_arrays_are_never_written_over(wide):
    """The image, and the gradients handed to backward, even where a ReLU receives them."""
    net, x = wide
    x0 = x.copy()
    out = net.forward(x, end="relu1_2", keep=())
    d = np.random.RandomState(2).randn(*out.shape)
    d0 = d.copy()
    net.backward(d)
    np.testing.assert_array_equal(d, d0)
    net.forward(x, end="fc4", keep=("relu1_2",))
    starts = {"relu1_2": d, "fc4": np.ones((3, 5))}
    net.backward(starts)
    np.testing.assert_array_equal(d, d0)
    np.testing.assert_array_equal(starts["fc4"], 1)
    np.testing.assert_array_equal(x, x0)


def test_a_backward_run_once_gives_the_same_gradient_and_lets_the_caches_go(wide):
    net, x = wide
    d = np.random.RandomState(2).randn(3, 5)
    for mode in RELU_MODES:
        with net.relu_mode(mode):
            net.forward(x, end="fc4", keep=())
            want = net.backward(d)
            net.forward(x, end="fc4", keep=())
            got = net.backward(d, once=True)
        np.testing.assert_array_equal(got, want)
        assert net._caches == {}
        with pytest.raises(ArgumentError, match="call forward first"):
            net.backward(d)


def test_once_lets_each_cache_go_as_the_pass_leaves_its_layer(wide, monkeypatch):
    """When conv1_1's backward runs, the caches of every layer after it have gone already."""
    net, x = wide
    seen = []
    conv = layer_types.TYPES["conv"]
    original = conv.backward

    def spy(spec, *args, **kwargs):
        seen.append((spec["name"], sorted(net._caches)))
        return original(spec, *args, **kwargs)
    monkeypatch.setattr(conv, "backward", spy)
    net.forward(x, end="fc4", keep=())
    net.backward(np.ones((3, 5)), once=True)
    assert seen[-1] == ("conv1_1", ["conv1_1"])
    assert seen[0][0] == "conv2_1" and "fc4" not in seen[0][1] and "relu2_1" not in seen[0][1]


def test_a_layer_let_go_cannot_start_a_backward(wide):
    net, x = wide
    net.forward(x, end="fc4", keep=())
    with pytest.raises(ArgumentError, match="'relu2_1' was not computed by the last forward .* or not kept"):
        net.backward({"relu2_1": np.ones((3, 8, 32, 32))})
    with pytest.raises(ArgumentError, match="keep: no layer named 'nope'"):
        net.forward(x, end="fc4", keep=("nope",))


def test_which_relus_may_write_over_their_input(monkeypatch):
    """Only a ReLU that alone reads a convolution's or linear layer's output, which is not kept."""
    monkeypatch.setattr(engine, "NUMBA_MIN_SIZE", 0)                       # every ReLU a Numba twin
    spec = [{"name": "conv1", "type": "conv", "out_channels": 4, "kernel": 3, "pad": 1},
            {"name": "relu1", "type": "relu"},                                  # yes
            {"name": "conv2", "type": "conv", "out_channels": 4, "kernel": 1},
            {"name": "relu2", "type": "relu"},                                  # no: conv2 also feeds cat
            {"name": "cat", "type": "concat", "inputs": ["relu2", "conv2"]},
            {"name": "pool", "type": "maxpool", "size": 2, "stride": 2},
            {"name": "relu3", "type": "relu"},                                  # no: after a pooling
            {"name": "fc", "type": "linear", "out_features": 3},
            {"name": "relu4", "type": "relu"}]                                  # yes, unless fc is kept
    arch = Architecture(spec, (3, 8, 8))
    needed, drop = arch.pass_plan("relu4", ())
    assert engine.plan(arch, "relu4", (), 1).overwrite == {"relu1", "relu4"}
    assert engine.plan(arch, "relu4", ("fc",), 1).overwrite == {"relu1"}
    assert arch.pass_plan("relu4", None) == (needed, {}) and not engine.plan(arch, "relu4", None, 1).overwrite
    assert sorted(drop["cat"]) == ["conv2", "relu2"] and drop["relu1"] == ["conv1"]
    assert all("data" not in gone and "relu4" not in gone for gone in drop.values())


def test_keep_takes_one_name_or_several_and_data_is_always_kept(wide):
    from minicnn.memory import estimate
    net, x = wide
    assert net.arch.pass_plan("fc4", "relu2_1") == net.arch.pass_plan("fc4", ("relu2_1",))
    assert net.arch.pass_plan("fc4", ("data",)) == net.arch.pass_plan("fc4", ())
    assert estimate(net.arch, "fc4", keep="relu2_1") == estimate(net.arch, "fc4", keep=("relu2_1",))
    # relu outputs stay anyway (their cache is their output); a kept convolution costs its own map
    assert estimate(net.arch, "fc4", keep=()) == estimate(net.arch, "fc4", keep=("relu1_1", "relu1_2"))
    assert estimate(net.arch, "fc4", keep=()) < estimate(net.arch, "fc4", keep=("conv1_1", "conv1_2"))


def test_keep_may_be_any_iterable_and_is_read_once(wide):
    """A generator is consumed once: the fast engine's plan sees the same names as the Net."""
    net, x = wide
    with backend.fast_paths(True):
        net.forward(x, end="fc4", keep=("conv1_2",))
        want = net.outputs["conv1_2"].copy()
        net.forward(x, end="fc4", keep=(name for name in ["conv1_2"]))
        np.testing.assert_array_equal(net.outputs["conv1_2"], want)     # not written over by relu1_2
