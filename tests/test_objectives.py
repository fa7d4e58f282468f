"""The objectives of feature inversion, DeepDream and neural style: values by hand, gradients
against numerical ones in float64, and float32 agreeing with float64."""
import numpy as np
import pytest

from minicnn import objectives as O
from minicnn.backend import get_array_module
from minicnn.gradcheck import assert_backward, rel_error


def as_case(fn, *others, **kw):
    """forward/backward for assert_backward from an objective (value, gradient) of one array
    (assert_backward moves x to the current device: the other arrays follow it there)."""
    def forward(x):
        xp = get_array_module(x)
        value, grad = fn(x, *(xp.asarray(o) for o in others), **kw)
        return xp.asarray(value), grad
    return forward, lambda d, grad: {"x": grad * d}


@pytest.mark.parametrize("shape", [(2, 3, 4, 5), (1, 4, 7, 3)])
def test_content_loss(shape):
    rng = np.random.RandomState(0)
    f, target = rng.randn(*shape), rng.randn(*shape)
    value, grad = O.content_loss(f, target)
    assert value == pytest.approx(0.5 * ((f - target) ** 2).sum())
    assert_backward(*as_case(O.content_loss, target), {"x": f}, f"content {shape}")


@pytest.mark.parametrize("shape", [(2, 3, 4, 6), (1, 5, 7, 2), (3, 2, 1, 9)])      # non-square maps
def test_gram_matrix_and_its_backward(shape):
    f = np.random.RandomState(1).randn(*shape)
    G, cache = O.gram_forward(f)
    np.testing.assert_allclose(G, np.einsum("nchw,ndhw->ncd", f, f))
    assert_backward(O.gram_forward, lambda d, c: {"f": O.gram_backward(d, c)}, {"f": f}, f"gram {shape}")


def test_style_loss_is_gatys_equation_4():
    rng = np.random.RandomState(2)
    f, g = rng.randn(2, 3, 4, 5), rng.randn(2, 3, 4, 5)
    A = O.gram_forward(g)[0]
    value, _ = O.style_loss(f, A)
    G = O.gram_forward(f)[0]
    assert value == pytest.approx(((G - A) ** 2).sum() / (4 * 3 ** 2 * 20 ** 2))
    assert O.style_loss(g, A)[0] == 0
    assert_backward(*as_case(O.style_loss, A), {"x": f}, "style 2x3x4x5")


@pytest.mark.parametrize("beta", [2.0, 1.5, 1.0])
def test_total_variation(beta):
    x = np.zeros((1, 1, 3, 3))
    x[0, 0, 1, 1] = 2.0
    # the differences that touch the centre pixel: (0,1) down 2; (1,0) right 2; (1,1) right -2, down -2
    expected = 2 * 4 ** (beta / 2) + 8 ** (beta / 2)
    assert O.tv_loss(x, beta)[0] == pytest.approx(expected)
    assert O.tv_loss(np.full((2, 3, 5, 4), 7.0), beta)[0] == 0
    x = np.random.RandomState(3).randn(2, 3, 5, 6)
    assert_backward(*as_case(O.tv_loss, beta=beta), {"x": x}, f"tv beta {beta}")


def test_alpha_norm_and_l2_activation():
    x = np.random.RandomState(4).randn(2, 3, 4, 4)
    assert O.alpha_norm(x, 6.0)[0] == pytest.approx((np.abs(x) ** 6).sum())
    assert_backward(*as_case(O.alpha_norm, alpha=6.0), {"x": x}, "alpha 6")
    value, grad = O.l2_activation(x)
    assert value == pytest.approx(0.5 * (x ** 2).sum()) and grad is x        # DeepDream: "dx = x"


@pytest.mark.parametrize("name, kw", [("content_loss", {}), ("style_loss", {}), ("tv_loss", {"beta": 1.5}),
                                      ("alpha_norm", {"alpha": 6.0}), ("l2_activation", {})])
def test_float32_agrees_with_float64(name, kw):
    rng = np.random.RandomState(5)
    x, other = rng.randn(2, 3, 6, 5), rng.randn(2, 3, 6, 5)
    others = {"content_loss": (other,), "style_loss": (O.gram_forward(other)[0],)}.get(name, ())
    fn = getattr(O, name)
    v64, g64 = fn(x, *others, **kw)
    v32, g32 = fn(x.astype(np.float32), *(o.astype(np.float32) for o in others), **kw)
    assert g32.dtype == np.float32
    assert abs(v32 - v64) <= 1e-5 * abs(v64) and rel_error(g32, g64) < 1e-5
