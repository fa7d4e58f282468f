"""Winograd F(2x2, 3x3) and F(4x4, 3x3) on the CPU: Numba transforms around BLAS matrix products.

Same numbers as reference.py (read that first); here the work is organised for speed:

* The tile size m (2 or 4) follows from the number of transformed filter matrices handed in,
  16 or 36; layers/conv_winograd.py chooses it. The kernels take m as an argument and branch
  on it inside (the same way for a whole call).
* The filters are transformed by one BLAS product: g -> G g G^T is linear in g's 9 values.
* The tiles are processed a block of tile rows at a time, so the transformed tiles V and the
  products M stay within BLOCK_BYTES each however large the batch (im2col's columns for VGG16's
  conv1_2 at batch 8 would be 882 MiB), and are reused from block to block.
* The input transform applies B^T down the m+2 input rows of a tile row once, across the whole
  width (contiguous, vectorised), then B along each tile's m+2 columns.
* The output transform applies A^T for all tiles of a row at once (M is contiguous along the
  tiles), then A, into a row buffer it copies out with the bias added, and with the ReLU applied
  when the Net asks (a ReLU that alone reads the output: one pass over memory fewer).
* The products are independent and thin (64 channels: a 64x64 by 64xT product): BLAS splits
  each one across the cores poorly, so they run side by side instead, one per core at a time,
  each on a single BLAS thread (measured on 2 cores: the convolutions of a VGG16 step 15 % faster).
* With at most 64 channels in and out (VGG's first block) the products are so thin that moving V
  and M through memory costs more than computing them. There each core takes whole blocks of
  tile rows through both transforms and all the products on its own (``_by_blocks``), and a
  block's V and M are still in its caches when the next stage reads them (VGG16's conv1_2 with
  F(2x2): 19 to 16 ms at batch 1, 166 to 123 ms at batch 8).
* The backward pass of an F(2x2) layer can reuse the forward's transformed filters (``rotated``,
  and layers/conv_winograd.py's KEEP_FILTERS_BELOW); F(4x4) transforms the rotated filters anew.
"""
import os
from concurrent.futures import ThreadPoolExecutor

import numpy as np
from numba import njit, prange

from .. import _buffers
from . import reference

CORES = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
BLOCK_BYTES = 16 << 20     # target size of one block of V (and of M); 16 MiB measured best on VGG16
BY_BLOCKS_MAX_CHANNELS = 64   # layers with at most this many channels in and out: one block per core
CORE_BLOCK_BYTES = 4 << 20    # the size of such a block's V (and M); 1 to 4 MiB measured about equal
SWAP_0_3 = (3, 1, 2, 0)    # p: position a of a rotated filter's transform is position p(a) of the original's


# Exact in float32, so that float32 tiles are transformed in float32 (a Python 4 would be an
# int64 and turn the arithmetic into float64).
ZERO, TWO, FOUR, FIVE, EIGHT = np.float32(0), np.float32(2), np.float32(4), np.float32(5), np.float32(8)


@njit(cache=True, nogil=True, inline="always")
def _bt2(d0, d1, d2, d3):
    """B^T of F(2x2, 3x3) (reference.BT2) applied to 4 values."""
    return d0 - d2, d1 + d2, d2 - d1, d1 - d3


@njit(cache=True, nogil=True, inline="always")
def _bt4(d0, d1, d2, d3, d4, d5):
    """B^T of F(4x4, 3x3) (reference.BT4) applied to 6 values."""
    return (FOUR * d0 - FIVE * d2 + d4,
            d3 + d4 - FOUR * (d1 + d2),
            d4 - d3 + FOUR * (d1 - d2),
            d4 - d2 + TWO * (d3 - d1),
            d4 - d2 - TWO * (d3 - d1),
            FOUR * d1 - FIVE * d3 + d5)


@njit(cache=True, nogil=True, inline="always")
def _at2(m0, m1, m2, m3):
    """A^T of F(2x2, 3x3) (reference.AT2) applied to 4 values."""
    return m0 + m1 + m2, m1 - m2 - m3


@njit(cache=True, nogil=True, inline="always")
def _at4(m0, m1, m2, m3, m4, m5):
    """A^T of F(4x4, 3x3) (reference.AT4) applied to 6 values."""
    plus, minus = m1 + m2, m1 - m2
    plus2, minus2 = m3 + m4, m3 - m4
    return m0 + plus + plus2, minus + TWO * minus2, plus + FOUR * plus2, minus + EIGHT * minus2 + m5


