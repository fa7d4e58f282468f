"""Thread settings that must be in place before NumPy (and its OpenBLAS) is imported.

After every GEMM, OpenBLAS's worker threads busy-wait for more work, and so do OpenMP
threads. On a machine with few cores they then spin against Numba's im2col/col2im threads
and against each other (docs/speed.md measures what it costs). Making idle threads sleep
promptly fixes it. A value the user set explicitly is never overridden.

This module is imported first by ``minicnn/__init__.py`` (through fast/__init__.py). If NumPy was already imported by
the time minicnn is, OpenBLAS has read its environment and the settings have no effect.
"""
import os
import sys

SETTINGS = {
    "OMP_WAIT_POLICY": "passive",   # OpenMP threads (Numba's omp layer, OpenMP BLAS builds) sleep when idle
    "OPENBLAS_THREAD_TIMEOUT": "4",  # pthread OpenBLAS: spin for 2**4 cycles, not 2**28, before sleeping
}


def apply():
    """Set each variable unless the user already has; return whether NumPy was already loaded."""
    for name, value in SETTINGS.items():
        os.environ.setdefault(name, value)
    return "numpy" in sys.modules


numpy_was_loaded = apply()
