"""Grad-CAM (minicnn/viz/gradcam.py): channel_weights, gradcam_map and gradcam_pp_map against
reference arrays;
layer_and_gradient's activations against the forward pass and its gradient against reference
arrays."""
import numpy as np

from grading import assert_matches, digits, mistakes, needs, reference
from minicnn.viz.gradcam import channel_weights, gradcam_map, gradcam_pp_map, layer_and_gradient
from minicnn.viz.saliency import score_gradient

REF = reference("grad-cam")


def test_channel_weights():
    """grad-cam: each map's weight, from the gradients g (4, 5, 6)."""
    assert_matches("grad-cam", "channel_weights(g)", channel_weights(REF["g"]), REF["weights"])


def test_gradcam_map():
    """grad-cam: the map of activations A and gradients g, (4, 5, 6) each."""
    assert_matches("grad-cam", "gradcam_map(A, g)", gradcam_map(REF["A"], REF["g"]), REF["gradcam"],
                   mistakes(REF, "gradcam"))


def test_gradcam_pp_map():
    """grad-cam: Grad-CAM++'s map of the same A and g."""
    assert_matches("grad-cam", "gradcam_pp_map(A, g)", gradcam_pp_map(REF["A"], REF["g"]), REF["gradcam++"],
                   mistakes(REF, "gradcam++"))


def test_layer_and_gradient():
    """grad-cam: relu2_2's maps for sample 0 and the gradient of class 3's score there."""
    net = digits()
    needs(score_gradient, np.zeros((1, 10)), 3)
    A, g = layer_and_gradient(net, REF["x"], 3, "relu2_2")
    forward = net.forward(REF["x"], end="relu2_2")[0]
    assert_matches("grad-cam", "layer_and_gradient's A against the forward pass to relu2_2", A, forward)
    assert_matches("grad-cam", "layer_and_gradient's gradient of class 3's score at relu2_2", g, REF["layer g"],
                   atol=1e-9 * np.abs(REF["layer g"]).max())