@njit(cache=True, nogil=True, inline="always")
def _input_tile_row(x, m, ph, pw, th, tw, row0, nrows, task, V):
    """One task of the input transform: channel c of tile row r (task = c * nrows + r), m x m output tiles."""
    N, C, H, W = x.shape
    a = m + 2                                        # the tiles' side
    c, r = task // nrows, task % nrows
    n, ty = (row0 + r) // th, (row0 + r) % th
    rows = np.zeros((a, m * tw + 2), x.dtype)        # the padded input rows under this tile row
    for i in range(a):
        h = m * ty - ph + i
        if 0 <= h < H:
            for w in range(W):
                rows[i, w + pw] = x[n, c, h, w]
    t0 = r * tw
    # B^T d along the columns, the whole width at once (vectorised), then (B^T d) B along each tile's row.
    if m == 2:
        for j in range(rows.shape[1]):
            rows[0, j], rows[1, j], rows[2, j], rows[3, j] = _bt2(rows[0, j], rows[1, j], rows[2, j], rows[3, j])
        for i in range(4):
            for tx in range(tw):
                t, s = t0 + tx, 2 * tx
                V[4 * i, c, t], V[4 * i + 1, c, t], V[4 * i + 2, c, t], V[4 * i + 3, c, t] = _bt2(
                    rows[i, s], rows[i, s + 1], rows[i, s + 2], rows[i, s + 3])
    else:
        for j in range(rows.shape[1]):
            (rows[0, j], rows[1, j], rows[2, j], rows[3, j], rows[4, j], rows[5, j]) = _bt4(
                rows[0, j], rows[1, j], rows[2, j], rows[3, j], rows[4, j], rows[5, j])
        for i in range(6):
            for tx in range(tw):
                t, s = t0 + tx, 4 * tx
                (V[6 * i, c, t], V[6 * i + 1, c, t], V[6 * i + 2, c, t],
                 V[6 * i + 3, c, t], V[6 * i + 4, c, t], V[6 * i + 5, c, t]) = _bt4(
                    rows[i, s], rows[i, s + 1], rows[i, s + 2], rows[i, s + 3], rows[i, s + 4], rows[i, s + 5])


@njit(cache=True, nogil=True, inline="always")
def _output_tile_row(M, m, b, rectify, th, tw, row0, nrows, task, out):
    """One task of the output transform: filter k of tile row r (task = k * nrows + r), m x m output tiles;
    rectify: write max(out, 0), as layers/relu_cpu.py would (NaN stays NaN)."""
    K, Ho, Wo = out.shape[1], out.shape[2], out.shape[3]
    a = m + 2
    k, r = task // nrows, task % nrows
    n, ty = (row0 + r) // th, (row0 + r) % th
    t0 = r * tw
    # A^T M: the tile's rows combined, for each of its columns j, all tiles of the row at once
    # (M is contiguous along the tiles, so this vectorises).
    s = np.empty((m, a, tw), M.dtype)
    for j in range(a):
        for tx in range(tw):
            t = t0 + tx
            if m == 2:
                s[0, j, tx], s[1, j, tx] = _at2(M[j, k, t], M[4 + j, k, t], M[8 + j, k, t], M[12 + j, k, t])
            else:
                s[0, j, tx], s[1, j, tx], s[2, j, tx], s[3, j, tx] = _at4(
                    M[j, k, t], M[6 + j, k, t], M[12 + j, k, t], M[18 + j, k, t], M[24 + j, k, t], M[30 + j, k, t])
    # ... times A: the m output rows of the whole tile row (strided stores), then plus the bias
    # (and the ReLU), cropped to the output (contiguous, vectorised).
    y = np.empty((m, m * tw), M.dtype)
    for i in range(m):
        for tx in range(tw):
            o = m * tx
            if m == 2:
                y[i, o], y[i, o + 1] = _at2(s[i, 0, tx], s[i, 1, tx], s[i, 2, tx], s[i, 3, tx])
            else:
                y[i, o], y[i, o + 1], y[i, o + 2], y[i, o + 3] = _at4(
                    s[i, 0, tx], s[i, 1, tx], s[i, 2, tx], s[i, 3, tx], s[i, 4, tx], s[i, 5, tx])
    bk = b[k]
    for i in range(min(m, Ho - m * ty)):
        for w in range(Wo):
            v = y[i, w] + bk
            out[n, k, m * ty + i, w] = ZERO if rectify and v <= 0 else v


