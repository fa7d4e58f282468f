"""im2col / col2im as CUDA kernels written with Numba: the GPU versions.

Same layout and meaning as ``reference.py`` (read that first). Numba compiles the kernels for the
GPU on first use; they take CuPy arrays as they are (through ``__cuda_array_interface__``, no
copy) and run on CuPy's current stream, so they queue up with the GEMMs around them. Numba's
CUDA simulator (``NUMBA_ENABLE_CUDASIM=1``) runs the same kernels on the CPU with NumPy arrays:
that is how the tests check them on machines without a GPU.

* im2col: a thread per entry of cols computes which pixel of x it copies (or ``fill``).
* col2im: a thread per pixel of dx *gathers* every column entry copied from it. Gathering
  instead of scattering means no atomics, and the sum is the same on every run.

Each thread walks the array in steps of the whole grid, so any launch size covers it all.
All arrays are flat, contiguous, and indexed in C order.
"""
import warnings

import numba
from numba import cuda

from ..backend import get_array_module, is_gpu_array

THREADS = 256            # per block
MAX_BLOCKS = 4096        # enough to fill any current GPU; larger arrays take several rounds


@cuda.jit
def _im2col(x, C, H, W, kh, kw, sh, sw, ph, pw, Ho, Wo, fill, cols):
    """x: (N*C*H*W,) -> cols: (N*C*kh*kw*Ho*Wo,), i.e. (N, C*kh*kw, Ho*Wo) flattened."""
    L, K = Ho * Wo, C * kh * kw
    for i in range(cuda.grid(1), cols.size, cuda.gridsize(1)):
        l, row, n = i % L, (i // L) % K, i // (L * K)
        c, ki, kj = row // (kh * kw), (row // kw) % kh, row % kw
        h, w = (l // Wo) * sh - ph + ki, (l % Wo) * sw - pw + kj
        if 0 <= h < H and 0 <= w < W:
            cols[i] = x[((n * C + c) * H + h) * W + w]
        else:
            cols[i] = fill


@cuda.jit
def _col2im(cols, C, H, W, kh, kw, sh, sw, ph, pw, Ho, Wo, zero, dx):
    """cols: (N*C*kh*kw*Ho*Wo,) -> dx: (N*C*H*W,), each pixel the sum of its copies, added in
    the arrays' own type (``zero`` is 0 of that type) as the CPU does."""
    L, K = Ho * Wo, C * kh * kw
    for i in range(cuda.grid(1), dx.size, cuda.gridsize(1)):
        w, h, c, n = i % W, (i // W) % H, (i // (W * H)) % C, i // (W * H * C)
        acc = zero
        for ki in range(kh):
            th = h + ph - ki                      # = oh * sh for a window that covers row h
            if th < 0 or th % sh != 0 or th // sh >= Ho:
                continue
            for kj in range(kw):
                tw = w + pw - kj
                if tw < 0 or tw % sw != 0 or tw // sw >= Wo:
                    continue
                acc += cols[(n * K + (c * kh + ki) * kw + kj) * L + (th // sh) * Wo + tw // sw]
        dx[i] = acc


def _launch(kernel, size, like, *args):
    """Run ``kernel`` over ``size`` elements, on CuPy's current stream for CuPy arrays."""
    if size == 0:
        return
    blocks = min(-(-size // THREADS), MAX_BLOCKS)
    if is_gpu_array(like) and not numba.config.ENABLE_CUDASIM:
        stream = cuda.external_stream(get_array_module(like).cuda.get_current_stream().ptr)
        # sync=False: Numba would otherwise wait for the stream CuPy names in each array it is given
        args = [cuda.as_cuda_array(a, sync=False) if is_gpu_array(a) else a for a in args]
        with warnings.catch_warnings():
            # A small array needs few blocks, and Numba warns of low occupancy at every such launch
            # (by its message: numba-cuda has a warning class of its own, numba's CUDA target another).
            warnings.filterwarnings("ignore", message=r".*Grid size \d+ will likely result in GPU under-utilization")
            kernel[blocks, THREADS, stream](*args)
    else:                                         # Numba's simulator, which has no streams
        kernel[blocks, THREADS](*args)


def im2col(x, kh, kw, stride, pad, out_hw, fill=0.0):
    """x (N, C, H, W) -> cols (N, C*kh*kw, Ho*Wo); see reference.im2col."""
    xp = get_array_module(x)
    x = xp.ascontiguousarray(x)
    N, C, H, W = x.shape
    (sh, sw), (ph, pw), (Ho, Wo) = stride, pad, out_hw
    cols = xp.empty((N, C * kh * kw, Ho * Wo), dtype=x.dtype)
    _launch(_im2col, cols.size, x, x.reshape(-1), C, H, W, kh, kw, sh, sw, ph, pw, Ho, Wo,
            x.dtype.type(fill), cols.reshape(-1))
    return cols


def col2im(cols, x_shape, kh, kw, stride, pad, out_hw):
    """cols (N, C*kh*kw, Ho*Wo) -> dx (N, C, H, W); see reference.col2im."""
    xp = get_array_module(cols)
    cols = xp.ascontiguousarray(cols)
    N, C, H, W = x_shape
    (sh, sw), (ph, pw), (Ho, Wo) = stride, pad, out_hw
    dx = xp.empty(x_shape, dtype=cols.dtype)
    _launch(_col2im, dx.size, cols, cols.reshape(-1), C, H, W, kh, kw, sh, sw, ph, pw, Ho, Wo,
            cols.dtype.type(0), dx.reshape(-1))
    return dx
