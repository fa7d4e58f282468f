"""The GPU path copies nothing between host and device inside a step: checked on a pretend GPU
(fake_gpu.py) whose arrays count every upload, download and value read on the host."""
import numpy as np
import pytest

from minicnn import backend, viz
from minicnn.errors import ArgumentError
from minicnn.layers import RELU_MODES

from fake_gpu import DeviceArray, fake_gpu, pretend_gpu  # noqa: F401  (fake_gpu: a fixture)
from nets import NETS, grey_net, make, run_technique, same_arrays


@pytest.mark.parametrize("kind", NETS)
def test_forward_and_backward_copy_nothing(fake_gpu, kind):
    with backend.fast_paths(True):
        net = make(kind)                                  # parameters go up here, once
        x = backend.to_device(np.random.RandomState(0).randn(2, *net.input_shape))
        fake_gpu.reset()
        for keep in (None, ()):
            out = net.forward(x, keep=keep)
            assert isinstance(out, DeviceArray)
            for mode in RELU_MODES:
                with net.relu_mode(mode):
                    dx = net.backward(out * 0 + 1)
                assert isinstance(dx, DeviceArray)
    assert fake_gpu.total == 0, "\n".join(fake_gpu.log)


def test_an_input_from_the_other_device_is_copied_over_once_per_call(fake_gpu):
    """A net runs where its weights are: a host image goes up to a GPU net (after the NaN check,
    made on the host), a device image comes down to a CPU net."""
    net = make("vgg_style")                               # on the pretend device
    x = np.random.RandomState(0).randn(2, 3, 8, 8)
    fake_gpu.reset()
    assert isinstance(net.forward(x), DeviceArray) and fake_gpu.up == 1
    assert isinstance(net.backward(np.ones((2, 5))), DeviceArray) and fake_gpu.up == 2
    with pytest.raises(ArgumentError, match="NaN or inf"):
        net.forward(np.full((1, 3, 8, 8), np.nan))
    assert fake_gpu.up == 2
    backend.use("cpu")
    on_cpu = make("vgg_style")
    fake_gpu.reset()
    out = on_cpu.forward(x.view(DeviceArray))
    assert fake_gpu.down == 1 and not isinstance(out, DeviceArray)


def _net():
    return make("fire_style", classes=["zero", "one", "two", "three", "four"])


# name -> (run it for n steps, aiming at class ``other`` where it aims, and how many values each
# step may read back: the one its loop needs to decide how to go on)
TECHNIQUES = {
    "deepdream": (lambda net, x, n, other: viz.run("deepdream", net, x, layer="fire2/concat", iterations=n,
                                                   octaves=2), 0),
    "invert": (lambda net, x, n, other: viz.run("invert", net, x, layers="fire2/concat", iterations=n), 0),
    "style (Adam)": (lambda net, x, n, other: viz.style_transfer(net, x, x[:, :, ::-1].copy(), iterations=n,
                                                                optimizer="adam"), 0),
    "classviz": (lambda net, x, n, other: viz.run("classviz", net, target=other, iterations=n, preset="yosinski4"), 1),
    "fool": (lambda net, x, n, other: viz.run("fool", net, target=other, max_steps=n, step=0.01,
                                              confidence=0.9999), 1),
    "adversarial": (lambda net, x, n, other: viz.run("adversarial", net, x, target=other, max_steps=n,
                                                     step=0.01), 1),
}


def example():
    """The pretend GPU's test case: the net, an image, and the class the net finds least likely
    for it (so that fooling and adversarial runs take every step they are given)."""
    net = _net()
    x = net.space.to_input(np.random.RandomState(0).uniform(0, 255, net.input_shape[1:] + (3,)))
    return net, x, int(viz.probabilities(net, x)[0].argmin())


def _image(result):
    """The picture a technique made: DeepDream's and style's image, inversion's images, and the
    x of a class model or an adversarial result."""
    for field in ("image", "images"):
        if hasattr(result, field):
            return getattr(result, field)
    return result.x


@pytest.mark.parametrize("name", TECHNIQUES)
def test_a_technique_moves_nothing_per_step_and_gives_the_cpus_result(name):
    """Arrays cross between host and device a fixed number of times however many steps run, at
    most one value is read back per step, and the image is the one the CPU makes."""
    run, reads_per_step = TECHNIQUES[name]
    net, x, other = example()
    on_cpu = run(net, x, 4, other)
    counts = {}
    with pretend_gpu() as transfers:
        gpu_net = _net()                       # parameters on the pretend device
        for n in (2, 4):
            transfers.reset()
            result = run(gpu_net, x, n, other)
            counts[n] = (transfers.copies, transfers.reads, list(transfers.log))
    (copies2, reads2, _), (copies4, reads4, log4) = counts[2], counts[4]
    assert copies4 == copies2, "\n".join(log4)
    assert reads4 - reads2 <= 2 * reads_per_step, "\n".join(log4)
    np.testing.assert_allclose(_image(result), _image(on_cpu), rtol=1e-9, atol=1e-9)


def test_a_long_run_is_refused_when_the_device_has_too_little_free_memory(fake_gpu, monkeypatch):
    """The estimate is held against the device's free memory (memGetInfo), not the host's."""
    net, x, _ = example()
    monkeypatch.setattr(backend._cupy.cuda.runtime, "memGetInfo", lambda: (1000, 16 << 30))
    for run in (lambda: viz.run("deepdream", net, x, layer="fire2/concat", iterations=1, octaves=1),
                lambda: viz.run("classviz", net, target=1, iterations=1),
                lambda: viz.run("fool", net, target=1, max_steps=1)):
        with pytest.raises(ArgumentError, match=r"would need [\d.,]+ MiB, and 0.0 MiB are free"):
            run()


@pytest.mark.parametrize("name", sorted(viz.TECHNIQUES))
def test_every_technique_runs_on_the_gpu_and_gives_the_cpus_result(name, tmp_path):
    """Each technique in the registry, run on a net on the device from an image on the host,
    returns host arrays equal to the CPU's (the pretend GPU computes with NumPy; both sides take
    the readable layers)."""
    with backend.fast_paths(False):
        on_cpu = run_technique(name, grey_net(), tmp_path)
        with pretend_gpu(simulate_kernels=False):
            on_gpu = run_technique(name, grey_net(), tmp_path)
    same_arrays(on_gpu, on_cpu, 1e-12)