# Each transform twice: spread over the cores (prange), and on one core for _by_blocks, whose
# cores each run their own block. Separate functions, so that Numba's cache keeps both.
@njit(parallel=True, cache=True, nogil=True)
def _input_tiles(x, m, ph, pw, th, tw, row0, nrows, V):
    """Tile rows row0 .. row0+nrows-1 (counted over (n, ty)) of x -> V[:, :, :nrows*tw] (V: (m+2)^2, C, >= nrows*tw)."""
    for task in prange(x.shape[1] * nrows):
        _input_tile_row(x, m, ph, pw, th, tw, row0, nrows, task, V)


@njit(cache=True, nogil=True)
def _input_tiles_one_core(x, m, ph, pw, th, tw, row0, nrows, V):
    """As _input_tiles, on the calling thread only."""
    for task in range(x.shape[1] * nrows):
        _input_tile_row(x, m, ph, pw, th, tw, row0, nrows, task, V)


@njit(parallel=True, cache=True, nogil=True)
def _output_tiles(M, m, b, rectify, th, tw, row0, nrows, out):
    """M[:, :, :nrows*tw] -> the m x m blocks A^T M A + b of tile rows row0 .. row0+nrows-1 of out (N, K, Ho, Wo)."""
    for task in prange(out.shape[1] * nrows):
        _output_tile_row(M, m, b, rectify, th, tw, row0, nrows, task, out)


@njit(cache=True, nogil=True)
def _output_tiles_one_core(M, m, b, rectify, th, tw, row0, nrows, out):
    """As _output_tiles, on the calling thread only."""
    for task in range(out.shape[1] * nrows):
        _output_tile_row(M, m, b, rectify, th, tw, row0, nrows, task, out)


def _side(positions):
    """m, the side of the output tiles, from the number of products (m+2)^2: 16 -> 2, 36 -> 4
    (layers/conv_winograd.py's tile_size chooses m for a layer)."""
    return {16: 2, 36: 4}[positions]


def transform_filters(w, m, rotated=False):
    """w (K, C, 3, 3) -> U ((m+2)^2, K, C) = G g G^T for every filter g, as reference.transform_filters
    (of g rotated by 180 degrees when ``rotated``, for the backward). As g -> G g G^T is linear,
    that is one BLAS product: kron(G, G) ((m+2)^2, 9) @ the filters as columns (9, K*C)."""
    K, C = w.shape[:2]
    G = reference.MATRICES[m][1]
    T = np.kron(G, G).astype(w.dtype)
    if rotated:                                  # g[2 - i, 2 - j]: the 9 values in reverse order
        T = T[:, ::-1]
    U = np.empty((reference.positions(m), K, C), dtype=w.dtype)
    np.matmul(T, w.reshape(K * C, 9).T, out=U.reshape(-1, K * C))
    return U


