import numpy as np
import pytest

from minicnn import Net, backend
from minicnn.backend import to_device, to_numpy
from minicnn import layers as L
from minicnn.architecture import Architecture
from minicnn.errors import ArgumentError, ShapeError, SpecError
from minicnn.gradcheck import THRESHOLD, check_net, rel_error
from minicnn.models import vgg16

from nets import NETS, make, reference_backward, safe_input, vgg_style

@pytest.mark.parametrize("kind", NETS)
def test_whole_network_gradient_check(kind):
    net = make(kind)
    errors = check_net(net, safe_input(net, 0), params=True)
    assert len(errors) == 1 + sum(len(p) for p in net.params.values())
    bad = {k: e for k, e in errors.items() if e > THRESHOLD}
    assert not bad, f"{kind}: {bad}"


@pytest.mark.parametrize("kind, end", [("vgg_style", "pool1"), ("vgg_style", "fc3"),
                                       ("fire_style", "fire2/concat"), ("fire_style", "fire2/relu_expand3x3")])
def test_gradient_check_from_an_intermediate_layer(kind, end):
    net = make(kind)
    errors = check_net(net, safe_input(net, 0), end=end, params=False)
    assert errors["data"] <= THRESHOLD, f"{kind} end={end}: {errors}"


def test_forward_to_a_layer_equals_the_layers_by_hand():
    net = make("vgg_style")
    x = to_device(np.random.RandomState(1).randn(2, 3, 8, 8))
    p = net.params
    h, _ = L.conv_forward(x, p["conv1_1"]["W"], p["conv1_1"]["b"], 1, 1)
    h, _ = L.relu_forward(h)
    h, _ = L.conv_forward(h, p["conv1_2"]["W"], p["conv1_2"]["b"], 1, 1)
    h, _ = L.relu_forward(h)
    h, _ = L.maxpool_forward(h, 2, 2)
    with backend.fast_paths(False):              # the layers' own path: equal to the bit
        out = net.forward(x, end="pool1")
    np.testing.assert_array_equal(to_numpy(out), to_numpy(h))
    assert "conv2_1" not in net.outputs                 # nothing past `end` was run


def test_fire_module_forward_by_hand():
    net = make("fire_style")
    x = np.random.RandomState(2).randn(1, 3, 15, 15)
    with backend.fast_paths(False):              # the layers' own path: equal to the bit
        net.forward(x)
    s = net.outputs["fire2/relu_squeeze1x1"]
    p = net.params
    e1 = np.maximum(L.conv_forward(s, p["fire2/expand1x1"]["W"], p["fire2/expand1x1"]["b"])[0], 0)
    e3 = np.maximum(L.conv_forward(s, p["fire2/expand3x3"]["W"], p["fire2/expand3x3"]["b"], 1, 1)[0], 0)
    np.testing.assert_array_equal(to_numpy(net.outputs["fire2/concat"]), to_numpy(np.concatenate([e1, e3], axis=1)))
    assert net.outputs["pool1"].shape == (1, 6, 3, 3)    # 7 -> 3 with ceil mode (floor would also give 3)
    np.testing.assert_allclose(to_numpy(net.outputs["prob"].sum(axis=1)), 1)


@pytest.mark.parametrize("kind, start", [("vgg_style", "prob"), ("vgg_style", "relu2_1"),
                                         ("fire_style", "prob"), ("fire_style", "fire2/concat")])
def test_backward_matches_an_independent_reference(kind, start):
    net = make(kind)
    x = np.random.RandomState(3).randn(2, *net.input_shape)
    net.forward(x)                                      # full forward, backward from inside
    d = np.random.RandomState(4).randn(*net.outputs[start].shape)
    got = net.backward(d, start=start)
    expected = reference_backward(net, d, start, lambda g, c: L.relu_backward(g, c))
    assert rel_error(got, expected) < 1e-12


@pytest.mark.parametrize("kind", NETS)
def test_guided_is_backprop_with_negative_upstream_zeroed_at_every_relu(kind):
    net = make(kind)
    x = np.random.RandomState(5).randn(2, *net.input_shape)
    net.forward(x)
    start = net.layer_names[-2]
    d = np.random.RandomState(6).randn(*net.outputs[start].shape)
    with net.relu_mode("guided"):
        guided = net.backward(d, start=start)
    expected = reference_backward(net, d, start, lambda g, c: L.relu_backward(np.maximum(g, 0), c))
    assert rel_error(guided, expected) < 1e-12
    plain = net.backward(d, start=start)                 # the mode is restored after the block
    assert rel_error(plain, guided) > 1e-3


def test_deconvnet_ignores_the_forward_relu_masks():
    """Without max pooling, the deconvnet image of a unit does not depend on the input at all
    (conv backward never looks at x), while guided backprop does."""
    spec = [s for s in vgg_style() if s["type"] not in ("maxpool", "dropout", "softmax")]
    net = Net(spec, (3, 8, 8), dtype=np.float64)
    d = np.random.RandomState(7).randn(1, 5)
    results = {"deconvnet": [], "guided": []}
    for seed in (8, 9):
        net.forward(np.random.RandomState(seed).randn(1, 3, 8, 8))
        for mode in results:
            with net.relu_mode(mode):
                results[mode].append(net.backward(d))
    np.testing.assert_array_equal(to_numpy(results["deconvnet"][0]), to_numpy(results["deconvnet"][1]))
    assert rel_error(results["guided"][0], results["guided"][1]) > 1e-3


