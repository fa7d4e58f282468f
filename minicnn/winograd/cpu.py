"""Winograd F(2x2, 3x3) on the CPU: three Numba transforms around 16 BLAS matrix products.

Same numbers as reference.py (read that first); here the work is organised for speed:

* The tiles are processed a block of tile rows at a time, so the transformed tiles V and the
  products M stay within BLOCK_BYTES each however large the batch (im2col's columns for VGG16's
  conv1_2 at batch 8 would be 882 MiB), and are reused from block to block.
* The input transform applies B^T down the 4 input rows of a tile row once, across the whole
  width (contiguous, vectorised), then B along each tile's 4 columns.
* The output transform adds the bias while writing each 2x2 block.
* The 16 products are independent and thin (64 channels: a 64x64 by 64xT product): BLAS splits
  each one across the cores poorly, so they run side by side instead, one per core at a time,
  each on a single BLAS thread (measured on 2 cores: the convolutions of a VGG16 step 15 % faster).
* With at most 64 channels in and out (VGG's first block) the products are so thin that moving V
  and M through memory costs more than computing them. There each core takes whole blocks of
  tile rows through both transforms and all 16 products on its own (``_by_blocks``), and a
  block's V and M are still in its caches when the next stage reads them (VGG16's conv1_2: 19 to
  16 ms at batch 1, 166 to 123 ms at batch 8).
* The backward pass reuses the forward's transformed filters (or transforms them again, see
  layers/conv_winograd.py's KEEP_FILTERS_BELOW): rotating a 3x3 filter by 180
  degrees only swaps rows 0 and 3 of G g G^T and columns 0 and 3 (G J = P G, with J the
  reversal and P that swap), so U_back[a, b] = U[p(a), p(b)]^T, where p swaps 0 and 3.
"""
import os
from concurrent.futures import ThreadPoolExecutor

import numpy as np
from numba import njit, prange

from .. import _buffers
from .reference import tile_grid

CORES = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
BLOCK_BYTES = 16 << 20     # target size of one block of V (and of M); 16 MiB measured best on VGG16
BY_BLOCKS_MAX_CHANNELS = 64   # layers with at most this many channels in and out: one block per core
CORE_BLOCK_BYTES = 4 << 20    # the size of such a block's V (and M); 1 to 4 MiB measured about equal
SWAP_0_3 = (3, 1, 2, 0)    # p: position a of a rotated filter's transform is position p(a) of the original's


@njit(parallel=True, cache=True, nogil=True)
def _filters(w, half, U):
    """w (K, C, 3, 3) -> U (16, K, C) = G g G^T for each filter g; half is 0.5 in U's dtype."""
    K, C = w.shape[0], w.shape[1]
    for k in prange(K):
        for c in range(C):
            for i in range(4):                      # row i of G g: a combination of g's rows
                if i == 0:
                    g0, g1, g2 = w[k, c, 0, 0], w[k, c, 0, 1], w[k, c, 0, 2]
                elif i == 1:
                    g0 = half * (w[k, c, 0, 0] + w[k, c, 1, 0] + w[k, c, 2, 0])
                    g1 = half * (w[k, c, 0, 1] + w[k, c, 1, 1] + w[k, c, 2, 1])
                    g2 = half * (w[k, c, 0, 2] + w[k, c, 1, 2] + w[k, c, 2, 2])
                elif i == 2:
                    g0 = half * (w[k, c, 0, 0] - w[k, c, 1, 0] + w[k, c, 2, 0])
                    g1 = half * (w[k, c, 0, 1] - w[k, c, 1, 1] + w[k, c, 2, 1])
                    g2 = half * (w[k, c, 0, 2] - w[k, c, 1, 2] + w[k, c, 2, 2])
                else:
                    g0, g1, g2 = w[k, c, 2, 0], w[k, c, 2, 1], w[k, c, 2, 2]
                U[4 * i + 0, k, c] = g0             # ... times G^T on the right
                U[4 * i + 1, k, c] = half * (g0 + g1 + g2)
                U[4 * i + 2, k, c] = half * (g0 - g1 + g2)
                U[4 * i + 3, k, c] = g2


