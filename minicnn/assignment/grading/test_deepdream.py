"""DeepDream (minicnn/viz/deepdream.py): make_step raises the objective at a small step, returns
the objective's value before the step, and matches reference arrays with and without jitter."""
import numpy as np

from grading import assert_matches, digits, mistakes, reference
from minicnn.objectives import l2_activation
from minicnn.viz.deepdream import make_step
from minicnn.viz.image_step import gradient, pixel_units

REF = reference("deepdream")


def test_a_small_step_raises_the_objective():
    """deepdream: without jitter, a step of 0.01 pixel units raises 1/2 |relu2_1|^2."""
    net = digits()
    step = np.asarray(pixel_units(net.space)[0])
    p = REF["p"]
    new, value = make_step(net, p, step, "relu2_1", l2_activation, 0.01, 0, np.random.RandomState(0))
    before = gradient(net, p, l2_activation, "relu2_1", step)[0]
    after = gradient(net, new, l2_activation, "relu2_1", step)[0]
    assert np.isclose(float(value), float(before)), \
        f"deepdream: make_step returned {float(value):.6g}, the objective before the step is {float(before):.6g}"
    assert after > before, f"deepdream: a step of 0.01 pixel units took the objective from {before:.6g} to {after:.6g}"


def test_make_step_against_the_reference():
    """deepdream: one step of 1.5 pixel units at relu2_1, without jitter and with jitter 2."""
    net = digits()
    step = np.asarray(pixel_units(net.space)[0])
    for jitter in (0, 2):
        key = f"jitter {jitter}"
        new, value = make_step(net, REF["p"], step, "relu2_1", l2_activation, 1.5, jitter, np.random.RandomState(0))
        assert_matches("deepdream", f"make_step(net, sample 0, step, 'relu2_1', l2_activation, 1.5, jitter={jitter}, "
                       "RandomState(0))", new, REF[key], mistakes(REF, key), atol=1e-9)
        assert np.isclose(float(value), float(REF[f"{key} value"])), \
            f"deepdream: with jitter {jitter} make_step returned the value {float(value):.6g}, the reference " \
            f"{float(REF[key + ' value']):.6g}"
