"""The registry of techniques: everything the command line and the gallery iterate over.

    result = viz.run("occlusion", net, x, target="espresso", patch=32)
    panels = TECHNIQUES["occlusion"].picture(net, result)

Adding a technique means a module in viz/ (Settings, a Result, run), a picture function in
display.py, and one entry below.
"""
import contextlib
import time
from dataclasses import replace
from importlib import import_module

import numpy as np

from .. import display
from ..errors import ArgumentError, MinicnnError
from .technique import Technique

# The technique modules (by import_module: viz/__init__ rebinds some of their names to functions).
(activations, adversarial, class_model, codes, deepdream, faithfulness, fgsm, filters, fooling, gradcam, integrated,
 inversion, linear, lrp, neuron, occlusion, saliency, sanity, segment, style, top_patches) = (
    import_module(f"{__package__}.{m}") for m in
    ("activations", "adversarial", "class_model", "codes", "deepdream", "faithfulness", "fgsm", "filters", "fooling",
     "gradcam",
     "integrated", "inversion", "linear", "lrp", "neuron", "occlusion", "saliency", "sanity", "segment", "style",
     "top_patches"))

TECHNIQUES = {t.name: t for t in [
    Technique("saliency", saliency.run, display.saliency, saliency.Settings, "required",
              "saliency map: max over channels of |d score / d pixel|",
              "Simonyan, Vedaldi & Zisserman 2014, Deep Inside Convolutional Networks"),
    Technique("segment", segment.run, display.segment, segment.Settings, "required",
              "GrabCut segmentation seeded by the saliency map",
              "Simonyan, Vedaldi & Zisserman 2014, section 3.1; Rother et al. 2004 (GrabCut)"),
    Technique("neuron", neuron.run, display.neuron, neuron.Settings, "required",
              "one unit's image gradient under backprop, deconvnet or guided backprop",
              "Zeiler & Fergus 2013; Springenberg et al. 2015"),
    Technique("occlusion", occlusion.run, display.occlusion, occlusion.Settings, "required",
              "probability of the class as a grey square slides over the image",
              "Zeiler & Fergus 2013, Visualizing and Understanding Convolutional Networks"),
    Technique("classviz", class_model.run, display.class_model, class_model.Settings, "none",
              "an image that maximizes a class score or any unit",
              "Simonyan et al. 2014; Yosinski et al. 2015, Understanding Neural Networks Through Deep Visualization; "
              "with --param: Olah, Mordvintsev & Schubert 2017, Feature Visualization"),
    Technique("adversarial", adversarial.run, display.adversarial, adversarial.Settings, "required",
              "the smallest change that makes the network see --target",
              "Szegedy et al. 2014, Intriguing properties of neural networks"),
    Technique("fgsm", fgsm.run, display.adversarial, fgsm.Settings, "required",
              "fast gradient sign: one step of epsilon pixel units",
              "Goodfellow, Shlens & Szegedy 2015, Explaining and Harnessing Adversarial Examples"),
    Technique("fool", fooling.run, display.fooling, fooling.Settings, "optional",
              "a fooling image: from noise to a confident prediction of --target",
              "Nguyen, Yosinski & Clune 2015, Deep Neural Networks are Easily Fooled", image_setting="start"),
    Technique("filters", filters.run, display.filters, filters.Settings, "none",
              "a layer's filters: colour images for the first layer, grey kernels per input channel deeper",
              "Krizhevsky et al. 2012 (figure 3); Zeiler & Fergus 2013"),
    Technique("top-patches", top_patches.run, display.top_patches, top_patches.Settings, "none",
              "the image regions that excite each unit most, over a whole set of images",
              "Girshick et al. 2014 (top regions for pool5 units); Springenberg et al. 2015 (guided backprop)"),
    Technique("tsne", codes.run, display.embedding, codes.Settings, "none",
              "t-SNE of a layer's codes for a set of images: points by class, and the images on a grid",
              "van der Maaten & Hinton 2008; Krizhevsky et al. 2012; the CS231n lecture's CNN-code embedding"),
    Technique("activations", activations.run, display.activations, activations.Settings, "required",
              "every channel of a layer for one image, as a grid of maps",
              "Yosinski et al. 2015 (the deep visualization toolbox's activation view)"),
    Technique("deepdream", deepdream.run, display.deepdream, deepdream.Settings, "required",
              "amplify what a layer sees: ascent on its L2 norm, jittered, over octaves",
              "Mordvintsev, Olah & Tyka 2015, Inceptionism (Google's deepdream notebook)", any_size=True),
    Technique("invert", inversion.run, display.inversion, inversion.Settings, "required",
              "feature inversion: images whose code at a layer matches the image's, from random starts",
              "Mahendran & Vedaldi 2015, Understanding Deep Image Representations by Inverting Them", any_size=True),
    Technique("style", style.run, display.style_transfer, style.Settings, "required",
              "neural style: the image's content in the style image's textures (Gram matrices)",
              "Gatys, Ecker & Bethge 2015, A Neural Algorithm of Artistic Style", any_size=True),
    Technique("linear-example", linear.run, display.logistic_example, linear.Settings, "none",
              "the lecture's adversarial logistic regression, in numbers",
              "Goodfellow, Shlens & Szegedy 2015, section 3", model=False),
    Technique("break-linear", linear.run_break, display.broken_linear, linear.BreakSettings, "none",
              "break a softmax classifier of 8x8 digits by adding a little of another class's template",
              "the CS231n lecture, \"breaking linear classifiers\" (after Goodfellow et al. 2015)", model=False),
    # After the lecture: can we trust a saliency map?
    Technique("gradcam", gradcam.run, display.gradcam, gradcam.Settings, "required",
              "Grad-CAM, Grad-CAM++ and guided Grad-CAM: a layer's maps weighted by the class's gradient",
              "Selvaraju et al. 2017, Grad-CAM; Chattopadhyay et al. 2018, Grad-CAM++"),
    Technique("integrated-gradients", integrated.run, display.integrated_gradients, integrated.Settings,
              "required", "Integrated Gradients from a baseline, with its completeness gap, and gradient x input",
              "Sundararajan, Taly & Yan 2017, Axiomatic Attribution for Deep Networks"),
    Technique("lrp", lrp.run, display.lrp, lrp.Settings, "required",
              "layer-wise relevance propagation: the score shared out layer by layer, rules per layer range",
              "Bach et al. 2015; Montavon et al. 2019, Layer-Wise Relevance Propagation: An Overview"),
    Technique("sanity", sanity.run, display.sanity, sanity.Settings, "required",
              "sanity checks: every method's map as the weights are randomized, and on a random-label model",
              "Adebayo et al. 2018, Sanity Checks for Saliency Maps"),
    Technique("deletion", faithfulness.run, display.faithfulness, faithfulness.Settings, "required",
              "deletion and insertion curves: how fast the class's probability falls (rises) as each method's "
              "most important pixels go (come), against random orders",
              "Petsiuk, Das & Saenko 2018, RISE (deletion and insertion metrics)"),
]}


