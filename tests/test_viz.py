"""The lecture's techniques on tiny hand-built networks with known answers, and invariants."""
import numpy as np
import pytest

from minicnn import Net, viz
from minicnn.architecture import Architecture
from minicnn.backend import to_numpy
from minicnn.images import CAFFE, TORCHVISION, ImageSpace
from minicnn.layers import relu_backward

from nets import grey_net, reference_backward, run_technique, small_net, vgg_style

IDENTITY = ImageSpace(channels="RGB", pixel_max=255.0, mean=(0, 0, 0), std=(1, 1, 1), size=(8, 8))


def test_saliency_of_a_linear_model_is_the_max_of_its_weights():
    rng = np.random.RandomState(0)
    net = Net([{"name": "fc", "type": "linear", "out_features": 4}, {"name": "prob", "type": "softmax"}],
              (3, 8, 8), dtype=np.float64, space=IDENTITY)
    x = rng.randn(1, 3, 8, 8)
    for c in range(4):
        expected = np.abs(to_numpy(net.params["fc"]["W"][c]).reshape(3, 8, 8)).max(axis=0)
        np.testing.assert_allclose(viz.saliency(net, x, c), expected, rtol=1e-12)


def test_saliency_of_a_tiny_conv_net_by_hand():
    """S = mean over the 4x4 map of relu(1*R - 2*G + 3*B): dS/dx_c = w_c/16 where the
    pre-activation is positive, else 0; the max over channels is |3|/16 there."""
    spec = [{"name": "conv", "type": "conv", "out_channels": 1, "kernel": 1},
            {"name": "relu", "type": "relu"}, {"name": "gap", "type": "avgpool"}]
    w = np.array([1.0, -2.0, 3.0]).reshape(1, 3, 1, 1)
    net = Net(spec, (3, 4, 4), params={"conv": {"W": w, "b": np.zeros(1)}}, dtype=np.float64,
              space=ImageSpace(**CAFFE, size=(4, 4)))
    x = np.random.RandomState(1).randn(1, 3, 4, 4)
    positive = (x[0] * w[0]).sum(axis=0) > 0
    assert 0 < positive.sum() < 16
    np.testing.assert_allclose(viz.saliency(net, x, 0), np.where(positive, 3 / 16, 0))


def test_saliency_is_in_pixel_units():
    """The same linear model on a torchvision-style space: dS/dpixel = dS/dx * (1/255)/std."""
    space = ImageSpace(**TORCHVISION, size=(8, 8))
    net = Net([{"name": "fc", "type": "linear", "out_features": 2}], (3, 8, 8), dtype=np.float64, space=space)
    W = to_numpy(net.params["fc"]["W"][1]).reshape(3, 8, 8)
    expected = np.abs(W / 255 / np.array(space.std).reshape(3, 1, 1)).max(axis=0)
    np.testing.assert_allclose(viz.saliency(net, np.zeros((1, 3, 8, 8)), 1), expected, rtol=1e-12)


def test_guided_neuron_gradient_is_backprop_with_negative_upstream_zeroed():
    net = small_net()
    x = np.random.RandomState(2).randn(1, 3, 8, 8) * 50
    guided, where = viz.neuron_gradient(net, x, "conv2_1", 3, "guided")
    d = np.zeros_like(net.outputs["conv2_1"])
    d[0, where[0], where[1], where[2]] = 1
    expected = reference_backward(net, d, "conv2_1", lambda g, c: relu_backward(np.maximum(g, 0), c))
    np.testing.assert_allclose(guided, to_numpy(expected), rtol=1e-12, atol=1e-15)
    assert net.outputs["conv2_1"][0, 3].max() == net.outputs["conv2_1"][0, 3, where[1], where[2]]


def test_deconvnet_map_does_not_depend_on_forward_relu_masks():
    spec = [s for s in vgg_style() if s["type"] in ("conv", "relu")]
    net = Net(spec, (3, 8, 8), dtype=np.float64)
    maps = [viz.neuron_gradient(net, np.random.RandomState(s).randn(1, 3, 8, 8), "relu2_1", (2, 3, 4), "deconvnet")[0]
            for s in (3, 4)]
    np.testing.assert_array_equal(maps[0], maps[1])


def test_all_three_modes_agree_without_relus():
    spec = [s for s in vgg_style() if s["type"] in ("conv", "maxpool")]
    net = Net(spec, (3, 8, 8), dtype=np.float64)
    grads, _ = viz.all_modes(net, np.random.RandomState(5).randn(1, 3, 8, 8), "conv2_1", 1)
    np.testing.assert_array_equal(grads["backprop"], grads["deconvnet"])
    np.testing.assert_array_equal(grads["backprop"], grads["guided"])


