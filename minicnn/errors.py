"""The one error type the command line turns into a one-line message."""


class MinicnnError(Exception):
    """A problem with the user's input or environment (not a bug in minicnn)."""


class BackendError(MinicnnError, RuntimeError):
    """The requested device cannot be used (no CuPy, no CUDA device, unknown name)."""


class ShapeError(MinicnnError, ValueError):
    """A layer was given arrays or hyperparameters it cannot work with (wrong rank, sizes, strides)."""