def rotated(U):
    """The transformed filters of the rotated filters (as transform_filters(w, 2, rotated=True)),
    from F(2x2)'s U (16, K, C) without transforming again: rotating a 3x3 filter by 180 degrees
    only swaps rows 0 and 3 of G g G^T, and columns 0 and 3 (G J = P G, with J the reversal and
    P that swap), so position (a, b) is the original's (p(a), p(b)). A list of 16 views (K, C).
    F(4x4)'s points 2 and -2 turn into 1/2 and -1/2 when reversed: there is no such shortcut."""
    p = SWAP_0_3
    return [U[4 * p[a // 4] + p[a % 4]] for a in range(16)]


def by_blocks(C, K):
    """Whether a layer with C input and K output channels runs a block per core (_by_blocks)."""
    return max(C, K) <= BY_BLOCKS_MAX_CHANNELS


def block_rows(rows, tw, C, K, itemsize, m):
    """How many of the ``rows`` tile rows (tw tiles each) one block takes: V ((m+2)^2, C, block*tw)
    and M ((m+2)^2, K, block*tw) stay within BLOCK_BYTES (CORE_BLOCK_BYTES when a block runs on
    one core, and then a multiple of CORES blocks) each, but a block holds at least one tile row."""
    limit = CORE_BLOCK_BYTES if by_blocks(C, K) else BLOCK_BYTES
    block = int(min(rows, max(1, limit // (reference.positions(m) * max(C, K) * tw * itemsize))))
    if not by_blocks(C, K):
        return block
    # As many blocks for every core, so that none waits for another's last one (VGG16's conv1_2 at
    # batch 1: 56 tile rows made 7 blocks of 8, 4 on one core and 3 on the other; now 8 of 7).
    blocks = -(-rows // block)
    blocks = -(-blocks // CORES) * CORES
    return -(-rows // blocks)


def workspace(rows, tw, C, K, itemsize, m):
    """Bytes of V and M one pass over ``rows`` tile rows allocates (memory.py asks)."""
    block = block_rows(rows, tw, C, K, itemsize, m)
    blocks_at_once = min(CORES, -(-rows // block)) if by_blocks(C, K) else 1
    return blocks_at_once * reference.positions(m) * (C + K) * block * tw * itemsize


def _convolve(x, mats, b, pad, out_channels, rectify=False):
    """out (N, K, Ho, Wo) = the (m+2)^2 products mats[a] (K, C) @ V[a] between the two transforms
    (then max(out, 0) with rectify)."""
    N, C, H, W = x.shape
    P = len(mats)
    m = _side(P)
    (Ho, Wo), (th, tw) = reference.tile_grid(H, W, pad, m)
    x = np.ascontiguousarray(x)
    out = _buffers.empty((N, out_channels, Ho, Wo), x.dtype)
    rows_total = N * th
    if rows_total == 0:                              # an empty batch
        return out
    block = block_rows(rows_total, tw, C, out_channels, x.itemsize, m)
    if by_blocks(C, out_channels):
        return _by_blocks(x, mats, b, rectify, pad, out, m, th, tw, block)
    V = np.empty((P, C, block * tw), dtype=x.dtype)
    M = np.empty((P, out_channels, block * tw), dtype=x.dtype)
    pool, one_blas_thread = _side_by_side()
    with one_blas_thread():
        for row0 in range(0, rows_total, block):
            rows = min(block, rows_total - row0)    # the last block may be shorter

            def products(positions):
                for a in positions:
                    np.matmul(mats[a], V[a, :, :rows * tw], out=M[a, :, :rows * tw])
            _input_tiles(x, m, pad[0], pad[1], th, tw, row0, rows, V)
            list(pool.map(products, [range(core, P, CORES) for core in range(CORES)]))
            _output_tiles(M, m, b, rectify, th, tw, row0, rows, out)
    return out


def _by_blocks(x, mats, b, rectify, pad, out, m, th, tw, block):
    """_convolve's work with each core taking whole blocks of tile rows, in turn, through both
    transforms and the (m+2)^2 products (on one BLAS thread): V and M are read back while in cache."""
    C, K, rows_total, P = x.shape[1], out.shape[1], x.shape[0] * th, len(mats)
    mats = np.ascontiguousarray(np.stack(mats))                     # (P, K, C): one batched product
    starts = range(0, rows_total, block)

    def work(core):
        for row0 in starts[core::CORES]:
            rows = min(block, rows_total - row0)              # the last block may be shorter
            v = np.empty((P, C, rows * tw), dtype=x.dtype)    # contiguous: one batched BLAS call
            mv = np.empty((P, K, rows * tw), dtype=x.dtype)
            _input_tiles_one_core(x, m, pad[0], pad[1], th, tw, row0, rows, v)
            np.matmul(mats, v, out=mv)
            _output_tiles_one_core(mv, m, b, rectify, th, tw, row0, rows, out)
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
    """x (N, C, H, W), U ((m+2)^2, K, C) from transform_filters, b (K,) -> out (N, K, Ho, Wo),
    or max(out, 0) with rectify (a ReLU in the same pass over memory)."""
    # A copy of b, always writable: a frozen net's read-only bias would make Numba compile every
    # output kernel again for read-only arrays (Net.frozen).
    return _convolve(x, [U[a] for a in range(U.shape[0])], b.copy(), pad, U.shape[1], rectify)


def conv_backward_input(dout, R, pad):
    """dout (N, K, Ho, Wo), R ((m+2)^2 matrices (K, C)): the transformed rotated filters,
    from transform_filters(w, m, rotated=True) or rotated(U) -> dx (N, C, H, W).
    Not the forward's U itself: that would give a wrong dx without an error."""
    mats = [R[a].T for a in range(len(R))]                              # (C, K) each: channels swapped
    zeros = np.zeros(R[0].shape[1], dtype=dout.dtype)
    return _convolve(dout, mats, zeros, (2 - pad[0], 2 - pad[1]), R[0].shape[1])
