"""How much memory a forward and backward pass will need, worked out from the architecture alone.

A pass to layer ``end`` keeps every output it computes (``net.outputs``), or with ``keep`` only
those and the ones a layer's backward reads, and what each layer's backward needs besides (a
readable ReLU keeps a mask of one byte per value, the Numba max pool its winners' indices, a
Winograd convolution on few tiles its transformed filters); on top of that, each layer
briefly needs working space: the im2col columns of a convolution (C*kh*kw values per output
position) or Winograd's blocks of tiles, the windows of a pooling layer, and on the way back the
gradients in flight and col2im's columns. The estimate follows the path each layer will take
(backend.use_fast). The peak is the largest sum over the pass. Image optimization (DeepDream,
inversion, style transfer) also keeps a few float64 copies of the image.

    need = estimate(net.arch, end="conv5_1")          # bytes, for batch 1, float32
    check_fits(net, end, size=(512, 512))             # refuses, naming a size that would fit
"""
import os

import numpy as np

from . import backend
from .architecture import INPUT
from .errors import ArgumentError, MinicnnError
from .fast import conv_winograd, engine
from .fast.winograd import cpu as winograd_cpu

IMAGE_COPIES = 8          # float64 copies of the image an optimizer keeps (image, gradient, moments, ...)


def _size(shape, batch):
    return batch * int(np.prod(shape))


def _on_fast_engine():
    """Whether a pass will take the fast engine (fast/engine.py): the fast paths on, on the CPU."""
    return backend.fast() and backend.device() == "cpu"


def _fast(arch, name, batch):
    """The twin layer ``name`` will take: "winograd", "numba" or None (fast/engine.py)."""
    return engine.twin(arch, name, batch) if _on_fast_engine() else None


