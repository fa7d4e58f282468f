"""What the tests share: the reference arrays (reference/PART.npz, made by minicnn's own
functions on fixed inputs) and a comparison whose message names the part, the input, what was
expected, what came, and a known mistake that what came matches."""
from pathlib import Path

import numpy as np
import pytest

REFERENCE = Path(__file__).resolve().parent / "reference"


def reference(part):
    """{name: array} of the part's reference arrays."""
    with np.load(REFERENCE / f"{part}.npz") as arrays:
        return dict(arrays)


def assert_matches(part, what, got, expected, mistakes=(), atol=1e-10):
    """got equals expected to atol; otherwise fail naming ``part``, ``what`` (the function and its
    input) and the difference, and the first of ``mistakes`` ((name, array) pairs) that got
    matches where the right answer does not."""
    where = f"{part}: {what}"
    if got is None or not hasattr(got, "shape"):
        raise AssertionError(f"{where}: expected an array of shape {expected.shape}, got {type(got).__name__}")
    got = np.asarray(got)
    if got.shape != expected.shape:
        raise AssertionError(f"{where}: expected shape {expected.shape}, got {got.shape}")
    if np.allclose(got, expected, rtol=0, atol=atol, equal_nan=True) and \
            np.array_equal(np.isinf(got), np.isinf(expected)):
        return
    for name, wrong in mistakes:
        if wrong.shape == expected.shape and not np.allclose(wrong, expected, rtol=0, atol=atol, equal_nan=True) and \
                np.allclose(got, wrong, rtol=0, atol=atol, equal_nan=True):
            raise AssertionError(f"{where}: this is a known mistake: {name}")
    diff = np.where(np.isinf(expected) & (got == expected), 0.0, np.abs(got - expected))
    diff = np.nan_to_num(diff, nan=np.inf, posinf=np.inf)
    worst = np.unravel_index(int(np.argmax(diff)), diff.shape)
    raise AssertionError(f"{where}: differs from the reference at {len(np.flatnonzero(diff > atol))} of "
                         f"{diff.size} entries; at {tuple(int(i) for i in worst)} expected "
                         f"{expected[worst]:.6g}, got {got[worst]:.6g}")


def mistakes(arrays, prefix):
    """The (name, array) pairs saved for ``prefix`` ("0", "adam", ...) as "PREFIX/mistake: NAME"."""
    start = f"{prefix}/mistake: "
    return [(k[len(start):], v) for k, v in arrays.items() if k.startswith(start)]


def needs_im2col():
    """Skip a test whose layer runs im2col while the im2col part is not written yet."""
    from minicnn.im2col import reference as im2col_reference
    needs(im2col_reference.im2col, np.zeros((1, 1, 2, 2)), 1, 1, (1, 1), (0, 0), (2, 2),
          then="write im2col/reference.py first")


def chosen_parts():
    """The parts this copy asks for (assignment.json beside tests/)."""
    import json
    return json.loads((REFERENCE.parents[1] / "assignment.json").read_text("utf-8"))["parts"]


def digits():
    """The default model (weights/digits.h5) in float64, as the reference arrays were made (their
    images are in them); skips the test while a function the net's passes run is not written
    yet (the layers' backward passes, im2col), naming it."""
    import minicnn
    return ready(minicnn.load(dtype=np.float64))


def ready(net):
    """net, once a forward and a backward pass run through it; else skip the test, naming the
    function (another part's) that is not written yet."""
    try:
        out = net.forward(np.zeros((1,) + net.input_shape))
        net.backward(np.ones(out.shape))
    except NotImplementedError as e:
        pytest.skip(f"the network runs {str(e).split()[0]}, which is not written yet")
    return net


def needs(function, *args, then=None):
    """Skip the test while ``function`` (another part's) is not written yet (then: what to do)."""
    try:
        function(*args)
    except NotImplementedError as e:
        pytest.skip(f"this runs {str(e).split()[0]}, which is not written yet" + (f": {then}" if then else ""))