def test_receptive_crop_of_a_unit():
    net = small_net()
    box = viz.receptive_box(net, "conv2_1", (0, 1, 2), (8, 8))
    rf = net.receptive_field("conv2_1")                      # size 10, stride 2, offset -4
    assert (rf.size, rf.stride, rf.offset) == ((10, 10), (2, 2), (-4, -4))
    assert box == (0, 0, 8, 8) or box == (max(-4 + 2, 0), max(-4 + 4, 0), min(-4 + 2 + 10, 8), min(-4 + 4 + 10, 8))


def patch_net():
    """Class 0's score is the sum of channel 0 over rows 4..7, columns 8..11; class 1's is constant."""
    W = np.zeros((2, 3, 16, 16))
    W[0, 0, 4:8, 8:12] = 1.0
    return Net([{"name": "fc", "type": "linear", "out_features": 2}, {"name": "prob", "type": "softmax"}],
               (3, 16, 16), params={"fc": {"W": W.reshape(2, -1), "b": np.array([0.0, 8.0])}},
               dtype=np.float64, space=ImageSpace(**CAFFE, size=(16, 16)))


def test_occlusion_drops_most_where_the_evidence_is():
    net = patch_net()
    x = np.zeros((1, 3, 16, 16))
    x[0, 0, 4:8, 8:12] = 1.0                                  # evidence 16 > 8: class 0 wins
    result = viz.occlusion(net, x, 0, layer="fc", size=4, stride=2, batch=5)
    i, j = np.unravel_index(result.prob.argmin(), result.prob.shape)
    assert (result.tops[i], result.lefts[j]) == (4, 8)
    assert result.base_prob > 0.99 and result.prob.min() < 0.01
    assert result.prob[0, 0] == pytest.approx(result.base_prob)   # far from the patch: no change


def test_plain_ascent_raises_the_score_at_every_step():
    net = small_net(3)
    history = []
    viz.class_model(net, "fc4", 2, viz.Ascent(iterations=30, lr=0.05, clip=False), history=history)
    assert len(history) == 30 and all(b > a for a, b in zip(history, history[1:])), history


@pytest.mark.parametrize("preset", sorted(viz.PRESETS))
def test_presets_raise_the_unit(preset):
    net = small_net(4)
    history = []
    img = viz.class_model(net, "conv2_1", 1, preset, iterations=40, history=history)
    assert history[-1] > history[0]
    low, high = net.space.bounds()
    if viz.PRESETS[preset].clip:
        assert (img >= low - 1e-9).all() and (img <= high + 1e-9).all()


def test_yosinski_presets_are_the_papers_table():
    p = viz.PRESETS
    assert (p["yosinski1"].decay, p["yosinski1"].blur_radius, p["yosinski1"].blur_every, p["yosinski1"].norm_pct) == (0, 0.5, 4, 50)
    assert (p["yosinski2"].decay, p["yosinski2"].blur_every, p["yosinski2"].norm_pct) == (0.3, 0, 20)
    assert (p["yosinski3"].decay, p["yosinski3"].blur_radius, p["yosinski3"].blur_every) == (0.0001, 1.0, 4)
    assert (p["yosinski4"].blur_radius, p["yosinski4"].contrib_pct, p["yosinski4"].max_lr) == (0.5, 90, 1e8)


def test_fooling_image_reaches_the_target_quickly():
    net = small_net(5)
    for target in ("three", 1):
        r = viz.fooling(net, target, max_steps=100)
        assert r.success and r.steps <= 100 and r.confidence > 0.996
        assert r.predicted == viz.resolve_target(net, target)


@pytest.mark.parametrize("kind", ["caffe", "torchvision"])
def test_fgsm_stays_within_epsilon_pixel_units(kind):
    space = ImageSpace(**(CAFFE if kind == "caffe" else TORCHVISION), size=(8, 8))
    net = small_net(6, space)
    x = space.to_input(np.random.RandomState(7).uniform(0, 255, (8, 8, 3))).astype(np.float64)
    label = int(viz.probabilities(net, x).argmax())
    for eps in (0.5, 3.0):
        r = viz.fgsm(net, x, label, epsilon=eps)
        change = space.to_pixels(r.x) - space.to_pixels(x)
        assert np.abs(change).max() <= eps + 1e-9 and r.linf <= eps + 1e-9
        assert np.abs(change).max() > 0.9 * eps                 # the step is really taken
        low, high = space.bounds()
        assert (r.x >= low - 1e-9).all() and (r.x <= high + 1e-9).all()


