"""Layer-wise relevance propagation: each rule against a loop written from its definition, on
random small layers; conservation on whole nets without biases; LRP-0 = gradient x input; the
per-layer choice of rules; and what a result reports."""
import numpy as np
import pytest

from minicnn import Net, backend, io, viz
from minicnn.backend import to_numpy
from minicnn import layers as L
from minicnn.errors import ArgumentError
from minicnn.viz import lrp

from nets import fire_style, vgg_style

OPTIONS = {"eps": 0.3, "gamma": 0.4, "alpha": 2.5, "low": -1.2, "high": 1.7}


def test_epsilon_relative_to_the_layers_root_mean_square():
    rng = np.random.RandomState(3)
    x, w, b = rng.randn(2, 6), rng.randn(4, 6), rng.randn(4)
    out, cache = L.linear_forward(x, w, b)
    R = rng.randn(*out.shape)
    got = L.linear_relevance(R, cache, b, "epsilon", eps=0.3, rms=True)
    for n in range(2):
        eps = 0.3 * np.sqrt(np.mean(out[n] ** 2))
        expected = sum(x[n] * w[m] / (out[n, m] + eps * np.sign(out[n, m])) * R[n, m] for m in range(4))
        np.testing.assert_allclose(got[n], expected, rtol=1e-12)


def test_alpha_beta_defaults_to_alpha_two_not_z_plus():
    rng = np.random.RandomState(4)
    x, w, b = rng.randn(2, 6), rng.randn(4, 6), np.zeros(4)
    out, cache = L.linear_forward(x, w, b)
    R = rng.rand(*out.shape)
    assert not np.allclose(L.linear_relevance(R, cache, b, "alphabeta"), L.linear_relevance(R, cache, b, "zplus"))
    np.testing.assert_allclose(L.linear_relevance(R, cache, b, "alphabeta"),
                               L.linear_relevance(R, cache, b, "alphabeta", alpha=2.0))


def shares(contributions, bias, R, rule):
    """One output's relevance R shared among its inputs' contributions (a 1-D array), by the
    rule's definition (Montavon et al. 2019)."""
    if rule in ("0", "gamma"):
        z = contributions.sum() + bias
        return contributions / z * R if z != 0 else 0 * contributions
    if rule == "epsilon":
        z = contributions.sum() + bias
        return contributions / (z + OPTIONS["eps"] * (1 if z >= 0 else -1)) * R
    if rule == "zb":
        return contributions / contributions.sum() * R
    p, n = np.maximum(contributions, 0), np.minimum(contributions, 0)
    alpha = 1.0 if rule == "zplus" else OPTIONS["alpha"]
    out = alpha * p / p.sum() * R if p.sum() != 0 else 0 * p
    return out - (alpha - 1) * (n / n.sum() * R if n.sum() != 0 else 0 * n)


def contributions_of(rule, x, w, b):
    """Each input's contribution to one output (x, w: same shape) and the bias, under ``rule``."""
    if rule == "gamma":
        w, b = w + OPTIONS["gamma"] * np.maximum(w, 0), b + OPTIONS["gamma"] * max(b, 0)
    if rule == "zb":
        return x * w - OPTIONS["low"] * np.maximum(w, 0) - OPTIONS["high"] * np.minimum(w, 0), 0.0
    return x * w, b