def test_relu_mode_upto_switches_only_the_lower_relus():
    net = make("vgg_style")
    with net.relu_mode("deconvnet", upto="pool1"):
        assert net.relu_modes == {"relu1_1": "deconvnet", "relu1_2": "deconvnet",
                                  "relu2_1": "backprop", "relu3": "backprop"}
    with net.relu_mode("guided", upto="relu2_1"):
        assert net.relu_modes["relu2_1"] == "guided" and net.relu_modes["relu3"] == "backprop"
    assert set(net.relu_modes.values()) == {"backprop"}
    with pytest.raises(ArgumentError, match="unknown mode"):
        with net.relu_mode("zeiler"):
            pass


def test_fire_module_relu_mode_upto_a_branch():
    net = make("fire_style")
    with net.relu_mode("guided", upto="fire2/relu_expand1x1"):
        modes = net.relu_modes
    assert modes["fire2/relu_expand1x1"] == modes["fire2/relu_squeeze1x1"] == "guided"
    assert modes["fire2/relu_expand3x3"] == "backprop"          # a sibling branch, not below


def test_parameter_gradients_only_when_asked():
    net = make("vgg_style")
    x = np.random.RandomState(10).randn(2, 3, 8, 8)
    net.forward(x)
    net.backward(np.ones((2, 5)))
    assert net.grads == {}
    net.backward(np.ones((2, 5)), params=True)
    assert set(net.grads) == set(net.params) and net.grads["fc4"]["W"].shape == (5, 10)


def test_backward_from_several_layers_adds_their_gradients():
    net = make("fire_style")
    net.forward(np.random.RandomState(11).randn(1, 3, 15, 15))
    a = np.random.RandomState(12).randn(*net.outputs["fire2/relu_expand1x1"].shape)
    b = np.random.RandomState(13).randn(*net.outputs["pool10"].shape)
    both = net.backward({"fire2/relu_expand1x1": a, "pool10": b})
    separate = net.backward(a, start="fire2/relu_expand1x1") + net.backward(b, start="pool10")
    assert rel_error(both, separate) < 1e-12


def test_training_with_dropout_is_reproducible_and_different_from_inference():
    net = make("vgg_style")
    x = np.random.RandomState(14).randn(2, 3, 8, 8)
    assert not np.allclose(net.forward(x, end="drop3", train=True), net.forward(x, end="drop3"))


def test_vgg16_receptive_fields():
    net = Architecture(vgg16(), (3, 224, 224))
    expected = {"conv1_1": (3, 1, -1), "conv1_2": (5, 1, -2), "pool1": (6, 2, -2), "conv2_2": (14, 2, -6),
                "pool2": (16, 4, -6), "conv3_3": (40, 4, -18), "pool3": (44, 8, -18),
                "conv4_3": (92, 8, -42), "pool4": (100, 16, -42), "conv5_3": (196, 16, -90),
                "pool5": (212, 32, -90)}
    for name, (size, stride, offset) in expected.items():
        f = net.receptive_field(name)
        assert (f.size, f.stride, f.offset) == ((size,) * 2, (stride,) * 2, (offset,) * 2), name
    # unit (3, 5) of conv5_3 sees rows -90 + 3*16 .. +196, clipped to the image
    assert net.receptive_field("conv5_3").window(3, 5, (224, 224)) == (0, 0, 154, 186)
    assert net.receptive_field("conv5_3").window(13, 13) == (118, 118, 314, 314)


def test_vgg16_summary():
    net = Architecture(vgg16(), (3, 224, 224))
    info = {i.name: i for i in net.info()}
    assert info["pool5"].shape == (512, 7, 7) and info["fc6"].params == 25088 * 4096 + 4096
    assert sum(i.params for i in info.values()) == 138_357_544          # the published VGG16 count
    text = net.summary()
    assert "conv5_3" in text and "138,357,544 parameters" in text
    assert not hasattr(net, "forward") and not hasattr(net, "params")    # shapes only: nothing to run


def test_fire_module_receptive_field_is_the_union_of_its_branches():
    net = make("fire_style")
    e1, e3 = net.receptive_field("fire2/expand1x1"), net.receptive_field("fire2/expand3x3")
    cat = net.receptive_field("fire2/concat")
    assert e3.size[0] == e1.size[0] + 2 * e1.stride[0]
    assert cat.size == e3.size and cat.offset == e3.offset


