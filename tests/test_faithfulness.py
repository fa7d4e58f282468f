"""Deletion and insertion curves (viz/faithfulness.py): exact on a model whose score is a known
sum of pixels, and a run of the technique on the shipped digits model."""
import json

import numpy as np
import pytest
from scipy.ndimage import gaussian_filter

import minicnn
from minicnn import Net, display
from minicnn.errors import ArgumentError
from minicnn.images import ImageSpace
from minicnn.viz import faithfulness as F

SHAPE = (1, 4, 4)
W0 = np.arange(1, 17, dtype=np.float64).reshape(SHAPE) / 40       # class 0's weights, all positive
X = np.random.RandomState(0).uniform(0.1, 1.0, (1,) + SHAPE)       # a positive image


def summing_net(w, shape):
    """Score 0 = sum(w * x), score 1 = 0: the probability of class 0 is sigmoid(sum(w * x))."""
    spec = [{"name": "fc", "type": "linear", "out_features": 2}, {"name": "prob", "type": "softmax"}]
    weights = np.stack([w.ravel(), np.zeros(w.size)])
    return Net(spec, input_shape=shape, params={"fc": {"W": weights, "b": np.zeros(2)}}, dtype=np.float64,
               space=ImageSpace.identity(shape))


def sigmoid(s):
    return 1 / (1 + np.exp(-s))


def by_hand(w, x, other, order, counts):
    """sigmoid(score) with the first counts[k] pixels of ``order`` taken from ``other``, all
    channels of a pixel together: sum over the pixels left of w x plus over the moved of w other."""
    C, H, W = w.shape
    w, x, other = w.reshape(C, H * W), x.reshape(C, H * W), other.reshape(C, H * W)
    p = []
    for k in counts:
        moved, left = order[:k], order[k:]
        p.append(sigmoid((w[:, left] * x[:, left]).sum() + (w[:, moved] * other[:, moved]).sum()))
    return np.array(p)


@pytest.mark.parametrize("steps, counts", [(16, range(17)), (4, [0, 4, 8, 12, 16]), (3, [0, 5, 11, 16])])
def test_deletion_toward_the_mean_is_the_sigmoid_of_what_is_left(steps, counts):
    net = summing_net(W0, SHAPE)
    order = F.random_order(16, 3)
    gone = F.substitute(X, "mean")
    assert not gone.any()                                    # the mean image is 0 in input space
    p = F.curve(net, X, gone, order, 0, steps)
    np.testing.assert_allclose(p, by_hand(W0, X, gone, order, counts), rtol=1e-13, atol=0)
    assert p[0] == pytest.approx(sigmoid((W0 * X).sum())) and p[-1] == pytest.approx(0.5)


def test_insertion_from_the_blur_moves_every_channel_of_a_pixel_together():
    shape = (3, 3, 3)
    w = np.random.RandomState(1).uniform(0.1, 1.0, shape)
    x = np.random.RandomState(2).uniform(0.0, 2.0, (1,) + shape)
    net = summing_net(w, shape)
    blank = F.substitute(x, "blur", sigma=1.0)
    for ch in range(3):                                      # each channel blurred on its own
        np.testing.assert_allclose(blank[0, ch], gaussian_filter(x[0, ch], 1.0, mode="nearest"), rtol=1e-12)
    order = F.order_of(np.arange(9).reshape(3, 3) % 4)
    p = F.curve(net, blank, x, order, 0, 3, batch=2)         # batches of 2 points: 2 passes
    np.testing.assert_allclose(p, by_hand(w, blank, x, order, [0, 3, 6, 9]), rtol=1e-13, atol=0)
    assert p[-1] == pytest.approx(sigmoid((w * x).sum()))


def test_a_blur_leaves_a_flat_image_flat_and_default_sigma_is_a_tenth_of_the_side():
    flat = np.full((1, 2, 28, 20), 0.7)
    np.testing.assert_allclose(F.substitute(flat, "blur"), flat, rtol=1e-12)
    assert F.default_sigma((28, 20)) == 2.0
    step = np.zeros((1, 1, 28, 28))
    step[..., 14:] = 1
    np.testing.assert_allclose(F.substitute(step, "blur")[0, 0, 0, 14], gaussian_filter(step[0, 0], 2.8,
                                                                                          mode="nearest")[0, 14])