@njit(cache=True, nogil=True, inline="always")
def _input_tile_row(x, ph, pw, th, tw, row0, nrows, task, V):
    """One task of the input transform: channel c of tile row r (task = c * nrows + r)."""
    N, C, H, W = x.shape
    Wb = 2 * tw + 2                                  # padded width the tiles of one row cover
    c, r = task // nrows, task % nrows
    n, ty = (row0 + r) // th, (row0 + r) % th
    rows = np.zeros((4, Wb), x.dtype)
    for i in range(4):                               # the 4 input rows under this tile row
        h = 2 * ty - ph + i
        if 0 <= h < H:
            for w in range(W):
                rows[i, w + pw] = x[n, c, h, w]
    for j in range(Wb):                              # B^T d: along the columns, whole width at once
        d0, d1, d2, d3 = rows[0, j], rows[1, j], rows[2, j], rows[3, j]
        rows[0, j], rows[1, j], rows[2, j], rows[3, j] = d0 - d2, d1 + d2, d2 - d1, d1 - d3
    t0 = r * tw
    for i in range(4):                               # (B^T d) B: per tile, along its 4 columns
        for tx in range(tw):
            d0, d1, d2, d3 = rows[i, 2 * tx], rows[i, 2 * tx + 1], rows[i, 2 * tx + 2], rows[i, 2 * tx + 3]
            V[4 * i + 0, c, t0 + tx] = d0 - d2
            V[4 * i + 1, c, t0 + tx] = d1 + d2
            V[4 * i + 2, c, t0 + tx] = d2 - d1
            V[4 * i + 3, c, t0 + tx] = d1 - d3


@njit(cache=True, nogil=True, inline="always")
def _output_tile_row(M, b, th, tw, row0, nrows, task, out):
    """One task of the output transform: filter k of tile row r (task = k * nrows + r)."""
    K, Ho, Wo = out.shape[1], out.shape[2], out.shape[3]
    k, r = task // nrows, task % nrows
    n, ty = (row0 + r) // th, (row0 + r) % th
    oh, bk = 2 * ty, b[k]
    for tx in range(tw):
        t = r * tw + tx
        # A^T m: row 0 = m0 + m1 + m2, row 1 = m1 - m2 - m3 (rows of the 4x4 m)
        s0 = M[0, k, t] + M[4, k, t] + M[8, k, t]
        s1 = M[1, k, t] + M[5, k, t] + M[9, k, t]
        s2 = M[2, k, t] + M[6, k, t] + M[10, k, t]
        s3 = M[3, k, t] + M[7, k, t] + M[11, k, t]
        d0 = M[4, k, t] - M[8, k, t] - M[12, k, t]
        d1 = M[5, k, t] - M[9, k, t] - M[13, k, t]
        d2 = M[6, k, t] - M[10, k, t] - M[14, k, t]
        d3 = M[7, k, t] - M[11, k, t] - M[15, k, t]
        ow = 2 * tx                                  # ... times A: the same along the columns
        out[n, k, oh, ow] = s0 + s1 + s2 + bk
        if ow + 1 < Wo:
            out[n, k, oh, ow + 1] = s1 - s2 - s3 + bk
        if oh + 1 < Ho:
            out[n, k, oh + 1, ow] = d0 + d1 + d2 + bk
            if ow + 1 < Wo:
                out[n, k, oh + 1, ow + 1] = d1 - d2 - d3 + bk


# Each transform twice: spread over the cores (prange), and on one core for _by_blocks, whose
# cores each run their own block. Separate functions, so that Numba's cache keeps both.
@njit(parallel=True, cache=True, nogil=True)
def _input_tiles(x, ph, pw, th, tw, row0, nrows, V):
    """Tile rows row0 .. row0+nrows-1 (counted over (n, ty)) of x -> V[:, :, :nrows*tw] (V: 16, C, >= nrows*tw)."""
    for task in prange(x.shape[1] * nrows):
        _input_tile_row(x, ph, pw, th, tw, row0, nrows, task, V)


@njit(cache=True, nogil=True)
def _input_tiles_one_core(x, ph, pw, th, tw, row0, nrows, V):
    """As _input_tiles, on the calling thread only."""
    for task in range(x.shape[1] * nrows):
        _input_tile_row(x, ph, pw, th, tw, row0, nrows, task, V)


@njit(parallel=True, cache=True, nogil=True)
def _output_tiles(M, b, th, tw, row0, nrows, out):
    """M[:, :, :nrows*tw] -> the 2x2 blocks A^T m A + b of tile rows row0 .. row0+nrows-1 of out (N, K, Ho, Wo)."""
    for task in prange(out.shape[1] * nrows):
        _output_tile_row(M, b, th, tw, row0, nrows, task, out)


@njit(cache=True, nogil=True)
def _output_tiles_one_core(M, b, th, tw, row0, nrows, out):
    """As _output_tiles, on the calling thread only."""
    for task in range(out.shape[1] * nrows):
        _output_tile_row(M, b, th, tw, row0, nrows, task, out)


def transform_filters(w):
    """w (K, C, 3, 3) -> U (16, K, C); see reference.transform_filters."""
    U = np.empty((16,) + w.shape[:2], dtype=w.dtype)
    _filters(w, w.dtype.type(0.5), U)
    return U


def by_blocks(C, K):
    """Whether a layer with C input and K output channels runs a block per core (_by_blocks)."""
    return max(C, K) <= BY_BLOCKS_MAX_CHANNELS


