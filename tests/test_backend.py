"""Device selection, array moves and the thread settings made at import."""
import os
import subprocess
import sys

import numpy as np
import pytest

from minicnn import backend
from minicnn.errors import BackendError


def python(code, **env):
    """Run code in a fresh interpreter (so import-time behaviour can be observed)."""
    full = {k: v for k, v in os.environ.items() if k not in ("OMP_WAIT_POLICY", "OPENBLAS_THREAD_TIMEOUT",
                                                             "MINICNN_DEVICE", "MINICNN_FAST",
                                                             "MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_",
                                                             "NUMPY_MADVISE_HUGEPAGE")}
    full.update(env)
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=full, timeout=120)
    return r.returncode, r.stdout.strip(), r.stderr.strip()


def test_thread_settings_are_made_before_numpy_loads():
    rc, out, _ = python("import minicnn, os; print(os.environ['OMP_WAIT_POLICY'], "
                        "os.environ['OPENBLAS_THREAD_TIMEOUT'], minicnn.fast.threads.numpy_was_loaded)")
    assert rc == 0 and out == "passive 4 False"


def test_thread_settings_never_override_the_user():
    rc, out, _ = python("import minicnn, os; print(os.environ['OMP_WAIT_POLICY'], os.environ['OPENBLAS_THREAD_TIMEOUT'])",
                        OMP_WAIT_POLICY="active", OPENBLAS_THREAD_TIMEOUT="20")
    assert out == "active 20"


def test_cpu_round_trip():
    a = np.arange(6.0).reshape(2, 3)
    with_device = backend.to_device(a, np.float32)
    assert with_device.dtype == np.float32
    np.testing.assert_array_equal(backend.to_numpy(with_device), a)
    assert backend.get_array_module(a) is np


def test_unknown_device():
    with pytest.raises(BackendError, match="unknown device 'tpu': expected one of cpu, gpu"):
        backend.use("tpu")


def test_asking_for_the_gpu_is_never_a_silent_fallback():
    """Without CuPy or a CUDA device, asking for the GPU names what is missing."""
    rc, out, err = python("import minicnn.backend as b\ntry:\n    b.use('gpu'); print('gpu')\n"
                          "except b.BackendError as e:\n    print('refused:', e)")
    if out == "gpu":
        pytest.skip("this machine has a usable GPU")
    assert out.startswith("refused: the GPU was requested but ") and ("CuPy" in out), out


def test_environment_variable_selects_the_device():
    rc, out, err = python("import minicnn.backend as b\ntry:\n    print(b.device())\n"
                          "except b.BackendError as e:\n    print('refused')", MINICNN_DEVICE="gpu")
    assert out in ("gpu", "refused")
    rc, out, _ = python("import minicnn.backend as b; print(b.device())", MINICNN_DEVICE="cpu")
    assert out == "cpu"


def test_cli_reports_a_missing_gpu_in_one_line():
    """No CuPy, or (on a machine with a GPU) no device CUDA may use."""
    rc, out, err = python("import sys, minicnn.cli; sys.exit(minicnn.cli.main(['--device', 'gpu', 'gradcheck']))",
                          CUDA_VISIBLE_DEVICES="")
    assert rc == 2 and len(err.splitlines()) == 1 and err.startswith("minicnn: error: the GPU was requested")


def test_switching_the_fast_paths_off_and_on():
    with pytest.raises(BackendError, match="use_fast: expected True or False, got 'no'"):
        backend.use_fast("no")
    with backend.fast_paths(True):
        with backend.fast_paths(False):
            assert not backend.fast()
        assert backend.fast()
    code = "import minicnn.backend as b; print(b.fast())"
    for env, want in (({}, "True"), ({"MINICNN_FAST": "0"}, "False"), ({"MINICNN_FAST": " 1"}, "True")):
        rc, out, _ = python(code, **env)
        assert (rc, out) == (0, want), env
    rc, _, err = python(code, MINICNN_FAST="yes")
    assert rc != 0 and "MINICNN_FAST must be 0 or 1, got 'yes'" in err


def test_big_buffers_are_kept_only_once_a_fast_path_runs_and_never_against_the_user():
    code = ("import numpy as np, minicnn\nfrom minicnn.fast import allocator as _allocator\nbefore = _allocator.applied\n"
            "minicnn.Net([{'name': 'r', 'type': 'relu'}], (1, 256, 256)).forward(np.ones((1, 1, 256, 256)))\n"
            "print(before, _allocator.applied)")
    assert python(code)[1] == "None True"
    assert python(code, MINICNN_FAST="0")[1] == "None None"
    assert python(code, MALLOC_MMAP_THRESHOLD_="65536")[1] == "None False"


HUGE_PAGES_OF_A_NEW_ARRAY = """
import numpy as np, minicnn

def huge_kib():
    a = np.ones(64 << 20, np.uint8)                    # mapped afresh (above malloc's mmap threshold)
    middle = a.ctypes.data + a.nbytes // 2             # the hint's region starts a page into the array
    with open("/proc/self/smaps") as f:
        lines = f.read().splitlines()
    for i, line in enumerate(lines):
        lo, hi = (int(v, 16) for v in line.split()[0].split("-")) if "-" in line.split()[0] else (0, 0)
        if lo <= middle < hi:
            return next(int(l.split()[1]) for l in lines[i + 1:] if l.startswith("AnonHugePages:"))

before = huge_kib()
minicnn.Net([{'name': 'r', 'type': 'relu'}], (1, 256, 256)).forward(np.ones((1, 1, 256, 256)))
print(before, huge_kib(), minicnn.fast.allocator.small_pages)
"""


@pytest.mark.skipif(not os.path.exists("/proc/self/smaps"), reason="needs Linux's /proc/self/smaps")
def test_arrays_made_after_a_fast_step_get_small_pages_unless_the_user_chose():
    rc, out, err = python(HUGE_PAGES_OF_A_NEW_ARRAY)
    assert rc == 0, err
    before, after, turned_off = out.split()
    if int(before) == 0:
        pytest.skip("the kernel gave NumPy's array no huge pages even when asked (THP off, or none free)")
    assert (int(after), turned_off) == (0, "True")
    for env, turned_off in (({"MINICNN_FAST": "0"}, "None"), ({"NUMPY_MADVISE_HUGEPAGE": "1"}, "False")):
        _, after, flag = python(HUGE_PAGES_OF_A_NEW_ARRAY, **env)[1].split()
        assert int(after) > 0 and flag == turned_off, env
