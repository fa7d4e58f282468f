"""minicnn: hand-written forward and backward passes for understanding and visualizing CNNs.

    import minicnn
    net = minicnn.load("squeezenet1_1")          # a model file: architecture, weights, ImageSpace, classes
    x = net.space.preprocess(minicnn.images.load_image("cat.jpg"))
    probs = net.forward(x)                       # (1, 1000, 1, 1)
    dx = net.backward(dprobs)                    # gradient with respect to the image
    r = minicnn.viz.run("saliency", net, x)      # any technique of the lecture: a result dataclass

The package, in reading order (the README's):

 1. layers/relu.py (its three backward rules), layers/linear.py, layers/softmax.py: the smallest
    forward/backward pairs, every shape in their docstrings
 2. gradcheck.py: numerical gradients, rel_error, assert_backward: how every backward is checked
 3. im2col/reference.py (im2col in a dozen lines of NumPy), layers/conv.py, layers/pool_common.py,
    layers/maxpool.py, layers/avgpool.py
 4. the network: receptive_field.py, layer_types.py (what a layer spec means), architecture.py
    (shapes, parameters and receptive fields from the spec alone), params.py, then net.py:
    forward to any layer, backward from any layer, relu_mode
 5. viz/: the lecture, one technique at a time (saliency.py first), each with its demo in demos/;
    viz/image_step.py is the gradient step they share, objectives.py their losses, display.py
    their pictures
 6. skip unless curious: fast/ (the fast CPU engine: Winograd, Numba twins, memory reuse),
    im2col/cpu.py and im2col/cuda.py (Numba kernels), backend.py (NumPy or CuPy, the engine
    switch), images.py, models/, io/ (model files and converters), files.py, cli.py, gallery.py,
    assignment/, train/
"""
import importlib

from .fast import threads  # noqa: F401  (must run before numpy is imported)

__version__ = "0.1.0"
__all__ = ["Net", "Architecture", "MinicnnError", "load", "save", "use", "to_device", "to_numpy", "images",
           "layers", "viz", "__version__"]
FROM = {"Net": "net", "Architecture": "architecture", "MinicnnError": "errors", "load": "io", "save": "io",
        "use": "backend", "to_device": "backend", "to_numpy": "backend"}


def __getattr__(name):
    """minicnn.X, imported on first use: `import minicnn` itself takes milliseconds, so that the
    command line is already listening for Ctrl-C while NumPy and the techniques load."""
    if name.startswith("_"):
        raise AttributeError(name)
    try:
        module = importlib.import_module(f"{__name__}.{FROM.get(name, name)}")
    except ModuleNotFoundError as e:
        if e.name != f"{__name__}.{FROM.get(name, name)}":
            raise
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}") from None
    return getattr(module, name) if name in FROM else module


def __dir__():
    return sorted(set(globals()) | set(__all__))