def block_rows(rows, tw, C, K, itemsize):
    """How many of the ``rows`` tile rows (tw tiles each) one block takes: V (16, C, block*tw) and
    M (16, K, block*tw) stay within BLOCK_BYTES (CORE_BLOCK_BYTES when a block runs on one core)
    each, but a block holds at least one tile row."""
    limit = CORE_BLOCK_BYTES if by_blocks(C, K) else BLOCK_BYTES
    return int(min(rows, max(1, limit // (16 * max(C, K) * tw * itemsize))))


def workspace(rows, tw, C, K, itemsize):
    """Bytes of V and M one pass over ``rows`` tile rows allocates (memory.py asks)."""
    blocks_at_once = CORES if by_blocks(C, K) else 1
    return blocks_at_once * 16 * (C + K) * block_rows(rows, tw, C, K, itemsize) * tw * itemsize


def _convolve(x, mats, b, pad, out_channels):
    """out (N, K, Ho, Wo) = the 16 products mats[a] (K, C) @ V[a] between the two transforms."""
    N, C, H, W = x.shape
    (Ho, Wo), (th, tw) = tile_grid(H, W, pad)
    x = np.ascontiguousarray(x)
    out = _buffers.empty((N, out_channels, Ho, Wo), x.dtype)
    rows_total = N * th
    if rows_total == 0:                              # an empty batch
        return out
    block = block_rows(rows_total, tw, C, out_channels, x.itemsize)
    if by_blocks(C, out_channels):
        return _by_blocks(x, mats, b, pad, out, th, tw, block)
    V = np.empty((16, C, block * tw), dtype=x.dtype)
    M = np.empty((16, out_channels, block * tw), dtype=x.dtype)
    pool, one_blas_thread = _side_by_side()
    with one_blas_thread():
        for row0 in range(0, rows_total, block):
            rows = min(block, rows_total - row0)    # the last block may be shorter

            def products(positions):
                for a in positions:
                    np.matmul(mats[a], V[a, :, :rows * tw], out=M[a, :, :rows * tw])
            _input_tiles(x, pad[0], pad[1], th, tw, row0, rows, V)
            list(pool.map(products, [range(core, 16, CORES) for core in range(CORES)]))
            _output_tiles(M, b, th, tw, row0, rows, out)
    return out


def _by_blocks(x, mats, b, pad, out, th, tw, block):
    """_convolve's work with each core taking whole blocks of tile rows, in turn, through both
    transforms and the 16 products (on one BLAS thread): V and M are read back while in cache."""
    C, K, rows_total = x.shape[1], out.shape[1], x.shape[0] * th
    mats = np.ascontiguousarray(np.stack(mats))                     # (16, K, C): one batched product
    starts = range(0, rows_total, block)

    def work(core):
        for row0 in starts[core::CORES]:
            rows = min(block, rows_total - row0)              # the last block may be shorter
            v = np.empty((16, C, rows * tw), dtype=x.dtype)   # contiguous: one batched BLAS call
            m = np.empty((16, K, rows * tw), dtype=x.dtype)
            _input_tiles_one_core(x, pad[0], pad[1], th, tw, row0, rows, v)
            np.matmul(mats, v, out=m)
            _output_tiles_one_core(m, b, th, tw, row0, rows, out)
    pool, one_blas_thread = _side_by_side()
    with one_blas_thread():
        list(pool.map(work, range(CORES)))
    return out


_pool = _blas = None


def _forget_pool():
    """In a forked child the pool's threads are gone (only the forking thread survives): make a new one."""
    global _pool
    _pool = None


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_pool)


def _side_by_side():
    """A pool of one thread per core, and a context in which BLAS uses a single thread."""
    global _pool, _blas
    if _pool is None:
        from threadpoolctl import ThreadpoolController
        _blas = ThreadpoolController().select(user_api="blas")
        _pool = ThreadPoolExecutor(CORES, thread_name_prefix="minicnn-winograd")
    return _pool, lambda: _blas.limit(limits=1)


def conv_forward(x, U, b, pad):
    """x (N, C, H, W), U (16, K, C) from transform_filters, b (K,) -> out (N, K, Ho, Wo)."""
    return _convolve(x, [U[a] for a in range(16)], b, pad, U.shape[1])


def conv_backward_input(dout, U, pad):
    """dout (N, K, Ho, Wo), U (16, K, C) of the forward's filters -> dx (N, C, H, W)."""
    p = SWAP_0_3
    mats = [U[4 * p[a // 4] + p[a % 4]].T for a in range(16)]          # (C, K) each: rotated, channel-swapped
    zeros = np.zeros(U.shape[2], dtype=dout.dtype)
    return _convolve(dout, mats, zeros, (2 - pad[0], 2 - pad[1]), U.shape[2])