def model_defaults(net, name):
    """The settings of technique ``name`` that the model's registry entry prefers (models/): they
    replace the technique's own defaults, and whatever the caller gives replaces them."""
    from ..models import MODELS
    model = MODELS.get((net.meta if net is not None else {}).get("name"))
    return model.viz_defaults.get(name, {}) if model else {}


def run(name, net, x=None, settings=None, **options):
    """Run technique ``name`` on ``net`` (and the image x, (1, C, H, W) in input space, where it
    takes one), with ``settings`` or keyword options. Returns its Result, with ``seconds`` set."""
    if name not in TECHNIQUES:
        raise ArgumentError(f"unknown technique {name!r}; known: {', '.join(TECHNIQUES)}")
    t = TECHNIQUES[name]
    preferred = model_defaults(net, name)
    def given(k):
        return (options.get(k) if settings is None else getattr(settings, k)) is not None
    for ways in getattr(t.settings, "exclusive", ()):      # ways of doing one thing: the caller's way, or
        chosen = [way for way in ways if any(given(k) for k in way)] or [       # the first the model names;
            next((way for way in ways if any(k in preferred for k in way)), ())]  # the model's others go
        preferred = {k: v for k, v in preferred.items() if not any(k in way for way in ways if way not in chosen)}
    if settings is None:
        settings = t.settings(**{**preferred, **options})
    else:                              # a Settings made elsewhere: the model fills only what it left open
        settings = replace(settings, **{k: v for k, v in preferred.items() if getattr(settings, k) is None})
    if t.image == "required" and x is None:
        raise ArgumentError(f"{name} needs an image")
    start = time.perf_counter()
    with net.frozen() if net is not None else contextlib.nullcontext():     # no technique changes weights
        result = t.run(net, x, settings)
    bad = [k for k, a in result.arrays().items() if a.dtype.kind == "f" and not np.isfinite(a).all()]
    if bad:
        raise MinicnnError(f"{name}: the result holds NaN or inf ({', '.join(bad)}): the model's numbers "
                           "overflow on this input (are its weights sane?)")
    return replace(result, seconds=time.perf_counter() - start)
