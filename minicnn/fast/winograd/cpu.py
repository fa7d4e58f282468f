"""Winograd F(2x2, 3x3) on the CPU: Numba transforms around BLAS matrix products.

Same numbers as reference.py (read that first); here the work is organised for speed:

* The filters are transformed by one BLAS product: g -> G g G^T is linear in g's 9 values.
* The tiles are processed a block of tile rows at a time, so the transformed tiles V and the
  products M stay within BLOCK_BYTES each however large the batch (im2col's columns for VGG16's
  conv1_2 at batch 8 would be 882 MiB), and are reused from block to block.
* The input transform splits the 4 input rows under a tile row into their even and odd columns,
  applies B^T down the rows across the whole width, then B along each tile's 4 columns: every
  loop reads with unit stride, and vectorises.
* The output transform applies A^T for all tiles of a row at once (M is contiguous along the
  tiles), then A, writing each output row with the bias added, and with the ReLU applied when
  the engine asks (a ReLU that alone reads the output: one pass over memory fewer).
* The products are independent and thin (64 channels: a 64x64 by 64xT product): BLAS splits
  each one across the cores poorly, so they run side by side instead, one per core at a time,
  each on a single BLAS thread.
* With at most 128 channels in and out (VGG's first two blocks) the products are so thin that
  moving V and M through memory costs more than computing them. There each core takes whole
  blocks of tile rows through both transforms and all the products on its own (``_by_blocks``),
  and a block's V and M are still in its caches when the next stage reads them.
* The backward pass can reuse the forward's transformed filters (``rotated``, and
  fast/conv_winograd.py's KEEP_FILTERS_BELOW).
"""
import os
from concurrent.futures import ThreadPoolExecutor

import numpy as np
from numba import njit, prange

from .. import buffers
from . import reference

CORES = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
BLOCK_BYTES = 16 << 20     # target size of one block of V (and of M); docs/speed.md says why
BY_BLOCKS_MAX_CHANNELS = 128  # layers with at most this many channels in and out: one block per core
CORE_BLOCK_BYTES = 4 << 20    # the size of such a block's V (and M)
SWAP_0_3 = (3, 1, 2, 0)    # p: position a of a rotated filter's transform is position p(a) of the original's
ZERO = np.float32(0)       # a float32 0: a Python 0 would make Numba compile another kernel


@njit(cache=True, nogil=True, inline="always")
def _bt2(d0, d1, d2, d3):
    """B^T of F(2x2, 3x3) (reference.BT2) applied to 4 values."""
    return d0 - d2, d1 + d2, d2 - d1, d1 - d3


@njit(cache=True, nogil=True, inline="always")
def _at2(m0, m1, m2, m3):
    """A^T of F(2x2, 3x3) (reference.AT2) applied to 4 values."""
    return m0 + m1 + m2, m1 - m2 - m3


@njit(cache=True, nogil=True, inline="always")
def _input_channel(x, c, ph, pw, th, tw, row0, nrows, even, odd, V):
    """The input transform of channel c: tile rows row0 .. row0+nrows-1 (counted over (n, ty))
    -> V[:, c, :nrows*tw] (16 positions by tiles). even, odd: (4, tw + 1) scratch rows."""
    N, C, H, W = x.shape
    for r in range(nrows):
        n, ty = (row0 + r) // th, (row0 + r) % th
        # The 4 padded input rows under the tile row, split into their even and odd columns
        # (even[i, k] is padded column 2k, odd[i, k] column 2k + 1): tile tx spans columns
        # 2tx .. 2tx + 3, so every transform below reads with unit stride, and vectorises.
        for i in range(4):
            h = 2 * ty - ph + i
            for k in range(tw + 1):
                w = 2 * k - pw
                inside = 0 <= h < H
                even[i, k] = x[n, c, h, w] if inside and 0 <= w < W else ZERO
                odd[i, k] = x[n, c, h, w + 1] if inside and 0 <= w + 1 < W else ZERO
        # B^T d down the rows, the whole width at once ...
        for k in range(tw + 1):
            even[0, k], even[1, k], even[2, k], even[3, k] = _bt2(even[0, k], even[1, k], even[2, k], even[3, k])
            odd[0, k], odd[1, k], odd[2, k], odd[3, k] = _bt2(odd[0, k], odd[1, k], odd[2, k], odd[3, k])
        # ... then (B^T d) B along each tile's row: _bt2 of columns 2tx, 2tx + 1, 2tx + 2, 2tx + 3.
        t0 = r * tw
        for i in range(4):
            for tx in range(tw):
                V[4 * i, c, t0 + tx], V[4 * i + 1, c, t0 + tx], V[4 * i + 2, c, t0 + tx], V[4 * i + 3, c, t0 + tx] = \
                    _bt2(even[i, tx], odd[i, tx], even[i, tx + 1], odd[i, tx + 1])


