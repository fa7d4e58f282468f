"""Shared test helpers. minicnn is imported first so its thread settings precede numpy's import."""
import os
import sys
from pathlib import Path

# Without a GPU to test on, Numba's CUDA simulator runs the GPU kernels on the CPU; it must be
# chosen before Numba is first imported.
if os.environ.get("MINICNN_DEVICE", "cpu") != "gpu":
    os.environ.setdefault("NUMBA_ENABLE_CUDASIM", "1")

import minicnn  # noqa: E402,F401  (sets OpenBLAS/OpenMP thread policy before numpy loads)
import numpy as np  # noqa: E402
import pytest  # noqa: E402

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
# MINICNN_PRETEND_GPU=1: the suite as MINICNN_DEVICE=gpu runs it, on the pretend GPU of fake_gpu.py,
# for machines without one (commands the tests start in processes of their own stay on the CPU).
PRETEND_GPU = os.environ.get("MINICNN_PRETEND_GPU") == "1"
ON_GPU = os.environ.get("MINICNN_DEVICE", "cpu") == "gpu" or PRETEND_GPU


def pytest_collection_finish(session):
    """With MINICNN_PRETEND_GPU=1, the pretend GPU takes CuPy's place for the whole run."""
    if PRETEND_GPU:
        from fake_gpu import pretend_gpu
        from minicnn import backend
        session.config.pretend_gpu = pretend_gpu(simulate_kernels=False)      # kept: entered for good
        session.config.pretend_gpu.__enter__()
        sys.modules["cupy"] = backend._cupy                                   # for the tests that import it


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item):
    """With MINICNN_DEVICE=gpu every test starts on the GPU, before its fixtures are made (nets
    made then put their weights there), but for those marked ``cpu``, which test the CPU's own
    paths; elsewhere every test runs on the CPU."""
    if ON_GPU:
        from minicnn import backend
        backend.use("cpu" if item.get_closest_marker("cpu") else "gpu")


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
    if not ON_GPU:
        pytest.skip("GPU tests run with MINICNN_DEVICE=gpu on a machine with CuPy and CUDA")
    return pytest.importorskip("cupy", exc_type=ImportError)


@pytest.fixture(scope="session")
def tiny(tmp_path_factory):
    """(folder, tiny model file, an 80x100 random photo) for the command-line tests."""
    from PIL import Image
    from nets import tiny_model_file
    d = tmp_path_factory.mktemp("tiny")
    model = tiny_model_file(d / "tiny.h5")
    image = d / "photo.png"
    Image.fromarray(np.random.RandomState(0).randint(0, 256, (80, 100, 3)).astype(np.uint8)).save(image)
    return d, model, image


@pytest.fixture(scope="session")
def squeezenet_file(tmp_path_factory):
    """The real SqueezeNet v1.1 from ../shared, converted once per run (skips without ../shared)."""
    from minicnn.io import convert
    d = shared_or_skip("models", "squeezenet_v1.1")
    return convert(d / "weights_fp16.npz", tmp_path_factory.mktemp("models") / "squeezenet1_1.h5",
                   prototxt=d / "deploy.prototxt")


@pytest.fixture(scope="module")
def squeezenet(squeezenet_file):
    from minicnn.io import load
    return load(squeezenet_file)
