"""Maximally activating patches (Girshick et al. 2014, "top regions for pool5 units"): for each
unit of a layer, the image regions that excite it most in a whole set of images.

The images stream through the network in batches. For every image and every unit the strongest
position counts once (a hit: its value, the image, the position (c, y, x) and the exact input
window the unit sees, from the architecture's receptive field). Memory stays bounded: each unit
keeps only its k best hits, in a heap. The work is a map (a chunk of images -> the k best hits
per unit in it) and a reduce (merge those lists), so chunks can go to several processes on
one machine (``workers``) or to a Dask cluster (``scheduler``), and the answer is the same.

Each hit can also be seen through guided backpropagation (Springenberg et al. 2015): the
gradient of that unit at that position, cropped to the same window.
"""
import contextlib
import heapq
import signal
import threading
from dataclasses import dataclass, replace

import numpy as np

from ..backend import to_device, to_numpy
from ..errors import ArgumentError
from ..memory import check_batch_fits
from ..progress import progress_bar
from ..settings import option, plain_int
from . import technique
from .image_set import image_list, load
from .targets import unit_gradient

@dataclass(frozen=True)
class Hit:
    """One unit's strongest response in one image."""
    value: float
    image: int                 # index into the image list
    y: int
    x: int

    def rank(self):
        """Larger is better; a tie goes to the earlier image (then position), in every process."""
        return (self.value, -self.image, -self.y, -self.x)


@dataclass(frozen=True)
class Settings(technique.Settings):
    images: str = option(None, "a folder of images, or image files comma-separated (default: the images stored "
                               "with the model)", kind="str")
    layer: str = option(None, "the layer (default: the last one with a spatial map, pool5 in VGG)", kind="str")
    units: str = option(None, "channels, comma-separated (default: the first 8)", kind="str")
    k: int = option(9, "patches per unit", ge=1, le=100)
    batch: int = option(16, "images per forward pass", ge=1, le=1024)
    workers: int = option(1, "processes on this machine to spread the images over", ge=1, le=64)
    scheduler: str = option(None, "address of a Dask scheduler to spread the images over (the dask extra)",
                            kind="str")
    crops: int = option(0, "use this many random crops of each image instead of the image (a few photos "
                           "become many inputs)", ge=0, le=10_000)
    seed: int = option(0, "seed for the crops", ge=0, le=2**32 - 1)
    guided: bool = option(False, "also show each patch through guided backpropagation")

    def check(self):
        units = [] if self.units is None else [plain_int(u) for u in self.units.split(",")]
        if None in units or any(u < 0 for u in units):
            raise ArgumentError(f"top patches: units must be channel numbers, comma-separated, got {self.units!r}")


@dataclass(frozen=True, kw_only=True)
class TopPatches(technique.Result):
    patches: np.ndarray        # (units, k, h, w, 3) uint8: each hit's window (grey where it leaves the image)
    guided: np.ndarray         # the same windows of the guided-backprop images, or empty
    layer: str
    units: list
    hits: list                 # per unit, its k best: {"value", "image", "position": [c, y, x], "box": [t, l, b, r]}
    images_seen: int

    def summary(self):
        best = ", ".join(f"#{u} {h[0]['value']:.3g}" for u, h in zip(self.units, self.hits) if h)
        return f"{self.layer}: the {self.settings.k} strongest patches of {len(self.units)} units in " \
               f"{self.images_seen} images (best: {best})"


# ---- the images ------------------------------------------------------------------------------

def default_layer(net):
    """The last pooling or concatenation whose output is a map larger than 1x1 (VGG's pool5,
    SqueezeNet's fire9/concat), else the last such map of any kind."""
    maps = [n for n in net.layer_names if len(net.shapes[n]) == 3 and net.shapes[n][1] * net.shapes[n][2] > 1]
    if not maps:
        raise ArgumentError("top patches: this model has no layer with a spatial map")
    return ([n for n in maps if net.layers[n]["type"] in ("maxpool", "concat")] or maps)[-1]


