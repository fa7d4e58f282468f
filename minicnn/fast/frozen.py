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


@contextlib.contextmanager
def frozen(net):
    """The context manager behind Net.frozen(); blocks nest, and a net resized() in the block
    shares its kept work (Net.resized)."""
    if net._frozen is not None:
        yield net
        return
    on_gpu = any(is_gpu_array(a) for p in net.params.values() for a in p.values())
    if backend.fast() and not on_gpu and any(engine.twin(net.arch, name, 1) for name in net.layer_names):
        load_kernels(net.dtype)
    params = [a for p in net.params.values() for a in p.values() if not is_gpu_array(a)]
    owners = [a.base for a in params if isinstance(a.base, np.ndarray)]
    arrays = list({id(a): a for a in owners + params}.values())    # owners first: restored first
    writable = [a.flags.writeable for a in arrays]
    for a in arrays:
        a.flags.writeable = False
    net._frozen = {}                     # {layer: (its W, the dict it keeps work in)}
    try:
        yield net
    finally:
        for a, w in zip(arrays, writable):
            a.flags.writeable = w
        net._frozen = None


def memo(net, name):
    """The dict in which layer ``name`` may keep work on its weights between passes, or None
    outside a frozen() block. A new dict if its weights were replaced by another array."""
    if net._frozen is None or "W" not in net.params.get(name, {}):
        return None
    w = net.params[name]["W"]
    if is_gpu_array(w) or w.flags.writeable:       # not frozen by frozen(): may still change
        return None
    held = net._frozen.get(name)
    if held is None or held[0] is not w:
        held = net._frozen[name] = (w, {})
    return held[1]