def test_adversarial_to_target_stops_as_soon_as_it_is_classified():
    net = small_net(8)
    x = net.space.to_input(np.random.RandomState(9).uniform(0, 255, (8, 8, 3))).astype(np.float64)
    start = int(viz.probabilities(net, x).argmax())
    target = (start + 1) % 5
    r = viz.to_target(net, x, target, step=0.5, max_steps=300)
    assert r.success and r.predicted == target
    assert r.linf <= 0.5 * r.steps + 1e-9
    before = viz.to_target(net, x, target, step=0.5, max_steps=r.steps - 1)
    assert not before.success                                  # one step fewer is not enough


def test_lecture_logistic_regression_numbers():
    r = viz.logistic_example()
    assert r["score"] == -3 and round(r["p"], 4) == 0.0474
    assert r["score_adv"] == 2 and round(r["p_adv"], 2) == 0.88
    np.testing.assert_array_equal(r["x_adv"], [1.5, -1.5, 3.5, -2.5, 2.5, 1.5, 1.5, -3.5, 4.5, 1.5])


def test_breaking_a_linear_classifier_trained_by_minicnn():
    from minicnn.viz.linear import digits
    X, y, _ = digits()
    w, b, loss = viz.train_linear_classifier(X, y, 10, epochs=200)
    assert ((X @ w.T + b).argmax(axis=1) == y).mean() > 0.9
    i = int(np.where(((X @ w.T + b).argmax(axis=1) == y) & (y == 0))[0][0])
    eps, changed, predicted = viz.break_linear(X[i], w, b, 3)
    assert eps is not None and predicted == 3 and eps < 3


def test_the_broken_linear_classifier_technique_flips_a_digit_by_its_own_templates():
    r = viz.run("break-linear", None, epochs=100, digit=2)
    assert r.train_accuracy > 0.9 and r.original.shape == (8, 8)
    others = [t for t in range(10) if t != 2]
    for t, eps, changed, predicted in zip(others, r.epsilons, r.changed, r.predicted):
        template = r.templates[t]
        # the changed digit is the digit plus eps times the target's template (rescaled), nothing else
        step = (changed - r.original).ravel()
        assert np.allclose(step / np.linalg.norm(step), template.ravel() / np.linalg.norm(template))
        assert (predicted == t) == (eps is not None)
    assert sum(e is not None for e in r.epsilons) >= 7


def test_targets_by_index_or_name():
    net = small_net()
    assert viz.resolve_target(net, 3) == 3 and viz.resolve_target(net, "3") == 3
    assert viz.resolve_target(net, "Three") == 3
    from minicnn.errors import MinicnnError
    with pytest.raises(MinicnnError, match="no class name contains 'seven'"):
        viz.resolve_target(net, "seven")
    with pytest.raises(MinicnnError, match="matches 4 classes"):
        viz.resolve_target(net, "o")
    with pytest.raises(MinicnnError, match="out of range"):
        viz.resolve_target(net, 5)


def test_units_after_relus_are_pushed_through_their_pre_activation():
    from minicnn.models import squeezenet1_1
    from minicnn.viz.class_model import pre_activation
    net = Architecture(squeezenet1_1(num_classes=10), (3, 67, 67))
    assert pre_activation(net, "fire2/concat", (70, 3, 4)) == ("fire2/expand3x3", (6, 3, 4))     # 64 + 6
    assert pre_activation(net, "fire2/concat", (10, 3, 4)) == ("fire2/expand1x1", (10, 3, 4))
    assert pre_activation(net, "relu_conv1", 5) == ("conv1", 5)
    assert pre_activation(net, "pool1", (5, 1, 1)) == ("pool1", (5, 1, 1))


def test_a_unit_that_is_off_at_the_mean_image_still_rises():
    net = small_net(10)
    out = net.forward(np.zeros((1, 3, 8, 8)), end="relu1_2")[0]
    c, y, x = np.argwhere(out == 0)[0]                       # off at the start
    history = []
    img = viz.class_model(net, "relu1_2", (int(c), int(y), int(x)), viz.Ascent(iterations=50, lr=1.0), history=history)
    assert history[-1] > history[0] and net.forward(img, end="relu1_2")[0, c, y, x] > 0


