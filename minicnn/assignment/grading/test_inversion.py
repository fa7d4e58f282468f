"""Feature inversion (minicnn/viz/inversion.py): inversion_objective's gradient against centered
differences, and its value and gradient against reference arrays."""
import numpy as np

from grading import assert_matches, digits, mistakes, needs, reference
from minicnn.gradcheck import numerical_gradient
from minicnn.objectives import content_loss, tv_loss
from minicnn.viz.image_step import pixel_units
from minicnn.viz.inversion import inversion_objective

REF = reference("inversion")
SETTINGS = dict(sigma=40.0, alpha=6.0, lambda_alpha=1e-9, beta=2.0, lambda_tv=0.5)


def objective(net, p):
    needs(content_loss, p, p)                      # the style part's, where the copy has it
    needs(tv_loss, p)
    step = np.asarray(pixel_units(net.space)[0])
    target = net.forward(REF["x"], end="relu2_1").copy()
    return inversion_objective(net, p, step, "relu2_1", target, float((target * target).sum()), **SETTINGS)


def test_the_objective_and_its_gradient():
    """inversion: the value and gradient at a fixed image p, for the code of sample 0 at relu2_1."""
    net = digits()
    value, grad = objective(net, REF["p"].copy())
    assert_matches("inversion", "inversion_objective's value", np.asarray(float(value)), REF["value"],
                   mistakes(REF, "value"), atol=1e-9 * abs(float(REF["value"])))
    assert_matches("inversion", "inversion_objective's gradient", grad, REF["gradient"],
                   atol=1e-9 * np.abs(REF["gradient"]).max())


def test_the_gradient_is_the_objectives():
    """inversion: the gradient against centered differences of the value, at 60 pixels."""
    net = digits()
    p = REF["p"].copy()
    _, grad = objective(net, p)
    entries = np.random.RandomState(0).choice(p.size, 60, replace=False)
    numerical = numerical_gradient(lambda q: np.asarray(float(objective(net, q)[0])), p, h=1e-4, entries=entries)
    got = grad.reshape(-1)[entries]
    expected = numerical.reshape(-1)[entries]
    assert np.allclose(got, expected, rtol=1e-5, atol=1e-8 * np.abs(expected).max()), \
        f"inversion: the gradient disagrees with centered differences of the value: at pixel " \
        f"{int(entries[np.abs(got - expected).argmax()])} {got[np.abs(got - expected).argmax()]:.6g} against " \
        f"{expected[np.abs(got - expected).argmax()]:.6g}"