def test_the_order_of_true_contributions_deletes_best_and_inserts_best():
    net = summing_net(W0, SHAPE)
    gone = F.substitute(X, "mean")
    true = F.order_of(W0[0] * X[0, 0])

    def areas(order):
        return F.area(F.curve(net, X, gone, order, 0, 8)), F.area(F.curve(net, gone, X, order, 0, 8))
    best_deletion, best_insertion = areas(true)
    reversed_deletion, reversed_insertion = areas(true[::-1])
    randoms = np.array([areas(F.random_order(16, s)) for s in range(20)])
    # Removing the largest shares first takes the most score away at every step: no order does better.
    assert best_deletion < randoms[:, 0].min() and best_deletion < reversed_deletion
    assert best_insertion > randoms[:, 1].max() and best_insertion > reversed_insertion
    assert best_deletion < randoms[:, 0].mean() - 0.05        # the floor is far off, not a tie


def test_area_by_the_trapezoid_rule():
    assert F.area(np.linspace(1, 0, 29)) == pytest.approx(0.5)
    assert F.area([1, 1]) == 1.0 and F.area([0, 0, 0]) == 0.0
    assert F.area([0, 1, 1], fractions=[0, 0.25, 1]) == pytest.approx(0.125 + 0.75)
    assert F.area([1, 0, 0, 0, 0]) == pytest.approx(0.125)         # one step of 1/4 down to 0


def test_order_of_is_deterministic_with_ties_in_index_order():
    m = np.array([[1.0, 3.0, 0.0], [3.0, 0.0, 2.0]])
    assert F.order_of(m).tolist() == [1, 3, 5, 0, 2, 4]
    assert F.order_of(-m).tolist() == [2, 4, 0, 5, 1, 3]
    assert F.order_of(np.zeros((2, 2))).tolist() == [0, 1, 2, 3]
    a, b = F.random_order(100, 7), F.random_order(100, 7)
    assert np.array_equal(a, b) and sorted(a) == list(range(100))
    assert not np.array_equal(a, F.random_order(100, 8))
    with pytest.raises(ValueError, match="permutation"):
        F.curve(summing_net(W0, SHAPE), X, X, np.zeros(16, int), 0, 4)


def test_importance_ranks_shares_by_sign_and_gradients_by_magnitude():
    a = np.array([[[2.0, -5.0], [0.5, 1.0]]])
    assert F.order_of(F.importance(a, "integrated-gradients")).tolist() == [0, 3, 2, 1]   # evidence against last
    assert F.order_of(F.importance(a, "saliency")).tolist() == [1, 0, 3, 2]
    assert F.order_of(F.importance(a, "lrp", rank="absolute")).tolist() == [1, 0, 3, 2]
    assert F.order_of(F.importance(a, "guided", rank="signed")).tolist() == [0, 3, 2, 1]


def test_the_technique_on_a_summing_model_finds_the_best_order_for_gradient_x_input():
    net = summing_net(W0, SHAPE)
    r = F.run(net, X, F.Settings(methods="gradient-input, saliency", steps=8, toward="mean", seeds=4))
    # gradient x input of a linear score is exactly each pixel's share w x: the best order.
    best = F.curve(net, X, np.zeros_like(X), F.order_of(W0[0] * X[0, 0]), 0, 8)
    np.testing.assert_allclose(r.deletion["gradient-input"], best, rtol=1e-12)
    assert r.images_used == 1 and r.toward == {"deletion": "mean", "insertion": "mean"}    # no samples: x alone
    assert r.per_image["random"]["deletion"][0] == pytest.approx(r.deletion_area["random"])
    assert r.deletion_area["gradient-input"] < r.deletion_area["random"]
    assert r.ranking()[0] == "gradient-input" and r.ranking()[-1] == "random"
    # With --target 1 (a zero score, so a saliency map of ties: pixels in index order), the
    # probability of class 1 is 1 - sigmoid(class 0's score).
    other = F.run(net, X, F.Settings(methods="saliency", target=1, steps=4, toward="mean"))
    assert [t.index for t in other.targets] == [1]
    np.testing.assert_allclose(other.deletion["saliency"],
                               1 - by_hand(W0, X, np.zeros_like(X), np.arange(16), [0, 4, 8, 12, 16]), rtol=1e-12)


