"""The measures the sanity checks compare attribution maps with (viz/similarity.py)."""
import numpy as np
import pytest

from minicnn.viz.similarity import compare, hog_similarity, spearman, ssim


def blob(side=28, centre=(12.0, 15.0), width=4.0, noise=0.05, seed=0):
    """A smooth bump plus a little noise: a map with structure and edges, like a saliency map."""
    y, x = np.mgrid[:side, :side]
    bump = np.exp(-((y - centre[0]) ** 2 + (x - centre[1]) ** 2) / (2 * width ** 2))
    return bump + noise * np.random.RandomState(seed).rand(side, side)


def test_a_map_against_itself_is_one_by_every_measure():
    for a in (blob(), blob(224, (100.0, 130.0), 30.0), blob() - 0.5):       # 28, 224, and a signed map
        assert compare(a, a) == pytest.approx({"spearman_abs": 1.0, "spearman_signed": 1.0, "ssim": 1.0, "hog": 1.0})


def test_negation_reverses_the_signed_ranks_and_keeps_the_absolute_ones():
    a = blob() - 0.3                        # both signs, so |a| is not a itself
    m = compare(a, -a)
    assert m["spearman_signed"] == pytest.approx(-1.0)
    assert m["spearman_abs"] == pytest.approx(1.0)
    assert m["ssim"] == pytest.approx(1.0) and m["hog"] == pytest.approx(1.0)     # |a| == |-a|


def test_independent_random_maps_have_no_rank_correlation():
    rng = np.random.RandomState(1)
    rhos = [spearman(rng.rand(64, 64), rng.rand(64, 64)) for _ in range(5)]
    assert all(abs(r) < 0.1 for r in rhos)
    assert len(set(rhos)) == 5               # the maps were really different


def test_a_monotone_transform_keeps_the_ranks_but_not_the_hog_correlation():
    a = blob()
    stretched = np.exp(6 * a)
    assert spearman(a, stretched) == pytest.approx(1.0)
    h = hog_similarity(a, stretched)
    assert 0.3 < h < 0.99                    # the same edges, at other strengths


def test_a_shifted_map_has_a_lower_ssim():
    a = blob(noise=0.0)
    values = [ssim(a, np.roll(a, k, axis=1)) for k in (0, 1, 3, 6)]
    assert values[0] == pytest.approx(1.0)
    assert values[0] > values[1] > values[2] > values[3]
    assert values[3] < 0.9


def test_scale_and_offset_do_not_change_ssim_or_hog():
    # Each map is scaled to [0, 1] by its own range first: units do not matter, only shapes.
    a = blob()
    assert ssim(a, 1e-4 * a + 7) == pytest.approx(1.0)
    assert hog_similarity(a, 50 * a - 3) == pytest.approx(1.0)


def test_constant_maps_give_zero_not_nan():
    a, flat = blob(), np.full((28, 28), 3.0)
    for m in (compare(a, flat), compare(flat, a), compare(flat, flat), compare(a, np.zeros((28, 28)))):
        assert m == {"spearman_abs": 0.0, "spearman_signed": 0.0, "ssim": 0.0, "hog": 0.0}


def test_small_maps_use_a_smaller_window_or_are_refused():
    a = blob(5, (2.0, 2.0), 1.0)
    assert ssim(a, a) == pytest.approx(1.0) and ssim(a, a.T) < 1.0          # a 5x5 window
    assert ssim(blob(6, (2.0, 3.0), 1.0), blob(6, (3.0, 2.0), 1.0)) < 1.0   # even side: 5x5 again
    with pytest.raises(ValueError, match="too small"):
        ssim(np.eye(2), np.eye(2))
    with pytest.raises(ValueError, match="smaller than one"):
        hog_similarity(np.eye(3), np.eye(3))


def test_maps_of_different_shapes_are_refused():
    with pytest.raises(ValueError, match="one shape"):
        compare(np.ones((4, 4)), np.ones((4, 5)))
    with pytest.raises(ValueError, match="NaN"):
        spearman(np.full((4, 4), np.nan), np.ones((4, 4)))


def test_attributions_with_channels_compare_absolute_sums_not_sums_made_absolute():
    """The absolute map is the sum over channels of |a| (two channels that cancel still matter),
    the signed map the sum of a."""
    rng = np.random.RandomState(7)
    a, b = rng.randn(3, 16, 16), rng.randn(3, 16, 16)
    got = compare(a, b)
    assert got["spearman_abs"] == pytest.approx(spearman(np.abs(a).sum(0), np.abs(b).sum(0)))
    assert got["spearman_signed"] == pytest.approx(spearman(a.sum(0), b.sum(0)))
    assert got["spearman_abs"] != pytest.approx(spearman(np.abs(a.sum(0)), np.abs(b.sum(0))))
    assert compare(a, a)["spearman_abs"] == pytest.approx(1.0)
