"""The same layer code on CuPy: results equal NumPy's. Runs with MINICNN_DEVICE=gpu on a machine
with CuPy and a CUDA device; skipped elsewhere (CI has no GPU)."""
import numpy as np
import pytest

from minicnn import backend, gradcheck, im2col
from minicnn import layers as L
from minicnn.im2col import reference

from conftest import gpu_or_skip
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
        assert gradcheck.rel_error(out_c, out_g) <= tol, case.config
        d = np.random.RandomState(2).randn(*out_c.shape).astype(dtype)
        g_c, g_g = case.backward(d, cache_c), case.backward(backend.to_device(d), cache_g)
        for k in g_c:
            if case.layer == "dropout":
                continue           # the GPU draws its own random mask
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
