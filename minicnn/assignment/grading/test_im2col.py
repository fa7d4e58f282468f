"""im2col and col2im (minicnn/im2col/reference.py) against reference arrays of their outputs,
and col2im as im2col's adjoint: <im2col(x), c> = <x, col2im(c)> for every x and c."""
import numpy as np
import pytest

from grading import assert_matches, mistakes, reference
from minicnn.im2col import reference as student

# (x shape, kh, kw, stride, pad, output size), as the reference arrays were made: odd sizes,
# strides, padding, a window that overhangs the bottom-right edge (ceil-mode pooling), a
# non-square kernel, 1x1
GEOMETRIES = [((2, 3, 7, 7), 3, 3, (1, 1), (1, 1), (7, 7)),
              ((1, 2, 9, 7), 3, 3, (2, 2), (1, 1), (5, 4)),
              ((1, 2, 7, 7), 3, 3, (2, 2), (0, 0), (4, 4)),
              ((2, 2, 8, 9), 3, 5, (2, 1), (0, 2), (3, 9)),
              ((1, 1, 5, 5), 1, 1, (1, 1), (0, 0), (5, 5))]
IDS = [f"x {'x'.join(map(str, g[0]))} k {g[1]}x{g[2]} stride {g[3]} pad {g[4]} out {g[5]}" for g in GEOMETRIES]
REF = reference("im2col")


@pytest.mark.parametrize("g", range(len(GEOMETRIES)), ids=[f"im2col: im2col {i}" for i in IDS])
def test_im2col(g):
    shape, kh, kw, stride, pad, out = GEOMETRIES[g]
    for fill in (0.0, -np.inf):
        got = student.im2col(REF[f"{g}/x"], kh, kw, stride, pad, out, fill)
        assert_matches("im2col", f"im2col of x {shape}, kernel {kh}x{kw}, stride {stride}, pad {pad}, fill {fill}",
                       got, REF[f"{g}/im2col fill {fill}"], mistakes(REF, str(g)))


@pytest.mark.parametrize("g", range(len(GEOMETRIES)), ids=[f"im2col: col2im {i}" for i in IDS])
def test_col2im_and_the_adjoint(g):
    shape, kh, kw, stride, pad, out = GEOMETRIES[g]
    cols, x = REF[f"{g}/cols"], REF[f"{g}/x"]
    dx = student.col2im(cols, shape, kh, kw, stride, pad, out)
    assert_matches("im2col", f"col2im of cols {cols.shape} onto x {shape}, kernel {kh}x{kw}, stride {stride}, "
                   f"pad {pad}", dx, REF[f"{g}/col2im"], mistakes(REF, str(g)))
    left, right = (student.im2col(x, kh, kw, stride, pad, out) * cols).sum(), (x * dx).sum()
    assert np.isclose(left, right, rtol=1e-12), \
        f"im2col: <im2col(x), c> = {left:.12g} but <x, col2im(c)> = {right:.12g}: col2im is not im2col's adjoint"