@pytest.mark.parametrize("rule", L.WEIGHTED_RULES)
def test_conv_relevance_against_a_loop(rule):
    rng = np.random.RandomState(0)
    x, w, b = rng.randn(2, 2, 5, 5), rng.randn(3, 2, 3, 3), rng.randn(3)
    if rule == "zb":
        x = rng.uniform(OPTIONS["low"], OPTIONS["high"], x.shape)
    stride, pad = 2, 1
    out, cache = L.conv_forward(x, w, b, stride, pad)
    R = rng.randn(*out.shape)
    got = L.conv_relevance(R, cache, b, rule, **OPTIONS)
    expected = np.zeros_like(x)
    for n in range(2):
        for f in range(3):
            for oh in range(out.shape[2]):
                for ow in range(out.shape[3]):
                    cells = [(c, oh * stride + i - pad, ow * stride + j - pad, i, j) for c in range(2)
                             for i in range(3) for j in range(3)]
                    cells = [cell for cell in cells if 0 <= cell[1] < 5 and 0 <= cell[2] < 5]
                    xs = np.array([x[n, c, r, q] for c, r, q, _, _ in cells])
                    ws = np.array([w[f, c, i, j] for c, _, _, i, j in cells])
                    s = shares(*contributions_of(rule, xs, ws, b[f]), R[n, f, oh, ow], rule)
                    for (c, r, q, _, _), v in zip(cells, s):
                        expected[n, c, r, q] += v
    np.testing.assert_allclose(got, expected, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("rule", L.WEIGHTED_RULES)
def test_linear_relevance_against_a_loop(rule):
    rng = np.random.RandomState(1)
    x, w, b = rng.randn(2, 3, 2, 2), rng.randn(4, 12), rng.randn(4)
    if rule == "zb":
        x = rng.uniform(OPTIONS["low"], OPTIONS["high"], x.shape)
    out, cache = L.linear_forward(x, w, b)
    R = rng.randn(*out.shape)
    got = L.linear_relevance(R, cache, b, rule, **OPTIONS)
    expected = np.zeros((2, 12))
    for n in range(2):
        for m in range(4):
            expected[n] += shares(*contributions_of(rule, x[n].ravel(), w[m], b[m]), R[n, m], rule)
    np.testing.assert_allclose(got, expected.reshape(x.shape), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("size, stride, pad, ceil", [(2, 2, 0, False), (3, 2, 1, False), (3, 2, 0, True)])
def test_pooling_relevance_against_a_loop(size, stride, pad, ceil):
    rng = np.random.RandomState(2)
    x = rng.rand(2, 2, 7, 7)                                  # after a ReLU: not negative
    out, cache = L.maxpool_forward(x, size, stride, pad, ceil)
    R = rng.randn(*out.shape)
    proportional = np.zeros_like(x)
    for n, c, oh, ow in np.ndindex(*out.shape):
        rows = range(max(oh * stride - pad, 0), min(oh * stride - pad + size, 7))
        cols = range(max(ow * stride - pad, 0), min(ow * stride - pad + size, 7))
        window = x[n, c][np.ix_(rows, cols)]
        proportional[n, c][np.ix_(rows, cols)] += window / window.sum() * R[n, c, oh, ow]
    np.testing.assert_allclose(L.maxpool_relevance(R, cache, "proportional"), proportional, rtol=1e-12)
    np.testing.assert_array_equal(L.maxpool_relevance(R, cache, "wta"), L.maxpool_backward(R, cache))
    if not ceil:                      # average pooling shares the same way (its divisors cancel)
        out, cache = L.avgpool_forward(x, size, stride, pad)
        np.testing.assert_allclose(L.avgpool_relevance(R, cache, x, out), proportional, rtol=1e-12)


def no_bias_net(spec, shape, seed):
    net = Net(spec, shape, dtype=np.float64, seed=seed)
    for p in net.params.values():
        p["b"][:] = 0
    return net


def relevance(net, x, c, rules=(("0", None, {}),), pool="wta"):
    with backend.fast_paths(False):
        s = net.forward(x, end=net.layer_names[-2])
    R = np.zeros_like(s)
    R.reshape(len(R), -1)[:, c] = s.reshape(len(s), -1)[:, c]
    blocks = [net.lrp_rule(rule, upto, **o) for rule, upto, o in rules] + [net.lrp_rule(pool)]
    for b in blocks:
        b.__enter__()
    try:
        return to_numpy(net.relevance(R)), to_numpy(s.reshape(len(s), -1)[:, c])
    finally:
        for b in reversed(blocks):
            b.__exit__(None, None, None)


@pytest.mark.parametrize("rule", ["0", "zplus"])
@pytest.mark.parametrize("pool", ["wta", "proportional"])
@pytest.mark.parametrize("spec, shape", [(vgg_style(), (3, 8, 8)), (fire_style(), (3, 15, 15))])
def test_conservation_without_biases(spec, shape, rule, pool):
    """Every relevance the score puts in reaches the pixels: through max and average pooling,
    the two branches of a fire module and their concatenation."""
    net = no_bias_net(spec, shape, seed=4)
    x = np.random.RandomState(5).randn(3, *shape)
    R, score = relevance(net, x, 1, ((rule, None, {}),), pool)
    np.testing.assert_allclose(R.reshape(3, -1).sum(axis=1), score, rtol=1e-10, atol=1e-10)
    assert all(np.abs(to_numpy(a)).max() < 1e-10 for a in net.absorbed.values())


def test_lrp0_without_biases_is_gradient_times_input():
    net = no_bias_net(vgg_style(), (3, 8, 8), seed=6)
    x = np.random.RandomState(7).randn(2, 3, 8, 8)
    R, _ = relevance(net, x, 3)
    s = net.forward(x, end="fc4")
    d = np.zeros_like(s)
    d[:, 3] = 1
    np.testing.assert_allclose(R, x * to_numpy(net.backward(d)), rtol=1e-9, atol=1e-12)


def test_biases_absorb_what_is_missing():
    """With biases, LRP-0 hands on z - b of every z: the sum at the input falls short of the
    score by what the layers report as absorbed."""
    net = Net(vgg_style(), (3, 8, 8), dtype=np.float64, seed=8)
    for p in net.params.values():
        p["b"][:] = 0.3
    x = np.random.RandomState(9).randn(1, 3, 8, 8)
    R, score = relevance(net, x, 0)
    absorbed = sum(float(to_numpy(a)[0]) for a in net.absorbed.values())
    assert abs(absorbed) > 1e-3
    assert R.sum() + absorbed == pytest.approx(score[0], rel=1e-12)
    # By hand: the top layer's output c holds R = z_c, and LRP-0 hands on (z_c - b_c) / z_c of it,
    # so that layer keeps exactly its bias b_c = 0.3; a layer below keeps sum_k b_k R_k / z_k.
    assert float(to_numpy(net.absorbed["fc4"])[0]) == pytest.approx(0.3, rel=1e-12)
    z3 = to_numpy(net.outputs["fc3"])[0]
    a3, w4 = np.maximum(z3, 0), to_numpy(net.params["fc4"]["W"])[0]      # relu3's output; dropout is off
    R3 = a3 * w4 / (a3 @ w4 + 0.3) * score[0]              # fc4's LRP-0 shares, at fc3's outputs
    assert float(to_numpy(net.absorbed["fc3"])[0]) == pytest.approx(float((0.3 * R3 / z3).sum()), rel=1e-9)


def test_rules_are_chosen_per_layer_range_and_restored():
    net = Net(vgg_style(), (3, 8, 8))
    before = net.lrp_rules
    with net.lrp_rule("epsilon", eps=0.1), net.lrp_rule("gamma", upto="conv1_2"), net.lrp_rule("proportional"):
        rules = net.lrp_rules
        assert rules["fc4"] == ("epsilon", {"eps": 0.1}) and rules["conv2_1"] == ("epsilon", {"eps": 0.1})
        assert rules["conv1_1"][0] == rules["conv1_2"][0] == "gamma"
        assert rules["pool1"] == rules["pool2"] == ("proportional", {})
    assert net.lrp_rules == before
    with pytest.raises(ArgumentError, match="rule"):
        with net.lrp_rule("alpha"):
            pass


def test_relevance_needs_the_readable_forward():
    net = Net(vgg_style(), (3, 8, 8))
    with backend.fast_paths(True):
        net.forward(np.zeros((1, 3, 8, 8), np.float32), end="fc4")
    if net._pass is None:
        pytest.skip("the fast engine does not run here")
    with pytest.raises(ArgumentError, match="readable"):
        net.relevance(np.zeros((1, 5), np.float32))


def test_composite_preset_on_the_default_model():
    net = io.load("digits")
    plan = dict(lrp.lrp(net, net.space.preprocess(net.samples.images[0]), 0).rules)
    low, high = (float(b.min()) for b in net.space.bounds())
    assert plan == {"conv1_1": f"zb (pixels {low:.3g} to {high:.3g})", "conv1_2": "gamma (gamma=0.25)", "pool1": "wta",
                    "conv2_1": "epsilon (0.25 x RMS)", "conv2_2": "epsilon (0.25 x RMS)", "pool2": "wta", "fc3": "0",
                    "fc4": "0"}


def test_composite_gives_both_branches_of_a_fire_module_one_rule():
    """Ranges end at a block's last layer (its concatenation): a fire module's squeeze and both
    expand branches get the same rule, and the classifier conv LRP-0."""
    spec = fire_style()
    spec = spec[:10] + [dict(layer, name=layer["name"].replace("fire2", "fire3"),
                             **({"inputs": [i.replace("fire2", "fire3") for i in layer["inputs"]]} if "inputs" in layer
                                else {})) for layer in spec[3:10]]
    spec[10] = dict(spec[10], inputs=["fire2/concat"])
    spec += fire_style()[10:]
    net = Net(spec, (3, 15, 15))
    rules = {}
    for rule, upto, o in lrp.rules_for(net, "composite"):
        below = None if upto is None else net.arch.ancestors[upto] | {upto}
        for n in net.params:
            if below is None or n in below:
                rules[n] = rule
    assert rules["conv10"] == "0" and rules["conv1"] == "zb"
    for block in ("fire2", "fire3"):
        assert len({rules[n] for n in net.params if n.startswith(block)}) == 1, rules


@pytest.mark.parametrize("rule", ["zplus", "composite"])
def test_result_reports_conservation(rule):
    net = io.load("digits")
    x = net.space.preprocess(net.samples.images[2])
    r = viz.run("lrp", net, x, rule=rule)
    assert r.total == pytest.approx(r.relevance.sum())
    assert r.total + r.absorbed_total == pytest.approx(r.score, rel=1e-9)
    if rule == "zplus":          # z+ ignores biases: only a unit with no positive contribution loses its share
        assert abs(r.total - r.score) < 1e-3 * r.score
    assert r.relevance.sum() > 0.5 * r.score               # most of the evidence reaches the digit
