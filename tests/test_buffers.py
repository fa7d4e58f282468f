"""The pool of large arrays (fast/buffers.py): an array is handed out again only once nothing else
refers to it, so nothing a caller holds is ever written over."""
import numpy as np
import pytest

from minicnn import backend
from minicnn.fast import buffers as _buffers

from test_keep import passes, wide_chain
from minicnn import Net

pytestmark = pytest.mark.cpu          # the host arrays the fast CPU kernels reuse


@pytest.fixture(autouse=True)
def small_pool(monkeypatch):
    """Pool arrays of 1 KiB and up, so that small tests use it; start and end empty."""
    monkeypatch.setattr(_buffers, "MIN_BYTES", 1024)
    monkeypatch.setattr(_buffers, "_kept", [])
    yield


def test_an_array_comes_back_only_when_nobody_holds_it():
    a = _buffers.empty((16, 32), np.float32)
    address = a.__array_interface__["data"][0]
    b = _buffers.empty((16, 32), np.float32)                  # a is alive: new memory
    assert b.__array_interface__["data"][0] != address
    view = a[3:]
    del a
    c = _buffers.empty((32, 16), np.float32)                  # a view of a is alive: still not a's
    assert c.__array_interface__["data"][0] != address
    del view
    d = _buffers.empty((8, 64), np.float32)                   # same size, nobody holds it: a's memory
    assert d.__array_interface__["data"][0] == address and d.shape == (8, 64) and d.dtype == np.float32
    assert d.flags.c_contiguous and d.flags.writeable


def test_small_arrays_and_the_readable_paths_do_not_use_it():
    assert _buffers.empty((4, 4), np.float64).base is None               # under MIN_BYTES
    with backend.fast_paths(False):
        assert _buffers.empty((64, 64), np.float64).base is None
    assert _buffers._kept == []


def test_a_size_not_free_lets_go_of_the_free_arrays_of_other_sizes():
    held = [_buffers.empty((512,), np.float64) for _ in range(3)]       # 4 KiB each, in use
    other = _buffers.empty((1024,), np.float64)                         # 8 KiB
    del held[:2], other                                                 # free: two of 4 KiB, one of 8
    assert len(_buffers._kept) == 4
    again = _buffers.empty((512,), np.float64)                          # a free one of its size
    assert len(_buffers._kept) == 4
    _buffers.empty((2048,), np.float64)                                 # none free: the free ones go
    assert sorted(b.nbytes for b in _buffers._kept) == [4096, 4096, 16384]
    del again
    _buffers.clear()
    assert [b.nbytes for b in _buffers._kept] == [4096]                 # held[2] is still in use


def test_a_loop_of_steps_on_pooled_arrays_gives_the_same_numbers_and_keeps_what_was_kept():
    net = Net(wide_chain(), (3, 64, 64), dtype=np.float64, seed=0)
    x1, x2 = (np.random.RandomState(s).randn(3, 3, 64, 64) for s in (0, 1))
    with backend.fast_paths(True):
        first = passes(net, x1, "fc4", None)
        outputs = {k: v for k, v in net.outputs.items()}
        copies = {k: v.copy() for k, v in outputs.items()}
        assert len(_buffers._kept) > 3                                   # the pool is in use
        for keep in (None, (), None):
            again = passes(net, x2, "fc4", keep)
        for k, v in outputs.items():                                     # step 1's outputs untouched
            np.testing.assert_array_equal(v, copies[k])
        for a, b in zip(passes(net, x1, "fc4", ()), first):
            np.testing.assert_array_equal(a, b)
    with backend.fast_paths(False):
        for a, b in zip(passes(net, x2, "fc4", None), again):
            np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)


def test_threads_never_get_the_same_array():
    import threading
    held, errors = [], []

    def take():
        try:
            for _ in range(200):
                a = _buffers.empty((256,), np.float64)
                a[:] = threading.get_ident()
                held.append(a)
                if len(held) > 6:
                    held.pop(0)
                if (a != threading.get_ident()).any():
                    errors.append("another thread wrote into this array")
        except Exception as e:                                           # pragma: no cover
            errors.append(repr(e))
    threads = [threading.Thread(target=take) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
