"""Maximally activating patches: the receptive-field windows, the top-k against a brute-force
ranking, and the same answer from one process, two worker processes and a Dask cluster."""
import numpy as np
import pytest

from minicnn import Net, viz
from minicnn.backend import to_numpy
from minicnn.viz.top_patches import find, reduce_hits, map_chunk

from nets import grey_net


def pixel_net():
    """relu(conv 3x3 whose only weight is its centre) then 2x2 max pooling: a unit of pool1 is
    driven by the brightest pixel of its 2x2 cell, and its window is the 4x4 around that cell."""
    W = np.zeros((1, 1, 3, 3))
    W[0, 0, 1, 1] = 1.0
    spec = [{"name": "conv1", "type": "conv", "out_channels": 1, "kernel": 3, "pad": 1},
            {"name": "relu1", "type": "relu"}, {"name": "pool1", "type": "maxpool", "size": 2}]
    return Net(spec, (1, 12, 12), params={"conv1": {"W": W, "b": np.zeros(1)}}, dtype=np.float64)


def test_each_patch_contains_the_pixel_that_drives_its_unit():
    rng = np.random.RandomState(0)
    images, spots = np.zeros((20, 1, 12, 12)), []
    for i in range(20):
        y, x = rng.randint(0, 12, size=2)
        images[i, 0, y, x] = 1.0 + i                          # brighter in later images
        spots.append((y, x))
    r = viz.top_patches(pixel_net(), images, "pool1", k=5)
    hits = r.hits[0]
    assert [h["image"] for h in hits] == [19, 18, 17, 16, 15] and hits[0]["value"] == 20.0
    for h in hits:
        y, x = spots[h["image"]]
        top, left, bottom, right = h["box"]
        assert top <= y < bottom and left <= x < right, (h, spots[h["image"]])
        c, uy, ux = h["position"]
        assert (uy, ux) == (y // 2, x // 2)


def test_top_k_equals_a_brute_force_ranking():
    net = grey_net(2)
    images = net.space.to_input(np.random.RandomState(3).uniform(0, 255, (37, 28, 28, 3))).astype(np.float64)
    r = viz.top_patches(net, images, "pool1", units=[0, 3, 5], k=6, batch=5)
    acts = to_numpy(net.forward(images, end="pool1"))
    for unit, hits in zip(r.units, r.hits):
        best = acts[:, unit].reshape(37, -1).max(axis=1)
        order = np.argsort(-best, kind="stable")[:6]
        assert [h["image"] for h in hits] == list(order)
        np.testing.assert_allclose([h["value"] for h in hits], best[order])
    assert r.patches.shape == (3, 6, 4, 4, 3) and r.images_seen == 37          # the 4x4 window of pool1


def test_map_and_reduce_in_any_chunks_give_the_same_answer():
    net = grey_net(4)
    images = list(net.space.to_input(np.random.RandomState(5).uniform(0, 255, (23, 28, 28, 3)))[:, None])
    whole = map_chunk(net, images, list(range(23)), "relu1", [1, 2], 4)
    parts = [map_chunk(net, images, list(range(s, min(s + 5, 23))), "relu1", [1, 2], 4) for s in range(0, 23, 5)]
    assert reduce_hits([whole], 4) == reduce_hits(parts, 4)


@pytest.mark.cpu                        # worker processes share the CPU's cores; one GPU takes one process
def test_two_worker_processes_give_what_one_process_gives():
    net = grey_net(6)
    images = list(net.space.to_input(np.random.RandomState(7).uniform(0, 255, (40, 28, 28, 3)))[:, None])
    one = find(net, images, "pool1", [0, 1, 2], k=5, batch=4)
    two = find(net, images, "pool1", [0, 1, 2], k=5, batch=4, workers=2)
    assert one == two


@pytest.mark.cpu
def test_a_dask_cluster_gives_what_one_process_gives():
    distributed = pytest.importorskip("distributed", exc_type=ImportError,
                                      reason="Dask is the optional [dask] extra")
    net = grey_net(8)
    images = list(net.space.to_input(np.random.RandomState(9).uniform(0, 255, (30, 28, 28, 3)))[:, None])
    one = find(net, images, "pool1", [0, 4], k=4, batch=4)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as c:
        assert find(net, images, "pool1", [0, 4], k=4, batch=4, scheduler=c.scheduler_address) == one
