"""The notebook that comes with an assignment: a section for each part chosen, which runs the
student's functions inside minicnn's techniques and draws the lecture's figure with them.

Written as plain JSON (nbformat 4) without outputs, so that nothing in it gives an answer away;
it runs top to bottom once the parts pass their tests.
"""
import json

INTRO = """# {title}

This notebook runs what you write ({parts}) inside minicnn and draws the lecture's pictures with
it. Write your functions first, until `python -m pytest -q` passes; then run the notebook top
to bottom. Each section says which of your functions it runs."""

SETUP = """import numpy as np
import minicnn
from minicnn import display, viz
%matplotlib inline

net = minicnn.load()                  # the default model (weights/digits.h5), with your functions
digits = [net.space.preprocess(net.samples.images[i]) for i in range(4)]
x = digits[0]


def show(panels, size=2.2):
    \"\"\"Draw a row (or rows) of display.Panel.\"\"\"
    display.figure(panels, size=size)"""

BACKPROP = [
    ("## Your backward passes, checked\n\nEvery layer's backward pass against centered differences "
     "of its forward pass, in float64: the table `python -m minicnn gradcheck` prints.",
     """from minicnn import gradcheck
rows, ok = gradcheck.run()
print(gradcheck.format_table(rows))
assert ok, "a backward pass disagrees with its numerical gradient: see the table\""""),
    ("## Your layers at work\n\nA saliency map of the default model is one backward pass through "
     "every layer you wrote.",
     """r = viz.run("saliency", net, x)
show(display.saliency(net, r))
print(r.summary())"""),
]

