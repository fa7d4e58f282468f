"""The lecture's techniques, each returning raw arrays (maps, images in input space, numbers).

Display (colour maps, normalization, grids, PNG files) is a separate step: minicnn.display.
"""
from .adversarial import fgsm, fooling, to_target
from .class_model import PRESETS, Settings, class_model
from .linear import break_linear, logistic_example, train_linear_classifier
from .neuron import all_modes, neuron_gradient, receptive_box, receptive_crop
from . import linear  # noqa: F401
from .occlusion import occlusion, occlusion_map
from .saliency import image_gradient, saliency, segment
from .targets import probabilities, resolve_target, score_layer, scores

__all__ = ["saliency", "image_gradient", "segment", "neuron_gradient", "all_modes", "receptive_box",
           "receptive_crop", "occlusion", "occlusion_map", "class_model", "PRESETS", "Settings", "to_target", "fgsm",
           "fooling", "logistic_example", "train_linear_classifier", "break_linear", "probabilities",
           "resolve_target", "score_layer", "scores"]