def test_grabcut_segmentation_finds_the_salient_object():
    rng = np.random.RandomState(11)
    image = np.clip(rng.normal(120, 10, (64, 64, 3)), 0, 255).astype(np.uint8)
    image[20:44, 16:40] = np.clip(rng.normal((200, 40, 40), 10, (24, 24, 3)), 0, 255).astype(np.uint8)
    truth = np.zeros((64, 64), bool)
    truth[20:44, 16:40] = True
    saliency = rng.uniform(0, 0.2, (64, 64))
    saliency[24:40, 20:36] += 1.0                               # salient inside the object only
    mask = viz.segment(image, saliency)
    iou = (mask & truth).sum() / (mask | truth).sum()
    assert iou > 0.8, iou


@pytest.mark.parametrize("name", sorted(viz.TECHNIQUES))
def test_every_technique_works_on_a_one_channel_model(name, tmp_path):
    """Run through the registry: a finite result, a JSON sidecar without arrays, non-blank panels."""
    import json
    net = grey_net()
    t = viz.TECHNIQUES[name]
    r = run_technique(name, net, tmp_path)
    assert r.seconds > 0 and all(np.isfinite(a).all() for a in r.arrays().values() if a.dtype.kind == "f")
    sidecar = json.loads(json.dumps(r.sidecar()))
    assert sidecar["settings"] == {k: (list(v) if isinstance(v, tuple) else v)
                                   for k, v in r.settings.__dict__.items()}
    picture = t.picture(net, r)                                      # a row of panels, or rows
    panels = [p for row in (picture if isinstance(picture[0], list) else [picture]) for p in row if p]
    assert panels and all(p.image.dtype == np.uint8 and p.image.ndim == 3 for p in panels)
    assert max(float(p.image.std()) for p in panels) > 5


def test_a_registered_technique_refuses_bad_settings_before_any_work():
    from minicnn.errors import ArgumentError
    with pytest.raises(ArgumentError, match="stride must be >= 1"):
        viz.run("occlusion", None, np.zeros((1, 3, 8, 8)), stride=0)     # no net needed to refuse it
    with pytest.raises(ArgumentError, match="unknown technique"):
        viz.run("deepdreamz", None)


def test_fgsm_reports_the_label_it_stepped_away_from():
    net = small_net(6)
    x = net.space.to_input(np.random.RandomState(7).uniform(0, 255, (8, 8, 3))).astype(np.float64)
    predicted = int(viz.probabilities(net, x).argmax())
    other = (predicted + 1) % 5
    r = viz.run("fgsm", net, x, label=other, epsilon=0.5)
    assert r.label.index == other and r.start.index == predicted and r.target is None
    assert f"away from {net.classes[other]!r} (the network said {net.classes[predicted]!r})" in r.summary()
    assert r.success == (r.predicted != other)
    targeted = viz.run("fgsm", net, x, target=other, epsilon=0.5)
    assert targeted.label is None and "toward" in targeted.summary()


def test_fooling_says_so_when_no_gradient_reaches_the_start():
    """From the mean image of a net without biases every ReLU input is 0: nothing to climb."""
    from minicnn.errors import ArgumentError
    net = Net(vgg_style(), (3, 8, 8), dtype=np.float64, classes=["a", "b", "c", "d", "e"])
    with pytest.raises(ArgumentError, match="no gradient reaches the image"):
        viz.fooling(net, "b", start="zeros")


def test_a_unit_that_is_off_says_so_instead_of_drawing_blanks():
    net = small_net(1)
    net.params["conv1_1"]["b"][2] = -1e6                     # channel 2 of relu1_1 is off everywhere
    x = np.random.RandomState(3).randn(1, 3, 8, 8)
    r = viz.run("neuron", net, x, layer="relu1_1", unit=2)
    # backprop and guided stop at the unit's own ReLU; deconvnet ignores the forward switch.
    assert r.blank == ["backprop", "guided"] and r.activation == 0 and r.strongest_channel != 2
    assert "no gradient reaches the image from this unit under backprop, guided (it is off" in r.summary()
    titles = [p.title for p in viz.TECHNIQUES["neuron"].picture(net, r)[1:4]]
    assert ["blank" in t for t in titles] == [True, False, True], titles
    alive = viz.run("neuron", net, x, layer="relu1_1", unit=r.strongest_channel)
    assert not alive.blank and "note" not in alive.summary()


def test_receptive_fields_are_reported_inclusive():
    net = small_net()
    x = np.random.RandomState(4).randn(1, 3, 8, 8)
    r = viz.run("neuron", net, x, layer="conv1_1", unit=(0, 4, 5))    # a 3x3 field around (4, 5)
    assert r.receptive_field == {"rows": [3, 5], "columns": [4, 6]}
    assert "rows 3..5, columns 4..6" in r.summary()


