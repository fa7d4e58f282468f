"""Every error minicnn raises on purpose: one hierarchy under MinicnnError.

The command line turns any MinicnnError into one line on stderr and a non-zero exit; anything
else is a bug in minicnn and keeps its traceback.
"""


class MinicnnError(Exception):
    """A problem with the user's input or environment (not a bug in minicnn)."""


class ShapeError(MinicnnError, ValueError):
    """Arrays or layer hyperparameters whose shapes do not fit: wrong rank, mismatched channels,
    a kernel larger than its input, a zero stride."""


class SpecError(MinicnnError, ValueError):
    """A network description that cannot be built: an unknown layer type or key, a name used
    twice, an input that is not an earlier layer."""


class ArgumentError(MinicnnError, ValueError):
    """A value a function does not accept (an unknown ReLU rule, a probability outside [0, 1),
    a layer or class that does not exist, a number out of its range), or a call made out of
    order (backward before forward)."""


class BackendError(MinicnnError, RuntimeError):
    """The requested device cannot be used (no CuPy, no CUDA device, unknown name)."""


class ImageError(MinicnnError):
    """An image file or array that cannot be used."""


class ModelFileError(MinicnnError):
    """A minicnn model file that cannot be loaded or written."""


class FormatError(MinicnnError):
    """Another framework's file (Keras .h5, PyTorch .pth, Caffe prototxt/caffemodel/npz) that
    minicnn cannot read or convert."""


class FetchError(MinicnnError):
    """A download that failed, was interrupted or did not match its checksum."""


class OutputError(MinicnnError):
    """A file minicnn was asked to write that it must not or cannot write."""


class TrainingError(MinicnnError):
    """Training cannot go on (the loss became NaN or inf) or produced nothing to keep."""
