"""Net.frozen(): weights that cannot change within a block, and work kept on them between passes.

Within the block every parameter array, and the array owning its memory when it is a view (a
file's buffer), is read-only: writing to one raises ValueError, and so do views made from them.
Afterwards they are writable again. The fast engine may then keep what depends on the weights
alone from one pass to the next: a Winograd layer over few tiles keeps its transformed filters
(``memo``). A view made before the block stays writable, and a write through it would not be
seen by the kept work: don't. A parameter replaced by another array in the block starts afresh.
On entering, Numba's kernels are loaded when a layer will take a twin (warm.py), so that a
loop's first step does not pay for it. On the GPU nothing is kept and nothing is made
read-only (CuPy arrays cannot be).
"""
import contextlib

import numpy as np

from .. import backend
from ..backend import is_gpu_array
from . import engine
from .warm import load_kernels


class Kept:
    """What frozen() keeps for a net, shared with the nets resized from it (Net.resized): whether
    a block is open, and {layer: (its W, the dict in which it keeps work on that W)}."""

    def __init__(self):
        self.open, self.work = False, {}


@contextlib.contextmanager
def frozen(arch, params, dtype, kept):
    """The block behind Net.frozen() for a net's Architecture, parameters ({layer: {"W", "b"}}),
    dtype and Kept. Blocks nest: an inner one changes nothing."""
    if kept.open:
        yield
        return
    on_gpu = any(is_gpu_array(a) for p in params.values() for a in p.values())
    if backend.fast() and not on_gpu and any(engine.twin(arch, name, 1) for name in arch.layer_names):
        load_kernels(dtype)
    arrays = [a for p in params.values() for a in p.values() if not is_gpu_array(a)]
    owners = [a.base for a in arrays if isinstance(a.base, np.ndarray)]
    arrays = list({id(a): a for a in owners + arrays}.values())    # owners first: restored first
    writable = [a.flags.writeable for a in arrays]
    for a in arrays:
        a.flags.writeable = False
    kept.open = True
    try:
        yield
    finally:
        for a, w in zip(arrays, writable):
            a.flags.writeable = w
        kept.open, kept.work = False, {}


def memo(kept, name, w):
    """The dict in which layer ``name`` may keep work on its weights ``w`` between passes, or None
    outside a frozen() block. A new dict if its weights were replaced by another array."""
    if not kept.open or is_gpu_array(w) or w.flags.writeable:      # not frozen by frozen(): may still change
        return None
    held = kept.work.get(name)
    if held is None or held[0] is not w:
        held = kept.work[name] = (w, {})
    return held[1]