SECTIONS = {
    "optimizers": [
        ("## Your optimizers\n\nTwo hundred steps of SGD with momentum and of Adam on 1/2 |w - 3|^2.",
         """from minicnn.train import optim
for name in ("sgd", "adam"):
    w, state = np.zeros(4), {}
    for _ in range(200):
        w, state = optim.update(name, w, w - 3.0, state, lr=0.1)
    print(name, "ends at", np.round(w, 4))""")],
    "saliency": [
        ("## Saliency maps (Simonyan, Vedaldi & Zisserman 2014)\n\nYour `class_gradient` takes the "
         "gradient of a class score with respect to the image; `saliency_map` keeps each pixel's largest "
         "|gradient|. The maps of the predicted class, for four digits:",
         """maps = [viz.run("saliency", net, d) for d in digits]
show([panel for r in maps for panel in display.saliency(net, r)[:2]], size=1.4)
for r in maps:
    print(r.summary())"""),
        ("The same number by centered differences, at the map's brightest pixel: the map is a "
         "gradient, nothing more.",
         """from minicnn.viz.saliency import class_gradient, saliency_map
from minicnn.viz.targets import score_layer
net64 = net.astype(np.float64)
x64, c = x.astype(np.float64), maps[0].target.index
g = class_gradient(net64, x64, c)
i = tuple(int(v) for v in np.unravel_index(int(saliency_map(g)[0].argmax()), x.shape[2:]))
h, e = 1e-6, np.zeros_like(x64)
e[0, 0][i] = 1
score = lambda z: net64.forward(z, end=score_layer(net64))[0, c]
numerical = (score(x64 + h * e) - score(x64 - h * e)) / (2 * h)
print(f"pixel {i}: your gradient {g[0, 0][i]:.6g}, centered differences {numerical:.6g}")""")],
    "relu": [
        ("## Deconvnet and guided backpropagation (Zeiler & Fergus 2014; Springenberg et al. 2015)\n\n"
         "One unit of relu2_2, sent back to the image under your three ReLU rules: backprop, the "
         "deconvnet and guided backpropagation.",
         """f = minicnn.to_numpy(net.forward(x, end="relu2_2"))[0]
unit = int(f.max(axis=(1, 2)).argmax())
r = viz.run("neuron", net, x, layer="relu2_2", unit=unit)
show(display.neuron(net, r))
print(r.summary())""")],
    "occlusion": [
        ("## Occlusion (Zeiler & Fergus 2014)\n\nYour `occlude` slides a mean-coloured square over the "
         "digit; where covering it makes the class improbable, the network was looking.",
         """occ = viz.run("occlusion", net, x)
show(display.occlusion(net, occ))
print(occ.summary())""")],
    "inversion": [
        ("## Feature inversion (Mahendran & Vedaldi 2015)\n\nAn image whose code at a layer matches the "
         "digit's, found by descending your `inversion_objective` from noise.",
         """inv = viz.run("invert", net, x, iterations=200)
show(display.inversion(net, inv))
print(inv.summary())""")],
    "grad-cam": [
        ("## Grad-CAM (Selvaraju et al. 2017)\n\nYour `layer_and_gradient`, `channel_weights` and "
         "`gradcam_map`: the class's evidence at the last convolutional layer, and guided Grad-CAM.",
         """cam = viz.run("gradcam", net, x)
show(display.gradcam(net, cam))
print(cam.summary())""")],
    "integrated-gradients": [
        ("## Integrated Gradients (Sundararajan et al. 2017)\n\nYour `quadrature` and `path_average`: the "
         "gradient averaged on the way from a black image to the digit, times the change; the attributions "
         "add up to the change of the score (the gap says how nearly).",
         """ig = viz.run("integrated-gradients", net, x)
show(display.integrated_gradients(net, ig))
print(ig.summary())""")],
    "fooling": [
        ("## Fooling images (Szegedy et al. 2014)\n\nYour `fool` pushes a digit, one `sign_step` at a "
         "time, until the network calls it a 3, and stops there.",
         """adv = viz.run("adversarial", net, digits[1], target=3)
show(display.adversarial(net, adv))
print(adv.summary())
assert adv.success""")],
    "class-model": [
        ("## Class models (Simonyan et al. 2014; Yosinski et al. 2015)\n\nFrom the mean image, 150 "
         "steps of regularized ascent on each class score, your `regularized_step` after every one "
         "(the `progress` preset).",
         """models = [viz.run("classviz", net, target=c, preset="progress", iterations=150) for c in range(10)]
show([display.class_model(net, r)[0] for r in models], size=1.2)
print(models[3].summary())""")],
    "deepdream": [
        ("## DeepDream (Mordvintsev et al. 2015)\n\nYour `make_step`, 20 times at each of two layers.",
         """dreams = [viz.run("deepdream", net, x, layer=layer, iterations=20) for layer in ("relu1_2", "relu2_1")]
show([display.deepdream(net, r) for r in dreams], size=1.8)
for r in dreams:
    print(r.summary())""")],
    "style": [
        ("## Style transfer (Gatys et al. 2015)\n\nYour content loss, Gram matrix, style loss and total "
         "variation, minimized by L-BFGS: a digit in the style of another.",
         """r = viz.run("style", net, x, style="sample:1", iterations=100)
show(display.style_transfer(net, r))
print(r.summary())""")],
}


def notebook(chosen, title):
    """The notebook (a JSON string) for the parts ``chosen``."""
    from . import LAYERS
    cells = [_markdown(INTRO.format(title=title, parts=", ".join(chosen))), _code(SETUP)]
    if any(part in LAYERS or part in ("im2col", "gram") for part in chosen):
        for text, code in BACKPROP:
            cells += [_markdown(text), _code(code)]
    for part in chosen:
        for text, code in SECTIONS.get(part, []):
            cells += [_markdown(text), _code(code)]
    return json.dumps({"cells": cells, "metadata": {"kernelspec": {"display_name": "Python 3", "language": "python",
                                                                   "name": "python3"},
                                                    "language_info": {"name": "python"}},
                       "nbformat": 4, "nbformat_minor": 4}, indent=1) + "\n"


def _markdown(text):
    return {"cell_type": "markdown", "metadata": {}, "source": text}


def _code(text):
    return {"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [], "source": text}
