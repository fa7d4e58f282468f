"""Memory estimates against what NumPy really allocates (tracemalloc sees every array)."""
import re
import tracemalloc

import numpy as np
import pytest

from minicnn import Net, viz
from minicnn.errors import ArgumentError
from minicnn.images import CAFFE, ImageSpace
from minicnn.memory import check_fits, estimate
from minicnn.models import squeezenet1_1, vgg16

pytestmark = pytest.mark.cpu          # tracemalloc sees host memory


@pytest.fixture(scope="module")
def squeezenet():
    net = Net(squeezenet1_1(num_classes=10), (3, 131, 131), space=ImageSpace(**CAFFE, size=(131, 131)), seed=0)
    return net, net.space.to_input(np.random.RandomState(0).uniform(0, 255, (131, 131, 3)))


def peak(fn):
    fn()                                                  # compile the kernels, warm the caches
    tracemalloc.start()
    try:
        result = fn()
        return result, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize("end", ["fire2/concat", "fire5/concat", "relu_conv10"])
@pytest.mark.parametrize("batch", [1, 3])
@pytest.mark.parametrize("keep, once", [(None, False), ((), False), ((), True)],
                         ids=["every output", "keep nothing", "keep nothing, back once"])
def test_a_forward_and_backward_pass(squeezenet, end, batch, keep, once):
    net, x = squeezenet
    xs = np.repeat(x, batch, axis=0)

    def one_pass():
        net.forward(xs, end=end, keep=keep)
        return net.backward(np.ones_like(net.outputs[end]), once=once)
    _, measured = peak(one_pass)
    predicted = estimate(net.arch, end, batch=batch, image_copies=0, keep=keep, once=once)
    assert abs(predicted - measured) <= 0.2 * measured, (predicted, measured)


def test_a_backward_run_once_needs_less_memory(squeezenet):
    """Measured, not only estimated: the caches really go as the pass leaves them."""
    net, x = squeezenet
    xs = np.repeat(x, 3, axis=0)

    def one_pass(once):
        net.forward(xs, end="relu_conv10", keep=())
        return net.backward(np.ones_like(net.outputs["relu_conv10"]), once=once)
    (_, kept), (_, let_go) = peak(lambda: one_pass(False)), peak(lambda: one_pass(True))
    assert let_go < 0.9 * kept, (let_go, kept)


def test_a_frozen_loop_counts_the_filters_it_keeps():
    """In Net.frozen the kept Winograd filters stay from the first step on: the estimate counts
    them from the start, and agrees with what two steps allocate (VGG16 to conv3_3 on 64x64
    images: conv3_2 and conv3_3 keep theirs, 8 MiB)."""
    net = Net(vgg16()[:[s["name"] for s in vgg16()].index("relu3_3") + 1], (3, 64, 64), seed=0)
    x = np.random.RandomState(0).randn(1, 3, 64, 64).astype(np.float32)
    d = np.ones((1, 256, 16, 16), np.float32)
    with net.frozen():
        net.forward(x, keep=())
        net.backward(d, once=True)                      # compile the kernels, warm the caches
    tracemalloc.start()
    try:
        with net.frozen():
            assert net.is_frozen
            for _ in range(2):
                net.forward(x, keep=())
                net.backward(d, once=True)
        measured = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    plain, frozen = (estimate(net.arch, batch=1, image_copies=0, keep=(), once=True, frozen=f) for f in (False, True))
    print(f"measured {measured / 2**20:.1f} MiB, estimated {frozen / 2**20:.1f} (not frozen: {plain / 2**20:.1f})")
    assert frozen > plain and abs(frozen - measured) <= 0.2 * measured, (frozen, measured)


def test_a_backward_that_lets_caches_go_needs_a_map_less_on_vgg16():
    """At batch 8 VGG16's peak is in conv1_2's backward; with once=True relu1_2's output (98 MiB)
    has gone by then, so that backward's gradient fits where it was."""
    arch = Net(vgg16(), (3, 224, 224)).arch
    kept, once = (estimate(arch, "fc8", batch=8, image_copies=0, keep=(), once=o) for o in (False, True))
    assert kept - once >= 8 * 64 * 224 * 224 * 4, (kept, once)


@pytest.mark.parametrize("name, run", [
    ("deepdream", lambda net, x: viz.deepdream(net, x, "fire5/concat", iterations=2, octaves=2)),
    ("invert", lambda net, x: viz.run("invert", net, x, layers="fire5/concat", iterations=3)),
    ("style", lambda net, x: viz.style_transfer(net, x, x, iterations=3)),
])
def test_the_estimate_a_technique_prints_is_within_20_percent_of_its_peak(squeezenet, name, run):
    net, x = squeezenet
    result, measured = peak(lambda: run(net, x))
    assert abs(result.memory - measured) <= 0.2 * measured, (name, result.memory, measured)
    assert "a step used about" in result.summary()


def test_too_large_a_size_is_refused_naming_one_that_fits():
    spec = vgg16()
    net = Net(spec[:[s["name"] for s in spec].index("relu4_2") + 1], (3, 224, 224), seed=0)   # VGG16 to relu4_2
    need = estimate(net.resized((512, 512), end="relu4_2").arch, "relu4_2")
    with pytest.raises(ArgumentError, match=r"style at 512x512 would need [\d,]+ MiB, and [\d,]+ MiB are free; "
                                            r"(\d+)x\1 would fit") as e:
        check_fits(net, "relu4_2", (512, 512), "style", free=need // 3)
    fit = int(re.search(r"(\d+)x\d+ would fit", str(e.value)).group(1))
    assert 250 < fit < 512
    assert estimate(net.resized((fit, fit), end="relu4_2").arch, "relu4_2") <= need // 3
    assert check_fits(net, "relu4_2", (fit, fit), "style", free=need // 3) <= need // 3


def test_when_no_size_fits_the_refusal_says_so():
    spec = vgg16()
    net = Net(spec[:[s["name"] for s in spec].index("relu4_2") + 1], (3, 224, 224), seed=0)
    with pytest.raises(ArgumentError, match=r"would need [\d,]+ MiB, and 0.0 MiB are free; no size the network "
                                            r"can take would fit"):
        check_fits(net, "relu4_2", (224, 224), "style", free=1)


def test_a_batch_that_would_not_fit_is_refused_naming_one_that_does(squeezenet):
    from minicnn.memory import check_batch_fits
    net, _ = squeezenet
    one, eight = (estimate(net.arch, "fire5/concat", batch=b, backward=False, image_copies=0, keep=()) for b in (1, 8))
    assert check_batch_fits(net, "fire5/concat", 8, "top patches", keep=(), free=eight) == eight
    with pytest.raises(ArgumentError, match=r"top patches in batches of 8 would need [\d.,]+ MiB, and [\d.,]+ MiB "
                                            r"are free; batches of [4-7] would fit"):
        check_batch_fits(net, "fire5/concat", 8, "top patches", keep=(), free=(eight + one) // 2 + one)
    with pytest.raises(ArgumentError, match="not even one image at a time would fit"):
        check_batch_fits(net, "fire5/concat", 8, "top patches", keep=(), free=one - 1)


def test_the_batch_runs_check_their_batches(squeezenet, monkeypatch):
    import minicnn.memory as memory
    net, x = squeezenet
    monkeypatch.setattr(memory, "free_memory", lambda: 1000)
    with pytest.raises(ArgumentError, match=r"occlusion in batches of 16 would need"):
        viz.run("occlusion", net, x, target=0)