def test_smoothgrad_of_a_linear_model_is_its_plain_map():
    """A linear score has the same gradient everywhere: noise changes nothing."""
    rng = np.random.RandomState(12)
    net = Net([{"name": "fc", "type": "linear", "out_features": 3}], (3, 8, 8), dtype=np.float64, space=IDENTITY)
    x = rng.randn(1, 3, 8, 8)
    np.testing.assert_allclose(viz.saliency(net, x, 1, samples=7, noise=0.3), viz.saliency(net, x, 1), rtol=1e-12)


def test_smoothgrad_averages_the_speckle_away():
    from minicnn.objectives import tv_loss
    net = small_net(13)
    x = net.space.to_input(np.random.RandomState(14).uniform(0, 255, (8, 8, 3))).astype(np.float64)
    plain, smooth = viz.saliency(net, x, 2), viz.saliency(net, x, 2, samples=40, noise=0.2)
    assert not np.allclose(plain, smooth)
    roughness = [tv_loss((m / m.mean())[None, None])[0] for m in (plain, smooth)]
    assert roughness[1] < roughness[0], roughness
    again = viz.run("saliency", net, x, target=2, samples=40, noise=0.2)
    np.testing.assert_array_equal(again.map, smooth)                      # seeded


def test_map_layers_are_the_relus_and_concatenations_with_maps():
    from minicnn.architecture import Architecture
    from minicnn.models import squeezenet1_1, vgg16
    vgg = Architecture(vgg16(), (3, 224, 224))
    assert viz.map_layers(vgg) == [n for n in vgg.layer_names if n.startswith("relu") and n[4] in "12345"]
    assert len(viz.map_layers(vgg)) == 13 and "relu6" not in viz.map_layers(vgg)          # fc7's ReLU is no map
    squeeze = Architecture(squeezenet1_1(), (3, 227, 227))
    maps = viz.map_layers(squeeze)
    assert "fire2/concat" in maps and "fire9/concat" in maps and "relu_conv10" in maps and "pool1" not in maps


def test_grabcut_gives_the_same_mask_for_the_same_inputs_whatever_ran_before():
    """GrabCut's k-means draws from OpenCV's global generator: segment seeds it."""
    import cv2
    rng = np.random.RandomState(0)
    image = rng.randint(0, 256, (40, 30, 3)).astype(np.uint8)
    saliency = rng.uniform(0, 1, (40, 30))                     # seeds on which k-means' start matters
    first = viz.segment(image, saliency)
    cv2.randu(np.zeros((100, 100), np.float32), 0, 1)           # moves the global generator on
    assert (viz.segment(image, saliency) == first).all()
    assert any((viz.segment(image, saliency, seed=s) != first).any() for s in range(1, 6))


def test_grabcut_one_iteration_per_call_is_one_call_for_all():
    """segment calls GrabCut once per iteration (a step of its progress bar): the same mask as
    OpenCV's one call with every iteration (on an image where iterations after the first matter)."""
    import cv2
    from scipy.ndimage import gaussian_filter
    rng = np.random.RandomState(4)
    image = np.clip((gaussian_filter(rng.uniform(0, 255, (64, 64, 3)), (4, 4, 0)) - 127) * 6 + 127, 0, 255)
    image = image.astype(np.uint8)                              # smooth blobs of colour, like a photo's
    saliency = gaussian_filter(rng.uniform(0, 1, (64, 64)), 6)

    def one_call(iterations):
        mask = np.full(saliency.shape, cv2.GC_PR_BGD, np.uint8)   # the seeds segment draws with smooth=0
        mask[saliency >= np.percentile(saliency, 70)] = cv2.GC_PR_FGD
        mask[saliency >= np.percentile(saliency, 95)] = cv2.GC_FGD
        mask[saliency <= np.percentile(saliency, 30)] = cv2.GC_BGD
        cv2.setRNGSeed(0)
        cv2.grabCut(np.ascontiguousarray(image[..., ::-1]), mask, None, np.zeros((1, 65)), np.zeros((1, 65)),
                    iterations, cv2.GC_INIT_WITH_MASK)
        return (mask == cv2.GC_FGD) | (mask == cv2.GC_PR_FGD)

    assert (one_call(1) != one_call(5)).sum() > 5
    for iterations in (1, 2, 5):
        np.testing.assert_array_equal(viz.segment(image, saliency, smooth=0, iterations=iterations),
                                      one_call(iterations))
