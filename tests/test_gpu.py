"""The same layer code on CuPy: results equal NumPy's. Runs with MINICNN_DEVICE=gpu on a machine
with CuPy and a CUDA device; skipped elsewhere (CI has no GPU)."""
import numpy as np
import pytest

from minicnn import Net, backend, gradcheck, im2col, viz
from minicnn import layers as L
from minicnn.im2col import reference
from minicnn.models import vgg16

from conftest import PRETEND_GPU, gpu_or_skip
from nets import grey_net, run_technique, same_arrays
from test_im2col import CONFIGS as KERNEL_CONFIGS, describe


@pytest.fixture(autouse=True)
def on_gpu():
    gpu_or_skip()
    backend.use("gpu")
    yield
    backend.use("cpu")


@pytest.mark.parametrize("config", KERNEL_CONFIGS, ids=describe)
def test_gpu_kernels_equal_the_reference(config):
    shape, kh, kw, s, p, out, fill = config
    x = np.random.RandomState(0).randn(*shape)
    got = backend.to_numpy(im2col.im2col(backend.to_device(x), kh, kw, s, p, out, fill))
    np.testing.assert_array_equal(got, reference.im2col(x, kh, kw, s, p, out, fill))
    cols = np.random.RandomState(1).randn(shape[0], shape[1] * kh * kw, out[0] * out[1])
    got = backend.to_numpy(im2col.col2im(backend.to_device(cols), shape, kh, kw, s, p, out))
    np.testing.assert_allclose(got, reference.col2im(cols, shape, kh, kw, s, p, out), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("dtype, tol", [(np.float64, 1e-10), (np.float32, 1e-5)])
def test_every_layer_on_the_gpu_equals_numpy(dtype, tol):
    for case in gradcheck.cases():
        inputs = {k: v.astype(dtype) for k, v in case.inputs.items()}
        out_c, cache_c = case.forward(**inputs)
        out_g, cache_g = case.forward(**{k: backend.to_device(v) for k, v in inputs.items()})
        if case.layer == "dropout":     # the GPU draws its own mask: x through it, and backward with it on both
            mask = backend.to_numpy(cache_g)
            out_c, cache_c = inputs["x"] * mask, mask
            assert len(np.unique(mask)) == 2, case.config                  # dropped, or kept and scaled
        assert gradcheck.rel_error(out_c, out_g) <= tol, case.config
        d = np.asarray(np.random.RandomState(2).randn(*out_c.shape), dtype)      # 0-d for a loss
        g_c, g_g = case.backward(d, cache_c), case.backward(backend.to_device(d), cache_g)
        for k in g_c:
            assert gradcheck.rel_error(g_c[k], g_g[k]) <= tol, f"{case.layer} {case.config} d{k}"


def test_gradient_checks_pass_on_the_gpu():
    rows, ok = gradcheck.run()
    assert ok, gradcheck.format_table(rows)


def test_relu_modes_on_the_gpu():
    x, d = np.array([[-2.0, -1.0, 0.0, 1.0, 2.0]]), np.array([[3.0, -3.0, 5.0, -4.0, 6.0]])
    _, cache = L.relu_forward(backend.to_device(x))
    for mode, expected in [("backprop", [[0, 0, 0, -4, 6]]), ("deconvnet", [[3, 0, 5, 0, 6]]),
                           ("guided", [[0, 0, 0, 0, 6]])]:
        np.testing.assert_array_equal(backend.to_numpy(L.relu_backward(backend.to_device(d), cache, mode)), expected)


@pytest.mark.parametrize("name", ["deepdream", "invert", "style (Adam)", "classviz", "fool", "adversarial"])
def test_the_loops_of_the_techniques_on_the_gpu_equal_the_cpu(name):
    """The same runs tests/test_device_copies.py makes on its pretend GPU, on the real one."""
    from test_device_copies import TECHNIQUES, _image, _net, example
    run, _ = TECHNIQUES[name]
    backend.use("cpu")
    net, x, other = example()
    on_cpu = run(net, x, 4, other)
    backend.use("gpu")
    on_gpu = run(_net(), x, 4, other)
    np.testing.assert_allclose(_image(on_gpu), _image(on_cpu), rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize("name", sorted(viz.TECHNIQUES))
def test_every_technique_runs_on_the_gpu_and_gives_the_cpus_result(name, tmp_path):
    """Each technique in the registry on a float64 net on the GPU, from an image on the host: host
    arrays back, equal to the CPU's readable path to rounding. t-SNE's points are left out: its
    thousand steps of gradient descent carry rounding differences of its input far."""
    backend.use("cpu")
    with backend.fast_paths(False):
        on_cpu = run_technique(name, grey_net(), tmp_path)
    backend.use("gpu")
    on_gpu = run_technique(name, grey_net(), tmp_path)
    if name == "tsne":
        on_cpu, on_gpu = (replace_arrays(r, points=None, cells=None) for r in (on_cpu, on_gpu))
    same_arrays(on_gpu, on_cpu, 1e-7)


def replace_arrays(result, **arrays):
    from dataclasses import replace
    return replace(result, **{k: np.zeros(0) if v is None else v for k, v in arrays.items()})


def pool_peak():
    """A CuPy memory hook that follows the bytes the run holds from CuPy's pool, and their peak."""
    import cupy

    class Peak(cupy.cuda.MemoryHook):
        name = "peak"

        def __init__(self):
            self.now = self.peak = 0
            self.sizes = {}

        def malloc_postprocess(self, **kw):
            self.sizes[kw["mem_ptr"]] = kw["mem_size"]
            self.now += kw["mem_size"]
            self.peak = max(self.peak, self.now)

        def free_postprocess(self, **kw):
            self.now -= self.sizes.pop(kw["mem_ptr"], 0)
    return Peak()


@pytest.mark.parametrize("optimizer", ["lbfgs", "adam"])
def test_a_vgg16_style_transfer_at_512_fits_and_its_estimate_holds(optimizer):
    """VGG16 (random weights: memory does not depend on them) at 512x512: the estimate the result
    prints is within 20 % of the most the run held from CuPy's memory pool at once. The pool
    itself may take more from the device (blocks cached for reuse): printed beside it."""
    if PRETEND_GPU:
        pytest.skip("a pretend GPU has no memory pool, and VGG16 at 512x512 would take minutes on the CPU")
    pool = backend.array_module().get_default_memory_pool()
    net = Net(vgg16(), (3, 224, 224), seed=0)
    rng = np.random.RandomState(0)
    content, style = (net.space.to_input(rng.uniform(0, 255, (512, 512, 3))) for _ in range(2))
    pool.free_all_blocks()
    weights = pool.total_bytes()
    with pool_peak() as hook:
        r = viz.style_transfer(net, content, style, optimizer=optimizer, iterations=3)
    taken = pool.total_bytes() - weights
    print(f"style 512 ({optimizer}): estimate {r.memory / 2**20:,.0f} MiB, peak held {hook.peak / 2**20:,.0f} MiB, "
          f"pool took {taken / 2**20:,.0f} MiB")
    assert abs(r.memory - hook.peak) <= 0.2 * hook.peak, (r.summary(), hook.peak / 2**20, taken / 2**20)
    assert np.isfinite(r.image).all() and r.evaluations >= 3
