"""Writes the five teaching notebooks in demos/ from the cells below (edit here, then run this).

    python demos/notebooks.py            # demos/1_backprop.ipynb ... 5_can_we_trust_a_saliency_map.ipynb

Each runs top to bottom on the default model (no download, no GPU); tests/test_notebooks.py
executes them and checks that the files here and the notebooks agree.
"""
from pathlib import Path

import nbformat

HERE = Path(__file__).resolve().parent

class md(str):
    """A markdown cell (every other cell is code)."""


SETUP = """\
import numpy as np
import minicnn
from minicnn import display, viz
%matplotlib inline

def show(panels, size=2.2):
    \"\"\"Draw a row (or rows) of display.Panel in the notebook.\"\"\"
    display.figure(panels, size=size)"""

NOTEBOOKS = {
    "1_backprop.ipynb": [
        md("# Backprop through each layer, checked numerically\n\n"
        "Every layer in minicnn is a pair of pure functions: `forward(inputs) -> (out, cache)` and "
        "`backward(dout, cache) -> gradients`. A backward pass is right when it agrees with centered "
        "differences of the forward pass: for each input entry, "
        "(f(x + h) - f(x - h)) / 2h, weighted by the upstream gradient `dout`. "
        "We check every layer in float64, where the relative error of a correct backward is about 1e-10."),
        SETUP + """
from minicnn.layers import (conv_forward, conv_backward, relu_forward, relu_backward, maxpool_forward,
                            maxpool_backward, avgpool_forward, avgpool_backward, linear_forward, linear_backward,
                            softmax_loss)
from minicnn.gradcheck import numerical_gradient, rel_error, assert_backward
rng = np.random.RandomState(0)""",
        md("## One gradient by hand\n\nA fully connected layer computes `out = x w^T + b`. Its backward pass "
        "is three matrix products; `numerical_gradient` perturbs every entry of `x` and measures."),
        """x, w, b = rng.randn(4, 6), rng.randn(3, 6), rng.randn(3)
out, cache = linear_forward(x, w, b)
dout = rng.randn(*out.shape)
dx, dw, db = linear_backward(dout, cache)
dx_num = numerical_gradient(lambda v: linear_forward(v, w, b)[0], x.copy(), dout)
print("dx relative error:", rel_error(dx, dx_num))
print("by hand: dx = dout @ w ->", rel_error(dx, dout @ w))""",
        md("## Convolution, pooling, ReLU\n\n`assert_backward` checks every input of a layer at once and, "
        "on failure, names the configuration and the worst entry."),
        """for stride, pad in [(1, 1), (2, 0), (2, 1)]:
    assert_backward(lambda x, w, b: conv_forward(x, w, b, stride, pad),
                    lambda dout, cache: dict(zip("xwb", conv_backward(dout, cache))),
                    {"x": rng.randn(2, 3, 7, 7), "w": rng.randn(4, 3, 3, 3), "b": rng.randn(4)},
                    config=f"conv stride {stride} pad {pad}")
    print(f"conv stride {stride} pad {pad}: ok")

x = rng.randn(2, 3, 8, 8)
assert_backward(lambda x: maxpool_forward(x, 2, 2), lambda d, c: {"x": maxpool_backward(d, c)}, {"x": x},
                config="maxpool 2x2")
assert_backward(lambda x: avgpool_forward(x, 3, 2, pad=1), lambda d, c: {"x": avgpool_backward(d, c)}, {"x": x},
                config="avgpool 3x3 stride 2 pad 1")
assert_backward(relu_forward, lambda d, c: {"x": relu_backward(d, c)}, {"x": x}, config="relu")
print("pooling and ReLU: ok")""",
        md("## A wrong backward is caught\n\nHere the convolution's kernel gradient comes back flipped (a "
        "classic mistake: correlation and convolution confused). The check fails and says where."),
        """def flipped(dout, cache):
    dx, dw, db = conv_backward(dout, cache)
    return {"x": dx, "w": dw[:, :, ::-1, ::-1], "b": db}
try:
    assert_backward(lambda x, w, b: conv_forward(x, w, b, 1, 1), flipped,
                    {"x": rng.randn(1, 2, 5, 5), "w": rng.randn(2, 2, 3, 3), "b": rng.randn(2)},
                    config="conv with a flipped dw")
except AssertionError as e:
    print(e)""",
        md("## The loss\n\n`softmax_loss` returns the mean cross-entropy and its gradient with respect to the scores."),
        """scores, y = rng.randn(5, 10), rng.randint(0, 10, 5)
loss, dscores = softmax_loss(scores, y)
num = numerical_gradient(lambda s: np.array(softmax_loss(s, y)[0]), scores.copy())
equal = softmax_loss(np.zeros((5, 10)), y)[0]
print(f"loss {loss:.4f}; with all ten scores equal it is log 10 = {equal:.4f} ({np.log(10):.4f}); "
      f"gradient error {rel_error(dscores, num):.1e}")
assert abs(equal - np.log(10)) < 1e-12 and rel_error(dscores, num) < 1e-7""",
        md("## The three ReLU backward rules\n\nBackprop passes the gradient where the forward input was "
        "positive; the deconvnet where the gradient is positive; guided backprop where both are."),
        """x, dout = rng.randn(1, 1, 1, 6), rng.randn(1, 1, 1, 6)
_, cache = relu_forward(x)
for mode in ("backprop", "deconvnet", "guided"):
    print(f"{mode:10s}", np.round(relu_backward(dout, cache, mode=mode)[0, 0, 0], 2))
print("x         ", np.round(x[0, 0, 0], 2))
print("dout      ", np.round(dout[0, 0, 0], 2))""",
        md("## A whole network\n\nThe default model (trained by minicnn on MNIST digits) checked end to end "
        "in float64: the gradient at the input and at every parameter, spot-checked at a few entries. "
           "(Its digits have exact zeros and ties, where a network is not differentiable, so the check "
           "uses a random input.)"),
        """from minicnn.gradcheck import check_net, kink_distance
net = minicnn.load().astype(np.float64)            # float32 is too coarse for centered differences
for seed in range(100):    # an input farther than h from every ReLU kink and max-pooling tie
    x = np.random.RandomState(seed).randn(1, 1, 28, 28)
    net.forward(x)
    if kink_distance(net) > 1e-5:
        break
errors = check_net(net, x, h=1e-6, entries=40)
for name, error in errors.items():
    print(f"{name:12s} {error:.1e}")
assert max(errors.values()) < 1e-6""",
        md("`minicnn gradcheck` on the command line prints this table for every layer and many "
        "configurations."),
    ],
    "2_saliency_guided_fooling.ipynb": [
        md("# Saliency, guided backprop and fooling images\n\nAll on the default model and its held-out digits."),
        SETUP + """
net = minicnn.load()
x = net.space.preprocess(net.samples.images[2])
p = viz.probabilities(net, x)[0]
print("the network says", net.class_name(int(p.argmax())), f"({p.max():.3f}); the label is",
      net.class_name(int(net.samples.labels[2])))""",
        md("## Saliency (Simonyan et al. 2014)\n\nThe gradient of the class score with respect to the pixels, "
        "its absolute value, the max over channels. SmoothGrad averages the map over noisy copies."),
        """plain = viz.run("saliency", net, x)
smooth = viz.run("saliency", net, x, samples=25)
show([display.saliency(net, plain), display.saliency(net, smooth)])
print(plain.summary())""",
        md("The map is an ordinary backward pass: the same numbers, by hand. The backward pass gives the "
        "gradient in the network's input units; the map is per pixel unit (one grey level of 0..255), so "
        "it is multiplied by how far one grey level moves the input."),
        """scores = net.forward(x, end="fc4")
d = np.zeros_like(scores); d[0, plain.target.index] = 1
g = minicnn.to_numpy(net.backward(d)) * net.space.pixel_step()
difference = np.abs(np.abs(g).max(axis=1)[0] - plain.map).max()
print("max difference:", difference)
assert difference <= 1e-6 * plain.map.max()""",
        md("## One unit under three ReLU rules\n\nThe gradient of one unit of a deeper layer, under backprop, "
        "the deconvnet and guided backprop; the first panel shows which pixels the unit can see."),
        """r = viz.run("neuron", net, x, layer="relu2_2", unit=int(minicnn.to_numpy(net.forward(x, end="relu2_2"))[0].max(axis=(1, 2)).argmax()))
show(display.neuron(net, r))
print(r.summary())""",
        md("## Adversarial examples and FGSM"),
        """adv = viz.run("adversarial", net, x, target=3)
fgsm = viz.run("fgsm", net, x)
show([display.adversarial(net, adv), display.adversarial(net, fgsm)])
print(adv.summary()); print(fgsm.summary())""",
        md("## Fooling images (Nguyen et al. 2015)\n\nFrom noise to an image the network is sure is a digit."),
        """fooled = [viz.run("fool", net, target=t) for t in (0, 4, 7)]
show([display.fooling(net, r) for r in fooled])
for r in fooled:
    print(r.summary())""",
    ],
    "3_class_models_deepdream.ipynb": [
        md("# Class models and DeepDream\n\nGradient ascent on the image: towards a class score, a single "
        "unit, or the energy of a whole layer."),
        SETUP + """
net = minicnn.load()""",
        md("## One image per class (Simonyan et al. 2014; Yosinski et al. 2015)\n\nStarting from the mean "
        "image, steps along the gradient of the class score, with the regularization of the `progress` "
        "preset (decay, blur, clipping of small pixels)."),
        """models = [viz.run("classviz", net, target=c, preset="progress", iterations=150) for c in range(10)]
show([display.class_model(net, r)[0] for r in models], size=1.2)
for r in models[:3]:
    print(r.summary())""",
        md("## The same classes by feature visualization (Olah et al. 2017)\n\nAdam on a Fourier spectrum "
        "of the image, which is padded, jittered, scaled and rotated at random before every step, with an "
        "L1 prior that keeps each pixel at the background unless the class needs it: the digits model's "
        "default. Drawn as the image itself, not stretched."),
        """rendered = [viz.run("classviz", net, target=c, iterations=256) for c in range(10)]
show([display.class_model(net, r)[0] for r in rendered], size=1.2)
print(rendered[0].summary())""",
        md("## Units along the way to the top"),
        """units = [viz.run("classviz", net, layer=layer, unit=u, preset="progress", iterations=150)
         for layer, u in [("relu1_2", 3), ("relu2_1", 5), ("relu2_2", 7), ("relu3", 9)]]
show([display.class_model(net, r)[0] for r in units], size=1.6)""",
        md("## DeepDream (Mordvintsev et al. 2015)\n\nAmplify whatever a layer sees in the image: the "
        "objective is half the squared activation, so its gradient is the activation itself."),
        """x = net.space.preprocess(net.samples.images[0])
dreams = [viz.run("deepdream", net, x, layer=layer, iterations=20) for layer in ("relu1_2", "relu2_1", "relu2_2")]
show([display.deepdream(net, r) for r in dreams], size=1.8)
for r in dreams:
    print(r.summary())""",
        md("Guided by another digit: each position is pulled toward the guide's best-matching features."),
        """guided = viz.run("deepdream", net, x, iterations=20, guide="sample:1")
show(display.deepdream(net, guided))""",
    ],
    "4_style_transfer.ipynb": [
        md("# Style transfer (Gatys et al. 2015)\n\nContent is a layer's activations; style is their Gram "
        "matrices: which channels fire together, wherever they fire."),
        SETUP + """
from minicnn.objectives import gram_forward, gram_backward, style_loss
from minicnn.gradcheck import numerical_gradient, rel_error
net = minicnn.load()
rng = np.random.RandomState(0)""",
        md("## The Gram matrix and its gradient\n\nG = F F^T for features F (C, H W), not divided by the "
        "map's size (the style loss divides); checked against centered differences."),
        """f = rng.randn(1, 4, 5, 6)
G, cache = gram_forward(f)
dG = rng.randn(*G.shape)
df = gram_backward(dG, cache)
num = numerical_gradient(lambda v: gram_forward(v)[0], f.copy(), dG)
print("Gram backward relative error:", rel_error(df, num))
target = gram_forward(rng.randn(1, 4, 5, 6))[0]
value, grad = style_loss(f, target)
num = numerical_gradient(lambda v: np.array(style_loss(v, target)[0]), f.copy())
print("style loss", value, "gradient error", rel_error(grad, num))""",
        md("## A digit in the style of another\n\nL-BFGS (scipy) on the pixels, from the content image."),
        """content = net.space.preprocess(net.samples.images[0])
r = viz.run("style", net, content, style="sample:1", iterations=100)
show(display.style_transfer(net, r))
print(r.summary())""",
        md("## The style alone: texture synthesis\n\nWith the content weight at zero and a noise start, "
        "only the Gram matrices are matched: the strokes of the style digit, rearranged."),
        """texture = viz.run("style", net, content, style="sample:1", content_weight=0.0, init="noise", iterations=100)
show(display.style_transfer(net, texture))
print(texture.summary())""",
        md("On a colour ImageNet model (`minicnn fetch squeezenet1_1`) the same calls take photos: "
        "`viz.run(\"style\", net, photo, style=\"demos/photos/rocket.jpg\", original_colors=True)`."),
    ],    "5_can_we_trust_a_saliency_map.ipynb": [
        md("# Can we trust a saliency map?\n\nThe lecture ends at saliency maps, deconvnet and guided "
        "backpropagation. Since then many more maps have been proposed, and a simple question asked of all of them "
        "(Adebayo et al. 2018, *Sanity Checks for Saliency Maps*): does the map change when the thing it claims to "
        "explain is destroyed? Here we compute a map by hand, check two methods' axioms (Integrated Gradients' "
        "completeness, LRP's conservation), and then randomize the network."),
        SETUP + """
from minicnn import backend
net = minicnn.load()
x = net.space.preprocess(net.samples.images[3])
c = int(viz.probabilities(net, x)[0].argmax())
print("the network sees a", net.class_name(c))""",
        md("## A saliency map by hand\n\nOne forward pass to the class scores, a gradient that is 1 at class c "
        "and 0 elsewhere, one backward pass to the pixels. The map is the largest absolute value over colour "
        "channels (here there is one channel)."),
        """scores = net.forward(x, end="fc4")
onehot = np.zeros_like(scores)
onehot[0, c] = 1
grad = net.backward(onehot) * net.space.pixel_step()      # per pixel value (0..255), not per input unit
by_hand = np.abs(grad[0]).max(axis=0)
print("same as viz.saliency:", np.allclose(by_hand, viz.saliency(net, x, c), rtol=1e-5))""",
        md("## Integrated Gradients adds up\n\nIG (Sundararajan et al. 2017) integrates the gradient along the "
        "straight path from a baseline x' (here black) to the image and multiplies by x - x'. Its axiom, "
        "*completeness*, says the attributions add up to S(x) - S(x'). Summed by the trapezoid rule with m steps:"),
        """from minicnn.viz.saliency import class_gradient
x0 = np.broadcast_to(net.space.bounds()[0], x.shape)      # black, in input space
for m in (4, 16, 64):
    alphas = np.linspace(0, 1, m + 1)
    weights = np.full(m + 1, 1 / m); weights[[0, -1]] /= 2
    path = x0 + alphas[:, None, None, None] * (x - x0)
    avg_grad = np.tensordot(weights, class_gradient(net, path, c), axes=1)
    ig = (x - x0)[0] * avg_grad
    s = viz.scores(net, np.concatenate([x, x0]))[:, c]
    print(f"{m:3d} steps: sum of attributions {ig.sum():.4f}, S(x) - S(x') {s[0] - s[1]:.4f}, "
          f"gap {100 * abs(ig.sum() - (s[0] - s[1])) / abs(s[0] - s[1]):.2f} %")""",
        """r = viz.run("integrated-gradients", net, x)
show(display.integrated_gradients(net, r))
print(r.summary())""",
        md("## LRP conserves the score\n\nLayer-wise relevance propagation puts the class score on its unit and "
        "shares it out, layer by layer, in proportion to each input's contribution. The rules sit beside each "
        "layer's backward pass (`minicnn/layers/conv.py`: `conv_relevance`), and a net chooses them per layer "
        "range, as it chooses ReLU rules. In float64, relevance lost on the way is what the biases took:"),
        """exact = net.astype(np.float64)
with backend.fast_paths(False):                          # the rules read the readable layers' caches
    s = exact.forward(x.astype(np.float64), end="fc4")
R = np.zeros_like(s); R[0, c] = s[0, c]
with exact.lrp_rule("epsilon"), exact.lrp_rule("gamma", upto="conv1_2"):
    relevance = exact.relevance(R)
print(f"score {s[0, c]:.4f} = relevance at the pixels {relevance.sum():.4f} "
      f"+ absorbed {sum(a[0] for a in exact.absorbed.values()):.4f}")
for layer, a in exact.absorbed.items():
    if abs(a[0]) > 1e-12:                                # ReLUs, pooling (winner-take-all) keep nothing
        print(f"  {layer:8s} absorbed {a[0]:+.4f}")""",
        """r = viz.run("lrp", net, x)
show(display.lrp(net, r))
print(r.summary())
g = viz.run("gradcam", net, x)
show(display.gradcam(net, g))""",
        md("## The randomization test\n\nNow destroy the network from the top down: re-draw the weights of fc4, "
        "then of fc3 too, and so on to the first layer, and redraw every method's map each time. A map that "
        "explains the *model* must fall apart; one that only shows the *image* will not."),
        """r = viz.run("sanity", net, x, quick=True)
show(display.sanity(net, r), size=6)
print(r.summary())""",
        """print("rank correlation of |map| with the original once every layer is random, and with the image itself")
for m in sorted(r.methods, key=lambda m: r.similarity[m]["spearman_abs"][-1]):
    print(f"  {m:22s} {r.similarity[m]['spearman_abs'][-1]:+.2f}   image: trained {r.image_correlation[m][0]:+.2f}, "
          f"random {r.image_correlation[m][-1]:+.2f}")""",
        md("Read the two columns together. The plain gradient, SmoothGrad and Grad-CAM change when the weights do: "
        "they pass. Guided backpropagation keeps showing the digit's strokes whatever the weights above: its ReLU "
        "rule lets only positive signals through, which reconstructs the image's edges (on ImageNet networks "
        "deconvnet does the same; on this small model its class map is noise from the start, so its low number "
        "says nothing). Gradient x input, Integrated Gradients (from black) and LRP keep the digit too, for another "
        "reason: they multiply by the image, and their correlation with the image itself is as high for the random "
        "network as for the trained one. Integrated Gradients is exactly zero on every black pixel, whatever the "
        "weights.\n\n## Data randomization\n\nThe same architecture trained on permuted labels "
        "(`minicnn train --random-labels`) has learnt no digit at all. Its maps should look nothing like the real "
        "model's."),
        """from minicnn.gallery import random_label_model
path = random_label_model(net)
if path:
    d = viz.run("sanity", net, x, quick=True, methods="saliency,guided,gradcam,integrated-gradients,lrp",
                random_labels=path)
    show(display.sanity(net, d)[-1:], size=5)
    lines = d.summary().splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("data randomization"))
    print("\\n".join(lines[start:start + 1 + len(d.methods)]))
else:
    print("no random-label model is shipped here: minicnn train --random-labels makes one")""",
        md("## Faithfulness: deletion and insertion\n\nA last check asks the model itself: delete the pixels a "
        "map ranks highest and watch the probability fall (lower area is better), or insert them into a blurred "
        "image and watch it rise (higher is better), against a random order."),
        """f = viz.run("deletion", net, x, quick=True, n=4)
show(display.faithfulness(net, f), size=4)
print(f.summary())""",
    ],
}


def notebook(cells):
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [nbformat.v4.new_markdown_cell(c) if isinstance(c, md) else nbformat.v4.new_code_cell(c)
                for c in cells]
    for i, cell in enumerate(nb.cells):
        cell["id"] = f"cell-{i}"                       # stable ids: regenerating changes nothing
    return nb


def main():
    for name, cells in NOTEBOOKS.items():
        nbformat.write(notebook(cells), HERE / name)
        print(f"wrote {HERE / name}")


if __name__ == "__main__":
    main()
