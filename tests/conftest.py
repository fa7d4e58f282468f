"""Shared test helpers. minicnn is imported first so its thread settings precede numpy's import."""
import os
from pathlib import Path

import minicnn  # noqa: F401  (sets OpenBLAS/OpenMP thread policy before numpy loads)
import numpy as np
import pytest

SHARED = Path(__file__).resolve().parents[1].parent / "shared"


@pytest.fixture
def rng():
    return np.random.RandomState(0)


def torch_or_skip():
    """The optional PyTorch reference, or a skip that says how to get it."""
    return pytest.importorskip("torch", exc_type=ImportError, reason="PyTorch is an optional reference: pip install torch "
                               "(or the 'reference' extra) to run the cross-checks")


def shared_or_skip(*parts):
    path = SHARED.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"{path} is absent (real-weight tests need ../shared beside the project)")
    return path


def gpu_or_skip():
    if os.environ.get("MINICNN_DEVICE", "cpu") != "gpu":
        pytest.skip("GPU tests run with MINICNN_DEVICE=gpu on a machine with CuPy and CUDA")
    return pytest.importorskip("cupy", exc_type=ImportError)