@njit(cache=True, nogil=True, inline="always")
def _output_filter(M, b, rectify, k, th, tw, row0, nrows, s, out):
    """The output transform of filter k: M[:, k, :nrows*tw] -> the 2x2 blocks A^T M A + b of
    tile rows row0 .. row0+nrows-1 of out[:, k]; rectify: write max(out, 0), as fast/relu.py
    would (NaN stays NaN). s: (2, 4, tw) scratch."""
    Ho, Wo = out.shape[2], out.shape[3]
    bk = b[k]
    for r in range(nrows):
        n, ty = (row0 + r) // th, (row0 + r) % th
        t0 = r * tw
        # A^T M: the tile's rows combined, for each of its columns j, all tiles of the row at once.
        for j in range(4):
            for tx in range(tw):
                t = t0 + tx
                s[0, j, tx], s[1, j, tx] = _at2(M[j, k, t], M[4 + j, k, t], M[8 + j, k, t], M[12 + j, k, t])
        # ... times A: 2 outputs per tile along each of the 2 output rows, plus the bias (and the
        # ReLU); a last tile sticking out past the output's edge writes only its first column.
        for i in range(min(2, Ho - 2 * ty)):
            for tx in range(Wo // 2):
                y0, y1 = _at2(s[i, 0, tx], s[i, 1, tx], s[i, 2, tx], s[i, 3, tx])
                v0, v1 = y0 + bk, y1 + bk
                out[n, k, 2 * ty + i, 2 * tx] = ZERO if rectify and v0 <= 0 else v0
                out[n, k, 2 * ty + i, 2 * tx + 1] = ZERO if rectify and v1 <= 0 else v1
            if Wo % 2:
                y0, _ = _at2(s[i, 0, tw - 1], s[i, 1, tw - 1], s[i, 2, tw - 1], s[i, 3, tw - 1])
                v0 = y0 + bk
                out[n, k, 2 * ty + i, Wo - 1] = ZERO if rectify and v0 <= 0 else v0


# Each transform twice: spread over the cores (prange), and on one core for _by_blocks, whose
# cores each run their own block. Separate functions, so that Numba's cache keeps both.
@njit(parallel=True, cache=True, nogil=True)
def _input_tiles(x, ph, pw, th, tw, row0, nrows, V):
    """Tile rows row0 .. row0+nrows-1 (counted over (n, ty)) of x -> V[:, :, :nrows*tw] (V: 16, C, >= nrows*tw)."""
    for c in prange(x.shape[1]):
        scratch = np.empty((2, 4, tw + 1), x.dtype)
        _input_channel(x, c, ph, pw, th, tw, row0, nrows, scratch[0], scratch[1], V)


@njit(cache=True, nogil=True)
def _input_tiles_one_core(x, ph, pw, th, tw, row0, nrows, V):
    """As _input_tiles, on the calling thread only."""
    scratch = np.empty((2, 4, tw + 1), x.dtype)
    for c in range(x.shape[1]):
        _input_channel(x, c, ph, pw, th, tw, row0, nrows, scratch[0], scratch[1], V)


@njit(parallel=True, cache=True, nogil=True)
def _output_tiles(M, b, rectify, th, tw, row0, nrows, out):
    """M[:, :, :nrows*tw] (16, K, >= nrows*tw) -> the 2x2 blocks A^T M A + b of tile rows
    row0 .. row0+nrows-1 of out (N, K, Ho, Wo)."""
    for k in prange(out.shape[1]):
        _output_filter(M, b, rectify, k, th, tw, row0, nrows, np.empty((2, 4, tw), M.dtype), out)


@njit(cache=True, nogil=True)
def _output_tiles_one_core(M, b, rectify, th, tw, row0, nrows, out):
    """As _output_tiles, on the calling thread only."""
    s = np.empty((2, 4, tw), M.dtype)
    for k in range(out.shape[1]):
        _output_filter(M, b, rectify, k, th, tw, row0, nrows, s, out)


def transform_filters(w, rotated=False):
    """w (K, C, 3, 3) -> U (16, K, C) = G g G^T for every filter g, as reference.transform_filters
    (of g rotated by 180 degrees when ``rotated``, for the backward). As g -> G g G^T is linear,
    that is one BLAS product: kron(G, G) (16, 9) @ the filters as columns (9, K*C)."""
    K, C = w.shape[:2]
    T = np.kron(reference.G2, reference.G2).astype(w.dtype)
    if rotated:                                  # g[2 - i, 2 - j]: the 9 values in reverse order
        T = T[:, ::-1]
    U = np.empty((16, K, C), dtype=w.dtype)
    np.matmul(T, w.reshape(K * C, 9).T, out=U.reshape(-1, K * C))
    return U


def rotated(U):
    """The transformed filters of the rotated filters (as transform_filters(w, rotated=True)),
    from U (16, K, C) without transforming again: rotating a 3x3 filter by 180 degrees only
    swaps rows 0 and 3 of G g G^T, and columns 0 and 3 (G J = P G, with J the reversal and P
    that swap), so position (a, b) is the original's (p(a), p(b)). A list of 16 views (K, C)."""
    p = SWAP_0_3
    return [U[4 * p[a // 4] + p[a % 4]] for a in range(16)]


def by_blocks(C, K):
    """Whether a layer with C input and K output channels runs a block per core (_by_blocks)."""
    return max(C, K) <= BY_BLOCKS_MAX_CHANNELS


def block_rows(rows, tw, C, K, itemsize):
    """How many of the ``rows`` tile rows (tw tiles each) one block takes: V (16, C, block*tw)
    and M (16, K, block*tw) stay within BLOCK_BYTES (CORE_BLOCK_BYTES when a block runs on
    one core, and then a multiple of CORES blocks) each, but a block holds at least one tile row."""
    limit = CORE_BLOCK_BYTES if by_blocks(C, K) else BLOCK_BYTES
    block = int(min(rows, max(1, limit // (16 * max(C, K) * tw * itemsize))))
    if not by_blocks(C, K):
        return block
    # As many blocks for every core, so that none waits for another's last one.
    blocks = -(-rows // block)
    blocks = -(-blocks // CORES) * CORES
    return -(-rows // blocks)


def workspace(rows, tw, C, K, itemsize):
    """Bytes of V and M one pass over ``rows`` tile rows allocates (memory.py asks)."""
    block = block_rows(rows, tw, C, K, itemsize)
    blocks_at_once = min(CORES, -(-rows // block)) if by_blocks(C, K) else 1
    return blocks_at_once * 16 * (C + K) * block * tw * itemsize


def _convolve(x, mats, b, pad, out_channels, rectify=False):
    """out (N, K, Ho, Wo) = the 16 products mats[a] (K, C) @ V[a] between the two transforms
    (then max(out, 0) with rectify)."""
    N, C, H, W = x.shape
    (Ho, Wo), (th, tw) = reference.tile_grid(H, W, pad)
    x = np.ascontiguousarray(x)
    out = buffers.empty((N, out_channels, Ho, Wo), x.dtype)
    rows_total = N * th
    if rows_total == 0:                              # an empty batch
        return out
    block = block_rows(rows_total, tw, C, out_channels, x.itemsize)
    if by_blocks(C, out_channels):
        return _by_blocks(x, mats, b, rectify, pad, out, th, tw, block)
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
            _output_tiles(M, b, rectify, th, tw, row0, rows, out)
    return out


def _by_blocks(x, mats, b, rectify, pad, out, th, tw, block):
    """_convolve's work with each core taking whole blocks of tile rows, in turn, through both
    transforms and the 16 products (on one BLAS thread): V and M are read back while in cache."""
    C, K, rows_total = x.shape[1], out.shape[1], x.shape[0] * th
    mats = np.ascontiguousarray(np.stack(mats))                     # (16, K, C): one batched product
    starts = range(0, rows_total, block)

    def work(core):
        for row0 in starts[core::CORES]:
            rows = min(block, rows_total - row0)              # the last block may be shorter
            v = np.empty((16, C, rows * tw), dtype=x.dtype)   # contiguous: one batched BLAS call
            mv = np.empty((16, K, rows * tw), dtype=x.dtype)
            _input_tiles_one_core(x, pad[0], pad[1], th, tw, row0, rows, v)
            np.matmul(mats, v, out=mv)
            _output_tiles_one_core(mv, b, rectify, th, tw, row0, rows, out)
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


def conv_forward(x, U, b, pad, rectify=False):
    """x (N, C, H, W), U (16, K, C) from transform_filters, b (K,) -> out (N, K, Ho, Wo),
    or max(out, 0) with rectify (a ReLU in the same pass over memory)."""
    # A copy of b, always writable: a frozen net's read-only bias would make Numba compile every
    # output kernel again for read-only arrays (Net.frozen).
    return _convolve(x, [U[a] for a in range(U.shape[0])], b.copy(), pad, U.shape[1], rectify)


def conv_backward_input(dout, R, pad):
    """dout (N, K, Ho, Wo), R (16 matrices (K, C)): the transformed rotated filters,
    from transform_filters(w, rotated=True) or rotated(U) -> dx (N, C, H, W).
    Not the forward's U itself: that would give a wrong dx without an error."""
    mats = [R[a].T for a in range(len(R))]                              # (C, K) each: channels swapped
    zeros = np.zeros(R[0].shape[1], dtype=dout.dtype)
    return _convolve(dout, mats, zeros, (2 - pad[0], 2 - pad[1]), R[0].shape[1])
