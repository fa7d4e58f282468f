"""Small networks and helpers the tests share: a VGG-style chain, a SqueezeNet-style fire module,
a backward pass written independently of Net.backward, and a run of every registered technique
with the comparison of two of its results."""
import numpy as np
from PIL import Image

from minicnn import Net, viz
from minicnn.backend import get_array_module
from minicnn import layers as L
from minicnn.gradcheck import kink_distance
from minicnn.images import CAFFE, ImageSpace


def vgg_style(classes=5):
    """conv-relu-conv-relu-pool-conv-relu-pool-fc-relu-dropout-fc-softmax on (3, 8, 8)."""
    return [
        {"name": "conv1_1", "type": "conv", "out_channels": 4, "kernel": 3, "pad": 1},
        {"name": "relu1_1", "type": "relu"},
        {"name": "conv1_2", "type": "conv", "out_channels": 4, "kernel": 3, "pad": 1},
        {"name": "relu1_2", "type": "relu"},
        {"name": "pool1", "type": "maxpool", "size": 2, "stride": 2},
        {"name": "conv2_1", "type": "conv", "out_channels": 6, "kernel": 3, "pad": 1},
        {"name": "relu2_1", "type": "relu"},
        {"name": "pool2", "type": "maxpool", "size": 2, "stride": 2},
        {"name": "fc3", "type": "linear", "out_features": 10},
        {"name": "relu3", "type": "relu"},
        {"name": "drop3", "type": "dropout", "p": 0.5},
        {"name": "fc4", "type": "linear", "out_features": classes},
        {"name": "prob", "type": "softmax"},
    ]


def fire_style(classes=5):
    """conv1 3x3/2 - pool 3x3/2 ceil - fire(squeeze 1x1 -> expand 1x1 || expand 3x3 -> concat)
    - conv10 1x1 - global average pool - softmax, on (3, 15, 15)."""
    return [
        {"name": "conv1", "type": "conv", "out_channels": 6, "kernel": 3, "stride": 2},
        {"name": "relu_conv1", "type": "relu"},
        {"name": "pool1", "type": "maxpool", "size": 3, "stride": 2, "ceil_mode": True},
        {"name": "fire2/squeeze1x1", "type": "conv", "out_channels": 3, "kernel": 1},
        {"name": "fire2/relu_squeeze1x1", "type": "relu"},
        {"name": "fire2/expand1x1", "type": "conv", "out_channels": 4, "kernel": 1},
        {"name": "fire2/relu_expand1x1", "type": "relu"},
        {"name": "fire2/expand3x3", "type": "conv", "out_channels": 4, "kernel": 3, "pad": 1,
         "inputs": ["fire2/relu_squeeze1x1"]},
        {"name": "fire2/relu_expand3x3", "type": "relu"},
        {"name": "fire2/concat", "type": "concat", "inputs": ["fire2/relu_expand1x1", "fire2/relu_expand3x3"]},
        {"name": "conv10", "type": "conv", "out_channels": classes, "kernel": 1},
        {"name": "relu_conv10", "type": "relu"},
        {"name": "pool10", "type": "avgpool"},
        {"name": "prob", "type": "softmax"},
    ]


def tiny_classifier():
    """conv-relu-pool-conv-relu-pool-fc-softmax on (3, 32, 32): the model the command-line tests use."""
    return [{"name": "conv1", "type": "conv", "out_channels": 8, "kernel": 3, "pad": 1},
            {"name": "relu1", "type": "relu"},
            {"name": "pool1", "type": "maxpool", "size": 2, "stride": 2},
            {"name": "conv2", "type": "conv", "out_channels": 16, "kernel": 3, "pad": 1},
            {"name": "relu2", "type": "relu"},
            {"name": "pool2", "type": "maxpool", "size": 2, "stride": 2},
            {"name": "fc", "type": "linear", "out_features": 10},
            {"name": "prob", "type": "softmax"}]


IMAGENET_FIRST_TEN = ["tench", "goldfish", "great white shark", "tiger shark", "hammerhead", "electric ray", "stingray",
                      "cock", "hen", "ostrich"]


