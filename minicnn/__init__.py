"""minicnn: hand-written forward and backward passes for understanding and visualizing CNNs.

    import minicnn
    net = minicnn.load("squeezenet1_1")     # a model file: architecture, weights, ImageSpace, classes
    x = net.space.preprocess(minicnn.images.load_image("cat.jpg"))
    probs = net.forward(x)                  # (1, 1000, 1, 1)
    dx = net.backward(dprobs)               # gradient with respect to the image
"""
from . import _threads  # noqa: F401  (must run before numpy is imported)

from .backend import to_device, to_numpy, use  # noqa: E402
from .errors import MinicnnError  # noqa: E402
from . import images  # noqa: E402,F401
from .io import load, save  # noqa: E402
from .net import Net  # noqa: E402

__version__ = "0.1.0"
__all__ = ["Net", "MinicnnError", "load", "save", "use", "to_device", "to_numpy", "__version__"]
