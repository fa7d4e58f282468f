"""The fast CPU engine: everything in minicnn that exists only for speed on the CPU.

The readable engine is layers/, im2col/reference.py and net.py: what a student reads and,
with MINICNN_FAST=0 (backend.use_fast(False)), exactly what runs. With the fast paths on (the
default) and a net's weights in NumPy arrays, the Net hands each layer of a pass to this engine
instead, one line in each of its two loops. The engine computes the same layers, to rounding,
tested layer by layer against the readable ones and for a whole pass against float64
(tests/test_truth.py):

    engine.py          the plan of a pass: which layers take a twin, which ReLUs write over
                       their input or are applied by the convolution before them
    conv_winograd.py   a 3x3 convolution by Winograd F(2x2, 3x3) (winograd/: reference.py, cpu.py)
    relu.py, maxpool.py   Numba twins of layers/relu.py and layers/maxpool.py
    frozen.py          Net.frozen(): read-only weights, and work kept on them between passes
    buffers.py, allocator.py   large arrays reused from one step to the next
    warm.py            Numba's kernels loaded before a loop's first step
    threads.py         BLAS and OpenMP threads that sleep when idle (imported first of all)

The im2col/col2im these layers run on NumPy arrays are the Numba kernels of im2col/cpu.py.
"""
from . import threads  # noqa: F401  (before NumPy is imported: minicnn/__init__.py imports this first)