# ---- map and reduce -----------------------------------------------------------------------------

def map_chunk(net, images, indices, layer, units, k, batch=16):
    """The k best hits per unit among images[indices]: {unit: [Hit, ...]}."""
    heaps = {u: [] for u in units}                          # per unit, a min-heap of (rank, hit) of size k
    for start in range(0, len(indices), batch):
        chunk = indices[start:start + batch]
        x = np.concatenate([load(net, images[i]) for i in chunk])
        acts = to_numpy(net.forward(to_device(x, net.dtype), end=layer, keep=()))
        W = acts.shape[3]
        for u in units:
            flat = acts[:, u].reshape(len(chunk), -1)
            where = flat.argmax(axis=1)
            for i, pos, value in zip(chunk, where, flat[np.arange(len(chunk)), where]):
                hit = Hit(float(value), int(i), int(pos // W), int(pos % W))
                if len(heaps[u]) < k:
                    heapq.heappush(heaps[u], (hit.rank(), hit))
                elif hit.rank() > heaps[u][0][0]:
                    heapq.heapreplace(heaps[u], (hit.rank(), hit))
    return {u: [hit for _, hit in heap] for u, heap in heaps.items()}


def reduce_hits(parts, k):
    """Merge map results: {unit: the k best hits, best first}."""
    units = parts[0].keys() if parts else []
    return {u: heapq.nlargest(k, (h for part in parts for h in part[u]), key=Hit.rank) for u in units}


def _chunks(n, size):
    return [list(range(s, min(s + size, n))) for s in range(0, n, size)]


_worker_net = None


def _init_worker(net):
    global _worker_net
    _worker_net = net


def _work(args):
    images, indices, layer, units, k, batch = args
    return map_chunk(_worker_net, images, indices, layer, units, k, batch)


def _dask_work(net, images, indices, layer, units, k, batch):
    return map_chunk(net, images, indices, layer, units, k, batch)


def find(net, images, layer, units, k=9, batch=16, workers=1, scheduler=None, progress=False):
    """{unit: the k best hits, best first} over all the images, by map and reduce."""
    check_batch_fits(net, layer, batch, "top patches", keep=())
    chunks = _chunks(len(images), 4 * batch)            # any chunks give the same answer (reduce_hits)
    parts = []
    with progress_bar(desc="top patches", progress=progress, total=len(images), unit="images") as bar:
        if scheduler:
            for part, c in zip(_on_dask(scheduler, net, images, chunks, layer, units, k, batch), chunks):
                parts.append(_shift(part, c[0]))
                bar.update(len(c))
        elif workers > 1:
            import multiprocessing
            context = multiprocessing.get_context("spawn")      # fork would copy the numeric libraries' threads
            with _ctrl_c_for_the_parent_only():
                pool = context.Pool(workers, initializer=_init_worker, initargs=(net,))
            with pool:
                tasks = [([images[i] for i in c], list(range(len(c))), layer, units, k, batch) for c in chunks]
                for part, c in zip(pool.imap(_work, tasks), chunks):
                    parts.append(_shift(part, c[0]))
                    bar.update(len(c))
        else:
            for c in chunks:
                parts.append(map_chunk(net, images, c, layer, units, k, batch))
                bar.update(len(c))
    return reduce_hits(parts, k)


def _on_dask(scheduler, net, images, chunks, layer, units, k, batch):
    """The map step's results, chunk by chunk, from the workers of a Dask cluster."""
    try:
        from distributed import Client
    except ImportError:
        raise ArgumentError("--scheduler needs Dask: pip install -e \".[dask]\"") from None
    try:
        client = Client(scheduler, timeout=20)
    except (OSError, TimeoutError, ValueError) as e:
        raise ArgumentError(f"cannot reach the Dask scheduler at {scheduler}: {e}") from None
    with client:
        shared = client.scatter(net, broadcast=True)
        futures = [client.submit(_dask_work, shared, [images[i] for i in c], list(range(len(c))), layer, units,
                                 k, batch, pure=False) for c in chunks]
        yield from (f.result() for f in futures)


@contextlib.contextmanager
def _ctrl_c_for_the_parent_only():
    """Start worker processes with Ctrl-C ignored (they inherit it): a terminal sends it to every
    process of the command, and only the parent should answer, with its one line."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def _shift(part, offset):
    """Hits from a chunk numbered from 0 renumbered to the whole list."""
    return {u: [replace(h, image=h.image + offset) for h in hits] for u, hits in part.items()}


# ---- the patches ----------------------------------------------------------------------------------

def cut(rgb, box, fill=128):
    """The (h, w, 3) window ``box`` of an image, grey where the window leaves the image."""
    top, left, bottom, right = box
    out = np.full((bottom - top, right - left, 3), fill, np.uint8)
    H, W = rgb.shape[:2]
    t, l, b, r = max(top, 0), max(left, 0), min(bottom, H), min(right, W)
    if b > t and r > l:
        out[t - top:b - top, l - left:r - left] = rgb[t:b, l:r]
    return out


def top_patches(net, images, layer=None, units=None, k=9, batch=16, workers=1, scheduler=None, guided=False,
                crops=0, seed=0, progress=False):
    """The k patches of ``images`` (paths or (N, C, H, W) input-space arrays) that excite each unit
    of ``layer`` most. Returns a TopPatches result."""
    from ..display import signed_to_rgb, robust_scale
    layer = default_layer(net) if layer is None else net.arch.check_layer(layer, "top patches")
    if len(net.shapes[layer]) != 3:
        raise ArgumentError(f"top patches: {layer!r} outputs a vector; choose a layer with maps")
    C = net.shapes[layer][0]
    units = list(range(min(8, C))) if units is None else [net.arch.check_unit(layer, u, "top patches")
                                                          for u in units]
    twice = sorted({u for u in units if units.count(u) > 1})
    if twice:
        raise ArgumentError(f"top patches: unit{'s' * (len(twice) > 1)} {', '.join(map(str, twice))} given twice")
    images = image_list(net, images, crops, seed)
    hits = find(net, images, layer, units, k, batch, workers, scheduler, progress)
    size = net.receptive_field(layer).size
    patches = np.full((len(units), k, size[0], size[1], 3), 255, np.uint8)
    views = np.full_like(patches, 255) if guided else np.zeros((0,), np.uint8)
    records = []
    for i, u in enumerate(units):
        records.append([])
        for j, hit in enumerate(hits[u]):
            box = net.receptive_field(layer).window(hit.y, hit.x)       # bottom/right exclusive
            x = load(net, images[hit.image])
            patches[i, j] = cut(net.space.deprocess(x), box)
            if guided:
                net.forward(to_device(x, net.dtype), end=layer)
                d, _ = unit_gradient(net.outputs[layer], (u, hit.y, hit.x))
                with net.relu_mode("guided"):
                    g = to_numpy(net.backward(d))
                views[i, j] = cut(signed_to_rgb(g, net.space, scale=robust_scale(g)), box)
            H, W = x.shape[2:]
            records[-1].append({"value": hit.value, "image": images[hit.image] if isinstance(images[hit.image], str)
                                else hit.image, "position": [u, hit.y, hit.x],
                                "box": [max(box[0], 0), max(box[1], 0), min(box[2], H), min(box[3], W)]})
    return TopPatches(settings=Settings(k=k, batch=batch, workers=workers, crops=crops, seed=seed, guided=guided),
                      patches=patches,
                      guided=views, layer=layer, units=units, hits=records, images_seen=len(images))


def run(net, x, settings):
    units = None if settings.units is None else [plain_int(u) for u in settings.units.split(",")]
    r = top_patches(net, settings.images, settings.layer, units, settings.k, settings.batch, settings.workers,
                    settings.scheduler, settings.guided, settings.crops, settings.seed, progress=None)
    return replace(r, settings=settings)
