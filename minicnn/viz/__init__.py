"""The lecture's techniques. Each module holds one: its low-level functions (raw arrays), its
Settings, its Result and ``run``; ``registry.py`` lists them for the command line and the gallery.

    viz.run("saliency", net, x, target="Egyptian cat")  -> a Saliency result (map, class, settings, time)
    viz.saliency(net, x, target)                         -> (H, W) map

Display (colour maps, panels, PNG files) is a separate step: minicnn.display.
"""
from .activations import Activations, activations
from .adversarial import Adversarial, to_target
from .class_model import PRESETS, Ascent, ClassModel, class_model
from .codes import Embedding, codes, embed, grid_cells, tsne
from .deepdream import DeepDream, deepdream
from .fgsm import fgsm
from .filters import Filters, filters
from .fooling import fooling
from .inversion import Inversion, invert
from .linear import BrokenLinear, LogisticExample, break_linear, logistic_example, train_linear_classifier
from .neuron import Neuron, all_modes, neuron_gradient, receptive_box, receptive_crop
from .occlusion import Occlusion, occlusion, occlusion_map
from .registry import TECHNIQUES, run
from .saliency import Saliency, image_gradient, saliency
from .segment import Segmentation, segment
from .style import StyleTransfer, style_transfer
from .top_patches import TopPatches, top_patches
from .targets import ClassRef, map_layers, probabilities, resolve_target, score_layer, scores
from .technique import Result, Settings, Technique

__all__ = [
    "run", "TECHNIQUES", "Technique", "Settings", "Result", "ClassRef",
    "saliency", "image_gradient", "Saliency", "segment", "Segmentation",
    "neuron_gradient", "all_modes", "receptive_box", "receptive_crop", "Neuron",
    "occlusion", "occlusion_map", "Occlusion",
    "class_model", "PRESETS", "Ascent", "ClassModel",
    "to_target", "fgsm", "fooling", "Adversarial",
    "logistic_example", "train_linear_classifier", "break_linear", "LogisticExample", "BrokenLinear",
    "filters", "Filters", "activations", "Activations", "deepdream", "DeepDream", "invert", "Inversion",
    "style_transfer", "StyleTransfer", "top_patches", "TopPatches", "codes", "tsne", "embed", "grid_cells",
    "Embedding",
    "map_layers", "probabilities", "resolve_target", "score_layer", "scores",
]
