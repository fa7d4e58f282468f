"""minicnn: hand-written forward and backward passes for understanding and visualizing CNNs.

    import minicnn
    net = minicnn.Net(spec, input_shape=(3, 32, 32))
    scores = net.forward(x)                 # (N, classes)
    dx = net.backward(dscores)              # gradient with respect to the image
"""
from . import _threads  # noqa: F401  (must run before numpy is imported)

from .backend import to_device, to_numpy, use  # noqa: E402
from .errors import MinicnnError  # noqa: E402
from .net import Net  # noqa: E402

__version__ = "0.1.0"
__all__ = ["Net", "MinicnnError", "use", "to_device", "to_numpy", "__version__"]
