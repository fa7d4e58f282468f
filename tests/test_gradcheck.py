import subprocess
import sys

import numpy as np
import pytest

from minicnn import gradcheck
from minicnn.gradcheck import away_from_kinks, distinct_values, numerical_gradient, rel_error


def test_numerical_gradient_of_known_functions():
    x = np.array([[1.0, -2.0], [0.5, 3.0]])
    np.testing.assert_allclose(numerical_gradient(lambda v: (v ** 2).sum(), x), 2 * x, rtol=1e-8)
    dout = np.array([[1.0, 2.0], [3.0, 4.0]])
    np.testing.assert_allclose(numerical_gradient(np.sin, x, dout), np.cos(x) * dout, rtol=1e-8)
    np.testing.assert_array_equal(x, [[1.0, -2.0], [0.5, 3.0]])          # restored after probing


def test_numerical_gradient_refuses_a_view():
    with pytest.raises(ValueError, match="C-contiguous"):
        numerical_gradient(lambda v: v.sum(), np.zeros((4, 4))[:, ::2])


def test_rel_error():
    a = np.array([1.0, 1e-12, -3.0])
    assert rel_error(a, a) == 0.0
    assert rel_error(np.zeros(3), np.zeros(3)) == 0.0
    assert rel_error(a, a * (1 + 1e-9)) < 1e-9
    assert rel_error(a, a + [0, 1e-11, 0]) < 1e-11                      # tiny entries do not dominate
    assert rel_error(a, a + [0, 0, 0.5]) > 0.05                          # a wrong entry shows
    with pytest.raises(ValueError, match="shapes differ"):
        rel_error(np.zeros(2), np.zeros(3))


def test_kink_helpers():
    x = away_from_kinks(np.array([-0.5, -1e-4, 0.0, 2e-3, 0.7]), 1e-2)
    np.testing.assert_array_equal(x, [-0.5, -1e-2, 1e-2, 1e-2, 0.7])
    d = distinct_values(np.random.RandomState(0), (3, 4), spacing=0.01)
    gaps = np.diff(np.sort(d.ravel()))
    assert gaps.min() >= 0.01 - 1e-12


def test_every_layer_type_and_objective_is_in_the_table():
    layers = {c.layer for c in gradcheck.cases()}
    assert layers == {"conv", "relu", "maxpool", "avgpool", "linear", "concat", "dropout", "softmax",
                      "softmax_loss", "content_loss", "gram", "style_loss", "tv_loss", "alpha_norm", "l2_activation",
                      # feature visualization (viz/param.py, viz/transforms.py, viz/feature_vis.py)
                      "fourier", "decorrelate", "sigmoid", "image param", "pad", "crop", "resample", "objective"}


def test_run_passes_and_catches_a_broken_backward(monkeypatch):
    rows, ok = gradcheck.run()
    assert ok and all(max(e.values()) < 1e-9 for _, _, e in rows)
    from minicnn.layers import conv as conv_module

    real = conv_module.conv_backward

    def off_by_one(dout, cache, params=True):
        dx, dw, db = real(dout, cache, params)
        return dx, dw, db * 1.01
    monkeypatch.setattr(gradcheck.L, "conv_backward", off_by_one)
    rows, ok = gradcheck.run()
    assert not ok
    assert "FAIL" in gradcheck.format_table(rows)


def test_cli_gradcheck_prints_the_table_and_exits_zero():
    r = subprocess.run([sys.executable, "-m", "minicnn", "gradcheck"], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    assert "conv" in r.stdout and "maxpool" in r.stdout and "ceil" in r.stdout
    assert f"{len(gradcheck.cases())} passed, 0 failed" in r.stdout