def path(net, name):
    """The path layer ``name`` took in the net's last pass: its fast engine twin ("winograd",
    "numba"), or the readable layer's ("im2col" for a convolution, else "readable")."""
    twin = net._pass.plan.twins.get(name) if net._pass else None
    return twin or ("im2col" if net.layers[name]["type"] == "conv" else "readable")


def put(a, value):
    """a[...] = value, with value moved to a's device first (CuPy takes no host array here)."""
    a[...] = get_array_module(a).asarray(value)


def tiny_model_file(path, classes=IMAGENET_FIRST_TEN, scale=1.0):
    """The tiny classifier on a Caffe-style 32x32 input, saved as a model file (weights times ``scale``)."""
    from minicnn.io import save
    net = Net(tiny_classifier(), (3, 32, 32), space=ImageSpace(**CAFFE, size=(32, 32)), classes=classes, seed=1)
    for p in net.params.values():
        put(p["b"], 0.1 * np.random.RandomState(2).randn(*p["b"].shape))
        p["W"][...] *= scale
    return save(net, path)


def grey_net(seed=0):
    """A small one-channel classifier of 28x28 images (pixel values 0..255 scaled to 0..1), float64."""
    spec = [{"name": "conv1", "type": "conv", "out_channels": 6, "kernel": 3, "pad": 1},
            {"name": "relu1", "type": "relu"},
            {"name": "pool1", "type": "maxpool", "size": 2},
            {"name": "fc", "type": "linear", "out_features": 10},
            {"name": "prob", "type": "softmax"}]
    return Net(spec, (1, 28, 28), dtype=np.float64, seed=seed, classes=[str(i) for i in range(10)],
               space=ImageSpace(channels="L", mean=(0.0,), std=(255.0,), size=(28, 28)))


NETS = {"vgg_style": (vgg_style, (3, 8, 8)), "fire_style": (fire_style, (3, 15, 15))}
CLASSES = ["zero", "one", "two", "three", "four"]


def make(kind, seed=0, space=None, classes=None):
    """A float64 test net with random weights and random (non-zero) biases."""
    spec, shape = NETS[kind]
    net = Net(spec(), shape, dtype=np.float64, seed=seed, space=space, classes=classes)
    rng = np.random.RandomState(seed)
    for p in net.params.values():
        put(p["b"], 0.1 * rng.randn(*p["b"].shape))
    return net


def small_net(seed=0, space=None):
    """The VGG-style net on a Caffe-style input space, with class names."""
    return make("vgg_style", seed, space or ImageSpace(**CAFFE, size=(8, 8)), CLASSES)


def safe_input(net, seed):
    """A random input with every ReLU and max-pool window comfortably away from its kink."""
    for s in range(seed, seed + 50):
        x = np.random.RandomState(s).randn(2, *net.input_shape)
        net.forward(x)
        if kink_distance(net) > 1e-4:
            return x
    raise AssertionError("no input away from kinks found")


def layer_cache(net, name):
    """A layer's cache, recomputed by its forward function from the outputs the net kept."""
    spec, p = net.layers[name], net.params.get(name)
    xs = [net.outputs[i] for i in spec["inputs"]]
    forward = {
        "conv": lambda: L.conv_forward(xs[0], p["W"], p["b"], spec["stride"], spec["pad"]),
        "linear": lambda: L.linear_forward(xs[0], p["W"], p["b"]),
        "relu": lambda: L.relu_forward(xs[0]),
        "maxpool": lambda: L.maxpool_forward(xs[0], spec["size"], spec["stride"], spec["pad"], spec["ceil_mode"]),
        "avgpool": lambda: L.avgpool_forward(xs[0], spec["size"], spec["stride"], spec["pad"], spec["ceil_mode"]),
        "concat": lambda: L.concat_forward(xs),
        "dropout": lambda: L.dropout_forward(xs[0], spec["p"]),              # inference: the identity
        "softmax": lambda: L.softmax_forward(xs[0]),
    }[spec["type"]]
    return forward()[1]