BAD_SPECS = [
    ([{"name": "c", "type": "conv", "out_channels": 2}], SpecError, "missing kernel"),
    ([{"name": "c", "type": "convolution", "out_channels": 2, "kernel": 3}], SpecError, "unknown layer type 'convolution'"),
    ([{"name": "c", "type": "conv", "out_channels": 2, "kernel": 3, "strides": 2}], SpecError, "unknown keys ['strides']"),
    ([{"name": "c", "type": "conv", "out_channels": 2, "kernel": 9}], ShapeError,
     "kernel 9x9 is larger than the padded input 8x8"),
    ([{"name": "c", "type": "conv", "out_channels": 2, "kernel": 3, "stride": 0}], ShapeError, "stride must be an int >= 1"),
    ([{"name": "c", "type": "conv", "out_channels": 2.5, "kernel": 3}], ShapeError, "out_channels must be an int >= 1"),
    ([{"name": "p", "type": "maxpool", "size": 2, "pad": 2}], ShapeError, "pad (2, 2) must be at most half"),
    ([{"name": "r", "type": "relu", "inputs": ["nowhere"]}], SpecError, "input 'nowhere' is not an earlier layer"),
    ([{"name": "r", "type": "relu"}, {"name": "r", "type": "relu"}], SpecError, "used twice"),
    ([{"name": "data", "type": "relu"}], SpecError, "other than 'data'"),
    ([{"name": "f", "type": "linear", "out_features": 3}, {"name": "c", "type": "conv", "out_channels": 1, "kernel": 1}],
     ShapeError, "conv needs a (C, H, W) input"),
    ([], SpecError, "at least one layer"),
]


@pytest.mark.parametrize("spec, error, message", BAD_SPECS, ids=[m for _, _, m in BAD_SPECS])
def test_bad_specs_are_refused_with_the_layer_named(spec, error, message):
    with pytest.raises(error) as e:
        Net(spec, (3, 8, 8))
    assert message in str(e.value)


def test_bad_inputs_and_parameters():
    net = make("vgg_style")
    with pytest.raises(ShapeError, match=r"input must have shape \(N,\) \+ \(3, 8, 8\), got \(3, 8, 8\)"):
        net.forward(np.zeros((3, 8, 8)))
    with pytest.raises(ArgumentError, match="NaN or inf"):
        net.forward(np.full((1, 3, 8, 8), np.nan))
    net.forward(np.zeros((1, 3, 8, 8)))
    with pytest.raises(ShapeError, match="the gradient at 'prob' has shape"):
        net.backward(np.zeros((1, 4)))
    with pytest.raises(ArgumentError, match="no layer named 'conv9'"):
        net.forward(np.zeros((1, 3, 8, 8)), end="conv9")
    params = {k: dict(v) for k, v in net.params.items()}
    params["fc3"]["W"] = np.zeros((10, 23))
    with pytest.raises(ShapeError, match=r"layer 'fc3': parameter W has shape \(10, 23\), the architecture needs \(10, 24\)"):
        Net(vgg_style(), (3, 8, 8), params=params)
    params["fc3"]["W"] = np.full((10, 24), np.inf)
    with pytest.raises(ArgumentError, match="NaN or inf"):
        Net(vgg_style(), (3, 8, 8), params=params)


def test_layer_errors_at_run_time_name_the_layer():
    net = make("vgg_style")
    net.forward(np.zeros((1, 3, 8, 8)), end="conv1_1")
    with pytest.raises(ArgumentError, match="backward: layer 'prob' was not computed"):
        net.backward(np.zeros((1, 5)), start="prob")


def test_float32_by_default_and_astype():
    net = Net(vgg_style(), (3, 8, 8))
    assert net.params["conv1_1"]["W"].dtype == np.float32
    x = np.random.RandomState(15).randn(1, 3, 8, 8)
    assert net.forward(x).dtype == np.float32
    net64 = net.astype(np.float64)
    assert rel_error(net64.forward(x), net.forward(x)) < 1e-6


def test_a_net_at_another_input_size_shares_its_weights():
    net = make("fire_style")
    bigger = net.resized((23, 19), end="fire2/concat")
    assert bigger.input_shape == (3, 23, 19) and bigger.params["conv1"]["W"] is net.params["conv1"]["W"]
    assert bigger.layer_names[-1] == "fire2/concat" and bigger.space.size == (23, 19)
    x = to_device(np.random.RandomState(16).randn(1, 3, 23, 19))
    out = bigger.forward(x)
    h, _ = L.conv_forward(x, net.params["conv1"]["W"], net.params["conv1"]["b"], 2, 0)
    assert out.shape == (1, 8, 5, 4) and np.array_equal(to_numpy(bigger.outputs["conv1"]), to_numpy(h))
    with pytest.raises(ArgumentError, match="fully connected layer 'fc3'"):
        make("vgg_style").resized((16, 16))


def test_a_net_is_freed_when_its_last_reference_goes():
    """No reference cycle keeps a net (and its weights) alive after a pass on either engine."""
    import weakref
    for fast in (False, True):
        with backend.fast_paths(fast):
            net = make("vgg_style")
            with net.frozen():
                net.forward(safe_input(net, 0), keep=())
            gone = weakref.ref(net)
            del net
            assert gone() is None