def test_bad_settings_are_refused():
    with pytest.raises(ArgumentError, match=r"unknown method 'nonsense'; known: saliency, .*integrated-gradients"):
        F.Settings(methods="saliency,nonsense")
    with pytest.raises(ArgumentError, match="none given"):
        F.Settings(methods=" , ")
    for bad in ({"steps": 0}, {"toward": "grey"}, {"n": 0}, {"sigma": 0.0}, {"rank": "loud"}, {"seeds": 0}):
        with pytest.raises(ArgumentError):
            F.Settings(**bad)
    with pytest.raises(ArgumentError, match="more than the image's 16 pixels"):
        F.run(summing_net(W0, SHAPE), X, F.Settings(methods="saliency", steps=17))
    assert F.Settings(methods="lrp,saliency,lrp").method_list() == ["lrp", "saliency"]


@pytest.fixture(scope="module")
def digits():
    net = minicnn.io.load("digits")
    x = net.space.preprocess(net.samples.images[0])
    return net, F.run(net, x, F.Settings(n=2, quick=True))


def test_gradient_methods_beat_the_random_floor_on_the_digits_model(digits):
    _, r = digits
    assert r.images_used == 2 and list(r.deletion) == list(F.METHODS) + ["random"]
    floor = r.insertion_area["random"] - r.deletion_area["random"]
    for m in ("saliency", "smoothgrad", "guided", "gradient-input", "integrated-gradients", "lrp"):
        assert r.insertion_area[m] - r.deletion_area[m] > floor + 0.3, m
        for i in range(2):                                   # on each image, not only on average
            assert r.per_image[m]["deletion"][i] < r.per_image["random"]["deletion"][i], (m, i)
            assert r.per_image[m]["insertion"][i] > r.per_image["random"]["insertion"][i], (m, i)


def test_the_digits_curves_start_and_end_where_the_images_and_substitutes_are(digits):
    net, r = digits
    x = r.x
    xs = F.image_set(net, x, None, 2)
    assert np.array_equal(xs[0], x) and not np.array_equal(xs[1], x)     # the sample that is x is not taken twice
    p = minicnn.viz.targets.probabilities(net, np.concatenate(xs))
    classes = [t.index for t in r.targets]
    assert classes == p.argmax(axis=1).tolist()              # each image for its own predicted class
    on_x = p[[0, 1], classes].mean()
    blurred = np.concatenate([F.substitute(im, "blur") for im in xs])
    on_blur = minicnn.viz.targets.probabilities(net, blurred)[[0, 1], classes].mean()
    for m, c in r.deletion.items():
        assert c.shape == r.fractions.shape == (29,), m
        assert c[0] == pytest.approx(on_x, rel=1e-5) and r.insertion[m][-1] == pytest.approx(on_x, rel=1e-5)
        assert r.insertion[m][0] == pytest.approx(on_blur, rel=1e-5)
    assert r.toward == {"deletion": "mean", "insertion": "blur"} and r.steps == 28


def test_the_digits_result_reads_as_a_summary_a_sidecar_and_a_picture(digits):
    net, r = digits
    lines = r.summary().splitlines()
    assert len(lines) == 1 + len(F.METHODS) + 1 and "random (floor)" in r.summary()
    differences = [float(line.split("difference")[1]) for line in lines[1:]]
    assert differences == sorted(differences, reverse=True)
    sidecar = json.loads(json.dumps(r.sidecar()))
    assert set(sidecar["deletion_area"]) == set(F.METHODS) | {"random"}
    assert "deletion" not in sidecar and "fractions" not in sidecar          # arrays are the picture's
    panels = display.faithfulness(net, r)
    assert [p.title.split()[0] for p in panels] == ["deletion", "insertion"]
    assert all(p.image.dtype == np.uint8 and p.image.ndim == 3 and p.image.std() > 0 for p in panels)
