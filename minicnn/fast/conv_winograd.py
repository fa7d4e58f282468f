"""The convolutional layer of layers/conv.py, computed with Winograd F(2x2, 3x3) where it applies.

Same arguments, same meaning, same numbers up to float rounding as conv.conv_forward and
conv.conv_backward (read those first; fast/winograd/reference.py explains the algorithm).
The fast engine takes it for 3x3, stride-1 layers with padding 0..2 and at least MIN_CHANNELS
input channels where ``pays`` says so (engine.py).
"""
import numpy as np

from .. import checks, im2col
from ..backend import get_array_module, is_gpu_array
from ..errors import ShapeError
from ..layers.conv import check_inputs, conv_output_size
from . import winograd


# When Winograd pays (docs/speed.md): with fewer input channels the transforms outweigh the
# products saved; on small layers the fixed cost of its kernels and threads outweighs everything,
# e.g. every layer of the digits model at batch 1.
MIN_CHANNELS = 16
MIN_TILES = 49               # 2x2 output tiles over the batch: a 14x14 map at batch 1
MIN_WORK = 10_000_000        # N * F * C * Ho * Wo, the multiply-adds of im2col + GEMM over 9
# The backward reuses the forward's transformed filters U (16, F, C) when they are cheap to keep:
# remaking them costs as much as a product over a few tiles, so over many tiles it is a small
# part of the backward, while U would take 16/9 of the filters' memory for the whole pass.
KEEP_FILTERS_BELOW = 256     # 2x2 output tiles over the batch


def pays(x_shape, w_shape, stride, pad):
    """Whether a layer with input (N, C, H, W) and filters (F, C, kh, kw) (stride, pad: ints or
    pairs) is worth computing with Winograd (engine.twin asks)."""
    kernel, stride = tuple(w_shape[2:]), checks.pair("conv", "stride", stride, 1)
    pad = checks.pair("conv", "pad", pad, 0)
    if x_shape[1] < MIN_CHANNELS or not winograd.supports(kernel, stride, pad):
        return False
    (Ho, Wo), (th, tw) = winograd.reference.tile_grid(x_shape[2], x_shape[3], pad)
    return x_shape[0] * th * tw >= MIN_TILES and x_shape[0] * w_shape[0] * x_shape[1] * Ho * Wo >= MIN_WORK


def conv_forward(x, w, b, stride=1, pad=0, memo=None, rectify=False):
    """As conv.conv_forward, for 3x3 filters and stride 1. Returns out (N, F, Ho, Wo) and
    cache = (x, w, stride, pad, U), U (16, F, C) the transformed filters for the backward to reuse,
    or None when it should make them again (KEEP_FILTERS_BELOW).
    memo: a dict in which to keep U for the next call too, when w cannot change until then
    (frozen.memo gives each layer one), or None. rectify: return max(out, 0) instead, the ReLU
    done in the same pass (the engine asks when a ReLU alone reads the output)."""
    stride, pad, _ = check_inputs("conv_forward", x, w, b, stride, pad)
    if is_gpu_array(x) or not winograd.supports(w.shape[2:], stride, pad):
        raise ShapeError(f"conv_forward (Winograd): needs 3x3 filters, stride 1 and pad 0..2 on a NumPy array, "
                         f"got filters {w.shape[2:]}, stride {stride}, pad {pad}, a {type(x).__module__} array")
    dtype = np.result_type(x, w, b)                    # as conv.py's products would promote
    x, w, b = (a.astype(dtype, copy=False) for a in (x, w, b))
    keep = keeps_filters(x.shape, pad)
    U = memo.get(dtype) if memo is not None and keep else None
    if U is None:
        U = winograd.transform_filters(w)
        if memo is not None and keep:
            memo[dtype] = U
    out = winograd.conv_forward(x, U, b, pad, rectify)
    return out, (x, w, stride, pad, U if keep else None)


def keeps_filters(x_shape, pad):
    """Whether the cache of a layer with input (N, C, H, W) keeps U (memory.py asks too): over
    few tiles, where remaking it would cost most."""
    _, (th, tw) = winograd.reference.tile_grid(x_shape[2], x_shape[3], checks.pair("conv", "pad", pad, 0))
    return x_shape[0] * th * tw < KEEP_FILTERS_BELOW


def conv_backward(dout, cache, params=True):
    """As conv.conv_backward: returns (dx, dw, db), or (dx, None, None) with params=False.
    dx is Winograd again; dw and db (only training needs them) take the im2col route."""
    x, w, stride, pad, U = cache
    N, C, H, W = x.shape
    F = w.shape[0]
    Ho, Wo = conv_output_size(H, W, 3, 3, stride, pad)
    checks.same_shape("conv_backward", "dout", dout, (N, F, Ho, Wo))
    R = winograd.rotated(U) if U is not None else winograd.transform_filters(w, rotated=True)
    dx = winograd.conv_backward_input(dout, R, pad)
    if not params:
        return dx, None, None
    # Written out again rather than shared with conv.py: its conv_backward is an assignment's
    # exercise, and a helper there would hand the student the weight gradient.
    xp = get_array_module(dout)
    d = dout.reshape(N, F, Ho * Wo)
    cols = im2col.im2col(x, 3, 3, stride, pad, (Ho, Wo))
    dw = xp.matmul(d, cols.transpose(0, 2, 1)).sum(axis=0).reshape(w.shape)
    return dx, dw, d.sum(axis=(0, 2))
