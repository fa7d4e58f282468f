"""im2col / col2im, dispatched on where the array lives: NumPy arrays to the Numba CPU kernels
(cpu.py), CuPy arrays to the Numba CUDA kernels (cuda.py).

With the fast CPU paths (winograd/, layers/relu_cpu.py, layers/maxpool_cpu.py, NumPy only),
these are the only device-specific code in minicnn. Arguments (all ints are Python ints):

    im2col(x, kh, kw, stride=(sh, sw), pad=(ph, pw), out_hw=(Ho, Wo), fill=0.0)
        x (N, C, H, W) -> cols (N, C*kh*kw, Ho*Wo)
    col2im(cols, x_shape, kh, kw, stride, pad, out_hw)
        cols (N, C*kh*kw, Ho*Wo) -> dx (N, C, H, W)

``pad`` is the padding before the first row/column; windows may reach past the last row/column
(Caffe's ceil-mode pooling), and anything outside x reads as ``fill``. See reference.py for
the definition in a dozen lines of NumPy.
"""
from ..backend import is_gpu_array
from . import cpu, reference  # noqa: F401  (reference is part of the public story)


def _impl(a):
    if is_gpu_array(a):
        from . import cuda  # compiles for the GPU on first use; only reached with a CuPy array
        return cuda
    return cpu


def im2col(x, kh, kw, stride, pad, out_hw, fill=0.0):
    return _impl(x).im2col(x, kh, kw, stride, pad, out_hw, fill)


def col2im(cols, x_shape, kh, kw, stride, pad, out_hw):
    return _impl(cols).col2im(cols, tuple(x_shape), kh, kw, stride, pad, out_hw)