def _winograd_space(C, K, shape, batch, item):
    """Bytes of one Winograd pass's blocks of transformed tiles V and products M (winograd/cpu.py),
    making outputs of ``shape`` with 2x2 tiles."""
    th, tw = -(-shape[1] // 2), -(-shape[2] // 2)
    return winograd_cpu.workspace(batch * th, tw, C, K, item)


def _holders(arch, name, readers, batch):
    """The layers whose caches keep the output of ``name`` in memory after the Net lets it go
    (Net.forward's keep): its own (a Numba ReLU, softmax, the readable max pool), and readers
    that keep it as their input (a convolution or linear layer for the weight gradient, the
    readable max pool for its comparisons). Empty: it is freed."""
    kind, path = arch.layers[name]["type"], _fast(arch, name, batch)
    own = {name} if (kind == "relu" and path) or kind == "softmax" or (kind == "maxpool" and not path) else set()
    return own | {r for r in readers if arch.layers[r]["type"] in ("conv", "linear")
                  or (arch.layers[r]["type"] == "maxpool" and not _fast(arch, r, batch))}


def _kept(arch, name, batch, item):
    """Bytes a layer's cache keeps beyond the outputs: ReLU masks, pooling winners, Winograd filters."""
    spec, n = arch.layers[name], _size(arch.shapes[name], batch)
    path = _fast(arch, name, batch)
    if spec["type"] == "relu":
        return 0 if path else n                                      # its own output, or a one-byte mask
    if spec["type"] == "maxpool" and path:
        return 4 * n                                                 # the winners' int32 indices
    return _filters_kept(arch, name, batch, item)


def _filters_kept(arch, name, batch, item):
    """Bytes of the transformed filters U (16, K, C) a Winograd layer keeps for its backward
    (conv_winograd.keeps_filters), and in a frozen net (Net.frozen) from one pass to the next."""
    spec = arch.layers[name]
    if _fast(arch, name, batch) == "winograd" and \
            conv_winograd.keeps_filters((batch,) + arch.shapes[spec["inputs"][0]], spec["pad"]):
        return 16 * arch.shapes[name][0] * arch.shapes[spec["inputs"][0]][0] * item
    return 0


def _working_space(arch, name, batch, item, backward, overwrite=False, frozen=False):
    """Bytes layer ``name`` needs briefly, beyond its output: forward, or backward when asked.
    overwrite: a Numba ReLU writes its result over its input (forward: as the fast engine's plan
    says, engine.plan; backward: over any gradient but the one a pass starts from, which costs
    one more array: Net.backward's copy of it); frozen: in a Net.frozen block, where kept
    filters are made once, before (estimate counts them)."""
    spec, shape = arch.layers[name], arch.shapes[name]
    in_shape = arch.shapes[spec["inputs"][0]]
    out, inp = _size(shape, batch) * item, _size(in_shape, batch) * item
    kind, path = spec["type"], _fast(arch, name, batch)
    if path == "winograd":
        space = _winograd_space(in_shape[0], shape[0], shape if not backward else in_shape, batch, item)
        U = 16 * shape[0] * in_shape[0] * item                    # the transformed filters
        kept = _filters_kept(arch, name, batch, item)
        remade = 0 if kept else U                                 # in the backward, unless kept
        made = 0 if frozen and kept else U                        # in the forward, unless frozen and kept
        return space + inp + remade if backward else space + made + out
    if path == "numba" and kind == "relu":
        return 0 if overwrite else out
    if path == "numba":
        return inp if backward else out + _kept(arch, name, batch, item)
    if kind == "conv":
        k = spec["kernel"] if isinstance(spec["kernel"], tuple) else (spec["kernel"],) * 2
        if k == (1, 1) and spec["stride"] == 1 and spec["pad"] == 0:
            return inp if backward else 0                       # no im2col; backward's dx is its columns
        cols = in_shape[0] * k[0] * k[1] * shape[1] * shape[2] * batch * item
        return cols + inp if backward else cols                 # columns (dcols), then col2im's dx
    if kind in ("maxpool", "avgpool") and spec["size"] is not None:
        k = spec["size"] if isinstance(spec["size"], tuple) else (spec["size"],) * 2
        windows = k[0] * k[1] * out
        return 2 * windows + inp + out if backward else windows + out
    if kind in ("relu", "softmax", "linear", "avgpool"):
        return out + inp if backward else out
    return inp if backward else 0


def estimate(arch, end=None, batch=1, dtype=np.float32, backward=True, image_copies=IMAGE_COPIES, layer_copies=None,
             keep=None, once=False, frozen=False):
    """Peak bytes of a forward pass to ``end`` (default: the last layer) and, with backward=True,
    the backward pass from it to the image, for ``batch`` images: an Architecture's activations,
    caches and working space, plus ``image_copies`` float64 copies of the input and
    ``layer_copies`` = {layer: n}, n float64 copies of a layer's output (targets, features and
    their gradients that an objective keeps). keep: as Net.forward's (None: every output);
    once: as Net.backward's (each cache let go once the backward is through its layer);
    frozen: in a Net.frozen block (the transformed filters layers keep stay from the start)."""
    item = np.dtype(dtype).itemsize
    end = arch.layer_names[-1] if end is None else arch.check_layer(end, "memory")
    needed, drop = arch.pass_plan(end, keep)
    overwrite = engine.plan(arch, end, keep, batch).overwrite if _on_fast_engine() else frozenset()
    live = {INPUT: _size(arch.shapes[INPUT], batch) * item}             # outputs in memory, bytes
    held_by = {}                       # outputs the Net let go of that caches still hold: {output: holders}
    def in_cache(name):
        """What the cache of ``name`` keeps besides outputs; in a frozen net the kept filters are
        there from the start and stay, so they are counted once, apart (cached starts with them)."""
        return _kept(arch, name, batch, item) - (_filters_kept(arch, name, batch, item) if frozen else 0)
    cached = sum(_filters_kept(arch, name, batch, item) for name in needed) if frozen else 0
    peak = 0
    for name in needed:
        over = name in overwrite
        peak = max(peak, sum(live.values()) + cached + _working_space(arch, name, batch, item, False, over, frozen))
        if over:
            live[name] = live.pop(arch.layers[name]["inputs"][0])
        else:
            live[name] = _size(arch.shapes[name], batch) * item
        cached += in_cache(name)
        peak = max(peak, sum(live.values()) + cached)
        for gone in drop.get(name, ()):
            if gone not in live or gone == INPUT:
                continue
            holders = _holders(arch, gone, [n for n in needed if gone in arch.layers[n]["inputs"]], batch)
            if holders:
                held_by[gone] = holders
            else:
                del live[gone]
    kept = sum(live.values()) + cached
    if backward:
        for name in reversed(needed):
            grads = _size(arch.shapes[name], batch) * item              # the gradient arriving
            peak = max(peak, kept + grads + _working_space(arch, name, batch, item, True, overwrite=name != end))
            if once:                                                    # its cache goes, and what only it held
                kept -= in_cache(name)
                for out, holders in list(held_by.items()):
                    holders.discard(name)
                    if not holders:
                        kept -= live.pop(out)
                        del held_by[out]
    kept_by_objective = sum(n * _size(arch.shapes[layer], batch) * 8 for layer, n in (layer_copies or {}).items())
    return peak + image_copies * _size(arch.shapes[INPUT], batch) * 8 + kept_by_objective


def free_memory():
    """Bytes the current device can still allocate: the GPU's free memory and what CuPy's
    memory pool holds unused, or the CPU's available memory (MemAvailable)."""
    if backend.device() == "gpu":
        cupy = backend.array_module()
        free, _ = cupy.cuda.runtime.memGetInfo()
        return int(free) + int(cupy.get_default_memory_pool().free_bytes())    # CuPy's pool hands those out too
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_AVPHYS_PAGES")


def check_fits(net, end, size, what, image_copies=IMAGE_COPIES, layer_copies=None, free=None, keep=None,
               once=False):
    """Refuse to run ``what`` at image size (H, W) when a pass to ``end`` (keeping ``keep``, as
    Net.forward, and back with ``once``, as Net.backward) would not fit in free memory, naming
    the largest size (same shape) that would. Returns the estimate in bytes."""
    free = free_memory() if free is None else free

    def need_at(hw):
        return estimate(net.arch.upto(end, hw, "memory"), end, dtype=net.dtype, image_copies=image_copies,
                        layer_copies=layer_copies, keep=keep, once=once, frozen=net.is_frozen)
    need = need_at(size)
    if need > free:
        raise ArgumentError(f"{what} at {size[0]}x{size[1]} would need {_mib(need)}, and {_mib(free)} are free; "
                            + _largest_fit(size, free, need, need_at))
    return need


def check_batch_fits(net, end, batch, what, keep=None, free=None):
    """Refuse forward passes of ``batch`` images to ``end`` (keeping ``keep``, as Net.forward)
    that would not fit in free memory, naming the largest batch that would. Returns the
    estimate in bytes."""
    free = free_memory() if free is None else free

    def need_for(n):
        return estimate(net.arch, end, batch=n, dtype=net.dtype, backward=False, image_copies=0, keep=keep)
    need = need_for(batch)
    if need > free:
        fits = [n for n in range(batch - 1, 0, -1) if need_for(n) <= free][:1]
        raise ArgumentError(f"{what} in batches of {batch} would need {_mib(need)}, and {_mib(free)} are free; "
                            + (f"batches of {fits[0]} would fit" if fits else "not even one image at a time would fit"))
    return need


def _largest_fit(size, free, need, need_at):
    """What to say about smaller sizes: the largest (same shape) that fits, or that none does."""
    scale = (free / need) ** 0.5
    while scale > 0.001:
        fit = tuple(max(1, int(s * scale)) for s in size)
        try:
            if need_at(fit) <= free:
                return f"{fit[0]}x{fit[1]} would fit"
        except MinicnnError:                       # too small for the network: smaller will not do
            break
        scale *= 0.95
    return "no size the network can take would fit"


def _mib(n):
    return f"{n / 2**20:,.1f} MiB" if n < 10 * 2**20 else f"{n / 2**20:,.0f} MiB"