def reference_backward(net, dout, start, relu_rule):
    """Backpropagation written out independently of Net.backward: the layer functions applied
    in reverse spec order to the caches of the last (inference) forward, with a chosen ReLU
    rule relu_rule(gradient, cache), to check Net's bookkeeping. dout goes where the net is."""
    grads = {start: get_array_module(net.outputs[start]).asarray(dout)}
    for name in reversed(net.layer_names[:net.layer_names.index(start) + 1]):
        if name not in grads:
            continue
        spec, g, cache = net.layers[name], grads.pop(name), layer_cache(net, name)
        t = spec["type"]
        if t == "conv":
            dins = [L.conv_backward(g, cache)[0]]
        elif t == "linear":
            dins = [L.linear_backward(g, cache)[0]]
        elif t == "relu":
            dins = [relu_rule(g, cache)]
        elif t == "maxpool":
            dins = [L.maxpool_backward(g, cache)]
        elif t == "avgpool":
            dins = [L.avgpool_backward(g, cache)]
        elif t == "concat":
            dins = L.concat_backward(g, cache)
        elif t == "dropout":
            dins = [L.dropout_backward(g, cache)]
        else:
            dins = [L.softmax_backward(g, cache)]
        for i, d in zip(spec["inputs"], dins):
            grads[i] = grads.get(i, 0) + d
    return grads["data"]


# Settings that make each registered technique quick on grey_net.
TECHNIQUE_OPTIONS = {"saliency": {}, "segment": {}, "neuron": {"layer": "relu1", "unit": 2},
                     "occlusion": {"patch": 8, "stride": 4}, "classviz": {"target": 3, "iterations": 20},
                     "adversarial": {"target": 3}, "fgsm": {}, "fool": {"target": 5}, "linear-example": {},
                     "filters": {}, "activations": {"layer": "relu1"},
                     "deepdream": {"layer": "relu1", "octaves": 2, "iterations": 3},
                     "invert": {"layers": "relu1,pool1", "iterations": 8},
                     "style": {"iterations": 5}, "top-patches": {"k": 3, "guided": True},
                     "tsne": {"perplexity": 2}, "break-linear": {"epochs": 50},
                     "gradcam": {}, "integrated-gradients": {"steps": "8"}, "lrp": {},
                     "sanity": {"methods": "saliency,guided,gradcam,lrp", "quick": True},
                     "deletion": {"methods": "saliency,gradcam,lrp", "quick": True, "n": 2, "steps": 6}}


def run_technique(name, net, folder):
    """Technique ``name`` through the registry on grey_net (or a net like it), with a random
    40x30 photo where it takes one, six random digits as files in ``folder`` where it reads a
    set of images, and a colour style image there for style transfer."""
    options = dict(TECHNIQUE_OPTIONS[name])
    x = net.space.preprocess(np.random.RandomState(0).randint(0, 256, (40, 30, 3)).astype(np.uint8))
    if name in ("top-patches", "tsne"):
        for i in range(6):
            Image.fromarray(np.random.RandomState(i).randint(0, 256, (28, 28)).astype(np.uint8)).save(
                folder / f"d{i}.png")
        options["images"] = str(folder)
    if name == "style":
        style = folder / "style.png"
        Image.fromarray(np.random.RandomState(1).randint(0, 256, (30, 30, 3)).astype(np.uint8)).save(style)
        options["style"] = str(style)
    return viz.run(name, net, None if viz.TECHNIQUES[name].image == "none" else x, **options)


def same_arrays(a, b, tol):
    """Two results of one technique: the same arrays (names, shapes, values to ``tol``), the
    first's on the host."""
    from fake_gpu import DeviceArray                   # only the tests that compare devices need it
    arrays_a, arrays_b = a.arrays(), b.arrays()
    assert sorted(arrays_a) == sorted(arrays_b)
    for k in arrays_a:
        assert not isinstance(arrays_a[k], DeviceArray), f"{k} was left on the device"
        np.testing.assert_allclose(arrays_a[k], arrays_b[k], rtol=tol, atol=tol, err_msg=k)
