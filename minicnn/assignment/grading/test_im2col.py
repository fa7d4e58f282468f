"""The reference im2col/col2im (minicnn/im2col/reference.py) against the fast Numba kernels,
and col2im as im2col's adjoint: <im2col(x), c> = <x, col2im(c)> for every x and c."""
import numpy as np
import pytest

from minicnn.im2col import cpu, reference

# (x shape, kh, kw, stride, pad, output size): odd sizes, strides, padding, a window that
# overhangs the bottom-right edge (ceil-mode pooling), a non-square kernel
GEOMETRIES = [((2, 3, 7, 7), 3, 3, (1, 1), (1, 1), (7, 7)),
              ((1, 2, 9, 7), 3, 3, (2, 2), (1, 1), (5, 4)),
              ((1, 2, 7, 7), 3, 3, (2, 2), (0, 0), (4, 4)),
              ((2, 2, 8, 9), 3, 5, (2, 1), (0, 2), (3, 9)),
              ((1, 1, 5, 5), 1, 1, (1, 1), (0, 0), (5, 5))]
IDS = [f"x {'x'.join(map(str, g[0]))} k {g[1]}x{g[2]} stride {g[3]} pad {g[4]} out {g[5]}" for g in GEOMETRIES]


@pytest.mark.parametrize("geometry", GEOMETRIES, ids=[f"im2col: im2col {i}" for i in IDS])
def test_im2col_matches_the_kernel(geometry):
    shape, kh, kw, stride, pad, out = geometry
    x = np.random.RandomState(0).randn(*shape)
    for fill in (0.0, -np.inf):
        np.testing.assert_array_equal(reference.im2col(x, kh, kw, stride, pad, out, fill),
                                      cpu.im2col(x, kh, kw, stride, pad, out, fill), err_msg=f"fill {fill}")


@pytest.mark.parametrize("geometry", GEOMETRIES, ids=[f"im2col: col2im {i}" for i in IDS])
def test_col2im_is_the_adjoint_and_matches_the_kernel(geometry):
    shape, kh, kw, stride, pad, out = geometry
    rng = np.random.RandomState(1)
    x, cols = rng.randn(*shape), rng.randn(shape[0], shape[1] * kh * kw, out[0] * out[1])
    dx = reference.col2im(cols, shape, kh, kw, stride, pad, out)
    np.testing.assert_allclose(dx, cpu.col2im(cols, shape, kh, kw, stride, pad, out), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose((cpu.im2col(x, kh, kw, stride, pad, out) * cols).sum(), (x * dx).sum(),
                               rtol=1e-12)
