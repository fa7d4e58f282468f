"""Fooling images (minicnn/viz/adversarial.py): sign_step against reference arrays; fool on
what a right answer must do (the target predicted at the end, at the first step it is, every
pixel moved by at most one step a step) and against reference arrays."""
import numpy as np

from grading import assert_matches, digits, mistakes, needs, reference
from minicnn.viz import adversarial
from minicnn.viz.image_step import pixel_units
from minicnn.viz.saliency import class_gradient
from minicnn.viz.targets import probabilities

REF = reference("fooling")


def predicted(net, x):
    return int(probabilities(net, x)[0].argmax())


def test_sign_step():
    """fooling: one step of 2 pixel units toward class 3, and away from it."""
    net, x = digits(), REF["x"]
    needs(class_gradient, net, x, 3)
    for toward, name in ((True, "toward"), (False, "away")):
        key = f"sign_step {name}"
        assert_matches("fooling", f"sign_step(net, sample 0, 3, 2.0, toward={toward})",
                       adversarial.sign_step(net, x, 3, 2.0, toward=toward), REF[key], mistakes(REF, key), atol=1e-9)


def test_fool_stops_at_the_first_step_the_target_is_predicted():
    """fooling: the loop ends with class 3 predicted, at the first step it is, each step moving
    every pixel by at most one step, and gives the reference image."""
    net, x = digits(), REF["x"]
    needs(class_gradient, net, x, 3)
    image, steps = adversarial.fool(net, x, 3, 1.0, 200)
    assert predicted(net, image) == 3, f"fooling: after {steps} steps the net predicts {predicted(net, image)}, not 3"
    unit = np.asarray(pixel_units(net.space)[0])
    change = np.abs(image - x) / unit
    assert change.max() <= steps * 1.0 + 1e-9, \
        f"fooling: {steps} steps of 1 pixel unit moved a pixel by {change.max():.3g} pixel units"
    if steps > 0:
        before, n = adversarial.fool(net, x, 3, 1.0, steps - 1)
        assert predicted(net, before) != 3, \
            f"fooling: the net already predicts 3 after {n} steps, but the loop went on to {steps}"
    again, more = adversarial.fool(net, image, 3, 1.0, 200)
    assert more == 0, f"fooling: from an image already predicted 3 the loop took {more} steps, not 0"
    expected = int(REF["fool steps"])
    assert steps == expected, f"fooling: fool(net, sample 0, 3, 1.0, 200) took {steps} steps, the reference {expected}"
    assert_matches("fooling", "fool(net, sample 0, 3, 1.0, 200)'s image", image, REF["fool image"], atol=1e-9)
