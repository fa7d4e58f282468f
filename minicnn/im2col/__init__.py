"""im2col / col2im, dispatched on where the array lives and which engine runs: on the CPU the
NumPy definition (reference.py) for the readable engine (MINICNN_FAST=0) and the Numba kernels
(cpu.py) for the fast one (backend.use_fast); on the GPU the Numba CUDA kernels (cuda.py).

With the fast engine (minicnn/fast/), these are the only device-specific code in minicnn.
Arguments (all ints are Python ints):

    im2col(x, kh, kw, stride=(sh, sw), pad=(ph, pw), out_hw=(Ho, Wo), fill=0.0)
        x (N, C, H, W) -> cols (N, C*kh*kw, Ho*Wo)
    col2im(cols, x_shape, kh, kw, stride, pad, out_hw)
        cols (N, C*kh*kw, Ho*Wo) -> dx (N, C, H, W)

``pad`` is the padding before the first row/column; windows may reach past the last row/column
(Caffe's ceil-mode pooling), and anything outside x reads as ``fill``. See reference.py for
the definition in a dozen lines of NumPy.
"""
from ..backend import fast, is_gpu_array
from . import cpu, reference


def _impl(a):
    if is_gpu_array(a):
        from . import cuda  # compiles for the GPU on first use; only reached with a CuPy array
        return cuda
    return cpu if fast() else reference


def im2col(x, kh, kw, stride, pad, out_hw, fill=0.0):
    return _impl(x).im2col(x, kh, kw, stride, pad, out_hw, fill)


def col2im(cols, x_shape, kh, kw, stride, pad, out_hw):
    return _impl(cols).col2im(cols, tuple(x_shape), kh, kw, stride, pad, out_hw)
