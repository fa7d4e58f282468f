"""minicnn: hand-written forward and backward passes for understanding and visualizing CNNs.

    import minicnn
    net = minicnn.load("squeezenet1_1")          # a model file: architecture, weights, ImageSpace, classes
    x = net.space.preprocess(minicnn.images.load_image("cat.jpg"))
    probs = net.forward(x)                       # (1, 1000, 1, 1)
    dx = net.backward(dprobs)                    # gradient with respect to the image
    r = minicnn.viz.run("saliency", net, x)      # any technique of the lecture: a result dataclass

The package, in reading order:

    layers/           one module per layer: pure forward/backward pairs, shapes in docstrings (and
                      fast CPU twins of three: conv_winograd.py, relu_cpu.py, maxpool_cpu.py)
    gradcheck.py      numerical gradients, rel_error, assert_backward: how every backward is checked
    im2col/           im2col/col2im: reference.py (NumPy, the definition), cpu.py (Numba), cuda.py (Numba, GPU)
    receptive_field.py, layer_types.py, architecture.py
                      a network described as data: shapes, parameters and receptive fields
    net.py            Net = architecture + parameters + run state: forward to, backward from any layer
    images.py         ImageSpace: pixels in and out of a model's input space
    viz/              the lecture's techniques, one module each, and their registry
    display.py        one picture function per technique
    models/           the registry of known architectures and where their weights come from
    io/               the model file, readers for Keras/PyTorch/Caffe files, downloads
    files.py          atomic writes and JSON sidecars
    backend.py        NumPy or CuPy, and the fast CPU paths on or off; errors.py: every error minicnn
                      raises; cli.py: `minicnn <verb>`
    winograd/         Winograd F(2x2, 3x3): reference.py (NumPy), cpu.py (Numba + BLAS), under
                      layers/conv_winograd.py, the fast path for 3x3 convolutions
"""
from .fast import threads  # noqa: F401  (must run before numpy is imported)

from . import images, layers, viz  # noqa: E402,F401
from .architecture import Architecture  # noqa: E402
from .backend import to_device, to_numpy, use  # noqa: E402
from .errors import MinicnnError  # noqa: E402
from .io import load, save  # noqa: E402
from .net import Net  # noqa: E402

__version__ = "0.1.0"
__all__ = ["Net", "Architecture", "MinicnnError", "load", "save", "use", "to_device", "to_numpy", "images",
           "layers", "viz", "__version__"]
