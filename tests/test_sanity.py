"""The sanity checks (Adebayo et al. 2018): what randomization changes, and that the checks
find on the default model what the paper found."""
import numpy as np
import pytest

from minicnn import Net, io, viz
from minicnn.errors import ArgumentError
from minicnn.viz import sanity

from nets import fire_style, vgg_style


@pytest.fixture(scope="module")
def digits():
    return io.load("digits")


def changed_layers(a, b):
    return {n for n in a.params if any(not np.array_equal(a.params[n][k], b.params[n][k]) for k in ("W", "b"))}


@pytest.mark.parametrize("mode", sanity.MODES)
def test_each_stage_changes_exactly_its_layers_seeded(mode):
    net = Net(fire_style(), (3, 15, 15), seed=1)
    for p in net.params.values():
        p["b"][:] = 0.1
    plan = sanity.stages(net, mode)
    assert [label for label, _ in plan] == ["original", "conv10", "fire2", "conv1"]
    above = set()
    for label, layers in plan[1:]:
        changed = changed_layers(net, sanity.randomized(net, set(layers), seed=5))
        above |= {n for n in net.params if n.split("/")[0] == label}
        assert changed == (above if mode == "cascade" else {n for n in net.params if n.split("/")[0] == label})
        again = sanity.randomized(net, set(layers), seed=5)
        other = sanity.randomized(net, set(layers), seed=6)
        for n in layers:
            np.testing.assert_array_equal(again.params[n]["W"], sanity.randomized(net, set(layers), seed=5).params[n]["W"])
            assert not np.array_equal(again.params[n]["W"], other.params[n]["W"])
            assert np.all(again.params[n]["b"] == 0)
    assert net.params["conv1"]["b"][0] == np.float32(0.1)            # the original is left alone


def test_blocks_run_from_the_top_down():
    net = Net(vgg_style(), (3, 8, 8))
    assert [b for b, _ in sanity.blocks(net)] == ["fc4", "fc3", "conv2_1", "conv1_2", "conv1_1"]


def test_the_new_weights_have_the_scale_of_a_new_network():
    net = Net(vgg_style(), (3, 8, 8), seed=0)
    W = sanity.randomized(net, {"conv2_1"}, seed=0).params["conv2_1"]["W"]
    assert W.std() == pytest.approx(np.sqrt(2 / (4 * 9)), rel=0.25)


def test_the_paper_finding_on_the_default_model(digits):
    """Once every layer is random, the gradient's map no longer resembles the original, and
    Grad-CAM's neither, but guided backpropagation's still does (it shows the digit's edges)."""
    last = {m: [] for m in ("saliency", "gradcam", "guided")}
    for i in range(3):
        x = digits.space.preprocess(digits.samples.images[i])
        r = viz.run("sanity", digits, x, methods="saliency,gradcam,guided", quick=True)
        assert r.stages == ["original", "fc4", "fc3", "conv2_2", "conv2_1", "conv1_2", "conv1_1"]
        for m in last:
            sims = r.similarity[m]
            assert all(v[0] == pytest.approx(1.0) for v in sims.values())       # the original against itself
            last[m].append(sims["spearman_abs"][-1])
    mean = {m: float(np.mean(v)) for m, v in last.items()}
    assert mean["guided"] > 0.4 and mean["saliency"] < 0.3 and mean["gradcam"] < 0.3, mean
    assert mean["guided"] > max(mean["saliency"], mean["gradcam"]) + 0.15


def test_data_randomization_compares_with_a_model_of_the_same_architecture(digits, tmp_path):
    other = sanity.randomized(digits, set(digits.params), seed=3)
    path = io.save(other, tmp_path / "random.h5", name="random")
    x = digits.space.preprocess(digits.samples.images[0])
    r = viz.run("sanity", digits, x, methods="saliency,guided", quick=True, random_labels=str(path))
    assert set(r.data_randomization) == {"saliency", "guided"} and r.random_label_maps.shape == (2, 28, 28)
    assert r.data_randomization["saliency"]["spearman_abs"] < 0.9
    wrong = io.save(Net(vgg_style(), (3, 8, 8)), tmp_path / "wrong.h5", name="wrong")
    with pytest.raises(ArgumentError, match="not the same architecture"):
        viz.run("sanity", digits, x, methods="saliency", random_labels=str(wrong))


def test_unknown_methods_are_refused():
    with pytest.raises(ArgumentError, match="unknown method 'saliancy'"):
        sanity.Settings(methods="saliency,saliancy")


def test_a_model_without_maps_is_checked_without_grad_cam():
    """Grad-CAM needs a spatial map: asked for, it is refused in one line; by default the checks
    run every other method."""
    from minicnn.images import ImageSpace
    spec = [{"name": "fc", "type": "linear", "out_features": 3}, {"name": "prob", "type": "softmax"}]
    net = Net(spec, (1, 6, 6), dtype=np.float64, seed=2, space=ImageSpace.identity((1, 6, 6)))
    x = np.random.RandomState(0).rand(1, 1, 6, 6)
    with pytest.raises(ArgumentError, match="Grad-CAM needs a layer with a spatial map"):
        viz.run("gradcam", net, x)
    r = viz.run("sanity", net, x, quick=True)
    assert "gradcam" not in r.methods and "saliency" in r.methods and r.stages == ["original", "fc"]
    # one linear layer: the gradient is the weight row, a new random row has nothing to do with it,
    # but gradient x input keeps the image's pattern
    assert r.method_settings["integrated-gradients"]["steps"] == 16


def test_the_sidecar_says_what_each_stage_randomized(digits):
    x = digits.space.preprocess(digits.samples.images[0])
    r = viz.run("sanity", digits, x, methods="saliency", mode="independent", quick=True)
    assert r.randomized == [[], ["fc4"], ["fc3"], ["conv2_2"], ["conv2_1"], ["conv1_2"], ["conv1_1"]]
    assert "with only conv1_1 random" in r.summary()
    assert r.sidecar()["constant"] == {"saliency": []} and r.ig_gaps == []
    r = viz.run("sanity", digits, x, methods="integrated-gradients", quick=True)
    assert len(r.ig_gaps) == len(r.stages) and r.ig_gaps[0] < 0.05          # 16 steps on the trained model
